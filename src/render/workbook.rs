//! `tables.xlsx`: the tables a planner opens in Excel or WPS, one sheet each, made from the very CSVs the run
//! just wrote (so the workbook and the CSVs never disagree). Numbers are numbers (ids with leading zeros and
//! codes stay text); the formula guard of the CSVs (a leading `'`) is not needed in a workbook, whose text
//! cells are never evaluated, and is taken off. A table longer than Excel's 1,048,576 rows continues on a
//! second sheet.

use super::output_dir::StagedDir;
use rust_xlsxwriter::{Format, Workbook, XlsxError};

/// Excel's rows per sheet, the header included.
const MAX_ROWS: usize = 1_048_576;

/// The sheets: name and the staged CSV each is made from (those not written by this run are left out).
pub const SHEETS: [(&str, &str); 5] = [
    ("工作量", "workload.csv"),
    ("各街道社区", "workload_areas.csv"),
    ("问题台账", "uncovered.csv"),
    ("服务圈覆盖", "coverage_summary.csv"),
    ("建议新址", "sites.csv"),
];

/// Writes `tables.xlsx` from the staged CSVs named in [`SHEETS`].
pub fn write_workbook(staged: &StagedDir) -> std::io::Result<()> {
    let xlsx = |e: XlsxError| std::io::Error::other(format!("tables.xlsx: {e}"));
    let mut book = Workbook::new();
    // The workbook's creation time is fixed (as the GeoPackage's and dBase's dates are): a run's files are
    // byte-identical whatever the day; run.json says when it ran.
    let (y, m, d) = crate::render::gis::FIXED_DATE;
    let created = rust_xlsxwriter::ExcelDateTime::from_ymd(y as u16, m as u8, d as u8).map_err(xlsx)?;
    book.set_properties(&rust_xlsxwriter::DocProperties::new().set_creation_datetime(&created));
    // Deflate level 3 instead of the default 6: Harbin's workbook is written ≈ 0.5 s sooner and is 15 % larger
    // (13.2 MB from 11.5 MB; benches/README); readers open either alike.
    book.set_zip_compression_level(3);
    let bold = Format::new().set_bold();
    for (name, file) in SHEETS {
        let path = staged.path(file);
        if !path.is_file() {
            continue;
        }
        let bytes = std::fs::read(&path)?;
        let text = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&bytes);
        let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(text);
        let rows: Vec<csv::StringRecord> =
            reader.records().collect::<Result<_, _>>().map_err(|e| std::io::Error::other(format!("{file}: {e}")))?;
        let Some((header, body)) = rows.split_first() else { continue };
        for (part, chunk) in body.chunks(MAX_ROWS - 1).enumerate() {
            let sheet = book.add_worksheet_with_constant_memory().map_err(xlsx)?;
            let title = if part == 0 { name.to_string() } else { format!("{name}（续{part}）") };
            sheet.set_name(&title).map_err(xlsx)?;
            for (c, h) in header.iter().enumerate() {
                sheet.write_string_with_format(0, c as u16, h, &bold).map_err(xlsx)?;
            }
            for (r, row) in chunk.iter().enumerate() {
                for (c, cell) in row.iter().enumerate() {
                    let (r, c) = (r as u32 + 1, c as u16);
                    match number(cell) {
                        Some(x) => sheet.write_number(r, c, x).map_err(xlsx)?,
                        None => sheet.write_string(r, c, crate::load::run::csv_unescape(cell)).map_err(xlsx)?,
                    };
                }
            }
            sheet.set_freeze_panes(1, 0).map_err(xlsx)?;
        }
    }
    let bytes = book.save_to_buffer().map_err(xlsx)?;
    staged.write("tables.xlsx", &bytes)
}

/// A cell that is a plain decimal number (not an id with leading zeros, not a long code, not empty).
fn number(cell: &str) -> Option<f64> {
    let digits = cell.strip_prefix('-').unwrap_or(cell);
    let leading_zero = digits.len() > 1 && digits.starts_with('0') && !digits.starts_with("0.");
    let plain = !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit() || c == '.');
    // Long whole numbers are codes (12-digit division codes, OSM ids), which Excel would show as 2.3E+11.
    let code = !digits.contains('.') && digits.len() > 9;
    if !plain || leading_zero || code || digits.len() > 15 {
        return None;
    }
    cell.parse::<f64>().ok().filter(|x| x.is_finite())
}

#[cfg(test)]
mod tests {
    use super::number;

    #[test]
    fn numbers_are_numbers_and_codes_stay_text() {
        assert_eq!(number("482"), Some(482.0));
        assert_eq!(number("-3.25"), Some(-3.25));
        assert_eq!(number("0.5"), Some(0.5));
        assert_eq!(number("0"), Some(0.0));
        for text in ["0012", "230102001001", "", "1e5", "r9427144C0103", "NaN", "1,5"] {
            assert_eq!(number(text), None, "{text}");
        }
    }
}
