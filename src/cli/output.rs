//! Opening a command's output folder: which files of the last run it reads and keeps, the notes on what
//! killed runs left, and the hidden crash points the kill tests use.

use gridplan::config::Plan;
use gridplan::render::output_dir::{OutputRules, StagedDir};
use std::path::{Path, PathBuf};

/// Environment variable naming a commit step at which the process aborts (tests of killed runs only).
const CRASH_AT: &str = "GRIDPLAN_CRASH_AT";

/// Opens `out` for `command`. A plan read from a folder inside `out` (`RUN/input/plan.toml`) keeps that
/// folder, edits included; `keep` adds files of the last run this one reads (the partition of
/// `coverage --grids RUN --out RUN`).
pub fn open(
    out: &Path,
    command: &'static str,
    plan: Option<&Plan>,
    extra_reads: Vec<PathBuf>,
    mut keep: Vec<String>,
) -> anyhow::Result<StagedDir> {
    let mut reads = plan.map(Plan::input_paths).unwrap_or_default();
    reads.extend(extra_reads);
    if let Some(folder) = plan.and_then(|p| folder_inside(&p.path, out)) {
        keep.push(folder);
    }
    let mut staged = StagedDir::open(out, &OutputRules { command, reads, keep })?;
    for note in staged.notes() {
        eprintln!("note: {note}");
    }
    if std::env::var_os(CRASH_AT).is_some() {
        staged.set_crash_hook(crash_at);
    }
    Ok(staged)
}

/// Aborts at the named step (`staged`, `manifest`, `swapped`, …); `panic:STEP` panics there instead, to
/// prove that a panic becomes a located error.
#[allow(clippy::panic, reason = "the test hook's whole point is to panic on request")]
fn crash_at(step: &str) {
    match std::env::var(CRASH_AT) {
        Ok(v) if v == step => std::process::abort(),
        Ok(v) if v.strip_prefix("panic:") == Some(step) => panic!("crash requested at {step}"),
        _ => {}
    }
}

/// `input/` when `file` is `out/input/…`: the top folder below `out` that holds it.
fn folder_inside(file: &Path, out: &Path) -> Option<String> {
    let (file, out) = (std::fs::canonicalize(file).ok()?, std::fs::canonicalize(out).ok()?);
    let rel = file.strip_prefix(&out).ok()?;
    let mut parts = rel.components();
    let first = parts.next()?;
    parts.next()?;
    Some(format!("{}/", first.as_os_str().to_string_lossy()))
}

/// Whether two paths name the same existing folder.
pub fn same_folder(a: &Path, b: &Path) -> bool {
    matches!((std::fs::canonicalize(a), std::fs::canonicalize(b)), (Ok(a), Ok(b)) if a == b)
}
