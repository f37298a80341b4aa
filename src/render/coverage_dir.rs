//! The coverage run directory: `coverage.parquet`, `coverage_summary.csv`, `uncovered.csv`, `sites.csv`,
//! `sites.geojson` and `coverage.json`. Written into the run directory given (possibly a partition run,
//! whose files are kept), staged so a failed run leaves the last good outputs.

use super::chart::{self, FONT, Figure, MapFrame, Marker};
use super::csv_field;
use super::geojson::{DEGREE_DECIMALS, write_collection};
use super::output_dir::{OutputError, StagedDir, finish};
use crate::config::Plan;
use crate::coverage::siting::{Candidate, Siting};
use crate::coverage::{Coverage, KindCoverage, Method};
use crate::load::run::Placement;
use crate::model::Dataset;
use polars::prelude::{Column, DataFrame};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// Everything the coverage stage produced, ready to write.
#[derive(Debug)]
pub struct CoverageRun<'a> {
    /// The plan.
    pub plan: &'a Plan,
    /// The data.
    pub dataset: &'a Dataset,
    /// Distances per site and kind.
    pub coverage: &'a Coverage,
    /// New-site suggestions, one per kind (same order as `coverage.kinds`).
    pub sitings: &'a [Siting],
    /// The candidates the suggestions index.
    pub candidates: &'a [Candidate],
    /// Grid and community per unit id, from a partition run (`--grids`).
    pub placements: Option<&'a HashMap<String, Placement>>,
    /// Grid outlines (local metres) from the partition run, drawn on the maps.
    pub grid_outlines: &'a [geo::MultiPolygon],
    /// Stage timings.
    pub timings: &'a [(&'a str, Duration)],
}

/// The areas a site belongs to, as written in outputs.
struct Areas {
    street: Option<(String, String)>,
    community: Option<(String, String)>,
    grid: Option<String>,
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

impl CoverageRun<'_> {
    fn areas(&self) -> Vec<Areas> {
        let d = self.dataset;
        self.coverage
            .sites
            .iter()
            .map(|s| {
                let street = s.street.map(|a| (d.admin_areas[a].id.clone(), d.admin_areas[a].name.clone()));
                let placed = self.placements.and_then(|p| p.get(s.member.id(d).0));
                let community = match placed {
                    Some(p) if !p.community.is_empty() => Some((p.community.clone(), p.community.clone())),
                    Some(_) => None,
                    None => s.community.map(|a| (d.admin_areas[a].id.clone(), d.admin_areas[a].name.clone())),
                };
                Areas { street, community, grid: placed.map(|p| p.grid.clone()) }
            })
            .collect()
    }

    /// Writes the files into the staged run folder and commits it; returns the run folder.
    pub fn write(&self, staged: StagedDir) -> Result<PathBuf, OutputError> {
        self.write_files(&staged)?;
        staged.commit()
    }

    /// Writes the files into a staged directory.
    pub fn write_files(&self, staged: &StagedDir) -> std::io::Result<()> {
        self.write_tables(staged)?;
        self.write_maps(staged)
    }

    /// Writes everything but the maps: the tables, the sites and `coverage.json` (`gridplan plan` draws the
    /// maps beside the workbook, which is made from these tables).
    pub fn write_tables(&self, staged: &StagedDir) -> std::io::Result<()> {
        let areas = self.areas();
        // Four files, each on one core: two at a time.
        let ((parquet, summary), (uncovered, sites)) = rayon::join(
            || rayon::join(|| self.write_parquet(staged, &areas), || self.write_summary(staged, &areas)),
            || rayon::join(|| self.write_uncovered(staged, &areas), || self.write_sites(staged)),
        );
        parquet?;
        summary?;
        uncovered?;
        sites?;
        let manifest = serde_json::to_string_pretty(&self.manifest()).map_err(std::io::Error::other)? + "\n";
        staged.write("coverage.json", manifest.as_bytes())
    }

    fn speed_m_per_min(&self) -> f64 {
        self.plan.config.coverage.walking_speed_m_per_s * 60.0
    }

    fn write_parquet(&self, staged: &StagedDir, areas: &[Areas]) -> std::io::Result<()> {
        let (d, cov) = (self.dataset, self.coverage);
        let rows = cov.sites.len() * cov.kinds.len();
        let mut id = Vec::with_capacity(rows);
        let mut unit = Vec::with_capacity(rows);
        let mut households = Vec::with_capacity(rows);
        let mut street = Vec::with_capacity(rows);
        let mut community = Vec::with_capacity(rows);
        let mut grid = Vec::with_capacity(rows);
        let mut kind = Vec::with_capacity(rows);
        let mut threshold = Vec::with_capacity(rows);
        let mut distance = Vec::with_capacity(rows);
        let mut minutes = Vec::with_capacity(rows);
        let mut covered = Vec::with_capacity(rows);
        let mut method = Vec::with_capacity(rows);
        let mut facility = Vec::with_capacity(rows);
        for k in &cov.kinds {
            for (i, (s, r)) in cov.sites.iter().zip(&k.reach).enumerate() {
                let (sid, skind) = s.member.id(d);
                id.push(sid);
                unit.push(skind);
                households.push(s.households);
                street.push(areas[i].street.as_ref().map(|a| a.1.as_str()));
                community.push(areas[i].community.as_ref().map(|a| a.0.as_str()));
                grid.push(areas[i].grid.as_deref());
                kind.push(k.kind.name.as_str());
                threshold.push(k.kind.threshold_m);
                distance.push(r.distance_m.map(round2));
                minutes.push(r.distance_m.map(|m| round2(m / self.speed_m_per_min())));
                covered.push(r.within(k.kind.threshold_m));
                method.push(r.method.as_str());
                facility.push(r.facility.map(|f| d.facilities[f].id.as_str()));
            }
        }
        let columns = vec![
            Column::new("id".into(), id),
            Column::new("unit".into(), unit),
            Column::new("households".into(), households),
            Column::new("street".into(), street),
            Column::new("community".into(), community),
            Column::new("grid".into(), grid),
            Column::new("kind".into(), kind),
            Column::new("threshold_m".into(), threshold),
            Column::new("distance_m".into(), distance),
            Column::new("minutes".into(), minutes),
            Column::new("covered".into(), covered),
            Column::new("method".into(), method),
            Column::new("facility_id".into(), facility),
        ];
        let mut df = DataFrame::new(rows, columns).map_err(std::io::Error::other)?;
        let file = std::fs::File::create(staged.path("coverage.parquet"))?;
        polars_io::parquet::write::ParquetWriter::new(file).finish(&mut df).map_err(std::io::Error::other)?;
        Ok(())
    }

    fn write_summary(&self, staged: &StagedDir, areas: &[Areas]) -> std::io::Result<()> {
        let cov = self.coverage;
        let persons: Vec<u64> = cov.sites.iter().map(|s| s.member.persons(self.dataset)).collect();
        let mut w = staged.create("coverage_summary.csv")?;
        let keys = [
            "kind",
            "threshold_m",
            "level",
            "area_id",
            "area_name",
            "households",
            "households_covered",
            "share_covered",
            "persons_covered",
            "households_fallback",
        ];
        writeln!(w, "{}", crate::columns::line(&keys, self.plan.config.plan.csv_headers))?;
        type AreaOf<'b> = Box<dyn Fn(usize) -> Option<(String, String)> + 'b>;
        let mut levels: Vec<(&str, AreaOf)> = vec![
            ("all", Box::new(|_| Some(("all".to_string(), String::new())))),
            ("street", Box::new(|i| areas[i].street.clone())),
            ("community", Box::new(|i| areas[i].community.clone())),
        ];
        if self.placements.is_some() {
            levels.push(("grid", Box::new(|i| areas[i].grid.clone().map(|g| (g, String::new())))));
        }
        // Each level's areas once: ids in order (names as the first site gives them), and each site's area.
        // (level, its areas (id, name) in order, each site's area)
        type Indexed<'b> = (&'b str, Vec<(String, String)>, Vec<Option<u32>>);
        let indexed: Vec<Indexed> = levels
            .iter()
            .map(|(level, area_of)| {
                let per_site: Vec<Option<(String, String)>> = (0..cov.sites.len()).map(area_of).collect();
                let mut names: BTreeMap<&str, &str> = BTreeMap::new();
                for (id, name) in per_site.iter().flatten() {
                    names.entry(id).or_insert(name);
                }
                let position: BTreeMap<&str, u32> = names.keys().enumerate().map(|(n, &id)| (id, n as u32)).collect();
                let of_site = per_site.iter().map(|a| a.as_ref().map(|(id, _)| position[id.as_str()])).collect();
                let list = names.iter().map(|(id, name)| (id.to_string(), name.to_string())).collect();
                (*level, list, of_site)
            })
            .collect();
        for k in &cov.kinds {
            for t in cov.thresholds_of(k) {
                for (level, areas, of_site) in &indexed {
                    let tallies = cov.tally_by(k, t, &persons, of_site, areas.len());
                    for ((area, name), tally) in areas.iter().zip(tallies) {
                        writeln!(
                            w,
                            "{},{t},{level},{},{},{},{},{:.4},{},{}",
                            csv_field(&k.kind.name),
                            csv_field(area),
                            csv_field(name),
                            tally.households,
                            tally.households_covered,
                            tally.share(),
                            tally.persons_covered,
                            tally.households_fallback
                        )?;
                    }
                }
            }
        }
        finish(w)
    }

    /// The ledger (问题台账) of households outside a service circle, BOM and Chinese headers for Excel and WPS:
    /// one row per unit and kind that a facility of the kind could serve; a kind with no facility anywhere in
    /// the data is one summary row (every unit is outside it, and listing them all would drown the rest).
    fn write_uncovered(&self, staged: &StagedDir, areas: &[Areas]) -> std::io::Result<()> {
        let (d, cov) = (self.dataset, self.coverage);
        let mut w = staged.create("uncovered.csv")?;
        w.write_all(
            "\u{feff}单元编号,单元类型,户数,网格编号,社区,街道,设施类型,服务圈距离_米,步行距离_米,超出_米,测距方法,最近设施,说明\n"
                .as_bytes(),
        )?;
        for k in &cov.kinds {
            let t = k.kind.threshold_m;
            let kind = crate::osm_tags::kind_label_zh(&k.kind.name);
            if k.facilities.is_empty() {
                let households: u64 = cov.sites.iter().map(|s| u64::from(s.households)).sum();
                let note = format!(
                    "数据中没有这类设施：全部 {} 个单元、{households} 户都不在服务圈内，不逐个列出",
                    cov.sites.len()
                );
                writeln!(
                    w,
                    "（全部）,汇总,{households},,,,{},{t},,,无此类设施,,{}",
                    csv_field(kind),
                    csv_field(&note)
                )?;
                continue;
            }
            for (i, (s, r)) in cov.sites.iter().zip(&k.reach).enumerate() {
                if r.within(t) {
                    continue;
                }
                let (id, unit) = s.member.id(d);
                let note = match (r.method, r.distance_m) {
                    (_, None) => format!("超出 {} 米的搜索范围", cov.search_limit_m),
                    (m, Some(_)) if m.is_fallback() => "直线距离 × 绕行系数（不在步行路网上）".to_string(),
                    _ => String::new(),
                };
                writeln!(
                    w,
                    "{},{},{},{},{},{},{},{t},{},{},{},{},{}",
                    csv_field(id),
                    if unit == "building" { "建筑" } else { "住户点" },
                    s.households,
                    csv_field(areas[i].grid.as_deref().unwrap_or("")),
                    csv_field(areas[i].community.as_ref().map_or("", |a| a.0.as_str())),
                    csv_field(areas[i].street.as_ref().map_or("", |a| a.1.as_str())),
                    csv_field(kind),
                    r.distance_m.map_or(String::new(), |x| format!("{:.2}", x)),
                    r.distance_m.map_or(String::new(), |x| format!("{:.2}", x - t)),
                    method_zh(r.method),
                    csv_field(r.facility.map_or("", |f| d.facilities[f].id.as_str())),
                    csv_field(&note)
                )?;
            }
        }
        finish(w)
    }

    fn write_sites(&self, staged: &StagedDir) -> std::io::Result<()> {
        let crs = self.plan.config.plan.output_crs;
        let mut w = staged.create("sites.csv")?;
        let keys = [
            "kind",
            "rank",
            "candidate_id",
            "name",
            "lon",
            "lat",
            "households_gained",
            "sites_gained",
            "households_uncovered_before",
            "households_uncoverable",
        ];
        writeln!(w, "{}", crate::columns::line(&keys, self.plan.config.plan.csv_headers))?;
        let mut features = Vec::new();
        for siting in self.sitings {
            for (rank, s) in siting.sites.iter().enumerate() {
                let c = &self.candidates[s.candidate];
                let p = super::to_output_crs(&c.point, &self.dataset.projection, crs);
                writeln!(
                    w,
                    "{},{},{},{},{:.7},{:.7},{},{},{},{}",
                    csv_field(&siting.kind),
                    rank + 1,
                    csv_field(&c.id),
                    csv_field(c.name.as_deref().unwrap_or("")),
                    p.x(),
                    p.y(),
                    s.households_gained,
                    s.sites_gained,
                    siting.households_uncovered,
                    siting.households_uncoverable
                )?;
                let mut props = Map::new();
                props.insert("kind".into(), json!(siting.kind));
                props.insert("rank".into(), json!(rank + 1));
                props.insert("candidate_id".into(), json!(c.id));
                props.insert("name".into(), json!(c.name));
                props.insert("households_gained".into(), json!(s.households_gained));
                props.insert("sites_gained".into(), json!(s.sites_gained));
                props.insert("threshold_m".into(), json!(siting.threshold_m));
                features.push((geo::Geometry::Point(p), props));
            }
        }
        finish(w)?;
        let mut w = staged.create("sites.geojson")?;
        let attribution = self.dataset.attribution();
        write_collection(&mut w, features.iter().map(|(g, p)| (g, p)), attribution.as_deref(), DEGREE_DECIMALS)?;
        finish(w)
    }

    /// Draws one coverage map per kind, in parallel.
    pub fn write_maps(&self, staged: &StagedDir) -> std::io::Result<()> {
        let cov = self.coverage;
        let bounds = chart::bounds_of(cov.sites.iter().map(|s| s.point), 200.0);
        let maps: Vec<(String, CoverageMap)> = cov
            .kinds
            .iter()
            .enumerate()
            .map(|(i, k)| {
                (
                    format!("charts/coverage_{}", k.kind.name),
                    CoverageMap { run: self, kind: k, siting: self.sitings.get(i), bounds },
                )
            })
            .collect();
        let Some((_, first)) = maps.first() else { return Ok(()) };
        // Every kind's map has the same ground (white, the grid outlines): drawn once.
        let ground = chart::Ground {
            size: first.size(),
            frame: first.frame(),
            outlines: self.grid_outlines,
            style: RGBColor(150, 150, 150).stroke_width(1),
        };
        chart::write_figures_on(staged, &ground, &maps)
    }

    fn kind_summary(&self, k: &KindCoverage, siting: Option<&Siting>) -> Value {
        let (d, cov) = (self.dataset, self.coverage);
        let persons = vec![0; cov.sites.len()];
        let at: Map<String, Value> = cov
            .thresholds_of(k)
            .into_iter()
            .map(|t| {
                let all = cov.total(k, t, &persons);
                (
                    format!("{t}"),
                    json!({"households_covered": all.households_covered, "share": (all.share() * 1e4).round() / 1e4}),
                )
            })
            .collect();
        let mut by_method: BTreeMap<&str, u64> = BTreeMap::new();
        for (s, r) in cov.sites.iter().zip(&k.reach) {
            *by_method.entry(r.method.as_str()).or_default() += u64::from(s.households);
        }
        json!({
            "kind": k.kind.name,
            "facility_kinds": k.kind.facility_kinds,
            "threshold_m": k.kind.threshold_m,
            "facilities": k.facilities.len(),
            "facilities_off_network": k.facilities_off_network.iter().map(|&f| d.facilities[f].id.as_str()).collect::<Vec<_>>(),
            "covered_at": at,
            "households_by_method": by_method,
            "siting": siting,
        })
    }

    fn manifest(&self) -> Value {
        let (d, cov) = (self.dataset, self.coverage);
        let components = cov.graph.component.iter().copied().max().map_or(0, |c| c + 1);
        json!({
            "version": env!("CARGO_PKG_VERSION"),
            "plan": self.plan.path.display().to_string(),
            "config": self.plan.config.coverage,
            "inputs": d.layers.iter().map(|l| json!({"layer": l.name, "path": l.path.display().to_string(), "sha256": l.sha256})).collect::<Vec<_>>(),
            "network": {
                "nodes": cov.graph.nodes.len(),
                "edges": cov.graph.edges.len(),
                "length_km": (cov.graph.length_m() / 10.0).round() / 100.0,
                "components": components,
            },
            "sites": cov.sites.len(),
            "households": cov.sites.iter().map(|s| u64::from(s.households)).sum::<u64>(),
            "sites_off_network": cov.snaps.iter().filter(|s| s.is_none()).count(),
            "search_limit_m": cov.search_limit_m,
            "levels_m": cov.levels_m,
            "grids_from": self.placements.map(|_| "assignment.csv of --grids"),
            "new_sites_note": crate::coverage::no_candidates_note(self.candidates, &self.plan.config.coverage),
            "kinds": cov.kinds.iter().enumerate().map(|(i, k)| self.kind_summary(k, self.sitings.get(i))).collect::<Vec<_>>(),
            "timings_s": self.timings.iter().map(|(k, t)| (k.to_string(), json!(t.as_secs_f64()))).collect::<Map<String, Value>>(),
        })
    }
}

/// The map of one kind over its ground ([`chart::Ground`], the grid outlines): households covered (green) or
/// not (red), facilities, suggested sites.
struct CoverageMap<'a> {
    run: &'a CoverageRun<'a>,
    kind: &'a KindCoverage,
    siting: Option<&'a Siting>,
    bounds: geo::Rect,
}

impl CoverageMap<'_> {
    fn frame(&self) -> MapFrame {
        let (w, h) = self.size();
        MapFrame::new(self.bounds, 20, 90, w - 300, h - 110)
    }
}

const COVERED: RGBColor = RGBColor(46, 160, 67);
const UNCOVERED: RGBColor = RGBColor(215, 48, 39);
const FACILITY: RGBColor = RGBColor(33, 102, 172);
const SUGGESTED: RGBColor = RGBColor(0, 0, 0);

use plotters::prelude::*;

impl Figure for CoverageMap<'_> {
    fn size(&self) -> (u32, u32) {
        let aspect = self.bounds.height() / self.bounds.width().max(1.0);
        (1400, (1100.0 * aspect).clamp(600.0, 2000.0) as u32 + 140)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, plotters::coord::Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let (w, h) = self.size();
        let (cov, d, k) = (self.run.coverage, self.run.dataset, self.kind);
        let t = k.kind.threshold_m;
        let frame = self.frame();
        let (mut total, mut covered) = (0u64, 0u64);
        for (s, r) in cov.sites.iter().zip(&k.reach) {
            let ok = r.within(t);
            total += u64::from(s.households);
            covered += if ok { u64::from(s.households) } else { 0 };
            let radius = (1.5 + f64::from(s.households).sqrt() / 3.0).min(7.0) as i32;
            let colour = if ok { COVERED } else { UNCOVERED };
            area.draw(&Circle::new(frame.px(s.point.x(), s.point.y()), radius, colour.mix(0.75).filled()))?;
        }
        for &f in &k.facilities {
            let p = d.facilities[f].point;
            Marker::Triangle.draw(area, frame.px(p.x(), p.y()), FACILITY)?;
        }
        for s in self.siting.map(|s| s.sites.as_slice()).unwrap_or_default() {
            let p = self.run.candidates[s.candidate].point;
            Marker::Square.draw(area, frame.px(p.x(), p.y()), SUGGESTED)?;
        }
        let share = if total == 0 { 0.0 } else { 100.0 * covered as f64 / total as f64 };
        let name = crate::osm_tags::kind_label_zh(&k.kind.name);
        let title = format!("{name}（{}）步行 {t} m 覆盖：{share:.1}% 的户", k.kind.name);
        area.draw(&Text::new(title, (20, 20), (FONT, 32).into_font()))?;
        let sub = format!(
            "{} 处设施 · {} 户 · 路网步行距离（沿最近道路边计算）· 建议新址 {} 处",
            k.facilities.len(),
            total,
            self.siting.map_or(0, |s| s.sites.len())
        );
        area.draw(&Text::new(sub, (20, 58), (FONT, 20).into_font()))?;
        let lx = w as i32 - 260;
        chart::legend(
            area,
            (lx, 110),
            &[
                (Marker::Dot, COVERED, "已覆盖住户"),
                (Marker::Dot, UNCOVERED, "未覆盖住户"),
                (Marker::Triangle, FACILITY, "现有设施"),
                (Marker::Square, SUGGESTED, "建议新址"),
            ],
        )?;
        frame.scale_bar(area, (lx, h as i32 - 60), self.run.dataset.attribution().as_deref())?;
        Ok(())
    }
}

/// How a distance was measured, in the planner's words.
fn method_zh(m: Method) -> &'static str {
    match m {
        Method::Network => "步行路网",
        Method::NetworkFartherEdge => "步行路网（从较远一侧路段进入）",
        Method::EuclideanOffNetwork => "直线估算（离路网太远）",
        Method::EuclideanDisconnected => "直线估算（路网不连通）",
        Method::NoFacility => "无此类设施",
    }
}
