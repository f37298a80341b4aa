//! `gridplan plan` (issue #5): the whole run directory on the sample, the workload tables read back, the
//! report escaped, self-contained and drawn by a real browser.

use super::util::*;
use std::path::{Path, PathBuf};

/// Imports the sample, names the plan with markup (to prove escaping), gives 80 workers, and runs `plan`.
fn sample_run(dir: &Path) -> PathBuf {
    let data = import_sample(dir, "data").parent().expect("dir").to_path_buf();
    let text = std::fs::read_to_string(data.join("plan.toml")).expect("plan");
    let text = text.replacen("name = \"harbin-sample\"", "name = \"<img src=x onerror=alert(1)>样例\"", 1);
    let text = text.replacen("# workers = 2000", "workers = 80", 1);
    write(&data, "plan.toml", text);
    let run = dir.join("run");
    let out = bin().arg("plan").arg(data.join("plan.toml")).arg("--out").arg(&run).output().expect("plan");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    run
}

#[test]
fn plan_writes_the_whole_run_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = sample_run(dir.path());
    for f in [
        "grids.geojson",
        "assignment.csv",
        "unassigned.csv",
        "check.json",
        "run.json",
        "coverage.parquet",
        "coverage_summary.csv",
        "uncovered.csv",
        "sites.csv",
        "sites.geojson",
        "coverage.json",
        "workload.parquet",
        "workload.csv",
        "workload_areas.parquet",
        "workload_areas.csv",
        "report.html",
        "charts/grids_households.png",
        "charts/households_histogram.svg",
        "charts/lorenz.png",
        "charts/households_by_street.png",
        "charts/coverage_park.png",
    ] {
        assert!(run.join(f).is_file(), "{f} missing");
    }
    // The workload tables read back in polars, one row per grid, 80 workers shared out.
    use polars_io::SerReader;
    let df =
        polars_io::parquet::read::ParquetReader::new(std::fs::File::open(run.join("workload.parquet")).expect("open"))
            .finish()
            .expect("parquet");
    let grids: geojson::FeatureCollection =
        std::fs::read_to_string(run.join("grids.geojson")).expect("grids").parse().expect("geojson");
    assert_eq!(df.height(), grids.features.len());
    let workers: u32 = df.column("workers").expect("workers").u32().expect("u32").into_no_null_iter().sum();
    assert_eq!(workers, 80);
    let households: u64 = df.column("households").expect("hh").u64().expect("u64").into_no_null_iter().sum();
    let check: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run.join("check.json")).expect("check")).expect("json");
    assert_eq!(households, check["households_assigned"].as_u64().expect("assigned"));
    for c in ["households_per_worker", "status", "in_band", "covered_park", "elderly"] {
        assert!(df.column(c).is_ok(), "{c} column");
    }
    // coverage.json of a plan run records the stages that made it.
    let coverage: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run.join("coverage.json")).expect("coverage")).expect("json");
    for stage in ["load", "coverage", "siting"] {
        assert!(coverage["timings_s"][stage].as_f64().is_some(), "coverage.json timings_s has {stage}");
    }
    // CSVs open in Excel/WPS with Chinese text: UTF-8 with a BOM.
    for f in ["workload.csv", "workload_areas.csv"] {
        let bytes = std::fs::read(run.join(f)).expect(f);
        assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]), "{f} starts with a BOM");
    }
}

#[test]
fn the_report_is_escaped_self_contained_and_draws_in_a_browser() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = sample_run(dir.path());
    let html = std::fs::read_to_string(run.join("report.html")).expect("report");
    assert!(!html.contains("<img src=x"), "the plan name is escaped");
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;样例"));
    for external in ["src=\"http", "href=\"http", "src='http", "url(http", "@import"] {
        assert!(!html.contains(external), "no request leaves the file: {external}");
    }
    // Headless Chromium (Debian packages chromium and chromium-driver; .ci/run installs them): the page loads
    // without script errors and the map is drawn, one path per grid.
    let Some(chromium) = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| std::process::Command::new(b).arg("--version").output().is_ok_and(|o| o.status.success()))
    else {
        skip_unless_ci("chromium for the browser check (apt-get install chromium)");
        return;
    };
    let url = format!("file://{}", run.join("report.html").display());
    let out = std::process::Command::new(chromium)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0", "--dump-dom"])
        .arg(&url)
        .output()
        .expect("chromium");
    let dom = String::from_utf8_lossy(&out.stdout);
    let log = String::from_utf8_lossy(&out.stderr);
    let grids: geojson::FeatureCollection =
        std::fs::read_to_string(run.join("grids.geojson")).expect("grids").parse().expect("geojson");
    assert!(
        dom.contains(&format!("data-map=\"drawn:{}\"", grids.features.len())),
        "map drawn: {}",
        &dom[..dom.len().min(400)]
    );
    assert!(!dom.contains("data-error"), "a script error: {dom}");
    let console_errors: Vec<&str> =
        log.lines().filter(|l| l.contains("CONSOLE") && (l.contains("ERROR") || l.contains("Uncaught"))).collect();
    assert!(console_errors.is_empty(), "console errors: {console_errors:?}");
    let shot = run.join("report.png");
    let out = std::process::Command::new(chromium)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--window-size=1300,1400"])
        .arg(format!("--screenshot={}", shot.display()))
        .arg(&url)
        .output()
        .expect("chromium");
    assert!(out.status.success() && std::fs::metadata(&shot).is_ok_and(|m| m.len() > 10_000), "a screenshot");
}

#[test]
fn compare_reports_stability_between_two_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = import_sample(dir.path(), "data").parent().expect("dir").to_path_buf();
    let runs: Vec<PathBuf> = ["a", "b", "c"].iter().map(|n| dir.path().join(n)).collect();
    for (r, seed) in runs.iter().zip(["1", "1", "9"]) {
        let out = bin()
            .arg("partition")
            .arg(data.join("plan.toml"))
            .arg("--out")
            .arg(r)
            .args(["--seed", seed])
            .output()
            .expect("run");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let same = bin().arg("compare").arg(&runs[0]).arg(&runs[1]).arg("--json").output().expect("compare");
    assert!(same.status.success(), "{}", String::from_utf8_lossy(&same.stderr));
    let v: serde_json::Value = serde_json::from_slice(&same.stdout).expect("json");
    assert_eq!(v["households_moved"], 0);
    assert_eq!(v["grids_unchanged"], v["a"]["grids"]);
    let other = bin().arg("compare").arg(&runs[0]).arg(&runs[2]).arg("--json").output().expect("compare");
    let v: serde_json::Value = serde_json::from_slice(&other.stdout).expect("json");
    let moved = v["households_moved"].as_u64().expect("moved");
    let total = v["households_in_both"].as_u64().expect("both");
    assert!(moved <= total && total == 26_542 - v["a"]["households_unassigned"].as_u64().unwrap_or(0), "{v}");
}

/// The analysts' notebook runs against a run directory when Python has polars, matplotlib, nbformat and
/// nbclient (the interpreter in `GRIDPLAN_PYTHON`, else `python3`); otherwise it says SKIPPED, or fails under CI.
#[test]
fn the_notebook_reproduces_the_charts_from_the_parquet_tables() {
    let python = std::env::var("GRIDPLAN_PYTHON").unwrap_or_else(|_| "python3".into());
    let ready = std::process::Command::new(&python)
        .args(["-c", "import polars, matplotlib, nbformat, nbclient, ipykernel"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ready {
        skip_unless_ci(&format!(
            "a Python for the notebook ({python} lacks polars, matplotlib, nbformat, nbclient or ipykernel; set GRIDPLAN_PYTHON)"
        ));
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let run = sample_run(dir.path());
    let script = "import sys, nbformat\nfrom nbclient import NotebookClient\nnb = nbformat.read(sys.argv[1], as_version=4)\nNotebookClient(nb, timeout=300, kernel_name='python3').execute()\n";
    let out = std::process::Command::new(&python)
        .args(["-c", script])
        .arg(root().join("notebooks/workload.ipynb"))
        .env("RUN_DIR", &run)
        .output()
        .expect("python");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for f in ["nb_histogram.png", "nb_lorenz.png", "nb_streets.png", "nb_coverage.png"] {
        assert!(run.join("charts").join(f).is_file(), "{f}");
    }
}

/// `tables.xlsx` holds the planner's tables as sheets, with the rows of the CSVs they come from; GDAL (the XLSX
/// driver, which QGIS uses too) opens every sheet.
#[test]
fn the_workbook_has_every_table_as_a_sheet_that_gdal_opens() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = sample_run(dir.path());
    assert!(run.join("tables.xlsx").is_file());
    let Ok(out) =
        std::process::Command::new("ogrinfo").args(["-ro", "-so", "-al"]).arg(run.join("tables.xlsx")).output()
    else {
        skip_unless_ci("ogrinfo from GDAL");
        return;
    };
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let info = String::from_utf8_lossy(&out.stdout);
    for (sheet, csv) in gridplan::render::workbook::SHEETS {
        let rows = std::fs::read_to_string(run.join(csv)).expect("csv").lines().count() - 1;
        let block =
            info.split("Layer name: ").find(|b| b.starts_with(sheet)).unwrap_or_else(|| panic!("{sheet}: {info}"));
        assert!(block.contains(&format!("Feature Count: {rows}")), "{sheet}: {rows} rows expected\n{block}");
    }
    assert!(info.contains("户数: Real") || info.contains("households: Real"), "numbers are numbers");
}
