//! Golden outputs of the sample (issue #9): a deterministic change of behaviour must show up as a diff here,
//! not pass because two runs of today's binary agree. Regenerate on purpose with
//! `UPDATE_GOLDEN=1 cargo test --test it golden`, and review the diff before committing it.

use super::util::*;
use std::path::Path;

/// The files compared: every table and layer a planner reads, but not `run.json` (timings) or `manifest.json`
/// (which hashes it), nor the charts and report (their bytes follow the font rasteriser).
const GOLDEN: &[&str] = &[
    "assignment.csv",
    "unassigned.csv",
    "check.json",
    "grids.geojson",
    "micro_grids.geojson",
    "coverage_summary.csv",
    "sites.csv",
    "workload.csv",
    "workload_areas.csv",
    "input/plan.toml",
    "input/import_report.json",
    "input/buildings.geojson",
    "input/admin_areas.geojson",
    "input/barriers.geojson",
    "input/walk_network.geojson",
    "input/facilities.geojson",
    "input/special_units.geojson",
    "input/compounds.geojson",
];

fn plan_run(dir: &Path, threads: Option<&str>) -> std::path::PathBuf {
    let out = dir.join(format!("run-{}", threads.unwrap_or("all")));
    let mut cmd = bin();
    cmd.arg("plan").arg(dataset("harbin-sample/harbin-sample.osm.pbf")).arg("--out").arg(&out);
    if let Some(n) = threads {
        cmd.env("RAYON_NUM_THREADS", n);
    }
    let o = cmd.output().expect("run");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    out
}

#[test]
fn the_sample_plan_matches_its_golden_outputs_on_one_thread_and_on_all() {
    let dir = tempfile::tempdir().unwrap();
    let golden = root().join("tests/golden/sample");
    let runs = [plan_run(dir.path(), None), plan_run(dir.path(), Some("1"))];
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        for f in GOLDEN {
            let to = golden.join(f);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(runs[0].join(f), to).unwrap();
        }
        eprintln!("UPDATED tests/golden/sample: review the diff before committing");
    }
    // Binary outputs carry no clock: the two runs, seconds apart, write the same bytes.
    for f in ["tables.xlsx", "grids.gpkg", "shp/grids.dbf", "shp/micro_grids.dbf", "shp/grids.shp"] {
        assert!(
            std::fs::read(runs[0].join(f)).unwrap() == std::fs::read(runs[1].join(f)).unwrap(),
            "{f} byte-identical"
        );
    }
    for run in &runs {
        for f in GOLDEN {
            let got = std::fs::read_to_string(run.join(f)).unwrap();
            let want = std::fs::read_to_string(golden.join(f))
                .unwrap_or_else(|_| panic!("{f} has no golden copy: run UPDATE_GOLDEN=1 cargo test --test it golden"));
            if got != want {
                let line = got.lines().zip(want.lines()).position(|(a, b)| a != b).unwrap_or(0);
                panic!(
                    "{} differs from tests/golden/sample/{f} at line {} ({}):\n got: {}\nwant: {}",
                    run.join(f).display(),
                    line + 1,
                    if run.ends_with("run-1") { "one thread" } else { "all threads" },
                    got.lines().nth(line).unwrap_or(""),
                    want.lines().nth(line).unwrap_or("")
                );
            }
        }
    }
}
