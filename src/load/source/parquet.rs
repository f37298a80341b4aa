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

/// Whether a Parquet column's type reads as values: numbers, text, booleans, dates and times, lists of numbers.
fn readable_type(t: &polars::prelude::ArrowDataType) -> bool {
    use polars::prelude::ArrowDataType as A;
    let number = |t: &A| {
        matches!(
            t,
            A::Int8
                | A::Int16
                | A::Int32
                | A::Int64
                | A::UInt8
                | A::UInt16
                | A::UInt32
                | A::UInt64
                | A::Float32
                | A::Float64
        )
    };
    match t {
        A::Null | A::Boolean | A::Utf8 | A::LargeUtf8 | A::Utf8View | A::Date32 | A::Date64 | A::Timestamp(..) => true,
        A::Time32(_) | A::Time64(_) => true,
        A::List(f) | A::LargeList(f) => number(&f.dtype),
        other => number(other),
    }
}

/// A column type as a planner reads it (`struct`, `binary`, `list of struct`).
fn type_name(t: &polars::prelude::ArrowDataType) -> String {
    use polars::prelude::ArrowDataType as A;
    match t {
        A::Struct(_) => "struct".into(),
        A::Map(..) => "map".into(),
        A::Binary | A::LargeBinary | A::BinaryView | A::FixedSizeBinary(_) => "binary".into(),
        A::Dictionary(..) => "dictionary".into(),
        A::List(f) | A::LargeList(f) | A::FixedSizeList(f, _) => format!("list of {}", type_name(&f.dtype)),
        other => crate::load::source::short_text(&format!("{other:?}").to_lowercase(), 40),
    }
}

/// Reads a Parquet file with polars.
pub fn read_parquet(path: &Path, options: &ReadOptions) -> Result<Table, LoadError> {
    let (bytes, sha256) = read_bytes(path, options.max_decompressed)?;
    // polars-parquet panics on some corrupt metadata: that is a located error here, not a crash.
    crate::load::error::guarded(
        || parquet_table(path, bytes, sha256, options),
        |why| {
            LoadError::data(
                path,
                None,
                None,
                None,
                format!("not a readable Parquet file: its metadata is corrupt ({why})"),
            )
        },
    )
}

fn parquet_table(path: &Path, bytes: Vec<u8>, sha256: String, options: &ReadOptions) -> Result<Table, LoadError> {
    use polars_io::SerReader;
    let bad = |e: polars::error::PolarsError| {
        LoadError::data(path, None, None, None, format!("not a readable Parquet file: {e}"))
    };
    super::parquet_footer::check(&bytes, options.max_decompressed)
        .map_err(|e| LoadError::data(path, None, None, None, format!("not a readable Parquet file: {e}")))?;
    let mut reader = polars_io::parquet::read::ParquetReader::new(std::io::Cursor::new(bytes));
    let schema = reader.schema().map_err(bad)?;
    // Rows are held in memory, at least 8 bytes a value: a claim beyond the decompression budget is refused
    // before polars reserves memory for it.
    let rows = reader.num_rows().map_err(bad)? as u64;
    let cells = rows.saturating_mul(schema.len().max(1) as u64);
    if cells.saturating_mul(8) > options.max_decompressed.saturating_mul(4) {
        return Err(LoadError::data(
            path,
            None,
            None,
            Some(format!("{rows} rows × {} columns", schema.len())),
            format!(
                "more than the {} MiB budget of [plan] max_decompressed_mib allows in memory (raise it if the file is genuine)",
                options.max_decompressed >> 20
            ),
        ));
    }
    let mut columns = Vec::new();
    let mut readable = Vec::new();
    let mut unreadable = Vec::new();
    for (name, field) in schema.iter() {
        columns.push(name.to_string());
        if readable_type(&field.dtype) {
            readable.push(name.to_string());
        } else {
            unreadable.push((name.to_string(), type_name(&field.dtype)));
        }
    }
    // Columns of types polars (as built here) cannot hold are left out of the read, not the whole file.
    let df = reader.with_columns(Some(readable)).finish().map_err(bad)?;
    let n = df.height();
    let mut records: Vec<Record> = (0..n)
        .map(|i| Record { item: Item::ParquetRow(i), geometry: None, props: Map::new(), feature_id: None })
        .collect();
    for (name, _) in &unreadable {
        for rec in &mut records {
            rec.props.insert(name.clone(), Value::Null);
        }
    }
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
        attribution: None,
    })
}
