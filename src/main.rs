mod cli;

use clap::Parser;
use cli::{CheckArgs, Cli, Command, FormatArg, PlanArgs, SolveArgs};
use flowcap::compose::{self, Environment, Project, ProjectOptions, ServiceNames};
use flowcap::error::InputError;
use flowcap::load::{LoadedPlan, load_plan_file};
use flowcap::presets::load_preset;
use flowcap::report::Report;
use flowcap::rules::RULES;
use flowcap::solve::Outcome;
use flowcap::write::write_file_safely;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Bad input: the file, line and column are in the message.
const EXIT_BAD_INPUT: u8 = 2;
/// `--check` found something at or above the fail level.
const EXIT_FINDINGS: u8 = 1;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Rules) => {
            print(&rules_reference());
            ExitCode::SUCCESS
        }
        Some(Command::Solve(args)) => solve(&args),
        Some(Command::Diff(args)) => diff(&args),
        None => check(&cli.check),
    }
}

fn bad_input(error: &InputError) -> ExitCode {
    eprintln!("error: {error}");
    ExitCode::from(EXIT_BAD_INPUT)
}

fn check(args: &CheckArgs) -> ExitCode {
    let (loaded, deployment) = match start(&args.source) {
        Ok(start) => start,
        Err(error) => return bad_input(&error),
    };
    let interactive = !args.check && args.format.is_none() && io::stdin().is_terminal() && io::stdout().is_terminal();
    if interactive {
        return match flowcap::tui::run(loaded) {
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

/// The plan to work on, and the deployment to compare it with when both are given: the plan
/// file or preset, else the compose files given or found in the current folder, else the
/// Development preset.
fn start(args: &PlanArgs) -> Result<(LoadedPlan, Option<LoadedPlan>), InputError> {
    let deployment = || -> Result<Option<LoadedPlan>, InputError> {
        // Relative, so messages and reports name `./docker-compose.yml` as the operator knows it.
        let dir = PathBuf::from(".");
        if args.compose.is_empty() && compose::discover(&dir).is_empty() {
            return Ok(None);
        }
        let options = ProjectOptions {
            files: args.compose.clone(),
            env_file: args.env_file.clone(),
            profiles: args.profiles.clone(),
            dir,
        };
        let names = ServiceNames::with_overrides(&args.services)?;
        let project = Project::load(&options, Environment::from_process())?;
        compose::import(&project, &names).map(Some)
    };
    let explicit_deployment = || if args.compose.is_empty() { Ok(None) } else { deployment() };
    // Published ports are a fact of the deployment, not a plan decision: the plan inherits them
    // so scaling a service that publishes a fixed port is caught.
    let with_ports = |mut loaded: LoadedPlan| -> Result<(LoadedPlan, Option<LoadedPlan>), InputError> {
        let deployment = explicit_deployment()?;
        if let Some(deployed) = &deployment {
            loaded.plan.inherit_published_ports(&deployed.plan);
        }
        Ok((loaded, deployment))
    };
    match (&args.plan, &args.preset) {
        (Some(path), _) => with_ports(load_plan_file(path)?),
        (None, Some(preset)) => with_ports(load_preset(preset)?),
        (None, None) => match deployment()? {
            Some(deployed) => Ok((deployed, None)),
            None => Ok((load_preset("development")?, None)),
        },
    }
}

fn diff(args: &PlanArgs) -> ExitCode {
    match start(args) {
        Ok((loaded, Some(deployment))) => {
            print(&flowcap::drift::render(&flowcap::drift::compare(&deployment.plan, &loaded.plan)));
            ExitCode::SUCCESS
        }
        Ok((_, None)) => {
            bad_input(&InputError::new("diff", "needs a plan (PLAN or --preset) and the deployment (--compose FILE)"))
        }
        Err(error) => bad_input(&error),
    }
}

fn solve(args: &SolveArgs) -> ExitCode {
    let loaded = match start(&args.source) {
        Ok((loaded, _)) => loaded,
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
            let text = format!(
                "# Written by flowcap solve from {}: the recommended change applied.\n{}",
                loaded.file,
                serde_yaml::to_string(&plan).expect("plans serialise")
            );
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

fn rules_reference() -> String {
    let mut out = String::new();
    for rule in RULES {
        out.push_str(&format!(
            "{:<30} {:<8} {}\n{:<39} threshold: {}\n",
            rule.id, rule.severity, rule.checks, "", rule.threshold
        ));
    }
    out
}

/// Writes to stdout; a closed pipe (`flowcap ... | head`) is not an error worth a panic.
fn print(text: &str) {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}
