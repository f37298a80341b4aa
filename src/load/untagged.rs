//! Residential buildings that OSM does not tag as such. Most buildings in Chinese OSM extracts are
//! `building=yes`; inside a compound (`landuse=residential`, a 小区 outline) they count as residential, but
//! whole residential districts are mapped without compound outlines (Harbin's Daowai). An untagged building
//! outside every compound is taken as residential when
//!
//! 1. its footprint is between `untagged_min_m2` and `untagged_max_m2` (sheds, kiosks and garages are smaller;
//!    halls, malls and factories larger),
//! 2. it stands inside no special unit (school, hospital, factory, market, agency, …), and
//! 3. within `untagged_radius_m`, buildings tagged residential are at least as many as buildings tagged with
//!    any other use (no tagged neighbour at all counts as no evidence against).
//!
//! Held out on Harbin's tagged buildings outside compounds (the rule applied as if their tags were
//! missing), it is right 95 % of the times it says residential and finds about two thirds of the residential
//! ones; see `benches/README.md`.

use crate::config::EstimateParams;
use crate::model::{Building, SpecialUnit};
use rstar::{RTree, primitives::GeomWithData};

/// What a building's own tag says about its use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    /// Tagged residential (or untagged inside a compound).
    Residential,
    /// Tagged with another use.
    Other,
    /// Untagged outside every compound: says nothing.
    None,
}

/// The evidence of each building's tag.
pub fn evidence(buildings: &[Building], params: &EstimateParams) -> Vec<Evidence> {
    buildings
        .iter()
        .map(|b| {
            let untagged = params.residential_in_compound_kinds.contains(&b.kind);
            if params.residential_kinds.contains(&b.kind) || (untagged && b.compound.is_some()) {
                Evidence::Residential
            } else if untagged {
                Evidence::None
            } else {
                Evidence::Other
            }
        })
        .collect()
}

/// Whether each building in `candidates` is residential by the rule above, given every building's evidence.
pub fn residential_by_neighbours(
    buildings: &[Building],
    evidence: &[Evidence],
    candidates: &[usize],
    special_units: &[SpecialUnit],
    params: &EstimateParams,
) -> Vec<bool> {
    let tagged: RTree<GeomWithData<[f64; 2], usize>> = RTree::bulk_load(
        (0..buildings.len())
            .filter(|&i| evidence[i] != Evidence::None)
            .map(|i| GeomWithData::new([buildings[i].point.x(), buildings[i].point.y()], i))
            .collect(),
    );
    let special = crate::index::PolygonIndex::new(special_units.iter().filter_map(|s| s.polygon.as_ref()));
    let r2 = params.untagged_radius_m * params.untagged_radius_m;
    candidates
        .iter()
        .map(|&i| {
            let b = &buildings[i];
            if !(params.untagged_min_m2..=params.untagged_max_m2).contains(&b.footprint_m2)
                || !special.containing(b.point).is_empty()
            {
                return false;
            }
            let (mut residential, mut other) = (0usize, 0usize);
            for n in tagged.locate_within_distance([b.point.x(), b.point.y()], r2) {
                if n.data == i {
                    continue;
                }
                match evidence[n.data] {
                    Evidence::Residential => residential += 1,
                    Evidence::Other => other += 1,
                    Evidence::None => {}
                }
            }
            residential >= other
        })
        .collect()
}
