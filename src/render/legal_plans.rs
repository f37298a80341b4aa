//! The plan among the legal plans (`partition::legal_plans`): `legal_plans.json` and the chart
//! `charts/legal_plans.png` (histogram of the samples' mean distance to the grid centre, the plan's marked),
//! Chinese first.

use super::chart::{Bars, write_figure};
use super::output_dir::StagedDir;
use crate::partition::legal_plans::LegalPlans;
use plotters::style::RED;

/// Writes the JSON (the comparison, or why it was not made) and, when made, the chart.
pub fn write(staged: &StagedDir, result: &Result<LegalPlans, String>) -> std::io::Result<()> {
    let json = match result {
        Ok(l) => serde_json::to_value(l)?,
        Err(why) => serde_json::json!({"not_made": why}),
    };
    staged.write("legal_plans.json", (serde_json::to_string_pretty(&json)? + "\n").as_bytes())?;
    if let Ok(l) = result
        && !l.mean_distance_m.samples.is_empty()
    {
        write_figure(staged, "charts/legal_plans", &outlier(l))?;
    }
    Ok(())
}

/// One sentence for the report.
pub fn sentence(result: &Result<LegalPlans, String>) -> String {
    match result {
        Ok(l) => format!(
            "与同样合规的 {} 个随机方案比较（{} 条链 × {} 步重组；户数都在标准内、不跨主干道和河流、小区完整、不出社区；{} 个超出户数标准或不连通的网格保持不变）：本方案住户到网格中心的平均距离 {:.1} 米，{:.1}% 的随机方案更近（平均 {:.1} 米，标准差 {:.1}）；网格之间相邻建筑连线总长 {:.1} 公里，{:.1}% 的随机方案更短（平均 {:.1} 公里）。本方案的网格线沿道路、围墙划分，会切断跨路的长连线，所以边界长度一项偏长是正常的。{}",
            l.mean_distance_m.samples.len(),
            l.chains,
            l.steps,
            l.frozen_out_of_band + l.frozen_not_connected,
            l.mean_distance_m.plan,
            100.0 * l.mean_distance_m.share_better,
            l.mean_distance_m.mean,
            l.mean_distance_m.sd,
            l.boundary_m.plan / 1000.0,
            100.0 * l.boundary_m.share_better,
            l.boundary_m.mean / 1000.0,
            match l.mean_distance_m.rhat {
                Some(r) if r < 1.05 => format!("（各链一致：R̂ = {r:.3}；每条链前一半步数视为预热，不计入。）"),
                Some(r) => format!(
                    "（注意：各链尚未一致，R̂ = {r:.2}，请加大 [ensemble] steps 后再看；每条链前一半步数视为预热。）"
                ),
                None => String::new(),
            },
        ),
        Err(why) => format!("未与随机合规方案比较：{why}"),
    }
}

/// The samples' mean distance to the grid centre, 40 bins, the plan marked in red.
fn outlier(l: &LegalPlans) -> Bars<'static> {
    let f = &l.mean_distance_m;
    let lo = f.samples.iter().copied().fold(f.plan, f64::min);
    let hi = f.samples.iter().copied().fold(f.plan, f64::max);
    let bins = 40usize;
    let width = (hi - lo).max(1e-6) / bins as f64;
    let mut counts = vec![0u32; bins + 1];
    for x in &f.samples {
        counts[(((x - lo) / width) as usize).min(bins)] += 1;
    }
    Bars {
        caption: format!("本方案在随机合规方案中的位置（红线：本方案；{:.1}% 的方案更紧凑）", 100.0 * f.share_better),
        x_desc: "住户到网格中心的平均距离（米）",
        y_desc: "方案数",
        lo,
        width,
        counts,
        x_range: lo - width..hi + 2.0 * width,
        marks: vec![f.plan],
        mark_color: RED,
        decimals: 1,
    }
}
