//! A shard rerun from a previous plan (`plan --shard I/N --previous RUN`): each shard reruns from its part of
//! the previous plan, so that the shards' figures of change add up to the province's.
//!
//! Each previous grid belongs to one shard: the shard of its home street — the street holding most of its
//! matched households (ties: the lower street), the rule a rerun already uses to decide which sites a grid
//! labels (`partition::replan::street_labels`). A grid with no households in the data (a dedicated grid of
//! special units, a grid whose units are gone) belongs to the street its outline lies in, else to its
//! community's street when the plan names the community, else to shard 1. A shard's
//! previous plan keeps its own grids, their units and outlines, and every retired id; another shard's grid
//! is neither removed nor retired here, its id is taken (no new grid here gets it), a lock on it is that
//! shard's, and its units in this shard (a grid that straddled two streets dealt apart) count here as new,
//! not as gone from the shard that reruns the grid.

use super::{Shard, ShardBy, deal};
use crate::load::previous::PreviousPlan;
use crate::model::{AdminLevel, Dataset};
use std::collections::{BTreeMap, HashSet};

/// The part of `plan` shard `shard` reruns from; `d` is the whole input (before [`super::restrict`]).
pub fn previous_of(plan: PreviousPlan, d: &Dataset, shard: Shard, by: ShardBy) -> PreviousPlan {
    let dealt = deal(d, shard.count, by);
    let sites = crate::partition::all_sites(d);
    let matched = crate::partition::replan::layers::match_sites(d, &sites, "previous", &plan);
    let home = crate::partition::replan::home_streets(matched.site.iter().copied().zip(&sites));
    // A grid without households in the data (a dedicated grid of special units, or one whose units are gone):
    // the street its outline lies in, as a shard takes its special units by the street their point lies in.
    let street_at = super::StreetAt::new(d);
    let mut outline_street: BTreeMap<usize, usize> = BTreeMap::new();
    for (g, outline) in &plan.outlines {
        if !home.contains_key(g)
            && let Some(st) = crate::load::geometry::representative_point(outline).and_then(|p| street_at.point(p))
        {
            outline_street.entry(*g).or_insert(st);
        }
    }
    let community_street: BTreeMap<&str, usize> =
        d.admin_areas_at(AdminLevel::Community).filter_map(|(_, a)| Some((a.id.as_str(), a.parent_area?))).collect();
    let owner = |g: usize| -> usize {
        let street = home.get(&g).copied().or_else(|| outline_street.get(&g).copied()).or_else(|| {
            let community = plan.grids[g].community.as_deref()?;
            community_street.get(community).copied()
        });
        super::shard_of(&dealt, street)
    };
    let keep: Vec<bool> = (0..plan.grids.len()).map(|g| owner(g) == shard.index - 1).collect();
    // Units now in another shard's streets are that shard's (new there), not gone from this one's grids.
    let theirs: HashSet<&str> = sites
        .iter()
        .filter(|s| super::shard_of(&dealt, s.street) != shard.index - 1)
        .map(|s| s.member.id(d).0)
        .collect();
    retain(plan, &keep, &theirs)
}

/// The plan with only the grids `keep` names (by index), their units but `theirs` and their outlines, the
/// others' ids taken elsewhere; retired ids all kept.
fn retain(plan: PreviousPlan, keep: &[bool], theirs: &HashSet<&str>) -> PreviousPlan {
    let new_index = super::renumber(keep);
    let (mine, others): (Vec<_>, Vec<_>) = plan.grids.into_iter().zip(keep).partition(|(_, k)| **k);
    let grids = mine.into_iter().map(|(g, _)| g).collect();
    let mut elsewhere = plan.elsewhere;
    elsewhere.extend(others.into_iter().map(|(g, _)| g.id));
    let units = plan
        .units
        .into_iter()
        .filter(|(u, _)| !theirs.contains(u.as_str()))
        .filter_map(|(u, g)| Some((u, new_index[g]?)))
        .collect();
    let outlines = plan.outlines.into_iter().filter_map(|(g, p)| Some((new_index[g]?, p))).collect();
    PreviousPlan { grids, units, outlines, elsewhere, ..plan }
}
