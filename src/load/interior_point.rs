//! geo's interior point of a polygon, point for point, without its two costly steps. geo finds where the
//! horizontal scan line through the middle of the bounding box crosses the rings by a sweep over *every pair*
//! of the polygon's segments and the scan line (keeping the pairs with the scan line), and tests each
//! candidate midpoint with the full relate machinery. Here each segment is intersected with the scan line
//! directly — same predicate, same argument order as the sweep gives it, so the same coordinates — and the
//! midpoint of a valid polygon is located with geo's coordinate position, which is what relate itself asks
//! for a lone point (an invalid polygon still goes through relate).
//! On outlines of thousands of vertices (pieces of blocks along roads) that was 5 % of a Harbin run.

use geo::coordinate_position::{CoordPos, CoordinatePosition};
use geo::line_intersection::{LineIntersection, line_intersection};
use geo::{BoundingRect, Coord, CoordsIter, Line, MultiPolygon, Point, Polygon, Relate};
use std::cmp::Ordering;

/// geo's `InteriorPoint` of a multipolygon: of its parts' points, the one on the longest inner stretch of
/// the scan line.
pub fn interior_point(mp: &MultiPolygon) -> Option<Point> {
    mp.0.iter().filter_map(with_stretch).min_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(Ordering::Less)).map(|(p, _)| p)
}

/// geo's `InteriorPoint` of a polygon.
pub fn polygon_interior_point(p: &Polygon) -> Option<Point> {
    with_stretch(p).map(|(point, _)| point)
}

/// The interior point and the length of the stretch of scan line it is the middle of (zero when the point
/// is only on the boundary), as geo computes them.
fn with_stretch(polygon: &Polygon) -> Option<(Point, f64)> {
    if polygon.exterior().0.len() == 1 {
        return Some((polygon.exterior().0[0].into(), 0.0));
    }
    let bounds = polygon.bounding_rect()?;
    let mut y_mid = (bounds.min().y + bounds.max().y) / 2.0;
    if polygon.coords_iter().any(|c| c.y == y_mid) {
        let next_closest = polygon
            .coords_iter()
            .filter(|c| c.y != y_mid)
            .map(|c| (c.y, (c.y - y_mid).abs()))
            .min_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(Ordering::Less));
        if let Some((closest, _)) = next_closest {
            y_mid = (y_mid + closest) / 2.0;
        }
    }
    let scan = Line::new(Coord { x: bounds.min().x, y: y_mid }, Coord { x: bounds.max().x, y: y_mid });
    let mut crossings: Vec<Point> = Vec::new();
    for segment in polygon.exterior().lines().chain(polygon.interiors().iter().flat_map(|r| r.lines())) {
        // geo's sweep sorts segments by their left x, stably, with the scan line last: a segment starting
        // exactly at the scan line's left end comes first in the pair, every other one second.
        let left = if segment.start.x < segment.end.x { segment.start.x } else { segment.end.x };
        let found = if left.total_cmp(&scan.start.x) == Ordering::Equal {
            line_intersection(segment, scan)
        } else {
            line_intersection(scan, segment)
        };
        match found {
            Some(LineIntersection::Collinear { intersection }) => {
                crossings.push(intersection.start.into());
                crossings.push(intersection.end.into());
            }
            Some(LineIntersection::SinglePoint { intersection, .. }) => crossings.push(intersection.into()),
            None => {}
        }
    }
    crossings.sort_by(|a, b| a.x().total_cmp(&b.x()));
    let mut stretches: Vec<(Point, f64)> =
        crossings.windows(2).map(|w| (Point::new((w[0].x() + w[1].x()) / 2.0, y_mid), w[1].x() - w[0].x())).collect();
    stretches.sort_by(|a, b| b.1.total_cmp(&a.1));
    // On a valid polygon a lone point's relation is its coordinate position; on an invalid one (a hole
    // across the shell, a ring crossing itself) relate labels the graph otherwise, so geo's answer is asked.
    let valid = super::validity::polygon_is_valid(polygon);
    let position = |p: &Point| {
        if valid {
            polygon.coordinate_position(&p.0)
        } else {
            let relation = polygon.relate(p);
            if relation.is_contains() {
                CoordPos::Inside
            } else if relation.is_intersects() {
                CoordPos::OnBoundary
            } else {
                CoordPos::Outside
            }
        }
    };
    for (midpoint, length) in stretches {
        match position(&midpoint) {
            CoordPos::Inside => return Some((midpoint, length)),
            CoordPos::OnBoundary => return Some((midpoint, 0.0)),
            CoordPos::Outside => {}
        }
    }
    polygon.coords_iter().next().map(|c| (c.into(), 0.0))
}

#[cfg(test)]
mod tests {
    use super::super::validity::tests::ring;
    use super::*;
    use geo::{InteriorPoint, LineString};
    use proptest::prelude::*;

    fn same_as_geo(mp: &MultiPolygon) -> Result<(), TestCaseError> {
        let ours = interior_point(mp).map(|p| (p.x().to_bits(), p.y().to_bits()));
        let geos = mp.interior_point().map(|p| (p.x().to_bits(), p.y().to_bits()));
        prop_assert_eq!(ours, geos, "{:?}", mp);
        for p in &mp.0 {
            let ours = polygon_interior_point(p).map(|p| (p.x().to_bits(), p.y().to_bits()));
            prop_assert_eq!(ours, p.interior_point().map(|p| (p.x().to_bits(), p.y().to_bits())), "{:?}", p);
        }
        Ok(())
    }

    #[test]
    fn the_cases_geo_knows() {
        let square = ring(&[(0.0, 0.0), (4.0, 0.0), (4.0, 4.0), (0.0, 4.0)]);
        let u_shape =
            ring(&[(0.0, 0.0), (6.0, 0.0), (6.0, 4.0), (4.0, 4.0), (4.0, 1.0), (2.0, 1.0), (2.0, 4.0), (0.0, 4.0)]);
        let hole = ring(&[(1.0, 1.0), (3.0, 1.0), (3.0, 3.0), (1.0, 3.0)]);
        let cases = [
            MultiPolygon::new(vec![Polygon::new(square.clone(), vec![])]),
            MultiPolygon::new(vec![Polygon::new(u_shape, vec![])]),
            MultiPolygon::new(vec![Polygon::new(square.clone(), vec![hole])]),
            MultiPolygon::new(vec![Polygon::new(ring(&[(0.0, 0.0), (1.0, 1.0), (2.0, 2.0)]), vec![])]),
            MultiPolygon::new(vec![Polygon::new(LineString::new(vec![Coord { x: 1.0, y: 1.0 }]), vec![])]),
            MultiPolygon::new(vec![Polygon::new(LineString::new(vec![]), vec![])]),
            MultiPolygon::new(vec![]),
            // A flat part (its stretch on its own boundary, so ranked last) beside a small square.
            MultiPolygon::new(vec![
                Polygon::new(ring(&[(0.0, 0.0), (20.0, 0.0), (10.0, 0.0)]), vec![]),
                Polygon::new(ring(&[(30.0, 0.0), (31.0, 0.0), (31.0, 1.0), (30.0, 1.0)]), vec![]),
            ]),
        ];
        for mp in &cases {
            same_as_geo(mp).unwrap();
        }
    }

    proptest! {
        // Rings on a small lattice (collinear runs along the scan line, vertices on it, crossings, spikes,
        // holes anywhere) and rings of arbitrary coordinates (crossings computed, not copied), in
        // multipolygons of one or two parts.
        #[test]
        fn same_point_as_geo(
            points in proptest::collection::vec((0i8..6, 0i8..6), 3..12),
            hole in proptest::collection::vec((0i8..6, 0i8..6), 0..6),
            free in proptest::collection::vec((-50.0f64..50.0, -50.0f64..50.0), 3..30),
            scale in prop_oneof![Just(1.0), Just(0.1), Just(1e5 / 3.0)],
        ) {
            let f = |v: &[(i8, i8)]| v.iter().map(|&(x, y)| (f64::from(x) * scale, f64::from(y) * scale)).collect::<Vec<_>>();
            let holes = if hole.len() >= 3 { vec![ring(&f(&hole))] } else { vec![] };
            let lattice = Polygon::new(ring(&f(&points)), holes);
            let free = Polygon::new(ring(&free), vec![]);
            same_as_geo(&MultiPolygon::new(vec![lattice.clone()]))?;
            same_as_geo(&MultiPolygon::new(vec![free.clone()]))?;
            same_as_geo(&MultiPolygon::new(vec![lattice, free]))?;
        }
    }
}
