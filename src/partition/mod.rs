//! Partition: street → community → grid. Communities are taken from the data or, where the data have none
//! (Harbin has only streets), built from whole compounds with the community band; each community is then
//! cut into basic grids in the basic band. Both levels use the same engine: a unit graph (buildings,
//! compounds contracted while they fit, links across hard barriers cut) split by recursive bounded
//! spanning-tree bipartition, one connected component at a time, with a feasibility certificate for every
//! component that cannot be in band. Streets run in parallel (rayon), each with its own seeded RNG.

pub mod check;
pub mod dedicated;
pub mod graph;
pub mod grow;
pub mod improve;
pub mod kmeans;
pub mod metrics;
mod result;
mod sites;
pub mod tree;

pub use result::*;
pub use sites::*;

use crate::config::{Band, PlanConfig};
use crate::model::Dataset;
use graph::{BarrierIndex, SiteLink, UnitGraph, site_links};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use std::collections::BTreeMap;

/// The algorithm that cuts one connected piece of a community into grids: the swap point benches and the
/// CLI choose from (see [`all`]).
pub trait Partitioner: Sync {
    /// Name used on the command line and in benchmark ids.
    fn name(&self) -> &'static str;
    /// Cuts `piece` (connected in `graph`) into `k` grids in `band`, or returns `None` when it finds no
    /// in-band plan (the caller then certifies the piece and grows regions under the upper bound).
    #[allow(clippy::too_many_arguments, reason = "the whole context of one piece")]
    fn split(
        &self,
        graph: &UnitGraph,
        centres: &[geo::Point],
        piece: &[usize],
        k: u64,
        band: Band,
        rng: &mut ChaCha8Rng,
        attempts: u32,
    ) -> Option<Vec<Vec<usize>>>;
}

/// Recursive bounded spanning-tree bipartition: every grid in band and connected by construction.
#[derive(Debug, Clone, Copy, Default)]
pub struct TreePartitioner;

impl Partitioner for TreePartitioner {
    fn name(&self) -> &'static str {
        "tree"
    }
    fn split(
        &self,
        graph: &UnitGraph,
        centres: &[geo::Point],
        piece: &[usize],
        k: u64,
        band: Band,
        rng: &mut ChaCha8Rng,
        attempts: u32,
    ) -> Option<Vec<Vec<usize>>> {
        let mut budget = attempts;
        tree::split_into(graph, centres, piece, k, band, rng, &mut budget)
    }
}

/// Baseline: capacity-constrained k-means with contiguity repair; returns its plan whatever the bands.
#[derive(Debug, Clone, Copy, Default)]
pub struct KMeansPartitioner;

impl Partitioner for KMeansPartitioner {
    fn name(&self) -> &'static str {
        "kmeans"
    }
    fn split(
        &self,
        graph: &UnitGraph,
        centres: &[geo::Point],
        piece: &[usize],
        k: u64,
        band: Band,
        rng: &mut ChaCha8Rng,
        _attempts: u32,
    ) -> Option<Vec<Vec<usize>>> {
        Some(kmeans::kmeans_split(graph, centres, piece, k as usize, band, rng))
    }
}

/// Every partitioner, recommended first.
pub fn all() -> [&'static dyn Partitioner; 2] {
    [&TreePartitioner, &KMeansPartitioner]
}

/// The partitioner of that name.
pub fn by_name(name: &str) -> Option<&'static dyn Partitioner> {
    all().into_iter().find(|p| p.name() == name)
}

/// The parts of one container, their certificates, and the barriers crossed by policy.
struct Parts {
    parts: Vec<(Vec<usize>, Option<Certificate>)>,
    crossings: Vec<PolicyCrossing>,
}

/// Partitions a dataset into communities and basic grids.
pub fn partition(d: &Dataset, config: &PlanConfig, seed: u64) -> Partition {
    partition_with(d, config, seed, &TreePartitioner)
}

/// Partitions with a chosen algorithm (see [`all`]).
pub fn partition_with(d: &Dataset, config: &PlanConfig, seed: u64, algorithm: &dyn Partitioner) -> Partition {
    let (sites, unassigned) = sites_of(d);
    // Dedicated grids first: households inside one leave the residential pool.
    let mut dedicated = dedicated::dedicated_grids(d, &config.dedicated);
    let owner: Vec<Option<usize>> = {
        let index = crate::index::PolygonIndex::new(dedicated.iter().map(|g| &g.polygon));
        sites
            .iter()
            .map(|s| index.containing(s.point).into_iter().find(|&g| Some(dedicated[g].street) == s.street))
            .collect()
    };
    let mut in_pool = vec![true; sites.len()];
    for (i, g) in owner.into_iter().enumerate() {
        if let Some(g) = g {
            dedicated[g].sites.push(i);
            dedicated[g].households += u64::from(sites[i].households);
            in_pool[i] = false;
        }
    }
    let barriers = BarrierIndex::hard(d, &config.barriers.classes);
    let mut by_street: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, s) in sites.iter().enumerate() {
        if let (Some(st), true) = (s.street, in_pool[i]) {
            by_street.entry(st).or_default().push(i);
        }
    }
    let ctx = Ctx { d, config, sites: &sites, barriers: &barriers, algorithm };
    let per_street: Vec<StreetResult> = by_street
        .par_iter()
        .map(|(&street, members)| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed ^ (street as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            ctx.street(street, members, &mut rng)
        })
        .collect();
    let mut communities = Vec::new();
    let mut grids = Vec::new();
    let mut certificates = Vec::new();
    let mut policy_crossings = Vec::new();
    for (comms, street_grids, comm_certs, crossings) in per_street {
        policy_crossings.extend(crossings);
        let base = communities.len();
        communities.extend(comms);
        certificates.extend(comm_certs);
        for (c, sites_of_grid, cert) in street_grids {
            let households = sites_of_grid.iter().map(|&s| u64::from(sites[s].households)).sum();
            let certificate = cert.map(|c| {
                certificates.push(c);
                certificates.len() - 1
            });
            grids.push(Grid { community: base + c, sites: sites_of_grid, households, certificate });
        }
    }
    Partition { sites, communities, grids, dedicated, unassigned, certificates, policy_crossings }
}

struct Ctx<'a> {
    d: &'a Dataset,
    config: &'a PlanConfig,
    sites: &'a [Site],
    barriers: &'a BarrierIndex,
    algorithm: &'a dyn Partitioner,
}

type StreetResult =
    (Vec<Community>, Vec<(usize, Vec<usize>, Option<Certificate>)>, Vec<Certificate>, Vec<PolicyCrossing>);

impl Ctx<'_> {
    fn street(&self, street: usize, members: &[usize], rng: &mut ChaCha8Rng) -> StreetResult {
        let area = &self.d.admin_areas[street];
        let street_key = area.code.clone().unwrap_or_else(|| area.id.clone());
        let mut communities = Vec::new();
        let mut community_certs = Vec::new();
        let mut crossings = Vec::new();
        // Communities from the data…
        let mut given: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        let mut loose = Vec::new();
        for &s in members {
            match self.sites[s].community {
                Some(c) => given.entry(c).or_default().push(s),
                None => loose.push(s),
            }
        }
        for (c, sites) in given {
            let a = &self.d.admin_areas[c];
            let households = sites.iter().map(|&s| u64::from(self.sites[s].households)).sum();
            communities.push(Community {
                id: a.code.clone().unwrap_or_else(|| a.id.clone()),
                name: a.name.clone(),
                street,
                admin_area: Some(c),
                sites,
                households,
            });
        }
        // …and built from whole compounds for the rest of the street.
        if !loose.is_empty() {
            let band = self.config.bands.community;
            let parts = self.split(&loose, band, u32::MAX, "community", rng);
            crossings.extend(parts.crossings);
            for (n, (sites, cert)) in parts.parts.into_iter().enumerate() {
                let households = sites.iter().map(|&s| u64::from(self.sites[s].households)).sum();
                if let Some(c) = cert {
                    community_certs.push(c);
                }
                communities.push(Community {
                    id: format!("{street_key}-C{:02}", n + 1),
                    name: self.config.admin.community_name(&area.name, n + 1),
                    street,
                    admin_area: None,
                    sites,
                    households,
                });
            }
        }
        let basic = self.config.bands.basic;
        let mut grids = Vec::new();
        for (ci, c) in communities.iter().enumerate() {
            let parts = self.split(&c.sites, basic, basic.max(), "grid", rng);
            crossings.extend(parts.crossings);
            for (sites, cert) in parts.parts {
                grids.push((ci, sites, cert));
            }
        }
        (communities, grids, community_certs, crossings)
    }

    /// Splits a set of sites into parts in `band`, compounds contracted up to `contract_up_to` households.
    fn split(&self, members: &[usize], band: Band, contract_up_to: u32, level: &str, rng: &mut ChaCha8Rng) -> Parts {
        let points: Vec<geo::Point> = members.iter().map(|&s| self.sites[s].point).collect();
        let links = site_links(&points, self.config.partition.max_edge_m, self.barriers);
        let households: Vec<u32> = members.iter().map(|&s| self.sites[s].households).collect();
        let groups: Vec<Option<usize>> = members.iter().map(|&s| self.sites[s].compound).collect();
        let mut graph = UnitGraph::build(&households, &groups, &links, contract_up_to);
        let crossings = match self.config.partition.undersize {
            crate::config::UndersizePolicy::Flag => Vec::new(),
            crate::config::UndersizePolicy::MergeAcrossMinorBarrier => merge_across_minor_barriers(
                &mut graph,
                &links,
                band,
                &self.d.barriers,
                &self.config.partition.minor_barrier_classes,
            ),
        };
        let centres: Vec<geo::Point> = graph
            .unit_sites
            .iter()
            .map(|ss| {
                let w: f64 = ss.iter().map(|&s| f64::from(households[s]).max(1.0)).sum();
                let (x, y) = ss.iter().fold((0.0, 0.0), |(x, y), &s| {
                    let k = f64::from(households[s]).max(1.0);
                    (x + points[s].x() * k, y + points[s].y() * k)
                });
                geo::Point::new(x / w, y / w)
            })
            .collect();
        let components = graph.components();
        let component_of = {
            let mut c = vec![0; graph.adj.len()];
            for (i, comp) in components.iter().enumerate() {
                for &u in comp {
                    c[u] = i;
                }
            }
            c
        };
        let mut out = Vec::new();
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
                        reason: format!(
                            "one building of {h} households, above the upper bound of {}; a building is never split",
                            band.max()
                        ),
                        remedies: vec![
                            "split the building into stairwell micro-grids (微网格) under one grid worker team".into(),
                        ],
                        action: "kept as a grid of its own".into(),
                    }),
                ));
            }
            let pieces = if big.is_empty() { vec![rest] } else { sub_components(&graph, &rest) };
            for piece in pieces {
                if piece.is_empty() {
                    continue;
                }
                let h: u64 = piece.iter().map(|&u| u64::from(graph.households[u])).sum();
                out.extend(self.split_piece(&graph, &centres, &piece, h, band, level, &links, &component_of, ci, rng));
            }
        }
        // 就近就便: local moves towards grid centres, in-band grids only.
        let mut unit_parts: Vec<Vec<usize>> = out.iter().map(|(u, _)| u.clone()).collect();
        let fixed: Vec<bool> = out.iter().map(|(_, c)| c.is_some()).collect();
        improve::improve(&graph, &centres, &mut unit_parts, &fixed, band, 20);
        for ((units, _), improved) in out.iter_mut().zip(unit_parts) {
            *units = improved;
        }
        // Back to site ids, each part ascending, parts ordered by their first site.
        let mut parts: Vec<(Vec<usize>, Option<Certificate>)> = out
            .into_iter()
            .map(|(units, cert)| {
                let mut s: Vec<usize> =
                    units.iter().flat_map(|&u| graph.unit_sites[u].iter().map(|&i| members[i])).collect();
                s.sort_unstable();
                (s, cert)
            })
            .collect();
        parts.sort_by(|a, b| a.0.first().cmp(&b.0.first()));
        Parts { parts, crossings }
    }

    #[allow(clippy::too_many_arguments, reason = "the context of one piece; grouping it would only rename it")]
    fn split_piece(
        &self,
        graph: &UnitGraph,
        centres: &[geo::Point],
        piece: &[usize],
        h: u64,
        band: Band,
        level: &str,
        links: &[SiteLink],
        component_of: &[usize],
        component: usize,
        rng: &mut ChaCha8Rng,
    ) -> Vec<(Vec<usize>, Option<Certificate>)> {
        let attempts = self.config.partition.attempts;
        if let Some(k) = tree::choose_k(h, band) {
            let (lo, hi) = tree::feasible_ks(h, band).unwrap_or((k, k));
            // The preferred k first, then its feasible neighbours.
            let mut ks = vec![k];
            for dk in 1..=2 {
                ks.extend([k + dk, k.saturating_sub(dk)].into_iter().filter(|&x| x >= lo && x <= hi && x >= 1));
            }
            for k in ks {
                if let Some(parts) = self.algorithm.split(graph, centres, piece, k, band, rng, attempts) {
                    return parts.into_iter().map(|p| (p, None)).collect();
                }
            }
        }
        // No in-band plan: say why, price the remedies, and do what the policy says.
        let feasible = tree::feasible_ks(h, band);
        let reason = match feasible {
            None if h < u64::from(band.min()) => {
                format!("{h} households cut off by barriers, fewer than the lower bound of {}", band.min())
            }
            None => format!(
                "{h} households cut off by barriers: too many for one grid (> {}) and too few for two (< {})",
                band.max(),
                2 * band.min()
            ),
            Some(_) => format!("no balanced cut found in {attempts} spanning trees (units too coarse for the band)"),
        };
        let mut remedies = Vec::new();
        if let Some((other_h, class, length)) =
            weakest_crossing(graph, links, piece, component_of, component, &self.d.barriers)
        {
            let merged = h + other_h;
            remedies.push(format!(
                "cross the weakest barrier ({class}, {length:.0} m link) to join the neighbouring piece of {other_h} households: {merged} households{}",
                match tree::feasible_ks(merged, band) {
                    Some((a, b)) => format!(", {a}–{b} grids in band"),
                    None => ", still not feasible".into(),
                }
            ));
        }
        remedies.push("accept one grid outside the band".into());
        // Grow connected regions under the upper bound instead; undersized ones are merged where they fit.
        let parts = grow::grow_regions(graph, centres, piece, band);
        let action = if parts.len() == 1 {
            "kept as one grid".to_string()
        } else {
            format!("cut into {} grids under the upper bound", parts.len())
        };
        parts
            .into_iter()
            .map(|p| {
                let ph: u64 = p.iter().map(|&u| u64::from(graph.households[u])).sum();
                let cert = (ph < u64::from(band.min()) || ph > u64::from(band.max())).then(|| Certificate {
                    level: level.into(),
                    component_households: h,
                    feasible_k: feasible,
                    reason: reason.clone(),
                    remedies: remedies.clone(),
                    action: action.clone(),
                });
                (p, cert)
            })
            .collect()
    }
}

/// Joins every piece that cannot be in band to a neighbouring piece across the weakest barrier of a minor
/// class (earliest in `minor`, then the shortest link), when the joined piece can be in band. Adds the link to
/// the unit graph and returns what was crossed.
fn merge_across_minor_barriers(
    graph: &mut UnitGraph,
    links: &[SiteLink],
    band: Band,
    barriers: &[crate::model::Barrier],
    minor: &[String],
) -> Vec<PolicyCrossing> {
    let mut out = Vec::new();
    loop {
        let components = graph.components();
        let mut comp_of = vec![0; graph.adj.len()];
        for (i, c) in components.iter().enumerate() {
            for &u in c {
                comp_of[u] = i;
            }
        }
        let sums: Vec<u64> =
            components.iter().map(|c| c.iter().map(|&u| u64::from(graph.households[u])).sum()).collect();
        let mut best: Option<(usize, f64, usize, usize, usize)> = None; // (class rank, length, unit a, unit b, barrier)
        for l in links {
            let Some(b) = l.barrier else { continue };
            let Some(rank) = minor.iter().position(|c| *c == barriers[b].class) else { continue };
            let (ua, ub) = (graph.site_unit[l.a], graph.site_unit[l.b]);
            let (ca, cb) = (comp_of[ua], comp_of[ub]);
            if ca == cb {
                continue;
            }
            let stuck = |c: usize| tree::feasible_ks(sums[c], band).is_none();
            if !(stuck(ca) || stuck(cb)) || tree::feasible_ks(sums[ca] + sums[cb], band).is_none() {
                continue;
            }
            if best.is_none_or(|x| (rank, l.length_m) < (x.0, x.1)) {
                best = Some((rank, l.length_m, ua, ub, b));
            }
        }
        let Some((_, _, ua, ub, b)) = best else { return out };
        let (ca, cb) = (comp_of[ua], comp_of[ub]);
        let piece = if tree::feasible_ks(sums[ca], band).is_none() { sums[ca] } else { sums[cb] };
        out.push(PolicyCrossing {
            barrier: barriers[b].id.clone(),
            class: barriers[b].class.clone(),
            piece_households: piece,
            joined_households: sums[ca] + sums[cb],
        });
        graph.adj[ua].push(ub);
        graph.adj[ub].push(ua);
        graph.adj[ua].sort_unstable();
        graph.adj[ub].sort_unstable();
    }
}

/// Connected pieces of `units` using only links inside the set.
fn sub_components(graph: &UnitGraph, units: &[usize]) -> Vec<Vec<usize>> {
    let inside: std::collections::HashSet<usize> = units.iter().copied().collect();
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for &start in units {
        if !seen.insert(start) {
            continue;
        }
        let mut stack = vec![start];
        let mut comp = Vec::new();
        while let Some(u) = stack.pop() {
            comp.push(u);
            for &v in &graph.adj[u] {
                if inside.contains(&v) && seen.insert(v) {
                    stack.push(v);
                }
            }
        }
        comp.sort_unstable();
        out.push(comp);
    }
    out
}

/// The cheapest barrier to cross out of a piece: the neighbouring component's households, the barrier's
/// class and the link length, preferring minor classes, then short links.
fn weakest_crossing(
    graph: &UnitGraph,
    links: &[SiteLink],
    piece: &[usize],
    component_of: &[usize],
    component: usize,
    barriers: &[crate::model::Barrier],
) -> Option<(u64, String, f64)> {
    const RANK: [&str; 9] =
        ["stream", "tertiary", "secondary", "primary", "canal", "trunk", "rail", "motorway", "river"];
    let inside: std::collections::HashSet<usize> = piece.iter().copied().collect();
    let mut best: Option<(usize, f64, usize, String)> = None;
    for l in links {
        let Some(b) = l.barrier else { continue };
        let (ua, ub) = (graph.site_unit[l.a], graph.site_unit[l.b]);
        let other = if inside.contains(&ua) && !inside.contains(&ub) {
            ub
        } else if inside.contains(&ub) && !inside.contains(&ua) {
            ua
        } else {
            continue;
        };
        if component_of[other] == component {
            continue;
        }
        let class = barriers[b].class.clone();
        let rank = RANK.iter().position(|c| *c == class).unwrap_or(RANK.len());
        if best.as_ref().is_none_or(|x| (rank, l.length_m) < (x.0, x.1)) {
            best = Some((rank, l.length_m, component_of[other], class));
        }
    }
    let (_, length, other, class) = best?;
    let other_h: u64 =
        (0..graph.adj.len()).filter(|&u| component_of[u] == other).map(|u| u64::from(graph.households[u])).sum();
    Some((other_h, class, length))
}
