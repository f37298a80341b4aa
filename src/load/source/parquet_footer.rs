//! A Parquet file's footer checked before polars reads it. The footer is Thrift compact protocol; a corrupt
//! one can claim a list of billions of elements, and polars-parquet reserves memory for the claim and aborts
//! the process when the allocation fails (not a panic that could be caught). Every list, set, map and string
//! length is checked here against the bytes that remain, so no claim can exceed the file's own size.

/// Deepest nesting of Thrift structs and containers accepted (Parquet's own schema nests a handful deep).
const MAX_DEPTH: usize = 64;

/// Checks the frame (`PAR1` … footer, length, `PAR1`) and every length in the footer.
pub fn check(bytes: &[u8]) -> Result<(), String> {
    if bytes.len() < 12 || !bytes.starts_with(b"PAR1") || !bytes.ends_with(b"PAR1") {
        return Err("it does not start and end with the Parquet magic bytes PAR1".into());
    }
    let n = bytes.len();
    let footer_len = u32::from_le_bytes([bytes[n - 8], bytes[n - 7], bytes[n - 6], bytes[n - 5]]) as usize;
    if footer_len > n - 12 {
        return Err(format!("its footer claims {footer_len} bytes, more than the file holds"));
    }
    let mut r = Reader { bytes: &bytes[n - 8 - footer_len..n - 8], at: 0 };
    r.skip_struct(0).map_err(|e| format!("its footer is corrupt: {e}"))
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn remaining(&self) -> usize {
        self.bytes.len() - self.at
    }

    fn byte(&mut self) -> Result<u8, String> {
        let b = *self.bytes.get(self.at).ok_or("it ends in the middle of a value")?;
        self.at += 1;
        Ok(b)
    }

    fn take(&mut self, n: usize) -> Result<(), String> {
        if n > self.remaining() {
            return Err(format!("a value claims {n} bytes where {} remain", self.remaining()));
        }
        self.at += n;
        Ok(())
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut x = 0u64;
        for shift in (0..70).step_by(7) {
            let b = self.byte()?;
            x |= u64::from(b & 0x7f) << shift.min(63);
            if b < 0x80 {
                return Ok(x);
            }
        }
        Err("a number runs over ten bytes".into())
    }

    /// A length that must fit in what remains, `unit` bytes per element at least.
    fn length(&mut self, n: u64, unit: usize) -> Result<usize, String> {
        let n = usize::try_from(n).map_err(|_| "a length does not fit in memory".to_string())?;
        if n.saturating_mul(unit) > self.remaining() {
            return Err(format!("a list claims {n} elements where {} bytes remain", self.remaining()));
        }
        Ok(n)
    }

    fn skip_struct(&mut self, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err("structs nest too deep".into());
        }
        loop {
            let header = self.byte()?;
            let kind = header & 0x0f;
            if kind == 0 {
                return Ok(()); // STOP
            }
            if header >> 4 == 0 {
                self.varint()?; // a field id that is not a delta
            }
            self.skip_value(kind, depth)?;
        }
    }

    fn skip_value(&mut self, kind: u8, depth: usize) -> Result<(), String> {
        match kind {
            1 | 2 => Ok(()), // booleans carry their value in the type
            3 => self.take(1),
            4..=6 => self.varint().map(drop),
            7 => self.take(8),
            8 => {
                let n = self.varint()?;
                let n = self.length(n, 1)?;
                self.take(n)
            }
            9 | 10 => {
                let header = self.byte()?;
                let size = match header >> 4 {
                    15 => self.varint()?,
                    small => u64::from(small),
                };
                let elem = header & 0x0f;
                let n = self.length(size, 1)?;
                for _ in 0..n {
                    // A list of booleans holds one byte per element.
                    if elem == 1 || elem == 2 { self.take(1)? } else { self.skip_value(elem, depth + 1)? }
                }
                Ok(())
            }
            11 => {
                let size = self.varint()?;
                if size == 0 {
                    return Ok(());
                }
                let types = self.byte()?;
                let n = self.length(size, 2)?;
                for _ in 0..n {
                    self.skip_value(types >> 4, depth + 1)?;
                    self.skip_value(types & 0x0f, depth + 1)?;
                }
                Ok(())
            }
            12 => self.skip_struct(depth + 1),
            13 => self.take(16),
            other => Err(format!("an unknown Thrift type {other}")),
        }
    }
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
        // field 1, type list; list header: size in a varint (15), element type struct (12); size 10⁹.
        let footer = [0x19, 0xfc, 0x80, 0x94, 0xeb, 0xdc, 0x03, 0x00];
        let err = check(&framed(&footer)).unwrap_err();
        assert!(err.contains("claims 1000000000 elements"), "{err}");
        assert!(check(&framed(&[0x15, 0x02, 0x00])).is_ok(), "one i32 field, then STOP");
        assert!(check(b"PAR1PAR1").is_err());
        let mut lying = framed(&[0x00]);
        let n = lying.len();
        lying[n - 8..n - 4].copy_from_slice(&1000u32.to_le_bytes());
        assert!(check(&lying).unwrap_err().contains("more than the file holds"));
    }

    #[test]
    fn files_polars_writes_pass() {
        use polars::prelude::*;
        let mut df = df!("id" => ["a", "b"], "x" => [1.5, 2.5], "n" => [Some(1i64), None]).unwrap();
        let mut buf = Vec::new();
        polars_io::parquet::write::ParquetWriter::new(&mut buf).finish(&mut df).unwrap();
        check(&buf).unwrap();
    }
}
