//! The invariants of a plan, recomputed by code that shares nothing with the partitioner: households are
//! recounted from the sites, every site is looked for in every grid, neighbours are pairs of a grid's own
//! sites within `max_edge_m` (a disc graph, not the partitioner's Delaunay links), barriers are tested on the
//! raw barrier lines, compound membership is the building's point inside the compound polygon, and nesting
//! is the point inside the street or community polygon. Written as `check.json` with exactly these integer
//! keys; a legal plan has 0 in every key from `sites_in_no_grid` on except `compounds_split_listed`.

use super::Partition;
use crate::config::PlanConfig;
use crate::model::Dataset;
use geo::{Intersects, Line, Point};
use rstar::{AABB, RTree, primitives::GeomWithData};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// `check.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct Check {
    /// Households in the input.
    pub households_in: u64,
    /// Households in some grid, basic or dedicated, recounted from the sites.
    pub households_assigned: u64,
    /// Households in `unassigned.csv`.
    pub households_unassigned: u64,
    /// Basic grids (dedicated grids are counted in `run.json`; the band applies to basic grids).
    pub grids: u64,
    /// Grids inside the basic band.
    pub grids_in_band: u64,
    /// Grids outside it.
    pub grids_out_of_band: u64,
    /// Grids outside it without a certificate, or whose certificate is not a proof.
    pub grids_out_of_band_unexplained: u64,
    /// Sites that are in no grid and not listed as unassigned.
    pub sites_in_no_grid: u64,
    /// Sites in more than one grid (or in a grid and in the unassigned list).
    pub sites_in_two_grids: u64,
    /// Grids whose stored household total differs from the sum over their sites.
    pub grid_total_mismatches: u64,
    /// Basic grids whose sites are not one connected piece even when barriers are ignored.
    pub discontiguous_grids: u64,
    /// Extra pieces grids fall into when pairs across a hard barrier are not neighbours (0: no grid crosses one;
    /// barriers crossed by the undersize policy, listed in `run.json`, excepted).
    pub barrier_crossings: u64,
    /// Compounds that fit in one grid (≤ upper bound, one community, no hard barrier between their buildings)
    /// yet are in more than one grid.
    pub compounds_split: u64,
    /// Of those, the ones opened on purpose and listed in `run.json` (`split_compounds`) with the reason.
    pub compounds_split_listed: u64,
    /// Grids with a site outside their community's or street's polygon.
    pub nesting_violations: u64,
}

type Segment = GeomWithData<rstar::primitives::Line<[f64; 2]>, usize>;

/// The hard barriers as segments, those crossed on purpose by the policy left out.
struct Barriers {
    tree: RTree<Segment>,
}

impl Barriers {
    fn new(d: &Dataset, config: &PlanConfig, p: &Partition) -> Self {
        let crossed: BTreeSet<&str> = p.policy_crossings.iter().map(|c| c.barrier.as_str()).collect();
        let mut segments = Vec::new();
        for (i, b) in d.barriers.iter().enumerate() {
            if !config.barriers.classes.contains(&b.class) || crossed.contains(b.id.as_str()) {
                continue;
            }
            for l in b.line.lines() {
                segments.push(GeomWithData::new(
                    rstar::primitives::Line::new([l.start.x, l.start.y], [l.end.x, l.end.y]),
                    i,
                ));
            }
        }
        Barriers { tree: RTree::bulk_load(segments) }
    }

    fn between(&self, a: Point, b: Point) -> bool {
        let env = AABB::from_corners([a.x().min(b.x()), a.y().min(b.y())], [a.x().max(b.x()), a.y().max(b.y())]);
        let link = Line::new(a.0, b.0);
        self.tree.locate_in_envelope_intersecting(&env).any(|s| {
            let l = s.geom();
            Line::new((l.from[0], l.from[1]), (l.to[0], l.to[1])).intersects(&link)
        })
    }
}

/// Pieces of `sites` joined by pairs within `max_m`, and by pairs inside one compound's polygon at any distance, with and
/// without barriers: (barrier-free pieces, pieces ignoring barriers). Pairs already joined are skipped before
/// any barrier is tested, and the scan stops once both counts reach one, so a legal grid costs O(n log n).
fn pieces(d: &Dataset, p: &Partition, sites: &[usize], max_m: f64, barriers: &Barriers) -> (usize, usize) {
    let n = sites.len();
    let at = |i: usize| p.sites[sites[i]].point;
    let tree: RTree<GeomWithData<[f64; 2], usize>> =
        RTree::bulk_load((0..n).map(|i| GeomWithData::new([at(i).x(), at(i).y()], i)).collect());
    let mut by_compound: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, &s) in sites.iter().enumerate() {
        if let Some(c) = p.sites[s].compound.filter(|&c| d.compounds[c].polygon.intersects(&at(i))) {
            by_compound.entry(c).or_default().push(i);
        }
    }
    let (mut free, mut any) = (Forest::new(n), Forest::new(n));
    let join = |i: usize, j: usize, free: &mut Forest, any: &mut Forest| {
        any.union(i, j);
        if free.find(i) != free.find(j) && !barriers.between(at(i), at(j)) {
            free.union(i, j);
        }
    };
    for members in by_compound.values() {
        for (x, &i) in members.iter().enumerate() {
            for &j in &members[x + 1..] {
                if free.find(i) != free.find(j) {
                    join(i, j, &mut free, &mut any);
                }
            }
        }
    }
    'scan: for i in 0..n {
        for j in tree.locate_within_distance([at(i).x(), at(i).y()], max_m * max_m) {
            if free.pieces == 1 {
                break 'scan;
            }
            if free.find(i) != free.find(j.data) {
                join(i, j.data, &mut free, &mut any);
            }
        }
    }
    (free.pieces, any.pieces)
}

/// Union–find that counts its pieces.
struct Forest {
    parent: Vec<usize>,
    pieces: usize,
}

impl Forest {
    fn new(n: usize) -> Self {
        Forest { parent: (0..n).collect(), pieces: n }
    }
    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }
    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.parent[ra.max(rb)] = ra.min(rb);
            self.pieces -= 1;
        }
    }
}

/// Recomputes the invariants of `p`.
pub fn check(d: &Dataset, p: &Partition, config: &PlanConfig) -> Check {
    let band = config.bands.basic;
    let barriers = Barriers::new(d, config, p);
    // Every site: in how many grids (basic, dedicated) and in the unassigned list.
    let mut holders: Vec<Vec<usize>> = vec![Vec::new(); p.sites.len()];
    for (g, grid) in p.grids.iter().enumerate() {
        for &s in &grid.sites {
            holders[s].push(g);
        }
    }
    for (g, grid) in p.dedicated.iter().enumerate() {
        for &s in &grid.sites {
            holders[s].push(p.grids.len() + g);
        }
    }
    let unassigned: BTreeSet<super::Member> = p.unassigned.iter().map(|u| u.member).collect();
    let listed = |s: usize| unassigned.contains(&p.sites[s].member);
    let sites_in_no_grid = (0..p.sites.len()).filter(|&s| holders[s].is_empty() && !listed(s)).count() as u64;
    let sites_in_two_grids =
        (0..p.sites.len()).filter(|&s| holders[s].len() + usize::from(listed(s)) > 1).count() as u64;
    let recount = |sites: &[usize]| sites.iter().map(|&s| u64::from(p.sites[s].households)).sum::<u64>();
    let basic_totals: Vec<u64> = p.grids.iter().map(|g| recount(&g.sites)).collect();
    let grid_total_mismatches = p.grids.iter().zip(&basic_totals).filter(|(g, t)| g.households != **t).count()
        + p.dedicated.iter().filter(|g| g.households != recount(&g.sites)).count();
    let households_assigned =
        basic_totals.iter().sum::<u64>() + p.dedicated.iter().map(|g| recount(&g.sites)).sum::<u64>();

    let in_band = |h: u64| h >= u64::from(band.min()) && h <= u64::from(band.max());
    let out_of_band: Vec<usize> = (0..p.grids.len()).filter(|&g| !in_band(basic_totals[g])).collect();
    let unexplained = out_of_band
        .iter()
        .filter(|&&g| p.grids[g].certificate.is_none_or(|c| !p.certificates[c].proof.is_proof()))
        .count();

    let mut discontiguous_grids = 0;
    let mut barrier_crossings = 0;
    for g in &p.grids {
        let (free, any) = pieces(d, p, &g.sites, config.partition.max_edge_m, &barriers);
        discontiguous_grids += u64::from(any > 1);
        barrier_crossings += (free - any) as u64;
    }

    let (compounds_split, compounds_split_listed) = split_compounds(d, p, config, &holders, &barriers);

    let nesting_violations = p
        .grids
        .iter()
        .filter(|g| {
            let c = &p.communities[g.community];
            g.sites.iter().any(|&s| {
                let pt = p.sites[s].point;
                !d.admin_areas[c.street].polygon.intersects(&pt)
                    || c.admin_area.is_some_and(|a| !d.admin_areas[a].polygon.intersects(&pt))
            })
        })
        .count()
        + p.dedicated
            .iter()
            .filter(|g| g.sites.iter().any(|&s| !d.admin_areas[g.street].polygon.intersects(&p.sites[s].point)))
            .count();

    Check {
        households_in: d.total_households(),
        households_assigned,
        households_unassigned: p.unassigned.iter().map(|u| u64::from(u.households)).sum(),
        grids: p.grids.len() as u64,
        grids_in_band: (p.grids.len() - out_of_band.len()) as u64,
        grids_out_of_band: out_of_band.len() as u64,
        grids_out_of_band_unexplained: unexplained as u64,
        sites_in_no_grid,
        sites_in_two_grids,
        grid_total_mismatches: grid_total_mismatches as u64,
        discontiguous_grids,
        barrier_crossings,
        compounds_split,
        compounds_split_listed,
        nesting_violations: nesting_violations as u64,
    }
}

/// Compounds, by the polygon a site's point lies in, that fit in one grid yet are in several; and how many of
/// those the partition lists as opened on purpose.
fn split_compounds(
    d: &Dataset,
    p: &Partition,
    config: &PlanConfig,
    holders: &[Vec<usize>],
    barriers: &Barriers,
) -> (u64, u64) {
    let points: RTree<GeomWithData<[f64; 2], usize>> = RTree::bulk_load(
        p.sites.iter().enumerate().map(|(i, s)| GeomWithData::new([s.point.x(), s.point.y()], i)).collect(),
    );
    let listed: BTreeSet<usize> = p
        .split_compounds
        .iter()
        .filter(|c| matches!(c.kind, "opened" | "dedicated" | "previous"))
        .map(|c| c.compound)
        .collect();
    // A building belongs to the smallest compound polygon its point lies in (a compound drawn inside another is
    // a compound of its own, as the README says).
    let mut member: BTreeMap<usize, (f64, usize)> = BTreeMap::new();
    for (k, compound) in d.compounds.iter().enumerate() {
        let Some(bbox) = geo::BoundingRect::bounding_rect(&compound.polygon) else { continue };
        let env = AABB::from_corners([bbox.min().x, bbox.min().y], [bbox.max().x, bbox.max().y]);
        let area = geo::Area::unsigned_area(&compound.polygon);
        for s in points.locate_in_envelope(&env).map(|s| s.data) {
            if compound.polygon.intersects(&p.sites[s].point) && member.get(&s).is_none_or(|&(a, _)| area < a) {
                member.insert(s, (area, k));
            }
        }
    }
    let mut sites_of: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (s, (_, k)) in member {
        sites_of.entry(k).or_default().push(s);
    }
    let (mut split, mut split_listed) = (0, 0);
    for (k, inside) in sites_of {
        let households: u64 = inside.iter().map(|&s| u64::from(p.sites[s].households)).sum();
        let grids: BTreeMap<usize, ()> = inside.iter().flat_map(|&s| holders[s].iter().map(|&g| (g, ()))).collect();
        if inside.len() < 2 || grids.len() < 2 || households > u64::from(config.bands.basic.max()) {
            continue;
        }
        let communities: BTreeSet<(Option<usize>, Option<usize>)> =
            inside.iter().map(|&s| (p.sites[s].street, p.sites[s].community)).collect();
        let whole = pieces(d, p, &inside, f64::INFINITY, barriers).0 == 1;
        if communities.len() == 1 && whole {
            split += 1;
            split_listed += u64::from(listed.contains(&k));
        }
    }
    (split, split_listed)
}

/// Basic grids that are not one connected piece of barrier-free neighbour pairs (0 for a legal plan).
pub fn discontiguous_grids(d: &Dataset, p: &Partition, config: &PlanConfig) -> u64 {
    let barriers = Barriers::new(d, config, p);
    p.grids.iter().filter(|g| pieces(d, p, &g.sites, config.partition.max_edge_m, &barriers).0 != 1).count() as u64
}
