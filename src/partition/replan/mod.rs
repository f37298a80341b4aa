//! Rerunning a plan from a previous one (`--previous`) without reshuffling it. Units are matched to the previous
//! grids by id, or by location in the previous outlines when the previous plan is a polygon layer. Each street keeps its previous communities; in each
//! community the previous grids are taken as they were, new units join the neighbouring grid with most room,
//! and only grids that broke a rule (out of band, in pieces, across a street or community line) are repaired,
//! by the fewest households moved ([`repair`]). A component the moves cannot bring in band is planned afresh
//! when that puts more grids in band, its new grids matched to the previous ones by the households they
//! share. Locked grids never change; the budget (`max_moved_pct`) is honoured street by street.

pub mod change;
mod components;
pub mod layers;
mod repair;

use super::graph::{UnitGraph, site_links};
use super::split::unit_centres;
use super::{Certificate, Community, Ctx, Proof, StreetGrid, StreetResult};
use crate::config::Band;
use crate::load::previous::{PreviousGrid, PreviousKind, PreviousPlan};
use crate::model::Dataset;
use rand_chacha::ChaCha8Rng;
use repair::Part;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::PathBuf;

/// How a site was matched to the previous plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matched {
    /// By its unit id.
    Id,
    /// By its location inside a previous grid's outline.
    Location,
    /// Not at all: a new unit.
    New,
}

/// What a rerun started from and what it kept: read by the grid ids (kept grids keep theirs) and the figures
/// of change ([`change`]).
#[derive(Debug, Clone)]
pub struct Replanned {
    /// Where the previous plan was read from.
    pub source: PathBuf,
    /// What it was.
    pub kind: PreviousKind,
    /// Its grids.
    pub grids: Vec<PreviousGrid>,
    /// Every id used before (previous grids and those retired earlier): never given to a new grid.
    pub reserved: BTreeSet<String>,
    /// Ids retired by earlier reruns.
    pub retired: BTreeSet<String>,
    /// Previous grid of each site.
    pub site_previous: Vec<Option<usize>>,
    /// How each site was matched.
    pub matched: Vec<Matched>,
    /// Units of the previous plan not in the data any more, with their previous grid, by id.
    pub units_gone: Vec<(String, String)>,
    /// Locked grids (indices into `grids`).
    pub locked: BTreeSet<usize>,
    /// The budget, percent of households in both plans.
    pub max_moved_pct: Option<f64>,
    /// Streets where the budget stopped a repair.
    pub stopped_by_budget: Vec<String>,
    /// Lower bound on the households that had to move, street by street.
    pub bound: u64,
    /// The previous plan as a layer (its name in a merge).
    pub base: layers::Legacy,
    /// The other layers a merge prefers to keep together.
    pub prefer: Vec<layers::Legacy>,
    /// How a merge chose its base.
    pub choice: Option<layers::BaseChoice>,
}

/// The previous plan as the streets read it.
pub(super) struct Replanning<'a> {
    pub plan: &'a Replanned,
    /// Previous grid of each site, only where that grid's home (most of its households) is the site's street.
    pub label: Vec<Option<usize>>,
}

/// Why a rerun cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ReplanError {
    /// A locked grid is not in the previous plan.
    #[error("[replan] locked 中的网格 {0:?} 不在上一版方案 {1} 中 / names a grid that is not in the previous plan")]
    UnknownLock(String, PathBuf),
}

/// A rerun's inputs: the previous plan it starts from and, for 多网合一, the other legacy layers it prefers to
/// keep together (ties between equally cheap moves go to the move that keeps more of them together).
#[derive(Debug, Clone, Copy)]
pub struct Rerun<'a> {
    /// The previous plan (the base layer of a merge).
    pub base: &'a PreviousPlan,
    /// The base's name in a merge.
    pub base_name: Option<&'a str>,
    /// The other layers of a merge, by name.
    pub prefer: &'a [(String, PreviousPlan)],
    /// How a merge chose its base.
    pub choice: Option<&'a layers::BaseChoice>,
}

/// Matches the sites to the previous plan (and the layers a merge prefers).
pub fn match_previous(
    d: &Dataset,
    sites: &[super::Site],
    rerun: &Rerun,
    config: &crate::config::PlanConfig,
) -> Result<Replanned, ReplanError> {
    let plan = rerun.base;
    let base = layers::match_sites(d, sites, rerun.base_name.unwrap_or("previous"), plan);
    let (site_previous, matched, units_gone) = (base.site.clone(), base.matched.clone(), base.units_gone.clone());
    let prefer: Vec<layers::Legacy> =
        rerun.prefer.iter().map(|(name, layer)| layers::match_sites(d, sites, name, layer)).collect();
    let mut locked = BTreeSet::new();
    for id in &config.replan.locked {
        match plan.grids.iter().position(|g| &g.id == id) {
            Some(g) => locked.insert(g),
            None if plan.elsewhere.contains(id) => continue,
            None => return Err(ReplanError::UnknownLock(id.clone(), plan.source.clone())),
        };
    }
    let mut reserved: BTreeSet<String> = plan.grids.iter().map(|g| g.id.clone()).collect();
    reserved.extend(plan.retired.iter().cloned());
    reserved.extend(plan.elsewhere.iter().cloned());
    Ok(Replanned {
        source: plan.source.clone(),
        kind: plan.kind,
        grids: plan.grids.clone(),
        reserved,
        retired: plan.retired.clone(),
        site_previous,
        matched,
        units_gone,
        locked,
        max_moved_pct: config.replan.max_moved_pct,
        stopped_by_budget: Vec::new(),
        bound: 0,
        base,
        prefer,
        choice: rerun.choice.cloned(),
    })
}

/// Each site's previous basic grid where its home street is the site's street (dedicated grids of the
/// previous plan and grids mostly in another street give no label).
pub(super) fn street_labels(plan: &Replanned, sites: &[super::Site], in_pool: &[bool]) -> Vec<Option<usize>> {
    let home =
        home_streets(sites.iter().enumerate().filter(|&(i, _)| in_pool[i]).map(|(i, s)| (plan.site_previous[i], s)));
    sites
        .iter()
        .enumerate()
        .map(|(i, s)| {
            plan.site_previous[i]
                .filter(|&g| !plan.grids[g].dedicated && in_pool[i])
                .filter(|g| s.street.is_some() && home.get(g).copied() == s.street)
        })
        .collect()
}

/// Each previous grid's home street: the street holding most of its matched households (ties: the lower
/// street), from (previous grid, site) pairs.
pub fn home_streets<'a>(matched: impl Iterator<Item = (Option<usize>, &'a super::Site)>) -> BTreeMap<usize, usize> {
    let mut per_street: BTreeMap<(usize, usize), u64> = BTreeMap::new();
    for (g, s) in matched {
        if let (Some(g), Some(st)) = (g, s.street) {
            *per_street.entry((g, st)).or_default() += u64::from(s.households);
        }
    }
    let mut home: BTreeMap<usize, (usize, u64)> = BTreeMap::new();
    for (&(g, st), &h) in &per_street {
        let e = home.entry(g).or_insert((st, h));
        if h > e.1 {
            *e = (st, h);
        }
    }
    home.into_iter().map(|(g, (st, _))| (g, st)).collect()
}

/// A grid as a rerun makes it: sites, certificate when out of band, the previous grid it continues.
pub(super) type Planned = (Vec<usize>, Option<Certificate>, Option<usize>);

/// The grids of one community and its share of the bound.
struct CommunityGrids {
    grids: Vec<Planned>,
    over: u64,
    under: u64,
    new_households: u64,
}

impl Ctx<'_> {
    /// One street rerun from the previous plan.
    pub(super) fn replan_street(
        &self,
        r: &Replanning,
        street: usize,
        members: &[usize],
        rng: &mut ChaCha8Rng,
    ) -> StreetResult {
        let area = &self.d.admin_areas[street];
        let (mut communities, loose) = self.given_communities(street, members);
        let mut community_certs = Vec::new();
        // Built communities: the previous ones, new units joining a linked neighbour's.
        let mut keyed: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut key_of: Vec<Option<String>> =
            loose.iter().map(|&s| r.label[s].and_then(|g| r.plan.grids[g].community.clone())).collect();
        if key_of.iter().any(Option::is_some) {
            let points: Vec<geo::Point> = loose.iter().map(|&s| self.sites[s].point).collect();
            let links = site_links(&points, self.config.partition.max_edge_m, self.barriers);
            let mut adj = vec![Vec::new(); loose.len()];
            for l in links.iter().filter(|l| l.barrier.is_none()) {
                adj[l.a].push(l.b);
                adj[l.b].push(l.a);
            }
            let mut queue: VecDeque<usize> = (0..loose.len()).filter(|&i| key_of[i].is_some()).collect();
            while let Some(i) = queue.pop_front() {
                for &j in &adj[i] {
                    if key_of[j].is_none() {
                        key_of[j] = key_of[i].clone();
                        queue.push_back(j);
                    }
                }
            }
        }
        let mut rest = Vec::new();
        for (i, &s) in loose.iter().enumerate() {
            match &key_of[i] {
                Some(k) => keyed.entry(k.clone()).or_default().push(s),
                None => rest.push(s),
            }
        }
        let number = |id: &str| id.rsplit_once("-C").and_then(|(_, n)| n.parse::<usize>().ok());
        let next = keyed.keys().filter_map(|k| number(k)).max().unwrap_or(0);
        for (id, sites) in keyed {
            let households = sites.iter().map(|&s| u64::from(self.sites[s].households)).sum();
            let name = number(&id).map_or_else(|| id.clone(), |n| self.config.admin.community_name(&area.name, n));
            communities.push(Community { id, name, street, admin_area: None, sites, households, certificate: None });
        }
        let crossings = self.build_communities(street, &rest, next, &mut communities, &mut community_certs, rng);
        // A previous grid now in several communities is at home in the one with most of its households.
        let mut in_community: BTreeMap<(usize, usize), u64> = BTreeMap::new();
        for (ci, c) in communities.iter().enumerate() {
            for &s in &c.sites {
                if let Some(g) = r.label[s] {
                    *in_community.entry((g, ci)).or_default() += u64::from(self.sites[s].households);
                }
            }
        }
        let mut home: BTreeMap<usize, (usize, u64)> = BTreeMap::new();
        for (&(g, ci), &h) in &in_community {
            let e = home.entry(g).or_insert((ci, h));
            if h > e.1 {
                *e = (ci, h);
            }
        }
        let forced: u64 = members
            .iter()
            .filter(|&&s| r.plan.site_previous[s].is_some() && r.label[s].is_none())
            .map(|&s| u64::from(self.sites[s].households))
            .sum();
        let in_both: u64 = members
            .iter()
            .filter(|&&s| r.plan.site_previous[s].is_some())
            .map(|&s| u64::from(self.sites[s].households))
            .sum();
        let mut budget = match r.plan.max_moved_pct {
            Some(pct) => (pct / 100.0 * in_both as f64).floor() as u64,
            None => u64::MAX,
        };
        let band = self.config.bands.basic;
        let (mut grids, mut over, mut under, mut new_households, mut forced_community) = (Vec::new(), 0, 0, 0, 0);
        let mut stopped = false;
        for (ci, c) in communities.iter().enumerate() {
            let labels: Vec<Option<usize>> =
                c.sites.iter().map(|&s| r.label[s].filter(|g| home.get(g).map(|h| h.0) == Some(ci))).collect();
            forced_community += c
                .sites
                .iter()
                .zip(&labels)
                .filter(|(s, l)| l.is_none() && r.label[**s].is_some())
                .map(|(&s, _)| u64::from(self.sites[s].households))
                .sum::<u64>();
            let before = budget;
            let out = self.replan_community(r, &c.sites, &labels, band, &mut budget, &mut stopped, rng);
            debug_assert!(budget <= before || r.plan.max_moved_pct.is_none() || budget >= before);
            over += out.over;
            under += out.under;
            new_households += out.new_households;
            grids.extend(out.grids.into_iter().map(|(sites, certificate, previous)| StreetGrid {
                community: ci,
                sites,
                certificate,
                previous,
            }));
        }
        let bound = (over + forced + forced_community).max(under.saturating_sub(new_households));
        let split_compounds = self.divided_in_rerun(r, &grids, band);
        StreetResult {
            communities,
            grids,
            community_certificates: community_certs,
            crossings,
            split_compounds,
            bound,
            stopped_by_budget: stopped,
        }
    }

    /// Compounds of a street's grids divided between grids, and why: divided before (kept so, to move fewer
    /// households), more households than a grid holds, or opened where a piece was planned afresh.
    fn divided_in_rerun(&self, r: &Replanning, grids: &[StreetGrid], band: Band) -> Vec<super::SplitCompound> {
        // Per compound: the grids it is in, the previous grids its sites were in, its households.
        type Seen = (BTreeSet<usize>, BTreeSet<Option<usize>>, u64);
        let mut seen: BTreeMap<usize, Seen> = BTreeMap::new();
        for (g, grid) in grids.iter().enumerate() {
            for &s in &grid.sites {
                if let Some(c) = self.sites[s].compound {
                    let e = seen.entry(c).or_default();
                    e.0.insert(g);
                    e.1.insert(r.plan.site_previous[s]);
                    e.2 += u64::from(self.sites[s].households);
                }
            }
        }
        seen.into_iter()
            .filter(|(_, (g, _, _))| g.len() > 1)
            .map(|(compound, (_, before, households))| {
                let (kind, reason) = if before.len() > 1 {
                    ("previous", "上一版方案中已分属多个网格，保持不变以少调整住户 / divided between grids in the previous plan; kept so, to move fewer households".to_string())
                } else if households > u64::from(band.max()) {
                    ("over_upper", format!("{households} households, more than a grid's upper bound of {}", band.max()))
                } else {
                    ("opened", "opened to its buildings where its piece was planned afresh: no in-band plan with it whole".to_string())
                };
                super::SplitCompound { compound, households, kind, reason }
            })
            .collect()
    }

    /// The grids of one community from the previous plan: locked grids as they are, the rest repaired.
    #[allow(clippy::too_many_arguments, reason = "the context of one community")]
    fn replan_community(
        &self,
        r: &Replanning,
        members: &[usize],
        labels: &[Option<usize>],
        band: Band,
        budget: &mut u64,
        stopped: &mut bool,
        rng: &mut ChaCha8Rng,
    ) -> CommunityGrids {
        let mut out = CommunityGrids { grids: Vec::new(), over: 0, under: 0, new_households: 0 };
        let households = |s: usize| u64::from(self.sites[s].households);
        let mut locked: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        let (mut free, mut free_labels) = (Vec::new(), Vec::new());
        for (&s, &l) in members.iter().zip(labels) {
            match l.filter(|g| r.plan.locked.contains(g)) {
                Some(g) => locked.entry(g).or_default().push(s),
                None => {
                    free.push(s);
                    free_labels.push(l);
                }
            }
        }
        for (g, sites) in locked {
            let h: u64 = sites.iter().map(|&s| households(s)).sum();
            out.grids.push((sites, (!band.contains(h)).then(|| certificate(Proof::Locked, h, band)), Some(g)));
        }
        if free.is_empty() {
            return out;
        }
        // Compounds move whole where the previous plan kept them whole.
        let mut compound_labels: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
        for (&s, l) in free.iter().zip(&free_labels) {
            if let (Some(c), Some(l)) = (self.sites[s].compound, l) {
                compound_labels.entry(c).or_default().insert(*l);
            }
        }
        let groups = free
            .iter()
            .map(|&s| self.sites[s].compound.filter(|c| compound_labels.get(c).is_none_or(|l| l.len() <= 1)))
            .collect();
        let input = self.input(&free, groups);
        let graph = UnitGraph::build(&input.households, &input.groups, &input.stacks, &input.links, band.max());
        let centres = unit_centres(&graph, &input.points, &input.households);
        let n = graph.adj.len();
        let previous: Vec<Vec<(usize, u64)>> = graph
            .unit_sites
            .iter()
            .map(|ss| {
                let mut by: BTreeMap<usize, u64> = BTreeMap::new();
                for &i in ss {
                    if let Some(l) = free_labels[i] {
                        *by.entry(l).or_default() += u64::from(input.households[i]);
                    }
                }
                by.into_iter().collect()
            })
            .collect();
        // The layers a merge prefers: each unit's main legacy grid in each.
        let prefer: Vec<Vec<Option<usize>>> = graph
            .unit_sites
            .iter()
            .map(|ss| {
                r.plan
                    .prefer
                    .iter()
                    .map(|layer| {
                        let mut by: BTreeMap<usize, u64> = BTreeMap::new();
                        for &i in ss {
                            if let Some(l) = layer.site[input.members[i]] {
                                *by.entry(l).or_default() += u64::from(input.households[i]);
                            }
                        }
                        by.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0))).map(|(l, _)| l)
                    })
                    .collect()
            })
            .collect();
        let mut unit_label: Vec<Option<usize>> = previous
            .iter()
            .map(|v| v.iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0))).map(|&(l, _)| l))
            .collect();
        out.new_households = (0..free.len()).filter(|&i| free_labels[i].is_none()).map(|i| households(free[i])).sum();
        // The units of each previous grid before the rerun touches it.
        let mut before: BTreeMap<usize, Vec<u64>> = BTreeMap::new();
        for (u, l) in unit_label.iter().enumerate() {
            if let Some(l) = l {
                before.entry(*l).or_default().push(u64::from(graph.households[u]));
            }
        }
        // New units join the neighbouring grid with most room, wave by wave.
        let mut sums: BTreeMap<usize, u64> = BTreeMap::new();
        for (u, l) in unit_label.iter().enumerate() {
            if let Some(l) = l {
                *sums.entry(*l).or_default() += u64::from(graph.households[u]);
            }
        }
        loop {
            let mut changed = false;
            for u in 0..n {
                if unit_label[u].is_some() {
                    continue;
                }
                // The neighbour sharing most of its legacy grids (a merge's soft rule), then most room.
                let near: BTreeMap<usize, usize> = graph.adj[u]
                    .iter()
                    .filter_map(|&v| unit_label[v].map(|l| (l, v)))
                    .map(|(l, v)| (l, prefer[u].iter().zip(&prefer[v]).filter(|(a, b)| a.is_some() && a == b).count()))
                    .fold(BTreeMap::new(), |mut m, (l, agree)| {
                        let e = m.entry(l).or_insert(0);
                        *e = (*e).max(agree);
                        m
                    });
                if let Some((l, _)) = near.into_iter().min_by_key(|&(l, agree)| (std::cmp::Reverse(agree), sums[&l], l))
                {
                    unit_label[u] = Some(l);
                    *sums.entry(l).or_default() += u64::from(graph.households[u]);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        let mut by_label: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
        let mut unreached = Vec::new();
        for (u, l) in unit_label.iter().enumerate() {
            match l {
                Some(l) => {
                    by_label.entry(*l).or_default().insert(u);
                }
                None => unreached.push(u),
            }
        }
        let parts: Vec<Part> = by_label.into_iter().map(|(l, units)| Part { label: Some(l), units }).collect();
        let context = components::Community {
            graph: &graph,
            input: &input,
            centres: &centres,
            previous: &previous,
            prefer: &prefer,
        };
        let grids = self.replan_components(&context, &free_labels, parts, band, budget, stopped, rng);
        bound_terms(&before, &grids, band, &mut out);
        out.grids.extend(grids);
        if !unreached.is_empty() {
            // Units no previous grid reaches (a new estate across a barrier): planned afresh.
            let sites = components::sites_of_units(&graph, &input, unreached.iter().copied());
            for (sites, cert) in self.split(&sites, band, band.max(), "grid", rng).parts {
                out.grids.push((sites, cert, None));
            }
        }
        // Grids ordered by their first site, as a plan from scratch orders them.
        out.grids.sort_by(|a, b| a.0.first().cmp(&b.0.first()));
        out
    }
}

/// The bound's terms of one community, for each previous grid the rerun brought in band or removed (a grid
/// left out of band needed no move). Units move whole (compounds, stacks), so a grid over the upper bound by E
/// loses at least the smallest sum of its units that reaches E; a grid under the lower bound by D gains at
/// least the smallest sum of the community's other units that reaches D, or loses all it holds.
fn bound_terms(before: &BTreeMap<usize, Vec<u64>>, grids: &[Planned], band: Band, out: &mut CommunityGrids) {
    let left_out: BTreeSet<usize> = grids.iter().filter(|g| g.1.is_some()).filter_map(|g| g.2).collect();
    let (min, max) = (u64::from(band.min()), u64::from(band.max()));
    for (l, units) in before {
        let h: u64 = units.iter().sum();
        if left_out.contains(l) {
            continue;
        }
        if h > max {
            out.over += smallest_sum_reaching(units, h - max);
        } else if h < min {
            let others: Vec<u64> =
                before.iter().filter(|(k, _)| *k != l).flat_map(|(_, u)| u.iter().copied()).collect();
            out.under += h.min(smallest_sum_reaching(&others, min - h));
        }
    }
}

/// The smallest sum of some of `weights` that is at least `target` (`u64::MAX` when all together fall short):
/// subset sums as a bit set.
fn smallest_sum_reaching(weights: &[u64], target: u64) -> u64 {
    let total: u64 = weights.iter().sum();
    if total < target {
        return u64::MAX;
    }
    // Sums above target + the largest weight are never the smallest reaching it.
    let cap = (target + weights.iter().copied().max().unwrap_or(0)).min(total) as usize;
    let mut reach = vec![false; cap + 1];
    reach[0] = true;
    for &w in weights {
        let w = w as usize;
        if w == 0 {
            continue;
        }
        for s in (w..=cap).rev() {
            if reach[s - w] {
                reach[s] = true;
            }
        }
    }
    (target as usize..=cap).find(|&s| reach[s]).map_or(total, |s| s as u64)
}

/// A certificate for a grid left out of band by a planner's rule (lock, budget).
fn certificate(proof: Proof, h: u64, band: Band) -> Certificate {
    Certificate {
        level: "grid".into(),
        component_households: h,
        feasible_k: None,
        reason: super::piece::reason(proof, h, band, &[]),
        proof,
        remedies: match proof {
            Proof::Locked => vec!["unlock it ([replan] locked) to let the rerun repair it".into()],
            _ => vec!["raise --max-moved, or rerun without it".into()],
        },
        action: "kept as it is".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::smallest_sum_reaching;

    #[test]
    fn the_smallest_sum_reaching_a_target_takes_whole_units() {
        assert_eq!(smallest_sum_reaching(&[54, 60, 120], 3), 54);
        assert_eq!(smallest_sum_reaching(&[54, 60, 120], 100), 114);
        assert_eq!(smallest_sum_reaching(&[54, 60], 200), u64::MAX);
        assert_eq!(smallest_sum_reaching(&[], 0), 0);
    }
}
