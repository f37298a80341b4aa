//! Districts mode for analysts (`gridplan districts`): exactly K contiguous districts within ±ε of the ideal
//! population on the graph's own edges, by the grid engine's recursive bounded spanning-tree bipartition. No
//! street or community levels; a graph in several components gets a whole number of districts per component
//! (chosen by a small dynamic programme over the components, or proved impossible by arithmetic). K is never
//! changed: when no plan is found the error says why, and whether that is a proof.

use crate::config::Band;
use crate::partition::graph::{SiteLink, UnitGraph};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// Fresh starts of the recursive bipartition of a component before giving up.
const RESTARTS: usize = 10;

/// A districting plan.
#[derive(Debug, Clone, Serialize)]
pub struct Districts {
    /// District of every node (1-based), in node order.
    pub district: Vec<usize>,
    /// Population of each district.
    pub populations: Vec<u64>,
    /// Total ÷ K.
    pub ideal: f64,
    /// Largest |population − ideal| ÷ ideal.
    pub max_deviation: f64,
    /// Edges between districts.
    pub cut_edges: usize,
    /// Whether every district is one connected piece of the graph (checked again from the edges).
    pub contiguous: bool,
    /// Districts per connected component of the graph.
    pub per_component: Vec<u64>,
}

/// Why no plan was made.
#[derive(Debug, thiserror::Error)]
pub enum DistrictsError {
    /// The request itself cannot be met.
    #[error("{0}")]
    Impossible(String),
    /// The search gave up: not a proof that no plan exists.
    #[error(
        "no plan of {k} districts within ±{eps} found in {attempts} spanning-tree attempts per part (not a proof that none exists: raise --attempts or the tolerance)"
    )]
    NotFound {
        /// Districts asked for.
        k: u64,
        /// Tolerance.
        eps: f64,
        /// Attempts.
        attempts: u32,
    },
}

/// Splits the graph (`n` nodes, undirected `edges`, `population` per node) into exactly `k` districts within
/// ±`eps` of the ideal, seeded.
pub fn districts(
    n: usize,
    edges: &[(usize, usize)],
    population: &[u64],
    k: u64,
    eps: f64,
    seed: u64,
    attempts: u32,
) -> Result<Districts, DistrictsError> {
    let impossible = |s: String| Err(DistrictsError::Impossible(s));
    if k == 0 || k as usize > n {
        return impossible(format!("--districts {k}: needs 1 ≤ K ≤ {n} (the number of nodes)"));
    }
    if !(0.0..1.0).contains(&eps) {
        return impossible(format!("--tolerance {eps}: needs 0 ≤ ε < 1 (0.02 is ±2 %)"));
    }
    let total: u64 = population.iter().sum();
    let ideal = total as f64 / k as f64;
    let (lo, hi) = ((ideal * (1.0 - eps)).ceil().max(1.0) as u64, (ideal * (1.0 + eps)).floor() as u64);
    if lo > hi {
        return impossible(format!(
            "no whole population lies within ±{eps} of the ideal {ideal:.1}: widen the tolerance (a proof by arithmetic)"
        ));
    }
    if hi > u64::from(crate::config::BAND_LIMIT) || population.iter().any(|&p| p > u64::from(u32::MAX)) {
        return impossible(format!(
            "districts of up to {hi} people: this version handles at most {} per district",
            crate::config::BAND_LIMIT
        ));
    }
    let band = Band::new(lo as u32, hi as u32).map_err(DistrictsError::Impossible)?;
    let households: Vec<u32> = population.iter().map(|&p| p as u32).collect();
    let links: Vec<SiteLink> = edges.iter().map(|&(a, b)| SiteLink { a, b, length_m: 1.0, barrier: None }).collect();
    let none = vec![None; n];
    let graph = UnitGraph::build(&households, &none, &none, &links, 0);
    let components = graph.components();
    let per_component = share_districts(&graph, &components, k, band).ok_or_else(|| {
        DistrictsError::Impossible(format!(
            "the graph has {} connected components and no whole number of districts of {lo}–{hi} people fits each of them with {k} in all (a proof by arithmetic)",
            components.len()
        ))
    })?;
    let centres = vec![geo::Point::new(0.0, 0.0); n];
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut district = vec![0; n];
    let mut next = 0;
    for (comp, &kc) in components.iter().zip(&per_component) {
        // A deep cut that fails can spend the budget of the whole recursion: start again a few times.
        let parts = (0..RESTARTS)
            .find_map(|_| {
                let mut budget = attempts.saturating_mul(kc as u32).max(attempts);
                crate::partition::tree::split_into(&graph, &centres, comp, kc, band, &mut rng, &mut budget)
            })
            .ok_or(DistrictsError::NotFound { k, eps, attempts })?;
        for part in parts {
            next += 1;
            for &u in &part {
                for &s in &graph.unit_sites[u] {
                    district[s] = next;
                }
            }
        }
    }
    Ok(score(district, edges, population, k, ideal, per_component))
}

/// Districts per component: each component's population must fit a whole number of districts, K in all.
fn share_districts(graph: &UnitGraph, components: &[Vec<usize>], k: u64, band: Band) -> Option<Vec<u64>> {
    let windows: Vec<(u64, u64)> = components
        .iter()
        .map(|c| c.iter().map(|&u| u64::from(graph.households[u])).sum::<u64>())
        .map(|h| crate::partition::tree::feasible_ks(h, band).map(|(a, b)| (a, b.min(k))))
        .collect::<Option<_>>()?;
    // reach[i][j]: the first i components can take exactly j districts; keep a choice to rebuild.
    let k = k as usize;
    let mut reach = vec![vec![None::<u64>; k + 1]; windows.len() + 1];
    reach[0][0] = Some(0);
    for (i, &(a, b)) in windows.iter().enumerate() {
        for j in 0..=k {
            if reach[i][j].is_none() {
                continue;
            }
            for kc in a..=b {
                let t = j + kc as usize;
                if t <= k && reach[i + 1][t].is_none() {
                    reach[i + 1][t] = Some(kc);
                }
            }
        }
    }
    let mut out = vec![0; windows.len()];
    let mut j = k;
    for i in (0..windows.len()).rev() {
        let kc = reach[i + 1][j]?;
        out[i] = kc;
        j -= kc as usize;
    }
    Some(out)
}

/// Populations, deviation, cut edges and contiguity of a plan, from the edges alone.
pub fn score(
    district: Vec<usize>,
    edges: &[(usize, usize)],
    population: &[u64],
    k: u64,
    ideal: f64,
    per_component: Vec<u64>,
) -> Districts {
    let mut populations = vec![0u64; k as usize];
    for (s, &d) in district.iter().enumerate() {
        populations[d - 1] += population[s];
    }
    let max_deviation = populations.iter().map(|&p| (p as f64 - ideal).abs() / ideal).fold(0.0, f64::max);
    let cut_edges = edges.iter().filter(|&&(a, b)| district[a] != district[b]).count();
    let mut uf = crate::partition::graph::UnionFind::new(district.len());
    for &(a, b) in edges {
        if district[a] == district[b] {
            uf.union(a, b);
        }
    }
    let mut root_of = vec![usize::MAX; k as usize];
    let contiguous = (0..district.len()).all(|s| {
        let r = uf.find(s);
        let d = district[s] - 1;
        if root_of[d] == usize::MAX {
            root_of[d] = r;
        }
        root_of[d] == r
    });
    Districts { district, populations, ideal, max_deviation, cut_edges, contiguous, per_component }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A w × h lattice, rook edges, population 10 each.
    fn lattice(w: usize, h: usize) -> (usize, Vec<(usize, usize)>, Vec<u64>) {
        (w * h, super::super::graph::lattice_edges(w, h), vec![10; w * h])
    }

    #[test]
    fn a_lattice_gets_exactly_k_contiguous_districts_in_tolerance_and_the_same_seed_the_same_plan() {
        let (n, edges, pop) = lattice(12, 12);
        let a = districts(n, &edges, &pop, 6, 0.05, 3, 200).unwrap();
        assert_eq!(a.populations.iter().sum::<u64>(), 1440);
        assert!(a.contiguous && a.max_deviation <= 0.05 && a.populations.len() == 6, "{a:?}");
        assert_eq!(districts(n, &edges, &pop, 6, 0.05, 3, 200).unwrap().district, a.district);
    }

    #[test]
    fn units_without_people_are_kept_and_assigned() {
        let (n, edges, mut pop) = lattice(6, 6);
        for p in pop.iter_mut().step_by(3) {
            *p = 0;
        }
        let d = districts(n, &edges, &pop, 4, 0.1, 2, 200).unwrap();
        assert!(d.district.iter().all(|&x| (1..=4).contains(&x)), "every node in a district");
        assert_eq!(d.populations.iter().sum::<u64>(), pop.iter().sum::<u64>());
        assert!(d.contiguous);
    }

    #[test]
    fn two_islands_share_the_districts_by_their_populations_or_the_arithmetic_says_no() {
        // Two 4 × 4 islands of 160 and one 2 × 4 island of 80: K = 5 gives 2 + 2 + 1.
        let (_, e1, _) = lattice(4, 4);
        let (_, e3, _) = lattice(2, 4);
        let mut edges = e1.clone();
        edges.extend(e1.iter().map(|&(a, b)| (a + 16, b + 16)));
        edges.extend(e3.iter().map(|&(a, b)| (a + 32, b + 32)));
        let pop = vec![10; 40];
        let d = districts(40, &edges, &pop, 5, 0.0, 1, 200).unwrap();
        assert_eq!((d.per_component.clone(), d.contiguous), (vec![2, 2, 1], true));
        let e = districts(40, &edges, &pop, 4, 0.05, 1, 200).unwrap_err().to_string();
        assert!(e.contains("3 connected components") && e.contains("proof"), "{e}");
        assert!(districts(40, &edges, &pop, 41, 0.05, 1, 200).is_err());
    }
}
