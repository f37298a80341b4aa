#![cfg_attr(test, allow(clippy::unwrap_used, reason = "tests unwrap to fail loudly"))]
//! # gridplan — 网格规划与分析
//!
//! Grid planning and analysis for urban grassroots governance (网格化管理): load household, building and
//! facility data (OpenStreetMap, GeoJSON, CSV, Parquet; WGS84, CGCS2000, GCJ-02, BD-09), partition
//! communities into basic and dedicated grids, check 15-minute walking coverage, and report workload.
//!
//! The pipeline runs `load → index → partition → evaluate → render`; plain data flow forward and files are
//! read only in [`load`] and written only in [`render`]. See `ARCHITECTURE.md` for the code map.
//!
//! ```
//! use gridplan::{config::{Plan, PlanConfig}, import, load};
//! # let out = std::env::temp_dir().join(format!("gridplan-doctest-{}", std::process::id()));
//! // An OpenStreetMap extract becomes WGS84 layers and a plan…
//! let pbf = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/harbin-sample/harbin-sample.osm.pbf");
//! import::import_osm(&pbf, &out, &Default::default(), &PlanConfig::default())?;
//! // …which loads into one model in local metres, households estimated from footprints.
//! let data = load::load_plan(&Plan::from_path(&out.join("plan.toml"))?)?;
//! assert_eq!(data.buildings.len(), 312);
//! assert_eq!(data.total_households(), 26_542);
//! # std::fs::remove_dir_all(&out)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod columns;
pub mod compare;
pub mod config;
pub mod coverage;
pub mod crs;
pub mod districts;
pub mod estimate;
pub mod grids;
pub mod import;
pub mod index;
pub mod inspect;
pub mod load;
pub mod locate;
pub mod model;
pub mod network;
pub mod osm_tags;
pub mod outline;
pub mod partition;
pub mod pipeline;
pub mod projection;
pub mod render;
pub mod shard;
pub mod synth;
pub mod workload;
