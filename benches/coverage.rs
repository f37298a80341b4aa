#![allow(clippy::expect_used, reason = "a benchmark stops on a broken fixture")]
//! Coverage benchmarks (issue #4) on the bundled Harbin extract: the walk graph, distances for 8 kinds
//! (graph, snapping, one bounded multi-source Dijkstra per kind), and site suggestions for the same kinds;
//! then every kind of the synthetic city's plan at 10 k, 100 k and 1 M households (issue #15: how distances
//! and siting grow). Every input is made before the timed closures, so a filtered run
//! (`cargo bench --bench coverage -- synth/100k`) has its own. Run in release; figures: benches/README.md.

use criterion::{Criterion, criterion_group, criterion_main};
use gridplan::config::{Plan, PlanConfig};
use std::hint::black_box;
use std::path::PathBuf;

const KINDS: [&str; 8] =
    ["primary_school", "middle_school", "school", "kindergarten", "hospital", "market", "park", "sports_ground"];

fn coverage(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let harbin = dir.path().join("harbin");
    let pbf = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("datasets/harbin/harbin.osm.pbf");
    gridplan::import::import_osm(&pbf, &harbin, &Default::default(), &PlanConfig::default()).expect("import");
    let plan = Plan::from_path(&harbin.join("plan.toml")).expect("plan");
    let d = gridplan::load::load_plan(&plan).expect("load");
    let params = &plan.config.coverage;
    let kinds: Vec<String> = KINDS.iter().map(|k| k.to_string()).collect();
    let mut group = c.benchmark_group("coverage");
    group.sample_size(10);
    group.bench_function("harbin/walk-graph", |b| {
        b.iter(|| black_box(gridplan::network::WalkGraph::new(&d.walk_network)))
    });
    group.bench_function("harbin/distances-8-kinds", |b| {
        b.iter(|| black_box(gridplan::coverage::coverage(&d, params, Some(&kinds)).expect("coverage")))
    });
    let cov = gridplan::coverage::coverage(&d, params, Some(&kinds)).expect("coverage");
    let candidates = gridplan::coverage::candidates(&d);
    group.bench_function("harbin/siting-8-kinds-3-sites", |b| {
        b.iter(|| black_box(gridplan::coverage::suggest_sites(&cov, &candidates, params)))
    });
    group.finish();
}

fn synthetic(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut group = c.benchmark_group("coverage/synth");
    group.sample_size(10);
    for (label, households) in [("10k", 10_000), ("100k", 100_000), ("1m", 1_000_000)] {
        let city = dir.path().join(label);
        gridplan::synth::write_city(&gridplan::synth::SynthParams::new(households, 1), &city).expect("synth");
        let plan = Plan::from_path(&city.join("plan.toml")).expect("plan");
        let d = gridplan::load::load_plan(&plan).expect("load");
        let params = &plan.config.coverage;
        group.bench_function(format!("{label}/distances-all-kinds"), |b| {
            b.iter(|| black_box(gridplan::coverage::coverage(&d, params, None).expect("coverage")))
        });
        let cov = gridplan::coverage::coverage(&d, params, None).expect("coverage");
        let candidates = gridplan::coverage::candidates(&d);
        group.bench_function(format!("{label}/siting-all-kinds"), |b| {
            b.iter(|| black_box(gridplan::coverage::suggest_sites(&cov, &candidates, params)))
        });
    }
    group.finish();
}

criterion_group!(benches, coverage, synthetic);
criterion_main!(benches);
