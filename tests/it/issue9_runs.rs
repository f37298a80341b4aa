//! Issue #9, whole runs: nothing planned is said first and loudly, coverage refuses what it cannot mean,
//! import writes what loads, spreadsheets get no formulas, other cities are named in their language.

use super::util::*;
use std::fs;
use std::path::Path;
use std::process::Output;

fn run(cwd: &Path, args: &[&str]) -> Output {
    bin().current_dir(cwd).args(args).output().expect("run gridplan")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn a_run_with_nothing_to_plan_fails_with_the_reason_first() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = root().join("tests/fixtures");
    let o = run(dir.path(), &["plan", fixtures.join("no-buildings.osm.pbf").to_str().unwrap(), "--out", "a"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("holds no building") && stderr(&o).contains("nothing to plan"), "{}", stderr(&o));
    let o = run(dir.path(), &["plan", fixtures.join("no-admin.osm.pbf").to_str().unwrap(), "--out", "b"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.starts_with("error: ") && err.contains("no household could be placed") && err.contains("no street"),
        "{err}"
    );
    assert!(!dir.path().join("b").exists(), "a failed run writes nothing");
    // A run that places most but not all households says how many are left out before anything else.
    let plan = import_sample(dir.path(), "data");
    let o = run(dir.path(), &["partition", plan.to_str().unwrap(), "--out", "c"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let check: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    if check["households_unassigned"].as_u64().unwrap_or(0) > 0 {
        assert!(stderr(&o).starts_with("warning: "), "{}", stderr(&o));
    }
}

#[test]
fn coverage_refuses_kind_typos_and_another_plans_grids() {
    let dir = tempfile::tempdir().unwrap();
    let plan = import_sample(dir.path(), "data");
    let text = fs::read_to_string(&plan).unwrap();
    let typo = text.replace("[coverage.thresholds]\n", "[coverage.thresholds]\nschools = 1000\n")
        + "\n[coverage.groups]\nschools = [\"primary_school\", \"middle_shcool\"]\n";
    write(&dir.path().join("data"), "typo.toml", typo);
    let o = run(dir.path(), &["coverage", "data/typo.toml", "--out", "cov"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("\"middle_shcool\"") && stderr(&o).contains("did you mean \"middle_school\""),
        "{}",
        stderr(&o)
    );
    // Grids of another city's run.
    let synth = run(dir.path(), &["synth", "--households", "2000", "--seed", "3", "--out", "other"]);
    assert!(synth.status.success(), "{}", stderr(&synth));
    let o = run(dir.path(), &["partition", "other/plan.toml", "--out", "other-run"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(dir.path(), &["coverage", plan.to_str().unwrap(), "--grids", "other-run", "--out", "cov"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("planned from other data"), "{}", stderr(&o));
}

#[test]
fn import_writes_plans_that_load() {
    let dir = tempfile::tempdir().unwrap();
    let odd = dir.path().join("harbin\u{7}\tsample.osm.pbf");
    fs::copy(dataset("harbin-sample/harbin-sample.osm.pbf"), &odd).unwrap();
    let o = run(dir.path(), &["plan", odd.to_str().unwrap(), "--out", "run"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let plan = gridplan::config::Plan::from_path(&dir.path().join("run/input/plan.toml")).unwrap();
    assert!(!plan.config.plan.name.chars().any(char::is_control), "{:?}", plan.config.plan.name);
    let o = run(dir.path(), &["import-osm", odd.to_str().unwrap(), "--out", "imp", "--default-levels", "1e300"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("estimate.default_levels") && stderr(&o).contains("1e300"), "{}", stderr(&o));
    assert!(!dir.path().join("imp").exists());
}

#[test]
fn csv_cells_that_would_run_as_formulas_are_escaped_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let plan = import_sample(dir.path(), "data");
    let admin = dir.path().join("data/admin_areas.geojson");
    // Every street's name begins with a formula, as a hostile or careless register export could.
    let text = fs::read_to_string(&admin).unwrap();
    assert!(text.contains("\"name\":\""), "names are written compactly");
    let text = text.replace("\"name\":\"", "\"name\":\"=HYPERLINK(\\\"http://example.com\\\",\\\"点击\\\")");
    fs::write(&admin, text).unwrap();
    let o = run(dir.path(), &["plan", plan.to_str().unwrap(), "--out", "run"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut seen = 0;
    for entry in fs::read_dir(dir.path().join("run")).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "csv") {
            let mut r = csv::ReaderBuilder::new().has_headers(true).from_path(&p).unwrap();
            for row in r.records() {
                for cell in row.unwrap().iter() {
                    let cell = cell.trim_start_matches('\u{feff}');
                    assert!(!cell.starts_with(['=', '+', '@']), "{}: {cell}", p.display());
                    if cell.contains("HYPERLINK") {
                        assert!(cell.starts_with("'="), "{}: {cell}", p.display());
                        seen += 1;
                    }
                }
            }
        }
    }
    assert!(seen > 0, "the street name appears in the CSVs");
    // The run reads its own files back unescaped: coverage grouped by this run's grids works.
    let o = run(dir.path(), &["coverage", plan.to_str().unwrap(), "--grids", "run", "--out", "run"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn generated_communities_are_named_in_the_data_language() {
    let p = gridplan::config::AdminParams::default();
    assert_eq!(p.community_name("先锋路街道", 2), "先锋路街道第2社区");
    assert_eq!(p.community_name("Subprefeitura da Sé", 1), "Subprefeitura da Sé – community 1");
    let pattern = gridplan::config::AdminParams { community_name: Some("{street} — Bairro {n}".into()), ..p };
    assert_eq!(pattern.community_name("Sé", 3), "Sé — Bairro 3");
    // End to end: a synthetic city renamed in Portuguese gets no Chinese suffixes.
    let dir = tempfile::tempdir().unwrap();
    let o = run(dir.path(), &["synth", "--households", "3000", "--seed", "2", "--out", "city"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let admin = dir.path().join("city/admin_areas.geojson");
    let text = fs::read_to_string(&admin).unwrap();
    // Streets only (so communities are built) with Latin names.
    let fc: geojson::FeatureCollection = text.parse().unwrap();
    let streets: Vec<String> = fc
        .features
        .iter()
        .filter(|f| f.property("level").and_then(|v| v.as_str()) == Some("street"))
        .map(|f| {
            let mut f = f.clone();
            let name = format!("Distrito {}", f.property("id").and_then(|v| v.as_str()).unwrap_or("x"));
            f.set_property("name", name);
            f.to_string()
        })
        .collect();
    fs::write(&admin, collection(&streets)).unwrap();
    let o = run(dir.path(), &["partition", "city/plan.toml", "--out", "run"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let run_json: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.path().join("run/grids.geojson")).unwrap()).unwrap();
    let text = run_json.to_string();
    assert!(text.contains("– community 1") && !text.contains("第1社区"), "{}", &text[..text.len().min(600)]);
}

#[test]
fn household_points_without_buildings_say_why_no_site_is_suggested() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "h.csv", "id,lon,lat,households\nh1,126.6001,45.7001,3\nh2,126.6101,45.7001,4\n");
    write(dir.path(), "f.csv", "id,kind,lon,lat\nf1,kindergarten,126.6,45.7\n");
    write(
        dir.path(),
        "plan.toml",
        "[layers.households]\npath = \"h.csv\"\n[layers.facilities]\npath = \"f.csv\"\n[coverage.thresholds]\nkindergarten = 300\n",
    );
    let o = run(dir.path(), &["coverage", "plan.toml", "--out", "cov"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("no new sites suggested") && stderr(&o).contains("[layers.candidates]"),
        "{}",
        stderr(&o)
    );
    let j: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.path().join("cov/coverage.json")).unwrap()).unwrap();
    assert!(j["new_sites_note"].as_str().is_some_and(|s| s.contains("candidate")), "{j}");
}

#[test]
fn charts_follow_the_band_and_bands_are_checked_when_made() {
    assert!(gridplan::config::Band::new(0, 500).is_err(), "a zero lower bound would divide by zero");
    assert!(gridplan::config::Band::new(500, 300).is_err());
    assert!(gridplan::config::Band::new(300, u32::MAX).is_err());
    assert_eq!(gridplan::config::Band::new(200, 300).map(|b| (b.min(), b.max())), Ok((200, 300)));
    let dir = tempfile::tempdir().unwrap();
    let plan = import_sample(dir.path(), "data");
    let text = fs::read_to_string(&plan)
        .unwrap()
        .replace("basic = { min = 300, max = 500 }", "basic = { min = 200, max = 300 }");
    fs::write(&plan, text).unwrap();
    let o = run(dir.path(), &["plan", plan.to_str().unwrap(), "--out", "run"]);
    assert!(o.status.success(), "{}", stderr(&o));
    for chart in ["households_histogram", "households_by_street"] {
        let svg = fs::read_to_string(dir.path().join(format!("run/charts/{chart}.svg"))).unwrap();
        assert!(svg.contains("200–300") && !svg.contains("300–500"), "{chart} names the plan's band");
    }
}
