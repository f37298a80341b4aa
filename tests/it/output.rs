//! Issue #9: a run never moves, deletes or overwrites a file it did not write; a failed or killed run leaves
//! the last good output whole; two runs never race on one folder. Each test here failed on the code before
//! the manifest-and-exchange run folders.

use super::util::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

fn gridplan(cwd: &Path, args: &[&str]) -> Output {
    bin().current_dir(cwd).args(args).output().expect("run gridplan")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every file below `dir` with the SHA-256 of its bytes, for before/after comparisons.
fn snapshot(dir: &Path) -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
        let Ok(rd) = fs::read_dir(dir) else { return };
        for e in rd {
            let p = e.expect("entry").path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push((p.clone(), gridplan::load::source::sha256_hex(&fs::read(&p).expect("read"))));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out.sort();
    out
}

/// The snapshot without the two files that record timings (`run.json`) or hash them (`manifest.json`).
fn stable(snap: Vec<(PathBuf, String)>) -> Vec<(PathBuf, String)> {
    snap.into_iter().filter(|(p, _)| !p.ends_with("run.json") && !p.ends_with("manifest.json")).collect()
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        fs::read_dir(dir).expect("ls").map(|e| e.expect("e").file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

#[test]
fn out_naming_the_current_folder_or_a_parent_is_refused_and_nothing_is_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    fs::create_dir(&work).unwrap();
    import_sample(&work, "input");
    fs::write(work.join("notes.md"), "mine").unwrap();
    let before = snapshot(dir.path());
    for out in [".", "..", "./", "input/..", "input/."] {
        let run = gridplan(&work, &["partition", "input/plan.toml", "--out", out]);
        assert_eq!(run.status.code(), Some(1), "--out {out}: {}", stderr(&run));
        let err = stderr(&run);
        assert!(
            err.contains("current folder or one of its parents")
                || err.contains("did not write")
                || err.contains("reads"),
            "--out {out}: {err}"
        );
        assert_eq!(snapshot(dir.path()), before, "--out {out} changed files");
    }
    // A folder of the planner's own (no manifest) is refused too, naming what is in it.
    fs::create_dir(work.join("mine")).unwrap();
    fs::write(work.join("mine/budget.xlsx"), "x").unwrap();
    let run = gridplan(&work, &["partition", "input/plan.toml", "--out", "mine"]);
    assert!(stderr(&run).contains("budget.xlsx") && stderr(&run).contains("did not write"), "{}", stderr(&run));
    assert_eq!(fs::read(work.join("mine/budget.xlsx")).unwrap(), b"x");
}

#[test]
fn a_rerun_replaces_only_gridplan_files_and_a_planner_file_stops_it() {
    let dir = tempfile::tempdir().unwrap();
    let plan = import_sample(dir.path(), "data");
    let plan = plan.to_str().unwrap();
    let run = dir.path().join("run");
    let out = gridplan(dir.path(), &["plan", plan, "--out", "run"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(run.join("report.html").is_file());
    // Coverage into the plan folder, grouped by its grids: the partition is kept, the now stale workload and
    // report of the plan run are removed, the manifest says who wrote what.
    let out = gridplan(dir.path(), &["coverage", plan, "--grids", "run", "--out", "run"]);
    assert!(out.status.success(), "{}", stderr(&out));
    for f in ["report.html", "workload.csv", "charts/lorenz.png"] {
        assert!(!run.join(f).exists(), "{f} is stale after a coverage rerun and must go");
    }
    let m: serde_json::Value = serde_json::from_slice(&fs::read(run.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["files"]["assignment.csv"]["command"], "plan");
    assert_eq!(m["files"]["uncovered.csv"]["command"], "coverage");
    // A file of the planner's in the run folder: the next run is refused and the file is untouched.
    fs::write(run.join("notes.md"), "mine").unwrap();
    let before = snapshot(&run);
    let out = gridplan(dir.path(), &["partition", plan, "--out", "run"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("notes.md"), "{}", stderr(&out));
    assert_eq!(snapshot(&run), before);
}

#[test]
fn a_failed_plan_pbf_keeps_the_good_run_and_its_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let pbf = dataset("harbin-sample/harbin-sample.osm.pbf");
    let out = gridplan(dir.path(), &["plan", pbf.to_str().unwrap(), "--out", "good"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let before = snapshot(&dir.path().join("good"));
    // Another city's extract, corrupt: the run fails after nothing was replaced.
    let mut bytes = fs::read(&pbf).unwrap();
    bytes.truncate(bytes.len() / 2);
    write(dir.path(), "other.osm.pbf", &bytes);
    let out = gridplan(dir.path(), &["plan", "other.osm.pbf", "--out", "good"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(snapshot(&dir.path().join("good")), before, "inputs and outputs of the good run unchanged");
    assert_eq!(names(dir.path()), ["good", "other.osm.pbf"], "nothing left beside it");
    // Rerun from the imported plan into the same folder: input/ (the plan it reads) is kept.
    let out = gridplan(dir.path(), &["plan", "good/input/plan.toml", "--out", "good"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(dir.path().join("good/input/buildings.geojson").is_file());
}

#[test]
fn two_runs_into_one_folder_never_race() {
    let dir = tempfile::tempdir().unwrap();
    let plan = import_sample(dir.path(), "data");
    fs::write(dir.path().join("notes.md"), "beside the run").unwrap();
    let mut busy = 0;
    for _ in 0..6 {
        let children: Vec<_> = (0..2)
            .map(|_| {
                bin()
                    .current_dir(dir.path())
                    .args(["plan", plan.to_str().unwrap(), "--out", "run"])
                    .stderr(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for c in children {
            let o = c.wait_with_output().unwrap();
            if !o.status.success() {
                let err = stderr(&o);
                assert!(err.contains("another gridplan run"), "the only failure is a clear refusal: {err}");
                busy += 1;
            }
        }
        assert!(dir.path().join("run/report.html").is_file(), "a whole run is in place");
        assert_eq!(names(dir.path()), ["data", "notes.md", "run"], "no staging or lock left");
    }
    eprintln!("{busy} of 12 concurrent runs were refused as busy");
}

/// Aborts the process (no destructors, like SIGKILL) at each step of the commit: the last good run is whole
/// after every one, and the next run leaves nothing behind.
#[test]
fn a_kill_at_any_commit_step_keeps_the_last_good_run() {
    let dir = tempfile::tempdir().unwrap();
    let plan = import_sample(dir.path(), "data");
    let plan = plan.to_str().unwrap();
    let out = gridplan(dir.path(), &["partition", plan, "--out", "run", "--seed", "1"]);
    assert!(out.status.success());
    let mut good = snapshot(&dir.path().join("run"));
    for step in ["staged", "manifest", "swapped", "half-removed"] {
        let out = bin()
            .current_dir(dir.path())
            .args(["partition", plan, "--out", "run", "--seed", "2"])
            .env("GRIDPLAN_CRASH_AT", step)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{step}: the run was killed");
        let now = snapshot(&dir.path().join("run"));
        let swapped = matches!(step, "swapped" | "half-removed");
        if swapped {
            assert_ne!(now, good, "{step}: the new run is in place");
            assert!(dir.path().join("run/manifest.json").is_file());
        } else {
            assert_eq!(now, good, "{step}: the last good run is whole");
        }
        let out = gridplan(dir.path(), &["partition", plan, "--out", "run", "--seed", "1"]);
        assert!(out.status.success(), "{step}: {}", stderr(&out));
        assert!(stderr(&out).contains("note: removed"), "{step}: the leftover is reported: {}", stderr(&out));
        assert_eq!(
            stable(snapshot(&dir.path().join("run"))),
            stable(good.clone()),
            "{step}: rerun gives the good run back"
        );
        assert_eq!(names(dir.path()), ["data", "run"], "{step}: no leftovers after the next run");
        good = snapshot(&dir.path().join("run"));
    }
}

/// A run folder that is a mount point (a Docker volume) cannot be swapped: it is written in place under a
/// journal. Needs root to mount a tmpfs; says SKIPPED otherwise. The same mount, full, fails cleanly.
#[test]
fn a_mount_point_is_written_in_place_and_a_full_disk_keeps_the_last_run() {
    let dir = tempfile::tempdir().unwrap();
    let plan = import_sample(dir.path(), "data");
    let plan = plan.to_str().unwrap();
    let vol = dir.path().join("vol");
    fs::create_dir(&vol).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=6m", "tmpfs"])
        .arg(&vol)
        .output()
        .is_ok_and(|o| o.status.success());
    if !mounted {
        eprintln!("SKIPPED the mount-point check: cannot mount a tmpfs here (needs root)");
        return;
    }
    let result = std::panic::catch_unwind(|| {
        let out = gridplan(dir.path(), &["partition", plan, "--out", "vol"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let good = snapshot(&vol);
        assert!(vol.join("assignment.csv").is_file());
        // A kill half-way through the moves: the next run completes them first.
        let out = bin()
            .current_dir(dir.path())
            .args(["partition", plan, "--out", "vol", "--seed", "5"])
            .env("GRIDPLAN_CRASH_AT", "half-moved")
            .output()
            .unwrap();
        assert!(!out.status.success());
        let out = gridplan(dir.path(), &["partition", plan, "--out", "vol"]);
        assert!(stderr(&out).contains("completed"), "{}", stderr(&out));
        assert_eq!(stable(snapshot(&vol)), stable(good.clone()));
        let good = snapshot(&vol);
        // The whole plan does not fit in 6 MB: the run fails and the last one is whole.
        let out = gridplan(dir.path(), &["plan", plan, "--out", "vol"]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(stderr(&out).contains("No space left"), "{}", stderr(&out));
        assert_eq!(snapshot(&vol), good);
        assert_eq!(names(&vol), names(&vol).into_iter().filter(|n| !n.starts_with('.')).collect::<Vec<_>>());
    });
    let _ = std::process::Command::new("umount").arg(&vol).output();
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

/// A run folder is whole: its manifest lists exactly the files it holds, each with its recorded hash.
fn assert_whole(run: &Path, context: &str) {
    let m: serde_json::Value =
        serde_json::from_slice(&fs::read(run.join("manifest.json")).expect(context)).expect(context);
    let listed: std::collections::BTreeMap<String, String> = m["files"]
        .as_object()
        .expect("files")
        .iter()
        .map(|(k, v)| (k.clone(), v["sha256"].as_str().expect("sha").to_string()))
        .collect();
    let found: std::collections::BTreeMap<String, String> = snapshot(run)
        .into_iter()
        .filter(|(p, _)| !p.ends_with("manifest.json"))
        .map(|(p, h)| (p.strip_prefix(run).expect("inside").to_string_lossy().into_owned(), h))
        .collect();
    assert_eq!(listed, found, "{context}: the folder is one whole run");
}

/// SIGKILL (`Child::kill`) at `trials` points spread over a whole `plan` of `pbf` into a good run folder.
/// Returns how many kills left the last good run and how many the finished new one.
fn kill_trials(pbf: &Path, trials: u32) -> (u32, u32) {
    let dir = tempfile::tempdir().unwrap();
    let run = |out: &str| {
        let t = std::time::Instant::now();
        let o = gridplan(dir.path(), &["plan", pbf.to_str().unwrap(), "--out", out]);
        assert!(o.status.success(), "{}", stderr(&o));
        t.elapsed()
    };
    let full = run("good");
    let (mut old, mut new) = (0, 0);
    for i in 1..=trials {
        let before = snapshot(&dir.path().join("good"));
        let mut child = bin()
            .current_dir(dir.path())
            .args(["plan", pbf.to_str().unwrap(), "--out", "good", "--seed", &format!("{}", 100 + i)])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(full.mul_f64(f64::from(i) / f64::from(trials + 1)));
        let _ = child.kill();
        let _ = child.wait();
        let context =
            format!("kill {i} of {trials} at {:.0} % of the run", 100.0 * f64::from(i) / f64::from(trials + 1));
        assert_whole(&dir.path().join("good"), &context);
        if snapshot(&dir.path().join("good")) == before {
            old += 1
        } else {
            new += 1
        }
        run("good");
        assert_whole(&dir.path().join("good"), &context);
        assert_eq!(names(dir.path()), ["good"], "{context}: no leftovers after the next run");
    }
    (old, new)
}

#[test]
fn sigkill_at_ten_points_of_a_plan_run_keeps_a_whole_run() {
    let (old, new) = kill_trials(&dataset("harbin-sample/harbin-sample.osm.pbf"), 10);
    eprintln!("sample: {old} kills left the last good run, {new} the finished new one; every folder whole");
    assert_eq!(old + new, 10);
}

/// The figure in `benches/README.md`: `cargo test --release --test it kill_harbin -- --ignored --nocapture`.
#[test]
#[ignore = "a minute or more of Harbin runs: run by hand in release"]
fn kill_harbin() {
    let (old, new) = kill_trials(&dataset("harbin/harbin.osm.pbf"), 20);
    eprintln!("Harbin: {old} kills left the last good run, {new} the finished new one; every folder whole");
}

/// Leftovers of the gridplan before this one, which swapped with three renames: a last good run that survives
/// only as `.run.old` is restored; a staging folder (which could hold the planner's files that swap moved) is
/// renamed visibly, never deleted unseen.
#[test]
fn leftovers_of_the_old_three_rename_swap_are_recovered() {
    let dir = tempfile::tempdir().unwrap();
    let plan = import_sample(dir.path(), "data");
    let plan = plan.to_str().unwrap();
    let out = gridplan(dir.path(), &["partition", plan, "--out", "run"]);
    assert!(out.status.success());
    let good = snapshot(&dir.path().join("run"));
    fs::rename(dir.path().join("run"), dir.path().join(".run.old")).unwrap();
    fs::create_dir(dir.path().join(".run.staging-4242")).unwrap();
    fs::write(dir.path().join(".run.staging-4242/notes.md"), "moved there by the old swap").unwrap();
    let out = gridplan(dir.path(), &["partition", plan, "--out", "run", "--seed", "3"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("restored from .run.old") && err.contains("run.interrupted-run-4242"), "{err}");
    assert_ne!(snapshot(&dir.path().join("run")), good, "the new run replaced the restored one");
    assert_eq!(
        fs::read_to_string(dir.path().join("run.interrupted-run-4242/notes.md")).unwrap(),
        "moved there by the old swap"
    );
}

/// `export-graph --out FILE` replaces only a graph it wrote, atomically; a planner's file of that name stays.
#[test]
fn export_graph_never_overwrites_a_file_it_did_not_write() {
    let dir = tempfile::tempdir().unwrap();
    let plan = import_sample(dir.path(), "data");
    let plan = plan.to_str().unwrap();
    fs::write(dir.path().join("graph.json"), "{\"mine\": true}").unwrap();
    let out = gridplan(dir.path(), &["export-graph", plan, "--out", "graph.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("gridplan did not write it"), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(dir.path().join("graph.json")).unwrap(), "{\"mine\": true}");
    let out = gridplan(dir.path(), &["export-graph", plan, "--out", "g.json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = gridplan(dir.path(), &["export-graph", plan, "--out", "g.json"]);
    assert!(out.status.success(), "its own file is replaced: {}", stderr(&out));
    assert_eq!(names(dir.path()), ["data", "g.json", "graph.json"]);
}
