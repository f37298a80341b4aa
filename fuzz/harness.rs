//! The fuzz harnesses, shared by the `cargo fuzz` targets (`fuzz_targets/*.rs`) and by the test that replays
//! every saved crash input (`tests/it/fuzz_replay.rs`). Each takes arbitrary bytes and must never panic: bad
//! input is an `Err`, and that is all.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A scratch folder for this process (on /dev/shm where there is one: files are written per input).
fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = if Path::new("/dev/shm").is_dir() { PathBuf::from("/dev/shm") } else { std::env::temp_dir() };
        let dir = base.join(format!("gridplan-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch folder");
        dir
    })
}

/// Removes this process's scratch folder (the replay test calls it; fuzzing processes leave it to the OS).
pub fn cleanup() {
    let _ = std::fs::remove_dir_all(scratch());
}

fn put(name: &str, data: &[u8]) -> PathBuf {
    let p = scratch().join(name);
    std::fs::write(&p, data).expect("scratch file");
    p
}

/// A plan of one layer read from `file`, with `extra` TOML lines for that layer.
fn one_layer_plan(layer: &str, file: &Path, extra: &str) -> Option<gridplan::config::Plan> {
    let text = format!("[layers.{layer}]\npath = {:?}\n{extra}", file.file_name()?.to_str()?);
    gridplan::config::Plan::from_toml(&text, &scratch().join("plan.toml")).ok()
}

/// GeoJSON: the bytes as a buildings layer, loaded in full (parse, geometry checks, projection, repair).
pub fn geojson(data: &[u8]) {
    unwinding_hook();
    let file = put("b.geojson", data);
    if let Some(plan) = one_layer_plan("buildings", &file, "") {
        let _ = gridplan::load::load_plan(&plan);
    }
}

/// CSV: the bytes as household points; the first byte picks encoding, delimiter and decimal mark.
pub fn csv(data: &[u8]) {
    unwinding_hook();
    let Some((&pick, body)) = data.split_first() else { return };
    let encoding = ["utf-8", "gbk", "windows-1252", "big5"][usize::from(pick & 3)];
    let delimiter =
        ["", "delimiter = \";\"\n", "delimiter = \"\\t\"\n", "delimiter = \",\"\n"][usize::from(pick >> 2 & 3)];
    let decimal = ["", "decimal = \",\"\n", "decimal = \".\"\n", ""][usize::from(pick >> 4 & 3)];
    let file = put("h.csv", body);
    let extra = format!("encoding = {encoding:?}\n{delimiter}{decimal}");
    if let Some(plan) = one_layer_plan("households", &file, &extra) {
        let _ = gridplan::load::load_plan(&plan);
    }
}

/// Parquet: the bytes as household points.
pub fn parquet(data: &[u8]) {
    unwinding_hook();
    let file = put("h.parquet", data);
    if let Some(plan) = one_layer_plan("households", &file, "") {
        let _ = gridplan::load::load_plan(&plan);
    }
}

/// The pbf and Parquet readers panic on some corrupt bytes, and gridplan turns those panics into errors
/// (`load::error::guarded`); libFuzzer's panic hook would abort before that, so every harness puts the
/// standard hook back, and only a panic that escapes gridplan reaches the fuzzer (whose entry point aborts on
/// it).
fn unwinding_hook() {
    static HOOK: OnceLock<()> = OnceLock::new();
    HOOK.get_or_init(|| drop(std::panic::take_hook()));
}

/// `.osm.pbf`: the bytes read as an extract.
pub fn pbf(data: &[u8]) {
    unwinding_hook();
    let file = put("x.osm.pbf", data);
    let _ = gridplan::load::osm::read_pbf(&file, &Default::default());
}

/// `plan.toml`: parsed and checked; a plan that parses must write back (`plan_toml`) to text that parses to
/// the same parameters.
pub fn plan_toml(data: &[u8]) {
    unwinding_hook();
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(plan) = gridplan::config::Plan::from_toml(text, Path::new("plan.toml")) else { return };
    let written = gridplan::render::plan_file::plan_toml("fuzz", &[], &plan.config);
    let with_layer = format!("{written}\n[layers.buildings]\npath = \"b.geojson\"\n");
    let back = gridplan::config::Plan::from_toml(&with_layer, Path::new("plan.toml"))
        .unwrap_or_else(|e| panic!("a valid plan writes back to one that does not load: {e}\n{written}"));
    assert_eq!(back.config.bands.basic, plan.config.bands.basic);
    assert_eq!(back.config.coverage.thresholds, plan.config.coverage.thresholds);
    assert_eq!(back.config.estimate.default_levels.to_bits(), plan.config.estimate.default_levels.to_bits());
}

/// The whole `plan` on a small city: the sample's streets, network, barriers and facilities, with the bytes
/// as its buildings layer (seeded with small real cuts of the sample's buildings).
pub fn whole_plan(data: &[u8]) {
    unwinding_hook();
    static CITY: OnceLock<PathBuf> = OnceLock::new();
    let city = CITY.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let pbf = [
            root.join("datasets/harbin-sample/harbin-sample.osm.pbf"),
            root.join("../datasets/harbin-sample/harbin-sample.osm.pbf"),
        ]
        .into_iter()
        .find(|p| p.is_file())
        .expect("the sample extract");
        let dir = scratch().join("city");
        gridplan::import::import_osm(&pbf, &dir, &Default::default(), &Default::default()).expect("import the sample");
        dir
    });
    let _ = put("city-buildings.geojson", data);
    let plan_text = std::fs::read_to_string(city.join("plan.toml")).expect("plan");
    let plan_text = plan_text.replace("path = \"buildings.geojson\"", "path = \"../city-buildings.geojson\"");
    let plan_text = plan_text.replace("[plan]\n", "[plan]\nallow_outside_paths = true\n");
    let Ok(plan) = gridplan::config::Plan::from_toml(&plan_text, &city.join("plan.toml")) else { return };
    let Ok(d) = gridplan::load::load_plan(&plan) else { return };
    let out = scratch().join("run");
    let Ok(staged) = gridplan::render::output_dir::StagedDir::new(&out, "plan") else { return };
    let _ = gridplan::pipeline::run(&plan, &d, 1, staged, None, None, std::time::Duration::ZERO, &mut |_| {});
}
