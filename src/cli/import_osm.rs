//! `gridplan import-osm`.

use anyhow::Context;
use gridplan::config::PlanConfig;
use gridplan::load::osm::OsmOptions;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// OpenStreetMap 地图文件 .osm.pbf / the .osm.pbf extract.
    pbf: PathBuf,
    /// 输出文件夹（只有导入成功才整体替换）/ output folder (replaced as a whole only when the import succeeds).
    #[arg(long)]
    out: PathBuf,
    /// 街道/镇 在 OSM 中的 admin_level / OSM admin_level of streets.
    #[arg(long, default_value_t = 8)]
    street_level: u8,
    /// 社区/村 在 OSM 中的 admin_level / OSM admin_level of communities.
    #[arg(long, default_value_t = 10)]
    community_level: u8,
    /// 没有层数和高度的住宅楼按几层估算（写入方案文件）/ levels of residential buildings with neither levels nor
    /// height, written into the plan.
    #[arg(long)]
    default_levels: Option<f64>,
    /// 统计用区划代码表（CSV，含 code、name 列，可多个），复制到输出文件夹并写入方案 / official division lists
    /// (CSV with code and name), copied beside the plan and named in it.
    #[arg(long, value_delimiter = ',')]
    division_codes: Vec<PathBuf>,
    /// 以 JSON 输出检查结果 / print the inspect report as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let options = OsmOptions { street_admin_level: args.street_level, community_admin_level: args.community_level };
    let mut config = PlanConfig::default();
    if let Some(l) = args.default_levels {
        config.estimate.default_levels = l;
    }
    config.admin.division_codes = args.division_codes.clone();
    let mut reads = vec![args.pbf.clone()];
    reads.extend(args.division_codes.iter().cloned());
    let staged = super::output::open(&args.out, "import-osm", None, reads, Vec::new())?;
    let report = gridplan::import::import_into(&args.pbf, &staged, "", &options, &config)
        .with_context(|| format!("importing {}", args.pbf.display()))?;
    staged.commit()?;
    if !args.json {
        eprintln!(
            "read {} nodes, {} ways, {} relations; {} ways clipped by the extract; {} elements not usable (import_report.json)",
            report.nodes,
            report.ways,
            report.relations,
            report.ways_with_missing_nodes,
            report.skipped.len()
        );
        eprintln!("wrote {}\n", args.out.display());
    }
    super::inspect::print_report(&args.out.join("plan.toml"), args.json, false)
}
