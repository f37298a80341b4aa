use super::*;

fn read(p: &Path) -> Vec<u8> {
    fs::read(p).unwrap()
}

fn run(target: &Path, files: &[(&str, &str)]) -> Result<PathBuf, OutputError> {
    let s = StagedDir::new(target, "test")?;
    for (name, body) in files {
        s.write(name, body.as_bytes())?;
    }
    s.commit()
}

#[test]
fn a_failed_run_leaves_the_last_good_one_and_a_new_run_replaces_only_its_own_files() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("run");
    run(&target, &[("a.txt", "first"), ("charts/x.svg", "<svg/>")]).unwrap();
    let m = Manifest::read(&target).unwrap().unwrap();
    assert_eq!(m.files.keys().collect::<Vec<_>>(), ["a.txt", "charts/x.svg"]);
    {
        let s = StagedDir::new(&target, "test").unwrap();
        s.write("a.txt", b"half-written").unwrap();
        // dropped without commit: a failure
    }
    assert_eq!(read(&target.join("a.txt")), b"first");
    run(&target, &[("a.txt", "second")]).unwrap();
    assert_eq!(read(&target.join("a.txt")), b"second");
    assert!(!target.join("charts").exists(), "a file of the last run this run did not write is removed");
    let names: Vec<String> =
        fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert_eq!(names, ["run"], "no staging or lock left behind");
}

#[test]
fn a_folder_with_foreign_or_changed_files_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("run");
    fs::create_dir(&target).unwrap();
    fs::write(target.join("notes.md"), b"mine").unwrap();
    let err = run(&target, &[("a.txt", "x")]).unwrap_err().to_string();
    assert!(err.contains("notes.md") && err.contains("did not write"), "{err}");
    assert_eq!(read(&target.join("notes.md")), b"mine");
    fs::remove_file(target.join("notes.md")).unwrap();
    run(&target, &[("a.txt", "x")]).unwrap();
    fs::write(target.join("a.txt"), b"edited by the planner").unwrap();
    let err = run(&target, &[("a.txt", "y")]).unwrap_err().to_string();
    assert!(err.contains("a.txt (changed since gridplan wrote it)"), "{err}");
    assert_eq!(read(&target.join("a.txt")), b"edited by the planner");
}

#[test]
fn kept_files_survive_edits_included_and_reads_inside_the_folder_must_be_kept() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("run");
    run(&target, &[("input/plan.toml", "a = 1"), ("out.csv", "x")]).unwrap();
    fs::write(target.join("input/plan.toml"), b"a = 2").unwrap();
    fs::write(target.join("input/extra.csv"), b"mine").unwrap();
    let reads = vec![target.join("input/plan.toml")];
    let err = StagedDir::open(&target, &OutputRules { command: "t", reads: reads.clone(), keep: vec![] })
        .unwrap_err()
        .to_string();
    assert!(err.contains("reads") && err.contains("plan.toml"), "{err}");
    let rules = OutputRules { command: "t", reads, keep: vec!["input/".into()] };
    let s = StagedDir::open(&target, &rules).unwrap();
    s.write("out.csv", b"y").unwrap();
    s.commit().unwrap();
    assert_eq!(read(&target.join("input/plan.toml")), b"a = 2");
    assert_eq!(read(&target.join("input/extra.csv")), b"mine");
    let m = Manifest::read(&target).unwrap().unwrap();
    assert_eq!(m.files["input/extra.csv"].command, "planner");
    assert_eq!(m.files["input/plan.toml"].command, "test");
}

#[test]
fn a_second_run_into_the_same_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("run");
    let first = StagedDir::new(&target, "test").unwrap();
    let err = StagedDir::new(&target, "test").unwrap_err();
    assert!(matches!(err, OutputError::Busy { pid: Some(p), .. } if p == std::process::id()), "{err}");
    first.write("a.txt", b"x").unwrap();
    first.commit().unwrap();
    run(&target, &[("a.txt", "y")]).unwrap();
}

#[test]
fn leftovers_of_killed_runs_are_recovered_or_removed() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("run");
    run(&target, &[("a.txt", "good")]).unwrap();
    // Killed before its manifest: a partial staging folder.
    fs::create_dir(dir.path().join(".run.gridplan-staging-999999")).unwrap();
    fs::write(dir.path().join(".run.gridplan-staging-999999/a.txt"), b"partial").unwrap();
    // Killed after a swap: the old run under the staging name, manifest and all.
    let old = dir.path().join(".run.gridplan-staging-999998");
    fs::create_dir(&old).unwrap();
    for f in ["a.txt", MANIFEST] {
        fs::copy(target.join(f), old.join(f)).unwrap();
    }
    let s = StagedDir::new(&target, "test").unwrap();
    assert_eq!(s.notes().len(), 2, "{:?}", s.notes());
    drop(s);
    let names: Vec<String> =
        fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert_eq!(names, ["run"]);
    // An older gridplan killed between its renames: the last good run only as `.run.old`.
    fs::rename(&target, dir.path().join(".run.old")).unwrap();
    let s = StagedDir::new(&target, "test").unwrap();
    assert!(s.notes()[0].contains("restored"), "{:?}", s.notes());
    drop(s);
    assert_eq!(read(&target.join("a.txt")), b"good");
}

#[test]
fn in_place_commits_complete_after_a_kill() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("volume");
    fs::create_dir(&target).unwrap();
    let open = |t: &Path| StagedDir::open_mode(t, &OutputRules::new("test"), true);
    let s = open(&target).unwrap();
    s.write("a.txt", b"one").unwrap();
    s.write("old.txt", b"one").unwrap();
    s.commit().unwrap();
    assert_eq!(read(&target.join("a.txt")), b"one");
    // A kill right after the journal is written: simulate by applying nothing and leaving the journal.
    let mut s = open(&target).unwrap();
    s.write("a.txt", b"two").unwrap();
    s.write("b/c.txt", b"two").unwrap();
    s.set_crash_hook(|step| {
        if step == "journal" {
            panic!("killed");
        }
    });
    let killed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| s.commit()));
    assert!(killed.is_err());
    assert!(target.join(JOURNAL).exists());
    let s = open(&target).unwrap();
    assert!(s.notes()[0].contains("completed"), "{:?}", s.notes());
    drop(s);
    assert_eq!(read(&target.join("a.txt")), b"two");
    assert_eq!(read(&target.join("b/c.txt")), b"two");
    assert!(!target.join("old.txt").exists());
    let names: Vec<String> =
        fs::read_dir(&target).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    let mut names = names;
    names.sort();
    assert_eq!(names, ["a.txt", "b", MANIFEST]);
}

#[cfg(unix)]
#[test]
fn a_new_run_keeps_the_folder_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("run");
    run(&target, &[("a.txt", "x")]).unwrap();
    fs::set_permissions(&target, fs::Permissions::from_mode(0o770)).unwrap();
    run(&target, &[("a.txt", "y")]).unwrap();
    assert_eq!(fs::metadata(&target).unwrap().permissions().mode() & 0o777, 0o770);
}
