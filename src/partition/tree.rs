//! Recursive bounded spanning-tree bipartition (the seeding step of ReCom: DeFord, Duchin & Solomon 2021,
//! "Recombination: a family of Markov chains for redistricting"; GerryChain's `recursive_tree_part`).
//!
//! A connected set of units with H households is to become k grids, each in [min, max]. Draw a random
//! spanning tree (Kruskal on distance × random jitter, so short links are preferred and parts stay compact),
//! and look for one tree edge whose removal leaves a subtree with s households such that s fits k₁ grids and
//! H − s fits k − k₁ grids. Both sides stay connected, so recursing on them gives k connected grids, each in
//! band by construction. O(E log E) per tree; a few trees per split in practice.

use super::graph::{UnionFind, UnitGraph};
use crate::config::Band;
use geo::Point;
use rand::{Rng, RngExt};

/// The numbers of grids `k` that can hold `h` households in band: k·min ≤ h ≤ k·max.
pub fn feasible_ks(h: u64, band: Band) -> Option<(u64, u64)> {
    let (lo, hi) = (h.div_ceil(u64::from(band.max())), h / u64::from(band.min()));
    (lo.max(1) <= hi).then_some((lo.max(1), hi))
}

/// The k to aim for: the feasible k nearest to h ÷ the band's middle.
pub fn choose_k(h: u64, band: Band) -> Option<u64> {
    let (lo, hi) = feasible_ks(h, band)?;
    let target = f64::from(band.min() + band.max()) / 2.0;
    Some(((h as f64 / target).round() as u64).clamp(lo, hi))
}

/// Splits `units` (connected in `graph`) into `k` connected parts, each in band, or fails after `budget`
/// spanning trees.
pub fn split_into(
    graph: &UnitGraph,
    centres: &[Point],
    units: &[usize],
    k: u64,
    band: Band,
    rng: &mut impl Rng,
    budget: &mut u32,
) -> Option<Vec<Vec<usize>>> {
    if k <= 1 {
        return Some(vec![units.to_vec()]);
    }
    let h: u64 = units.iter().map(|&u| u64::from(graph.households[u])).sum();
    while *budget > 0 {
        *budget -= 1;
        let Some((side, k1)) = find_cut(graph, centres, units, h, k, band, rng) else { continue };
        let (a, b): (Vec<usize>, Vec<usize>) = units.iter().partition(|&&u| side[u]);
        let Some(mut left) = split_into(graph, centres, &a, k1, band, rng, budget) else { continue };
        let Some(right) = split_into(graph, centres, &b, k - k1, band, rng, budget) else { continue };
        left.extend(right);
        return Some(left);
    }
    None
}

/// One random spanning tree of `units`; returns the units on the cut-off side (indexed by unit id) and how
/// many grids that side takes.
fn find_cut(
    graph: &UnitGraph,
    centres: &[Point],
    units: &[usize],
    h: u64,
    k: u64,
    band: Band,
    rng: &mut impl Rng,
) -> Option<(Vec<bool>, u64)> {
    let n = graph.adj.len();
    let mut local = vec![usize::MAX; n];
    for (i, &u) in units.iter().enumerate() {
        local[u] = i;
    }
    let mut edges: Vec<(f64, usize, usize)> = Vec::new();
    for (i, &u) in units.iter().enumerate() {
        for &v in &graph.adj[u] {
            let j = local[v];
            if j != usize::MAX && i < j {
                let d = centres[u].0 - centres[v].0;
                let w = (d.x * d.x + d.y * d.y).sqrt().max(1.0) * (1.0 + rng.random::<f64>());
                edges.push((w, i, j));
            }
        }
    }
    edges.sort_by(|a, b| a.0.total_cmp(&b.0).then((a.1, a.2).cmp(&(b.1, b.2))));
    let m = units.len();
    let mut uf = UnionFind::new(m);
    let mut tree = vec![Vec::new(); m];
    for &(_, i, j) in &edges {
        if uf.find(i) != uf.find(j) {
            uf.union(i, j);
            tree[i].push(j);
            tree[j].push(i);
        }
    }
    // Root at a random unit; subtree sums by reverse DFS order.
    let root = rng.random_range(0..m);
    let mut parent = vec![usize::MAX; m];
    let mut order = Vec::with_capacity(m);
    let mut stack = vec![root];
    parent[root] = root;
    while let Some(x) = stack.pop() {
        order.push(x);
        for &y in &tree[x] {
            if parent[y] == usize::MAX {
                parent[y] = x;
                stack.push(y);
            }
        }
    }
    if order.len() != m {
        return None; // not connected: the caller passed a component, so this does not happen
    }
    let mut sub = vec![0u64; m];
    for &x in order.iter().rev() {
        sub[x] += u64::from(graph.households[units[x]]);
        if x != root {
            let p = parent[x];
            sub[p] += sub[x];
        }
    }
    let (min, max) = (u64::from(band.min()), u64::from(band.max()));
    let half = k / 2;
    let mut best: Option<(u64, f64, usize, u64)> = None; // (distance from an even split, imbalance, node, k1)
    for &x in &order {
        if x == root {
            continue;
        }
        let s = sub[x];
        let rest = h - s;
        let k1_lo = s.div_ceil(max).max(k.saturating_sub(rest / min)).max(1);
        let k1_hi = (s / min).min(k.saturating_sub(rest.div_ceil(max))).min(k - 1);
        if k1_lo > k1_hi {
            continue;
        }
        let k1 = half.clamp(k1_lo, k1_hi);
        let imbalance = (s as f64 / k1 as f64 - rest as f64 / (k - k1) as f64).abs();
        let key = (k1.abs_diff(half), imbalance, x, k1);
        if best.is_none_or(|b| (key.0, key.1) < (b.0, b.1)) {
            best = Some(key);
        }
    }
    let (_, _, x, k1) = best?;
    // The side below x.
    let mut side = vec![false; n];
    let mut stack = vec![x];
    while let Some(y) = stack.pop() {
        side[units[y]] = true;
        for &z in &tree[y] {
            if z != parent[y] {
                stack.push(z);
            }
        }
    }
    Some((side, k1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partition::graph::{BarrierIndex, UnitGraph, site_links};
    use rand::SeedableRng;

    #[test]
    fn feasible_k_windows() {
        let b = Band::new(300, 500).unwrap();
        assert_eq!(feasible_ks(250, b), None);
        assert_eq!(feasible_ks(400, b), Some((1, 1)));
        assert_eq!(feasible_ks(550, b), None, "550 is too many for one grid and too few for two");
        assert_eq!(feasible_ks(600, b), Some((2, 2)));
        assert_eq!(feasible_ks(2000, b), Some((4, 6)));
        assert_eq!(choose_k(2000, b), Some(5));
    }

    #[test]
    fn lattice_splits_into_connected_parts_in_band() {
        // 20 × 20 lattice, 10 households a site: 4,000 households → 10 grids of 300–500.
        let sites: Vec<Point> = (0..400).map(|i| Point::new((i % 20) as f64 * 30.0, (i / 20) as f64 * 30.0)).collect();
        let links = site_links(&sites, 50.0, &BarrierIndex::new(std::iter::empty()));
        let g = UnitGraph::build(&vec![10; 400], &vec![None; 400], &vec![None; 400], &links, 0);
        let units: Vec<usize> = (0..400).collect();
        let band = Band::new(300, 500).unwrap();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let mut budget = 1000;
        let parts =
            split_into(&g, &sites, &units, choose_k(4000, band).unwrap(), band, &mut rng, &mut budget).expect("splits");
        assert_eq!(parts.len(), 10);
        let mut all: Vec<usize> = parts.concat();
        all.sort_unstable();
        assert_eq!(all, units, "every unit in exactly one part");
        for p in &parts {
            let h: u32 = p.iter().map(|&u| g.households[u]).sum();
            assert!((300..=500).contains(&h), "{h}");
            assert_eq!(crate::partition::undersize::sub_components(&g, p).len(), 1, "part is connected");
        }
    }
}
