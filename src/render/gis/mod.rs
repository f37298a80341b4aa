//! The grids in the files GIS departments open: `grids.gpkg` (GeoPackage, QGIS's own format: a SQLite file
//! through `rusqlite`, geometries as GeoPackage blobs around `wkb`'s WKB) and a Shapefile set under `shp/`
//! (ArcGIS's exchange format: `.shp`/`.shx`/`.dbf` through the `shapefile` crate, `.prj` and `.cpg` beside them,
//! field names within dBase's ten characters). Both carry the same fields as `grids.geojson`, in the run's output
//! CRS; both are byte-identical for the same run (their one date is fixed, see `FIXED_DATE`).

mod gpkg;
mod shp;

pub use gpkg::write_geopackage;
pub use shp::{dbf_name, write_shapefile};

use crate::crs::Crs;
use geo::MultiPolygon;
use serde_json::{Map, Value};

/// The one date these formats store (GeoPackage's `last_change`, dBase's last update), fixed so a run's files
/// are byte-identical whatever the day; the run's own record (`run.json`) says when it ran.
pub const FIXED_DATE: (u32, u32, u32) = (2000, 1, 1);

/// What a field holds, from the values of every feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// Whole numbers only (and missing values).
    Integer,
    /// Any number.
    Real,
    /// Anything else, written as text (lists and objects as JSON).
    Text,
}

/// One field of a layer: its name in the properties and its type.
#[derive(Debug, Clone)]
pub struct Field {
    /// The property name.
    pub name: String,
    /// Its type over all features.
    pub kind: FieldType,
}

/// A polygon layer to write: its name, features (outline in the output CRS, properties) and CRS.
#[derive(Debug)]
pub struct Layer<'a> {
    /// Table or file name (`grids`, `micro_grids`).
    pub name: &'a str,
    /// Outline and properties of each feature.
    pub features: Vec<(&'a MultiPolygon, Map<String, Value>)>,
    /// The CRS of the outlines.
    pub crs: Crs,
}

impl Layer<'_> {
    /// The fields, in name order (the properties' own order), each typed over every feature.
    pub fn fields(&self) -> Vec<Field> {
        let mut types: std::collections::BTreeMap<&str, Option<FieldType>> = std::collections::BTreeMap::new();
        for (_, props) in &self.features {
            for (k, v) in props {
                let t = match v {
                    Value::Null => None,
                    Value::Number(n) if n.is_i64() || n.is_u64() => Some(FieldType::Integer),
                    Value::Number(_) => Some(FieldType::Real),
                    Value::Bool(_) => Some(FieldType::Integer),
                    _ => Some(FieldType::Text),
                };
                let e = types.entry(k).or_insert(None);
                *e = match (*e, t) {
                    (a, None) => a,
                    (None, b) => b,
                    (Some(a), Some(b)) if a == b => Some(a),
                    (Some(FieldType::Integer | FieldType::Real), Some(FieldType::Integer | FieldType::Real)) => {
                        Some(FieldType::Real)
                    }
                    _ => Some(FieldType::Text),
                };
            }
        }
        types
            .into_iter()
            .map(|(name, t)| Field { name: name.to_string(), kind: t.unwrap_or(FieldType::Text) })
            .collect()
    }
}

/// A value as text for a text field: strings as they are, everything else as JSON.
pub fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// A value as a number, for number fields.
pub fn number_of(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    }
}

/// The EPSG code and OGC WKT of an output CRS. GCJ-02 and BD-09 have no EPSG code: they are offsets of WGS84 that
/// Chinese map services apply, so their files say WGS84's datum with their own name, and tools draw them where
/// those services do.
pub fn crs_definition(crs: Crs) -> (i32, &'static str, String) {
    let (code, name, datum, spheroid, inverse_flattening) = match crs {
        Crs::Wgs84 => (4326, "WGS 84", "WGS_1984", "WGS 84", "298.257223563"),
        Crs::Cgcs2000 => (4490, "China Geodetic Coordinate System 2000", "China_2000", "CGCS2000", "298.257222101"),
        Crs::Gcj02 => (0, "GCJ-02 (WGS 84 with the Chinese offset)", "WGS_1984", "WGS 84", "298.257223563"),
        Crs::Bd09 => (0, "BD-09 (Baidu: WGS 84 with the Chinese offsets)", "WGS_1984", "WGS 84", "298.257223563"),
    };
    let authority = if code > 0 { format!(",AUTHORITY[\"EPSG\",\"{code}\"]") } else { String::new() };
    let wkt = format!(
        "GEOGCS[\"{name}\",DATUM[\"{datum}\",SPHEROID[\"{spheroid}\",6378137,{inverse_flattening}]],\
         PRIMEM[\"Greenwich\",0],UNIT[\"degree\",0.0174532925199433]{authority}]"
    );
    (code, name, wkt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn field_types_widen_over_features() {
        let mp = MultiPolygon::new(vec![]);
        let props = |v: Value| v.as_object().cloned().expect("object");
        let layer = Layer {
            name: "t",
            features: vec![
                (&mp, props(json!({"a": 1, "b": 1, "c": "x", "d": null}))),
                (&mp, props(json!({"a": 2, "b": 1.5, "c": 3, "d": null}))),
            ],
            crs: Crs::Wgs84,
        };
        let f: Vec<(String, FieldType)> = layer.fields().into_iter().map(|f| (f.name, f.kind)).collect();
        assert_eq!(
            f,
            [
                ("a".into(), FieldType::Integer),
                ("b".into(), FieldType::Real),
                ("c".into(), FieldType::Text),
                ("d".into(), FieldType::Text)
            ]
        );
    }
}
