//! The commit of a run folder and the recovery of killed commits.
//!
//! **Beside the target** (the usual case) the staging folder `.NAME.gridplan-staging-PID` is swapped with the
//! target in one `renameat2(RENAME_EXCHANGE)`: before it the last good run is whole, after it the new one is.
//! The old run, now under the staging name, is then removed file by file (only files its manifest lists). A
//! kill at any point leaves either the old run or the new one in place, plus a staging folder the next run
//! removes. Where the exchange is not supported, two renames are used and the next run restores the old run
//! if a kill fell between them.
//!
//! **Inside the target** (mount points, parents that cannot be written) files are moved from
//! `.gridplan-staging-PID` into the folder under `.gridplan-journal.json`, written before the first move: a
//! kill half-way leaves the journal, and the next run (or any later one) completes the moves first.

use super::manifest::{self, Entry, MANIFEST, Manifest};
use super::{OutputError, StagedDir, at, sync_dir};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Swaps the staging folder in beside the target, then removes the old run.
pub(super) fn swap_in(dir: &mut StagedDir) -> Result<(), OutputError> {
    let parent = dir.target.parent().map(Path::to_path_buf).unwrap_or_default();
    if !dir.target.exists() {
        fs::rename(&dir.staging, &dir.target).map_err(at(&dir.target))?;
        dir.committed = true;
        sync_dir(&parent);
        return Ok(());
    }
    // The new folder takes the old one's permissions (a planner may have shared it with a group).
    if let Ok(meta) = fs::metadata(&dir.target) {
        let _ = fs::set_permissions(&dir.staging, meta.permissions());
    }
    let old = match exchange(&dir.staging, &dir.target) {
        Ok(()) => dir.staging.clone(),
        Err(e) if exchange_unsupported(&e) => {
            let name = dir.target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let old = parent.join(format!(".{name}.gridplan-old-{}", std::process::id()));
            fs::rename(&dir.target, &old).map_err(at(&dir.target))?;
            dir.step("moved-old");
            fs::rename(&dir.staging, &dir.target).map_err(at(&dir.target))?;
            old
        }
        Err(e) => return Err(OutputError::Io { path: dir.target.clone(), cause: e }),
    };
    dir.committed = true;
    sync_dir(&parent);
    dir.step("swapped");
    let ours: BTreeSet<String> = dir.previous.keys().chain(dir.kept.keys()).cloned().collect();
    let mut notes = Vec::new();
    let removed = remove_old_run(&old, &ours, &dir.target, &mut notes, &|s| dir.step(s));
    dir.notes.append(&mut notes);
    if let Err(e) = removed {
        dir.notes.push(format!(
            "the previous run's files in {} could not all be removed ({e}); the next run removes them",
            old.display()
        ));
    }
    Ok(())
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(io::Error::from)
}

#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

fn exchange_unsupported(e: &io::Error) -> bool {
    // EINVAL: the file system has no RENAME_EXCHANGE; ENOSYS: the kernel has no renameat2.
    e.kind() == io::ErrorKind::Unsupported || matches!(e.raw_os_error(), Some(22) | Some(38) | Some(95))
}

/// Removes an old run folder: the files in `ours` (listed by its manifest and checked when the run opened) and
/// the manifest. A file the planner put there while the run was going is moved back into `target`; anything
/// that cannot be is left in a visible folder, with a note.
fn remove_old_run(
    old: &Path,
    ours: &BTreeSet<String>,
    target: &Path,
    notes: &mut Vec<String>,
    step: &dyn Fn(&str),
) -> io::Result<()> {
    let entries = manifest::walk(old, &|_| false)?;
    let mut left = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        if i == entries.len() / 2 {
            step("half-removed");
        }
        let rel = entry.rel();
        let path = manifest::join(old, rel);
        match entry {
            Entry::File(_) if rel == MANIFEST || ours.contains(rel) => fs::remove_file(&path)?,
            Entry::EmptyDir(_) => {}
            _ => {
                let back = manifest::join(target, rel);
                if !back.exists() && back.parent().is_some_and(|p| fs::create_dir_all(p).is_ok()) {
                    fs::rename(&path, &back)?;
                    notes.push(format!("{rel} appeared in the folder during the run; it was left where it was"));
                } else {
                    left.push(rel.to_string());
                }
            }
        }
    }
    remove_empty_dirs(old)?;
    if old.exists() {
        let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let keep = target.with_file_name(format!("{name}.gridplan-leftover-{}", std::process::id()));
        fs::rename(old, &keep)?;
        notes.push(format!(
            "{} could not be put back into the new run (a file of the same name was written): kept in {}",
            left.join(", "),
            keep.display()
        ));
    }
    Ok(())
}

/// Removes `dir` and every folder below it that holds no file.
fn remove_empty_dirs(dir: &Path) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            remove_empty_dirs(&entry.path())?;
        }
    }
    match fs::remove_dir(dir) {
        Ok(()) => Ok(()),
        Err(_) if fs::read_dir(dir).map(|mut d| d.next().is_some()).unwrap_or(false) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Under the lock, cleans what killed runs into `target` left beside it.
pub(super) fn recover_sibling(
    target: &Path,
    parent: &Path,
    name: &str,
    notes: &mut Vec<String>,
) -> Result<(), OutputError> {
    let staging = format!(".{name}.gridplan-staging-");
    let old = format!(".{name}.gridplan-old-");
    // Written by gridplan before 0.2, which swapped with three renames.
    let legacy_staging = format!(".{name}.staging-");
    let legacy_old = format!(".{name}.old");
    let mut found: Vec<String> = fs::read_dir(parent)
        .map_err(at(parent))?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| {
            n.starts_with(&staging) || n.starts_with(&old) || n.starts_with(&legacy_staging) || *n == legacy_old
        })
        .collect();
    found.sort();
    // A last good run that survives only under an old name comes back first.
    for n in &found {
        if (n.starts_with(&old) || *n == legacy_old) && !target.exists() {
            let from = parent.join(n);
            fs::rename(&from, target).map_err(at(&from))?;
            notes.push(format!("a run was killed while replacing {name}: the last good run was restored from {n}"));
        }
    }
    for n in &found {
        let path = parent.join(n);
        if !path.exists() {
            continue;
        }
        if n.starts_with(&legacy_staging) {
            // The old swap moved the planner's files into staging before renaming: never delete it unseen.
            let keep = parent.join(format!("{name}.interrupted-run-{}", &n[legacy_staging.len()..]));
            fs::rename(&path, &keep).map_err(at(&path))?;
            notes.push(format!(
                "an interrupted run of an older gridplan left {n}; renamed {} (check it, then delete it)",
                keep.display()
            ));
            continue;
        }
        match Manifest::read(&path) {
            // A whole run (the old one after a swap, or a staged one before it): remove what it lists.
            Ok(Some(m)) => {
                let ours: BTreeSet<String> = m.files.keys().cloned().collect();
                remove_old_run(&path, &ours, target, notes, &|_| {}).map_err(at(&path))?;
            }
            // A staging folder that never got its manifest holds only that run's own files.
            Ok(None) => fs::remove_dir_all(&path).map_err(at(&path))?,
            Err(e) => return Err(OutputError::Io { path, cause: e }),
        }
        notes.push(format!("removed {n}, left by a run that was killed"));
    }
    Ok(())
}

/// The moves of an in-place commit, written before the first one.
#[derive(Debug, Serialize, Deserialize)]
struct Journal {
    /// The staging folder, inside the target.
    staging: String,
    /// Files of the last run to remove.
    remove: Vec<String>,
    /// Files to move from the staging folder into the target (the manifest last).
    add: Vec<String>,
}

/// Moves the staged files into the target under a journal.
pub(super) fn move_in(dir: &mut StagedDir, manifest: &Manifest) -> Result<(), OutputError> {
    let staging = dir.staging.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut add: Vec<String> = manifest.files.keys().filter(|k| !dir.kept.contains_key(*k)).cloned().collect();
    add.push(MANIFEST.into());
    let remove = dir.previous.keys().filter(|k| !manifest.files.contains_key(*k)).cloned().collect();
    let journal = Journal { staging, remove, add };
    let tmp = dir.target.join(".gridplan-journal.tmp");
    let bytes = serde_json::to_vec_pretty(&journal).map_err(io::Error::other)?;
    fs::write(&tmp, bytes).and_then(|()| fs::File::open(&tmp)?.sync_all()).map_err(at(&tmp))?;
    let path = dir.target.join(super::JOURNAL);
    fs::rename(&tmp, &path).map_err(at(&path))?;
    sync_dir(&dir.target);
    dir.committed = true;
    dir.step("journal");
    apply(&dir.target, &journal, &|s| dir.step(s)).map_err(at(&dir.target))
}

fn apply(target: &Path, j: &Journal, step: &dyn Fn(&str)) -> io::Result<()> {
    let staging = target.join(&j.staging);
    for rel in &j.remove {
        match fs::remove_file(manifest::join(target, rel)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    for (i, rel) in j.add.iter().enumerate() {
        if i == j.add.len() / 2 {
            step("half-moved");
        }
        let from = manifest::join(&staging, rel);
        if !from.exists() {
            continue; // moved before a kill
        }
        let to = manifest::join(target, rel);
        if let Some(p) = to.parent() {
            fs::create_dir_all(p)?;
        }
        fs::rename(&from, &to)?;
    }
    sync_dir(target);
    for rel in &j.remove {
        // Folders the removed files leave empty (charts/ of a run that wrote none this time).
        let mut p = PathBuf::from(rel);
        while p.pop() && !p.as_os_str().is_empty() {
            let _ = fs::remove_dir(target.join(&p));
        }
    }
    if staging.exists() {
        fs::remove_dir_all(&staging)?;
    }
    fs::remove_file(target.join(super::JOURNAL))
}

/// Under the lock, completes an in-place commit a kill interrupted and removes stale staging folders.
pub(super) fn recover_in_place(target: &Path, notes: &mut Vec<String>) -> Result<(), OutputError> {
    let journal = target.join(super::JOURNAL);
    if journal.exists() {
        let bytes = fs::read(&journal).map_err(at(&journal))?;
        let j: Journal = serde_json::from_slice(&bytes)
            .map_err(|e| OutputError::Io { path: journal.clone(), cause: io::Error::other(e) })?;
        apply(target, &j, &|_| {}).map_err(at(target))?;
        notes.push("a run was killed while moving its files in: its commit was completed".into());
    }
    let _ = fs::remove_file(target.join(".gridplan-journal.tmp"));
    for entry in fs::read_dir(target).map_err(at(target))? {
        let entry = entry.map_err(at(target))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(super::IN_PLACE_STAGING) {
            fs::remove_dir_all(entry.path()).map_err(at(&entry.path()))?;
            notes.push(format!("removed {name}, left by a run that was killed"));
        }
    }
    Ok(())
}
