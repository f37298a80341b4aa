//! `gridplan plan`: the whole job — partition, coverage, workload, charts, report — in one run directory.

use anyhow::Context;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// 方案文件 plan.toml，或 OpenStreetMap 地图文件 .osm.pbf（先导入到 结果文件夹/input）/ the plan file, or an
    /// OpenStreetMap `.osm.pbf` (imported first into RUN_DIR/input with a default plan).
    pub(super) plan: PathBuf,
    /// 结果文件夹（只有运行成功才整体替换上一次的结果）/ run folder (replaced as a whole only when the run succeeds).
    #[arg(long)]
    pub(super) out: PathBuf,
    /// 随机种子（默认用方案文件里的）/ seed (default: the plan's).
    #[arg(long)]
    pub(super) seed: Option<u64>,
    /// 统计用区划代码表（CSV，含 code、name 列，可多个，逗号分隔），导入 .osm.pbf 时按名称给街道、社区配上代码 /
    /// official division lists (CSV with code and name) copied in when importing a .osm.pbf: streets and
    /// communities take their codes by name.
    #[arg(long, value_delimiter = ',')]
    pub(super) division_codes: Vec<PathBuf>,
    /// 只规划第 I 个分片（共 N 个，按街道分配，结果为完整的运行文件夹；用 gridplan merge 合并）/ plan shard I of N
    /// only (streets dealt by households; a complete run folder; `gridplan merge` joins the shards).
    #[arg(long, value_name = "I/N")]
    pub(super) shard: Option<gridplan::shard::Shard>,
    /// 分片单位：街道，或区县（同一区县的街道在同一分片）/ what shards are dealt by: streets, or districts
    /// (a district's streets together).
    #[arg(long, value_enum, default_value_t, requires = "shard")]
    pub(super) shard_by: gridplan::shard::ShardBy,
    #[command(flatten)]
    pub(super) replan: super::replan::ReplanArgs,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    args.replan.validate()?;
    let bar = indicatif::ProgressBar::new_spinner().with_style(
        indicatif::ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar.set_message("loading");
    let t0 = std::time::Instant::now();
    // The lock is taken first, and an imported pbf is staged with the rest of the run: a failed run leaves the
    // last good one whole, inputs included.
    let (staged, plan) = if args.plan.extension().is_some_and(|e| e == "pbf") {
        let mut reads = vec![args.plan.clone()];
        reads.extend(args.division_codes.iter().cloned());
        reads.extend(args.replan.reads(&args.out));
        let staged = super::output::open(&args.out, "plan", None, reads, Vec::new())?;
        bar.set_message("importing OpenStreetMap");
        let mut config = gridplan::config::PlanConfig::default();
        config.admin.division_codes = args.division_codes.clone();
        gridplan::import::import_into(&args.plan, &staged, "input/", &Default::default(), &config)
            .with_context(|| format!("importing {}", args.plan.display()))?;
        let plan = gridplan::config::Plan::from_path(&staged.path("input/plan.toml"))?;
        (staged, plan)
    } else {
        anyhow::ensure!(
            args.division_codes.is_empty(),
            "--division-codes 只用于导入 .osm.pbf；已有方案文件时请在 [admin] division_codes 中填写 / --division-codes is for importing a .osm.pbf; a plan names its lists in [admin] division_codes"
        );
        let plan = gridplan::config::Plan::from_path(&args.plan)?;
        (super::output::open(&args.out, "plan", Some(&plan), args.replan.reads(&args.out), Vec::new())?, plan)
    };
    let mut plan = plan;
    args.replan.apply(&mut plan);
    anyhow::ensure!(
        args.shard.is_none() || args.replan.layers.is_empty(),
        "分片运行不支持多网合一（merge-layers）/ a shard cannot merge layers (merge-layers)"
    );
    let mut dataset = super::load_data(&plan)?;
    // A shard's part of the previous plan is found on the whole input, before the input is cut down.
    let mut previous = args.replan.read(&plan, &dataset)?;
    if let Some(shard) = args.shard {
        previous = previous.map(|mut layers| {
            layers.base = gridplan::shard::rerun::previous_of(layers.base, &dataset, shard, args.shard_by);
            layers
        });
        dataset = gridplan::shard::restrict(dataset, shard, args.shard_by);
    }
    if let Some(info) = &dataset.shard {
        let shard = info.shard;
        eprintln!(
            "分片 {shard}：{} 个街道，{} 户（全部输入 {} 户）/ shard {shard}: {} streets, {} households (of {} in the input)",
            info.streets.len(),
            info.households,
            info.input_households,
            info.streets.len(),
            info.households,
            info.input_households
        );
    }
    // Records name the inputs where they will be once the run is in place, not in the staging folder.
    plan.path = staged.final_path(&plan.path);
    for layer in &mut dataset.layers {
        layer.path = staged.final_path(&layer.path);
    }
    let table = match &plan.config.workload.workers_table {
        Some(rel) => Some(gridplan::load::run::read_workers(&plan.resolve(rel))?),
        None => None,
    };
    let seed = args.seed.unwrap_or(plan.config.plan.seed);
    let run = gridplan::pipeline::run(
        &plan,
        &dataset,
        seed,
        staged,
        table.as_ref(),
        previous.as_ref().map(|l| l.rerun()).as_ref(),
        t0.elapsed(),
        &mut |stage| bar.set_message(stage.to_string()),
    )
    .with_context(|| format!("plan run into {}", args.out.display()))?;
    bar.finish_and_clear();
    super::warn_unassigned(&run.partition);
    super::warn_unproved(&run.check);
    if let Some(note) =
        gridplan::coverage::no_candidates_note(&gridplan::coverage::candidates(&dataset), &plan.config.coverage)
    {
        eprintln!("note: {note}");
    }
    outln!("{}", serde_json::to_string_pretty(&run.check)?);
    if let Some(change) = &run.change {
        eprintln!("{}", super::replan::summary(change));
    }
    if let Some(l) = &previous
        && let Some(choice) = &l.choice
    {
        let scores: Vec<String> = choice.scores.iter().map(|(n, s)| format!("{n} {:.1} %", 100.0 * s)).collect();
        eprintln!(
            "多网合一：以图层 {} 为基础（{}）；各图层与其他图层的平均纯度：{} / merged from layer {} ({}); mean purity against the other layers: {}; merge_purity.csv, merge_splits.csv, charts/merge_purity.png",
            choice.base,
            if choice.named { "指定" } else { "与其他图层最一致" },
            scores.join("，"),
            choice.base,
            if choice.named { "named by --base" } else { "the best match of the others" },
            scores.join(", ")
        );
    }
    let w = &run.workload.all;
    eprintln!(
        "{} basic grids ({:.1} % in band, CV {:.3}, Gini {:.3}); {}; wrote {}",
        w.grids,
        100.0 * w.share_in_band,
        w.cv,
        w.gini,
        run.timings.iter().map(|(k, t)| format!("{k} {:.2} s", t.as_secs_f64())).collect::<Vec<_>>().join(", "),
        run.dir.display()
    );
    Ok(())
}
