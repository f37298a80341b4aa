//! Every kind of bad input named in issue #2 gets a clear error (file, feature or row, field, value, rule)
//! or, where the rule is to repair, a warning: never a panic, never a silent drop.

use super::util::*;
use gridplan::config::Plan;
use gridplan::load::{LoadError, load_plan};
use gridplan::model::WarningCode;
use std::path::Path;

fn plan_with(dir: &Path, extra: &str) -> Result<gridplan::model::Dataset, String> {
    let plan_path = write(dir, "plan.toml", extra);
    let plan = Plan::from_path(&plan_path).map_err(|e| e.to_string())?;
    load_plan(&plan).map_err(|e| e.to_string())
}

const BUILDINGS: &str = "[layers.buildings]\npath = \"b.geojson\"\n";

#[test]
fn broken_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "b.geojson", "{\"type\":\"FeatureCollection\",\"features\":[\n{\"type\":\"Feature\",,}]}");
    let err = plan_with(dir.path(), BUILDINGS).unwrap_err();
    assert!(err.contains("b.geojson") && err.contains("line 2") && err.contains("broken JSON"), "{err}");
}

#[test]
fn feature_without_geometry() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = [
        square_feature(126.6, 45.7, r#"{"id":"a","households":10}"#),
        r#"{"type":"Feature","properties":{"id":"b","households":5},"geometry":null}"#.to_string(),
    ];
    write(dir.path(), "b.geojson", collection(&f));
    let err = plan_with(dir.path(), BUILDINGS).unwrap_err();
    assert!(err.contains("feature 1") && err.contains("no geometry") && err.contains("`geometry`"), "{err}");
}

#[test]
fn self_intersecting_polygon_is_repaired_with_a_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bowtie = r#"{"type":"Feature","properties":{"id":"bow","households":40},"geometry":{"type":"Polygon","coordinates":[[[126.6,45.7],[126.601,45.701],[126.601,45.7],[126.6,45.701],[126.6,45.7]]]}}"#;
    write(
        dir.path(),
        "b.geojson",
        collection(&[square_feature(126.602, 45.7, r#"{"id":"ok","households":1}"#), bowtie.into()]),
    );
    let d = plan_with(dir.path(), BUILDINGS).expect("repaired, not rejected");
    let w: Vec<_> = d.warnings.iter().filter(|w| w.code == WarningCode::GeometryRepaired).collect();
    assert_eq!(w.len(), 1, "{:?}", d.warnings);
    assert!(w[0].item.contains("feature 1") && w[0].message.contains("repaired"), "{:?}", w[0]);
    assert_eq!(d.buildings.len(), 2, "the repaired building is kept");
    assert_eq!(d.total_households(), 41);
}

#[test]
fn polygon_that_repairs_to_nothing_is_rejected() {
    let dir = tempfile::tempdir().expect("tempdir");
    let flat = r#"{"type":"Feature","properties":{"id":"flat"},"geometry":{"type":"Polygon","coordinates":[[[126.6,45.7],[126.601,45.7],[126.602,45.7],[126.6,45.7]]]}}"#;
    write(dir.path(), "b.geojson", collection(&[flat.into()]));
    let err = plan_with(dir.path(), BUILDINGS).unwrap_err();
    assert!(err.contains("feature 0") && err.contains("rejected"), "{err}");
}

#[test]
fn outside_china_while_gcj02_is_declared() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "b.geojson", collection(&[square_feature(24.94, 60.17, r#"{"id":"helsinki"}"#)]));
    let err = plan_with(dir.path(), &format!("[plan]\ncrs = \"gcj02\"\n{BUILDINGS}")).unwrap_err();
    assert!(
        err.contains("outside China") && err.contains("gcj02") && err.contains("feature 0") && err.contains("24.94"),
        "{err}"
    );
}

#[test]
fn latitude_and_longitude_swapped() {
    let dir = tempfile::tempdir().expect("tempdir");
    // CSV with the columns the wrong way round: |lat| > 90 cannot be a latitude.
    write(dir.path(), "h.csv", "id,lon,lat,households\nh1,45.75,126.63,3\n");
    let err = plan_with(dir.path(), "[layers.households]\npath = \"h.csv\"\n").unwrap_err();
    assert!(err.contains("h.csv") && err.contains("row 2") && err.contains("swapped"), "{err}");
    // A whole facilities layer swapped against correct buildings: caught by position.
    write(dir.path(), "b.geojson", collection(&[square_feature(126.63, 45.75, r#"{"id":"a","households":9}"#)]));
    write(dir.path(), "f.csv", "id,kind,lon,lat\nf1,school,45.751,126.632\n");
    let err = plan_with(dir.path(), &format!("{BUILDINGS}[layers.facilities]\npath = \"f.csv\"\n")).unwrap_err();
    assert!(err.contains("f.csv") && err.contains("swapped"), "{err}");
}

#[test]
fn configured_field_missing() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "b.geojson", collection(&[square_feature(126.6, 45.7, r#"{"id":"a","hh":3}"#)]));
    let err =
        plan_with(dir.path(), &format!("{BUILDINGS}[layers.buildings.fields]\nhouseholds = \"户数\"\n")).unwrap_err();
    assert!(
        err.contains("b.geojson") && err.contains("户数") && err.contains("households") && err.contains("hh"),
        "{err}"
    );
}

#[test]
fn negative_households() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "h.csv", "id,lon,lat,households\nh1,126.6,45.7,3\nh2,126.6,45.7,-3\n");
    let err = plan_with(dir.path(), "[layers.households]\npath = \"h.csv\"\n").unwrap_err();
    assert!(err.contains("h.csv, row 3, field `households`: got -3") && err.contains("≥ 0"), "{err}");
}

#[test]
fn duplicate_ids_error_or_rename() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = [
        square_feature(126.6, 45.7, r#"{"id":"A","households":3}"#),
        square_feature(126.61, 45.7, r#"{"id":"A","households":4}"#),
    ];
    write(dir.path(), "b.geojson", collection(&f));
    let err = plan_with(dir.path(), BUILDINGS).unwrap_err();
    assert!(
        err.contains("feature 1") && err.contains("\"A\"") && err.contains("duplicate id") && err.contains("feature 0"),
        "{err}"
    );
    let d = plan_with(dir.path(), &format!("{BUILDINGS}[validation]\nduplicate_ids = \"rename\"\n")).expect("renamed");
    assert_eq!(d.buildings[1].id, "A#2");
    assert!(d.warnings.iter().any(|w| w.code == WarningCode::DuplicateIdRenamed));
    assert_eq!(d.total_households(), 7, "both kept");
}

#[test]
fn empty_layer() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "b.geojson", collection(&[]));
    let err = plan_with(dir.path(), BUILDINGS).unwrap_err();
    assert!(err.contains("b.geojson") && err.contains("empty"), "{err}");
}

#[test]
fn truncated_pbf() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes = std::fs::read(dataset("harbin-sample/harbin-sample.osm.pbf")).expect("fixture");
    for cut in [10, 200, bytes.len() / 2, bytes.len() - 7] {
        let p = write(dir.path(), "cut.osm.pbf", &bytes[..cut]);
        let err = gridplan::load::osm::read_pbf(&p, &Default::default()).map(|_| ()).unwrap_err();
        assert!(matches!(err, LoadError::Pbf { .. }), "cut at {cut}: {err}");
        assert!(err.to_string().contains("cut.osm.pbf") && err.to_string().contains("truncated"), "{err}");
    }
}

#[test]
fn unknown_plan_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err =
        plan_with(dir.path(), &format!("{BUILDINGS}[bands]\nbasic = {{ min = 300, max = 500 }}\ngrid_size = 400\n"))
            .unwrap_err();
    assert!(err.contains("grid_size") && err.contains("plan.toml"), "{err}");
}

#[test]
fn not_a_number_and_missing_coordinate() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "h.csv", "id,lon,lat,households\nh1,126.6,45.7,三\n");
    let err = plan_with(dir.path(), "[layers.households]\npath = \"h.csv\"\n").unwrap_err();
    assert!(err.contains("row 2") && err.contains("\"三\"") && err.contains("number"), "{err}");
    write(dir.path(), "h.csv", "id,lon,lat,households\nh1,126.6,,3\n");
    let err = plan_with(dir.path(), "[layers.households]\npath = \"h.csv\"\n").unwrap_err();
    assert!(err.contains("row 2") && err.contains("longitude and latitude"), "{err}");
}
