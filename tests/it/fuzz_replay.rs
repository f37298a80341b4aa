//! Every input the fuzzers found a crash with (issue #9), replayed through the same harness as the fuzz
//! target (`fuzz/harness.rs`): each must now end in an `Ok` or a clean `Err`. CI runs this; it does not fuzz.

#[path = "../../fuzz/harness.rs"]
#[allow(dead_code, reason = "the harness module is shared with the fuzz targets")]
mod harness;

use super::util::root;

/// A harness: bytes in, nothing out but a panic on a bug.
type Harness = fn(&[u8]);

const TARGETS: &[(&str, Harness)] = &[
    ("geojson", harness::geojson),
    ("csv", harness::csv),
    ("parquet", harness::parquet),
    ("pbf", harness::pbf),
    ("plan_toml", harness::plan_toml),
    ("whole_plan", harness::whole_plan),
];

#[test]
fn every_saved_fuzz_crash_replays_cleanly() {
    let mut replayed = 0;
    for (target, run) in TARGETS {
        let dir = root().join("fuzz/regressions").join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        let mut files: Vec<_> = entries.map(|e| e.expect("entry").path()).filter(|p| p.is_file()).collect();
        files.sort();
        for file in files {
            let bytes = std::fs::read(&file).expect("read");
            let outcome = std::panic::catch_unwind(|| run(&bytes));
            assert!(outcome.is_ok(), "{}: the {target} harness panicked again", file.display());
            replayed += 1;
        }
    }
    harness::cleanup();
    eprintln!("replayed {replayed} saved fuzz inputs");
}
