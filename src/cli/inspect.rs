//! `gridplan inspect`.

use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// 方案文件 plan.toml / the plan file.
    plan: PathBuf,
    /// 以 JSON 输出 / print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// 列出全部提示（默认每类只列前五条）/ list every warning, not the first five of each kind.
    #[arg(long)]
    all_warnings: bool,
}

/// Loads a plan and prints its inspect report.
pub fn print_report(plan_path: &std::path::Path, json: bool, all_warnings: bool) -> anyhow::Result<()> {
    let (plan, dataset) = super::load(plan_path)?;
    let report = gridplan::inspect::inspect(&plan.config.plan.name, &dataset);
    if json {
        outln!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        {
            use std::io::Write as _;
            write!(std::io::stdout().lock(), "{}", report.to_text(all_warnings))?;
        }
    }
    Ok(())
}

pub fn run(args: Args) -> anyhow::Result<()> {
    print_report(&args.plan, args.json, args.all_warnings)
}
