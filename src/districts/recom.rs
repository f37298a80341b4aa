//! The ReCom chain (DeFord, Duchin & Solomon 2021, "Recombination: a family of Markov chains for
//! redistricting"): merge two adjacent districts, draw a uniform spanning tree of their union, cut one tree
//! edge that leaves both sides within the population bounds. The three ways of choosing the pair are
//! GerryChain's and frcw's:
//!
//! - `cut-edges`: a cut edge uniformly at random (a pair's chance ∝ the edges it shares);
//! - `district-pairs`: an adjacent pair uniformly at random (pairs drawn from K × K until adjacent);
//! - `reversible` (Cannon, Duchin, Randall & Rule 2022): a pair from K × K, a self-loop when it is not
//!   adjacent, when the tree has no balanced cut, or with probability 1 − cuts ÷ (seam × M); reversible
//!   with respect to the spanning-tree distribution when no tree has more than M balanced cuts.
//!
//! When a tree has no balanced cut the non-reversible chains draw another tree for the same pair
//! (GerryChain) or choose a new pair (frcw), by `PairRetry`. The cut-edge set and the pair adjacency are
//! kept up to date from the rows of the two districts a step touches, so a step costs the size of the pair,
//! not of the graph.

use super::graph::Graph;
use super::ust::Splitter;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

const NONE: u32 = u32::MAX;

/// How the pair of districts is chosen (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Variant {
    /// A uniformly random cut edge.
    CutEdges,
    /// A uniformly random adjacent pair.
    DistrictPairs,
    /// Reversible ReCom.
    Reversible,
}

/// What a non-reversible chain does when a tree has no balanced cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PairRetry {
    /// Draw another tree for the same pair (GerryChain's `recom`).
    SamePair,
    /// Choose a new pair (frcw).
    NewPair,
}

/// Why a step left the plan as it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelfLoop {
    /// The pair drawn does not touch (reversible).
    NonAdjacent,
    /// The tree has no balanced cut (reversible).
    NoSplit,
    /// Rejected by the seam-length test (reversible).
    SeamLength,
}

impl SelfLoop {
    /// The name written in statistics.
    pub fn name(self) -> &'static str {
        match self {
            SelfLoop::NonAdjacent => "non_adjacent",
            SelfLoop::NoSplit => "no_split",
            SelfLoop::SeamLength => "seam_length",
        }
    }
}

/// One step of the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Districts `a` and `b` (0-based) were redrawn.
    Moved {
        /// The district that took the cut-off subtree.
        a: u32,
        /// The other.
        b: u32,
    },
    /// The plan stayed.
    SelfLoop(SelfLoop),
}

/// The parameters of a chain.
#[derive(Debug, Clone, Copy)]
pub struct Params {
    /// Pair selection.
    pub variant: Variant,
    /// Population bounds of a district.
    pub min: u64,
    /// Population bounds of a district.
    pub max: u64,
    /// M of reversible ReCom: an upper bound on the balanced cuts of any tree.
    pub balance_ub: u32,
    /// Non-reversible chains: what to do after a tree without a balanced cut.
    pub retry: PairRetry,
}

/// Trees drawn in one step before the chain gives up with an error (not a proof that no move exists).
const MAX_TREES_PER_STEP: u64 = 1_000_000;

/// A ReCom chain on one graph.
#[derive(Debug, Clone)]
pub struct Chain<'g> {
    graph: &'g Graph,
    params: Params,
    k: usize,
    /// District of every node, 0-based.
    pub assignment: Vec<u32>,
    /// Nodes of every district.
    pub members: Vec<Vec<u32>>,
    /// Population of every district.
    pub populations: Vec<u64>,
    cut_pos: Vec<u32>,
    cut_list: Vec<u32>,
    /// Cut edges between districts i and j at `i * k + j` (symmetric).
    pair_cut: Vec<u32>,
    split: Splitter,
    /// Nodes that changed district in the last move, with their previous district.
    pub moved: Vec<(u32, u32)>,
    /// Spanning trees drawn so far.
    pub trees: u64,
    /// Districts the chain never redraws (kept as the starting plan has them).
    frozen: Vec<bool>,
    rng: ChaCha8Rng,
}

impl<'g> Chain<'g> {
    /// A chain from a plan (0-based districts `0..k`), which must have every district non-empty, connected
    /// and within the bounds.
    pub fn new(
        graph: &'g Graph,
        assignment: Vec<u32>,
        k: usize,
        params: Params,
        rng: ChaCha8Rng,
    ) -> Result<Self, String> {
        Self::with_frozen(graph, assignment, k, params, rng, vec![false; k])
    }

    /// A chain that never redraws the districts marked in `frozen` (they need not be in bounds or connected);
    /// every other district must be non-empty, connected and within the bounds.
    pub fn with_frozen(
        graph: &'g Graph,
        assignment: Vec<u32>,
        k: usize,
        params: Params,
        rng: ChaCha8Rng,
        frozen: Vec<bool>,
    ) -> Result<Self, String> {
        if frozen.len() != k {
            return Err(format!("{} frozen marks for {k} districts", frozen.len()));
        }
        if k < 2 {
            return Err(format!("a chain needs at least 2 districts, not {k}"));
        }
        if k > 4096 {
            return Err(format!("{k} districts: this version runs chains with at most 4,096"));
        }
        if assignment.len() != graph.len() {
            return Err(format!("a plan of {} nodes for a graph of {}", assignment.len(), graph.len()));
        }
        let mut members = vec![Vec::new(); k];
        let mut populations = vec![0u64; k];
        for (v, &d) in assignment.iter().enumerate() {
            let Some(m) = members.get_mut(d as usize) else {
                return Err(format!("node {v} is in district {} of {k}", d + 1));
            };
            m.push(v as u32);
            populations[d as usize] += u64::from(graph.population[v]);
        }
        let (min, max) = (params.min, params.max);
        if let Some((d, p)) = populations.iter().enumerate().find(|&(d, &p)| !frozen[d] && (p < min || p > max)) {
            return Err(format!(
                "the starting plan's district {} has {p} people, outside {min}–{max}: a chain starts from a plan within the tolerance",
                d + 1
            ));
        }
        let mut chain = Chain {
            graph,
            params,
            k,
            assignment,
            members,
            populations,
            cut_pos: vec![NONE; graph.edges.len()],
            cut_list: Vec::new(),
            pair_cut: vec![0; k * k],
            split: Splitter::new(graph),
            moved: Vec::new(),
            trees: 0,
            frozen,
            rng,
        };
        for e in 0..graph.edges.len() as u32 {
            chain.mark_cut(e);
        }
        if !chain.cut_list.iter().any(|&e| chain.movable(e)) {
            return Err(
                "no two districts of the starting plan that may change touch: ReCom has no pair to merge".into()
            );
        }
        if let Some(d) = (0..k).find(|&d| !chain.frozen[d] && !chain.district_connected(d)) {
            return Err(format!(
                "the starting plan's district {} is not connected on the graph's edges: ReCom needs contiguous districts",
                d + 1
            ));
        }
        Ok(chain)
    }

    /// Number of districts.
    pub fn k(&self) -> usize {
        self.k
    }

    /// Number of cut edges.
    pub fn cut_edges(&self) -> usize {
        self.cut_list.len()
    }

    /// Whether edge `e` joins two districts.
    pub fn is_cut(&self, e: u32) -> bool {
        self.cut_pos[e as usize] != NONE
    }

    /// The graph.
    pub fn graph(&self) -> &'g Graph {
        self.graph
    }

    /// One step.
    pub fn step(&mut self) -> Result<Step, String> {
        let reversible = self.params.variant == Variant::Reversible;
        let mut trees_this_step = 0u64;
        loop {
            let (a, b) = match self.choose_pair() {
                Some(p) => p,
                None => return Ok(Step::SelfLoop(SelfLoop::NonAdjacent)),
            };
            let (ma, mb) = (&self.members[a as usize], &self.members[b as usize]);
            self.split.load(self.graph, ma, mb);
            loop {
                trees_this_step += 1;
                self.trees += 1;
                if trees_this_step > MAX_TREES_PER_STEP {
                    return Err(format!(
                        "{MAX_TREES_PER_STEP} spanning trees in one step without a balanced cut (not a proof that none exists: the tolerance may be too tight for this graph)"
                    ));
                }
                self.split.draw_tree(&mut self.rng);
                self.split.find_balanced(self.graph, self.params.min, self.params.max);
                let cuts = self.split.balanced.len();
                if cuts == 0 {
                    if reversible {
                        return Ok(Step::SelfLoop(SelfLoop::NoSplit));
                    }
                    match self.params.retry {
                        PairRetry::SamePair => continue,
                        PairRetry::NewPair => break,
                    }
                }
                let x = self.split.balanced[self.rng.random_range(0..cuts)];
                self.split.mark_sides(x);
                if reversible {
                    let m = u64::from(self.params.balance_ub);
                    if cuts as u64 > m {
                        return Err(format!(
                            "a tree with {cuts} balanced cuts, more than --balance-ub {m}: reversible ReCom needs M ≥ every tree's cuts (raise it)"
                        ));
                    }
                    let p = cuts as f64 / (self.split.seam_length() as f64 * m as f64);
                    if self.rng.random::<f64>() >= p {
                        return Ok(Step::SelfLoop(SelfLoop::SeamLength));
                    }
                }
                self.apply(a, b);
                return Ok(Step::Moved { a, b });
            }
        }
    }

    /// The pair of districts to merge; `None` for a reversible chain's non-adjacent draw.
    fn choose_pair(&mut self) -> Option<(u32, u32)> {
        let k = self.k as u32;
        match self.params.variant {
            // Some movable pair touches (checked in `new`, and a move keeps the merged pair touching): a
            // uniform draw over the cut edges between movable districts, by rejection.
            Variant::CutEdges => loop {
                let e = self.cut_list[self.rng.random_range(0..self.cut_list.len())];
                if self.movable(e) {
                    let (u, v) = self.graph.edges[e as usize];
                    return Some((self.assignment[u as usize], self.assignment[v as usize]));
                }
            },
            Variant::DistrictPairs => loop {
                let (a, b) = (self.rng.random_range(0..k), self.rng.random_range(0..k));
                if self.pair_cut[(a * k + b) as usize] > 0 && !self.frozen[a as usize] && !self.frozen[b as usize] {
                    return Some((a, b));
                }
            },
            Variant::Reversible => {
                let (a, b) = (self.rng.random_range(0..k), self.rng.random_range(0..k));
                let touch = self.pair_cut[(a * k + b) as usize] > 0;
                (touch && !self.frozen[a as usize] && !self.frozen[b as usize]).then_some((a, b))
            }
        }
    }

    /// Redraws districts `a` (side 1 of the split) and `b` (side 2).
    fn apply(&mut self, a: u32, b: u32) {
        let touched = |s: &Splitter, v: u32, w: u32| s.local_of(w).is_none() || v < w;
        for i in 0..self.split.len() {
            let v = self.split.nodes[i];
            for (w, e) in self.graph.neighbours(v) {
                if touched(&self.split, v, w) && self.is_cut(e) {
                    self.unmark_cut(e);
                }
            }
        }
        self.moved.clear();
        self.members[a as usize].clear();
        self.members[b as usize].clear();
        self.populations[a as usize] = 0;
        self.populations[b as usize] = 0;
        for i in 0..self.split.len() {
            let v = self.split.nodes[i];
            let d = if self.split.side[i] == 1 { a } else { b };
            let old = self.assignment[v as usize];
            if old != d {
                self.moved.push((v, old));
                self.assignment[v as usize] = d;
            }
            self.members[d as usize].push(v);
            self.populations[d as usize] += u64::from(self.graph.population[v as usize]);
        }
        for i in 0..self.split.len() {
            let v = self.split.nodes[i];
            for (w, e) in self.graph.neighbours(v) {
                if touched(&self.split, v, w) {
                    self.mark_cut(e);
                }
            }
        }
    }

    /// Whether cut edge `e` joins two districts that may change.
    fn movable(&self, e: u32) -> bool {
        let (u, v) = self.graph.edges[e as usize];
        !self.frozen[self.assignment[u as usize] as usize] && !self.frozen[self.assignment[v as usize] as usize]
    }

    /// The cut edges (edge ids, in no particular order).
    pub fn cut_edge_ids(&self) -> &[u32] {
        &self.cut_list
    }

    /// Adds edge `e` to the cut set if its ends are in different districts.
    fn mark_cut(&mut self, e: u32) {
        let (u, v) = self.graph.edges[e as usize];
        let (du, dv) = (self.assignment[u as usize] as usize, self.assignment[v as usize] as usize);
        if du != dv {
            self.cut_pos[e as usize] = self.cut_list.len() as u32;
            self.cut_list.push(e);
            self.pair_cut[du * self.k + dv] += 1;
            self.pair_cut[dv * self.k + du] += 1;
        }
    }

    /// Removes cut edge `e` (before its ends change district).
    fn unmark_cut(&mut self, e: u32) {
        let (u, v) = self.graph.edges[e as usize];
        let (du, dv) = (self.assignment[u as usize] as usize, self.assignment[v as usize] as usize);
        self.pair_cut[du * self.k + dv] -= 1;
        self.pair_cut[dv * self.k + du] -= 1;
        let pos = self.cut_pos[e as usize] as usize;
        self.cut_list.swap_remove(pos);
        if let Some(&moved) = self.cut_list.get(pos) {
            self.cut_pos[moved as usize] = pos as u32;
        }
        self.cut_pos[e as usize] = NONE;
    }

    /// Whether district `d` is one connected piece.
    fn district_connected(&self, d: usize) -> bool {
        let nodes = &self.members[d];
        let Some(&start) = nodes.first() else { return false };
        let mut seen = std::collections::HashSet::from([start]);
        let mut stack = vec![start];
        while let Some(v) = stack.pop() {
            for (w, _) in self.graph.neighbours(v) {
                if self.assignment[w as usize] as usize == d && seen.insert(w) {
                    stack.push(w);
                }
            }
        }
        seen.len() == nodes.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// A w × h rook lattice with population 1 a node.
    pub(crate) fn lattice(w: usize, h: usize) -> Graph {
        Graph::new(vec![1; w * h], &crate::districts::graph::lattice_edges(w, h)).unwrap()
    }

    fn stripes(w: usize, h: usize, k: usize) -> Vec<u32> {
        (0..w * h).map(|i| ((i % w) * k / w) as u32).collect()
    }

    #[test]
    fn every_variant_keeps_districts_connected_in_bounds_and_the_cut_set_exact() {
        let g = lattice(8, 8);
        for variant in [Variant::CutEdges, Variant::DistrictPairs, Variant::Reversible] {
            let params = Params { variant, min: 14, max: 18, balance_ub: 8, retry: PairRetry::SamePair };
            let rng = ChaCha8Rng::seed_from_u64(4);
            let mut c = Chain::new(&g, stripes(8, 8, 4), 4, params, rng).unwrap();
            let mut moves = 0;
            for _ in 0..2000 {
                if let Step::Moved { .. } = c.step().unwrap() {
                    moves += 1;
                }
                let cut =
                    g.edges.iter().filter(|&&(u, v)| c.assignment[u as usize] != c.assignment[v as usize]).count();
                assert_eq!(c.cut_edges(), cut, "{variant:?}");
                assert!((0..4).all(|d| c.district_connected(d)), "{variant:?}");
                assert!(c.populations.iter().all(|&p| (14..=18).contains(&p)), "{variant:?}");
            }
            // Reversible ReCom accepts rarely (cuts ÷ (seam × M)); the others move on every step.
            let least = if variant == Variant::Reversible { 20 } else { 2000 };
            assert!(moves >= least, "{variant:?}: {moves} moves");
        }
    }

    #[test]
    fn a_bad_starting_plan_is_refused_with_the_district_named() {
        let g = lattice(4, 4);
        let params = Params { variant: Variant::CutEdges, min: 7, max: 9, balance_ub: 30, retry: PairRetry::NewPair };
        let checker: Vec<u32> = (0..16).map(|i| ((i % 4 + i / 4) % 2) as u32).collect();
        let e = Chain::new(&g, checker, 2, params, ChaCha8Rng::seed_from_u64(1)).unwrap_err();
        assert!(e.contains("not connected"), "{e}");
        let lopsided: Vec<u32> = (0..16).map(|i| u32::from(i >= 12)).collect();
        let e = Chain::new(&g, lopsided, 2, params, ChaCha8Rng::seed_from_u64(1)).unwrap_err();
        assert!(e.contains("district 1 has 12 people"), "{e}");
    }
}
