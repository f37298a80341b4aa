//! Dedicated grids (专属网格): schools, hospitals, enterprises, markets, agencies… pinned before basic grids
//! are drawn. A special unit of a listed kind stands alone when its staff (or, without staff, its area)
//! reaches the kind's size; smaller units of one kind within `group_within_m` of each other in one street
//! are grouped, and a group that together reaches the size is one dedicated grid. Households living inside
//! a dedicated grid's outline (staff dormitories on a campus) belong to it and leave the residential pool.

use super::graph::UnionFind;
use crate::config::DedicatedParams;
use crate::model::{AdminLevel, Dataset};
use geo::{Area, BooleanOps, MultiPolygon, Rect};
use serde::Serialize;
use std::collections::BTreeMap;

/// Half the side of the square that stands for a special unit given only as a point, m.
const POINT_UNIT_HALF_SIDE_M: f64 = 25.0;

/// One dedicated grid.
#[derive(Debug, Clone, Serialize)]
pub struct DedicatedGrid {
    /// Special-unit kind.
    pub kind: String,
    /// Special units in it (indices into `Dataset::special_units`).
    pub units: Vec<usize>,
    /// Street admin area.
    pub street: usize,
    /// Outline, local metres (union of its units, clipped to the street).
    #[serde(skip)]
    pub polygon: MultiPolygon,
    /// Sites of households inside it (indices into `Partition::sites`), filled by the partition.
    pub sites: Vec<usize>,
    /// Households inside it.
    pub households: u64,
    /// Part i of n when the unit's grid was split because it held more households than a basic grid.
    pub part: Option<(usize, usize)>,
    /// Why it was split, or why it holds more households than a basic grid.
    pub note: Option<String>,
}

fn outline(d: &Dataset, u: usize) -> MultiPolygon {
    let s = &d.special_units[u];
    s.polygon.clone().unwrap_or_else(|| {
        let (x, y, r) = (s.point.x(), s.point.y(), POINT_UNIT_HALF_SIDE_M);
        MultiPolygon::new(vec![Rect::new((x - r, y - r), (x + r, y + r)).to_polygon()])
    })
}

/// The dedicated grids of a dataset, by street then lowest unit index.
pub fn dedicated_grids(d: &Dataset, params: &DedicatedParams) -> Vec<DedicatedGrid> {
    let streets: Vec<usize> = d.admin_areas_at(AdminLevel::Street).map(|(i, _)| i).collect();
    let index = crate::index::PolygonIndex::new(streets.iter().map(|&i| &d.admin_areas[i].polygon));
    // (street, kind) → units
    let mut groups: BTreeMap<(usize, String), Vec<usize>> = BTreeMap::new();
    for (u, s) in d.special_units.iter().enumerate() {
        if !params.kinds.contains_key(&s.kind) {
            continue;
        }
        if let Some(k) = index.innermost(s.point) {
            groups.entry((streets[k], s.kind.clone())).or_default().push(u);
        }
    }
    let mut out = Vec::new();
    for ((street, kind), units) in groups {
        let rule = params.kinds[&kind];
        let size = |u: usize| -> (f64, f64) {
            let s = &d.special_units[u];
            match s.staff {
                Some(staff) => (f64::from(staff), f64::from(rule.min_staff)),
                None => (outline(d, u).unsigned_area(), rule.min_area_m2),
            }
        };
        let (big, small): (Vec<usize>, Vec<usize>) = units.iter().partition(|&&u| {
            let (have, need) = size(u);
            have >= need
        });
        let mut chosen: Vec<Vec<usize>> = big.into_iter().map(|u| vec![u]).collect();
        // Single-linkage groups of the small ones.
        let mut uf = UnionFind::new(small.len());
        for i in 0..small.len() {
            for j in i + 1..small.len() {
                let (a, b) = (d.special_units[small[i]].point, d.special_units[small[j]].point);
                if ((a.x() - b.x()).powi(2) + (a.y() - b.y()).powi(2)).sqrt() <= params.group_within_m {
                    uf.union(i, j);
                }
            }
        }
        let mut by_root: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (i, &u) in small.iter().enumerate() {
            by_root.entry(uf.find(i)).or_default().push(u);
        }
        for members in by_root.into_values() {
            let (have, need) = members.iter().fold((0.0, 0.0), |(h, _), &u| {
                let (x, n) = size(u);
                (h + x, n)
            });
            if have >= need && members.len() > 1 {
                chosen.push(members);
            }
        }
        chosen.sort_by_key(|m| m[0]);
        let street_polygon = &d.admin_areas[street].polygon;
        for units in chosen {
            let outlines: Vec<MultiPolygon> = units.iter().map(|&u| outline(d, u)).collect();
            let polygon = geo::unary_union(outlines.iter()).intersection(street_polygon);
            out.push(DedicatedGrid {
                kind: kind.clone(),
                units,
                street,
                polygon,
                sites: Vec::new(),
                households: 0,
                part: None,
                note: None,
            });
        }
    }
    // Units of different kinds can overlap (a clinic inside a campus): in one street, a later grid gives
    // way to the earlier ones, so dedicated grids never overlap.
    let mut taken: BTreeMap<usize, MultiPolygon> = BTreeMap::new();
    for g in &mut out {
        if let Some(t) = taken.get(&g.street) {
            g.polygon = g.polygon.difference(t);
        }
        let t = taken.entry(g.street).or_insert_with(|| MultiPolygon::new(vec![]));
        *t = t.union(&g.polygon);
    }
    for g in &mut out {
        g.polygon = crate::load::geometry::clean(std::mem::replace(&mut g.polygon, MultiPolygon::new(vec![])));
    }
    out.retain(|g| g.polygon.unsigned_area() > 0.0);
    out
}
