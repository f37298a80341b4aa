//! `gridplan plan`: the whole job — partition, coverage, workload, charts, report — in one run directory.

use anyhow::Context;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The plan file, or an OpenStreetMap `.osm.pbf` (imported first into RUN_DIR/input with a default plan).
    plan: PathBuf,
    /// Run directory (replaced as a whole only when the run succeeds).
    #[arg(long)]
    out: PathBuf,
    /// Seed (default: the plan's).
    #[arg(long)]
    seed: Option<u64>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let bar = indicatif::ProgressBar::new_spinner().with_style(
        indicatif::ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar.set_message("loading");
    let t0 = std::time::Instant::now();
    let plan_path = if args.plan.extension().is_some_and(|e| e == "pbf") {
        bar.set_message("importing OpenStreetMap");
        let input = args.out.join("input");
        gridplan::import::import_osm(&args.plan, &input, &Default::default(), &Default::default())
            .with_context(|| format!("importing {}", args.plan.display()))?;
        input.join("plan.toml")
    } else {
        args.plan.clone()
    };
    let (plan, dataset) = super::load(&plan_path)?;
    let table = match &plan.config.workload.workers_table {
        Some(rel) => {
            let path = plan.path.parent().unwrap_or(std::path::Path::new(".")).join(rel);
            Some(gridplan::load::run::read_workers(&path)?)
        }
        None => None,
    };
    let seed = args.seed.unwrap_or(plan.config.plan.seed);
    let run = gridplan::pipeline::run(&plan, &dataset, seed, &args.out, table.as_ref(), t0.elapsed(), &mut |stage| {
        bar.set_message(stage.to_string());
    })
    .with_context(|| format!("plan run into {}", args.out.display()))?;
    bar.finish_and_clear();
    println!("{}", serde_json::to_string_pretty(&run.check)?);
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
