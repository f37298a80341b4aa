//! The sites a partition places: buildings with households and household points outside any building.

use super::{Member, Site, Unassigned};
use crate::model::{AdminLevel, Dataset};

/// Every site that holds households, inside a street or not: buildings with households, then household points
/// outside any building, in layer order.
pub fn all_sites(d: &Dataset) -> Vec<Site> {
    let mut sites: Vec<Site> = d
        .buildings
        .iter()
        .enumerate()
        .filter(|(_, b)| b.households > 0)
        .map(|(i, b)| Site {
            member: Member::Building(i),
            point: b.point,
            households: b.households,
            compound: b.compound,
            stack: b.stack,
            street: b.street,
            community: b.community,
        })
        .collect();
    let streets: Vec<usize> = d.admin_areas_at(AdminLevel::Street).map(|(i, _)| i).collect();
    let communities: Vec<usize> = d.admin_areas_at(AdminLevel::Community).map(|(i, _)| i).collect();
    let street_index = crate::index::PolygonIndex::new(streets.iter().map(|&i| &d.admin_areas[i].polygon));
    let community_index = crate::index::PolygonIndex::new(communities.iter().map(|&i| &d.admin_areas[i].polygon));
    for (i, h) in d.households.iter().enumerate() {
        if h.building.is_some() || h.households == 0 {
            continue;
        }
        let community = community_index.innermost(h.point).map(|k| communities[k]);
        let street = street_index
            .innermost(h.point)
            .map(|k| streets[k])
            .or_else(|| community.and_then(|c| d.admin_areas[c].parent_area));
        sites.push(Site {
            member: Member::Household(i),
            point: h.point,
            households: h.households,
            compound: None,
            stack: None,
            street,
            community,
        });
    }
    sites
}

/// The sites a partition places (those inside a street), and the households it cannot place with the reason.
pub fn sites_of(d: &Dataset) -> (Vec<Site>, Vec<Unassigned>) {
    let (sites, outside): (Vec<Site>, Vec<Site>) = all_sites(d).into_iter().partition(|s| s.street.is_some());
    let reason = if d.admin_areas.iter().any(|a| a.level == crate::model::AdminLevel::Street) {
        "不在任何街道范围内 / outside every street (街道) polygon"
    } else {
        "数据中没有街道边界，无法归入街道（请提供行政区划图层，或检查 [admin] street_levels） / in no street: the data have no street (街道) polygons (give an admin_areas layer, or check [admin] street_levels)"
    };
    let unassigned = outside
        .into_iter()
        .map(|s| Unassigned { member: s.member, households: s.households, reason: reason.into() })
        .collect();
    (sites, unassigned)
}
