//! Command-line interface: clap definitions and dispatch only; the work is in the library.

/// Writes a line to standard output and returns its error, so that a closed pipe (`gridplan inspect | head`)
/// ends the command quietly instead of panicking as `println!` does.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?
    }};
}

mod compare;
mod coverage;
mod districts;
mod ensemble;
mod export_graph;
mod import_osm;
mod inspect;
mod locate;
mod merge;
mod merge_layers;
mod output;
mod partition;
mod plan;
mod replan;
mod synth;

use clap::{Parser, Subcommand};

/// gridplan 网格规划与分析：把社区划成网格、查15分钟服务圈、看网格员工作量。
/// Grid planning for urban grassroots governance: grids, 15-minute service circles, workload.
#[derive(Debug, Parser)]
#[command(name = "gridplan", version, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// 导入 OpenStreetMap 地图文件（.osm.pbf），生成各图层和可编辑的方案文件 plan.toml /
    /// import an OpenStreetMap file into layers and an editable plan.toml.
    ImportOsm(import_osm::Args),
    /// 检查数据：各图层的数量、户数、人数、范围和所有提示 / check the data: counts, households, warnings.
    Inspect(inspect::Args),
    /// 一次完成全部工作：划网格、服务圈覆盖和新设施选址、工作量、图表和报告 report.html /
    /// the whole job: grids, coverage and new sites, workload, charts and the report.
    Plan(plan::Args),
    /// 只划网格：每个社区划成 300–500 户的基础网格，不跨主干道和河流，小区尽量完整；达不到标准的网格写明原因 /
    /// grids only: basic grids of 300–500 households, never across main roads or rivers, with reasons for any
    /// grid outside the band.
    Partition(partition::Args),
    /// 15分钟服务圈：每户步行到各类设施的距离、未覆盖的问题台账、建议新址 /
    /// walking coverage per household and facility kind, the ledger of households not covered, new sites.
    Coverage(coverage::Args),
    /// 比较两次规划：工作量和变动（换了网格的户数、没变的网格）/ compare two runs: workload and what changed.
    Compare(compare::Args),
    /// 多网合一：把几个部门的网格图层合成一套网格，尽量保持各部门原网格完整 /
    /// merge several departments' grid layers into one plan, keeping their grids together where possible.
    MergeLayers(merge_layers::Args),
    /// 合并分片：检查各分片（plan --shard I/N）后写出全省/全市的合并结果 /
    /// join the shard runs of `plan --shard I/N` into one, after checking them against each other.
    Merge(merge::Args),
    /// 分析人员：在自己的图（GerryChain/networkx 或多边形图层）上划出 K 个连通、人口均衡的区 /
    /// analysts: exactly K contiguous districts within a population tolerance on their own graph.
    Districts(districts::Args),
    /// 分析人员：ReCom 马尔可夫链方案集，逐步统计、BEN 方案文件和收敛诊断 /
    /// analysts: ReCom ensembles with per-step statistics, BEN plans and diagnostics across chains.
    Ensemble(ensemble::Args),
    /// 查询地址或建筑所在的网格、微网格、社区、街道和网格员 / which grid an address or building is in, and its workers.
    Locate(locate::Args),
    /// 导出建筑邻接图（networkx/GerryChain 格式，用于与其他工具比较）/ export the building graph as networkx JSON.
    ExportGraph(export_graph::Args),
    /// 生成一座模拟城市（用于测试和性能评估）/ write a synthetic city with a plan (for tests and benchmarks).
    Synth(synth::Args),
}

/// Reads a plan file and loads its layers, naming the plan in any error.
fn load(path: &std::path::Path) -> anyhow::Result<(gridplan::config::Plan, gridplan::model::Dataset)> {
    let plan = gridplan::config::Plan::from_path(path)?;
    let dataset = load_data(&plan)?;
    Ok((plan, dataset))
}

/// Loads a plan's layers, naming the plan in any error.
fn load_data(plan: &gridplan::config::Plan) -> anyhow::Result<gridplan::model::Dataset> {
    use anyhow::Context;
    gridplan::load::load_plan(plan).with_context(|| format!("loading {}", plan.path.display()))
}

/// The first line a planner sees when households were left out of every grid: how many, and why.
/// Out-of-band grids whose certificate is not a proof: the planner must know the search gave up.
fn warn_unproved(check: &gridplan::partition::check::Check) {
    if check.grids_out_of_band_unexplained > 0 {
        eprintln!(
            "警告：{0} 个超出户数范围的网格（共 {1} 个）未能证明无法调整到范围内（搜索已达上限，可调大 [partition] exact_budget） / \
             warning: {0} of {1} grids out of band have no proof that no in-band plan exists (the search gave up; \
             run.json certificates say how far it got; raise [partition] exact_budget to search further)",
            check.grids_out_of_band_unexplained, check.grids_out_of_band
        );
    }
}

fn warn_unassigned(p: &gridplan::partition::Partition) {
    let left = p.unassigned_households();
    if left == 0 {
        return;
    }
    let total = left + p.assigned_households();
    eprintln!(
        "warning: {left} of {total} households ({:.1} %) are in no grid — {}; unassigned.csv lists every one",
        100.0 * left as f64 / total as f64,
        p.unassigned_summary()
    );
}

/// Runs one command.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::ImportOsm(a) => import_osm::run(a),
        Command::Inspect(a) => inspect::run(a),
        Command::Partition(a) => partition::run(a),
        Command::Plan(a) => plan::run(a),
        Command::Coverage(a) => coverage::run(a),
        Command::Compare(a) => compare::run(a),
        Command::MergeLayers(a) => merge_layers::run(a),
        Command::Merge(a) => merge::run(a),
        Command::Districts(a) => districts::run(a),
        Command::Ensemble(a) => ensemble::run(a),
        Command::Locate(a) => locate::run(a),
        Command::Synth(a) => synth::run(a),
        Command::ExportGraph(a) => export_graph::run(a),
    }
}
