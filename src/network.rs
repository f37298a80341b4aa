//! The walk network as a compact routable graph, and snapping points to its nearest *edge*.
//!
//! Graph nodes are the vertices where ways meet or end; the vertices in between only shape the edge, so a
//! search touches intersections only. A point is snapped to the nearest position on any edge: the walk is
//! the straight offset to that position, then along the edge. Distances are planar metres in the dataset's
//! local projection.

use crate::model::WalkWay;
use geo::Point;
use rstar::RTree;
use rstar::primitives::{GeomWithData, Line};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

/// One edge: a polyline between two graph nodes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Edge {
    /// Start node.
    pub a: u32,
    /// End node.
    pub b: u32,
    /// Length along the polyline, m.
    pub length_m: f64,
}

/// Where a point meets the network.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snap {
    /// The edge.
    pub edge: u32,
    /// Distance along the edge from its start node to the snapped position, m.
    pub along_m: f64,
    /// Straight distance from the point to the snapped position, m.
    pub offset_m: f64,
}

type Segment = GeomWithData<Line<[f64; 2]>, (u32, f64)>;

/// The walk network: nodes, edges, adjacency in compressed rows, connected components, and an R-tree of the
/// edges' segments for snapping.
#[derive(Debug)]
pub struct WalkGraph {
    /// Node positions, local metres.
    pub nodes: Vec<[f64; 2]>,
    /// Edges.
    pub edges: Vec<Edge>,
    /// `adjacency[offsets[n]..offsets[n + 1]]` are the (neighbour, edge) pairs of node n.
    offsets: Vec<u32>,
    adjacency: Vec<(u32, u32)>,
    /// Connected component of each node.
    pub component: Vec<u32>,
    segments: RTree<Segment>,
}

/// How a vertex is recognised as the same place on two ways: its source node id, or its position to the
/// centimetre when the source has no ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum VertexKey {
    Id(i64),
    At(i64, i64),
}

impl WalkGraph {
    /// Builds the graph from walkable ways. Ways of fewer than two vertices are skipped.
    pub fn new(ways: &[WalkWay]) -> WalkGraph {
        let key = |w: &WalkWay, i: usize| match &w.node_ids {
            Some(ids) if ids.len() == w.line.0.len() => VertexKey::Id(ids[i]),
            _ => {
                let c = w.line.0[i];
                VertexKey::At((c.x * 100.0).round() as i64, (c.y * 100.0).round() as i64)
            }
        };
        // A vertex is a node when a way ends there or it occurs more than once.
        let mut uses: HashMap<VertexKey, u32> = HashMap::new();
        for w in ways.iter().filter(|w| w.line.0.len() >= 2) {
            let n = w.line.0.len();
            for i in 0..n {
                *uses.entry(key(w, i)).or_insert(0) += if i == 0 || i == n - 1 { 2 } else { 1 };
            }
        }
        let mut node_of: HashMap<VertexKey, u32> = HashMap::new();
        let mut nodes: Vec<[f64; 2]> = Vec::new();
        let mut edges: Vec<Edge> = Vec::new();
        let mut segments: Vec<Segment> = Vec::new();
        for w in ways.iter().filter(|w| w.line.0.len() >= 2) {
            let coords = &w.line.0;
            let mut node = |i: usize| {
                *node_of.entry(key(w, i)).or_insert_with(|| {
                    nodes.push([coords[i].x, coords[i].y]);
                    (nodes.len() - 1) as u32
                })
            };
            let mut start = node(0);
            let mut along = 0.0;
            let mut first_segment = segments.len();
            for i in 1..coords.len() {
                let (p, q) = ([coords[i - 1].x, coords[i - 1].y], [coords[i].x, coords[i].y]);
                let len = (q[0] - p[0]).hypot(q[1] - p[1]);
                segments.push(GeomWithData::new(Line::new(p, q), (edges.len() as u32, along)));
                along += len;
                if i == coords.len() - 1 || uses[&key(w, i)] > 1 {
                    let end = node(i);
                    if start == end && along == 0.0 {
                        // A zero-length edge from a repeated vertex carries nothing.
                        segments.truncate(first_segment);
                    } else {
                        edges.push(Edge { a: start, b: end, length_m: along });
                    }
                    start = end;
                    along = 0.0;
                    first_segment = segments.len();
                }
            }
        }
        let mut degree = vec![0u32; nodes.len() + 1];
        for e in &edges {
            degree[e.a as usize] += 1;
            degree[e.b as usize] += 1;
        }
        let mut offsets = vec![0u32; nodes.len() + 1];
        for n in 0..nodes.len() {
            offsets[n + 1] = offsets[n] + degree[n];
        }
        let mut fill = offsets.clone();
        let mut adjacency = vec![(0u32, 0u32); offsets[nodes.len()] as usize];
        for (i, e) in edges.iter().enumerate() {
            adjacency[fill[e.a as usize] as usize] = (e.b, i as u32);
            fill[e.a as usize] += 1;
            adjacency[fill[e.b as usize] as usize] = (e.a, i as u32);
            fill[e.b as usize] += 1;
        }
        let mut graph =
            WalkGraph { component: Vec::new(), nodes, edges, offsets, adjacency, segments: RTree::bulk_load(segments) };
        graph.component = graph.components();
        graph
    }

    fn components(&self) -> Vec<u32> {
        let mut component = vec![u32::MAX; self.nodes.len()];
        let mut next = 0;
        let mut stack = Vec::new();
        for start in 0..self.nodes.len() {
            if component[start] != u32::MAX {
                continue;
            }
            component[start] = next;
            stack.push(start as u32);
            while let Some(n) = stack.pop() {
                for &(m, _) in self.neighbours(n) {
                    if component[m as usize] == u32::MAX {
                        component[m as usize] = next;
                        stack.push(m);
                    }
                }
            }
            next += 1;
        }
        component
    }

    /// The (neighbour, edge) pairs of a node.
    pub fn neighbours(&self, node: u32) -> &[(u32, u32)] {
        &self.adjacency[self.offsets[node as usize] as usize..self.offsets[node as usize + 1] as usize]
    }

    /// The connected component of an edge.
    pub fn edge_component(&self, edge: u32) -> u32 {
        self.component[self.edges[edge as usize].a as usize]
    }

    /// Total length of all edges, m.
    pub fn length_m(&self) -> f64 {
        self.edges.iter().map(|e| e.length_m).sum()
    }

    /// The nearest position on any edge, or `None` for an empty network. Among equally near segments the
    /// R-tree's first is taken, which is the same on every run.
    pub fn snap(&self, p: Point) -> Option<Snap> {
        let q = [p.x(), p.y()];
        Some(self.snap_to(self.segments.nearest_neighbor(&q)?, q))
    }

    /// The position on one segment nearest `q`.
    fn snap_to(&self, seg: &Segment, q: [f64; 2]) -> Snap {
        let (a, b) = (seg.geom().from, seg.geom().to);
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        let len2 = dx * dx + dy * dy;
        let t = if len2 > 0.0 { (((q[0] - a[0]) * dx + (q[1] - a[1]) * dy) / len2).clamp(0.0, 1.0) } else { 0.0 };
        let (x, y) = (a[0] + t * dx, a[1] + t * dy);
        let (edge, start) = seg.data;
        let along = (start + t * len2.sqrt()).min(self.edges[edge as usize].length_m);
        Snap { edge, along_m: along, offset_m: (q[0] - x).hypot(q[1] - y) }
    }

    /// The nearest position within `max_m` on an edge whose component `accept` takes, nearest first (for a
    /// point beside a small piece of network — a plaza outline, a service road — that cannot reach what is
    /// sought, while a piece that can lies a little farther).
    pub fn snap_within(&self, p: Point, max_m: f64, accept: impl Fn(u32) -> bool) -> Option<Snap> {
        let q = [p.x(), p.y()];
        for (seg, d2) in self.segments.nearest_neighbor_iter_with_distance_2(&q) {
            if d2 > max_m * max_m {
                return None;
            }
            if accept(self.edge_component(seg.data.0)) {
                return Some(self.snap_to(seg, q));
            }
        }
        None
    }

    /// Multi-source Dijkstra: every source is (snap, label); returns, per node, the shortest walk from any
    /// source (its offset, then along its edge, then the network) and that source's label, settled up to
    /// `limit_m` (nodes beyond stay at infinity). Equal distances go to the lower label, so results do not
    /// depend on the order of the sources.
    pub fn nearest_sources(&self, sources: &[(Snap, u32)], limit_m: f64) -> NodeDistances {
        let mut out =
            NodeDistances { dist: vec![f64::INFINITY; self.nodes.len()], label: vec![u32::MAX; self.nodes.len()] };
        let mut heap: BinaryHeap<Reverse<(u64, u32, u32)>> = BinaryHeap::new();
        let offer = |out: &mut NodeDistances, heap: &mut BinaryHeap<_>, node: u32, d: f64, l: u32| {
            let (cur, cur_label) = (out.dist[node as usize], out.label[node as usize]);
            if d <= limit_m && (d < cur || (d == cur && l < cur_label)) {
                out.dist[node as usize] = d;
                out.label[node as usize] = l;
                // Non-negative floats order like their bit patterns.
                heap.push(Reverse((d.to_bits(), l, node)));
            }
        };
        for &(s, l) in sources {
            let e = self.edges[s.edge as usize];
            offer(&mut out, &mut heap, e.a, s.offset_m + s.along_m, l);
            offer(&mut out, &mut heap, e.b, s.offset_m + (e.length_m - s.along_m), l);
        }
        while let Some(Reverse((bits, l, n))) = heap.pop() {
            let d = f64::from_bits(bits);
            if d > out.dist[n as usize] || (d == out.dist[n as usize] && l != out.label[n as usize]) {
                continue;
            }
            for &(m, e) in self.neighbours(n) {
                offer(&mut out, &mut heap, m, d + self.edges[e as usize].length_m, l);
            }
        }
        out
    }
}

/// Reusable buffers for many small searches ([`WalkGraph::reach_within`]): only the touched nodes are reset.
#[derive(Debug)]
pub struct Scratch {
    dist: Vec<f64>,
    touched: Vec<u32>,
    heap: BinaryHeap<Reverse<(u64, u32)>>,
}

impl WalkGraph {
    /// Buffers for [`WalkGraph::reach_within`] on this graph.
    pub fn scratch(&self) -> Scratch {
        Scratch { dist: vec![f64::INFINITY; self.nodes.len()], touched: Vec::new(), heap: BinaryHeap::new() }
    }

    /// Every node within `limit_m` of one snapped point, with its distance (offset included), in the order
    /// settled.
    pub fn reach_within(&self, s: Snap, limit_m: f64, scratch: &mut Scratch) -> Vec<(u32, f64)> {
        let offer = |scratch: &mut Scratch, node: u32, d: f64| {
            let cur = scratch.dist[node as usize];
            if d <= limit_m && d < cur {
                if cur.is_infinite() {
                    scratch.touched.push(node);
                }
                scratch.dist[node as usize] = d;
                scratch.heap.push(Reverse((d.to_bits(), node)));
            }
        };
        let e = self.edges[s.edge as usize];
        offer(scratch, e.a, s.offset_m + s.along_m);
        offer(scratch, e.b, s.offset_m + e.length_m - s.along_m);
        let mut settled = Vec::new();
        while let Some(Reverse((bits, n))) = scratch.heap.pop() {
            let d = f64::from_bits(bits);
            if d > scratch.dist[n as usize] {
                continue;
            }
            settled.push((n, d));
            for &(m, edge) in self.neighbours(n) {
                offer(scratch, m, d + self.edges[edge as usize].length_m);
            }
        }
        let Scratch { dist, touched, .. } = scratch;
        for &n in touched.iter() {
            dist[n as usize] = f64::INFINITY;
        }
        touched.clear();
        settled
    }
}

/// Result of [`WalkGraph::nearest_sources`].
#[derive(Debug, Clone)]
pub struct NodeDistances {
    /// Shortest distance per node, m (infinite beyond the limit or unreachable).
    pub dist: Vec<f64>,
    /// Label of the nearest source per node (`u32::MAX` where unreached).
    pub label: Vec<u32>,
}

impl NodeDistances {
    /// Distance and label from the sources to a snapped point through the ends of its edge (sources on the
    /// same edge are the caller's to add: they may be nearer along the edge itself).
    pub fn at(&self, graph: &WalkGraph, s: Snap) -> Option<(f64, u32)> {
        let e = graph.edges[s.edge as usize];
        let via_a = (self.dist[e.a as usize] + s.along_m, self.label[e.a as usize]);
        let via_b = (self.dist[e.b as usize] + (e.length_m - s.along_m), self.label[e.b as usize]);
        let best = if via_b.0 < via_a.0 || (via_b.0 == via_a.0 && via_b.1 < via_a.1) { via_b } else { via_a };
        best.0.is_finite().then_some((best.0 + s.offset_m, best.1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::LineString;

    fn way(id: &str, pts: &[(f64, f64)]) -> WalkWay {
        WalkWay { id: id.into(), class: "footway".into(), line: LineString::from(pts.to_vec()), node_ids: None }
    }

    #[test]
    fn shaping_vertices_are_not_nodes_and_shared_vertices_are() {
        // A cross: two ways meeting at (0, 0), one with a bend.
        let g = WalkGraph::new(&[
            way("h", &[(-10.0, 0.0), (0.0, 0.0), (10.0, 0.0)]),
            way("v", &[(0.0, -10.0), (0.0, 0.0), (3.0, 4.0), (0.0, 10.0)]),
        ]);
        assert_eq!(g.nodes.len(), 5);
        assert_eq!(g.edges.len(), 4);
        let lengths: Vec<f64> = g.edges.iter().map(|e| e.length_m).collect();
        assert_eq!(lengths, vec![10.0, 10.0, 10.0, 5.0 + 45f64.sqrt()]);
        assert_eq!(g.component.iter().max(), Some(&0));
    }

    #[test]
    fn snap_finds_the_edge_position_and_offset() {
        let g = WalkGraph::new(&[way("h", &[(0.0, 0.0), (10.0, 0.0), (20.0, 0.0)])]);
        let s = g.snap(Point::new(13.0, 4.0)).unwrap();
        assert_eq!((s.edge, s.along_m, s.offset_m), (0, 13.0, 4.0));
    }

    #[test]
    fn distance_goes_round_through_the_nearer_end() {
        // A square loop of side 100; source at one corner's edge, target on the opposite edge.
        let g = WalkGraph::new(&[way("sq", &[(0.0, 0.0), (100.0, 0.0), (100.0, 100.0), (0.0, 100.0), (0.0, 0.0)])]);
        // The ring has one node (its closing vertex) and one loop edge of 400 m.
        assert_eq!((g.nodes.len(), g.edges.len()), (1, 1));
        let src = g.snap(Point::new(10.0, -1.0)).unwrap();
        let dst = g.snap(Point::new(-2.0, 30.0)).unwrap();
        let d = g.nearest_sources(&[(src, 7)], 1e9);
        // Through the node at (0, 0): 1 + 10 + 30 + 2.
        assert_eq!(d.at(&g, dst), Some((43.0, 7)));
    }
}
