//! Reading GeoJSON, CSV and Parquet into one shape: records with an optional geometry (still in the
//! source CRS, degrees) and a property map. Layer-specific meaning is given later by [`super::layers`].

use super::error::{Item, LoadError};
use crate::config::{Encoding, Format};
use geo::Geometry;
use serde_json::{Map, Value};
use std::io::Read;
use std::path::{Path, PathBuf};

/// One feature or row.
#[derive(Debug, Clone)]
pub struct Record {
    /// Where it is in the file.
    pub item: Item,
    /// Geometry in source coordinates (GeoJSON only; CSV/Parquet points come from columns).
    pub geometry: Option<Geometry<f64>>,
    /// Properties or columns.
    pub props: Map<String, Value>,
    /// The GeoJSON feature `id`, when present.
    pub feature_id: Option<String>,
}

/// A whole file of records.
#[derive(Debug, Clone)]
pub struct Table {
    /// The file.
    pub path: PathBuf,
    /// SHA-256 of the file as stored (before any gunzip), hex.
    pub sha256: String,
    /// Its format.
    pub format: Format,
    /// Column names (CSV/Parquet); `None` for GeoJSON, whose properties vary per feature.
    pub columns: Option<Vec<String>>,
    /// Records in file order.
    pub records: Vec<Record>,
}

impl Table {
    /// Whether any record carries `field` (CSV/Parquet: the header has it).
    pub fn has_field(&self, field: &str) -> bool {
        match &self.columns {
            Some(cols) => cols.iter().any(|c| c == field),
            None => self.records.iter().any(|r| r.props.contains_key(field)),
        }
    }

    /// The names a planner could have meant, for error messages.
    pub fn available_fields(&self) -> String {
        let mut names: Vec<String> = match &self.columns {
            Some(cols) => cols.clone(),
            None => {
                let mut set = std::collections::BTreeSet::new();
                for r in self.records.iter().take(1000) {
                    set.extend(r.props.keys().cloned());
                }
                set.into_iter().collect()
            }
        };
        names.truncate(40);
        if names.is_empty() { "(none)".into() } else { names.join(", ") }
    }
}

/// Reads a file of any supported format.
pub fn read_table(path: &Path, format: Option<Format>, encoding: Encoding) -> Result<Table, LoadError> {
    let format = match format.or_else(|| Format::from_path(path)) {
        Some(f) => f,
        None => {
            return Err(LoadError::data(
                path,
                None,
                None,
                None,
                "unknown file type: name the format in the plan (format = \"geojson\" | \"csv\" | \"parquet\")",
            ));
        }
    };
    match format {
        Format::Geojson => read_geojson(path),
        Format::Csv => read_csv(path, encoding),
        Format::Parquet => read_parquet(path),
    }
}

/// Hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads a file once: its bytes (gunzipped when gzip) and the hash of what is stored.
fn read_bytes(path: &Path) -> Result<(Vec<u8>, String), LoadError> {
    let io = |source| LoadError::Io { path: path.to_path_buf(), source };
    let raw = std::fs::read(path).map_err(io)?;
    let hash = sha256_hex(&raw);
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::with_capacity(raw.len() * 6);
        flate2::read::GzDecoder::new(raw.as_slice()).read_to_end(&mut out).map_err(io)?;
        Ok((out, hash))
    } else {
        Ok((raw, hash))
    }
}

/// The top of a GeoJSON document; features stay raw slices of the file until each is read on its own, so
/// an error can name its feature and nothing is parsed twice.
#[derive(serde::Deserialize)]
struct RawRoot<'a> {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(borrow, default)]
    features: Option<Vec<&'a serde_json::value::RawValue>>,
}

#[derive(serde::Deserialize)]
struct RawFeature<'a> {
    #[serde(default)]
    id: Option<Value>,
    #[serde(default)]
    properties: Option<Value>,
    #[serde(borrow, default)]
    geometry: Option<&'a serde_json::value::RawValue>,
}

/// Reads a GeoJSON FeatureCollection, a single Feature, or a bare geometry (as one feature).
pub fn read_geojson(path: &Path) -> Result<Table, LoadError> {
    let (bytes, sha256) = read_bytes(path)?;
    let json_err = |e: serde_json::Error| LoadError::Json {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    };
    let text = std::str::from_utf8(&bytes)
        .map_err(|e| LoadError::data(path, None, None, None, format!("GeoJSON must be UTF-8 text (RFC 7946): {e}")))?;
    let root: RawRoot = serde_json::from_str(text).map_err(json_err)?;
    let not_geojson =
        |rule: &str| LoadError::data(path, None, Some("type"), Some(format!("{:?}", root.kind)), rule.to_string());
    let mut records = Vec::new();
    match root.kind.as_str() {
        "FeatureCollection" => {
            let Some(features) = &root.features else {
                return Err(not_geojson("a FeatureCollection needs a `features` array"));
            };
            records.reserve(features.len());
            for (n, raw) in features.iter().enumerate() {
                let feature: RawFeature = serde_json::from_str(raw.get()).map_err(|e| {
                    LoadError::data(
                        path,
                        Some(Item::Feature(n, None)),
                        None,
                        Some(short_text(raw.get())),
                        format!("not a GeoJSON feature: {e}"),
                    )
                })?;
                records.push(geojson_record(path, n, feature)?);
            }
        }
        "Feature" => records.push(geojson_record(path, 0, serde_json::from_str(text).map_err(json_err)?)?),
        "Point" | "MultiPoint" | "LineString" | "MultiLineString" | "Polygon" | "MultiPolygon"
        | "GeometryCollection" => {
            let geometry: &serde_json::value::RawValue = serde_json::from_str(text).map_err(json_err)?;
            records.push(geojson_record(path, 0, RawFeature { id: None, properties: None, geometry: Some(geometry) })?);
        }
        _ => return Err(not_geojson("not GeoJSON: expected type FeatureCollection, Feature or a geometry")),
    }
    Ok(Table { path: path.to_path_buf(), sha256, format: Format::Geojson, columns: None, records })
}

fn geojson_record(path: &Path, n: usize, feature: RawFeature) -> Result<Record, LoadError> {
    let feature_id = match feature.id {
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(x)) => Some(x.to_string()),
        _ => None,
    };
    let item = Item::Feature(n, feature_id.clone());
    let props = match feature.properties {
        Some(Value::Object(m)) => m,
        Some(Value::Null) | None => Map::new(),
        Some(other) => {
            return Err(LoadError::data(
                path,
                Some(item),
                Some("properties"),
                Some(short(&other)),
                "properties must be an object or null",
            ));
        }
    };
    let geometry = match feature.geometry.map(|g| g.get()) {
        None | Some("null") => None,
        Some(g) => {
            let bad =
                |rule: String| LoadError::data(path, Some(item.clone()), Some("geometry"), Some(short_text(g)), rule);
            let gj: geojson::Geometry =
                serde_json::from_str(g).map_err(|e| bad(format!("invalid GeoJSON geometry: {e}")))?;
            Some(Geometry::<f64>::try_from(gj).map_err(|e| bad(format!("unsupported geometry: {e}")))?)
        }
    };
    Ok(Record { item, geometry, props, feature_id })
}

fn short(v: &Value) -> String {
    short_text(&v.to_string())
}

fn short_text(text: &str) -> String {
    let mut s = text.to_string();
    if s.len() > 80 {
        let cut = (0..=80).rev().find(|&i| s.is_char_boundary(i)).unwrap_or(0);
        s.truncate(cut);
        s.push('…');
    }
    s
}

/// Reads a CSV file with a header row; every value is kept as text and parsed when a layer asks for it.
pub fn read_csv(path: &Path, encoding: Encoding) -> Result<Table, LoadError> {
    let (bytes, sha256) = read_bytes(path)?;
    let text = match encoding {
        Encoding::Utf8 => {
            let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(&bytes);
            match std::str::from_utf8(body) {
                Ok(s) => s.to_string(),
                Err(e) => {
                    let line = 1 + body[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count();
                    return Err(LoadError::data(
                        path,
                        Some(Item::Row(line)),
                        None,
                        None,
                        "not valid UTF-8; if the file was saved by Excel or WPS on Chinese Windows, set encoding = \"gbk\" for this layer",
                    ));
                }
            }
        }
        Encoding::Gbk => {
            let (text, _, had_errors) = encoding_rs::GB18030.decode(&bytes);
            if had_errors {
                return Err(LoadError::data(path, None, None, None, "not valid GBK/GB18030 text"));
            }
            text.into_owned()
        }
    };
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(text.as_bytes());
    let csv_err = |e: csv::Error| {
        let row = e.position().map(|p| p.line() as usize);
        LoadError::data(path, row.map(Item::Row), None, None, format!("malformed CSV: {e}"))
    };
    let headers: Vec<String> = reader.headers().map_err(csv_err)?.iter().map(|h| h.trim().to_string()).collect();
    let mut records = Vec::new();
    for row in reader.records() {
        let row = row.map_err(csv_err)?;
        let line = row.position().map(|p| p.line() as usize).unwrap_or(records.len() + 2);
        let mut props = Map::new();
        for (h, v) in headers.iter().zip(row.iter()) {
            let v = v.trim();
            props.insert(h.clone(), if v.is_empty() { Value::Null } else { Value::String(v.to_string()) });
        }
        records.push(Record { item: Item::Row(line), geometry: None, props, feature_id: None });
    }
    Ok(Table { path: path.to_path_buf(), sha256, format: Format::Csv, columns: Some(headers), records })
}

/// Reads a Parquet file with polars; numbers stay numbers, text stays text.
pub fn read_parquet(path: &Path) -> Result<Table, LoadError> {
    use polars::prelude::{AnyValue, DataType};
    use polars_io::SerReader;
    let (bytes, sha256) = read_bytes(path)?;
    let bad = |e: polars::error::PolarsError| {
        LoadError::data(path, None, None, None, format!("not a readable Parquet file: {e}"))
    };
    let df = polars_io::parquet::read::ParquetReader::new(std::io::Cursor::new(bytes)).finish().map_err(bad)?;
    let columns: Vec<String> = df.get_column_names().iter().map(|s| s.to_string()).collect();
    let n = df.height();
    let mut records: Vec<Record> = (0..n)
        .map(|i| Record { item: Item::ParquetRow(i), geometry: None, props: Map::new(), feature_id: None })
        .collect();
    for col in df.columns() {
        let name = col.name().to_string();
        let dtype = col.dtype().clone();
        if dtype.is_primitive_numeric() {
            let cast = col.cast(&DataType::Float64).map_err(bad)?;
            let values = cast.f64().map_err(bad)?;
            for (rec, v) in records.iter_mut().zip(values.iter()) {
                let json = v.and_then(serde_json::Number::from_f64).map_or(Value::Null, Value::Number);
                rec.props.insert(name.clone(), json);
            }
        } else if dtype == DataType::String {
            let values = col.str().map_err(bad)?;
            for (rec, v) in records.iter_mut().zip(values.iter()) {
                rec.props.insert(name.clone(), v.map_or(Value::Null, |s| Value::String(s.to_string())));
            }
        } else {
            for (i, rec) in records.iter_mut().enumerate() {
                let v = col.get(i).map_err(bad)?;
                let json = match v {
                    AnyValue::Null => Value::Null,
                    AnyValue::Boolean(b) => Value::Bool(b),
                    AnyValue::List(s) => {
                        let cast = s.cast(&DataType::Float64).map_err(bad)?;
                        let ca = cast.f64().map_err(bad)?;
                        Value::Array(
                            ca.iter()
                                .map(|x| x.and_then(serde_json::Number::from_f64).map_or(Value::Null, Value::Number))
                                .collect(),
                        )
                    }
                    other => Value::String(other.str_value().to_string()),
                };
                rec.props.insert(name.clone(), json);
            }
        }
    }
    Ok(Table { path: path.to_path_buf(), sha256, format: Format::Parquet, columns: Some(columns), records })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, body: &[u8]) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, body).expect("write fixture");
        p
    }

    #[test]
    fn broken_json_names_line_and_column() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = write(dir.path(), "b.geojson", b"{\"type\": \"FeatureCollection\",\n \"features\": [ {\"type\": }\n]}");
        let err = read_geojson(&p).map(|_| ()).unwrap_err().to_string();
        assert!(err.contains("b.geojson") && err.contains("line 2") && err.contains("broken JSON"), "{err}");
    }

    #[test]
    fn gbk_csv_reads_chinese_headers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (text, _, _) = encoding_rs::GBK.encode("编号,经度,纬度,户数\nA1,126.6,45.7,12\n");
        let p = write(dir.path(), "h.csv", &text);
        let t = read_csv(&p, Encoding::Gbk).expect("gbk reads");
        assert_eq!(t.columns.as_deref(), Some(&["编号".to_string(), "经度".into(), "纬度".into(), "户数".into()][..]));
        assert_eq!(t.records[0].props["户数"], Value::String("12".into()));
        assert_eq!(t.records[0].item, Item::Row(2));
        let err = read_csv(&p, Encoding::Utf8).map(|_| ()).unwrap_err().to_string();
        assert!(err.contains("gbk"), "{err}");
    }
}
