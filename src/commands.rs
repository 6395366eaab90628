//! What each command does, on top of the core. `main.rs` only parses and dispatches.

use crate::cli::{CheckArgs, ExportArgs, FormatArg, PlanArgs, SolveArgs};
use flowcap::io::error::InputError;
use flowcap::io::write::{write_all_safely, write_file_safely};
use flowcap::load::{LoadedPlan, load_plan_file};
use flowcap::platform::compose::{self, Environment, Project, ProjectOptions, ServiceNames};
use flowcap::presets::load_preset;
use flowcap::report::Report;
use flowcap::rules::RULES;
use flowcap::solve::Outcome;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Bad input: the file, line and column are in the message.
const EXIT_BAD_INPUT: u8 = 2;
/// `--check` found something at or above the fail level; `solve` found nothing that fits.
const EXIT_FINDINGS: u8 = 1;

fn bad_input(error: &InputError) -> ExitCode {
    eprintln!("error: {error}");
    ExitCode::from(EXIT_BAD_INPUT)
}

/// Writes to stdout; a closed pipe (`flowcap ... | head`) is not an error worth a panic.
fn print(text: &str) {
    let _ = io::stdout().lock().write_all(text.as_bytes());
}

/// The plan the operator named (PLAN or --preset), if any.
fn named_plan(args: &PlanArgs) -> Result<Option<LoadedPlan>, InputError> {
    match (&args.plan, &args.preset) {
        (Some(path), _) => load_plan_file(path).map(Some),
        (None, Some(preset)) => load_preset(preset).map(Some),
        (None, None) => Ok(None),
    }
}

/// The compose project: the files given, else `found` in the current folder; `None` when
/// there are none.
fn project(args: &PlanArgs, found: impl Fn(&Path) -> Vec<PathBuf>) -> Result<Option<Project>, InputError> {
    // Relative, so messages and reports name `./docker-compose.yml` as the operator knows it.
    let dir = PathBuf::from(".");
    let files = if args.compose.is_empty() { found(&dir) } else { args.compose.clone() };
    if files.is_empty() {
        return Ok(None);
    }
    let options = ProjectOptions { files, env_file: args.env_file.clone(), profiles: args.profiles.clone(), dir };
    Project::load(&options, Environment::from_process()).map(Some)
}

/// The compose files Compose would use in `dir`, honouring `COMPOSE_FILE`.
fn found_here(dir: &Path) -> Vec<PathBuf> {
    compose::discover(dir, std::env::var("COMPOSE_FILE").ok().as_deref())
}

/// Where a command starts.
struct Start {
    /// The plan to work on.
    loaded: LoadedPlan,
    /// The deployment to compare it with, when both a plan and compose files are given.
    deployment: Option<LoadedPlan>,
    /// The compose project read, if any: the base an export from the planner writes over.
    project: Option<Project>,
    /// Which service plays which role (`--service`).
    names: ServiceNames,
}

/// The plan file or preset, else the compose files given or found in the current folder, else
/// the Development preset.
fn start(args: &PlanArgs) -> Result<Start, InputError> {
    let mut start = plan_and_deployment(args)?;
    let partial = args.host_cpus.is_some() != args.host_memory.is_some();
    if partial && start.loaded.plan.host.is_none() {
        return Err(InputError::new("--host-cpus/--host-memory", "the plan has no host: give both"));
    }
    start.loaded.plan.set_host(args.host_cpus, args.host_memory);
    Ok(start)
}

fn plan_and_deployment(args: &PlanArgs) -> Result<Start, InputError> {
    let names = ServiceNames::with_overrides(&args.services)?;
    match named_plan(args)? {
        Some(mut loaded) => {
            let project = project(args, |_| Vec::new())?;
            let deployment = match &project {
                Some(project) => Some(compose::import(project, &names)?),
                None => None,
            };
            // Published ports are a fact of the deployment, not a plan decision: the plan
            // inherits them so scaling a service that publishes a fixed port is caught.
            if let Some(deployed) = &deployment {
                loaded.plan.inherit_published_ports(&deployed.plan);
            }
            Ok(Start { loaded, deployment, project, names })
        }
        None => match project(args, found_here)? {
            Some(project) => {
                let loaded = compose::import(&project, &names)?;
                Ok(Start { loaded, deployment: None, project: Some(project), names })
            }
            None => Ok(Start { loaded: load_preset("development")?, deployment: None, project: None, names }),
        },
    }
}

pub fn check(args: &CheckArgs) -> ExitCode {
    let Start { loaded, deployment, project, names } = match start(&args.source) {
        Ok(start) => start,
        Err(error) => return bad_input(&error),
    };
    let interactive = !args.check && args.format.is_none() && io::stdin().is_terminal() && io::stdout().is_terminal();
    if interactive {
        let deployment = project.map(|project| flowcap::tui::app::Deployment { project, names, compared: deployment });
        return match flowcap::tui::run(loaded, deployment) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("error: terminal: {error}");
                ExitCode::FAILURE
            }
        };
    }
    let mut report = Report::new(&loaded, args.fail_on.into());
    if let Some(deployment) = &deployment {
        report = report.with_drift(deployment, &loaded.plan);
    }
    print(&report.render(args.format.unwrap_or(FormatArg::Human).into()));
    if args.check && report.summary.failed { ExitCode::from(EXIT_FINDINGS) } else { ExitCode::SUCCESS }
}

pub fn diff(args: &PlanArgs) -> ExitCode {
    match start(args) {
        Ok(Start { loaded, deployment: Some(deployment), .. }) => {
            print(&flowcap::drift::render(&flowcap::drift::compare(&deployment.plan, &loaded.plan)));
            ExitCode::SUCCESS
        }
        Ok(Start { deployment: None, .. }) => {
            bad_input(&InputError::new("diff", "needs a plan (PLAN or --preset) and the deployment (--compose FILE)"))
        }
        Err(error) => bad_input(&error),
    }
}

pub fn explain(args: &PlanArgs) -> ExitCode {
    match start(args) {
        Ok(start) => {
            print(&flowcap::explain::render(&start.loaded.plan));
            ExitCode::SUCCESS
        }
        Err(error) => bad_input(&error),
    }
}

pub fn solve(args: &SolveArgs) -> ExitCode {
    let loaded = match start(&args.source) {
        Ok(start) => start.loaded,
        Err(error) => return bad_input(&error),
    };
    let outcome = flowcap::solve::solve(&loaded.plan);
    print(&flowcap::solve::render(&loaded.plan, &outcome));
    match outcome {
        Outcome::NoWorkload => bad_input(&InputError::new(&loaded.file, "has no workload section to solve for")),
        Outcome::NoSolution { .. } => ExitCode::from(EXIT_FINDINGS),
        Outcome::AlreadyMet(_) => ExitCode::SUCCESS,
        Outcome::Solved(candidates) => {
            let Some(path) = &args.write else { return ExitCode::SUCCESS };
            let plan = candidates[0].apply(&loaded.plan);
            let text = plan.to_file_text(&format!("solve from {}: the recommended change applied.", loaded.file));
            match write_file_safely(path, &text, args.force) {
                Ok(()) => {
                    eprintln!("wrote {}", path.display());
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
                eprintln!("wrote {}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(error) => bad_input(&error),
    }
}

fn write_export(args: &ExportArgs) -> Result<Vec<PathBuf>, InputError> {
    let source = &args.source;
    let names = ServiceNames::with_overrides(&source.services)?;
    let Some(loaded) = named_plan(source)? else {
        return Err(InputError::new("export", "needs a plan: PLAN or --preset NAME"));
    };
    // The base is the deployment's main file; its override is what we are about to write.
    let base = project(source, |dir| found_here(dir).into_iter().take(1).collect())?;
    let mut plan = loaded.plan.clone();
    if let Some(project) = &base {
        let deployed = compose::import(project, &names)?;
        plan.inherit_published_ports(&deployed.plan);
        print(&flowcap::drift::render(&flowcap::drift::compare(&deployed.plan, &plan)));
    }
    let mut files = compose::export_files(&plan, base.as_ref(), &names, &args.output, &loaded.file, args.pgtune);
    if let Some(path) = &args.save_plan {
        files.push((path.clone(), loaded.plan.to_file_text(&format!("export from {}.", loaded.file))));
    }
    write_all_safely(&files, args.force)
}

pub fn rules_reference() -> ExitCode {
    let mut out = String::new();
    for rule in RULES {
        out.push_str(&format!(
            "{:<30} {:<8} {}\n{:<39} threshold: {}\n",
            rule.id, rule.severity, rule.checks, "", rule.threshold
        ));
    }
    print(&out);
    ExitCode::SUCCESS
}
