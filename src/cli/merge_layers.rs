//! `gridplan merge-layers`: 多网合一 — one plan from the grid layers of several departments.

use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The plan file (the data the merged plan is drawn on).
    plan: PathBuf,
    /// 原网格图层：名称=路径（运行文件夹、带网格编号的面图层或“单元→网格编号”表），至少两个 / A legacy grid layer
    /// as NAME=PATH (a run folder, a polygon layer with a grid id, or a table unit → grid id); two or more.
    #[arg(long = "layer", value_name = "NAME=PATH", required = true)]
    layers: Vec<String>,
    /// 以哪个图层为基础（默认：与其他图层最一致者） / The layer to re-plan from (default: the one whose grids are
    /// purest against the others).
    #[arg(long)]
    base: Option<String>,
    /// Run directory (replaced as a whole only when the run succeeds).
    #[arg(long)]
    out: PathBuf,
    /// Seed (default: the plan's).
    #[arg(long)]
    seed: Option<u64>,
    /// Most households the merge may move from the base layer, percent.
    #[arg(long, value_name = "PCT")]
    max_moved: Option<f64>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let mut layers = Vec::new();
    for spec in &args.layers {
        let Some((name, path)) = spec.split_once('=').filter(|(n, p)| !n.is_empty() && !p.is_empty()) else {
            anyhow::bail!(
                "--layer {spec:?}：应为 名称=路径，例如 --layer 党建=party_grids.geojson / expected NAME=PATH"
            );
        };
        if layers.iter().any(|(n, _): &(String, PathBuf)| n == name) {
            anyhow::bail!("--layer {name}：两个图层同名 / two layers of one name");
        }
        layers.push((name.to_string(), PathBuf::from(path)));
    }
    if layers.len() < 2 {
        anyhow::bail!(
            "多网合一需要至少两个 --layer 名称=路径（只有一个图层时请用 plan --previous） / merge-layers needs two or more --layer NAME=PATH (one layer is a rerun: plan --previous)"
        );
    }
    if let Some(b) = &args.base
        && !layers.iter().any(|(n, _)| n == b)
    {
        let names: Vec<&str> = layers.iter().map(|(n, _)| n.as_str()).collect();
        anyhow::bail!("--base {b}：没有这个图层（图层：{}） / no layer of that name", names.join(", "));
    }
    let replan = super::replan::ReplanArgs { layers, base: args.base, max_moved: args.max_moved, ..Default::default() };
    super::plan::run(super::plan::Args {
        plan: args.plan,
        out: args.out,
        seed: args.seed,
        division_codes: Vec::new(),
        shard: None,
        shard_by: Default::default(),
        replan,
    })
}
