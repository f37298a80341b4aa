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

/// A text cell as gridplan wrote it before making it spreadsheet-safe ([`crate::render::spreadsheet_safe`]).
pub fn csv_unescape(s: &str) -> &str {
    s.strip_prefix('\'').unwrap_or(s)
}

/// Reads `RUN_DIR/assignment.csv`: unit id → its grid and community.
pub fn read_assignment(run_dir: &Path) -> Result<HashMap<String, Placement>, LoadError> {
    let path = run_dir.join("assignment.csv");
    let io = |cause: std::io::Error| LoadError::Io { path: path.clone(), cause };
    let bytes = std::fs::read(&path).map_err(io)?;
    let mut reader = csv::Reader::from_reader(bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&bytes));
    let headers =
        reader.headers().map_err(|e| LoadError::data(&path, Some(Item::Row(1)), None, None, e.to_string()))?;
    let column = |name: &str| {
        headers.iter().position(|h| crate::columns::key_of(h.trim()) == name).ok_or_else(|| {
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
        let field = |i: usize| csv_unescape(row.get(i).unwrap_or("")).to_string();
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
/// The output CRS a run folder was written in (`run.json` → `config.plan.output_crs`; WGS84 when absent).
pub fn read_output_crs(run_dir: &Path) -> Result<crate::crs::Crs, LoadError> {
    let path = run_dir.join("run.json");
    let text = std::fs::read_to_string(&path).map_err(|cause| LoadError::Io { path: path.clone(), cause })?;
    let v: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| LoadError::data(&path, None, None, None, format!("not a gridplan run.json: {e}")))?;
    match v["config"]["plan"]["output_crs"].as_str() {
        None => Ok(crate::crs::Crs::Wgs84),
        Some(name) => serde_json::from_value(serde_json::Value::String(name.into()))
            .map_err(|e| LoadError::data(&path, None, Some("output_crs"), Some(name.into()), e.to_string())),
    }
}

/// The polygons of a run's layer (`grids.geojson`, `micro_grids.geojson`) in WGS84 degrees, each with the text
/// of the properties `keys` (empty when absent).
pub fn read_polygons_with(
    path: &Path,
    crs: crate::crs::Crs,
    keys: &[&str],
) -> Result<Vec<(geo::MultiPolygon, Vec<String>)>, LoadError> {
    use geo::MapCoords;
    let text = std::fs::read_to_string(path).map_err(|cause| LoadError::Io { path: path.to_path_buf(), cause })?;
    let fc: geojson::FeatureCollection =
        text.parse().map_err(|e: geojson::Error| LoadError::data(path, None, None, None, e.to_string()))?;
    let mut out = Vec::with_capacity(fc.features.len());
    for (i, f) in fc.features.iter().enumerate() {
        let bad = |rule: &str| LoadError::data(path, Some(Item::Feature(i, None)), Some("geometry"), None, rule);
        let Some(g) = &f.geometry else { continue };
        let geom: geo::Geometry<f64> = g.clone().try_into().map_err(|_| bad("not a geometry geo can read"))?;
        let mp = match geom {
            geo::Geometry::Polygon(p) => geo::MultiPolygon::new(vec![p]),
            geo::Geometry::MultiPolygon(mp) => mp,
            _ => return Err(bad("an outline must be a polygon")),
        };
        let props = keys
            .iter()
            .map(|k| match f.property(*k) {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(serde_json::Value::Null) | None => String::new(),
                Some(v) => v.to_string(),
            })
            .collect();
        let mp = mp.map_coords(|c| {
            let (lon, lat) = crs.to_wgs84(c.x, c.y);
            geo::Coord { x: lon, y: lat }
        });
        out.push((mp, props));
    }
    Ok(out)
}

/// Reads a two-column table `key,value` (a plan such as `districts`' `assignment.csv`: `id,district`; UTF-8,
/// optional BOM); each key once.
pub fn read_id_table(path: &Path, key: &str, value: &str) -> Result<HashMap<String, String>, LoadError> {
    let mut out = HashMap::new();
    for (n, (id, val)) in read_pairs(path, key, value)?.into_iter().enumerate() {
        if let Some(id) = out.insert(id.clone(), val).map(|_| id) {
            return Err(LoadError::data(path, Some(Item::Row(n + 2)), Some(key), Some(id), "each id appears once"));
        }
    }
    Ok(out)
}

/// Reads the pairs of two columns of a table (edges `a,b`: node ids; `id,district`), in file order (UTF-8,
/// optional BOM).
pub fn read_pairs(path: &Path, first: &str, second: &str) -> Result<Vec<(String, String)>, LoadError> {
    let io = |cause: std::io::Error| LoadError::Io { path: path.to_path_buf(), cause };
    let bytes = std::fs::read(path).map_err(io)?;
    let text = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&bytes);
    let mut reader = csv::Reader::from_reader(text);
    let headers = reader.headers().map_err(|e| LoadError::data(path, Some(Item::Row(1)), None, None, e.to_string()))?;
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim() == name || crate::columns::key_of(h.trim()) == name)
            .ok_or_else(|| LoadError::data(path, Some(Item::Row(1)), Some(name), None, "the header needs this column"))
    };
    let (a, b) = (column(first)?, column(second)?);
    reader
        .records()
        .enumerate()
        .map(|(n, row)| {
            let row = row.map_err(|e| LoadError::data(path, Some(Item::Row(n + 2)), None, None, e.to_string()))?;
            let cell = |i: usize| csv_unescape(row.get(i).unwrap_or("").trim()).to_string();
            Ok((cell(a), cell(b)))
        })
        .collect()
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
/// Checks that a partition run was planned from this dataset: the buildings and households layers it read
/// (`run.json` inputs) have the hashes of this plan's, and every unit of its `assignment.csv` is one of this
/// dataset's. Another plan's run would otherwise give every unit a null grid without a word.
pub fn check_grids_match(
    run_dir: &Path,
    d: &crate::model::Dataset,
    placements: &HashMap<String, Placement>,
) -> Result<(), LoadError> {
    let run_json = run_dir.join("run.json");
    if let Ok(text) = std::fs::read_to_string(&run_json) {
        let v: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| LoadError::data(&run_json, None, None, None, format!("not a gridplan run.json: {e}")))?;
        for input in v["inputs"].as_array().into_iter().flatten() {
            let (Some(layer), Some(sha)) = (input["layer"].as_str(), input["sha256"].as_str()) else { continue };
            if !matches!(layer, "buildings" | "households") {
                continue;
            }
            if let Some(ours) = d.layers.iter().find(|l| l.name.key() == layer)
                && ours.sha256 != sha
            {
                return Err(LoadError::data(
                    &run_json,
                    None,
                    Some("inputs"),
                    Some(format!("{layer} sha256 {}…", &sha[..sha.len().min(12)])),
                    format!(
                        "these grids were planned from other data: this plan's {layer} layer {} has sha256 {}…; rerun the partition on this plan, or give its run",
                        ours.path.display(),
                        &ours.sha256[..ours.sha256.len().min(12)]
                    ),
                ));
            }
        }
    }
    let ours: std::collections::HashSet<&str> =
        d.buildings.iter().map(|b| b.id.as_str()).chain(d.households.iter().map(|h| h.id.as_str())).collect();
    let mut unknown: Vec<&str> = placements.keys().map(String::as_str).filter(|id| !ours.contains(id)).collect();
    if !unknown.is_empty() {
        unknown.sort_unstable();
        return Err(LoadError::data(
            run_dir.join("assignment.csv"),
            None,
            Some("id"),
            Some(format!("{} (and {} more)", unknown[0], unknown.len() - 1)),
            "units of these grids are not in this plan's data: the grids belong to another plan",
        ));
    }
    Ok(())
}
