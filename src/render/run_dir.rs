//! The run directory of `gridplan partition`: `grids.geojson`, `assignment.csv`, `unassigned.csv`,
//! `check.json` and `run.json`, written through a staging directory.

use super::csv_field;
use super::geojson::{DEGREE_DECIMALS, write_collection};
use super::output_dir::{OutputError, StagedDir, finish};
use crate::config::Plan;
use crate::grids::{GridRow, Grids};
use crate::model::Dataset;
use crate::partition::Partition;
use crate::partition::check::Check;
use crate::partition::replan::change::{Change, Move};
use geo::{Geometry, MultiPolygon};
use serde_json::{Map, Value, json};
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// The files of a partition, in a `partition` or `plan` run folder (what `coverage --grids` reads).
pub const PARTITION_FILES: [&str; 6] =
    ["grids.geojson", "micro_grids.geojson", "assignment.csv", "unassigned.csv", "check.json", "run.json"];

/// The grids for GIS tools, beside the GeoJSON (`render::gis`): kept with the partition's files.
pub const GIS_FILES: [&str; 11] = [
    "grids.gpkg",
    "shp/grids.shp",
    "shp/grids.shx",
    "shp/grids.dbf",
    "shp/grids.prj",
    "shp/grids.cpg",
    "shp/micro_grids.shp",
    "shp/micro_grids.shx",
    "shp/micro_grids.dbf",
    "shp/micro_grids.prj",
    "shp/micro_grids.cpg",
];

/// The matching of streets and communities to the official division codes, one row each (BOM, Chinese headers).
pub const DIVISION_FILE: &str = "admin_codes.csv";

fn write_division_codes(staged: &StagedDir, m: &crate::load::divisions::DivisionMatch) -> std::io::Result<()> {
    let mut w = staged.create(DIVISION_FILE)?;
    writeln!(w, "\u{feff}行政区编号,名称,级别,统计用区划代码,匹配方式,说明")?;
    for a in &m.areas {
        let level = if a.level == "street" { "街道" } else { "社区" };
        let how = match a.how {
            "given" => "数据自带",
            "name" => "按名称匹配",
            "ambiguous" => "同名多处，未匹配",
            _ => "代码表中无此名称",
        };
        writeln!(
            w,
            "{},{},{level},{},{how},{}",
            csv_field(&a.id),
            csv_field(&a.name),
            a.code.as_deref().unwrap_or(""),
            csv_field(&a.note)
        )?;
    }
    finish(w)
}

/// `grids.gpkg` (layers `grids` and `micro_grids`) and the Shapefile sets under `shp/`, with the properties of
/// the GeoJSON files.
fn write_gis_files(staged: &StagedDir, crs: crate::crs::Crs, grids: &Grids) -> std::io::Result<()> {
    use super::gis::{Layer, write_geopackage, write_shapefile};
    let rows = &grids.rows;
    let layers = [
        Layer { name: "grids", features: rows.iter().map(|r| (&r.written, r.properties())).collect(), crs },
        Layer {
            name: "micro_grids",
            features: grids.micro.iter().map(|m| (&m.written, m.properties(rows))).collect(),
            crs,
        },
    ];
    write_geopackage(&staged.path("grids.gpkg"), &layers)?;
    for layer in &layers {
        write_shapefile(&staged.path("shp"), layer)?;
    }
    Ok(())
}

/// Writes the partition into the staged run folder and commits it; returns the run folder.
pub fn write_partition(
    staged: StagedDir,
    plan: &Plan,
    d: &Dataset,
    p: &Partition,
    check: &Check,
    seed: u64,
    timings: &[(&str, Duration)],
) -> Result<(PathBuf, Option<Change>), OutputError> {
    let grids = crate::grids::grids(d, p, &plan.config);
    let run = write_partition_files(&staged, plan, d, p, &grids, check, seed)?;
    write_run_json(&staged, run, timings)?;
    Ok((staged.commit()?, grids.change.map(|(c, _)| c)))
}

/// Writes `run.json`, the run's record, with the stage timings: written last, so that its writing time
/// counts every other file (only the commit — syncing, hashing and swapping the folder in — follows).
pub fn write_run_json(staged: &StagedDir, mut run: Value, timings: &[(&str, Duration)]) -> std::io::Result<()> {
    run["timings_s"] =
        timings.iter().map(|(k, t)| (k.to_string(), json!(t.as_secs_f64()))).collect::<Map<String, Value>>().into();
    run["timings_note"] = json!(
        "秒；提交（落盘、校验和、替换文件夹）在写入 run.json 之后，不计在内 / seconds; the commit (sync, hashes, folder swap) follows run.json and is not counted"
    );
    staged.write("run.json", (serde_json::to_string_pretty(&run).map_err(std::io::Error::other)? + "\n").as_bytes())
}

/// Writes the partition's files into a staged directory (shared with `gridplan plan`); returns the run record
/// for [`write_run_json`], which the caller writes once every other file is staged.
pub fn write_partition_files(
    staged: &StagedDir,
    plan: &Plan,
    d: &Dataset,
    p: &Partition,
    grids: &Grids,
    check: &Check,
    seed: u64,
) -> std::io::Result<Value> {
    let rows = &grids.rows;
    let features: Vec<(Geometry<f64>, Map<String, Value>)> =
        rows.iter().map(|r| (Geometry::MultiPolygon(r.written.clone()), r.properties())).collect();
    let attribution = d.attribution();
    let mut w = staged.create("grids.geojson")?;
    write_collection(&mut w, features.iter().map(|(g, p)| (g, p)), attribution.as_deref(), DEGREE_DECIMALS)?;
    finish(w)?;

    let micro: Vec<(Geometry<f64>, Map<String, Value>)> =
        grids.micro.iter().map(|m| (Geometry::MultiPolygon(m.written.clone()), m.properties(rows))).collect();
    let mut w = staged.create("micro_grids.geojson")?;
    write_collection(&mut w, micro.iter().map(|(g, p)| (g, p)), attribution.as_deref(), DEGREE_DECIMALS)?;
    finish(w)?;
    write_gis_files(staged, plan.config.plan.output_crs, grids)?;

    // The micro-grid of each site; a building divided by stairwells lists all of its own.
    let mut micro_of_site: std::collections::HashMap<usize, Vec<&str>> = std::collections::HashMap::new();
    for m in &grids.micro {
        for &s in &m.sites {
            micro_of_site.entry(s).or_default().push(&m.micro_id);
        }
    }
    let mut w = staged.create("assignment.csv")?;
    // A BOM, so Excel and WPS open the Chinese names as such (every planner-facing CSV has one).
    let lang = plan.config.plan.csv_headers;
    let keys = ["id", "kind", "households", "grid_id", "community", "street", "micro_grid"];
    writeln!(w, "{}", crate::columns::line(&keys, lang))?;
    // Every site in a grid, basic or dedicated, in site order.
    let mut sites: Vec<(usize, &GridRow)> = rows.iter().flat_map(|r| r.sites.iter().map(move |&s| (s, r))).collect();
    sites.sort_unstable_by_key(|&(s, _)| s);
    for (s, r) in sites {
        let (id, kind) = p.sites[s].member.id(d);
        let street = p.sites[s].street.map_or("", |a| d.admin_areas[a].name.as_str());
        let micro = micro_of_site.get(&s).map(|ids| ids.join(";")).unwrap_or_default();
        writeln!(
            w,
            "{},{kind},{},{},{},{},{}",
            csv_field(id),
            p.sites[s].households,
            csv_field(&r.grid_id),
            csv_field(r.community_id.as_deref().unwrap_or("")),
            csv_field(street),
            csv_field(&micro)
        )?;
    }
    finish(w)?;

    let mut w = staged.create("unassigned.csv")?;
    writeln!(w, "{}", crate::columns::line(&["id", "kind", "households", "reason"], lang))?;
    for u in &p.unassigned {
        let (id, kind) = u.member.id(d);
        writeln!(w, "{},{kind},{},{}", csv_field(id), u.households, csv_field(&u.reason))?;
    }
    finish(w)?;

    let check = check_json(check, grids).map_err(std::io::Error::other)?;
    staged.write(
        "check.json",
        (serde_json::to_string_pretty(&check).map_err(std::io::Error::other)? + "\n").as_bytes(),
    )?;

    let polygons: Vec<MultiPolygon> =
        rows.iter().filter(|r| r.dedicated.is_none()).map(|r| r.polygon.clone()).collect();
    let plan_metrics = crate::partition::metrics::metrics(p, &polygons, plan.config.bands.basic);
    let run = json!({
        "version": env!("CARGO_PKG_VERSION"),
        "seed": seed,
        "plan": plan.path.display().to_string(),
        "config": plan.config,
        "inputs": d.layers.iter().map(|l| json!({"layer": l.name, "path": l.path.display().to_string(), "sha256": l.sha256})).collect::<Vec<_>>(),
        "check": check,
        "metrics": plan_metrics,
        "counts": {
            "communities": p.communities.len(),
            "communities_built_from_compounds": p.communities.iter().filter(|c| c.admin_area.is_none()).count(),
            "basic_grids": p.grids.len(),
            "dedicated_grids": p.dedicated.len(),
            "dedicated_households": p.dedicated.iter().map(|g| g.households).sum::<u64>(),
            "discontiguous_grids": crate::partition::check::discontiguous_grids(d, p, &plan.config),
            "micro_grids": grids.micro.len(),
            "micro_grids_in_band": grids.micro.iter().filter(|m| m.out_of_band.is_none()).count(),
            "micro_grids_stairwells": grids.micro.iter().filter(|m| m.stairwell.is_some()).count(),
        },
        "drawing": grids.drawing,
        "certificates": certificates_linked(p, rows),
        "split_compounds": split_compounds_listed(d, p, rows),
        "untagged_residential": untagged_by_street(d),
        "policy_crossings": p.policy_crossings,
        "replan": grids.change.as_ref().map(|(c, _)| c),
        "merge": grids.merge.as_ref().map(|m| json!({"choice": m.choice, "layers": m.layers})),
        "shard": d.shard,
        "division_codes": d.division_codes.as_ref().map(|m| json!({
            "files": m.files,
            "city": m.city,
            "city_configured": m.city_configured,
            "streets_coded": m.streets_coded,
            "communities_coded": m.communities_coded,
            "communities_built_from_compounds": p.communities.iter().filter(|c| c.admin_area.is_none()).count(),
        })),
    });
    if let Some(m) = &d.division_codes {
        write_division_codes(staged, m)?;
    }
    if let Some((change, moves)) = &grids.change {
        write_change(staged, change, moves)?;
        let mut w = staged.create("replan_unmatched.csv")?;
        w.write_all("\u{feff}单元编号,状态,网格编号,户数\n".as_bytes())?;
        for u in &grids.unmatched {
            let status = if u.status == "new" { "新增" } else { "已无" };
            writeln!(w, "{},{status},{},{}", csv_field(&u.id), csv_field(&u.grid), u.households)?;
        }
        finish(w)?;
    }
    if let Some(merge) = &grids.merge {
        crate::render::merge_dir::write_merge(staged, rows, merge)?;
    }
    Ok(run)
}

/// A rerun's `replan.json` (the figures of change and the retired ids the next rerun reads) and `moves.csv`
/// (every unit now in a grid of another id).
fn write_change(staged: &StagedDir, change: &Change, moves: &[Move]) -> std::io::Result<()> {
    let json = serde_json::to_string_pretty(change).map_err(std::io::Error::other)? + "\n";
    staged.write(crate::load::previous::REPLAN_FILE, json.as_bytes())?;
    let mut w = staged.create("moves.csv")?;
    w.write_all("\u{feff}单元编号,类型,户数,原网格,现网格\n".as_bytes())?;
    for m in moves {
        let kind = if m.kind == "building" { "楼栋" } else { "住户" };
        writeln!(w, "{},{kind},{},{},{}", csv_field(&m.id), m.households, csv_field(&m.from), csv_field(&m.to))?;
    }
    finish(w)
}

/// `check.json`: the assignment's checks, then the outlines'.
pub fn check_json(check: &Check, grids: &Grids) -> serde_json::Result<Value> {
    let mut out = serde_json::to_value(check)?;
    if let (Value::Object(o), Value::Object(extra)) = (&mut out, serde_json::to_value(grids.check)?) {
        o.extend(extra);
    }
    Ok(out)
}

/// Each certificate with its index, the grids that carry it and the community it belongs to (or is, for a
/// community built out of band).
fn certificates_linked(p: &Partition, rows: &[GridRow]) -> Vec<Value> {
    p.certificates
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let grids: Vec<&str> = rows
                .iter()
                .filter(|r| r.certificate.is_some_and(|(k, _)| k == i))
                .map(|r| r.grid_id.as_str())
                .collect();
            let mut communities: Vec<&str> = rows
                .iter()
                .filter(|r| r.certificate.is_some_and(|(k, _)| k == i))
                .filter_map(|r| r.community_id.as_deref())
                .chain(p.communities.iter().filter(|k| k.certificate == Some(i)).map(|k| k.id.as_str()))
                .collect();
            communities.sort_unstable();
            communities.dedup();
            let mut v = serde_json::to_value(c).unwrap_or(Value::Null);
            if let Value::Object(m) = &mut v {
                m.insert("id".into(), json!(i));
                m.insert("grids".into(), json!(grids));
                m.insert("communities".into(), json!(communities));
            }
            v
        })
        .collect()
}

/// Every compound divided between grids on purpose, with its name, the grids it went to and why.
fn split_compounds_listed(d: &Dataset, p: &Partition, rows: &[GridRow]) -> Vec<Value> {
    let mut grid_of_site = vec![""; p.sites.len()];
    for r in rows {
        for &s in &r.sites {
            grid_of_site[s] = &r.grid_id;
        }
    }
    // The grids of each compound's sites, in one pass over the sites.
    let mut grids_of: std::collections::HashMap<usize, Vec<&str>> =
        p.split_compounds.iter().map(|c| (c.compound, Vec::new())).collect();
    for (i, s) in p.sites.iter().enumerate() {
        if let Some(list) = s.compound.and_then(|c| grids_of.get_mut(&c)) {
            list.push(grid_of_site[i]);
        }
    }
    p.split_compounds
        .iter()
        .map(|c| {
            let k = &d.compounds[c.compound];
            let mut grids = grids_of.get(&c.compound).cloned().unwrap_or_default();
            grids.sort_unstable();
            grids.dedup();
            json!({"compound": k.id, "name": k.name, "households": c.households, "grids": grids, "kind": c.kind, "reason": c.reason})
        })
        .collect()
}

/// Per street, the untagged buildings outside compounds that the footprint-and-neighbours rule made
/// residential (`load/untagged.rs`), their households and their share of the street's households.
fn untagged_by_street(d: &Dataset) -> Vec<Value> {
    let mut by: std::collections::BTreeMap<usize, (u64, u64, u64)> = std::collections::BTreeMap::new();
    for b in &d.buildings {
        let Some(street) = b.street else { continue };
        let e = by.entry(street).or_default();
        e.2 += u64::from(b.households);
        if b.by_neighbours {
            e.0 += 1;
            e.1 += u64::from(b.households);
        }
    }
    by.into_iter()
        .filter(|(_, (n, _, _))| *n > 0)
        .map(|(s, (buildings, households, total))| {
            let share = households as f64 / total.max(1) as f64;
            json!({
                "street": d.admin_areas[s].name,
                "buildings": buildings,
                "households": households,
                "share_of_street_households": (share * 1000.0).round() / 1000.0,
            })
        })
        .collect()
}
