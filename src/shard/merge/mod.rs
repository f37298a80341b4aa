//! `gridplan merge`: the union of a job array's shard runs, committed only once they are checked against each
//! other — every shard of one deal present once, made from the same inputs, seed and settings, files as their
//! manifests hashed them, streets disjoint, grid ids unique, each grid in one community and street, each unit
//! in exactly one grid or the unplanned list, and the households adding up to the input's.
//!
//! The union streams: each shard's file is read (and hashed) once, checked and written out before the next
//! is read, so memory holds one shard's largest file and the ids the checks need (grids, units), not every
//! feature of every shard. The union is written into the staging folder as the checks go; a failed check
//! drops that folder, so it still writes nothing.

mod rerun;
mod runs;

use crate::load::previous::REPLAN_FILE;
use crate::render::output_dir::StagedDir;
use rayon::prelude::*;
use runs::{ShardRun, check_same_deal, each_row, read_checked, read_shard};
use serde_json::value::RawValue;
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

/// The files merged: CSVs row by row (one header), GeoJSON feature by feature.
const CSV_FILES: [&str; 4] = ["assignment.csv", "unassigned.csv", "workload.csv", "sites.csv"];
const GEOJSON_FILES: [&str; 2] = ["grids.geojson", "micro_grids.geojson"];

/// Features parsed and written out together (on all cores), so memory beyond the file read stays small.
const FEATURE_CHUNK: usize = 8192;

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

/// What the checks have seen so far, over all shards: the ids they need, nothing more.
#[derive(Default)]
struct Seen {
    /// Grid id → its shard.
    grid_shard: HashMap<String, usize>,
    /// Grid id → (community, street), from the units' rows.
    grid_parent: HashMap<String, (String, String)>,
    /// Unit id → its shard.
    unit_shard: HashMap<String, usize>,
    micro_grids: usize,
}

impl Seen {
    /// A grid: its id in no shard before.
    fn grid(&mut self, path: &Path, grid: &str, index: usize) -> Result<(), MergeError> {
        match self.grid_shard.insert(grid.to_string(), index) {
            Some(other) => Err(rule(
                path,
                format!(
                    "网格编号 {grid} 在分片 {other} 和 {index} 中都有 / grid id {grid} is in shards {other} and {index}"
                ),
            )),
            None => Ok(()),
        }
    }

    /// A micro-grid: its grid is one of its own shard's.
    fn micro_grid(&mut self, path: &Path, grid: &str, index: usize) -> Result<(), MergeError> {
        self.micro_grids += 1;
        if self.grid_shard.get(grid) != Some(&index) {
            return Err(rule(
                path,
                format!(
                    "微网格属于本分片没有的网格 {grid} / a micro-grid of grid {grid}, which this shard does not have"
                ),
            ));
        }
        Ok(())
    }

    /// A shard's `assignment.csv`: each unit once, in one of its shard's grids, each grid in one community
    /// and street. Its households.
    fn assignment(&mut self, path: &Path, bytes: &[u8], index: usize) -> Result<u64, MergeError> {
        let mut households = 0u64;
        each_row(path, bytes, ["id", "households", "grid_id", "community", "street"], |row| {
            let [id, h, grid, community, street] = row;
            households += self.count_once(path, id, h, index)?;
            if self.grid_shard.get(grid) != Some(&index) {
                return Err(rule(
                    path,
                    format!(
                        "单元 {id} 所在网格 {grid} 不在本分片 / unit {id}'s grid {grid} is not in this shard's grids"
                    ),
                ));
            }
            match self.grid_parent.get(grid) {
                Some((c, s)) if c != community || s != street => Err(rule(
                    path,
                    format!("网格 {grid} 跨两个社区或街道 / grid {grid} is in two communities or streets"),
                )),
                Some(_) => Ok(()),
                None => {
                    self.grid_parent.insert(grid.to_string(), (community.to_string(), street.to_string()));
                    Ok(())
                }
            }
        })?;
        Ok(households)
    }

    /// A shard's `unassigned.csv`: each unit once. Its households.
    fn unassigned(&mut self, path: &Path, bytes: &[u8], index: usize) -> Result<u64, MergeError> {
        let mut households = 0u64;
        each_row(path, bytes, ["id", "households"], |[id, h]| {
            households += self.count_once(path, id, h, index)?;
            Ok(())
        })?;
        Ok(households)
    }

    /// A unit's households, once it is known to be in no other shard (nor twice in this one).
    fn count_once(&mut self, path: &Path, id: &str, households: &str, index: usize) -> Result<u64, MergeError> {
        let h: u64 = households
            .parse()
            .map_err(|_| rule(path, format!("户数应为整数 / households must be whole: {households:?}")))?;
        if let Some(other) = self.unit_shard.insert(id.to_string(), index) {
            return Err(rule(
                path,
                format!("单元 {id} 在分片 {other} 和 {index} 中都有 / unit {id} is in shards {other} and {index}"),
            ));
        }
        Ok(h)
    }
}

/// Checks the shard runs and writes their union into `staged`.
pub fn merge(runs: &[PathBuf], staged: &StagedDir) -> Result<Merged, MergeError> {
    let mut shards: Vec<ShardRun> = runs.iter().map(|d| read_shard(d)).collect::<Result<_, _>>()?;
    if shards.is_empty() {
        return Err(rule(Path::new("."), "没有给出分片运行 / no shard runs given"));
    }
    check_same_deal(&shards)?;
    let is_rerun = rerun::is_rerun(&shards)?;
    shards.sort_by_key(|s| s.info.shard.index);
    let first = &shards[0];

    // Grids first (their ids), then what must lie in them; the workload and site tables are copied beside.
    let mut seen = Seen::default();
    let (checked, copied) = rayon::join(
        || -> Result<(u64, u64), MergeError> {
            union_features(&shards, staged, "grids.geojson", |path, grid, i| seen.grid(path, grid, i))?;
            union_features(&shards, staged, "micro_grids.geojson", |path, grid, i| seen.micro_grid(path, grid, i))?;
            let mut planned = vec![0u64; shards.len()];
            let mut unplanned = vec![0u64; shards.len()];
            union_csv(&shards, staged, "assignment.csv", |n, path, bytes| {
                planned[n] = seen.assignment(path, bytes, shards[n].info.shard.index)?;
                Ok(())
            })?;
            union_csv(&shards, staged, "unassigned.csv", |n, path, bytes| {
                unplanned[n] = seen.unassigned(path, bytes, shards[n].info.shard.index)?;
                Ok(())
            })?;
            for (n, s) in shards.iter().enumerate() {
                let mine = planned[n] + unplanned[n];
                if mine != s.info.households {
                    return Err(rule(
                        &s.dir,
                        format!(
                            "分片记录 {} 户，表中 {mine} 户 / the shard records {} households, its tables hold {mine}",
                            s.info.households, s.info.households
                        ),
                    ));
                }
            }
            Ok((planned.iter().sum(), unplanned.iter().sum()))
        },
        || -> Result<(), MergeError> {
            let rerun_files = if is_rerun { &rerun::RERUN_CSV_FILES[..] } else { &[] };
            for file in ["workload.csv", "sites.csv"].iter().chain(rerun_files) {
                union_csv(&shards, staged, file, |_, _, _| Ok(()))?;
            }
            Ok(())
        },
    );
    let (planned, unplanned) = checked?;
    copied?;
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

    let change = if is_rerun { Some(rerun::merged_change(&shards)?) } else { None };
    if let Some(c) = &change {
        let text = serde_json::to_string_pretty(c).map_err(|e| rule(Path::new(REPLAN_FILE), e.to_string()))? + "\n";
        staged.write(REPLAN_FILE, text.as_bytes()).map_err(write_error(REPLAN_FILE))?;
    }
    let merged = Merged {
        shards: shards.len(),
        grids: seen.grid_shard.len(),
        micro_grids: seen.micro_grids,
        households_planned: planned,
        households_unplanned: unplanned,
        input_households: input,
    };
    let merged_files: Vec<&str> = CSV_FILES
        .iter()
        .chain(&GEOJSON_FILES)
        .chain(if is_rerun { &rerun::RERUN_CSV_FILES[..] } else { &[] })
        .chain(is_rerun.then_some(&REPLAN_FILE))
        .copied()
        .collect();
    let mut checked = vec![
        "every_shard_once",
        "same_inputs_seed_settings_and_version",
        "files_match_their_manifests",
        "streets_disjoint_and_complete",
        "grid_ids_unique",
        "micro_grids_in_their_shards_grids",
        "each_grid_in_one_community_and_street",
        "each_unit_once",
        "households_add_up",
    ];
    if is_rerun {
        checked.push("every_shard_a_rerun");
    }
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
            "files_sha256": s.files.iter().filter(|(k, _)| merged_files.contains(&k.as_str())).collect::<BTreeMap<_, _>>(),
            "streets": s.info.streets.len(),
            "households": s.info.households,
            "timings_s": s.run.get("timings_s"),
        })).collect::<Vec<_>>(),
        // What was checked before the union was committed (a failed check commits nothing).
        "checked": checked,
        // The shards' figures of change added up (replan.json), when they reran from a previous plan.
        "replan": change.as_ref().map(|c| json!({
            "previous": c.previous,
            "households_moved": c.households_moved,
            "households_moved_lower_bound": c.households_moved_lower_bound,
            "share_moved": c.share_moved,
            "grids_new": c.grids_new,
            "grids_removed": c.grids_removed,
        })),
    });
    let text = serde_json::to_string_pretty(&record).map_err(|e| rule(Path::new("merge.json"), e.to_string()))? + "\n";
    staged.write("merge.json", text.as_bytes()).map_err(write_error("merge.json"))?;
    Ok(merged)
}

fn write_error(file: &str) -> impl Fn(std::io::Error) -> MergeError + '_ {
    move |cause| MergeError::Io { path: file.into(), cause }
}

/// Writes one CSV of the union: the first shard's header (all shards' must agree), then every shard's rows in
/// shard order; `sites.csv` with the shard of each suggestion in front. `check` sees each shard's file first.
fn union_csv(
    shards: &[ShardRun],
    staged: &StagedDir,
    file: &str,
    mut check: impl FnMut(usize, &Path, &[u8]) -> Result<(), MergeError>,
) -> Result<(), MergeError> {
    let at = write_error(file);
    let mut header: Option<Vec<u8>> = None;
    let mut out = staged.create(file).map_err(&at)?;
    let shard_column = file == "sites.csv";
    for (n, s) in shards.iter().enumerate() {
        let bytes = read_checked(s, file)?;
        check(n, &s.dir.join(file), &bytes)?;
        let text = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&bytes);
        let (head, body) = text.split_at(text.iter().position(|&b| b == b'\n').map_or(text.len(), |i| i + 1));
        match &header {
            None => {
                out.write_all("\u{feff}".as_bytes()).map_err(&at)?;
                if shard_column {
                    out.write_all("分片,".as_bytes()).map_err(&at)?;
                }
                out.write_all(head).map_err(&at)?;
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
        if shard_column {
            for line in body.split_inclusive(|&b| b == b'\n') {
                write!(out, "{},", s.info.shard.index).map_err(&at)?;
                out.write_all(line).map_err(&at)?;
            }
        } else {
            out.write_all(body).map_err(&at)?;
        }
    }
    out.flush().map_err(&at)
}

/// Writes one GeoJSON collection of the union: the first shard's members but its features, then every
/// shard's features in shard order, one a line, each with its shard added to its properties (certificates
/// are numbered within their run: the shard says which run.json to read). `check` sees each feature's grid
/// id, in order.
fn union_features(
    shards: &[ShardRun],
    staged: &StagedDir,
    file: &str,
    mut check: impl FnMut(&Path, &str, usize) -> Result<(), MergeError>,
) -> Result<(), MergeError> {
    let at = write_error(file);
    let mut out = staged.create(file).map_err(&at)?;
    let mut written = 0usize;
    for (n, s) in shards.iter().enumerate() {
        let path = s.dir.join(file);
        let not_geojson = |e: serde_json::Error| rule(&path, format!("不是 GeoJSON / not GeoJSON: {e}"));
        let bytes = read_checked(s, file)?;
        // The members as raw text: only the features are parsed, one at a time.
        let members: BTreeMap<String, &RawValue> = serde_json::from_slice(&bytes).map_err(not_geojson)?;
        if n == 0 {
            let mut head = serde_json::Map::new();
            for (key, raw) in members.iter().filter(|(k, _)| *k != "features") {
                head.insert(key.clone(), serde_json::from_str(raw.get()).map_err(not_geojson)?);
            }
            let head = serde_json::to_string(&head).map_err(|e| rule(Path::new(file), e.to_string()))?;
            // `{…,"features":[` then one feature a line.
            let open = head.trim_end_matches('}');
            let sep = if open.ends_with('{') { "" } else { "," };
            writeln!(out, "{open}{sep}\"features\":[").map_err(&at)?;
        }
        let list: Vec<&RawValue> = match members.get("features") {
            Some(raw) => serde_json::from_str(raw.get()).map_err(not_geojson)?,
            None => Vec::new(),
        };
        let index = s.info.shard.index;
        for chunk in list.chunks(FEATURE_CHUNK) {
            let done: Vec<Result<(String, String), MergeError>> =
                chunk.par_iter().map(|raw| with_shard(&path, raw, index)).collect();
            for feature in done {
                let (grid, text) = feature?;
                check(&path, &grid, index)?;
                if written > 0 {
                    out.write_all(b",\n").map_err(&at)?;
                }
                out.write_all(text.as_bytes()).map_err(&at)?;
                written += 1;
            }
        }
    }
    if written > 0 {
        out.write_all(b"\n").map_err(&at)?;
    }
    writeln!(out, "]}}").map_err(&at)?;
    out.flush().map_err(&at)
}

/// A feature's grid id, and its text with the shard added to its properties. Only the properties are
/// parsed: the geometry and the other members are copied as the shard wrote them (members in key order, as
/// a parsed object is written), so coordinates pass through digit for digit.
fn with_shard(path: &Path, raw: &RawValue, index: usize) -> Result<(String, String), MergeError> {
    let not_geojson = |e: serde_json::Error| rule(path, format!("不是 GeoJSON / not GeoJSON: {e}"));
    let members: BTreeMap<String, &RawValue> = serde_json::from_str(raw.get()).map_err(not_geojson)?;
    let props =
        members.get("properties").and_then(|p| serde_json::from_str::<serde_json::Map<String, Value>>(p.get()).ok());
    let Some(mut props) = props else {
        return Err(rule(path, "要素缺少属性 / a feature without properties"));
    };
    let grid = props.get("grid_id").and_then(Value::as_str).unwrap_or("").to_string();
    props.insert("shard".into(), json!(index));
    let mut text = String::with_capacity(raw.get().len() + 16);
    text.push('{');
    for (n, (key, value)) in members.iter().enumerate() {
        if n > 0 {
            text.push(',');
        }
        text.push_str(&serde_json::to_string(key).map_err(not_geojson)?);
        text.push(':');
        match key.as_str() {
            "properties" => text.push_str(&serde_json::to_string(&props).map_err(not_geojson)?),
            _ => text.push_str(value.get()),
        }
    }
    text.push('}');
    Ok((grid, text))
}
