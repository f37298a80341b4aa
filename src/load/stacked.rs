//! Household buildings mapped over one another — an outline and its parts both tagged as buildings, or one
//! building drawn twice. Their footprints overlap, so no outline could keep both whole in different grids:
//! they form one stack, which the partition keeps in one grid and one micro-grid, and each stack is reported
//! (its households may be counted twice).

use crate::model::{Building, LayerName, Warning, WarningCode};
use crate::partition::graph::UnionFind;
use geo::{Area, BooleanOps, BoundingRect, Intersects};
use rayon::prelude::*;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, RTreeObject};

/// Overlap of two footprints that makes them one stack, m² (the tolerance the outline check allows a cut).
pub const OVERLAP_M2: f64 = 1.0;

/// Sets `Building::stack` on every household building whose footprint overlaps another's by more than
/// `OVERLAP_M2`, and warns once per stack.
pub fn stack_buildings(buildings: &mut [Building], warnings: &mut Vec<Warning>) {
    let with_footprint: Vec<usize> =
        (0..buildings.len()).filter(|&i| buildings[i].households > 0 && buildings[i].footprint.is_some()).collect();
    let boxes: Vec<GeomWithData<Rectangle<[f64; 2]>, usize>> = with_footprint
        .iter()
        .filter_map(|&i| {
            let r = buildings[i].footprint.as_ref()?.bounding_rect()?;
            Some(GeomWithData::new(Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]), i))
        })
        .collect();
    let tree = RTree::bulk_load(boxes.clone());
    let pairs: Vec<(usize, usize, f64)> = boxes
        .par_iter()
        .flat_map_iter(|e| {
            let a = e.data;
            let Some(fa) = buildings[a].footprint.as_ref() else { return Vec::new() };
            let mut found: Vec<(usize, usize, f64)> = tree
                .locate_in_envelope_intersecting(&e.geom().envelope())
                .map(|o| o.data)
                .filter(|&b| b > a)
                .filter_map(|b| {
                    let fb = buildings[b].footprint.as_ref()?;
                    if !fa.intersects(fb) {
                        return None;
                    }
                    let shared = fa.intersection(fb).unsigned_area();
                    (shared > OVERLAP_M2).then_some((a, b, shared))
                })
                .collect();
            found.sort_unstable_by_key(|p| p.1);
            found
        })
        .collect();
    if pairs.is_empty() {
        return;
    }
    let mut stacks = UnionFind::new(buildings.len());
    for &(a, b, _) in &pairs {
        stacks.union(a, b);
    }
    let mut members: std::collections::BTreeMap<usize, Vec<usize>> = std::collections::BTreeMap::new();
    for &(a, b, _) in &pairs {
        for i in [a, b] {
            let root = stacks.find(i);
            if buildings[i].stack.is_none() {
                buildings[i].stack = Some(root);
                members.entry(root).or_default().push(i);
            }
        }
    }
    let mut first_pair = std::collections::BTreeMap::new();
    for &(a, b, shared) in &pairs {
        first_pair.entry(stacks.find(a)).or_insert((a, b, shared));
    }
    for (root, (a, b, shared)) in first_pair {
        let mut ids = members[&root].clone();
        ids.sort_unstable();
        let households: u64 = ids.iter().map(|&i| u64::from(buildings[i].households)).sum();
        let names: Vec<&str> = ids.iter().map(|&i| buildings[i].id.as_str()).collect();
        warnings.push(Warning {
            layer: LayerName::Buildings,
            code: WarningCode::BuildingsOverlap,
            item: buildings[root].id.clone(),
            message: format!(
                "footprints overlap ({} and {} share {shared:.0} m²): {} buildings with {households} households in all \
                 ({}) are kept in one grid; if one building is mapped twice, its households are counted twice",
                buildings[a].id,
                buildings[b].id,
                ids.len(),
                names.join(", ")
            ),
        });
    }
}
