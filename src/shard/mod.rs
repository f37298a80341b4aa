//! Shards: a province planned as a job array. Streets are independent (each is partitioned on its own), so
//! `--shard I/N` plans the streets of shard I only, into a complete run folder of its own; `gridplan merge`
//! checks the N folders against each other and writes their union.
//!
//! Streets (or districts, with their streets) are dealt to shards by households, largest first, each to the
//! shard with the fewest so far (ties: lower shard, then lower id): every shard computes the same deal from
//! the same inputs, so no coordinator is needed. The walk network, barriers, facilities and candidate places
//! are kept whole in every shard, so each household's walk to each facility is the one an unsharded run
//! measures; what a shard drops is the other shards' demand (buildings, household points, special units and
//! admin areas; compounds stay, as walls). Households in no street go to shard 1, so the shards' totals add up to the input.

use crate::model::{AdminLevel, Dataset};
use crate::partition::{Member, all_sites};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

pub mod merge;
pub mod rerun;

/// Shard `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// 1 ..= count.
    pub index: usize,
    /// How many shards.
    pub count: usize,
}

/// What a shard is dealt by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum, Default)]
#[serde(rename_all = "snake_case")]
pub enum ShardBy {
    /// Each street (街道) on its own.
    #[default]
    Street,
    /// A district's (区县) streets together; a street in no district on its own.
    District,
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad =
            || format!("分片应写作 I/N（如 3/8，1 ≤ I ≤ N）/ a shard is written I/N (e.g. 3/8, 1 ≤ I ≤ N), got {s:?}");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (usize, usize) =
            (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if count == 0 || index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// What a shard holds, for its run record and for `merge`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShardInfo {
    /// Which shard.
    pub shard: Shard,
    /// Dealt by.
    pub by: ShardBy,
    /// The streets it plans (ids), ascending.
    pub streets: Vec<String>,
    /// Streets of the whole input.
    pub input_streets: usize,
    /// Households of the whole input (every shard records the same figure).
    pub input_households: u64,
    /// Households of this shard's sites (its streets, and for shard 1 those in no street).
    pub households: u64,
}

/// The deal: shard (0-based) of every street (indices into `admin_areas`).
pub fn deal(d: &Dataset, count: usize, by: ShardBy) -> BTreeMap<usize, usize> {
    let mut households: BTreeMap<usize, u64> = d.admin_areas_at(AdminLevel::Street).map(|(i, _)| (i, 0)).collect();
    for s in all_sites(d) {
        if let Some(st) = s.street {
            *households.entry(st).or_default() += u64::from(s.households);
        }
    }
    // The units dealt: streets, or a district's streets together.
    let district_of = district_of_streets(d);
    let mut units: BTreeMap<String, (u64, Vec<usize>)> = BTreeMap::new();
    for (&st, &h) in &households {
        let key = match (by, district_of.get(&st)) {
            (ShardBy::District, Some(&dist)) => format!("district:{}", d.admin_areas[dist].id),
            _ => format!("street:{}", d.admin_areas[st].id),
        };
        let unit = units.entry(key).or_default();
        unit.0 += h;
        unit.1.push(st);
    }
    let mut order: Vec<(&String, &(u64, Vec<usize>))> = units.iter().collect();
    order.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(b.0)));
    let mut load = vec![0u64; count];
    let mut out = BTreeMap::new();
    for (_, (h, streets)) in order {
        let shard = (0..count).min_by_key(|&k| (load[k], k)).unwrap_or(0);
        load[shard] += h;
        for &st in streets {
            out.insert(st, shard);
        }
    }
    out
}

/// The district of each street: named by the street's parent, else the district containing its middle.
fn district_of_streets(d: &Dataset) -> BTreeMap<usize, usize> {
    let districts: Vec<usize> = d.admin_areas_at(AdminLevel::District).map(|(i, _)| i).collect();
    if districts.is_empty() {
        return BTreeMap::new();
    }
    let index = crate::index::PolygonIndex::new(districts.iter().map(|&i| &d.admin_areas[i].polygon));
    let by_key: BTreeMap<&str, usize> = districts
        .iter()
        .flat_map(|&i| {
            let a = &d.admin_areas[i];
            [a.code.as_deref(), Some(a.id.as_str()), Some(a.name.as_str())].into_iter().flatten().map(move |k| (k, i))
        })
        .collect();
    d.admin_areas_at(AdminLevel::Street)
        .filter_map(|(i, a)| {
            let named = a.parent.as_deref().and_then(|p| by_key.get(p).copied());
            let placed = || {
                crate::load::geometry::representative_point(&a.polygon)
                    .and_then(|p| index.innermost(p))
                    .map(|k| districts[k])
            };
            named.or_else(placed).map(|dist| (i, dist))
        })
        .collect()
}

/// The dataset of one shard (see the module's note); `shard` says what it holds.
pub fn restrict(d: Dataset, shard: Shard, by: ShardBy) -> Dataset {
    let dealt = deal(&d, shard.count, by);
    let mine = |street: Option<usize>| shard_of(&dealt, street) == shard.index - 1;
    // Where every site is, by the partition's own rule (loose household points by their polygons).
    let sites = all_sites(&d);
    let shard_households: u64 = sites.iter().filter(|s| mine(s.street)).map(|s| u64::from(s.households)).sum();
    let building_kept: Vec<bool> = d.buildings.iter().map(|b| mine(b.street)).collect();
    let mut household_kept: Vec<bool> =
        d.households.iter().map(|h| h.building.is_some_and(|b| building_kept[b])).collect();
    // Admin areas: districts all (they only name), this shard's streets, their communities and any community
    // one of its sites lies in.
    let mut area_kept: Vec<bool> = d
        .admin_areas
        .iter()
        .enumerate()
        .map(|(i, a)| match a.level {
            AdminLevel::District => true,
            AdminLevel::Street => mine(Some(i)),
            AdminLevel::Community => mine(a.parent_area),
        })
        .collect();
    for s in sites.iter().filter(|s| mine(s.street)) {
        if let Member::Household(h) = s.member {
            household_kept[h] = true;
        }
        if let Some(c) = s.community {
            area_kept[c] = true;
        }
    }
    // Compounds are kept whole (same indices): their walls cut the blocks every street's outlines are drawn
    // from.
    for c in d.compounds.iter().filter(|c| c.street.is_some_and(|st| mine(Some(st)))).filter_map(|c| c.community) {
        area_kept[c] = true;
    }
    let (area_map, building_map) = (renumber(&area_kept), renumber(&building_kept));
    let map = |m: &[Option<usize>], i: Option<usize>| i.and_then(|i| m[i]);
    // The smallest kept building of each stack stands for it.
    let mut stack_head: BTreeMap<usize, usize> = BTreeMap::new();
    for (i, b) in d.buildings.iter().enumerate() {
        if let (Some(st), Some(new)) = (b.stack, building_map[i]) {
            stack_head.entry(st).or_insert(new);
        }
    }
    let street_at = StreetAt::new(&d);
    let special_units = d.special_units.iter().filter(|u| mine(street_at.point(u.point))).cloned().collect();
    drop(street_at);
    // Candidate places stay the whole input's (every building, when the plan has no candidates layer).
    let candidates = crate::coverage::candidate_places(&d).into_owned();
    let info = ShardInfo {
        shard,
        by,
        streets: {
            let ids: BTreeSet<String> = dealt
                .iter()
                .filter(|&(_, &k)| k == shard.index - 1)
                .map(|(&st, _)| d.admin_areas[st].id.clone())
                .collect();
            ids.into_iter().collect()
        },
        input_streets: d.admin_areas_at(AdminLevel::Street).count(),
        input_households: d.total_households(),
        households: shard_households,
    };
    let admin_areas = keep(&d.admin_areas, &area_kept)
        .map(|mut a| {
            a.parent_area = map(&area_map, a.parent_area);
            a
        })
        .collect();
    let buildings = keep(&d.buildings, &building_kept)
        .map(|mut b| {
            b.street = map(&area_map, b.street);
            b.community = map(&area_map, b.community);
            b.stack = b.stack.and_then(|s| stack_head.get(&s).copied());
            b
        })
        .collect();
    let households = keep(&d.households, &household_kept)
        .map(|mut h| {
            h.building = map(&building_map, h.building);
            h
        })
        .collect();
    let compounds = d
        .compounds
        .iter()
        .cloned()
        .map(|mut c| {
            c.street = map(&area_map, c.street);
            c.community = map(&area_map, c.community);
            c
        })
        .collect();
    // The whole-input layers move over as they are.
    Dataset { buildings, households, compounds, admin_areas, special_units, candidates, shard: Some(info), ..d }
}

/// The shard (0-based) of a site in `street` under a deal: households in no street go to shard 1.
pub(crate) fn shard_of(dealt: &BTreeMap<usize, usize>, street: Option<usize>) -> usize {
    street.and_then(|st| dealt.get(&st).copied()).unwrap_or(0)
}

/// The street a point lies in (the innermost, where street outlines overlap): how a shard takes its special
/// units, and a rerun the previous grids without households.
pub(crate) struct StreetAt<'a> {
    streets: Vec<usize>,
    index: crate::index::PolygonIndex<'a>,
}

impl<'a> StreetAt<'a> {
    pub(crate) fn new(d: &'a Dataset) -> Self {
        let streets: Vec<usize> = d.admin_areas_at(AdminLevel::Street).map(|(i, _)| i).collect();
        let index = crate::index::PolygonIndex::new(streets.iter().map(|&i| &d.admin_areas[i].polygon));
        StreetAt { streets, index }
    }

    /// The street (index into `admin_areas`) at `p`, if any.
    pub(crate) fn point(&self, p: geo::Point) -> Option<usize> {
        self.index.innermost(p).map(|k| self.streets[k])
    }
}

/// New indices of the kept items, in order.
pub(crate) fn renumber(kept: &[bool]) -> Vec<Option<usize>> {
    let mut next = 0;
    kept.iter()
        .map(|&k| {
            k.then(|| {
                next += 1;
                next - 1
            })
        })
        .collect()
}

fn keep<'a, T: Clone>(items: &'a [T], kept: &'a [bool]) -> impl Iterator<Item = T> + 'a {
    items.iter().zip(kept).filter(|(_, k)| **k).map(|(t, _)| t.clone())
}

#[cfg(test)]
mod tests {
    use super::Shard;

    #[test]
    fn shards_parse_and_refuse_what_is_not_one() {
        assert_eq!("3/8".parse::<Shard>(), Ok(Shard { index: 3, count: 8 }));
        assert_eq!(" 1 / 1 ".parse::<Shard>(), Ok(Shard { index: 1, count: 1 }));
        for bad in ["0/4", "5/4", "3", "a/4", "1/0", "-1/4"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }
}
