//! A community's previous grids, component by component (the pieces barriers leave): a component whose grids
//! all keep the rules is left exactly as it was; else it is repaired ([`Repair`]), and the repair is taken
//! only when it leaves fewer grids breaking a rule (no household moves for nothing). A component still
//! breaking a rule is planned afresh when that puts more grids in band (new grids matched to the previous ones
//! by the households they share, within the budget), else kept with the fresh plan's certificate — its proof
//! is about the component, so it holds for any plan of it.

use super::super::graph::UnitGraph;
use super::super::split::Input;
use super::super::{Certificate, Ctx, Proof};
use super::repair::{Part, Repair};
use super::{Planned, certificate};
use crate::config::Band;
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Fresh plans drawn for a component the repair could not mend; the one that moves fewest households is kept.
const FRESH_PLANS: usize = 8;

/// One community's unit graph and what the repair reads.
pub(super) struct Community<'a> {
    pub graph: &'a UnitGraph,
    pub input: &'a Input<'a>,
    pub centres: &'a [geo::Point],
    /// Households of each unit's sites per previous grid.
    pub previous: &'a [Vec<(usize, u64)>],
    /// Each unit's main grid in each layer a merge prefers.
    pub prefer: &'a [Vec<Option<usize>>],
}

impl Community<'_> {
    /// A repair of `parts` in this community with `budget` households to move.
    fn repair(&self, band: Band, parts: Vec<Part>, budget: u64) -> Repair<'_> {
        Repair::new(self.graph, self.centres, self.previous, self.prefer, band, parts, budget)
    }
}

/// The sites (global indices, ascending) of some units.
pub(super) fn sites_of_units(graph: &UnitGraph, input: &Input, units: impl Iterator<Item = usize>) -> Vec<usize> {
    let mut s: Vec<usize> = units.flat_map(|u| graph.unit_sites[u].iter().map(|&i| input.members[i])).collect();
    s.sort_unstable();
    s
}

impl Ctx<'_> {
    /// The community's grids (sites, certificate, previous grid), component by component.
    #[allow(clippy::too_many_arguments, reason = "the context of one community")]
    pub(super) fn replan_components(
        &self,
        community: &Community,
        site_labels: &[Option<usize>],
        parts: Vec<Part>,
        band: Band,
        budget: &mut u64,
        stopped: &mut bool,
        rng: &mut ChaCha8Rng,
    ) -> Vec<Planned> {
        let (graph, input) = (community.graph, community.input);
        let mut component_of = vec![0; graph.adj.len()];
        let components = graph.components();
        for (i, comp) in components.iter().enumerate() {
            for &u in comp {
                component_of[u] = i;
            }
        }
        // A previous grid in pieces (a new barrier) belongs to the component of its first unit; the repair
        // gives its other pieces away.
        let mut by_component: BTreeMap<usize, Vec<Part>> = BTreeMap::new();
        for p in parts {
            if let Some(&u) = p.units.first() {
                by_component.entry(component_of[u]).or_default().push(p);
            }
        }
        let local: HashMap<usize, usize> = input.members.iter().enumerate().map(|(i, &s)| (s, i)).collect();
        let label_of = |s: usize| site_labels[local[&s]];
        let households = |s: usize| u64::from(self.sites[s].households);
        let mut out = Vec::new();
        // Components that keep every rule, emitted last: a merge spends what is left of the budget on them.
        let mut legal: Vec<Vec<Part>> = Vec::new();
        for (c, mut parts) in by_component {
            let broken = |parts: &[Part]| {
                parts
                    .iter()
                    .filter(|p| {
                        let units: Vec<usize> = p.units.iter().copied().collect();
                        let h: u64 = units.iter().map(|&u| u64::from(graph.households[u])).sum();
                        !band.contains(h) || super::super::undersize::sub_components(graph, &units).len() > 1
                    })
                    .count()
            };
            let was = broken(&parts);
            if was > 0 {
                let mut repair = community.repair(band, parts.clone(), *budget);
                repair.run(30);
                if broken(&repair.parts) < was {
                    *budget = repair.budget();
                    parts = repair.parts;
                }
                *stopped |= repair.stopped_by_budget;
            }
            let h = |p: &Part| p.units.iter().map(|&u| u64::from(graph.households[u])).sum::<u64>();
            let bad = parts.iter().filter(|p| !band.contains(h(p))).count();
            let current: Vec<(Vec<usize>, Option<usize>)> =
                parts.iter().map(|p| (sites_of_units(graph, input, p.units.iter().copied()), p.label)).collect();
            if bad == 0 {
                legal.push(parts);
                continue;
            }
            let sites = sites_of_units(graph, input, components[c].iter().copied());
            let fresh = self.split(&sites, band, band.max(), "grid", rng).parts;
            let fresh_bad = fresh.iter().filter(|(_, cert)| cert.is_some()).count();
            let moved = |grids: &[(Vec<usize>, Option<usize>)]| -> u64 {
                grids
                    .iter()
                    .flat_map(|(ss, l)| ss.iter().map(move |&s| (s, *l)))
                    .filter(|&(s, l)| label_of(s).is_some_and(|p| Some(p) != l))
                    .map(|(s, _)| households(s))
                    .sum()
            };
            if fresh_bad < bad {
                // Several fresh plans, each matched to the previous grids and sent home; the fewest moves wins.
                let mut best: Option<(u64, Vec<Planned>)> = None;
                let mut draw = Some(fresh);
                for _ in 0..FRESH_PLANS {
                    let plan = match draw.take() {
                        Some(p) => p,
                        None => self.split(&sites, band, band.max(), "grid", rng).parts,
                    };
                    if plan.iter().filter(|(_, cert)| cert.is_some()).count() > fresh_bad {
                        continue;
                    }
                    let labels = match_labels(&plan, &label_of, &households);
                    let mut planned: Vec<Planned> =
                        plan.into_iter().zip(labels).map(|((s, cert), l)| (s, cert, l)).collect();
                    self.send_home(community, &local, &mut planned, band);
                    let cost = moved(&planned.iter().map(|(s, _, l)| (s.clone(), *l)).collect::<Vec<_>>());
                    if best.as_ref().is_none_or(|b| cost < b.0) {
                        best = Some((cost, planned));
                    }
                }
                let Some((_, planned)) = best else { unreachable!("the first fresh plan is always a candidate") };
                let without_cert: Vec<(Vec<usize>, Option<usize>)> =
                    planned.iter().map(|(s, _, l)| (s.clone(), *l)).collect();
                let (now, then) = (moved(&current), moved(&without_cert));
                if then <= now || then - now <= *budget {
                    *budget = if then >= now { *budget - (then - now) } else { budget.saturating_add(now - then) };
                    out.extend(planned);
                    continue;
                }
                *stopped = true;
                for (s, l) in current {
                    let hs: u64 = s.iter().map(|&x| households(x)).sum();
                    let cert = (!band.contains(hs)).then(|| certificate(Proof::Budget, hs, band));
                    out.push((s, cert, l));
                }
                continue;
            }
            // The fresh plan is no better: its certificate explains the component.
            let proof = fresh.iter().find_map(|(_, cert)| cert.clone());
            for (s, l) in current {
                let hs: u64 = s.iter().map(|&x| households(x)).sum();
                let cert = (!band.contains(hs)).then(|| proof.clone()).flatten();
                out.push((s, cert, l));
            }
        }
        let merging = community.prefer.first().is_some_and(|p| !p.is_empty());
        for mut parts in legal {
            if merging && *budget > 0 {
                // A merge's soft rule: legal grids move towards the preferred layers, within the budget.
                let mut gather = community.repair(band, parts.clone(), *budget);
                if gather.gather_layers(10) {
                    *budget = gather.budget();
                    parts = gather.parts;
                }
            }
            out.extend(parts.iter().map(|p| (sites_of_units(graph, input, p.units.iter().copied()), None, p.label)));
        }
        out
    }
}

impl Ctx<'_> {
    /// Units of a fresh plan sent back to their previous grid where it stays legal ([`Repair::return_home`]);
    /// grids with a certificate stay as they are, and nothing moves when a unit lies in two fresh grids.
    fn send_home(&self, community: &Community, local: &HashMap<usize, usize>, planned: &mut [Planned], band: Band) {
        if planned.iter().any(|(_, cert, _)| cert.is_some()) {
            return;
        }
        let graph = community.graph;
        let mut part_of_unit: HashMap<usize, usize> = HashMap::new();
        for (p, (sites, _, _)) in planned.iter().enumerate() {
            for s in sites {
                let u = graph.site_unit[local[s]];
                if part_of_unit.insert(u, p).is_some_and(|q| q != p) {
                    return;
                }
            }
        }
        let parts: Vec<Part> = planned
            .iter()
            .enumerate()
            .map(|(p, (_, _, label))| Part {
                label: *label,
                units: part_of_unit.iter().filter(|(_, q)| **q == p).map(|(u, _)| *u).collect(),
            })
            .collect();
        let mut repair = community.repair(band, parts, u64::MAX);
        if repair.return_home(30) {
            for (p, part) in repair.parts.iter().enumerate() {
                planned[p].0 = sites_of_units(graph, community.input, part.units.iter().copied());
            }
        }
    }
}

/// The previous grid each fresh grid continues: pairs by the households they share, most first, each previous
/// grid and each fresh grid used once.
fn match_labels(
    fresh: &[(Vec<usize>, Option<Certificate>)],
    label_of: &dyn Fn(usize) -> Option<usize>,
    households: &dyn Fn(usize) -> u64,
) -> Vec<Option<usize>> {
    let mut shared: BTreeMap<(usize, usize), u64> = BTreeMap::new();
    for (f, (sites, _)) in fresh.iter().enumerate() {
        for &s in sites {
            if let Some(l) = label_of(s) {
                *shared.entry((f, l)).or_default() += households(s);
            }
        }
    }
    let mut pairs: Vec<((usize, usize), u64)> = shared.into_iter().collect();
    pairs.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let (mut used_f, mut used_l) = (BTreeSet::new(), BTreeSet::new());
    let mut out = vec![None; fresh.len()];
    for ((f, l), _) in pairs {
        if !used_f.contains(&f) && !used_l.contains(&l) {
            used_f.insert(f);
            used_l.insert(l);
            out[f] = Some(l);
        }
    }
    out
}
