//! The `gridplan` command: parse arguments, run, print the error chain, set the exit code.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = gridplan_cli::Cli::parse();
    match gridplan_cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[path = "cli/mod.rs"]
mod gridplan_cli;
