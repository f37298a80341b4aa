//! OpenStreetMap `.osm.pbf` → gridplan's layers (WGS84), by the tag table in [`crate::osm_tags`].
//!
//! One pass over the file's blocks, decoded in parallel and taken in file order (`decode`: nodes, then ways,
//! then relations, as PBF orders them), keeps node coordinates, ways and the relations that can matter; areas
//! are then assembled from closed ways and from multipolygon and boundary relations (rings joined by shared
//! node ids). Ways clipped by the extract's box keep their in-box pieces; relations that cannot be closed are
//! listed in the report, never dropped silently.

mod classify;
mod decode;
mod loadable;
mod rings;

use classify::{classify_area, classify_lines, classify_relation, drop_building_units_inside_campuses, feature};
use rings::assemble;

use super::error::LoadError;
use crate::model::FeatureLayers;
use crate::osm_tags::{self, Tags};
use geo::{Coord, Geometry, LineString, MultiPolygon, Point, Polygon};
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;

/// Which `admin_level` values are streets and communities (China: 8 = 街道/镇, 10 = 社区/村).
#[derive(Debug, Clone, Copy)]
pub struct OsmOptions {
    /// `admin_level` of streets.
    pub street_admin_level: u8,
    /// `admin_level` of communities.
    pub community_admin_level: u8,
}

impl Default for OsmOptions {
    fn default() -> Self {
        OsmOptions { street_admin_level: 8, community_admin_level: 10 }
    }
}

/// Something the import could not use, with the reason.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    /// OSM id.
    pub id: String,
    /// What it was (`street`, `building`, `compound`, …).
    pub what: String,
    /// Name, if any.
    pub name: Option<String>,
    /// Why it was not used.
    pub reason: String,
}

/// Counts and exceptions of one import.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    /// Nodes read.
    pub nodes: usize,
    /// Ways read.
    pub ways: usize,
    /// Relations read.
    pub relations: usize,
    /// Ways referring to nodes absent from the extract (clipped at its edge).
    pub ways_with_missing_nodes: usize,
    /// Nodes whose coordinates are not a longitude and latitude (left out).
    pub nodes_out_of_range: usize,
    /// Bounding box of all nodes (min lon, min lat, max lon, max lat).
    pub bbox: Option<[f64; 4]>,
    /// Elements that matched a layer but could not be used.
    pub skipped: Vec<Skipped>,
}

/// The layers of one extract (WGS84) and what could not be used.
#[derive(Debug, Clone, Default)]
pub struct OsmExtract {
    /// Buildings, compounds, streets and communities, facilities, special units, barriers, walkable ways.
    pub layers: FeatureLayers,
    /// Counts and exceptions.
    pub report: ImportReport,
}

type TagList = Vec<(String, String)>;

struct Way {
    id: i64,
    refs: Vec<i64>,
    tags: TagList,
}

struct Relation {
    id: i64,
    tags: TagList,
    members: Vec<(i64, String)>,
}

struct TaggedNode {
    id: i64,
    lon: f64,
    lat: f64,
    tags: TagList,
}

fn tag_list<'a>(it: impl Iterator<Item = (&'a str, &'a str)>) -> TagList {
    it.map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn node_matters(tags: &TagList) -> bool {
    osm_tags::facility_kind(tags.as_slice()).is_some() || osm_tags::special_unit_kind(tags.as_slice(), false).is_some()
}

fn relation_matters(tags: &TagList) -> bool {
    let t = tags.as_slice();
    matches!(t.tag("type"), Some("multipolygon" | "boundary"))
        && (t.tag("building").is_some_and(|b| b != "no")
            || t.tag("landuse") == Some("residential")
            || t.tag("boundary") == Some("administrative")
            || osm_tags::facility_kind(t).is_some()
            || osm_tags::special_unit_kind(t, true).is_some())
}

/// Reads an `.osm.pbf` into layers.
pub fn read_pbf(path: &Path, options: &OsmOptions) -> Result<OsmExtract, LoadError> {
    let pbf_err = |e: osmpbf::Error| LoadError::Pbf { path: path.to_path_buf(), message: e.to_string() };
    let io_or_pbf = |e: osmpbf::Error| match e.kind() {
        osmpbf::ErrorKind::Io(_) => {
            LoadError::Io { path: path.to_path_buf(), cause: std::io::Error::other(e.to_string()) }
        }
        _ => pbf_err(e),
    };
    // osmpbf and protobuf panic on some corrupt bytes (an out-of-range enum, say): the panic becomes a located
    // error here rather than crashing the command.
    let blocks = super::error::guarded(
        || decode::blocks(path).map_err(io_or_pbf),
        |why| LoadError::Pbf { path: path.to_path_buf(), message: format!("a data block is corrupt ({why})") },
    )?;
    let mut coords: HashMap<i64, (f64, f64)> = HashMap::with_capacity(blocks.iter().map(|b| b.coords.len()).sum());
    let mut nodes: Vec<TaggedNode> = Vec::new();
    let mut ways: Vec<Way> = Vec::new();
    let mut relations: Vec<Relation> = Vec::new();
    let mut report = ImportReport::default();
    let mut bbox = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
    let mut out_of_range = 0usize;
    for block in blocks {
        for (id, lon, lat) in block.coords {
            coords.insert(id, (lon, lat));
            bbox = [bbox[0].min(lon), bbox[1].min(lat), bbox[2].max(lon), bbox[3].max(lat)];
        }
        out_of_range += block.out_of_range;
        report.relations += block.relations_seen;
        nodes.extend(block.tagged);
        ways.extend(block.ways);
        relations.extend(block.relations);
    }
    report.nodes_out_of_range = out_of_range;
    report.nodes = coords.len();
    report.ways = ways.len();
    report.bbox = bbox[0].is_finite().then_some(bbox);
    if report.nodes == 0 && report.ways == 0 {
        return Err(LoadError::Pbf { path: path.to_path_buf(), message: "the file holds no OSM data".into() });
    }

    let mut out = OsmExtract::default();
    let way_index: HashMap<i64, usize> = ways.iter().enumerate().map(|(i, w)| (w.id, i)).collect();
    for way in &ways {
        let present: Vec<Option<(f64, f64)>> = way.refs.iter().map(|r| coords.get(r).copied()).collect();
        let complete = present.iter().all(Option::is_some);
        if !complete {
            report.ways_with_missing_nodes += 1;
        }
        if way.tags.is_empty() {
            continue;
        }
        let tags = way.tags.as_slice();
        let id = format!("w{}", way.id);
        let closed = way.refs.len() >= 4 && way.refs.first() == way.refs.last();
        let area_candidate = closed && tags.tag("area") != Some("no");
        let polygon = (area_candidate && complete).then(|| {
            let ring: Vec<Coord> = present.iter().flatten().map(|&(x, y)| Coord { x, y }).collect();
            MultiPolygon::new(vec![Polygon::new(LineString::new(ring), vec![])])
        });
        classify_area(&mut out, &mut report, &id, tags, polygon.as_ref(), area_candidate && !complete, closed);
        classify_lines(&mut out, &id, tags, &way.refs, &present);
    }
    for rel in &relations {
        let id = format!("r{}", rel.id);
        let tags = rel.tags.as_slice();
        match assemble(rel, &ways, &way_index, &coords) {
            Ok(mp) => classify_relation(&mut out, &mut report, &id, tags, &mp, options),
            Err(reason) => {
                if let Some(what) = relation_role(tags, options) {
                    report.skipped.push(Skipped {
                        id,
                        what: what.into(),
                        name: tags.name().map(str::to_string),
                        reason,
                    });
                }
            }
        }
    }
    for node in &nodes {
        let id = format!("n{}", node.id);
        let tags = node.tags.as_slice();
        let point = Geometry::Point(Point::new(node.lon, node.lat));
        if let Some(kind) = osm_tags::facility_kind(tags) {
            out.layers.facilities.push(feature(&id, point.clone(), kind, tags));
        }
        if let Some(kind) = osm_tags::special_unit_kind(tags, false) {
            out.layers.special_units.push(feature(&id, point, kind, tags));
        }
    }
    drop_building_units_inside_campuses(&mut out.layers.special_units);
    out.report = report;
    loadable::drop_unloadable_polygons(&mut out);
    Ok(out)
}

fn relation_role(tags: &[(String, String)], options: &OsmOptions) -> Option<&'static str> {
    if tags.tag("boundary") == Some("administrative") {
        let level = tags.tag("admin_level").and_then(|l| l.parse::<u8>().ok());
        return match level {
            Some(l) if l == options.street_admin_level => Some("street"),
            Some(l) if l == options.community_admin_level => Some("community"),
            _ => None,
        };
    }
    if tags.tag("building").is_some_and(|b| b != "no") {
        return Some("building");
    }
    if tags.tag("landuse") == Some("residential") {
        return Some("compound");
    }
    if osm_tags::special_unit_kind(tags, true).is_some() {
        return Some("special_unit");
    }
    osm_tags::facility_kind(tags).map(|_| "facility")
}

#[cfg(test)]
mod tests {
    use super::*;
    use classify::leading_number;
    use rings::join_rings;

    #[test]
    fn rings_join_in_any_direction() {
        let rings = join_rings(vec![vec![1, 2, 3], vec![5, 4, 3], vec![5, 6, 1]]).expect("closes");
        assert_eq!(rings, vec![vec![1, 2, 3, 4, 5, 6, 1]]);
        assert!(join_rings(vec![vec![1, 2, 3], vec![3, 4]]).is_err());
    }

    #[test]
    fn numbers_from_tags() {
        assert_eq!(leading_number("7"), Some(7.0));
        assert_eq!(leading_number("7;8"), Some(7.0));
        assert_eq!(leading_number("21.5 m"), Some(21.5));
        assert_eq!(leading_number("七"), None);
        assert_eq!(leading_number("0"), None);
    }
}
