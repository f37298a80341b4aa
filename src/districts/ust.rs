//! One ReCom split of a merged pair of districts: a uniform spanning tree of the pair's induced subgraph
//! (Wilson's algorithm: loop-erased random walks towards a random root), the subtree population under every
//! node, and the tree edges whose removal leaves both sides within the population bounds.
//!
//! All buffers live in `Splitter` and are reused from step to step: a step allocates nothing.

use super::graph::Graph;
use rand::{Rng, RngExt};

const NONE: u32 = u32::MAX;

/// Reusable buffers for splitting merged pairs on one graph.
#[derive(Debug, Clone)]
pub struct Splitter {
    /// Local index of every graph node in the current subgraph (`NONE` outside it).
    local: Vec<u32>,
    /// Graph node of every local node.
    pub nodes: Vec<u32>,
    /// Local adjacency in compressed rows.
    offsets: Vec<u32>,
    adj: Vec<u32>,
    /// Wilson: whether a local node is in the tree yet, and its parent towards the root.
    in_tree: Vec<bool>,
    pub parent: Vec<u32>,
    /// Subtree population under every local node, and children still to be summed (Kahn's order).
    pub below: Vec<u64>,
    pending: Vec<u32>,
    queue: Vec<u32>,
    /// Local nodes whose edge to their parent is a balanced cut.
    pub balanced: Vec<u32>,
    /// Side of every local node once a cut is chosen: 1 under the cut node, 2 the rest, 0 unknown.
    pub side: Vec<u8>,
    stack: Vec<u32>,
    /// The tree's root.
    pub root: u32,
    /// The subgraph's population.
    pub total: u64,
}

impl Splitter {
    /// Buffers for `graph`.
    pub fn new(graph: &Graph) -> Splitter {
        Splitter {
            local: vec![NONE; graph.len()],
            nodes: Vec::new(),
            offsets: Vec::new(),
            adj: Vec::new(),
            in_tree: Vec::new(),
            parent: Vec::new(),
            below: Vec::new(),
            pending: Vec::new(),
            queue: Vec::new(),
            balanced: Vec::new(),
            side: Vec::new(),
            stack: Vec::new(),
            root: 0,
            total: 0,
        }
    }

    /// Loads the subgraph induced by `a ∪ b` (node lists of two districts).
    pub fn load(&mut self, graph: &Graph, a: &[u32], b: &[u32]) {
        for &v in &self.nodes {
            self.local[v as usize] = NONE;
        }
        self.nodes.clear();
        self.nodes.extend_from_slice(a);
        self.nodes.extend_from_slice(b);
        for (i, &v) in self.nodes.iter().enumerate() {
            self.local[v as usize] = i as u32;
        }
        self.offsets.clear();
        self.adj.clear();
        self.offsets.push(0);
        self.total = 0;
        for &v in &self.nodes {
            self.total += u64::from(graph.population[v as usize]);
            for (w, _) in graph.neighbours(v) {
                let j = self.local[w as usize];
                if j != NONE {
                    self.adj.push(j);
                }
            }
            self.offsets.push(self.adj.len() as u32);
        }
    }

    /// Local index of graph node `v` in the loaded subgraph, if it is there.
    pub fn local_of(&self, v: u32) -> Option<u32> {
        let j = self.local[v as usize];
        (j != NONE).then_some(j)
    }

    /// Number of local nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Local neighbours of local node `i`.
    pub fn local_neighbours(&self, i: u32) -> &[u32] {
        &self.adj[self.offsets[i as usize] as usize..self.offsets[i as usize + 1] as usize]
    }

    /// Draws a uniform spanning tree of the loaded subgraph (Wilson's algorithm; the subgraph must be
    /// connected, which the union of two adjacent connected districts is).
    pub fn draw_tree(&mut self, rng: &mut impl Rng) {
        let m = self.nodes.len();
        self.in_tree.clear();
        self.in_tree.resize(m, false);
        self.parent.clear();
        self.parent.resize(m, NONE);
        self.root = rng.random_range(0..m as u32);
        self.in_tree[self.root as usize] = true;
        for start in 0..m as u32 {
            let mut u = start;
            while !self.in_tree[u as usize] {
                let row = &self.adj[self.offsets[u as usize] as usize..self.offsets[u as usize + 1] as usize];
                let next = row[rng.random_range(0..row.len())];
                self.parent[u as usize] = next;
                u = next;
            }
            let mut u = start;
            while !self.in_tree[u as usize] {
                self.in_tree[u as usize] = true;
                u = self.parent[u as usize];
            }
        }
    }

    /// Subtree populations of the drawn tree, and the nodes whose parent edge is a cut leaving both sides in
    /// `[min, max]`.
    pub fn find_balanced(&mut self, graph: &Graph, min: u64, max: u64) {
        let m = self.nodes.len();
        self.below.clear();
        self.below.extend(self.nodes.iter().map(|&v| u64::from(graph.population[v as usize])));
        self.pending.clear();
        self.pending.resize(m, 0);
        for (i, &p) in self.parent.iter().enumerate() {
            if i as u32 != self.root {
                self.pending[p as usize] += 1;
            }
        }
        self.queue.clear();
        self.queue.extend((0..m as u32).filter(|&i| self.pending[i as usize] == 0));
        self.balanced.clear();
        let mut head = 0;
        while head < self.queue.len() {
            let x = self.queue[head];
            head += 1;
            if x == self.root {
                continue;
            }
            let s = self.below[x as usize];
            if (min..=max).contains(&s) && (min..=max).contains(&(self.total - s)) {
                self.balanced.push(x);
            }
            let p = self.parent[x as usize];
            self.below[p as usize] += s;
            self.pending[p as usize] -= 1;
            if self.pending[p as usize] == 0 {
                self.queue.push(p);
            }
        }
    }

    /// Marks the side of every local node for a cut above `x`: 1 in `x`'s subtree, 2 elsewhere.
    pub fn mark_sides(&mut self, x: u32) {
        let m = self.nodes.len();
        self.side.clear();
        self.side.resize(m, 0);
        self.side[x as usize] = 1;
        self.side[self.root as usize] = 2;
        for start in 0..m as u32 {
            let mut u = start;
            while self.side[u as usize] == 0 {
                self.stack.push(u);
                u = self.parent[u as usize];
            }
            let s = self.side[u as usize];
            for w in self.stack.drain(..) {
                self.side[w as usize] = s;
            }
        }
    }

    /// Edges of the subgraph between the two sides (after `mark_sides`).
    pub fn seam_length(&self) -> u64 {
        let mut seam = 0;
        for i in 0..self.nodes.len() as u32 {
            if self.side[i as usize] == 1 {
                seam += self.local_neighbours(i).iter().filter(|&&j| self.side[j as usize] == 2).count() as u64;
            }
        }
        seam
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn wilson_draws_every_spanning_tree_of_a_four_cycle_equally() {
        // C4 has 4 spanning trees (drop one of its 4 edges): each should come up a quarter of the time.
        let g = Graph::new(vec![1; 4], &[(0, 1), (1, 2), (2, 3), (0, 3)]).unwrap();
        let mut s = Splitter::new(&g);
        s.load(&g, &[0, 1], &[2, 3]);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let mut counts = std::collections::BTreeMap::new();
        for _ in 0..40_000 {
            s.draw_tree(&mut rng);
            let mut tree: Vec<(u32, u32)> = (0..4u32)
                .filter(|&i| i != s.root)
                .map(|i| {
                    (
                        s.nodes[i as usize].min(s.nodes[s.parent[i as usize] as usize]),
                        s.nodes[i as usize].max(s.nodes[s.parent[i as usize] as usize]),
                    )
                })
                .collect();
            tree.sort_unstable();
            *counts.entry(tree).or_insert(0u32) += 1;
        }
        assert_eq!(counts.len(), 4);
        for &c in counts.values() {
            assert!((9_500..10_500).contains(&c), "{counts:?}");
        }
    }

    #[test]
    fn balanced_cuts_of_a_path_and_their_sides() {
        // Path 0-1-2-3-4-5, population 1 each: the only cut into 3 + 3 is the middle edge.
        let g = Graph::new(vec![1; 6], &[(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)]).unwrap();
        let mut s = Splitter::new(&g);
        s.load(&g, &[0, 1, 2], &[3, 4, 5]);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        s.draw_tree(&mut rng);
        s.find_balanced(&g, 3, 3);
        assert_eq!(s.balanced.len(), 1);
        let x = s.balanced[0];
        s.mark_sides(x);
        let ones: Vec<u32> = (0..6).filter(|&i| s.side[i] == 1).map(|i| s.nodes[i]).collect();
        assert!(ones == [0, 1, 2] || ones == [3, 4, 5], "{ones:?}");
        assert_eq!(s.seam_length(), 1);
    }
}
