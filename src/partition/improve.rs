//! Local search for 就近就便 (nearby and convenient): move a unit on a grid's edge to the neighbouring grid
//! when that brings its households closer to their grid's centre, as long as both grids stay in band and
//! the grid it leaves stays connected. Moves follow unit-graph links only, so no move crosses a hard
//! barrier, and compounds stay whole because they are single units. Grids outside the band (those with a
//! certificate) are left as they are. Deterministic: units in ascending order, first improving move taken.

use super::graph::UnitGraph;
use crate::config::Band;
use geo::Point;
use std::collections::HashSet;

/// Improves `parts` (units per grid; `fixed[i]` grids are not touched) for at most `rounds` sweeps.
/// Returns the number of moves made.
pub fn improve(
    graph: &UnitGraph,
    centres: &[Point],
    parts: &mut [Vec<usize>],
    fixed: &[bool],
    band: Band,
    rounds: usize,
) -> usize {
    let n = graph.adj.len();
    let mut part_of = vec![usize::MAX; n];
    for (i, p) in parts.iter().enumerate() {
        for &u in p {
            part_of[u] = i;
        }
    }
    let h = |u: usize| f64::from(graph.households[u]).max(1.0);
    // Household-weighted centre sums per part.
    let mut sx = vec![0.0; parts.len()];
    let mut sy = vec![0.0; parts.len()];
    let mut w = vec![0.0; parts.len()];
    let mut sums = vec![0u64; parts.len()];
    for (i, p) in parts.iter().enumerate() {
        for &u in p {
            sx[i] += centres[u].x() * h(u);
            sy[i] += centres[u].y() * h(u);
            w[i] += h(u);
            sums[i] += u64::from(graph.households[u]);
        }
    }
    let mut members: Vec<HashSet<usize>> = parts.iter().map(|p| p.iter().copied().collect()).collect();
    let (min, max) = (u64::from(band.min()), u64::from(band.max()));
    let mut moves = 0;
    let mut units: Vec<usize> = parts.iter().flatten().copied().collect();
    units.sort_unstable();
    for _ in 0..rounds {
        let mut moved = false;
        for &u in &units {
            let a = part_of[u];
            if fixed[a] || members[a].len() <= 1 {
                continue;
            }
            let hu = u64::from(graph.households[u]);
            if sums[a] < min + hu {
                continue;
            }
            let d2 = |i: usize| {
                let (cx, cy) = (sx[i] / w[i], sy[i] / w[i]);
                (centres[u].x() - cx).powi(2) + (centres[u].y() - cy).powi(2)
            };
            let here = d2(a);
            let mut targets: Vec<usize> =
                graph.adj[u].iter().map(|&v| part_of[v]).filter(|&b| b != a && b != usize::MAX && !fixed[b]).collect();
            targets.sort_unstable();
            targets.dedup();
            let Some(b) = targets
                .into_iter()
                .filter(|&b| sums[b] + hu <= max && d2(b) < here * 0.95)
                .min_by(|&x, &y| d2(x).total_cmp(&d2(y)).then(x.cmp(&y)))
            else {
                continue;
            };
            if !stays_connected(graph, &members[a], u) {
                continue;
            }
            members[a].remove(&u);
            members[b].insert(u);
            part_of[u] = b;
            let hw = h(u);
            sx[a] -= centres[u].x() * hw;
            sy[a] -= centres[u].y() * hw;
            w[a] -= hw;
            sx[b] += centres[u].x() * hw;
            sy[b] += centres[u].y() * hw;
            w[b] += hw;
            sums[a] -= hu;
            sums[b] += hu;
            moves += 1;
            moved = true;
        }
        if !moved {
            break;
        }
    }
    for (i, p) in parts.iter_mut().enumerate() {
        *p = members[i].iter().copied().collect();
        p.sort_unstable();
    }
    moves
}

/// Whether `part` without `u` (if it holds it) is connected.
fn stays_connected(graph: &UnitGraph, part: &HashSet<usize>, u: usize) -> bool {
    let Some(&start) = part.iter().filter(|&&x| x != u).min() else { return true };
    let mut seen = HashSet::from([start]);
    let mut stack = vec![start];
    while let Some(x) = stack.pop() {
        for &y in &graph.adj[x] {
            if y != u && part.contains(&y) && seen.insert(y) {
                stack.push(y);
            }
        }
    }
    seen.len() == part.len() - usize::from(part.contains(&u))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partition::graph::{BarrierIndex, site_links};

    #[test]
    fn moves_keep_bands_and_connectivity_and_bring_households_closer() {
        // A 10 × 4 lattice of 20-household sites split badly: interleaved columns.
        let sites: Vec<Point> = (0..40).map(|i| Point::new((i % 10) as f64 * 30.0, (i / 10) as f64 * 30.0)).collect();
        let links = site_links(&sites, 45.0, &BarrierIndex::new(std::iter::empty()));
        let g = UnitGraph::build(&[20; 40], &[None; 40], &links, 0);
        // Left block columns 0–3 plus column 9 row 0 … make two parts of 400 each: rows 0–1 and rows 2–3.
        let mut parts: Vec<Vec<usize>> = vec![(0..20).collect(), (20..40).collect()];
        let before: Vec<Vec<usize>> = parts.clone();
        let band = Band::new(300, 500).unwrap();
        improve(&g, &sites, &mut parts, &[false, false], band, 10);
        for p in &parts {
            let h: u32 = p.iter().map(|&u| g.households[u]).sum();
            assert!((300..=500).contains(&h));
            let set: HashSet<usize> = p.iter().copied().collect();
            assert!(stays_connected(&g, &set, usize::MAX));
        }
        let mut all = parts.concat();
        all.sort_unstable();
        assert_eq!(all, (0..40).collect::<Vec<_>>());
        // Rows split evenly are already compact: few or no moves, never worse.
        let spread = |ps: &[Vec<usize>]| -> f64 {
            ps.iter()
                .map(|p| {
                    let n = p.len() as f64;
                    let (cx, cy) = p.iter().fold((0.0, 0.0), |(x, y), &u| (x + sites[u].x() / n, y + sites[u].y() / n));
                    p.iter().map(|&u| (sites[u].x() - cx).powi(2) + (sites[u].y() - cy).powi(2)).sum::<f64>()
                })
                .sum()
        };
        assert!(spread(&parts) <= spread(&before) + 1e-9);
    }
}
