//! Command-line interface: clap definitions and dispatch only; the work is in the library.

/// Writes a line to standard output and returns its error, so that a closed pipe (`gridplan inspect | head`)
/// ends the command quietly instead of panicking as `println!` does.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?
    }};
}

mod compare;
mod coverage;
mod districts;
mod ensemble;
mod export_graph;
mod import_osm;
mod inspect;
mod locate;
mod merge_layers;
mod output;
mod partition;
mod plan;
mod replan;
mod synth;

use clap::{Parser, Subcommand};

/// gridplan — 网格规划与分析: grid planning and analysis for urban grassroots governance.
#[derive(Debug, Parser)]
#[command(name = "gridplan", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Read an OpenStreetMap .osm.pbf into normalized WGS84 GeoJSON layers and a ready-to-edit plan.toml.
    ImportOsm(import_osm::Args),
    /// Load a plan's layers and report counts, households, persons, bounding boxes, CRS and every warning.
    Inspect(inspect::Args),
    /// The whole job in one run directory: partition, coverage and new sites, workload, charts, report.html.
    Plan(plan::Args),
    /// Partition every community into basic grids in band, never across a hard barrier, compounds whole unless
    /// the band needs otherwise; every grid out of band comes with a proof.
    Partition(partition::Args),
    /// Walking coverage (15-minute service circles) per household and facility kind, the uncovered ledger,
    /// and suggested new sites.
    Coverage(coverage::Args),
    /// Two run directories side by side: workload figures and stability (households that changed grid,
    /// grids unchanged).
    Compare(compare::Args),
    /// 多网合一: one plan from several departments' grid layers, re-planned from the best-matching one with the
    /// others kept together where moves allow; how pure every grid is against each layer.
    MergeLayers(merge_layers::Args),
    /// Analysts: exactly K contiguous districts within a population tolerance on a GerryChain/networkx graph.
    Districts(districts::Args),
    /// Analysts: ReCom ensembles (cut-edges, district-pairs or reversible) with per-step statistics, BEN plans
    /// and diagnostics across chains.
    Ensemble(ensemble::Args),
    /// 查询地址或建筑所在的网格、微网格、社区、街道和网格员 / which grid an address or building is in, and its workers.
    Locate(locate::Args),
    /// Write the unit graph as networkx/GerryChain adjacency JSON (for the peer comparison).
    ExportGraph(export_graph::Args),
    /// Write a seeded synthetic city (streets, communities, compounds, roads, a river, facilities) with a plan.
    Synth(synth::Args),
}

/// Reads a plan file and loads its layers, naming the plan in any error.
fn load(path: &std::path::Path) -> anyhow::Result<(gridplan::config::Plan, gridplan::model::Dataset)> {
    let plan = gridplan::config::Plan::from_path(path)?;
    let dataset = load_data(&plan)?;
    Ok((plan, dataset))
}

/// Loads a plan's layers, naming the plan in any error.
fn load_data(plan: &gridplan::config::Plan) -> anyhow::Result<gridplan::model::Dataset> {
    use anyhow::Context;
    gridplan::load::load_plan(plan).with_context(|| format!("loading {}", plan.path.display()))
}

/// The first line a planner sees when households were left out of every grid: how many, and why.
/// Out-of-band grids whose certificate is not a proof: the planner must know the search gave up.
fn warn_unproved(check: &gridplan::partition::check::Check) {
    if check.grids_out_of_band_unexplained > 0 {
        eprintln!(
            "警告：{0} 个超出户数范围的网格（共 {1} 个）未能证明无法调整到范围内（搜索已达上限，可调大 [partition] exact_budget） / \
             warning: {0} of {1} grids out of band have no proof that no in-band plan exists (the search gave up; \
             run.json certificates say how far it got; raise [partition] exact_budget to search further)",
            check.grids_out_of_band_unexplained, check.grids_out_of_band
        );
    }
}

fn warn_unassigned(p: &gridplan::partition::Partition) {
    let left = p.unassigned_households();
    if left == 0 {
        return;
    }
    let total = left + p.assigned_households();
    eprintln!(
        "warning: {left} of {total} households ({:.1} %) are in no grid — {}; unassigned.csv lists every one",
        100.0 * left as f64 / total as f64,
        p.unassigned_summary()
    );
}

/// Runs one command.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::ImportOsm(a) => import_osm::run(a),
        Command::Inspect(a) => inspect::run(a),
        Command::Partition(a) => partition::run(a),
        Command::Plan(a) => plan::run(a),
        Command::Coverage(a) => coverage::run(a),
        Command::Compare(a) => compare::run(a),
        Command::MergeLayers(a) => merge_layers::run(a),
        Command::Districts(a) => districts::run(a),
        Command::Ensemble(a) => ensemble::run(a),
        Command::Locate(a) => locate::run(a),
        Command::Synth(a) => synth::run(a),
        Command::ExportGraph(a) => export_graph::run(a),
    }
}
