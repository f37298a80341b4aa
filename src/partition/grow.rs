//! Greedy region growing: the fallback when no in-band plan exists for a piece (units too coarse, or too
//! few households). It always succeeds: every region is connected and at most the upper bound (every unit
//! is, bigger ones having been taken out before), and undersized regions are merged into a neighbour while
//! the sum still fits. Deterministic: seeds are taken south-west first, ties by unit id.

use super::graph::UnitGraph;
use crate::config::Band;
use geo::Point;
use std::collections::BTreeSet;

/// Cuts a connected `piece` into connected regions of at most `band.max` households, aiming at the band's
/// middle, then merges undersized neighbours that fit together.
pub fn grow_regions(graph: &UnitGraph, centres: &[Point], piece: &[usize], band: Band) -> Vec<Vec<usize>> {
    let target = u64::from(band.min() + band.max()) / 2;
    let max = u64::from(band.max());
    let h = |u: usize| u64::from(graph.households[u]);
    let mut remaining: BTreeSet<usize> = piece.iter().copied().collect();
    let mut region_of = std::collections::HashMap::new();
    let mut regions: Vec<Vec<usize>> = Vec::new();
    while let Some(&seed) = remaining.iter().min_by(|&&a, &&b| {
        let (pa, pb) = (centres[a], centres[b]);
        (pa.y() + pa.x()).total_cmp(&(pb.y() + pb.x())).then(a.cmp(&b))
    }) {
        remaining.remove(&seed);
        let mut region = vec![seed];
        let mut sum = h(seed);
        let (mut cx, mut cy) = (centres[seed].x(), centres[seed].y());
        loop {
            if sum >= target {
                break;
            }
            let candidate = region
                .iter()
                .flat_map(|&u| graph.adj[u].iter().copied())
                .filter(|v| remaining.contains(v) && sum + h(*v) <= max)
                .min_by(|&a, &b| {
                    let da = (centres[a].x() - cx).powi(2) + (centres[a].y() - cy).powi(2);
                    let db = (centres[b].x() - cx).powi(2) + (centres[b].y() - cy).powi(2);
                    da.total_cmp(&db).then(a.cmp(&b))
                });
            let Some(v) = candidate else { break };
            remaining.remove(&v);
            region.push(v);
            sum += h(v);
            let n = region.len() as f64;
            cx += (centres[v].x() - cx) / n;
            cy += (centres[v].y() - cy) / n;
        }
        for &u in &region {
            region_of.insert(u, regions.len());
        }
        regions.push(region);
    }
    // Merge undersized regions into an adjacent region while the sum fits, smallest first.
    let mut sums: Vec<u64> = regions.iter().map(|r| r.iter().map(|&u| h(u)).sum()).collect();
    let mut alive = vec![true; regions.len()];
    let mut order: Vec<usize> = (0..regions.len()).collect();
    order.sort_by_key(|&r| (sums[r], r));
    for r in order {
        if !alive[r] || sums[r] >= u64::from(band.min()) {
            continue;
        }
        let neighbours: BTreeSet<usize> = regions[r]
            .iter()
            .flat_map(|&u| graph.adj[u].iter())
            .filter_map(|v| region_of.get(v).copied())
            .filter(|&q| q != r && alive[q] && sums[q] + sums[r] <= max)
            .collect();
        // Prefer the neighbour that ends up closest to the band's middle.
        let Some(q) = neighbours.into_iter().min_by_key(|&q| ((sums[q] + sums[r]).abs_diff(target), q)) else {
            continue;
        };
        let moved = std::mem::take(&mut regions[r]);
        for &u in &moved {
            region_of.insert(u, q);
        }
        regions[q].extend(moved);
        sums[q] += sums[r];
        alive[r] = false;
    }
    regions
        .into_iter()
        .zip(alive)
        .filter(|(r, a)| *a && !r.is_empty())
        .map(|(mut r, _)| {
            r.sort_unstable();
            r
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partition::graph::{BarrierIndex, site_links};

    #[test]
    fn coarse_units_become_connected_regions_under_the_upper_bound() {
        // A row of compounds of 480 households with 40-household buildings between them: no in-band plan
        // holds every building (480 + 40 > 500), so growing must leave small regions, never big ones.
        let households: Vec<u32> = (0..15).map(|i| if i % 2 == 0 { 480 } else { 40 }).collect();
        let sites: Vec<Point> = (0..15).map(|i| Point::new(i as f64 * 60.0, 0.0)).collect();
        let links = site_links(&sites, 100.0, &BarrierIndex::new(std::iter::empty()));
        let g = UnitGraph::build(&households, &vec![None; 15], &vec![None; 15], &links, 0);
        let piece: Vec<usize> = (0..15).collect();
        let regions = grow_regions(&g, &sites, &piece, Band::new(300, 500).unwrap());
        let mut all: Vec<usize> = regions.concat();
        all.sort_unstable();
        assert_eq!(all, piece);
        for r in &regions {
            let sum: u32 = r.iter().map(|&u| households[u]).sum();
            assert!(sum <= 500, "{r:?} has {sum}");
            assert!(r.windows(2).all(|w| w[1] == w[0] + 1), "a row region is a run of neighbours: {r:?}");
        }
        // 40-household buildings merge with each other where adjacent… here they only touch compounds.
        assert_eq!(regions.len(), 15);
    }
}
