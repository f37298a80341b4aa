//! GCJ-02 on real data: Amap's Harbin district outlines (GCJ-02), converted to WGS84, must lie on the
//! OpenStreetMap street boundaries (china-admin README: 96–157 m apart raw, 7–33 m after conversion).

use super::util::*;
use geo::{Distance, Euclidean, Geometry, LineString, MultiLineString, Point};
use gridplan::crs::gcj02_to_wgs84;
use gridplan::load::osm::{OsmOptions, read_pbf};
use gridplan::projection::LocalProjection;

fn outline_vertices(adcode: &str) -> Vec<(f64, f64)> {
    let t = gridplan::load::source::read_geojson(
        &dataset(&format!("china-admin/cnmaps-gcj02/{adcode}.geojson")),
        &Default::default(),
    )
    .expect("outline");
    let mut out = Vec::new();
    for r in &t.records {
        if let Some(Geometry::MultiPolygon(mp)) = &r.geometry {
            for p in &mp.0 {
                out.extend(p.exterior().0.iter().map(|c| (c.x, c.y)));
            }
        }
    }
    out
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[test]
fn harbin_district_outlines_match_osm_after_conversion() {
    let extract = read_pbf(&dataset("harbin/harbin.osm.pbf"), &OsmOptions::default()).expect("harbin");
    let proj = LocalProjection::centred_on(126.64, 45.74);
    let boundaries: Vec<LineString> = extract
        .layers
        .admin_areas
        .iter()
        .filter_map(|f| match &f.geometry {
            Geometry::MultiPolygon(mp) => Some(mp),
            _ => None,
        })
        .flat_map(|mp| {
            mp.0.iter().flat_map(|p| std::iter::once(p.exterior().clone()).chain(p.interiors().iter().cloned()))
        })
        .map(|ls| proj.project(&ls))
        .collect();
    let all = MultiLineString::new(boundaries);
    let [x0, y0, x1, y1] = extract.report.bbox.expect("bbox");
    // 道里 230102, 南岗 230103, 道外 230104, 香坊 230110
    for adcode in ["230102", "230103", "230104", "230110"] {
        let (mut raw, mut converted) = (Vec::new(), Vec::new());
        for (lon, lat) in outline_vertices(adcode) {
            let (wlon, wlat) = gcj02_to_wgs84(lon, lat);
            // Vertices well inside the extract, and near a street boundary at all (district edges outside the
            // 77 closed streets have nothing to be compared with).
            if !(wlon > x0 + 0.01 && wlon < x1 - 0.01 && wlat > y0 + 0.01 && wlat < y1 - 0.01) {
                continue;
            }
            let d_conv = Euclidean.distance(&Point::from(proj.forward(wlon, wlat)), &all);
            if d_conv > 500.0 {
                continue;
            }
            converted.push(d_conv);
            raw.push(Euclidean.distance(&Point::from(proj.forward(lon, lat)), &all));
        }
        assert!(converted.len() > 20, "{adcode}: only {} vertices to compare", converted.len());
        let n = raw.len();
        let (m_raw, m_conv) = (median(raw), median(converted));
        eprintln!("{adcode}: {n} vertices, median {m_raw:.1} m raw GCJ-02 → {m_conv:.1} m converted");
        assert!(m_conv < 40.0, "{adcode}: converted outline median {m_conv:.1} m from OSM");
        assert!(m_raw > 80.0, "{adcode}: raw GCJ-02 outline should sit far off, median {m_raw:.1} m");
    }
}
