//! A merge of grid layers (多网合一) in the run folder: `merge.json` (how the base was chosen, every layer's
//! purity and split grids), `merge_purity.csv` (every merged grid against every layer), `merge_splits.csv`
//! (every legacy grid divided between merged grids), and a map of the merged grids by their lowest purity.
//! CSVs carry a UTF-8 BOM and Chinese headers for Excel and WPS.

use super::chart::{self, FONT, Figure};
use super::csv_field;
use super::output_dir::{StagedDir, finish};
use crate::grids::GridRow;
use crate::partition::replan::layers::MergeReport;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::collections::BTreeMap;
use std::io::Write;

/// Writes the merge's files.
pub fn write_merge(staged: &StagedDir, rows: &[GridRow], merge: &MergeReport) -> std::io::Result<()> {
    let json = serde_json::to_string_pretty(merge).map_err(std::io::Error::other)? + "\n";
    staged.write("merge.json", json.as_bytes())?;
    let mut w = staged.create("merge_purity.csv")?;
    w.write_all("\u{feff}网格编号,图层,匹配户数,纯度,主要原网格,涉及原网格数\n".as_bytes())?;
    for r in &merge.purity {
        writeln!(
            w,
            "{},{},{},{:.4},{},{}",
            csv_field(&r.grid_id),
            csv_field(&r.layer),
            r.households_matched,
            r.purity,
            csv_field(&r.main),
            r.legacy_grids
        )?;
    }
    finish(w)?;
    let mut w = staged.create("merge_splits.csv")?;
    w.write_all("\u{feff}图层,原网格编号,户数,分入新网格数,主要新网格占比,新网格编号\n".as_bytes())?;
    for s in &merge.splits {
        writeln!(
            w,
            "{},{},{},{},{:.4},{}",
            csv_field(&s.layer),
            csv_field(&s.legacy_grid),
            s.households,
            s.merged_grids.len(),
            s.main_share,
            csv_field(&s.merged_grids.join(";"))
        )?;
    }
    finish(w)?;
    chart::write_figure(staged, "charts/merge_purity", &PurityMap { rows, merge })
}

/// The lowest purity of each merged grid over the layers.
pub fn lowest_purity(merge: &MergeReport) -> BTreeMap<&str, f64> {
    let mut out: BTreeMap<&str, f64> = BTreeMap::new();
    for r in &merge.purity {
        let e = out.entry(r.grid_id.as_str()).or_insert(1.0);
        *e = e.min(r.purity);
    }
    out
}

const PURE: RGBColor = RGBColor(49, 163, 84);
const MOSTLY: RGBColor = RGBColor(254, 196, 79);
const MIXED: RGBColor = RGBColor(240, 59, 32);
const NONE: RGBColor = RGBColor(200, 200, 200);

/// Merged grids coloured by their lowest purity against the layers.
struct PurityMap<'a> {
    rows: &'a [GridRow],
    merge: &'a MergeReport,
}

impl Figure for PurityMap<'_> {
    fn size(&self) -> (u32, u32) {
        (1400, 1250)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        area.fill(&WHITE)?;
        let frame = chart::grid_map_frame(self.rows.iter().map(|r| &r.polygon));
        let lowest = lowest_purity(self.merge);
        let fills: Vec<(geo::MultiPolygon, RGBColor)> = self
            .rows
            .iter()
            .map(|r| {
                let colour = match lowest.get(r.grid_id.as_str()) {
                    Some(&p) if p >= 0.9 => PURE,
                    Some(&p) if p >= 0.7 => MOSTLY,
                    Some(_) => MIXED,
                    None => NONE,
                };
                (r.polygon.clone(), colour)
            })
            .collect();
        frame.fills(area, &fills)?;
        let lines: Vec<geo::MultiPolygon> = self.rows.iter().map(|r| r.polygon.clone()).collect();
        frame.outlines(area, &lines, RGBColor(90, 90, 90).stroke_width(1))?;
        let names: Vec<String> = self.merge.layers.iter().map(|l| l.name.clone()).collect();
        let title = format!("多网合一：合并后网格与各原网格图层（{}）的一致程度", names.join("、"));
        area.draw(&Text::new(title, (20, 20), (FONT, 30).into_font()))?;
        area.draw(&Text::new(
            "颜色：各图层中纯度最低者（网格住户落在同一原网格的比例）",
            (20, 58),
            (FONT, 20).into_font(),
        ))?;
        chart::legend(
            area,
            (1140, 110),
            &[
                (chart::Marker::Dot, PURE, "纯度 ≥ 90%"),
                (chart::Marker::Dot, MOSTLY, "70%–90%"),
                (chart::Marker::Dot, MIXED, "低于 70%"),
                (chart::Marker::Dot, NONE, "无匹配住户"),
            ],
        )?;
        frame.scale_bar(area, (1140, 1180), None)?;
        Ok(())
    }
}
