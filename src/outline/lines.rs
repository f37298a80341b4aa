//! The lines grid outlines follow: streets of the configured classes, every barrier line (roads, rivers,
//! rails), compound outlines (walls) and dedicated-grid outlines, indexed in short chunks so a street asks only
//! for what lies near it; and the hard barriers, to tell which edges of a block are on one.

use crate::config::OutlineParams;
use crate::model::Dataset;
use geo::{Coord, Line, LineString, MultiPolygon, Rect};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

/// Vertices per indexed chunk of a line.
const CHUNK: usize = 32;

/// The cutting lines of a dataset.
pub struct CutLines {
    /// Each chunk, and whether it gives way to buildings (streets and walls do; barriers and dedicated-grid
    /// outlines do not).
    chunks: Vec<(Vec<Coord>, bool)>,
    tree: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
}

fn rings(mp: &MultiPolygon) -> impl Iterator<Item = &LineString> {
    mp.0.iter().flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
}

impl CutLines {
    /// The lines outlines follow in `d`, and the outlines of the dedicated grids' areas.
    pub fn new(d: &Dataset, dedicated_areas: &[MultiPolygon], params: &OutlineParams) -> CutLines {
        let roads = d.walk_network.iter().filter(|w| params.road_classes.contains(&w.class)).map(|w| &w.line);
        let barriers = d.barriers.iter().map(|b| &b.line);
        let walls = d.compounds.iter().filter(|_| params.compound_walls).flat_map(|c| rings(&c.polygon));
        let dedicated = dedicated_areas.iter().flat_map(rings);
        let soft = roads.chain(walls).map(|l| (l, true));
        Self::chunked(soft.chain(barriers.chain(dedicated).map(|l| (l, false))))
    }

    /// The minor roads that divide shared blocks (`[outlines] minor_road_classes`), giving way to buildings.
    pub fn minor(d: &Dataset, params: &OutlineParams) -> CutLines {
        Self::chunked(
            d.walk_network.iter().filter(|w| params.minor_road_classes.contains(&w.class)).map(|w| (&w.line, true)),
        )
    }

    /// Lines cut into chunks of at most `CHUNK` segments (consecutive chunks share their end vertex), indexed.
    fn chunked<'a>(lines: impl Iterator<Item = (&'a LineString, bool)>) -> CutLines {
        let mut chunks = Vec::new();
        for (line, gives_way) in lines {
            let cs = &line.0;
            let mut start = 0;
            while start + 1 < cs.len() {
                let end = (start + CHUNK).min(cs.len() - 1);
                chunks.push((cs[start..=end].to_vec(), gives_way));
                start = end;
            }
        }
        Self::index(chunks)
    }

    /// Lines that all give way to buildings (for tests and callers with their own lines).
    pub fn from_lines(lines: Vec<Vec<Coord>>) -> CutLines {
        Self::index(lines.into_iter().map(|l| (l, true)).collect())
    }

    fn index(chunks: Vec<(Vec<Coord>, bool)>) -> CutLines {
        let tree = RTree::bulk_load(
            chunks
                .iter()
                .enumerate()
                .filter_map(|(i, (c, _))| {
                    let r = LineString::new(c.clone());
                    let b = geo::BoundingRect::bounding_rect(&r)?;
                    Some(GeomWithData::new(Rectangle::from_corners([b.min().x, b.min().y], [b.max().x, b.max().y]), i))
                })
                .collect(),
        );
        CutLines { chunks, tree }
    }

    /// The chunks that come within the rectangle, in index order: those that give way to buildings, and
    /// those that do not.
    pub fn near(&self, r: Rect) -> (Vec<Vec<Coord>>, Vec<Vec<Coord>>) {
        let env = AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
        let mut ids: Vec<usize> = self.tree.locate_in_envelope_intersecting(&env).map(|e| e.data).collect();
        ids.sort_unstable();
        let (soft, fixed): (Vec<usize>, Vec<usize>) = ids.into_iter().partition(|&i| self.chunks[i].1);
        let get = |ids: Vec<usize>| ids.into_iter().map(|i| self.chunks[i].0.clone()).collect();
        (get(soft), get(fixed))
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
