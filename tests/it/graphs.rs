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
