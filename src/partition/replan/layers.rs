//! Grid layers a plan is matched against: the previous plan of a rerun and, for 多网合一 (`merge-layers`), the
//! legacy layers of other departments (party building, comprehensive governance, civil affairs) that the merged
//! plan prefers to keep together. Sites are matched by unit id, or by location when a layer names no units.

use super::Matched;
use crate::load::previous::PreviousPlan;
use crate::model::Dataset;
use crate::partition::Site;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// One layer's grid for every site.
#[derive(Debug, Clone)]
pub struct Legacy {
    /// The layer's name (`--layer NAME=PATH`; the file name otherwise).
    pub name: String,
    /// Where it was read from.
    pub source: PathBuf,
    /// Its grid ids.
    pub grid_ids: Vec<String>,
    /// The layer's grid of each site (index into `grid_ids`).
    pub site: Vec<Option<usize>>,
    /// How each site was matched.
    pub matched: Vec<Matched>,
    /// Units the layer lists that are not in the data, with the grid it gave them, by id.
    pub units_gone: Vec<(String, String)>,
}

/// Matches every site to a layer's grids: by unit id, or by location inside its outlines when the layer names
/// no units (a polygon layer). A unit a run or a table does not list is new.
pub fn match_sites(d: &Dataset, sites: &[Site], name: &str, plan: &PreviousPlan) -> Legacy {
    let index = crate::index::PolygonIndex::new(plan.outlines.iter().map(|(_, p)| p));
    let by_location = plan.units.is_empty();
    let mut site = Vec::with_capacity(sites.len());
    let mut matched = Vec::with_capacity(sites.len());
    let mut seen = std::collections::HashSet::new();
    for s in sites {
        let (id, _) = s.member.id(d);
        if let Some(&g) = plan.units.get(id) {
            seen.insert(id);
            site.push(Some(g));
            matched.push(Matched::Id);
        } else if let (true, Some(&i)) = (by_location, index.containing(s.point).iter().min()) {
            site.push(Some(plan.outlines[i].0));
            matched.push(Matched::Location);
        } else {
            site.push(None);
            matched.push(Matched::New);
        }
    }
    Legacy {
        name: name.to_string(),
        source: plan.source.clone(),
        grid_ids: plan.grids.iter().map(|g| g.id.clone()).collect(),
        site,
        matched,
        units_gone: {
            let mut gone: Vec<(String, String)> = plan
                .units
                .iter()
                .filter(|(id, _)| !seen.contains(id.as_str()))
                .map(|(id, &g)| (id.clone(), plan.grids[g].id.clone()))
                .collect();
            gone.sort_unstable();
            gone
        },
    }
}

/// Household-weighted purity of `grids` (a label per site) against `layer`: for each grid, the share of its
/// matched households in its main legacy grid; averaged over matched households.
pub fn purity(sites: &[Site], grids: &[Option<usize>], layer: &[Option<usize>]) -> f64 {
    let mut joint: BTreeMap<(usize, usize), u64> = BTreeMap::new();
    for (s, site) in sites.iter().enumerate() {
        if let (Some(g), Some(l)) = (grids[s], layer[s]) {
            *joint.entry((g, l)).or_default() += u64::from(site.households);
        }
    }
    let mut best: BTreeMap<usize, u64> = BTreeMap::new();
    for (&(g, _), &h) in &joint {
        let e = best.entry(g).or_default();
        *e = (*e).max(h);
    }
    let total: u64 = joint.values().sum();
    if total == 0 { 0.0 } else { best.values().sum::<u64>() as f64 / total as f64 }
}

/// How well each layer matches the others, for choosing the base of a merge.
#[derive(Debug, Clone, Serialize)]
pub struct BaseChoice {
    /// The chosen layer's name.
    pub base: String,
    /// Whether the user named it (`--base`) or it matched the others best.
    pub named: bool,
    /// Per layer: its mean purity against the other layers (household-weighted, then averaged over layers).
    pub scores: Vec<(String, f64)>,
}

/// The layer whose grids are purest against all the others (ties: the first), or the one named.
pub fn choose_base(sites: &[Site], layers: &[Legacy], named: Option<&str>) -> BaseChoice {
    let scores: Vec<(String, f64)> = layers
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let others: Vec<f64> = layers
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, m)| purity(sites, &l.site, &m.site))
                .collect();
            let mean = if others.is_empty() { 1.0 } else { others.iter().sum::<f64>() / others.len() as f64 };
            (l.name.clone(), mean)
        })
        .collect();
    let base = match named {
        Some(n) => n.to_string(),
        None => scores
            .iter()
            .fold(None::<&(String, f64)>, |best, s| match best {
                Some(b) if b.1 >= s.1 => Some(b),
                _ => Some(s),
            })
            .map(|s| s.0.clone())
            .unwrap_or_default(),
    };
    BaseChoice { base, named: named.is_some(), scores }
}

/// One layer in a merge's report.
#[derive(Debug, Clone, Serialize)]
pub struct LayerSummary {
    /// Its name.
    pub name: String,
    /// Where it was read from.
    pub source: String,
    /// Whether the merged plan was made from it.
    pub base: bool,
    /// Its grids.
    pub grids: usize,
    /// Households of the data matched to one of its grids.
    pub households_matched: u64,
    /// Mean purity of the merged grids against it (household-weighted).
    pub purity: f64,
    /// Its grids whose households are in more than one merged grid.
    pub grids_split: usize,
}

/// A merged grid against one layer.
#[derive(Debug, Clone, Serialize)]
pub struct PurityRow {
    /// Merged grid id.
    pub grid_id: String,
    /// Layer name.
    pub layer: String,
    /// Its households matched to the layer.
    pub households_matched: u64,
    /// Share of those in its main legacy grid.
    pub purity: f64,
    /// The main legacy grid.
    pub main: String,
    /// Legacy grids it holds households of.
    pub legacy_grids: usize,
}

/// A legacy grid divided between merged grids.
#[derive(Debug, Clone, Serialize)]
pub struct SplitRow {
    /// Layer name.
    pub layer: String,
    /// Legacy grid id.
    pub legacy_grid: String,
    /// Its households (in the data, in a merged grid).
    pub households: u64,
    /// The merged grids they are in, most households first.
    pub merged_grids: Vec<String>,
    /// Share in the first of those.
    pub main_share: f64,
}

/// The report of a merge (多网合一): how the merged plan was made and how pure each grid is against every layer.
#[derive(Debug, Clone, Serialize)]
pub struct MergeReport {
    /// How the base was chosen.
    pub choice: Option<BaseChoice>,
    /// Every layer, the base first.
    pub layers: Vec<LayerSummary>,
    /// Every merged grid against every layer.
    pub purity: Vec<PurityRow>,
    /// Every legacy grid split between merged grids.
    pub splits: Vec<SplitRow>,
}

/// The merge report of a partition made with preferred layers (`None` for any other plan); `grids` are the
/// finished grids as (id, sites).
pub fn merge_report(p: &crate::partition::Partition, grids: &[(&str, &[usize])]) -> Option<MergeReport> {
    let r = p.replan.as_ref().filter(|r| !r.prefer.is_empty())?;
    let h = |s: usize| u64::from(p.sites[s].households);
    let (mut layers, mut purity, mut splits) = (Vec::new(), Vec::new(), Vec::new());
    for (k, layer) in std::iter::once(&r.base).chain(&r.prefer).enumerate() {
        let mut weighted = (0u64, 0u64);
        // Legacy grid → merged grid → households.
        let mut spread: BTreeMap<usize, BTreeMap<&str, u64>> = BTreeMap::new();
        for (id, sites) in grids {
            let mut by: BTreeMap<usize, u64> = BTreeMap::new();
            for &s in *sites {
                if let Some(l) = layer.site[s] {
                    *by.entry(l).or_default() += h(s);
                    *spread.entry(l).or_default().entry(id).or_default() += h(s);
                }
            }
            let total: u64 = by.values().sum();
            let Some((&main, &most)) = by.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))) else { continue };
            weighted.0 += most;
            weighted.1 += total;
            purity.push(PurityRow {
                grid_id: id.to_string(),
                layer: layer.name.clone(),
                households_matched: total,
                purity: most as f64 / total as f64,
                main: layer.grid_ids[main].clone(),
                legacy_grids: by.len(),
            });
        }
        let mut grids_split = 0;
        for (l, into) in spread {
            if into.len() < 2 {
                continue;
            }
            grids_split += 1;
            let households: u64 = into.values().sum();
            let mut order: Vec<(&str, u64)> = into.into_iter().collect();
            order.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            splits.push(SplitRow {
                layer: layer.name.clone(),
                legacy_grid: layer.grid_ids[l].clone(),
                households,
                main_share: order[0].1 as f64 / households as f64,
                merged_grids: order.into_iter().map(|(g, _)| g.to_string()).collect(),
            });
        }
        layers.push(LayerSummary {
            name: layer.name.clone(),
            source: layer.source.display().to_string(),
            base: k == 0,
            grids: layer.grid_ids.len(),
            households_matched: weighted.1,
            purity: if weighted.1 == 0 { 0.0 } else { weighted.0 as f64 / weighted.1 as f64 },
            grids_split,
        });
    }
    Some(MergeReport { choice: r.choice.clone(), layers, purity, splits })
}
