//! Issue #9, the loaders: no panic, no silent misread, a located error for everything else. Each test here
//! failed on the code before the issue (a panic, a different number read silently, or an unclear message).

use super::util::*;
use gridplan::config::Plan;
use gridplan::load::load_plan;
use gridplan::model::{Dataset, WarningCode};
use std::path::Path;

fn load(dir: &Path, plan: &str) -> Result<Dataset, String> {
    let p = write(dir, "plan.toml", plan);
    let plan = Plan::from_path(&p).map_err(|e| e.to_string())?;
    load_plan(&plan).map_err(|e| e.to_string())
}

const HOUSEHOLDS_CSV: &str = "[layers.households]\npath = \"h.csv\"\n";
const BUILDINGS: &str = "[layers.buildings]\npath = \"b.geojson\"\n";

#[test]
fn a_position_with_one_number_is_a_located_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let bad = r#"{"type":"Feature","properties":{"id":"x"},"geometry":{"type":"Polygon","coordinates":[[[126.6,45.7],[126.601],[126.601,45.701],[126.6,45.7]]]}}"#;
    write(dir.path(), "b.geojson", collection(&[square_feature(126.6, 45.7, r#"{"id":"ok"}"#), bad.into()]));
    let err = load(dir.path(), BUILDINGS).unwrap_err();
    assert!(err.contains("feature 1 (id") || err.contains("feature 1"), "{err}");
    assert!(err.contains("ring 0, position 1") && err.contains("longitude and latitude"), "{err}");
    let line = r#"{"type":"Feature","properties":{"class":"trunk"},"geometry":{"type":"LineString","coordinates":[[126.6,45.7],[7]]}}"#;
    write(dir.path(), "bar.geojson", collection(&[line.into()]));
    write(dir.path(), "b.geojson", collection(&[square_feature(126.6, 45.7, r#"{"id":"ok"}"#)]));
    let err = load(dir.path(), &format!("{BUILDINGS}[layers.barriers]\npath = \"bar.geojson\"\n")).unwrap_err();
    assert!(err.contains("bar.geojson") && err.contains("position 1"), "{err}");
}

#[test]
fn decimal_commas_are_read_when_the_layer_says_so_and_errors_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    // "2,6" persons, "1.146" households and "12,4964"-style coordinates: never 26, 1 or 124964.
    write(dir.path(), "h.csv", "id,lon,lat,households,persons\nh1,126.6,45.7,3,\"2,6\"\n");
    let err = load(dir.path(), HOUSEHOLDS_CSV).unwrap_err();
    assert!(
        err.contains("row 2") && err.contains("persons") && err.contains("\"2,6\"") && err.contains("decimal = \",\""),
        "{err}"
    );
    write(dir.path(), "h.csv", "id,lon,lat,households\nh1,126.6,45.7,1.146\n");
    let err = load(dir.path(), HOUSEHOLDS_CSV).unwrap_err();
    assert!(err.contains("row 2") && err.contains("whole number"), "{err}");
    write(dir.path(), "h.csv", "id,lon,lat,households\nh1,\"126,6314\",45.7,2\n");
    let err = load(dir.path(), HOUSEHOLDS_CSV).unwrap_err();
    assert!(err.contains("`lon`") && err.contains("decimal comma") && !err.contains("projected"), "{err}");
    // The same values in a file that declares its decimal comma.
    write(dir.path(), "h.csv", "id,lon,lat,households,persons\nh1,\"126,6314\",\"45,7\",\"1.146\",\"2.980\"\n");
    let d = load(dir.path(), &format!("{HOUSEHOLDS_CSV}decimal = \",\"\n")).unwrap();
    assert_eq!((d.households[0].households, d.households[0].persons), (1146, 2980));
    // Thousands separators in the decimal-point locale stay accepted.
    write(dir.path(), "h.csv", "id,lon,lat,households\nh1,126.6,45.7,\"1,146\"\n");
    assert_eq!(load(dir.path(), HOUSEHOLDS_CSV).unwrap().households[0].households, 1146);
}

#[test]
fn semicolon_csv_is_sniffed_with_its_decimal_comma_and_noted() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "h.csv", "id;lon;lat;households;persons\nh1;126,6314;45,75;3;7\nh2;126,6321;45,7512;2;5\n");
    let d = load(dir.path(), HOUSEHOLDS_CSV).unwrap();
    assert_eq!(d.households.len(), 2);
    assert_eq!(d.total_households(), 5);
    let notes: Vec<&str> =
        d.warnings.iter().filter(|w| w.code == WarningCode::FileDialect).map(|w| w.message.as_str()).collect();
    assert!(
        notes.iter().any(|n| n.contains("\";\"")) && notes.iter().any(|n| n.contains("decimal comma")),
        "{notes:?}"
    );
    // Declared, not sniffed: no note.
    let d = load(dir.path(), &format!("{HOUSEHOLDS_CSV}delimiter = \";\"\ndecimal = \",\"\n")).unwrap();
    assert!(d.warnings.iter().all(|w| w.code != WarningCode::FileDialect), "{:?}", d.warnings);
}

#[test]
fn any_encoding_by_label_and_a_note_when_the_decoded_text_looks_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let text = "id,lon,lat,households,name\nh1,126.6,45.7,3,Sé Catedral República\n";
    let (latin, _, _) = encoding_rs::WINDOWS_1252.encode(text);
    write(dir.path(), "h.csv", &latin);
    let d = load(dir.path(), &format!("{HOUSEHOLDS_CSV}encoding = \"windows-1252\"\n")).unwrap();
    assert_eq!(d.households.len(), 1);
    // As UTF-8: an error that suggests both gbk and windows-1252.
    let err = load(dir.path(), HOUSEHOLDS_CSV).unwrap_err();
    assert!(err.contains("windows-1252") && err.contains("gbk"), "{err}");
    // As GBK: never silently garbled — an error or a note.
    match load(dir.path(), &format!("{HOUSEHOLDS_CSV}encoding = \"gbk\"\n")) {
        Ok(d) => assert!(d.warnings.iter().any(|w| w.code == WarningCode::FileDialect), "{:?}", d.warnings),
        Err(e) => assert!(e.contains("not valid GBK"), "{e}"),
    }
    let err = load(dir.path(), &format!("{HOUSEHOLDS_CSV}encoding = \"klingon\"\n")).unwrap_err();
    assert!(err.contains("unknown encoding") && err.contains("klingon"), "{err}");
}

#[test]
fn implausible_values_are_errors_never_saturated() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "b.geojson",
        collection(&[square_feature(126.6, 45.7, r#"{"id":"tall","kind":"residential","height":1e12}"#)]),
    );
    let err = load(dir.path(), BUILDINGS).unwrap_err();
    assert!(err.contains("height") && err.contains("plausible"), "{err}");
    write(dir.path(), "b.geojson", collection(&[square_feature(126.6, 45.7, r#"{"id":"a","households":4e9}"#)]));
    let err = load(dir.path(), BUILDINGS).unwrap_err();
    assert!(err.contains("households") && err.contains("at most 50000"), "{err}");
    write(dir.path(), "b.geojson", collection(&[square_feature(126.6, 45.7, r#"{"id":"a","kind":"residential"}"#)]));
    for (key, value) in [
        ("default_levels", "1e9"),
        ("flat_area_m2", "1e-30"),
        ("persons_per_household", "1e30"),
        ("storey_height_m", "0"),
    ] {
        let err = load(dir.path(), &format!("{BUILDINGS}[estimate]\n{key} = {value}\n")).unwrap_err();
        assert!(err.contains(&format!("estimate.{key}")) && err.contains("must be a number in"), "{key}: {err}");
    }
    for (section, line) in [
        ("partition", "attempts = 4294967295"),
        ("bands", "basic = { min = 300, max = 4294967295 }"),
        ("bands", "basic = { min = 0, max = 500 }"),
        ("coverage", "snap_limit_m = 1e9"),
    ] {
        let err = load(dir.path(), &format!("{BUILDINGS}[{section}]\n{line}\n")).unwrap_err();
        assert!(err.contains("must be") || err.contains("needs 1 ≤ min"), "{line}: {err}");
    }
    // The micro-grid band (issue #11) is read and checked like the others.
    assert!(load(dir.path(), &format!("{BUILDINGS}[bands]\nmicro = {{ min = 10, max = 50 }}\n")).is_ok());
    let err = load(dir.path(), &format!("{BUILDINGS}[bands]\nmicro = {{ min = 0, max = 50 }}\n")).unwrap_err();
    assert!(err.contains("needs 1 ≤ min"), "{err}");
}

#[test]
fn duplicate_columns_properties_and_registers_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "h.csv", "id,lon,lat,households,households\nh1,126.6,45.7,3,30\n");
    let err = load(dir.path(), HOUSEHOLDS_CSV).unwrap_err();
    assert!(err.contains("\"households\" twice") && err.contains("columns D and E"), "{err}");
    let f = r#"{"type":"Feature","properties":{"id":"a","households":3,"households":30},"geometry":{"type":"Point","coordinates":[126.6,45.7]}}"#;
    write(dir.path(), "b.geojson", collection(&[f.into()]));
    let err = load(dir.path(), BUILDINGS).unwrap_err();
    assert!(err.contains("feature 0") && err.contains("appears twice"), "{err}");
    // One street registered twice.
    write(
        dir.path(),
        "b.geojson",
        collection(&[square_feature(126.6001, 45.7001, r#"{"id":"a","kind":"residential"}"#)]),
    );
    let street = r#"{"type":"Feature","properties":{"id":"S1","name":"东街道","level":"street"},"geometry":{"type":"Polygon","coordinates":[[[126.59,45.69],[126.62,45.69],[126.62,45.72],[126.59,45.72],[126.59,45.69]]]}}"#;
    write(dir.path(), "a.geojson", collection(&[street.into()]));
    write(dir.path(), "r.csv", "area,households\n东街道,400\nS1,500\n");
    let plan = format!("{BUILDINGS}[layers.admin_areas]\npath = \"a.geojson\"\n[layers.registers]\npath = \"r.csv\"\n");
    let err = load(dir.path(), &plan).unwrap_err();
    assert!(err.contains("r.csv, row 3") && err.contains("registered twice") && err.contains("row 2"), "{err}");
}

#[test]
fn parquet_nan_and_struct_columns_are_named() {
    use polars::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    let mut df = df!("id" => ["h1", "h2"], "lon" => [126.6, f64::NAN], "lat" => [45.7, 45.7]).unwrap();
    let f = std::fs::File::create(dir.path().join("h.parquet")).unwrap();
    polars_io::parquet::write::ParquetWriter::new(f).finish(&mut df).unwrap();
    let err = load(dir.path(), "[layers.households]\npath = \"h.parquet\"\n").unwrap_err();
    assert!(err.contains("row 1") && err.contains("NaN") && err.contains("finite"), "{err}");
    // An extra struct column (as pyarrow writes one) does not stop the layer; reading a field from it does.
    std::fs::copy(root().join("tests/fixtures/struct_column.parquet"), dir.path().join("s.parquet")).unwrap();
    let d = load(dir.path(), "[layers.households]\npath = \"s.parquet\"\n").unwrap();
    assert_eq!(d.total_households(), 5);
    let err =
        load(dir.path(), "[layers.households]\npath = \"s.parquet\"\n[layers.households.fields]\npersons = \"meta\"\n")
            .unwrap_err();
    assert!(err.contains("meta") && err.contains("struct") && err.contains("cannot read"), "{err}");
}

#[test]
fn unclear_errors_are_clear_now() {
    let dir = tempfile::tempdir().unwrap();
    // A GeoJSON with a BOM loads.
    let body = format!("\u{feff}{}", collection(&[square_feature(126.6, 45.7, r#"{"id":"a","households":4}"#)]));
    write(dir.path(), "b.geojson", body);
    assert_eq!(load(dir.path(), BUILDINGS).unwrap().total_households(), 4);
    // CSV rows as Excel numbers them, also after a cell with a line break.
    write(dir.path(), "h.csv", "id,lon,lat,households,name\nh1,126.6,45.7,1,\"two\nlines\"\nh2,126.6,45.7,x,b\n");
    let err = load(dir.path(), HOUSEHOLDS_CSV).unwrap_err();
    assert!(err.contains("h.csv, row 3"), "{err}");
    // A missing file: the OS message once.
    let err = load(dir.path(), "[layers.buildings]\npath = \"nothing-here.geojson\"\n").unwrap_err();
    assert_eq!(err.matches("No such file").count(), 1, "{err}");
    let out = bin().arg("inspect").arg(dir.path().join("missing-plan.toml")).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("No such file").count(), 1, "{err}");
    // A GeoJSON given as the plan.
    let out = bin().arg("inspect").arg(dir.path().join("b.geojson")).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not a plan file") && err.contains("[layers.buildings]") && !err.contains("parse error"),
        "{err}"
    );
}

#[test]
fn layer_paths_stay_in_the_plan_folder_and_file_contents_are_not_echoed() {
    let dir = tempfile::tempdir().unwrap();
    let inner = dir.path().join("plan");
    std::fs::create_dir(&inner).unwrap();
    write(dir.path(), "secret.csv", "root:x:0:0:root:/root:/bin/bash\n");
    for path in ["../secret.csv", "/etc/passwd"] {
        let err = load(&inner, &format!("[layers.households]\npath = {path:?}\n")).unwrap_err();
        assert!(err.contains("outside the plan's folder") && err.contains("allow_outside_paths"), "{err}");
        assert!(!err.contains("root:x"), "{err}");
    }
    let d = load(&inner, "[plan]\nallow_outside_paths = true\n[layers.households]\npath = \"../secret.csv\"\n");
    assert!(d.is_err(), "read when allowed, and rejected for its content");
}

#[test]
fn a_gzip_bomb_is_stopped_at_the_limit() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[").unwrap();
    let filler = vec![b' '; 1 << 20];
    for _ in 0..3 {
        gz.write_all(&filler).unwrap();
    }
    gz.write_all(b"]}").unwrap();
    write(dir.path(), "b.geojson.gz", gz.finish().unwrap());
    let err = load(dir.path(), "[plan]\nmax_decompressed_mib = 2\n[layers.buildings]\npath = \"b.geojson.gz\"\n")
        .unwrap_err();
    assert!(err.contains("more than 2 MiB") && err.contains("max_decompressed_mib"), "{err}");
}

#[test]
fn any_admin_level_scheme_maps_to_streets_and_communities() {
    let dir = tempfile::tempdir().unwrap();
    let square = |id: &str, name: &str, level: &str, d: f64| {
        format!(
            r#"{{"type":"Feature","properties":{{"id":"{id}","name":"{name}","level":"{level}"}},"geometry":{{"type":"Polygon","coordinates":[[[{a},{b}],[{c},{b}],[{c},{e}],[{a},{e}],[{a},{b}]]]}}}}"#,
            a = 126.59 + d,
            b = 45.69 + d,
            c = 126.62 - d,
            e = 45.72 - d
        )
    };
    // A city whose OSM uses admin_level 9 for districts and 10 for neighbourhoods (as São Paulo does).
    write(
        dir.path(),
        "a.geojson",
        collection(&[square("D1", "Sé", "9", 0.0), square("N1", "Bela Vista", "10", 0.002)]),
    );
    write(dir.path(), "b.geojson", collection(&[square_feature(126.6, 45.7, r#"{"id":"a","households":12}"#)]));
    let plan = format!(
        "{BUILDINGS}[layers.admin_areas]\npath = \"a.geojson\"\n[admin]\nstreet_levels = [\"9\"]\ncommunity_levels = [\"10\"]\ndistrict_levels = []\n"
    );
    let d = load(dir.path(), &plan).unwrap();
    assert_eq!(d.buildings[0].street.map(|s| d.admin_areas[s].name.as_str()), Some("Sé"));
    assert_eq!(d.buildings[0].community.map(|s| d.admin_areas[s].name.as_str()), Some("Bela Vista"));
    let err = load(
        dir.path(),
        &format!("{BUILDINGS}[layers.admin_areas]\npath = \"a.geojson\"\n[admin]\ncommunity_levels = [\"8\"]\n"),
    )
    .unwrap_err();
    assert!(err.contains("only one of"), "{err}");
}
