//! A Parquet file checked before polars reads it. polars-parquet trusts the sizes a file states: a corrupt
//! footer can claim a list of billions of elements, a corrupt page header a negative count of values, and
//! polars reserves memory for the claim — the process then aborts on the failed allocation, which no
//! `catch_unwind` can turn into an error. So the footer (Thrift compact protocol) is parsed here with every
//! list, map and string length bounded by the bytes that remain, and every column chunk and page header is
//! checked against the file's size, its row group and the memory budget.

use super::parquet_thrift::{Reader, S, Value};

/// Checks the frame, the footer, every column chunk and every page header; `budget` bounds what one page
/// may unpack to, bytes.
pub fn check(bytes: &[u8], budget: u64) -> Result<(), String> {
    if bytes.len() < 12 || !bytes.starts_with(b"PAR1") || !bytes.ends_with(b"PAR1") {
        return Err("it does not start and end with the Parquet magic bytes PAR1".into());
    }
    let n = bytes.len();
    let footer_len = u32::from_le_bytes([bytes[n - 8], bytes[n - 7], bytes[n - 6], bytes[n - 5]]) as usize;
    if footer_len > n - 12 {
        return Err(format!("its footer claims {footer_len} bytes, more than the file holds"));
    }
    let data_end = (n - 8 - footer_len) as i64;
    let footer = Reader::new(&bytes[n - 8 - footer_len..n - 8])
        .read_struct(S::File, 0)
        .map_err(|e| format!("its footer is corrupt: {e}"))?;
    let corrupt = |what: String| format!("its footer is corrupt: {what}");
    let file_rows = footer.int(3).unwrap_or(0);
    if file_rows < 0 {
        return Err(corrupt("a negative number of rows".into()));
    }
    // The counts must add up: polars subtracts one from another, and a wrapped difference is an allocation of
    // exabytes.
    let mut group_rows = 0i64;
    for (g, group) in footer.list(4).iter().enumerate() {
        let rows = group.int(3).unwrap_or(0);
        if rows < 0 {
            return Err(corrupt(format!("row group {g} has a negative number of rows")));
        }
        group_rows = group_rows.saturating_add(rows);
        for (c, chunk) in group.list(1).iter().enumerate() {
            let Some(meta) = chunk.field(3) else { continue };
            check_chunk(bytes, data_end, meta, rows, budget)
                .map_err(|e| corrupt(format!("row group {g}, column {c}: {e}")))?;
        }
    }
    if group_rows != file_rows {
        return Err(corrupt(format!("its row groups hold {group_rows} rows, the file says {file_rows}")));
    }
    Ok(())
}

/// A column chunk: its byte range inside the data, then each page header in it.
fn check_chunk(bytes: &[u8], data_end: i64, meta: &Value, rows: i64, budget: u64) -> Result<(), String> {
    let values = meta.int(5).unwrap_or(0);
    // Every row has a value in every column (a null is a value too; lists have more).
    if values < rows {
        return Err(format!("{values} values for {rows} rows"));
    }
    let size = meta.int(7).unwrap_or(0);
    let data = meta.int(9).unwrap_or(4);
    let start = meta.int(11).filter(|d| *d > 0).map_or(data, |d| d.min(data));
    if values < 0 || size < 0 || start < 4 || start.checked_add(size).is_none_or(|end| end > data_end) {
        return Err(format!("values {values}, bytes {start}..+{size} lie outside the file"));
    }
    let (mut at, end) = (start as usize, (start + size) as usize);
    let mut page_values = 0i64;
    while at < end {
        let mut r = Reader::new(&bytes[at..end]);
        let header = r.read_struct(S::Page, 0).map_err(|e| format!("a page header at byte {at}: {e}"))?;
        let (unpacked, packed) = (header.int(2).unwrap_or(-1), header.int(3).unwrap_or(-1));
        if packed < 0 || unpacked < 0 || unpacked as u64 > budget || packed as usize > end - at - r.at {
            return Err(format!("the page at byte {at} claims {packed} bytes packed, {unpacked} unpacked"));
        }
        // Data page (v1), dictionary page, data page (v2): their counts of values, nulls and rows.
        for (page, counts) in [(5, &[1][..]), (7, &[1][..]), (8, &[1, 2, 3][..])] {
            if let Some(p) = header.field(page) {
                for &f in counts {
                    if p.int(f).is_some_and(|x| x < 0 || x > values.max(0)) {
                        return Err(format!(
                            "the page at byte {at} counts {} where the chunk holds {values} values",
                            p.int(f).unwrap_or(0)
                        ));
                    }
                }
            }
        }
        // Data pages (not the dictionary) share out the chunk's values; a v2 page's nulls and rows are among them.
        if let Some(v1) = header.field(5) {
            page_values = page_values.saturating_add(v1.int(1).unwrap_or(0));
        }
        if let Some(v2) = header.field(8) {
            let n = v2.int(1).unwrap_or(0);
            if v2.int(2).unwrap_or(0) > n || v2.int(3).unwrap_or(0) > n {
                return Err(format!("the page at byte {at} has more nulls or rows than values"));
            }
            page_values = page_values.saturating_add(n);
        }
        at += r.at + packed as usize;
    }
    if page_values != values {
        return Err(format!("its pages hold {page_values} values, the chunk says {values}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framed(footer: &[u8]) -> Vec<u8> {
        let mut v = b"PAR1".to_vec();
        v.extend_from_slice(footer);
        v.extend_from_slice(&(footer.len() as u32).to_le_bytes());
        v.extend_from_slice(b"PAR1");
        v
    }

    #[test]
    fn huge_list_claims_are_refused() {
        // field 2 (the schema), type list; list header: size in a varint (15), element type struct (12); 10⁹.
        let footer = [0x29, 0xfc, 0x80, 0x94, 0xeb, 0xdc, 0x03, 0x00];
        let err = check(&framed(&footer), 1 << 30).unwrap_err();
        assert!(err.contains("claims 1000000000 elements"), "{err}");
        assert!(check(&framed(&[0x15, 0x02, 0x00]), 1 << 30).is_ok(), "one i32 field, then STOP");
        assert!(check(b"PAR1PAR1", 1 << 30).is_err());
        let mut lying = framed(&[0x00]);
        let n = lying.len();
        lying[n - 8..n - 4].copy_from_slice(&1000u32.to_le_bytes());
        assert!(check(&lying, 1 << 30).unwrap_err().contains("more than the file holds"));
    }

    #[test]
    fn a_known_field_of_the_wrong_type_is_refused() {
        // field 4 (row groups) written as a binary of 2 bytes: polars would read it as a list and reserve
        // memory for whatever count the bytes spell.
        let err = check(&framed(&[0x48, 0x02, 0xff, 0xff, 0x00]), 1 << 30).unwrap_err();
        assert!(err.contains("field 4"), "{err}");
        // An unknown field id is skipped by its wire type.
        assert!(check(&framed(&[0xf8, 0x01, 0x41, 0x00]), 1 << 30).is_ok());
    }

    fn polars_file() -> Vec<u8> {
        use polars::prelude::*;
        let mut df = df!("id" => ["a", "b", "c"], "x" => [1.5, 2.5, 3.5], "n" => [Some(1i64), None, Some(3)]).unwrap();
        let mut buf = Vec::new();
        polars_io::parquet::write::ParquetWriter::new(&mut buf).finish(&mut df).unwrap();
        buf
    }

    #[test]
    fn files_polars_writes_pass_and_a_corrupt_page_count_is_caught() {
        let buf = polars_file();
        check(&buf, 1 << 30).unwrap();
        // Every page header of the file, bytes flipped one at a time: never a panic, and whatever is accepted
        // stays within the file (the fuzz target runs the reader on such bytes).
        for i in 4..buf.len().min(400) {
            let mut b = buf.clone();
            b[i] ^= 0x55;
            let _ = check(&b, 1 << 30);
        }
    }
}
