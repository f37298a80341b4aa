//! Grid and micro-grid outlines along roads, rivers and walls, as one planar partition of each street.
//!
//! Each container (a street, or a community the data give) is sliced by the lines planners draw grids along
//! into blocks (the enclosures of Fleischmann et al.'s enclosed tessellation); a grid's outline is the union of
//! its blocks, and only a block shared by several micro-grids or grids is divided, by its building footprints
//! ([`block`]). Every operation runs on one fixed integer grid ([`overlay`]), so neighbouring outlines share
//! their vertices exactly: no gaps, no overlaps, valid rings for GEOS as for geo. A building with one
//! micro-grid per stairwell has its piece cut across its long axis, one slice per stairwell.

pub mod block;
pub mod check;
pub mod lines;
pub mod overlay;

use crate::config::PlanConfig;
use crate::model::Dataset;
use crate::partition::micro::MicroGrid;
use crate::partition::{Member, Partition};
use block::{BlockSite, BlockStats, Container};
use geo::{BoundingRect, Coord, Intersects, MinimumRotatedRect, MultiPolygon, Polygon};
use lines::{CutLines, HardLines};
use overlay::FixedGrid;
use rayon::prelude::*;
use std::collections::BTreeMap;

/// The outlines of a partition.
pub struct Outlines {
    /// Basic grids, in `Partition::grids` order.
    pub grids: Vec<MultiPolygon>,
    /// Dedicated grids, in `Partition::dedicated` order.
    pub dedicated: Vec<MultiPolygon>,
    /// Micro-grids, in the order given.
    pub micro: Vec<MultiPolygon>,
    /// Figures of the drawing.
    pub stats: BlockStats,
}

/// What a label stands for: micro-grids `first..first + n` (n > 1: stairwells of one building), or a
/// dedicated grid.
#[derive(Clone, Copy)]
enum Label {
    Micro { first: usize, n: usize },
    Dedicated(usize),
}

/// The extent of a dataset around its projection centre, m.
fn extent(d: &Dataset) -> f64 {
    d.admin_areas
        .iter()
        .filter_map(|a| a.polygon.bounding_rect())
        .map(|r| r.min().x.abs().max(r.min().y.abs()).max(r.max().x.abs()).max(r.max().y.abs()))
        .fold(1.0, f64::max)
}

/// Draws every grid, dedicated grid and micro-grid of `p`.
pub fn outlines(d: &Dataset, p: &Partition, micro: &[MicroGrid], config: &PlanConfig) -> Outlines {
    let grid = FixedGrid::for_extent(extent(d));
    let areas = dedicated_areas(d, p);
    let cut = CutLines::new(d, &areas, &config.outlines);
    let minor = CutLines::minor(d, &config.outlines);
    let hard = HardLines::new(d, &config.barriers.classes);
    // Labels: one per micro-grid (one per building for stairwells), one per dedicated grid.
    let mut labels: Vec<Label> = Vec::new();
    let mut site_label = vec![u32::MAX; p.sites.len()];
    let mut m = 0;
    while m < micro.len() {
        let n = match micro[m].stairwell {
            Some((1, n)) => n.min(micro.len() - m),
            _ => 1,
        };
        for &s in &micro[m].sites {
            site_label[s] = labels.len() as u32;
        }
        labels.push(Label::Micro { first: m, n });
        m += n;
    }
    for (g, dg) in p.dedicated.iter().enumerate() {
        for &s in &dg.sites {
            site_label[s] = labels.len() as u32;
        }
        labels.push(Label::Dedicated(g));
    }
    let containers = containers(d, p, &site_label, &labels, &areas);
    let drawn: Vec<(Vec<(u32, Polygon)>, BlockStats)> =
        containers.par_iter().map(|c| block::draw(&grid, (&cut, &minor), &hard, c)).collect();
    let mut stats = BlockStats::default();
    let mut by_label: Vec<Vec<Polygon>> = vec![Vec::new(); labels.len()];
    for (pieces, s) in drawn {
        stats += s;
        for (l, piece) in pieces {
            by_label[l as usize].push(piece);
        }
    }
    let unions: Vec<MultiPolygon> = by_label.par_iter().map(|ps| grid.union(ps.iter())).collect();
    let mut out = Outlines {
        grids: vec![MultiPolygon::new(Vec::new()); p.grids.len()],
        dedicated: vec![MultiPolygon::new(Vec::new()); p.dedicated.len()],
        micro: vec![MultiPolygon::new(Vec::new()); micro.len()],
        stats,
    };
    let mut pieces_of_grid: Vec<Vec<&Polygon>> = vec![Vec::new(); p.grids.len()];
    for (l, label) in labels.iter().enumerate() {
        match *label {
            Label::Dedicated(g) => out.dedicated[g] = unions[l].clone(),
            Label::Micro { first, n } => {
                pieces_of_grid[micro[first].grid].extend(by_label[l].iter());
                if n == 1 {
                    out.micro[first] = unions[l].clone();
                } else {
                    let parts = stairwells(&grid, d, p, &unions[l], micro[first].sites[0], n);
                    for (i, part) in parts.into_iter().enumerate() {
                        out.micro[first + i] = part;
                    }
                }
            }
        }
    }
    out.grids = pieces_of_grid.par_iter().map(|ps| grid.union(ps.iter().copied())).collect();
    out
}

/// Each dedicated grid's area as drawn: its units' outline, with the household buildings of basic grids that
/// straddle it taken out and its own buildings that straddle it taken in, so no outline cuts a building.
fn dedicated_areas(d: &Dataset, p: &Partition) -> Vec<MultiPolygon> {
    use geo::{BooleanOps, Contains};
    let footprint = |s: usize| match p.sites[s].member {
        Member::Building(b) => d.buildings[b].footprint.as_ref(),
        Member::Household(_) => None,
    };
    let grid_of_site = p.grid_of_site();
    let basic: Vec<(usize, &MultiPolygon)> = (0..p.sites.len())
        .filter(|&s| grid_of_site[s] != usize::MAX)
        .filter_map(|s| Some((s, footprint(s)?)))
        .collect();
    let tree = rstar::RTree::bulk_load(
        basic
            .iter()
            .enumerate()
            .filter_map(|(i, (_, fp))| {
                let r = fp.bounding_rect()?;
                Some(rstar::primitives::GeomWithData::new(
                    rstar::primitives::Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                    i,
                ))
            })
            .collect(),
    );
    p.dedicated
        .par_iter()
        .map(|g| {
            let Some(r) = g.polygon.bounding_rect() else { return g.polygon.clone() };
            let env = rstar::AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
            let mut area = g.polygon.clone();
            for &s in &g.sites {
                if let Some(fp) = footprint(s).filter(|fp| !area.contains(*fp)) {
                    area = area.union(fp);
                }
            }
            let mut out: Vec<usize> = tree
                .locate_in_envelope_intersecting(&env)
                .map(|e| e.data)
                .filter(|&i| basic[i].1.intersects(&area) && !area.contains(basic[i].1))
                .collect();
            out.sort_unstable();
            for i in out {
                area = area.difference(basic[i].1);
            }
            area
        })
        .collect()
}

/// The containers to draw: every street (or given community) with sites, with its sites and the dedicated
/// grids' areas in it.
fn containers<'a>(
    d: &'a Dataset,
    p: &'a Partition,
    site_label: &[u32],
    labels: &[Label],
    areas: &'a [MultiPolygon],
) -> Vec<Container<'a>> {
    let given_communities = p.communities.iter().any(|c| c.admin_area.is_some());
    let mut sites_of: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for c in &p.communities {
        sites_of.entry(c.admin_area.unwrap_or(c.street)).or_default().extend(c.sites.iter().copied());
    }
    for g in &p.dedicated {
        let keys: Vec<usize> = if given_communities {
            let inside = |a: usize| {
                d.admin_areas[a].parent_area == Some(g.street) && d.admin_areas[a].polygon.intersects(&g.polygon)
            };
            (0..d.admin_areas.len()).filter(|&a| inside(a)).collect()
        } else {
            vec![g.street]
        };
        for &k in &keys {
            sites_of.entry(k).or_default();
        }
        for &s in &g.sites {
            let key = if given_communities { p.sites[s].community.unwrap_or(g.street) } else { g.street };
            sites_of.entry(key).or_default().push(s);
        }
    }
    type Areas<'a> = BTreeMap<usize, Vec<(&'a MultiPolygon, Vec<u32>)>>;
    let mut reserved_of: Areas = BTreeMap::new();
    let mut preferred_of: Areas = BTreeMap::new();
    for (l, label) in labels.iter().enumerate() {
        if let Label::Dedicated(g) = *label {
            let dg = &p.dedicated[g];
            let entry = reserved_of.entry(dg.street).or_default();
            // Parts of one unit split among several grids share its area.
            match entry.iter_mut().find(|(area, _)| **area == areas[g]) {
                Some((_, ls)) => ls.push(l as u32),
                None => entry.push((&areas[g], vec![l as u32])),
            }
        }
    }
    // A compound drawn whole: its empty blocks (green space, inner roads) stay with the labels of its sites
    // when all of them are in one grid.
    let grid_of_site = p.grid_of_site();
    let mut compound_sites: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (s, site) in p.sites.iter().enumerate() {
        if let Some(c) = site.compound
            && site_label[s] != u32::MAX
        {
            compound_sites.entry(c).or_default().push(s);
        }
    }
    for (c, sites) in compound_sites {
        let (Some(street), Some(&first)) = (d.compounds[c].street, sites.first()) else { continue };
        if grid_of_site[first] == usize::MAX || sites.iter().any(|&s| grid_of_site[s] != grid_of_site[first]) {
            continue;
        }
        let mut ls: Vec<u32> = sites.iter().map(|&s| site_label[s]).collect();
        ls.sort_unstable();
        ls.dedup();
        preferred_of.entry(street).or_default().push((&d.compounds[c].polygon, ls));
    }
    sites_of
        .into_iter()
        .map(|(area, mut sites)| {
            sites.sort_unstable();
            sites.dedup();
            let street = d.admin_areas[area].parent_area.filter(|_| given_communities).unwrap_or(area);
            Container {
                polygon: &d.admin_areas[area].polygon,
                sites: sites
                    .into_iter()
                    .filter(|&s| site_label[s] != u32::MAX)
                    .map(|s| BlockSite {
                        point: p.sites[s].point,
                        footprint: match p.sites[s].member {
                            Member::Building(b) => d.buildings[b].footprint.as_ref(),
                            Member::Household(_) => None,
                        },
                        label: site_label[s],
                    })
                    .collect(),
                reserved: reserved_of.get(&street).cloned().unwrap_or_default(),
                preferred: preferred_of.get(&street).cloned().unwrap_or_default(),
            }
        })
        .collect()
}

/// The piece of a building divided by stairwells: `n` slices across the long axis of its footprint's
/// minimum rotated rectangle, in order along it.
fn stairwells(
    grid: &FixedGrid,
    d: &Dataset,
    p: &Partition,
    piece: &MultiPolygon,
    site: usize,
    n: usize,
) -> Vec<MultiPolygon> {
    let footprint = match p.sites[site].member {
        Member::Building(b) => d.buildings[b].footprint.as_ref(),
        Member::Household(_) => None,
    };
    let empty = || vec![MultiPolygon::new(Vec::new()); n];
    let (Some(rect), Some(frame)) = (footprint.and_then(|f| f.minimum_rotated_rect()), piece.bounding_rect()) else {
        let mut parts = empty();
        parts[0] = piece.clone();
        return parts;
    };
    let cs = &rect.exterior().0;
    let (a, b, c) = (cs[0], cs[1], cs[2]);
    let (u, v) = if (b.x - a.x).hypot(b.y - a.y) >= (c.x - b.x).hypot(c.y - b.y) { (a, b) } else { (b, c) };
    let len = (v.x - u.x).hypot(v.y - u.y).max(1e-9);
    let (dx, dy) = ((v.x - u.x) / len, (v.y - u.y) / len);
    let reach = frame.width() + frame.height() + len;
    let cuts: Vec<Vec<Coord>> = (1..n)
        .map(|i| {
            let t = len * i as f64 / n as f64;
            let at = Coord { x: u.x + dx * t, y: u.y + dy * t };
            vec![
                Coord { x: at.x - dy * reach, y: at.y + dx * reach },
                Coord { x: at.x + dy * reach, y: at.y - dx * reach },
            ]
        })
        .collect();
    let mut parts: Vec<Vec<Polygon>> = vec![Vec::new(); n];
    for slice in grid.slice(piece, &cuts) {
        let Some(at) = crate::load::geometry::representative_point(&MultiPolygon::new(vec![slice.clone()])) else {
            continue;
        };
        let t = (at.x() - u.x) * dx + (at.y() - u.y) * dy;
        let i = ((t / len * n as f64).floor().max(0.0) as usize).min(n - 1);
        parts[i].push(slice);
    }
    parts.iter().map(|ps| grid.union(ps.iter())).collect()
}
