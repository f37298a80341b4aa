//! Partition: street → community → grid. Communities are taken from the data or, where the data have none
//! (Harbin has only streets), built from whole compounds with the community band; each community is then
//! cut into basic grids in the basic band. Both levels use the same engine: a unit graph (buildings,
//! compounds contracted while they fit, links across hard barriers cut) split by recursive bounded
//! spanning-tree bipartition, one connected component at a time, with a feasibility certificate for every
//! component that cannot be in band. Streets run in parallel (rayon), each with its own seeded RNG.

pub mod check;
pub mod dedicated;
pub mod exact;
pub mod graph;
pub mod grow;
pub mod improve;
pub mod kmeans;
pub mod legal_plans;
pub mod metrics;
pub mod micro;
mod piece;
pub mod replan;
mod result;
mod sites;
mod split;
pub mod tree;
mod undersize;

pub use result::*;
pub use sites::*;

use crate::config::{Band, PlanConfig};
use crate::model::Dataset;
use graph::{BarrierIndex, UnitGraph};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use std::collections::BTreeMap;

/// The algorithm that cuts one connected piece of a community into grids: the swap point benches and the
/// CLI choose from (see [`all`]).
pub trait Partitioner: Sync {
    /// Name used on the command line and in benchmark ids.
    fn name(&self) -> &'static str;
    /// Whether pieces are also searched exactly (the baselines are measured as they are).
    fn exact_search(&self) -> bool {
        true
    }
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
    fn exact_search(&self) -> bool {
        false
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

/// Partitions a dataset into communities and basic grids.
pub fn partition(d: &Dataset, config: &PlanConfig, seed: u64) -> Partition {
    partition_with(d, config, seed, &TreePartitioner)
}

/// Partitions with a chosen algorithm (see [`all`]).
pub fn partition_with(d: &Dataset, config: &PlanConfig, seed: u64, algorithm: &dyn Partitioner) -> Partition {
    match partition_from(d, config, seed, algorithm, None) {
        Ok(p) => p,
        Err(_) => unreachable!("a plan from scratch has no previous plan to refuse"),
    }
}

/// Partitions from a previous plan (`--previous`), moving as few households as the rules allow, or from scratch
/// when `previous` is `None`.
pub fn partition_from(
    d: &Dataset,
    config: &PlanConfig,
    seed: u64,
    algorithm: &dyn Partitioner,
    previous: Option<&replan::Rerun>,
) -> Result<Partition, replan::ReplanError> {
    let (sites, unassigned) = sites_of(d);
    let mut replanned = match previous {
        Some(rerun) => Some(replan::match_previous(d, &sites, rerun, config)?),
        None => None,
    };
    // Dedicated grids first: households inside one leave the residential pool.
    let mut dedicated = dedicated::dedicated_grids(d, &config.dedicated);
    let owner: Vec<Option<usize>> = {
        let index = crate::index::PolygonIndex::new(dedicated.iter().map(|g| &g.polygon));
        sites
            .iter()
            .map(|s| index.containing(s.point).into_iter().find(|&g| Some(dedicated[g].street) == s.street))
            .collect()
    };
    // A building stacked over one inside a dedicated grid (overlapping footprints) goes with it.
    let mut owner_of_stack: BTreeMap<usize, usize> = BTreeMap::new();
    for (s, o) in sites.iter().zip(&owner) {
        if let (Some(k), Some(g)) = (s.stack, *o) {
            owner_of_stack.entry(k).or_insert(g);
        }
    }
    let owner: Vec<Option<usize>> = sites
        .iter()
        .zip(owner)
        .map(|(s, o)| {
            o.or_else(|| s.stack.and_then(|k| owner_of_stack.get(&k).copied()))
                .filter(|&g| Some(dedicated[g].street) == s.street)
        })
        .collect();
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
    let block_lines = BarrierIndex::new(crate::outline::lines::data_lines(d, &config.outlines).map(|l| (0, l)));
    let replanning = replanned
        .as_ref()
        .map(|plan| replan::Replanning { plan, label: replan::street_labels(plan, &sites, &in_pool) });
    let ctx = Ctx {
        d,
        config,
        sites: &sites,
        barriers: &barriers,
        block_lines: &block_lines,
        algorithm,
        replanning: replanning.as_ref(),
    };
    let dedicated = split_oversize(&ctx, dedicated);
    let per_street: Vec<StreetResult> = by_street
        .par_iter()
        .map(|(&street, members)| {
            // Seeded by the street's id, not its place in the input: a street is planned the same alone (one
            // shard of a province) as among all the others.
            let key = stable_hash(&d.admin_areas[street].id).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            let mut rng = ChaCha8Rng::seed_from_u64(seed ^ key);
            ctx.street(street, members, &mut rng)
        })
        .collect();
    let mut communities = Vec::new();
    let mut grids = Vec::new();
    let mut certificates = Vec::new();
    let mut policy_crossings = Vec::new();
    let mut split_compounds: BTreeMap<usize, SplitCompound> = partly_dedicated(&sites, &in_pool);
    let (mut bound, mut stopped_by_budget) = (0, Vec::new());
    for (
        street,
        StreetResult {
            communities: comms,
            grids: street_grids,
            community_certificates: comm_certs,
            crossings,
            split_compounds: split,
            bound: street_bound,
            stopped_by_budget: stopped,
        },
    ) in by_street.keys().zip(per_street)
    {
        bound += street_bound;
        if stopped {
            stopped_by_budget.push(d.admin_areas[*street].name.clone());
        }
        policy_crossings.extend(crossings);
        for c in split {
            split_compounds.entry(c.compound).or_insert(c);
        }
        let base = communities.len();
        let cert_base = certificates.len();
        communities.extend(comms.into_iter().map(|mut c| {
            c.certificate = c.certificate.map(|i| cert_base + i);
            c
        }));
        certificates.extend(comm_certs);
        for StreetGrid { community, sites: sites_of_grid, certificate: cert, previous } in street_grids {
            let households = sites_of_grid.iter().map(|&s| u64::from(sites[s].households)).sum();
            let certificate = cert.map(|c| {
                certificates.push(c);
                certificates.len() - 1
            });
            grids.push(Grid { community: base + community, sites: sites_of_grid, households, certificate, previous });
        }
    }
    if let Some(r) = &mut replanned {
        r.bound = bound;
        r.stopped_by_budget = stopped_by_budget;
    }
    let split_compounds = split_compounds.into_values().collect();
    Ok(Partition {
        sites,
        communities,
        grids,
        dedicated,
        unassigned,
        certificates,
        policy_crossings,
        split_compounds,
        replan: replanned,
    })
}

struct Ctx<'a> {
    d: &'a Dataset,
    config: &'a PlanConfig,
    sites: &'a [Site],
    barriers: &'a BarrierIndex,
    /// The lines outlines follow (`outline::lines::data_lines`): sites between the same ones form a block.
    block_lines: &'a BarrierIndex,
    algorithm: &'a dyn Partitioner,
    /// The previous plan of a rerun.
    replanning: Option<&'a replan::Replanning<'a>>,
}

/// One grid of a street: its community (index into the street's), sites, certificate, previous grid.
struct StreetGrid {
    community: usize,
    sites: Vec<usize>,
    certificate: Option<Certificate>,
    previous: Option<usize>,
}

/// One street's communities, grids, community certificates, policy crossings and divided compounds; in a
/// rerun, its share of the bound on households moved and whether the budget stopped a repair.
struct StreetResult {
    communities: Vec<Community>,
    grids: Vec<StreetGrid>,
    community_certificates: Vec<Certificate>,
    crossings: Vec<PolicyCrossing>,
    split_compounds: Vec<SplitCompound>,
    bound: u64,
    stopped_by_budget: bool,
}

impl Ctx<'_> {
    fn street(&self, street: usize, members: &[usize], rng: &mut ChaCha8Rng) -> StreetResult {
        if let Some(r) = self.replanning {
            return self.replan_street(r, street, members, rng);
        }
        let mut community_certs = Vec::new();
        let mut crossings = Vec::new();
        let mut split_compounds = Vec::new();
        let (mut communities, loose) = self.given_communities(street, members);
        // …and built from whole compounds for the rest of the street.
        crossings.extend(self.build_communities(street, &loose, 0, &mut communities, &mut community_certs, rng));
        let basic = self.config.bands.basic;
        let mut grids = Vec::new();
        for (ci, c) in communities.iter().enumerate() {
            let parts = self.split(&c.sites, basic, basic.max(), "grid", rng);
            crossings.extend(parts.crossings);
            split_compounds.extend(parts.split_compounds);
            for (sites, certificate) in parts.parts {
                grids.push(StreetGrid { community: ci, sites, certificate, previous: None });
            }
        }
        StreetResult {
            communities,
            grids,
            community_certificates: community_certs,
            crossings,
            split_compounds,
            bound: 0,
            stopped_by_budget: false,
        }
    }

    /// Communities built from whole compounds of `sites` in the community band, numbered from `after + 1`
    /// (`STREET-C01`, …), appended with their certificates; returns the barriers crossed by policy.
    fn build_communities(
        &self,
        street: usize,
        sites: &[usize],
        after: usize,
        communities: &mut Vec<Community>,
        certificates: &mut Vec<Certificate>,
        rng: &mut ChaCha8Rng,
    ) -> Vec<PolicyCrossing> {
        if sites.is_empty() {
            return Vec::new();
        }
        let area = &self.d.admin_areas[street];
        let street_key = area.code.clone().unwrap_or_else(|| area.id.clone());
        let parts = self.split(sites, self.config.bands.community, u32::MAX, "community", rng);
        for (n, (sites, cert)) in (after + 1..).zip(parts.parts) {
            let households = sites.iter().map(|&s| u64::from(self.sites[s].households)).sum();
            let certificate = cert.map(|c| {
                certificates.push(c);
                certificates.len() - 1
            });
            communities.push(Community {
                id: format!("{street_key}-C{n:02}"),
                name: self.config.admin.community_name(&area.name, n),
                street,
                admin_area: None,
                sites,
                households,
                certificate,
            });
        }
        parts.crossings
    }

    /// The communities the data give in a street, and the sites in none of them.
    fn given_communities(&self, street: usize, members: &[usize]) -> (Vec<Community>, Vec<usize>) {
        let mut given: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        let mut loose = Vec::new();
        for &s in members {
            match self.sites[s].community {
                Some(c) => given.entry(c).or_default().push(s),
                None => loose.push(s),
            }
        }
        let communities = given
            .into_iter()
            .map(|(c, sites)| {
                let a = &self.d.admin_areas[c];
                let households = sites.iter().map(|&s| u64::from(self.sites[s].households)).sum();
                Community {
                    id: a.code.clone().unwrap_or_else(|| a.id.clone()),
                    name: a.name.clone(),
                    street,
                    admin_area: Some(c),
                    sites,
                    households,
                    certificate: None,
                }
            })
            .collect();
        (communities, loose)
    }
}

/// Compounds with some buildings inside a dedicated grid and others in the residential pool.
fn partly_dedicated(sites: &[Site], in_pool: &[bool]) -> BTreeMap<usize, SplitCompound> {
    let mut seen: BTreeMap<usize, (bool, bool, u64)> = BTreeMap::new();
    for (s, site) in sites.iter().enumerate() {
        if let Some(c) = site.compound {
            let e = seen.entry(c).or_default();
            if in_pool[s] {
                e.0 = true;
            } else {
                e.1 = true;
            }
            e.2 += u64::from(site.households);
        }
    }
    seen.into_iter()
        .filter(|(_, (pool, inside, _))| *pool && *inside)
        .map(|(c, (_, _, households))| {
            let reason = "小区一部分在专属网格内，其余在基础网格 / part of it lies inside a dedicated grid (专属网格), the rest in basic grids".to_string();
            (c, SplitCompound { compound: c, households, kind: "dedicated", reason })
        })
        .collect()
}

/// Dedicated grids with more households than a basic grid's upper bound: split along building lines into
/// several dedicated grids of the same units (`oversize = "split"`), or kept whole with a note.
fn split_oversize(ctx: &Ctx, dedicated: Vec<dedicated::DedicatedGrid>) -> Vec<dedicated::DedicatedGrid> {
    let band = ctx.config.bands.basic;
    let mut out = Vec::with_capacity(dedicated.len());
    for mut g in dedicated {
        if g.households <= u64::from(band.max()) {
            out.push(g);
            continue;
        }
        let name = g
            .units
            .iter()
            .filter_map(|&u| ctx.d.special_units[u].name.as_deref())
            .next()
            .unwrap_or(g.kind.as_str())
            .to_string();
        if ctx.config.dedicated.oversize == crate::config::OversizePolicy::Keep {
            g.note = Some(format!(
                "{name}：{h} 户，超过基础网格上限 {max} 户，按设置保留为一个专属网格 / {h} households, more than a basic grid's upper bound of {max}; kept as one dedicated grid ([dedicated] oversize = \"keep\")",
                h = g.households,
                max = band.max()
            ));
            out.push(g);
            continue;
        }
        // Seeded by its units, not the run's seed: a rerun with another seed splits it the same way.
        let key = g.units.iter().map(|&u| ctx.d.special_units[u].id.as_str()).min().unwrap_or("");
        let mut rng = ChaCha8Rng::seed_from_u64(stable_hash(key) ^ 0xD5D1_CA7E);
        let parts = ctx.split(&g.sites, band, band.max(), "dedicated", &mut rng).parts;
        let n = parts.len();
        for (k, (sites, cert)) in parts.into_iter().enumerate() {
            let households = sites.iter().map(|&s| u64::from(ctx.sites[s].households)).sum();
            let (h, max, part) = (g.households, band.max(), k + 1);
            let mut note = if n == 1 {
                format!(
                    "{name}：{h} 户，超过基础网格上限 {max} 户，无法拆分 / {h} households, more than a basic grid's upper bound of {max}; cannot be split"
                )
            } else {
                format!(
                    "{name}：共 {h} 户，超过基础网格上限 {max} 户，按楼栋拆分为 {n} 个专属网格（第 {part} 个） / {h} households in all, more than a basic grid's upper bound of {max}; split along building lines into {n} dedicated grids (part {part} of {n})"
                )
            };
            if let Some(c) = cert {
                note.push_str(&format!(" ({})", c.reason));
            }
            out.push(dedicated::DedicatedGrid {
                sites,
                households,
                part: Some((k + 1, n)),
                note: Some(note),
                ..g.clone()
            });
        }
    }
    out
}

/// FNV-1a, 64 bit, of an id: a seed that follows the data, stable across Rust releases (unlike std's hasher).
pub(crate) fn stable_hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}
