//! One run per output folder: an exclusive advisory lock (`flock`) on a small lock file holding the PID. The
//! kernel drops the lock when its process dies, so a killed run never blocks the next one; the file itself is
//! removed when the run ends.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};

/// A held lock; released (and its file removed) on drop.
#[derive(Debug)]
pub struct RunLock {
    path: PathBuf,
    file: File,
}

/// Why a lock was not taken.
#[derive(Debug)]
pub enum LockError {
    /// Another process holds it: its PID when it wrote one.
    Busy(Option<u32>),
    /// The lock file could not be created or locked.
    Io(io::Error),
}

impl RunLock {
    /// Takes the lock at `path`, or says who holds it. Never waits.
    pub fn acquire(path: &Path) -> Result<RunLock, LockError> {
        // A lock file unlinked by a finishing run between our open and our lock would give two holders of two
        // files: lock, then check that the path still names the file we locked, else start again.
        for _ in 0..100 {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(path)
                .map_err(LockError::Io)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => {
                    let mut text = String::new();
                    let _ = file.read_to_string(&mut text);
                    return Err(LockError::Busy(text.trim().parse().ok()));
                }
                Err(TryLockError::Error(e)) => return Err(LockError::Io(e)),
            }
            if same_file(path, &file) {
                file.set_len(0).map_err(LockError::Io)?;
                file.rewind().map_err(LockError::Io)?;
                writeln!(file, "{}", std::process::id()).map_err(LockError::Io)?;
                file.flush().map_err(LockError::Io)?;
                return Ok(RunLock { path: path.to_path_buf(), file });
            }
        }
        Err(LockError::Io(io::Error::other(format!("{}: the lock file keeps being replaced", path.display()))))
    }
}

#[cfg(unix)]
fn same_file(path: &Path, file: &File) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (fs::metadata(path), file.metadata()) {
        (Ok(a), Ok(b)) => a.ino() == b.ino() && a.dev() == b.dev(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(path: &Path, _file: &File) -> bool {
    path.exists()
}

impl Drop for RunLock {
    fn drop(&mut self) {
        // Unlinked while still locked: a run that opened it meanwhile sees the path changed and starts again.
        if same_file(&self.path, &self.file) {
            let _ = fs::remove_file(&self.path);
        }
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_with_the_pid_and_the_file_goes_away() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".run.gridplan.lock");
        let lock = RunLock::acquire(&path).unwrap();
        match RunLock::acquire(&path) {
            Err(LockError::Busy(pid)) => assert_eq!(pid, Some(std::process::id())),
            other => panic!("expected busy, got {other:?}"),
        }
        drop(lock);
        assert!(!path.exists(), "the lock file is removed when the run ends");
        let again = RunLock::acquire(&path).unwrap();
        drop(again);
    }
}
