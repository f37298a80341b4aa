//! New-site suggestions: a maximal covering location problem per kind, solved greedily with lazy evaluation
//! (CELF) and improved by swaps. Demand is the households not covered at the kind's threshold; a candidate
//! covers a site when, were the candidate a facility, the site's distance by the coverage rules (network for
//! sites on a served piece of the network, straight line × detour otherwise) would be within the threshold.

use super::{Coverage, KindCoverage, Method, PointIndex};
use crate::config::CoverageParams;
use crate::network::{Scratch, Snap, WalkGraph};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BinaryHeap;

/// A place where a new facility could go.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Source id (candidate layer or building).
    pub id: String,
    /// Name, if any.
    pub name: Option<String>,
    /// The kind (or group, or one of the group's kinds) it is a candidate for; empty for every kind.
    pub kind: String,
    /// Location, local metres.
    pub point: geo::Point,
}

impl Candidate {
    /// Whether it may hold a facility of this kind.
    pub fn serves(&self, k: &super::Kind) -> bool {
        self.kind.is_empty() || self.kind == k.name || k.facility_kinds.contains(&self.kind)
    }
}

/// One suggested site.
#[derive(Debug, Clone, Serialize)]
pub struct Suggested {
    /// Index into the candidates.
    pub candidate: usize,
    /// Households it newly covers, given the sites before it in the list.
    pub households_gained: u64,
    /// Demand sites (buildings or household points) it newly covers, likewise.
    pub sites_gained: usize,
    /// The uncovered sites it covers (indices into `Coverage::sites`), ascending.
    #[serde(skip)]
    pub covers: Vec<usize>,
}

/// The suggestion for one kind.
#[derive(Debug, Clone, Serialize)]
pub struct Siting {
    /// Kind name.
    pub kind: String,
    /// Threshold, m.
    pub threshold_m: f64,
    /// Households not covered before.
    pub households_uncovered: u64,
    /// Households no candidate can cover.
    pub households_uncoverable: u64,
    /// Sites no candidate can cover.
    pub sites_uncoverable: usize,
    /// Candidates that cover at least one uncovered household.
    pub candidates_useful: usize,
    /// Households covered by the suggested sites together.
    pub households_gained: u64,
    /// Suggested sites, in greedy order.
    pub sites: Vec<Suggested>,
}

/// Per-thread buffers of [`coverage_sets`].
struct Buffers {
    graph: Scratch,
    best: Vec<f64>,
    touched: Vec<usize>,
}

/// For each candidate, the uncovered demand sites it would cover (ascending).
fn coverage_sets(
    cov: &Coverage,
    k: &KindCoverage,
    candidates: &[(Candidate, Option<Snap>)],
    params: &CoverageParams,
    demand: &[usize],
) -> Vec<Vec<usize>> {
    let g: &WalkGraph = &cov.graph;
    let t = k.kind.threshold_m;
    let detour = params.detour_factor;
    // Demand on the network, by edge (compressed rows); demand measured by straight line (off the network,
    // or on a piece without the kind) by position.
    // Where each site meets the network for this kind (a farther edge for some: Method::NetworkFartherEdge).
    let snap_of = |s: usize| k.farther_snaps.get(&s).copied().or(cov.snaps[s]);
    let mut edge_start = vec![0usize; g.edges.len() + 1];
    for &s in demand {
        if let Some(sn) = snap_of(s) {
            edge_start[sn.edge as usize + 1] += 1;
        }
    }
    for e in 0..g.edges.len() {
        edge_start[e + 1] += edge_start[e];
    }
    let mut fill = edge_start.clone();
    let mut on_edge = vec![(0usize, 0.0f64, 0.0f64); edge_start[g.edges.len()]];
    let mut straight_line = Vec::new();
    for &s in demand {
        if let Some(sn) = snap_of(s) {
            on_edge[fill[sn.edge as usize]] = (s, sn.along_m, sn.offset_m);
            fill[sn.edge as usize] += 1;
        }
        if cov.snaps[s].is_none() || matches!(k.reach[s].method, Method::EuclideanDisconnected | Method::NoFacility) {
            let p = cov.sites[s].point;
            straight_line.push(([p.x(), p.y()], s));
        }
    }
    let demand_on = |edge: u32| &on_edge[edge_start[edge as usize]..edge_start[edge as usize + 1]];
    let all_demand = PointIndex::new(demand.iter().map(|&s| ([cov.sites[s].point.x(), cov.sites[s].point.y()], s)));
    let straight_line = PointIndex::new(straight_line.into_iter());
    let component_of = |s: usize| snap_of(s).map(|sn| g.edge_component(sn.edge));
    candidates
        .par_iter()
        .map_init(
            || Buffers { graph: g.scratch(), best: vec![f64::INFINITY; cov.sites.len()], touched: Vec::new() },
            |buf: &mut Buffers, (c, snap)| {
                // A walk is never shorter than the straight line: no demand within t, nothing to cover.
                if !c.serves(&k.kind) || all_demand.within(c.point, t).next().is_none() {
                    return Vec::new();
                }
                let Buffers { graph, best, touched } = buf;
                let mut offer = |s: usize, d: f64| {
                    if d < best[s] {
                        if best[s].is_infinite() {
                            touched.push(s);
                        }
                        best[s] = d;
                    }
                };
                if let Some(cs) = *snap {
                    for (node, d) in g.reach_within(cs, t, graph) {
                        for &(_, edge) in g.neighbours(node) {
                            let e = g.edges[edge as usize];
                            for &(s, along, offset) in demand_on(edge) {
                                if e.a == node {
                                    offer(s, d + along + offset);
                                }
                                if e.b == node {
                                    offer(s, d + e.length_m - along + offset);
                                }
                            }
                        }
                    }
                    for &(s, along, offset) in demand_on(cs.edge) {
                        offer(s, (along - cs.along_m).abs() + offset + cs.offset_m);
                    }
                }
                // Network distances count on the candidate's own piece of the network only (always so for
                // sites reached through it).
                let mut covers: Vec<usize> = touched.iter().copied().filter(|&s| best[s] <= t).collect();
                for &s in touched.iter() {
                    best[s] = f64::INFINITY;
                }
                touched.clear();
                let my_component = snap.map(|s| g.edge_component(s.edge));
                for s in straight_line.within(c.point, t / detour) {
                    if my_component.is_none() || component_of(s) != my_component {
                        covers.push(s);
                    }
                }
                covers.sort_unstable();
                covers.dedup();
                covers
            },
        )
        .collect()
}

/// Whether two kinds give `suggest` exactly the same problem: the same threshold, the same uncovered demand,
/// measured the same way (farther-edge snaps, straight-line fallbacks), and the same candidates allowed — as
/// kinds with no facility at all and the same threshold do. Their suggestions are then computed once.
pub fn same_problem(a: &KindCoverage, b: &KindCoverage, candidates: &[(Candidate, Option<Snap>)]) -> bool {
    let t = a.kind.threshold_m;
    let straight = |r: &super::Reach| matches!(r.method, Method::EuclideanDisconnected | Method::NoFacility);
    t.to_bits() == b.kind.threshold_m.to_bits()
        && a.farther_snaps == b.farther_snaps
        && a.reach.iter().zip(&b.reach).all(|(x, y)| x.within(t) == y.within(t) && straight(x) == straight(y))
        && candidates.iter().all(|(c, _)| c.serves(&a.kind) == c.serves(&b.kind))
}

/// Suggests up to `count` new sites for one kind.
pub fn suggest(
    cov: &Coverage,
    k: &KindCoverage,
    candidates: &[(Candidate, Option<Snap>)],
    params: &CoverageParams,
    count: usize,
) -> Siting {
    let t = k.kind.threshold_m;
    let demand: Vec<usize> = (0..cov.sites.len()).filter(|&s| !k.reach[s].within(t)).collect();
    let weight: Vec<u64> = cov.sites.iter().map(|s| u64::from(s.households)).collect();
    let sets = coverage_sets(cov, k, candidates, params, &demand);
    let mut coverable = vec![false; cov.sites.len()];
    for set in &sets {
        for &s in set {
            coverable[s] = true;
        }
    }
    let uncoverable: Vec<usize> = demand.iter().copied().filter(|&s| !coverable[s]).collect();
    let chosen = improve_by_swaps(&sets, &weight, greedy(&sets, &weight, count));
    // Report in greedy order of marginal gain given the final set.
    let mut taken = vec![false; cov.sites.len()];
    let mut order = chosen.clone();
    let mut sites = Vec::new();
    while !order.is_empty() {
        let gain = |c: usize| sets[c].iter().filter(|&&s| !taken[s]).map(|&s| weight[s]).sum::<u64>();
        let (pos, _) = order
            .iter()
            .enumerate()
            .max_by(|&(_, &a), &(_, &b)| gain(a).cmp(&gain(b)).then(b.cmp(&a)))
            .map(|(i, &c)| (i, c))
            .unwrap_or((0, 0));
        let c = order.remove(pos);
        let covers: Vec<usize> = sets[c].iter().copied().filter(|&s| !taken[s]).collect();
        for &s in &covers {
            taken[s] = true;
        }
        sites.push(Suggested {
            candidate: c,
            households_gained: covers.iter().map(|&s| weight[s]).sum(),
            sites_gained: covers.len(),
            covers,
        });
    }
    Siting {
        kind: k.kind.name.clone(),
        threshold_m: t,
        households_uncovered: demand.iter().map(|&s| weight[s]).sum(),
        households_uncoverable: uncoverable.iter().map(|&s| weight[s]).sum(),
        sites_uncoverable: uncoverable.len(),
        candidates_useful: sets.iter().filter(|s| !s.is_empty()).count(),
        households_gained: sites.iter().map(|s| s.households_gained).sum(),
        sites,
    }
}

/// Greedy maximal covering with lazy evaluation: a candidate's gain only falls as others are chosen, so a
/// stale gain is an upper bound and only the top of the heap needs recomputing. Ties go to the lower index.
pub fn greedy(sets: &[Vec<usize>], weight: &[u64], count: usize) -> Vec<usize> {
    let mut covered = vec![false; weight.len()];
    let gain = |c: usize, covered: &[bool]| sets[c].iter().filter(|&&s| !covered[s]).map(|&s| weight[s]).sum::<u64>();
    let mut heap: BinaryHeap<(u64, std::cmp::Reverse<usize>)> =
        (0..sets.len()).map(|c| (gain(c, &covered), std::cmp::Reverse(c))).filter(|(g, _)| *g > 0).collect();
    let mut chosen = Vec::new();
    while chosen.len() < count {
        let Some((stale, std::cmp::Reverse(c))) = heap.pop() else { break };
        let fresh = gain(c, &covered);
        if fresh == 0 {
            continue;
        }
        if fresh < stale
            && heap.peek().is_some_and(|&(next, std::cmp::Reverse(nc))| {
                (next, std::cmp::Reverse(nc)) > (fresh, std::cmp::Reverse(c))
            })
        {
            heap.push((fresh, std::cmp::Reverse(c)));
            continue;
        }
        for &s in &sets[c] {
            covered[s] = true;
        }
        chosen.push(c);
    }
    chosen
}

/// Total weight covered by a set of candidates.
pub fn covered_weight(sets: &[Vec<usize>], weight: &[u64], chosen: &[usize]) -> u64 {
    let mut covered = vec![false; weight.len()];
    let mut total = 0;
    for &c in chosen {
        for &s in &sets[c] {
            if !covered[s] {
                covered[s] = true;
                total += weight[s];
            }
        }
    }
    total
}

/// Swap improvement: replace one chosen candidate by another while that covers more; best swap per pass.
pub fn improve_by_swaps(sets: &[Vec<usize>], weight: &[u64], mut chosen: Vec<usize>) -> Vec<usize> {
    const MAX_PASSES: usize = 20;
    let mut count = vec![0u32; weight.len()];
    for &c in &chosen {
        for &s in &sets[c] {
            count[s] += 1;
        }
    }
    let mut in_out = vec![false; weight.len()];
    for _ in 0..MAX_PASSES {
        let mut best: Option<(i64, usize, usize)> = None;
        for (i, &out) in chosen.iter().enumerate() {
            let loss: u64 = sets[out].iter().filter(|&&s| count[s] == 1).map(|&s| weight[s]).sum();
            for &s in &sets[out] {
                in_out[s] = true;
            }
            for (c, set) in sets.iter().enumerate() {
                if chosen.contains(&c) {
                    continue;
                }
                let gain: u64 =
                    set.iter().filter(|&&s| count[s] == 0 || (count[s] == 1 && in_out[s])).map(|&s| weight[s]).sum();
                let delta = gain as i64 - loss as i64;
                if delta > 0 && best.is_none_or(|(bd, _, _)| delta > bd) {
                    best = Some((delta, i, c));
                }
            }
            for &s in &sets[out] {
                in_out[s] = false;
            }
        }
        let Some((_, i, c)) = best else { break };
        for &s in &sets[chosen[i]] {
            count[s] -= 1;
        }
        for &s in &sets[c] {
            count[s] += 1;
        }
        chosen[i] = c;
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exact optimum by enumeration, for small instances.
    fn optimum(sets: &[Vec<usize>], weight: &[u64], p: usize) -> u64 {
        fn rec(sets: &[Vec<usize>], weight: &[u64], p: usize, from: usize, chosen: &mut Vec<usize>) -> u64 {
            if chosen.len() == p || from == sets.len() {
                return covered_weight(sets, weight, chosen);
            }
            chosen.push(from);
            let with = rec(sets, weight, p, from + 1, chosen);
            chosen.pop();
            with.max(rec(sets, weight, p, from + 1, chosen))
        }
        rec(sets, weight, p, 0, &mut Vec::new())
    }

    #[test]
    fn greedy_is_fooled_and_swaps_repair_it() {
        // Greedy takes the big middle set first; two side sets together cover everything.
        let weight = vec![1; 8];
        let sets = vec![vec![0, 1, 2, 3], vec![2, 3, 4, 5], vec![0, 1, 2, 6], vec![3, 4, 5, 7]];
        let g = greedy(&sets, &weight, 2);
        assert_eq!(g[0], 0);
        let improved = improve_by_swaps(&sets, &weight, g);
        assert_eq!(covered_weight(&sets, &weight, &improved), optimum(&sets, &weight, 2));
    }

    #[test]
    fn lazy_greedy_equals_plain_greedy_on_random_instances() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        for _ in 0..50 {
            let n = 40;
            let weight: Vec<u64> = (0..n).map(|_| rng.random_range(1..20)).collect();
            let sets: Vec<Vec<usize>> = (0..12)
                .map(|_| {
                    let mut s: Vec<usize> = (0..rng.random_range(0..10)).map(|_| rng.random_range(0..n)).collect();
                    s.sort_unstable();
                    s.dedup();
                    s
                })
                .collect();
            // Plain greedy: recompute every gain each round; ties to the lower index.
            let mut covered = vec![false; n];
            let mut plain = Vec::new();
            for _ in 0..3 {
                let gain = |c: usize| sets[c].iter().filter(|&&s| !covered[s]).map(|&s| weight[s]).sum::<u64>();
                let best = (0..sets.len())
                    .filter(|c| !plain.contains(c))
                    .max_by(|&a, &b| gain(a).cmp(&gain(b)).then(b.cmp(&a)));
                match best {
                    Some(c) if gain(c) > 0 => {
                        for &s in &sets[c] {
                            covered[s] = true;
                        }
                        plain.push(c);
                    }
                    _ => break,
                }
            }
            assert_eq!(greedy(&sets, &weight, 3), plain);
            let swapped = improve_by_swaps(&sets, &weight, plain.clone());
            assert!(covered_weight(&sets, &weight, &swapped) >= covered_weight(&sets, &weight, &plain));
            assert!(covered_weight(&sets, &weight, &swapped) <= optimum(&sets, &weight, 3));
        }
    }
}
