//! The commands end to end on the bundled sample (a 312-building cut of central Harbin).

use super::util::*;
use std::fs;

fn import_sample(out: &std::path::Path) -> std::process::Output {
    bin()
        .args(["import-osm", dataset("harbin-sample/harbin-sample.osm.pbf").to_str().expect("path"), "--out"])
        .arg(out)
        .output()
        .expect("run gridplan")
}

#[test]
fn import_osm_writes_every_layer_and_a_plan_that_inspect_reads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("sample");
    let run = import_sample(&out);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    for f in ["buildings", "compounds", "admin_areas", "facilities", "special_units", "barriers", "walk_network"] {
        let text = fs::read_to_string(out.join(format!("{f}.geojson"))).expect("layer written");
        let fc: geojson::FeatureCollection = text.parse().expect("valid GeoJSON");
        assert!(!fc.features.is_empty(), "{f} is empty");
        assert!(text.contains("OpenStreetMap contributors"), "{f} carries the ODbL attribution");
    }
    let json = bin().arg("inspect").arg(out.join("plan.toml")).arg("--json").output().expect("inspect");
    assert!(json.status.success(), "{}", String::from_utf8_lossy(&json.stderr));
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).expect("--json parses");
    let layer = |name: &str| {
        report["layers"].as_array().and_then(|l| l.iter().find(|x| x["layer"] == name)).cloned().expect(name)
    };
    // Counts checked independently with `osmium tags-filter` (datasets/harbin-sample/README.md).
    assert_eq!(layer("buildings")["count"], 312);
    assert_eq!(layer("compounds")["count"], 23);
    assert_eq!(layer("admin_areas")["count"], 10);
    // 112 residential by their tags or compounds, 167 more untagged ones by footprint and neighbours.
    assert_eq!(layer("buildings")["details"]["residential"], 279);
    assert_eq!(report["total_households"], 26_542);
    assert_eq!(layer("buildings")["crs"], "wgs84");
    let bbox = layer("buildings")["bbox_wgs84"].as_array().expect("bbox").clone();
    assert!(bbox[0].as_f64().expect("x") > 126.64 && bbox[3].as_f64().expect("y") < 45.80, "{bbox:?}");
}

#[test]
fn import_is_deterministic_and_a_failed_import_keeps_the_last_good_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    assert!(import_sample(&a).status.success());
    assert!(import_sample(&b).status.success());
    for f in ["buildings.geojson", "walk_network.geojson", "plan.toml", "import_report.json"] {
        assert_eq!(fs::read(a.join(f)).expect("a"), fs::read(b.join(f)).expect("b"), "{f} differs between runs");
    }
    let before = fs::read(a.join("buildings.geojson")).expect("read");
    let missing = bin().args(["import-osm", "no-such.osm.pbf", "--out"]).arg(&a).output().expect("run");
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no-such.osm.pbf"));
    assert_eq!(fs::read(a.join("buildings.geojson")).expect("read"), before, "old output untouched");
}

#[test]
fn synth_writes_a_city_that_loads_with_exact_totals() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("city");
    let run = bin().args(["synth", "--households", "5000", "--seed", "9", "--out"]).arg(&out).output().expect("synth");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let json = bin().arg("inspect").arg(out.join("plan.toml")).arg("--json").output().expect("inspect");
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).expect("--json parses");
    assert_eq!(report["total_households"], 5000);
    assert_eq!(report["warnings"].as_array().map(Vec::len), Some(0), "{}", report["warnings"]);
}

#[test]
fn errors_are_one_clear_line_not_a_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "plan.toml", "[layers.buildings]\npath = \"b.geojson\"\n[estimate]\nflat_m2 = 80\n");
    let run = bin().arg("inspect").arg(dir.path().join("plan.toml")).output().expect("run");
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1));
    assert!(err.starts_with("error: ") && err.contains("flat_m2") && !err.contains("panicked"), "{err}");
}

#[test]
fn a_closed_pipe_ends_quietly_with_exit_0() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plan = import_sample_into(dir.path());
    let mut child = bin()
        .arg("inspect")
        .arg(&plan)
        .arg("--all-warnings")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take()); // the reader goes away before the first line is written, as `| head -0` does
    let out = child.wait_with_output().expect("wait");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_panic_is_an_internal_error_naming_the_command_with_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plan = import_sample_into(dir.path());
    let out = bin()
        .arg("partition")
        .arg(&plan)
        .arg("--out")
        .arg(dir.path().join("run"))
        .env("GRIDPLAN_CRASH_AT", "panic:staged")
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.starts_with("error: internal error in `gridplan partition") && err.contains("plan.toml"), "{err}");
    assert!(err.contains("crash requested at staged") && !err.contains("panicked at"), "{err}");
    assert!(!dir.path().join("run").exists(), "nothing committed");
}

fn import_sample_into(dir: &std::path::Path) -> std::path::PathBuf {
    super::util::import_sample(dir, "data")
}

#[test]
fn a_mistyped_pbf_name_is_recognised_by_its_bytes_and_the_fix_is_said() {
    let dir = tempfile::tempdir().unwrap();
    let odd = dir.path().join("harbin.osm.pbff");
    std::fs::copy(dataset("harbin-sample/harbin-sample.osm.pbf"), &odd).unwrap();
    let o = bin().arg("plan").arg(&odd).arg("--out").arg(dir.path().join("run")).output().unwrap();
    let msg = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && msg.contains("does not end in .osm.pbf"), "{msg}");
    assert_eq!(msg.matches("error").count(), 1, "said once: {msg}");
}
