mod cli;

use clap::Parser;
use cli::{CheckArgs, Cli, Command};
use flowcap::error::InputError;
use flowcap::load::{LoadedPlan, load_plan_file};
use flowcap::presets::load_preset;
use flowcap::report::Report;
use flowcap::rules::RULES;
use std::io::Write;
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
        None => check(&cli.check),
    }
}

fn check(args: &CheckArgs) -> ExitCode {
    let loaded = match start_plan(args) {
        Ok(loaded) => loaded,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    let report = Report::new(&loaded, args.fail_on.into());
    print(&report.render(args.format.into()));
    if args.check && report.summary.failed { ExitCode::from(EXIT_FINDINGS) } else { ExitCode::SUCCESS }
}

/// The plan to start from: the file given, the preset named, or the Development preset.
fn start_plan(args: &CheckArgs) -> Result<LoadedPlan, InputError> {
    match (&args.plan, &args.preset) {
        (Some(path), _) => load_plan_file(path),
        (None, Some(preset)) => load_preset(preset),
        (None, None) => load_preset("development"),
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
