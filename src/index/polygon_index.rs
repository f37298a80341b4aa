//! Which polygon contains a point: an R-tree of polygon bounding boxes, then an exact test.

use geo::{BoundingRect, Contains, MultiPolygon, Point};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

/// An index answering "which of these polygons contains this point?".
#[derive(Debug)]
pub struct PolygonIndex<'a> {
    polygons: Vec<&'a MultiPolygon>,
    tree: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
}

impl<'a> PolygonIndex<'a> {
    /// Indexes polygons; the answers are positions in the iterator's order.
    pub fn new(polygons: impl IntoIterator<Item = &'a MultiPolygon>) -> Self {
        let polygons: Vec<&MultiPolygon> = polygons.into_iter().collect();
        let entries = polygons
            .iter()
            .enumerate()
            .filter_map(|(i, mp)| {
                mp.bounding_rect().map(|r| {
                    GeomWithData::new(Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]), i)
                })
            })
            .collect();
        PolygonIndex { polygons, tree: RTree::bulk_load(entries) }
    }

    /// All polygons containing `p`, in ascending position.
    pub fn containing(&self, p: Point) -> Vec<usize> {
        let mut hits: Vec<usize> = self
            .tree
            .locate_in_envelope_intersecting(&AABB::from_point([p.x(), p.y()]))
            .map(|e| e.data)
            .filter(|&i| self.polygons[i].contains(&p))
            .collect();
        hits.sort_unstable();
        hits
    }

    /// The smallest-area polygon containing `p` (nested polygons: the innermost), lowest position on ties.
    pub fn innermost(&self, p: Point) -> Option<usize> {
        use geo::Area;
        self.containing(p).into_iter().min_by(|&a, &b| {
            let (x, y) = (self.polygons[a].unsigned_area(), self.polygons[b].unsigned_area());
            x.total_cmp(&y).then(a.cmp(&b))
        })
    }

    /// Whether no polygons were indexed.
    pub fn is_empty(&self) -> bool {
        self.polygons.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{MultiPolygon, polygon};

    #[test]
    fn finds_innermost_against_linear_scan() {
        let big: MultiPolygon = polygon![(x: 0., y: 0.), (x: 10., y: 0.), (x: 10., y: 10.), (x: 0., y: 10.)].into();
        let small: MultiPolygon = polygon![(x: 2., y: 2.), (x: 4., y: 2.), (x: 4., y: 4.), (x: 2., y: 4.)].into();
        let other: MultiPolygon = polygon![(x: 20., y: 0.), (x: 30., y: 0.), (x: 30., y: 10.)].into();
        let polys = [big, small, other];
        let idx = PolygonIndex::new(polys.iter());
        for (x, y) in [(3., 3.), (8., 8.), (25., 2.), (50., 50.), (-1., 5.)] {
            let p = Point::new(x, y);
            let linear: Vec<usize> = (0..3).filter(|&i| polys[i].contains(&p)).collect();
            assert_eq!(idx.containing(p), linear);
        }
        assert_eq!(idx.innermost(Point::new(3., 3.)), Some(1));
        assert_eq!(idx.innermost(Point::new(50., 50.)), None);
    }
}
