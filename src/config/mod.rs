//! The plan file (`plan.toml`): which layers to read and how, and every parameter with its documented
//! default. Parsed once into typed values; unknown keys are errors that name the key, and every value is
//! checked against its documented range (`check`).

mod check;
mod ensemble;
mod layers;
mod params;
mod replan;

pub use ensemble::*;
pub use layers::*;
pub use params::*;
pub use replan::*;

use crate::crs::Crs;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Errors reading or checking a plan file.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The file could not be read.
    #[error("{path}: cannot read the plan file: {cause}")]
    Io {
        /// Plan file.
        path: PathBuf,
        /// Cause (shown in the message, so not also a `source`).
        cause: std::io::Error,
    },
    /// The file given as a plan is not one.
    #[error("{path}: not a plan file: {rule}")]
    NotAPlan {
        /// The file.
        path: PathBuf,
        /// What it looks like, and what to do.
        rule: String,
    },
    /// TOML syntax, an unknown key or a wrongly typed value.
    #[error("{path}: {message}")]
    Toml {
        /// Plan file.
        path: PathBuf,
        /// The parser's message, which names the key and the line.
        message: String,
    },
    /// A value that parses but breaks a rule.
    #[error("{path}: `{key}` = {value}: {rule}")]
    Invalid {
        /// Plan file.
        path: PathBuf,
        /// Dotted key.
        key: String,
        /// The value given.
        value: String,
        /// The rule it breaks.
        rule: String,
    },
}

/// A whole plan file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanConfig {
    /// General settings.
    #[serde(default)]
    pub plan: PlanSection,
    /// Input layers.
    #[serde(default)]
    pub layers: Layers,
    /// Household estimation from footprints.
    #[serde(default)]
    pub estimate: EstimateParams,
    /// Household bands per level.
    #[serde(default)]
    pub bands: Bands,
    /// Admin levels and the names of generated communities.
    #[serde(default)]
    pub admin: AdminParams,
    /// Which barrier classes grids must not cross.
    #[serde(default)]
    pub barriers: BarrierParams,
    /// What grid outlines follow.
    #[serde(default)]
    pub outlines: OutlineParams,
    /// Walking-coverage thresholds.
    #[serde(default)]
    pub coverage: CoverageParams,
    /// How grids are drawn.
    #[serde(default)]
    pub partition: PartitionParams,
    /// Which special units become dedicated grids (专属网格).
    #[serde(default)]
    pub dedicated: DedicatedParams,
    /// How strict loading is.
    #[serde(default)]
    pub validation: ValidationParams,
    /// Workload balance.
    #[serde(default)]
    pub workload: WorkloadParams,
    /// Rerunning from a previous plan.
    #[serde(default)]
    pub replan: ReplanParams,
    /// The legal plans the plan is compared with.
    #[serde(default)]
    pub ensemble: EnsembleParams,
}

/// `[plan]`: name, coordinate systems, seed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PlanSection {
    /// A name for the plan, used in reports.
    pub name: String,
    /// CRS of every layer that does not set its own.
    pub crs: Crs,
    /// CRS of the outputs.
    pub output_crs: Crs,
    /// Seed of every randomised step.
    pub seed: u64,
    /// Whether layer paths may lead outside the plan's folder (`../…`, `/…`); off, so a plan cannot make
    /// gridplan read, and quote in its errors, files the planner did not give it.
    pub allow_outside_paths: bool,
    /// Largest size a gzip layer may unpack to, MiB (a guard against decompression bombs).
    pub max_decompressed_mib: u64,
    /// Column names of the CSV tables: `zh` (Chinese, for planners) or `en` (the keys, for scripts).
    pub csv_headers: CsvHeaders,
}

/// The language of CSV column names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CsvHeaders {
    /// Chinese names (`网格编号`, `户数`, …).
    #[default]
    Zh,
    /// The English keys (`grid_id`, `households`, …), as in the Parquet files.
    En,
}

impl Default for PlanSection {
    fn default() -> Self {
        PlanSection {
            name: "plan".into(),
            crs: Crs::Wgs84,
            output_crs: Crs::Wgs84,
            seed: 1,
            allow_outside_paths: false,
            max_decompressed_mib: 1024,
            csv_headers: CsvHeaders::Zh,
        }
    }
}

/// A plan file with the directory its relative paths start from.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Parsed configuration.
    pub config: PlanConfig,
    /// The plan file.
    pub path: PathBuf,
    /// Directory relative layer paths are resolved against.
    pub base_dir: PathBuf,
}

impl Plan {
    /// Reads and checks a plan file.
    pub fn from_path(path: &Path) -> Result<Plan, PlanError> {
        let not_a_plan = |rule: &str| PlanError::NotAPlan { path: path.to_path_buf(), rule: rule.to_string() };
        let size = std::fs::metadata(path).map_err(|cause| PlanError::Io { path: path.to_path_buf(), cause })?.len();
        if size > 4 << 20 {
            return Err(not_a_plan("it is larger than 4 MiB; a plan.toml names its layers, it does not hold them"));
        }
        let bytes = std::fs::read(path).map_err(|cause| PlanError::Io { path: path.to_path_buf(), cause })?;
        let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
        if let Some(kind) = data_file_kind(path, body) {
            return Err(not_a_plan(&format!(
                "it is {kind}; a plan is a TOML file that names such layers under [layers.buildings] and the like (`gridplan import-osm` writes one; `gridplan plan` also takes an .osm.pbf directly)"
            )));
        }
        let text = std::str::from_utf8(body).map_err(|_| not_a_plan("a plan file must be UTF-8 text"))?;
        Self::from_toml(text, path)
    }

    /// Parses plan text; `path` is used for messages and to resolve layer paths.
    pub fn from_toml(text: &str, path: &Path) -> Result<Plan, PlanError> {
        let config: PlanConfig = toml::from_str(text)
            .map_err(|e| PlanError::Toml { path: path.to_path_buf(), message: e.to_string().trim_end().to_string() })?;
        let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let plan = Plan { config, path: path.to_path_buf(), base_dir };
        plan.check()?;
        Ok(plan)
    }

    /// Each layer's key (`layers.buildings.path`) and path as written in the plan.
    pub fn layer_paths(&self) -> Vec<(String, &Path)> {
        let l = &self.config.layers;
        let layers: [(&str, Option<&PathBuf>); 10] = [
            ("buildings", l.buildings.as_ref().map(|s| &s.path)),
            ("households", l.households.as_ref().map(|s| &s.path)),
            ("compounds", l.compounds.as_ref().map(|s| &s.path)),
            ("admin_areas", l.admin_areas.as_ref().map(|s| &s.path)),
            ("facilities", l.facilities.as_ref().map(|s| &s.path)),
            ("special_units", l.special_units.as_ref().map(|s| &s.path)),
            ("barriers", l.barriers.as_ref().map(|s| &s.path)),
            ("walk_network", l.walk_network.as_ref().map(|s| &s.path)),
            ("registers", l.registers.as_ref().map(|s| &s.path)),
            ("candidates", l.candidates.as_ref().map(|s| &s.path)),
        ];
        let mut out: Vec<(String, &Path)> =
            layers.into_iter().filter_map(|(k, p)| p.map(|p| (format!("layers.{k}.path"), p.as_path()))).collect();
        out.extend(self.config.admin.division_codes.iter().map(|p| ("admin.division_codes".to_string(), p.as_path())));
        out
    }

    /// Every file the plan reads: the plan itself, each layer, the workers table.
    pub fn input_paths(&self) -> Vec<PathBuf> {
        let mut out = vec![self.path.clone()];
        out.extend(self.layer_paths().into_iter().map(|(_, p)| self.resolve(p)));
        out.extend(self.config.workload.workers_table.iter().map(|p| self.resolve(p)));
        out
    }

    /// Resolves a layer path against the plan's directory.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() { p.to_path_buf() } else { self.base_dir.join(p) }
    }
}

/// What a data file given in place of a plan looks like, by its name or first bytes.
fn data_file_kind(path: &Path, body: &[u8]) -> Option<&'static str> {
    let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    let start = body.iter().position(|b| !b.is_ascii_whitespace()).map_or(&body[..0], |i| &body[i..]);
    if name.ends_with(".pbf") {
        Some("an OpenStreetMap extract")
    } else if body.get(4..15) == Some(b"\x0a\x09OSMHeader") {
        Some(
            "an OpenStreetMap extract whose name does not end in .osm.pbf (rename it so, and `gridplan plan` imports it)",
        )
    } else if body.starts_with(b"PAR1") {
        Some("a Parquet file")
    } else if body.starts_with(&[0x1f, 0x8b]) {
        Some("a gzip file")
    } else if start.starts_with(b"{")
        || start.starts_with(b"[")
            && !start.starts_with(b"[plan")
            && !start.starts_with(b"[layers")
            && name.ends_with("json")
    {
        Some("JSON (a GeoJSON layer?)")
    } else if name.ends_with(".geojson") || name.ends_with(".csv") || name.ends_with(".shp") || name.ends_with(".xlsx")
    {
        Some("a data layer")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_named() {
        let text = "[layers.buildings]\npath = \"b.geojson\"\n[estimate]\nflat_area = 90\n";
        let err = Plan::from_toml(text, Path::new("plan.toml")).map(|_| ()).unwrap_err().to_string();
        assert!(err.contains("flat_area") && err.contains("plan.toml"), "{err}");
        let text = "[layers.buildings]\npath = \"b.geojson\"\n[layers.buildings.fields]\nhouse_holds = \"x\"\n";
        let err = Plan::from_toml(text, Path::new("plan.toml")).map(|_| ()).unwrap_err().to_string();
        assert!(err.contains("house_holds"), "{err}");
    }

    #[test]
    fn defaults_follow_the_standards() {
        let plan = Plan::from_toml("[layers.buildings]\npath = \"b.geojson\"\n", Path::new("/x/plan.toml"))
            .expect("minimal plan parses");
        let c = &plan.config;
        assert_eq!((c.bands.basic.min(), c.bands.basic.max()), (300, 500));
        assert_eq!((c.bands.community.min(), c.bands.community.max()), (1500, 4000));
        assert_eq!(c.estimate.flat_area_m2, 90.0);
        assert_eq!(c.coverage.thresholds["kindergarten"], 300.0);
        assert_eq!(plan.resolve(Path::new("b.geojson")), PathBuf::from("/x/b.geojson"));
    }

    #[test]
    fn bad_band_is_rejected() {
        let text = "[layers.buildings]\npath = \"b.geojson\"\n[bands]\nbasic = { min = 500, max = 300 }\n";
        let err = Plan::from_toml(text, Path::new("plan.toml")).map(|_| ()).unwrap_err().to_string();
        assert!(err.contains("basic = { min = 500, max = 300 }") && err.contains("1 ≤ min ≤ max"), "{err}");
    }
}
