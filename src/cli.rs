//! Command-line arguments (clap derive). The `--help` text is the CLI's reference: keep it true.

use clap::{Args, Parser, Subcommand, ValueEnum};
use flowcap::analysis::rules::Severity;
use flowcap::model::cluster::Provider;
use flowcap::model::presets::PRESET_KEYS;
use flowcap::model::units::{Bytes, Cpus};
use flowcap::report::Format;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "flowcap",
    version,
    about = "Capacity planner for self-hosted Flow-Like on Docker Compose and Kubernetes",
    long_about = "Capacity planner for self-hosted Flow-Like on Docker Compose and Kubernetes.\n\n\
        Reads a plan (a YAML file, a built-in preset, the compose files you run, or your Helm \
        values) and reports executions by the path Flow-Like's code gives them (queued runs at \
        once within runtimes x MAX_CONCURRENT_EXECUTIONS and their waits; streaming runs, \
        unbounded, per runtime and against its memory), the connection budget (PostgreSQL's \
        max_connections, or CockroachDB's pool guidance), host CPU and memory fit (on \
        Kubernetes, the pods on the nodes by each provider's allocatable, packed and as \
        kube-scheduler places them in every order they may arrive in), memory and CPU \
        per execution slot, PGTune settings for Postgres, Redis's bound, and findings with \
        stable rule ids.\n\n\
        Without --check, in a terminal, it opens the interactive planner: on PLAN or --preset, \
        else on the compose deployment in the current folder, else on the Development preset. \
        With --format, or when output is not a terminal, it prints the report instead. With \
        --check it exits 0 when no finding reaches the fail level, 1 when one does, and 2 for \
        bad input; a plan checked with -f (or --helm-values) also gets a drift finding for every \
        value the compose files (or values) set differently, and with --prometheus URL findings \
        from what the deployment's Prometheus saw.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub check: CheckArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List every rule: id, severity, what it checks and its default threshold.
    Rules,
    /// Find the smallest change to the runtimes that meets the plan's workload target.
    ///
    /// Searches more slots per runtime (within the policy's memory per slot), more runtimes, and
    /// both, within the host; on Kubernetes, the executor pool's pods (or the Job cap) and the
    /// nodes of the pool that needs the fewest more for every pod to place. Exit 0 when a change
    /// is found or none is needed, 1 when nothing within the host or cluster meets the target,
    /// 2 for bad input.
    Solve(SolveArgs),
    /// List every default a plan can rely on, where its figure comes from, and whether the plan
    /// changed it.
    Explain(PlanArgs),
    /// Show every value where the deployment's compose files (or Helm values) differ from the
    /// plan, as before → after.
    Diff(PlanArgs),
    /// Write the compose override that makes the plan real over the deployment's compose files.
    ///
    /// Sets replicas, resources, MAX_CONCURRENT_EXECUTIONS, the Postgres command and shm_size
    /// (never lower than the base's). A service scaled past one replica loses its
    /// container_name, and its fixed host ports move to an nginx load balancer NAME-lb that
    /// publishes the same bindings (config written beside the override). Prints every change,
    /// before → after, and the `docker compose` command that applies it (Compose 2.24 or later).
    /// The files are written all or nothing; a file flowcap did not write is replaced only with
    /// --force, and the old one is kept as .bak. With --helm, a Kubernetes plan's values for
    /// Flow-Like's chart instead.
    Export(ExportArgs),
    /// Read what really runs from the deployment's Prometheus: peak runs per minute, mean and
    /// p95 duration, busy slots against the plan's, Postgres connections.
    ///
    /// Queries /api/v1/query and /api/v1/query_range over the window. Exit 0 with the figures,
    /// 2 when Prometheus cannot be reached, refuses, or has no Flow-Like series in the window.
    Observe(ObserveArgs),
    /// Write a starter plan with a comment on every key: from the deployment's compose files
    /// (the ones here, or -f), a plan, a preset, or the Development preset.
    Init(InitArgs),
    /// Print a shell completion script, e.g. `flowcap completions bash >
    /// ~/.local/share/bash-completion/completions/flowcap`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), or with --dir write it and one page per command there.
    Man {
        /// Write flowcap.1 and flowcap-COMMAND.1 into DIR, e.g. ~/.local/share/man/man1.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct InitArgs {
    #[command(flatten)]
    pub source: PlanArgs,
    /// The plan file to write (`-` prints it).
    #[arg(long, short = 'o', value_name = "FILE", default_value = "flowcap.yaml")]
    pub output: PathBuf,
    /// Replace FILE if flowcap did not write it (the old one is kept as .bak).
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ObserveArgs {
    #[command(flatten)]
    pub source: PlanArgs,
    #[command(flatten)]
    pub prometheus: PrometheusArgs,
    /// human or json.
    #[arg(long, value_enum, default_value = "human")]
    pub format: ObserveFormat,
    /// Also write the plan with the observed peak as its workload (queued and HTTP runs per
    /// minute, the queued runs' mean duration, Redis's state per run), for --check and solve.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub save_plan: Option<PathBuf>,
    /// Replace FILE if flowcap did not write it (the old one is kept as .bak).
    #[arg(long, requires = "save_plan")]
    pub force: bool,
}

/// The deployment's Prometheus and the window to read from it.
#[derive(Debug, Args)]
pub struct PrometheusArgs {
    /// The deployment's Prometheus, e.g. http://127.0.0.1:9091 (credentials from
    /// FLOWCAP_PROMETHEUS_TOKEN, or FLOWCAP_PROMETHEUS_USER and _PASSWORD). For observe,
    /// without it: the port the deployment's prometheus service publishes (Flow-Like's
    /// monitoring profile: PROMETHEUS_PORT, 9091 by default) on this host. For --check and the
    /// planner: hold the plan against what ran.
    #[arg(long, value_name = "URL")]
    pub prometheus: Option<String>,
    /// How far back to look, default 7d: a whole number with s, m, h, d or w.
    #[arg(long, value_name = "DURATION", value_parser = flowcap::observe::duration)]
    pub window: Option<u64>,
    /// The resolution of the peaks, default 5m (at most 11,000 steps in the window).
    #[arg(long, value_name = "DURATION", value_parser = flowcap::observe::duration)]
    pub step: Option<u64>,
    /// Where the window ends, in Unix seconds (default: now).
    #[arg(long, value_name = "UNIX_SECONDS", value_parser = flowcap::observe::unix_seconds)]
    pub end: Option<f64>,
    /// The PEM file of the CA that signed a https Prometheus's certificate, when it is your
    /// own (public CAs are trusted as they are).
    #[arg(long, value_name = "FILE")]
    pub prometheus_ca: Option<PathBuf>,
    /// How long to wait for each answer from Prometheus, default 10s.
    #[arg(long, value_name = "DURATION", value_parser = flowcap::observe::duration)]
    pub timeout: Option<u64>,
}

impl PrometheusArgs {
    /// The flag given that only means something with --prometheus, if any.
    pub fn without_prometheus(&self) -> Option<&'static str> {
        let given = [
            (self.window.is_some(), "--window"),
            (self.step.is_some(), "--step"),
            (self.end.is_some(), "--end"),
            (self.timeout.is_some(), "--timeout"),
            (self.prometheus_ca.is_some(), "--prometheus-ca"),
        ];
        given.into_iter().find(|(set, _)| *set).map(|(_, flag)| flag)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ObserveFormat {
    Human,
    Json,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub source: PlanArgs,
    /// The override file to write, e.g. docker-compose.override.yml (with --helm, the values
    /// file; `-` prints the values, for `helm ... -f -`).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,
    /// Replace files flowcap did not write (the old ones are kept as .bak).
    #[arg(long)]
    pub force: bool,
    /// Also write the plan, so `flowcap --check PLAN -f ...` can hold the deployment to it.
    #[arg(long, value_name = "FILE")]
    pub save_plan: Option<PathBuf>,
    /// Write PGTune's settings (for postgres.profile, the Postgres memory and CPUs) into the
    /// Postgres command, its shared_buffers too unless the plan sets one: postgres.pgtune.
    #[arg(long, conflicts_with = "helm")]
    pub pgtune: bool,
    /// Write Helm values for Flow-Like's chart from a Kubernetes plan (only the keys flowcap
    /// owns: replicas, requests and limits, autoscaling, the Job cap), to pass after your own
    /// values: helm upgrade --install RELEASE CHART -f values.yaml -f FILE.
    #[arg(long)]
    pub helm: bool,
}

/// Where the plan comes from, and the deployment it is held against.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The plan file (YAML). docs/reference.md#the-plan gives its format.
    #[arg(value_name = "PLAN", conflicts_with = "preset")]
    pub plan: Option<PathBuf>,
    /// Start from a built-in preset instead of a plan file.
    #[arg(long, value_name = "NAME", value_parser = PRESET_KEYS)]
    pub preset: Option<String>,
    /// The deployment's compose file; repeat to merge several in order, as `docker compose -f`.
    /// Without it, the files Compose finds here are the deployment (COMPOSE_FILE, else
    /// compose.yaml or docker-compose.yml and its override). Without PLAN or --preset the plan is
    /// read from the deployment; with one, the plan takes its fixed ports and container names,
    /// and files given with -f get a drift finding for every value they set differently.
    #[arg(long = "compose", short = 'f', value_name = "FILE")]
    pub compose: Vec<PathBuf>,
    /// The variables file for interpolation (default: .env beside the first compose file).
    #[arg(long, value_name = "FILE")]
    pub env_file: Option<PathBuf>,
    /// A compose profile to switch on (repeatable); COMPOSE_PROFILES is honoured too.
    #[arg(long = "profile", value_name = "NAME")]
    pub profiles: Vec<String>,
    /// Which service plays a role when the stack renames it, e.g. runtime=worker; repeat it or
    /// separate pairs with commas. Roles: api, runtime, postgres, exporter, db-init.
    #[arg(long = "service", value_name = "ROLE=NAME")]
    pub services: Vec<String>,
    /// The Docker host's CPUs, for host fit (overrides the plan's host.cpus).
    #[arg(long, value_name = "CPUS", value_parser = parse_cpus)]
    pub host_cpus: Option<Cpus>,
    /// The Docker host's memory, e.g. 64G (overrides the plan's host.memory).
    #[arg(long, value_name = "SIZE", value_parser = parse_memory)]
    pub host_memory: Option<Bytes>,
    /// Values files of Flow-Like's Helm chart: the Kubernetes deployment, merged over the
    /// chart's defaults in order as `helm -f` merges them (repeatable). With PLAN or --preset,
    /// every value they set differently is a drift finding.
    #[arg(long = "helm-values", value_name = "FILE", conflicts_with = "compose")]
    pub helm_values: Vec<PathBuf>,
    /// The cluster for a Kubernetes plan or Helm values: one pool of --nodes nodes of
    /// --node-cpus and --node-memory (it replaces the plan's node pools). Values alone need it.
    #[arg(long, value_name = "N", requires_all = ["node_cpus", "node_memory"])]
    pub nodes: Option<u32>,
    /// A node's CPUs (with --nodes).
    #[arg(long, value_name = "CPUS", value_parser = parse_cpus, requires = "nodes")]
    pub node_cpus: Option<Cpus>,
    /// A node's memory, e.g. 64Gi (with --nodes).
    #[arg(long, value_name = "SIZE", value_parser = parse_memory, requires = "nodes")]
    pub node_memory: Option<Bytes>,
    /// Whose nodes (Kubernetes): what a node reserves for itself follows gke (the default),
    /// eks, aks or generic (the kubelet's defaults: only 100Mi for eviction).
    #[arg(long, value_name = "PROVIDER", value_parser = parse_provider)]
    pub provider: Option<Provider>,
    /// The kubelet's maxPods on every node pool (Kubernetes; default 110, on EKS from
    /// --instance-type).
    #[arg(long, value_name = "N")]
    pub max_pods: Option<u32>,
    /// Every node pool's machine type, e.g. m5.large (Kubernetes): on EKS it decides maxPods.
    #[arg(long, value_name = "TYPE")]
    pub instance_type: Option<String>,
    /// What the DaemonSets (CNI, log shipper, node exporter) request on every node, CPU
    /// (Kubernetes).
    #[arg(long, value_name = "CPUS", value_parser = Cpus::parse)]
    pub daemonset_cpus: Option<Cpus>,
    /// What the DaemonSets request on every node, memory, e.g. 300Mi (Kubernetes).
    #[arg(long, value_name = "SIZE", value_parser = Bytes::parse)]
    pub daemonset_memory: Option<Bytes>,
    /// How many DaemonSet pods run on every node: they count against its maxPods
    /// (Kubernetes).
    #[arg(long, value_name = "N")]
    pub daemonset_pods: Option<u32>,
}

fn parse_provider(text: &str) -> Result<Provider, String> {
    [Provider::Gke, Provider::Eks, Provider::Aks, Provider::Generic]
        .into_iter()
        .find(|p| p.name() == text)
        .ok_or_else(|| "must be gke, eks, aks or generic".to_string())
}

fn parse_cpus(text: &str) -> Result<Cpus, String> {
    Cpus::parse(text).and_then(|c| if c.0 == 0 { Err("must be greater than 0".into()) } else { Ok(c) })
}

fn parse_memory(text: &str) -> Result<Bytes, String> {
    Bytes::parse(text).and_then(|b| if b.0 == 0 { Err("must be greater than 0".into()) } else { Ok(b) })
}

#[derive(Debug, Args)]
pub struct SolveArgs {
    #[command(flatten)]
    pub source: PlanArgs,
    /// Write the plan with the recommended change to FILE (it replaces a plan flowcap wrote,
    /// such as the one it read; the old one is kept as FILE.bak).
    #[arg(long, short = 'o', visible_alias = "output", value_name = "FILE")]
    pub write: Option<PathBuf>,
    /// Replace FILE even if flowcap did not write it (the old one is kept as FILE.bak).
    #[arg(long, requires = "write")]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub source: PlanArgs,
    /// Run headless for CI: exit 1 when a finding reaches --fail-on.
    #[arg(long)]
    pub check: bool,
    /// Report format (default human). Giving one prints the report instead of opening the TUI.
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// The lowest severity that fails --check.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    #[command(flatten)]
    pub prometheus: PrometheusArgs,
    /// Colour in the human report and the planner: auto (on a terminal, unless NO_COLOR is
    /// set), always, or never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to colour output going to a terminal (`terminal`) or not: `auto` colours a
    /// terminal unless NO_COLOR is set to anything non-empty (no-color.org) or TERM is dumb.
    pub fn wanted(self, terminal: bool) -> bool {
        let set = |name: &str| std::env::var_os(name).is_some_and(|value| !value.is_empty());
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => terminal && !set("NO_COLOR") && std::env::var_os("TERM").is_none_or(|t| t != "dumb"),
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FormatArg {
    /// Figures and findings for people.
    Human,
    /// The stable JSON shape: docs/reference.md and assets/report.schema.json.
    Json,
    /// SARIF 2.1.0 for GitHub code scanning.
    Sarif,
    /// JUnit XML: one test case per rule.
    Junit,
    /// GitHub Actions annotations (::error file=...).
    Github,
}

impl From<FormatArg> for Format {
    fn from(format: FormatArg) -> Format {
        match format {
            FormatArg::Human => Format::Human,
            FormatArg::Json => Format::Json,
            FormatArg::Sarif => Format::Sarif,
            FormatArg::Junit => Format::Junit,
            FormatArg::Github => Format::Github,
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
}

impl From<FailOn> for Severity {
    fn from(level: FailOn) -> Severity {
        match level {
            FailOn::Error => Severity::Error,
            FailOn::Warning => Severity::Warning,
        }
    }
}
