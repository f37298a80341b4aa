//! Micro-grids (微网格): every basic grid divided into groups of one building or a few neighbouring ones in
//! the micro band (default 10–50 households, one 楼栋长/微网格员 each). A building above the band becomes one
//! micro-grid per stairwell (单元) when the data give its units, otherwise one micro-grid flagged as over the
//! band. The other buildings are split by the same spanning-tree engine as grids (links that cross a hard
//! barrier cut), so micro-grids are connected and nest in their grid by construction.

use super::graph::{BarrierIndex, UnitGraph, site_links};
use super::grow::grow_regions;
use super::result::{Member, Partition};
use super::tree::{choose_k, split_into};
use crate::config::Band;
use crate::model::Dataset;
use geo::Point;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use std::collections::BTreeMap;

/// Spanning trees tried per micro split before greedy growing takes over.
const TREES: u32 = 40;

/// One micro-grid.
#[derive(Debug, Clone, PartialEq)]
pub struct MicroGrid {
    /// Its basic grid (index into `Partition::grids`).
    pub grid: usize,
    /// Sequence number inside the grid, from 1 (north → south in 100 m rows, west → east).
    pub seq: usize,
    /// Sites, ascending.
    pub sites: Vec<usize>,
    /// Households.
    pub households: u64,
    /// Stairwell `i` of `n` (from 1) of its one building, when a building was divided by its units.
    pub stairwell: Option<(usize, usize)>,
    /// Why it is outside the micro band.
    pub note: Option<String>,
}

/// The micro-grids of every basic grid, grid by grid.
pub fn micro_grids(d: &Dataset, p: &Partition, band: Band, max_edge_m: f64, barriers: &BarrierIndex) -> Vec<MicroGrid> {
    let per_grid: Vec<Vec<MicroGrid>> =
        (0..p.grids.len()).into_par_iter().map(|g| of_grid(d, p, g, band, max_edge_m, barriers)).collect();
    per_grid.into_iter().flatten().collect()
}

fn units_of(d: &Dataset, p: &Partition, site: usize) -> Option<u32> {
    match p.sites[site].member {
        Member::Building(b) => d.buildings[b].units,
        Member::Household(_) => None,
    }
}

fn of_grid(
    d: &Dataset,
    p: &Partition,
    g: usize,
    band: Band,
    max_edge_m: f64,
    barriers: &BarrierIndex,
) -> Vec<MicroGrid> {
    let sites = &p.grids[g].sites;
    let h = |s: usize| u64::from(p.sites[s].households);
    let mut out: Vec<MicroGrid> = Vec::new();
    let micro = |sites: Vec<usize>, households: u64, stairwell, note| MicroGrid {
        grid: g,
        seq: 0,
        sites,
        households,
        stairwell,
        note,
    };
    // Buildings stacked over one another (overlapping footprints) go together, a stack above the band as one
    // micro-grid.
    let mut stack_total: BTreeMap<usize, u64> = BTreeMap::new();
    for &s in sites {
        if let Some(k) = p.sites[s].stack {
            *stack_total.entry(k).or_default() += h(s);
        }
    }
    let total_of = |s: usize| p.sites[s].stack.map_or(h(s), |k| stack_total[&k]);
    let (big, small): (Vec<usize>, Vec<usize>) = sites.iter().partition(|&&s| total_of(s) > u64::from(band.max()));
    let (stacked, big): (Vec<usize>, Vec<usize>) =
        big.into_iter().partition(|&s| p.sites[s].stack.is_some_and(|k| stack_total[&k] > h(s)));
    let mut stacks: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for s in stacked {
        if let Some(k) = p.sites[s].stack {
            stacks.entry(k).or_default().push(s);
        }
    }
    for members in stacks.into_values() {
        let total: u64 = members.iter().map(|&s| h(s)).sum();
        let note = format!(
            "{}栋楼轮廓相互重叠（可能同一楼栋重复绘制），共{total}户，超过微网格上限{}户",
            members.len(),
            band.max()
        );
        out.push(micro(members, total, None, Some(note)));
    }
    for s in big {
        let total = h(s);
        match units_of(d, p, s).map(u64::from).filter(|&n| n >= 2) {
            Some(n) => {
                let n = n.min(total);
                for i in 0..n {
                    let share = total / n + u64::from(i < total % n);
                    let note = (!band.contains(share)).then(|| {
                        format!(
                            "楼栋{total}户分{n}个单元，每单元约{share}户，超出微网格{}–{}户",
                            band.min(),
                            band.max()
                        )
                    });
                    out.push(micro(vec![s], share, Some((i as usize + 1, n as usize)), note));
                }
            }
            None => {
                let note =
                    format!("单栋楼{total}户，超过微网格上限{}户，数据未给出单元数（units/entrances）", band.max());
                out.push(micro(vec![s], total, None, Some(note)));
            }
        }
    }
    let points: Vec<Point> = small.iter().map(|&s| p.sites[s].point).collect();
    let households: Vec<u32> = small.iter().map(|&s| p.sites[s].households).collect();
    let links = site_links(&points, max_edge_m, barriers);
    let stacks: Vec<Option<usize>> = small.iter().map(|&s| p.sites[s].stack).collect();
    let graph = UnitGraph::build(&households, &vec![None; small.len()], &stacks, &links, 0);
    // Seeded by the grid's own units, not its position: a grid a rerun keeps keeps its micro-grids.
    let key = p.grids[g].sites.iter().map(|&s| p.sites[s].member.id(d).0).min().unwrap_or("");
    let mut rng = ChaCha8Rng::seed_from_u64(super::stable_hash(key) ^ 0x006D_6963_726F);
    for component in graph.components() {
        let total: u64 = component.iter().map(|&u| u64::from(graph.households[u])).sum();
        let parts = match choose_k(total, band) {
            Some(1) | None => vec![component],
            Some(k) => {
                let mut budget = TREES;
                split_into(&graph, &points, &component, k, band, &mut rng, &mut budget)
                    .unwrap_or_else(|| grow_regions(&graph, &points, &component, band))
            }
        };
        for part in parts {
            let mut members: Vec<usize> =
                part.iter().flat_map(|&u| graph.unit_sites[u].iter().map(|&i| small[i])).collect();
            members.sort_unstable();
            let total: u64 = members.iter().map(|&s| h(s)).sum();
            let note = (!band.contains(total)).then(|| {
                if total < u64::from(band.min()) {
                    format!(
                        "仅{total}户，少于微网格下限{}户：与同网格其他楼栋不相邻或隔着主干道、河流、铁路",
                        band.min()
                    )
                } else {
                    format!("{total}户，超过微网格上限{}户：相邻楼栋无法分成规模内的组", band.max())
                }
            });
            out.push(micro(members, total, None, note));
        }
    }
    number(p, &mut out);
    out
}

/// Orders a grid's micro-grids north → south in 100 m rows, west → east, stairwells in order, and numbers them.
fn number(p: &Partition, micro: &mut [MicroGrid]) {
    let centre = |m: &MicroGrid| {
        let n = m.sites.len().max(1) as f64;
        let (x, y) = m.sites.iter().fold((0.0, 0.0), |(x, y), &s| (x + p.sites[s].point.x(), y + p.sites[s].point.y()));
        (x / n, y / n)
    };
    micro.sort_by(|a, b| {
        let (ca, cb) = (centre(a), centre(b));
        let (ra, rb) = ((-ca.1 / 100.0).floor(), (-cb.1 / 100.0).floor());
        ra.total_cmp(&rb).then(ca.0.total_cmp(&cb.0)).then(a.sites.cmp(&b.sites)).then(a.stairwell.cmp(&b.stairwell))
    });
    for (i, m) in micro.iter_mut().enumerate() {
        m.seq = i + 1;
    }
}
