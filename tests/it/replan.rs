//! Rerunning from a previous plan (issue #12): a rerun without data change moves nothing and keeps every id
//! whatever the seed; a perturbed copy moves within a small multiple of the lower bound; locks hold; the
//! budget holds; plans of other tools (a table, a polygon layer) are repaired to legality.

use super::util::*;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Runs `gridplan plan PLAN --out OUT` with extra arguments; panics with stderr on failure.
fn plan(plan: &Path, out: &Path, extra: &[&str]) -> String {
    let o = bin().arg("plan").arg(plan).arg("--out").arg(out).args(extra).output().expect("run gridplan");
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(o.status.success(), "gridplan plan failed: {err}");
    err
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("read json")).expect("json")
}

/// unit id → grid id of a run.
fn assignment(run: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(run.join("assignment.csv")).expect("assignment.csv");
    text.lines().skip(1).map(|l| l.split(',').collect::<Vec<_>>()).map(|c| (c[0].into(), c[3].into())).collect()
}

/// A copy of the plan folder `input` (beside `run`) whose buildings layer has households raised by `factor` on
/// `share` of the previous run's buildings (seeded choice, at least one household more each) and one new
/// building of `new_households` next to a chosen building, overlapping none. Returns the new plan's path.
pub fn perturb(input: &Path, run: &Path, dest: &Path, share: f64, factor: f64, new_households: u32) -> PathBuf {
    std::fs::create_dir_all(dest).expect("mkdir");
    for entry in std::fs::read_dir(input).expect("read input") {
        let p = entry.expect("entry").path();
        if p.is_file() {
            std::fs::copy(&p, dest.join(p.file_name().expect("name"))).expect("copy");
        }
    }
    let households: BTreeMap<String, u64> = {
        let text = std::fs::read_to_string(run.join("assignment.csv")).expect("assignment.csv");
        text.lines()
            .skip(1)
            .map(|l| l.split(',').collect::<Vec<_>>())
            .filter(|c| c[1] == "building")
            .map(|c| (c[0].to_string(), c[2].parse().expect("households")))
            .collect()
    };
    let mut ids: Vec<&String> = households.keys().collect();
    ids.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(12));
    let chosen: Vec<&String> = ids.iter().take(((ids.len() as f64) * share).ceil() as usize).copied().collect();
    let mut layer = json(&dest.join("buildings.geojson"));
    let features = layer["features"].as_array_mut().expect("features");
    let bbox = |f: &Value| {
        let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
        let mut visit = |c: &Value| {
            let (x, y) = (c[0].as_f64().unwrap_or(0.0), c[1].as_f64().unwrap_or(0.0));
            b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
        };
        fn walk(v: &Value, f: &mut dyn FnMut(&Value)) {
            match v.as_array() {
                Some(a) if a.first().is_some_and(Value::is_number) => f(v),
                Some(a) => a.iter().for_each(|x| walk(x, f)),
                None => {}
            }
        }
        walk(&f["geometry"]["coordinates"], &mut visit);
        b
    };
    let boxes: Vec<[f64; 4]> = features.iter().map(bbox).collect();
    for f in features.iter_mut() {
        let id = f["properties"]["id"].as_str().unwrap_or("").to_string();
        if let (true, Some(&h)) = (chosen.contains(&&id), households.get(&id)) {
            let raised = ((h as f64 * factor).ceil() as u64).max(h + 1);
            f["properties"]["households"] = Value::from(raised);
        }
    }
    // The new building: a 0.0002° square east of a chosen building, on free ground.
    let side = 0.0002;
    let spot = chosen
        .iter()
        .filter_map(|id| features.iter().position(|f| f["properties"]["id"].as_str() == Some(id.as_str())))
        .flat_map(|i| (1..6).map(move |k| (i, k)))
        .map(|(i, k)| (boxes[i][2] + 0.0002 * k as f64, boxes[i][1]))
        .find(|&(x, y)| {
            !boxes.iter().any(|b| {
                x < b[2] + 0.00005 && x + side > b[0] - 0.00005 && y < b[3] + 0.00005 && y + side > b[1] - 0.00005
            })
        })
        .expect("free ground beside a chosen building");
    let props = format!(r#"{{"id":"new-tower-1","kind":"residential","households":{new_households}}}"#);
    features.push(serde_json::from_str(&square_feature(spot.0, spot.1, &props)).expect("feature"));
    std::fs::write(dest.join("buildings.geojson"), serde_json::to_string(&layer).expect("json")).expect("write");
    dest.join("plan.toml")
}

/// A fresh sample plan run in `dir/first`; returns (plan path, run folder).
fn first_run(dir: &Path) -> (PathBuf, PathBuf) {
    let plan_path = import_sample(dir, "input");
    let run = dir.join("first");
    plan(&plan_path, &run, &[]);
    (plan_path, run)
}

#[test]
fn a_rerun_without_change_moves_nothing_and_keeps_every_id_whatever_the_seed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (plan_path, first) = first_run(dir.path());
    for seed in ["1", "7"] {
        let again = dir.path().join(format!("again{seed}"));
        let err = plan(&plan_path, &again, &["--previous", first.to_str().unwrap(), "--seed", seed]);
        assert!(err.contains("调整 0 户"), "{err}");
        for file in ["assignment.csv", "micro_grids.geojson", "workload.csv"] {
            assert_eq!(
                std::fs::read(first.join(file)).unwrap(),
                std::fs::read(again.join(file)).unwrap(),
                "{file} differs with seed {seed}"
            );
        }
        let change = json(&again.join("replan.json"));
        assert_eq!(change["households_moved"], 0);
        let report = std::fs::read_to_string(again.join("report.html")).unwrap();
        assert!(report.contains("重新规划（与上一版方案相比）") && report.contains("调整网格的住户 0 户"));
        assert_eq!(change["grids_unchanged"], change["grids_previous"]);
        assert_eq!((change["grids_new"].as_u64(), change["grids_removed"].as_u64()), (Some(0), Some(0)));
    }
}

#[test]
fn a_perturbed_rerun_moves_few_households_within_the_bound_and_never_reuses_an_id() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, first) = first_run(dir.path());
    let changed = perturb(&dir.path().join("input"), &first, &dir.path().join("changed"), 0.05, 1.1, 400);
    let rerun = dir.path().join("rerun");
    plan(&changed, &rerun, &["--previous", first.to_str().unwrap()]);
    let scratch = dir.path().join("scratch");
    plan(&changed, &scratch, &[]);
    let c = json(&rerun.join("replan.json"));
    let moved = c["households_moved"].as_u64().unwrap();
    let bound = c["households_moved_lower_bound"].as_u64().unwrap();
    assert!(moved <= 2 * bound.max(1), "moved {moved} against a bound of {bound}");
    assert!(c["share_moved"].as_f64().unwrap() < 0.05, "{c}");
    assert!(c["households_new"].as_u64().unwrap() >= 400, "the new tower: {c}");
    let unmatched = std::fs::read_to_string(rerun.join("replan_unmatched.csv")).unwrap();
    assert!(unmatched.lines().any(|l| l.starts_with("new-tower-1,新增,") && l.ends_with(",400")), "{unmatched}");
    // In band wherever the plan from scratch is, and every rule kept.
    let (r, s) = (json(&rerun.join("check.json")), json(&scratch.join("check.json")));
    assert!(r["grids_in_band"].as_u64() >= s["grids_in_band"].as_u64().map(|n| n.saturating_sub(1)), "{r} {s}");
    for key in ["barrier_crossings", "discontiguous_grids", "grids_out_of_band_unexplained", "sites_in_no_grid"] {
        assert_eq!(r[key], 0, "{key}");
    }
    // moves.csv lists exactly the households moved.
    let listed: u64 = std::fs::read_to_string(rerun.join("moves.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(listed, moved);
    // `compare` counts the same moves: the rerun's replan.json names the first run.
    let o = bin().arg("compare").arg(&first).arg(&rerun).arg("--json").output().unwrap();
    let cmp: Value = serde_json::from_slice(&o.stdout).expect("compare --json");
    assert_eq!((cmp["matched_by"].as_str(), cmp["households_moved"].as_u64()), (Some("id"), Some(moved)));
    let o = bin().arg("compare").arg(&first).arg(&scratch).arg("--json").output().unwrap();
    let cmp: Value = serde_json::from_slice(&o.stdout).expect("compare --json");
    assert_eq!(cmp["matched_by"], "content");
    // Ids: kept grids keep theirs, new ones never take an id the previous plan had or retired.
    let (before, after) = (assignment(&first), assignment(&rerun));
    let old_ids: std::collections::BTreeSet<&String> = before.values().collect();
    let retired: Vec<String> =
        c["retired_ids"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    for id in &retired {
        assert!(!after.values().any(|g| g == id), "retired {id} reused");
    }
    let third = dir.path().join("third");
    plan(&changed, &third, &["--previous", rerun.to_str().unwrap()]);
    let c3 = json(&third.join("replan.json"));
    assert_eq!(c3["households_moved"], 0, "a rerun of the rerun changes nothing");
    for id in &retired {
        assert!(c3["retired_ids"].as_array().unwrap().iter().any(|v| v.as_str() == Some(id)), "{id} forgotten");
    }
    assert!(old_ids.len() >= 2);
}

#[test]
fn locked_grids_never_change_and_a_zero_budget_moves_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, first) = first_run(dir.path());
    let changed = perturb(&dir.path().join("input"), &first, &dir.path().join("changed"), 0.2, 1.5, 400);
    let free = dir.path().join("free");
    plan(&changed, &free, &["--previous", first.to_str().unwrap()]);
    let moves = std::fs::read_to_string(free.join("moves.csv")).unwrap();
    let touched: Vec<String> = moves.lines().skip(1).map(|l| l.split(',').nth(3).unwrap().to_string()).collect();
    assert!(!touched.is_empty(), "the perturbation must make the rerun move something");
    let none = dir.path().join("none");
    plan(&changed, &none, &["--previous", first.to_str().unwrap(), "--max-moved", "0"]);
    let c = json(&none.join("replan.json"));
    assert_eq!(c["households_moved"], 0);
    assert!(!c["stopped_by_budget"].as_array().unwrap().is_empty(), "{c}");
    assert_eq!(json(&none.join("check.json"))["grids_out_of_band_unexplained"], 0);
    // Lock the grids the free rerun took households from.
    let mut locked: Vec<&String> = touched.iter().collect();
    locked.sort();
    locked.dedup();
    let list = locked.iter().map(|g| format!("{g:?}")).collect::<Vec<_>>().join(", ");
    let toml =
        std::fs::read_to_string(&changed).unwrap().replace("[replan]\n", &format!("[replan]\nlocked = [{list}]\n"));
    std::fs::write(&changed, toml).unwrap();
    let held = dir.path().join("held");
    plan(&changed, &held, &["--previous", first.to_str().unwrap()]);
    let c = json(&held.join("replan.json"));
    assert_eq!(c["locks_held"], true);
    let (before, after) = (assignment(&first), assignment(&held));
    for (unit, grid) in &before {
        if locked.contains(&grid) {
            assert_eq!(after.get(unit), Some(grid), "{unit} left locked grid {grid}");
        }
    }
    for (unit, grid) in &after {
        if locked.contains(&grid) {
            assert_eq!(before.get(unit), Some(grid), "{unit} entered locked grid {grid}");
        }
    }
}

#[test]
fn plans_of_other_tools_are_repaired_from_a_table_or_a_polygon_layer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plan_path = import_sample(dir.path(), "input");
    // Another tool's plan: the k-means baseline, as a bare table unit → grid.
    let kmeans = dir.path().join("kmeans");
    let o = bin()
        .args(["partition"])
        .arg(&plan_path)
        .arg("--out")
        .arg(&kmeans)
        .args(["--algorithm", "kmeans"])
        .output()
        .unwrap();
    assert!(o.status.success());
    let table: String = assignment(&kmeans).iter().map(|(u, g)| format!("{u},K-{g}\n")).collect();
    let table = write(dir.path(), "their_plan.csv", format!("building_id,网格编号\n{table}"));
    let repaired = dir.path().join("repaired");
    plan(&plan_path, &repaired, &["--previous", table.to_str().unwrap()]);
    let c = json(&repaired.join("replan.json"));
    assert_eq!(c["previous_kind"], "table");
    let bound = c["households_moved_lower_bound"].as_u64().unwrap();
    assert!(bound > 0 && c["households_moved"].as_u64().unwrap() >= bound, "{c}");
    let (k, r) = (json(&kmeans.join("check.json")), json(&repaired.join("check.json")));
    assert!(
        r["grids_in_band"].as_f64().unwrap() / r["grids"].as_f64().unwrap()
            > k["grids_in_band"].as_f64().unwrap() / k["grids"].as_f64().unwrap()
    );
    assert_eq!(r["grids_out_of_band_unexplained"], 0);
    // A polygon layer: units matched by location only.
    let first = dir.path().join("first");
    plan(&plan_path, &first, &[]);
    let layer = dir.path().join("their_grids.geojson");
    std::fs::copy(first.join("grids.geojson"), &layer).unwrap();
    let from_layer = dir.path().join("from_layer");
    plan(&plan_path, &from_layer, &["--previous", layer.to_str().unwrap()]);
    let c = json(&from_layer.join("replan.json"));
    assert_eq!((c["previous_kind"].as_str(), c["units_matched_by_id"].as_u64()), (Some("layer"), Some(0)));
    assert!(c["units_matched_by_location"].as_u64().unwrap() > 250, "{c}");
    assert!(c["share_moved"].as_f64().unwrap() < 0.05, "{c}");
}

#[test]
fn a_lock_on_an_unknown_grid_is_refused_with_the_grid_and_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (plan_path, first) = first_run(dir.path());
    let toml =
        std::fs::read_to_string(&plan_path).unwrap().replace("[replan]\n", "[replan]\nlocked = [\"no-such-grid\"]\n");
    std::fs::write(&plan_path, toml).unwrap();
    let o = bin()
        .arg("plan")
        .arg(&plan_path)
        .arg("--out")
        .arg(dir.path().join("x"))
        .arg("--previous")
        .arg(&first)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("no-such-grid") && err.contains("first"), "{err}");
    // Flags that cannot work are refused before the run folder is touched.
    for (args, says) in
        [(vec!["--max-moved", "3"], "needs --previous"), (vec!["--previous", "x", "--max-moved", "300"], "0 to 100")]
    {
        let out = dir.path().join("never");
        let o = bin().arg("plan").arg(&plan_path).arg("--out").arg(&out).args(&args).output().unwrap();
        assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains(says));
        assert!(!out.exists());
    }
}

/// The Harbin figures of `benches/README.md` (issue #12): `cargo test --release --test it replan_harbin --
/// --ignored --nocapture`. Plans the bundled Harbin extract, perturbs it (+10 % households on 5 % of buildings,
/// one new 400-household building), then reruns from the first plan, plans from scratch, and reruns the
/// unchanged data with another seed; prints what moved and how long each took.
#[test]
#[ignore = "a benchmark on the full Harbin extract: run with --ignored --release"]
fn replan_harbin() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = dir.path().join("first");
    plan(&dataset("harbin/harbin.osm.pbf"), &first, &[]);
    let input = first.join("input");
    let timed = |plan_path: &Path, out: &Path, extra: &[&str]| {
        let t = std::time::Instant::now();
        let err = plan(plan_path, out, extra);
        let run = json(&out.join("run.json"));
        (t.elapsed().as_secs_f64(), run["timings_s"]["partition"].as_f64().unwrap_or(0.0), err)
    };
    let prev = first.to_str().unwrap().to_string();
    let (t, tp, err) =
        timed(&input.join("plan.toml"), &dir.path().join("same7"), &["--previous", &prev, "--seed", "7"]);
    println!("no change, seed 7: whole run {t:.2} s, partition stage {tp:.2} s\n{err}");
    let c = json(&dir.path().join("same7/replan.json"));
    assert_eq!(c["households_moved"], 0);
    let changed = perturb(&input, &first, &dir.path().join("changed"), 0.05, 1.1, 400);
    let (t, tp, err) = timed(&changed, &dir.path().join("rerun"), &["--previous", &prev]);
    println!("perturbed rerun: whole run {t:.2} s, partition stage {tp:.2} s\n{err}");
    let (t, tp, _) = timed(&changed, &dir.path().join("scratch"), &[]);
    println!("perturbed from scratch: whole run {t:.2} s, partition stage {tp:.2} s");
    let t = std::time::Instant::now();
    let o = bin()
        .arg("partition")
        .arg(&changed)
        .arg("--out")
        .arg(dir.path().join("partition_rerun"))
        .arg("--previous")
        .arg(&first)
        .output()
        .unwrap();
    assert!(o.status.success());
    println!("`gridplan partition --previous`: {:.2} s", t.elapsed().as_secs_f64());
    for (name, run) in [("rerun", "rerun"), ("scratch", "scratch")] {
        let check = json(&dir.path().join(run).join("check.json"));
        println!(
            "{name}: grids {} in band {} out of band {} unexplained {} discontiguous {} barrier crossings {}",
            check["grids"],
            check["grids_in_band"],
            check["grids_out_of_band"],
            check["grids_out_of_band_unexplained"],
            check["discontiguous_grids"],
            check["barrier_crossings"]
        );
    }
    let o = bin().arg("compare").arg(&first).arg(dir.path().join("scratch")).output().unwrap();
    println!("compare first scratch:\n{}", String::from_utf8_lossy(&o.stdout));
    let o = bin().arg("compare").arg(&first).arg(dir.path().join("rerun")).output().unwrap();
    println!("compare first rerun:\n{}", String::from_utf8_lossy(&o.stdout));
    println!("{}", std::fs::read_to_string(dir.path().join("rerun/replan.json")).unwrap());
    if std::env::var_os("GRIDPLAN_KEEP").is_some() {
        println!("kept in {}", dir.keep().display());
    }
}

#[test]
fn merge_layers_replans_from_the_best_matching_layer_and_reports_purity_against_every_layer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (plan_path, first) = first_run(dir.path());
    // Three departments' layers: a run folder, another tool's plan as a table, the run's outlines as polygons.
    let kmeans = dir.path().join("kmeans");
    let o = bin().arg("partition").arg(&plan_path).arg("--out").arg(&kmeans).args(["--algorithm", "kmeans"]).output();
    assert!(o.unwrap().status.success());
    let table: String = assignment(&kmeans).iter().map(|(u, g)| format!("{u},P-{g}\n")).collect();
    let party = write(dir.path(), "party.csv", format!("id,grid_id\n{table}"));
    let civil = dir.path().join("civil.geojson");
    std::fs::copy(first.join("grids.geojson"), &civil).unwrap();
    let layers =
        [format!("综治={}", first.display()), format!("党建={}", party.display()), format!("民政={}", civil.display())];
    let merged = dir.path().join("merged");
    let mut cmd = bin();
    cmd.arg("merge-layers").arg(&plan_path).arg("--out").arg(&merged);
    for l in &layers {
        cmd.arg("--layer").arg(l);
    }
    let o = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    let m = json(&merged.join("merge.json"));
    // The run and its own outlines agree with each other more than the k-means plan agrees with either.
    assert_ne!(m["choice"]["base"], "党建", "{m}");
    assert_eq!(m["layers"].as_array().unwrap().len(), 3);
    let base = m["layers"].as_array().unwrap().iter().find(|l| l["base"] == true).unwrap().clone();
    assert!(base["purity"].as_f64().unwrap() > 0.95, "{base}");
    let purity = std::fs::read(merged.join("merge_purity.csv")).unwrap();
    assert!(purity.starts_with("\u{feff}网格编号,图层".as_bytes()));
    assert!(merged.join("charts/merge_purity.png").is_file() && merged.join("merge_splits.csv").is_file());
    assert!(std::fs::read_to_string(merged.join("report.html")).unwrap().contains("多网合一"));
    // Named base: the k-means plan, repaired to the rules.
    let from_party = dir.path().join("from_party");
    let mut cmd = bin();
    cmd.arg("merge-layers").arg(&plan_path).arg("--out").arg(&from_party).args(["--base", "党建"]);
    for l in &layers {
        cmd.arg("--layer").arg(l);
    }
    assert!(cmd.output().unwrap().status.success());
    assert_eq!(json(&from_party.join("merge.json"))["choice"]["base"], "党建");
    let check = json(&from_party.join("check.json"));
    for key in ["discontiguous_grids", "grids_out_of_band_unexplained", "barrier_crossings"] {
        assert_eq!(check[key], 0, "{key}");
    }
    // The soft preference: purer against 综治 than the same rerun from 党建 alone.
    let alone = dir.path().join("alone");
    plan(&plan_path, &alone, &["--previous", party.to_str().unwrap()]);
    let against_first = |run: &Path| {
        let (base, this) = (assignment(&first), assignment(run));
        let mut joint: BTreeMap<(&String, &String), usize> = BTreeMap::new();
        for (u, g) in &this {
            if let Some(f) = base.get(u) {
                *joint.entry((g, f)).or_default() += 1;
            }
        }
        let mut best: BTreeMap<&String, usize> = BTreeMap::new();
        for ((g, _), n) in &joint {
            let e = best.entry(g).or_default();
            *e = (*e).max(*n);
        }
        best.values().sum::<usize>() as f64 / joint.values().sum::<usize>() as f64
    };
    assert!(against_first(&from_party) > against_first(&alone), "the preference gathered nothing");
    // One layer is a rerun, not a merge.
    let o = bin()
        .arg("merge-layers")
        .arg(&plan_path)
        .arg("--out")
        .arg(dir.path().join("x"))
        .arg("--layer")
        .arg(&layers[0])
        .output();
    assert!(String::from_utf8_lossy(&o.unwrap().stderr).contains("two or more"));
}

#[test]
fn a_rerun_in_place_reads_the_last_run_before_replacing_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, first) = first_run(dir.path());
    let changed = perturb(&dir.path().join("input"), &first, &dir.path().join("changed"), 0.05, 1.1, 400);
    let beside = dir.path().join("beside");
    plan(&changed, &beside, &["--previous", first.to_str().unwrap()]);
    plan(&changed, &first, &["--previous", first.to_str().unwrap()]);
    let (a, b) = (json(&beside.join("replan.json")), json(&first.join("replan.json")));
    assert_eq!(a["households_moved"], b["households_moved"]);
    assert_eq!(
        std::fs::read(beside.join("assignment.csv")).unwrap(),
        std::fs::read(first.join("assignment.csv")).unwrap()
    );
}
