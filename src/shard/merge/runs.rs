//! The shard runs a merge reads: their records and manifests, the checks that they are one deal, and their
//! files read one at a time against the hashes their manifests recorded.

use super::{MergeError, rule};
use crate::load::run::csv_unescape;
use crate::shard::ShardInfo;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One shard run, read.
pub(super) struct ShardRun {
    pub(super) dir: PathBuf,
    pub(super) info: ShardInfo,
    pub(super) run: Value,
    pub(super) run_sha256: String,
    pub(super) files: BTreeMap<String, String>,
}

/// Reads a shard run's record and manifest.
pub(super) fn read_shard(dir: &Path) -> Result<ShardRun, MergeError> {
    let io = |path: PathBuf| move |cause| MergeError::Io { path, cause };
    let run_path = dir.join("run.json");
    let bytes = std::fs::read(&run_path).map_err(io(run_path.clone()))?;
    let run: Value =
        serde_json::from_slice(&bytes).map_err(|e| rule(&run_path, format!("不是 JSON / not JSON: {e}")))?;
    let info: ShardInfo = match run.get("shard") {
        Some(v) if !v.is_null() => serde_json::from_value(v.clone()).map_err(|e| {
            rule(
                &run_path,
                format!(
                    "分片记录无法读取（gridplan 版本不同？）/ unreadable shard record (another gridplan version?): {e}"
                ),
            )
        })?,
        _ => return Err(rule(dir, "不是分片运行（plan 未用 --shard）/ not a shard run (plan was not given --shard)")),
    };
    let manifest_path = dir.join("manifest.json");
    let manifest: Value = serde_json::from_slice(&std::fs::read(&manifest_path).map_err(io(manifest_path.clone()))?)
        .map_err(|e| rule(&manifest_path, format!("运行清单无法读取 / unreadable manifest: {e}")))?;
    let files = manifest
        .get("files")
        .and_then(Value::as_object)
        .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.get("sha256")?.as_str()?.to_string()))).collect())
        .unwrap_or_default();
    let run_sha256 = crate::render::output_dir::manifest::sha256_hex(&bytes);
    Ok(ShardRun { dir: dir.to_path_buf(), info, run, run_sha256, files })
}

/// The shards are one deal: same count and unit, each index once, same inputs, seed and settings, streets
/// disjoint and all of them there.
pub(super) fn check_same_deal(shards: &[ShardRun]) -> Result<(), MergeError> {
    let first = &shards[0];
    // Inputs by layer and content (each shard may hold its own copy, as an imported pbf's run does).
    let content = |s: &ShardRun| -> Vec<(String, String)> {
        let list = s.run.get("inputs").and_then(Value::as_array).cloned().unwrap_or_default();
        list.iter().map(|l| (l["layer"].to_string(), l["sha256"].to_string())).collect()
    };
    let same = |s: &ShardRun, key: &str| match key {
        "inputs" => content(s) == content(first),
        _ => s.run.get(key) == first.run.get(key),
    };
    let mut seen: BTreeMap<usize, &Path> = BTreeMap::new();
    let mut streets: BTreeMap<&str, usize> = BTreeMap::new();
    for s in shards {
        let (a, b) = (s.info.shard, first.info.shard);
        if a.count != b.count || s.info.by != first.info.by {
            return Err(rule(
                &s.dir,
                format!("分片 {a} 与 {b} 不是同一种划分 / shard {a} is not of the same deal as {b}"),
            ));
        }
        for key in ["inputs", "seed", "config", "version"] {
            if !same(s, key) {
                return Err(rule(
                    &s.dir,
                    format!(
                        "与 {} 的 {key} 不同 / its {key} differ from {}'s",
                        first.dir.display(),
                        first.dir.display()
                    ),
                ));
            }
        }
        if s.info.input_households != first.info.input_households || s.info.input_streets != first.info.input_streets {
            return Err(rule(&s.dir, "输入的户数或街道数不同 / another input's households or streets"));
        }
        if let Some(other) = seen.insert(a.index, &s.dir) {
            return Err(rule(
                &s.dir,
                format!(
                    "分片 {a} 出现两次（另见 {}）/ shard {a} given twice (also {})",
                    other.display(),
                    other.display()
                ),
            ));
        }
        for st in &s.info.streets {
            if let Some(other) = streets.insert(st, a.index) {
                return Err(rule(
                    &s.dir,
                    format!(
                        "街道 {st} 在分片 {other} 和 {} 中都有 / street {st} is in shards {other} and {}",
                        a.index, a.index
                    ),
                ));
            }
        }
    }
    let missing: Vec<String> =
        (1..=first.info.shard.count).filter(|i| !seen.contains_key(i)).map(|i| i.to_string()).collect();
    if !missing.is_empty() {
        return Err(rule(
            Path::new("."),
            format!(
                "缺少分片 {} / shards missing: {} (of {})",
                missing.join(", "),
                missing.join(", "),
                first.info.shard.count
            ),
        ));
    }
    if streets.len() != first.info.input_streets {
        return Err(rule(
            Path::new("."),
            format!(
                "各分片共 {} 个街道，输入有 {} 个 / the shards plan {} streets, the input has {}",
                streets.len(),
                first.info.input_streets,
                streets.len(),
                first.info.input_streets
            ),
        ));
    }
    Ok(())
}

/// A shard's file, checked against the hash its manifest recorded. The merge holds one such file at a time.
pub(super) fn read_checked(s: &ShardRun, file: &str) -> Result<Vec<u8>, MergeError> {
    let path = s.dir.join(file);
    let bytes = std::fs::read(&path).map_err(|cause| MergeError::Io { path: path.clone(), cause })?;
    match s.files.get(file) {
        Some(h) if *h == crate::render::output_dir::manifest::sha256_hex(&bytes) => Ok(bytes),
        Some(_) => Err(rule(
            &path,
            "与运行清单的校验和不符（运行后被改动过）/ differs from the hash in its manifest.json (changed after the run)",
        )),
        None => Err(rule(&path, "不在运行清单中 / not in its manifest.json")),
    }
}

/// Calls `each` with the named columns of every row of a CSV gridplan wrote (Chinese or English headers),
/// in order, without holding the rows.
pub(super) fn each_row<const N: usize>(
    path: &Path,
    bytes: &[u8],
    keys: [&str; N],
    mut each: impl FnMut([&str; N]) -> Result<(), MergeError>,
) -> Result<(), MergeError> {
    let text = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let mut reader = csv::Reader::from_reader(text);
    let headers = reader.headers().map_err(|e| rule(path, format!("表头无法读取 / unreadable header: {e}")))?.clone();
    let columns: Vec<usize> = keys
        .iter()
        .map(|k| {
            headers
                .iter()
                .position(|h| crate::columns::key_of(h.trim()) == *k)
                .ok_or_else(|| rule(path, format!("缺少列 {k} / no column {k}")))
        })
        .collect::<Result<_, _>>()?;
    let mut record = csv::StringRecord::new();
    for row in 2.. {
        match reader.read_record(&mut record) {
            Ok(true) => each(std::array::from_fn(|i| csv_unescape(record.get(columns[i]).unwrap_or(""))))?,
            Ok(false) => break,
            Err(e) => return Err(rule(path, format!("第 {row} 行无法读取 / row {row}: {e}"))),
        }
    }
    Ok(())
}
