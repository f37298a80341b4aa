//! One container (a street, or a community given by the data) drawn as a planar partition: sliced by the
//! cutting lines into blocks, each block given to the label (grid or micro-grid) of the sites in it; a block
//! shared by several labels divided by a Voronoi diagram of its building footprints (sampled along their
//! walls) with the footprints themselves kept whole; blocks with no site given to the neighbour with the
//! longest shared edge, edges on a hard barrier counting only where nothing else touches.

use super::lines::{CutLines, HardLines};
use super::overlay::FixedGrid;
use geo::{Area, BoundingRect, Contains, Coord, Distance, Euclidean, Intersects, MultiPolygon, Point, Polygon};
use rstar::RTree;
use rstar::primitives::{GeomWithData, Rectangle};
use spade::{DelaunayTriangulation, Point2, Triangulation};
use std::collections::{BTreeMap, HashMap};

/// Spacing of the samples along a footprint's walls, m.
const SAMPLE_STEP_M: f64 = 4.0;
/// Weight of a shared edge that lies on a hard barrier, against 1 for any other edge.
const BARRIER_EDGE_WEIGHT: f64 = 1e-3;
/// Weight of an edge to a label a block's compound prefers.
const PREFERRED_WEIGHT: f64 = 1e3;
/// How far a site may lie outside every block (on the container's edge) and still be placed in the nearest.
const SITE_SNAP_M: f64 = 50.0;

/// A site of the container: where it is, its footprint and its label.
pub struct BlockSite<'a> {
    /// Representative point.
    pub point: Point,
    /// Footprint, for buildings that have one.
    pub footprint: Option<&'a MultiPolygon>,
    /// Label (grid or micro-grid).
    pub label: u32,
}

/// What a container's drawing needs.
pub struct Container<'a> {
    /// Its outline.
    pub polygon: &'a MultiPolygon,
    /// Its sites.
    pub sites: Vec<BlockSite<'a>>,
    /// Areas reserved for some labels (dedicated grids): a block without sites inside one goes only to them.
    pub reserved: Vec<(&'a MultiPolygon, Vec<u32>)>,
    /// Areas that prefer some labels (compounds in one grid): a block without sites inside one goes to them
    /// when one touches it on its own side of every hard barrier.
    pub preferred: Vec<(&'a MultiPolygon, Vec<u32>)>,
}

/// Figures of one drawing.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct BlockStats {
    /// Blocks the container was cut into.
    pub blocks: usize,
    /// Blocks under 0.1 ha (medians, corners of junctions).
    pub blocks_under_0_1_ha: usize,
    /// Blocks holding sites of several labels, divided by footprints.
    pub blocks_divided: usize,
    /// Blocks with no site, given to a neighbour.
    pub blocks_empty: usize,
    /// Empty blocks that touched only across a hard barrier or nothing, given to the nearest site's label.
    pub blocks_empty_unreached: usize,
    /// Sites outside every block (on the container's edge), placed in the nearest.
    pub sites_outside_blocks: usize,
    /// Sites further than 50 m from every block: not drawn.
    pub sites_not_drawn: usize,
}

impl std::ops::AddAssign for BlockStats {
    fn add_assign(&mut self, o: BlockStats) {
        self.blocks += o.blocks;
        self.blocks_under_0_1_ha += o.blocks_under_0_1_ha;
        self.blocks_divided += o.blocks_divided;
        self.blocks_empty += o.blocks_empty;
        self.blocks_empty_unreached += o.blocks_empty_unreached;
        self.sites_outside_blocks += o.sites_outside_blocks;
        self.sites_not_drawn += o.sites_not_drawn;
    }
}

type Key = (i64, i64);
/// The labels an area reserves or prefers, for each empty block (none outside every such area).
type Labels<'a> = Option<&'a Vec<u32>>;

fn rect_of(p: &Polygon) -> Option<Rectangle<[f64; 2]>> {
    let r = p.bounding_rect()?;
    Some(Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]))
}

/// Draws a container: the pieces of its partition, each with its label.
pub fn draw(
    grid: &FixedGrid,
    (cut, minor): (&CutLines, &CutLines),
    hard: &HardLines,
    c: &Container,
) -> (Vec<(u32, Polygon)>, BlockStats) {
    let mut stats = BlockStats::default();
    let Some(bbox) = c.polygon.bounding_rect() else { return (Vec::new(), stats) };
    let footprints: Vec<&MultiPolygon> = c.sites.iter().filter_map(|s| s.footprint).collect();
    let blocks = grid.slice_keeping(c.polygon, &cut.near(bbox), &footprints);
    stats.blocks = blocks.len();
    stats.blocks_under_0_1_ha = blocks.iter().filter(|b| geo::Area::unsigned_area(*b) < 1_000.0).count();
    let tree = RTree::bulk_load(
        blocks.iter().enumerate().filter_map(|(i, b)| Some(GeomWithData::new(rect_of(b)?, i))).collect(),
    );
    let mut block_sites: Vec<Vec<usize>> = vec![Vec::new(); blocks.len()];
    for (s, site) in c.sites.iter().enumerate() {
        let at = [site.point.x(), site.point.y()];
        let inside = tree.locate_all_at_point(&at).map(|e| e.data).filter(|&b| blocks[b].intersects(&site.point)).min();
        let block = inside.or_else(|| {
            stats.sites_outside_blocks += 1;
            tree.locate_within_distance(at, SITE_SNAP_M * SITE_SNAP_M)
                .map(|e| (Euclidean.distance(&site.point, &blocks[e.data]), e.data))
                .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
                .map(|(_, b)| b)
        });
        match block {
            Some(b) => block_sites[b].push(s),
            None => stats.sites_not_drawn += 1,
        }
        // A building in parts (a relation with several outers) is in the block of every part, so no part is
        // drawn in another grid.
        for part in site.footprint.map_or(&[][..], |fp| &fp.0[1..]) {
            let Some(at) = crate::load::geometry::representative_point(&MultiPolygon::new(vec![part.clone()])) else {
                continue;
            };
            let other = tree
                .locate_all_at_point(&[at.x(), at.y()])
                .map(|e| e.data)
                .filter(|&b| blocks[b].intersects(&at))
                .min();
            if let Some(b) = other.filter(|b| !block_sites[*b].contains(&s)) {
                block_sites[b].push(s);
            }
        }
    }
    // Each block: one label, divided among several, or none yet.
    let mut label: Vec<Option<u32>> = vec![None; blocks.len()];
    let mut divided: HashMap<usize, Divided> = HashMap::new();
    let mut pieces: Vec<(u32, Polygon)> = Vec::new();
    for (b, sites) in block_sites.iter().enumerate() {
        let mut labels: Vec<u32> = sites.iter().map(|&s| c.sites[s].label).collect();
        labels.sort_unstable();
        labels.dedup();
        match labels.len() {
            0 => stats.blocks_empty += 1,
            1 => label[b] = Some(labels[0]),
            _ => {
                stats.blocks_divided += 1;
                let d = Divided::new(&c.sites, sites);
                pieces.extend(divide(grid, minor, &blocks[b], &c.sites, sites, &d));
                divided.insert(b, d);
            }
        }
    }
    flood(grid, hard, c, &blocks, &mut label, &divided, &mut stats);
    for (b, l) in label.into_iter().enumerate() {
        if let Some(l) = l
            && !divided.contains_key(&b)
        {
            pieces.push((l, blocks[b].clone()));
        }
    }
    node(grid, &mut pieces);
    (pieces, stats)
}

/// Puts on every edge the vertices of neighbouring pieces that lie on it (where a divided block's pieces
/// meet a whole block's edge), so neighbours share every vertex and the written coordinates round alike.
fn node(grid: &FixedGrid, pieces: &mut [(u32, Polygon)]) {
    let tolerance = 1.5 / grid.scale();
    let mut keys: Vec<(i64, i64)> = pieces
        .iter()
        .flat_map(|(_, p)| {
            std::iter::once(p.exterior()).chain(p.interiors()).flat_map(|r| r.0.iter().map(|&c| grid.key(c)))
        })
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let points: RTree<[f64; 2]> =
        RTree::bulk_load(keys.iter().map(|&(x, y)| [x as f64 / grid.scale(), y as f64 / grid.scale()]).collect());
    let node_ring = |ring: &geo::LineString| {
        let mut out: Vec<Coord> = Vec::with_capacity(ring.0.len());
        for l in ring.lines() {
            out.push(l.start);
            let (dx, dy) = (l.end.x - l.start.x, l.end.y - l.start.y);
            let len2 = dx * dx + dy * dy;
            if len2 == 0.0 {
                continue;
            }
            let env = rstar::AABB::from_corners(
                [l.start.x.min(l.end.x) - tolerance, l.start.y.min(l.end.y) - tolerance],
                [l.start.x.max(l.end.x) + tolerance, l.start.y.max(l.end.y) + tolerance],
            );
            let mut on: Vec<(f64, Coord)> = points
                .locate_in_envelope(&env)
                .filter_map(|&[x, y]| {
                    let t = ((x - l.start.x) * dx + (y - l.start.y) * dy) / len2;
                    let (px, py) = (l.start.x + t * dx, l.start.y + t * dy);
                    let off = (x - px).hypot(y - py);
                    let inside = t * len2.sqrt() > tolerance && (1.0 - t) * len2.sqrt() > tolerance;
                    (inside && off < tolerance).then_some((t, Coord { x, y }))
                })
                .collect();
            on.sort_by(|a, b| a.0.total_cmp(&b.0));
            out.extend(on.into_iter().map(|(_, c)| c));
        }
        if let Some(&first) = out.first() {
            out.push(first);
        }
        geo::LineString::new(out)
    };
    for (_, p) in pieces.iter_mut() {
        *p = Polygon::new(node_ring(p.exterior()), p.interiors().iter().map(node_ring).collect());
    }
}

/// A shared block cut first by the minor roads in it (each part holding one label goes to it whole, an empty
/// part to the nearest sample's label), then what is still shared by its footprints.
fn divide(
    grid: &FixedGrid,
    minor: &CutLines,
    block: &Polygon,
    all: &[BlockSite],
    sites: &[usize],
    whole: &Divided,
) -> Vec<(u32, Polygon)> {
    let Some(bbox) = block.bounding_rect() else { return Vec::new() };
    let lines = minor.near(bbox);
    let parts = if lines.is_empty() {
        Vec::new()
    } else {
        let fps: Vec<&MultiPolygon> = sites.iter().filter_map(|&s| all[s].footprint).collect();
        grid.slice_keeping(&MultiPolygon::new(vec![block.clone()]), &lines, &fps)
    };
    if parts.len() <= 1 {
        return whole.pieces(grid, block, all, sites);
    }
    let mut out = Vec::new();
    for part in parts {
        let inside: Vec<usize> = sites.iter().copied().filter(|&s| part.intersects(&all[s].point)).collect();
        let mut labels: Vec<u32> = inside.iter().map(|&s| all[s].label).collect();
        labels.sort_unstable();
        labels.dedup();
        match labels.len() {
            0 => {
                let at = crate::load::geometry::representative_point(&MultiPolygon::new(vec![part.clone()]));
                out.push((at.map_or(all[sites[0]].label, |at| whole.nearest(at.0)), part));
            }
            1 => out.push((labels[0], part)),
            _ => out.extend(Divided::new(all, &inside).pieces(grid, &part, all, &inside)),
        }
    }
    out
}

/// Gives every empty block a label: rounds in which each empty block takes the label with the longest
/// shared edge among its labelled neighbours (within its reserved labels, if it lies in a reserved area),
/// until nothing changes; what is left takes the label of the nearest site.
fn flood<'a>(
    grid: &FixedGrid,
    hard: &HardLines,
    c: &'a Container,
    blocks: &[Polygon],
    label: &mut [Option<u32>],
    divided: &HashMap<usize, Divided>,
    stats: &mut BlockStats,
) {
    let empty: Vec<usize> = (0..blocks.len()).filter(|&b| label[b].is_none() && !divided.contains_key(&b)).collect();
    if empty.is_empty() {
        return;
    }
    let edges_of = |b: usize| {
        let p = &blocks[b];
        std::iter::once(p.exterior())
            .chain(p.interiors())
            .flat_map(|r| r.lines())
            .map(|l| {
                let (a, z) = (grid.key(l.start), grid.key(l.end));
                (if a < z { (a, z) } else { (z, a) }, l)
            })
            .collect::<Vec<_>>()
    };
    let mut by_edge: HashMap<(Key, Key), Vec<usize>> = HashMap::new();
    for b in 0..blocks.len() {
        for (k, _) in edges_of(b) {
            by_edge.entry(k).or_default().push(b);
        }
    }
    let inside = |areas: &'a [(&MultiPolygon, Vec<u32>)], b: usize| {
        let at = crate::load::geometry::representative_point(&MultiPolygon::new(vec![blocks[b].clone()]))?;
        areas.iter().find(|(area, _)| area.0.iter().any(|p| p.contains(&at))).map(|(_, labels)| labels)
    };
    let allowed: Vec<Option<&Vec<u32>>> = empty.iter().map(|&b| inside(&c.reserved, b)).collect();
    let preferred: Vec<Option<&Vec<u32>>> = empty.iter().map(|&b| inside(&c.preferred, b)).collect();
    // Neighbours of each empty block: (block, edge weight, edge midpoint, on a hard barrier).
    let neighbours: Vec<Vec<(usize, f64, Coord, bool)>> = empty
        .iter()
        .map(|&b| {
            edges_of(b)
                .into_iter()
                .flat_map(|(k, l)| {
                    let mid = Coord { x: (l.start.x + l.end.x) / 2.0, y: (l.start.y + l.end.y) / 2.0 };
                    let on_barrier = hard.near(mid, 0.05);
                    let w = (l.end.x - l.start.x).hypot(l.end.y - l.start.y)
                        * if on_barrier { BARRIER_EDGE_WEIGHT } else { 1.0 };
                    by_edge[&k].iter().filter(move |&&o| o != b).map(move |&o| (o, w, mid, on_barrier))
                })
                .collect()
        })
        .collect();
    // A block reserved for one label (a dedicated grid) takes it at once.
    for (i, &b) in empty.iter().enumerate() {
        if let Some(&[only]) = allowed[i].map(Vec::as_slice) {
            label[b] = Some(only);
        }
    }
    // First a compound's blocks from its own labels only and across ordinary edges only, so a block reaches
    // across a hard barrier only when nothing on its own side ever gets a label.
    for (only_preferred, across_barriers) in [(true, false), (false, false), (false, true)] {
        flood_rounds(&empty, &neighbours, (&allowed, &preferred), label, divided, (only_preferred, across_barriers));
    }
    let sites = RTree::bulk_load(
        c.sites.iter().enumerate().map(|(s, site)| GeomWithData::new([site.point.x(), site.point.y()], s)).collect(),
    );
    for (i, &b) in empty.iter().enumerate() {
        if label[b].is_some() {
            continue;
        }
        stats.blocks_empty_unreached += 1;
        let Some(at) = crate::load::geometry::representative_point(&MultiPolygon::new(vec![blocks[b].clone()])) else {
            continue;
        };
        label[b] = sites
            .nearest_neighbor_iter(&[at.x(), at.y()])
            .map(|e| c.sites[e.data].label)
            .find(|l| allowed[i].is_none_or(|a| a.contains(l)))
            .or_else(|| allowed[i].and_then(|a| a.first().copied()));
    }
}

/// Rounds in which every empty block takes the label with the longest shared edge among its labelled
/// neighbours, until nothing changes; with `only_preferred`, a block in a compound drawn whole takes only
/// the compound's labels, with `across_barriers` edges on a hard barrier count too.
fn flood_rounds(
    empty: &[usize],
    neighbours: &[Vec<(usize, f64, Coord, bool)>],
    (allowed, preferred): (&[Labels], &[Labels]),
    label: &mut [Option<u32>],
    divided: &HashMap<usize, Divided>,
    (only_preferred, across_barriers): (bool, bool),
) {
    loop {
        let mut changes = Vec::new();
        for (i, &b) in empty.iter().enumerate() {
            if label[b].is_some() {
                continue;
            }
            let mut weight: BTreeMap<u32, f64> = BTreeMap::new();
            for &(o, w, mid, _) in neighbours[i].iter().filter(|n| across_barriers || !n.3) {
                let l = match divided.get(&o) {
                    Some(d) => Some(d.nearest(mid)),
                    None => label[o],
                };
                let wanted = |l: &u32| !only_preferred || preferred[i].is_none_or(|p| p.contains(l));
                if let Some(l) = l.filter(|l| allowed[i].is_none_or(|a| a.contains(l)) && wanted(l)) {
                    let boost = if preferred[i].is_some_and(|p| p.contains(&l)) { PREFERRED_WEIGHT } else { 1.0 };
                    *weight.entry(l).or_default() += w * boost;
                }
            }
            if let Some((&l, _)) = weight.iter().max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(a.0))) {
                changes.push((b, l));
            }
        }
        if changes.is_empty() {
            break;
        }
        for (b, l) in changes {
            label[b] = Some(l);
        }
    }
}

/// A block shared by several labels: samples along the walls of its footprints (points for sites without
/// one), each with its label.
struct Divided {
    samples: RTree<GeomWithData<[f64; 2], u32>>,
    points: Vec<(Coord, u32)>,
}

impl Divided {
    fn new(all: &[BlockSite], sites: &[usize]) -> Divided {
        let mut points = Vec::new();
        for &s in sites {
            let site = &all[s];
            match site.footprint {
                Some(fp) => {
                    for ring in fp.0.iter().flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors())) {
                        for l in ring.lines() {
                            let len = (l.end.x - l.start.x).hypot(l.end.y - l.start.y);
                            let n = (len / SAMPLE_STEP_M).ceil().max(1.0) as usize;
                            for i in 0..n {
                                let t = i as f64 / n as f64;
                                let at = Coord {
                                    x: l.start.x + t * (l.end.x - l.start.x),
                                    y: l.start.y + t * (l.end.y - l.start.y),
                                };
                                points.push((at, site.label));
                            }
                        }
                    }
                }
                None => points.push((site.point.0, site.label)),
            }
        }
        let samples = RTree::bulk_load(points.iter().map(|&(c, l)| GeomWithData::new([c.x, c.y], l)).collect());
        Divided { samples, points }
    }

    fn nearest(&self, at: Coord) -> u32 {
        self.samples.nearest_neighbor(&[at.x, at.y]).map(|e| e.data).unwrap_or(0)
    }

    /// The block cut along the Voronoi edges between samples of different labels and around every
    /// footprint; a piece inside a footprint takes its site's label, any other the nearest sample's.
    fn pieces(&self, grid: &FixedGrid, block: &Polygon, all: &[BlockSite], sites: &[usize]) -> Vec<(u32, Polygon)> {
        let Some(r) = block.bounding_rect() else { return Vec::new() };
        let (lo, hi) =
            (Coord { x: r.min().x - 1.0, y: r.min().y - 1.0 }, Coord { x: r.max().x + 1.0, y: r.max().y + 1.0 });
        let reach = 2.0 * (hi.x - lo.x + hi.y - lo.y);
        let mut tri: DelaunayTriangulation<Point2<f64>> = DelaunayTriangulation::new();
        let mut vertex_label: Vec<u32> = Vec::new();
        for &(c, l) in &self.points {
            if let Ok(h) = tri.insert(Point2::new(c.x, c.y))
                && h.index() == vertex_label.len()
            {
                vertex_label.push(l);
            }
        }
        let mut lines: Vec<Vec<Coord>> = Vec::new();
        for edge in tri.undirected_edges() {
            let [u, v] = edge.vertices();
            if vertex_label[u.fix().index()] == vertex_label[v.fix().index()] {
                continue;
            }
            let e = edge.as_directed();
            let (a, b) = (e.from().position(), e.to().position());
            let mid = Coord { x: (a.x + b.x) / 2.0, y: (a.y + b.y) / 2.0 };
            let len = (b.x - a.x).hypot(b.y - a.y).max(1e-9);
            // The left normal of a directed edge points into its face.
            let end = |face: spade::handles::FaceHandle<'_, spade::handles::PossiblyOuterTag, _, _, _, _>,
                       sign: f64| match face.as_inner() {
                Some(inner) => {
                    let c = inner.circumcenter();
                    Coord { x: c.x, y: c.y }
                }
                None => {
                    Coord { x: mid.x - sign * (b.y - a.y) / len * reach, y: mid.y + sign * (b.x - a.x) / len * reach }
                }
            };
            let (p, q) = (end(e.face(), 1.0), end(e.rev().face(), -1.0));
            if let Some((p, q)) = clip_segment(p, q, lo, hi) {
                lines.push(vec![p, q]);
            }
        }
        for &s in sites {
            if let Some(fp) = all[s].footprint {
                // Courtyards too, or a courtyard would join its building's piece and could carry it off.
                lines.extend(
                    fp.0.iter().flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors())).map(|r| r.0.clone()),
                );
            }
        }
        let pieces = grid.slice(&MultiPolygon::new(vec![block.clone()]), &lines);
        if pieces.is_empty() {
            // Nothing came out of the slice (a degenerate block): the block goes whole to its first label.
            return vec![(all[sites[0]].label, block.clone())];
        }
        // A piece inside a footprint takes its site's label (the smallest footprint, for footprints mapped
        // inside others); any other piece the nearest sample's.
        let mut fps: Vec<(&MultiPolygon, u32)> =
            sites.iter().filter_map(|&s| Some((all[s].footprint?, all[s].label))).collect();
        fps.sort_by(|a, b| a.0.unsigned_area().total_cmp(&b.0.unsigned_area()));
        let mut labelled: Vec<(u32, Polygon)> = pieces
            .into_iter()
            .map(|piece| {
                let at = crate::load::geometry::representative_point(&MultiPolygon::new(vec![piece.clone()]));
                let l = at
                    .and_then(|at| fps.iter().find(|(fp, _)| fp.0.iter().any(|p| p.contains(&at))).map(|&(_, l)| l))
                    .or_else(|| at.map(|at| self.nearest(at.0)))
                    .unwrap_or(all[sites[0]].label);
                (l, piece)
            })
            .collect();
        // Every label of the block keeps at least the piece under one of its sites (co-located sites of
        // several labels, footprints inside footprints).
        for &s in sites {
            let l = all[s].label;
            if labelled.iter().any(|(x, _)| *x == l) {
                continue;
            }
            if let Some(piece) = labelled.iter_mut().find(|(_, p)| p.intersects(&all[s].point)) {
                piece.0 = l;
            }
        }
        labelled
    }
}

/// Liang–Barsky: the part of segment p–q inside the box lo–hi.
fn clip_segment(p: Coord, q: Coord, lo: Coord, hi: Coord) -> Option<(Coord, Coord)> {
    let (dx, dy) = (q.x - p.x, q.y - p.y);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (den, num) in [(-dx, p.x - lo.x), (dx, hi.x - p.x), (-dy, p.y - lo.y), (dy, hi.y - p.y)] {
        if den == 0.0 {
            if num < 0.0 {
                return None;
            }
            continue;
        }
        let t = num / den;
        if den < 0.0 {
            t0 = t0.max(t);
        } else {
            t1 = t1.min(t);
        }
        if t0 > t1 {
            return None;
        }
    }
    Some((Coord { x: p.x + t0 * dx, y: p.y + t0 * dy }, Coord { x: p.x + t1 * dx, y: p.y + t1 * dy }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area, BooleanOps, Rect};

    fn square(x: f64, y: f64, s: f64) -> MultiPolygon {
        MultiPolygon::new(vec![Rect::new((x, y), (x + s, y + s)).to_polygon()])
    }

    fn drawn(
        street: &MultiPolygon,
        roads: Vec<Vec<Coord>>,
        sites: Vec<BlockSite>,
    ) -> (BTreeMap<u32, MultiPolygon>, BlockStats) {
        let grid = FixedGrid::for_extent(1000.0);
        let cut = CutLines::from_lines(roads);
        let hard = HardLines::none();
        let c = Container { polygon: street, sites, reserved: Vec::new(), preferred: Vec::new() };
        let (pieces, stats) = draw(&grid, (&cut, &CutLines::from_lines(Vec::new())), &hard, &c);
        let mut by: BTreeMap<u32, Vec<Polygon>> = BTreeMap::new();
        for (l, p) in pieces {
            by.entry(l).or_default().push(p);
        }
        (by.into_iter().map(|(l, ps)| (l, grid.union(ps.iter()))).collect(), stats)
    }

    #[test]
    fn blocks_follow_the_road_and_empty_blocks_join_their_neighbour() {
        let street = MultiPolygon::new(vec![Rect::new((0.0, 0.0), (200.0, 100.0)).to_polygon()]);
        let road = vec![Coord { x: 100.0, y: -5.0 }, Coord { x: 100.0, y: 105.0 }];
        // A dead-end lane into the west block does not cut it; a side street cuts an empty strip off the east.
        let lane = vec![Coord { x: 100.0, y: 50.0 }, Coord { x: 40.0, y: 50.0 }];
        let side = vec![Coord { x: 100.0, y: 80.0 }, Coord { x: 205.0, y: 80.0 }];
        let (a, b, e) = (square(20.0, 20.0, 10.0), square(60.0, 60.0, 10.0), square(150.0, 20.0, 10.0));
        let site = |fp: &MultiPolygon, label| {
            let at = crate::load::geometry::representative_point(fp).expect("point");
            BlockSite { point: at, footprint: None, label }
        };
        let sites = vec![site(&a, 0), site(&b, 0), site(&e, 1)];
        let (by, stats) = drawn(&street, vec![road, lane, side], sites);
        assert_eq!(stats.blocks, 3, "{stats:?}");
        assert_eq!(stats.blocks_empty, 1);
        assert!((by[&0].unsigned_area() - 10_000.0).abs() < 0.01);
        assert!((by[&1].unsigned_area() - 10_000.0).abs() < 0.01);
        assert!(by[&0].intersection(&by[&1]).unsigned_area() < 1e-6);
    }

    #[test]
    fn a_shared_block_is_divided_between_footprints_without_cutting_one() {
        let street = MultiPolygon::new(vec![Rect::new((0.0, 0.0), (100.0, 60.0)).to_polygon()]);
        let fps = [square(10.0, 10.0, 20.0), square(34.0, 12.0, 15.0), square(70.0, 30.0, 20.0)];
        let labels = [0, 1, 0];
        let sites = fps
            .iter()
            .zip(labels)
            .map(|(fp, label)| BlockSite {
                point: crate::load::geometry::representative_point(fp).expect("point"),
                footprint: Some(fp),
                label,
            })
            .collect();
        let (by, stats) = drawn(&street, Vec::new(), sites);
        assert_eq!(stats.blocks_divided, 1);
        assert!((by[&0].unsigned_area() + by[&1].unsigned_area() - 6_000.0).abs() < 0.01);
        for (fp, label) in fps.iter().zip(labels) {
            assert!(fp.difference(&by[&label]).unsigned_area() < 1e-6, "footprint of label {label} cut");
        }
    }
}
