//! The Thrift compact protocol of Parquet's footer and page headers, read against Parquet's own schema
//! (`parquet.thrift`): a known field must have its declared type (polars-parquet's hand-written decoder reads a
//! field by its id and trusts the type, so a binary where a list belongs makes it reserve memory for garbage),
//! every length must fit in the bytes that remain, and integers must fit their declared width. Unknown fields
//! are skipped by their wire type, as Thrift allows.

/// Deepest nesting of Thrift structs and containers accepted (Parquet's own structures nest a handful deep).
const MAX_DEPTH: usize = 64;

/// A Thrift value, as much of it as the checks need.
#[derive(Debug)]
pub enum Value {
    /// An integer of any width.
    Int(i64),
    /// A struct's fields by id.
    Struct(Vec<(i16, Value)>),
    /// A list or set.
    List(Vec<Value>),
    /// Anything else (strings, doubles, booleans, maps).
    Other,
}

impl Value {
    /// A field of a struct.
    pub fn field(&self, id: i16) -> Option<&Value> {
        match self {
            Value::Struct(fields) => fields.iter().find(|(f, _)| *f == id).map(|(_, v)| v),
            _ => None,
        }
    }

    /// An integer field of a struct.
    pub fn int(&self, id: i16) -> Option<i64> {
        match self.field(id) {
            Some(Value::Int(x)) => Some(*x),
            _ => None,
        }
    }

    /// A list field of a struct (empty when absent).
    pub fn list(&self, id: i16) -> &[Value] {
        match self.field(id) {
            Some(Value::List(v)) => v,
            _ => &[],
        }
    }
}

/// The declared type of a field.
#[derive(Debug, Clone, Copy)]
enum Ty {
    Bool,
    I8,
    I16,
    I32,
    I64,
    Binary,
    Struct(S),
    List(&'static Ty),
    /// An i32 enum with these values (polars-parquet `unwrap`s the conversion of some).
    Enum(&'static [i64]),
}

/// The Parquet structs whose fields are checked; `Any` is read by wire type only.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum S {
    /// `FileMetaData`, the footer.
    File,
    /// `SchemaElement`.
    Schema,
    /// `RowGroup`.
    RowGroup,
    /// `ColumnChunk`.
    Column,
    /// `ColumnMetaData`.
    ColumnMeta,
    /// `SortingColumn`.
    Sorting,
    /// `KeyValue`.
    KeyValue,
    /// `PageHeader`.
    Page,
    /// `DataPageHeader`.
    DataPage,
    /// `DictionaryPageHeader`.
    DictionaryPage,
    /// `DataPageHeaderV2`.
    DataPageV2,
    /// `PageEncodingStats`.
    EncodingStats,
    /// `Statistics`.
    Statistics,
    /// `LogicalType` (a union of structs).
    LogicalType,
    /// `DecimalType`.
    Decimal,
    /// `TimeType` and `TimestampType`.
    Time,
    /// `TimeUnit` (a union of empty structs).
    TimeUnit,
    /// `IntType`.
    Int,
    /// `ColumnOrder` (a union).
    ColumnOrder,
    /// Any other struct.
    Any,
}

use Ty::*;

const STRINGS: Ty = List(&Binary);
/// `Type`, `FieldRepetitionType`, `ConvertedType`, `Encoding`, `CompressionCodec`, `PageType` of parquet.thrift.
const TYPE: Ty = Enum(&[0, 1, 2, 3, 4, 5, 6, 7]);
const REPETITION: Ty = Enum(&[0, 1, 2]);
const CONVERTED: Ty = Enum(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21]);
const ENCODING: Ty = Enum(&[0, 2, 3, 4, 5, 6, 7, 8, 9]);
const ENCODINGS: Ty = List(&ENCODING);
const CODEC: Ty = Enum(&[0, 1, 2, 3, 4, 5, 6, 7]);
const PAGE_TYPE: Ty = Enum(&[0, 1, 2, 3]);

/// The fields of each checked struct, from `parquet.thrift`.
fn fields(s: S) -> &'static [(i16, Ty)] {
    match s {
        S::File => &[
            (1, I32),
            (2, List(&Struct(S::Schema))),
            (3, I64),
            (4, List(&Struct(S::RowGroup))),
            (5, List(&Struct(S::KeyValue))),
            (6, Binary),
            (7, List(&Struct(S::ColumnOrder))),
            (8, Struct(S::Any)),
            (9, Binary),
        ],
        S::Schema => &[
            (1, TYPE),
            (2, I32),
            (3, REPETITION),
            (4, Binary),
            (5, I32),
            (6, CONVERTED),
            (7, I32),
            (8, I32),
            (9, I32),
            (10, Struct(S::LogicalType)),
        ],
        S::RowGroup => &[
            (1, List(&Struct(S::Column))),
            (2, I64),
            (3, I64),
            (4, List(&Struct(S::Sorting))),
            (5, I64),
            (6, I64),
            (7, I16),
        ],
        S::Column => &[
            (1, Binary),
            (2, I64),
            (3, Struct(S::ColumnMeta)),
            (4, I64),
            (5, I32),
            (6, I64),
            (7, I32),
            (8, Struct(S::Any)),
            (9, Binary),
        ],
        S::ColumnMeta => &[
            (1, TYPE),
            (2, ENCODINGS),
            (3, STRINGS),
            (4, CODEC),
            (5, I64),
            (6, I64),
            (7, I64),
            (8, List(&Struct(S::KeyValue))),
            (9, I64),
            (10, I64),
            (11, I64),
            (12, Struct(S::Statistics)),
            (13, List(&Struct(S::EncodingStats))),
            (14, I64),
            (15, I32),
        ],
        S::Sorting => &[(1, I32), (2, Bool), (3, Bool)],
        S::KeyValue => &[(1, Binary), (2, Binary)],
        S::Page => &[
            (1, PAGE_TYPE),
            (2, I32),
            (3, I32),
            (4, I32),
            (5, Struct(S::DataPage)),
            (6, Struct(S::Any)),
            (7, Struct(S::DictionaryPage)),
            (8, Struct(S::DataPageV2)),
        ],
        S::DataPage => &[(1, I32), (2, ENCODING), (3, ENCODING), (4, ENCODING), (5, Struct(S::Statistics))],
        S::DictionaryPage => &[(1, I32), (2, ENCODING), (3, Bool)],
        S::DataPageV2 => {
            &[(1, I32), (2, I32), (3, I32), (4, ENCODING), (5, I32), (6, I32), (7, Bool), (8, Struct(S::Statistics))]
        }
        S::EncodingStats => &[(1, PAGE_TYPE), (2, ENCODING), (3, I32)],
        S::Statistics => {
            &[(1, Binary), (2, Binary), (3, I64), (4, I64), (5, Binary), (6, Binary), (7, Bool), (8, Bool)]
        }
        S::LogicalType => &[
            (1, Struct(S::Any)),
            (2, Struct(S::Any)),
            (3, Struct(S::Any)),
            (4, Struct(S::Any)),
            (5, Struct(S::Decimal)),
            (6, Struct(S::Any)),
            (7, Struct(S::Time)),
            (8, Struct(S::Time)),
            (10, Struct(S::Int)),
            (11, Struct(S::Any)),
            (12, Struct(S::Any)),
            (13, Struct(S::Any)),
            (14, Struct(S::Any)),
            (15, Struct(S::Any)),
        ],
        S::Decimal => &[(1, I32), (2, I32)],
        S::Time => &[(1, Bool), (2, Struct(S::TimeUnit))],
        S::TimeUnit => &[(1, Struct(S::Any)), (2, Struct(S::Any)), (3, Struct(S::Any))],
        S::Int => &[(1, I8), (2, Bool)],
        S::ColumnOrder => &[(1, Struct(S::Any))],
        S::Any => &[],
    }
}

/// The compact-protocol wire type a declared type is written with.
fn wire(t: Ty) -> &'static [u8] {
    match t {
        Bool => &[1, 2],
        I8 => &[3],
        I16 => &[4],
        I32 | Enum(_) => &[5],
        I64 => &[6],
        Binary => &[8],
        Struct(_) => &[12],
        List(_) => &[9, 10],
    }
}

/// A reader over a byte slice.
pub struct Reader<'a> {
    bytes: &'a [u8],
    /// Bytes read so far.
    pub at: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, at: 0 }
    }

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
            x |= u64::from(b & 0x7f).checked_shl(shift).unwrap_or(0);
            if b < 0x80 {
                return Ok(x);
            }
        }
        Err("a number runs over ten bytes".into())
    }

    /// A zigzag-encoded signed integer.
    fn int(&mut self) -> Result<i64, String> {
        let z = self.varint()?;
        Ok((z >> 1) as i64 ^ -((z & 1) as i64))
    }

    /// A count of elements that must fit in what remains, `unit` bytes per element at least.
    fn count(&mut self, n: u64, unit: usize) -> Result<usize, String> {
        let n = usize::try_from(n).map_err(|_| "a length does not fit in memory".to_string())?;
        if n.saturating_mul(unit) > self.remaining() {
            return Err(format!("a list claims {n} elements where {} bytes remain", self.remaining()));
        }
        Ok(n)
    }

    /// A struct of the given kind.
    pub fn read_struct(&mut self, s: S, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err("structs nest too deep".into());
        }
        let mut out = Vec::new();
        let mut id: i16 = 0;
        loop {
            let header = self.byte()?;
            let kind = header & 0x0f;
            if kind == 0 {
                return Ok(Value::Struct(out)); // STOP
            }
            id = match header >> 4 {
                0 => i16::try_from(self.int()?).map_err(|_| "a field id out of range".to_string())?,
                delta => id.wrapping_add(i16::from(delta)),
            };
            // Thrift decoders keep the last of repeated fields, the checks would read the first.
            if out.iter().any(|(f, _)| *f == id) {
                return Err(format!("field {id} of {s:?} appears twice"));
            }
            let v = match fields(s).iter().find(|(f, _)| *f == id) {
                Some(&(_, ty)) => {
                    if !wire(ty).contains(&kind) {
                        return Err(format!("field {id} of {s:?} has wire type {kind}, not {ty:?}"));
                    }
                    self.read_typed(ty, kind, depth)?
                }
                None => self.read_value(kind, depth)?,
            };
            out.push((id, v));
        }
    }

    fn read_typed(&mut self, ty: Ty, kind: u8, depth: usize) -> Result<Value, String> {
        let range = |x: i64, lo: i64, hi: i64| {
            if (lo..=hi).contains(&x) { Ok(Value::Int(x)) } else { Err(format!("{x} does not fit its field")) }
        };
        match ty {
            I16 => range(self.int()?, i64::from(i16::MIN), i64::from(i16::MAX)),
            I32 => range(self.int()?, i64::from(i32::MIN), i64::from(i32::MAX)),
            Enum(values) => {
                let x = self.int()?;
                if values.contains(&x) {
                    Ok(Value::Int(x))
                } else {
                    Err(format!("{x} is not one of the values its field allows"))
                }
            }
            Struct(s) => self.read_struct(s, depth + 1),
            List(elem) => {
                let (n, elem_kind) = self.list_header()?;
                if !wire(*elem).contains(&elem_kind) {
                    return Err(format!("a list of wire type {elem_kind} where {elem:?} belongs"));
                }
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(if matches!(elem, Bool) {
                        self.take(1)?;
                        Value::Other
                    } else {
                        self.read_typed(*elem, elem_kind, depth + 1)?
                    });
                }
                Ok(Value::List(items))
            }
            _ => self.read_value(kind, depth),
        }
    }

    fn list_header(&mut self) -> Result<(usize, u8), String> {
        let header = self.byte()?;
        let size = match header >> 4 {
            15 => self.varint()?,
            small => u64::from(small),
        };
        Ok((self.count(size, 1)?, header & 0x0f))
    }

    /// Any value, by its wire type.
    fn read_value(&mut self, kind: u8, depth: usize) -> Result<Value, String> {
        Ok(match kind {
            1 | 2 => Value::Other, // booleans carry their value in the type
            3 => {
                self.take(1)?;
                Value::Other
            }
            4..=6 => Value::Int(self.int()?),
            7 => {
                self.take(8)?;
                Value::Other
            }
            8 => {
                let n = self.varint()?;
                let n = self.count(n, 1)?;
                self.take(n)?;
                Value::Other
            }
            9 | 10 => {
                let (n, elem) = self.list_header()?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    // A list of booleans holds one byte per element.
                    if elem == 1 || elem == 2 {
                        self.take(1)?;
                        items.push(Value::Other);
                    } else {
                        items.push(self.read_value(elem, depth + 1)?);
                    }
                }
                Value::List(items)
            }
            11 => {
                let size = self.varint()?;
                if size > 0 {
                    let types = self.byte()?;
                    let n = self.count(size, 2)?;
                    for _ in 0..n {
                        self.read_value(types >> 4, depth + 1)?;
                        self.read_value(types & 0x0f, depth + 1)?;
                    }
                }
                Value::Other
            }
            12 => self.read_struct(S::Any, depth + 1)?,
            13 => {
                self.take(16)?;
                Value::Other
            }
            other => return Err(format!("an unknown Thrift type {other}")),
        })
    }
}
