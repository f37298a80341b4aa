//! The previous plan a rerun starts from (`--previous`): a gridplan run folder, or any grid layer a city already
//! has — a polygon layer with a grid id (units matched by location), or a table unit → grid id — in any format
//! gridplan reads (GeoJSON, CSV, Parquet).

use super::error::LoadError;
use super::run::csv_unescape;
use super::source::{ReadOptions, Record, read_table};
use crate::crs::Crs;
use crate::projection::LocalProjection;
use geo::{MapCoords, MultiPolygon};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// Column names a unit id is looked for under, in order.
const UNIT_FIELDS: &[&str] = &["id", "unit_id", "unit", "building_id", "单元编号", "楼栋编号", "编号"];
/// Column names a grid id is looked for under, in order.
const GRID_FIELDS: &[&str] = &["grid_id", "网格编号", "grid", "网格", "district", "part", "assignment"];
/// The record of ids a rerun retired, kept in its run folder so that no later rerun reuses them.
pub const REPLAN_FILE: &str = "replan.json";

/// What the previous plan is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PreviousKind {
    /// A gridplan run folder (`assignment.csv`, `grids.geojson`).
    Run,
    /// A table unit id → grid id.
    Table,
    /// A polygon layer with a grid id per polygon.
    Layer,
}

/// One grid of the previous plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviousGrid {
    /// Its id, as the planner knows it.
    pub id: String,
    /// Its code (the id when the source has none).
    pub code: String,
    /// Its community id, when the source gives one.
    pub community: Option<String>,
    /// Whether it was a dedicated grid (专属网格) of a gridplan run.
    pub dedicated: bool,
}

/// The previous plan.
#[derive(Debug, Clone)]
pub struct PreviousPlan {
    /// Where it was read from.
    pub source: PathBuf,
    /// What it is.
    pub kind: PreviousKind,
    /// Its grids, ordered by id.
    pub grids: Vec<PreviousGrid>,
    /// Unit id → index into `grids`.
    pub units: HashMap<String, usize>,
    /// Grid outlines in local metres (index into `grids`, outline), for units matched by location.
    pub outlines: Vec<(usize, MultiPolygon)>,
    /// Grid ids used before and retired: never given to a new grid.
    pub retired: BTreeSet<String>,
    /// Grids of the previous plan another shard reruns (`plan --shard`, [`crate::shard::rerun`]): their ids
    /// are taken, and a lock on one is that shard's.
    pub elsewhere: BTreeSet<String>,
}

impl PreviousPlan {
    /// Reads a run folder, or a layer or table in any format gridplan reads. Layer coordinates are in `crs`
    /// (the plan's input system); a run folder's `grids.geojson` is in `output_crs`.
    pub fn read(
        path: &Path,
        crs: Crs,
        output_crs: Crs,
        projection: &LocalProjection,
    ) -> Result<PreviousPlan, LoadError> {
        // Recorded absolute, so that `compare` can tell a rerun's previous plan from any other run.
        let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let path = absolute.as_path();
        if path.is_dir() {
            return read_run(path, output_crs, projection);
        }
        let table = read_table(path, &ReadOptions::default())?;
        let grid_field = pick(&table, GRID_FIELDS, path)?;
        let polygons = table.records.iter().any(|r| r.geometry.is_some());
        let mut plan = PreviousPlan {
            source: path.to_path_buf(),
            kind: if polygons { PreviousKind::Layer } else { PreviousKind::Table },
            grids: Vec::new(),
            units: HashMap::new(),
            outlines: Vec::new(),
            retired: BTreeSet::new(),
            elsewhere: BTreeSet::new(),
        };
        let mut index: HashMap<String, usize> = HashMap::new();
        if polygons {
            for r in &table.records {
                let id = text(r, &grid_field, path)?;
                let g = plan.grid(&mut index, &id, None, None);
                plan.grids[g].dedicated = r.props.get("kind").and_then(|v| v.as_str()) == Some("dedicated");
                let outline = outline(r, crs, projection, path)?;
                plan.outlines.push((g, outline));
            }
        } else {
            let unit_field = pick(&table, UNIT_FIELDS, path)?;
            for r in &table.records {
                let (unit, id) = (text(r, &unit_field, path)?, text(r, &grid_field, path)?);
                let g = plan.grid(&mut index, &id, None, None);
                if plan.units.insert(unit.clone(), g).is_some_and(|other| other != g) {
                    return Err(twice(path, r, &unit_field, unit));
                }
            }
        }
        Ok(plan.sorted())
    }

    /// The index of grid `id`, added when new.
    fn grid(
        &mut self,
        index: &mut HashMap<String, usize>,
        id: &str,
        code: Option<String>,
        community: Option<String>,
    ) -> usize {
        *index.entry(id.to_string()).or_insert_with(|| {
            self.grids.push(PreviousGrid {
                id: id.to_string(),
                code: code.unwrap_or_else(|| id.to_string()),
                community: community.filter(|c| !c.is_empty()),
                dedicated: false,
            });
            self.grids.len() - 1
        })
    }

    /// Grids ordered by id, indices renumbered: the order never depends on the file's row order.
    fn sorted(mut self) -> PreviousPlan {
        let mut order: Vec<usize> = (0..self.grids.len()).collect();
        order.sort_by(|&a, &b| self.grids[a].id.cmp(&self.grids[b].id));
        let mut new_index = vec![0; order.len()];
        for (n, &g) in order.iter().enumerate() {
            new_index[g] = n;
        }
        self.grids = order.iter().map(|&g| self.grids[g].clone()).collect();
        for g in self.units.values_mut() {
            *g = new_index[*g];
        }
        for (g, _) in &mut self.outlines {
            *g = new_index[*g];
        }
        self
    }
}

/// A run folder: `assignment.csv` (unit → grid, community), codes and outlines from `grids.geojson`, retired
/// ids from `replan.json`.
fn read_run(dir: &Path, output_crs: Crs, projection: &LocalProjection) -> Result<PreviousPlan, LoadError> {
    let assignment = dir.join("assignment.csv");
    if !assignment.is_file() {
        return Err(LoadError::data(
            dir,
            None,
            None,
            None,
            "not a gridplan run folder (no assignment.csv): give a run folder, a grid layer or a table unit → grid id",
        ));
    }
    let mut table = read_table(&assignment, &ReadOptions::default())?;
    // Column names in Chinese or as keys (`[plan] csv_headers`): read as keys.
    for r in &mut table.records {
        r.props = std::mem::take(&mut r.props)
            .into_iter()
            .map(|(k, v)| (crate::columns::key_of(&k).into_owned(), v))
            .collect();
    }
    let mut plan = PreviousPlan {
        source: dir.to_path_buf(),
        kind: PreviousKind::Run,
        grids: Vec::new(),
        units: HashMap::new(),
        outlines: Vec::new(),
        retired: BTreeSet::new(),
        elsewhere: BTreeSet::new(),
    };
    let mut index: HashMap<String, usize> = HashMap::new();
    let grids_path = dir.join("grids.geojson");
    if grids_path.is_file() {
        let layer = read_table(&grids_path, &ReadOptions::default())?;
        for r in &layer.records {
            let id = text(r, "grid_id", &grids_path)?;
            let code = r.props.get("code").and_then(|v| v.as_str()).map(str::to_string);
            let community = r.props.get("community_id").and_then(|v| v.as_str()).map(str::to_string);
            let g = plan.grid(&mut index, &id, code, community);
            plan.grids[g].dedicated = r.props.get("kind").and_then(|v| v.as_str()) == Some("dedicated");
            if r.geometry.is_some() {
                plan.outlines.push((g, outline(r, output_crs, projection, &grids_path)?));
            }
        }
    }
    for r in &table.records {
        let (unit, id) = (text(r, "id", &assignment)?, text(r, "grid_id", &assignment)?);
        let community = r.props.get("community").map(|v| csv_unescape(&value_text(v)).to_string());
        let g = plan.grid(&mut index, &id, None, community.clone());
        if plan.grids[g].community.is_none() {
            plan.grids[g].community = community.filter(|c| !c.is_empty());
        }
        if plan.units.insert(unit.clone(), g).is_some_and(|other| other != g) {
            return Err(twice(&assignment, r, "id", unit));
        }
    }
    if let Ok(text) = std::fs::read_to_string(dir.join(REPLAN_FILE)) {
        let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            LoadError::data(dir.join(REPLAN_FILE), None, None, None, format!("not a gridplan replan.json: {e}"))
        })?;
        let retired = v["retired_ids"].as_array().into_iter().flatten().filter_map(|x| x.as_str());
        plan.retired.extend(retired.map(str::to_string));
    }
    Ok(plan.sorted())
}

/// The first of `names` the table has.
fn pick(table: &super::source::Table, names: &[&str], path: &Path) -> Result<String, LoadError> {
    names.iter().find(|n| table.has_field(n)).map(|n| n.to_string()).ok_or_else(|| {
        LoadError::data(
            path,
            None,
            Some(names[0]),
            None,
            format!(
                "a previous plan needs a column named one of {}; the file has {}",
                names.join(", "),
                table.available_fields()
            ),
        )
    })
}

fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A non-empty id from `field`.
fn text(r: &Record, field: &str, path: &Path) -> Result<String, LoadError> {
    let value = r.props.get(field).map(value_text).unwrap_or_default();
    let value = csv_unescape(value.trim()).to_string();
    if value.is_empty() {
        return Err(LoadError::data(path, Some(r.item.clone()), Some(field), None, "an id is needed here"));
    }
    Ok(value)
}

fn twice(path: &Path, r: &Record, field: &str, unit: String) -> LoadError {
    LoadError::data(
        path,
        Some(r.item.clone()),
        Some(field),
        Some(unit),
        "each unit is in one grid of the previous plan",
    )
}

/// A record's polygon in local metres.
fn outline(r: &Record, crs: Crs, projection: &LocalProjection, path: &Path) -> Result<MultiPolygon, LoadError> {
    let bad = |rule: &str| LoadError::data(path, Some(r.item.clone()), Some("geometry"), None, rule);
    let mp = match &r.geometry {
        Some(geo::Geometry::Polygon(p)) => MultiPolygon::new(vec![p.clone()]),
        Some(geo::Geometry::MultiPolygon(mp)) => mp.clone(),
        _ => return Err(bad("a grid of the previous plan must be a polygon or multipolygon")),
    };
    Ok(mp.map_coords(|c| {
        let (lon, lat) = crs.to_wgs84(c.x, c.y);
        let (x, y) = projection.forward(lon, lat);
        geo::Coord { x, y }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn a_table_names_its_columns_and_refuses_a_unit_in_two_grids() {
        let dir = tempfile::tempdir().unwrap();
        let proj = LocalProjection::centred_on(126.6, 45.7);
        let ok = write(dir.path(), "plan.csv", "building_id,网格编号\nw2,B\nw1,A\nw3,B\n");
        let p = PreviousPlan::read(&ok, Crs::Wgs84, Crs::Wgs84, &proj).unwrap();
        assert_eq!(p.kind, PreviousKind::Table);
        assert_eq!(p.grids.iter().map(|g| g.id.as_str()).collect::<Vec<_>>(), ["A", "B"]);
        assert_eq!((p.units["w1"], p.units["w3"]), (0, 1));
        let twice = write(dir.path(), "twice.csv", "id,grid_id\nw1,A\nw1,B\n");
        let e = PreviousPlan::read(&twice, Crs::Wgs84, Crs::Wgs84, &proj).unwrap_err().to_string();
        assert!(e.contains("twice.csv") && e.contains("row 3") && e.contains("one grid"), "{e}");
        let none = write(dir.path(), "none.csv", "id,zone\nw1,A\n");
        let e = PreviousPlan::read(&none, Crs::Wgs84, Crs::Wgs84, &proj).unwrap_err().to_string();
        assert!(e.contains("grid_id") && e.contains("zone"), "{e}");
    }
}
