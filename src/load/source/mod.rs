//! Reading GeoJSON, CSV and Parquet into one shape: records with an optional geometry (still in the
//! source CRS, degrees) and a property map. Layer-specific meaning is given later by [`super::layers`].

mod csv;
mod excel;
mod geojson;
mod geopackage;
mod parquet;
mod parquet_footer;
mod parquet_thrift;
mod shapefile;

pub use self::csv::read_csv;
pub use self::excel::read_excel;
pub use self::geojson::read_geojson;
pub use self::geopackage::read_geopackage;
pub use self::parquet::read_parquet;
pub use self::shapefile::read_shapefile;

use super::error::{Item, LoadError};
use crate::config::{DecimalMark, Delimiter, Encoding, Format, LayerSpec};
use geo::Geometry;
use serde_json::{Map, Value};
use std::io::Read;
use std::path::{Path, PathBuf};

/// One feature or row.
#[derive(Debug, Clone)]
pub struct Record {
    /// Where it is in the file.
    pub item: Item,
    /// Geometry in source coordinates (GeoJSON only; CSV/Parquet points come from columns).
    pub geometry: Option<Geometry<f64>>,
    /// Properties or columns.
    pub props: Map<String, Value>,
    /// The GeoJSON feature `id`, when present.
    pub feature_id: Option<String>,
}

/// A whole file of records.
#[derive(Debug, Clone)]
pub struct Table {
    /// The file.
    pub path: PathBuf,
    /// SHA-256 of the file as stored (before any gunzip), hex.
    pub sha256: String,
    /// Its format.
    pub format: Format,
    /// Column names (CSV/Parquet); `None` for GeoJSON, whose properties vary per feature.
    pub columns: Option<Vec<String>>,
    /// Records in file order.
    pub records: Vec<Record>,
    /// The decimal mark numbers written as text are read with.
    pub decimal: DecimalMark,
    /// Columns whose type gridplan cannot read as values (Parquet structs, binaries), with the type: an error
    /// only if a field is read from one.
    pub unreadable: Vec<(String, String)>,
    /// What was guessed about the file (delimiter, decimal mark, a suspect encoding), for the warnings.
    pub notes: Vec<String>,
    /// The data's attribution as the file states it (GeoJSON's top-level `attribution`, which `import-osm`
    /// writes for OpenStreetMap data), carried to every output derived from it.
    pub attribution: Option<String>,
}

impl Table {
    /// Whether any record carries `field` (CSV/Parquet: the header has it).
    pub fn has_field(&self, field: &str) -> bool {
        match &self.columns {
            Some(cols) => cols.iter().any(|c| c == field),
            None => self.records.iter().any(|r| r.props.contains_key(field)),
        }
    }

    /// The names a planner could have meant, for error messages (each shortened: never a file's content).
    pub fn available_fields(&self) -> String {
        let mut names: Vec<String> = match &self.columns {
            Some(cols) => cols.clone(),
            None => {
                let mut set = std::collections::BTreeSet::new();
                for r in self.records.iter().take(1000) {
                    set.extend(r.props.keys().cloned());
                }
                set.into_iter().collect()
            }
        };
        names.truncate(40);
        let names: Vec<String> = names.iter().map(|n| short_text(n, 40)).collect();
        if names.is_empty() { "(none)".into() } else { names.join(", ") }
    }
}

/// How to read one file.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Format; guessed from the name when absent.
    pub format: Option<Format>,
    /// Text encoding (CSV).
    pub encoding: Encoding,
    /// Field delimiter (CSV); sniffed when absent.
    pub delimiter: Option<Delimiter>,
    /// Decimal mark of numbers written as text; from the delimiter when absent.
    pub decimal: Option<DecimalMark>,
    /// Largest size a gzip file may unpack to, bytes.
    pub max_decompressed: u64,
    /// The GeoPackage table or workbook sheet.
    pub layer: Option<String>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            format: None,
            encoding: Encoding::UTF8,
            delimiter: None,
            decimal: None,
            max_decompressed: 1 << 30,
            layer: None,
        }
    }
}

impl ReadOptions {
    /// The options a layer of a plan gives.
    pub fn of<F>(spec: &LayerSpec<F>, max_decompressed_mib: u64) -> ReadOptions {
        ReadOptions {
            format: spec.format,
            encoding: spec.encoding,
            delimiter: spec.delimiter,
            decimal: spec.decimal,
            max_decompressed: max_decompressed_mib.saturating_mul(1 << 20),
            layer: spec.layer.clone(),
        }
    }
}

/// Reads a file of any supported format.
pub fn read_table(path: &Path, options: &ReadOptions) -> Result<Table, LoadError> {
    let format = match options.format.or_else(|| Format::from_path(path)) {
        Some(f) => f,
        None => {
            return Err(LoadError::data(
                path,
                None,
                None,
                None,
                "unknown file type: name the format in the plan (format = \"geojson\" | \"csv\" | \"parquet\" | \"shapefile\" | \"geopackage\" | \"excel\")",
            ));
        }
    };
    match format {
        Format::Geojson => read_geojson(path, options),
        Format::Csv => read_csv(path, options),
        Format::Parquet => read_parquet(path, options),
        Format::Shapefile => read_shapefile(path, options),
        Format::Geopackage => read_geopackage(path, options),
        Format::Excel => read_excel(path, options),
    }
}

/// Hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads a file once: its bytes (gunzipped when gzip, up to the limit) and the hash of what is stored.
pub(crate) fn read_bytes(path: &Path, max_decompressed: u64) -> Result<(Vec<u8>, String), LoadError> {
    let io = |cause| LoadError::Io { path: path.to_path_buf(), cause };
    let raw = std::fs::read(path).map_err(io)?;
    let hash = sha256_hex(&raw);
    if !raw.starts_with(&[0x1f, 0x8b]) {
        return Ok((raw, hash));
    }
    let mut out = Vec::with_capacity(raw.len().saturating_mul(6).min(max_decompressed as usize));
    flate2::read::MultiGzDecoder::new(raw.as_slice())
        .take(max_decompressed.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| LoadError::data(path, None, None, None, format!("not a readable gzip file: {e}")))?;
    if out.len() as u64 > max_decompressed {
        return Err(LoadError::data(
            path,
            None,
            None,
            Some(format!("{} bytes compressed", raw.len())),
            format!(
                "unpacks to more than {} MiB (the limit against decompression bombs); raise [plan] max_decompressed_mib if the file is genuine",
                max_decompressed >> 20
            ),
        ));
    }
    Ok((out, hash))
}

/// At most `max` characters of a text, with an ellipsis when cut.
pub(crate) fn short_text(text: &str, max: usize) -> String {
    let mut chars = text.chars();
    let mut s: String = chars.by_ref().take(max).collect();
    if chars.next().is_some() {
        s.push('…');
    }
    s
}
