//! The partition's rules checked on the drawn outlines, by code that shares nothing with the drawing: geo's
//! validity at the written precision, overlaps and gaps by geo's boolean operations, barrier sides by an
//! auto-scaled slice, closeness to roads by an R-tree of the lines.

use crate::config::PlanConfig;
use crate::grids::{GridRow, MicroRow};
use crate::model::Dataset;
use crate::partition::{Member, Partition};
use geo::{Area, BooleanOps, BoundingRect, Coord, Intersects, MultiPolygon};
use i_overlay::core::fill_rule::FillRule;
use i_overlay::float::slice::FloatSlice;
use rayon::prelude::*;
use rstar::RTree;
use serde::Serialize;

/// Area beyond a hard barrier from the rest of its grid that counts as crossing it, m² (0.5 ha).
const BEYOND_BARRIER_M2: f64 = 5_000.0;
/// Boundary pieces judged for closeness to a road, m.
const PIECE_M: f64 = 5.0;
/// A boundary sample this close to the street's own boundary (squared, m²: 0.5 m) lies on the street's edge, which
/// the check leaves out.
const ON_STREET_EDGE_2: f64 = 0.25;
/// Area of a footprint outside its grid that counts as a cut, m².
const CUT_M2: f64 = 1.0;

/// The outline keys of `check.json`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct OutlineCheck {
    /// Grid polygons (basic and dedicated) that are not valid OGC geometry at the written precision.
    pub outline_invalid: u64,
    /// Grids with no outline.
    pub outline_empty: u64,
    /// Area covered by two grids, m².
    pub outline_overlap_m2: f64,
    /// Area of the streets with households that no grid covers, m².
    pub outline_gap_m2: f64,
    /// Basic grids with more than 0.5 ha of outline beyond a hard barrier that holds none of their sites, on a side
    /// where other grids of the street have sites (so the area could have gone to one of them).
    pub outline_barrier_crossings: u64,
    /// The area so placed, m².
    pub outline_beyond_barrier_m2: f64,
    /// Dedicated grids whose units' own outline (from the data) reaches more than 0.5 ha beyond a hard barrier.
    pub outline_barrier_crossings_dedicated: u64,
    /// Area beyond a hard barrier from every site of its street (parks, medians of divided roads): whichever
    /// grid takes it lies beyond a barrier, m².
    pub outline_beyond_barrier_unavoidable_m2: f64,
    /// Grids whose own sites lie on several sides of a hard barrier within the outline: the assignment joins
    /// them through a gap in the barrier (a long bridge or tunnel) or around its end, outside the outline.
    pub outline_sites_beyond_barrier: u64,
    /// Share of the grid boundary inside streets within `on_road_within_m` of a road (the classes outlines
    /// follow, and service roads), river, rail or wall (the outline of a compound or a special unit).
    pub boundary_on_roads_share: f64,
    /// Length of that boundary (each shared edge once), km.
    pub boundary_interior_km: f64,
    /// Household buildings with more than 1 m² of footprint in another grid (street edges excepted).
    pub buildings_cut_by_outline: u64,
    /// Household buildings that the street's own boundary cuts (given by the data, not drawn by gridplan).
    pub buildings_across_street_boundary: u64,
    /// Compounds in one grid in the assignment whose outline (less the compounds drawn inside it) lies more
    /// than 5 % in other grids.
    pub compounds_drawn_in_two_grids: u64,
    /// Micro-grid polygons that are not valid at the written precision.
    pub micro_invalid: u64,
    /// Micro-grids with more than 1 m² outside their grid.
    pub micro_not_nested: u64,
    /// Area covered by two micro-grids, m².
    pub micro_overlap_m2: f64,
}

/// `GRIDPLAN_DEBUG_OUTLINES` set: the checks name what they count, on stderr.
fn debugging() -> bool {
    std::env::var_os("GRIDPLAN_DEBUG_OUTLINES").is_some()
}

/// Polygons that are not valid as the file holds them (the written outline, rounded as the writer prints it).
fn invalid(polygons: &[&MultiPolygon]) -> u64 {
    let scale = 10f64.powi(crate::render::geojson::DEGREE_DECIMALS as i32);
    let printed = |mp: &MultiPolygon| {
        geo::MapCoords::map_coords(mp, |c| Coord { x: (c.x * scale).round() / scale, y: (c.y * scale).round() / scale })
    };
    polygons.par_iter().filter(|mp| !mp.0.is_empty() && !crate::load::validity::is_valid(&printed(mp))).count() as u64
}

fn overlap<'a>(groups: impl IndexedParallelIterator<Item = Vec<&'a MultiPolygon>>) -> f64 {
    let per: Vec<f64> = groups
        .map(|polys| polys.iter().map(|p| p.unsigned_area()).sum::<f64>() - union(&polys).unsigned_area())
        .collect();
    ordered_sum(per)
}

/// A sum in a fixed order: rayon's parallel sum adds in an order that follows the threads, and floating-point
/// addition is not associative, so the last digit would differ between runs.
fn ordered_sum(values: Vec<f64>) -> f64 {
    values.iter().sum()
}

fn union(polys: &[&MultiPolygon]) -> MultiPolygon {
    use i_overlay::core::overlay_rule::OverlayRule;
    use i_overlay::float::single::SingleFloatOverlay;
    let shapes: Vec<Vec<Vec<[f64; 2]>>> = polys.iter().flat_map(|p| polygon_shapes(p)).collect();
    let empty: Vec<Vec<Vec<[f64; 2]>>> = Vec::new();
    let ring = |r: &Vec<[f64; 2]>| geo::LineString::from(r.iter().map(|&[x, y]| Coord { x, y }).collect::<Vec<_>>());
    MultiPolygon::new(
        shapes
            .overlay(&empty, OverlayRule::Union, FillRule::NonZero)
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| geo::Polygon::new(ring(&s[0]), s[1..].iter().map(ring).collect()))
            .collect(),
    )
}

/// Checks the drawn outlines of `rows` and `micro`.
pub fn check_outlines(
    d: &Dataset,
    p: &Partition,
    rows: &[GridRow],
    micro: &[MicroRow],
    config: &PlanConfig,
) -> OutlineCheck {
    let grids: Vec<&MultiPolygon> = rows.iter().map(|r| &r.polygon).collect();
    let written: Vec<&MultiPolygon> = rows.iter().map(|r| &r.written).collect();
    let micros_written: Vec<&MultiPolygon> = micro.iter().map(|m| &m.written).collect();
    let (beyond_count, beyond_m2, unavoidable_m2, sides, dedicated_beyond) = beyond_barriers(d, p, config, rows);
    let (share, km) = on_roads(d, config, rows);
    let (cut, across) = buildings_cut(d, p, rows);
    let mut streets: std::collections::BTreeMap<usize, Vec<&MultiPolygon>> = Default::default();
    for r in rows {
        streets.entry(r.street).or_default().push(&r.polygon);
    }
    let by_street: Vec<(usize, Vec<&MultiPolygon>)> = streets.into_iter().collect();
    let mut micro_by_grid: Vec<Vec<&MultiPolygon>> = vec![Vec::new(); rows.len()];
    for m in micro {
        micro_by_grid[m.grid_row].push(&m.polygon);
    }
    OutlineCheck {
        outline_invalid: invalid(&written),
        outline_empty: grids.iter().filter(|g| g.unsigned_area() == 0.0).count() as u64,
        outline_overlap_m2: overlap(by_street.par_iter().map(|(_, polys)| polys.clone())),
        outline_gap_m2: ordered_sum(
            by_street
                .par_iter()
                .map(|(s, polys)| d.admin_areas[*s].polygon.difference(&union(polys)).unsigned_area())
                .collect(),
        ),
        outline_barrier_crossings: beyond_count,
        outline_beyond_barrier_m2: beyond_m2,
        outline_barrier_crossings_dedicated: dedicated_beyond,
        outline_beyond_barrier_unavoidable_m2: unavoidable_m2,
        outline_sites_beyond_barrier: sides,
        boundary_on_roads_share: share,
        boundary_interior_km: km,
        buildings_cut_by_outline: cut,
        buildings_across_street_boundary: across,
        compounds_drawn_in_two_grids: compounds_drawn(d, p, rows),
        micro_invalid: invalid(&micros_written),
        micro_not_nested: micro_not_nested(rows, micro, &micro_by_grid),
        micro_overlap_m2: overlap(micro_by_grid.par_iter().map(|polys| polys.clone())),
    }
}

/// Micro-grids with more than 1 m² outside their grid: per grid, the union of the grid and its micro-grids
/// first (all nested when it adds nothing), then micro-grid by micro-grid where it does.
fn micro_not_nested(rows: &[GridRow], micro: &[MicroRow], by_grid: &[Vec<&MultiPolygon>]) -> u64 {
    (0..rows.len())
        .into_par_iter()
        .map(|g| {
            let grid = &rows[g].polygon;
            let mut all = by_grid[g].clone();
            all.push(grid);
            if union(&all).unsigned_area() - grid.unsigned_area() <= CUT_M2 {
                return 0;
            }
            micro
                .iter()
                .filter(|m| {
                    m.grid_row == g && union(&[&m.polygon, grid]).unsigned_area() - grid.unsigned_area() > CUT_M2
                })
                .count() as u64
        })
        .sum()
}

fn polygon_shapes(g: &MultiPolygon) -> Vec<Vec<Vec<[f64; 2]>>> {
    g.0.iter()
        .map(|p| {
            let p = geo::Orient::orient(p, geo::orient::Direction::Default);
            std::iter::once(p.exterior())
                .chain(p.interiors())
                .map(|r| r.0.iter().take(r.0.len().saturating_sub(1)).map(|c| [c.x, c.y]).collect())
                .collect()
        })
        .collect()
}

/// The hard barriers, and the parts a polygon falls into when cut by them.
struct Sides<'a> {
    hard: Vec<&'a geo::LineString>,
    tree: RTree<rstar::primitives::GeomWithData<rstar::primitives::Rectangle<[f64; 2]>, usize>>,
}

impl Sides<'_> {
    fn parts(&self, g: &MultiPolygon) -> Vec<geo::Polygon> {
        let Some(b) = g.bounding_rect() else { return Vec::new() };
        let env = rstar::AABB::from_corners([b.min().x, b.min().y], [b.max().x, b.max().y]);
        let lines: Vec<Vec<[f64; 2]>> = self
            .tree
            .locate_in_envelope_intersecting(&env)
            .map(|e| self.hard[e.data].0.iter().map(|c| [c.x, c.y]).collect())
            .collect();
        if lines.is_empty() {
            return g.0.clone();
        }
        let ring =
            |r: &Vec<[f64; 2]>| geo::LineString::from(r.iter().map(|&[x, y]| Coord { x, y }).collect::<Vec<_>>());
        polygon_shapes(g)
            .slice_by(&lines, FillRule::NonZero)
            .iter()
            .filter(|shape| !shape.is_empty())
            .map(|shape| geo::Polygon::new(ring(&shape[0]), shape[1..].iter().map(ring).collect()))
            .collect()
    }
}

/// Per grid, the parts of its outline beyond a hard barrier that hold none of its sites, where the street's
/// own side of the barriers (the street cut by them) holds none of them either: avoidable when that side
/// holds sites of other grids (the area could have gone to one of them; counted per grid when over 0.5 ha),
/// unavoidable when no site at all lies on it (a park or a median between two carriageways: whichever grid
/// takes it, it lies beyond a barrier). A part on a side where the grid has sites too is joined to them
/// within the street, around a barrier's end or through a gap, and is not beyond.
/// And the grids whose own sites lie on several sides of one (the assignment joins them through a gap in the
/// barrier or around its end, which the outline does not show).
fn beyond_barriers(d: &Dataset, p: &Partition, config: &PlanConfig, rows: &[GridRow]) -> (u64, f64, f64, u64, u64) {
    let hard: Vec<&geo::LineString> =
        d.barriers.iter().filter(|b| config.barriers.classes.contains(&b.class)).map(|b| &b.line).collect();
    let tree = RTree::bulk_load(
        hard.iter()
            .enumerate()
            .filter_map(|(i, l)| {
                let b = l.bounding_rect()?;
                Some(rstar::primitives::GeomWithData::new(
                    rstar::primitives::Rectangle::from_corners([b.min().x, b.min().y], [b.max().x, b.max().y]),
                    i,
                ))
            })
            .collect(),
    );
    let sides = Sides { hard, tree };
    // Each side of the hard barriers within a street, with the grids that have sites on it.
    let mut street_sites: std::collections::BTreeMap<usize, Vec<(geo::Point, usize)>> = Default::default();
    for (i, r) in rows.iter().enumerate() {
        street_sites.entry(r.street).or_default().extend(r.sites.iter().map(|&s| (p.sites[s].point, i)));
    }
    let streets: Vec<(usize, Vec<(geo::Point, usize)>)> = street_sites.into_iter().collect();
    let street_sides: std::collections::BTreeMap<usize, Vec<(geo::Polygon, Vec<usize>)>> = streets
        .par_iter()
        .map(|(s, points)| {
            let parts = sides.parts(&d.admin_areas[*s].polygon);
            let held = parts
                .iter()
                .map(|part| {
                    let mut rows: Vec<usize> =
                        points.iter().filter(|(pt, _)| part.intersects(pt)).map(|&(_, r)| r).collect();
                    rows.sort_unstable();
                    rows.dedup();
                    rows
                })
                .collect::<Vec<_>>();
            (*s, parts.into_iter().zip(held).collect())
        })
        .collect();
    let per: Vec<(f64, f64, bool)> = rows
        .par_iter()
        .enumerate()
        .map(|(i, r)| {
            let parts = sides.parts(&r.polygon);
            let holding: Vec<usize> = parts
                .iter()
                .map(|part| r.sites.iter().filter(|&&s| part.intersects(&p.sites[s].point)).count())
                .collect();
            let own_sides = holding.iter().filter(|&&n| n > 0).count();
            let mut empty: Vec<&geo::Polygon> =
                parts.iter().zip(&holding).filter(|(_, n)| **n == 0).map(|(x, _)| x).collect();
            // A grid with no site (a dedicated grid of an empty campus) keeps its largest part.
            if own_sides == 0 && !empty.is_empty() {
                empty.sort_by(|a, b| b.unsigned_area().total_cmp(&a.unsigned_area()));
                empty.remove(0);
            }
            let (mut avoidable, mut unavoidable) = (0.0, 0.0);
            for part in empty {
                let at = crate::load::geometry::representative_point(&MultiPolygon::new(vec![part.clone()]));
                let side = at.and_then(|at| street_sides[&r.street].iter().find(|(side, _)| side.intersects(&at)));
                match side.map(|(_, held)| held) {
                    // On a side of the street where the grid has sites too: joined to them around a barrier's
                    // end or through a gap, within the street.
                    Some(held) if held.binary_search(&i).is_ok() => {}
                    Some(held) if !held.is_empty() => avoidable += part.unsigned_area(),
                    _ => unavoidable += part.unsigned_area(),
                }
            }
            if avoidable > BEYOND_BARRIER_M2 && debugging() {
                eprintln!("beyond a barrier: {} {avoidable:.0} m²", r.grid_id);
            }
            (if avoidable > BEYOND_BARRIER_M2 { avoidable } else { 0.0 }, unavoidable, own_sides > 1)
        })
        .collect();
    // A dedicated grid is its units' own outline: where that crosses a barrier, the data drew it so.
    let basic = |i: &usize| rows[*i].dedicated.is_none();
    (
        (0..rows.len()).filter(|i| basic(i) && per[*i].0 > 0.0).count() as u64,
        (0..rows.len()).filter(basic).map(|i| per[i].0).sum(),
        per.iter().map(|x| x.1).sum(),
        per.iter().filter(|x| x.2).count() as u64,
        (0..rows.len()).filter(|i| !basic(i) && per[*i].0 > 0.0).count() as u64,
    )
}

/// Share of interior boundary near a road, river, rail or wall, and its length.
/// Road classes that count as roads for the share besides the ones outlines follow: service roads carry
/// traffic and are drawn on every map, though grids are not cut along them by default.
const ALSO_ROADS: [&str; 1] = ["service"];

fn on_roads(d: &Dataset, config: &PlanConfig, rows: &[GridRow]) -> (f64, f64) {
    let o = &config.outlines;
    let is_road = |c: &String| o.road_classes.contains(c) || ALSO_ROADS.contains(&c.as_str());
    let roads = d.walk_network.iter().filter(|w| is_road(&w.class)).flat_map(|w| w.line.lines());
    let barriers = d.barriers.iter().flat_map(|b| b.line.lines());
    let walls = d.compounds.iter().filter(|_| o.compound_walls).flat_map(|c| {
        c.polygon.0.iter().flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors())).flat_map(|r| r.lines())
    });
    // The outlines of special units (campuses, hospitals, agencies) are walls as well.
    let campuses = d.special_units.iter().filter_map(|u| u.polygon.as_ref()).flat_map(|mp| {
        mp.0.iter().flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors())).flat_map(|r| r.lines())
    });
    let lines: RTree<geo::Line> = RTree::bulk_load(roads.chain(barriers).chain(walls).chain(campuses).collect());
    let streets: RTree<geo::Line> = RTree::bulk_load(
        rows.iter()
            .map(|r| r.street)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .flat_map(|s| {
                d.admin_areas[s].polygon.0.iter().flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            })
            .flat_map(|r| r.lines())
            .collect(),
    );
    let within = o.on_road_within_m * o.on_road_within_m;
    let (near, total) = rows
        .par_iter()
        .map(|r| {
            let mut near = 0.0;
            let mut total = 0.0;
            let (mut edge, mut close) = (Vec::new(), Vec::new());
            for l in r
                .polygon
                .0
                .iter()
                .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                .flat_map(|x| x.lines())
            {
                let len = (l.end.x - l.start.x).hypot(l.end.y - l.start.y);
                let n = (len / PIECE_M).ceil().max(1.0) as usize;
                // The lines that can be near any sample of this segment, found once; each sample then asks
                // rstar's own distance test of them, so the verdicts are those of a query per sample.
                lines_near(&streets, &l, ON_STREET_EDGE_2, &mut edge);
                lines_near(&lines, &l, within, &mut close);
                for i in 0..n {
                    let t = (i as f64 + 0.5) / n as f64;
                    let at =
                        geo::Point::new(l.start.x + t * (l.end.x - l.start.x), l.start.y + t * (l.end.y - l.start.y));
                    if any_within(&edge, at, ON_STREET_EDGE_2) {
                        continue;
                    }
                    total += len / n as f64;
                    if any_within(&close, at, within) {
                        near += len / n as f64;
                    }
                }
            }
            (near, total)
        })
        .collect::<Vec<(f64, f64)>>()
        .into_iter()
        .fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
    (if total > 0.0 { near / total } else { 1.0 }, total / 2_000.0)
}

/// The lines of `tree` whose envelope comes within √`max_2` of the segment `l`'s envelope (a superset of the
/// lines within that distance of any point of `l`; a little slack for rounding), into `out`.
fn lines_near(tree: &RTree<geo::Line>, l: &geo::Line, max_2: f64, out: &mut Vec<geo::Line>) {
    let pad = max_2.sqrt() * (1.0 + 1e-9) + 1e-6;
    let env = rstar::AABB::from_corners(
        geo::Point::new(l.start.x.min(l.end.x) - pad, l.start.y.min(l.end.y) - pad),
        geo::Point::new(l.start.x.max(l.end.x) + pad, l.start.y.max(l.end.y) + pad),
    );
    out.clear();
    out.extend(tree.locate_in_envelope_intersecting(&env).copied());
}

/// Whether a line of `candidates` is within √`max_2` of `at`, by the test rstar's `locate_within_distance`
/// applies to each line.
fn any_within(candidates: &[geo::Line], at: geo::Point, max_2: f64) -> bool {
    use rstar::PointDistance;
    candidates.iter().any(|c| c.distance_2_if_less_or_equal(&at, max_2).is_some())
}

/// Household buildings cut by an outline, and those cut by the street boundary itself.
fn buildings_cut(d: &Dataset, p: &Partition, rows: &[GridRow]) -> (u64, u64) {
    let counts: Vec<(bool, bool)> = rows
        .par_iter()
        .flat_map_iter(|r| {
            let street = &d.admin_areas[r.street].polygon;
            r.sites.iter().filter_map(move |&s| {
                let Member::Building(b) = p.sites[s].member else { return None };
                let fp = d.buildings[b].footprint.as_ref()?;
                let inside = fp.intersection(street);
                let across = fp.unsigned_area() - inside.unsigned_area() > CUT_M2;
                let outside = inside.difference(&r.polygon).unsigned_area();
                let cut = outside > CUT_M2;
                if cut && debugging() {
                    let c = d.buildings[b].point;
                    eprintln!(
                        "building cut: {} in {} {outside:.0} m² outside at ({:.0}, {:.0})",
                        d.buildings[b].id,
                        r.grid_id,
                        c.x(),
                        c.y()
                    );
                }
                Some((cut, across))
            })
        })
        .collect();
    (counts.iter().filter(|c| c.0).count() as u64, counts.iter().filter(|c| c.1).count() as u64)
}

/// Compounds whose sites are all in one basic grid but whose outline lies more than 5 % in other grids. What
/// the rules place elsewhere does not count: compounds drawn inside it, household buildings of other grids
/// that straddle its wall (kept whole), dedicated grids (drawn from their units' outlines).
fn compounds_drawn(d: &Dataset, p: &Partition, rows: &[GridRow]) -> u64 {
    let mut row_of_site = vec![usize::MAX; p.sites.len()];
    for (i, r) in rows.iter().enumerate() {
        for &s in &r.sites {
            row_of_site[s] = i;
        }
    }
    let mut rows_of: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for (s, site) in p.sites.iter().enumerate() {
        if let Some(c) = site.compound {
            rows_of.entry(c).or_default().push(row_of_site[s]);
        }
    }
    let whole: Vec<(usize, usize)> = rows_of
        .into_iter()
        .filter(|(_, rs)| rs[0] != usize::MAX && rs.iter().all(|&r| r == rs[0]) && rows[rs[0]].dedicated.is_none())
        .map(|(c, rs)| (c, rs[0]))
        .collect();
    let boxes = |items: Vec<(usize, &MultiPolygon)>| {
        RTree::bulk_load(
            items
                .into_iter()
                .filter_map(|(i, poly)| {
                    let b = poly.bounding_rect()?;
                    Some(rstar::primitives::GeomWithData::new(
                        rstar::primitives::Rectangle::from_corners([b.min().x, b.min().y], [b.max().x, b.max().y]),
                        i,
                    ))
                })
                .collect(),
        )
    };
    let compounds = boxes(d.compounds.iter().map(|c| &c.polygon).enumerate().collect());
    let footprint = |s: usize| match p.sites[s].member {
        Member::Building(b) => d.buildings[b].footprint.as_ref(),
        Member::Household(_) => None,
    };
    let placed: Vec<usize> = (0..p.sites.len()).filter(|&s| row_of_site[s] != usize::MAX).collect();
    let buildings = boxes(placed.iter().filter_map(|&s| Some((s, footprint(s)?))).collect());
    let dedicated =
        boxes(rows.iter().enumerate().filter(|(_, r)| r.dedicated.is_some()).map(|(i, r)| (i, &r.polygon)).collect());
    whole
        .par_iter()
        .filter(|&&(c, r)| {
            let poly = &d.compounds[c].polygon;
            let street = &d.admin_areas[rows[r].street].polygon;
            let mut inside = poly.intersection(street);
            if let Some(b) = poly.bounding_rect() {
                let env = rstar::AABB::from_corners([b.min().x, b.min().y], [b.max().x, b.max().y]);
                let area = poly.unsigned_area();
                let mut others: Vec<&MultiPolygon> = Vec::new();
                for e in compounds.locate_in_envelope(&env) {
                    let other = &d.compounds[e.data].polygon;
                    if e.data != c && other.unsigned_area() < area && geo::Contains::contains(poly, other) {
                        others.push(other);
                    }
                }
                let mut ids: Vec<usize> = buildings
                    .locate_in_envelope_intersecting(&env)
                    .map(|e| e.data)
                    .filter(|&s| row_of_site[s] != r)
                    .collect();
                ids.sort_unstable();
                others.extend(ids.into_iter().filter_map(footprint).filter(|fp| fp.intersects(poly)));
                let mut ids: Vec<usize> = dedicated.locate_in_envelope_intersecting(&env).map(|e| e.data).collect();
                ids.sort_unstable();
                others.extend(ids.into_iter().map(|i| &rows[i].polygon).filter(|g| g.intersects(poly)));
                for other in others {
                    inside = inside.difference(other);
                }
            }
            let apart = inside.difference(&rows[r].polygon);
            let elsewhere = apart.unsigned_area();
            let drawn_apart = elsewhere > 0.05 * inside.unsigned_area();
            if drawn_apart && debugging() {
                let at = geo::Centroid::centroid(&apart).map(|p| (p.x(), p.y())).unwrap_or_default();
                eprintln!(
                    "compound drawn apart: {} in {} {elsewhere:.0} of {:.0} m² elsewhere, at ({:.0}, {:.0})",
                    d.compounds[c].id,
                    rows[r].grid_id,
                    inside.unsigned_area(),
                    at.0,
                    at.1
                );
            }
            drawn_apart
        })
        .count() as u64
}
