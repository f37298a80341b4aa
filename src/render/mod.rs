//! Writing outputs: GeoJSON, plan files, JSON manifests, all through a staging directory so that a failed
//! run never damages the outputs of the last good one.

pub mod geojson;
pub mod output_dir;
pub mod plan_file;
