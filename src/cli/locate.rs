//! `gridplan locate`: an address list or building list → grid, micro-grid, community, street, workers.

use anyhow::{Context, bail};
use gridplan::crs::Crs;
use gridplan::locate::Locator;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// 规划结果文件夹 / the run folder of `gridplan plan` or `partition`.
    run: PathBuf,
    /// 待查询的表格（CSV）：经度、纬度两列，或建筑编号一列 / a CSV of points (lon, lat) or building ids.
    points: PathBuf,
    /// 结果表格（新文件，不会覆盖已有文件）/ the result CSV (a new file: an existing one is never overwritten).
    #[arg(long)]
    out: PathBuf,
    /// 坐标系：wgs84（GPS）、gcj02（高德、腾讯）、bd09（百度）/ coordinates of the points.
    #[arg(long, value_enum, default_value = "wgs84")]
    crs: CrsArg,
    /// 经度列名（默认自动识别 lon、lng、longitude、经度）/ longitude column.
    #[arg(long)]
    lon_col: Option<String>,
    /// 纬度列名（默认自动识别 lat、latitude、纬度）/ latitude column.
    #[arg(long)]
    lat_col: Option<String>,
    /// 按建筑编号查询：编号所在的列名 / look up building (or household point) ids from this column instead.
    #[arg(long)]
    id_col: Option<String>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum CrsArg {
    Wgs84,
    Gcj02,
    Bd09,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    if args.out.exists() {
        bail!(
            "{} 已存在：请换一个文件名（gridplan 不会覆盖已有文件）/ exists: choose another name",
            args.out.display()
        );
    }
    let t0 = std::time::Instant::now();
    let locator = Locator::open(&args.run).with_context(|| format!("reading the run {}", args.run.display()))?;
    let table = gridplan::load::source::read_table(&args.points, &Default::default())?;
    let cols = table.columns.clone().unwrap_or_default();
    let find = |given: &Option<String>, names: &[&str]| -> Option<String> {
        match given {
            Some(c) => Some(c.clone()),
            None => cols.iter().find(|c| names.contains(&c.trim().to_lowercase().as_str())).cloned(),
        }
    };
    let text = |r: &gridplan::load::source::Record, c: &str| match r.props.get(c) {
        Some(serde_json::Value::String(s)) => s.trim().to_string(),
        Some(serde_json::Value::Null) | None => String::new(),
        Some(v) => v.to_string(),
    };
    let crs = match args.crs {
        CrsArg::Wgs84 => Crs::Wgs84,
        CrsArg::Gcj02 => Crs::Gcj02,
        CrsArg::Bd09 => Crs::Bd09,
    };
    let (found, inputs): (Vec<_>, Vec<Vec<String>>) = if let Some(id_col) = &args.id_col {
        if !cols.contains(id_col) {
            bail!("{}: no column {id_col} (columns: {})", args.points.display(), table.available_fields());
        }
        let ids: Vec<String> = table.records.iter().map(|r| text(r, id_col)).collect();
        (ids.iter().map(|id| locator.locate_unit(id)).collect(), ids.into_iter().map(|id| vec![id]).collect())
    } else {
        let (Some(lon), Some(lat)) = (
            find(&args.lon_col, &["lon", "lng", "longitude", "经度"]),
            find(&args.lat_col, &["lat", "latitude", "纬度"]),
        ) else {
            bail!(
                "{}: 找不到经度、纬度列（用 --lon-col/--lat-col 指定，或用 --id-col 按建筑编号查询）/ no lon/lat columns (columns: {})",
                args.points.display(),
                table.available_fields()
            );
        };
        let mut points = Vec::with_capacity(table.records.len());
        for (n, r) in table.records.iter().enumerate() {
            let num = |c: &str| {
                let t = text(r, c);
                t.parse::<f64>()
                    .with_context(|| format!("{}: row {}: {c} = {t:?} is not a number", args.points.display(), n + 2))
            };
            points.push((num(&lon)?, num(&lat)?));
        }
        let inputs = points.iter().map(|(x, y)| vec![x.to_string(), y.to_string()]).collect();
        (locator.locate_points(&points, crs), inputs)
    };
    let head = if args.id_col.is_some() { "行号,编号" } else { "行号,经度,纬度" };
    let tmp = args.out.with_extension("csv.partial");
    {
        let mut w =
            std::io::BufWriter::new(std::fs::File::create_new(&tmp).with_context(|| tmp.display().to_string())?);
        writeln!(w, "\u{feff}{head},网格编号,微网格编号,社区,街道,网格员,说明")?;
        for (n, (l, input)) in found.iter().zip(&inputs).enumerate() {
            let input: Vec<String> = input.iter().map(|s| gridplan::render::csv_field(s)).collect();
            writeln!(
                w,
                "{},{},{},{},{},{},{},{}",
                n + 2,
                input.join(","),
                gridplan::render::csv_field(&l.grid),
                gridplan::render::csv_field(&l.micro),
                gridplan::render::csv_field(&l.community),
                gridplan::render::csv_field(&l.street),
                l.workers.map_or(String::new(), |w| w.to_string()),
                gridplan::render::csv_field(&l.note)
            )?;
        }
        w.flush()?;
        w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    }
    // A hard link cannot replace a file that appeared meanwhile (rename would): the result stays a new file.
    std::fs::hard_link(&tmp, &args.out)
        .with_context(|| format!("{} 已存在或无法写入 / exists or cannot be written", args.out.display()))?;
    std::fs::remove_file(&tmp)?;
    let located = found.iter().filter(|l| !l.grid.is_empty()).count();
    eprintln!(
        "{located} / {} 已定位到网格（{:.2} 秒）；写入 {} / located in a grid, wrote the table",
        found.len(),
        t0.elapsed().as_secs_f64(),
        args.out.display()
    );
    Ok(())
}
