//! The graph a chain walks on: nodes with populations, undirected edges, adjacency in compressed rows with
//! the edge id beside every neighbour (so a step touches only the rows of the two districts it merges).

/// An undirected graph of units with populations, in compressed-row form.
#[derive(Debug, Clone)]
pub struct Graph {
    /// Row starts: the neighbours of node `v` are `neighbours[offsets[v]..offsets[v + 1]]`.
    offsets: Vec<u32>,
    /// Neighbour of each adjacency slot.
    neighbours: Vec<u32>,
    /// Edge id of each adjacency slot (an index into `edges`).
    edge_ids: Vec<u32>,
    /// Edges `(a, b)`, `a < b`, as given.
    pub edges: Vec<(u32, u32)>,
    /// Population of every node.
    pub population: Vec<u32>,
}

impl Graph {
    /// Builds the rows from an edge list (`a < b`, no duplicates or self-loops, as `GraphJson` gives them).
    pub fn new(population: Vec<u32>, edges: &[(usize, usize)]) -> Result<Graph, String> {
        let n = population.len();
        if n >= u32::MAX as usize || edges.len() >= u32::MAX as usize {
            return Err(format!("{n} nodes and {} edges: at most 4,294,967,294 of each", edges.len()));
        }
        let mut degree = vec![0u32; n + 1];
        for &(a, b) in edges {
            if a >= n || b >= n || a == b {
                return Err(format!("edge ({a}, {b}) does not join two of the {n} nodes"));
            }
            degree[a] += 1;
            degree[b] += 1;
        }
        let mut offsets = vec![0u32; n + 1];
        for v in 0..n {
            offsets[v + 1] = offsets[v] + degree[v];
        }
        let mut fill = offsets.clone();
        let mut neighbours = vec![0u32; 2 * edges.len()];
        let mut edge_ids = vec![0u32; 2 * edges.len()];
        for (e, &(a, b)) in edges.iter().enumerate() {
            for (x, y) in [(a, b), (b, a)] {
                let slot = fill[x] as usize;
                neighbours[slot] = y as u32;
                edge_ids[slot] = e as u32;
                fill[x] += 1;
            }
        }
        let edges = edges.iter().map(|&(a, b)| (a as u32, b as u32)).collect();
        Ok(Graph { offsets, neighbours, edge_ids, edges, population })
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.population.len()
    }

    /// Whether the graph has no nodes.
    pub fn is_empty(&self) -> bool {
        self.population.is_empty()
    }

    /// Neighbours of `v` with the id of the edge to each.
    pub fn neighbours(&self, v: u32) -> impl Iterator<Item = (u32, u32)> + '_ {
        let (s, e) = (self.offsets[v as usize] as usize, self.offsets[v as usize + 1] as usize);
        self.neighbours[s..e].iter().copied().zip(self.edge_ids[s..e].iter().copied())
    }

    /// Total population.
    pub fn total_population(&self) -> u64 {
        self.population.iter().map(|&p| u64::from(p)).sum()
    }
}

/// The rook edges of a `w` × `h` lattice (node `y · w + x`), for tests and examples.
pub fn lattice_edges(w: usize, h: usize) -> Vec<(usize, usize)> {
    let mut edges = Vec::new();
    for i in 0..w * h {
        if i % w + 1 < w {
            edges.push((i, i + 1));
        }
        if i + w < w * h {
            edges.push((i, i + w));
        }
    }
    edges
}
