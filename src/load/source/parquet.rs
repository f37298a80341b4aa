//! Parquet through polars: numbers stay numbers, text stays text. NaN and infinities are kept as such (a
//! field read from them is an error saying so, not "missing"); columns of types gridplan cannot use as
//! values (structs, binaries, …) are listed, and only reading a field from one is an error.

use super::{ReadOptions, Record, Table, read_bytes};
use crate::config::{DecimalMark, Format};
use crate::load::error::{Item, LoadError};
use polars::prelude::{AnyValue, DataType};
use serde_json::{Map, Value};
use std::path::Path;

/// A number as JSON, non-finite ones as the text that names them.
fn number(x: Option<f64>) -> Value {
    match x {
        None => Value::Null,
        Some(x) => serde_json::Number::from_f64(x).map_or_else(
            || {
                Value::String(
                    if x.is_nan() {
                        "NaN"
                    } else if x > 0.0 {
                        "inf"
                    } else {
                        "-inf"
                    }
                    .into(),
                )
            },
            Value::Number,
        ),
    }
}

/// Reads a Parquet file with polars.
pub fn read_parquet(path: &Path, options: &ReadOptions) -> Result<Table, LoadError> {
    use polars_io::SerReader;
    let (bytes, sha256) = read_bytes(path, options.max_decompressed)?;
    let bad = |e: polars::error::PolarsError| {
        LoadError::data(path, None, None, None, format!("not a readable Parquet file: {e}"))
    };
    let df = polars_io::parquet::read::ParquetReader::new(std::io::Cursor::new(bytes)).finish().map_err(bad)?;
    let columns: Vec<String> = df.get_column_names().iter().map(|s| s.to_string()).collect();
    let n = df.height();
    let mut records: Vec<Record> = (0..n)
        .map(|i| Record { item: Item::ParquetRow(i), geometry: None, props: Map::new(), feature_id: None })
        .collect();
    let mut unreadable = Vec::new();
    for col in df.columns() {
        let name = col.name().to_string();
        let dtype = col.dtype().clone();
        let column_err = |e: polars::error::PolarsError| {
            LoadError::data(path, None, Some(&name), Some(dtype.to_string()), format!("the column cannot be read: {e}"))
        };
        let values: Vec<Value> = if dtype.is_primitive_numeric() {
            let cast = col.cast(&DataType::Float64).map_err(column_err)?;
            cast.f64().map_err(column_err)?.iter().map(number).collect()
        } else if dtype == DataType::String {
            col.str().map_err(column_err)?.iter().map(|v| v.map_or(Value::Null, |s| Value::String(s.into()))).collect()
        } else if dtype == DataType::Boolean {
            col.bool().map_err(column_err)?.iter().map(|v| v.map_or(Value::Null, Value::Bool)).collect()
        } else if matches!(&dtype, DataType::List(inner) if inner.is_primitive_numeric()) {
            (0..n)
                .map(|i| match col.get(i).map_err(column_err)? {
                    AnyValue::List(s) => {
                        let cast = s.cast(&DataType::Float64).map_err(column_err)?;
                        Ok(Value::Array(cast.f64().map_err(column_err)?.iter().map(number).collect()))
                    }
                    _ => Ok(Value::Null),
                })
                .collect::<Result<_, LoadError>>()?
        } else if dtype.is_temporal() || dtype.is_categorical() {
            let cast = col.cast(&DataType::String).map_err(column_err)?;
            cast.str().map_err(column_err)?.iter().map(|v| v.map_or(Value::Null, |s| Value::String(s.into()))).collect()
        } else {
            unreadable.push((name.clone(), dtype.to_string()));
            vec![Value::Null; n]
        };
        for (rec, v) in records.iter_mut().zip(values) {
            rec.props.insert(name.clone(), v);
        }
    }
    Ok(Table {
        path: path.to_path_buf(),
        sha256,
        format: Format::Parquet,
        columns: Some(columns),
        records,
        decimal: options.decimal.unwrap_or(DecimalMark::Point),
        unreadable,
        notes: Vec::new(),
    })
}
