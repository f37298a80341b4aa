//! Spatial indexes over the projected data (R-trees from `rstar`).

mod polygon_index;

pub use polygon_index::PolygonIndex;
