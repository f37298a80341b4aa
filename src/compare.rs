//! Two partition runs side by side (`gridplan compare`): how many households changed grid and how many grids
//! stayed exactly the same, and the workload figures of each.
//!
//! Grids of a rerun from a previous plan (`--previous`) keep their ids, so when B was rerun from A (its
//! `replan.json` names A), grids are matched by id: a household moved when its grid id changed — the same
//! count as the rerun's own `replan.json`. Otherwise (plans from scratch, whose ids follow from the seed and
//! the data) grids are matched by content: each grid of run A is matched to the grid of run B that holds most
//! of its households (ties: the lower id), and a household moved when its grid in B is not that match.

use crate::load::run::Placement;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Workload figures of one run, from its assignment.
#[derive(Debug, Clone, Serialize)]
pub struct RunFigures {
    /// Grids (basic and dedicated).
    pub grids: usize,
    /// Households in a grid.
    pub households_assigned: u64,
    /// Mean households per grid.
    pub mean: f64,
    /// Coefficient of variation of households per grid.
    pub cv: f64,
    /// Gini coefficient of households per grid.
    pub gini: f64,
}

/// The comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Stability {
    /// Run A.
    pub a: RunFigures,
    /// Run B.
    pub b: RunFigures,
    /// Households (as B counts them: the later data) of units placed in both runs.
    pub households_in_both: u64,
    /// Of those, households whose grid in B is not their A grid's match.
    pub households_moved: u64,
    /// Share moved.
    pub share_moved: f64,
    /// Grids of A whose units form exactly one grid of B.
    pub grids_unchanged: usize,
    /// How grids were matched: `id` or `content`.
    pub matched_by: &'static str,
}

fn figures(run: &HashMap<String, Placement>) -> RunFigures {
    let mut per_grid: BTreeMap<&str, u64> = BTreeMap::new();
    for p in run.values() {
        *per_grid.entry(p.grid.as_str()).or_default() += p.households;
    }
    let values: Vec<f64> = per_grid.values().map(|&h| h as f64).collect();
    let total: u64 = per_grid.values().sum();
    RunFigures {
        grids: per_grid.len(),
        households_assigned: total,
        mean: if values.is_empty() { 0.0 } else { total as f64 / values.len() as f64 },
        cv: crate::workload::cv(&values),
        gini: crate::workload::gini(&values),
    }
}

/// Compares two runs' assignments (unit id → placement); `by_id` when B was rerun from A (`--previous`), so
/// that its grid ids are A's.
pub fn compare(a: &HashMap<String, Placement>, b: &HashMap<String, Placement>, by_id: bool) -> Stability {
    // Households shared by each (A grid, B grid) pair.
    let mut shared: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    let mut in_both = 0;
    for (id, pa) in a {
        if let Some(pb) = b.get(id) {
            *shared.entry((pa.grid.as_str(), pb.grid.as_str())).or_default() += pb.households;
            in_both += pb.households;
        }
    }
    let b_ids: BTreeSet<&str> = b.values().map(|p| p.grid.as_str()).collect();
    // BTreeMap order gives, for equal overlaps, the lower B id first.
    let mut matched: BTreeMap<&str, (&str, u64)> = BTreeMap::new();
    for (&(ga, gb), &h) in &shared {
        if by_id {
            matched.insert(ga, (if b_ids.contains(ga) { ga } else { "" }, 0));
            continue;
        }
        let e = matched.entry(ga).or_insert((gb, h));
        if h > e.1 {
            *e = (gb, h);
        }
    }
    let moved: u64 = a
        .iter()
        .filter_map(|(id, pa)| b.get(id).map(|pb| (pa, pb)))
        .filter(|(pa, pb)| matched.get(pa.grid.as_str()).is_none_or(|m| m.0 != pb.grid))
        .map(|(_, pb)| pb.households)
        .sum();
    let members = |run: &HashMap<String, Placement>| {
        let mut m: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (id, p) in run {
            m.entry(p.grid.clone()).or_default().insert(id.clone());
        }
        m
    };
    let (ma, mb) = (members(a), members(b));
    let b_sets: BTreeSet<&BTreeSet<String>> = mb.values().collect();
    let unchanged = ma.values().filter(|s| b_sets.contains(s)).count();
    Stability {
        a: figures(a),
        b: figures(b),
        households_in_both: in_both,
        households_moved: moved,
        share_moved: if in_both == 0 { 0.0 } else { moved as f64 / in_both as f64 },
        grids_unchanged: unchanged,
        matched_by: if by_id { "id" } else { "content" },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(rows: &[(&str, &str, u64)]) -> HashMap<String, Placement> {
        rows.iter()
            .map(|&(id, g, h)| (id.to_string(), Placement { grid: g.into(), community: String::new(), households: h }))
            .collect()
    }

    #[test]
    fn renumbered_grids_are_unchanged_and_one_moved_unit_counts() {
        let a = run(&[("u1", "A", 100), ("u2", "A", 200), ("u3", "B", 300), ("u4", "B", 50)]);
        // Same grids under other names.
        let b = run(&[("u1", "X", 100), ("u2", "X", 200), ("u3", "Y", 300), ("u4", "Y", 50)]);
        let s = compare(&a, &b, false);
        assert_eq!((s.households_moved, s.grids_unchanged, s.households_in_both), (0, 2, 650));
        // u4 (50 households) moves to the other grid.
        let c = run(&[("u1", "X", 100), ("u2", "X", 200), ("u3", "Y", 300), ("u4", "X", 50)]);
        let s = compare(&a, &c, false);
        assert_eq!((s.households_moved, s.grids_unchanged), (50, 0));
        assert_eq!(s.b.grids, 2);
        assert_eq!(s.matched_by, "content");
    }

    #[test]
    fn a_rerun_that_keeps_ids_is_matched_by_id() {
        let a = run(&[("u1", "A", 100), ("u2", "A", 200), ("u3", "B", 300), ("u4", "B", 50)]);
        // u2 moved to B: by id that is its 200 households; by content A's best match is B (200 of its 300), so
        // u1's 100 would count as moved instead.
        let b = run(&[("u1", "A", 100), ("u2", "B", 200), ("u3", "B", 300), ("u4", "B", 50)]);
        let s = compare(&a, &b, true);
        assert_eq!((s.matched_by, s.households_moved, s.grids_unchanged), ("id", 200, 0));
        assert_eq!(compare(&a, &b, false).households_moved, 100);
    }
}
