//! Polygon operations on one fixed integer grid. i_overlay converts floats to integers with a scale and an
//! offset it picks from each operation's bounding box, so two operations round the same point differently and
//! neighbouring outlines drift apart by a fraction of a millimetre — enough for GEOS to see gaps, overlaps and
//! self-touching rings. Here every operation of a run uses one adapter (offset 0, a power-of-two scale chosen
//! from the data's extent), so a vertex means the same float in every polygon built from it.

use geo::{Coord, LineString, MultiPolygon, Polygon};
use i_overlay::core::fill_rule::FillRule;
use i_overlay::core::overlay_rule::OverlayRule;
use i_overlay::float::overlay::{FloatOverlay, OverlayOptions};
use i_overlay::float::string_overlay::FloatStringOverlay;
use i_overlay::i_float::adapter::FloatPointAdapter;
use i_overlay::i_float::float::rect::FloatRect;
use i_overlay::i_shape::base::data::Shapes;
use i_overlay::string::rule::StringRule;

type Pt = [f64; 2];

/// The integer grid of one run.
#[derive(Clone)]
pub struct FixedGrid {
    adapter: FloatPointAdapter<Pt, f64>,
    scale: f64,
}

impl FixedGrid {
    /// A grid for coordinates within `extent_m` of the projection's centre: the finest power-of-two scale up
    /// to 1,024 per metre (≈ 1 mm) that keeps every coordinate inside i32 with room for intersections.
    pub fn for_extent(extent_m: f64) -> FixedGrid {
        let extent = extent_m.abs().max(1.0) * 2.0;
        let mut scale = 1024.0f64;
        while scale > 1.0 / 1024.0 && extent * scale > f64::from(1u32 << 29) {
            scale /= 2.0;
        }
        let reach = f64::from(1u32 << 30) / scale;
        let rect = FloatRect { min_x: -reach, max_x: reach, min_y: -reach, max_y: reach };
        let adapter = FloatPointAdapter { dir_scale: scale, inv_scale: 1.0 / scale, offset: [0.0, 0.0], rect };
        FixedGrid { adapter, scale }
    }

    /// Grid steps per metre.
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// The grid cell of a coordinate, as integers (for exact lookups of shared vertices).
    pub fn key(&self, c: Coord) -> (i64, i64) {
        ((c.x * self.scale).round() as i64, (c.y * self.scale).round() as i64)
    }

    fn options() -> OverlayOptions<f64> {
        // Every vertex of the graph is kept, so a neighbour's corner on this outline stays a shared vertex;
        // OGC output keeps rings simple (a hole touching its shell becomes part of the shell).
        OverlayOptions { preserve_output_collinear: true, ogc: true, ..OverlayOptions::default() }
    }

    /// `polygon` cut by `lines`: the faces of the arrangement inside it. Lines that end inside a face
    /// (dead-end streets) leave it whole.
    pub fn slice(&self, polygon: &MultiPolygon, lines: &[Vec<Coord>]) -> Vec<Polygon> {
        let shapes = to_shapes(polygon);
        let mut overlay = FloatStringOverlay::with_adapter(self.adapter.clone(), capacity(&shapes, lines));
        for shape in &shapes {
            for contour in shape {
                overlay = overlay.unsafe_add_shape_contour(contour);
            }
        }
        for line in lines {
            let path: Vec<Pt> = line.iter().map(|c| [c.x, c.y]).collect();
            overlay = overlay.unsafe_add_string_line(&path);
        }
        overlay
            .build_graph_view(FillRule::NonZero)
            .map(|g| g.extract_shapes_custom(StringRule::Slice, Self::options()))
            .map(from_shapes)
            .unwrap_or_default()
    }

    /// The union of polygons that share edges (faces of one slice), as one multipolygon.
    pub fn union<'a>(&self, polygons: impl IntoIterator<Item = &'a Polygon>) -> MultiPolygon {
        let mut overlay = FloatOverlay::new_custom(self.adapter.clone(), Self::options(), Default::default(), 64);
        for p in polygons {
            for contour in polygon_contours(p) {
                overlay = overlay.unsafe_add_contour(&contour, i_overlay::core::overlay::ShapeType::Subject);
            }
        }
        MultiPolygon::new(from_shapes(overlay.overlay(OverlayRule::Subject, FillRule::NonZero)))
    }

    /// `polygon` cut by `lines` with every building they run through kept whole: the walls of those
    /// buildings cut too, and the faces inside each such building joined again into one (a street's centre
    /// line running under a building then closes its block along the building's walls). Joining faces of one
    /// slice, rather than clipping the lines at the walls, keeps every line end exactly on a wall.
    pub fn slice_keeping(
        &self,
        polygon: &MultiPolygon,
        lines: &[Vec<Coord>],
        footprints: &[&MultiPolygon],
    ) -> Vec<Polygon> {
        use geo::{BoundingRect, Contains, Intersects};
        let crossed: Vec<&MultiPolygon> = if lines.is_empty() || footprints.is_empty() {
            Vec::new()
        } else {
            let segments: rstar::RTree<geo::Line> = rstar::RTree::bulk_load(
                lines.iter().flat_map(|l| l.windows(2).map(|w| geo::Line::new(w[0], w[1]))).collect(),
            );
            footprints
                .iter()
                .copied()
                .filter(|fp| {
                    fp.bounding_rect().is_some_and(|r| {
                        let env = rstar::AABB::from_corners(geo::Point::from(r.min()), geo::Point::from(r.max()));
                        segments.locate_in_envelope_intersecting(&env).any(|s| s.intersects(*fp))
                    })
                })
                .collect()
        };
        if crossed.is_empty() {
            return self.slice(polygon, lines);
        }
        let mut all = lines.to_vec();
        for fp in &crossed {
            for p in &fp.0 {
                all.extend(std::iter::once(p.exterior()).chain(p.interiors()).map(|r| r.0.clone()));
            }
        }
        let faces = self.slice(polygon, &all);
        // Each face inside a crossed building (the smallest, for buildings inside buildings) joins the others
        // inside it.
        let mut order: Vec<usize> = (0..crossed.len()).collect();
        order.sort_by(|&a, &b| geo::Area::unsigned_area(crossed[a]).total_cmp(&geo::Area::unsigned_area(crossed[b])));
        let mut inside: std::collections::BTreeMap<usize, Vec<Polygon>> = Default::default();
        let mut out = Vec::with_capacity(faces.len());
        for face in faces {
            let at = crate::load::geometry::representative_point(&MultiPolygon::new(vec![face.clone()]));
            match at.and_then(|at| order.iter().copied().find(|&i| crossed[i].contains(&at))) {
                Some(i) => inside.entry(i).or_default().push(face),
                None => out.push(face),
            }
        }
        for faces in inside.into_values() {
            if faces.len() == 1 {
                out.extend(faces);
            } else {
                out.extend(self.union(faces.iter()).0);
            }
        }
        out
    }
}

/// A polygon in output coordinates put on the lattice of `decimals` decimals and valid there: rounded, then
/// rebuilt on that lattice by i_overlay (where rounding pushed a vertex across a nearby edge, features closer
/// than the written precision, this repairs it), so the written file holds exactly valid rings. Rebuilding
/// every polygon costs less than testing each for validity first (geo's test is quadratic in its edges).
pub fn on_output_lattice(mp: &MultiPolygon, decimals: usize) -> MultiPolygon {
    let scale = 10f64.powi(decimals as i32);
    let rounded = geo::MapCoords::map_coords(mp, |c| Coord {
        x: (c.x * scale).round() / scale,
        y: (c.y * scale).round() / scale,
    });
    let rounded = geo::RemoveRepeatedPoints::remove_repeated_points(&rounded);
    // i_overlay keeps its integers within ±2^30: the offset is a whole degree near the polygon (a point of
    // every decimal lattice, so polygons with different offsets still share one lattice).
    let Some(first) = mp.0.first().and_then(|p| p.exterior().0.first()) else { return rounded };
    let offset = [first.x.round(), first.y.round()];
    let reach = f64::from(1u32 << 29) / scale;
    let rect = FloatRect {
        min_x: offset[0] - reach,
        max_x: offset[0] + reach,
        min_y: offset[1] - reach,
        max_y: offset[1] + reach,
    };
    let adapter = FloatPointAdapter { dir_scale: scale, inv_scale: 1.0 / scale, offset, rect };
    // Each polygon by the even-odd rule (a ring that rounding made cross itself has lobes wound both ways),
    // then the polygons together by the non-zero rule (rounding may make neighbours overlap by a hair).
    let mut all = FloatOverlay::new_custom(adapter.clone(), FixedGrid::options(), Default::default(), 64);
    for p in &rounded.0 {
        // Without OGC extraction here: with it, a thin hole that touches its shell was dropped whole (seen
        // on Harbin); the union below makes the result OGC-valid.
        let opts = OverlayOptions { preserve_output_collinear: true, ..OverlayOptions::default() };
        let mut one = FloatOverlay::new_custom(adapter.clone(), opts, Default::default(), 64);
        for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
            one = one.unsafe_add_contour(&open_ring(ring), i_overlay::core::overlay::ShapeType::Subject);
        }
        for shape in one.overlay(OverlayRule::Subject, FillRule::EvenOdd) {
            for contour in &shape {
                all = all.unsafe_add_contour(contour, i_overlay::core::overlay::ShapeType::Subject);
            }
        }
    }
    MultiPolygon::new(from_shapes(all.overlay(OverlayRule::Subject, FillRule::NonZero)))
}

fn capacity(shapes: &Shapes<Pt>, lines: &[Vec<Coord>]) -> usize {
    shapes.iter().flatten().map(Vec::len).sum::<usize>() + lines.iter().map(Vec::len).sum::<usize>()
}

fn open_ring(ls: &LineString) -> Vec<Pt> {
    let mut pts: Vec<Pt> = ls.0.iter().map(|c| [c.x, c.y]).collect();
    if pts.len() > 1 && pts.first() == pts.last() {
        pts.pop();
    }
    pts
}

/// The rings of a polygon for i_overlay's non-zero rule: exterior counter-clockwise, holes clockwise,
/// whatever the source's winding (a hole wound like its shell would count as filled).
fn polygon_contours(p: &Polygon) -> Vec<Vec<Pt>> {
    let p = geo::Orient::orient(p, geo::orient::Direction::Default);
    std::iter::once(p.exterior()).chain(p.interiors()).map(open_ring).filter(|r| r.len() >= 3).collect()
}

fn to_shapes(mp: &MultiPolygon) -> Shapes<Pt> {
    mp.0.iter().map(polygon_contours).filter(|s| !s.is_empty()).collect()
}

fn from_shapes(shapes: Shapes<Pt>) -> Vec<Polygon> {
    let ring = |r: Vec<Pt>| {
        let mut cs: Vec<Coord> = r.into_iter().map(|[x, y]| Coord { x, y }).collect();
        if let Some(&first) = cs.first() {
            cs.push(first);
        }
        LineString::new(cs)
    };
    shapes
        .into_iter()
        .filter_map(|shape| {
            let mut rings = shape.into_iter().filter(|r| r.len() >= 3);
            let exterior = ring(rings.next()?);
            Some(Polygon::new(exterior, rings.map(ring).collect()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Area;

    fn square(x0: f64, y0: f64, s: f64) -> MultiPolygon {
        MultiPolygon::new(vec![geo::Rect::new((x0, y0), (x0 + s, y0 + s)).to_polygon()])
    }
    fn line(pts: &[(f64, f64)]) -> Vec<Coord> {
        pts.iter().map(|&(x, y)| Coord { x, y }).collect()
    }

    #[test]
    fn a_crossing_line_cuts_and_a_dead_end_does_not() {
        let g = FixedGrid::for_extent(1000.0);
        let sq = square(0.0, 0.0, 100.0);
        let faces = g.slice(&sq, &[line(&[(50.0, -10.0), (50.0, 110.0)]), line(&[(-5.0, 30.0), (30.0, 30.0)])]);
        assert_eq!(faces.len(), 2, "{faces:?}");
        let total: f64 = faces.iter().map(|f| f.unsigned_area()).sum();
        assert!((total - 10_000.0).abs() < 1e-6);
    }

    #[test]
    fn faces_share_vertices_so_their_union_is_the_whole() {
        let g = FixedGrid::for_extent(1000.0);
        let sq = square(0.3, 0.7, 100.0);
        let faces = g.slice(&sq, &[line(&[(33.3, -10.0), (70.1, 110.0)]), line(&[(-10.0, 41.7), (110.0, 12.9)])]);
        assert_eq!(faces.len(), 4);
        let u = g.union(faces.iter());
        assert_eq!(u.0.len(), 1);
        assert!(u.0[0].interiors().is_empty());
        assert!((u.unsigned_area() - 10_000.0).abs() < 0.01);
        // A T-junction vertex of one face is on its neighbour too.
        let keys = |p: &Polygon| p.exterior().0.iter().map(|&c| g.key(c)).collect::<std::collections::BTreeSet<_>>();
        let all: Vec<_> = faces.iter().map(keys).collect();
        let centre = faces
            .iter()
            .flat_map(|f| f.exterior().0.iter())
            .filter(|c| c.x > 1.0 && c.x < 99.0 && c.y > 1.0 && c.y < 99.0)
            .map(|&c| g.key(c))
            .next()
            .unwrap();
        assert_eq!(all.iter().filter(|k| k.contains(&centre)).count(), 4);
    }

    #[test]
    fn a_line_under_a_building_closes_its_block_along_the_walls() {
        let g = FixedGrid::for_extent(1000.0);
        // A road across the square runs under a building on it: three faces, the building whole.
        let b = square(40.0, 40.0, 20.0);
        let faces = g.slice_keeping(&square(0.0, 0.0, 100.0), &[line(&[(-10.0, 50.0), (110.0, 50.0)])], &[&b]);
        let mut areas: Vec<f64> = faces.iter().map(|f| f.unsigned_area()).collect();
        areas.sort_by(f64::total_cmp);
        assert_eq!(areas.len(), 3, "{faces:?}");
        assert!((areas[0] - 400.0).abs() < 0.01 && (areas[1] - 4_800.0).abs() < 0.01, "{areas:?}");
        // A building the line does not touch is not cut out.
        let away = square(10.0, 70.0, 10.0);
        assert_eq!(
            g.slice_keeping(&square(0.0, 0.0, 100.0), &[line(&[(-10.0, 50.0), (110.0, 50.0)])], &[&away]).len(),
            2
        );
    }
}
