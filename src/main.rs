mod cli;

use clap::Parser;
use cli::{CheckArgs, Cli, Command, FormatArg, PlanArgs, SolveArgs};
use flowcap::error::InputError;
use flowcap::load::{LoadedPlan, load_plan_file};
use flowcap::presets::load_preset;
use flowcap::report::Report;
use flowcap::rules::RULES;
use flowcap::solve::Outcome;
use flowcap::write::write_file_safely;
use std::io::{self, IsTerminal, Write};
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
        None => check(&cli.check),
    }
}

fn bad_input(error: &InputError) -> ExitCode {
    eprintln!("error: {error}");
    ExitCode::from(EXIT_BAD_INPUT)
}

fn check(args: &CheckArgs) -> ExitCode {
    let loaded = match start_plan(&args.source) {
        Ok(loaded) => loaded,
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
    let report = Report::new(&loaded, args.fail_on.into());
    print(&report.render(args.format.unwrap_or(FormatArg::Human).into()));
    if args.check && report.summary.failed { ExitCode::from(EXIT_FINDINGS) } else { ExitCode::SUCCESS }
}

/// The plan to start from: the file given, the preset named, or the Development preset.
fn start_plan(args: &PlanArgs) -> Result<LoadedPlan, InputError> {
    match (&args.plan, &args.preset) {
        (Some(path), _) => load_plan_file(path),
        (None, Some(preset)) => load_preset(preset),
        (None, None) => load_preset("development"),
    }
}

fn solve(args: &SolveArgs) -> ExitCode {
    let loaded = match start_plan(&args.source) {
        Ok(loaded) => loaded,
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
