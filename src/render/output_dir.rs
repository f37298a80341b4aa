//! Staged output: files are written into a sibling temporary directory, which replaces the target only
//! when everything succeeded. A failed or interrupted run leaves the previous outputs as they were.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// A directory being written; dropped without [`StagedDir::commit`], it is removed and the target untouched.
#[derive(Debug)]
pub struct StagedDir {
    target: PathBuf,
    staging: PathBuf,
    committed: bool,
}

impl StagedDir {
    /// Starts staging outputs for `target`.
    pub fn new(target: &Path) -> io::Result<StagedDir> {
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent)?;
        let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into());
        let staging = parent.join(format!(".{name}.staging-{}", std::process::id()));
        if staging.exists() {
            fs::remove_dir_all(&staging)?;
        }
        fs::create_dir_all(&staging)?;
        Ok(StagedDir { target: target.to_path_buf(), staging, committed: false })
    }

    /// Path of a file inside the staging directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.staging.join(name)
    }

    /// Writes a whole file.
    pub fn write(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        if let Some(parent) = self.path(name).parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(self.path(name), bytes)
    }

    /// Opens a buffered writer on a new file.
    pub fn create(&self, name: &str) -> io::Result<io::BufWriter<fs::File>> {
        if let Some(parent) = self.path(name).parent() {
            fs::create_dir_all(parent)?;
        }
        Ok(io::BufWriter::new(fs::File::create(self.path(name))?))
    }

    /// Replaces the target with the staged files. Files already in the target that this run did not write
    /// (a planner's notes, say) are carried over.
    pub fn commit(mut self) -> io::Result<PathBuf> {
        if self.target.exists() {
            for entry in fs::read_dir(&self.target)? {
                let entry = entry?;
                let dest = self.staging.join(entry.file_name());
                if !dest.exists() {
                    fs::rename(entry.path(), dest)?;
                }
            }
            let old = self.staging.with_extension("old");
            fs::rename(&self.target, &old)?;
            fs::rename(&self.staging, &self.target)?;
            fs::remove_dir_all(&old)?;
        } else {
            fs::rename(&self.staging, &self.target)?;
        }
        self.committed = true;
        Ok(self.target.clone())
    }
}

impl Drop for StagedDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

/// Flushes a buffered writer, turning the error into io::Error (for `?` in writers).
pub fn finish(mut w: io::BufWriter<fs::File>) -> io::Result<()> {
    w.flush()?;
    w.into_inner().map_err(|e| e.into_error())?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_run_leaves_previous_outputs() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("run");
        let s = StagedDir::new(&target).expect("stage");
        s.write("a.txt", b"first").expect("write");
        s.commit().expect("commit");
        {
            let s = StagedDir::new(&target).expect("stage");
            s.write("a.txt", b"half-written").expect("write");
            // dropped without commit: a failure
        }
        assert_eq!(fs::read(target.join("a.txt")).expect("read"), b"first");
        fs::write(target.join("notes.md"), b"mine").expect("write");
        let s = StagedDir::new(&target).expect("stage");
        s.write("a.txt", b"second").expect("write");
        s.commit().expect("commit");
        assert_eq!(fs::read(target.join("a.txt")).expect("read"), b"second");
        assert_eq!(fs::read(target.join("notes.md")).expect("read"), b"mine");
        assert_eq!(fs::read_dir(dir.path()).expect("ls").count(), 1, "no staging left behind");
    }
}
