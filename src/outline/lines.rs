//! The lines grid outlines follow: streets of the configured classes, every barrier line (roads, rivers,
//! rails), compound outlines (walls) and dedicated-grid outlines, indexed in short chunks so a street asks only
//! for what lies near it; and the hard barriers, to tell which edges of a block are on one. Where a line runs
//! through a building, the drawing takes it round the building's walls ([`super::overlay::FixedGrid::slice_keeping`]).

use crate::config::OutlineParams;
use crate::model::Dataset;
use geo::{Coord, Line, LineString, MultiPolygon, Rect};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

/// Vertices per indexed chunk of a line.
const CHUNK: usize = 32;

/// The cutting lines of a dataset.
pub struct CutLines {
    /// Each chunk.
    chunks: Vec<Vec<Coord>>,
    tree: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
}

fn rings(mp: &MultiPolygon) -> impl Iterator<Item = &LineString> {
    mp.0.iter().flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
}

/// The lines outlines follow that the data give: streets of the configured classes, compound walls and every
/// barrier line (the partition keeps the sites between them together where it can).
pub fn data_lines<'a>(d: &'a Dataset, params: &'a OutlineParams) -> impl Iterator<Item = &'a LineString> + 'a {
    let roads = d.walk_network.iter().filter(|w| params.road_classes.contains(&w.class)).map(|w| &w.line);
    let walls = d.compounds.iter().filter(|_| params.compound_walls).flat_map(|c| rings(&c.polygon));
    roads.chain(walls).chain(d.barriers.iter().map(|b| &b.line))
}

impl CutLines {
    /// The lines outlines follow in `d`, and the outlines of the dedicated grids' areas.
    pub fn new(d: &Dataset, dedicated_areas: &[MultiPolygon], params: &OutlineParams) -> CutLines {
        Self::chunked(data_lines(d, params).chain(dedicated_areas.iter().flat_map(rings)))
    }

    /// The minor roads that divide shared blocks (`[outlines] minor_road_classes`).
    pub fn minor(d: &Dataset, params: &OutlineParams) -> CutLines {
        Self::chunked(d.walk_network.iter().filter(|w| params.minor_road_classes.contains(&w.class)).map(|w| &w.line))
    }

    /// Lines cut into chunks of at most `CHUNK` segments (consecutive chunks share their end vertex), indexed.
    fn chunked<'a>(lines: impl Iterator<Item = &'a LineString>) -> CutLines {
        let mut chunks = Vec::new();
        for line in lines {
            let cs = &line.0;
            let mut start = 0;
            while start + 1 < cs.len() {
                let end = (start + CHUNK).min(cs.len() - 1);
                chunks.push(cs[start..=end].to_vec());
                start = end;
            }
        }
        Self::index(chunks)
    }

    /// Given lines (for tests and callers with their own lines).
    pub fn from_lines(lines: Vec<Vec<Coord>>) -> CutLines {
        Self::index(lines)
    }

    fn index(chunks: Vec<Vec<Coord>>) -> CutLines {
        let tree = RTree::bulk_load(
            chunks
                .iter()
                .enumerate()
                .filter_map(|(i, c)| {
                    let r = LineString::new(c.clone());
                    let b = geo::BoundingRect::bounding_rect(&r)?;
                    Some(GeomWithData::new(Rectangle::from_corners([b.min().x, b.min().y], [b.max().x, b.max().y]), i))
                })
                .collect(),
        );
        CutLines { chunks, tree }
    }

    /// The chunks that come within the rectangle, in index order.
    pub fn near(&self, r: Rect) -> Vec<Vec<Coord>> {
        let env = AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
        let mut ids: Vec<usize> = self.tree.locate_in_envelope_intersecting(&env).map(|e| e.data).collect();
        ids.sort_unstable();
        ids.into_iter().map(|i| self.chunks[i].clone()).collect()
    }
}

/// Hard barrier segments, to tell whether an edge of a block lies on one.
pub struct HardLines {
    tree: RTree<Line>,
}

impl HardLines {
    /// No hard barrier at all.
    pub fn none() -> HardLines {
        HardLines { tree: RTree::new() }
    }

    /// The barriers of the plan's hard classes.
    pub fn new(d: &Dataset, classes: &[String]) -> HardLines {
        let segments = d.barriers.iter().filter(|b| classes.contains(&b.class)).flat_map(|b| b.line.lines()).collect();
        HardLines { tree: RTree::bulk_load(segments) }
    }

    /// Whether the point lies within `tolerance_m` of a hard barrier.
    pub fn near(&self, c: Coord, tolerance_m: f64) -> bool {
        self.tree.locate_within_distance(geo::Point::from(c), tolerance_m * tolerance_m).next().is_some()
    }
}
