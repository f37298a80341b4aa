//! A deterministic GeoJSON writer: one feature per line, properties in key order, coordinates at a fixed
//! precision (7 decimals ≈ 1 cm in degrees), so the same data always give the same bytes.

use geo::{Coord, Geometry, LineString, Polygon};
use serde_json::{Map, Value};
use std::fmt::Write as _;
use std::io::{self, Write};

/// Decimals for degree coordinates (1e-7° ≈ 1.1 cm).
pub const DEGREE_DECIMALS: usize = 7;

fn coord(out: &mut String, c: &Coord, decimals: usize) {
    let _ = write!(out, "[{:.*},{:.*}]", decimals, c.x, decimals, c.y);
}

fn ring(out: &mut String, ls: &LineString, decimals: usize) {
    out.push('[');
    for (i, c) in ls.0.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        coord(out, c, decimals);
    }
    out.push(']');
}

fn polygon(out: &mut String, p: &Polygon, decimals: usize) {
    out.push('[');
    ring(out, p.exterior(), decimals);
    for hole in p.interiors() {
        out.push(',');
        ring(out, hole, decimals);
    }
    out.push(']');
}

/// Appends a GeoJSON geometry object.
pub fn geometry_json(out: &mut String, g: &Geometry<f64>, decimals: usize) {
    match g {
        Geometry::Point(p) => {
            out.push_str(r#"{"type":"Point","coordinates":"#);
            coord(out, &p.0, decimals);
        }
        Geometry::MultiPoint(mp) => {
            out.push_str(r#"{"type":"MultiPoint","coordinates":["#);
            for (i, p) in mp.0.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                coord(out, &p.0, decimals);
            }
            out.push(']');
        }
        Geometry::LineString(ls) => {
            out.push_str(r#"{"type":"LineString","coordinates":"#);
            ring(out, ls, decimals);
        }
        Geometry::MultiLineString(mls) => {
            out.push_str(r#"{"type":"MultiLineString","coordinates":["#);
            for (i, ls) in mls.0.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                ring(out, ls, decimals);
            }
            out.push(']');
        }
        Geometry::Polygon(p) => {
            out.push_str(r#"{"type":"Polygon","coordinates":"#);
            polygon(out, p, decimals);
        }
        Geometry::MultiPolygon(mp) => {
            out.push_str(r#"{"type":"MultiPolygon","coordinates":["#);
            for (i, p) in mp.0.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                polygon(out, p, decimals);
            }
            out.push(']');
        }
        other => {
            // Lines, rects and triangles are never produced by gridplan; write them through geojson's own types.
            let gj = geojson::Geometry::from(other);
            out.push_str(&serde_json::to_string(&gj).unwrap_or_else(|_| "null".into()));
            return;
        }
    }
    out.push('}');
}

/// Writes a FeatureCollection; `attribution` (e.g. ODbL) becomes a foreign member, as the OSM-derived
/// layers of the dataset carry it.
pub fn write_collection<'a, W: Write>(
    w: &mut W,
    features: impl IntoIterator<Item = (&'a Geometry<f64>, &'a Map<String, Value>)>,
    attribution: Option<&str>,
    decimals: usize,
) -> io::Result<()> {
    w.write_all(b"{\"type\":\"FeatureCollection\",")?;
    if let Some(a) = attribution {
        write!(w, "\"attribution\":{},", Value::String(a.to_string()))?;
    }
    w.write_all(b"\"features\":[\n")?;
    let mut line = String::new();
    for (i, (g, props)) in features.into_iter().enumerate() {
        line.clear();
        if i > 0 {
            line.push_str(",\n");
        }
        line.push_str(r#"{"type":"Feature","properties":"#);
        line.push_str(&serde_json::to_string(props).map_err(io::Error::other)?);
        line.push_str(r#","geometry":"#);
        geometry_json(&mut line, g, decimals);
        line.push('}');
        w.write_all(line.as_bytes())?;
    }
    w.write_all(b"\n]}\n")
}

/// Writes every non-empty layer of `layers` as a GeoJSON file into `dir`; returns the layers written with
/// their file names (for the plan file).
pub fn write_layers(
    dir: &super::output_dir::StagedDir,
    prefix: &str,
    layers: &crate::model::FeatureLayers,
    attribution: Option<&str>,
) -> io::Result<Vec<(crate::model::LayerName, String)>> {
    let mut written = Vec::new();
    for (name, file) in crate::model::FeatureLayers::FILES {
        let features = layers.layer(name);
        if features.is_empty() {
            continue;
        }
        let mut w = dir.create(&format!("{prefix}{file}"))?;
        write_collection(&mut w, features.iter().map(|f| (&f.geometry, &f.props)), attribution, DEGREE_DECIMALS)?;
        super::output_dir::finish(w)?;
        written.push((name, file.to_string()));
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{LineString, Point, polygon};

    #[test]
    fn writes_parseable_deterministic_geojson() {
        let mut props = Map::new();
        props.insert("名称".into(), Value::String("道里区".into()));
        props.insert("a".into(), Value::from(1));
        let geoms = [
            Geometry::Point(Point::new(126.1, 45.2)),
            Geometry::LineString(LineString::from(vec![(1.0, 2.0), (3.0, 4.0)])),
            Geometry::Polygon(polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0)]),
        ];
        let mut buf = Vec::new();
        write_collection(&mut buf, geoms.iter().map(|g| (g, &props)), Some("© OpenStreetMap contributors"), 7)
            .expect("write");
        let text = String::from_utf8(buf.clone()).expect("utf8");
        let parsed: geojson::FeatureCollection = text.parse().expect("valid GeoJSON");
        assert_eq!(parsed.features.len(), 3);
        assert!(text.contains("[126.1000000,45.2000000]") && text.contains("道里区"));
        let mut again = Vec::new();
        write_collection(&mut again, geoms.iter().map(|g| (g, &props)), Some("© OpenStreetMap contributors"), 7)
            .expect("write");
        assert_eq!(buf, again);
    }
}
