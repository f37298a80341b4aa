#![allow(clippy::expect_used, reason = "a benchmark stops on a broken fixture")]
//! Partition benchmarks (issue #3): first legal plan on the lattices (144 … 4,900 buildings, one trunk
//! road, 3 × 3 compounds) for every partitioner, the whole Harbin partition, and a 1 M-household synthetic
//! city. Run in release: `cargo bench --bench partition`. Figures: benches/README.md.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use gridplan::config::{Plan, PlanConfig};
use gridplan::model::Dataset;
use std::hint::black_box;
use std::path::{Path, PathBuf};

fn load(plan: &Path) -> (Dataset, PlanConfig) {
    let plan = Plan::from_path(plan).expect("plan");
    (gridplan::load::load_plan(&plan).expect("load"), plan.config)
}

fn partition(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut group = c.benchmark_group("partition");
    group.sample_size(10);
    for side in [12usize, 20, 40, 70] {
        let out = dir.path().join(format!("lattice{side}"));
        gridplan::synth::write_lattice(side, &out).expect("lattice");
        let (d, config) = load(&out.join("plan.toml"));
        for algorithm in gridplan::partition::all() {
            group.bench_with_input(
                BenchmarkId::new(algorithm.name(), format!("lattice-{}", side * side)),
                &d,
                |b, d| b.iter(|| black_box(gridplan::partition::partition_with(d, &config, 1, algorithm))),
            );
        }
    }
    let harbin = dir.path().join("harbin");
    let pbf = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("datasets/harbin/harbin.osm.pbf");
    gridplan::import::import_osm(&pbf, &harbin, &Default::default(), &PlanConfig::default()).expect("import");
    let (d, config) = load(&harbin.join("plan.toml"));
    group.bench_function("tree/harbin", |b| b.iter(|| black_box(gridplan::partition::partition(&d, &config, 1))));
    let city = dir.path().join("city1m");
    gridplan::synth::write_city(&gridplan::synth::SynthParams::new(1_000_000, 1), &city).expect("synth");
    let (d, config) = load(&city.join("plan.toml"));
    group.bench_function("tree/synth-1m", |b| b.iter(|| black_box(gridplan::partition::partition(&d, &config, 1))));
    group.finish();
}

criterion_group!(benches, partition);
criterion_main!(benches);
