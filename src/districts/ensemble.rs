//! ReCom ensembles: independent chains (one per starting plan, each with its own stream of one seeded
//! ChaCha8 generator), run in parallel across chains with rayon; every step's statistics streamed as a JSON
//! line and every sample's plan to a `PlanWriter`; the scalar series kept for the diagnostics across chains.
//! Same graph, plans, parameters and seed ⇒ the same bytes, whatever the number of threads.

use super::ben::PlanWriter;
use super::diagnostics::{Diagnostic, diagnose};
use super::graph::Graph;
use super::recom::{Chain, Params, SelfLoop, Step};
use super::stats::{NodeData, Tally};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;
use std::io::Write;

/// What one chain did.
#[derive(Debug, Clone, Serialize)]
pub struct ChainReport {
    /// Steps taken (self-loops included).
    pub steps: u64,
    /// Steps that redrew two districts.
    pub accepted: u64,
    /// Self-loops by reason.
    pub self_loops: SelfLoops,
    /// Spanning trees drawn.
    pub trees: u64,
    /// Cut edges of the starting and of the last plan.
    pub cut_edges_first: usize,
    /// Cut edges of the last plan.
    pub cut_edges_last: usize,
    /// Wall-clock seconds of the chain (statistics and plans included).
    pub seconds: f64,
    /// Steps per second.
    pub steps_per_s: f64,
    /// Scalar series (cut edges, deviation, county splits, mean Polsby–Popper), one value a step.
    #[serde(skip)]
    pub series: [Vec<f64>; 4],
}

/// Self-loops of a reversible chain by reason.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct SelfLoops {
    /// Pair not adjacent.
    pub non_adjacent: u64,
    /// No balanced cut in the tree.
    pub no_split: u64,
    /// Rejected by the seam test.
    pub seam_length: u64,
}

/// The names of the scalar series, in `ChainReport::series` order.
pub const SERIES: [&str; 4] = ["cut_edges", "max_deviation", "county_splits", "polsby_popper_mean"];

/// The inputs every chain shares.
#[derive(Debug, Clone, Copy)]
pub struct Setup<'a> {
    /// The graph.
    pub graph: &'a Graph,
    /// Sums, geometry, counties.
    pub data: &'a NodeData,
    /// Number of districts.
    pub k: usize,
    /// Chain parameters.
    pub params: Params,
    /// Steps per chain.
    pub steps: u64,
    /// Seed of the ensemble (chain c draws from stream c).
    pub seed: u64,
    /// Write the plan every `thin` steps (the starting plan always).
    pub thin: u64,
    /// The chain's node of every original node, when constraints contracted the graph: plans are written
    /// for the original nodes.
    pub expand: Option<&'a [u32]>,
}

/// Runs one chain from `initial`, writing statistics to `stats` and plans to `plans`.
pub fn run_chain<S: Write, P: Write>(
    setup: &Setup,
    chain_index: usize,
    initial: Vec<u32>,
    mut stats: S,
    plans: &mut PlanWriter<P>,
) -> Result<ChainReport, String> {
    let t0 = std::time::Instant::now();
    let mut rng = ChaCha8Rng::seed_from_u64(setup.seed);
    rng.set_stream(chain_index as u64);
    let mut chain = Chain::new(setup.graph, initial, setup.k, setup.params, rng)?;
    let mut tally = Tally::new(&chain, setup.data);
    let ideal = setup.graph.total_population() as f64 / setup.k as f64;
    let io = |e: std::io::Error| format!("chain {chain_index}: writing failed: {e}");
    let mut line = String::with_capacity(1 << 16);
    let mut scalars = tally.scalars(&chain, setup.data, ideal);
    tally.write_line(&mut line, chain_index, 0, None, &chain, setup.data, &scalars);
    let mut expanded = Vec::new();
    let mut write_plan = |plans: &mut PlanWriter<P>, assignment: &[u32]| match setup.expand {
        None => plans.sample(assignment),
        Some(node_of) => {
            expanded.clear();
            expanded.extend(node_of.iter().map(|&r| assignment[r as usize]));
            plans.sample(&expanded)
        }
    };
    write_plan(plans, &chain.assignment).map_err(io)?;
    let mut report = ChainReport {
        steps: setup.steps,
        accepted: 0,
        self_loops: SelfLoops::default(),
        trees: 0,
        cut_edges_first: chain.cut_edges() + setup.data.cut_offset,
        cut_edges_last: 0,
        seconds: 0.0,
        steps_per_s: 0.0,
        series: std::array::from_fn(|_| Vec::with_capacity(setup.steps as usize)),
    };
    for s in 1..=setup.steps {
        let step = chain.step().map_err(|e| format!("chain {chain_index}, step {s}: {e}"))?;
        match step {
            Step::Moved { .. } => report.accepted += 1,
            Step::SelfLoop(SelfLoop::NonAdjacent) => report.self_loops.non_adjacent += 1,
            Step::SelfLoop(SelfLoop::NoSplit) => report.self_loops.no_split += 1,
            Step::SelfLoop(SelfLoop::SeamLength) => report.self_loops.seam_length += 1,
        }
        tally.update(&chain, setup.data, step);
        if matches!(step, Step::Moved { .. }) {
            scalars = tally.scalars(&chain, setup.data, ideal);
        }
        for (series, x) in report.series.iter_mut().zip([
            scalars.cut_edges,
            scalars.max_deviation,
            scalars.county_splits,
            scalars.polsby_popper_mean,
        ]) {
            series.push(x);
        }
        tally.write_line(&mut line, chain_index, s, Some(step), &chain, setup.data, &scalars);
        if line.len() > 1 << 15 {
            stats.write_all(line.as_bytes()).map_err(io)?;
            line.clear();
        }
        if s % setup.thin.max(1) == 0 {
            write_plan(plans, &chain.assignment).map_err(io)?;
        }
    }
    stats.write_all(line.as_bytes()).and_then(|()| stats.flush()).map_err(io)?;
    report.trees = chain.trees;
    report.cut_edges_last = chain.cut_edges() + setup.data.cut_offset;
    report.seconds = t0.elapsed().as_secs_f64();
    report.steps_per_s = setup.steps as f64 / report.seconds.max(1e-9);
    Ok(report)
}

/// Runs one chain per starting plan in parallel; `sinks(c)` opens chain c's statistics and plan writers.
pub fn run<S, P, F>(setup: &Setup, initial: Vec<Vec<u32>>, sinks: F) -> Result<Vec<ChainReport>, String>
where
    S: Write + Send,
    P: Write + Send,
    F: Fn(usize) -> Result<(S, PlanWriter<P>), String> + Sync,
{
    initial
        .into_par_iter()
        .enumerate()
        .map(|(c, plan)| {
            let (stats, mut plans) = sinks(c)?;
            let report = run_chain(setup, c, plan, stats, &mut plans)?;
            plans.finish().map_err(|e| format!("chain {c}: writing plans failed: {e}"))?;
            Ok(report)
        })
        .collect()
}

/// Diagnostics of every scalar series across the chains.
pub fn diagnostics(reports: &[ChainReport]) -> Vec<(&'static str, Diagnostic)> {
    SERIES
        .iter()
        .enumerate()
        .map(|(i, &name)| {
            let series: Vec<Vec<f64>> = reports.iter().map(|r| r.series[i].clone()).collect();
            (name, diagnose(&series))
        })
        .collect()
}
