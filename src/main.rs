//! The `gridplan` command: parse arguments, run, print the error chain, set the exit code.
//!
//! Exit codes: 0 success (also when standard output is a closed pipe, as in `gridplan inspect … | head`);
//! 1 an error in the data, the plan or the output folder, printed as one located message; 2 a bad command
//! line (clap) or an internal error — a panic is caught here and reported with the command and its inputs,
//! never as Rust's exit code 101.

use clap::Parser;
use std::process::ExitCode;
use std::sync::Mutex;

/// See Cargo.toml: mimalloc for the command's many small allocations across threads.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The message and place of the last panic, recorded by the hook instead of printed.
static PANIC: Mutex<Option<String>> = Mutex::new(None);

fn main() -> ExitCode {
    let cli = gridplan_cli::Cli::parse();
    std::panic::set_hook(Box::new(|info| {
        let message = gridplan::load::error::panic_message(info.payload());
        let place = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        if let Ok(mut slot) = PANIC.lock() {
            *slot = Some(format!("{message}{place}"));
        }
    }));
    match std::panic::catch_unwind(move || gridplan_cli::run(cli)) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) if broken_pipe(&e) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
        Err(_) => {
            let what = PANIC.lock().ok().and_then(|mut p| p.take()).unwrap_or_default();
            let args: Vec<String> = std::env::args().skip(1).collect();
            eprintln!(
                "error: internal error in `gridplan {}`: {what}\nThis is a bug in gridplan, not in your data: please report it with the command and the input files.",
                args.join(" ")
            );
            ExitCode::from(2)
        }
    }
}

/// Whether the error is standard output closed by its reader.
fn broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe))
}

#[path = "cli/mod.rs"]
mod gridplan_cli;
