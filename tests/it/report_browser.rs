//! The report as a planner uses it, driven in headless Chromium through chromedriver (W3C WebDriver, the
//! `fantoccini` client): search a grid by id, read its details in Chinese, click on the map, switch legend
//! layers and classes, search by community. `report_screenshots` (ignored; `scripts/report_screenshots.sh`)
//! drives a run the same way and saves the screenshots committed under `docs/screenshots/`.

use super::util::*;
use fantoccini::actions::{InputSource, MouseActions, PointerAction};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// chromedriver on a free port, killed when dropped.
struct Driver {
    child: std::process::Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn driver() -> Option<Driver> {
    let chromedriver = ["chromedriver", "/usr/lib/chromium/chromedriver"]
        .into_iter()
        .find(|b| std::process::Command::new(b).arg("--version").output().is_ok_and(|o| o.status.success()))?;
    let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
    let child = std::process::Command::new(chromedriver)
        .arg(format!("--port={port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let d = Driver { child, port };
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(d);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

async fn session(d: &Driver, width: u32, height: u32) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({"args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                        format!("--window-size={width},{height}"), "--force-device-scale-factor=1"]}),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", d.port))
        .await
        .expect("a chromedriver session")
}

async fn body_data(c: &Client, key: &str) -> String {
    let v = c.execute(&format!("return document.body.dataset['{key}'] || ''"), vec![]).await.expect("script");
    v.as_str().unwrap_or_default().to_string()
}

async fn wait_data(c: &Client, key: &str, want: impl Fn(&str) -> bool) -> String {
    for _ in 0..200 {
        let v = body_data(c, key).await;
        if want(&v) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("body data-{key} never as expected (now {:?})", body_data(c, key).await);
}

/// Clicks the map canvas at a point in its own pixels.
async fn click_canvas(c: &Client, x: f64, y: f64) {
    let canvas = c.find(Locator::Id("map")).await.expect("canvas");
    // Pointer offsets are from the centre of the element's visible part: the whole canvas is brought into view.
    let size: Value = c
        .execute(
            "var m = document.getElementById('map'); m.scrollIntoView({block: 'center'}); \
             var r = m.getBoundingClientRect(); return [r.width, r.height];",
            vec![],
        )
        .await
        .expect("size");
    let (w, h) = (size[0].as_f64().expect("w"), size[1].as_f64().expect("h"));
    let mouse = MouseActions::new("mouse".into())
        .then(PointerAction::MoveToElement { element: canvas, duration: None, x: x - w / 2.0, y: y - h / 2.0 })
        .then(PointerAction::Down { button: fantoccini::actions::MOUSE_BUTTON_LEFT })
        .then(PointerAction::Up { button: fantoccini::actions::MOUSE_BUTTON_LEFT });
    c.perform_actions(mouse).await.expect("click");
}

async fn info(c: &Client) -> String {
    c.find(Locator::Id("info")).await.expect("info").text().await.expect("text")
}

/// What the page is asked to do and what it must show; `grid` is a basic grid with micro-grids.
struct Expect {
    grid: String,
    community: String,
    grids: usize,
}

async fn drive(c: &Client, report: &Path, e: &Expect) {
    c.goto(&format!("file://{}", report.display())).await.expect("open the report");
    let drawn = wait_data(c, "map", |v| v.starts_with("drawn:")).await;
    assert_eq!(drawn, format!("drawn:{}", e.grids), "every grid drawn");

    // Search by grid id, Enter: the grid is selected and described in words.
    let search = c.find(Locator::Id("search")).await.expect("search box");
    search.send_keys(&e.grid).await.expect("type");
    search.send_keys("\u{e007}").await.expect("enter");
    assert_eq!(wait_data(c, "selected", |v| !v.is_empty()).await, e.grid);
    let text = info(c).await;
    for words in [format!("基础网格 {}", e.grid), "户".into(), "网格员".into(), "工作量".into(), "微网格".into()]
    {
        assert!(text.contains(&words), "details say {words:?}: {text}");
    }
    assert!(!text.contains("households") && !text.contains("grid_id"), "no raw keys: {text}");

    // Click away from it, then on it: the click selects what is under the pointer.
    click_canvas(c, 4.0, 4.0).await;
    let away = body_data(c, "selected").await;
    assert_ne!(away, e.grid, "a click in the corner does not keep the grid");
    let at: Value =
        c.execute("return window.gridplanMap.screenOf(arguments[0]);", vec![json!(e.grid)]).await.expect("screenOf");
    click_canvas(c, at[0].as_f64().expect("x"), at[1].as_f64().expect("y")).await;
    assert_eq!(wait_data(c, "selected", |v| v == e.grid).await, e.grid, "clicking the grid selects it");
    assert!(info(c).await.contains(&format!("基础网格 {}", e.grid)));

    // Legend: micro-grids on; a colour class off hides its grids.
    assert_eq!(body_data(c, "micro").await, "hidden");
    c.find(Locator::Id("layer-micro")).await.expect("micro layer box").click().await.expect("click");
    let micro = wait_data(c, "micro", |v| v.starts_with("drawn:")).await;
    assert!(micro != "drawn:0", "micro-grids drawn: {micro}");
    let boxes = c.find_all(Locator::Css("#legend input[data-cls]")).await.expect("class boxes");
    assert!(boxes.len() >= 3, "the legend lists the colour classes");
    boxes[2].click().await.expect("hide a class");
    let fewer = wait_data(c, "map", |v| v != format!("drawn:{}", e.grids)).await;
    let n: usize = fewer.trim_start_matches("drawn:").parse().expect("count");
    assert!(n < e.grids, "a legend class hidden: {fewer}");
    boxes[2].click().await.expect("show it again");
    wait_data(c, "map", |v| v == format!("drawn:{}", e.grids)).await;

    // Search by community: results listed; the first one clicked selects a grid of that community.
    search.clear().await.expect("clear");
    search.send_keys(&e.community).await.expect("type");
    let results: usize = wait_data(c, "results", |v| v.parse::<usize>().is_ok_and(|n| n > 0)).await.parse().expect("n");
    assert!(results >= 1);
    c.find(Locator::Css("#results button.result")).await.expect("a result").click().await.expect("click");
    assert!(info(c).await.contains(&e.community), "the chosen grid is in {}", e.community);
    assert_eq!(body_data(c, "error").await, "", "no script error");
}

fn expectations(run: &Path) -> Expect {
    let grids: geojson::FeatureCollection =
        std::fs::read_to_string(run.join("grids.geojson")).expect("grids").parse().expect("geojson");
    let basic = grids
        .features
        .iter()
        .filter(|f| f.property("kind").and_then(Value::as_str) == Some("basic"))
        .filter(|f| f.property("micro_grids").and_then(Value::as_u64).unwrap_or(0) > 1)
        .max_by_key(|f| f.property("households").and_then(Value::as_u64))
        .expect("a basic grid with micro-grids");
    let s = |k: &str| basic.property(k).and_then(Value::as_str).expect(k).to_string();
    Expect { grid: s("grid_id"), community: s("community"), grids: grids.features.len() }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

#[test]
fn a_planner_searches_clicks_and_reads_the_report_in_chinese() {
    let Some(d) = driver() else {
        skip_unless_ci("chromedriver and chromium for the report test (apt-get install chromium chromium-driver)");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let data = import_sample(dir.path(), "data").parent().expect("dir").to_path_buf();
    let run = dir.path().join("run");
    let out = bin().arg("plan").arg(data.join("plan.toml")).arg("--out").arg(&run).output().expect("plan");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let e = expectations(&run);
    runtime().block_on(async {
        let c = session(&d, 1400, 1000).await;
        drive(&c, &run.join("report.html"), &e).await;
        c.close().await.expect("close");
    });
}

/// Screenshots of a run's report (top, map with a grid selected, tables) into `GRIDPLAN_SCREENSHOTS`
/// (default `docs/screenshots`): `scripts/report_screenshots.sh` runs it on Harbin.
#[test]
#[ignore = "documentation: run by scripts/report_screenshots.sh"]
fn report_screenshots() {
    let run = PathBuf::from(std::env::var("GRIDPLAN_SCREENSHOT_RUN").expect("GRIDPLAN_SCREENSHOT_RUN=run folder"));
    let out = PathBuf::from(std::env::var("GRIDPLAN_SCREENSHOTS").unwrap_or_else(|_| "docs/screenshots".into()));
    std::fs::create_dir_all(&out).expect("screenshot folder");
    let d = driver().expect("chromedriver");
    let e = expectations(&run);
    runtime().block_on(async {
        let c = session(&d, 1400, 1000).await;
        c.goto(&format!("file://{}", run.join("report.html").display())).await.expect("open");
        wait_data(&c, "map", |v| v.starts_with("drawn:")).await;
        std::fs::write(out.join("report_top.png"), c.screenshot().await.expect("shot")).expect("write");
        drive(&c, &run.join("report.html"), &e).await;
        c.execute("document.getElementById('search').scrollIntoView();", vec![]).await.expect("scroll");
        std::fs::write(out.join("report_map.png"), c.screenshot().await.expect("shot")).expect("write");
        c.execute("document.querySelector('h2:nth-of-type(3)').scrollIntoView();", vec![]).await.expect("scroll");
        std::fs::write(out.join("report_tables.png"), c.screenshot().await.expect("shot")).expect("write");
        c.close().await.expect("close");
    });
}
