//! Analysts' graphs (issue #13): networkx adjacency JSON as GerryChain writes it, read with its own ids.

use super::util::*;
use gridplan::load::graph_json::GraphJson;

#[test]
fn gerrychain_arkansas_reads_with_its_geoids_edges_and_population() {
    let g = GraphJson::read(&dataset("redistricting/AR_2020_blockgroups.gerrychain.json.gz"), 1 << 30).unwrap();
    assert_eq!((g.ids.len(), g.edges.len()), (2294, 6357));
    assert!(g.ids.iter().all(|id| id.len() == 12 && id.starts_with("05")), "GEOIDs kept as text");
    let pop = g.population("tot_pop_20").unwrap();
    assert_eq!(pop.iter().sum::<u64>(), 3_011_524);
}

#[test]
fn a_fractional_population_is_refused_with_the_node_named() {
    let g = GraphJson::read(&dataset("redistricting/RI_precincts.rook.json.gz"), 1 << 30).unwrap();
    assert_eq!(g.ids.len(), 419);
    let e = g.population("TOTPOP").unwrap_err().to_string();
    assert!(e.contains("RI_precincts") && e.contains("node ") && e.contains("whole number"), "{e}");
}

#[test]
fn districts_on_arkansas_are_exactly_35_contiguous_within_two_percent_and_seeded() {
    let dir = tempfile::tempdir().unwrap();
    let graph = dataset("redistricting/AR_2020_blockgroups.gerrychain.json.gz");
    let run = |out: &std::path::Path, k: &str| {
        bin()
            .arg("districts")
            .arg(&graph)
            .args(["--pop-col", "tot_pop_20", "--districts", k, "--tolerance", "0.02", "--seed", "5", "--out"])
            .arg(out)
            .output()
            .unwrap()
    };
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    assert!(run(&a, "35").status.success());
    assert!(run(&b, "35").status.success());
    let text = std::fs::read_to_string(a.join("assignment.csv")).unwrap();
    assert_eq!(text, std::fs::read_to_string(b.join("assignment.csv")).unwrap(), "same seed, same plan");
    assert_eq!(text.lines().count(), 2295);
    assert!(text.lines().nth(1).unwrap().starts_with("05"), "the graph's own ids");
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(a.join("run.json")).unwrap()).unwrap();
    assert_eq!(v["populations"].as_array().unwrap().len(), 35);
    assert_eq!(v["contiguous"], true);
    assert!(v["max_deviation"].as_f64().unwrap() <= 0.02);
    // Independent check of the written plan: every district one piece of the graph.
    let g = GraphJson::read(&graph, 1 << 30).unwrap();
    let district: Vec<usize> = text.lines().skip(1).map(|l| l.split(',').nth(1).unwrap().parse().unwrap()).collect();
    let mut uf: Vec<usize> = (0..district.len()).collect();
    fn find(uf: &mut [usize], x: usize) -> usize {
        if uf[x] != x {
            let r = find(uf, uf[x]);
            uf[x] = r;
        }
        uf[x]
    }
    for &(x, y) in &g.edges {
        if district[x] == district[y] {
            let (rx, ry) = (find(&mut uf, x), find(&mut uf, y));
            uf[rx] = ry;
        }
    }
    let mut roots = std::collections::BTreeMap::new();
    for (s, d) in district.iter().enumerate() {
        let r = find(&mut uf, s);
        roots.entry(*d).or_insert_with(std::collections::BTreeSet::new).insert(r);
    }
    assert!(roots.len() == 35 && roots.values().all(|r| r.len() == 1));
    // More districts than the tolerance allows is an error, never another K.
    let o = run(&dir.path().join("c"), "3000");
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("1 ≤ K ≤ 2294"));
}

#[test]
fn prorated_populations_round_by_largest_remainder_and_islands_get_a_proof_not_a_different_k() {
    let g = GraphJson::read(&dataset("redistricting/RI_precincts.rook.json.gz"), 1 << 30).unwrap();
    let rounded = g.population_rounded("TOTPOP", true).unwrap();
    let exact: f64 = g.node_numbers("TOTPOP").iter().map(|x| x.unwrap()).sum();
    assert_eq!(rounded.iter().sum::<u64>(), exact.round() as u64, "the rounded total kept");
    let dir = tempfile::tempdir().unwrap();
    let out = bin()
        .arg("districts")
        .arg(dataset("redistricting/RI_precincts.rook.json.gz"))
        .args(["--pop-col", "TOTPOP", "--round-population", "--districts", "2", "--out"])
        .arg(dir.path().join("ri"))
        .output()
        .unwrap();
    let msg = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && msg.contains("5 connected components") && msg.contains("proof"), "{msg}");
}
