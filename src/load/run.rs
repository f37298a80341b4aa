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
    /// Households of the unit.
    pub households: u64,
}

/// Reads `RUN_DIR/assignment.csv`: unit id → its grid and community.
pub fn read_assignment(run_dir: &Path) -> Result<HashMap<String, Placement>, LoadError> {
    let path = run_dir.join("assignment.csv");
    let io = |cause: std::io::Error| LoadError::Io { path: path.clone(), cause };
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
    let (id, grid, community, households) =
        (column("id")?, column("grid_id")?, column("community")?, column("households")?);
    let mut out = HashMap::new();
    for (n, row) in reader.records().enumerate() {
        let row_no = n + 2;
        let row = row.map_err(|e| LoadError::data(&path, Some(Item::Row(row_no)), None, None, e.to_string()))?;
        let field = |i: usize| row.get(i).unwrap_or("").to_string();
        let count = field(households).parse::<u64>().map_err(|_| {
            LoadError::data(
                &path,
                Some(Item::Row(row_no)),
                Some("households"),
                Some(field(households)),
                "must be a whole number",
            )
        })?;
        let placement = Placement { grid: field(grid), community: field(community), households: count };
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

/// Reads the grid outlines of `RUN_DIR/grids.geojson` (written in `crs`) into local metres.
pub fn read_grid_outlines(
    run_dir: &Path,
    crs: crate::crs::Crs,
    projection: &crate::projection::LocalProjection,
) -> Result<Vec<geo::MultiPolygon>, LoadError> {
    use geo::MapCoords;
    let path = run_dir.join("grids.geojson");
    let text = std::fs::read_to_string(&path).map_err(|cause| LoadError::Io { path: path.clone(), cause })?;
    let fc: geojson::FeatureCollection =
        text.parse().map_err(|e: geojson::Error| LoadError::data(&path, None, None, None, e.to_string()))?;
    let mut out = Vec::with_capacity(fc.features.len());
    for (i, f) in fc.features.iter().enumerate() {
        let bad = |rule: &str| LoadError::data(&path, Some(Item::Feature(i, None)), Some("geometry"), None, rule);
        let Some(g) = &f.geometry else { continue };
        let geom: geo::Geometry<f64> = g.clone().try_into().map_err(|_| bad("not a geometry geo can read"))?;
        let mp = match geom {
            geo::Geometry::Polygon(p) => geo::MultiPolygon::new(vec![p]),
            geo::Geometry::MultiPolygon(mp) => mp,
            _ => return Err(bad("a grid outline must be a polygon")),
        };
        out.push(mp.map_coords(|c| {
            let (lon, lat) = crs.to_wgs84(c.x, c.y);
            let (x, y) = projection.forward(lon, lat);
            geo::Coord { x, y }
        }));
    }
    Ok(out)
}

/// Reads a workers table: a CSV with `grid_id` and `workers` columns (UTF-8, optional BOM).
pub fn read_workers(path: &Path) -> Result<std::collections::BTreeMap<String, u32>, LoadError> {
    let io = |cause: std::io::Error| LoadError::Io { path: path.to_path_buf(), cause };
    let bytes = std::fs::read(path).map_err(io)?;
    let text = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&bytes);
    let mut reader = csv::Reader::from_reader(text);
    let headers = reader.headers().map_err(|e| LoadError::data(path, Some(Item::Row(1)), None, None, e.to_string()))?;
    let column = |names: &[&str]| {
        headers.iter().position(|h| names.contains(&h.trim())).ok_or_else(|| {
            LoadError::data(path, Some(Item::Row(1)), Some(names[0]), None, "the header needs this column")
        })
    };
    let (grid, workers) = (column(&["grid_id", "网格编号"])?, column(&["workers", "网格员"])?);
    let mut out = std::collections::BTreeMap::new();
    for (n, row) in reader.records().enumerate() {
        let row_no = n + 2;
        let row = row.map_err(|e| LoadError::data(path, Some(Item::Row(row_no)), None, None, e.to_string()))?;
        let value = row.get(workers).unwrap_or("").trim();
        let count: u32 = value.parse().map_err(|_| {
            LoadError::data(
                path,
                Some(Item::Row(row_no)),
                Some("workers"),
                Some(value.to_string()),
                "must be a whole number ≥ 1",
            )
        })?;
        if count == 0 {
            return Err(LoadError::data(
                path,
                Some(Item::Row(row_no)),
                Some("workers"),
                Some("0".into()),
                "must be a whole number ≥ 1",
            ));
        }
        out.insert(row.get(grid).unwrap_or("").trim().to_string(), count);
    }
    Ok(out)
}
