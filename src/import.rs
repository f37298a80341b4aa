//! `import-osm`: an `.osm.pbf` becomes gridplan's normalized layers (WGS84 GeoJSON), a ready-to-edit
//! `plan.toml` that points at them, and `import_report.json` listing what could not be used and why.

use crate::config::PlanConfig;
use crate::load::LoadError;
use crate::load::osm::{self, ImportReport, OsmOptions};
use crate::render::geojson::write_layers;
use crate::render::output_dir::{OutputError, OutputRules, StagedDir};
use crate::render::plan_file::plan_toml;
use std::path::Path;

/// The attribution every OSM-derived file carries (ODbL 1.0 requires it).
pub const OSM_ATTRIBUTION: &str = "© OpenStreetMap contributors, ODbL 1.0 (https://www.openstreetmap.org/copyright)";

/// Errors of an import.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The pbf could not be read.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// Outputs could not be written.
    #[error(transparent)]
    Write(#[from] OutputError),
    /// The extract has nothing to plan.
    #[error(
        "{0}: the extract holds no building (no building=* way or relation): gridplan plans buildings or household points, so there is nothing to plan"
    )]
    NoBuildings(std::path::PathBuf),
    /// The plan the import would write does not load (a parameter out of its range).
    #[error(transparent)]
    Plan(#[from] crate::config::PlanError),
}

/// Reads `pbf` and writes the layers, `plan.toml` and `import_report.json` into `out` (staged: a failed
/// import leaves an earlier `out` as it was). Empty layers are not written.
pub fn import_osm(
    pbf: &Path,
    out: &Path,
    options: &OsmOptions,
    config: &PlanConfig,
) -> Result<ImportReport, ImportError> {
    let rules = OutputRules { command: "import-osm", reads: vec![pbf.to_path_buf()], keep: Vec::new() };
    let staged = StagedDir::open(out, &rules)?;
    let report = import_into(pbf, &staged, "", options, config)?;
    staged.commit()?;
    Ok(report)
}

/// Reads `pbf` and writes its layers, `plan.toml` and `import_report.json` into the staged folder under
/// `prefix` (`""`, or `"input/"` for `gridplan plan PBF`, whose inputs are staged with the rest of the run).
pub fn import_into(
    pbf: &Path,
    staged: &StagedDir,
    prefix: &str,
    options: &OsmOptions,
    config: &PlanConfig,
) -> Result<ImportReport, ImportError> {
    let extract = osm::read_pbf(pbf, options)?;
    if extract.layers.buildings.is_empty() {
        return Err(ImportError::NoBuildings(pbf.to_path_buf()));
    }
    let in_plan = write_layers(staged, prefix, &extract.layers, Some(OSM_ATTRIBUTION)).map_err(OutputError::from)?;
    // The file name goes into the plan's name and header: no control characters (TOML forbids them there).
    let source: String = pbf
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .map(|c| if c.is_control() { '_' } else { c })
        .take(180)
        .collect();
    let header = format!(
        "gridplan plan, written by `gridplan import-osm {source}`. Edit freely: unknown keys are errors.\nLayers are OpenStreetMap data: {OSM_ATTRIBUTION}."
    );
    let mut config = config.clone();
    // Division lists given to the import are copied beside the plan, which names them relative to itself.
    let mut lists = Vec::new();
    for (i, list) in config.admin.division_codes.iter().enumerate() {
        let bytes = std::fs::read(list).map_err(|cause| {
            OutputError::from(std::io::Error::new(cause.kind(), format!("{}: {cause}", list.display())))
        })?;
        let name = list.file_name().map_or_else(|| format!("divisions_{i}.csv"), |n| n.to_string_lossy().into_owned());
        let rel = format!("divisions/{name}");
        staged.write(&format!("{prefix}{rel}"), &bytes).map_err(OutputError::from)?;
        lists.push(std::path::PathBuf::from(rel));
    }
    config.admin.division_codes = lists;
    if config.plan.name == crate::config::PlanSection::default().name {
        config.plan.name = source.trim_end_matches(".osm.pbf").to_string();
    }
    let write = |name: &str, bytes: &[u8]| staged.write(&format!("{prefix}{name}"), bytes).map_err(OutputError::from);
    let text = plan_toml(&header, &in_plan, &config);
    // What import writes must load: the plan is read back as the loader will read it.
    crate::config::Plan::from_toml(&text, &staged.final_path(&staged.path(&format!("{prefix}plan.toml"))))?;
    write("plan.toml", text.as_bytes())?;
    let report = serde_json::to_vec_pretty(&extract.report).map_err(|e| OutputError::from(std::io::Error::other(e)))?;
    write("import_report.json", &report)?;
    Ok(extract.report)
}
