//! What each command does, on top of the core. `main.rs` only parses and dispatches.

use crate::cli::{
    CheckArgs, Cli, ExportArgs, FormatArg, InitArgs, ObserveArgs, ObserveFormat, PlanArgs, PrometheusArgs, SolveArgs,
};
use flowcap::analysis::rules::RULES;
use flowcap::analysis::solve::Outcome;
use flowcap::inputs::{self, Inputs, Request};
use flowcap::io::error::InputError;
use flowcap::io::text::{one_line, shell_word, terminal_safe};
use flowcap::io::write::{ROFF_WRITTEN_BY, retire, write_all_safely, write_file_safely};
use flowcap::model::edit::PlanEdit;
use flowcap::model::load::LoadedPlan;
use flowcap::model::observed::Observed;
use flowcap::platform::compose::Environment;
use flowcap::report::Report;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Bad input: the file, line and column are in the message.
const EXIT_BAD_INPUT: u8 = 2;
/// `--check` found something at or above the fail level; `solve` found nothing that fits.
const EXIT_FINDINGS: u8 = 1;

fn bad_input(error: &InputError) -> ExitCode {
    tell(&format!("error: {}", one_line(&error.to_string())));
    ExitCode::from(EXIT_BAD_INPUT)
}

/// [`bad_input`], and with `--format json` the reason on stdout too, for tools that parse it.
fn bad_input_as(json: bool, error: &InputError) -> ExitCode {
    if json {
        print(&json_error(error));
    }
    bad_input(error)
}

/// Bad input as a JSON object: `{"error": {"kind", "file", "line", "column", "message"}}`.
fn json_error(error: &InputError) -> String {
    let at = error.location();
    let value = serde_json::json!({
        "error": { "kind": error.kind(), "file": at.file, "line": at.line, "column": at.column, "message": error.message() }
    });
    format!("{value:#}\n")
}

/// A line on stderr, terminal-safe. A stderr that cannot be written (a full disk) is not worth
/// a panic: the exit code still tells.
fn tell(line: &str) {
    let _ = writeln!(io::stderr().lock(), "{}", terminal_safe(line));
}

/// The human report in colour: escaped for the terminal first, so only flowcap's own codes
/// reach it.
fn print_coloured(text: &str) {
    write_out(&flowcap::report::colour::colour_human(&terminal_safe(text)));
}

/// Writes to stdout. A closed pipe (`flowcap ... | head`) ends quietly; any other write error
/// (a full disk, `/dev/full`) is exit 2, so a report that was never written cannot pass CI.
fn print(text: &str) {
    write_out(&terminal_safe(text));
}

/// Writes `text` as it is to stdout (see [`print`]).
fn write_out(text: &str) {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => {}
        Err(error) => {
            tell(&format!("error: cannot write the output: {error}"));
            std::process::exit(EXIT_BAD_INPUT.into());
        }
    }
}

impl PlanArgs {
    fn request(&self) -> Request {
        Request {
            plan: self.plan.clone(),
            preset: self.preset.clone(),
            compose_files: self.compose.clone(),
            env_file: self.env_file.clone(),
            profiles: self.profiles.clone(),
            services: self.services.clone(),
            host_cpus: self.host_cpus,
            host_memory: self.host_memory,
            helm_values: self.helm_values.clone(),
            nodes: self.nodes.zip(self.node_cpus).zip(self.node_memory).map(|((n, c), m)| (n, c, m)),
            nodes_model: flowcap::inputs::NodesModel {
                provider: self.provider,
                max_pods: self.max_pods,
                instance_type: self.instance_type.clone(),
                daemonset_cpus: self.daemonset_cpus,
                daemonset_memory: self.daemonset_memory,
                daemonset_pods: self.daemonset_pods,
            },
        }
    }
}

/// A check of nothing would pass and hide a missing file in CI.
fn something_to_check(args: &CheckArgs, inputs: Inputs) -> Result<Inputs, InputError> {
    let named = args.source.plan.is_some() || args.source.preset.is_some();
    if args.check && !named && inputs.deployment.is_none() && inputs.values.is_none() {
        return Err(InputError::conflict(
            "--check",
            format!(
                "nothing to check: give PLAN, --preset NAME or -f FILE (no compose file here: looked for {})",
                flowcap::platform::compose::project::DEFAULT_FILES.join(", ")
            ),
        ));
    }
    Ok(inputs)
}

/// The one way in, for every command.
fn start(args: &PlanArgs) -> Result<Inputs, InputError> {
    inputs::resolve(&args.request(), Environment::from_process())
}

pub fn check(args: &CheckArgs) -> ExitCode {
    let read = start(&args.source).and_then(|inputs| something_to_check(args, inputs)).and_then(|inputs| {
        let observed = match (&args.prometheus.prometheus, args.prometheus.without_prometheus()) {
            (Some(url), _) => Some(observation(&args.prometheus, url, &inputs)?),
            (None, Some(flag)) => {
                return Err(InputError::conflict(flag, "reads the deployment's Prometheus: give --prometheus URL too"));
            }
            (None, None) => None,
        };
        Ok((inputs, observed))
    });
    let (inputs, observed) = match read {
        Ok(read) => read,
        Err(error) => return bad_input_as(matches!(args.format, Some(FormatArg::Json)), &error),
    };
    let interactive = !args.check && args.format.is_none() && io::stdin().is_terminal() && io::stdout().is_terminal();
    if interactive {
        let host_given = args.source.host_cpus.is_some() || args.source.host_memory.is_some();
        let named = inputs.named();
        let values = inputs.values.map(|deployment| flowcap::tui::state::Values {
            deployment,
            read: args.source.helm_values.clone(),
            named,
        });
        let color = args.color.wanted(true);
        return match flowcap::tui::run(inputs.loaded, inputs.deployment, values, observed, host_given, color) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                tell(&format!("error: terminal: {error}"));
                ExitCode::FAILURE
            }
        };
    }
    let report = Report::in_context(&inputs.loaded, args.fail_on.into(), inputs.context(observed.as_ref()));
    let format = args.format.unwrap_or(FormatArg::Human);
    let text = report.render(format.into());
    if matches!(format, FormatArg::Human) && args.color.wanted(io::stdout().is_terminal()) {
        print_coloured(&text);
    } else {
        print(&text);
    }
    let code = if args.check && report.summary.failed { ExitCode::from(EXIT_FINDINGS) } else { ExitCode::SUCCESS };
    // Findings about the pools: their fixes add nodes.
    let sizes_the_pool = report.findings.iter().any(|f| f.finding.path.starts_with("cluster.node_pools"));
    if let Some(nodes) = args.source.nodes.filter(|_| sizes_the_pool) {
        let edits = report.findings.iter().flat_map(|f| &f.finding.changes);
        tell(&nodes_flag_note(nodes, edits));
    }
    // A report printed without --check says FAIL and exits 0: say why, where scripts look.
    if !args.check && report.summary.failed {
        tell("note: a report, not a check: it exits 0; with --check the same findings exit 1");
    }
    // The process ends here: freeing the parsed compose tree node by node would only cost time.
    std::mem::forget((inputs, report));
    code
}

/// The cluster came from `--nodes`, which replaces a plan's: the fixes' `cluster.node_pools`
/// keys are that flag here; the count the fixes' edits set, where they set one, is named.
fn nodes_flag_note<'a>(nodes: u32, edits: impl Iterator<Item = &'a PlanEdit>) -> String {
    let count = edits.filter_map(|edit| if let PlanEdit::PoolNodes(0, n) = edit { Some(*n) } else { None }).max();
    let count = count.map_or(String::new(), |n| format!(" (the most a fix here sets: --nodes {n})"));
    format!(
        "note: the cluster is --nodes {nodes}'s: where a fix adds nodes to cluster.node_pools, give the count to --nodes{count}; \
         max_nodes (the cluster autoscaler's) has no flag: write the cluster in a plan (flowcap init --helm-values … -o plan.yaml)"
    )
}

/// What the deployment's Prometheus at `url` saw over the window, against the plan's slots.
fn observation(args: &PrometheusArgs, url: &str, inputs: &Inputs) -> Result<Observed, InputError> {
    let end = args.end.unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs() as f64)
    });
    let window = flowcap::model::observed::Window {
        end,
        seconds: args.window.unwrap_or(7 * 86_400),
        step: args.step.unwrap_or(300),
    };
    let timeout = std::time::Duration::from_secs(args.timeout.unwrap_or(10));
    let ca = args.prometheus_ca.as_deref();
    let prometheus = flowcap::observe::Prometheus::new(url, timeout, ca, |name| std::env::var(name).ok())?;
    let source = inputs.context(None).read.unwrap_or_else(|| inputs.loaded.file.clone());
    flowcap::observe::observe(&prometheus, window, &inputs.loaded.plan, &source)
}

pub fn diff(args: &PlanArgs) -> ExitCode {
    match start(args) {
        Ok(inputs) => match inputs.compared() {
            Some(deployed) => {
                print(&flowcap::report::drift::render(&flowcap::analysis::drift::compare_deployment(
                    deployed,
                    &inputs.loaded.plan,
                )));
                ExitCode::SUCCESS
            }
            None => bad_input(&InputError::conflict(
                "diff",
                "needs a plan (PLAN or --preset) and the deployment (-f FILE, or --helm-values FILE)",
            )),
        },
        Err(error) => bad_input(&error),
    }
}

pub fn explain(args: &PlanArgs) -> ExitCode {
    match start(args) {
        Ok(start) => {
            print(&flowcap::report::explain::render(&start.loaded.plan));
            ExitCode::SUCCESS
        }
        Err(error) => bad_input(&error),
    }
}

pub fn solve(args: &SolveArgs) -> ExitCode {
    if let Err(error) = refuse_stdout("--write", args.write.as_deref(), "the report") {
        return bad_input(&error);
    }
    let loaded = match start(&args.source) {
        Ok(start) => start.loaded,
        Err(error) => return bad_input(&error),
    };
    let outcome = flowcap::analysis::solve::solve(&loaded.plan);
    print(&flowcap::report::solve::render(&loaded.plan, &outcome));
    if let (Some(nodes), Outcome::Cluster(sizing)) = (args.source.nodes, &outcome) {
        let edits = sizing.changes(&loaded.plan);
        if edits.iter().any(|e| matches!(e, PlanEdit::PoolNodes(..) | PlanEdit::PoolMaxNodes(..))) {
            tell(&nodes_flag_note(nodes, edits.iter()));
        }
    }
    match outcome {
        // Helm values alone carry no workload: the plan written from them can.
        Outcome::NoWorkload
            if args.source.plan.is_none() && args.source.preset.is_none() && !args.source.helm_values.is_empty() =>
        {
            bad_input(&InputError::conflict(
                &loaded.file,
                "Helm values carry no workload to solve for: write a plan from them (flowcap init --helm-values FILE \
                 --nodes N --node-cpus C --node-memory M -o plan.yaml), add a workload to it, and solve that plan",
            ))
        }
        Outcome::NoWorkload => bad_input(&InputError::conflict(&loaded.file, "has no workload section to solve for")),
        Outcome::NoSolution { .. } => ExitCode::from(EXIT_FINDINGS),
        Outcome::AlreadyMet(_) => {
            if let Some(path) = &args.write {
                tell(&format!("nothing to change: {} not written", path.display()));
            }
            ExitCode::SUCCESS
        }
        Outcome::Solved(_) | Outcome::Cluster(_) => {
            let Some(path) = &args.write else { return ExitCode::SUCCESS };
            let sized = match &outcome {
                Outcome::Cluster(sizing) => sizing.apply(&loaded.plan),
                Outcome::Solved(candidates) => candidates[0].apply(&loaded.plan),
                _ => loaded.plan.clone(),
            };
            let plan = loaded.to_save(&sized);
            let note = format!("solve from {}: the recommended change applied.", loaded.file);
            match plan.to_file_text(&note).and_then(|text| write_file_safely(path, &text, args.force)) {
                Ok(()) => {
                    tell(&format!("wrote {}", path.display()));
                    ExitCode::SUCCESS
                }
                Err(error) => bad_input(&error),
            }
        }
    }
}

pub fn export(args: &ExportArgs) -> ExitCode {
    match write_export(args) {
        Ok(written) => {
            for path in written {
                tell(&format!("wrote {}", path.display()));
            }
            ExitCode::SUCCESS
        }
        Err(error) => bad_input(&error),
    }
}

fn write_export(args: &ExportArgs) -> Result<Vec<PathBuf>, InputError> {
    refuse_stdout("--save-plan", args.save_plan.as_deref(), "the export")?;
    let Inputs { loaded, deployment, .. } = start(&args.source)?;
    if args.helm {
        return write_helm_values(args, &loaded);
    }
    let export = inputs::export(&loaded.plan, &loaded.file, deployment.as_ref(), &args.output, args.pgtune)?;
    // Known to be a compose export only now (a Kubernetes plan is told to use --helm).
    if is_stdout(&args.output) {
        return Err(InputError::conflict(
            "--output",
            "-: the override is a file Compose reads beside the others, with a load balancer's config beside it where it needs one: give its path, e.g. docker-compose.override.yml",
        ));
    }
    if args.pgtune && loaded.plan.postgres.external {
        tell(
            "note: --pgtune: the database is managed (postgres.external): its settings are its provider's, and none of PGTune's are written",
        );
    }
    let mut files = export.files.clone();
    if let Some(path) = &args.save_plan {
        // The plan itself may be saved over: that is updating it (a file flowcap did not
        // write still needs --force).
        inputs::refuse_inputs(path, None, deployment.as_ref(), false, &[])?;
        let plan = loaded.to_save(&export.plan);
        files.push((path.clone(), plan.to_file_text(&format!("export from {}.", loaded.file))?));
    }
    // What changes is told once it is written.
    let written = write_all_safely(&files, args.force)?;
    retire(&export.retired)?;
    print(&export.summary());
    tell(&format!("apply with: {}", export.apply));
    Ok(written)
}

/// `-o -`: standard output, as `helm -f -` reads standard input.
fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// A plan to write beside what takes standard output (`taken_by`) goes to a file, not to `-`.
fn refuse_stdout(flag: &str, path: Option<&Path>, taken_by: &str) -> Result<(), InputError> {
    match path {
        Some(path) if is_stdout(path) => Err(InputError::conflict(
            flag,
            format!("-: {taken_by} goes to standard output; give a file for the plan, e.g. {flag} plan.yaml"),
        )),
        _ => Ok(()),
    }
}

/// `export --helm`: the chart's values for a Kubernetes plan.
fn write_helm_values(args: &ExportArgs, loaded: &LoadedPlan) -> Result<Vec<PathBuf>, InputError> {
    let read = &args.source.helm_values;
    let (text, apply) = inputs::export_values(&loaded.plan, &loaded.file, &args.output, read)?;
    let stdout = is_stdout(&args.output);
    let mut files = if stdout { Vec::new() } else { vec![(args.output.clone(), text.clone())] };
    if let Some(path) = &args.save_plan {
        inputs::refuse_inputs(path, None, None, false, &inputs::operators_values(read))?;
        let plan = loaded.to_save(&loaded.plan);
        files.push((path.clone(), plan.to_file_text(&format!("export from {}.", loaded.file))?));
    }
    // Printed first: where standard output fails, flowcap exits 2 before writing the plan.
    if stdout {
        print(&text);
    }
    let written = write_all_safely(&files, args.force)?;
    for key in flowcap::platform::kubernetes::export::unrendered_placement(&loaded.plan) {
        tell(&format!("note: {key}: the chart has no values key for it: not written"));
    }
    tell(&format!("{}: {apply}", if stdout { "pipe it into" } else { "apply with" }));
    // flowcap knows only the values files it read: a secrets file kept apart stays the
    // operator's to add.
    if !read.is_empty() {
        tell("note: give helm every other values file you pass it too (your secrets), in your order, before flowcap's");
    }
    Ok(written)
}

pub fn observe(args: &ObserveArgs) -> ExitCode {
    let fail = |error: &InputError| bad_input_as(matches!(args.format, ObserveFormat::Json), error);
    if let Err(error) = refuse_stdout("--save-plan", args.save_plan.as_deref(), "the report") {
        return fail(&error);
    }
    let inputs = match start(&args.source) {
        Ok(inputs) => inputs,
        Err(error) => return fail(&error),
    };
    let url = match args.prometheus.prometheus.clone().map_or_else(|| inputs::prometheus_url(&inputs), Ok) {
        Ok(url) => url,
        Err(error) => return fail(&error),
    };
    // Figures scraped from one replica of several are that replica's: say so.
    let scraped = inputs.deployment.as_ref().map_or(&[][..], |d| &d.scraped);
    for located in flowcap::report::scrape_findings(scraped, &inputs.loaded.plan) {
        let at = format!("{}:{}:{}", located.file, located.line.unwrap_or(1), located.column.unwrap_or(1));
        tell(&format!(
            "warning: {at}: {} (fix: {})",
            located.finding.message,
            located.finding.fix.as_deref().unwrap_or("")
        ));
    }
    match observation(&args.prometheus, &url, &inputs) {
        Ok(observed) => {
            print(&match args.format {
                ObserveFormat::Human => flowcap::report::observed::render(&observed),
                ObserveFormat::Json => format!("{}\n", serde_json::to_string_pretty(&observed).unwrap_or_default()),
            });
            let Some(path) = &args.save_plan else { return ExitCode::SUCCESS };
            // The plan with the measured peak as its workload, so --check and solve size for it.
            let plan = flowcap::model::observed::with_observed_workload(&inputs.loaded.plan, &observed);
            let note = format!("observe from {}: the workload is the observed peak.", inputs.loaded.file);
            let valid = plan
                .validate()
                .map_err(|invalid| InputError::invalid(path.display().to_string(), None, invalid.to_string()));
            let written = valid
                .and_then(|()| inputs::refuse_inputs(path, None, inputs.deployment.as_ref(), false, &[]))
                .and_then(|()| inputs.loaded.to_save(&plan).to_file_text(&note))
                .and_then(|text| write_file_safely(path, &text, args.force));
            match written {
                Ok(()) => {
                    tell(&format!("wrote {}", path.display()));
                    ExitCode::SUCCESS
                }
                // The report is out already: the reason goes to stderr alone.
                Err(error) => bad_input(&error),
            }
        }
        Err(error) => fail(&error),
    }
}

pub fn init(args: &InitArgs) -> ExitCode {
    match write_init(args) {
        Ok(next) => {
            if is_stdout(&args.output) {
                tell(&format!("next: save it as PLAN, then {next}"));
            } else {
                tell(&format!("wrote {}", args.output.display()));
                tell(&format!("next: {next}"));
            }
            ExitCode::SUCCESS
        }
        Err(error) => bad_input(&error),
    }
}

/// Writes the starter plan; returns the command that checks the deployment against it.
fn write_init(args: &InitArgs) -> Result<String, InputError> {
    let inputs = start(&args.source)?;
    let read = &args.source.helm_values;
    inputs::refuse_inputs(&args.output, None, inputs.deployment.as_ref(), false, &inputs::operators_values(read))?;
    let loaded = &inputs.loaded;
    // Printed (`-o -`), the plan is wherever the operator saves it.
    let output = if is_stdout(&args.output) { "PLAN".to_string() } else { shell_word(&args.output.to_string_lossy()) };
    let note = format!(
        "init from {}. Every key is optional; `flowcap explain {output}` shows each default and where it comes from.",
        inputs.context(None).read.unwrap_or_else(|| loaded.file.clone()),
    );
    let plan = loaded.to_save(&loaded.plan).without_deployment_facts();
    let text = plan.to_file_text(&note)?;
    if is_stdout(&args.output) {
        print(&text);
    } else {
        write_file_safely(&args.output, &text, args.force)?;
    }
    // What names the deployment on the next command line: its files, profiles and roles.
    let mut deployment_args = String::new();
    if let Some(deployment) = &inputs.deployment {
        for file in &deployment.project.options.files {
            deployment_args.push_str(&format!(" -f {}", shell_word(&file.to_string_lossy())));
        }
        // The profiles on, and the one that starts the exporter when the plan runs monitoring.
        let mut profiles = deployment.project.profiles.clone();
        let exporter = deployment.names.get(flowcap::platform::compose::Role::Exporter);
        if loaded.plan.monitoring
            && let Some(first) = deployment.project.hidden_by(exporter).and_then(|p| p.into_iter().next())
        {
            profiles.push(first);
        }
        for profile in &profiles {
            deployment_args.push_str(&format!(" --profile {}", shell_word(profile)));
        }
        for service in &args.source.services {
            deployment_args.push_str(&format!(" --service {}", shell_word(service)));
        }
    }
    for file in read {
        deployment_args.push_str(&format!(" --helm-values {}", shell_word(&file.to_string_lossy())));
    }
    let named = args.source.plan.is_some() || args.source.preset.is_some();
    // A plan that is not (yet) the deployment: what would change, then the override.
    let next = match &inputs.deployment {
        Some(_) if named => format!(
            "flowcap diff {output}{deployment_args} shows what the deployment would change; flowcap export {output} -o docker-compose.override.yml makes it real"
        ),
        _ => format!("flowcap --check {output}{deployment_args}"),
    };
    Ok(next)
}

pub fn completions(shell: clap_complete::Shell) -> ExitCode {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut <Cli as clap::CommandFactory>::command(), "flowcap", &mut script);
    print(&String::from_utf8_lossy(&script));
    ExitCode::SUCCESS
}

/// The exit status section of the manual page: the codes every command shares.
const EXIT_STATUS: &str = r#".SH "EXIT STATUS"
.TP
\fB0\fR
Success: --check found nothing at or above --fail-on; solve found a change or none is needed.
.TP
\fB1\fR
--check found something at or above --fail-on; solve found nothing that fits.
.TP
\fB2\fR
Bad input, with its file:line:column: a file that cannot be read or parsed, a value out of
range, inputs that contradict each other, a Prometheus that cannot be read, an output that
cannot be written.
"#;

pub fn man(dir: Option<&Path>) -> ExitCode {
    let mut command = <Cli as clap::CommandFactory>::command().disable_help_subcommand(true);
    command.build();
    let mut pages: Vec<(String, String)> = Vec::new();
    let mut commands = vec![command];
    while let Some(command) = commands.pop() {
        commands.extend(command.get_subcommands().filter(|s| !s.is_hide_set()).cloned());
        let man = clap_mangen::Man::new(command);
        let mut page = Vec::new();
        if let Err(error) = man.render(&mut page) {
            tell(&format!("error: cannot render the manual page: {error}"));
            return ExitCode::FAILURE;
        }
        let mut page = String::from_utf8_lossy(&page).into_owned();
        if pages.is_empty() {
            page.push_str(EXIT_STATUS);
        }
        pages.push((man.get_filename(), page));
    }
    let Some(dir) = dir else {
        print(&pages[0].1);
        return ExitCode::SUCCESS;
    };
    // Marked as flowcap's, so the next install replaces them and nothing else is.
    let files: Vec<(PathBuf, String)> =
        pages.into_iter().map(|(name, page)| (dir.join(name), format!("{ROFF_WRITTEN_BY}\n{page}"))).collect();
    match write_all_safely(&files, false) {
        Ok(written) => {
            for path in written {
                tell(&format!("wrote {}", path.display()));
            }
            ExitCode::SUCCESS
        }
        Err(error) => bad_input(&error),
    }
}

pub fn rules_reference() -> ExitCode {
    let mut out = String::new();
    for rule in RULES {
        out.push_str(&format!(
            "{:<30} {:<8} {}\n{:<39} threshold: {}\n",
            rule.id,
            rule.severity,
            rule.checks,
            "",
            rule.threshold()
        ));
    }
    print(&out);
    ExitCode::SUCCESS
}
