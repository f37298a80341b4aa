//! `gridplan partition`.

use anyhow::Context;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// 方案文件 plan.toml / the plan file.
    plan: PathBuf,
    /// 结果文件夹（只有运行成功才整体替换上一次的结果）/ run folder (replaced as a whole only when the run succeeds).
    #[arg(long)]
    out: PathBuf,
    /// 随机种子（默认用方案文件里的）/ seed (default: the plan's).
    #[arg(long)]
    seed: Option<u64>,
    /// 划分方法：tree（推荐）或 kmeans（仅作对照）/ algorithm: `tree` (recommended) or `kmeans` (a baseline; see the
    /// README's algorithm section).
    #[arg(long, default_value = "tree")]
    algorithm: String,
    #[command(flatten)]
    replan: super::replan::ReplanArgs,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    args.replan.validate()?;
    let t0 = std::time::Instant::now();
    let mut plan = gridplan::config::Plan::from_path(&args.plan)?;
    args.replan.apply(&mut plan);
    let staged = super::output::open(&args.out, "partition", Some(&plan), args.replan.reads(&args.out), Vec::new())?;
    let dataset = super::load_data(&plan)?;
    let previous = args.replan.read(&plan, &dataset)?;
    let t_load = t0.elapsed();
    let seed = args.seed.unwrap_or(plan.config.plan.seed);
    let t1 = std::time::Instant::now();
    let algorithm = gridplan::partition::by_name(&args.algorithm).ok_or_else(|| {
        let names: Vec<&str> = gridplan::partition::all().iter().map(|p| p.name()).collect();
        anyhow::anyhow!("unknown --algorithm {:?}: expected one of {}", args.algorithm, names.join(", "))
    })?;
    let partition = gridplan::partition::partition_from(
        &dataset,
        &plan.config,
        seed,
        algorithm,
        previous.as_ref().map(|l| l.rerun()).as_ref(),
    )?;
    partition.ensure_planned()?;
    let t_partition = t1.elapsed();
    let check = gridplan::partition::check::check(&dataset, &partition, &plan.config);
    let (run, change) = gridplan::render::run_dir::write_partition(
        staged,
        &plan,
        &dataset,
        &partition,
        &check,
        seed,
        &[("load", t_load), ("partition", t_partition)],
    )
    .with_context(|| format!("writing {}", args.out.display()))?;
    super::warn_unassigned(&partition);
    super::warn_unproved(&check);
    outln!("{}", serde_json::to_string_pretty(&check)?);
    if let Some(change) = &change {
        eprintln!("{}", super::replan::summary(change));
    }
    eprintln!(
        "{} communities, {} grids ({} in band) in {:.2} s; wrote {}",
        partition.communities.len(),
        check.grids,
        check.grids_in_band,
        t_partition.as_secs_f64(),
        run.display()
    );
    Ok(())
}
