//! Districts for analysts: their own graphs (networkx JSON, or polygon layers made into rook/queen
//! adjacency), exactly K contiguous districts as a first plan, and ReCom ensembles with per-step statistics,
//! BEN plans and diagnostics across chains. The engine here knows nodes, edges and populations only; the
//! city (buildings, communities, bands) is `partition`'s.

pub mod adjacency;
pub mod ben;
pub mod constraints;
pub mod diagnostics;
pub mod ensemble;
mod first_plan;
pub mod graph;
pub mod recom;
pub mod stats;
mod ust;

pub use first_plan::{Districts, DistrictsError, districts, score};
pub use graph::Graph;
