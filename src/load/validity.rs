//! Polygon validity exactly as geo's `Validation::is_valid` decides it, with the ring self-intersection test
//! made sub-quadratic. geo tests every pair of a ring's segments; grid and micro-grid outlines run along
//! roads and walls with hundreds to thousands of vertices per ring, and that test was 4 % of a Harbin run's
//! CPU (the outline checks validate every written outline). Here a ring's segments are swept by x and only
//! pairs whose bounding boxes overlap are tested, with geo's own predicate — segments whose boxes are apart
//! cannot intersect, so the answer is the same (the tests compare both). The rest (too few points, non-finite
//! coordinates, holes against the exterior and each other, parts of a multipolygon against each other) is
//! geo's, called as geo calls it.

use geo::RemoveRepeatedPoints;
use geo::coordinate_position::CoordPos;
use geo::dimensions::Dimensions;
use geo::relate::IntersectionMatrix;
use geo::{HasDimensions, Intersects, Line, LineString, MultiPolygon, Polygon, PreparedGeometry, Relate};

/// Whether `mp` is valid: the same answer as `geo::Validation::is_valid`.
pub fn is_valid(mp: &MultiPolygon) -> bool {
    mp.0.iter()
        .enumerate()
        .all(|(i, p)| polygon_is_valid(p) && mp.0[i + 1..].iter().all(|q| !overlap_or_share_a_line(&p.relate(q))))
}

/// Whether `p` is valid: the same answer as `geo::Validation::is_valid`.
pub fn polygon_is_valid(p: &Polygon) -> bool {
    if p.is_empty() {
        return true;
    }
    let rings_ok = std::iter::once(p.exterior()).chain(p.interiors()).filter(|r| !r.is_empty()).all(|r| {
        r.remove_repeated_points().0.len() >= 4
            && r.0.iter().all(|c| c.x.is_finite() && c.y.is_finite())
            && !has_self_intersection(r)
    });
    if !rings_ok {
        return false;
    }
    let holes: Vec<Polygon> =
        p.interiors().iter().filter(|r| !r.is_empty()).map(|r| Polygon::new(r.clone(), vec![])).collect();
    if holes.is_empty() {
        return true;
    }
    let exterior = Polygon::new(p.exterior().clone(), vec![]);
    let exterior = PreparedGeometry::from(&exterior);
    holes.iter().enumerate().all(|(i, hole)| {
        let prepared = PreparedGeometry::from(hole);
        let against_exterior = exterior.relate(&prepared);
        against_exterior.is_contains()
            && against_exterior.get(CoordPos::OnBoundary, CoordPos::OnBoundary) != Dimensions::OneDimensional
            && holes[i + 1..].iter().all(|other| !overlap_or_share_a_line(&prepared.relate(other)))
    })
}

/// Two parts (or two holes) that overlap on an area or touch along a line.
fn overlap_or_share_a_line(m: &IntersectionMatrix) -> bool {
    m.get(CoordPos::Inside, CoordPos::Inside) == Dimensions::TwoDimensional
        || m.get(CoordPos::OnBoundary, CoordPos::OnBoundary) == Dimensions::OneDimensional
}

/// geo's test — two segments that intersect where neither ends at the other's start — on the pairs whose
/// bounding boxes overlap, found by a sweep along x. The test is symmetric, so each pair is tested once.
fn has_self_intersection(ring: &LineString) -> bool {
    let lines: Vec<Line> = ring.lines().collect();
    let x_min = |l: &Line| l.start.x.min(l.end.x);
    let mut by_x: Vec<usize> = (0..lines.len()).collect();
    by_x.sort_unstable_by(|&a, &b| x_min(&lines[a]).total_cmp(&x_min(&lines[b])));
    for (k, &i) in by_x.iter().enumerate() {
        let a = &lines[i];
        let a_x_max = a.start.x.max(a.end.x);
        let (a_y_min, a_y_max) = (a.start.y.min(a.end.y), a.start.y.max(a.end.y));
        for &j in &by_x[k + 1..] {
            let b = &lines[j];
            if x_min(b) > a_x_max {
                break;
            }
            if b.start.y.min(b.end.y) > a_y_max || b.start.y.max(b.end.y) < a_y_min {
                continue;
            }
            if a.intersects(b) && a.start != b.end && a.end != b.start {
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use geo::{Coord, Validation};
    use proptest::prelude::*;

    /// A closed ring through `points` (shared with the interior point's tests).
    pub(crate) fn ring(points: &[(f64, f64)]) -> LineString {
        let mut r: Vec<Coord> = points.iter().map(|&(x, y)| Coord { x, y }).collect();
        if let Some(&first) = r.first() {
            r.push(first);
        }
        LineString::new(r)
    }

    #[test]
    fn the_cases_geo_knows() {
        let square = ring(&[(0.0, 0.0), (4.0, 0.0), (4.0, 4.0), (0.0, 4.0)]);
        let bowtie = ring(&[(0.0, 0.0), (4.0, 4.0), (4.0, 0.0), (0.0, 4.0)]);
        let spike = ring(&[(0.0, 0.0), (4.0, 0.0), (4.0, 4.0), (2.0, 4.0), (2.0, 6.0), (2.0, 4.0), (0.0, 4.0)]);
        let hole = ring(&[(1.0, 1.0), (2.0, 1.0), (2.0, 2.0), (1.0, 2.0)]);
        let touching_hole = ring(&[(0.0, 2.0), (2.0, 1.0), (3.0, 2.0), (2.0, 3.0)]);
        let outside_hole = ring(&[(5.0, 5.0), (6.0, 5.0), (6.0, 6.0)]);
        let cases = [
            Polygon::new(square.clone(), vec![]),
            Polygon::new(bowtie, vec![]),
            Polygon::new(spike, vec![]),
            Polygon::new(square.clone(), vec![hole.clone()]),
            Polygon::new(square.clone(), vec![hole.clone(), hole]),
            Polygon::new(square.clone(), vec![touching_hole]),
            Polygon::new(square.clone(), vec![outside_hole]),
            Polygon::new(ring(&[(0.0, 0.0), (1.0, 1.0), (2.0, 2.0)]), vec![]),
            Polygon::new(LineString::new(vec![]), vec![]),
        ];
        let mut verdicts = Vec::new();
        for p in &cases {
            assert_eq!(polygon_is_valid(p), p.is_valid(), "{p:?}");
            verdicts.push(p.is_valid());
        }
        assert!(verdicts.contains(&true) && verdicts.contains(&false));
        let apart = Polygon::new(ring(&[(10.0, 0.0), (12.0, 0.0), (12.0, 2.0)]), vec![]);
        let sharing_an_edge = Polygon::new(ring(&[(4.0, 0.0), (6.0, 0.0), (6.0, 4.0), (4.0, 4.0)]), vec![]);
        let first = Polygon::new(square, vec![]);
        for mp in [
            MultiPolygon::new(vec![first.clone(), apart]),
            MultiPolygon::new(vec![first.clone(), sharing_an_edge]),
            MultiPolygon::new(vec![first.clone(), first]),
        ] {
            assert_eq!(is_valid(&mp), mp.is_valid(), "{mp:?}");
        }
    }

    proptest! {
        // Rings of a few points on a small integer lattice: collinear runs, repeated points, spikes, crossings
        // and touching segments all come up often.
        #[test]
        fn same_verdict_as_geo(
            points in proptest::collection::vec((0i8..6, 0i8..6), 3..12),
            hole in proptest::collection::vec((0i8..6, 0i8..6), 0..6),
        ) {
            let f = |v: &[(i8, i8)]| v.iter().map(|&(x, y)| (f64::from(x), f64::from(y))).collect::<Vec<_>>();
            let outer = ring(&f(&points));
            // The sweep against the definition: every ordered pair of distinct segments.
            let lines: Vec<Line> = outer.lines().collect();
            let every_pair = lines.iter().enumerate().any(|(i, a)| {
                lines.iter().enumerate().any(|(j, b)| i != j && a.intersects(b) && a.start != b.end && a.end != b.start)
            });
            prop_assert_eq!(has_self_intersection(&outer), every_pair);
            let holes = if hole.len() >= 3 { vec![ring(&f(&hole))] } else { vec![] };
            let p = Polygon::new(outer, holes);
            prop_assert_eq!(polygon_is_valid(&p), p.is_valid());
        }
    }
}
