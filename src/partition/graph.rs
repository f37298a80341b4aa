//! The unit graph: buildings (or household points) as sites, neighbours from a Delaunay triangulation
//! (spade) capped in length, every link that crosses a hard barrier cut; then compounds contracted to one
//! unit each while they fit under the upper bound.

use geo::{Intersects, Line, Point};
use rstar::primitives::GeomWithData;
use rstar::{AABB, RTree};
use spade::{DelaunayTriangulation, Point2, Triangulation};

/// A hard barrier segment with the barrier it belongs to.
pub type BarrierSegment = GeomWithData<Line, usize>;

/// R-tree over hard barrier segments.
pub struct BarrierIndex {
    tree: RTree<BarrierSegment>,
}

impl BarrierIndex {
    /// Indexes the segments of the given lines; the data of each segment is its line's position.
    pub fn new<'a>(lines: impl Iterator<Item = (usize, &'a geo::LineString)>) -> Self {
        let segments = lines.flat_map(|(i, ls)| ls.lines().map(move |l| GeomWithData::new(l, i))).collect();
        BarrierIndex { tree: RTree::bulk_load(segments) }
    }

    /// The barriers of `d` whose class is one of the plan's hard `classes`.
    pub fn hard(d: &crate::model::Dataset, classes: &[String]) -> Self {
        Self::new(d.barriers.iter().enumerate().filter(|(_, b)| classes.contains(&b.class)).map(|(i, b)| (i, &b.line)))
    }

    /// The first barrier (lowest position) the segment a–b crosses, if any.
    pub fn crossing(&self, a: Point, b: Point) -> Option<usize> {
        let link = Line::new(a.0, b.0);
        let env = AABB::from_corners(
            Point::new(a.x().min(b.x()), a.y().min(b.y())),
            Point::new(a.x().max(b.x()), a.y().max(b.y())),
        );
        self.tree.locate_in_envelope_intersecting(&env).filter(|s| s.geom().intersects(&link)).map(|s| s.data).min()
    }
}

/// A link between two sites.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SiteLink {
    /// First site.
    pub a: usize,
    /// Second site.
    pub b: usize,
    /// Length, m.
    pub length_m: f64,
    /// The hard barrier it crosses (such links are not adjacencies; they are kept to price remedies).
    pub barrier: Option<usize>,
}

/// Delaunay neighbours of `sites` no longer than `max_edge_m`, each marked with the barrier it crosses.
/// Sites at the same position are linked with length 0. Deterministic: links sorted by (a, b).
pub fn site_links(sites: &[Point], max_edge_m: f64, barriers: &BarrierIndex) -> Vec<SiteLink> {
    let mut links = Vec::new();
    let mut tri: DelaunayTriangulation<Point2<f64>> = DelaunayTriangulation::new();
    // Which site each vertex stands for; co-located sites chain onto the first.
    let mut vertex_site: Vec<usize> = Vec::new();
    for (i, p) in sites.iter().enumerate() {
        let Ok(handle) = tri.insert(Point2::new(p.x(), p.y())) else { continue };
        let idx = handle.index();
        if idx < vertex_site.len() {
            links.push(SiteLink { a: vertex_site[idx], b: i, length_m: 0.0, barrier: None });
        } else {
            vertex_site.push(i);
        }
    }
    for edge in tri.undirected_edges() {
        let [u, v] = edge.vertices();
        let (a, b) = (vertex_site[u.fix().index()], vertex_site[v.fix().index()]);
        let (pa, pb) = (sites[a], sites[b]);
        let length_m = ((pa.x() - pb.x()).powi(2) + (pa.y() - pb.y()).powi(2)).sqrt();
        if length_m > max_edge_m {
            continue;
        }
        links.push(SiteLink { a: a.min(b), b: a.max(b), length_m, barrier: barriers.crossing(pa, pb) });
    }
    links.sort_by(|x, y| (x.a, x.b).cmp(&(y.a, y.b)).then(x.length_m.total_cmp(&y.length_m)));
    links.dedup_by(|x, y| x.a == y.a && x.b == y.b);
    links
}

/// Union-find with path halving; the representative is the smallest element, so results are deterministic.
#[derive(Debug, Clone)]
pub struct UnionFind {
    parent: Vec<usize>,
}

impl UnionFind {
    /// `n` singletons.
    pub fn new(n: usize) -> Self {
        UnionFind { parent: (0..n).collect() }
    }

    /// The representative of `x`.
    pub fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    /// Joins the sets of `a` and `b`.
    pub fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            let (lo, hi) = (ra.min(rb), ra.max(rb));
            self.parent[hi] = lo;
        }
    }
}

/// A graph of units: each unit holds sites; adjacency lists are sorted and free of duplicates.
#[derive(Debug, Clone)]
pub struct UnitGraph {
    /// The sites of each unit, ascending.
    pub unit_sites: Vec<Vec<usize>>,
    /// The unit of each site.
    pub site_unit: Vec<usize>,
    /// Households of each unit.
    pub households: Vec<u32>,
    /// Neighbours of each unit (links that cross no hard barrier).
    pub adj: Vec<Vec<usize>>,
}

impl UnitGraph {
    /// Contracts sites into units: sites of one group (a compound), linked to each other without crossing a
    /// barrier, become one unit while their households total at most `contract_up_to`; sites of one stack
    /// (overlapping footprints) are one unit whatever they total; every other site is a unit of its own.
    pub fn build(
        site_households: &[u32],
        site_group: &[Option<usize>],
        site_stack: &[Option<usize>],
        links: &[SiteLink],
        contract_up_to: u32,
    ) -> UnitGraph {
        let n = site_households.len();
        let mut pieces = UnionFind::new(n);
        for l in links.iter().filter(|l| l.barrier.is_none()) {
            if site_group[l.a].is_some() && site_group[l.a] == site_group[l.b] {
                pieces.union(l.a, l.b);
            }
        }
        let mut piece_total = vec![0u64; n];
        for (s, &h) in site_households.iter().enumerate() {
            let r = pieces.find(s);
            piece_total[r] += u64::from(h);
        }
        let mut units = UnionFind::new(n);
        for (s, group) in site_group.iter().enumerate() {
            let r = pieces.find(s);
            if group.is_some() && piece_total[r] <= u64::from(contract_up_to) {
                units.union(s, r);
            }
        }
        let mut first_of_stack: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
        for (s, stack) in site_stack.iter().enumerate() {
            if let Some(k) = stack {
                let first = *first_of_stack.entry(*k).or_insert(s);
                units.union(first, s);
            }
        }
        let mut unit_of_root = vec![usize::MAX; n];
        let mut site_unit = vec![0; n];
        let mut unit_sites: Vec<Vec<usize>> = Vec::new();
        for (s, unit) in site_unit.iter_mut().enumerate() {
            let r = units.find(s);
            if unit_of_root[r] == usize::MAX {
                unit_sites.push(Vec::new());
                unit_of_root[r] = unit_sites.len() - 1;
            }
            *unit = unit_of_root[r];
            unit_sites[*unit].push(s);
        }
        let households = unit_sites.iter().map(|ss| ss.iter().map(|&s| site_households[s]).sum()).collect();
        let mut adj = vec![Vec::new(); unit_sites.len()];
        for l in links.iter().filter(|l| l.barrier.is_none()) {
            let (ua, ub) = (site_unit[l.a], site_unit[l.b]);
            if ua != ub {
                adj[ua].push(ub);
                adj[ub].push(ua);
            }
        }
        for a in &mut adj {
            a.sort_unstable();
            a.dedup();
        }
        UnitGraph { unit_sites, site_unit, households, adj }
    }

    /// Connected components (each ascending), ordered by their smallest unit.
    pub fn components(&self) -> Vec<Vec<usize>> {
        let mut seen = vec![false; self.adj.len()];
        let mut out = Vec::new();
        for start in 0..self.adj.len() {
            if seen[start] {
                continue;
            }
            seen[start] = true;
            let mut stack = vec![start];
            let mut comp = Vec::new();
            while let Some(u) = stack.pop() {
                comp.push(u);
                for &v in &self.adj[u] {
                    if !seen[v] {
                        seen[v] = true;
                        stack.push(v);
                    }
                }
            }
            comp.sort_unstable();
            out.push(comp);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::LineString;

    #[test]
    fn barrier_cuts_links_and_compounds_contract() {
        // Two rows of three sites, a road between the rows.
        let sites: Vec<Point> = [(0., 0.), (50., 0.), (100., 0.), (0., 100.), (50., 100.), (100., 100.)]
            .iter()
            .map(|&(x, y)| Point::new(x, y))
            .collect();
        let road = LineString::from(vec![(-10.0, 50.0), (110.0, 50.0)]);
        let barriers = BarrierIndex::new(std::iter::once((0, &road)));
        let links = site_links(&sites, 200.0, &barriers);
        assert!(links.iter().any(|l| l.barrier == Some(0)), "links across the road are marked");
        let households = [100, 100, 100, 100, 100, 100];
        let groups = [Some(0), Some(0), None, Some(1), Some(1), Some(1)];
        let g = UnitGraph::build(&households, &groups, &[None; 6], &links, 250);
        // Compound 0 (200 ≤ 250) becomes one unit; compound 1 (300 > 250) stays three buildings.
        assert_eq!(g.unit_sites.len(), 5);
        assert_eq!(g.households.iter().sum::<u32>(), 600);
        let comps = g.components();
        assert_eq!(comps.len(), 2, "the road splits the two rows: {comps:?}");
        // Stacked footprints are one unit even where their compound is too large to contract, and even
        // across the road (the footprints overlap: nothing can draw them apart).
        let stacks = [None, None, Some(2), None, Some(2), Some(9)];
        let g = UnitGraph::build(&households, &groups, &stacks, &links, 250);
        assert_eq!(g.unit_sites, vec![vec![0, 1], vec![2, 4], vec![3], vec![5]]);
        assert_eq!(g.households, vec![200, 200, 100, 100]);
    }

    #[test]
    fn co_located_sites_are_linked() {
        let sites = vec![Point::new(0., 0.), Point::new(0., 0.), Point::new(10., 0.)];
        let links = site_links(&sites, 100.0, &BarrierIndex::new(std::iter::empty()));
        assert!(links.iter().any(|l| l.a == 0 && l.b == 1 && l.length_m == 0.0), "{links:?}");
        let g = UnitGraph::build(&[1, 1, 1], &[None, None, None], &[None, None, None], &links, 10);
        assert_eq!(g.components().len(), 1);
    }
}
