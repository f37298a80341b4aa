//! What `import-osm` writes must load: polygons the loader would reject (under a square metre, or repairing
//! to nothing) are left out of the layers here and listed in the import report with the loader's reason.

use super::{OsmExtract, Skipped};
use crate::load::error::Item;
use crate::load::geometry::check_polygon;
use crate::projection::LocalProjection;
use geo::{Coord, Geometry, MapCoords, MultiPolygon};
use std::path::Path;

/// Drops the polygon features of every layer that the loader would reject, into the report.
pub(super) fn drop_unloadable_polygons(out: &mut OsmExtract) {
    let OsmExtract { layers, report } = out;
    for (what, features) in [
        ("building", &mut layers.buildings),
        ("compound", &mut layers.compounds),
        ("admin area", &mut layers.admin_areas),
        ("facility", &mut layers.facilities),
        ("special_unit", &mut layers.special_units),
    ] {
        features.retain(|f| {
            let mp = match &f.geometry {
                Geometry::Polygon(p) => MultiPolygon::new(vec![p.clone()]),
                Geometry::MultiPolygon(mp) => mp.clone(),
                _ => return true,
            };
            let Some(first) = mp.0.first().and_then(|p| p.exterior().0.first()).copied() else {
                return keep_or_report(report, f, what, "an empty polygon".into());
            };
            let projection = LocalProjection::centred_on(first.x, first.y);
            let local = mp.map_coords(|c| {
                let (x, y) = projection.forward(c.x, c.y);
                Coord { x, y }
            });
            match check_polygon(local, Path::new(""), &Item::Osm(String::new())) {
                Ok(_) => true,
                Err(e) => {
                    let reason = e.as_data().map_or_else(|| e.to_string(), |d| d.rule.clone());
                    keep_or_report(report, f, what, reason)
                }
            }
        });
    }
}

fn keep_or_report(report: &mut super::ImportReport, f: &crate::model::Feature, what: &str, reason: String) -> bool {
    let text = |k: &str| f.props.get(k).and_then(|v| v.as_str()).map(str::to_string);
    report.skipped.push(Skipped {
        id: text("id").unwrap_or_default(),
        what: what.into(),
        name: text("name"),
        reason: format!("{reason} (the loader would reject it)"),
    });
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Feature;
    use geo::polygon;

    #[test]
    fn a_polygon_of_a_tenth_of_a_square_metre_is_left_out_and_reported() {
        let mut out = OsmExtract::default();
        let tiny = polygon![(x: 126.6, y: 45.7), (x: 126.600_003, y: 45.7), (x: 126.600_003, y: 45.700_003), (x: 126.6, y: 45.700_003)];
        let fine = polygon![(x: 126.6, y: 45.7), (x: 126.601, y: 45.7), (x: 126.601, y: 45.701), (x: 126.6, y: 45.701)];
        for (id, p) in [("w1", tiny), ("w2", fine)] {
            let mut props = serde_json::Map::new();
            props.insert("id".into(), id.into());
            out.layers.special_units.push(Feature { geometry: Geometry::Polygon(p), props });
        }
        drop_unloadable_polygons(&mut out);
        assert_eq!(out.layers.special_units.len(), 1);
        assert_eq!(out.report.skipped.len(), 1);
        assert!(out.report.skipped[0].id == "w1" && out.report.skipped[0].reason.contains("loader would reject"));
    }
}
