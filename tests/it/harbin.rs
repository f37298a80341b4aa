//! The bundled central-Harbin extract against the dataset's reference counts (datasets/harbin/README.md).

use super::util::*;
use gridplan::config::PlanConfig;
use gridplan::load::osm::OsmOptions;

#[test]
fn harbin_import_matches_the_reference_counts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("harbin");
    let report = gridplan::import::import_osm(
        &dataset("harbin/harbin.osm.pbf"),
        &out,
        &OsmOptions::default(),
        &PlanConfig::default(),
    )
    .expect("import");
    assert_eq!((report.nodes, report.ways, report.relations), (226_042, 34_996, 394));
    let plan = gridplan::config::Plan::from_path(&out.join("plan.toml")).expect("plan");
    let d = gridplan::load::load_plan(&plan).expect("load");
    assert_eq!(d.buildings.len(), 16_052);
    assert_eq!(d.compounds.len(), 1_610);
    assert_eq!(d.admin_areas.len(), 77, "77 closed 街道 polygons");
    let residential = d.buildings.iter().filter(|b| b.residential).count();
    assert!((8_800..=8_950).contains(&residential), "≈ 8,915 residential buildings, got {residential}");
    let households = d.total_households();
    assert!((690_000..=720_000).contains(&households), "≈ 711,600 households, got {households}");
    let walk_km: f64 =
        d.walk_network.iter().map(|w| geo::Length::length(&geo::Euclidean, &w.line)).sum::<f64>() / 1000.0;
    assert!((3_600.0..=3_700.0).contains(&walk_km), "≈ 3,474 km + 176 km of clipped pieces, got {walk_km:.0}");
    let streets_skipped = report.skipped.iter().filter(|s| s.what == "street").count();
    assert_eq!(streets_skipped, 16, "93 admin_level=8 relations, 77 closed");
}
