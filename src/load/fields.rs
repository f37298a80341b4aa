//! Field lookup and value parsing shared by every layer: a configured field must exist; a default field is
//! used when present; every bad value is an error naming file, row, field, value and rule.

use super::error::{Item, LoadError};
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
        return Ok(Column { key, name: Some(name.clone()) });
    }
    Ok(Column { key, name: defaults.iter().find(|d| table.has_field(d)).map(|d| d.to_string()) })
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

/// A number (text is parsed; thousands separators are accepted).
pub fn number(table: &Table, rec: &Record, col: &Column) -> Result<Option<f64>, LoadError> {
    match raw(rec, col) {
        None => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => {
            let cleaned = s.trim().replace([',', '，', ' '], "");
            cleaned
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .map(Some)
                .ok_or_else(|| bad(table, rec, col, format!("{s:?}"), &format!("`{}` must be a number", col.key)))
        }
        Some(other) => Err(bad(table, rec, col, other.to_string(), &format!("`{}` must be a number", col.key))),
    }
}

/// A count of households or persons: a number ≥ 0, rounded to the nearest whole.
pub fn count(table: &Table, rec: &Record, col: &Column) -> Result<Option<u32>, LoadError> {
    match number(table, rec, col)? {
        None => Ok(None),
        Some(x) if x < 0.0 => Err(bad(table, rec, col, format!("{x}"), &format!("`{}` must be ≥ 0", col.key))),
        Some(x) if x > f64::from(u32::MAX) => {
            Err(bad(table, rec, col, format!("{x}"), &format!("`{}` is implausibly large", col.key)))
        }
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
