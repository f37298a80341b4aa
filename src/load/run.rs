//! Reading back a partition run directory, so later stages (coverage, reports) can group by grid.

use super::error::{Item, LoadError};
use std::collections::HashMap;
use std::path::Path;

/// Where a unit (building or household) sits in a partition run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// Grid id.
    pub grid: String,
    /// Community id (empty for a dedicated grid outside any community).
    pub community: String,
}

/// Reads `RUN_DIR/assignment.csv`: unit id → its grid and community.
pub fn read_assignment(run_dir: &Path) -> Result<HashMap<String, Placement>, LoadError> {
    let path = run_dir.join("assignment.csv");
    let io = |source: std::io::Error| LoadError::Io { path: path.clone(), source };
    let mut reader = csv::Reader::from_reader(std::fs::File::open(&path).map_err(io)?);
    let headers =
        reader.headers().map_err(|e| LoadError::data(&path, Some(Item::Row(1)), None, None, e.to_string()))?;
    let column = |name: &str| {
        headers.iter().position(|h| h == name).ok_or_else(|| {
            LoadError::data(
                &path,
                Some(Item::Row(1)),
                Some(name),
                None,
                "the header needs this column (is this a gridplan run?)",
            )
        })
    };
    let (id, grid, community) = (column("id")?, column("grid_id")?, column("community")?);
    let mut out = HashMap::new();
    for (n, row) in reader.records().enumerate() {
        let row_no = n + 2;
        let row = row.map_err(|e| LoadError::data(&path, Some(Item::Row(row_no)), None, None, e.to_string()))?;
        let field = |i: usize| row.get(i).unwrap_or("").to_string();
        let placement = Placement { grid: field(grid), community: field(community) };
        if out.insert(field(id), placement).is_some() {
            return Err(LoadError::data(
                &path,
                Some(Item::Row(row_no)),
                Some("id"),
                Some(field(id)),
                "each unit is in one grid",
            ));
        }
    }
    Ok(out)
}
