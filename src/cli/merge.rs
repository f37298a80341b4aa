//! `gridplan merge`: the union of shard runs (`plan --shard I/N`), checked.

use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// 各分片的运行文件夹（plan --shard I/N 的结果）/ the shard runs' folders (made by `plan --shard I/N`).
    #[arg(required = true)]
    pub(super) runs: Vec<PathBuf>,
    /// 合并结果文件夹 / the folder for the union.
    #[arg(long)]
    pub(super) out: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let staged = super::output::open(&args.out, "merge", None, args.runs.clone(), Vec::new())?;
    let merged = gridplan::shard::merge::merge(&args.runs, &staged)?;
    let dir = staged.commit()?;
    outln!("{}", serde_json::to_string_pretty(&merged)?);
    eprintln!(
        "合并 {} 个分片：{} 个网格，{} 户已规划，{} 户未规划（输入 {} 户）；写入 {} / merged {} shards: {} grids, {} households planned, {} not (input {}); wrote {}",
        merged.shards,
        merged.grids,
        merged.households_planned,
        merged.households_unplanned,
        merged.input_households,
        dir.display(),
        merged.shards,
        merged.grids,
        merged.households_planned,
        merged.households_unplanned,
        merged.input_households,
        dir.display()
    );
    Ok(())
}
