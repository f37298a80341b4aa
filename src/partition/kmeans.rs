//! Baseline: capacity-constrained k-means with contiguity repair, the textbook way to draw districts of
//! bounded size. Centres start by k-means++ (seeded); units go to the nearest centre with room (upper bound),
//! in order of distance; centres move to their household-weighted means; ten rounds. Repair then keeps each
//! grid's largest connected piece and hands the other pieces to a neighbouring grid, which is where bands
//! break. Shipped to show what construction-by-design buys, not to be used for plans.

use super::graph::UnitGraph;
use crate::config::Band;
use geo::Point;
use rand::{Rng, RngExt};

/// Partitions a connected `piece` into `k` grids by capacity-constrained k-means plus repair.
pub fn kmeans_split(
    graph: &UnitGraph,
    centres: &[Point],
    piece: &[usize],
    k: usize,
    band: Band,
    rng: &mut impl Rng,
) -> Vec<Vec<usize>> {
    let k = k.clamp(1, piece.len().max(1));
    let h = |u: usize| f64::from(graph.households[u]).max(1.0);
    // k-means++ seeding.
    let mut seeds: Vec<Point> = vec![centres[piece[rng.random_range(0..piece.len())]]];
    while seeds.len() < k {
        let d2: Vec<f64> = piece
            .iter()
            .map(|&u| seeds.iter().map(|s| dist2(centres[u], *s)).fold(f64::INFINITY, f64::min) * h(u))
            .collect();
        let total: f64 = d2.iter().sum();
        if total <= 0.0 {
            break;
        }
        let mut r = rng.random::<f64>() * total;
        let pick = d2.iter().position(|&x| {
            r -= x;
            r <= 0.0
        });
        seeds.push(centres[piece[pick.unwrap_or(piece.len() - 1)]]);
    }
    let k = seeds.len();
    let mut assign = vec![0usize; piece.len()];
    for _ in 0..10 {
        // Nearest centre with room, units taken closest-first.
        let mut pairs: Vec<(f64, usize, usize)> = Vec::with_capacity(piece.len() * k);
        for (i, &u) in piece.iter().enumerate() {
            for (c, s) in seeds.iter().enumerate() {
                pairs.push((dist2(centres[u], *s), i, c));
            }
        }
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0).then((a.1, a.2).cmp(&(b.1, b.2))));
        let mut load = vec![0u64; k];
        let mut done = vec![false; piece.len()];
        for (_, i, c) in pairs {
            let hu = u64::from(graph.households[piece[i]]);
            if !done[i] && load[c] + hu <= u64::from(band.max()) {
                done[i] = true;
                assign[i] = c;
                load[c] += hu;
            }
        }
        // Units no centre had room for go to the nearest centre anyway.
        for (i, &u) in piece.iter().enumerate() {
            if !done[i] {
                assign[i] = (0..k)
                    .min_by(|&a, &b| dist2(centres[u], seeds[a]).total_cmp(&dist2(centres[u], seeds[b])))
                    .unwrap_or(0);
            }
        }
        for (c, seed) in seeds.iter_mut().enumerate() {
            let (mut x, mut y, mut w) = (0.0, 0.0, 0.0);
            for (i, &u) in piece.iter().enumerate() {
                if assign[i] == c {
                    x += centres[u].x() * h(u);
                    y += centres[u].y() * h(u);
                    w += h(u);
                }
            }
            if w > 0.0 {
                *seed = Point::new(x / w, y / w);
            }
        }
    }
    repair(graph, piece, &mut assign, k)
}

fn dist2(a: Point, b: Point) -> f64 {
    (a.x() - b.x()).powi(2) + (a.y() - b.y()).powi(2)
}

/// Keeps each grid's largest connected piece; other pieces join the neighbouring grid they touch most.
fn repair(graph: &UnitGraph, piece: &[usize], assign: &mut [usize], k: usize) -> Vec<Vec<usize>> {
    let index: std::collections::HashMap<usize, usize> = piece.iter().enumerate().map(|(i, &u)| (u, i)).collect();
    for _ in 0..piece.len() {
        let mut changed = false;
        for c in 0..k {
            let members: Vec<usize> = (0..piece.len()).filter(|&i| assign[i] == c).collect();
            let mut comps: Vec<Vec<usize>> = Vec::new();
            let mut seen = std::collections::HashSet::new();
            for &s in &members {
                if !seen.insert(s) {
                    continue;
                }
                let mut comp = vec![s];
                let mut stack = vec![s];
                while let Some(i) = stack.pop() {
                    for v in &graph.adj[piece[i]] {
                        if let Some(&j) = index.get(v)
                            && assign[j] == c
                            && seen.insert(j)
                        {
                            comp.push(j);
                            stack.push(j);
                        }
                    }
                }
                comps.push(comp);
            }
            comps.sort_by_key(|comp| std::cmp::Reverse(comp.len()));
            for comp in comps.iter().skip(1) {
                let mut votes: std::collections::BTreeMap<usize, usize> = std::collections::BTreeMap::new();
                for &i in comp {
                    for v in &graph.adj[piece[i]] {
                        if let Some(&j) = index.get(v)
                            && assign[j] != c
                        {
                            *votes.entry(assign[j]).or_default() += 1;
                        }
                    }
                }
                if let Some((&to, _)) = votes.iter().max_by_key(|(c, n)| (**n, std::cmp::Reverse(**c))) {
                    for &i in comp {
                        assign[i] = to;
                    }
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    let mut parts = vec![Vec::new(); k];
    for (i, &c) in assign.iter().enumerate() {
        parts[c].push(piece[i]);
    }
    parts.retain(|p| !p.is_empty());
    parts
}
