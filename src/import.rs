//! `import-osm`: an `.osm.pbf` becomes gridplan's normalized layers (WGS84 GeoJSON), a ready-to-edit
//! `plan.toml` that points at them, and `import_report.json` listing what could not be used and why.

use crate::config::PlanConfig;
use crate::load::LoadError;
use crate::load::osm::{self, ImportReport, OsmOptions};
use crate::render::geojson::write_layers;
use crate::render::output_dir::StagedDir;
use crate::render::plan_file::plan_toml;
use std::path::{Path, PathBuf};

/// The attribution every OSM-derived file carries (ODbL 1.0 requires it).
pub const OSM_ATTRIBUTION: &str = "© OpenStreetMap contributors, ODbL 1.0 (https://www.openstreetmap.org/copyright)";

/// Errors of an import.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The pbf could not be read.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// Outputs could not be written.
    #[error("{path}: cannot write: {source}")]
    Write {
        /// Output directory.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
}

/// Reads `pbf` and writes the layers, `plan.toml` and `import_report.json` into `out` (staged: a failed
/// import leaves an earlier `out` as it was). Empty layers are not written.
pub fn import_osm(
    pbf: &Path,
    out: &Path,
    options: &OsmOptions,
    config: &PlanConfig,
) -> Result<ImportReport, ImportError> {
    let extract = osm::read_pbf(pbf, options)?;
    let werr = |source: std::io::Error| ImportError::Write { path: out.to_path_buf(), source };
    let staged = StagedDir::new(out).map_err(werr)?;
    let in_plan = write_layers(&staged, &extract.layers, Some(OSM_ATTRIBUTION)).map_err(werr)?;
    let source = pbf.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let header = format!(
        "gridplan plan, written by `gridplan import-osm {source}`. Edit freely: unknown keys are errors.\nLayers are OpenStreetMap data: {OSM_ATTRIBUTION}."
    );
    let mut config = config.clone();
    if config.plan.name == crate::config::PlanSection::default().name {
        config.plan.name = source.trim_end_matches(".osm.pbf").to_string();
    }
    staged.write("plan.toml", plan_toml(&header, &in_plan, &config).as_bytes()).map_err(werr)?;
    let report = serde_json::to_vec_pretty(&extract.report).map_err(|e| werr(e.into()))?;
    staged.write("import_report.json", &report).map_err(werr)?;
    staged.commit().map_err(werr)?;
    Ok(extract.report)
}
