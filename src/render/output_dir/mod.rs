//! Run folders that never lose a planner's data. A run writes into a fresh staging folder; only when every
//! file is written does it replace the last good run, in one atomic step (`renameat2(RENAME_EXCHANGE)` on
//! Linux). The folder is gridplan's own: `manifest.json` lists every file it wrote (size, SHA-256, command),
//! and a run refuses a folder holding anything else, the current folder or one of its parents. One run at a
//! time holds a folder's lock; leftovers of killed runs are recovered or removed by the next run, with a note.
//!
//! Where the folder cannot be swapped — a mount point such as a Docker volume, or a parent folder that is not
//! writable — the staging folder lives inside it and a journal makes the replacement complete on the next run
//! if this one is killed half-way (see [`commit`]).

mod commit;
mod lock;
pub mod manifest;

use lock::{LockError, RunLock};
use manifest::{Entry, FileEntry, MANIFEST, Manifest};
use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Why an output folder was not written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The folder may not be used: it is the current folder or a parent of it, holds files gridplan did not
    /// write, or holds a file this run reads.
    #[error("output folder {target}: {reason}")]
    Refused {
        /// The folder.
        target: PathBuf,
        /// Why, and what to do instead.
        reason: String,
    },
    /// Another run holds the folder's lock.
    #[error(
        "output folder {target}: another gridplan run{} is writing into it; wait for it to finish or choose another folder",
        pid.map(|p| format!(" (PID {p})")).unwrap_or_default()
    )]
    Busy {
        /// The folder.
        target: PathBuf,
        /// The other run's process id, when known.
        pid: Option<u32>,
    },
    /// A file system operation failed.
    #[error("{path}: {cause}")]
    Io {
        /// The path it failed on.
        path: PathBuf,
        /// Cause (shown in the message, so not also a `source`).
        cause: io::Error,
    },
    /// Writing an output file failed.
    #[error("writing the outputs: {0}")]
    Write(io::Error),
}

impl From<io::Error> for OutputError {
    fn from(e: io::Error) -> OutputError {
        OutputError::Write(e)
    }
}

/// Attaches the path to an io error.
pub(crate) fn at(path: &Path) -> impl Fn(io::Error) -> OutputError + '_ {
    move |cause| OutputError::Io { path: path.to_path_buf(), cause }
}

/// What a run declares about its folder.
#[derive(Debug, Clone, Default)]
pub struct OutputRules {
    /// The command (`plan`, `partition`, `coverage`, `import-osm`, `synth`), recorded per file.
    pub command: &'static str,
    /// Files this run reads. One inside the folder must be kept (see `keep`), or the run is refused: it would
    /// delete its own input.
    pub reads: Vec<PathBuf>,
    /// Files of the previous run carried into this one unchanged: exact relative paths, or folders ending in
    /// `/` (a plan read from `RUN/input/` keeps `input/`, edits included; `coverage --grids RUN --out RUN`
    /// keeps the partition files its figures are grouped by). Every other previous file is removed.
    pub keep: Vec<String>,
}

impl OutputRules {
    /// Rules for a command that reads nothing inside its folder.
    pub fn new(command: &'static str) -> OutputRules {
        OutputRules { command, ..Default::default() }
    }

    fn keeps(&self, rel: &str) -> bool {
        self.keep.iter().any(|k| if k.ends_with('/') { rel.starts_with(k.as_str()) } else { rel == k })
    }
}

/// How the finished run replaces the last one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Staging folder beside the target, swapped in atomically.
    Sibling,
    /// Staging folder inside the target (a mount point, or a parent that cannot be written), moved in file by
    /// file under a journal.
    InPlace,
}

/// A run folder being written. Dropped without [`StagedDir::commit`], the staging folder is removed and the
/// last good run is untouched.
pub struct StagedDir {
    target: PathBuf,
    staging: PathBuf,
    mode: Mode,
    command: String,
    /// Files of the last run, verified unchanged since it wrote them (these alone may be removed).
    previous: BTreeMap<String, FileEntry>,
    /// Files of the last run carried into this one (kept rules), with their current size and hash.
    kept: BTreeMap<String, FileEntry>,
    notes: Vec<String>,
    crash_hook: Option<fn(&str)>,
    committed: bool,
    // Last: the lock is released only after the staging folder is gone.
    _lock: RunLock,
}

impl std::fmt::Debug for StagedDir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StagedDir").field("target", &self.target).field("staging", &self.staging).finish()
    }
}

/// Names gridplan gives its own working files inside a folder written in place.
const IN_PLACE_LOCK: &str = ".gridplan.lock";
const JOURNAL: &str = ".gridplan-journal.json";
const IN_PLACE_STAGING: &str = ".gridplan-staging-";

fn is_in_place_artefact(name: &str) -> bool {
    name == IN_PLACE_LOCK || name == JOURNAL || name.starts_with(IN_PLACE_STAGING) || name == ".gridplan-journal.tmp"
}

impl StagedDir {
    /// Opens `target` for a run: refuses folders that are not gridplan's, takes the lock, recovers what killed
    /// runs left, and starts a fresh staging folder.
    pub fn open(target: &Path, rules: &OutputRules) -> Result<StagedDir, OutputError> {
        Self::open_mode(target, rules, false)
    }

    fn open_mode(target: &Path, rules: &OutputRules, force_in_place: bool) -> Result<StagedDir, OutputError> {
        let target = absolute_target(target)?;
        let refuse = |reason: String| OutputError::Refused { target: target.clone(), reason };
        let Some(parent) = target.parent().map(Path::to_path_buf) else {
            return Err(refuse("the root of the file system cannot be a run folder".into()));
        };
        let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let cwd = std::env::current_dir().ok().and_then(|c| fs::canonicalize(c).ok());
        if let Some(cwd) = cwd.filter(|c| c.starts_with(&target)) {
            return Err(refuse(format!(
                "it is the current folder or one of its parents ({}); a run replaces its whole folder, so choose a new folder such as {}",
                cwd.display(),
                target.join("run").display()
            )));
        }
        let exists = target.is_dir();
        if target.exists() && !exists {
            return Err(refuse("it exists and is not a folder".into()));
        }
        let mount_point = exists && (force_in_place || is_mount_point(&target, &parent));
        let mut mode = if mount_point { Mode::InPlace } else { Mode::Sibling };
        let lock = if mode == Mode::Sibling {
            match RunLock::acquire(&parent.join(format!(".{name}.gridplan.lock"))) {
                Err(LockError::Io(e))
                    if exists
                        && matches!(e.kind(), io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem) =>
                {
                    mode = Mode::InPlace;
                    RunLock::acquire(&target.join(IN_PLACE_LOCK))
                }
                other => other,
            }
        } else {
            RunLock::acquire(&target.join(IN_PLACE_LOCK))
        };
        let lock = match lock {
            Ok(l) => l,
            Err(LockError::Busy(pid)) => return Err(OutputError::Busy { target, pid }),
            Err(LockError::Io(e)) => return Err(OutputError::Io { path: target.clone(), cause: e }),
        };
        let mut notes = Vec::new();
        match mode {
            Mode::Sibling => commit::recover_sibling(&target, &parent, &name, &mut notes)?,
            Mode::InPlace => commit::recover_in_place(&target, &mut notes)?,
        }
        for read in &rules.reads {
            let Ok(read) = fs::canonicalize(read) else { continue };
            if let Ok(rel) = read.strip_prefix(&target) {
                let rel = rel.to_string_lossy().replace('\\', "/");
                if !rules.keeps(&rel) {
                    return Err(refuse(format!(
                        "this run reads {} from inside it, and replacing the folder would delete it; write the run to another folder",
                        read.display()
                    )));
                }
            }
        }
        let (previous, kept) = if target.is_dir() { scan_previous(&target, rules)? } else { Default::default() };
        let staging = match mode {
            Mode::Sibling => parent.join(format!(".{name}.gridplan-staging-{}", std::process::id())),
            Mode::InPlace => target.join(format!("{IN_PLACE_STAGING}{}", std::process::id())),
        };
        fs::create_dir(&staging).map_err(at(&staging))?;
        let dir = StagedDir {
            target,
            staging,
            mode,
            command: rules.command.to_string(),
            previous,
            kept,
            notes,
            crash_hook: None,
            committed: false,
            _lock: lock,
        };
        if dir.mode == Mode::Sibling {
            for rel in dir.kept.keys() {
                let (from, to) = (manifest::join(&dir.target, rel), manifest::join(&dir.staging, rel));
                if let Some(p) = to.parent() {
                    fs::create_dir_all(p).map_err(at(p))?;
                }
                // A hard link costs nothing and leaves the last run whole until the swap; copy where links fail.
                if fs::hard_link(&from, &to).is_err() {
                    fs::copy(&from, &to).map_err(at(&from))?;
                }
            }
        }
        Ok(dir)
    }

    /// Starts a run in a folder with no rules beyond the command (nothing read from inside it).
    pub fn new(target: &Path, command: &'static str) -> Result<StagedDir, OutputError> {
        Self::open(target, &OutputRules::new(command))
    }

    /// The folder the run will be in once committed.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// What the opening found and did (leftovers of killed runs recovered or removed), for the terminal.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The final path of a file written into the staging folder (for records that name their files).
    pub fn final_path(&self, staged: &Path) -> PathBuf {
        match staged.strip_prefix(&self.staging) {
            Ok(rel) => self.target.join(rel),
            Err(_) => staged.to_path_buf(),
        }
    }

    /// Calls `hook` with the name of each step of the commit (tests abort there to prove a kill is safe).
    pub fn set_crash_hook(&mut self, hook: fn(&str)) {
        self.crash_hook = Some(hook);
    }

    fn step(&self, name: &str) {
        if let Some(hook) = self.crash_hook {
            hook(name);
        }
    }

    /// Path of a file inside the staging directory.
    pub fn path(&self, name: &str) -> PathBuf {
        manifest::join(&self.staging, name)
    }

    /// Writes a whole file.
    pub fn write(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        let path = self.path(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(path, bytes)
    }

    /// Opens a buffered writer on a new file.
    pub fn create(&self, name: &str) -> io::Result<io::BufWriter<fs::File>> {
        let path = self.path(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        Ok(io::BufWriter::new(fs::File::create(path)?))
    }

    /// Replaces the last run with this one: writes `manifest.json`, then swaps the folders in one step. Files
    /// of the last run this run did not keep are removed; nothing else is touched.
    pub fn commit(mut self) -> Result<PathBuf, OutputError> {
        self.step("staged");
        let manifest = self.manifest()?;
        let bytes = manifest.to_bytes()?;
        let path = self.path(MANIFEST);
        let mut f = fs::File::create(&path).map_err(at(&path))?;
        f.write_all(&bytes).and_then(|()| f.sync_all()).map_err(at(&path))?;
        sync_dir(&self.staging);
        self.step("manifest");
        match self.mode {
            Mode::Sibling => commit::swap_in(&mut self)?,
            Mode::InPlace => commit::move_in(&mut self, &manifest)?,
        }
        Ok(self.target.clone())
    }

    /// The new manifest: every staged file (hashed, and synced to disk on the way) plus the kept ones.
    fn manifest(&self) -> Result<Manifest, OutputError> {
        use rayon::prelude::*;
        let entries = manifest::walk(&self.staging, &|n| n == MANIFEST).map_err(at(&self.staging))?;
        let own: Vec<String> = entries
            .iter()
            .filter_map(|e| match e {
                Entry::File(rel) if !self.kept.contains_key(rel) => Some(rel.clone()),
                _ => None,
            })
            .collect();
        let hashed: Vec<(String, FileEntry)> = own
            .into_par_iter()
            .map(|rel| {
                let path = manifest::join(&self.staging, &rel);
                fs::File::open(&path).and_then(|f| f.sync_all()).map_err(at(&path))?;
                let (bytes, sha256) = manifest::hash_file(&path).map_err(at(&path))?;
                Ok((rel, FileEntry { bytes, sha256, command: self.command.clone() }))
            })
            .collect::<Result<_, OutputError>>()?;
        let mut files: BTreeMap<String, FileEntry> = hashed.into_iter().collect();
        files.extend(self.kept.iter().map(|(k, v)| (k.clone(), v.clone())));
        Ok(Manifest {
            what: manifest::WHAT.into(),
            gridplan: env!("CARGO_PKG_VERSION").into(),
            command: self.command.clone(),
            files,
        })
    }
}

impl Drop for StagedDir {
    fn drop(&mut self) {
        if !self.committed {
            // Only this run's files (and links to kept ones) are in the staging folder.
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

/// The target as an absolute path with symbolic links resolved (its parent is created when missing).
fn absolute_target(target: &Path) -> Result<PathBuf, OutputError> {
    if target.as_os_str().is_empty() {
        return Err(OutputError::Refused { target: target.into(), reason: "no folder given".into() });
    }
    if let Ok(p) = fs::canonicalize(target) {
        return Ok(p);
    }
    let name = target
        .file_name()
        .ok_or_else(|| OutputError::Refused { target: target.into(), reason: "it does not name a folder".into() })?;
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(at(&parent))?;
    Ok(fs::canonicalize(&parent).map_err(at(&parent))?.join(name))
}

#[cfg(unix)]
fn is_mount_point(dir: &Path, parent: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (fs::metadata(dir), fs::metadata(parent)) {
        (Ok(a), Ok(b)) => a.dev() != b.dev(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn is_mount_point(_dir: &Path, _parent: &Path) -> bool {
    false
}

/// Flushes a folder's entries to disk (best effort: not every file system syncs folders).
pub(crate) fn sync_dir(dir: &Path) {
    if let Ok(f) = fs::File::open(dir) {
        let _ = f.sync_all();
    }
}

/// The last run's files: those it wrote and nobody changed since (`previous`), and those this run keeps with
/// their current content (`kept`). Anything else in the folder stops the run.
type Scan = (BTreeMap<String, FileEntry>, BTreeMap<String, FileEntry>);

fn scan_previous(target: &Path, rules: &OutputRules) -> Result<Scan, OutputError> {
    let refuse = |reason: String| OutputError::Refused { target: target.to_path_buf(), reason };
    let manifest = Manifest::read(target).map_err(|e| refuse(e.to_string()))?;
    let entries = manifest::walk(target, &|n| n == MANIFEST || is_in_place_artefact(n)).map_err(at(target))?;
    let listed = manifest.as_ref().map(|m| &m.files);
    let (mut previous, mut kept, mut foreign) = (BTreeMap::new(), BTreeMap::new(), Vec::new());
    for entry in &entries {
        match entry {
            Entry::File(rel) if rules.keeps(rel) => {
                let path = manifest::join(target, rel);
                let (bytes, sha256) = manifest::hash_file(&path).map_err(at(&path))?;
                let command = listed.and_then(|l| l.get(rel)).map_or("planner", |e| e.command.as_str()).to_string();
                kept.insert(rel.clone(), FileEntry { bytes, sha256, command });
            }
            Entry::File(rel) => match listed.and_then(|l| l.get(rel)) {
                Some(e) if manifest::unchanged(&manifest::join(target, rel), e).map_err(at(target))? => {
                    previous.insert(rel.clone(), e.clone());
                }
                Some(_) => foreign.push(format!("{rel} (changed since gridplan wrote it)")),
                None => foreign.push(rel.clone()),
            },
            Entry::EmptyDir(rel) if rules.keeps(&format!("{rel}/")) => {}
            Entry::EmptyDir(rel) => foreign.push(format!("{rel}/")),
            Entry::Other(rel) => foreign.push(format!("{rel} (a link or special file)")),
        }
    }
    if foreign.is_empty() {
        return Ok((previous, kept));
    }
    let n = foreign.len();
    foreign.truncate(5);
    let what = if manifest.is_none() {
        "it holds files gridplan did not write (no manifest.json: not a gridplan run folder, or one written before gridplan 0.2)"
    } else {
        "it holds files the last gridplan run did not write, or that were changed since"
    };
    Err(refuse(format!(
        "{what}: {}{}; a run replaces its whole folder, so move them out or choose a new folder",
        foreign.join(", "),
        if n > 5 { format!(" and {} more", n - 5) } else { String::new() }
    )))
}

/// Writes one file (not a run folder) atomically: into a temporary name beside it, then renamed over it. An
/// existing file is replaced only when `is_ours` recognises its content as gridplan's; anything else there is
/// refused, as a foreign file in a run folder is.
pub fn write_file(path: &Path, bytes: &[u8], is_ours: impl Fn(&[u8]) -> bool) -> Result<(), OutputError> {
    let refuse = |reason: &str| OutputError::Refused { target: path.to_path_buf(), reason: reason.into() };
    if path.is_dir() {
        return Err(refuse("it is a folder; name a file"));
    }
    if path.exists() && !fs::read(path).map(|b| is_ours(&b)).unwrap_or(false) {
        return Err(refuse("the file exists and gridplan did not write it; choose another name or move it away"));
    }
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.gridplan-tmp-{}", std::process::id()));
    let written = fs::File::create(&tmp).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    if let Err(e) = written.and_then(|()| fs::rename(&tmp, path)) {
        let _ = fs::remove_file(&tmp);
        return Err(OutputError::Io { path: path.to_path_buf(), cause: e });
    }
    Ok(())
}

/// Flushes a buffered writer, turning the error into io::Error (for `?` in writers).
pub fn finish(mut w: io::BufWriter<fs::File>) -> io::Result<()> {
    w.flush()?;
    w.into_inner().map_err(|e| e.into_error())?.sync_all()
}

#[cfg(test)]
mod tests;
