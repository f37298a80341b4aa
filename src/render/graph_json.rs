//! The unit graph as networkx adjacency JSON, the format GerryChain's `Graph.from_json` reads, for the
//! side-by-side comparison with GerryChain and spopt (`benches/peers/`). Every Delaunay link is kept,
//! including those across hard barriers (flagged `barrier`), because the peers know nothing of barriers and
//! are scored on how often they cross them.

use crate::config::PlanConfig;
use crate::model::Dataset;
use crate::partition::graph::{BarrierIndex, site_links};
use crate::partition::{Member, sites_of};
use serde_json::{Value, json};

/// The mark a graph file carries, so that `export-graph` replaces only its own files.
pub const WRITTEN_BY: &str = "gridplan export-graph";

/// Whether a file's bytes are a graph `export-graph` wrote.
pub fn is_graph_json(bytes: &[u8]) -> bool {
    serde_json::from_slice::<Value>(bytes).is_ok_and(|v| v["graph"]["written_by"] == WRITTEN_BY)
}

/// The graph of all sites (buildings with households) of the dataset, or of one street.
pub fn graph_json(d: &Dataset, config: &PlanConfig, street: Option<usize>) -> Value {
    let (sites, _) = sites_of(d);
    let sites: Vec<_> = sites.into_iter().filter(|s| street.is_none() || s.street == street).collect();
    let barriers = BarrierIndex::hard(d, &config.barriers.classes);
    let points: Vec<geo::Point> = sites.iter().map(|s| s.point).collect();
    let links = site_links(&points, config.partition.max_edge_m, &barriers);
    let nodes: Vec<Value> = sites
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let id = match s.member {
                Member::Building(b) => d.buildings[b].id.clone(),
                Member::Household(h) => d.households[h].id.clone(),
            };
            json!({
                "id": i,
                "unit": id,
                "households": s.households,
                "x": (s.point.x() * 10.0).round() / 10.0,
                "y": (s.point.y() * 10.0).round() / 10.0,
                "compound": s.compound.map(|c| d.compounds[c].id.clone()),
                "street": s.street.map(|a| d.admin_areas[a].id.clone()),
            })
        })
        .collect();
    let mut adjacency: Vec<Vec<Value>> = vec![Vec::new(); sites.len()];
    for l in &links {
        let barrier = l.barrier.map(|b| d.barriers[b].class.clone());
        let length = (l.length_m * 10.0).round() / 10.0;
        adjacency[l.a].push(json!({"id": l.b, "barrier": barrier, "length_m": length}));
        adjacency[l.b].push(json!({"id": l.a, "barrier": barrier, "length_m": length}));
    }
    json!({
        "directed": false,
        "multigraph": false,
        "graph": {"written_by": WRITTEN_BY, "band_min": config.bands.basic.min(), "band_max": config.bands.basic.max()},
        "nodes": nodes,
        "adjacency": adjacency,
    })
}

/// An analyst's graph (read, or built from polygons) as networkx adjacency JSON: node ids as read, every
/// attribute, `shared_perim` and other edge attributes on both directions of each edge.
pub fn analyst_graph_json(g: &crate::load::graph_json::GraphJson, built_by: &str) -> Value {
    let nodes: Vec<Value> = g
        .ids
        .iter()
        .zip(&g.attributes)
        .map(|(id, attrs)| {
            let mut node = attrs.clone();
            node.insert("id".into(), Value::String(id.clone()));
            Value::Object(node)
        })
        .collect();
    let mut adjacency: Vec<Vec<Value>> = vec![Vec::new(); g.ids.len()];
    for (&(a, b), attrs) in g.edges.iter().zip(&g.edge_attributes) {
        for (x, y) in [(a, b), (b, a)] {
            let mut e = attrs.clone();
            e.insert("id".into(), Value::String(g.ids[y].clone()));
            adjacency[x].push(Value::Object(e));
        }
    }
    json!({
        "directed": false,
        "multigraph": false,
        "graph": {"written_by": built_by, "source": g.path.display().to_string()},
        "nodes": nodes,
        "adjacency": adjacency,
    })
}
