//! Hard constraints of a districting plan, made into the graph itself so the first plan and the chain obey
//! them by construction:
//!
//! - **edges that may not be cut** and **units kept whole** (counties, tracts): their nodes are contracted
//!   into one node (a group the graph's edges do not connect becomes one node per connected piece, and is
//!   reported, since it cannot be whole in a contiguous plan);
//! - **nesting in a parent layer**: edges between different parents are dropped, so every district lies in
//!   one parent and each parent gets a whole number of districts (the components' arithmetic of
//!   `first_plan`). Those edges are always cut: their number is added back to every cut-edge count.
//!
//! The reduced graph keeps one edge per original edge between two reduced nodes (parallel edges allowed),
//! so cut edges, sums and perimeters on it are exactly those of the original plan.

use super::graph::Graph;
use crate::partition::graph::UnionFind;

/// What a plan must respect.
#[derive(Debug, Clone, Default)]
pub struct Constraints {
    /// Edges (indices into the graph's edge list) that may not be cut.
    pub uncuttable: Vec<usize>,
    /// A group label per node: nodes of one group (connected on the edges) in one district.
    pub whole: Option<Vec<u32>>,
    /// A parent label per node: no district crosses two parents.
    pub nest: Option<Vec<u32>>,
}

/// The graph with the constraints built in.
#[derive(Debug, Clone)]
pub struct Reduced {
    /// Reduced node of every original node.
    pub node_of: Vec<u32>,
    /// Population of every reduced node.
    pub population: Vec<u64>,
    /// Reduced edges, one per original edge between two different reduced nodes of one parent.
    pub edges: Vec<(usize, usize)>,
    /// The original edge of every reduced edge.
    pub origin: Vec<usize>,
    /// Original edges dropped between parents (always cut).
    pub between_parents: Vec<usize>,
    /// Groups to keep whole that the graph's edges split into several pieces (label, pieces).
    pub split_groups: Vec<(u32, usize)>,
}

impl Reduced {
    /// Whether nothing was contracted or dropped.
    pub fn is_identity(&self) -> bool {
        self.population.len() == self.node_of.len() && self.between_parents.is_empty()
    }

    /// Expands a plan of the reduced nodes to the original nodes.
    pub fn expand<T: Copy>(&self, plan: &[T]) -> Vec<T> {
        self.node_of.iter().map(|&r| plan[r as usize]).collect()
    }

    /// Sums a node quantity over each reduced node.
    pub fn sum(&self, values: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; self.population.len()];
        for (v, &r) in self.node_of.iter().enumerate() {
            out[r as usize] += values[v];
        }
        out
    }
}

/// Builds the constraints into the graph (`edges` as read: `a < b`).
pub fn reduce(n: usize, edges: &[(usize, usize)], population: &[u64], c: &Constraints) -> Result<Reduced, String> {
    let parent_of = |v: usize| c.nest.as_ref().map(|p| p[v]);
    let mut uf = UnionFind::new(n);
    for &e in &c.uncuttable {
        let &(a, b) = edges.get(e).ok_or_else(|| format!("uncuttable edge {e} is not an edge of the graph"))?;
        if parent_of(a) != parent_of(b) {
            return Err(format!(
                "an edge that may not be cut joins two parents (nodes {a} and {b}): it cannot be kept and nested"
            ));
        }
        uf.union(a, b);
    }
    if let Some(whole) = &c.whole {
        for &(a, b) in edges {
            if whole[a] == whole[b] && parent_of(a) == parent_of(b) {
                uf.union(a, b);
            }
        }
    }
    let mut node_of = vec![u32::MAX; n];
    let mut root_node = vec![u32::MAX; n];
    let mut pop = Vec::new();
    for v in 0..n {
        let root = uf.find(v);
        if root_node[root] == u32::MAX {
            root_node[root] = pop.len() as u32;
            pop.push(0u64);
        }
        node_of[v] = root_node[root];
        pop[node_of[v] as usize] += population[v];
    }
    // Every reduced node lies in one parent: uncuttable edges across parents are refused above, and groups
    // are contracted only within one parent.
    let mut reduced_edges = Vec::new();
    let mut origin = Vec::new();
    let mut between_parents = Vec::new();
    for (e, &(a, b)) in edges.iter().enumerate() {
        if parent_of(a) != parent_of(b) {
            between_parents.push(e);
            continue;
        }
        let (ra, rb) = (node_of[a] as usize, node_of[b] as usize);
        if ra != rb {
            reduced_edges.push((ra.min(rb), ra.max(rb)));
            origin.push(e);
        }
    }
    let mut split_groups = Vec::new();
    if let Some(whole) = &c.whole {
        let mut pieces: std::collections::BTreeMap<u32, std::collections::BTreeSet<u32>> = Default::default();
        for v in 0..n {
            pieces.entry(whole[v]).or_default().insert(node_of[v]);
        }
        split_groups = pieces.into_iter().filter(|(_, p)| p.len() > 1).map(|(g, p)| (g, p.len())).collect();
    }
    Ok(Reduced { node_of, population: pop, edges: reduced_edges, origin, between_parents, split_groups })
}

/// The chain's graph of a reduced graph (populations must fit `u32`).
pub fn chain_graph(r: &Reduced) -> Result<Graph, String> {
    let population = r
        .population
        .iter()
        .map(|&p| u32::try_from(p).map_err(|_| format!("a unit of {p} people: at most 4,294,967,295")))
        .collect::<Result<_, _>>()?;
    Graph::new(population, &r.edges)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_groups_contract_uncuttable_edges_join_and_parents_drop_their_edges() {
        // Path 0-1-2-3-4-5; groups {0,1} {2,3} {4,5} kept whole; edge 4-5 uncuttable anyway; parents {0..3} {4,5}.
        let edges = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)];
        let pop = [1, 2, 3, 4, 5, 6];
        let c = Constraints {
            uncuttable: vec![4],
            whole: Some(vec![0, 0, 1, 1, 2, 2]),
            nest: Some(vec![0, 0, 0, 0, 1, 1]),
        };
        let r = reduce(6, &edges, &pop, &c).unwrap();
        assert_eq!(r.node_of, [0, 0, 1, 1, 2, 2]);
        assert_eq!(r.population, [3, 7, 11]);
        assert_eq!((r.edges.clone(), r.origin.clone(), r.between_parents.clone()), (vec![(0, 1)], vec![1], vec![3]));
        assert_eq!(r.expand(&[7u8, 8, 9]), [7, 7, 8, 8, 9, 9]);
        // A group the edges do not connect is reported, and an uncuttable edge across parents refused.
        let c = Constraints { whole: Some(vec![0, 1, 0, 2, 2, 2]), ..Default::default() };
        assert_eq!(reduce(6, &edges, &pop, &c).unwrap().split_groups, [(0, 2)]);
        let c = Constraints { uncuttable: vec![3], nest: Some(vec![0, 0, 0, 0, 1, 1]), ..Default::default() };
        assert!(reduce(6, &edges, &pop, &c).unwrap_err().contains("two parents"));
    }
}
