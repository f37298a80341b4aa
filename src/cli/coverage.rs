//! `gridplan coverage`.

use anyhow::Context;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// 方案文件 plan.toml / the plan file.
    plan: PathBuf,
    /// Run directory. Given the same folder as `--grids`, the partition files are kept; every other file of
    /// the last run there is replaced.
    #[arg(long)]
    out: PathBuf,
    /// A partition run directory whose grids and communities the summary and ledger use.
    #[arg(long)]
    grids: Option<PathBuf>,
    /// Only these kinds (comma-separated names from `[coverage.thresholds]`).
    #[arg(long, value_delimiter = ',')]
    kinds: Option<Vec<String>>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let t0 = std::time::Instant::now();
    let plan = gridplan::config::Plan::from_path(&args.plan)?;
    let grid_files: Vec<PathBuf> = args
        .grids
        .iter()
        .flat_map(|g| gridplan::render::run_dir::PARTITION_FILES.iter().map(move |f| g.join(f)))
        .collect();
    // Coverage into the partition run it groups by keeps that partition: its figures are consistent with it.
    let keep = match &args.grids {
        Some(g) if super::output::same_folder(g, &args.out) => {
            let run_dir = gridplan::render::run_dir::PARTITION_FILES.iter();
            let extra = gridplan::render::run_dir::GIS_FILES.iter().chain([&gridplan::render::run_dir::DIVISION_FILE]);
            run_dir.chain(extra).map(|f| f.to_string()).collect()
        }
        _ => Vec::new(),
    };
    let staged = super::output::open(&args.out, "coverage", Some(&plan), grid_files, keep)?;
    let dataset = super::load_data(&plan)?;
    let params = &plan.config.coverage;
    if let Some(kinds) = &args.kinds {
        for k in kinds {
            anyhow::ensure!(
                params.thresholds.contains_key(k),
                "--kinds {k:?}: not a kind of [coverage.thresholds] in {}",
                args.plan.display()
            );
        }
    }
    let placements = match &args.grids {
        Some(dir) => {
            let placements = gridplan::load::run::read_assignment(dir)
                .with_context(|| format!("reading grids of {}", dir.display()))?;
            gridplan::load::run::check_grids_match(dir, &dataset, &placements)
                .with_context(|| format!("--grids {}", dir.display()))?;
            Some(placements)
        }
        None => None,
    };
    let grid_outlines = match &args.grids {
        Some(dir) => gridplan::load::run::read_grid_outlines(dir, plan.config.plan.output_crs, &dataset.projection)
            .with_context(|| format!("reading grids of {}", dir.display()))?,
        None => Vec::new(),
    };
    let t_load = t0.elapsed();
    let t1 = std::time::Instant::now();
    let coverage = gridplan::coverage::coverage(&dataset, params, args.kinds.as_deref())?;
    let t_distances = t1.elapsed();
    let t2 = std::time::Instant::now();
    let candidates = gridplan::coverage::candidates(&dataset);
    if let Some(note) = gridplan::coverage::no_candidates_note(&candidates, params) {
        eprintln!("note: {note}");
    }
    let sitings = gridplan::coverage::suggest_sites(&coverage, &candidates, params);
    let t_siting = t2.elapsed();
    let run = gridplan::render::coverage_dir::CoverageRun {
        plan: &plan,
        dataset: &dataset,
        coverage: &coverage,
        sitings: &sitings,
        candidates: &candidates,
        placements: placements.as_ref(),
        grid_outlines: &grid_outlines,
        // The distances stage in two: the walk graph with every snap, then one search per kind.
        timings: &[
            ("load", t_load),
            ("network_and_snapping", coverage.network_time),
            ("searches", t_distances.saturating_sub(coverage.network_time)),
            ("siting", t_siting),
        ],
    };
    let dir = run.write(staged).with_context(|| format!("writing {}", args.out.display()))?;
    let no_persons = vec![0; coverage.sites.len()];
    for k in &coverage.kinds {
        let all = coverage.total(k, k.kind.threshold_m, &no_persons);
        outln!(
            "{:<24} {:>5} facilities  {:>6.1} % of {} households within {} m",
            k.kind.name,
            k.facilities.len(),
            100.0 * all.share(),
            all.households,
            k.kind.threshold_m
        );
    }
    eprintln!(
        "{} kinds, {} sites, network {} nodes / {} edges; distances {:.2} s, siting {:.2} s; wrote {}",
        coverage.kinds.len(),
        coverage.sites.len(),
        coverage.graph.nodes.len(),
        coverage.graph.edges.len(),
        t_distances.as_secs_f64(),
        t_siting.as_secs_f64(),
        dir.display()
    );
    Ok(())
}
