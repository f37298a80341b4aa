//! CSV with a header row, in any encoding the Encoding Standard names, with the delimiter given or sniffed
//! from the header and the decimal mark given or following the delimiter (`;` files come from locales with
//! a decimal comma). Every value stays text until a layer parses it; rows are numbered as Excel and WPS
//! number them (the header is row 1, a cell holding a line break stays one row).

use super::{ReadOptions, Record, Table, read_bytes, short_text};
use crate::config::{DecimalMark, Delimiter, Encoding, Format};
use crate::load::error::{Item, LoadError};
use serde_json::{Map, Value};
use std::path::Path;

/// Reads a CSV file with a header row; every value is kept as text and parsed when a layer asks for it.
pub fn read_csv(path: &Path, options: &ReadOptions) -> Result<Table, LoadError> {
    let (bytes, sha256) = read_bytes(path, options.max_decompressed)?;
    let mut notes = Vec::new();
    let text = decode(path, &bytes, options.encoding, &mut notes)?;
    let delimiter = match options.delimiter {
        Some(d) => d,
        None => {
            let d = sniff(&text);
            if d != Delimiter::Comma {
                notes.push(format!(
                    "fields are separated by {:?} (sniffed from the header; set delimiter = {:?} to say so)",
                    d.label(),
                    d.label()
                ));
            }
            d
        }
    };
    let decimal = match options.decimal {
        Some(m) => m,
        None if delimiter == Delimiter::Semicolon => {
            notes.push(
                "numbers are read with a decimal comma, as in the locales that separate fields by ';' (set decimal = \".\" if not)"
                    .into(),
            );
            DecimalMark::Comma
        }
        None => DecimalMark::Point,
    };
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter.byte()).flexible(false).from_reader(text.as_bytes());
    let csv_err = |e: csv::Error| {
        let row = e.position().map(|p| p.record() as usize + 1);
        let hint = if options.delimiter.is_none() {
            " (the delimiter was sniffed from the header: set delimiter = \",\", \";\", \"\\t\" or \"|\" if it is another)"
        } else {
            ""
        };
        LoadError::data(path, row.map(Item::Row), None, None, format!("malformed CSV: {e}{hint}"))
    };
    let headers: Vec<String> = reader.headers().map_err(csv_err)?.iter().map(|h| h.trim().to_string()).collect();
    if let Some((j, i, h)) = repeated_column(&headers) {
        return Err(LoadError::data(
            path,
            Some(Item::Row(1)),
            Some(h),
            None,
            format!(
                "the header names column {h:?} twice (columns {} and {}): rename one, so that no value is silently ignored",
                column_letter(j),
                column_letter(i)
            ),
        ));
    }
    let mut records = Vec::new();
    for row in reader.records() {
        let row = row.map_err(csv_err)?;
        let excel_row = row.position().map_or(records.len() + 2, |p| p.record() as usize + 1);
        let mut props = Map::new();
        for (h, v) in headers.iter().zip(row.iter()) {
            if h.is_empty() {
                continue; // a trailing delimiter in the header (Excel writes them)
            }
            let v = v.trim();
            props.insert(h.clone(), if v.is_empty() { Value::Null } else { Value::String(v.to_string()) });
        }
        records.push(Record { item: Item::Row(excel_row), geometry: None, props, feature_id: None });
    }
    let columns = headers.into_iter().filter(|h| !h.is_empty()).collect();
    Ok(Table {
        path: path.to_path_buf(),
        sha256,
        format: Format::Csv,
        columns: Some(columns),
        records,
        decimal,
        unreadable: Vec::new(),
        notes,
        attribution: None,
    })
}

/// Excel's name of a 0-based column (`A`, `B`, … `AA`).
/// The first column name that repeats an earlier one: (earlier column, this column, name).
pub(super) fn repeated_column(headers: &[String]) -> Option<(usize, usize, &str)> {
    headers
        .iter()
        .enumerate()
        .find_map(|(i, h)| headers[..i].iter().position(|g| g == h && !g.is_empty()).map(|j| (j, i, h.as_str())))
}

pub(super) fn column_letter(mut i: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s.reverse();
    String::from_utf8_lossy(&s).into_owned()
}

/// The delimiter of the header line: the candidate found most often outside quotes (`,` on a tie).
fn sniff(text: &str) -> Delimiter {
    let header = text.lines().next().unwrap_or("");
    let mut counts = [0usize; 4];
    let mut quoted = false;
    for c in header.chars() {
        if c == '"' {
            quoted = !quoted;
        } else if !quoted && let Some(i) = Delimiter::ALL.iter().position(|d| char::from(d.byte()) == c) {
            counts[i] += 1;
        }
    }
    let best = (0..4).max_by_key(|&i| (counts[i], std::cmp::Reverse(i))).unwrap_or(0);
    if counts[best] == 0 { Delimiter::Comma } else { Delimiter::ALL[best] }
}

/// Decodes the bytes: a BOM wins over the declared encoding (with a note when they differ); text that does
/// not decode is an error naming the line; text that decodes but looks wrong gets a note.
fn decode(path: &Path, bytes: &[u8], declared: Encoding, notes: &mut Vec<String>) -> Result<String, LoadError> {
    let enc = declared.get();
    let (text, used, had_errors) = enc.decode(bytes);
    if used != enc {
        notes.push(format!(
            "the file starts with a {} byte-order mark: read as {}, not {}",
            used.name(),
            used.name(),
            enc.name()
        ));
    }
    if had_errors {
        let line = text.find('\u{FFFD}').map_or(1, |i| 1 + text[..i].matches('\n').count());
        let rule = if used == encoding_rs::UTF_8 {
            "not valid UTF-8; if Excel or WPS saved it on Chinese Windows, set encoding = \"gbk\" for this layer (on Western Windows: \"windows-1252\")".to_string()
        } else {
            format!("not valid {} text: set this layer's encoding to the one the file was saved in", used.name())
        };
        return Err(LoadError::data(path, Some(Item::Row(line)), None, None, rule));
    }
    if used != encoding_rs::UTF_8 && !bytes.is_ascii() {
        if std::str::from_utf8(bytes).is_ok() {
            notes.push(format!(
                "the file is valid UTF-8 but was read as {}: names may be garbled; set encoding = \"utf-8\" if they are",
                used.name()
            ));
        } else if (used == encoding_rs::GBK || used == encoding_rs::GB18030) && rare_gbk_share(bytes) > 0.2 {
            notes.push(format!(
                "{:.0} % of its two-byte characters are rare ones outside GB2312, as when a Western (windows-1252) file is read as GBK: check the names, e.g. {:?}",
                100.0 * rare_gbk_share(bytes),
                short_text(text.lines().find(|l| !l.is_ascii()).unwrap_or(""), 40)
            ));
        }
    }
    Ok(text.into_owned())
}

/// Share of GBK two-byte characters outside the GB2312 area (both bytes ≥ 0xA1): under a percent in Chinese
/// text, nearly all when Latin-1 letters (é = 0xE9 followed by an ASCII letter) are paired up as GBK.
fn rare_gbk_share(bytes: &[u8]) -> f64 {
    let (mut all, mut rare, mut i) = (0usize, 0usize, 0usize);
    while i + 1 < bytes.len() {
        let (a, b) = (bytes[i], bytes[i + 1]);
        if a < 0x81 {
            i += 1;
            continue;
        }
        all += 1;
        if a < 0xA1 || b < 0xA1 {
            rare += 1;
        }
        i += if (0x30..=0x39).contains(&b) { 4 } else { 2 };
    }
    if all == 0 { 0.0 } else { rare as f64 / all as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(body: &[u8], options: ReadOptions) -> Result<Table, String> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("h.csv");
        std::fs::write(&p, body).unwrap();
        read_csv(&p, &options).map_err(|e| e.to_string())
    }

    #[test]
    fn gbk_csv_reads_chinese_headers() {
        let (text, _, _) = encoding_rs::GBK.encode("编号,经度,纬度,户数\nA1,126.6,45.7,12\n");
        let t = read(&text, ReadOptions { encoding: Encoding::GBK, ..Default::default() }).unwrap();
        assert_eq!(t.columns.as_deref(), Some(&["编号".to_string(), "经度".into(), "纬度".into(), "户数".into()][..]));
        assert_eq!(t.records[0].props["户数"], Value::String("12".into()));
        assert_eq!(t.records[0].item, Item::Row(2));
        assert!(t.notes.is_empty(), "{:?}", t.notes);
        let err = read(&text, ReadOptions::default()).unwrap_err();
        assert!(err.contains("gbk"), "{err}");
    }

    #[test]
    fn semicolons_are_sniffed_with_the_decimal_comma() {
        let t = read(b"id;lon;lat;persons\nh1;126,6;45,7;2,6\n", ReadOptions::default()).unwrap();
        assert_eq!(t.decimal, DecimalMark::Comma);
        assert_eq!(t.records[0].props["lon"], Value::String("126,6".into()));
        assert_eq!(t.notes.len(), 2, "{:?}", t.notes);
        let t = read(b"id\tname\nh1\t\"a;b\"\n", ReadOptions::default()).unwrap();
        assert_eq!(t.columns.as_ref().map(Vec::len), Some(2));
    }

    #[test]
    fn duplicate_columns_and_rows_after_a_quoted_line_break() {
        let err = read(b"id,households,households\na,1,2\n", ReadOptions::default()).unwrap_err();
        assert!(err.contains("twice (columns B and C)"), "{err}");
        let t = read(b"id,name\na,\"two\nlines\"\nb,x\n", ReadOptions::default()).unwrap();
        assert_eq!(t.records[1].item, Item::Row(3), "Excel's row 3, though it is line 4 of the file");
        let err = read(b"id,name\na,\"two\nlines\"\nb,x,extra\n", ReadOptions::default()).unwrap_err();
        assert!(err.contains("row 3"), "{err}");
    }

    #[test]
    fn western_text_read_as_gbk_gets_a_note() {
        let (text, _, _) =
            encoding_rs::WINDOWS_1252.encode("id,name\n1,Sé Catedral República\n2,Liberdade Consolação\n");
        let t = read(&text, ReadOptions { encoding: Encoding::GBK, ..Default::default() });
        match t {
            Ok(t) => assert!(t.notes.iter().any(|n| n.contains("windows-1252")), "{:?}", t.notes),
            Err(e) => assert!(e.contains("not valid GBK"), "{e}"),
        }
        let w = Encoding::for_label("windows-1252").unwrap();
        let t = read(&text, ReadOptions { encoding: w, ..Default::default() }).unwrap();
        assert_eq!(t.records[0].props["name"], Value::String("Sé Catedral República".into()));
        let t = read("id,name\n1,爱建街道\n".as_bytes(), ReadOptions { encoding: Encoding::GBK, ..Default::default() })
            .unwrap();
        assert!(t.notes.iter().any(|n| n.contains("valid UTF-8")), "{:?}", t.notes);
    }
}
