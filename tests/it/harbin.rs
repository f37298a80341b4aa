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
    let mut plan = gridplan::config::Plan::from_path(&out.join("plan.toml")).expect("plan");
    let with_rule = gridplan::load::load_plan(&plan).expect("load");
    // Issue #10: the rule for untagged buildings outside compounds, reimplemented independently in Python
    // (shapely + scipy, benches/peers/untagged_rule.py), adds 3,360 buildings; the projections differ a little.
    let added = with_rule.buildings.iter().filter(|b| b.by_neighbours).count();
    assert!((3_250..=3_450).contains(&added), "≈ 3,360 untagged buildings made residential, got {added}");
    plan.config.estimate.untagged_by_neighbours = false;
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
    bridges_and_tunnels_alike(&out);
}

/// Issue #9: Harbin's viaducts and long bridges are crossed at grade like its tunnels; short bridges keep their
/// road's barrier. Checked against the extract itself, read independently of the importer.
fn bridges_and_tunnels_alike(imported: &std::path::Path) {
    use osmpbf::{Element, ElementReader};
    let mut coords: std::collections::HashMap<i64, (f64, f64)> = std::collections::HashMap::new();
    let mut ways: Vec<(i64, Vec<i64>, bool)> = Vec::new();
    ElementReader::from_path(dataset("harbin/harbin.osm.pbf"))
        .expect("pbf")
        .for_each(|e| match e {
            Element::DenseNode(n) => {
                coords.insert(n.id(), (n.lon(), n.lat()));
            }
            Element::Node(n) => {
                coords.insert(n.id(), (n.lon(), n.lat()));
            }
            Element::Way(w) => {
                let tags: std::collections::HashMap<&str, &str> = w.tags().collect();
                let major = matches!(tags.get("highway"), Some(&("trunk" | "primary" | "secondary" | "motorway")));
                let structure =
                    tags.get("bridge").is_some_and(|b| *b != "no") || tags.get("tunnel").is_some_and(|t| *t != "no");
                if major && structure {
                    ways.push((w.id(), w.refs().collect(), tags.contains_key("bridge")));
                }
            }
            _ => {}
        })
        .expect("read");
    let barriers: geojson::FeatureCollection =
        std::fs::read_to_string(imported.join("barriers.geojson")).expect("barriers").parse().expect("geojson");
    let barrier_ids: std::collections::HashSet<String> = barriers
        .features
        .iter()
        .filter_map(|f| f.property("id").and_then(|v| v.as_str()).map(|s| s.split(':').next().unwrap_or(s).to_string()))
        .collect();
    let (mut long_bridges, mut short_kept) = (0, 0);
    for (id, refs, bridge) in &ways {
        let pts: Vec<(f64, f64)> = refs.iter().filter_map(|r| coords.get(r).copied()).collect();
        if pts.len() != refs.len() {
            continue; // clipped by the extract: pieces are judged one by one
        }
        let length: f64 = pts.windows(2).map(|w| gridplan::crs::haversine_m(w[0], w[1])).sum();
        let listed = barrier_ids.contains(&format!("w{id}"));
        if length > 50.0 {
            assert!(
                !listed,
                "w{id}: a {length:.0} m {} is crossed at grade",
                if *bridge { "bridge" } else { "tunnel" }
            );
            long_bridges += usize::from(*bridge);
        } else {
            assert!(listed, "w{id}: a {length:.0} m bridge or tunnel keeps its road's barrier");
            short_kept += 1;
        }
    }
    assert!(long_bridges > 10, "Harbin has viaducts: {long_bridges}");
    eprintln!(
        "Harbin: {long_bridges} long bridge ways crossed at grade, {short_kept} short bridges or tunnels kept as barriers"
    );
}

/// 15-minute coverage on the real walk network against the node-snapped networkx reference of
/// `../shared/datasets/harbin-osm/coverage_reference.json` (share of households within 1,000 m and 1,200 m).
/// Edge snapping, the snap limit and the OSM kind split explain differences of up to two points (README).
#[test]
fn harbin_coverage_is_close_to_the_node_snapped_reference() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("harbin");
    gridplan::import::import_osm(
        &dataset("harbin/harbin.osm.pbf"),
        &out,
        &OsmOptions::default(),
        &PlanConfig::default(),
    )
    .expect("import");
    let mut plan = gridplan::config::Plan::from_path(&out.join("plan.toml")).expect("plan");
    // The reference was computed on the households of tagged and compound buildings only.
    plan.config.estimate.untagged_by_neighbours = false;
    let d = gridplan::load::load_plan(&plan).expect("load");
    let cov = &mut plan.config.coverage;
    let groups = [
        ("school_any", vec!["primary_school", "middle_school", "school"]),
        ("market_shop", vec!["market", "shop"]),
        ("park_sport", vec!["park", "sports_ground"]),
    ];
    for (g, kinds) in groups {
        cov.groups.insert(g.into(), kinds.into_iter().map(String::from).collect());
        cov.thresholds.insert(g.into(), 1000.0);
    }
    cov.levels = Some(vec![1000.0, 1200.0]);
    let reference = [
        ("school_any", 0.6247, 0.6959),
        ("kindergarten", 0.2115, 0.287),
        ("hospital", 0.3689, 0.4775),
        ("market_shop", 0.436, 0.5341),
        ("park_sport", 0.8791, 0.9341),
        ("pharmacy", 0.0748, 0.0931),
    ];
    let only: Vec<String> = reference.iter().map(|r| r.0.to_string()).collect();
    let result = gridplan::coverage::coverage(&d, cov, Some(&only)).expect("coverage");
    let persons = vec![0; result.sites.len()];
    assert_eq!(result.kinds.len(), reference.len());
    for (name, at_1000, at_1200) in reference {
        let k = result.kinds.iter().find(|k| k.kind.name == name).expect("kind evaluated");
        for (t, expected) in [(1000.0, at_1000), (1200.0, at_1200)] {
            let all = result.total(k, t, &persons);
            assert_eq!(all.households, d.total_households(), "every household has a row");
            assert!(
                (all.share() - expected).abs() < 0.02,
                "{name} at {t} m: {:.4} vs reference {expected}",
                all.share()
            );
            assert!(all.households_fallback * 20 < all.households, "{name}: fallbacks are the exception");
            eprintln!(
                "Harbin coverage {name} at {t} m: {:.1} % (reference {:.1} %), fallbacks {:.1} %",
                100.0 * all.share(),
                100.0 * expected,
                100.0 * all.households_fallback as f64 / all.households as f64
            );
        }
    }
}

/// The README's main command, end to end on the bundled Harbin extract: it must run (a panic in siting on a
/// household beside a small piece of network got past every smaller test), and the run folder is whole.
#[test]
fn the_readme_main_command_runs_on_harbin() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("harbin");
    let run = bin()
        .arg("plan")
        .arg(dataset("harbin/harbin.osm.pbf"))
        .arg("--division-codes")
        .arg(dataset("china-admin/heilongjiang_divisions.csv"))
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let check: serde_json::Value = serde_json::from_slice(&run.stdout).expect("check.json on stdout");
    assert_eq!(check["barrier_crossings"], 0);
    assert_eq!(check["nesting_violations"], 0);
    for f in ["report.html", "workload.csv", "sites.csv", "manifest.json", "input/plan.toml"] {
        assert!(out.join(f).is_file(), "{f}");
    }
    let coverage: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("coverage.json")).expect("coverage.json")).expect("json");
    let farther: u64 = coverage["kinds"]
        .as_array()
        .expect("kinds")
        .iter()
        .map(|k| k["households_by_method"]["network_farther_edge"].as_u64().unwrap_or(0))
        .sum();
    eprintln!("Harbin: {farther} household × kind pairs measured from a farther edge");
    // The plan among random legal plans: the chains start from the plan itself, so the plan's figure is the
    // partition's own mean distance to the grid centre, computed by other code.
    let legal: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("legal_plans.json")).expect("legal_plans.json")).expect("json");
    let run_json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("run.json")).expect("run.json")).expect("json");
    let plan_distance = legal["mean_distance_m"]["plan"].as_f64().expect("plan figure");
    let metric = run_json["metrics"]["distance_to_centre_mean_m"].as_f64().unwrap_or(f64::NAN);
    assert!((plan_distance - metric).abs() < 1e-6, "{plan_distance} vs {metric}");
    let grids = legal["grids"].as_u64().expect("grids");
    let frozen = legal["frozen_out_of_band"].as_u64().expect("n") + legal["frozen_not_connected"].as_u64().expect("n");
    assert_eq!(legal["movable_grids"].as_u64().expect("n") + frozen, grids);
    assert_eq!(legal["mean_distance_m"]["samples"].as_array().expect("samples").len(), 1000);
    assert!(out.join("charts/legal_plans.png").is_file());
    let report = std::fs::read_to_string(out.join("report.html")).expect("report");
    assert!(report.contains("与同样合规的 1000 个随机方案比较"), "the comparison in the report");
    // Every one of Harbin's 77 OSM streets carries its NBS code (names matched within city 2301), and the grid
    // ids start with it; the communities are built from compounds (OSM has no community outlines), so have none.
    let codes = &run_json["division_codes"];
    assert_eq!(codes["city"], "2301", "{codes}");
    assert_eq!(codes["streets_coded"], serde_json::json!([77, 77]), "{codes}");
    let workload = std::fs::read_to_string(out.join("workload.csv")).expect("workload");
    let first = workload.lines().nth(1).expect("a grid");
    assert!(first.len() > 9 && first[..9].chars().all(|c| c.is_ascii_digit()), "grid ids begin with the code: {first}");
    let ledger = std::fs::read_to_string(out.join("admin_codes.csv")).expect("admin_codes.csv");
    assert!(ledger.starts_with("\u{feff}行政区编号,名称,级别,统计用区划代码") && ledger.lines().count() == 78);
    assert!(report.contains("id=\"division-codes\">统计用区划代码"), "the match in the report");
    // Maps made from OpenStreetMap say so (ODbL 1.0): the report, and the GeoJSON outputs as a member.
    assert!(report.contains("id=\"attribution\">地图数据来自 OpenStreetMap 贡献者"), "attribution in the report");
    for f in ["grids.geojson", "micro_grids.geojson", "sites.geojson"] {
        let head = std::fs::read_to_string(out.join(f)).expect("geojson");
        assert!(
            head[..300.min(head.len())].contains("\"attribution\":\"© OpenStreetMap contributors, ODbL 1.0"),
            "{f}"
        );
    }
}
