//! The rerun options `plan` and `partition` share: `--previous` and `--max-moved`.

use anyhow::Context;
use std::path::PathBuf;

#[derive(Debug, Clone, Default, clap::Args)]
pub struct ReplanArgs {
    /// 在上一版网格方案基础上重新规划，尽量少调整住户：上一次运行的文件夹，或网格图层（带网格编号的面）或“单元→网格编号”表 /
    /// Rerun from a previous plan, moving as few households as possible: a run folder, a grid layer (polygons
    /// with a grid id) or a table unit → grid id (GeoJSON, CSV, Parquet).
    #[arg(long, value_name = "PATH")]
    pub previous: Option<PathBuf>,
    /// 最多调整的住户比例（%），覆盖 [replan] max_moved_pct / Most households a rerun may move, percent
    /// (overrides `[replan] max_moved_pct`).
    #[arg(long, value_name = "PCT")]
    pub max_moved: Option<f64>,
    /// The layers of a merge (`merge-layers`), by name; the base is chosen among them.
    #[arg(skip)]
    pub layers: Vec<(String, PathBuf)>,
    /// The base layer a merge was told to start from.
    #[arg(skip)]
    pub base: Option<String>,
}

/// The layers a rerun reads: the previous plan (a merge's base) and the others a merge prefers.
pub struct Layers {
    pub base: gridplan::load::previous::PreviousPlan,
    pub base_name: Option<String>,
    pub prefer: Vec<(String, gridplan::load::previous::PreviousPlan)>,
    /// How a merge chose its base.
    pub choice: Option<gridplan::partition::replan::layers::BaseChoice>,
}

impl Layers {
    /// What the partition reads.
    pub fn rerun(&self) -> gridplan::partition::replan::Rerun<'_> {
        gridplan::partition::replan::Rerun {
            base: &self.base,
            base_name: self.base_name.as_deref(),
            prefer: &self.prefer,
            choice: self.choice.as_ref(),
        }
    }
}

impl ReplanArgs {
    /// Refuses options that cannot work together, before anything is opened or read.
    pub fn validate(&self) -> anyhow::Result<()> {
        if let Some(pct) = self.max_moved {
            if !(0.0..=100.0).contains(&pct) {
                anyhow::bail!("--max-moved {pct}：应为 0 到 100 之间的百分比 / must be a percentage from 0 to 100");
            }
            if self.previous.is_none() && self.layers.is_empty() {
                anyhow::bail!(
                    "--max-moved 需要同时给出 --previous（上一版方案） / --max-moved needs --previous (the plan a rerun starts from)"
                );
            }
        }
        Ok(())
    }

    /// Applies `--max-moved` to the plan.
    pub fn apply(&self, plan: &mut gridplan::config::Plan) {
        if let Some(pct) = self.max_moved {
            plan.config.replan.max_moved_pct = Some(pct);
        }
    }

    /// The previous plan (or a merge's layers, the base chosen), read in the plan's coordinate systems and the
    /// dataset's projection.
    pub fn read(&self, plan: &gridplan::config::Plan, d: &gridplan::model::Dataset) -> anyhow::Result<Option<Layers>> {
        let c = &plan.config.plan;
        let read = |path: &std::path::Path, what: &str| {
            gridplan::load::previous::PreviousPlan::read(path, c.crs, c.output_crs, &d.projection)
                .with_context(|| format!("读取 {what} {} / reading it", path.display()))
        };
        if !self.layers.is_empty() {
            let mut read_layers = Vec::new();
            for (name, path) in &self.layers {
                read_layers.push((name.clone(), read(path, &format!("图层 {name}"))?));
            }
            let sites = gridplan::partition::sites_of(d).0;
            let matched: Vec<gridplan::partition::replan::layers::Legacy> = read_layers
                .iter()
                .map(|(name, layer)| gridplan::partition::replan::layers::match_sites(d, &sites, name, layer))
                .collect();
            let choice = gridplan::partition::replan::layers::choose_base(&sites, &matched, self.base.as_deref());
            let Some(i) = read_layers.iter().position(|(n, _)| *n == choice.base) else {
                let names: Vec<&str> = read_layers.iter().map(|(n, _)| n.as_str()).collect();
                anyhow::bail!(
                    "--base {}：没有这个图层（图层：{}） / no layer of that name",
                    choice.base,
                    names.join(", ")
                );
            };
            let (base_name, base) = read_layers.remove(i);
            return Ok(Some(Layers { base, base_name: Some(base_name), prefer: read_layers, choice: Some(choice) }));
        }
        let Some(path) = &self.previous else { return Ok(None) };
        let base = read(path, "上一版方案 --previous")?;
        Ok(Some(Layers { base, base_name: None, prefer: Vec::new(), choice: None }))
    }

    /// Files this run reads: the previous plan when it lies outside the run folder (inside it, it is the
    /// last run, read before it is replaced).
    pub fn reads(&self, out: &std::path::Path) -> Vec<PathBuf> {
        self.previous
            .iter()
            .chain(self.layers.iter().map(|(_, p)| p))
            .filter(|p| !super::output::same_folder(p, out) && !p.is_dir())
            .cloned()
            .collect()
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
