//! Workload outputs: `workload.parquet` / `workload.csv` (one row per grid), `workload_areas.parquet` /
//! `workload_areas.csv` (all, per street, per community), and the charts — grids coloured by households with
//! street outlines, the histogram of households per grid with the band, the Lorenz curve with the Gini, and
//! box plots per street. CSVs carry a UTF-8 BOM so Excel and WPS open the Chinese text correctly.

use super::chart::{self, FONT, Figure};
use super::output_dir::StagedDir;
use crate::config::Band;
use crate::coverage::Coverage;
use crate::grids::GridRow;
use crate::model::Dataset;
use crate::partition::{Member, Partition};
use crate::workload::{Spread, Workload, lorenz};
use plotters::coord::Shift;
use plotters::prelude::*;
use polars::prelude::{Column, DataFrame};
use std::collections::HashMap;

/// Everything the workload stage writes from.
#[derive(Debug)]
pub struct WorkloadRun<'a> {
    /// The data.
    pub dataset: &'a Dataset,
    /// The partition the rows came from.
    pub partition: &'a Partition,
    /// The grids.
    pub rows: &'a [GridRow],
    /// Their workload.
    pub workload: &'a Workload,
    /// Coverage, for the share covered per grid and kind.
    pub coverage: Option<&'a Coverage>,
    /// The basic band.
    pub band: Band,
    /// Micro-grid outlines, drawn thin inside the grids of the map.
    pub micro_outlines: &'a [geo::MultiPolygon],
    /// The language of the CSV column names (the Parquet files keep the keys).
    pub csv_headers: crate::config::CsvHeaders,
}

fn write_table(
    staged: &StagedDir,
    stem: &str,
    df: &mut DataFrame,
    headers: crate::config::CsvHeaders,
) -> std::io::Result<()> {
    use polars_io::SerWriter;
    let file = std::fs::File::create(staged.path(&format!("{stem}.parquet")))?;
    polars_io::parquet::write::ParquetWriter::new(file).finish(df).map_err(std::io::Error::other)?;
    // The CSV is for Excel and WPS: its text cells are made spreadsheet-safe (Parquet keeps them as they are).
    let mut csv = df.clone();
    for name in df.get_column_names_owned() {
        let col = df.column(&name).map_err(std::io::Error::other)?;
        if col.dtype() == &polars::prelude::DataType::String {
            let safe: Vec<Option<String>> = col
                .str()
                .map_err(std::io::Error::other)?
                .iter()
                .map(|v| v.map(|s| super::spreadsheet_safe(s).into_owned()))
                .collect();
            {
                use polars::prelude::NamedFrom;
                csv.replace(&name, polars::prelude::Series::new(name.clone(), safe).into())
                    .map_err(std::io::Error::other)?;
            }
        }
    }
    for name in df.get_column_names_owned() {
        let named = crate::columns::name(&name, headers).into_owned();
        if named != name.as_str() {
            csv.rename(&name, named.into()).map_err(std::io::Error::other)?;
        }
    }
    let file = std::fs::File::create(staged.path(&format!("{stem}.csv")))?;
    polars_io::csv::write::CsvWriter::new(file).include_bom(true).finish(&mut csv).map_err(std::io::Error::other)?;
    Ok(())
}

fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

impl WorkloadRun<'_> {
    /// Share of households covered at each kind's own threshold, per grid: (kind, shares).
    pub fn coverage_by_grid(&self) -> Vec<(String, Vec<f64>)> {
        let Some(cov) = self.coverage else { return Vec::new() };
        let index: HashMap<Member, usize> = cov.sites.iter().enumerate().map(|(i, s)| (s.member, i)).collect();
        cov.kinds
            .iter()
            .map(|k| {
                let shares = self
                    .rows
                    .iter()
                    .map(|r| {
                        let (mut total, mut covered) = (0u64, 0u64);
                        for &s in &r.sites {
                            let site = &self.partition.sites[s];
                            total += u64::from(site.households);
                            if index.get(&site.member).is_some_and(|&i| k.reach[i].within(k.kind.threshold_m)) {
                                covered += u64::from(site.households);
                            }
                        }
                        if total == 0 { 0.0 } else { round(covered as f64 / total as f64, 4) }
                    })
                    .collect();
                (k.kind.name.clone(), shares)
            })
            .collect()
    }

    /// Writes `workload` and `workload_areas` (Parquet and CSV), with [`Self::coverage_by_grid`]'s shares
    /// (made once by the caller, which the report also needs); the charts are [`Self::write_charts`].
    pub fn write_tables(&self, staged: &StagedDir, coverage_by_grid: &[(String, Vec<f64>)]) -> std::io::Result<()> {
        let (rows, w) = (self.rows, self.workload);
        let text = |f: &dyn Fn(&GridRow) -> Option<String>| rows.iter().map(f).collect::<Vec<Option<String>>>();
        let mut columns = vec![
            Column::new("grid_id".into(), rows.iter().map(|r| r.grid_id.as_str()).collect::<Vec<_>>()),
            Column::new("code".into(), rows.iter().map(|r| r.code.as_str()).collect::<Vec<_>>()),
            Column::new("kind".into(), rows.iter().map(GridRow::kind).collect::<Vec<_>>()),
            Column::new(
                "unit_kind".into(),
                text(&|r| Some(r.dedicated.clone().unwrap_or_else(|| "residential".into()))),
            ),
            Column::new("street".into(), rows.iter().map(|r| r.street_name.as_str()).collect::<Vec<_>>()),
            Column::new("community".into(), text(&|r| r.community.clone())),
            Column::new("households".into(), rows.iter().map(|r| r.households).collect::<Vec<_>>()),
            Column::new("persons".into(), rows.iter().map(|r| r.persons).collect::<Vec<_>>()),
            Column::new("elderly".into(), rows.iter().map(|r| r.elderly).collect::<Vec<_>>()),
            Column::new("buildings".into(), rows.iter().map(|r| r.buildings).collect::<Vec<_>>()),
            Column::new("area_m2".into(), rows.iter().map(|r| r.area_m2().round()).collect::<Vec<_>>()),
            Column::new("workers".into(), w.grids.iter().map(|g| g.workers).collect::<Vec<_>>()),
            // One 楼栋长 / 微网格员 per micro-grid.
            Column::new("micro_grids".into(), rows.iter().map(|r| r.micro_grids as u64).collect::<Vec<_>>()),
            Column::new(
                "micro_grids_out_of_band".into(),
                rows.iter().map(|r| r.micro_out_of_band as u64).collect::<Vec<_>>(),
            ),
            Column::new(
                "households_per_worker".into(),
                w.grids.iter().map(|g| round(g.households_per_worker, 1)).collect::<Vec<_>>(),
            ),
            Column::new("status".into(), w.grids.iter().map(|g| g.status.as_str()).collect::<Vec<_>>()),
            Column::new("in_band".into(), w.grids.iter().map(|g| g.in_band).collect::<Vec<_>>()),
        ];
        for (kind, shares) in coverage_by_grid {
            columns.push(Column::new(format!("covered_{kind}").into(), shares.as_slice()));
        }
        let mut df = DataFrame::new(rows.len(), columns).map_err(std::io::Error::other)?;
        write_table(staged, "workload", &mut df, self.csv_headers)?;

        let mut areas: Vec<(&str, &str, &Spread)> = vec![("all", "all", &w.all)];
        areas.extend(w.streets.iter().map(|(k, v)| ("street", k.as_str(), v)));
        areas.extend(w.communities.iter().map(|(k, v)| ("community", k.as_str(), v)));
        let col_u = |name: &str, f: &dyn Fn(&Spread) -> u64| {
            Column::new(name.into(), areas.iter().map(|a| f(a.2)).collect::<Vec<_>>())
        };
        let col_f = |name: &str, f: &dyn Fn(&Spread) -> f64| {
            Column::new(name.into(), areas.iter().map(|a| round(f(a.2), 4)).collect::<Vec<_>>())
        };
        let columns = vec![
            Column::new("level".into(), areas.iter().map(|a| a.0).collect::<Vec<_>>()),
            Column::new("area".into(), areas.iter().map(|a| a.1).collect::<Vec<_>>()),
            col_u("grids", &|s| s.grids as u64),
            col_u("households", &|s| s.households),
            col_u("persons", &|s| s.persons),
            col_u("workers", &|s| s.workers),
            col_u("min", &|s| s.min),
            col_f("median", &|s| s.median),
            col_u("max", &|s| s.max),
            col_f("cv", &|s| s.cv),
            col_f("gini", &|s| s.gini),
            col_f("share_in_band", &|s| s.share_in_band),
            col_u("yellow", &|s| s.yellow as u64),
            col_u("red", &|s| s.red as u64),
        ];
        let mut df = DataFrame::new(areas.len(), columns).map_err(std::io::Error::other)?;
        write_table(staged, "workload_areas", &mut df, self.csv_headers)
    }

    /// Draws the grid map, the histogram, the Lorenz curve and the box plots per street.
    pub fn write_charts(&self, staged: &StagedDir) -> std::io::Result<()> {
        let (rows, w) = (self.rows, self.workload);
        let basic: Vec<f64> = rows.iter().filter(|r| r.dedicated.is_none()).map(|r| r.households as f64).collect();
        chart::write_figure(staged, "charts/grids_households", &GridMap { run: self })?;
        chart::write_figure(staged, "charts/households_histogram", &histogram(&basic, self.band))?;
        chart::write_figure(staged, "charts/lorenz", &Lorenz { values: &basic, gini: w.all.gini })?;
        chart::write_figure(staged, "charts/households_by_street", &StreetBoxes { run: self })
    }
}

const BELOW: RGBColor = RGBColor(158, 202, 225);
const LOW: RGBColor = RGBColor(161, 217, 155);
const HIGH: RGBColor = RGBColor(49, 163, 84);
const ABOVE: RGBColor = RGBColor(240, 59, 32);
const DEDICATED: RGBColor = RGBColor(188, 128, 189);

/// Grids coloured by households against the band, street outlines on top.
struct GridMap<'a> {
    run: &'a WorkloadRun<'a>,
}

impl Figure for GridMap<'_> {
    fn size(&self) -> (u32, u32) {
        (1400, 1250)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let (rows, band) = (self.run.rows, self.run.band);
        area.fill(&WHITE)?;
        let frame = chart::grid_map_frame(rows.iter().map(|r| &r.polygon));
        let mid = (band.min() + band.max()) / 2;
        let fills: Vec<(geo::MultiPolygon, RGBColor)> = rows
            .iter()
            .map(|r| {
                let colour = match (r.dedicated.is_some(), r.households) {
                    (true, _) => DEDICATED,
                    (_, h) if h < u64::from(band.min()) => BELOW,
                    (_, h) if h <= u64::from(mid) => LOW,
                    (_, h) if h <= u64::from(band.max()) => HIGH,
                    _ => ABOVE,
                };
                (r.polygon.clone(), colour)
            })
            .collect();
        frame.fills(area, &fills)?;
        frame.outlines(area, self.run.micro_outlines, RGBColor(235, 235, 235).stroke_width(1))?;
        let grid_lines: Vec<geo::MultiPolygon> = rows.iter().map(|r| r.polygon.clone()).collect();
        frame.outlines(area, &grid_lines, RGBColor(90, 90, 90).stroke_width(1))?;
        let d = self.run.dataset;
        let streets: Vec<geo::MultiPolygon> =
            d.admin_areas_at(crate::model::AdminLevel::Street).map(|(_, a)| a.polygon.clone()).collect();
        frame.outlines(area, &streets, BLACK.stroke_width(2))?;
        let w = self.run.workload;
        let title = format!(
            "网格户数分布：{} 个基础网格，{:.1}% 在 {}–{} 户之间，变异系数 {:.3}，基尼系数 {:.3}",
            w.all.grids,
            100.0 * w.all.share_in_band,
            band.min(),
            band.max(),
            w.all.cv,
            w.all.gini
        );
        area.draw(&Text::new(title, (20, 20), (FONT, 30).into_font()))?;
        area.draw(&Text::new("黑线：街道边界；白线：网格边界", (20, 58), (FONT, 20).into_font()))?;
        let low = format!("{}–{} 户", band.min(), mid);
        let high = format!("{}–{} 户", mid + 1, band.max());
        let below = format!("少于 {} 户", band.min());
        let above = format!("多于 {} 户", band.max());
        chart::legend(
            area,
            (1140, 110),
            &[
                (chart::Marker::Dot, BELOW, &below),
                (chart::Marker::Dot, LOW, &low),
                (chart::Marker::Dot, HIGH, &high),
                (chart::Marker::Dot, ABOVE, &above),
                (chart::Marker::Dot, DEDICATED, "专属网格"),
            ],
        )?;
        frame.scale_bar(area, (1140, 1180), self.run.dataset.attribution().as_deref())?;
        Ok(())
    }
}

/// A bin width of 1, 2, 2.5 or 5 × 10ⁿ households (at least 25) giving at most `max_bins` bins up to `top`: the
/// number of bins never follows the data (a grid of four billion households must not allocate by it).
fn bin_width(top: f64, max_bins: f64) -> f64 {
    let raw = (top / max_bins).max(25.0);
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * magnitude).find(|w| *w >= raw).unwrap_or(10.0 * magnitude)
}

/// Households per basic grid, bins of 25 (wider for very large grids), the band marked.
fn histogram(values: &[f64], band: Band) -> chart::Bars<'static> {
    let top = values.iter().copied().filter(|v| v.is_finite()).fold(f64::from(band.max()) + 25.0, f64::max);
    let bin = bin_width(top, 60.0);
    let bins = (top / bin).ceil() as usize + 1;
    let mut counts = vec![0u32; bins];
    for v in values {
        counts[((v / bin).floor() as usize).min(bins - 1)] += 1;
    }
    chart::Bars {
        caption: format!("每个基础网格的户数（红线：{}–{} 户标准）", band.min(), band.max()),
        x_desc: "户数",
        y_desc: "网格数",
        lo: 0.0,
        width: bin,
        counts,
        x_range: 0.0..bins as f64 * bin,
        marks: vec![f64::from(band.min()), f64::from(band.max())],
        mark_color: ABOVE,
        decimals: 0,
    }
}

/// The Lorenz curve of households over basic grids.
struct Lorenz<'a> {
    values: &'a [f64],
    gini: f64,
}

impl Figure for Lorenz<'_> {
    fn size(&self) -> (u32, u32) {
        (800, 800)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        area.fill(&WHITE)?;
        let mut c = ChartBuilder::on(area)
            .caption(format!("洛伦兹曲线：基尼系数 {:.3}", self.gini), (FONT, 28))
            .margin(20)
            .x_label_area_size(50)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..1f64, 0f64..1f64)?;
        c.configure_mesh()
            .x_desc("网格累计占比（由小到大）")
            .y_desc("户数累计占比")
            .axis_desc_style((FONT, 20))
            .label_style((FONT, 16))
            .draw()?;
        c.draw_series(LineSeries::new(vec![(0.0, 0.0), (1.0, 1.0)], RGBColor(150, 150, 150).stroke_width(2)))?;
        c.draw_series(LineSeries::new(lorenz(self.values), RGBColor(33, 102, 172).stroke_width(3)))?;
        Ok(())
    }
}

/// Households per basic grid, one box per street (quartiles, whiskers to min and max).
struct StreetBoxes<'a> {
    run: &'a WorkloadRun<'a>,
}

impl StreetBoxes<'_> {
    fn streets(&self) -> Vec<(String, Vec<u64>)> {
        let mut by: std::collections::BTreeMap<&str, Vec<u64>> = std::collections::BTreeMap::new();
        for r in self.run.rows.iter().filter(|r| r.dedicated.is_none()) {
            by.entry(r.street_name.as_str()).or_default().push(r.households);
        }
        by.into_iter()
            .map(|(k, mut v)| {
                v.sort_unstable();
                (k.to_string(), v)
            })
            .collect()
    }
}

impl Figure for StreetBoxes<'_> {
    fn size(&self) -> (u32, u32) {
        (1200, 160 + 22 * self.streets().len().max(1) as u32)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        area.fill(&WHITE)?;
        let streets = self.streets();
        let band = self.run.band;
        let xmax = streets.iter().filter_map(|s| s.1.last().copied()).max().unwrap_or(1).max(u64::from(band.max()))
            as f64
            * 1.05;
        let n = streets.len().max(1);
        let names: Vec<String> = streets.iter().map(|s| s.0.clone()).collect();
        let mut c = ChartBuilder::on(area)
            .caption(format!("各街道网格户数分布（箱线图；红线：{}–{} 户）", band.min(), band.max()), (FONT, 28))
            .margin(20)
            .x_label_area_size(50)
            .y_label_area_size(170)
            .build_cartesian_2d(0f64..xmax, 0f64..n as f64)?;
        c.configure_mesh()
            .x_desc("每格户数")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_labels(0)
            .axis_desc_style((FONT, 20))
            .label_style((FONT, 15))
            .disable_y_mesh()
            .draw()?;
        // Street names beside their boxes (drawn in pixels: the axis cannot place text labels between ticks).
        for (i, name) in names.iter().enumerate() {
            let (x, y) = c.backend_coord(&(0.0, (n - i) as f64 - 0.5));
            area.draw(&Text::new(name.clone(), (x - 165, y - 8), (FONT, 15).into_font()))?;
        }
        let q = |v: &[u64], p: f64| v[((v.len() - 1) as f64 * p).round() as usize] as f64;
        for (i, (_, v)) in streets.iter().enumerate() {
            let y = (n - i) as f64 - 0.5;
            let (lo, q1, med, q3, hi) = (q(v, 0.0), q(v, 0.25), q(v, 0.5), q(v, 0.75), q(v, 1.0));
            c.draw_series(std::iter::once(PathElement::new(vec![(lo, y), (hi, y)], BLACK.stroke_width(1))))?;
            c.draw_series(std::iter::once(Rectangle::new(
                [(q1, y - 0.3), (q3, y + 0.3)],
                RGBColor(158, 202, 225).filled(),
            )))?;
            c.draw_series(std::iter::once(Rectangle::new([(q1, y - 0.3), (q3, y + 0.3)], BLACK.stroke_width(1))))?;
            c.draw_series(std::iter::once(PathElement::new(
                vec![(med, y - 0.3), (med, y + 0.3)],
                BLACK.stroke_width(2),
            )))?;
        }
        for b in [band.min(), band.max()] {
            c.draw_series(std::iter::once(PathElement::new(
                vec![(f64::from(b), 0.0), (f64::from(b), n as f64)],
                ABOVE.stroke_width(2),
            )))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_stay_few_whatever_the_largest_grid() {
        assert_eq!(bin_width(525.0, 60.0), 25.0);
        assert_eq!(bin_width(4e9, 60.0), 1e8);
        assert!(4e9 / bin_width(4e9, 60.0) <= 60.0);
        assert_eq!(bin_width(3000.0, 60.0), 50.0);
    }
}
