//! A job array's rerun (`plan --shard I/N --previous …`, [`crate::shard::rerun`]): the union gets the shards'
//! figures of change added up in its own `replan.json` (so the next rerun from the union reads every retired
//! id) and their `moves.csv` and `replan_unmatched.csv` joined.

use super::runs::{ShardRun, read_checked};
use super::{MergeError, rule};
use crate::load::previous::REPLAN_FILE;
use crate::partition::replan::change::{Change, add_up};
use std::path::Path;

/// The tables of a rerun, joined like the others.
pub(super) const RERUN_CSV_FILES: [&str; 2] = ["moves.csv", "replan_unmatched.csv"];

/// Whether the shards are a rerun: all of them, or none.
pub(super) fn is_rerun(shards: &[ShardRun]) -> Result<bool, MergeError> {
    let reruns = shards.iter().filter(|s| s.files.contains_key(REPLAN_FILE)).count();
    match reruns {
        0 => Ok(false),
        n if n == shards.len() => Ok(true),
        _ => {
            let plain: Vec<String> = shards
                .iter()
                .filter(|s| !s.files.contains_key(REPLAN_FILE))
                .map(|s| s.info.shard.index.to_string())
                .collect();
            Err(rule(
                Path::new("."),
                format!(
                    "分片 {} 不是重新规划（没有 --previous），其余分片是 / shards {} are not reruns (no --previous), the others are",
                    plain.join(", "),
                    plain.join(", ")
                ),
            ))
        }
    }
}

/// The union's `replan.json`: the shards' changes added up, in shard order.
pub(super) fn merged_change(shards: &[ShardRun]) -> Result<Change, MergeError> {
    let parts: Vec<Change> = shards
        .iter()
        .map(|s| {
            let path = s.dir.join(REPLAN_FILE);
            serde_json::from_slice(&read_checked(s, REPLAN_FILE)?).map_err(|e| {
                rule(
                    &path,
                    format!("重新规划记录无法读取（gridplan 版本不同？）/ unreadable (another gridplan version?): {e}"),
                )
            })
        })
        .collect::<Result<_, _>>()?;
    // One previous plan for all (the last union, say), or each shard's own (its last shard run).
    let mut previous: Vec<&str> = parts.iter().map(|c| c.previous.as_str()).collect();
    previous.dedup();
    add_up(&parts, previous.join("; ")).ok_or_else(|| rule(Path::new("."), "没有给出分片运行 / no shard runs given"))
}
