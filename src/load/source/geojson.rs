//! GeoJSON (RFC 7946): a FeatureCollection, a Feature or a bare geometry, optionally gzip, a UTF-8 BOM
//! accepted. Each feature is parsed on its own, so an error names it; geometry is converted here, checking
//! every position (two finite numbers at least) instead of trusting the converter, which panics on one.

use super::{ReadOptions, Record, Table, read_bytes, short_text};
use crate::config::{DecimalMark, Format};
use crate::load::error::{Item, LoadError};
use ::geojson::{GeometryValue, Position};
use geo::{Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};
use rayon::prelude::*;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::path::Path;

/// The top of a GeoJSON document; features stay raw slices of the file until each is read on its own, so
/// an error can name its feature and nothing is parsed twice.
#[derive(serde::Deserialize)]
struct RawRoot<'a> {
    #[serde(rename = "type", default)]
    kind: Option<Value>,
    #[serde(borrow, default)]
    features: Option<Vec<&'a RawValue>>,
    #[serde(default)]
    attribution: Option<Value>,
}

#[derive(serde::Deserialize)]
struct RawFeature<'a> {
    #[serde(default)]
    id: Option<Value>,
    #[serde(borrow, default)]
    properties: Option<&'a RawValue>,
    #[serde(borrow, default)]
    geometry: Option<&'a RawValue>,
}

/// Reads a GeoJSON FeatureCollection, a single Feature, or a bare geometry (as one feature).
pub fn read_geojson(path: &Path, options: &ReadOptions) -> Result<Table, LoadError> {
    let (bytes, sha256) = read_bytes(path, options.max_decompressed)?;
    let json_err = |e: serde_json::Error| LoadError::Json {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    };
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let text = std::str::from_utf8(body)
        .map_err(|e| LoadError::data(path, None, None, None, format!("GeoJSON must be UTF-8 text (RFC 7946): {e}")))?;
    let root: RawRoot = serde_json::from_str(text).map_err(json_err)?;
    let kind = match &root.kind {
        Some(Value::String(s)) => s.as_str(),
        _ => "",
    };
    let not_geojson = |rule: &str| {
        LoadError::data(path, None, Some("type"), Some(short_text(&format!("{:?}", kind), 40)), rule.to_string())
    };
    let mut records = Vec::new();
    match kind {
        "FeatureCollection" => {
            let Some(features) = &root.features else {
                return Err(not_geojson("a FeatureCollection needs a `features` array"));
            };
            // Features are parsed in parallel (the buildings layer of a city is most of its load time), in
            // order; the first bad feature in file order is the one reported, whatever the threads did.
            let parsed: Vec<Result<Record, LoadError>> = features
                .par_iter()
                .enumerate()
                .map(|(n, raw)| {
                    let feature: RawFeature = serde_json::from_str(raw.get()).map_err(|e| {
                        LoadError::data(
                            path,
                            Some(Item::Feature(n, None)),
                            None,
                            Some(short_text(raw.get(), 80)),
                            format!("not a GeoJSON feature: {e}"),
                        )
                    })?;
                    geojson_record(path, n, feature)
                })
                .collect();
            records = parsed.into_iter().collect::<Result<Vec<Record>, LoadError>>()?;
        }
        "Feature" => records.push(geojson_record(path, 0, serde_json::from_str(text).map_err(json_err)?)?),
        "Point" | "MultiPoint" | "LineString" | "MultiLineString" | "Polygon" | "MultiPolygon"
        | "GeometryCollection" => {
            let geometry: &RawValue = serde_json::from_str(text).map_err(json_err)?;
            records.push(geojson_record(path, 0, RawFeature { id: None, properties: None, geometry: Some(geometry) })?);
        }
        _ => return Err(not_geojson("not GeoJSON: expected type FeatureCollection, Feature or a geometry")),
    }
    Ok(Table {
        path: path.to_path_buf(),
        sha256,
        format: Format::Geojson,
        columns: None,
        records,
        decimal: options.decimal.unwrap_or(DecimalMark::Point),
        unreadable: Vec::new(),
        notes: Vec::new(),
        attribution: root.attribution.as_ref().and_then(Value::as_str).map(str::to_string),
    })
}

fn geojson_record(path: &Path, n: usize, feature: RawFeature) -> Result<Record, LoadError> {
    let feature_id = match feature.id {
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(x)) => Some(x.to_string()),
        _ => None,
    };
    let item = Item::Feature(n, feature_id.clone());
    let bad = |field: &str, value: &str, rule: String| {
        LoadError::data(path, Some(item.clone()), Some(field), Some(short_text(value, 80)), rule)
    };
    let props = match feature.properties.map(RawValue::get) {
        None | Some("null") => Map::new(),
        Some(raw) => match serde_json::from_str::<Properties>(raw) {
            Ok(Properties(m)) => m,
            Err(e) => return Err(bad("properties", raw, format!("properties must be an object or null ({e})"))),
        },
    };
    let geometry = match feature.geometry.map(RawValue::get) {
        None | Some("null") => None,
        Some(g) => {
            let gj: ::geojson::Geometry =
                serde_json::from_str(g).map_err(|e| bad("geometry", g, format!("invalid GeoJSON geometry: {e}")))?;
            Some(to_geo(&gj.value, 0).map_err(|rule| bad("geometry", g, rule))?)
        }
    };
    Ok(Record { item, geometry, props, feature_id })
}

/// A properties object in which every key appears once (JSON allows repeats; the last would win silently).
struct Properties(Map<String, Value>);

impl<'de> serde::Deserialize<'de> for Properties {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Properties;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Properties, A::Error> {
                let mut out = Map::new();
                while let Some((k, v)) = map.next_entry::<String, Value>()? {
                    if out.contains_key(&k) {
                        return Err(de::Error::custom(format!("the property {k:?} appears twice")));
                    }
                    out.insert(k, v);
                }
                Ok(Properties(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// Deepest nesting of GeometryCollections accepted (a guard against stack exhaustion on hostile files).
const MAX_COLLECTION_DEPTH: usize = 16;

fn coord(p: &Position, what: &str) -> Result<Coord, String> {
    match p.as_slice() {
        [x, y, ..] if x.is_finite() && y.is_finite() => Ok(Coord { x: *x, y: *y }),
        [_, _, ..] => Err(format!("{what}: a coordinate is not a finite number")),
        other => Err(format!(
            "{what}: a position needs longitude and latitude, got {} number{}",
            other.len(),
            if other.len() == 1 { "" } else { "s" }
        )),
    }
}

fn line(ps: &[Position], what: &str) -> Result<LineString, String> {
    ps.iter()
        .enumerate()
        .map(|(i, p)| coord(p, &format!("{what}, position {i}")))
        .collect::<Result<Vec<_>, _>>()
        .map(LineString::new)
}

fn polygon(rings: &[Vec<Position>], what: &str) -> Result<Polygon, String> {
    let mut rings = rings.iter().enumerate().map(|(i, r)| line(r, &format!("{what}ring {i}")));
    let exterior = rings.next().transpose()?.unwrap_or_else(|| LineString::new(Vec::new()));
    Ok(Polygon::new(exterior, rings.collect::<Result<Vec<_>, _>>()?))
}

/// GeoJSON geometry → geo, every position checked.
fn to_geo(value: &GeometryValue, depth: usize) -> Result<Geometry<f64>, String> {
    Ok(match value {
        GeometryValue::Point { coordinates } => Geometry::Point(Point(coord(coordinates, "the point")?)),
        GeometryValue::MultiPoint { coordinates } => Geometry::MultiPoint(MultiPoint(
            coordinates
                .iter()
                .enumerate()
                .map(|(i, p)| coord(p, &format!("point {i}")).map(Point))
                .collect::<Result<_, _>>()?,
        )),
        GeometryValue::LineString { coordinates } => Geometry::LineString(line(coordinates, "the line")?),
        GeometryValue::MultiLineString { coordinates } => Geometry::MultiLineString(MultiLineString(
            coordinates.iter().enumerate().map(|(i, l)| line(l, &format!("line {i}"))).collect::<Result<_, _>>()?,
        )),
        GeometryValue::Polygon { coordinates } => Geometry::Polygon(polygon(coordinates, "")?),
        GeometryValue::MultiPolygon { coordinates } => Geometry::MultiPolygon(MultiPolygon(
            coordinates
                .iter()
                .enumerate()
                .map(|(i, p)| polygon(p, &format!("polygon {i}, ")))
                .collect::<Result<_, _>>()?,
        )),
        GeometryValue::GeometryCollection { geometries } => {
            if depth >= MAX_COLLECTION_DEPTH {
                return Err(format!("GeometryCollections nested deeper than {MAX_COLLECTION_DEPTH}"));
            }
            Geometry::GeometryCollection(geo::GeometryCollection(
                geometries.iter().map(|g| to_geo(&g.value, depth + 1)).collect::<Result<_, _>>()?,
            ))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(body: &[u8]) -> Result<Table, String> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("b.geojson");
        std::fs::write(&p, body).unwrap();
        read_geojson(&p, &ReadOptions::default()).map_err(|e| e.to_string())
    }

    #[test]
    fn broken_json_names_line_and_column() {
        let err = read(b"{\"type\": \"FeatureCollection\",\n \"features\": [ {\"type\": }\n]}").unwrap_err();
        assert!(err.contains("b.geojson") && err.contains("line 2") && err.contains("broken JSON"), "{err}");
    }

    #[test]
    fn a_position_of_one_number_is_an_error_not_a_panic() {
        let err = read(br#"{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[1,2],[3],[4,5],[1,2]]]}}"#)
            .unwrap_err();
        assert!(err.contains("ring 0, position 1") && err.contains("got 1 number"), "{err}");
        let err = read(br#"{"type":"LineString","coordinates":[[1,2],[]]}"#).unwrap_err();
        assert!(err.contains("position 1") && err.contains("got 0 numbers"), "{err}");
    }

    #[test]
    fn a_bom_is_accepted_and_repeated_properties_are_errors() {
        let t = read(b"\xEF\xBB\xBF{\"type\":\"Point\",\"coordinates\":[126.6,45.7]}").unwrap();
        assert_eq!(t.records.len(), 1);
        let err =
            read(br#"{"type":"Feature","properties":{"households":3,"households":30},"geometry":null}"#).unwrap_err();
        assert!(err.contains("\"households\" appears twice"), "{err}");
    }
}
