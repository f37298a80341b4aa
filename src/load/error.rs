//! Load errors: each names the file, the feature or row, the field, the value and the rule broken.

use std::fmt;
use std::path::PathBuf;

/// A position in an input file, as a planner would look for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// The n-th feature of a GeoJSON file (0-based, as `features[n]`), with its id when it has one.
    Feature(usize, Option<String>),
    /// A CSV row as Excel and WPS number it (the header is row 1).
    Row(usize),
    /// A Parquet row (0-based).
    ParquetRow(usize),
    /// An OpenStreetMap element (`w123`, `r45`, `n6`).
    Osm(String),
}

impl fmt::Display for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Item::Feature(n, Some(id)) => write!(f, "feature {n} (id {id})"),
            Item::Feature(n, None) => write!(f, "feature {n}"),
            Item::Row(n) => write!(f, "row {n}"),
            Item::ParquetRow(n) => write!(f, "row {n}"),
            Item::Osm(id) => write!(f, "OSM element {id}"),
        }
    }
}

/// Everything that can stop a load.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file cannot be opened or read.
    #[error("{path}: cannot read: {cause}")]
    Io {
        /// File.
        path: PathBuf,
        /// Cause (shown in the message, so not also a `source`).
        cause: std::io::Error,
    },
    /// Not well-formed JSON.
    #[error("{path}: line {line}, column {column}: broken JSON: {message}")]
    Json {
        /// File.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// A truncated or corrupt `.osm.pbf`.
    #[error("{path}: not a readable OpenStreetMap PBF file (truncated or corrupt?): {message}")]
    Pbf {
        /// File.
        path: PathBuf,
        /// The reader's message.
        message: String,
    },
    /// A feature, row or value that breaks a rule.
    #[error("{0}")]
    Data(Box<DataError>),
    /// The plan file itself.
    #[error(transparent)]
    Plan(#[from] crate::config::PlanError),
}

/// A rule broken by one feature, row or column.
#[derive(Debug, Clone, PartialEq)]
pub struct DataError {
    /// File.
    pub path: PathBuf,
    /// Feature or row, when the rule is about one.
    pub item: Option<Item>,
    /// Field (property or column), when the rule is about one.
    pub field: Option<String>,
    /// The offending value, as found.
    pub value: Option<String>,
    /// The rule, in words a planner understands.
    pub rule: String,
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(item) = &self.item {
            write!(f, ", {item}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ", field `{field}`")?;
        }
        if let Some(value) = &self.value {
            write!(f, ": got {value}")?;
        }
        write!(f, ": {}", self.rule)
    }
}

impl LoadError {
    /// A data error with everything it knows.
    pub fn data(
        path: impl Into<PathBuf>,
        item: Option<Item>,
        field: Option<&str>,
        value: Option<String>,
        rule: impl Into<String>,
    ) -> LoadError {
        LoadError::Data(Box::new(DataError {
            path: path.into(),
            item,
            field: field.map(str::to_string),
            value,
            rule: rule.into(),
        }))
    }

    /// The data error inside, if this is one (for tests and tools).
    pub fn as_data(&self) -> Option<&DataError> {
        match self {
            LoadError::Data(d) => Some(d),
            _ => None,
        }
    }
}

/// The message of a caught panic (`&str` or `String` payloads; anything else is "unknown").
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown cause".into())
}

/// Runs a reader from another crate that may panic on corrupt bytes (the pbf and Parquet readers do), turning
/// its panic into `on_panic(message)`: a located error instead of a crash. The panic is still seen by the
/// panic hook (the CLI's records it quietly).
pub fn guarded<T>(
    f: impl FnOnce() -> Result<T, LoadError>,
    on_panic: impl FnOnce(String) -> LoadError,
) -> Result<T, LoadError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(panic) => Err(on_panic(panic_message(&*panic))),
    }
}
