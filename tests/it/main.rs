#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests fail loudly")]
//! Integration tests: one binary (each test binary links polars), modules by theme.

mod bad_input;
mod checker;
mod cli;
mod coverage;
mod crs_real;
mod ensemble;
mod formats;
mod fuzz_replay;
mod gis_files;
mod golden;
mod graphs;
mod harbin;
mod issue9_loaders;
mod issue9_runs;
mod locate;
mod outlines;
mod output;
mod partition;
mod plan;
mod props;
mod replan;
mod report_browser;
mod shards;
mod util;
