//! `gridplan compare`.

use anyhow::Context;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// 第一次运行的结果文件夹 / the first run folder.
    a: PathBuf,
    /// 第二次运行的结果文件夹 / the second run folder.
    b: PathBuf,
    /// 以 JSON 输出 / print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

fn check(dir: &std::path::Path) -> anyhow::Result<serde_json::Value> {
    let path = dir.join("check.json");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let a = gridplan::load::run::read_assignment(&args.a)?;
    let b = gridplan::load::run::read_assignment(&args.b)?;
    // B rerun from A keeps A's grid ids: its moves are counted by id, as its replan.json counts them.
    let rerun_from_a = std::fs::read_to_string(args.b.join(gridplan::load::previous::REPLAN_FILE))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v["previous"].as_str().map(PathBuf::from))
        .is_some_and(|p| super::output::same_folder(&p, &args.a));
    let s = gridplan::compare::compare(&a, &b, rerun_from_a);
    let (ca, cb) = (check(&args.a)?, check(&args.b)?);
    let mut v = serde_json::to_value(&s)?;
    for (key, c) in [("a", &ca), ("b", &cb)] {
        for k in ["households_in", "households_unassigned", "grids_in_band", "grids_out_of_band"] {
            v[key][k] = c[k].clone();
        }
        v[key]["run"] = serde_json::json!(if key == "a" { &args.a } else { &args.b }.display().to_string());
    }
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    outln!("{:<28} {:>14} {:>14}", "", "A", "B");
    for (label, key) in [
        ("grids", "grids"),
        ("grids in band", "grids_in_band"),
        ("households assigned", "households_assigned"),
        ("households unassigned", "households_unassigned"),
        ("mean households per grid", "mean"),
        ("CV", "cv"),
        ("Gini", "gini"),
    ] {
        let f = |x: &serde_json::Value| match x.as_f64() {
            Some(n) if n.fract() != 0.0 => format!("{n:.3}"),
            _ => x.to_string(),
        };
        outln!("{label:<28} {:>14} {:>14}", f(&v["a"][key]), f(&v["b"][key]));
    }
    outln!(
        "\nhouseholds that changed grid: {} of {} ({:.1} %); grids unchanged: {} of {} (grids matched by {})",
        s.households_moved,
        s.households_in_both,
        100.0 * s.share_moved,
        s.grids_unchanged,
        s.a.grids,
        s.matched_by
    );
    Ok(())
}
