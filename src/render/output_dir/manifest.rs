//! `manifest.json`: the record of every file a run folder holds, with its size, SHA-256 and the command that
//! wrote it. It is how gridplan knows which files are its own: a later run replaces only files listed here
//! whose content is unchanged, and refuses a folder holding anything else.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// The manifest's file name, at the top of every run folder.
pub const MANIFEST: &str = "manifest.json";

/// One file of a run folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 of the content, hex.
    pub sha256: String,
    /// The command that wrote it (`plan`, `partition`, `coverage`, `import-osm`, `synth`).
    pub command: String,
}

/// The whole record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always "gridplan run folder": tells a reader what the folder is.
    pub what: String,
    /// Version of the gridplan that wrote the folder.
    pub gridplan: String,
    /// The command of the last run into the folder.
    pub command: String,
    /// Every file but the manifest, by path relative to the folder (`/`-separated), in sorted order.
    pub files: BTreeMap<String, FileEntry>,
}

/// What a manifest says of itself.
pub const WHAT: &str = "gridplan run folder";

impl Manifest {
    /// Reads a folder's manifest: `Ok(None)` when it has none; an error names a manifest that is not gridplan's.
    pub fn read(dir: &Path) -> io::Result<Option<Manifest>> {
        let path = dir.join(MANIFEST);
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        match serde_json::from_slice::<Manifest>(&bytes) {
            Ok(m) if m.what == WHAT => Ok(Some(m)),
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{} is not a gridplan manifest", path.display()),
            )),
        }
    }

    /// The manifest as written: pretty JSON with a final newline.
    pub fn to_bytes(&self) -> io::Result<Vec<u8>> {
        let mut v = serde_json::to_vec_pretty(self).map_err(io::Error::other)?;
        v.push(b'\n');
        Ok(v)
    }
}

/// An entry of a folder walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A regular file.
    File(String),
    /// A directory with nothing in it.
    EmptyDir(String),
    /// A symbolic link or special file (never followed).
    Other(String),
}

impl Entry {
    /// Its path relative to the folder.
    pub fn rel(&self) -> &str {
        match self {
            Entry::File(p) | Entry::EmptyDir(p) | Entry::Other(p) => p,
        }
    }
}

/// Every file, empty directory and other entry below `dir`, relative and `/`-separated, sorted; entries whose
/// top-level name `skip` accepts are left out (with all they hold).
pub fn walk(dir: &Path, skip: &dyn Fn(&str) -> bool) -> io::Result<Vec<Entry>> {
    let mut out = Vec::new();
    walk_into(dir, "", skip, &mut out)?;
    out.sort_by(|a, b| a.rel().cmp(b.rel()));
    Ok(out)
}

fn walk_into(dir: &Path, prefix: &str, skip: &dyn Fn(&str) -> bool, out: &mut Vec<Entry>) -> io::Result<()> {
    let mut names: Vec<(String, fs::FileType)> = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if prefix.is_empty() && skip(&name) {
            continue;
        }
        names.push((name, entry.file_type()?));
    }
    if names.is_empty() && !prefix.is_empty() {
        out.push(Entry::EmptyDir(prefix.trim_end_matches('/').to_string()));
    }
    for (name, kind) in names {
        let rel = format!("{prefix}{name}");
        if kind.is_dir() {
            walk_into(&dir.join(&name), &format!("{rel}/"), skip, out)?;
        } else if kind.is_file() {
            out.push(Entry::File(rel));
        } else {
            out.push(Entry::Other(rel));
        }
    }
    Ok(())
}

/// A path relative to a folder, from its `/`-separated form.
pub fn join(dir: &Path, rel: &str) -> PathBuf {
    rel.split('/').fold(dir.to_path_buf(), |p, part| p.join(part))
}

/// Size and SHA-256 of a file, streamed.
pub fn hash_file(path: &Path) -> io::Result<(u64, String)> {
    use sha2::{Digest, Sha256};
    let mut f = fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut bytes = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        bytes += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok((bytes, hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()))
}

/// SHA-256 of bytes in memory, as [`hash_file`] writes it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether a file still holds what the manifest recorded (size first, so most changes cost no hashing).
pub fn unchanged(path: &Path, entry: &FileEntry) -> io::Result<bool> {
    if fs::metadata(path)?.len() != entry.bytes {
        return Ok(false);
    }
    Ok(hash_file(path)?.1 == entry.sha256)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walk_lists_files_and_empty_dirs_sorted() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("charts/empty")).unwrap();
        fs::write(dir.path().join("b.csv"), b"x").unwrap();
        fs::write(dir.path().join("charts/a.png"), b"y").unwrap();
        fs::write(dir.path().join(".skip-me"), b"z").unwrap();
        let entries = walk(dir.path(), &|n| n.starts_with(".skip")).unwrap();
        assert_eq!(
            entries,
            vec![
                Entry::File("b.csv".into()),
                Entry::File("charts/a.png".into()),
                Entry::EmptyDir("charts/empty".into())
            ]
        );
        let (bytes, sha) = hash_file(&dir.path().join("b.csv")).unwrap();
        assert_eq!(bytes, 1);
        assert_eq!(sha, "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881");
    }
}
