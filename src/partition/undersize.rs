//! Pieces that cannot be in band on their own: joining them across a minor barrier when the policy allows,
//! and the connected pieces of a unit set.

use super::graph::{SiteLink, UnitGraph};
use super::{PolicyCrossing, tree};
use crate::config::Band;

/// Joins every piece that cannot be in band to a neighbouring piece across the weakest barrier of a minor
/// class (earliest in `minor`, then the shortest link), when the joined piece can be in band. Adds the link to
/// the unit graph and returns what was crossed.
pub(super) fn merge_across_minor_barriers(
    graph: &mut UnitGraph,
    links: &[SiteLink],
    band: Band,
    barriers: &[crate::model::Barrier],
    minor: &[String],
) -> Vec<PolicyCrossing> {
    let mut out = Vec::new();
    loop {
        let components = graph.components();
        let mut comp_of = vec![0; graph.adj.len()];
        for (i, c) in components.iter().enumerate() {
            for &u in c {
                comp_of[u] = i;
            }
        }
        let sums: Vec<u64> =
            components.iter().map(|c| c.iter().map(|&u| u64::from(graph.households[u])).sum()).collect();
        let mut best: Option<(usize, f64, usize, usize, usize)> = None; // (class rank, length, unit a, unit b, barrier)
        for l in links {
            let Some(b) = l.barrier else { continue };
            let Some(rank) = minor.iter().position(|c| *c == barriers[b].class) else { continue };
            let (ua, ub) = (graph.site_unit[l.a], graph.site_unit[l.b]);
            let (ca, cb) = (comp_of[ua], comp_of[ub]);
            if ca == cb {
                continue;
            }
            let stuck = |c: usize| tree::feasible_ks(sums[c], band).is_none();
            if !(stuck(ca) || stuck(cb)) || tree::feasible_ks(sums[ca] + sums[cb], band).is_none() {
                continue;
            }
            if best.is_none_or(|x| (rank, l.length_m) < (x.0, x.1)) {
                best = Some((rank, l.length_m, ua, ub, b));
            }
        }
        let Some((_, _, ua, ub, b)) = best else { return out };
        let (ca, cb) = (comp_of[ua], comp_of[ub]);
        let piece = if tree::feasible_ks(sums[ca], band).is_none() { sums[ca] } else { sums[cb] };
        out.push(PolicyCrossing {
            barrier: barriers[b].id.clone(),
            class: barriers[b].class.clone(),
            piece_households: piece,
            joined_households: sums[ca] + sums[cb],
        });
        graph.adj[ua].push(ub);
        graph.adj[ub].push(ua);
        graph.adj[ua].sort_unstable();
        graph.adj[ub].sort_unstable();
    }
}

/// Connected pieces of `units` using only links inside the set.
pub(super) fn sub_components(graph: &UnitGraph, units: &[usize]) -> Vec<Vec<usize>> {
    let inside: std::collections::HashSet<usize> = units.iter().copied().collect();
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for &start in units {
        if !seen.insert(start) {
            continue;
        }
        let mut stack = vec![start];
        let mut comp = Vec::new();
        while let Some(u) = stack.pop() {
            comp.push(u);
            for &v in &graph.adj[u] {
                if inside.contains(&v) && seen.insert(v) {
                    stack.push(v);
                }
            }
        }
        comp.sort_unstable();
        out.push(comp);
    }
    out
}
