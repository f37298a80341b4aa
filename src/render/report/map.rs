//! The data of the report's interactive map: grids, micro-grids, roads, barriers and the labels of streets and
//! communities, in the run's local metres (a conformal projection, so the page draws them as they are), simplified
//! to half a metre and written as whole metres delta-encoded per ring — a view, not a survey: the GeoJSON files
//! carry the exact outlines. The search index (grid id, code, community, building and compound names) and each
//! grid's figures, Chinese-ready, ride along.

use super::Report;
use crate::partition::Member;
use geo::{BoundingRect, LineString, MultiPolygon, Simplify};
use serde_json::{Value, json};

/// Half a metre: below what a screen shows at the map's closest zoom, and it drops most wall vertices.
const SIMPLIFY_M: f64 = 0.5;

/// Whole metres relative to the map's origin.
struct Quantizer {
    x0: f64,
    y0: f64,
}

impl Quantizer {
    /// A ring or line as `[x0, y0, dx1, dy1, …]`, repeated points dropped; `None` below `min_points`.
    fn line(&self, ls: &LineString, min_points: usize) -> Option<Value> {
        let mut flat: Vec<i64> = Vec::with_capacity(2 * ls.0.len());
        let (mut px, mut py, mut n) = (0i64, 0i64, 0usize);
        for c in &ls.0 {
            let (x, y) = ((c.x - self.x0).round() as i64, (c.y - self.y0).round() as i64);
            if n > 0 && x == px && y == py {
                continue;
            }
            if n == 0 {
                flat.extend([x, y]);
            } else {
                flat.extend([x - px, y - py]);
            }
            (px, py, n) = (x, y, n + 1);
        }
        (n >= min_points).then(|| json!(flat))
    }

    /// Polygons → rings, each flat; empty when nothing survives.
    fn polygons(&self, mp: &MultiPolygon) -> Value {
        let simple = mp.simplify(SIMPLIFY_M);
        let rings: Vec<Value> = simple
            .0
            .iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .filter_map(|ring| self.line(ring, 4))
            .collect();
        json!(rings)
    }

    fn point(&self, p: geo::Point) -> Value {
        json!([(p.x() - self.x0).round() as i64, (p.y() - self.y0).round() as i64])
    }
}

fn label_point(mp: &MultiPolygon) -> Option<geo::Point> {
    // The largest part's interior point: a label on the grid, never in a hole or beside a concave edge.
    let largest = mp.0.iter().max_by(|a, b| geo::Area::unsigned_area(*a).total_cmp(&geo::Area::unsigned_area(*b)))?;
    crate::load::interior_point::polygon_interior_point(largest)
}

/// Names a planner may search a grid by: its buildings', their compounds' and its units' names, each once.
fn names(r: &Report, g: usize) -> String {
    let d = r.dataset;
    let row = &r.rows[g];
    let mut out: Vec<&str> = row.units.iter().filter_map(|u| u.1.as_deref()).collect();
    for &s in &row.sites {
        if let Member::Building(b) = r.partition.sites[s].member {
            let b = &d.buildings[b];
            out.extend(b.name.as_deref());
            out.extend(b.compound.and_then(|c| d.compounds[c].name.as_deref()));
        }
    }
    out.sort_unstable();
    out.dedup();
    out.join(";")
}

/// The map's data as one JSON value.
pub fn map_data(r: &Report) -> Value {
    let d = r.dataset;
    let bounds = crate::model::bbox_of(r.rows.iter().map(|row| row.polygon.bounding_rect()));
    let b = bounds.unwrap_or_else(|| geo::Rect::new((0.0, 0.0), (1.0, 1.0)));
    let q = Quantizer { x0: b.min().x.floor(), y0: b.min().y.floor() };
    // Roads and barriers are kept only near the grids (a margin of 300 m), so a city-wide network does not
    // outweigh the plan.
    let margin = 300.0;
    let near = |ls: &LineString| {
        ls.bounding_rect().is_some_and(|r| {
            r.max().x >= b.min().x - margin
                && r.min().x <= b.max().x + margin
                && r.max().y >= b.min().y - margin
                && r.min().y <= b.max().y + margin
        })
    };

    let kinds: Vec<&crate::coverage::KindCoverage> =
        r.coverage.kinds.iter().filter(|k| !k.facilities.is_empty()).collect();
    let kind_index: Vec<usize> = kinds
        .iter()
        .map(|k| r.coverage_by_grid.iter().position(|(name, _)| *name == k.kind.name).unwrap_or(usize::MAX))
        .collect();
    let grids: Vec<Value> = r
        .rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let load = &r.workload.grids[i];
            let cov: Vec<Value> = kind_index
                .iter()
                .map(|&k| r.coverage_by_grid.get(k).map_or(Value::Null, |(_, s)| json!((s[i] * 1000.0).round() as i64)))
                .collect();
            json!({
                "id": row.grid_id,
                "code": row.code,
                "d": row.dedicated.as_deref().map(super::labels::unit_kind_zh),
                "street": row.street_name,
                "community": row.community,
                "hh": row.households,
                "persons": row.persons,
                "elderly": row.elderly,
                "bld": row.buildings,
                "area": row.area_m2().round(),
                "workers": load.workers,
                "hpw": (load.households_per_worker * 10.0).round() / 10.0,
                "status": load.status.as_str(),
                "micro": row.micro_grids,
                "note": row.out_of_band.as_deref().map(super::labels::chinese),
                "cov": cov,
                "names": names(r, i),
                "lp": label_point(&row.polygon).map(|p| q.point(p)),
                "g": q.polygons(&row.polygon),
            })
        })
        .collect();
    let micro: Vec<Value> = r
        .grids
        .micro
        .iter()
        .map(|m| {
            json!({
                "id": m.micro_id,
                "grid": m.grid_row,
                "hh": m.households,
                "note": m.out_of_band,
                "g": q.polygons(&m.polygon),
            })
        })
        .collect();
    let lines = |items: &mut dyn Iterator<Item = (&str, &LineString)>| -> (Vec<String>, Vec<Value>) {
        let mut classes: Vec<String> = Vec::new();
        let mut out = Vec::new();
        for (class, ls) in items {
            if !near(ls) {
                continue;
            }
            let c = classes.iter().position(|x| x == class).unwrap_or_else(|| {
                classes.push(class.to_string());
                classes.len() - 1
            });
            if let Some(g) = q.line(&ls.simplify(SIMPLIFY_M * 2.0), 2) {
                out.push(json!([c, g]));
            }
        }
        (classes, out)
    };
    let (road_classes, roads) = lines(&mut d.walk_network.iter().map(|w| (w.class.as_str(), &w.line)));
    // Only the classes no grid may cross are drawn as barriers; the others are roads like any other.
    let hard = &r.plan.config.barriers.classes;
    let (barrier_classes, barriers) =
        lines(&mut d.barriers.iter().filter(|w| hard.contains(&w.class)).map(|w| (w.class.as_str(), &w.line)));

    let mut streets: Vec<usize> = r.rows.iter().map(|row| row.street).collect();
    streets.sort_unstable();
    streets.dedup();
    let street_labels: Vec<Value> = streets
        .iter()
        .filter_map(|&s| {
            let a = &d.admin_areas[s];
            Some(json!({"name": a.name, "lp": q.point(label_point(&a.polygon)?)}))
        })
        .collect();
    let community_labels = community_labels(r, &q);
    let kinds_json: Vec<Value> = kinds
        .iter()
        .map(|k| json!([k.kind.name, crate::osm_tags::kind_label_zh(&k.kind.name), k.kind.threshold_m]))
        .collect();
    let band = &r.plan.config.bands;
    let limits = &r.plan.config.workload;
    json!({
        "band": [band.basic.min(), band.basic.max()],
        "micro_band": [band.micro.min(), band.micro.max()],
        "status_limits": [limits.green_max_households_per_worker, limits.yellow_max_households_per_worker],
        "kinds": kinds_json,
        "grids": grids,
        "micro": micro,
        "road_classes": road_classes,
        "roads": roads,
        "barrier_classes": barrier_classes,
        "barriers": barriers,
        "streets": street_labels,
        "communities": community_labels,
    })
}

/// One label per community: the grid label nearest the households-weighted centre of its grids.
fn community_labels(r: &Report, q: &Quantizer) -> Vec<Value> {
    let mut by: std::collections::BTreeMap<&str, Vec<(geo::Point, f64)>> = std::collections::BTreeMap::new();
    for row in r.rows.iter().filter(|row| row.dedicated.is_none()) {
        if let (Some(c), Some(p)) = (row.community.as_deref(), label_point(&row.polygon)) {
            by.entry(c).or_default().push((p, row.households as f64));
        }
    }
    by.into_iter()
        .filter_map(|(name, pts)| {
            let w: f64 = pts.iter().map(|p| p.1).sum::<f64>().max(1.0);
            let (cx, cy) = pts.iter().fold((0.0, 0.0), |(x, y), (p, h)| (x + p.x() * h / w, y + p.y() * h / w));
            let best = pts.iter().min_by(|a, b| {
                let da = (a.0.x() - cx).powi(2) + (a.0.y() - cy).powi(2);
                let db = (b.0.x() - cx).powi(2) + (b.0.y() - cy).powi(2);
                da.total_cmp(&db)
            })?;
            Some(json!({"name": name, "lp": q.point(best.0)}))
        })
        .collect()
}
