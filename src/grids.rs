//! The finished grids of a partition as planners see them: one row per basic or dedicated grid with its id and
//! CJ/T 349-style code, street and community, households, persons, elderly, buildings, the sites it holds and
//! its outline (Voronoi cells of the sites clipped to the street or community, dissolved per grid, dedicated
//! grids cut out). Outputs, workload and reports all read this table.

use crate::model::Dataset;
use crate::partition::{Member, Partition};
use geo::{
    Area, BooleanOps, BoundingRect, Contains, MultiPoint, MultiPolygon, Point, Voronoi, VoronoiClip, VoronoiParams,
};
use serde_json::{Map, Value, json};

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
        if self.dedicated.is_some() {
            props.insert("units".into(), json!(self.units.iter().map(|u| u.0.as_str()).collect::<Vec<_>>()));
            props.insert("names".into(), json!(self.units.iter().filter_map(|u| u.1.as_deref()).collect::<Vec<_>>()));
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

/// The grids of a partition: basic grids in partition order, then dedicated grids.
pub fn grid_rows(d: &Dataset, p: &Partition) -> Vec<GridRow> {
    let polygons = grid_polygons(d, p);
    let codes = grid_codes(p);
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
            }
        })
        .collect();
    let labels = dedicated_labels(d, p, &polygons);
    let dedicated_polygons = divided_dedicated(p);
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
        });
    }
    rows
}

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

/// The outlines of dedicated grids; a unit split into several grids has its outline divided among them by
/// the Voronoi cells of their buildings, so the parts tile the unit.
fn divided_dedicated(p: &Partition) -> Vec<MultiPolygon> {
    let mut out: Vec<MultiPolygon> = p.dedicated.iter().map(|g| g.polygon.clone()).collect();
    let mut start = 0;
    while start < p.dedicated.len() {
        let Some((_, n)) = p.dedicated[start].part else {
            start += 1;
            continue;
        };
        let siblings = start..(start + n).min(p.dedicated.len());
        let whole = &p.dedicated[start].polygon;
        let mut positions: Vec<(f64, f64, usize)> = siblings
            .clone()
            .flat_map(|g| p.dedicated[g].sites.iter().map(move |&s| (p.sites[s].point.x(), p.sites[s].point.y(), g)))
            .collect();
        positions.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)).then(a.2.cmp(&b.2)));
        positions.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
        if let Some(r) = whole.bounding_rect() {
            // Four far points make the diagram well defined for one or two buildings; their cells lie outside.
            let reach = 10.0 * (r.width() + r.height() + 1.0);
            let (cx, cy) = (r.center().x, r.center().y);
            let far = [
                (cx - reach, cy - reach),
                (cx + reach, cy - reach),
                (cx + reach, cy + reach),
                (cx - reach, cy + reach),
            ];
            let points: Vec<Point> = positions
                .iter()
                .map(|&(x, y, _)| Point::new(x, y))
                .chain(far.iter().map(|&(x, y)| Point::new(x, y)))
                .collect();
            let frame = geo::Rect::new(
                geo::Coord { x: r.min().x - 10.0, y: r.min().y - 10.0 },
                geo::Coord { x: r.max().x + 10.0, y: r.max().y + 10.0 },
            )
            .to_polygon();
            let cells = MultiPoint::from(points)
                .voronoi_cells_with_params(VoronoiParams::new().clip(VoronoiClip::Polygon(&frame)))
                .unwrap_or_default();
            let mut by_grid: std::collections::BTreeMap<usize, Vec<geo::Polygon>> = std::collections::BTreeMap::new();
            for cell in cells {
                if let Some(&(_, _, g)) = positions.iter().find(|&&(x, y, _)| cell.contains(&Point::new(x, y))) {
                    by_grid.entry(g).or_default().push(cell);
                }
            }
            for g in siblings.clone() {
                let cells = MultiPolygon::new(by_grid.remove(&g).unwrap_or_default());
                out[g] = crate::load::geometry::clean(cells.intersection(whole));
            }
        }
        start = siblings.end;
    }
    out
}
