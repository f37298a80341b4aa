//! The rerun options `plan` and `partition` share: `--previous` and `--max-moved`.

use anyhow::Context;
use std::path::PathBuf;

#[derive(Debug, Clone, clap::Args)]
pub struct ReplanArgs {
    /// 在上一版网格方案基础上重新规划，尽量少调整住户：上一次运行的文件夹，或网格图层（带网格编号的面）或“单元→网格编号”表 /
    /// Rerun from a previous plan, moving as few households as possible: a run folder, a grid layer (polygons
    /// with a grid id) or a table unit → grid id (GeoJSON, CSV, Parquet).
    #[arg(long, value_name = "PATH")]
    previous: Option<PathBuf>,
    /// 最多调整的住户比例（%），覆盖 [replan] max_moved_pct / Most households a rerun may move, percent
    /// (overrides `[replan] max_moved_pct`).
    #[arg(long, value_name = "PCT", requires = "previous")]
    max_moved: Option<f64>,
}

impl ReplanArgs {
    /// Applies `--max-moved` to the plan (checked like the plan file's value).
    pub fn apply(&self, plan: &mut gridplan::config::Plan) -> anyhow::Result<()> {
        if let Some(pct) = self.max_moved {
            if !(0.0..=100.0).contains(&pct) {
                anyhow::bail!("--max-moved {pct}: must be a percentage from 0 to 100");
            }
            plan.config.replan.max_moved_pct = Some(pct);
        }
        Ok(())
    }

    /// The previous plan, read in the plan's coordinate systems and the dataset's projection.
    pub fn read(
        &self,
        plan: &gridplan::config::Plan,
        d: &gridplan::model::Dataset,
    ) -> anyhow::Result<Option<gridplan::load::previous::PreviousPlan>> {
        let Some(path) = &self.previous else { return Ok(None) };
        let c = &plan.config.plan;
        gridplan::load::previous::PreviousPlan::read(path, c.crs, c.output_crs, &d.projection)
            .map(Some)
            .with_context(|| format!("reading the previous plan --previous {}", path.display()))
    }

    /// Files this run reads: the previous plan when it lies outside the run folder (inside it, it is the
    /// last run, read before it is replaced).
    pub fn reads(&self, out: &std::path::Path) -> Vec<PathBuf> {
        match &self.previous {
            Some(p) if !super::output::same_folder(p, out) && !p.is_dir() => vec![p.clone()],
            _ => Vec::new(),
        }
    }
}

/// The line a planner reads after a rerun.
pub fn summary(change: &gridplan::partition::replan::change::Change) -> String {
    let ratio = change.moved_over_bound.map_or("—".to_string(), |r| format!("{r:.2}"));
    format!(
        "重新规划：调整 {moved} 户（{pct:.2} %），下界 {bound} 户，比值 {ratio}；网格不变 {same}，有调整 {changed}，新增 {new}，撤销 {removed} / \
         rerun: {moved} households moved ({pct:.2} %), lower bound {bound}, moved ÷ bound {ratio}; grids unchanged {same}, changed {changed}, new {new}, removed {removed}{locks}",
        moved = change.households_moved,
        pct = 100.0 * change.share_moved,
        bound = change.households_moved_lower_bound,
        same = change.grids_unchanged,
        changed = change.grids_changed,
        new = change.grids_new,
        removed = change.grids_removed,
        locks = if change.locked.is_empty() {
            String::new()
        } else if change.locks_held {
            format!("; {} locked grids kept", change.locked.len())
        } else {
            "; LOCKS BROKEN".to_string()
        },
    )
}
