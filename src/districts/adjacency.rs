//! Rook and queen adjacency of a polygon layer, from the boundaries themselves rather than shared vertices:
//! two units are rook neighbours when their boundaries run along each other for a length > 0 (collinear
//! segments overlapping, whatever their vertices: a T-junction or a boundary digitised with different
//! points on each side still counts), queen neighbours when they also only touch at a point. Lengths are in
//! the layer's own units, as GerryChain's `shared_perim`; `boundary_perim` is the part of a unit's perimeter
//! that no other unit shares (the outside of the map). Tolerance: 10⁻⁹ of the layer's extent.

use geo::{Area, Coord, MultiPolygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};
use std::collections::BTreeMap;

/// Which neighbours count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Contiguity {
    /// A shared boundary of positive length.
    Rook,
    /// Any shared point.
    Queen,
}

/// The adjacency of a polygon layer.
#[derive(Debug, Clone)]
pub struct Adjacency {
    /// Edges `(a, b)`, `a < b`, ascending.
    pub edges: Vec<(usize, usize)>,
    /// Shared boundary length of every edge (0 for queen-only point contacts).
    pub shared_perim: Vec<f64>,
    /// Area of every unit.
    pub area: Vec<f64>,
    /// Perimeter of every unit shared with no other unit.
    pub boundary_perim: Vec<f64>,
}

struct Segment {
    unit: usize,
    p: Coord,
    q: Coord,
}

/// The rook or queen adjacency of `units` (one multipolygon each, in any planar or geographic coordinates).
pub fn adjacency(units: &[MultiPolygon<f64>], contiguity: Contiguity) -> Adjacency {
    let mut segments = Vec::new();
    let (mut lo, mut hi) = (Coord { x: f64::MAX, y: f64::MAX }, Coord { x: f64::MIN, y: f64::MIN });
    let mut perimeter = vec![0.0; units.len()];
    for (unit, mp) in units.iter().enumerate() {
        for poly in mp {
            for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                for line in ring.lines() {
                    let (p, q) = (line.start, line.end);
                    if p == q {
                        continue;
                    }
                    lo = Coord { x: lo.x.min(p.x), y: lo.y.min(p.y) };
                    hi = Coord { x: hi.x.max(p.x), y: hi.y.max(p.y) };
                    perimeter[unit] += (q - p).x.hypot((q - p).y);
                    segments.push(Segment { unit, p, q });
                }
            }
        }
    }
    let tol = ((hi.x - lo.x).max(hi.y - lo.y) * 1e-9).max(f64::MIN_POSITIVE);
    let boxes: Vec<GeomWithData<Rectangle<[f64; 2]>, usize>> = segments
        .iter()
        .enumerate()
        .map(|(i, s)| GeomWithData::new(Rectangle::from_corners([s.p.x, s.p.y], [s.q.x, s.q.y]), i))
        .collect();
    let tree = RTree::bulk_load(boxes);
    let mut shared: BTreeMap<(usize, usize), f64> = BTreeMap::new();
    for s in &segments {
        let env = AABB::from_corners(
            [s.p.x.min(s.q.x) - tol, s.p.y.min(s.q.y) - tol],
            [s.p.x.max(s.q.x) + tol, s.p.y.max(s.q.y) + tol],
        );
        for hit in tree.locate_in_envelope_intersecting(&env) {
            let t = &segments[hit.data];
            if t.unit <= s.unit {
                continue;
            }
            let overlap = collinear_overlap(s, t, tol);
            if overlap > tol {
                *shared.entry((s.unit, t.unit)).or_insert(0.0) += overlap;
            } else if contiguity == Contiguity::Queen && segments_touch(s, t, tol) {
                shared.entry((s.unit, t.unit)).or_insert(0.0);
            }
        }
    }
    let mut boundary_perim = perimeter;
    let mut edges = Vec::with_capacity(shared.len());
    let mut lengths = Vec::with_capacity(shared.len());
    for (&(a, b), &len) in &shared {
        if contiguity == Contiguity::Rook && len <= tol {
            continue;
        }
        edges.push((a, b));
        lengths.push(len);
        boundary_perim[a] -= len;
        boundary_perim[b] -= len;
    }
    for b in &mut boundary_perim {
        // Rounding, or a unit overlapping its neighbours: never a negative length.
        if *b < tol * 1e3 {
            *b = 0.0;
        }
    }
    let area = units.iter().map(|mp| mp.unsigned_area()).collect();
    Adjacency { edges, shared_perim: lengths, area, boundary_perim }
}

/// A polygon layer as a graph: one node per feature (id from `id_col`, else the feature's position), its
/// properties as attributes plus `area` and `boundary_perim`, and `shared_perim` on every edge — the graph
/// GerryChain's `Graph.from_geodataframe` would build.
pub fn graph_from_table(
    table: &crate::load::source::Table,
    id_col: Option<&str>,
    contiguity: Contiguity,
) -> Result<crate::load::graph_json::GraphJson, crate::load::LoadError> {
    use crate::load::LoadError;
    use serde_json::{Map, Value};
    let mut units = Vec::with_capacity(table.records.len());
    let mut ids = Vec::with_capacity(table.records.len());
    let mut seen = std::collections::HashSet::new();
    for (n, r) in table.records.iter().enumerate() {
        let bad =
            |field: Option<&str>, rule: &str| LoadError::data(&table.path, Some(r.item.clone()), field, None, rule);
        let mp = match &r.geometry {
            Some(geo::Geometry::Polygon(p)) => MultiPolygon(vec![p.clone()]),
            Some(geo::Geometry::MultiPolygon(mp)) => mp.clone(),
            Some(_) => return Err(bad(None, "a unit of a districting layer is a polygon or multipolygon")),
            None => return Err(bad(None, "no geometry: every unit needs its polygon")),
        };
        let id = match id_col {
            Some(col) => match r.props.get(col) {
                Some(Value::String(s)) if !s.is_empty() => s.clone(),
                Some(v @ Value::Number(_)) => v.to_string(),
                _ => return Err(bad(Some(col), "missing: every unit needs an id")),
            },
            None => r.feature_id.clone().unwrap_or_else(|| n.to_string()),
        };
        if !seen.insert(id.clone()) {
            return Err(LoadError::data(
                &table.path,
                Some(r.item.clone()),
                id_col,
                Some(id),
                "each unit id appears once",
            ));
        }
        units.push(mp);
        ids.push(id);
    }
    let adj = adjacency(&units, contiguity);
    let attributes = table
        .records
        .iter()
        .zip(adj.area.iter().zip(&adj.boundary_perim))
        .map(|(r, (&area, &boundary))| {
            let mut a = r.props.clone();
            a.insert("area".into(), serde_json::json!(area));
            a.insert("boundary_perim".into(), serde_json::json!(boundary));
            a.insert("boundary_node".into(), Value::Bool(boundary > 0.0));
            a
        })
        .collect();
    let edge_attributes = adj
        .shared_perim
        .iter()
        .map(|&l| Map::from_iter([("shared_perim".to_string(), serde_json::json!(l))]))
        .collect();
    Ok(crate::load::graph_json::GraphJson {
        path: table.path.clone(),
        ids,
        attributes,
        edges: adj.edges,
        edge_attributes,
    })
}

/// Length along `s` over which `t` runs on the same line (0 when they are not collinear within `tol`).
fn collinear_overlap(s: &Segment, t: &Segment, tol: f64) -> f64 {
    let d = s.q - s.p;
    let len = d.x.hypot(d.y);
    let off = |c: Coord| ((c - s.p).x * d.y - (c - s.p).y * d.x).abs() / len;
    if off(t.p) > tol || off(t.q) > tol {
        return 0.0;
    }
    let along = |c: Coord| ((c - s.p).x * d.x + (c - s.p).y * d.y) / len;
    let (a, b) = (along(t.p), along(t.q));
    (a.max(b).min(len) - a.min(b).max(0.0)).max(0.0)
}

/// Whether two segments come within `tol` of each other.
fn segments_touch(s: &Segment, t: &Segment, tol: f64) -> bool {
    use geo::{Distance, Euclidean, Line};
    Euclidean.distance(&Line::new(s.p, s.q), &Line::new(t.p, t.q)) <= tol
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Rect, coord};

    fn square(x: f64, y: f64, w: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![Rect::new(coord! { x: x, y: y }, coord! { x: x + w, y: y + w }).to_polygon()])
    }

    #[test]
    fn rook_needs_a_shared_length_queen_a_shared_point_and_t_junctions_count() {
        // 2 × 2 unit squares, plus a 2-wide square on top whose bottom edge has no vertex at x = 1.
        let units = vec![
            square(0.0, 0.0, 1.0),
            square(1.0, 0.0, 1.0),
            square(0.0, 1.0, 1.0),
            square(1.0, 1.0, 1.0),
            square(0.0, 2.0, 2.0),
        ];
        let rook = adjacency(&units, Contiguity::Rook);
        assert_eq!(rook.edges, [(0, 1), (0, 2), (1, 3), (2, 3), (2, 4), (3, 4)]);
        assert!(rook.shared_perim.iter().all(|&l| (l - 1.0).abs() < 1e-9), "{:?}", rook.shared_perim);
        let queen = adjacency(&units, Contiguity::Queen);
        assert_eq!(queen.edges, [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3), (2, 4), (3, 4)]);
        // Unit 0 has its left and bottom sides on the outside.
        assert!((rook.boundary_perim[0] - 2.0).abs() < 1e-9 && (rook.area[4] - 4.0).abs() < 1e-12);
    }
}
