//! How much a rerun changed, and how much change was necessary: households moved (in both plans and now in a
//! grid of another id), grids unchanged / changed / new / removed, the variation of information between the
//! two plans and the share of units relabelled, the lower bound on households that had to move and the ratio
//! of the two; whether every lock held. Computed from the finished grids (ids as written), not from the
//! repair's own bookkeeping.

use super::{Matched, Replanned};
use crate::model::Dataset;
use crate::partition::Partition;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The figures of a rerun (`run.json` → `replan`, `replan.json`, the report).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Change {
    /// Where the previous plan was read from.
    pub previous: String,
    /// What it was (`run`, `table`, `layer`).
    pub previous_kind: crate::load::previous::PreviousKind,
    /// Units matched to a previous grid by id, by location, and new units.
    pub units_matched_by_id: usize,
    /// Units matched by location in a previous outline.
    pub units_matched_by_location: usize,
    /// Units in no previous grid.
    pub units_new: usize,
    /// Their households.
    pub households_new: u64,
    /// Units of the previous plan that are not in the data any more.
    pub units_gone: usize,
    /// Households in a grid in both plans.
    pub households_in_both: u64,
    /// Of those, households now in a grid of another id.
    pub households_moved: u64,
    /// `households_moved ÷ households_in_both`.
    pub share_moved: f64,
    /// Lower bound on households that had to move for every grid to be in band (see README).
    pub households_moved_lower_bound: u64,
    /// `households_moved ÷ households_moved_lower_bound` (none when the bound is 0).
    pub moved_over_bound: Option<f64>,
    /// Units in a grid in both plans.
    pub units_in_both: usize,
    /// Of those, units now in a grid of another id.
    pub units_relabelled: usize,
    /// `units_relabelled ÷ units_in_both`.
    pub share_units_relabelled: f64,
    /// Variation of information between the two plans, bits, household-weighted over units in both.
    pub variation_of_information_bits: f64,
    /// Grids of the previous plan.
    pub grids_previous: usize,
    /// Grids with the same id and exactly the same units (of those in both plans).
    pub grids_unchanged: usize,
    /// Grids with the same id and other units.
    pub grids_changed: usize,
    /// Grids with an id the previous plan did not have.
    pub grids_new: usize,
    /// Previous grids whose id is gone.
    pub grids_removed: usize,
    /// Locked grids.
    pub locked: Vec<String>,
    /// Whether every locked grid holds exactly the units it held (of those still in the data).
    pub locks_held: bool,
    /// The budget, percent.
    pub max_moved_pct: Option<f64>,
    /// Streets where the budget stopped a repair.
    pub stopped_by_budget: Vec<String>,
    /// Ids no new grid may take: retired before, or by this rerun.
    pub retired_ids: Vec<String>,
}

/// One unit that changed grid.
#[derive(Debug, Clone, Serialize)]
pub struct Move {
    /// Unit id.
    pub id: String,
    /// `building` or `household`.
    pub kind: &'static str,
    /// Households.
    pub households: u64,
    /// Previous grid id.
    pub from: String,
    /// Grid id now (empty when in no grid).
    pub to: String,
}

/// A unit one plan has and the other does not (`replan_unmatched.csv`).
#[derive(Debug, Clone, Serialize)]
pub struct Unmatched {
    /// Unit id.
    pub id: String,
    /// Its grid: now for a new unit, in the previous plan for one gone.
    pub grid: String,
    /// Households now (0 for a unit gone).
    pub households: u64,
    /// `new` (not in the previous plan) or `gone` (not in the data any more).
    pub status: &'static str,
}

/// Every unit the previous plan does not list, and every unit it lists that the data no longer have.
pub fn unmatched(d: &Dataset, p: &Partition, grids: &[(&str, &[usize])]) -> Vec<Unmatched> {
    let Some(r) = &p.replan else { return Vec::new() };
    let mut now: Vec<&str> = vec![""; p.sites.len()];
    for (id, sites) in grids {
        for &s in *sites {
            now[s] = id;
        }
    }
    let new = (0..p.sites.len()).filter(|&s| r.matched[s] == Matched::New).map(|s| Unmatched {
        id: p.sites[s].member.id(d).0.to_string(),
        grid: now[s].to_string(),
        households: u64::from(p.sites[s].households),
        status: "new",
    });
    let gone =
        r.units_gone.iter().map(|(id, g)| Unmatched { id: id.clone(), grid: g.clone(), households: 0, status: "gone" });
    new.chain(gone).collect()
}

/// The change of a rerun; `grids` are the finished grids as (id, sites). `None` for a plan from scratch.
pub fn change(d: &Dataset, p: &Partition, grids: &[(&str, &[usize])]) -> Option<(Change, Vec<Move>)> {
    let r: &Replanned = p.replan.as_ref()?;
    let mut now: Vec<Option<&str>> = vec![None; p.sites.len()];
    for (id, sites) in grids {
        for &s in *sites {
            now[s] = Some(id);
        }
    }
    let before = |s: usize| r.site_previous[s].map(|g| r.grids[g].id.as_str());
    let h = |s: usize| u64::from(p.sites[s].households);
    let (mut in_both, mut moved, mut units_both, mut relabelled) = (0u64, 0u64, 0usize, 0usize);
    let mut moves = Vec::new();
    let mut joint: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    for (s, &b) in now.iter().enumerate() {
        let (Some(a), Some(b)) = (before(s), b) else { continue };
        in_both += h(s);
        units_both += 1;
        *joint.entry((a, b)).or_default() += h(s);
        if a != b {
            moved += h(s);
            relabelled += 1;
            let (id, kind) = p.sites[s].member.id(d);
            moves.push(Move { id: id.to_string(), kind, households: h(s), from: a.into(), to: b.into() });
        }
    }
    moves.sort_by(|a, b| a.from.cmp(&b.from).then(a.id.cmp(&b.id)));
    let previous_ids: BTreeSet<&str> = r.grids.iter().map(|g| g.id.as_str()).collect();
    let now_ids: BTreeSet<&str> = grids.iter().map(|(id, _)| *id).collect();
    // Units (of those in both plans) per grid id, before and now.
    let mut units_before: BTreeMap<&str, BTreeSet<usize>> = BTreeMap::new();
    let mut units_now: BTreeMap<&str, BTreeSet<usize>> = BTreeMap::new();
    for (s, &b) in now.iter().enumerate() {
        if let (Some(a), Some(b)) = (before(s), b) {
            units_before.entry(a).or_default().insert(s);
            units_now.entry(b).or_default().insert(s);
        }
    }
    let kept: Vec<&str> = now_ids.intersection(&previous_ids).copied().collect();
    let unchanged = kept.iter().filter(|id| units_before.get(*id) == units_now.get(*id)).count();
    let locked: Vec<String> = r.locked.iter().map(|&g| r.grids[g].id.clone()).collect();
    let locks_held = r.locked.iter().all(|&g| {
        let id = r.grids[g].id.as_str();
        (0..p.sites.len()).filter(|&s| r.site_previous[s] == Some(g)).all(|s| now[s] == Some(id))
            && (0..p.sites.len()).filter(|&s| now[s] == Some(id)).all(|s| r.site_previous[s] == Some(g))
    });
    let mut retired: BTreeSet<String> = r.retired.clone();
    retired.extend(previous_ids.difference(&now_ids).map(|s| s.to_string()));
    let bound = r.bound;
    let change = Change {
        previous: r.source.display().to_string(),
        previous_kind: r.kind,
        units_matched_by_id: r.matched.iter().filter(|m| **m == Matched::Id).count(),
        units_matched_by_location: r.matched.iter().filter(|m| **m == Matched::Location).count(),
        units_new: r.matched.iter().filter(|m| **m == Matched::New).count(),
        households_new: (0..p.sites.len()).filter(|&s| r.matched[s] == Matched::New).map(h).sum(),
        units_gone: r.units_gone.len(),
        households_in_both: in_both,
        households_moved: moved,
        share_moved: ratio(moved, in_both),
        households_moved_lower_bound: bound,
        moved_over_bound: (bound > 0).then(|| moved as f64 / bound as f64),
        units_in_both: units_both,
        units_relabelled: relabelled,
        share_units_relabelled: ratio(relabelled as u64, units_both as u64),
        variation_of_information_bits: variation_of_information(&joint),
        grids_previous: r.grids.len(),
        grids_unchanged: unchanged,
        grids_changed: kept.len() - unchanged,
        grids_new: now_ids.difference(&previous_ids).count(),
        grids_removed: previous_ids.difference(&now_ids).count(),
        locked,
        locks_held,
        max_moved_pct: r.max_moved_pct,
        stopped_by_budget: r.stopped_by_budget.clone(),
        retired_ids: retired.into_iter().collect(),
    };
    Some((change, moves))
}

/// The figures of reruns of disjoint parts (the shards of one deal, [`crate::shard::rerun`]) as one rerun's:
/// counts added, shares and ratios recomputed from the sums, the variation of information averaged by
/// households in both plans (exact: no grid of either plan is in two parts), locks held if every part held
/// its own, ids retired anywhere retired. `previous` names the plan they reran from. `None` for no parts.
pub fn add_up(parts: &[Change], previous: String) -> Option<Change> {
    let first = parts.first()?;
    let sum = |f: fn(&Change) -> u64| parts.iter().map(f).sum::<u64>();
    let count = |f: fn(&Change) -> usize| parts.iter().map(f).sum::<usize>();
    let union = |f: fn(&Change) -> &Vec<String>| -> Vec<String> {
        parts.iter().flat_map(f).cloned().collect::<BTreeSet<String>>().into_iter().collect()
    };
    let (in_both, moved, bound) =
        (sum(|c| c.households_in_both), sum(|c| c.households_moved), sum(|c| c.households_moved_lower_bound));
    let (units_both, relabelled) = (count(|c| c.units_in_both), count(|c| c.units_relabelled));
    let weighted_vi: f64 = parts.iter().map(|c| c.variation_of_information_bits * c.households_in_both as f64).sum();
    Some(Change {
        previous,
        previous_kind: first.previous_kind,
        units_matched_by_id: count(|c| c.units_matched_by_id),
        units_matched_by_location: count(|c| c.units_matched_by_location),
        units_new: count(|c| c.units_new),
        households_new: sum(|c| c.households_new),
        units_gone: count(|c| c.units_gone),
        households_in_both: in_both,
        households_moved: moved,
        share_moved: ratio(moved, in_both),
        households_moved_lower_bound: bound,
        moved_over_bound: (bound > 0).then(|| moved as f64 / bound as f64),
        units_in_both: units_both,
        units_relabelled: relabelled,
        share_units_relabelled: ratio(relabelled as u64, units_both as u64),
        variation_of_information_bits: if in_both == 0 { 0.0 } else { weighted_vi / in_both as f64 },
        grids_previous: count(|c| c.grids_previous),
        grids_unchanged: count(|c| c.grids_unchanged),
        grids_changed: count(|c| c.grids_changed),
        grids_new: count(|c| c.grids_new),
        grids_removed: count(|c| c.grids_removed),
        locked: union(|c| &c.locked),
        locks_held: parts.iter().all(|c| c.locks_held),
        max_moved_pct: first.max_moved_pct,
        stopped_by_budget: union(|c| &c.stopped_by_budget),
        retired_ids: union(|c| &c.retired_ids),
    })
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// VI = H(A|B) + H(B|A) in bits, from the households shared by each pair of grids.
fn variation_of_information(joint: &BTreeMap<(&str, &str), u64>) -> f64 {
    let total: u64 = joint.values().sum();
    if total == 0 {
        return 0.0;
    }
    let mut a: BTreeMap<&str, u64> = BTreeMap::new();
    let mut b: BTreeMap<&str, u64> = BTreeMap::new();
    for (&(x, y), &n) in joint {
        *a.entry(x).or_default() += n;
        *b.entry(y).or_default() += n;
    }
    let t = total as f64;
    let vi: f64 = joint
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(&(x, y), &n)| {
            let p = n as f64 / t;
            -p * ((n as f64 / a[x] as f64).log2() + (n as f64 / b[y] as f64).log2())
        })
        .sum();
    if vi > 0.0 { vi } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(in_both: u64, moved: u64, vi: f64, retired: &[&str]) -> Change {
        Change {
            previous: "prev".into(),
            previous_kind: crate::load::previous::PreviousKind::Run,
            units_matched_by_id: 10,
            units_matched_by_location: 0,
            units_new: 1,
            households_new: 5,
            units_gone: 0,
            households_in_both: in_both,
            households_moved: moved,
            share_moved: ratio(moved, in_both),
            households_moved_lower_bound: moved / 2,
            moved_over_bound: None,
            units_in_both: 10,
            units_relabelled: 1,
            share_units_relabelled: 0.1,
            variation_of_information_bits: vi,
            grids_previous: 3,
            grids_unchanged: 2,
            grids_changed: 1,
            grids_new: 0,
            grids_removed: 1,
            locked: Vec::new(),
            locks_held: true,
            max_moved_pct: None,
            stopped_by_budget: Vec::new(),
            retired_ids: retired.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn disjoint_reruns_add_up_to_one_with_shares_from_the_sums() {
        assert!(add_up(&[], "x".into()).is_none());
        let (a, b) = (part(300, 30, 0.2, &["g9", "g1"]), part(100, 0, 0.6, &["g1"]));
        let c = add_up(&[a, b], "prev".into()).expect("parts");
        assert_eq!((c.households_in_both, c.households_moved, c.households_moved_lower_bound), (400, 30, 15));
        assert_eq!(c.share_moved, 30.0 / 400.0);
        assert_eq!(c.moved_over_bound, Some(2.0));
        assert_eq!((c.units_in_both, c.units_relabelled, c.share_units_relabelled), (20, 2, 0.1));
        assert!((c.variation_of_information_bits - (0.2 * 300.0 + 0.6 * 100.0) / 400.0).abs() < 1e-12);
        assert_eq!((c.grids_previous, c.grids_removed), (6, 2));
        assert_eq!(c.retired_ids, ["g1", "g9"], "ids retired anywhere, once, sorted");
    }

    #[test]
    fn variation_of_information_is_zero_for_a_relabelling_and_two_bits_for_independent_halves() {
        let same = BTreeMap::from([(("A", "X"), 5), (("B", "Y"), 5)]);
        assert_eq!(variation_of_information(&same), 0.0);
        let crossed = BTreeMap::from([(("A", "X"), 1), (("A", "Y"), 1), (("B", "X"), 1), (("B", "Y"), 1)]);
        assert!((variation_of_information(&crossed) - 2.0).abs() < 1e-12);
    }
}
