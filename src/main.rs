mod cli;
mod commands;

use clap::Parser;
use cli::{Cli, Command};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Rules) => commands::rules_reference(),
        Some(Command::Solve(args)) => commands::solve(&args),
        Some(Command::Diff(args)) => commands::diff(&args),
        Some(Command::Explain(args)) => commands::explain(&args),
        Some(Command::Export(args)) => commands::export(&args),
        Some(Command::Observe(args)) => commands::observe(&args),
        Some(Command::Init(args)) => commands::init(&args),
        Some(Command::Completions { shell }) => commands::completions(shell),
        Some(Command::Man { dir }) => commands::man(dir.as_deref()),
        None => commands::check(&cli.check),
    }
}
