//! ESRI Shapefiles (`.shp` with its `.dbf`, crate `shapefile`): shapes as geo geometries in the file's own
//! coordinates, attributes as properties. The text encoding of the `.dbf` comes from the `.cpg` beside it
//! when there is one (`UTF-8`, `GBK`, `936`, …), else from the layer's `encoding` (UTF-8 by default); a
//! `.dbf` that does not decode in it is an error naming the file and the record, never mojibake.

use super::{Item, LoadError, ReadOptions, Record, Table};
use crate::config::{DecimalMark, Encoding, Format};
use serde_json::{Map, Value};
use std::io::BufReader;
use std::path::Path;

/// Reads a Shapefile.
pub fn read_shapefile(path: &Path, options: &ReadOptions) -> Result<Table, LoadError> {
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |cause| LoadError::Io { path: p.clone(), cause }
    };
    let shp_bytes = std::fs::read(path).map_err(io(path))?;
    let sha256 = super::sha256_hex(&shp_bytes);
    let dbf = path.with_extension("dbf");
    if !dbf.is_file() {
        return Err(LoadError::data(path, None, None, None, "a Shapefile needs its .dbf beside it (same name)"));
    }
    let (encoding, mut notes) = dbf_encoding(path, options)?;
    let bad = |item: Option<Item>, e: String| LoadError::data(path, item, None, None, e);
    let shapes = shapefile::ShapeReader::new(std::io::Cursor::new(shp_bytes))
        .map_err(|e| bad(None, format!("not a readable .shp: {e}")))?;
    let dbf_reader = dbase::Reader::new_with_encoding(
        BufReader::new(std::fs::File::open(&dbf).map_err(io(&dbf))?),
        dbase::encoding::EncodingRs::from(encoding.get()),
    )
    .map_err(|e| LoadError::data(&dbf, None, None, None, format!("not a readable .dbf: {e}")))?;
    let columns: Vec<String> = dbf_reader.fields().iter().map(|f| f.name().to_string()).collect();
    let mut reader = shapefile::Reader::new(shapes, dbf_reader);
    let mut records = Vec::new();
    for (n, row) in reader.iter_shapes_and_records().enumerate() {
        let item = Item::Feature(n, None);
        let (shape, record) = row.map_err(|e| {
            let rule = match e {
                shapefile::Error::DbaseError(e) => format!(
                    "cannot read this record's attributes ({e}); is the .dbf in {}? (a .cpg beside it names the encoding)",
                    encoding.name()
                ),
                shapefile::Error::IoError(e) => {
                    format!("the .shp ends early or cannot be read here ({e}): a damaged or truncated file?")
                }
                e => format!("not a readable shape record ({e})"),
            };
            bad(Some(item.clone()), rule)
        })?;
        let geometry = match shape {
            shapefile::Shape::NullShape => None,
            shape => Some(
                geo::Geometry::<f64>::try_from(shape)
                    .map_err(|e| bad(Some(item.clone()), format!("a shape gridplan cannot use: {e}")))?,
            ),
        };
        let mut props = Map::new();
        let mut record = record;
        for c in &columns {
            if let Some(v) = record.remove(c) {
                let v = field_value(v);
                // The decoder replaces bytes it cannot read with U+FFFD: a wrong encoding, never kept.
                if v.as_str().is_some_and(|t| t.contains('\u{FFFD}')) {
                    return Err(LoadError::data(
                        path,
                        Some(item),
                        Some(c),
                        None,
                        format!(
                            "text that is not valid {}: put a .cpg beside the .shp naming the encoding (e.g. GBK)",
                            encoding.name()
                        ),
                    ));
                }
                props.insert(c.clone(), v);
            }
        }
        records.push(Record { item, geometry, props, feature_id: None });
    }
    if records.is_empty() {
        notes.push("the Shapefile has no records".into());
    }
    Ok(Table {
        path: path.to_path_buf(),
        sha256,
        format: Format::Shapefile,
        columns: Some(columns),
        records,
        decimal: DecimalMark::Point,
        unreadable: Vec::new(),
        notes,
        attribution: None,
    })
}

/// The `.dbf` encoding: the `.cpg` beside the file, else the layer's.
fn dbf_encoding(path: &Path, options: &ReadOptions) -> Result<(Encoding, Vec<String>), LoadError> {
    let cpg = path.with_extension("cpg");
    let Ok(text) = std::fs::read_to_string(&cpg) else { return Ok((options.encoding, Vec::new())) };
    let label = text.trim();
    // ArcGIS writes Windows code page numbers ("936") as well as labels.
    let label = match label {
        "936" | "CP936" | "cp936" => "gbk",
        "65001" => "utf-8",
        other => other,
    };
    match Encoding::for_label(label) {
        Some(e) => Ok((e, vec![format!("{} declares {}", cpg.display(), e.name())])),
        None => Err(LoadError::data(
            &cpg,
            None,
            None,
            Some(label.to_string()),
            "an encoding label gridplan does not know (UTF-8, GBK, GB18030, Big5, …)",
        )),
    }
}

/// A DBF value as JSON: text, numbers (empty ones null), booleans, dates as `YYYY-MM-DD`.
fn field_value(v: dbase::FieldValue) -> Value {
    use dbase::FieldValue as F;
    let number = |x: f64| serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number);
    match v {
        F::Character(s) => s.map_or(Value::Null, |s| Value::String(s.trim_end().to_string())),
        F::Memo(s) => Value::String(s),
        F::Numeric(x) => x.map_or(Value::Null, number),
        F::Float(x) => x.map_or(Value::Null, |x| number(f64::from(x))),
        F::Integer(i) => Value::from(i),
        F::Double(x) | F::Currency(x) => number(x),
        F::Logical(b) => b.map_or(Value::Null, Value::Bool),
        F::Date(d) => {
            d.map_or(Value::Null, |d| Value::String(format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())))
        }
        F::DateTime(t) => {
            let d = t.date();
            Value::String(format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()))
        }
    }
}
