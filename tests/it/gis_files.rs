//! The files GIS departments exchange (issue #14): GDAL opens `grids.gpkg` and the Shapefile sets a run writes,
//! with every feature and field, byte-identical run to run; a GBK Shapefile, a GeoPackage and an Excel sheet of
//! the sample load with the same households and facilities as its GeoJSON.

use super::util::*;
use std::path::Path;
use std::process::Command;

fn gdal() -> bool {
    let ok = Command::new("ogrinfo").arg("--version").output().is_ok_and(|o| o.status.success())
        && Command::new("ogr2ogr").arg("--version").output().is_ok_and(|o| o.status.success());
    if !ok {
        skip_unless_ci("GDAL's ogrinfo and ogr2ogr (apt-get install gdal-bin)");
    }
    ok
}

/// `ogrinfo -so` of one layer: feature count and field names.
fn ogr_layer(path: &Path, layer: &str) -> (usize, Vec<String>) {
    let out = Command::new("ogrinfo").args(["-so", "-ro"]).arg(path).arg(layer).output().expect("ogrinfo");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "ogrinfo {}: {}", path.display(), String::from_utf8_lossy(&out.stderr));
    let count = text
        .lines()
        .find_map(|l| l.strip_prefix("Feature Count: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no feature count in {text}"));
    // Field lines look like `name: String (0.0)`, after the geometry column line.
    let fields = text
        .lines()
        .skip_while(|l| !l.starts_with("Geometry Column") && !l.starts_with("Data axis"))
        .skip(1)
        .filter_map(|l| l.split_once(": ").map(|(n, _)| n.to_string()))
        .filter(|n| !n.contains(' '))
        .collect();
    (count, fields)
}

fn geojson_keys(path: &Path) -> (usize, Vec<String>) {
    let fc: geojson::FeatureCollection = std::fs::read_to_string(path).expect("read").parse().expect("geojson");
    let mut keys: Vec<String> =
        fc.features.iter().flat_map(|f| f.properties.iter().flat_map(|p| p.keys().cloned())).collect();
    keys.sort();
    keys.dedup();
    (fc.features.len(), keys)
}

fn partition(data: &Path, out: &Path) {
    let o = bin().arg("partition").arg(data.join("plan.toml")).arg("--out").arg(out).output().expect("run");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn gdal_opens_the_geopackage_and_shapefiles_with_every_feature_and_field() {
    if !gdal() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let data = import_sample(dir.path(), "data").parent().expect("dir").to_path_buf();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    partition(&data, &a);
    partition(&data, &b);
    for layer in ["grids", "micro_grids"] {
        let (n, keys) = geojson_keys(&a.join(format!("{layer}.geojson")));
        let (gn, mut gkeys) = ogr_layer(&a.join("grids.gpkg"), layer);
        gkeys.sort();
        assert_eq!((gn, &gkeys), (n, &keys), "grids.gpkg layer {layer}: every feature and field");
        let shp = a.join(format!("shp/{layer}.shp"));
        let (sn, sfields) = ogr_layer(&shp, layer);
        assert_eq!(sn, n, "{layer}.shp: every feature");
        let mut short: Vec<String> = keys.iter().map(|k| gridplan::render::gis::dbf_name(k)).collect();
        short.sort();
        let mut sfields = sfields;
        sfields.sort();
        assert_eq!(sfields, short, "{layer}.shp: every field, named within dBase's ten characters");
        assert_eq!(std::fs::read_to_string(shp.with_extension("cpg")).expect("cpg"), "UTF-8");
        assert!(std::fs::read_to_string(shp.with_extension("prj")).expect("prj").contains("WGS"), "a .prj");
    }
    // The Chinese names survive: GDAL reads a community name back from the Shapefile.
    let out = Command::new("ogrinfo")
        .args(["-ro", "-q"])
        .arg(a.join("shp/grids.shp"))
        .arg("grids")
        .output()
        .expect("ogrinfo");
    assert!(String::from_utf8_lossy(&out.stdout).contains("社区"), "Chinese community names in the .dbf");
    for f in gridplan::render::run_dir::GIS_FILES {
        assert_eq!(std::fs::read(a.join(f)).expect(f), std::fs::read(b.join(f)).expect(f), "{f} byte-identical");
    }
}

/// A plan whose `[layers.NAME]` path is replaced.
fn with_layer(data: &Path, layer: &str, path: &str, extra: &str) -> std::path::PathBuf {
    let text = std::fs::read_to_string(data.join("plan.toml")).expect("plan");
    let header = format!("[layers.{layer}]\npath = ");
    let start = text.find(&header).expect("layer") + header.len();
    let end = start + text[start..].find('\n').expect("line");
    let text = format!("{}\"{path}\"\n{extra}{}", &text[..start], &text[end + 1..]);
    let name = format!("plan_{layer}_{}.toml", path.replace(['.', '/'], "_"));
    write(data, &name, text);
    data.join(name)
}

fn inspect(plan: &Path) -> serde_json::Value {
    let out = bin().arg("inspect").arg(plan).arg("--json").output().expect("inspect");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("json")
}

fn layer<'a>(v: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    v["layers"].as_array().expect("layers").iter().find(|l| l["layer"] == name).expect(name)
}

#[test]
fn a_gbk_shapefile_a_geopackage_and_a_workbook_of_the_sample_load_as_its_geojson() {
    if !gdal() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let data = import_sample(dir.path(), "data").parent().expect("dir").to_path_buf();
    let base = inspect(&data.join("plan.toml"));

    // GBK Shapefile of the buildings, as Chinese GIS departments exchange them (GDAL writes the .cpg).
    let o = Command::new("ogr2ogr")
        .args(["-f", "ESRI Shapefile", "-lco", "ENCODING=GBK"])
        .arg(data.join("buildings_gbk.shp"))
        .arg(data.join("buildings.geojson"))
        .output()
        .expect("ogr2ogr");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let buildings: geojson::FeatureCollection =
        std::fs::read_to_string(data.join("buildings.geojson")).expect("read").parse().expect("geojson");
    let name = buildings
        .features
        .iter()
        .filter_map(|f| f.property("name").and_then(|n| n.as_str()))
        .find(|n| !n.is_ascii())
        .expect("a Chinese building name in the sample");
    let dbf = std::fs::read(data.join("buildings_gbk.dbf")).expect("dbf");
    let (gbk, _, _) = encoding_rs::GBK.encode(name);
    let has = |needle: &[u8]| dbf.windows(needle.len()).any(|w| w == needle);
    assert!(has(&gbk) && !has(name.as_bytes()), "{name} is stored in GBK, not UTF-8");
    let shp = inspect(&with_layer(&data, "buildings", "buildings_gbk.shp", ""));
    for key in ["count", "households", "persons"] {
        assert_eq!(layer(&shp, "buildings")[key], layer(&base, "buildings")[key], "GBK Shapefile: {key}");
    }
    assert_eq!(shp["total_households"], base["total_households"]);

    // GeoPackage of the admin areas (street and community names in UTF-8 SQLite).
    let o = Command::new("ogr2ogr")
        .args(["-f", "GPKG", "-nln", "areas"])
        .arg(data.join("admin.gpkg"))
        .arg(data.join("admin_areas.geojson"))
        .output()
        .expect("ogr2ogr");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let gpkg = inspect(&with_layer(&data, "admin_areas", "admin.gpkg", ""));
    assert_eq!(layer(&gpkg, "admin_areas")["count"], layer(&base, "admin_areas")["count"]);
    assert_eq!(gpkg["total_households"], base["total_households"], "GeoPackage admin areas: same households");
    let wrong = with_layer(&data, "admin_areas", "admin.gpkg", "layer = \"nope\"\n");
    let out = bin().arg("inspect").arg(&wrong).output().expect("inspect");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("nope") && err.contains("areas"), "names the tables: {err}");

    // The facilities as rows of a workbook with lon/lat columns, on its second sheet.
    let fc: geojson::FeatureCollection =
        std::fs::read_to_string(data.join("facilities.geojson")).expect("read").parse().expect("geojson");
    let mut book = rust_xlsxwriter::Workbook::new();
    book.add_worksheet().set_name("说明").expect("sheet").write(0, 0, "设施清单在下一页").expect("cell");
    let sheet = book.add_worksheet().set_name("设施").expect("sheet");
    for (c, h) in ["id", "kind", "name", "经度", "纬度"].iter().enumerate() {
        sheet.write(0, c as u16, *h).expect("header");
    }
    for (r, f) in fc.features.iter().enumerate() {
        let r = r as u32 + 1;
        let p = f.properties.as_ref().expect("props");
        let Some(geojson::GeometryValue::Point { coordinates: pt }) = f.geometry.as_ref().map(|g| &g.value) else {
            panic!("a point")
        };
        sheet.write(r, 0, p["id"].as_str().expect("id")).expect("id");
        sheet.write(r, 1, p["kind"].as_str().expect("kind")).expect("kind");
        if let Some(n) = p.get("name").and_then(|n| n.as_str()) {
            sheet.write(r, 2, n).expect("name");
        }
        sheet.write(r, 3, pt[0]).expect("lon");
        sheet.write(r, 4, pt[1]).expect("lat");
    }
    book.save(data.join("facilities.xlsx")).expect("save");
    let xlsx = inspect(&with_layer(&data, "facilities", "facilities.xlsx", "layer = \"设施\"\n"));
    assert_eq!(layer(&xlsx, "facilities")["count"], layer(&base, "facilities")["count"], "every facility row");
    assert_eq!(layer(&xlsx, "facilities")["details"], layer(&base, "facilities")["details"], "same kinds");
    // Without `layer` the first sheet is read, which has no lon/lat: an error that names the sheet's columns.
    let first = with_layer(&data, "facilities", "facilities.xlsx", "");
    let out = bin().arg("inspect").arg(&first).output().expect("inspect");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("layer = ") && err.contains("设施"), "names the other sheet: {err}");
}

#[test]
fn csv_columns_are_chinese_by_default_and_the_keys_on_request() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = import_sample(dir.path(), "data").parent().expect("dir").to_path_buf();
    let zh = dir.path().join("zh");
    partition(&data, &zh);
    let head = |p: &Path| std::fs::read_to_string(p).expect("csv").lines().next().expect("header").to_string();
    assert_eq!(head(&zh.join("assignment.csv")), "\u{feff}单元编号,类型,户数,网格编号,社区,街道,微网格编号");
    assert_eq!(head(&zh.join("unassigned.csv")), "\u{feff}单元编号,类型,户数,原因");
    let text = std::fs::read_to_string(data.join("plan.toml")).expect("plan");
    assert!(text.contains("csv_headers = \"zh\""), "the plan says which");
    write(&data, "plan.toml", text.replacen("csv_headers = \"zh\"", "csv_headers = \"en\"", 1));
    let en = dir.path().join("en");
    partition(&data, &en);
    assert_eq!(head(&en.join("assignment.csv")), "\u{feff}id,kind,households,grid_id,community,street,micro_grid");
    // Same rows either way, and a rerun reads a Chinese-headed run as its previous plan.
    let rows =
        |p: &Path| std::fs::read_to_string(p).expect("csv").lines().skip(1).map(String::from).collect::<Vec<_>>();
    assert_eq!(rows(&zh.join("assignment.csv")), rows(&en.join("assignment.csv")));
    let again = dir.path().join("again");
    let o = bin()
        .arg("partition")
        .arg(data.join("plan.toml"))
        .arg("--out")
        .arg(&again)
        .arg("--previous")
        .arg(&zh)
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(rows(&again.join("assignment.csv")), rows(&en.join("assignment.csv")), "nothing moves");
}
