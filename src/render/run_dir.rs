//! The run directory of `gridplan partition`: `grids.geojson`, `assignment.csv`, `unassigned.csv`,
//! `check.json` and `run.json`, written through a staging directory.

use super::csv_field;
use super::geojson::{DEGREE_DECIMALS, write_collection};
use super::output_dir::{StagedDir, finish};
use crate::config::Plan;
use crate::model::Dataset;
use crate::partition::check::Check;
use crate::partition::{Member, Partition};
use geo::{
    Area, BooleanOps, BoundingRect, Contains, Geometry, MultiPoint, MultiPolygon, Point, Voronoi, VoronoiClip,
    VoronoiParams,
};
use serde_json::{Map, Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Grid polygons that tile each street (or given community): Voronoi cells of the sites, clipped to the
/// container, dissolved per grid. Grids with no cell (co-located sites) get the union of their sites' cells.
pub fn grid_polygons(d: &Dataset, p: &Partition) -> Vec<MultiPolygon> {
    let mut cells_of_grid: Vec<Vec<MultiPolygon>> = vec![Vec::new(); p.grids.len()];
    let grid_of_site = p.grid_of_site();
    // Containers: a given community, else the street.
    let mut containers: std::collections::BTreeMap<usize, Vec<usize>> = std::collections::BTreeMap::new();
    for c in &p.communities {
        let key = c.admin_area.unwrap_or(c.street);
        containers.entry(key).or_default().extend(c.sites.iter().copied());
    }
    for (area, sites) in containers {
        let boundary = &d.admin_areas[area].polygon;
        // One Voronoi site per distinct position; co-located sites share the cell.
        let mut positions: Vec<(f64, f64, usize)> =
            sites.iter().map(|&s| (p.sites[s].point.x(), p.sites[s].point.y(), s)).collect();
        positions.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)).then(a.2.cmp(&b.2)));
        positions.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
        let cells: Vec<geo::Polygon> = if positions.len() >= 3 {
            let mp = MultiPoint::from(positions.iter().map(|&(x, y, _)| Point::new(x, y)).collect::<Vec<_>>());
            // The diagram must reach every corner of the container, not just around the sites.
            let frame = match (boundary.bounding_rect(), mp.bounding_rect()) {
                (Some(a), Some(b)) => geo::Rect::new(
                    geo::Coord { x: a.min().x.min(b.min().x) - 10.0, y: a.min().y.min(b.min().y) - 10.0 },
                    geo::Coord { x: a.max().x.max(b.max().x) + 10.0, y: a.max().y.max(b.max().y) + 10.0 },
                )
                .to_polygon(),
                _ => continue,
            };
            mp.voronoi_cells_with_params(VoronoiParams::new().clip(VoronoiClip::Polygon(&frame))).unwrap_or_default()
        } else {
            Vec::new()
        };
        let tree = rstar::RTree::bulk_load(
            positions.iter().map(|&(x, y, s)| rstar::primitives::GeomWithData::new([x, y], s)).collect(),
        );
        for cell in cells {
            let Some(r) = cell.bounding_rect() else { continue };
            let env = rstar::AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
            let Some(site) = tree
                .locate_in_envelope(&env)
                .find(|e| cell.contains(&Point::new(e.geom()[0], e.geom()[1])))
                .map(|e| e.data)
            else {
                continue;
            };
            let clipped = MultiPolygon::new(vec![cell]).intersection(boundary);
            if grid_of_site[site] != usize::MAX && clipped.unsigned_area() > 0.0 {
                cells_of_grid[grid_of_site[site]].push(clipped);
            }
        }
        // Whatever no cell covers (too few sites to triangulate, cells that miss the container's corners)
        // goes to the grid of the nearest site, so the container is covered by construction.
        let placed: Vec<&MultiPolygon> = sites
            .iter()
            .filter_map(|&s| grid_of_site.get(s))
            .copied()
            .collect::<std::collections::BTreeSet<usize>>()
            .into_iter()
            .flat_map(|g| cells_of_grid[g].iter())
            .collect();
        let remainder = boundary.difference(&geo::unary_union(placed));
        for part in remainder.0 {
            let Some(at) = crate::load::geometry::representative_point(&MultiPolygon::new(vec![part.clone()])) else {
                continue;
            };
            if let Some(nearest) = tree.nearest_neighbor(&[at.x(), at.y()])
                && grid_of_site[nearest.data] != usize::MAX
            {
                cells_of_grid[grid_of_site[nearest.data]].push(MultiPolygon::new(vec![part]));
            }
        }
    }
    // Dedicated grids are cut out of the basic grids of their street, so the street is tiled once.
    let mut dedicated_by_street: std::collections::BTreeMap<usize, Vec<&MultiPolygon>> =
        std::collections::BTreeMap::new();
    for g in &p.dedicated {
        dedicated_by_street.entry(g.street).or_default().push(&g.polygon);
    }
    let cut: std::collections::BTreeMap<usize, MultiPolygon> =
        dedicated_by_street.into_iter().map(|(s, polys)| (s, geo::unary_union(polys))).collect();
    cells_of_grid
        .into_iter()
        .enumerate()
        .map(|(g, cells)| {
            let union = geo::unary_union(cells.iter());
            crate::load::geometry::clean(match cut.get(&p.communities[p.grids[g].community].street) {
                Some(c) => union.difference(c),
                None => union,
            })
        })
        .collect()
}

/// Sequence codes inside each community, numbered north → south in 500 m rows, west → east within a row
/// (CJ/T 349 / DB11 style); the full code prefixes the community's code.
fn grid_codes(p: &Partition) -> Vec<(String, String)> {
    let mut out = vec![(String::new(), String::new()); p.grids.len()];
    let mut by_community: std::collections::BTreeMap<usize, Vec<usize>> = std::collections::BTreeMap::new();
    for (g, grid) in p.grids.iter().enumerate() {
        by_community.entry(grid.community).or_default().push(g);
    }
    for (c, mut grids) in by_community {
        let centre = |g: usize| {
            let sites = &p.grids[g].sites;
            let n = sites.len().max(1) as f64;
            let (x, y) =
                sites.iter().fold((0.0, 0.0), |(x, y), &s| (x + p.sites[s].point.x(), y + p.sites[s].point.y()));
            (x / n, y / n)
        };
        grids.sort_by(|&a, &b| {
            let (ca, cb) = (centre(a), centre(b));
            let (ra, rb) = ((-ca.1 / 500.0).floor(), (-cb.1 / 500.0).floor());
            ra.total_cmp(&rb).then(ca.0.total_cmp(&cb.0)).then(a.cmp(&b))
        });
        let community = &p.communities[c];
        for (n, g) in grids.into_iter().enumerate() {
            out[g] =
                (format!("{}-{:02}", community.id, n + 1), format!("{}{:02}", community.id.replace('-', ""), n + 1));
        }
    }
    out
}

/// How a dedicated grid is named: numbered D01, D02, … inside its street, and placed in the community of the
/// basic grid that contains it, when one does.
struct DedicatedLabel<'a> {
    grid_id: String,
    code: String,
    community: Option<&'a str>,
    community_id: Option<&'a str>,
}

fn dedicated_labels<'a>(d: &Dataset, p: &'a Partition, polygons: &[MultiPolygon]) -> Vec<DedicatedLabel<'a>> {
    let mut seq_in_street: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
    p.dedicated
        .iter()
        .map(|g| {
            let street = &d.admin_areas[g.street];
            let key = street.code.clone().unwrap_or_else(|| street.id.clone());
            let n = seq_in_street.entry(g.street).or_insert(0);
            *n += 1;
            let community = crate::load::geometry::representative_point(&g.polygon).and_then(|pt| {
                p.grids
                    .iter()
                    .enumerate()
                    .find(|(i, gr)| p.communities[gr.community].street == g.street && polygons[*i].contains(&pt))
                    .map(|(_, gr)| &p.communities[gr.community])
            });
            DedicatedLabel {
                grid_id: format!("{key}-D{n:02}"),
                code: format!("{}D{n:02}", key.replace('-', "")),
                community: community.map(|c| c.name.as_str()),
                community_id: community.map(|c| c.id.as_str()),
            }
        })
        .collect()
}

/// Writes the run directory; returns its path.
pub fn write_partition(
    out: &Path,
    plan: &Plan,
    d: &Dataset,
    p: &Partition,
    check: &Check,
    seed: u64,
    timings: &[(&str, Duration)],
) -> std::io::Result<PathBuf> {
    let staged = StagedDir::new(out)?;
    let polygons = grid_polygons(d, p);
    let codes = grid_codes(p);
    let crs = plan.config.plan.output_crs;
    let mut features: Vec<(Geometry<f64>, Map<String, Value>)> = Vec::with_capacity(p.grids.len());
    for (g, grid) in p.grids.iter().enumerate() {
        let community = &p.communities[grid.community];
        let street = &d.admin_areas[community.street];
        let buildings = grid.sites.iter().filter(|&&s| matches!(p.sites[s].member, Member::Building(_))).count();
        let persons: u64 = grid.sites.iter().map(|&s| p.sites[s].member.persons(d)).sum();
        let mut props = Map::new();
        props.insert("grid_id".into(), json!(codes[g].0));
        props.insert("code".into(), json!(codes[g].1));
        props.insert("kind".into(), json!("basic"));
        props.insert("unit_kind".into(), json!("residential"));
        props.insert("street".into(), json!(street.name));
        props.insert("community".into(), json!(community.name));
        props.insert("households".into(), json!(grid.households));
        props.insert("persons".into(), json!(persons));
        props.insert("buildings".into(), json!(buildings));
        props.insert("area_m2".into(), json!(polygons[g].unsigned_area().round()));
        if let Some(c) = grid.certificate {
            props.insert("out_of_band".into(), json!(p.certificates[c].reason));
        }
        features.push((Geometry::MultiPolygon(super::to_output_crs(&polygons[g], &d.projection, crs)), props));
    }
    let dedicated = dedicated_labels(d, p, &polygons);
    for (g, label) in p.dedicated.iter().zip(&dedicated) {
        let street = &d.admin_areas[g.street];
        let names: Vec<&str> = g.units.iter().filter_map(|&u| d.special_units[u].name.as_deref()).collect();
        let mut props = Map::new();
        props.insert("grid_id".into(), json!(label.grid_id));
        props.insert("code".into(), json!(label.code));
        props.insert("kind".into(), json!("dedicated"));
        props.insert("unit_kind".into(), json!(g.kind));
        props.insert("street".into(), json!(street.name));
        props.insert("community".into(), json!(label.community));
        props.insert("households".into(), json!(g.households));
        props.insert("persons".into(), json!(g.sites.iter().map(|&s| p.sites[s].member.persons(d)).sum::<u64>()));
        props.insert(
            "buildings".into(),
            json!(g.sites.iter().filter(|&&s| matches!(p.sites[s].member, Member::Building(_))).count()),
        );
        props.insert("area_m2".into(), json!(g.polygon.unsigned_area().round()));
        props
            .insert("units".into(), json!(g.units.iter().map(|&u| d.special_units[u].id.as_str()).collect::<Vec<_>>()));
        props.insert("names".into(), json!(names));
        features.push((Geometry::MultiPolygon(super::to_output_crs(&g.polygon, &d.projection, crs)), props));
    }
    let mut w = staged.create("grids.geojson")?;
    write_collection(&mut w, features.iter().map(|(g, p)| (g, p)), None, DEGREE_DECIMALS)?;
    finish(w)?;

    let mut w = staged.create("assignment.csv")?;
    writeln!(w, "id,kind,households,grid_id,community,street")?;
    // Every site in a grid, basic or dedicated, in site order: (site, grid id, community id).
    let mut rows: Vec<(usize, &str, &str)> = p
        .grids
        .iter()
        .enumerate()
        .flat_map(|(g, grid)| {
            let (grid_id, community) = (codes[g].0.as_str(), p.communities[grid.community].id.as_str());
            grid.sites.iter().map(move |&s| (s, grid_id, community))
        })
        .chain(p.dedicated.iter().zip(&dedicated).flat_map(|(g, label)| {
            g.sites.iter().map(move |&s| (s, label.grid_id.as_str(), label.community_id.unwrap_or("")))
        }))
        .collect();
    rows.sort_unstable();
    for (s, grid_id, community) in rows {
        let (id, kind) = p.sites[s].member.id(d);
        let street = p.sites[s].street.map_or("", |a| d.admin_areas[a].name.as_str());
        writeln!(
            w,
            "{},{kind},{},{},{},{}",
            csv_field(id),
            p.sites[s].households,
            csv_field(grid_id),
            csv_field(community),
            csv_field(street)
        )?;
    }
    finish(w)?;

    let mut w = staged.create("unassigned.csv")?;
    writeln!(w, "id,kind,households,reason")?;
    for u in &p.unassigned {
        let (id, kind) = u.member.id(d);
        writeln!(w, "{},{kind},{},{}", csv_field(id), u.households, csv_field(&u.reason))?;
    }
    finish(w)?;

    staged
        .write("check.json", (serde_json::to_string_pretty(check).map_err(std::io::Error::other)? + "\n").as_bytes())?;

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
        },
        "certificates": p.certificates,
        "policy_crossings": p.policy_crossings,
        "timings_s": timings.iter().map(|(k, t)| (k.to_string(), json!(t.as_secs_f64()))).collect::<Map<String, Value>>(),
    });
    staged.write("run.json", (serde_json::to_string_pretty(&run).map_err(std::io::Error::other)? + "\n").as_bytes())?;
    staged.commit()
}
