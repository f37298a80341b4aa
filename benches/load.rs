#![allow(clippy::expect_used, reason = "a benchmark stops on a broken fixture")]
//! Loading benchmarks (issue #2): Harbin `.osm.pbf` import, loading the imported layers through a plan, and
//! `synth` at 1 M households. Run in release: `cargo bench --bench load`. Figures: benches/README.md.

use criterion::{Criterion, criterion_group, criterion_main};
use gridplan::config::{Plan, PlanConfig};
use gridplan::load::osm::{OsmOptions, read_pbf};
use std::hint::black_box;
use std::path::PathBuf;

fn dataset(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("datasets").join(rel)
}

fn load(c: &mut Criterion) {
    let pbf = dataset("harbin/harbin.osm.pbf");
    let dir = tempfile::tempdir().expect("tempdir");
    // Inputs are made here, outside every timed closure, so a filtered run (`-- harbin_load_plan`) has them too.
    let out = dir.path().join("harbin");
    gridplan::import::import_osm(&pbf, &out, &OsmOptions::default(), &PlanConfig::default()).expect("import");
    let plan = Plan::from_path(&out.join("plan.toml")).expect("plan");
    let city = dir.path().join("city");
    gridplan::synth::write_city(&gridplan::synth::SynthParams::new(1_000_000, 1), &city).expect("synth");
    let synth_plan = Plan::from_path(&city.join("plan.toml")).expect("plan");
    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    group.bench_function("harbin_pbf_read", |b| {
        b.iter(|| black_box(read_pbf(&pbf, &OsmOptions::default()).expect("read")))
    });
    let again = dir.path().join("harbin_again");
    group.bench_function("harbin_import_osm", |b| {
        b.iter(|| {
            gridplan::import::import_osm(&pbf, &again, &OsmOptions::default(), &PlanConfig::default()).expect("import")
        })
    });
    group.bench_function("harbin_load_plan", |b| b.iter(|| black_box(gridplan::load::load_plan(&plan).expect("load"))));
    let city_again = dir.path().join("city_again");
    group.bench_function("synth_1m_households", |b| {
        b.iter(|| {
            gridplan::synth::write_city(&gridplan::synth::SynthParams::new(1_000_000, 1), &city_again).expect("synth")
        })
    });
    group.bench_function("synth_1m_load_plan", |b| {
        b.iter(|| black_box(gridplan::load::load_plan(&synth_plan).expect("load")))
    });
    group.finish();
}

criterion_group!(benches, load);
criterion_main!(benches);
