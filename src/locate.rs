//! `gridplan locate`: which grid, micro-grid, community and street an address point or a building falls in,
//! and the workers of that grid (一格多员 in daily use). Points may be WGS84, GCJ-02 (Amap, Tencent) or BD-09
//! (Baidu); the run's outlines are read once into R-trees, so a city's address list takes well under a
//! second per hundred thousand points.

use crate::crs::Crs;
use crate::index::PolygonIndex;
use crate::load::LoadError;
use geo::{MultiPolygon, Point};
use std::collections::HashMap;
use std::path::Path;

/// Where one point or building is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Located {
    /// Grid id (empty when in no grid).
    pub grid: String,
    /// Micro-grid id, when the run has micro-grids and the point is in one.
    pub micro: String,
    /// Community name.
    pub community: String,
    /// Street name.
    pub street: String,
    /// Grid workers from `workload.csv`.
    pub workers: Option<u32>,
    /// Why nothing was found, in the planner's words (empty when found).
    pub note: String,
}

/// A run folder, read for locating.
pub struct Locator {
    grids: Vec<(MultiPolygon, Vec<String>)>,
    micro: Vec<(MultiPolygon, Vec<String>)>,
    workers: std::collections::BTreeMap<String, u32>,
    units: HashMap<String, String>,
    unit_micro: HashMap<String, String>,
    grid_of_id: HashMap<String, usize>,
}

impl Locator {
    /// Reads `grids.geojson`, `micro_grids.geojson` (if present), `workload.csv` (if present) and
    /// `assignment.csv` of a run folder.
    pub fn open(run_dir: &Path) -> Result<Locator, LoadError> {
        let crs = crate::load::run::read_output_crs(run_dir)?;
        let grids = crate::load::run::read_polygons_with(
            &run_dir.join("grids.geojson"),
            crs,
            &["grid_id", "community", "street"],
        )?;
        let micro_path = run_dir.join("micro_grids.geojson");
        let micro = if micro_path.is_file() {
            crate::load::run::read_polygons_with(&micro_path, crs, &["micro_id", "grid_id"])?
        } else {
            Vec::new()
        };
        let workload = run_dir.join("workload.csv");
        let workers = if workload.is_file() { crate::load::run::read_workers(&workload)? } else { Default::default() };
        let units = crate::load::run::read_assignment(run_dir)?.into_iter().map(|(id, p)| (id, p.grid)).collect();
        // Micro-grids of buildings, when the run has them (`assignment.csv`'s `micro_grid`).
        let unit_micro =
            crate::load::run::read_id_table(&run_dir.join("assignment.csv"), "id", "micro_grid").unwrap_or_default();
        let grid_of_id = grids.iter().enumerate().map(|(i, g)| (g.1[0].clone(), i)).collect();
        Ok(Locator { grids, micro, workers, units, unit_micro, grid_of_id })
    }

    /// Locates many points (`lon`, `lat` in `crs`) at once.
    pub fn locate_points(&self, points: &[(f64, f64)], crs: Crs) -> Vec<Located> {
        let grid_index = PolygonIndex::new(self.grids.iter().map(|g| &g.0));
        let micro_index = PolygonIndex::new(self.micro.iter().map(|m| &m.0));
        points
            .iter()
            .map(|&(lon, lat)| {
                if !lon.is_finite()
                    || !lat.is_finite()
                    || !(-180.0..=180.0).contains(&lon)
                    || !(-90.0..=90.0).contains(&lat)
                {
                    return Located { note: "坐标无效".into(), ..Default::default() };
                }
                let (x, y) = crs.to_wgs84(lon, lat);
                let p = Point::new(x, y);
                let Some(g) = grid_index.innermost(p) else {
                    return Located { note: "不在任何网格内".into(), ..Default::default() };
                };
                let micro = micro_index
                    .containing(p)
                    .into_iter()
                    .find(|&m| self.micro[m].1[1] == self.grids[g].1[0])
                    .map(|m| self.micro[m].1[0].clone())
                    .unwrap_or_default();
                self.grid(g, micro)
            })
            .collect()
    }

    /// Locates a building or household point by its id in the run.
    pub fn locate_unit(&self, id: &str) -> Located {
        let Some(grid) = self.units.get(id) else {
            return Located { note: "本次规划中没有这个编号".into(), ..Default::default() };
        };
        match self.grid_of_id.get(grid) {
            Some(&g) => self.grid(g, self.unit_micro.get(id).cloned().unwrap_or_default()),
            None => Located {
                grid: grid.clone(),
                note: "网格没有边界（grids.geojson 中没有）".into(),
                ..Default::default()
            },
        }
    }

    fn grid(&self, g: usize, micro: String) -> Located {
        let props = &self.grids[g].1;
        Located {
            grid: props[0].clone(),
            micro,
            community: props[1].clone(),
            street: props[2].clone(),
            workers: self.workers.get(&props[0]).copied(),
            note: String::new(),
        }
    }
}
