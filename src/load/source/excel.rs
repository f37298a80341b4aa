//! Workbook layers (`.xlsx`, `.xls`, `.ods` through `calamine`): one sheet — the layer's `layer`, or the first —
//! with a header row, read like a CSV (points from lon/lat columns) but with the cell types Excel stores:
//! numbers stay numbers (whole ones as integers, so a 12-digit code typed as a number keeps every digit), text
//! stays text, and a cell holding an Excel error (`#N/A`, `#VALUE!`) is an error naming the sheet, row and column.

use super::csv::{column_letter, repeated_column};
use super::{Item, LoadError, ReadOptions, Record, Table};
use calamine::{Data, Reader};
use serde_json::{Map, Value};
use std::path::Path;

/// Reads one sheet of a workbook.
pub fn read_excel(path: &Path, options: &ReadOptions) -> Result<Table, LoadError> {
    let bytes = std::fs::read(path).map_err(|cause| LoadError::Io { path: path.to_path_buf(), cause })?;
    let sha256 = super::sha256_hex(&bytes);
    let bad = |item: Option<Item>, field: Option<&str>, value: Option<String>, rule: String| {
        LoadError::data(path, item, field, value, rule)
    };
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes))
        .map_err(|e| bad(None, None, None, format!("not a readable workbook (.xlsx, .xls or .ods): {e}")))?;
    let sheets = book.sheet_names();
    let sheet = match &options.layer {
        Some(want) => sheets.iter().find(|s| *s == want).cloned().ok_or_else(|| {
            bad(None, None, None, format!("no sheet {want:?} in this workbook; it has: {}", sheets.join(", ")))
        })?,
        None => sheets.first().cloned().ok_or_else(|| bad(None, None, None, "the workbook has no sheet".into()))?,
    };
    let range = book
        .worksheet_range(&sheet)
        .map_err(|e| bad(None, None, None, format!("sheet {sheet}: not readable ({e})")))?;
    let first_row = range.start().map_or(0, |(r, _)| r as usize);
    let mut rows = range.rows();
    let Some(header) = rows.next() else {
        return Err(bad(None, None, None, format!("sheet {sheet} is empty: it needs a header row")));
    };
    let headers: Vec<String> = header.iter().map(|c| c.to_string().trim().to_string()).collect();
    if let Some((j, i, h)) = repeated_column(&headers) {
        return Err(bad(
            Some(Item::Row(first_row + 1)),
            Some(h),
            None,
            format!(
                "sheet {sheet}: the header names column {h:?} twice (columns {} and {}): rename one",
                column_letter(j),
                column_letter(i)
            ),
        ));
    }
    let mut records = Vec::new();
    for (n, row) in rows.enumerate() {
        // Excel's own row number: the header's row, plus one, plus this row's place.
        let excel_row = first_row + n + 2;
        if row.iter().all(|c| matches!(c, Data::Empty)) {
            continue;
        }
        let mut props = Map::new();
        for (i, (h, cell)) in headers.iter().zip(row.iter()).enumerate() {
            if h.is_empty() {
                continue;
            }
            let value = match cell {
                Data::Empty => Value::Null,
                Data::Int(x) => Value::from(*x),
                Data::Float(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => Value::from(*x as i64),
                Data::Float(x) => serde_json::Number::from_f64(*x).map_or(Value::Null, Value::Number),
                Data::String(s) => {
                    let s = s.trim();
                    if s.is_empty() { Value::Null } else { Value::String(s.to_string()) }
                }
                Data::Bool(b) => Value::Bool(*b),
                Data::DateTime(d) => Value::String(d.to_string()),
                Data::DateTimeIso(s) | Data::DurationIso(s) => Value::String(s.clone()),
                Data::Error(e) => {
                    return Err(bad(
                        Some(Item::Row(excel_row)),
                        Some(h),
                        Some(format!("{e}")),
                        format!(
                            "sheet {sheet}, cell {}{excel_row} holds an Excel error, not a value",
                            column_letter(i)
                        ),
                    ));
                }
            };
            props.insert(h.clone(), value);
        }
        records.push(Record { item: Item::Row(excel_row), geometry: None, props, feature_id: None });
    }
    if records.is_empty() && options.layer.is_none() && sheets.len() > 1 {
        return Err(bad(
            None,
            None,
            None,
            format!(
                "sheet {sheet}, the first, has no rows under its header; the workbook also has {}: name the sheet with layer = \"…\"",
                sheets[1..].join(", ")
            ),
        ));
    }
    Ok(Table {
        path: path.to_path_buf(),
        sha256,
        format: crate::config::Format::Excel,
        columns: Some(headers.into_iter().filter(|h| !h.is_empty()).collect()),
        records,
        decimal: crate::config::DecimalMark::Point,
        unreadable: Vec::new(),
        notes: if options.layer.is_none() && sheets.len() > 1 {
            vec![format!(
                "read sheet {sheet}, the first of {} ({}); set layer = \"…\" to read another",
                sheets.len(),
                sheets.join(", ")
            )]
        } else {
            Vec::new()
        },
        attribution: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book(path: &Path, rows: &[(&str, f64, f64)], error: bool) {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet().set_name("楼栋").expect("sheet");
        for (c, h) in ["编码", "名称", "lon", "lat"].iter().enumerate() {
            sheet.write(0, c as u16, *h).expect("header");
        }
        for (r, (name, lon, lat)) in rows.iter().enumerate() {
            let r = r as u32 + 1;
            sheet.write(r, 0, 230_102_001_001.0 + f64::from(r)).expect("code");
            sheet.write(r, 1, *name).expect("name");
            sheet.write(r, 2, *lon).expect("lon");
            sheet.write(r, 3, *lat).expect("lat");
        }
        if error {
            sheet.write_formula(2, 2, rust_xlsxwriter::Formula::new("=NA()").set_result("#N/A")).expect("formula");
        }
        book.save(path).expect("save");
    }

    #[test]
    fn cells_keep_their_types_and_an_error_cell_is_located() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("b.xlsx");
        book(&path, &[("一号楼", 126.6, 45.7), ("二号楼", 126.61, 45.71)], false);
        let t = read_excel(&path, &ReadOptions::default()).expect("read");
        assert_eq!(t.records.len(), 2);
        assert_eq!(t.records[0].props["编码"], Value::from(230_102_001_002_i64), "a 12-digit code keeps every digit");
        assert_eq!(t.records[1].props["名称"], "二号楼");
        assert_eq!(t.records[1].props["lon"], 126.61);
        assert!(matches!(t.records[0].item, Item::Row(2)), "Excel's row numbers");
        book(&path, &[("一号楼", 126.6, 45.7), ("二号楼", 126.61, 45.71)], true);
        let e = read_excel(&path, &ReadOptions::default()).expect_err("#N/A").to_string();
        assert!(e.contains("C3") && e.contains("楼栋") && e.contains("lon"), "{e}");
    }
}
