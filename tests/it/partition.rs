//! Partition invariants (issue #3) on the bundled sample and on seeded synthetic cities.

use super::util::*;
use gridplan::config::Plan;
use gridplan::partition::{check::check, partition};
use proptest::prelude::*;

fn sample_plan(dir: &std::path::Path) -> Plan {
    Plan::from_path(&import_sample(dir, "sample")).expect("plan")
}

#[test]
fn sample_partition_holds_every_hard_rule() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plan = sample_plan(dir.path());
    let d = gridplan::load::load_plan(&plan).expect("load");
    let p = partition(&d, &plan.config, 1);
    let c = check(&d, &p, &plan.config);
    assert_eq!(c.households_assigned + c.households_unassigned, c.households_in);
    assert_eq!(c.households_in, 26_542);
    assert_eq!(
        (
            c.barrier_crossings,
            c.compounds_split - c.compounds_split_listed,
            c.nesting_violations,
            c.grids_out_of_band_unexplained
        ),
        (0, 0, 0, 0)
    );
    assert!(c.grids_in_band * 10 >= c.grids * 6, "{c:?}");
    // The two department stores (商厦) of the sample are large enough to be dedicated market grids.
    let dedicated: Vec<(&str, Vec<&str>)> = p
        .dedicated
        .iter()
        .map(|g| (g.kind.as_str(), g.units.iter().filter_map(|&u| d.special_units[u].name.as_deref()).collect()))
        .collect();
    assert_eq!(dedicated, vec![("market", vec!["玛克威商厦"]), ("market", vec!["金龙商厦"])]);
}

#[test]
fn partition_run_directory_is_deterministic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plan = sample_plan(dir.path());
    let plan_path = plan.path.clone();
    let runs: Vec<std::path::PathBuf> = ["a", "b"].iter().map(|n| dir.path().join(n)).collect();
    for r in &runs {
        let out =
            bin().arg("partition").arg(&plan_path).arg("--out").arg(r).args(["--seed", "7"]).output().expect("run");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    for f in ["grids.geojson", "assignment.csv", "unassigned.csv", "check.json"] {
        assert_eq!(std::fs::read(runs[0].join(f)).expect("a"), std::fs::read(runs[1].join(f)).expect("b"), "{f}");
    }
    // run.json differs only in its stage timings.
    let strip = |p: &std::path::Path| {
        let mut v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(p.join("run.json")).expect("run.json")).expect("json");
        v.as_object_mut().expect("object").remove("timings_s");
        v
    };
    assert_eq!(strip(&runs[0]), strip(&runs[1]));
    let grids: geojson::FeatureCollection =
        std::fs::read_to_string(runs[0].join("grids.geojson")).expect("grids").parse().expect("GeoJSON");
    assert!(grids.features.iter().all(|f| f.geometry.is_some()), "every grid has a polygon");

    // The files alone account for every household: each id once, in assignment.csv (basic and dedicated grids,
    // every grid id one of grids.geojson) or unassigned.csv.
    let check: serde_json::Value =
        serde_json::from_slice(&std::fs::read(runs[0].join("check.json")).expect("check")).expect("json");
    let grid_ids: std::collections::HashSet<String> = grids
        .features
        .iter()
        .map(|f| f.property("grid_id").and_then(|v| v.as_str()).expect("grid_id").to_string())
        .collect();
    let mut seen = std::collections::HashSet::new();
    let mut totals = [0u64; 2];
    for (i, file) in ["assignment.csv", "unassigned.csv"].iter().enumerate() {
        let bytes = std::fs::read(runs[0].join(file)).expect(file);
        let mut r = csv::Reader::from_reader(bytes.strip_prefix("\u{feff}".as_bytes()).expect("a BOM"));
        let headers = r.headers().expect("headers").clone();
        let col = |name: &str| headers.iter().position(|h| gridplan::columns::key_of(h) == name).expect(name);
        let (id, households) = (col("id"), col("households"));
        for row in r.records() {
            let row = row.expect("row");
            assert!(seen.insert(row[id].to_string()), "{} listed twice", &row[id]);
            totals[i] += row[households].parse::<u64>().expect("households");
            if i == 0 {
                let grid = &row[col("grid_id")];
                assert!(grid_ids.contains(grid), "{grid} not in grids.geojson");
            }
        }
    }
    assert_eq!(totals[0], check["households_assigned"].as_u64().expect("assigned"));
    assert_eq!(totals[1], check["households_unassigned"].as_u64().expect("unassigned"));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    /// On synthetic cities (given communities, trunk/primary/secondary roads, a river): every household in
    /// exactly one grid, no barrier crossed, no fitting compound split, grids nested and contiguous,
    /// out-of-band explained.
    #[test]
    fn synthetic_partitions_hold_the_invariants(households in 2_000u64..30_000, seed in 0u64..500) {
        let dir = tempfile::tempdir().expect("tempdir");
        gridplan::synth::write_city(&gridplan::synth::SynthParams::new(households, seed), dir.path()).expect("synth");
        let plan = Plan::from_path(&dir.path().join("plan.toml")).expect("plan");
        let d = gridplan::load::load_plan(&plan).expect("load");
        let p = partition(&d, &plan.config, seed);
        let c = check(&d, &p, &plan.config);
        prop_assert_eq!(c.households_in, households);
        prop_assert_eq!(c.households_assigned + c.households_unassigned, households);
        prop_assert_eq!(c.barrier_crossings, 0);
        prop_assert_eq!(c.compounds_split, c.compounds_split_listed, "every compound split is opened on purpose and listed");
        prop_assert_eq!(c.nesting_violations, 0);
        prop_assert_eq!(c.grids_out_of_band_unexplained, 0);
        prop_assert_eq!((c.sites_in_no_grid, c.sites_in_two_grids, c.grid_total_mismatches, c.discontiguous_grids), (0, 0, 0, 0));
        prop_assert_eq!(gridplan::partition::check::discontiguous_grids(&d, &p, &plan.config), 0, "every grid is one piece");
        // Every special unit of a listed kind with enough staff is in exactly one dedicated grid of its kind.
        for (u, s) in d.special_units.iter().enumerate() {
            let rule = plan.config.dedicated.kinds[&s.kind];
            let holders: Vec<_> = p.dedicated.iter().filter(|g| g.units.contains(&u)).collect();
            if s.staff.is_some_and(|st| st >= rule.min_staff) {
                prop_assert_eq!(holders.len(), 1);
                prop_assert_eq!(&holders[0].kind, &s.kind);
            }
        }
        let mut seen = std::collections::HashSet::new();
        for g in &p.grids {
            for &s in &g.sites {
                prop_assert!(seen.insert(s), "site {} in two grids", s);
            }
        }
    }
}

#[test]
fn every_partitioner_counts_every_household_and_the_tree_one_explains_every_grid() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plan = sample_plan(dir.path());
    let d = gridplan::load::load_plan(&plan).expect("load");
    for algorithm in gridplan::partition::all() {
        let p = gridplan::partition::partition_with(&d, &plan.config, 3, algorithm);
        let c = check(&d, &p, &plan.config);
        assert_eq!(c.households_assigned + c.households_unassigned, c.households_in, "{}", algorithm.name());
        let unlisted = c.compounds_split - c.compounds_split_listed;
        assert_eq!((c.barrier_crossings, unlisted, c.nesting_violations), (0, 0, 0), "{}", algorithm.name());
        if algorithm.name() == "tree" {
            assert_eq!(c.grids_out_of_band_unexplained, 0);
        }
    }
}

#[test]
fn the_benchmark_lattice_is_planned_fully_in_band() {
    let dir = tempfile::tempdir().expect("tempdir");
    gridplan::synth::write_lattice(20, dir.path()).expect("lattice");
    let plan = Plan::from_path(&dir.path().join("plan.toml")).expect("plan");
    let d = gridplan::load::load_plan(&plan).expect("load");
    assert_eq!(d.buildings.len(), 400);
    assert_eq!(d.total_households(), 20_000);
    let p = partition(&d, &plan.config, 1);
    let c = check(&d, &p, &plan.config);
    assert_eq!(
        (c.households_assigned, c.grids_out_of_band, c.barrier_crossings, c.compounds_split),
        (20_000, 0, 0, 0),
        "{c:?}"
    );
}

#[test]
fn exported_graph_flags_the_links_across_the_trunk_road() {
    let dir = tempfile::tempdir().expect("tempdir");
    gridplan::synth::write_lattice(12, dir.path()).expect("lattice");
    let plan = Plan::from_path(&dir.path().join("plan.toml")).expect("plan");
    let d = gridplan::load::load_plan(&plan).expect("load");
    let g = gridplan::render::graph_json::graph_json(&d, &plan.config, None);
    let nodes = g["nodes"].as_array().expect("nodes");
    assert_eq!(nodes.len(), 144);
    let adjacency = g["adjacency"].as_array().expect("adjacency");
    let crossing: usize =
        adjacency.iter().flat_map(|a| a.as_array().into_iter().flatten()).filter(|e| e["barrier"] == "trunk").count();
    // 12 rows cross the road straight, plus the diagonals of the Delaunay triangles along it; each link twice.
    assert!(crossing >= 24 && crossing.is_multiple_of(2), "{crossing}");
}

#[test]
fn merge_policy_crosses_only_minor_barriers_and_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut plan = sample_plan(dir.path());
    plan.config.partition.undersize = gridplan::config::UndersizePolicy::MergeAcrossMinorBarrier;
    let d = gridplan::load::load_plan(&plan).expect("load");
    let flagged = check(&d, &partition(&d, &Default::default(), 1), &plan.config);
    let p = partition(&d, &plan.config, 1);
    let c = check(&d, &p, &plan.config);
    assert_eq!(c.households_assigned + c.households_unassigned, c.households_in);
    assert!(!p.policy_crossings.is_empty(), "the sample has pieces cut off by secondary roads");
    for x in &p.policy_crossings {
        assert!(plan.config.partition.minor_barrier_classes.contains(&x.class), "{x:?}");
        assert!(x.joined_households > x.piece_households);
    }
    assert!(c.barrier_crossings as usize <= p.policy_crossings.len(), "every crossing is one the policy made: {c:?}");
    assert!(c.grids_out_of_band <= flagged.grids_out_of_band, "merging never leaves more grids out of band");
}
