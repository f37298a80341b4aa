//! Per-step statistics of a chain, kept up to date from the two districts a step redraws, and written as one
//! JSON line per step. Sums are recomputed from the districts' nodes (never accumulated), so every figure is
//! exact and the same on every run.

use super::recom::{Chain, Step};
use std::fmt::Write as _;

/// What the statistics read from the nodes and edges besides population.
#[derive(Debug, Clone, Default)]
pub struct NodeData {
    /// Columns summed per district (votes, voting-age population, …), by name.
    pub sums: Vec<(String, Vec<f64>)>,
    /// Polsby–Popper inputs: node area, the part of a node's perimeter on the outer boundary, and the shared
    /// perimeter of every edge (GerryChain's `area`, `boundary_perim`, `shared_perim`).
    pub geometry: Option<Geometry>,
    /// Group of every node (county) for split counts, as dense labels `0..groups`.
    pub county: Option<(Vec<u32>, usize)>,
    /// Edges cut in every plan and not in the chain's graph (between the parents of a nested plan).
    pub cut_offset: usize,
}

/// Area and perimeters in one unit of length.
#[derive(Debug, Clone)]
pub struct Geometry {
    /// Area of every node.
    pub area: Vec<f64>,
    /// Length of every node's boundary on the outside of the whole map.
    pub boundary_perim: Vec<f64>,
    /// Length of the boundary every edge stands for.
    pub shared_perim: Vec<f64>,
}

/// The statistics of the current plan of one chain.
#[derive(Debug, Clone)]
pub struct Tally {
    k: usize,
    sums: Vec<Vec<f64>>,
    area: Vec<f64>,
    perimeter: Vec<f64>,
    county_count: Vec<u32>,
    county_districts: Vec<u32>,
    /// Counties in more than one district.
    pub county_splits: u32,
    /// Σ over counties of (districts touching it − 1).
    pub county_pieces: u32,
}

/// The scalar statistics of a step that the diagnostics follow.
#[derive(Debug, Clone, Copy, Default)]
pub struct Scalars {
    /// Cut edges.
    pub cut_edges: f64,
    /// Largest |population − ideal| ÷ ideal.
    pub max_deviation: f64,
    /// Counties split (NaN without counties).
    pub county_splits: f64,
    /// Mean Polsby–Popper (NaN without geometry).
    pub polsby_popper_mean: f64,
}

impl Tally {
    /// The statistics of the chain's current plan.
    pub fn new(chain: &Chain, data: &NodeData) -> Tally {
        let k = chain.k();
        let mut t = Tally {
            k,
            sums: vec![vec![0.0; k]; data.sums.len()],
            area: vec![0.0; k],
            perimeter: vec![0.0; k],
            county_count: Vec::new(),
            county_districts: Vec::new(),
            county_splits: 0,
            county_pieces: 0,
        };
        if let Some((labels, groups)) = &data.county {
            t.county_count = vec![0; groups * k];
            t.county_districts = vec![0; *groups];
            for (v, &c) in labels.iter().enumerate() {
                t.county_add(c, chain.assignment[v], 1);
            }
        }
        for d in 0..k as u32 {
            t.recompute(chain, data, d);
        }
        t
    }

    /// Brings the statistics up to date after `step`.
    pub fn update(&mut self, chain: &Chain, data: &NodeData, step: Step) {
        let Step::Moved { a, b } = step else { return };
        if let Some((labels, _)) = &data.county {
            for &(v, old) in &chain.moved {
                let c = labels[v as usize];
                self.county_add(c, old, -1);
                self.county_add(c, chain.assignment[v as usize], 1);
            }
        }
        self.recompute(chain, data, a);
        self.recompute(chain, data, b);
    }

    fn county_add(&mut self, c: u32, d: u32, delta: i32) {
        let cell = &mut self.county_count[c as usize * self.k + d as usize];
        let before = *cell;
        *cell = cell.saturating_add_signed(delta);
        let districts = &mut self.county_districts[c as usize];
        let was = *districts;
        match (before, *cell) {
            (0, 1..) => *districts += 1,
            (1.., 0) => *districts -= 1,
            _ => {}
        }
        let (was_split, is_split) = (u32::from(was > 1), u32::from(*districts > 1));
        self.county_splits = self.county_splits + is_split - was_split;
        self.county_pieces = self.county_pieces + districts.saturating_sub(1) - was.saturating_sub(1);
    }

    fn recompute(&mut self, chain: &Chain, data: &NodeData, d: u32) {
        let nodes = &chain.members[d as usize];
        for (col, (_, values)) in self.sums.iter_mut().zip(&data.sums) {
            col[d as usize] = nodes.iter().map(|&v| values[v as usize]).sum();
        }
        if let Some(g) = &data.geometry {
            self.area[d as usize] = nodes.iter().map(|&v| g.area[v as usize]).sum();
            let mut p = 0.0;
            for &v in nodes {
                p += g.boundary_perim[v as usize];
                for (w, e) in chain.graph().neighbours(v) {
                    if chain.assignment[w as usize] != d {
                        p += g.shared_perim[e as usize];
                    }
                }
            }
            self.perimeter[d as usize] = p;
        }
    }

    /// Polsby–Popper of district `d`: 4π · area ÷ perimeter².
    fn polsby_popper(&self, d: usize) -> f64 {
        let p = self.perimeter[d];
        if p > 0.0 { 4.0 * std::f64::consts::PI * self.area[d] / (p * p) } else { 0.0 }
    }

    /// The scalars of the current plan.
    pub fn scalars(&self, chain: &Chain, data: &NodeData, ideal: f64) -> Scalars {
        let max_deviation = chain.populations.iter().map(|&p| (p as f64 - ideal).abs() / ideal).fold(0.0, f64::max);
        Scalars {
            cut_edges: (chain.cut_edges() + data.cut_offset) as f64,
            max_deviation,
            county_splits: if data.county.is_some() { f64::from(self.county_splits) } else { f64::NAN },
            polsby_popper_mean: if data.geometry.is_some() {
                (0..self.k).map(|d| self.polsby_popper(d)).sum::<f64>() / self.k as f64
            } else {
                f64::NAN
            },
        }
    }

    /// Appends the JSON line of a step (`step` 0 is the starting plan) to `out`.
    #[allow(clippy::too_many_arguments, reason = "one line from the chain, its data and the step's facts")]
    pub fn write_line(
        &self,
        out: &mut String,
        chain_index: usize,
        step_index: u64,
        step: Option<Step>,
        chain: &Chain,
        data: &NodeData,
        scalars: &Scalars,
    ) {
        // Infallible: writing to a String.
        let _ = write!(out, "{{\"chain\":{chain_index},\"step\":{step_index}");
        match step {
            None => out.push_str(",\"accepted\":null,\"self_loop\":null"),
            Some(Step::Moved { a, b }) => {
                let _ = write!(out, ",\"accepted\":true,\"self_loop\":null,\"districts\":[{},{}]", a + 1, b + 1);
            }
            Some(Step::SelfLoop(r)) => {
                let _ = write!(out, ",\"accepted\":false,\"self_loop\":\"{}\"", r.name());
            }
        }
        let _ = write!(
            out,
            ",\"cut_edges\":{},\"max_deviation\":{}",
            chain.cut_edges() + data.cut_offset,
            finite(scalars.max_deviation)
        );
        out.push_str(",\"populations\":");
        list(out, chain.populations.iter().map(|&p| p as f64));
        if data.county.is_some() {
            let _ = write!(out, ",\"county_splits\":{},\"county_pieces\":{}", self.county_splits, self.county_pieces);
        }
        if data.geometry.is_some() {
            let _ = write!(out, ",\"polsby_popper_mean\":{}", finite(scalars.polsby_popper_mean));
            out.push_str(",\"polsby_popper\":");
            list(out, (0..self.k).map(|d| self.polsby_popper(d)));
        }
        if !data.sums.is_empty() {
            out.push_str(",\"sums\":{");
            for (i, ((name, _), col)) in data.sums.iter().zip(&self.sums).enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String(name.clone()).to_string());
                out.push(':');
                list(out, col.iter().copied());
            }
            out.push('}');
        }
        out.push_str("}\n");
    }
}

/// A number as JSON (shortest round-trip form; whole numbers without a fraction; non-finite as null).
fn finite(x: f64) -> String {
    if x.is_finite() { format!("{x}") } else { "null".into() }
}

fn list(out: &mut String, values: impl Iterator<Item = f64>) {
    out.push('[');
    for (i, x) in values.enumerate() {
        if i > 0 {
            out.push(',');
        }
        if x.is_finite() {
            let _ = write!(out, "{x}");
        } else {
            out.push_str("null");
        }
    }
    out.push(']');
}
