//! Writing outputs: GeoJSON, plan files, JSON manifests, all through a staging directory so that a failed
//! run never damages the outputs of the last good one.

pub mod chart;
pub mod coverage_dir;
pub mod geojson;
pub mod gis;
pub mod graph_json;
pub mod legal_plans;
pub mod merge_dir;
pub mod output_dir;
pub mod plan_file;
pub mod report;
pub mod run_dir;
pub mod workbook;
pub mod workload_dir;

use crate::crs::Crs;
use crate::projection::LocalProjection;
use geo::{Coord, MapCoords};

/// A text cell made safe for spreadsheets (OWASP CSV injection): text that begins with `=`, `+`, `-`, `@`, a
/// tab or a carriage return would be run as a formula by Excel and WPS, so it gets a leading `'`, which they
/// show as text; a leading `'` is doubled so that [`crate::load::run::csv_unescape`] reads every value back.
pub fn spreadsheet_safe(s: &str) -> std::borrow::Cow<'_, str> {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\'') => format!("'{s}").into(),
        _ => s.into(),
    }
}

/// A CSV text field: spreadsheet-safe, quoted when it holds a comma, quote or line break.
pub fn csv_field(s: &str) -> String {
    let s = spreadsheet_safe(s);
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.into_owned() }
}

/// Converts geometry from local metres to the output CRS: WGS84, or GCJ-02/BD-09 when the plan's
/// `output_crs` asks for them (so a plan drawn on Amap data goes back onto Amap).
pub fn to_output_crs<G: MapCoords<f64, f64, Output = G>>(g: &G, projection: &LocalProjection, crs: Crs) -> G {
    g.map_coords(|c| {
        let (lon, lat) = projection.inverse(c.x, c.y);
        let (x, y) = crs.from_wgs84(lon, lat);
        Coord { x, y }
    })
}

/// A grid or micro-grid outline as written: in the output CRS, on the lattice of the written decimals, valid
/// there (see [`crate::outline::overlay::on_output_lattice`]).
pub fn written_outline(mp: &geo::MultiPolygon, projection: &LocalProjection, crs: Crs) -> geo::MultiPolygon {
    crate::outline::overlay::on_output_lattice(&to_output_crs(mp, projection, crs), geojson::DEGREE_DECIMALS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Point;

    #[test]
    fn output_crs_round_trips_through_local_metres() {
        let projection = LocalProjection::centred_on(126.63, 45.75);
        let (x, y) = projection.forward(126.64, 45.76);
        for crs in Crs::ALL {
            let out = to_output_crs(&Point::new(x, y), &projection, crs);
            let back = crs.to_wgs84(out.x(), out.y());
            assert!(crate::crs::haversine_m(back, (126.64, 45.76)) < 0.01, "{crs}: {back:?}");
        }
        let gcj = to_output_crs(&Point::new(x, y), &projection, Crs::Gcj02);
        assert!((gcj.x() - 126.64 - 0.006).abs() < 0.001, "GCJ-02 is shifted east at Harbin: {gcj:?}");
    }
}
