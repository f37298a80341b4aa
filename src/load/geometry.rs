//! Geometry checks on load: coordinates in range and in the declared CRS (with swapped lat/lon detected),
//! conversion to WGS84, and repair of invalid polygons.

use super::error::{Item, LoadError};
use crate::crs::{Crs, in_china};
use geo::{Coord, Geometry, MapCoords, MultiPolygon, Validation};
use std::path::Path;

/// Converts every coordinate of `g` from `crs` to WGS84, checking that it is a valid lon/lat, that it is in
/// China when the CRS only exists there, and that latitude and longitude were not swapped.
pub fn to_wgs84(g: &Geometry<f64>, crs: Crs, path: &Path, item: &Item) -> Result<Geometry<f64>, LoadError> {
    g.try_map_coords(|c| {
        check_coord(c, crs, path, item)?;
        let (x, y) = crs.to_wgs84(c.x, c.y);
        Ok(Coord { x, y })
    })
}

/// Checks one source coordinate (see [`to_wgs84`]).
pub fn check_coord(c: Coord, crs: Crs, path: &Path, item: &Item) -> Result<(), LoadError> {
    let err = |rule: String| {
        LoadError::data(path, Some(item.clone()), Some("coordinates"), Some(format!("({}, {})", c.x, c.y)), rule)
    };
    if !(c.x.is_finite() && c.y.is_finite()) {
        return Err(err("coordinates must be finite numbers".into()));
    }
    let valid = |lon: f64, lat: f64| lon.abs() <= 180.0 && lat.abs() <= 90.0;
    if !valid(c.x, c.y) {
        return Err(err(if valid(c.y, c.x) {
            "latitude and longitude look swapped: GeoJSON and the lon/lat columns take longitude first (x = lon, y = lat)"
                .into()
        } else {
            "not a longitude/latitude: must be within ±180, ±90 (projected coordinates are not supported; export lon/lat)"
                .into()
        }));
    }
    if crs.china_only() && !in_china(c.x, c.y) {
        return Err(err(if in_china(c.y, c.x) {
            format!("latitude and longitude look swapped: ({}, {}) would be in China", c.y, c.x)
        } else {
            format!("outside China while the layer is declared `{crs}`, which exists only in China; is the CRS right?")
        }));
    }
    Ok(())
}

/// A point inside a polygon: its centroid when that lies inside (fast, and central, for the convex-ish
/// footprints most buildings have), otherwise geo's interior point (as [`super::interior_point`] computes it).
pub fn representative_point(mp: &MultiPolygon) -> Option<geo::Point> {
    use geo::{Centroid, Contains};
    // Polygon by polygon: a multipolygon's `contains` goes through the general relate machinery.
    match mp.centroid() {
        Some(c) if mp.0.iter().any(|p| p.contains(&c)) => Some(c),
        _ => super::interior_point::interior_point(mp),
    }
}

/// Boolean operations leave slivers: parts and holes under a square metre, rings of too few points. Drops
/// them and repairs what is still invalid, so every written outline is a valid polygon.
pub fn clean(mp: MultiPolygon) -> MultiPolygon {
    use geo::{MakeValid, RemoveRepeatedPoints};
    let min = MIN_POLYGON_AREA_M2;
    let ring_ok = |r: &geo::LineString| {
        r.0.len() >= 4 && {
            use geo::Area;
            geo::Polygon::new(r.clone(), vec![]).unsigned_area()
        } >= min
    };
    let parts: Vec<geo::Polygon> = mp
        .remove_repeated_points()
        .0
        .into_iter()
        .filter(|p| ring_ok(p.exterior()))
        .map(|p| {
            let (ext, holes) = p.into_inner();
            geo::Polygon::new(ext, holes.into_iter().filter(|h| ring_ok(h)).collect())
        })
        .collect();
    let out = MultiPolygon::new(parts);
    if super::validity::is_valid(&out) { out } else { out.make_valid().unwrap_or(out) }
}

/// Outcome of checking a polygon.
#[derive(Debug)]
pub enum PolygonCheck {
    /// Valid as given.
    Valid(MultiPolygon),
    /// Invalid and repaired; the message says what was wrong.
    Repaired(MultiPolygon, String),
}

/// Polygons smaller than this are degenerate (a line drawn as a polygon): no building, compound or area is
/// under a square metre.
pub const MIN_POLYGON_AREA_M2: f64 = 1.0;

/// Validates a projected polygon; invalid ones (self-intersections, bow-ties, bad rings) are repaired with
/// geo's `MakeValid` (constrained-Delaunay, even-odd rule) and reported. A polygon that is, or repairs to,
/// less than [`MIN_POLYGON_AREA_M2`] (collinear points, a line drawn as a polygon) is rejected with an error.
pub fn check_polygon(mp: MultiPolygon, path: &Path, item: &Item) -> Result<PolygonCheck, LoadError> {
    use geo::{Area, MakeValid};
    let mp = remove_repeats(mp);
    let reject = |rule: String| LoadError::data(path, Some(item.clone()), Some("geometry"), None, rule);
    // geo's own check names the problem; the faster test with the same verdict answers the common case.
    let verdict = if super::validity::is_valid(&mp) { Ok(()) } else { mp.check_validation() };
    match verdict {
        Ok(()) if mp.unsigned_area() >= MIN_POLYGON_AREA_M2 => Ok(PolygonCheck::Valid(mp)),
        Ok(()) => Err(reject(format!(
            "degenerate polygon of {:.2} m² (under {MIN_POLYGON_AREA_M2} m²); rejected",
            mp.unsigned_area()
        ))),
        Err(problem) => {
            let why = problem.to_string();
            let repaired = mp
                .make_valid()
                .map_err(|e| reject(format!("invalid polygon ({why}) that could not be repaired ({e}); rejected")))?;
            if repaired.0.is_empty() || repaired.unsigned_area() < MIN_POLYGON_AREA_M2 {
                return Err(reject(format!("invalid polygon ({why}) that repairs to nothing; rejected")));
            }
            let before = mp.unsigned_area();
            let after = repaired.unsigned_area();
            Ok(PolygonCheck::Repaired(
                repaired,
                format!("invalid polygon ({why}) repaired; area {before:.0} m² → {after:.0} m²"),
            ))
        }
    }
}

fn remove_repeats(mp: MultiPolygon) -> MultiPolygon {
    use geo::RemoveRepeatedPoints;
    mp.remove_repeated_points()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area, polygon};

    #[test]
    fn bowtie_is_repaired_and_reported() {
        let bowtie: MultiPolygon = polygon![(x: 0., y: 0.), (x: 10., y: 10.), (x: 10., y: 0.), (x: 0., y: 10.)].into();
        match check_polygon(bowtie, Path::new("b.geojson"), &Item::Feature(3, None)).expect("repairable") {
            PolygonCheck::Repaired(mp, why) => {
                assert!(mp.is_valid());
                assert!((mp.unsigned_area() - 50.0).abs() < 1e-6, "two triangles of 25 m²");
                assert!(why.contains("repaired"), "{why}");
            }
            PolygonCheck::Valid(_) => panic!("a bow-tie is not valid"),
        }
    }

    #[test]
    fn flat_polygon_is_rejected() {
        let flat: MultiPolygon = polygon![(x: 0., y: 0.), (x: 5., y: 0.), (x: 10., y: 0.)].into();
        let err = check_polygon(flat, Path::new("b.geojson"), &Item::Feature(7, None)).map(|_| ()).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("feature 7") && text.contains("rejected"), "{text}");
    }

    #[test]
    fn coordinates_are_checked() {
        let item = Item::Row(5);
        let p = Path::new("h.csv");
        let swapped = check_coord(Coord { x: 45.75, y: 126.63 }, Crs::Wgs84, p, &item).unwrap_err().to_string();
        assert!(swapped.contains("swapped") && swapped.contains("row 5"), "{swapped}");
        let swapped = check_coord(Coord { x: 45.75, y: 86.63 }, Crs::Gcj02, p, &item).unwrap_err().to_string();
        assert!(swapped.contains("swapped"), "{swapped}");
        let abroad = check_coord(Coord { x: 24.94, y: 60.17 }, Crs::Gcj02, p, &item).unwrap_err().to_string();
        assert!(abroad.contains("outside China") && abroad.contains("gcj02"), "{abroad}");
        assert!(check_coord(Coord { x: 24.94, y: 60.17 }, Crs::Wgs84, p, &item).is_ok());
    }
}
