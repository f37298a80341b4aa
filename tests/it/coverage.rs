//! Coverage (issue #4): edge-snapped network distances against a brute-force reference, and properties.

use super::util::*;
use geo::{LineString, Point};
use gridplan::config::{CoverageParams, Plan};
use gridplan::coverage::{Method, coverage};
use gridplan::model::{Dataset, Facility, Household, WalkWay};
use gridplan::projection::LocalProjection;
use proptest::prelude::*;

fn toy(ways: Vec<WalkWay>, households: &[(f64, f64)], facilities: &[(f64, f64)]) -> Dataset {
    Dataset {
        projection: LocalProjection::centred_on(126.63, 45.75),
        buildings: Vec::new(),
        households: households
            .iter()
            .enumerate()
            .map(|(i, &(x, y))| Household {
                id: format!("h{i}"),
                point: Point::new(x, y),
                households: 1 + i as u32 % 3,
                persons: 2,
                elderly: None,
                building: None,
            })
            .collect(),
        compounds: Vec::new(),
        admin_areas: Vec::new(),
        facilities: facilities
            .iter()
            .enumerate()
            .map(|(i, &(x, y))| Facility {
                id: format!("f{i}"),
                kind: "school".into(),
                name: None,
                point: Point::new(x, y),
                capacity: None,
            })
            .collect(),
        special_units: Vec::new(),
        barriers: Vec::new(),
        walk_network: ways,
        candidates: Vec::new(),
        registers: Vec::new(),
        layers: Vec::new(),
        warnings: Vec::new(),
        division_codes: None,
        shard: None,
    }
}

fn params(threshold: f64) -> CoverageParams {
    CoverageParams {
        thresholds: [("school".to_string(), threshold)].into_iter().collect(),
        snap_limit_m: 1e9,
        search_limit_m: 1e9,
        ..CoverageParams::default()
    }
}

/// A street grid of `n × n` blocks of `side` m with some streets missing, plus a diagonal path, as ways
/// that run from one intersection to the next (so shaping vertices, shared nodes and loops all occur).
fn street_grid(n: usize, side: f64, missing: &[bool]) -> Vec<WalkWay> {
    let mut ways = Vec::new();
    let mut k = 0;
    let push = |pts: Vec<(f64, f64)>, ways: &mut Vec<WalkWay>| {
        ways.push(WalkWay {
            id: format!("w{}", ways.len()),
            class: "footway".into(),
            line: LineString::from(pts),
            node_ids: None,
        });
    };
    for i in 0..=n {
        for j in 0..n {
            let (a, b) = (i as f64 * side, j as f64 * side);
            if !missing.get(k).copied().unwrap_or(false) {
                // A bend halfway along each horizontal street.
                push(vec![(b, a), (b + side / 2.0, a + side / 10.0), (b + side, a)], &mut ways);
            }
            k += 1;
            if !missing.get(k).copied().unwrap_or(false) {
                push(vec![(a, b), (a, b + side)], &mut ways);
            }
            k += 1;
        }
    }
    push(vec![(0.0, 0.0), (n as f64 * side, n as f64 * side)], &mut ways);
    ways
}

/// The reference: every vertex a node, every household and facility joined to its nearest segment by a new
/// node splitting that segment (found by checking every segment), then plain Dijkstra from each facility.
fn brute_force(ways: &[WalkWay], households: &[(f64, f64)], facilities: &[(f64, f64)]) -> Vec<f64> {
    let mut nodes: Vec<(f64, f64)> = Vec::new();
    let node_at = |p: (f64, f64), nodes: &mut Vec<(f64, f64)>| {
        let key = ((p.0 * 100.0).round(), (p.1 * 100.0).round());
        match nodes.iter().position(|q| ((q.0 * 100.0).round(), (q.1 * 100.0).round()) == key) {
            Some(i) => i,
            None => {
                nodes.push(p);
                nodes.len() - 1
            }
        }
    };
    let mut segments: Vec<(usize, usize)> = Vec::new();
    for w in ways {
        for pair in w.line.0.windows(2) {
            let a = node_at((pair[0].x, pair[0].y), &mut nodes);
            let b = node_at((pair[1].x, pair[1].y), &mut nodes);
            segments.push((a, b));
        }
    }
    // Pieces of the network (union-find over nodes), and the nearest segment of a point among those `allowed`.
    let mut parent: Vec<usize> = (0..nodes.len()).collect();
    fn root(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for &(a, b) in &segments {
        let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
        parent[ra] = rb;
    }
    let piece: Vec<usize> = segments.iter().map(|&(a, _)| root(&mut parent, a)).collect();
    let nearest = |p: (f64, f64), allowed: &dyn Fn(usize) -> bool| {
        let mut best = None;
        for (si, &(a, b)) in segments.iter().enumerate() {
            if !allowed(si) {
                continue;
            }
            let (pa, pb) = (nodes[a], nodes[b]);
            let (dx, dy) = (pb.0 - pa.0, pb.1 - pa.1);
            let l2 = dx * dx + dy * dy;
            let t = if l2 > 0.0 { (((p.0 - pa.0) * dx + (p.1 - pa.1) * dy) / l2).clamp(0.0, 1.0) } else { 0.0 };
            let d = (p.0 - pa.0 - t * dx).hypot(p.1 - pa.1 - t * dy);
            if best.is_none_or(|(_, bd, _)| d < bd) {
                best = Some((si, d, t));
            }
        }
        best
    };
    // A household walks from the nearest segment of a piece that holds a facility (gridplan's farther edge).
    let served: Vec<usize> =
        facilities.iter().filter_map(|&f| nearest(f, &|_| true)).map(|(si, _, _)| piece[si]).collect();
    // Split segments at every projected point; each point gets its own node and an offset edge.
    let mut extra: Vec<(usize, usize, f64)> = Vec::new();
    let mut splits: Vec<Vec<(f64, usize)>> = vec![Vec::new(); segments.len()];
    let mut point_node = Vec::new();
    let snaps: Vec<(usize, f64, f64)> = households
        .iter()
        .chain(facilities)
        .enumerate()
        .map(|(i, &p)| {
            let household = i < households.len();
            nearest(p, &|si| !household || served.contains(&piece[si]))
                .or_else(|| nearest(p, &|_| true))
                .expect("a segment")
        })
        .collect();
    for (&p, (best, best_d, best_t)) in households.iter().chain(facilities).zip(snaps) {
        let (a, b) = segments[best];
        let (pa, pb) = (nodes[a], nodes[b]);
        nodes.push((pa.0 + best_t * (pb.0 - pa.0), pa.1 + best_t * (pb.1 - pa.1)));
        let on = nodes.len() - 1;
        splits[best].push((best_t, on));
        nodes.push(p);
        point_node.push(nodes.len() - 1);
        extra.push((nodes.len() - 1, on, best_d));
    }
    let dist = |a: usize, b: usize, nodes: &[(f64, f64)]| (nodes[a].0 - nodes[b].0).hypot(nodes[a].1 - nodes[b].1);
    let mut adj: Vec<Vec<(usize, f64)>> = vec![Vec::new(); nodes.len()];
    let link = |a: usize, b: usize, w: f64, adj: &mut Vec<Vec<(usize, f64)>>| {
        adj[a].push((b, w));
        adj[b].push((a, w));
    };
    for (si, &(a, b)) in segments.iter().enumerate() {
        let mut chain = vec![(0.0, a)];
        let mut s = splits[si].clone();
        s.sort_by(|x, y| x.0.total_cmp(&y.0));
        chain.extend(s);
        chain.push((1.0, b));
        for pair in chain.windows(2) {
            let w = dist(pair[0].1, pair[1].1, &nodes);
            link(pair[0].1, pair[1].1, w, &mut adj);
        }
    }
    for (p, on, d) in extra {
        link(p, on, d, &mut adj);
    }
    // Multi-source Dijkstra (O(n²), fine for tests).
    let mut d = vec![f64::INFINITY; nodes.len()];
    let mut done = vec![false; nodes.len()];
    for f in 0..facilities.len() {
        d[point_node[households.len() + f]] = 0.0;
    }
    loop {
        let next = (0..nodes.len()).filter(|&i| !done[i] && d[i].is_finite()).min_by(|&a, &b| d[a].total_cmp(&d[b]));
        let Some(u) = next else { break };
        done[u] = true;
        for &(v, w) in &adj[u] {
            if d[u] + w < d[v] {
                d[v] = d[u] + w;
            }
        }
    }
    (0..households.len()).map(|h| d[point_node[h]]).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Edge-snapped network distances equal the brute-force reference to 0.01 m on random street grids with
    /// random streets missing (so some households sit beside pieces without a facility and walk from the
    /// nearest piece with one, or fall back where there is none).
    #[test]
    fn distances_match_brute_force(
        missing in proptest::collection::vec(proptest::bool::weighted(0.15), 24),
        households in proptest::collection::vec((0.0f64..300.0, 0.0f64..300.0), 1..25),
        facilities in proptest::collection::vec((0.0f64..300.0, 0.0f64..300.0), 1..4),
    ) {
        let ways = street_grid(3, 100.0, &missing);
        let d = toy(ways.clone(), &households, &facilities);
        let cov = coverage(&d, &params(1000.0), None).expect("coverage");
        let reference = brute_force(&ways, &households, &facilities);
        let k = &cov.kinds[0];
        for (i, r) in k.reach.iter().enumerate() {
            match r.method {
                Method::Network | Method::NetworkFartherEdge => {
                    let got = r.distance_m.expect("distance");
                    prop_assert!((got - reference[i]).abs() < 0.01, "household {}: {} vs {}", i, got, reference[i]);
                }
                Method::EuclideanDisconnected => prop_assert!(reference[i].is_infinite(), "household {} is connected", i),
                m => prop_assert!(false, "unexpected method {:?}", m),
            }
        }
    }

    /// Coverage never falls when the threshold grows.
    #[test]
    fn coverage_grows_with_the_threshold(
        households in proptest::collection::vec((0.0f64..400.0, 0.0f64..400.0), 1..40),
        facilities in proptest::collection::vec((0.0f64..400.0, 0.0f64..400.0), 1..5),
        a in 10.0f64..600.0, b in 10.0f64..600.0,
    ) {
        let d = toy(street_grid(4, 100.0, &[]), &households, &facilities);
        let (lo, hi) = (a.min(b), a.max(b));
        let covered = |t: f64| {
            let cov = coverage(&d, &params(t), None).expect("coverage");
            cov.sites.iter().zip(&cov.kinds[0].reach).filter(|(_, r)| r.within(t)).map(|(s, _)| u64::from(s.households)).sum::<u64>()
        };
        prop_assert!(covered(lo) <= covered(hi));
    }
}

/// A facility at every household covers everyone: the walk to its own is the offset to the street and back,
/// at most twice the snap limit, within the 300 m of the smallest standard threshold.
#[test]
fn a_facility_at_every_household_covers_everyone() {
    let households: Vec<(f64, f64)> =
        (0..30).map(|i| (13.0 * i as f64 % 290.0 + 3.0, 7.0 * i as f64 % 280.0 + 5.0)).collect();
    let d = toy(street_grid(3, 100.0, &[]), &households, &households);
    let p = CoverageParams { snap_limit_m: 150.0, ..params(300.0) };
    let cov = coverage(&d, &p, None).expect("coverage");
    for ((r, snap), h) in cov.kinds[0].reach.iter().zip(&cov.snaps).zip(&households) {
        let offset = snap.expect("on the network").offset_m;
        assert!(r.within(300.0), "{h:?}: {r:?}");
        assert!(r.distance_m.expect("distance") <= 2.0 * offset + 1e-9, "{h:?}: {r:?}");
    }
}

#[test]
fn households_far_from_the_network_fall_back_and_say_so() {
    let d = toy(street_grid(2, 100.0, &[]), &[(50.0, 50.0), (700.0, 50.0)], &[(0.0, 0.0)]);
    let p = CoverageParams { snap_limit_m: 150.0, detour_factor: 1.3, ..params(1000.0) };
    let cov = coverage(&d, &p, None).expect("coverage");
    let r = &cov.kinds[0].reach;
    assert_eq!(r[0].method, Method::Network);
    assert_eq!(r[1].method, Method::EuclideanOffNetwork);
    let expected = (700.0f64).hypot(50.0) * 1.3;
    assert!((r[1].distance_m.expect("distance") - expected).abs() < 1e-9);
}

/// Issue #9: a household 5 m from a plaza outline that joins nothing, 45 m from the street network with the
/// school: it is measured over the street network from the nearer street edge, and the row says so.
#[test]
fn a_household_beside_a_small_disconnected_piece_walks_from_the_main_network() {
    let mut ways = street_grid(2, 100.0, &[]);
    let plaza = |id: &str, a: (f64, f64), b: (f64, f64)| WalkWay {
        id: id.into(),
        class: "pedestrian".into(),
        line: LineString::from(vec![a, b]),
        node_ids: None,
    };
    ways.push(plaza("plaza", (240.0, 40.0), (240.0, 60.0)));
    let d = toy(ways, &[(245.0, 50.0)], &[(0.0, 0.0)]);
    let p = CoverageParams { snap_limit_m: 150.0, ..params(1000.0) };
    let cov = coverage(&d, &p, None).expect("coverage");
    let r = cov.kinds[0].reach[0];
    assert_eq!(r.method, Method::NetworkFartherEdge, "{r:?}");
    // 45 m to the street at x = 200, 50 m down to y = 0, then along it (bent halfway in each block) to the school.
    let along = 4.0 * 50f64.hypot(10.0);
    assert!((r.distance_m.expect("distance") - (45.0 + 50.0 + along)).abs() < 1e-6, "{r:?}");
    // New-site suggestions measure it from the same farther edge (and do not trip over it).
    let candidates = vec![gridplan::coverage::siting::Candidate {
        id: "c".into(),
        name: None,
        kind: String::new(),
        point: Point::new(200.0, 60.0),
    }];
    let p100 = CoverageParams { snap_limit_m: 150.0, new_sites: 1, ..params(100.0) };
    let cov100 = coverage(&d, &p100, None).expect("coverage");
    assert!(!cov100.kinds[0].reach[0].within(100.0));
    let sitings = gridplan::coverage::suggest_sites(&cov100, &candidates, &p100);
    // 45 m to the street, 10 m along it to the candidate: the one household is gained.
    assert_eq!((sitings[0].households_uncovered, sitings[0].households_gained), (1, 1), "{:?}", sitings[0]);
    // Without a reachable piece within the snap limit it stays a straight-line fallback.
    let p = CoverageParams { snap_limit_m: 20.0, ..params(1000.0) };
    let cov = coverage(&d, &p, None).expect("coverage");
    assert_eq!(cov.kinds[0].reach[0].method, Method::EuclideanDisconnected);
}

/// The sample extract end to end: every output written, every household in the summary, ledger rows only for
/// households outside the threshold, byte-identical on a second run.
#[test]
fn coverage_run_directory_on_the_sample() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plan_path = import_sample(dir.path(), "sample");
    let part = dir.path().join("run");
    let o = bin().arg("partition").arg(&plan_path).arg("--out").arg(&part).output().expect("partition");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let runs: Vec<_> = ["a", "b"].iter().map(|n| dir.path().join(n)).collect();
    for r in &runs {
        let o = bin()
            .arg("coverage")
            .arg(&plan_path)
            .arg("--out")
            .arg(r)
            .arg("--grids")
            .arg(&part)
            .output()
            .expect("coverage");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let plan = Plan::from_path(&plan_path).expect("plan");
    let mut files: Vec<String> =
        ["coverage.parquet", "coverage_summary.csv", "uncovered.csv", "sites.csv", "sites.geojson"]
            .iter()
            .map(|f| f.to_string())
            .collect();
    for kind in plan.config.coverage.thresholds.keys() {
        files.push(format!("charts/coverage_{kind}.png"));
        files.push(format!("charts/coverage_{kind}.svg"));
    }
    for f in &files {
        assert_eq!(std::fs::read(runs[0].join(f)).expect(f), std::fs::read(runs[1].join(f)).expect(f), "{f}");
    }
    let png = std::fs::read(runs[0].join("charts/coverage_park.png")).expect("png");
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    let svg = std::fs::read_to_string(runs[0].join("charts/coverage_park.svg")).expect("svg");
    assert!(svg.contains("公园与游园") && svg.contains("已覆盖住户"), "Chinese title and legend in the SVG");
    let d = gridplan::load::load_plan(&plan).expect("load");
    let bytes = std::fs::read(runs[0].join("coverage_summary.csv")).expect("summary");
    assert!(bytes.starts_with("\u{feff}".as_bytes()), "a BOM for Excel");
    let mut r = csv::Reader::from_reader(&bytes[3..]);
    let mut all_rows = 0;
    for row in r.records() {
        let row = row.expect("row");
        if &row[2] == "all" {
            all_rows += 1;
            assert_eq!(row[5].parse::<u64>().expect("households"), d.total_households(), "{row:?}");
        }
    }
    assert_eq!(
        all_rows,
        plan.config.coverage.thresholds.len() * 3,
        "each kind at 300 / 500 / 1,000 m (its own threshold is one of them)"
    );
    let df = polars_parquet(&runs[0].join("coverage.parquet"));
    assert_eq!(df.0, d.buildings.iter().filter(|b| b.households > 0).count() * plan.config.coverage.thresholds.len());
    assert!(df.1.iter().any(|c| c == "distance_m") && df.1.iter().any(|c| c == "method"));
}

fn polars_parquet(path: &std::path::Path) -> (usize, Vec<String>) {
    use polars_io::SerReader;
    let df = polars_io::parquet::read::ParquetReader::new(std::fs::File::open(path).expect("open"))
        .finish()
        .expect("parquet");
    (df.height(), df.get_column_names().iter().map(|c| c.to_string()).collect())
}

/// A candidates layer (CSV, Chinese headers) replaces "every building": suggestions come only from it, a
/// candidate with a kind only serves that kind, and the number of households no candidate reaches is reported.
#[test]
fn suggestions_come_from_the_candidates_layer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plan_path = import_sample(dir.path(), "sample");
    let out = plan_path.parent().expect("dir").to_path_buf();
    let plan = Plan::from_path(&plan_path).expect("plan");
    let d = gridplan::load::load_plan(&plan).expect("load");
    // Three candidates at building points of the sample (back in WGS84), one only for parks.
    let mut rows = String::from("编号,类型,名称,经度,纬度\n");
    for (i, b) in d.buildings.iter().step_by(97).take(3).enumerate() {
        let (lon, lat) = d.projection.inverse(b.point.x(), b.point.y());
        let kind = if i == 2 { "park" } else { "" };
        rows += &format!("c{i},{kind},候选{i},{lon:.7},{lat:.7}\n");
    }
    write(&out, "candidates.csv", rows);
    let mut text = std::fs::read_to_string(out.join("plan.toml")).expect("plan text");
    text += "\n[layers.candidates]\npath = \"candidates.csv\"\n";
    write(&out, "plan.toml", text);
    let run = dir.path().join("run");
    let o = bin()
        .arg("coverage")
        .arg(out.join("plan.toml"))
        .arg("--out")
        .arg(&run)
        .args(["--kinds", "park,school"])
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let bytes = std::fs::read(run.join("sites.csv")).expect("sites");
    let mut r = csv::Reader::from_reader(bytes.strip_prefix("\u{feff}".as_bytes()).expect("a BOM"));
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.expect("row")).collect();
    assert!(!rows.is_empty());
    for row in &rows {
        assert!(["c0", "c1", "c2"].contains(&&row[2]), "{row:?}");
        assert!(row[2] != *"c2" || row[0] == *"park", "c2 serves parks only: {row:?}");
        let gained: u64 = row[6].parse().expect("gained");
        let (before, uncoverable): (u64, u64) = (row[8].parse().expect("before"), row[9].parse().expect("uncoverable"));
        assert!(gained > 0 && gained + uncoverable <= before, "{row:?}");
    }
}
