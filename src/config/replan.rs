//! `[replan]`: rerunning a plan from a previous one (`--previous`): grids that may never change and how many
//! households a rerun may move at most.

use serde::{Deserialize, Serialize};

/// `[replan]`: how a rerun from a previous plan may change it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReplanParams {
    /// Grid ids of the previous plan that are never changed: they keep exactly the units they still hold,
    /// give none away and take none in.
    pub locked: Vec<String>,
    /// Most households a rerun may move to another grid, as a percentage of the households in both plans
    /// (`--max-moved`); none = no limit. Honoured street by street (each street at most this share of its own
    /// households), so the whole plan stays within it too.
    pub max_moved_pct: Option<f64>,
}
