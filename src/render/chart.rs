//! Figures (maps and charts) drawn once and written as PNG and SVG, with the embedded CJK font so Chinese
//! labels look the same on every machine. A figure is anything that can draw itself on a plotters area of
//! either backend.

use super::output_dir::StagedDir;
use geo::{MultiPolygon, Point, Rect};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

/// The font family name figures use.
pub const FONT: &str = "wqy-microhei";

static FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/wqy-microhei.ttc");

fn ensure_font() -> std::io::Result<()> {
    static REGISTERED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| register_font(FONT, FontStyle::Normal, FONT_BYTES).is_ok());
    if ok { Ok(()) } else { Err(std::io::Error::other("the embedded CJK font could not be read")) }
}

/// Something drawable on a plotters area of any backend.
pub trait Figure {
    /// Pixel size.
    fn size(&self) -> (u32, u32);
    /// Draws onto `area`.
    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>>;
}

fn io<E: std::error::Error + Send + Sync + 'static>(e: DrawingAreaErrorKind<E>) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// Writes `stem.png` and `stem.svg` into the staged directory.
pub fn write_figure(staged: &StagedDir, stem: &str, figure: &impl Figure) -> std::io::Result<()> {
    ensure_font()?;
    let png = staged.path(&format!("{stem}.png"));
    let svg = staged.path(&format!("{stem}.svg"));
    if let Some(parent) = png.parent() {
        std::fs::create_dir_all(parent)?;
    }
    {
        let area = BitMapBackend::new(&png, figure.size()).into_drawing_area();
        figure.draw(&area).map_err(io)?;
        area.present().map_err(io)?;
    }
    let area = SVGBackend::new(&svg, figure.size()).into_drawing_area();
    figure.draw(&area).map_err(io)?;
    area.present().map_err(io)
}

/// The ground of a map: white, with polygon outlines in one style.
pub struct Ground<'a> {
    /// Pixel size.
    pub size: (u32, u32),
    /// Where the outlines go.
    pub frame: MapFrame,
    /// The outlines.
    pub outlines: &'a [MultiPolygon],
    /// Their stroke.
    pub style: ShapeStyle,
}

impl Figure for Ground<'_> {
    fn size(&self) -> (u32, u32) {
        self.size
    }

    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        area.fill(&WHITE)?;
        self.frame.outlines(area, self.outlines, self.style)
    }
}

/// A figure drawn over another: `base` first, then `top` (what [`write_figures_on`] writes for each figure).
pub struct OnBase<'a, B, T>(pub &'a B, pub &'a T);

impl<B: Figure, T: Figure> Figure for OnBase<'_, B, T> {
    fn size(&self) -> (u32, u32) {
        self.0.size()
    }

    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        self.0.draw(area)?;
        self.1.draw(area)
    }
}

/// Writes `stem.png` and `stem.svg` of each `(stem, figure)` drawn over `base`, in parallel: the base (a map's
/// white ground and grid outlines, the same under every kind's points) is drawn once, each figure on a copy
/// of its pixels and after its SVG elements. The files are byte for byte those of [`write_figure`] with
/// [`OnBase`] (a test compares them).
pub fn write_figures_on<B: Figure + Sync, T: Figure + Sync>(
    staged: &StagedDir,
    base: &B,
    figures: &[(String, T)],
) -> std::io::Result<()> {
    use rayon::prelude::*;
    use std::io::Write;
    ensure_font()?;
    let size = base.size();
    let (w, h) = size;
    let mut pixels = vec![0u8; 3 * w as usize * h as usize];
    {
        let area = BitMapBackend::with_buffer(&mut pixels, size).into_drawing_area();
        base.draw(&area).map_err(io)?;
        area.present().map_err(io)?;
    }
    let base_svg = svg_text(base, size)?;
    // plotters writes the `<svg …>` opening on the first line and `</svg>` last; the base's elements are
    // what lies between.
    let unexpected = || std::io::Error::other("plotters wrote an SVG of an unexpected layout");
    let base_body = base_svg.strip_suffix("</svg>\n").ok_or_else(unexpected)?;
    figures.par_iter().try_for_each(|(stem, figure)| {
        if figure.size() != size {
            return Err(std::io::Error::other(format!("{stem}: figure and base differ in size")));
        }
        let png = staged.path(&format!("{stem}.png"));
        if let Some(parent) = png.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut own = pixels.clone();
        {
            let area = BitMapBackend::with_buffer(&mut own, size).into_drawing_area();
            figure.draw(&area).map_err(io)?;
            area.present().map_err(io)?;
        }
        // What plotters' file backend does on `present`.
        image::save_buffer(&png, &own, w, h, image::ColorType::Rgb8).map_err(std::io::Error::other)?;
        let top = svg_text(figure, size)?;
        let (_, top_body) = top.split_once('\n').ok_or_else(unexpected)?;
        // Two writes, not one concatenated copy: at 10 M households a map's SVG is ≈ 20 MB.
        let mut svg = std::fs::File::create(staged.path(&format!("{stem}.svg")))?;
        svg.write_all(base_body.as_bytes())?;
        svg.write_all(top_body.as_bytes())
    })
}

fn svg_text(figure: &impl Figure, size: (u32, u32)) -> std::io::Result<String> {
    let mut text = String::new();
    {
        let area = SVGBackend::with_string(&mut text, size).into_drawing_area();
        figure.draw(&area).map_err(io)?;
        area.present().map_err(io)?;
    }
    Ok(text)
}

/// Local metres → pixels for a map of `bounds` inside a `width` × `height` frame with a margin, north up,
/// one scale for both axes.
#[derive(Debug, Clone, Copy)]
pub struct MapFrame {
    bounds: Rect,
    scale: f64,
    origin: (f64, f64),
}

impl MapFrame {
    /// A frame that fits `bounds` into the pixel box `(left, top, width, height)`.
    pub fn new(bounds: Rect, left: i32, top: i32, width: u32, height: u32) -> MapFrame {
        let (w, h) = (bounds.width().max(1.0), bounds.height().max(1.0));
        let scale = (f64::from(width) / w).min(f64::from(height) / h);
        let origin = (
            f64::from(left) + (f64::from(width) - w * scale) / 2.0,
            f64::from(top) + (f64::from(height) - h * scale) / 2.0,
        );
        MapFrame { bounds, scale, origin }
    }

    /// The pixel of a point.
    pub fn px(&self, x: f64, y: f64) -> (i32, i32) {
        (
            (self.origin.0 + (x - self.bounds.min().x) * self.scale).round() as i32,
            (self.origin.1 + (self.bounds.max().y - y) * self.scale).round() as i32,
        )
    }

    /// The pixels of a line's points, a point falling on the pixel of the one before left out: the same
    /// picture, and SVGs a fraction of the size (a ring of a block has many points per pixel at city scale).
    pub fn pixels(&self, points: &[geo::Coord]) -> Vec<(i32, i32)> {
        let mut pts: Vec<(i32, i32)> = points.iter().map(|c| self.px(c.x, c.y)).collect();
        pts.dedup();
        pts
    }

    /// Pixels per metre.
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// Draws polygon outlines.
    pub fn outlines<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        polygons: &[MultiPolygon],
        style: ShapeStyle,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        for mp in polygons {
            for poly in &mp.0 {
                for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                    area.draw(&PathElement::new(self.pixels(&ring.0), style))?;
                }
            }
        }
        Ok(())
    }

    /// Draws filled polygons, one colour each.
    pub fn fills<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        polygons: &[(MultiPolygon, RGBColor)],
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        for (mp, colour) in polygons {
            for poly in &mp.0 {
                area.draw(&Polygon::new(self.pixels(&poly.exterior().0), colour.filled()))?;
            }
        }
        Ok(())
    }

    /// Draws a scale bar of a round length at `at`, and under it the data's attribution (ODbL asks maps made
    /// from OpenStreetMap to say so).
    pub fn scale_bar<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        at: (i32, i32),
        attribution: Option<&str>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        if let Some(a) = attribution {
            let text = if a.contains("OpenStreetMap") { format!("地图数据 {a}") } else { a.to_string() };
            area.draw(&Text::new(text, (20, at.1 + 30), (FONT, 14).into_font().color(&RGBColor(90, 90, 90))))?;
        }
        let target_px = 150.0;
        let metres = [100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10000.0]
            .into_iter()
            .min_by(|a, b| ((a * self.scale) - target_px).abs().total_cmp(&((b * self.scale) - target_px).abs()))
            .unwrap_or(1000.0);
        let len = (metres * self.scale).round() as i32;
        let style = BLACK.stroke_width(3);
        area.draw(&PathElement::new(vec![(at.0, at.1), (at.0 + len, at.1)], style))?;
        let label = if metres >= 1000.0 { format!("{} km", metres / 1000.0) } else { format!("{metres} m") };
        area.draw(&Text::new(label, (at.0, at.1 - 24), (FONT, 18).into_font()))?;
        Ok(())
    }
}

/// The frame of a 1400 × 1250 grid map: the outlines with a 100 m margin, the legend to the right.
pub fn grid_map_frame<'a>(outlines: impl Iterator<Item = &'a MultiPolygon>) -> MapFrame {
    let bounds = bounds_of(outlines.flat_map(|m| m.0.iter().flat_map(|p| p.exterior().points())), 100.0);
    MapFrame::new(bounds, 20, 90, 1100, 1140)
}

/// The bounding box of points, grown by `pad` metres; a unit box at the origin when empty.
pub fn bounds_of(points: impl Iterator<Item = Point>, pad: f64) -> Rect {
    let mut b: Option<(f64, f64, f64, f64)> = None;
    for p in points {
        b = Some(match b {
            None => (p.x(), p.y(), p.x(), p.y()),
            Some((x0, y0, x1, y1)) => (x0.min(p.x()), y0.min(p.y()), x1.max(p.x()), y1.max(p.y())),
        });
    }
    let (x0, y0, x1, y1) = b.unwrap_or((0.0, 0.0, 1.0, 1.0));
    Rect::new((x0 - pad, y0 - pad), (x1 + pad, y1 + pad))
}

/// A legend marker.
#[derive(Debug, Clone, Copy)]
pub enum Marker {
    /// A filled dot.
    Dot,
    /// A filled triangle.
    Triangle,
    /// An open square.
    Square,
}

impl Marker {
    /// Draws the marker centred at `at`.
    pub fn draw<DB: DrawingBackend>(
        self,
        area: &DrawingArea<DB, Shift>,
        at: (i32, i32),
        colour: RGBColor,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let (x, y) = at;
        match self {
            Marker::Dot => area.draw(&Circle::new(at, 7, colour.filled())),
            Marker::Triangle => {
                area.draw(&Polygon::new(vec![(x, y - 7), (x - 6, y + 5), (x + 6, y + 5)], colour.filled()))
            }
            Marker::Square => area.draw(&Rectangle::new([(x - 8, y - 8), (x + 8, y + 8)], colour.stroke_width(3))),
        }
    }
}

/// Draws a legend: one row per (marker, colour, label).
pub fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    at: (i32, i32),
    rows: &[(Marker, RGBColor, &str)],
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    for (i, (marker, colour, label)) in rows.iter().enumerate() {
        let y = at.1 + 30 * i as i32;
        marker.draw(area, (at.0 + 8, y + 10), *colour)?;
        area.draw(&Text::new(label.to_string(), (at.0 + 24, y), (FONT, 20).into_font()))?;
    }
    Ok(())
}

/// A histogram: `counts[i]` over `[lo + i·width, lo + (i + 1)·width)`, drawn on `x_range`, with vertical lines
/// at `marks` in `mark_color`; x labels with `decimals` decimals.
pub struct Bars<'a> {
    /// Title.
    pub caption: String,
    /// Axis descriptions.
    pub x_desc: &'a str,
    /// Axis descriptions.
    pub y_desc: &'a str,
    /// Left edge of the first bin and the bin width.
    pub lo: f64,
    /// Bin width.
    pub width: f64,
    /// Count per bin.
    pub counts: Vec<u32>,
    /// The x range shown.
    pub x_range: std::ops::Range<f64>,
    /// Vertical lines.
    pub marks: Vec<f64>,
    /// Their colour.
    pub mark_color: RGBColor,
    /// Decimals of the x labels.
    pub decimals: usize,
}

impl Figure for Bars<'_> {
    fn size(&self) -> (u32, u32) {
        (1200, 700)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        area.fill(&WHITE)?;
        let ymax = self.counts.iter().copied().max().unwrap_or(1).max(1);
        let top = ymax + ymax / 10 + 1;
        let mut c = ChartBuilder::on(area)
            .caption(&self.caption, (FONT, 26))
            .margin(20)
            .x_label_area_size(50)
            .y_label_area_size(60)
            .build_cartesian_2d(self.x_range.clone(), 0u32..top)?;
        let decimals = self.decimals;
        c.configure_mesh()
            .x_desc(self.x_desc)
            .y_desc(self.y_desc)
            .x_label_formatter(&|x| format!("{x:.decimals$}"))
            .axis_desc_style((FONT, 20))
            .label_style((FONT, 16))
            .disable_x_mesh()
            .draw()?;
        c.draw_series(self.counts.iter().enumerate().map(|(i, &n)| {
            let x = self.lo + i as f64 * self.width;
            Rectangle::new([(x, 0), (x + self.width * 0.92, n)], RGBColor(66, 146, 198).filled())
        }))?;
        for &m in &self.marks {
            c.draw_series(std::iter::once(PathElement::new(
                vec![(m, 0), (m, top - 1)],
                self.mark_color.stroke_width(3),
            )))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Dots(u32);

    impl Figure for Dots {
        fn size(&self) -> (u32, u32) {
            (300, 200)
        }

        fn draw<DB: DrawingBackend>(
            &self,
            area: &DrawingArea<DB, Shift>,
        ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
            for i in 0..self.0 as i32 {
                area.draw(&Circle::new((20 + 9 * i, 40 + 5 * i), 6, RGBColor(215, 48, 39).mix(0.75).filled()))?;
            }
            area.draw(&Text::new(format!("{} 处", self.0), (10, 10), (FONT, 20).into_font()))
        }
    }

    #[test]
    fn figures_on_a_shared_ground_are_the_figures_drawn_whole() {
        let square = geo::Rect::new((0.0, 0.0), (100.0, 100.0)).to_polygon();
        let outlines = vec![MultiPolygon::new(vec![square])];
        let frame = MapFrame::new(geo::Rect::new((-10.0, -10.0), (110.0, 110.0)), 10, 10, 280, 180);
        let ground = Ground { size: (300, 200), frame, outlines: &outlines, style: BLACK.stroke_width(1) };
        let dir = tempfile::tempdir().unwrap();
        let staged = StagedDir::new(&dir.path().join("out"), "test").unwrap();
        let figures: Vec<(String, Dots)> = (1..4).map(|n| (format!("shared_{n}"), Dots(n * 7))).collect();
        write_figures_on(&staged, &ground, &figures).unwrap();
        for (stem, figure) in &figures {
            write_figure(&staged, &format!("whole_{stem}"), &OnBase(&ground, figure)).unwrap();
            for ext in ["png", "svg"] {
                let read = |s: &str| std::fs::read(staged.path(&format!("{s}.{ext}"))).unwrap();
                assert!(
                    read(stem) == read(&format!("whole_{stem}")),
                    "{stem}.{ext} differs from the figure drawn whole"
                );
            }
        }
    }
}
