//! `gridplan plan`: the whole job in one run directory — partition, coverage with new sites, workload, charts
//! and the report — staged, so a failed run leaves the last good directory as it was.

use crate::config::Plan;
use crate::coverage::{self, Coverage};
use crate::grids::GridRow;
use crate::load::run::Placement;
use crate::model::Dataset;
use crate::partition::Partition;
use crate::partition::check::Check;
use crate::render::coverage_dir::CoverageRun;
use crate::render::output_dir::StagedDir;
use crate::render::workload_dir::WorkloadRun;
use crate::workload::Workload;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Writing the run directory failed (the previous one is untouched).
    #[error("writing the run directory: {0}")]
    Io(std::io::Error),
    /// The run folder could not be replaced (the previous one is untouched).
    #[error(transparent)]
    Output(#[from] crate::render::output_dir::OutputError),
    /// The plan's coverage kinds do not match the data.
    #[error(transparent)]
    Coverage(#[from] crate::coverage::CoverageError),
    /// No household could be placed in a grid.
    #[error(transparent)]
    NothingPlanned(#[from] crate::partition::NothingPlanned),
    /// The rerun cannot start from the previous plan.
    #[error(transparent)]
    Replan(#[from] crate::partition::replan::ReplanError),
    /// Workers could not be set.
    #[error(transparent)]
    Workload(#[from] crate::workload::WorkloadError),
}

impl From<std::io::Error> for RunError {
    fn from(e: std::io::Error) -> RunError {
        RunError::Io(e)
    }
}

/// What a finished run holds, for the caller's summary.
#[derive(Debug)]
pub struct PlanRun {
    /// The run directory.
    pub dir: PathBuf,
    /// The partition invariants.
    pub check: Check,
    /// Workload of the grids.
    pub workload: Workload,
    /// The partition.
    pub partition: Partition,
    /// Stage timings.
    pub timings: Vec<(&'static str, Duration)>,
    /// In a rerun: how much changed.
    pub change: Option<crate::partition::replan::change::Change>,
}

/// The grid and community of every unit, from the grid rows (what `assignment.csv` holds).
pub fn placements(d: &Dataset, p: &Partition, rows: &[GridRow]) -> HashMap<String, Placement> {
    let mut out = HashMap::new();
    for r in rows {
        for &s in &r.sites {
            let placement = Placement {
                grid: r.grid_id.clone(),
                community: r.community_id.clone().unwrap_or_default(),
                households: u64::from(p.sites[s].households),
            };
            out.insert(p.sites[s].member.id(d).0.to_string(), placement);
        }
    }
    out
}

/// Runs everything on a loaded dataset, from `previous` when rerunning; `stage` is told each stage's name as
/// it starts.
#[allow(clippy::too_many_arguments, reason = "the whole job's inputs, each separate")]
pub fn run(
    plan: &Plan,
    d: &Dataset,
    seed: u64,
    staged: StagedDir,
    workers_table: Option<&BTreeMap<String, u32>>,
    previous: Option<&crate::partition::replan::Rerun>,
    load_time: Duration,
    stage: &mut dyn FnMut(&str),
) -> Result<PlanRun, RunError> {
    let config = &plan.config;
    let mut timings = vec![("load", load_time)];
    let timed = |name: &'static str, timings: &mut Vec<(&'static str, Duration)>, t: Instant| {
        timings.push((name, t.elapsed()));
    };

    stage("partition");
    let t = Instant::now();
    let partition = crate::partition::partition_from(d, config, seed, &crate::partition::TreePartitioner, previous)?;
    partition.ensure_planned()?;
    let check = crate::partition::check::check(d, &partition, config);
    timed("partition", &mut timings, t);

    let legal = (config.ensemble.steps > 0).then(|| {
        stage("legal plans");
        let t = Instant::now();
        let l = crate::partition::legal_plans::legal_plans(d, config, &partition, seed);
        timed("legal_plans", &mut timings, t);
        l
    });

    stage("outlines");
    let t = Instant::now();
    let grids = crate::grids::grids(d, &partition, config);
    let rows = &grids.rows;
    timed("outlines", &mut timings, t);

    stage("coverage");
    let t = Instant::now();
    let cov: Coverage = coverage::coverage(d, &config.coverage, None)?;
    timed("coverage", &mut timings, t);

    stage("new sites");
    let t = Instant::now();
    let candidates = coverage::candidates(d);
    let sitings = coverage::suggest_sites(&cov, &candidates, &config.coverage);
    timed("siting", &mut timings, t);

    stage("workload");
    let t = Instant::now();
    let workload = crate::workload::workload(rows, &config.workload, config.bands.basic, workers_table)?;
    timed("workload", &mut timings, t);

    stage("writing outputs, charts and report");
    let t = Instant::now();
    let outlines: Vec<geo::MultiPolygon> = rows.iter().map(|r| r.polygon.clone()).collect();
    let placed = placements(d, &partition, rows);
    let coverage_run = CoverageRun {
        plan,
        dataset: d,
        coverage: &cov,
        sitings: &sitings,
        candidates: &candidates,
        placements: Some(&placed),
        grid_outlines: &outlines,
        // The stages so far (load, coverage and siting among them); writing is in run.json.
        timings: &timings,
    };
    let micro_outlines: Vec<geo::MultiPolygon> = grids.micro.iter().map(|m| m.polygon.clone()).collect();
    let workload_run = WorkloadRun {
        dataset: d,
        partition: &partition,
        rows,
        workload: &workload,
        coverage: Some(&cov),
        band: config.bands.basic,
        micro_outlines: &micro_outlines,
        csv_headers: config.plan.csv_headers,
    };
    let coverage_by_grid = workload_run.coverage_by_grid();
    let report = crate::render::report::Report {
        plan,
        dataset: d,
        partition: &partition,
        rows,
        check: &check,
        grids: &grids,
        workload: &workload,
        coverage: &cov,
        sitings: &sitings,
        coverage_by_grid: &coverage_by_grid,
        seed,
        legal_plans: legal.as_ref(),
    };
    // The tables first, then two lines of work on two cores: the workbook made from the tables (the slowest
    // file: ≈ 1 s for Harbin's 133,000-row ledger, one sheet on one core, so it starts as early as it can);
    // beside it the maps and charts, the GIS files and the report's map data, then the report, which embeds
    // the charts.
    let (coverage_tables, workload_tables) =
        rayon::join(|| coverage_run.write_tables(&staged), || workload_run.write_tables(&staged, &coverage_by_grid));
    coverage_tables?;
    workload_tables?;
    let (book, rest) = rayon::join(
        || crate::render::workbook::write_workbook(&staged),
        || -> std::io::Result<serde_json::Value> {
            let ((maps, charts), (record, map_json)) = rayon::join(
                || {
                    rayon::join(
                        || coverage_run.write_maps(&staged),
                        || -> std::io::Result<()> {
                            workload_run.write_charts(&staged)?;
                            match &legal {
                                Some(l) => crate::render::legal_plans::write(&staged, l),
                                None => Ok(()),
                            }
                        },
                    )
                },
                || {
                    rayon::join(
                        || {
                            crate::render::run_dir::write_partition_files(
                                &staged, plan, d, &partition, &grids, &check, seed,
                            )
                        },
                        || crate::render::report::map_script(&report),
                    )
                },
            );
            maps?;
            charts?;
            crate::render::report::write_report(&staged, &report, &map_json)?;
            record
        },
    );
    book?;
    timed("writing", &mut timings, t);
    crate::render::run_dir::write_run_json(&staged, rest?, &timings)?;
    let t = Instant::now();
    let dir = staged.commit()?;
    // Not in run.json (it is written before the commit); the command's summary line shows it.
    timed("commit", &mut timings, t);
    let change = grids.change.map(|(c, _)| c);
    Ok(PlanRun { dir, check, workload, partition, timings, change })
}
