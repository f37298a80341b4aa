//! Adjacency graphs as networkx writes them (`networkx.readwrite.json_graph.adjacency_data`, which GerryChain's
//! `Graph.to_json` uses): `nodes` with their attributes, `adjacency` lists in node order, node ids of any JSON
//! type kept as their text. Python writes missing numbers as bare `NaN` / `Infinity`, which JSON does not
//! have: they are read as missing values (null), so a `NaN` population is an error that names the node, never
//! a silent zero. Gzip is read as for layers.

use super::error::LoadError;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A graph of units read from networkx adjacency JSON.
#[derive(Debug, Clone)]
pub struct GraphJson {
    /// The file.
    pub path: PathBuf,
    /// Node ids as written (`"05001"`, `17`, …), in file order.
    pub ids: Vec<String>,
    /// Node attributes (the `id` key removed).
    pub attributes: Vec<Map<String, Value>>,
    /// Undirected edges `(a, b)` with `a < b`, ascending, no duplicates or self-loops.
    pub edges: Vec<(usize, usize)>,
    /// Attributes of every edge as first listed (`shared_perim`, …; the `id` key removed).
    pub edge_attributes: Vec<Map<String, Value>>,
}

impl GraphJson {
    /// Reads a networkx adjacency JSON file (optionally gzip).
    pub fn read(path: &Path, max_decompressed: u64) -> Result<GraphJson, LoadError> {
        let (bytes, _) = super::source::read_bytes(path, max_decompressed)?;
        let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes))
            .map_err(|e| LoadError::data(path, None, None, None, format!("a graph JSON must be UTF-8 text: {e}")))?;
        let text = python_numbers_as_null(text);
        let v: Value = serde_json::from_str(&text).map_err(|e| LoadError::Json {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        let bad = |field: &str, rule: String| LoadError::data(path, None, Some(field), None, rule);
        if v["type"] == "FeatureCollection" {
            return Err(bad(
                "type",
                "a GeoJSON layer, not a networkx graph: give it with --adjacency rook|queen (and --id-col) to build the graph from its polygons".into(),
            ));
        }
        let nodes = v["nodes"].as_array().ok_or_else(|| {
            bad(
                "nodes",
                "not a networkx adjacency graph: expected a \"nodes\" list (GerryChain's Graph.to_json)".into(),
            )
        })?;
        let adjacency = v["adjacency"].as_array().ok_or_else(|| {
            bad("adjacency", "not a networkx adjacency graph: expected an \"adjacency\" list (one per node)".into())
        })?;
        if adjacency.len() != nodes.len() {
            return Err(bad(
                "adjacency",
                format!("{} adjacency lists for {} nodes: networkx writes one per node", adjacency.len(), nodes.len()),
            ));
        }
        let mut ids = Vec::with_capacity(nodes.len());
        let mut attributes = Vec::with_capacity(nodes.len());
        let mut index: HashMap<String, usize> = HashMap::with_capacity(nodes.len());
        for (i, node) in nodes.iter().enumerate() {
            let mut attrs =
                node.as_object().cloned().ok_or_else(|| bad("nodes", format!("node {i} is not an object")))?;
            let id = attrs.remove("id").map(|v| id_text(&v)).filter(|s| !s.is_empty());
            let id = id.ok_or_else(|| bad("nodes", format!("node {i} has no \"id\"")))?;
            if index.insert(id.clone(), i).is_some() {
                return Err(LoadError::data(path, None, Some("id"), Some(id), "each node id appears once"));
            }
            ids.push(id);
            attributes.push(attrs);
        }
        let mut edges = Vec::new();
        for (i, list) in adjacency.iter().enumerate() {
            let list = list
                .as_array()
                .ok_or_else(|| bad("adjacency", format!("the list of node {} is not a list", ids[i])))?;
            for entry in list {
                let other = id_text(&entry["id"]);
                let Some(&j) = index.get(&other) else {
                    return Err(LoadError::data(
                        path,
                        None,
                        Some("adjacency"),
                        Some(format!("{} → {other}", ids[i])),
                        "a neighbour that is not a node",
                    ));
                };
                if i != j {
                    let mut attrs = entry.as_object().cloned().unwrap_or_default();
                    attrs.remove("id");
                    edges.push(((i.min(j), i.max(j)), attrs));
                }
            }
        }
        // Stable: the first listing of an edge keeps its attributes.
        edges.sort_by_key(|e| e.0);
        edges.dedup_by_key(|e| e.0);
        let (edges, edge_attributes) = edges.into_iter().unzip();
        Ok(GraphJson { path: path.to_path_buf(), ids, attributes, edges, edge_attributes })
    }

    /// A numeric node attribute, `None` where it is missing or not a number.
    pub fn node_numbers(&self, column: &str) -> Vec<Option<f64>> {
        self.attributes.iter().map(|a| a.get(column).and_then(number)).collect()
    }

    /// A numeric edge attribute, `None` where it is missing or not a number.
    pub fn edge_numbers(&self, column: &str) -> Vec<Option<f64>> {
        self.edge_attributes.iter().map(|a| a.get(column).and_then(number)).collect()
    }

    /// The population of every node from `column`; with `round` fractional values (prorated populations)
    /// are rounded by largest remainder so that the total is the rounded total, else they are refused.
    pub fn population_rounded(&self, column: &str, round: bool) -> Result<Vec<u64>, LoadError> {
        if !round {
            return self.population(column);
        }
        let values: Vec<f64> = self
            .attributes
            .iter()
            .zip(&self.ids)
            .map(|(attrs, id)| match attrs.get(column).and_then(number) {
                Some(x) if (0.0..=4.0e9).contains(&x) => Ok(x),
                other => Err(LoadError::data(
                    &self.path,
                    None,
                    Some(column),
                    other.map(|x| x.to_string()),
                    format!("node {id}: missing, NaN, negative or above 4,000,000,000: a population is needed"),
                )),
            })
            .collect::<Result<_, _>>()?;
        let total = values.iter().sum::<f64>().round() as u64;
        Ok(crate::estimate::apportion_rounded(&values, total).into_iter().map(u64::from).collect())
    }

    /// The whole, non-negative population of every node from attribute `column` (a number, or a number
    /// written as text); missing, `NaN`, negative or fractional values are errors naming the node.
    pub fn population(&self, column: &str) -> Result<Vec<u64>, LoadError> {
        self.attributes
            .iter()
            .zip(&self.ids)
            .map(|(attrs, id)| {
                let err = |value: Option<String>, rule: &str| {
                    LoadError::data(&self.path, None, Some(column), value, format!("node {id}: {rule}"))
                };
                let value = attrs.get(column).ok_or_else(|| {
                    let names: Vec<&str> = attrs.keys().map(String::as_str).take(30).collect();
                    err(None, &format!("no such attribute (attributes: {})", names.join(", ")))
                })?;
                match number(value) {
                    Some(x) if x >= 0.0 && x.fract() == 0.0 && x <= 9.0e15 => Ok(x as u64),
                    Some(x) => Err(err(
                        Some(x.to_string()),
                        "a population is a whole number ≥ 0 (prorated populations: --round-population rounds them, keeping the rounded total)",
                    )),
                    None => Err(err(Some(value.to_string()), "missing or not a number (NaN?): a population is needed")),
                }
            })
            .collect()
    }
}

/// A number, or a number written as text.
fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
}

/// A node id as text: strings as they are, numbers as written.
fn id_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Python's `NaN`, `Infinity` and `-Infinity` outside strings replaced by `null`.
fn python_numbers_as_null(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("NaN") && !text.contains("Infinity") {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            rest = &rest[c.len_utf8()..];
            continue;
        }
        if c == '"' {
            in_string = true;
        }
        let token = ["-Infinity", "Infinity", "NaN"].into_iter().find(|t| rest.starts_with(t));
        match token {
            Some(t) => {
                out.push_str("null");
                rest = &rest[t.len()..];
            }
            None => {
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_outside_strings_is_null_and_inside_strings_stays() {
        let t = r#"{"a": NaN, "b": "NaN \" Infinity", "c": [-Infinity, 1]}"#;
        let v: Value = serde_json::from_str(&python_numbers_as_null(t)).unwrap();
        assert_eq!(
            (v["a"].clone(), v["b"].as_str(), v["c"][0].clone()),
            (Value::Null, Some("NaN \" Infinity"), Value::Null)
        );
    }

    #[test]
    fn a_networkx_graph_keeps_its_ids_and_names_a_nan_population() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("g.json");
        let text = r#"{"directed": false, "multigraph": false, "graph": [],
            "nodes": [{"id": "05001", "TOTPOP": 120}, {"id": 17, "TOTPOP": NaN}, {"id": "x", "TOTPOP": "30"}],
            "adjacency": [[{"id": 17}, {"id": "x"}], [{"id": "05001"}], [{"id": "05001"}, {"id": "x"}]]}"#;
        std::fs::write(&p, text).unwrap();
        let g = GraphJson::read(&p, 1 << 20).unwrap();
        assert_eq!(g.ids, ["05001", "17", "x"]);
        assert_eq!(g.edges, [(0, 1), (0, 2)]);
        let e = g.population("TOTPOP").unwrap_err().to_string();
        assert!(e.contains("g.json") && e.contains("node 17") && e.contains("TOTPOP"), "{e}");
        let e = g.population("POP").unwrap_err().to_string();
        assert!(e.contains("no such attribute") && e.contains("TOTPOP"), "{e}");
        std::fs::write(&p, text.replace("NaN", "5")).unwrap();
        assert_eq!(GraphJson::read(&p, 1 << 20).unwrap().population("TOTPOP").unwrap(), [120, 5, 30]);
        std::fs::write(&p, r#"{"type": "FeatureCollection", "features": []}"#).unwrap();
        let e = GraphJson::read(&p, 1 << 20).unwrap_err().to_string();
        assert!(e.contains("not a networkx graph") && e.contains("--adjacency"), "{e}");
        std::fs::write(&p, r#"{"nodes": []}"#).unwrap();
        let e = GraphJson::read(&p, 1 << 20).unwrap_err().to_string();
        assert!(e.contains("networkx adjacency graph"), "{e}");
    }
}
