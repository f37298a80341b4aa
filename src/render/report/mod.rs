//! `report.html`: one self-contained offline file per run, in Chinese — what was planned and what was not, an
//! interactive map (`map.rs` data, `map.js`: legend, roads, barriers, street names, search, micro-grids, a
//! grid's figures in words), the partition checks in plain words (`labels.rs`), coverage, workload tables and the
//! charts (data URIs). Nothing is fetched: no request leaves the file. Every value from the data is escaped.

mod labels;
mod map;

use super::output_dir::StagedDir;
use crate::config::Plan;
use crate::coverage::Coverage;
use crate::coverage::siting::Siting;
use crate::grids::GridRow;
use crate::model::Dataset;
use crate::partition::check::Check;
use crate::workload::{Spread, Workload};
use base64::Engine;
use serde_json::Value;
use std::fmt::Write;

/// What the report shows.
#[derive(Debug)]
pub struct Report<'a> {
    /// The plan.
    pub plan: &'a Plan,
    /// The data.
    pub dataset: &'a Dataset,
    /// The partition the grids were drawn from.
    pub partition: &'a crate::partition::Partition,
    /// The grids.
    pub rows: &'a [GridRow],
    /// The partition invariants.
    pub check: &'a Check,
    /// The grids drawn: micro-grids and the outline checks.
    pub grids: &'a crate::grids::Grids,
    /// Workload.
    pub workload: &'a Workload,
    /// Coverage.
    pub coverage: &'a Coverage,
    /// New sites per kind.
    pub sitings: &'a [Siting],
    /// Share covered per grid, per kind.
    pub coverage_by_grid: &'a [(String, Vec<f64>)],
    /// The seed.
    pub seed: u64,
    /// The plan among random legal plans (`None` when `[ensemble] steps = 0`).
    pub legal_plans: Option<&'a Result<crate::partition::legal_plans::LegalPlans, String>>,
}

/// Escapes text for HTML element content and quoted attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON that can sit inside a `<script>` element: no `<`, `>` or `&` survive (they are valid `\u` escapes
/// inside JSON strings, and JSON has them nowhere else).
pub fn script_json(v: &Value) -> String {
    v.to_string().replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}

fn table(out: &mut String, head: &[&str], rows: impl IntoIterator<Item = Vec<String>>) {
    out.push_str("<table><thead><tr>");
    for h in head {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr></thead><tbody>");
    for r in rows {
        out.push_str("<tr>");
        for c in r {
            let _ = write!(out, "<td>{}</td>", escape(&c));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>\n");
}

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

fn spread_row(name: &str, s: &Spread) -> Vec<String> {
    vec![
        name.to_string(),
        s.grids.to_string(),
        s.households.to_string(),
        s.persons.to_string(),
        s.workers.to_string(),
        s.min.to_string(),
        format!("{}", s.median),
        s.max.to_string(),
        format!("{:.3}", s.cv),
        format!("{:.3}", s.gini),
        pct(s.share_in_band),
        s.yellow.to_string(),
        s.red.to_string(),
    ]
}

const SPREAD_HEAD: [&str; 13] = [
    "区域",
    "网格数",
    "户数",
    "人口",
    "网格员",
    "最少",
    "中位数",
    "最多",
    "变异系数",
    "基尼系数",
    "在标准内",
    "黄",
    "红",
];

fn image(staged: &StagedDir, name: &str, alt: &str) -> std::io::Result<String> {
    let bytes = std::fs::read(staged.path(name))?;
    Ok(format!(
        "<figure><img alt=\"{}\" src=\"data:image/png;base64,{}\"><figcaption>{}</figcaption></figure>\n",
        escape(alt),
        base64::engine::general_purpose::STANDARD.encode(bytes),
        escape(alt)
    ))
}

/// 微网格: how many, how many in band, and the reasons of those outside it, most frequent first.
fn micro_section(h: &mut String, r: &Report) {
    let band = r.plan.config.bands.micro;
    let micro = &r.grids.micro;
    let _ = write!(
        h,
        "<h2>微网格</h2><p>每个基础网格再分为 {}–{} 户的微网格（一栋楼或相邻几栋楼，设楼栋长/微网格员一名），\
         共 {} 个，{} 个在规模内，{} 个按单元划分；轮廓见 micro_grids.geojson。</p>",
        band.min(),
        band.max(),
        micro.len(),
        micro.iter().filter(|m| m.out_of_band.is_none()).count(),
        micro.iter().filter(|m| m.stairwell.is_some()).count()
    );
    let mut reasons: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for m in micro.iter().filter_map(|m| m.out_of_band.as_deref()) {
        // The reason without its figures, so like cases count together.
        let mut kind = String::with_capacity(m.len());
        for c in m.chars() {
            match c {
                '0'..='9' if kind.ends_with('N') => {}
                '0'..='9' => kind.push('N'),
                c => kind.push(c),
            }
        }
        *reasons.entry(kind).or_default() += 1;
    }
    let mut reasons: Vec<(String, usize)> = reasons.into_iter().collect();
    reasons.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    table(h, &["规模外原因", "微网格数"], reasons.into_iter().map(|(k, n)| vec![k, n.to_string()]));
}

/// 重新规划: what a rerun from a previous plan changed, against the least it had to.
fn replan_section(h: &mut String, change: &crate::partition::replan::change::Change, moves: usize) {
    let ratio = change.moved_over_bound.map_or("—".to_string(), |r| format!("{r:.2}"));
    let _ = write!(
        h,
        "<h2>重新规划（与上一版方案相比）</h2><p>上一版方案：{}。调整网格的住户 {} 户（占两版共有住户 {} 户的 {}），         至少须调整 {} 户（下界），实际 ÷ 下界 = {}；逐户清单见 moves.csv（{} 个单元）。</p>",
        escape(&change.previous),
        change.households_moved,
        change.households_in_both,
        pct(change.share_moved),
        change.households_moved_lower_bound,
        ratio,
        moves
    );
    let locks = if change.locked.is_empty() {
        "无".to_string()
    } else {
        format!("{} 个，{}", change.locked.len(), if change.locks_held { "全部保持不变" } else { "未能保持" })
    };
    table(
        h,
        &["项目", "数值"],
        [
            vec!["网格不变（编号与住户均相同）".into(), change.grids_unchanged.to_string()],
            vec!["网格有调整（编号保留）".into(), change.grids_changed.to_string()],
            vec!["新增网格（新编号）".into(), change.grids_new.to_string()],
            vec!["撤销网格（编号不再使用）".into(), change.grids_removed.to_string()],
            vec!["新增单元 / 户".into(), format!("{} / {}", change.units_new, change.households_new)],
            vec!["上一版有而数据中已无的单元".into(), change.units_gone.to_string()],
            vec!["变更编号的单元占比".into(), pct(change.share_units_relabelled)],
            vec!["信息变异度（VI，比特）".into(), format!("{:.4}", change.variation_of_information_bits)],
            vec!["锁定网格".into(), locks],
            vec![
                "调整上限（--max-moved）".into(),
                match change.max_moved_pct {
                    Some(p) if change.stopped_by_budget.is_empty() => format!("{p} %，未触及"),
                    Some(p) => format!("{p} %，在 {} 处停止修复", change.stopped_by_budget.join("、")),
                    None => "无".into(),
                },
            ],
        ],
    );
}

/// 多网合一: every layer against the merged plan, and the least pure grids.
fn merge_section(h: &mut String, merge: &crate::partition::replan::layers::MergeReport) {
    h.push_str("<h2>多网合一（原网格图层对照）</h2>");
    if let Some(c) = &merge.choice {
        let _ = write!(
            h,
            "<p>以图层 {} 为基础重新规划（{}），其余图层作为参考：同等调整量时，优先保持其原网格完整。明细见 merge_purity.csv、merge_splits.csv 与 charts/merge_purity.png。</p>",
            escape(&c.base),
            if c.named { "指定" } else { "与其他图层最一致" }
        );
    }
    table(
        h,
        &["图层", "基础", "原网格数", "匹配户数", "平均纯度", "被拆分的原网格"],
        merge.layers.iter().map(|l| {
            vec![
                escape(&l.name),
                if l.base { "是".into() } else { String::new() },
                l.grids.to_string(),
                l.households_matched.to_string(),
                pct(l.purity),
                l.grids_split.to_string(),
            ]
        }),
    );
    let mut worst: Vec<&crate::partition::replan::layers::PurityRow> = merge.purity.iter().collect();
    worst.sort_by(|a, b| a.purity.total_cmp(&b.purity).then(a.grid_id.cmp(&b.grid_id)));
    h.push_str("<p>纯度最低的网格（前 10 个）：</p>");
    table(
        h,
        &["网格编号", "图层", "纯度", "主要原网格", "涉及原网格数"],
        worst.into_iter().take(10).map(|r| {
            vec![escape(&r.grid_id), escape(&r.layer), pct(r.purity), escape(&r.main), r.legacy_grids.to_string()]
        }),
    );
}

/// The headline: households planned and not, with the reasons of those not planned.
fn headline(h: &mut String, r: &Report) {
    let (c, w, band) = (r.check, r.workload, r.plan.config.bands.basic);
    let share = |n: u64| if c.households_in == 0 { "—".to_string() } else { pct(n as f64 / c.households_in as f64) };
    let _ = writeln!(
        h,
        "<div class=\"cards\"><div id=\"planned\"><b>{}</b>户已划入网格（占全部 {} 户的 {}）</div>\
         <div id=\"unplanned\"><b>{}</b>户未划入网格（{}）</div><div><b>{}</b>个基础网格</div>\
         <div><b>{}</b>的网格在 {}–{} 户</div><div><b>{:.3}</b>变异系数（越小越均衡）</div>\
         <div><b>{}</b>个专属网格</div><div><b>{}</b>个微网格（{} 个在 {}–{} 户）</div></div>",
        fmt_int(c.households_assigned),
        fmt_int(c.households_in),
        share(c.households_assigned),
        fmt_int(c.households_unassigned),
        share(c.households_unassigned),
        w.all.grids,
        pct(w.all.share_in_band),
        band.min(),
        band.max(),
        w.all.cv,
        r.rows.iter().filter(|x| x.dedicated.is_some()).count(),
        r.grids.micro.len(),
        r.grids.micro.iter().filter(|m| m.out_of_band.is_none()).count(),
        r.plan.config.bands.micro.min(),
        r.plan.config.bands.micro.max()
    );
    if r.partition.unassigned.is_empty() {
        h.push_str("<p>数据中的每一户都已划入网格。</p>\n");
        return;
    }
    let mut by: std::collections::BTreeMap<&str, (u64, usize)> = std::collections::BTreeMap::new();
    for u in &r.partition.unassigned {
        let e = by.entry(labels::chinese(&u.reason)).or_default();
        e.0 += u64::from(u.households);
        e.1 += 1;
    }
    let mut by: Vec<(&str, (u64, usize))> = by.into_iter().collect();
    by.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(b.0)));
    let _ = write!(h, "<p id=\"unplanned-reasons\">未划入网格的 {} 户：", fmt_int(c.households_unassigned));
    let parts: Vec<String> = by
        .iter()
        .map(|(reason, (n, sites))| format!("{}（{} 户，{} 处）", escape(reason), fmt_int(*n), sites))
        .collect();
    h.push_str(&parts.join("；"));
    h.push_str("。逐栋清单见 unassigned.csv；补齐街道、社区边界后重新运行即可纳入。</p>\n");
}

/// 统计用区划代码: how many streets and communities carry the official code, and why the others do not.
fn division_sentence(h: &mut String, m: &crate::load::divisions::DivisionMatch, p: &crate::partition::Partition) {
    let built = p.communities.iter().filter(|c| c.admin_area.is_none()).count();
    let city = m.city.as_deref().map_or(String::new(), |c| format!("（在代码 {c} 开头的城市内按名称匹配）"));
    let _ = write!(
        h,
        "<p id=\"division-codes\">统计用区划代码{}：街道 {} / {} 个配上代码，数据中的社区 {} / {} 个配上代码",
        escape(&city),
        m.streets_coded.0,
        m.streets_coded.1,
        m.communities_coded.0,
        m.communities_coded.1
    );
    if built > 0 {
        let _ = write!(
            h,
            "；另有 {built} 个社区由小区拼合而成（数据没有社区边界），没有官方代码，编号用所在街道的代码加 C01、C02……"
        );
    }
    h.push_str("。网格编号以这些代码开头，逐条匹配结果见 admin_codes.csv。</p>\n");
}

/// A whole number with thousands separators, as planners read it.
fn fmt_int(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// The map: search, legend, canvas and the details panel.
fn map_section(h: &mut String) {
    h.push_str(
        "<h2>网格地图</h2><p>拖动平移，滚轮或按钮缩放；点击网格查看情况；图例中的勾选框可隐藏或显示某类网格和图层。</p>\
         <p><input id=\"search\" type=\"search\" placeholder=\"搜索网格编号、街道、社区、楼栋或小区名称\" autocomplete=\"off\"> \
         <button id=\"zin\">放大</button> <button id=\"zout\">缩小</button> <button id=\"zreset\">复位</button></p>\
         <div id=\"results\"></div>\
         <div id=\"mapwrap\"><canvas id=\"map\" width=\"960\" height=\"680\"></canvas>\
         <div id=\"side\"><div id=\"legend\"></div><div id=\"info\"></div></div></div>\n",
    );
}

/// Writes `report.html` into the staged run directory, after the charts it embeds; `map_json` is
/// [`map_script`]'s.
pub fn write_report(staged: &StagedDir, r: &Report, map_json: &str) -> std::io::Result<()> {
    let (c, w) = (r.check, r.workload);
    let mut h = String::new();
    let title = format!("网格规划报告 · {}", r.plan.config.plan.name);
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{}</title>\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\
         <style>{CSS}</style></head><body data-map=\"pending\">\n<h1>{}</h1>\n",
        escape(&title),
        escape(&title)
    );
    let _ = writeln!(
        h,
        "<p class=\"meta\">gridplan {} · 方案文件 {} · 随机种子 {}</p>",
        env!("CARGO_PKG_VERSION"),
        escape(&r.plan.path.display().to_string()),
        r.seed
    );
    headline(&mut h, r);

    if let Some(m) = &r.dataset.division_codes {
        division_sentence(&mut h, m, r.partition);
    }
    if let Some((change, moves)) = &r.grids.change {
        replan_section(&mut h, change, moves.len());
    }
    if let Some(merge) = &r.grids.merge {
        merge_section(&mut h, merge);
    }
    map_section(&mut h);

    h.push_str("<h2>划分检查</h2><p>由独立的检查程序重新计算（check.json）。“应为 0”的项目不为 0 时须核查。</p><div class=\"check\">");
    let check = crate::render::run_dir::check_json(c, r.grids).map_err(std::io::Error::other)?;
    table(
        &mut h,
        &["检查项目", "数值", "结论", "键名"],
        check.as_object().into_iter().flatten().map(|(k, v)| {
            let (label, zero) = labels::check_label(k);
            let value = match v.as_f64() {
                Some(x) if v.is_f64() && k.ends_with("_share") => pct(x),
                Some(x) if v.is_f64() => format!("{x:.1}"),
                _ => v.to_string(),
            };
            let verdict = match (zero, v.as_f64() == Some(0.0)) {
                (true, true) => "应为 0：通过",
                (true, false) => "应为 0：须核查",
                (false, _) => "",
            };
            vec![if label.is_empty() { k.clone() } else { label.to_string() }, value, verdict.into(), k.clone()]
        }),
    );
    h.push_str("</div>");

    micro_section(&mut h, r);

    h.push_str("<h2>15分钟服务圈覆盖</h2>");
    let persons = vec![0; r.coverage.sites.len()];
    let levels = r.coverage.levels_m.clone();
    let mut head: Vec<String> = vec!["设施".into(), "设施数".into(), "步行标准（米）".into(), "标准内住户".into()];
    head.extend(levels.iter().map(|l| format!("{l} 米内")));
    head.extend(["建议新址".to_string(), "新址可新增覆盖户数".to_string()]);
    let head_refs: Vec<&str> = head.iter().map(String::as_str).collect();
    let rows: Vec<Vec<String>> = r
        .coverage
        .kinds
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let share = |t: f64| r.coverage.total(k, t, &persons).share();
            let mut row = vec![
                crate::osm_tags::kind_label_zh(&k.kind.name).to_string(),
                k.facilities.len().to_string(),
                k.kind.threshold_m.to_string(),
                pct(share(k.kind.threshold_m)),
            ];
            row.extend(levels.iter().map(|&l| pct(share(l))));
            let s = r.sitings.get(i);
            row.push(s.map_or(0, |s| s.sites.len()).to_string());
            row.push(s.map_or(0, |s| s.households_gained).to_string());
            row
        })
        .collect();
    table(&mut h, &head_refs, rows);
    let missing: Vec<&str> = r
        .coverage
        .kinds
        .iter()
        .filter(|k| k.facilities.is_empty())
        .map(|k| crate::osm_tags::kind_label_zh(&k.kind.name))
        .collect();
    if !missing.is_empty() {
        let _ = write!(
            h,
            "<p>数据中完全没有以下 {} 类设施：{}。这些类型的覆盖率为 0，问题台账（uncovered.csv）中每类只列一行汇总，不逐栋列出；补充设施数据后重新运行即可。</p>",
            missing.len(),
            escape(&missing.join("、"))
        );
    }
    h.push_str("<p>各类设施的覆盖地图见 charts/ 文件夹（coverage_*.png），在上方地图的“着色”中也可逐类查看。</p>");

    h.push_str("<h2>工作量</h2>");
    table(&mut h, &SPREAD_HEAD, std::iter::once(spread_row("全部", &w.all)));
    h.push_str("<h3>各街道</h3>");
    table(&mut h, &SPREAD_HEAD, w.streets.iter().map(|(k, s)| spread_row(k, s)));
    h.push_str("<h3>超负荷网格（红、黄）</h3>");
    let mut flagged: Vec<usize> =
        (0..r.rows.len()).filter(|&i| w.grids[i].status != crate::workload::Status::Green).collect();
    flagged.sort_by(|&a, &b| {
        w.grids[b].households_per_worker.total_cmp(&w.grids[a].households_per_worker).then(a.cmp(&b))
    });
    table(
        &mut h,
        &["网格", "街道", "社区", "户数", "网格员", "每员户数", "状态", "说明"],
        flagged.iter().take(50).map(|&i| {
            let row = &r.rows[i];
            vec![
                row.grid_id.clone(),
                row.street_name.clone(),
                row.community.clone().unwrap_or_default(),
                row.households.to_string(),
                w.grids[i].workers.to_string(),
                format!("{:.0}", w.grids[i].households_per_worker),
                labels::status_zh(w.grids[i].status.as_str()).to_string(),
                row.out_of_band.as_deref().map(labels::chinese).unwrap_or_default().to_string(),
            ]
        }),
    );
    if flagged.len() > 50 {
        let _ = write!(h, "<p>另有 {} 个，见 workload.csv。</p>", flagged.len() - 50);
    }

    h.push_str("<h2>图表</h2>");
    h.push_str(&image(staged, "charts/grids_households.png", "网格户数分布")?);
    h.push_str(&image(staged, "charts/households_histogram.png", "每格户数直方图")?);
    h.push_str(&image(staged, "charts/lorenz.png", "洛伦兹曲线")?);
    h.push_str(&image(staged, "charts/households_by_street.png", "各街道网格户数箱线图")?);
    if let Some(l) = r.legal_plans {
        let _ = write!(h, "<p>{}</p>", escape(&crate::render::legal_plans::sentence(l)));
        if l.is_ok() {
            h.push_str(&image(staged, "charts/legal_plans.png", "本方案在随机合规方案中的位置")?);
        }
    }

    if let Some(a) = r.dataset.attribution() {
        let zh = if a.contains("OpenStreetMap") {
            "地图数据来自 OpenStreetMap 贡献者，按开放数据库许可（ODbL 1.0）使用："
        } else {
            "数据来源："
        };
        let _ = write!(h, "<p class=\"meta\" id=\"attribution\">{zh}{}</p>", escape(&a));
    }

    let _ = write!(
        h,
        "<script type=\"application/json\" id=\"mapdata\">{map_json}</script>\n<script>{SCRIPT}</script>\n</body></html>\n"
    );
    staged.write("report.html", h.as_bytes())
}

/// The interactive map's data, as the report embeds it: the larger half of the report's work, and it needs no
/// chart, so `gridplan plan` makes it beside the charts and [`write_report`] only embeds it.
pub fn map_script(r: &Report) -> String {
    script_json(&map::map_data(r))
}

const CSS: &str = include_str!("report.css");

const SCRIPT: &str = include_str!("map.js");
