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

/// Under CI (`CI=true`, set by `.ci/run`, which installs Chromium, GDAL, shapely and the notebook's Python
/// packages), a test whose tool is missing fails instead of skipping: a skip is not a pass there. Elsewhere it
/// says SKIPPED and why.
pub fn skip_unless_ci(what: &str) {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    assert!(!ci, "CI=true but {what} is missing: .ci/run installs it, so this is a failure, not a skip");
    eprintln!("SKIPPED: {what} is missing on this machine");
}
