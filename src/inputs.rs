//! The one way in: every command and the planner resolve what the operator named (a plan or a
//! preset, compose files or the ones Compose would find, `.env`, profiles, service roles, host
//! overrides) here, so `--check`, `diff`, `explain`, `solve`, `export` and the planner can
//! never disagree about what they are looking at.

use crate::analysis::postgres_memory::PostgresMemory;
use crate::io::error::InputError;
use crate::io::write::{WRITTEN_BY, same_file, written_by_flowcap};
use crate::model::cluster::{Cluster, NodePool, Platform, Provider};
use crate::model::load::{LoadedPlan, Locator, load_plan_file_with, read_text_file};
use crate::model::observed::Observed;
use crate::model::plan::Plan;
use crate::model::presets::load_preset;
use crate::model::units::{Bytes, Cpus};
use crate::platform::compose::alert_rules::RuleCheck;
use crate::platform::compose::scrape::StaticTarget;
use crate::platform::compose::{self, Environment, Export, ExportOptions, Project, ProjectOptions, ServiceNames};
use crate::platform::kubernetes::{
    self,
    values::{UnknownKey, ValuesFile},
};
use crate::report::Context;
use std::path::{Path, PathBuf};

/// What the operator named on the command line.
#[derive(Clone, Debug, Default)]
pub struct Request {
    pub plan: Option<PathBuf>,
    pub preset: Option<String>,
    /// `-f` files in order; empty: the files Compose would find in the current folder.
    pub compose_files: Vec<PathBuf>,
    pub env_file: Option<PathBuf>,
    pub profiles: Vec<String>,
    /// `--service ROLE=NAME` values.
    pub services: Vec<String>,
    pub host_cpus: Option<Cpus>,
    pub host_memory: Option<Bytes>,
    /// `--helm-values` files in order: a Kubernetes deployment.
    pub helm_values: Vec<PathBuf>,
    /// `--nodes N --node-cpus C --node-memory M`: the cluster, when the plan has none.
    pub nodes: Option<(u32, Cpus, Bytes)>,
    /// The rest of the cluster's flags, over the plan's.
    pub nodes_model: NodesModel,
}

/// `--provider`, `--max-pods`, `--instance-type` and the DaemonSets' flags.
#[derive(Clone, Debug, Default)]
pub struct NodesModel {
    pub provider: Option<Provider>,
    pub max_pods: Option<u32>,
    pub instance_type: Option<String>,
    pub daemonset_cpus: Option<Cpus>,
    pub daemonset_memory: Option<Bytes>,
    pub daemonset_pods: Option<u32>,
}

impl NodesModel {
    /// The first flag given, for an error that says it is for Kubernetes.
    fn first_given(&self) -> Option<&'static str> {
        [
            ("--provider", self.provider.is_some()),
            ("--max-pods", self.max_pods.is_some()),
            ("--instance-type", self.instance_type.is_some()),
            ("--daemonset-cpus", self.daemonset_cpus.is_some()),
            ("--daemonset-memory", self.daemonset_memory.is_some()),
            ("--daemonset-pods", self.daemonset_pods.is_some()),
        ]
        .into_iter()
        .find_map(|(flag, given)| given.then_some(flag))
    }

    /// The flags given, over `cluster`: the pool-wide ones on every pool.
    fn apply(&self, cluster: &mut Cluster) {
        if let Some(provider) = self.provider {
            cluster.provider = provider;
        }
        for pool in &mut cluster.node_pools {
            pool.max_pods = self.max_pods.or(pool.max_pods);
            pool.instance_type = self.instance_type.clone().or(pool.instance_type.take());
        }
        cluster.daemonset.cpus = self.daemonset_cpus.or(cluster.daemonset.cpus);
        cluster.daemonset.memory = self.daemonset_memory.or(cluster.daemonset.memory);
        cluster.daemonset_pods = self.daemonset_pods.unwrap_or(cluster.daemonset_pods);
    }
}

/// The plan to work on and the deployment it is held against.
#[derive(Clone, Debug)]
pub struct Inputs {
    pub loaded: LoadedPlan,
    pub deployment: Option<Deployment>,
    /// The Kubernetes deployment read from Helm values, when given.
    pub values: Option<ValuesDeployment>,
    /// A plan or preset is named, so the deployment is compared with it.
    named: bool,
}

impl Inputs {
    /// What the plan's report is held against: the deployment (drift, its Prometheus's scrape
    /// config) and, when read, what really ran.
    pub fn context<'a>(&'a self, observed: Option<&'a Observed>) -> Context<'a> {
        let read = match (&self.deployment, &self.values) {
            (Some(d), _) if !self.named => Some(d.project.describe()),
            (Some(d), _) => Some(format!("{} against {}", self.loaded.file, d.project.describe())),
            (None, Some(values)) if self.named => Some(format!("{} against {}", self.loaded.file, values.files)),
            (None, Some(values)) if values.files != self.loaded.file => Some(values.files.clone()),
            _ => None,
        };
        Context {
            compared: self.compared(),
            scraped: self.deployment.as_ref().map_or(&[], |d| &d.scraped),
            alert_rules: self.deployment.as_ref().map_or(&[], |d| &d.alert_rules),
            observed,
            read,
            unknown_values_keys: self.values.as_ref().map_or(&[], |v| &v.unknown_keys),
            from_helm_values: self.values.is_some() && !self.named,
        }
    }

    /// A plan or preset is named (else the deployment is the plan).
    pub fn named(&self) -> bool {
        self.named
    }

    /// The deployment the plan is held against (compose files given with -f, or Helm values),
    /// when a plan or preset is named: every value it sets differently is drift.
    pub fn compared(&self) -> Option<&LoadedPlan> {
        match (&self.values, &self.deployment) {
            (Some(values), _) if self.named => Some(&values.loaded),
            (_, Some(deployment)) => deployment.compared(),
            _ => None,
        }
    }
}

/// A Kubernetes deployment: its Helm values read as a plan.
#[derive(Clone, Debug)]
pub struct ValuesDeployment {
    pub loaded: LoadedPlan,
    /// Every values file read, in order: `values.yaml + prod.yaml`.
    pub files: String,
    /// Keys no template of the chart reads.
    pub unknown_keys: Vec<UnknownKey>,
}

/// A compose deployment: the project as Compose reads it, which service plays which role, and
/// the deployment read as a plan.
#[derive(Clone, Debug)]
pub struct Deployment {
    pub project: Project,
    pub names: ServiceNames,
    pub imported: LoadedPlan,
    /// A plan or preset is held against compose files given with `-f`: every value they set
    /// differently is a drift finding.
    pub compared: bool,
    /// The API and runtime as the deployment's Prometheus scrapes them, when it scrapes them
    /// as one static target each.
    pub scraped: Vec<StaticTarget>,
    /// The deployment's Prometheus rules that use labels Flow-Like's metrics lack, or divide by
    /// Redis's maxmemory.
    pub alert_rules: Vec<RuleCheck>,
}

impl Deployment {
    /// The deployment as a plan, when the plan is compared with it.
    pub fn compared(&self) -> Option<&LoadedPlan> {
        self.compared.then_some(&self.imported)
    }
}

/// Resolves `request` in the current folder, with `shell` as the process environment.
///
/// The plan is PLAN or `--preset`, else the deployment read as a plan, else the Development
/// preset. The deployment is the `-f` files, else what Compose finds here (`COMPOSE_FILE` from
/// the shell or `.env`, then `compose.yaml` / `docker-compose.yml` and its override). A plan
/// takes the deployment's fixed ports, container names and service names, which are facts of
/// the deployment and not plan decisions.
pub fn resolve(request: &Request, shell: Environment) -> Result<Inputs, InputError> {
    let names = ServiceNames::parse(&request.services)?;
    let named = match (&request.plan, &request.preset) {
        // `--nodes` gives a Kubernetes plan its cluster, whether or not the file has one.
        (Some(path), _) => Some(load_plan_file_with(path, |plan| {
            if let (Some((nodes, cpus, memory)), Platform::Kubernetes) = (request.nodes, plan.platform) {
                plan.cluster.get_or_insert_with(Cluster::default).node_pools =
                    vec![NodePool::new("nodes", nodes, cpus, memory)];
            }
        })?),
        (None, Some(preset)) => Some(load_preset(preset)?),
        (None, None) => None,
    };
    if !request.helm_values.is_empty() || named.as_ref().is_some_and(|l| l.plan.platform == Platform::Kubernetes) {
        return resolve_kubernetes(request, named);
    }
    if let Some(flag) = request.nodes.map(|_| "--nodes").or(request.nodes_model.first_given()) {
        return Err(InputError::conflict(
            flag,
            "is for Kubernetes plans (platform: kubernetes) and Helm values; a Docker host is --host-cpus/--host-memory",
        ));
    }
    let options = ProjectOptions {
        files: request.compose_files.clone(),
        env_file: request.env_file.clone(),
        profiles: request.profiles.clone(),
        // Relative, so messages and reports name `./docker-compose.yml` as the operator knows it.
        dir: PathBuf::from("."),
    };
    let deployment = match Project::find(&options, shell)? {
        Some(project) => {
            let imported = compose::import(&project, &names)?;
            let compared = named.is_some() && !request.compose_files.is_empty();
            let scraped = compose::scrape::static_targets(&project, &names)?;
            let alert_rules = compose::alert_rules::rule_checks(&project)?;
            Some(Deployment { project, names: names.clone(), imported, compared, scraped, alert_rules })
        }
        None => None,
    };
    let mut loaded = match (named, &deployment) {
        (Some(loaded), deployment) => with_deployment_facts(loaded, deployment.as_ref()),
        (None, Some(deployment)) => deployment.imported.clone(),
        (None, None) => load_preset("development")?,
    };
    // A preset is Flow-Like's stack, not a file of the operator's: its services that share a
    // name with this stack's API, runtime or Postgres are not this stack's.
    if request.plan.is_none() && request.preset.is_some() {
        names.drop_foreign_services(&mut loaded.plan);
    }
    names.check_plan(&loaded.plan, &loaded.file)?;
    let partial = request.host_cpus.is_some() != request.host_memory.is_some();
    if partial && loaded.plan.host.is_none() {
        return Err(InputError::conflict("--host-cpus/--host-memory", "the plan has no host: give both"));
    }
    loaded.plan.set_host(request.host_cpus, request.host_memory);
    Ok(Inputs { loaded, deployment, values: None, named: request.plan.is_some() || request.preset.is_some() })
}

/// A Kubernetes plan, or the deployment its Helm values describe: the compose files in this
/// folder are not its deployment.
fn resolve_kubernetes(request: &Request, named: Option<LoadedPlan>) -> Result<Inputs, InputError> {
    if let Some(loaded) = &named
        && loaded.plan.platform != Platform::Kubernetes
    {
        return Err(InputError::conflict(
            &loaded.file,
            "Helm values describe a Kubernetes deployment: hold them against a plan with platform: kubernetes",
        ));
    }
    if !request.compose_files.is_empty() {
        return Err(InputError::conflict(
            "-f",
            "a Kubernetes plan is not held against compose files: its deployment is the chart's values (--helm-values)",
        ));
    }
    if request.host_cpus.is_some() || request.host_memory.is_some() {
        return Err(InputError::conflict(
            "--host-cpus/--host-memory",
            "a Kubernetes plan has a cluster, not a host: give --nodes, --node-cpus and --node-memory",
        ));
    }
    let values = if request.helm_values.is_empty() {
        None
    } else {
        let files = request
            .helm_values
            .iter()
            .map(|path| Ok(ValuesFile { name: path.display().to_string(), text: read_text_file(path)? }))
            .collect::<Result<Vec<_>, InputError>>()?;
        let imported = kubernetes::values::import(&files)?;
        let first = files.first().map(|f| f.name.clone()).unwrap_or_default();
        let loaded = LoadedPlan {
            plan: imported.plan,
            file: first,
            locator: Locator::Deployment(imported.places),
            inherited: Default::default(),
        };
        let names = files.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(" + ");
        Some(ValuesDeployment { loaded, files: names, unknown_keys: imported.unknown_keys })
    };
    let named_plan = named.is_some();
    let mut loaded = match named {
        Some(loaded) => loaded,
        None => values
            .as_ref()
            .map(|v| v.loaded.clone())
            .ok_or_else(|| InputError::conflict("--helm-values", "no values file given"))?,
    };
    if let Some((nodes, cpus, memory)) = request.nodes {
        let pool = NodePool::new("nodes", nodes, cpus, memory);
        let cluster = loaded.plan.cluster.get_or_insert_with(Cluster::default);
        cluster.node_pools = vec![pool];
    }
    if let Some(cluster) = &mut loaded.plan.cluster {
        request.nodes_model.apply(cluster);
    }
    if loaded.plan.cluster.is_none() {
        return Err(InputError::conflict(
            "--helm-values",
            "the chart's values do not say the cluster: give --nodes N --node-cpus CPUS --node-memory SIZE, or a plan with a cluster",
        ));
    }
    // Placed where the values set it when they did (a plan's own keys were checked on load);
    // a pool-wide flag's value is the flag's.
    loaded.plan.validate().map_err(|invalid| {
        let flag = [
            (".instance_type", request.nodes_model.instance_type.is_some(), "--instance-type"),
            (".max_pods", request.nodes_model.max_pods.is_some(), "--max-pods"),
        ]
        .into_iter()
        .find(|(key, given, _)| *given && invalid.path.ends_with(key));
        if let Some((_, _, flag)) = flag {
            return InputError::conflict(flag, invalid.message.clone());
        }
        let (file, position) = loaded.locate(&invalid.path).map_or((loaded.file.as_str(), None), |(f, p)| (f, Some(p)));
        InputError::invalid(file, position, invalid.to_string())
    })?;
    Ok(Inputs { loaded, deployment: None, values, named: named_plan })
}

/// The deployment's Prometheus: where the active service running Prometheus's image publishes
/// its port 9090 (Flow-Like's `monitoring` profile, `${PROMETHEUS_PORT:-9091}`), on this host:
/// the address it is bound to, or the loopback of its family when it is bound to all.
pub fn prometheus_url(inputs: &Inputs) -> Result<String, InputError> {
    let Some(deployment) = &inputs.deployment else {
        return Err(InputError::conflict(
            "--prometheus",
            "give --prometheus URL, or run in the compose folder (or -f FILE) of a deployment whose prometheus service publishes a port",
        ));
    };
    let project = &deployment.project;
    let missing = || {
        let hint = compose::scrape::prometheus_service(project, true)
            .and_then(|(name, _)| project.profile_hint(name))
            .map_or(String::new(), |hint| format!(" (its prometheus service {hint})"));
        InputError::conflict(
            "--prometheus",
            format!(
                "the deployment has no running prometheus service that publishes its port 9090{hint}: give --prometheus URL"
            ),
        )
    };
    let (name, service) = compose::scrape::prometheus_service(project, false).ok_or_else(missing)?;
    let facts = compose::service_facts(project, name, service)?;
    let binding = facts.ports.iter().find(|p| p.target == 9090 && p.published.is_some()).ok_or_else(missing)?;
    // A range publishes the first free port of it: the first is the likely one.
    let published = binding.published.as_deref().unwrap_or_default();
    let port = published.split('-').next().unwrap_or(published);
    let host = match binding.host_ip.as_deref().map(|ip| ip.trim_matches(['[', ']'])) {
        None | Some("" | "0.0.0.0") => "127.0.0.1".to_string(),
        Some("::") => "[::1]".to_string(),
        Some(ip) if ip.contains(':') => format!("[{ip}]"),
        Some(ip) => ip.to_string(),
    };
    Ok(format!("http://{host}:{port}"))
}

/// `loaded` with the deployment's fixed ports, container names and service names, which are
/// facts of the deployment and not plan decisions: every plan held against a deployment takes
/// them, the one named on the command line and each preset the planner switches to.
pub fn with_deployment_facts(mut loaded: LoadedPlan, deployment: Option<&Deployment>) -> LoadedPlan {
    if let Some(deployment) = deployment {
        loaded.inherit_deployment_facts(&deployment.imported);
    }
    loaded
}

/// The deployment read again with the override just written at `output`: its files as they
/// were found (Compose's own discovery finds a `docker-compose.override.yml` beside them; any
/// other name is added last, as `-f` would), the same roles, profiles and variables.
pub fn with_override(deployment: &Deployment, output: &Path, shell: Environment) -> Result<Deployment, InputError> {
    let project = &deployment.project;
    let mut options = project.options.clone();
    let mut files: Vec<PathBuf> = project.files.iter().map(|file| PathBuf::from(&file.name)).collect();
    if !files.iter().any(|f| same_file(f, output)) {
        files.push(output.to_path_buf());
    }
    options.files = files;
    let project = Project::find(&options, shell)?
        .ok_or_else(|| InputError::conflict(output.display().to_string(), "the deployment's files are gone"))?;
    let imported = compose::import(&project, &deployment.names)?;
    let scraped = compose::scrape::static_targets(&project, &deployment.names)?;
    let alert_rules = compose::alert_rules::rule_checks(&project)?;
    Ok(Deployment {
        project,
        names: deployment.names.clone(),
        imported,
        compared: deployment.compared,
        scraped,
        alert_rules,
    })
}

/// The override (and balancer configs) that make `plan` real over `deployment`, written at
/// `output`: the same for `flowcap export` and the planner's `e`. The base is the deployment
/// without `output` itself, which is the file about to be replaced.
pub fn export(
    plan: &Plan,
    plan_source: &str,
    deployment: Option<&Deployment>,
    output: &Path,
    pgtune: bool,
) -> Result<Export, InputError> {
    if plan.platform == Platform::Kubernetes {
        return Err(InputError::conflict(
            "export",
            "a Kubernetes plan is made real with Helm values, not a compose override: flowcap export --helm",
        ));
    }
    let Some(deployment) = deployment else {
        return Err(InputError::conflict(
            "export",
            "an override is written over the deployment's compose files, and none were given or found here: give -f FILE",
        ));
    };
    refuse_inputs(output, Some(plan_source), Some(deployment), true, &[])?;
    let without_output = deployment.project.without(output)?;
    let base = without_output.as_ref().unwrap_or(&deployment.project);
    let options = ExportOptions { plan_source: plan_source.to_string() };
    let mut plan = plan.clone();
    plan.postgres.pgtune |= pgtune;
    if plan.postgres.pgtune && !plan.postgres.external && PostgresMemory::of(&plan, 0).pgtune.is_none() {
        return Err(InputError::conflict(
            "--pgtune",
            "PGTune sizes for the memory Postgres may use, and the plan gives none: set postgres.limits.memory or \
             give --host-memory",
        ));
    }
    compose::export(&plan, base, &deployment.names, output, &options)
}

/// The Helm values that make a Kubernetes `plan` real, to be written at `output`, and the
/// `helm upgrade` line that applies them after the operator's own values (`read`, the
/// `--helm-values` files): the same for `flowcap export --helm` and the planner's `e`. Never
/// over the plan or an operator's values file (values flowcap wrote may be re-exported).
pub fn export_values(
    plan: &Plan,
    plan_source: &str,
    output: &Path,
    read: &[PathBuf],
) -> Result<(String, String), InputError> {
    if plan.platform != Platform::Kubernetes {
        return Err(InputError::conflict(
            "--helm",
            "Helm values are written from a Kubernetes plan (platform: kubernetes, with a cluster)",
        ));
    }
    refuse_inputs(output, Some(plan_source), None, false, &operators_values(read))?;
    let header =
        format!("{WRITTEN_BY} from {plan_source}. Helm values for Flow-Like's chart: pass them last, after your own.");
    // The operator's own values, for what the export must remove of theirs.
    let theirs = read
        .iter()
        .filter(|f| !same_file(f, output))
        .map(|path| Ok(ValuesFile { name: path.display().to_string(), text: read_text_file(path)? }))
        .collect::<Result<Vec<_>, InputError>>()?;
    let text = kubernetes::export::values_text(plan, &header, &kubernetes::values::merged(&theirs)?)?;
    // The operator's own values (and the chart's secrets) come first, flowcap's last.
    let own: Vec<String> = if read.is_empty() {
        vec!["values.yaml".into(), "values-secrets.yaml".into()]
    } else {
        read.iter().filter(|f| !same_file(f, output)).map(|f| f.display().to_string()).collect()
    };
    let files: Vec<String> = own.iter().map(|f| format!("-f {f}")).collect();
    let apply = format!("helm upgrade --install RELEASE CHART {} -f {}", files.join(" "), output.display());
    Ok((text, apply))
}

/// The `--helm-values` files that are the operator's own (not values flowcap wrote, which it
/// may write again): never written over.
pub fn operators_values(read: &[PathBuf]) -> Vec<PathBuf> {
    read.iter().filter(|f| !written_by_flowcap(f)).cloned().collect()
}

/// Refuses to write `output` over a file the command reads: the plan (when given), the
/// variables file, the services' env_files and the files read through include and extends
/// always, the `-f` compose files too unless `compose_allowed` (an override flowcap wrote is
/// read and then replaced; [`crate::io::write::ensure_replaceable`] decides whether it may be).
pub fn refuse_inputs(
    output: &Path,
    plan_file: Option<&str>,
    deployment: Option<&Deployment>,
    compose_allowed: bool,
    helm_values: &[PathBuf],
) -> Result<(), InputError> {
    let same = |input: &Path| same_file(input, output);
    let mut inputs: Vec<(PathBuf, &str)> = plan_file.map(|p| (PathBuf::from(p), "the plan")).into_iter().collect();
    inputs.extend(helm_values.iter().map(|f| (f.clone(), "a Helm values file")));
    if let Some(deployment) = deployment {
        let options = &deployment.project.options;
        let project = &deployment.project;
        if let Some(env_file) = &project.env_file {
            inputs.push((PathBuf::from(env_file), "the variables file"));
        }
        // Files read through include and extends, and every service's env_file.
        inputs.extend(project.other_sources.iter().map(|f| (PathBuf::from(&f.name), "a compose file")));
        inputs.extend(project.env_files().into_iter().map(|f| (f, "an env_file")));
        if !compose_allowed {
            inputs.extend(options.files.iter().map(|f| (f.clone(), "a compose file")));
        }
    }
    match inputs.iter().find(|(input, _)| same(input)) {
        Some((_, what)) => Err(InputError::unwritable(
            output.display().to_string(),
            format!("is {what} this command reads; write to another file"),
        )),
        None => Ok(()),
    }
}
