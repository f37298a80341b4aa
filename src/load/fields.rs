//! Field lookup and value parsing shared by every layer: a configured field must exist; a default field is
//! used when present; every bad value is an error naming file, row, field, value and rule.

use super::error::{Item, LoadError};
use super::number::NumberError;
use super::source::{Record, Table};
use serde_json::Value;

/// A field of a layer, resolved against one file.
#[derive(Debug, Clone)]
pub struct Column {
    /// The semantic key in the plan (`households`, `lon`, …).
    pub key: &'static str,
    /// The property/column name in the file, if present.
    pub name: Option<String>,
}

/// Resolves a field: `configured` must exist; otherwise the first of `defaults` found is used.
pub fn resolve(
    table: &Table,
    key: &'static str,
    configured: &Option<String>,
    defaults: &[&str],
) -> Result<Column, LoadError> {
    if let Some(name) = configured {
        if !table.has_field(name) {
            return Err(LoadError::data(
                &table.path,
                None,
                Some(name),
                None,
                format!(
                    "the plan maps `{key}` to field `{name}`, which the file does not have (fields: {})",
                    table.available_fields()
                ),
            ));
        }
        return readable(table, Column { key, name: Some(name.clone()) });
    }
    readable(table, Column { key, name: defaults.iter().find(|d| table.has_field(d)).map(|d| d.to_string()) })
}

/// A field read from a column whose type gridplan cannot use (a Parquet struct) is an error saying so.
fn readable(table: &Table, col: Column) -> Result<Column, LoadError> {
    match col.name.as_ref().and_then(|n| table.unreadable.iter().find(|(c, _)| c == n)) {
        Some((name, dtype)) => Err(LoadError::data(
            &table.path,
            None,
            Some(name),
            Some(dtype.clone()),
            format!("`{}` is read from this column, whose type gridplan cannot read as a value", col.key),
        )),
        None => Ok(col),
    }
}

fn raw<'r>(rec: &'r Record, col: &Column) -> Option<&'r Value> {
    col.name.as_ref().and_then(|n| rec.props.get(n)).filter(|v| !v.is_null())
}

/// A value as text (numbers are formatted; empty text is absent).
pub fn text(rec: &Record, col: &Column) -> Option<String> {
    match raw(rec, col)? {
        Value::String(s) if s.trim().is_empty() => None,
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(match n.as_f64() {
            Some(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{}", x as i64),
            _ => n.to_string(),
        }),
        Value::Bool(b) => Some(b.to_string()),
        other => Some(other.to_string()),
    }
}

fn bad(table: &Table, rec: &Record, col: &Column, value: String, rule: &str) -> LoadError {
    LoadError::data(&table.path, Some(rec.item.clone()), col.name.as_deref(), Some(value), rule.to_string())
}

/// The largest plausible values: above them a value is an error naming it, never saturated or capped.
pub mod limits {
    /// Households of one building or household point (the largest residential towers hold a few thousand).
    pub const HOUSEHOLDS: u32 = 50_000;
    /// Persons or elderly of one building or point.
    pub const PERSONS: u32 = 500_000;
    /// Stairwells (单元) or entrances of one building.
    pub const UNITS: u32 = 1_000;
    /// Staff or students of one special unit.
    pub const STAFF: u32 = 1_000_000;
    /// Households registered for one street or community.
    pub const AREA_HOUSEHOLDS: u32 = 100_000_000;
    /// Levels of a building.
    pub const LEVELS: f64 = 300.0;
    /// Height of a building, m.
    pub const HEIGHT_M: f64 = 1_500.0;
    /// Footprint of one building, m² (10 km²).
    pub const FOOTPRINT_M2: f64 = 1e7;
    /// Capacity of one facility.
    pub const CAPACITY: f64 = 1e9;
}

/// A number, parsed strictly in the file's decimal mark (see [`super::number`]).
pub fn number(table: &Table, rec: &Record, col: &Column) -> Result<Option<f64>, LoadError> {
    let not_a_number = |v: String, e: NumberError| bad(table, rec, col, v, &e.rule(col.key));
    match raw(rec, col) {
        None => Ok(None),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(x) if x.is_finite() => Ok(Some(x)),
            _ => Err(not_a_number(n.to_string(), NumberError::NotFinite)),
        },
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => {
            super::number::parse(s, table.decimal).map(Some).map_err(|e| not_a_number(format!("{s:?}"), e))
        }
        Some(other) => Err(not_a_number(other.to_string(), NumberError::NotANumber)),
    }
}

/// A measure within `[0, max]` (levels, height, area, capacity).
pub fn measure(table: &Table, rec: &Record, col: &Column, max: f64) -> Result<Option<f64>, LoadError> {
    match number(table, rec, col)? {
        Some(x) if !(0.0..=max).contains(&x) => Err(bad(
            table,
            rec,
            col,
            format!("{x}"),
            &format!("`{}` must be between 0 and {max} (larger values are not plausible)", col.key),
        )),
        other => Ok(other),
    }
}

/// A count of households, persons or staff: a whole number in `[0, max]`.
pub fn count(table: &Table, rec: &Record, col: &Column, max: u32) -> Result<Option<u32>, LoadError> {
    match number(table, rec, col)? {
        None => Ok(None),
        Some(x) if x < 0.0 => Err(bad(table, rec, col, format!("{x}"), &format!("`{}` must be ≥ 0", col.key))),
        Some(x) if x > f64::from(max) => Err(bad(
            table,
            rec,
            col,
            format!("{x}"),
            &format!("`{}` must be at most {max} (larger values are not plausible for one feature)", col.key),
        )),
        Some(x) if (x - x.round()).abs() > 1e-9 => Err(bad(
            table,
            rec,
            col,
            format!("{x}"),
            &format!("`{}` must be a whole number (a decimal mark read as a thousands separator?)", col.key),
        )),
        Some(x) => Ok(Some(x.round() as u32)),
    }
}

/// A list of integers (walk-network node ids): a JSON array, or text separated by `;`, `,` or spaces.
pub fn id_list(table: &Table, rec: &Record, col: &Column) -> Result<Option<Vec<i64>>, LoadError> {
    let parse_err = |v: String| bad(table, rec, col, v, "node ids must be whole numbers");
    match raw(rec, col) {
        None => Ok(None),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_i64()
                    .or_else(|| v.as_f64().filter(|x| x.fract() == 0.0).map(|x| x as i64))
                    .ok_or_else(|| parse_err(v.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(Value::String(s)) => s
            .trim_matches(|c| c == '[' || c == ']')
            .split(|c: char| c == ';' || c == ',' || c.is_whitespace())
            .filter(|t| !t.is_empty())
            .map(|t| t.parse::<i64>().map_err(|_| parse_err(t.to_string())))
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(other) => Err(parse_err(other.to_string())),
    }
}

/// The record's id: the id field, else the GeoJSON feature id, else its position (`row 12`).
pub fn record_id(rec: &Record, col: &Column) -> String {
    text(rec, col).or_else(|| rec.feature_id.clone()).unwrap_or_else(|| match &rec.item {
        Item::Feature(n, _) => format!("#{n}"),
        Item::Row(n) => format!("row{n}"),
        Item::ParquetRow(n) => format!("row{n}"),
        Item::Osm(id) => id.clone(),
    })
}
