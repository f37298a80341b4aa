//! Where a plan sits among the legal plans: ReCom chains (the analysts' engine, `districts::recom`) run on the
//! plan's own graph — the buildings of its basic grids, the links the partition walks on (none across a hard
//! barrier, compounds joined inside their walls), no link between communities, every compound the plan keeps
//! whole contracted into one unit — with every grid in the household band. Each step redraws two neighbouring
//! grids of one community, so every sample is a plan the same rules allow. Grids the chains cannot move are
//! kept as they are: those out of band (certified) and those not connected on these links (a grid joined
//! across a minor barrier by the undersize policy). Two figures are compared, for the plan and every sample:
//! the household-weighted mean distance to the grid's centre (就近就便) and the length of the links between
//! grids (a boundary length; a plan whose lines follow roads cuts the long links across them).
//!
//! Not a proof of anything: a picture of how typical the plan is among legal plans, with the caveat that
//! ReCom's samples favour some plans over others (spanning-tree weights) and the outlines' rules (blocks,
//! roads) are not part of them.

use super::graph::BarrierIndex;
use super::result::Partition;
use crate::config::PlanConfig;
use crate::districts::constraints::{Constraints, chain_graph, reduce};
use crate::districts::recom::{Chain, PairRetry, Params, Variant};
use crate::model::Dataset;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;

/// Samples kept per chain (the figures are read every `steps ÷ this` steps).
const SAMPLES_PER_CHAIN: u64 = 1000;

/// One figure of the plan against the samples (lower is better for both figures used here).
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    /// The plan's value.
    pub plan: f64,
    /// Every sample's value (chain after chain; the second half of each chain, after its burn-in).
    pub samples: Vec<f64>,
    /// Share of samples better (lower) than the plan.
    pub share_better: f64,
    /// Mean of the samples.
    pub mean: f64,
    /// Standard deviation of the samples.
    pub sd: f64,
    /// Split-R̂ across the chains (< 1.05: the chains agree; above, the picture is not settled).
    pub rhat: Option<f64>,
}

impl Figure {
    fn new(plan: f64, per_chain: Vec<Vec<f64>>) -> Figure {
        let rhat = crate::districts::diagnostics::diagnose(&per_chain).rhat;
        let samples: Vec<f64> = per_chain.concat();
        let n = samples.len().max(1) as f64;
        let mean = samples.iter().sum::<f64>() / n;
        let sd = (samples.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
        let share_better = samples.iter().filter(|&&x| x < plan).count() as f64 / n;
        Figure { plan, samples, share_better, mean, sd, rhat }
    }
}

/// The plan among the legal plans.
#[derive(Debug, Clone, Serialize)]
pub struct LegalPlans {
    /// Steps per chain.
    pub steps: u64,
    /// Chains.
    pub chains: usize,
    /// Basic grids.
    pub grids: usize,
    /// Grids the chains redraw.
    pub movable_grids: usize,
    /// Grids kept as they are because they are out of band.
    pub frozen_out_of_band: usize,
    /// Grids kept as they are because they are not connected on the links the chains use.
    pub frozen_not_connected: usize,
    /// Units of the chains' graph (buildings, compounds contracted) and its links.
    pub units: usize,
    /// Links between units (within communities, none across a hard barrier).
    pub links: usize,
    /// Household-weighted mean distance from a building to its grid's household-weighted centre, metres
    /// (就近就便: lower is more compact).
    pub mean_distance_m: Figure,
    /// Total length of the links between grids, metres (a boundary length: lower is more compact).
    pub boundary_m: Figure,
    /// Links between the plan's grids.
    pub plan_cut_links: usize,
    /// Steps that redrew two grids, over all chains.
    pub accepted: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// Runs the chains; `Err` says why the comparison could not be made (it never stops a plan).
pub fn legal_plans(d: &Dataset, config: &PlanConfig, p: &Partition, seed: u64) -> Result<LegalPlans, String> {
    let t0 = std::time::Instant::now();
    let (steps, chains) = (config.ensemble.steps, config.ensemble.chains.max(1));
    let band = config.bands.basic;
    // Nodes: the sites of basic grids, grid by grid.
    let mut node_of_site = vec![u32::MAX; p.sites.len()];
    let mut grid_of_node = Vec::new();
    let mut site_of_node = Vec::new();
    for (g, grid) in p.grids.iter().enumerate() {
        for &s in &grid.sites {
            node_of_site[s] = site_of_node.len() as u32;
            site_of_node.push(s);
            grid_of_node.push(g as u32);
        }
    }
    let barriers = BarrierIndex::hard(d, &config.barriers.classes);
    let mut edges: BTreeMap<(usize, usize), f64> = BTreeMap::new();
    for community in 0..p.communities.len() {
        let members: Vec<usize> =
            p.grids.iter().filter(|g| g.community == community).flat_map(|g| g.sites.iter().copied()).collect();
        let (_, links) = super::split::links_of(&p.sites, &members, config.partition.max_edge_m, &barriers);
        for l in links.iter().filter(|l| l.barrier.is_none()) {
            let (a, b) = (node_of_site[members[l.a]] as usize, node_of_site[members[l.b]] as usize);
            let e = edges.entry((a.min(b), a.max(b))).or_insert(l.length_m);
            *e = e.min(l.length_m);
        }
    }
    let (edge_list, lengths): (Vec<(usize, usize)>, Vec<f64>) = edges.into_iter().unzip();
    // Compounds the plan keeps in one grid stay whole; stacked buildings always do.
    let mut grids_of_compound: BTreeMap<usize, std::collections::BTreeSet<u32>> = BTreeMap::new();
    for (v, &s) in site_of_node.iter().enumerate() {
        if let Some(c) = p.sites[s].compound {
            grids_of_compound.entry(c).or_default().insert(grid_of_node[v]);
        }
    }
    let mut labels: BTreeMap<(u8, usize), u32> = BTreeMap::new();
    let whole: Vec<u32> = site_of_node
        .iter()
        .enumerate()
        .map(|(v, &s)| {
            let site = &p.sites[s];
            let key = match (site.compound, site.stack) {
                (Some(c), _) if grids_of_compound[&c].len() == 1 => (0, c),
                (_, Some(k)) => (1, k),
                _ => (2, v),
            };
            let next = labels.len() as u32;
            *labels.entry(key).or_insert(next)
        })
        .collect();
    let households: Vec<u64> = site_of_node.iter().map(|&s| u64::from(p.sites[s].households)).collect();
    let constraints = Constraints { whole: Some(whole), ..Default::default() };
    let reduced = reduce(households.len(), &edge_list, &households, &constraints)?;
    let graph = chain_graph(&reduced)?;
    let k = p.grids.len();
    let mut start = vec![u32::MAX; graph.len()];
    for (v, &g) in grid_of_node.iter().enumerate() {
        let slot = &mut start[reduced.node_of[v] as usize];
        if *slot != u32::MAX && *slot != g {
            return Err("a unit kept whole lies in two grids".into());
        }
        *slot = g;
    }
    // Grids kept as they are: out of band, or not one piece on the chains' links.
    let mut uf = crate::partition::graph::UnionFind::new(graph.len());
    for &(a, b) in &reduced.edges {
        if start[a] == start[b] {
            uf.union(a, b);
        }
    }
    let mut root_of_grid = vec![usize::MAX; k];
    let mut connected = vec![true; k];
    for (u, &g) in start.iter().enumerate() {
        let g = g as usize;
        let r = uf.find(u);
        if root_of_grid[g] == usize::MAX {
            root_of_grid[g] = r;
        } else if root_of_grid[g] != r {
            connected[g] = false;
        }
    }
    let out_of_band: Vec<bool> = p.grids.iter().map(|g| !band.contains(g.households)).collect();
    let frozen: Vec<bool> = (0..k).map(|g| out_of_band[g] || !connected[g]).collect();
    let params = Params {
        variant: Variant::CutEdges,
        min: u64::from(band.min()),
        max: u64::from(band.max()),
        balance_ub: 1,
        retry: PairRetry::NewPair,
    };
    let boundary = |c: &Chain| c.cut_edge_ids().iter().map(|&e| lengths[reduced.origin[e as usize]]).sum::<f64>();
    let points: Vec<geo::Point> = site_of_node.iter().map(|&s| p.sites[s].point).collect();
    let thin = (steps / SAMPLES_PER_CHAIN).max(1);
    type Run = (Vec<f64>, Vec<f64>, u64, (f64, f64, usize));
    let runs: Vec<Run> = (0..chains)
        .into_par_iter()
        .map(|c| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(c as u64 + 1);
            let mut chain = Chain::with_frozen(&graph, start.clone(), k, params, rng, frozen.clone())?;
            let mut distance = MeanDistance::new(&reduced.node_of, &points, &households, k);
            let plan = (distance.read(&chain.assignment), boundary(&chain), chain.cut_edges());
            let mut dist = Vec::with_capacity((steps / thin) as usize);
            let mut samples = Vec::with_capacity((steps / thin) as usize);
            let mut accepted = 0;
            for s in 1..=steps {
                if let crate::districts::recom::Step::Moved { a, b } = chain.step()? {
                    accepted += 1;
                    distance.touch(a);
                    distance.touch(b);
                }
                if s % thin == 0 {
                    dist.push(distance.read(&chain.assignment));
                    samples.push(boundary(&chain));
                }
            }
            Ok((dist, samples, accepted, plan))
        })
        .collect::<Result<_, String>>()?;
    let (plan_distance, plan_boundary, plan_cut_links) = runs.first().map_or((0.0, 0.0, 0), |r| r.3);
    // The first half of every chain is its walk away from the plan (burn-in): only the second half is kept.
    let kept = |v: &Vec<f64>| v[v.len() / 2..].to_vec();
    let mean_distance_m = Figure::new(plan_distance, runs.iter().map(|r| kept(&r.0)).collect());
    let boundary_m = Figure::new(plan_boundary, runs.iter().map(|r| kept(&r.1)).collect());
    Ok(LegalPlans {
        steps,
        chains,
        grids: k,
        movable_grids: frozen.iter().filter(|&&f| !f).count(),
        frozen_out_of_band: out_of_band.iter().filter(|&&f| f).count(),
        frozen_not_connected: (0..k).filter(|&g| !out_of_band[g] && !connected[g]).count(),
        units: graph.len(),
        links: graph.edges.len(),
        mean_distance_m,
        boundary_m,
        plan_cut_links,
        accepted: runs.iter().map(|r| r.2).sum(),
        seconds: t0.elapsed().as_secs_f64(),
    })
}

/// Household-weighted mean distance of the nodes to their grid's household-weighted centre, kept between
/// samples: only the grids redrawn since the last reading are summed again. The sums and terms are the same
/// floating-point operations in the same order as summing every node afresh, so the figure is bit for bit the
/// one a full pass gives (tested), at a fraction of the cost (with the default 100,000 steps a reading comes
/// every 100 steps, which redraw at most 200 grids).
struct MeanDistance<'a> {
    node_of: &'a [u32],
    points: &'a [geo::Point],
    households: &'a [u64],
    /// Per grid: Σ w·x, Σ w·y, Σ w over its nodes in node order.
    sums: Vec<(f64, f64, f64)>,
    /// Per node: its household-weighted distance to its grid's centre (0 in a grid without households).
    terms: Vec<f64>,
    /// Grids redrawn since the last reading (all, before the first).
    dirty: Vec<bool>,
}

impl<'a> MeanDistance<'a> {
    fn new(node_of: &'a [u32], points: &'a [geo::Point], households: &'a [u64], k: usize) -> MeanDistance<'a> {
        let (sums, terms, dirty) = (vec![(0.0, 0.0, 0.0); k], vec![0.0; node_of.len()], vec![true; k]);
        MeanDistance { node_of, points, households, sums, terms, dirty }
    }

    /// Marks a grid redrawn.
    fn touch(&mut self, grid: u32) {
        self.dirty[grid as usize] = true;
    }

    /// The figure for `assignment`, every grid changed since the last call having been touched.
    fn read(&mut self, assignment: &[u32]) -> f64 {
        let grid = |v: usize| assignment[self.node_of[v] as usize] as usize;
        for (g, sum) in self.sums.iter_mut().enumerate() {
            if self.dirty[g] {
                *sum = (0.0, 0.0, 0.0);
            }
        }
        for v in 0..self.node_of.len() {
            let g = grid(v);
            if self.dirty[g] {
                let w = self.households[v] as f64;
                let s = &mut self.sums[g];
                s.0 += w * self.points[v].x();
                s.1 += w * self.points[v].y();
                s.2 += w;
            }
        }
        let (mut total, mut weight) = (0.0, 0.0);
        for v in 0..self.node_of.len() {
            let g = grid(v);
            let (x, y, w) = self.sums[g];
            if w > 0.0 {
                let h = self.households[v] as f64;
                if self.dirty[g] {
                    self.terms[v] = h * (self.points[v].x() - x / w).hypot(self.points[v].y() - y / w);
                }
                total += self.terms[v];
                weight += h;
            }
        }
        self.dirty.fill(false);
        if weight > 0.0 { total / weight } else { 0.0 }
    }
}

#[cfg(test)]
mod tests {
    use super::MeanDistance;

    /// Every node afresh (the computation `MeanDistance` replaced): what `read` must equal bit for bit.
    fn full(assignment: &[u32], node_of: &[u32], points: &[geo::Point], households: &[u64], k: usize) -> f64 {
        let mut sums = vec![(0.0, 0.0, 0.0); k];
        for (v, &r) in node_of.iter().enumerate() {
            let g = assignment[r as usize] as usize;
            let w = households[v] as f64;
            sums[g].0 += w * points[v].x();
            sums[g].1 += w * points[v].y();
            sums[g].2 += w;
        }
        let (mut total, mut weight) = (0.0, 0.0);
        for (v, &r) in node_of.iter().enumerate() {
            let (x, y, w) = sums[assignment[r as usize] as usize];
            if w > 0.0 {
                let h = households[v] as f64;
                total += h * (points[v].x() - x / w).hypot(points[v].y() - y / w);
                weight += h;
            }
        }
        if weight > 0.0 { total / weight } else { 0.0 }
    }

    #[test]
    fn kept_figure_equals_a_full_pass_bit_for_bit() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let (n, units, k) = (600usize, 400usize, 9u32);
        let node_of: Vec<u32> = (0..n).map(|v| (v % units) as u32).collect();
        let points: Vec<geo::Point> =
            (0..n).map(|_| geo::Point::new(rng.random_range(0.0..5000.0), rng.random_range(0.0..5000.0))).collect();
        let households: Vec<u64> = (0..n).map(|_| rng.random_range(0..80)).collect();
        let mut assignment: Vec<u32> = (0..units).map(|u| u as u32 % k).collect();
        let mut kept = MeanDistance::new(&node_of, &points, &households, k as usize);
        for _ in 0..200 {
            let (a, b) = (rng.random_range(0..k), rng.random_range(0..k));
            for _ in 0..rng.random_range(0..30) {
                let u = rng.random_range(0..units);
                if assignment[u] == a {
                    assignment[u] = b;
                }
            }
            kept.touch(a);
            kept.touch(b);
            let expected = full(&assignment, &node_of, &points, &households, k as usize);
            assert_eq!(kept.read(&assignment).to_bits(), expected.to_bits());
        }
    }
}
