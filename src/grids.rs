//! The finished grids of a partition as planners see them: one row per basic or dedicated grid with its id and
//! CJ/T 349-style code, street and community, households, persons, elderly, buildings, the sites it holds and
//! its outline (along roads, rivers and walls: [`crate::outline`]), and one row per micro-grid (微网格) with a
//! code that extends its grid's. Outputs, workload and reports all read these tables.

use crate::config::PlanConfig;
use crate::model::Dataset;
use crate::outline::block::BlockStats;
use crate::outline::check::OutlineCheck;
use crate::partition::micro::MicroGrid;
use crate::partition::replan::change::{Change, Move};
use crate::partition::{Member, Partition};
use geo::{Area, Contains, MultiPolygon};
use rayon::prelude::*;
use serde_json::{Map, Value, json};

/// The grids and micro-grids of a partition, drawn and checked.
#[derive(Debug)]
pub struct Grids {
    /// Basic grids in partition order, then dedicated grids.
    pub rows: Vec<GridRow>,
    /// Micro-grids, grid by grid.
    pub micro: Vec<MicroRow>,
    /// Figures of the drawing (blocks, divided blocks, sites outside blocks).
    pub drawing: BlockStats,
    /// The outline keys of `check.json`.
    pub check: OutlineCheck,
    /// In a rerun (`--previous`): how much changed, and every unit that moved.
    pub change: Option<(Change, Vec<Move>)>,
    /// In a rerun: units the previous plan does not list, and those it lists that are gone.
    pub unmatched: Vec<crate::partition::replan::change::Unmatched>,
    /// In a merge of grid layers (多网合一): purity of every grid against every layer.
    pub merge: Option<crate::partition::replan::layers::MergeReport>,
}

/// One micro-grid (微网格).
#[derive(Debug, Clone)]
pub struct MicroRow {
    /// Id: the grid's id and a two-digit sequence, e.g. `r10784826-C01-02-07`.
    pub micro_id: String,
    /// Full code without separators.
    pub code: String,
    /// Its grid (index into `Grids::rows`).
    pub grid_row: usize,
    /// Households.
    pub households: u64,
    /// Buildings.
    pub buildings: u64,
    /// Sites, ascending.
    pub sites: Vec<usize>,
    /// Stairwell `i` of `n` of one building.
    pub stairwell: Option<(usize, usize)>,
    /// Why it is outside the micro band.
    pub out_of_band: Option<String>,
    /// Outline, local metres.
    pub polygon: MultiPolygon,
    /// Outline as written, in the output CRS on the written lattice.
    pub written: MultiPolygon,
}

impl MicroRow {
    /// Its properties in `micro_grids.geojson`.
    pub fn properties(&self, rows: &[GridRow]) -> Map<String, Value> {
        let grid = &rows[self.grid_row];
        let mut props = Map::new();
        props.insert("micro_id".into(), json!(self.micro_id));
        props.insert("code".into(), json!(self.code));
        props.insert("grid_id".into(), json!(grid.grid_id));
        props.insert("street".into(), json!(grid.street_name));
        props.insert("community".into(), json!(grid.community));
        props.insert("households".into(), json!(self.households));
        props.insert("buildings".into(), json!(self.buildings));
        props.insert("area_m2".into(), json!(self.polygon.unsigned_area().round()));
        if let Some((i, n)) = self.stairwell {
            props.insert("stairwell".into(), json!(format!("{i}/{n}")));
        }
        if let Some(reason) = &self.out_of_band {
            props.insert("out_of_band".into(), json!(reason));
        }
        props
    }
}

/// One grid.
#[derive(Debug, Clone)]
pub struct GridRow {
    /// Grid id, e.g. `r10784826-C01-02` (basic) or `230102001-D01` (dedicated).
    pub grid_id: String,
    /// Full code without separators.
    pub code: String,
    /// `Some(kind)` for a dedicated grid (专属网格), `None` for a basic one.
    pub dedicated: Option<String>,
    /// Street index.
    pub street: usize,
    /// Community id and name (a dedicated grid takes the community of the basic grid containing it).
    pub community_id: Option<String>,
    /// Community name.
    pub community: Option<String>,
    /// Households.
    pub households: u64,
    /// Persons.
    pub persons: u64,
    /// Elderly residents, where the data give them.
    pub elderly: Option<u64>,
    /// Buildings (household points do not count).
    pub buildings: u64,
    /// Sites (indices into `Partition::sites`), ascending.
    pub sites: Vec<usize>,
    /// Outline, local metres.
    pub polygon: MultiPolygon,
    /// Why the grid is outside its band (basic grids with a certificate).
    pub out_of_band: Option<String>,
    /// Its certificate (index into `Partition::certificates`) and how the certificate's claim is known.
    pub certificate: Option<(usize, &'static str)>,
    /// Special units of a dedicated grid: (id, name).
    pub units: Vec<(String, Option<String>)>,
    /// Street name.
    pub street_name: String,
    /// Micro-grids in it (one 楼栋长/微网格员 each).
    pub micro_grids: usize,
    /// Of those, the ones outside the micro band.
    pub micro_out_of_band: usize,
    /// Outline as written, in the output CRS on the written lattice (`render::written_outline`).
    pub written: MultiPolygon,
}

impl GridRow {
    /// Area of the outline, m².
    pub fn area_m2(&self) -> f64 {
        self.polygon.unsigned_area()
    }

    /// `basic` or `dedicated`.
    pub fn kind(&self) -> &'static str {
        if self.dedicated.is_some() { "dedicated" } else { "basic" }
    }

    /// Its properties in `grids.geojson`.
    pub fn properties(&self) -> Map<String, Value> {
        let mut props = Map::new();
        props.insert("grid_id".into(), json!(self.grid_id));
        props.insert("code".into(), json!(self.code));
        props.insert("kind".into(), json!(self.kind()));
        props.insert("unit_kind".into(), json!(self.dedicated.as_deref().unwrap_or("residential")));
        props.insert("street".into(), json!(self.street_name));
        props.insert("community".into(), json!(self.community));
        props.insert("households".into(), json!(self.households));
        props.insert("persons".into(), json!(self.persons));
        props.insert("buildings".into(), json!(self.buildings));
        props.insert("area_m2".into(), json!(self.area_m2().round()));
        if let Some(reason) = &self.out_of_band {
            props.insert("out_of_band".into(), json!(reason));
        }
        if let Some((c, proof)) = self.certificate {
            props.insert("certificate".into(), json!(c));
            props.insert("proof".into(), json!(proof));
        }
        props.insert("micro_grids".into(), json!(self.micro_grids));
        if self.dedicated.is_some() {
            // Text, not lists: a Shapefile or GeoPackage has no list fields, and GDAL would drop them.
            props.insert("units".into(), json!(self.units.iter().map(|u| u.0.as_str()).collect::<Vec<_>>().join(";")));
            props.insert(
                "names".into(),
                json!(self.units.iter().filter_map(|u| u.1.as_deref()).collect::<Vec<_>>().join(";")),
            );
        }
        props
    }
}

fn counts(d: &Dataset, p: &Partition, sites: &[usize]) -> (u64, Option<u64>, u64) {
    let persons = sites.iter().map(|&s| p.sites[s].member.persons(d)).sum();
    let elderly: Option<u64> = sites
        .iter()
        .map(|&s| match p.sites[s].member {
            Member::Building(i) => d.buildings[i].elderly.map(u64::from),
            Member::Household(i) => d.households[i].elderly.map(u64::from),
        })
        .try_fold(0u64, |acc, e| e.map(|e| acc + e));
    let buildings = sites.iter().filter(|&&s| matches!(p.sites[s].member, Member::Building(_))).count() as u64;
    (persons, elderly, buildings)
}

/// The grids and micro-grids of a partition, drawn and checked.
pub fn grids(d: &Dataset, p: &Partition, config: &PlanConfig) -> Grids {
    let barriers = crate::partition::graph::BarrierIndex::hard(d, &config.barriers.classes);
    let micro = crate::partition::micro::micro_grids(d, p, config.bands.micro, config.partition.max_edge_m, &barriers);
    let outlines = crate::outline::outlines(d, p, &micro, config);
    let mut rows = grid_rows(d, p, &outlines.grids, outlines.dedicated, &micro);
    let mut micro = micro_rows(p, &rows, micro, outlines.micro);
    let crs = config.plan.output_crs;
    rows.par_iter_mut().for_each(|r| r.written = crate::render::written_outline(&r.polygon, &d.projection, crs));
    micro.par_iter_mut().for_each(|m| m.written = crate::render::written_outline(&m.polygon, &d.projection, crs));
    let check = crate::outline::check::check_outlines(d, p, &rows, &micro, config);
    let ids: Vec<(&str, &[usize])> = rows.iter().map(|r| (r.grid_id.as_str(), r.sites.as_slice())).collect();
    let change = crate::partition::replan::change::change(d, p, &ids);
    let merge = crate::partition::replan::layers::merge_report(p, &ids);
    let unmatched = crate::partition::replan::change::unmatched(d, p, &ids);
    Grids { rows, micro, drawing: outlines.stats, check, change, merge, unmatched }
}

fn micro_rows(p: &Partition, rows: &[GridRow], micro: Vec<MicroGrid>, polygons: Vec<MultiPolygon>) -> Vec<MicroRow> {
    micro
        .into_iter()
        .zip(polygons)
        .map(|(m, polygon)| {
            let grid = &rows[m.grid];
            let buildings = m.sites.iter().filter(|&&s| matches!(p.sites[s].member, Member::Building(_))).count();
            MicroRow {
                micro_id: format!("{}-{:02}", grid.grid_id, m.seq),
                code: format!("{}{:02}", grid.code, m.seq),
                grid_row: m.grid,
                households: m.households,
                buildings: buildings as u64,
                sites: m.sites,
                stairwell: m.stairwell,
                out_of_band: m.note,
                polygon,
                written: MultiPolygon::new(Vec::new()),
            }
        })
        .collect()
}

/// The grid rows: basic grids in partition order, then dedicated grids.
fn grid_rows(
    d: &Dataset,
    p: &Partition,
    polygons: &[MultiPolygon],
    dedicated_polygons: Vec<MultiPolygon>,
    micro: &[MicroGrid],
) -> Vec<GridRow> {
    let codes = grid_codes(p);
    let (mut micro_count, mut micro_out) = (vec![0; p.grids.len()], vec![0; p.grids.len()]);
    for m in micro {
        micro_count[m.grid] += 1;
        micro_out[m.grid] += usize::from(m.note.is_some());
    }
    let mut rows: Vec<GridRow> = p
        .grids
        .iter()
        .enumerate()
        .map(|(g, grid)| {
            let community = &p.communities[grid.community];
            let (persons, elderly, buildings) = counts(d, p, &grid.sites);
            GridRow {
                grid_id: codes[g].0.clone(),
                code: codes[g].1.clone(),
                dedicated: None,
                street: community.street,
                community_id: Some(community.id.clone()),
                community: Some(community.name.clone()),
                households: grid.households,
                persons,
                elderly,
                buildings,
                sites: grid.sites.clone(),
                polygon: polygons[g].clone(),
                out_of_band: grid.certificate.map(|c| p.certificates[c].reason.clone()),
                certificate: grid.certificate.map(|c| (c, p.certificates[c].proof.kind())),
                units: Vec::new(),
                street_name: d.admin_areas[community.street].name.clone(),
                micro_grids: micro_count[g],
                micro_out_of_band: micro_out[g],
                written: MultiPolygon::new(Vec::new()),
            }
        })
        .collect();
    let labels = dedicated_labels(d, p, polygons);
    for ((g, label), polygon) in p.dedicated.iter().zip(labels).zip(dedicated_polygons) {
        let (persons, elderly, buildings) = counts(d, p, &g.sites);
        rows.push(GridRow {
            grid_id: label.grid_id,
            code: label.code,
            dedicated: Some(g.kind.clone()),
            street: g.street,
            community_id: label.community_id.map(str::to_string),
            community: label.community.map(str::to_string),
            households: g.households,
            persons,
            elderly,
            buildings,
            sites: g.sites.clone(),
            polygon,
            out_of_band: g.note.clone(),
            certificate: None,
            units: g.units.iter().map(|&u| (d.special_units[u].id.clone(), d.special_units[u].name.clone())).collect(),
            street_name: d.admin_areas[g.street].name.clone(),
            micro_grids: 0,
            micro_out_of_band: 0,
            written: MultiPolygon::new(Vec::new()),
        });
    }
    rows
}

/// Sequence codes inside each community, numbered north → south in 500 m rows, west → east within a row
/// (CJ/T 349 / DB11 style); the full code prefixes the community's code. In a rerun a kept grid keeps its id
/// and code, and new grids take the next numbers no grid ever had (`Replanned::reserved`).
fn grid_codes(p: &Partition) -> Vec<(String, String)> {
    let mut out = vec![(String::new(), String::new()); p.grids.len()];
    let mut by_community: std::collections::BTreeMap<usize, Vec<usize>> = std::collections::BTreeMap::new();
    for (g, grid) in p.grids.iter().enumerate() {
        match (&p.replan, grid.previous) {
            (Some(r), Some(prev)) => out[g] = (r.grids[prev].id.clone(), r.grids[prev].code.clone()),
            _ => by_community.entry(grid.community).or_default().push(g),
        }
    }
    let taken: std::collections::BTreeSet<&str> =
        p.replan.iter().flat_map(|r| r.reserved.iter().map(String::as_str)).collect();
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
        let mut n = 0;
        for g in grids {
            let id = loop {
                n += 1;
                let id = format!("{}-{:02}", community.id, n);
                if !taken.contains(id.as_str()) {
                    break id;
                }
            };
            out[g] = (id, format!("{}{:02}", community.id.replace('-', ""), n));
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
    // The ids a plan from scratch gives: D01, D02, … in each street.
    let mut seq: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
    let fresh: Vec<String> = p
        .dedicated
        .iter()
        .map(|g| {
            let street = &d.admin_areas[g.street];
            let n = seq.entry(g.street).or_insert(0);
            *n += 1;
            format!("{}-D{:02}", street.code.clone().unwrap_or_else(|| street.id.clone()), n)
        })
        .collect();
    let kept = kept_dedicated(p, &fresh);
    let taken: std::collections::BTreeSet<&str> =
        p.replan.iter().flat_map(|r| r.reserved.iter().map(String::as_str)).collect();
    let mut seq_in_street: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
    p.dedicated
        .iter()
        .zip(kept)
        .map(|(g, kept)| {
            let street = &d.admin_areas[g.street];
            let key = street.code.clone().unwrap_or_else(|| street.id.clone());
            let community = crate::load::geometry::representative_point(&g.polygon).and_then(|pt| {
                p.grids
                    .iter()
                    .enumerate()
                    .find(|(i, gr)| p.communities[gr.community].street == g.street && polygons[*i].contains(&pt))
                    .map(|(_, gr)| &p.communities[gr.community])
            });
            let (grid_id, code) = match (kept, &p.replan) {
                (Some(prev), Some(r)) => (r.grids[prev].id.clone(), r.grids[prev].code.clone()),
                _ => {
                    let n = seq_in_street.entry(g.street).or_insert(0);
                    loop {
                        *n += 1;
                        let id = format!("{key}-D{n:02}");
                        if !taken.contains(id.as_str()) {
                            break (id, format!("{}D{n:02}", key.replace('-', ""), n = *n));
                        }
                    }
                }
            };
            DedicatedLabel {
                grid_id,
                code,
                community: community.map(|c| c.name.as_str()),
                community_id: community.map(|c| c.id.as_str()),
            }
        })
        .collect()
}

/// In a rerun, the previous dedicated grid each dedicated grid continues: the one most of its households were
/// in, else (no households) the previous dedicated grid of the id a plan from scratch gives it; each previous
/// grid continued once.
fn kept_dedicated(p: &Partition, fresh: &[String]) -> Vec<Option<usize>> {
    let Some(r) = &p.replan else { return vec![None; p.dedicated.len()] };
    let mut used = std::collections::BTreeSet::new();
    let mut kept: Vec<Option<usize>> = p
        .dedicated
        .iter()
        .map(|g| {
            let mut by: std::collections::BTreeMap<usize, u64> = std::collections::BTreeMap::new();
            for &s in &g.sites {
                if let Some(prev) = r.site_previous[s].filter(|&x| r.grids[x].dedicated) {
                    *by.entry(prev).or_default() += u64::from(p.sites[s].households);
                }
            }
            let best =
                by.into_iter().filter(|(x, _)| !used.contains(x)).max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)));
            best.map(|(x, _)| {
                used.insert(x);
                x
            })
        })
        .collect();
    for (k, id) in kept.iter_mut().zip(fresh) {
        if k.is_none()
            && let Some(x) = r.grids.iter().position(|g| g.dedicated && &g.id == id)
            && used.insert(x)
        {
            *k = Some(x);
        }
    }
    kept
}
