//! Province-scale runs as a job array (issue #15): `plan --shard I/N` and `merge`, through the same script
//! a planner runs locally (`scripts/plan_in_shards.sh`, xargs -P), checked against one unsharded run.

use super::util::*;
use std::collections::BTreeMap;
use std::path::Path;

/// unit id → (households, grid, community, street, micro-grid), from a run's `assignment.csv`.
fn assignment(dir: &Path) -> BTreeMap<String, Vec<String>> {
    let text = std::fs::read_to_string(dir.join("assignment.csv")).expect("assignment.csv");
    let mut rows = BTreeMap::new();
    for line in text.trim_start_matches('\u{feff}').lines().skip(1) {
        let cells: Vec<String> = line.split(',').map(str::to_string).collect();
        assert!(rows.insert(cells[0].clone(), cells[1..].to_vec()).is_none(), "unit {} twice", cells[0]);
    }
    rows
}

fn grid_ids(dir: &Path) -> Vec<String> {
    let fc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("grids.geojson")).expect("grids")).expect("json");
    let mut ids: Vec<String> = fc["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| f["properties"]["grid_id"].as_str().expect("grid_id").to_string())
        .collect();
    ids.sort();
    ids
}

#[test]
fn shards_merged_are_the_unsharded_plan_and_a_bad_set_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let plan = import_sample(dir.path(), "sample");
    let whole = dir.path().join("whole");
    let o = bin().arg("plan").arg(&plan).arg("--out").arg(&whole).output().expect("plan");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let runs = dir.path().join("runs");
    in_shards(&plan, &runs, &[]);
    let merged = runs.join("merged");

    // Every unit in the same grid, community, street and micro-grid as in the unsharded run; the same grids.
    assert_eq!(assignment(&merged), assignment(&whole));
    assert_eq!(grid_ids(&merged), grid_ids(&whole));
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(merged.join("merge.json")).expect("merge.json")).expect("json");
    let m = &record["merged"];
    assert_eq!(m["shards"], 3);
    assert_eq!(
        m["households_planned"].as_u64().unwrap() + m["households_unplanned"].as_u64().unwrap(),
        m["input_households"].as_u64().unwrap()
    );
    // Each shard planned a part: no shard holds every street.
    let (mut streets, mut input_streets) = (0, 0);
    for i in 1..=3 {
        let run: serde_json::Value =
            serde_json::from_slice(&std::fs::read(runs.join(format!("shard-{i}/run.json"))).expect("run"))
                .expect("json");
        let n = run["shard"]["streets"].as_array().expect("streets").len();
        assert!(n < run["shard"]["input_streets"].as_u64().unwrap() as usize, "shard {i} holds every street");
        streets += n;
        input_streets = run["shard"]["input_streets"].as_u64().unwrap() as usize;
    }
    assert_eq!(streets, input_streets, "the shards' streets are the input's");

    let merge = |runs_given: &[&Path], out: &Path| {
        let mut c = bin();
        c.arg("merge");
        for r in runs_given {
            c.arg(r);
        }
        c.arg("--out").arg(out).output().expect("merge")
    };
    let (s1, s2, s3) = (runs.join("shard-1"), runs.join("shard-2"), runs.join("shard-3"));
    let refused = |o: std::process::Output, why: &str| {
        assert!(!o.status.success(), "merged although {why}");
        String::from_utf8_lossy(&o.stderr).to_string()
    };
    // A shard missing, a shard twice, an unsharded run, a file changed after its run: refused, nothing written.
    let bad = dir.path().join("bad");
    let e = refused(merge(&[&s1, &s2], &bad), "a shard is missing");
    assert!(e.contains("shards missing: 3"), "{e}");
    let e = refused(merge(&[&s1, &s2, &s2, &s3], &bad), "a shard is given twice");
    assert!(e.contains("given twice"), "{e}");
    let e = refused(merge(&[&s1, &s2, &whole], &bad), "a run is not a shard");
    assert!(e.contains("not a shard run"), "{e}");
    let path = s2.join("assignment.csv");
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, text.replacen(",", ";", 3)).expect("tamper");
    let e = refused(merge(&[&s1, &s2, &s3], &bad), "a file was changed");
    assert!(e.contains("manifest"), "{e}");
    assert!(!bad.exists(), "a refused merge wrote its folder");
    // The good merge is untouched by the refused ones.
    assert_eq!(assignment(&merged), assignment(&whole));
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).expect("read")).expect("json")
}

/// `scripts/plan_in_shards.sh PLAN 3 OUT 2 -- EXTRA…`: three shards, two at a time, then the merge.
fn in_shards(plan: &Path, out: &Path, extra: &[&str]) {
    let o = std::process::Command::new("bash")
        .arg(root().join("scripts/plan_in_shards.sh"))
        .args([plan, Path::new("3"), out, Path::new("2"), Path::new("--")])
        .args(extra)
        .env("GRIDPLAN", env!("CARGO_BIN_EXE_gridplan"))
        .output()
        .expect("script");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// moves.csv as a set of rows.
fn moves(dir: &Path) -> std::collections::BTreeSet<String> {
    let text = std::fs::read_to_string(dir.join("moves.csv")).expect("moves.csv");
    text.trim_start_matches('\u{feff}').lines().skip(1).map(str::to_string).collect()
}

#[test]
fn a_rerun_in_shards_is_the_unsharded_rerun_and_reruns_from_its_union() {
    let dir = tempfile::tempdir().expect("tmp");
    let plan = import_sample(dir.path(), "input");
    let first = dir.path().join("first");
    let o = bin().arg("plan").arg(&plan).arg("--out").arg(&first).output().expect("plan");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let changed =
        super::replan::perturb(&dir.path().join("input"), &first, &dir.path().join("changed"), 0.05, 1.1, 400);
    let rerun = dir.path().join("rerun");
    let o =
        bin().arg("plan").arg(&changed).arg("--previous").arg(&first).arg("--out").arg(&rerun).output().expect("plan");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // Each shard reruns from its part of the whole previous plan; the union is the unsharded rerun.
    let runs = dir.path().join("runs");
    in_shards(&changed, &runs, &["--previous", first.to_str().unwrap()]);
    let merged = runs.join("merged");
    assert_eq!(assignment(&merged), assignment(&rerun));
    assert_eq!(grid_ids(&merged), grid_ids(&rerun), "dedicated grids keep their ids too");
    assert_eq!(moves(&merged), moves(&rerun));
    let (a, b) = (json(&merged.join("replan.json")), json(&rerun.join("replan.json")));
    assert!(b["households_moved"].as_u64().unwrap() > 0, "the perturbed rerun moves something: {b}");
    for key in [
        "households_moved",
        "households_in_both",
        "households_moved_lower_bound",
        "households_new",
        "units_new",
        "units_gone",
        "units_in_both",
        "units_relabelled",
        "grids_previous",
        "grids_unchanged",
        "grids_changed",
        "grids_new",
        "grids_removed",
        "retired_ids",
        "locks_held",
    ] {
        assert_eq!(a[key], b[key], "{key}: union {a}\n unsharded {b}");
    }
    let vi = |c: &serde_json::Value| c["variation_of_information_bits"].as_f64().unwrap();
    assert!((vi(&a) - vi(&b)).abs() < 1e-9, "{} {}", vi(&a), vi(&b));
    assert_eq!(json(&merged.join("merge.json"))["replan"]["households_moved"], b["households_moved"]);

    // The Slurm array's task script, run as task 2 would be: the same shard as the local script's.
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_gridplan")).parent().expect("bin dir").to_path_buf();
    let path = std::env::join_paths(
        std::iter::once(bin_dir).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .expect("PATH");
    let slurm = dir.path().join("slurm");
    let o = std::process::Command::new("bash")
        .arg(root().join("deploy/slurm_shards.sh"))
        .env("PATH", path)
        .env("SLURM_ARRAY_TASK_ID", "2")
        .env("SHARDS", "3")
        .env("PLAN", &changed)
        .env("RUNS", &slurm)
        .env("PREVIOUS", &first)
        .output()
        .expect("slurm task");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(assignment(&slurm.join("shard-2")), assignment(&runs.join("shard-2")));
    assert_eq!(moves(&slurm.join("shard-2")), moves(&runs.join("shard-2")));

    // A rerun from the union (the next year's job array) moves nothing and keeps every grid.
    let again = dir.path().join("again");
    in_shards(&changed, &again, &["--previous", merged.to_str().unwrap()]);
    let c = json(&again.join("merged/replan.json"));
    assert_eq!(c["households_moved"], 0, "{c}");
    assert_eq!(c["grids_unchanged"], c["grids_previous"], "{c}");
    assert_eq!(assignment(&again.join("merged")), assignment(&merged));
    assert_eq!(grid_ids(&again.join("merged")), grid_ids(&merged));

    // A previous grid straddling two shards' streets (a table unit → grid id, one unit of shard 2 put in a
    // grid of shard 1): shard 1 reruns the grid, the unit counts as new in shard 2 and is not also gone from
    // shard 1 — the one figure that differs from the unsharded rerun, where the unit is matched.
    let (in_1, in_2) = (assignment(&runs.join("shard-1")), assignment(&runs.join("shard-2")));
    let before = assignment(&first);
    let unit = in_2.keys().find(|u| before.contains_key(*u)).expect("a unit of shard 2").clone();
    let grid = before.iter().find(|(id, _)| in_1.contains_key(*id)).expect("a grid of shard 1").1[2].clone();
    let mut table = String::from("id,grid_id\n");
    for (id, cells) in &before {
        table += &format!("{id},{}\n", if *id == unit { &grid } else { &cells[2] });
    }
    let table_path = dir.path().join("straddling.csv");
    std::fs::write(&table_path, table).expect("table");
    let whole_rerun = dir.path().join("from-table");
    let o = bin()
        .arg("plan")
        .arg(&changed)
        .arg("--previous")
        .arg(&table_path)
        .arg("--out")
        .arg(&whole_rerun)
        .output()
        .expect("plan");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let from_table = dir.path().join("from-table-shards");
    in_shards(&changed, &from_table, &["--previous", table_path.to_str().unwrap()]);
    let (u, w) = (json(&from_table.join("merged/replan.json")), json(&whole_rerun.join("replan.json")));
    assert_eq!(u["units_gone"], w["units_gone"], "union {u}\n unsharded {w}");
    let n = |c: &serde_json::Value, k: &str| c[k].as_u64().unwrap();
    assert_eq!(n(&u, "units_new"), n(&w, "units_new") + 1, "union {u}\n unsharded {w}");
    assert_eq!(n(&u, "units_matched_by_id") + 1, n(&w, "units_matched_by_id"), "union {u}\n unsharded {w}");

    // Shards of which some reran and some did not: refused.
    let plain = dir.path().join("plain-1");
    let o = bin().arg("plan").arg(&changed).args(["--shard", "1/3", "--out"]).arg(&plain).output().expect("plan");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = bin()
        .arg("merge")
        .arg(&plain)
        .arg(runs.join("shard-2"))
        .arg(runs.join("shard-3"))
        .arg("--out")
        .arg(dir.path().join("mixed"))
        .output()
        .expect("merge");
    assert!(!o.status.success(), "merged a rerun with a plan from scratch");
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("shards 1 are not reruns"), "{e}");
    assert!(!dir.path().join("mixed").exists());
}
