//! Splitting the sites of one container (a street into communities, a community into grids): the unit graph,
//! every piece solved or certified, compounds opened when the band needs it, 就近就便 moves, and the list of
//! compounds divided between grids with the reason.

use super::graph::{BarrierIndex, SiteLink, UnionFind, UnitGraph, site_links};
use super::piece::{self, Solved};
use super::{Certificate, Ctx, Proof, Site, SplitCompound, improve};
use crate::config::{Band, CompoundPolicy, UndersizePolicy};
use geo::Point;
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, BTreeSet};

/// Most compounds tried one at a time before all of a piece's compounds are opened together.
const SINGLE_TRIALS: usize = 8;

/// The parts of one container, their certificates, the barriers crossed by policy and the compounds divided.
pub(super) struct Parts {
    pub parts: Vec<(Vec<usize>, Option<Certificate>)>,
    pub crossings: Vec<super::PolicyCrossing>,
    pub split_compounds: Vec<SplitCompound>,
}

/// The sites of one container, as the graph is built from them (indices local to `members`).
pub(super) struct Input<'a> {
    pub members: &'a [usize],
    pub points: Vec<Point>,
    pub households: Vec<u32>,
    pub groups: Vec<Option<usize>>,
    pub stacks: Vec<Option<usize>>,
    /// The block of each site: sites linked without crossing a line outlines follow share one.
    pub blocks: Vec<usize>,
    pub links: Vec<SiteLink>,
}

/// One pass over a container with a set of compounds opened.
struct Pass {
    parts: Parts,
    /// Compounds to open (split-when-needed) so that more pieces can be in band.
    to_open: BTreeSet<usize>,
}

impl Ctx<'_> {
    /// Splits a set of sites into parts in `band`, compounds contracted up to `contract_up_to` households.
    pub(super) fn split(
        &self,
        members: &[usize],
        band: Band,
        contract_up_to: u32,
        level: &str,
        rng: &mut ChaCha8Rng,
    ) -> Parts {
        let input = self.input(members, members.iter().map(|&s| self.sites[s].compound).collect());
        self.split_input(&input, band, contract_up_to, level, rng)
    }

    /// The graph input of a set of sites: neighbour links plus those that join each compound inside its walls;
    /// `groups` are the compounds contracted into units (a rerun leaves out those the previous plan divided).
    pub(super) fn input<'m>(&self, members: &'m [usize], groups: Vec<Option<usize>>) -> Input<'m> {
        let (points, links) = links_of(self.sites, members, self.config.partition.max_edge_m, self.barriers);
        let households = members.iter().map(|&s| self.sites[s].households).collect();
        let stacks = members.iter().map(|&s| self.sites[s].stack).collect();
        let mut same_block = UnionFind::new(points.len());
        for l in links.iter().filter(|l| l.barrier.is_none()) {
            if self.block_lines.crossing(points[l.a], points[l.b]).is_none() {
                same_block.union(l.a, l.b);
            }
        }
        let blocks = (0..points.len()).map(|s| same_block.find(s)).collect();
        Input { members, points, households, groups, stacks, blocks, links }
    }

    /// Splits prepared sites (see [`Ctx::split`]).
    pub(super) fn split_input(
        &self,
        input: &Input,
        band: Band,
        contract_up_to: u32,
        level: &str,
        rng: &mut ChaCha8Rng,
    ) -> Parts {
        let policy = if level == "grid" { self.config.partition.compounds } else { CompoundPolicy::KeepWhole };
        let first = self.pass(input, &BTreeSet::new(), band, contract_up_to, level, policy, true, rng);
        if first.to_open.is_empty() {
            return first.parts;
        }
        self.pass(input, &first.to_open, band, contract_up_to, level, policy, false, rng).parts
    }

    #[allow(clippy::too_many_arguments, reason = "one pass over one container")]
    fn pass(
        &self,
        input: &Input,
        opened: &BTreeSet<usize>,
        band: Band,
        contract_up_to: u32,
        level: &str,
        policy: CompoundPolicy,
        open_more: bool,
        rng: &mut ChaCha8Rng,
    ) -> Pass {
        let groups: Vec<Option<usize>> = input.groups.iter().map(|g| g.filter(|c| !opened.contains(c))).collect();
        let mut graph = UnitGraph::build(&input.households, &groups, &input.stacks, &input.links, contract_up_to);
        let crossings = match self.config.partition.undersize {
            UndersizePolicy::Flag => Vec::new(),
            UndersizePolicy::MergeAcrossMinorBarrier => super::undersize::merge_across_minor_barriers(
                &mut graph,
                &input.links,
                band,
                &self.d.barriers,
                &self.config.partition.minor_barrier_classes,
            ),
        };
        let centres = unit_centres(&graph, &input.points, &input.households);
        let components = graph.components();
        let mut component_of = vec![0; graph.adj.len()];
        for (i, comp) in components.iter().enumerate() {
            for &u in comp {
                component_of[u] = i;
            }
        }
        let opened_names: Vec<String> = opened.iter().map(|&c| self.compound_name(c)).collect();
        let mut out = Vec::new();
        let mut to_open = BTreeSet::new();
        for (ci, comp) in components.iter().enumerate() {
            // A unit above the upper bound (a building that does not fit) is a grid of its own.
            let (big, rest): (Vec<usize>, Vec<usize>) = comp.iter().partition(|&&u| graph.households[u] > band.max());
            for &u in &big {
                let h = u64::from(graph.households[u]);
                out.push((
                    vec![u],
                    Some(Certificate {
                        level: level.into(),
                        component_households: h,
                        feasible_k: None,
                        reason: piece::reason(Proof::UnitOverUpper, h, band, &[]),
                        proof: Proof::UnitOverUpper,
                        remedies: vec![
                            "split the building into stairwell micro-grids (微网格) under one grid worker team".into(),
                        ],
                        action: "kept as a grid of its own".into(),
                    }),
                ));
            }
            let pieces = if big.is_empty() { vec![rest] } else { super::undersize::sub_components(&graph, &rest) };
            for p in pieces.into_iter().filter(|p| !p.is_empty()) {
                let params = &self.config.partition;
                let proof = match piece::solve(&graph, &centres, &p, band, params, self.algorithm, true, rng) {
                    Solved::InBand(parts) => {
                        out.extend(parts.into_iter().map(|p| (p, None)));
                        continue;
                    }
                    Solved::Impossible(proof) => proof,
                };
                let h: u64 = p.iter().map(|&u| u64::from(graph.households[u])).sum();
                let mut remedies = Vec::new();
                if !matches!(proof, Proof::KWindow)
                    && let Some(open) = self.compounds_that_help(input, &graph, &p, opened, band, contract_up_to, rng)
                {
                    match policy {
                        CompoundPolicy::SplitWhenNeeded if open_more => {
                            to_open.extend(open);
                            continue;
                        }
                        _ => remedies.push(format!(
                            "open compound {} to its buildings: an in-band plan exists then",
                            open.iter().map(|&c| self.compound_name(c)).collect::<Vec<_>>().join(", ")
                        )),
                    }
                }
                let crossing = piece::weakest_crossing(&graph, &input.links, &p, &component_of, ci, &self.d.barriers);
                remedies.extend(piece::crossing_remedy(h, band, crossing));
                remedies.push("accept one grid outside the band".into());
                let reason = piece::reason(proof, h, band, &opened_names);
                out.extend(piece::fallback(&graph, &centres, &p, band, level, proof, reason, remedies));
            }
        }
        if !to_open.is_empty() {
            // The caller runs again with these opened; this pass's parts are not used.
            return Pass {
                parts: Parts { parts: Vec::new(), crossings: Vec::new(), split_compounds: Vec::new() },
                to_open: to_open.union(opened).copied().collect(),
            };
        }
        // 就近就便: local moves towards grid centres, in-band grids only.
        let mut unit_parts: Vec<Vec<usize>> = out.iter().map(|(u, _)| u.clone()).collect();
        let fixed: Vec<bool> = out.iter().map(|(_, c)| c.is_some()).collect();
        let unit_blocks: Vec<usize> = graph.unit_sites.iter().map(|ss| input.blocks[ss[0]]).collect();
        improve::improve(&graph, &centres, &unit_blocks, &mut unit_parts, &fixed, band, 20);
        for ((units, _), improved) in out.iter_mut().zip(unit_parts) {
            *units = improved;
        }
        let split_compounds = self.divided_compounds(input, &graph, &out, opened, contract_up_to);
        // Back to site ids, each part ascending, parts ordered by their first site.
        let mut parts: Vec<(Vec<usize>, Option<Certificate>)> = out
            .into_iter()
            .map(|(units, cert)| {
                let mut s: Vec<usize> =
                    units.iter().flat_map(|&u| graph.unit_sites[u].iter().map(|&i| input.members[i])).collect();
                s.sort_unstable();
                (s, cert)
            })
            .collect();
        parts.sort_by(|a, b| a.0.first().cmp(&b.0.first()));
        Pass { parts: Parts { parts, crossings, split_compounds }, to_open: BTreeSet::new() }
    }

    /// The fewest compounds of `piece` to open for an in-band plan: one, trying the largest first, else all
    /// of them; `None` when opening does not help (or the piece holds no whole compound).
    #[allow(clippy::too_many_arguments, reason = "the context of one piece")]
    fn compounds_that_help(
        &self,
        input: &Input,
        graph: &UnitGraph,
        piece: &[usize],
        opened: &BTreeSet<usize>,
        band: Band,
        contract_up_to: u32,
        rng: &mut ChaCha8Rng,
    ) -> Option<Vec<usize>> {
        let mut whole: Vec<(u32, usize)> = piece
            .iter()
            .filter(|&&u| graph.unit_sites[u].len() > 1)
            .filter_map(|&u| input.groups[graph.unit_sites[u][0]].map(|c| (graph.households[u], c)))
            .collect();
        whole.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let sites: Vec<usize> = piece.iter().flat_map(|&u| graph.unit_sites[u].iter().copied()).collect();
        let mut helps = |open: &BTreeSet<usize>| {
            let sub = sub_input(input, &sites, open);
            let g = UnitGraph::build(&sub.households, &sub.groups, &sub.stacks, &sub.links, contract_up_to);
            let centres = unit_centres(&g, &sub.points, &sub.households);
            let all: Vec<usize> = (0..g.adj.len()).collect();
            matches!(
                piece::solve(&g, &centres, &all, band, &self.config.partition, self.algorithm, false, rng),
                Solved::InBand(_)
            )
        };
        for &(_, c) in whole.iter().take(SINGLE_TRIALS) {
            let open: BTreeSet<usize> = opened.iter().copied().chain([c]).collect();
            if helps(&open) {
                return Some(vec![c]);
            }
        }
        let every: Vec<usize> = whole.iter().map(|&(_, c)| c).collect();
        let open: BTreeSet<usize> = opened.iter().copied().chain(every.iter().copied()).collect();
        (every.len() > 1 && helps(&open)).then_some(every)
    }

    /// Compounds whose sites ended in more than one part, with the reason.
    fn divided_compounds(
        &self,
        input: &Input,
        graph: &UnitGraph,
        out: &[(Vec<usize>, Option<Certificate>)],
        opened: &BTreeSet<usize>,
        contract_up_to: u32,
    ) -> Vec<SplitCompound> {
        let mut part_of_unit = vec![usize::MAX; graph.adj.len()];
        for (i, (units, _)) in out.iter().enumerate() {
            for &u in units {
                part_of_unit[u] = i;
            }
        }
        let mut parts: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
        let mut households: BTreeMap<usize, u64> = BTreeMap::new();
        for (s, g) in input.groups.iter().enumerate() {
            if let Some(c) = *g {
                parts.entry(c).or_default().insert(part_of_unit[graph.site_unit[s]]);
                *households.entry(c).or_default() += u64::from(input.households[s]);
            }
        }
        parts
            .into_iter()
            .filter(|(_, p)| p.len() > 1)
            .map(|(c, _)| {
                let h = households[&c];
                let (kind, reason) = if opened.contains(&c) {
                    ("opened", "opened to its buildings: its piece has no in-band plan with it whole".to_string())
                } else if h > u64::from(contract_up_to) {
                    ("over_upper", format!("{h} households, more than a grid's upper bound of {contract_up_to}"))
                } else {
                    ("barrier", "its buildings are not linked without crossing a hard barrier".to_string())
                };
                SplitCompound { compound: c, households: h, kind, reason }
            })
            .collect()
    }

    pub(super) fn compound_name(&self, c: usize) -> String {
        let k = &self.d.compounds[c];
        match &k.name {
            Some(name) if !name.is_empty() => format!("{name} ({})", k.id),
            _ => k.id.clone(),
        }
    }
}

/// The sites `sites` of `input` alone, re-indexed, with the compounds in `open` not contracted.
pub(super) fn sub_input<'a>(input: &Input<'a>, sites: &[usize], open: &BTreeSet<usize>) -> Input<'a> {
    let mut local = vec![usize::MAX; input.points.len()];
    for (i, &s) in sites.iter().enumerate() {
        local[s] = i;
    }
    let links = input
        .links
        .iter()
        .filter(|l| local[l.a] != usize::MAX && local[l.b] != usize::MAX)
        .map(|l| SiteLink { a: local[l.a], b: local[l.b], ..*l })
        .collect();
    Input {
        members: input.members,
        points: sites.iter().map(|&s| input.points[s]).collect(),
        households: sites.iter().map(|&s| input.households[s]).collect(),
        groups: sites.iter().map(|&s| input.groups[s].filter(|c| !open.contains(c))).collect(),
        stacks: sites.iter().map(|&s| input.stacks[s]).collect(),
        blocks: sites.iter().map(|&s| input.blocks[s]).collect(),
        links,
    }
}

/// Household-weighted centres of the units.
pub(super) fn unit_centres(graph: &UnitGraph, points: &[Point], households: &[u32]) -> Vec<Point> {
    graph
        .unit_sites
        .iter()
        .map(|ss| {
            let w: f64 = ss.iter().map(|&s| f64::from(households[s]).max(1.0)).sum();
            let (x, y) = ss.iter().fold((0.0, 0.0), |(x, y), &s| {
                let k = f64::from(households[s]).max(1.0);
                (x + points[s].x() * k, y + points[s].y() * k)
            });
            Point::new(x / w, y / w)
        })
        .collect()
}

/// Links that join the buildings of one compound where the neighbour links do not: a compound is one walkable
/// whole inside its walls, so two of its buildings with another building between them (no Delaunay link) are
/// still neighbours — unless a hard barrier runs between them. The closest pair of each two classes is tried.
/// The links the partition walks on between `members` (indices into `sites`): neighbour links within
/// `max_edge_m` (those crossing a hard barrier marked) plus the links that join each compound inside its walls;
/// with the members' points.
pub fn links_of(
    sites: &[Site],
    members: &[usize],
    max_edge_m: f64,
    barriers: &BarrierIndex,
) -> (Vec<Point>, Vec<SiteLink>) {
    let points: Vec<Point> = members.iter().map(|&s| sites[s].point).collect();
    let compounds: Vec<Option<usize>> = members.iter().map(|&s| sites[s].compound).collect();
    let mut links = site_links(&points, max_edge_m, barriers);
    links.extend(compound_links(&points, &compounds, &links, barriers));
    (points, links)
}

fn compound_links(
    points: &[Point],
    groups: &[Option<usize>],
    links: &[SiteLink],
    barriers: &BarrierIndex,
) -> Vec<SiteLink> {
    /// Compounds with more buildings than this keep the neighbour links only (the pair search is quadratic).
    const MAX_SITES: usize = 200;
    let mut classes = UnionFind::new(points.len());
    for l in links.iter().filter(|l| l.barrier.is_none()) {
        if groups[l.a].is_some() && groups[l.a] == groups[l.b] {
            classes.union(l.a, l.b);
        }
    }
    let mut by_group: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (s, g) in groups.iter().enumerate() {
        if let Some(g) = g {
            by_group.entry(*g).or_default().push(s);
        }
    }
    let mut out = Vec::new();
    for sites in by_group.values().filter(|s| s.len() > 1 && s.len() <= MAX_SITES) {
        loop {
            let mut best: Option<(f64, usize, usize)> = None;
            for (i, &a) in sites.iter().enumerate() {
                for &b in &sites[i + 1..] {
                    if classes.find(a) == classes.find(b) {
                        continue;
                    }
                    let d = (points[a].x() - points[b].x()).hypot(points[a].y() - points[b].y());
                    if best.is_none_or(|x| d < x.0) && barriers.crossing(points[a], points[b]).is_none() {
                        best = Some((d, a, b));
                    }
                }
            }
            let Some((length_m, a, b)) = best else { break };
            classes.union(a, b);
            out.push(SiteLink { a, b, length_m, barrier: None });
        }
    }
    out
}
