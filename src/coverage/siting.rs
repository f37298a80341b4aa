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

/// Where one uncovered site meets the network for one or more kinds: its own snap, or a farther edge's.
#[derive(Clone, Copy)]
struct Entry {
    site: usize,
    snap: Snap,
}

/// The uncovered demand of the kinds of one threshold, as the one search per candidate sees it: each site's
/// points on the network (an entry per distinct snap), by edge, and which entry stands for which kind.
struct SharedDemand {
    entries: Vec<Entry>,
    /// Entries by edge, compressed rows.
    edge_start: Vec<usize>,
    on_edge: Vec<u32>,
    /// `wanted[k][e]`: entry `e` is kind `k`'s point for a site it leaves uncovered.
    wanted: Vec<Vec<bool>>,
}

impl SharedDemand {
    fn new(cov: &Coverage, kinds: &[&KindCoverage], demand: &[Vec<usize>]) -> Self {
        let g: &WalkGraph = &cov.graph;
        let mut entries = Vec::new();
        let mut own_entry: Vec<Option<u32>> = vec![None; cov.sites.len()];
        let mut farther_entry: std::collections::HashMap<(usize, u32, u64, u64), u32> = Default::default();
        let mut entry_of_kind: Vec<Vec<u32>> = Vec::with_capacity(kinds.len());
        for (k, sites) in kinds.iter().zip(demand) {
            let mut mine = Vec::new();
            for &s in sites {
                let e = if let Some(f) = k.farther_snaps.get(&s) {
                    let key = (s, f.edge, f.along_m.to_bits(), f.offset_m.to_bits());
                    *farther_entry.entry(key).or_insert_with(|| {
                        entries.push(Entry { site: s, snap: *f });
                        (entries.len() - 1) as u32
                    })
                } else if let Some(sn) = cov.snaps[s] {
                    *own_entry[s].get_or_insert_with(|| {
                        entries.push(Entry { site: s, snap: sn });
                        (entries.len() - 1) as u32
                    })
                } else {
                    continue;
                };
                mine.push(e);
            }
            entry_of_kind.push(mine);
        }
        let wanted = entry_of_kind
            .iter()
            .map(|mine| {
                let mut w = vec![false; entries.len()];
                for &e in mine {
                    w[e as usize] = true;
                }
                w
            })
            .collect();
        let mut edge_start = vec![0usize; g.edges.len() + 1];
        for e in &entries {
            edge_start[e.snap.edge as usize + 1] += 1;
        }
        for e in 0..g.edges.len() {
            edge_start[e + 1] += edge_start[e];
        }
        let mut fill = edge_start.clone();
        let mut on_edge = vec![0u32; entries.len()];
        for (i, e) in entries.iter().enumerate() {
            on_edge[fill[e.snap.edge as usize]] = i as u32;
            fill[e.snap.edge as usize] += 1;
        }
        SharedDemand { entries, edge_start, on_edge, wanted }
    }

    /// The entries on one edge, with their indices.
    fn on(&self, edge: u32) -> impl Iterator<Item = (usize, &Entry)> {
        self.on_edge[self.edge_start[edge as usize]..self.edge_start[edge as usize + 1]]
            .iter()
            .map(|&e| (e as usize, &self.entries[e as usize]))
    }
}

/// For each kind (all of one threshold) and each candidate, the demand sites the candidate would cover
/// (ascending): `sets[k][c]`. One bounded search per candidate serves every kind — the kinds differ only in
/// which sites they leave uncovered, where those sites meet the network, and which candidates may hold them.
fn coverage_sets(
    cov: &Coverage,
    kinds: &[&KindCoverage],
    candidates: &[(Candidate, Option<Snap>)],
    params: &CoverageParams,
    demand: &[Vec<usize>],
) -> Vec<Vec<Vec<u32>>> {
    debug_assert!(u32::try_from(cov.sites.len()).is_ok(), "sites are counted in u32 in the coverage sets");
    let g: &WalkGraph = &cov.graph;
    let t = kinds[0].kind.threshold_m;
    let detour = params.detour_factor;
    let shared = SharedDemand::new(cov, kinds, demand);
    // Demand measured by straight line (off the network, or on a piece without the kind), per kind.
    let straight_line: Vec<PointIndex> = kinds
        .iter()
        .zip(demand)
        .map(|(k, sites)| {
            PointIndex::new(
                sites
                    .iter()
                    .copied()
                    .filter(|&s| {
                        cov.snaps[s].is_none()
                            || matches!(k.reach[s].method, Method::EuclideanDisconnected | Method::NoFacility)
                    })
                    .map(|s| ([cov.sites[s].point.x(), cov.sites[s].point.y()], s)),
            )
        })
        .collect();
    let mut any_demand: Vec<usize> = demand.iter().flatten().copied().collect();
    any_demand.sort_unstable();
    any_demand.dedup();
    let all_demand = PointIndex::new(any_demand.iter().map(|&s| ([cov.sites[s].point.x(), cov.sites[s].point.y()], s)));
    let component_of = |k: &KindCoverage, s: usize| {
        k.farther_snaps.get(&s).copied().or(cov.snaps[s]).map(|sn| g.edge_component(sn.edge))
    };
    let per_candidate: Vec<Vec<Vec<u32>>> = candidates
        .par_iter()
        .map_init(
            || Buffers { graph: g.scratch(), best: vec![f64::INFINITY; shared.entries.len()], touched: Vec::new() },
            |buf: &mut Buffers, (c, snap)| {
                let serves: Vec<bool> = kinds.iter().map(|k| c.serves(&k.kind)).collect();
                // A walk is never shorter than the straight line: no demand within t, nothing to cover.
                if !serves.contains(&true) || all_demand.within(c.point, t).next().is_none() {
                    return vec![Vec::new(); kinds.len()];
                }
                let Buffers { graph, best, touched } = buf;
                let mut offer = |e: usize, d: f64| {
                    if d < best[e] {
                        if best[e].is_infinite() {
                            touched.push(e);
                        }
                        best[e] = d;
                    }
                };
                if let Some(cs) = *snap {
                    for (node, d) in g.reach_within(cs, t, graph) {
                        for &(_, edge) in g.neighbours(node) {
                            let e = g.edges[edge as usize];
                            for (i, en) in shared.on(edge) {
                                if e.a == node {
                                    offer(i, d + en.snap.along_m + en.snap.offset_m);
                                }
                                if e.b == node {
                                    offer(i, d + e.length_m - en.snap.along_m + en.snap.offset_m);
                                }
                            }
                        }
                    }
                    for (i, en) in shared.on(cs.edge) {
                        offer(i, (en.snap.along_m - cs.along_m).abs() + en.snap.offset_m + cs.offset_m);
                    }
                }
                let reached: Vec<usize> = touched.iter().copied().filter(|&e| best[e] <= t).collect();
                for &e in touched.iter() {
                    best[e] = f64::INFINITY;
                }
                touched.clear();
                let my_component = snap.map(|s| g.edge_component(s.edge));
                kinds
                    .iter()
                    .enumerate()
                    .map(|(ki, k)| {
                        if !serves[ki] {
                            return Vec::new();
                        }
                        // Network distances count on the candidate's own piece of the network only (always
                        // so for sites reached through it).
                        let mut covers: Vec<u32> = reached
                            .iter()
                            .filter(|&&e| shared.wanted[ki][e])
                            .map(|&e| site_number(shared.entries[e].site))
                            .collect();
                        for s in straight_line[ki].within(c.point, t / detour) {
                            if my_component.is_none() || component_of(k, s) != my_component {
                                covers.push(site_number(s));
                            }
                        }
                        covers.sort_unstable();
                        covers.dedup();
                        covers
                    })
                    .collect()
            },
        )
        .collect();
    let mut sets: Vec<Vec<Vec<u32>>> = vec![Vec::with_capacity(candidates.len()); kinds.len()];
    for per_kind in per_candidate {
        for (ki, set) in per_kind.into_iter().enumerate() {
            sets[ki].push(set);
        }
    }
    sets
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

/// Suggests up to `count` new sites for each of several kinds of one threshold (one search per candidate
/// serves them all), in the kinds' order.
pub fn suggest(
    cov: &Coverage,
    kinds: &[&KindCoverage],
    candidates: &[(Candidate, Option<Snap>)],
    params: &CoverageParams,
    count: usize,
) -> Vec<Siting> {
    let Some(first) = kinds.first() else { return Vec::new() };
    let t = first.kind.threshold_m;
    debug_assert!(kinds.iter().all(|k| k.kind.threshold_m.to_bits() == t.to_bits()), "one threshold per call");
    let demand: Vec<Vec<usize>> =
        kinds.iter().map(|k| (0..cov.sites.len()).filter(|&s| !k.reach[s].within(t)).collect()).collect();
    let weight: Vec<u64> = cov.sites.iter().map(|s| u64::from(s.households)).collect();
    let sets = coverage_sets(cov, kinds, candidates, params, &demand);
    kinds
        .par_iter()
        .zip(demand.par_iter())
        .zip(sets.par_iter())
        .map(|((k, demand), sets)| solve(cov, &k.kind.name, t, demand, sets, &weight, count))
        .collect()
}

/// One kind's suggestion from its coverage sets.
fn solve(
    cov: &Coverage,
    kind: &str,
    t: f64,
    demand: &[usize],
    sets: &[Vec<u32>],
    weight: &[u64],
    count: usize,
) -> Siting {
    let mut coverable = vec![false; cov.sites.len()];
    for set in sets {
        for &s in set {
            coverable[s as usize] = true;
        }
    }
    let uncoverable: Vec<usize> = demand.iter().copied().filter(|&s| !coverable[s]).collect();
    let chosen = improve_by_swaps(sets, weight, greedy(sets, weight, count));
    // Report in greedy order of marginal gain given the final set.
    let mut taken = vec![false; cov.sites.len()];
    let mut order = chosen.clone();
    let mut sites = Vec::new();
    while !order.is_empty() {
        let gain = |c: usize| members(&sets[c]).filter(|&s| !taken[s]).map(|s| weight[s]).sum::<u64>();
        let (pos, _) = order
            .iter()
            .enumerate()
            .max_by(|&(_, &a), &(_, &b)| gain(a).cmp(&gain(b)).then(b.cmp(&a)))
            .map(|(i, &c)| (i, c))
            .unwrap_or((0, 0));
        let c = order.remove(pos);
        let covers: Vec<usize> = members(&sets[c]).filter(|&s| !taken[s]).collect();
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
        kind: kind.to_string(),
        threshold_m: t,
        households_uncovered: demand.iter().map(|&s| weight[s]).sum(),
        households_uncoverable: uncoverable.iter().map(|&s| weight[s]).sum(),
        sites_uncoverable: uncoverable.len(),
        candidates_useful: sets.iter().filter(|s| !s.is_empty()).count(),
        households_gained: sites.iter().map(|s| s.households_gained).sum(),
        sites,
    }
}

/// A site's number in the coverage sets: u32, half the memory of `usize` where a province's sets run to
/// hundreds of millions of entries. It cannot wrap: a site is a building or household point held in memory
/// (its `Site` alone is over 40 bytes), so 2³² of them would need more than 170 GB before siting starts
/// (`coverage_sets` checks it in debug builds).
fn site_number(s: usize) -> u32 {
    s as u32
}

/// The sites of one coverage set, as indices into `Coverage::sites`.
fn members(set: &[u32]) -> impl Iterator<Item = usize> + '_ {
    set.iter().map(|&s| s as usize)
}

/// Greedy maximal covering with lazy evaluation: a candidate's gain only falls as others are chosen, so a
/// stale gain is an upper bound and only the top of the heap needs recomputing. Ties go to the lower index.
pub fn greedy(sets: &[Vec<u32>], weight: &[u64], count: usize) -> Vec<usize> {
    let mut covered = vec![false; weight.len()];
    let gain = |c: usize, covered: &[bool]| members(&sets[c]).filter(|&s| !covered[s]).map(|s| weight[s]).sum::<u64>();
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
        for s in members(&sets[c]) {
            covered[s] = true;
        }
        chosen.push(c);
    }
    chosen
}

/// Total weight covered by a set of candidates.
pub fn covered_weight(sets: &[Vec<u32>], weight: &[u64], chosen: &[usize]) -> u64 {
    let mut covered = vec![false; weight.len()];
    let mut total = 0;
    for &c in chosen {
        for s in members(&sets[c]) {
            if !covered[s] {
                covered[s] = true;
                total += weight[s];
            }
        }
    }
    total
}

/// Swap improvement: replace one chosen candidate by another while that covers more; best swap per pass (the
/// largest gain, ties to the earliest chosen position, then the lowest candidate).
///
/// One scan of every set per pass serves every chosen position: a candidate's gain when it replaces the
/// chosen set at position `i` is what it covers that nothing chosen covers, plus what only position `i` covers
/// (each site covered once knows its one owner), so each set is read once, not once per chosen site.
pub fn improve_by_swaps(sets: &[Vec<u32>], weight: &[u64], mut chosen: Vec<usize>) -> Vec<usize> {
    const MAX_PASSES: usize = 20;
    let mut count = vec![0u32; weight.len()];
    for &c in &chosen {
        for s in members(&sets[c]) {
            count[s] += 1;
        }
    }
    // For a site covered by exactly one chosen set, that set's position; stale elsewhere (read only where the
    // count is 1).
    let mut owner = vec![0u32; weight.len()];
    let mut only_by = vec![0u64; chosen.len()];
    for _ in 0..MAX_PASSES {
        // What each chosen position alone covers: lost when it is swapped out, regained by a set covering it.
        let mut loss = vec![0u64; chosen.len()];
        for (i, &out) in chosen.iter().enumerate() {
            for s in members(&sets[out]).filter(|&s| count[s] == 1) {
                owner[s] = i as u32;
                loss[i] += weight[s];
            }
        }
        let mut best: Option<(i64, usize, usize)> = None;
        for (c, set) in sets.iter().enumerate() {
            if chosen.contains(&c) {
                continue;
            }
            let mut free = 0u64;
            only_by.iter_mut().for_each(|w| *w = 0);
            for s in members(set) {
                match count[s] {
                    0 => free += weight[s],
                    1 => only_by[owner[s] as usize] += weight[s],
                    _ => {}
                }
            }
            for (i, (&regained, &lost)) in only_by.iter().zip(&loss).enumerate() {
                let delta = (free + regained) as i64 - lost as i64;
                let better = match best {
                    None => delta > 0,
                    Some((bd, bi, bc)) => delta > bd || (delta == bd && (i, c) < (bi, bc)),
                };
                if better {
                    best = Some((delta, i, c));
                }
            }
        }
        let Some((_, i, c)) = best else { break };
        for s in members(&sets[chosen[i]]) {
            count[s] -= 1;
        }
        for s in members(&sets[c]) {
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
    fn optimum(sets: &[Vec<u32>], weight: &[u64], p: usize) -> u64 {
        fn rec(sets: &[Vec<u32>], weight: &[u64], p: usize, from: usize, chosen: &mut Vec<usize>) -> u64 {
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

    /// The swap pass as defined: every chosen position against every other candidate, the gain counted site by
    /// site; the first largest gain in (position, candidate) order.
    fn swaps_by_definition(sets: &[Vec<u32>], weight: &[u64], mut chosen: Vec<usize>) -> Vec<usize> {
        for _ in 0..20 {
            let covered_by =
                |s: usize, chosen: &[usize]| chosen.iter().filter(|&&c| sets[c].contains(&(s as u32))).count();
            let mut best: Option<(i64, usize, usize)> = None;
            for (i, &out) in chosen.iter().enumerate() {
                let alone = |s: usize| covered_by(s, &chosen) == 1 && sets[out].contains(&(s as u32));
                let loss: u64 = members(&sets[out]).filter(|&s| alone(s)).map(|s| weight[s]).sum();
                for (c, set) in sets.iter().enumerate() {
                    if chosen.contains(&c) {
                        continue;
                    }
                    let gain: u64 =
                        members(set).filter(|&s| covered_by(s, &chosen) == 0 || alone(s)).map(|s| weight[s]).sum();
                    let delta = gain as i64 - loss as i64;
                    if delta > 0 && best.is_none_or(|(bd, _, _)| delta > bd) {
                        best = Some((delta, i, c));
                    }
                }
            }
            let Some((_, i, c)) = best else { break };
            chosen[i] = c;
        }
        chosen
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
        for _ in 0..300 {
            let n = 40;
            let weight: Vec<u64> = (0..n).map(|_| rng.random_range(1..20)).collect();
            let sets: Vec<Vec<u32>> = (0..12)
                .map(|_| {
                    let mut s: Vec<u32> = (0..rng.random_range(0..10)).map(|_| rng.random_range(0..n) as u32).collect();
                    s.sort_unstable();
                    s.dedup();
                    s
                })
                .collect();
            // Plain greedy: recompute every gain each round; ties to the lower index.
            let mut covered = vec![false; n];
            let mut plain = Vec::new();
            for _ in 0..3 {
                let gain = |c: usize| members(&sets[c]).filter(|&s| !covered[s]).map(|s| weight[s]).sum::<u64>();
                let best = (0..sets.len())
                    .filter(|c| !plain.contains(c))
                    .max_by(|&a, &b| gain(a).cmp(&gain(b)).then(b.cmp(&a)));
                match best {
                    Some(c) if gain(c) > 0 => {
                        for s in members(&sets[c]) {
                            covered[s] = true;
                        }
                        plain.push(c);
                    }
                    _ => break,
                }
            }
            assert_eq!(greedy(&sets, &weight, 3), plain);
            let swapped = improve_by_swaps(&sets, &weight, plain.clone());
            assert_eq!(swapped, swaps_by_definition(&sets, &weight, plain.clone()));
            assert!(covered_weight(&sets, &weight, &swapped) >= covered_weight(&sets, &weight, &plain));
            assert!(covered_weight(&sets, &weight, &swapped) <= optimum(&sets, &weight, 3));
        }
    }
}
