//! Loading the same kind of data from every format and coordinate system planners hold.

use super::util::*;
use gridplan::config::Plan;
use gridplan::crs::Crs;
use gridplan::load::load_plan;
use gridplan::model::{HouseholdSource, WarningCode};

fn load(dir: &std::path::Path, plan: &str) -> gridplan::model::Dataset {
    let p = write(dir, "plan.toml", plan);
    load_plan(&Plan::from_path(&p).expect("plan")).expect("loads")
}

#[test]
fn gbk_csv_with_chinese_fields_in_bd09() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Baidu coordinates of two WGS84 points 1 km apart, as a Baidu-based register would export them.
    let a = Crs::Bd09.from_wgs84(126.63, 45.75);
    let b = Crs::Bd09.from_wgs84(126.6428, 45.75);
    let text =
        format!("编号,经度,纬度,户数,人口,楼栋\nH-1,{},{},12,30,一号楼\nH-2,{},{},8,,二号楼\n", a.0, a.1, b.0, b.1);
    let (gbk, _, _) = encoding_rs::GBK.encode(&text);
    write(dir.path(), "住户.csv", &gbk);
    let d = load(
        dir.path(),
        "[plan]\ncrs = \"bd09\"\n[layers.households]\npath = \"住户.csv\"\nencoding = \"gbk\"\n[layers.households.fields]\nid = \"编号\"\nlon = \"经度\"\nlat = \"纬度\"\nhouseholds = \"户数\"\npersons = \"人口\"\n",
    );
    assert_eq!(d.households.len(), 2);
    assert_eq!(d.households[0].id, "H-1");
    assert_eq!((d.households[0].households, d.households[0].persons), (12, 30));
    assert_eq!(d.households[1].persons, 21, "8 × 2.6 persons when not given");
    // Converted from BD-09 back to WGS84, then projected: the two points are 1 km apart east-west.
    let dx = d.households[1].point.x() - d.households[0].point.x();
    let dy = d.households[1].point.y() - d.households[0].point.y();
    assert!((dx - 996.0).abs() < 5.0 && dy.abs() < 1.0, "dx {dx}, dy {dy}");
}

#[test]
fn parquet_households_link_to_geojson_buildings() {
    use polars::prelude::*;
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "b.geojson",
        collection(&[
            square_feature(126.6, 45.7, r#"{"id":"B1","kind":"yes"}"#),
            square_feature(126.61, 45.7, r#"{"id":"B2","kind":"office"}"#),
        ]),
    );
    let mut df = df!(
        "id" => ["h1", "h2", "h3", "h4"],
        "lon" => [126.6001, 126.6001, 126.6101, 126.7],
        "lat" => [45.7001, 45.7001, 45.7001, 45.7],
        "households" => [1i64, 2, 1, 1],
        "elderly" => [Some(1i64), None, Some(2), None],
    )
    .expect("frame");
    let f = std::fs::File::create(dir.path().join("h.parquet")).expect("create");
    polars_io::parquet::write::ParquetWriter::new(f).finish(&mut df).expect("write parquet");
    let d = load(dir.path(), "[layers.buildings]\npath = \"b.geojson\"\n[layers.households]\npath = \"h.parquet\"\n");
    assert_eq!(d.households.iter().map(|h| h.building).collect::<Vec<_>>(), vec![Some(0), Some(0), Some(1), None]);
    assert_eq!(d.buildings[0].households, 3);
    assert_eq!(d.buildings[0].households_source, HouseholdSource::HouseholdsLayer);
    assert_eq!(d.buildings[0].elderly, Some(1));
    assert_eq!(d.buildings[1].households, 1);
    assert_eq!(d.total_households(), 5, "three in buildings' totals, one loose: none counted twice");
    assert!(d.warnings.iter().any(|w| w.code == WarningCode::HouseholdWithoutBuilding));
}

#[test]
fn estimates_calibrate_to_a_register_exactly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let street = r#"{"type":"Feature","properties":{"id":"s1","code":"230102001","name":"测试街道","level":"街道"},"geometry":{"type":"Polygon","coordinates":[[[126.59,45.69],[126.63,45.69],[126.63,45.72],[126.59,45.72],[126.59,45.69]]]}}"#;
    write(dir.path(), "admin.geojson", collection(&[street.into()]));
    write(
        dir.path(),
        "b.geojson",
        collection(&[
            square_feature(126.60, 45.70, r#"{"id":"a","kind":"apartments"}"#),
            square_feature(126.61, 45.70, r#"{"id":"b","kind":"apartments","levels":14}"#),
            square_feature(126.62, 45.70, r#"{"id":"c","kind":"apartments","households":100}"#),
        ]),
    );
    write(dir.path(), "reg.csv", "社区,户数\n测试街道,1000\n");
    let base = "[layers.buildings]\npath = \"b.geojson\"\n[layers.admin_areas]\npath = \"admin.geojson\"\n";
    let d = load(dir.path(), base);
    let (a, b) = (d.buildings[0].households, d.buildings[1].households);
    assert!(b > a * 19 / 10, "14 levels give about twice the default 7: {a} vs {b}");
    let d = load(
        dir.path(),
        &format!(
            "{base}[layers.registers]\npath = \"reg.csv\"\n[layers.registers.fields]\narea = \"社区\"\nhouseholds = \"户数\"\n"
        ),
    );
    assert_eq!(d.buildings[2].households, 100, "registered buildings are not scaled");
    assert_eq!(d.total_households(), 1000);
    let ratio = f64::from(d.buildings[1].households) / f64::from(d.buildings[0].households);
    assert!((ratio - 2.0).abs() < 0.01, "calibration keeps proportions: {ratio}");
}

#[test]
fn gzipped_geojson_and_multilinestring_barriers() {
    use std::io::Write;
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "b.geojson", collection(&[square_feature(126.6, 45.7, r#"{"id":"a","households":5}"#)]));
    let barriers = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"r","highway":"trunk"},"geometry":{"type":"MultiLineString","coordinates":[[[126.59,45.69],[126.61,45.69]],[[126.61,45.69],[126.62,45.71]]]}}]}"#;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(barriers.as_bytes()).expect("gz");
    write(dir.path(), "roads.geojson.gz", gz.finish().expect("gz"));
    let d =
        load(dir.path(), "[layers.buildings]\npath = \"b.geojson\"\n[layers.barriers]\npath = \"roads.geojson.gz\"\n");
    assert_eq!(
        d.barriers.iter().map(|b| (b.id.as_str(), b.class.as_str())).collect::<Vec<_>>(),
        vec![("r:1", "trunk"), ("r:2", "trunk")]
    );
}

#[test]
fn csv_point_buildings_are_estimated_from_their_footprint_and_layers_override_the_crs() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Buildings exported from an Amap-based system (GCJ-02) while the plan's default CRS is WGS84.
    let (lon, lat) = Crs::Gcj02.from_wgs84(126.63, 45.75);
    write(
        dir.path(),
        "楼栋.csv",
        format!("楼栋编号,经度,纬度,占地面积,层数,类型\n1号楼,{lon},{lat},1000,6,住宅\n2号楼,{lon},{lat},500,,仓库\n"),
    );
    let d = load(
        dir.path(),
        "[layers.buildings]\npath = \"楼栋.csv\"\ncrs = \"gcj02\"\n[layers.buildings.fields]\nid = \"楼栋编号\"\nlevels = \"层数\"\nkind = \"类型\"\n",
    );
    // 1,000 m² × 6 levels × 0.85 ÷ 90 m² = 56.7 → 57; the warehouse is not residential.
    assert_eq!((d.buildings[0].id.as_str(), d.buildings[0].households), ("1号楼", 57));
    assert_eq!(d.buildings[0].households_source, HouseholdSource::Estimated);
    assert_eq!(d.buildings[1].households, 0);
    // Converted back to WGS84 before projecting: the projection is centred on the WGS84 point.
    let origin = (d.projection.origin_lon, d.projection.origin_lat);
    assert!(gridplan::crs::haversine_m(origin, (126.63, 45.75)) < 0.5, "{origin:?}");
}
