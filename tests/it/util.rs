//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A bundled dataset file.
pub fn dataset(rel: &str) -> PathBuf {
    root().join("datasets").join(rel)
}

/// Writes a file into `dir`.
pub fn write(dir: &Path, name: &str, body: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, body).expect("write test file");
    p
}

/// The built `gridplan` binary.
pub fn bin() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_gridplan"))
}

/// A GeoJSON FeatureCollection of the given features (JSON text each).
pub fn collection(features: &[String]) -> String {
    format!("{{\"type\":\"FeatureCollection\",\"features\":[{}]}}", features.join(","))
}

/// A square building feature at (lon, lat) with the given properties (JSON object text).
pub fn square_feature(lon: f64, lat: f64, props: &str) -> String {
    let d = 0.0002;
    format!(
        r#"{{"type":"Feature","properties":{props},"geometry":{{"type":"Polygon","coordinates":[[[{lon},{lat}],[{},{lat}],[{},{}],[{lon},{}],[{lon},{lat}]]]}}}}"#,
        lon + d,
        lon + d,
        lat + d,
        lat + d
    )
}

/// Imports the bundled 312-building sample into `dir/name`; returns the path of its `plan.toml`.
pub fn import_sample(dir: &Path, name: &str) -> PathBuf {
    let out = dir.join(name);
    gridplan::import::import_osm(
        &dataset("harbin-sample/harbin-sample.osm.pbf"),
        &out,
        &Default::default(),
        &Default::default(),
    )
    .expect("import the sample");
    out.join("plan.toml")
}
