#![cfg_attr(
    test,
    allow(clippy::unwrap_used, reason = "tests unwrap to fail loudly")
)]
//! # gridplan — 网格规划与分析
//!
//! Grid planning and analysis for urban grassroots governance (网格化管理): load household, building and
//! facility data (OpenStreetMap, GeoJSON, CSV, Parquet; WGS84, CGCS2000, GCJ-02, BD-09), partition
//! communities into basic and dedicated grids, check 15-minute walking coverage, and report workload.
//!
//! The pipeline runs `load → index → partition → evaluate → render`; plain data flow forward and files are
//! read only in [`load`] and written only in [`render`]. See `ARCHITECTURE.md` for the code map.

pub mod config;
pub mod crs;
pub mod estimate;
pub mod import;
pub mod index;
pub mod inspect;
pub mod load;
pub mod model;
pub mod osm_tags;
pub mod projection;
pub mod render;
pub mod synth;
