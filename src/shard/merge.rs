//! `gridplan merge`: the union of a job array's shard runs, written only once they are checked against each
//! other — every shard of one deal present once, made from the same inputs, seed and settings, files as their
//! manifests hashed them, streets disjoint, grid ids unique, each grid in one community and street, each unit
//! in exactly one grid or the unplanned list, and the households adding up to the input's.

use super::ShardInfo;
use crate::load::run::csv_unescape;
use crate::render::output_dir::StagedDir;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Why shard runs cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// A file could not be read.
    #[error("{path}: {cause}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        cause: std::io::Error,
    },
    /// The runs break a rule.
    #[error("{path}: {rule}")]
    Rule {
        /// The run folder or file.
        path: PathBuf,
        /// The rule, in words.
        rule: String,
    },
}

fn rule(path: &Path, rule: impl Into<String>) -> MergeError {
    MergeError::Rule { path: path.to_path_buf(), rule: rule.into() }
}

/// One shard run, read.
struct ShardRun {
    dir: PathBuf,
    info: ShardInfo,
    run: Value,
    run_sha256: String,
    files: BTreeMap<String, String>,
}

/// The files merged: CSVs row by row (one header), GeoJSON feature by feature.
const CSV_FILES: [&str; 4] = ["assignment.csv", "unassigned.csv", "workload.csv", "sites.csv"];
const GEOJSON_FILES: [&str; 2] = ["grids.geojson", "micro_grids.geojson"];

/// What the merge found, for `merge.json` and the command's summary.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Merged {
    /// Shards merged.
    pub shards: usize,
    /// Grids (basic and dedicated).
    pub grids: usize,
    /// Micro-grids.
    pub micro_grids: usize,
    /// Households in a grid.
    pub households_planned: u64,
    /// Households in no grid (with their reasons in `unassigned.csv`).
    pub households_unplanned: u64,
    /// Households of the input, as every shard recorded them.
    pub input_households: u64,
}

/// Checks the shard runs and writes their union into `staged`.
pub fn merge(runs: &[PathBuf], staged: &StagedDir) -> Result<Merged, MergeError> {
    let mut shards: Vec<ShardRun> = runs.iter().map(|d| read_shard(d)).collect::<Result<_, _>>()?;
    if shards.is_empty() {
        return Err(rule(Path::new("."), "没有给出分片运行 / no shard runs given"));
    }
    check_same_deal(&shards)?;
    shards.sort_by_key(|s| s.info.shard.index);
    let first = &shards[0];

    // Grids and micro-grids: ids unique over all shards.
    let mut grid_shard: HashMap<String, usize> = HashMap::new();
    let mut features: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut top: BTreeMap<&str, serde_json::Map<String, Value>> = BTreeMap::new();
    let mut micro_grids = 0;
    for s in &shards {
        for file in GEOJSON_FILES {
            let path = s.dir.join(file);
            let mut fc: Value = serde_json::from_slice(&read_checked(s, file)?)
                .map_err(|e| rule(&path, format!("不是 GeoJSON / not GeoJSON: {e}")))?;
            let list = fc.get_mut("features").and_then(Value::as_array_mut).map(std::mem::take).unwrap_or_default();
            if let Some(obj) = fc.as_object() {
                top.entry(file).or_insert_with(|| obj.clone());
            }
            for mut f in list {
                let props = f.get_mut("properties").and_then(Value::as_object_mut);
                let Some(props) = props else {
                    return Err(rule(&path, "要素缺少属性 / a feature without properties"));
                };
                let grid = props.get("grid_id").and_then(Value::as_str).unwrap_or("").to_string();
                if file == "grids.geojson" {
                    if let Some(other) = grid_shard.insert(grid.clone(), s.info.shard.index) {
                        return Err(rule(
                            &path,
                            format!(
                                "网格编号 {grid} 在分片 {other} 和 {} 中都有 / grid id {grid} is in shards {other} and {}",
                                s.info.shard.index, s.info.shard.index
                            ),
                        ));
                    }
                } else {
                    micro_grids += 1;
                    if grid_shard.get(&grid) != Some(&s.info.shard.index) {
                        return Err(rule(
                            &path,
                            format!(
                                "微网格属于本分片没有的网格 {grid} / a micro-grid of grid {grid}, which this shard does not have"
                            ),
                        ));
                    }
                }
                // Certificates are numbered within their run: the shard says which run.json to read.
                props.insert("shard".into(), json!(s.info.shard.index));
                features
                    .entry(file)
                    .or_default()
                    .push(serde_json::to_string(&f).map_err(|e| rule(&path, e.to_string()))?);
            }
        }
    }

    // Units: each in one grid (of its own shard) or unplanned, once over all shards; grids nest in one
    // community and one street.
    let mut unit_shard: HashMap<String, usize> = HashMap::new();
    let mut grid_parent: HashMap<String, (String, String)> = HashMap::new();
    let (mut planned, mut unplanned) = (0u64, 0u64);
    for s in &shards {
        let index = s.info.shard.index;
        let (mut mine, path) = (0u64, s.dir.join("assignment.csv"));
        for row in csv_rows(
            &path,
            &read_checked(s, "assignment.csv")?,
            ["id", "households", "grid_id", "community", "street"],
        )? {
            let [id, households, grid, community, street] = row;
            let h = count_once(&path, &id, &households, index, &mut unit_shard)?;
            if grid_shard.get(&grid) != Some(&index) {
                return Err(rule(
                    &path,
                    format!(
                        "单元 {id} 所在网格 {grid} 不在本分片 / unit {id}'s grid {grid} is not in this shard's grids"
                    ),
                ));
            }
            let parent = (community, street);
            if let Some(before) = grid_parent.insert(grid.clone(), parent.clone())
                && before != parent
            {
                return Err(rule(
                    &path,
                    format!("网格 {grid} 跨两个社区或街道 / grid {grid} is in two communities or streets"),
                ));
            }
            mine += h;
        }
        let path = s.dir.join("unassigned.csv");
        let mut mine_unplanned = 0u64;
        for row in csv_rows(&path, &read_checked(s, "unassigned.csv")?, ["id", "households"])? {
            let [id, households] = row;
            mine_unplanned += count_once(&path, &id, &households, index, &mut unit_shard)?;
        }
        if mine + mine_unplanned != s.info.households {
            return Err(rule(
                &s.dir,
                format!(
                    "分片记录 {} 户，表中 {} 户 / the shard records {} households, its tables hold {}",
                    s.info.households,
                    mine + mine_unplanned,
                    s.info.households,
                    mine + mine_unplanned
                ),
            ));
        }
        planned += mine;
        unplanned += mine_unplanned;
    }
    let input = first.info.input_households;
    if planned + unplanned != input {
        return Err(rule(
            Path::new("."),
            format!(
                "各分片合计 {} 户，输入共 {input} 户 / the shards hold {} households, the input {input}",
                planned + unplanned,
                planned + unplanned
            ),
        ));
    }

    write_union(&shards, staged, &features, &top)?;
    let merged = Merged {
        shards: shards.len(),
        grids: grid_shard.len(),
        micro_grids,
        households_planned: planned,
        households_unplanned: unplanned,
        input_households: input,
    };
    let record = json!({
        "what": "gridplan merge: the union of shard runs (分片合并)",
        "version": env!("CARGO_PKG_VERSION"),
        "merged": merged,
        "inputs": first.run.get("inputs"),
        "seed": first.run.get("seed"),
        "shards": shards.iter().map(|s| json!({
            "shard": s.info.shard,
            "dir": s.dir.display().to_string(),
            "run_json_sha256": s.run_sha256,
            "files_sha256": s.files.iter().filter(|(k, _)| CSV_FILES.contains(&k.as_str()) || GEOJSON_FILES.contains(&k.as_str())).collect::<BTreeMap<_, _>>(),
            "streets": s.info.streets.len(),
            "households": s.info.households,
            "timings_s": s.run.get("timings_s"),
        })).collect::<Vec<_>>(),
        // What was checked before anything was written (a failed check writes nothing).
        "checked": [
            "every_shard_once",
            "same_inputs_seed_settings_and_version",
            "files_match_their_manifests",
            "streets_disjoint_and_complete",
            "grid_ids_unique",
            "micro_grids_in_their_shards_grids",
            "each_grid_in_one_community_and_street",
            "each_unit_once",
            "households_add_up",
        ],
    });
    let text = serde_json::to_string_pretty(&record).map_err(|e| rule(Path::new("merge.json"), e.to_string()))? + "\n";
    staged.write("merge.json", text.as_bytes()).map_err(|cause| MergeError::Io { path: "merge.json".into(), cause })?;
    Ok(merged)
}

/// A unit's households, once it is known to be in no other shard (nor twice in this one).
fn count_once(
    path: &Path,
    id: &str,
    households: &str,
    index: usize,
    seen: &mut HashMap<String, usize>,
) -> Result<u64, MergeError> {
    let h: u64 = households
        .parse()
        .map_err(|_| rule(path, format!("户数应为整数 / households must be whole: {households:?}")))?;
    if let Some(other) = seen.insert(id.to_string(), index) {
        return Err(rule(
            path,
            format!("单元 {id} 在分片 {other} 和 {index} 中都有 / unit {id} is in shards {other} and {index}"),
        ));
    }
    Ok(h)
}

/// Reads a shard run's record and manifest.
fn read_shard(dir: &Path) -> Result<ShardRun, MergeError> {
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
fn check_same_deal(shards: &[ShardRun]) -> Result<(), MergeError> {
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

/// A shard's file, checked against the hash its manifest recorded.
fn read_checked(s: &ShardRun, file: &str) -> Result<Vec<u8>, MergeError> {
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

/// The named columns of a CSV gridplan wrote (Chinese or English headers), row by row.
fn csv_rows<const N: usize>(path: &Path, bytes: &[u8], keys: [&str; N]) -> Result<Vec<[String; N]>, MergeError> {
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
    reader
        .records()
        .enumerate()
        .map(|(n, r)| {
            let r = r.map_err(|e| rule(path, format!("第 {} 行无法读取 / row {}: {e}", n + 2, n + 2)))?;
            Ok(std::array::from_fn(|i| csv_unescape(r.get(columns[i]).unwrap_or("")).to_string()))
        })
        .collect()
}

/// Writes the merged files: CSVs with the first shard's header (all shards' must agree), `sites.csv` with
/// the shard of each suggestion in front, the GeoJSON collections feature by feature.
fn write_union(
    shards: &[ShardRun],
    staged: &StagedDir,
    features: &BTreeMap<&str, Vec<String>>,
    top: &BTreeMap<&str, serde_json::Map<String, Value>>,
) -> Result<(), MergeError> {
    fn at(file: &str) -> impl Fn(std::io::Error) -> MergeError + '_ {
        move |cause| MergeError::Io { path: file.into(), cause }
    }
    for file in CSV_FILES {
        let mut header: Option<Vec<u8>> = None;
        let mut out = staged.create(file).map_err(at(file))?;
        for s in shards {
            let bytes = read_checked(s, file)?;
            let text = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&bytes);
            let (head, body) = text.split_at(text.iter().position(|&b| b == b'\n').map_or(text.len(), |i| i + 1));
            let shard_column = file == "sites.csv";
            match &header {
                None => {
                    out.write_all("\u{feff}".as_bytes()).map_err(at(file))?;
                    if shard_column {
                        out.write_all("分片,".as_bytes()).map_err(at(file))?;
                    }
                    out.write_all(head).map_err(at(file))?;
                    header = Some(head.to_vec());
                }
                Some(h) if h != head => {
                    return Err(rule(
                        &s.dir.join(file),
                        "表头与第一个分片不同 / its header differs from the first shard's",
                    ));
                }
                Some(_) => {}
            }
            for line in body.split_inclusive(|&b| b == b'\n') {
                if shard_column {
                    write!(out, "{},", s.info.shard.index).map_err(at(file))?;
                }
                out.write_all(line).map_err(at(file))?;
            }
        }
        out.flush().map_err(at(file))?;
    }
    for file in GEOJSON_FILES {
        let mut out = staged.create(file).map_err(at(file))?;
        let mut head = top.get(file).cloned().unwrap_or_default();
        head.remove("features");
        let head = serde_json::to_string(&head).map_err(|e| rule(Path::new(file), e.to_string()))?;
        // `{…,"features":[` then one feature a line.
        let open = head.trim_end_matches('}');
        let sep = if open.ends_with('{') { "" } else { "," };
        writeln!(out, "{open}{sep}\"features\":[").map_err(at(file))?;
        let list = features.get(file).map(Vec::as_slice).unwrap_or_default();
        for (i, f) in list.iter().enumerate() {
            let comma = if i + 1 < list.len() { "," } else { "" };
            writeln!(out, "{f}{comma}").map_err(at(file))?;
        }
        writeln!(out, "]}}").map_err(at(file))?;
        out.flush().map_err(at(file))?;
    }
    Ok(())
}
