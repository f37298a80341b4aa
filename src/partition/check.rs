//! The invariants of a plan, recomputed from the result rather than trusted from construction: every household
//! counted, grids in band or explained, no grid across a hard barrier, no compound that fits split, no grid
//! across its community or street. Written as `check.json` with exactly these integer keys.

use super::Partition;
use super::graph::{BarrierIndex, UnionFind, site_links};
use crate::config::PlanConfig;
use crate::model::Dataset;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// `check.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Households in the input.
    pub households_in: u64,
    /// Households in some grid, basic or dedicated.
    pub households_assigned: u64,
    /// Households in `unassigned.csv`.
    pub households_unassigned: u64,
    /// Basic grids (dedicated grids are counted in `run.json`; the band applies to basic grids).
    pub grids: u64,
    /// Grids inside the basic band.
    pub grids_in_band: u64,
    /// Grids outside it.
    pub grids_out_of_band: u64,
    /// Grids outside it without a feasibility certificate.
    pub grids_out_of_band_unexplained: u64,
    /// Extra pieces grids fall into when links across hard barriers are not allowed (0: no grid crosses one).
    pub barrier_crossings: u64,
    /// Compounds that fit in one grid (≤ upper bound, one community, not divided by a barrier) yet are split.
    pub compounds_split: u64,
    /// Grids whose households lie in more than one community or street.
    pub nesting_violations: u64,
}

/// For every basic grid: how many pieces its sites form with barrier-free links only, and with all links,
/// over the neighbourhood (Delaunay links within `max_edge_m`) of its community — the graph grids are drawn on.
fn grid_pieces(
    p: &Partition,
    config: &PlanConfig,
    barriers: &BarrierIndex,
    grid_of_site: &[usize],
) -> Vec<(usize, usize)> {
    let mut free_roots: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); p.grids.len()];
    let mut any_roots: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); p.grids.len()];
    for c in &p.communities {
        let points: Vec<geo::Point> = c.sites.iter().map(|&s| p.sites[s].point).collect();
        let links = site_links(&points, config.partition.max_edge_m, barriers);
        let mut free = UnionFind::new(points.len());
        let mut any = UnionFind::new(points.len());
        for l in &links {
            if grid_of_site[c.sites[l.a]] == grid_of_site[c.sites[l.b]] {
                any.union(l.a, l.b);
                if l.barrier.is_none() {
                    free.union(l.a, l.b);
                }
            }
        }
        for (i, &s) in c.sites.iter().enumerate() {
            let g = grid_of_site[s];
            if g != usize::MAX {
                // Roots are local to the community; a grid never spans two communities (nesting is checked).
                free_roots[g].insert(free.find(i));
                any_roots[g].insert(any.find(i));
            }
        }
    }
    free_roots.iter().zip(&any_roots).map(|(f, a)| (f.len(), a.len())).collect()
}

/// Basic grids that are not one connected piece of the barrier-free neighbourhood graph (0 for a legal plan).
pub fn discontiguous_grids(d: &Dataset, p: &Partition, config: &PlanConfig) -> u64 {
    let barriers = BarrierIndex::hard(d, &config.barriers.classes);
    let grid_of_site = p.grid_of_site();
    grid_pieces(p, config, &barriers, &grid_of_site).iter().filter(|&&(free, _)| free != 1).count() as u64
}

/// Recomputes the invariants of `p`.
pub fn check(d: &Dataset, p: &Partition, config: &PlanConfig) -> Check {
    let band = config.bands.basic;
    let barriers = BarrierIndex::hard(d, &config.barriers.classes);
    let grid_of_site = p.grid_of_site();
    let in_band = |h: u64| h >= u64::from(band.min()) && h <= u64::from(band.max());
    let out_of_band: Vec<&super::Grid> = p.grids.iter().filter(|g| !in_band(g.households)).collect();

    let pieces = grid_pieces(p, config, &barriers, &grid_of_site);
    let barrier_crossings: u64 = pieces.iter().map(|&(free, any)| (free - any) as u64).sum();
    // Compounds: which communities and barrier-free pieces they lie in, which grids hold them.
    let mut compound_pieces: BTreeMap<usize, BTreeSet<(usize, usize)>> = BTreeMap::new();
    let mut compound_grids: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
    let mut compound_households: BTreeMap<usize, u64> = BTreeMap::new();
    for (ci, c) in p.communities.iter().enumerate() {
        let points: Vec<geo::Point> = c.sites.iter().map(|&s| p.sites[s].point).collect();
        let links = site_links(&points, config.partition.max_edge_m, &barriers);
        let mut compound_free = UnionFind::new(points.len());
        for l in links.iter().filter(|l| l.barrier.is_none()) {
            let (sa, sb) = (c.sites[l.a], c.sites[l.b]);
            if p.sites[sa].compound.is_some() && p.sites[sa].compound == p.sites[sb].compound {
                compound_free.union(l.a, l.b);
            }
        }
        for (i, &s) in c.sites.iter().enumerate() {
            if let Some(k) = p.sites[s].compound {
                compound_pieces.entry(k).or_default().insert((ci, compound_free.find(i)));
                compound_grids.entry(k).or_default().insert(grid_of_site[s]);
                *compound_households.entry(k).or_default() += u64::from(p.sites[s].households);
            }
        }
    }
    let compounds_split = compound_grids
        .iter()
        .filter(|(k, grids)| {
            grids.len() > 1 && compound_pieces[k].len() == 1 && compound_households[k] <= u64::from(band.max())
        })
        .count() as u64;

    let nesting_violations = p
        .grids
        .iter()
        .filter(|g| {
            let community = &p.communities[g.community];
            g.sites.iter().any(|&s| {
                let site = &p.sites[s];
                site.street != Some(community.street)
                    || (community.admin_area.is_some() && site.community != community.admin_area)
            })
        })
        .count() as u64;

    let nesting_violations = nesting_violations
        + p.dedicated.iter().filter(|g| g.sites.iter().any(|&s| p.sites[s].street != Some(g.street))).count() as u64;
    let households_assigned: u64 =
        p.grids.iter().map(|g| g.households).sum::<u64>() + p.dedicated.iter().map(|g| g.households).sum::<u64>();
    let households_unassigned: u64 = p.unassigned.iter().map(|u| u64::from(u.households)).sum();
    Check {
        households_in: d.total_households(),
        households_assigned,
        households_unassigned,
        grids: p.grids.len() as u64,
        grids_in_band: (p.grids.len() - out_of_band.len()) as u64,
        grids_out_of_band: out_of_band.len() as u64,
        grids_out_of_band_unexplained: out_of_band.iter().filter(|g| g.certificate.is_none()).count() as u64,
        barrier_crossings,
        compounds_split,
        nesting_violations,
    }
}
