//! OpenStreetMap `.osm.pbf` → gridplan's layers (WGS84), by the tag table in [`crate::osm_tags`].
//!
//! One pass over the file (nodes, then ways, then relations, as PBF orders them) keeps node coordinates,
//! ways and the relations that can matter; areas are then assembled from closed ways and from multipolygon
//! and boundary relations (rings joined by shared node ids). Ways clipped by the extract's box keep their
//! in-box pieces; relations that cannot be closed are listed in the report, never dropped silently.

use super::error::LoadError;
use crate::model::{Feature, FeatureLayers};
use crate::osm_tags::{self, Tags};
use geo::{Contains, Coord, Geometry, LineString, MultiPolygon, Point, Polygon};
use osmpbf::{Element, ElementReader, RelMemberType};
use serde::Serialize;
use serde_json::{Map, Value, json};
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
    let reader = ElementReader::from_path(path).map_err(|e| match e.kind() {
        osmpbf::ErrorKind::Io(_) => {
            LoadError::Io { path: path.to_path_buf(), cause: std::io::Error::other(e.to_string()) }
        }
        _ => pbf_err(e),
    })?;
    let mut coords: HashMap<i64, (f64, f64)> = HashMap::new();
    let mut nodes: Vec<TaggedNode> = Vec::new();
    let mut ways: Vec<Way> = Vec::new();
    let mut relations: Vec<Relation> = Vec::new();
    let mut report = ImportReport::default();
    let mut bbox = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
    let mut on_node = |id: i64, lon: f64, lat: f64, tags: TagList| {
        coords.insert(id, (lon, lat));
        bbox = [bbox[0].min(lon), bbox[1].min(lat), bbox[2].max(lon), bbox[3].max(lat)];
        if !tags.is_empty() && node_matters(&tags) {
            nodes.push(TaggedNode { id, lon, lat, tags });
        }
    };
    reader
        .for_each(|element| match element {
            Element::Node(n) => on_node(n.id(), n.lon(), n.lat(), tag_list(n.tags())),
            Element::DenseNode(n) => on_node(n.id(), n.lon(), n.lat(), tag_list(n.tags())),
            Element::Way(w) => ways.push(Way { id: w.id(), refs: w.refs().collect(), tags: tag_list(w.tags()) }),
            Element::Relation(r) => {
                let tags = tag_list(r.tags());
                report.relations += 1;
                if relation_matters(&tags) {
                    let members = r
                        .members()
                        .filter(|m| m.member_type == RelMemberType::Way)
                        .map(|m| (m.member_id, m.role().unwrap_or("").to_string()))
                        .collect();
                    relations.push(Relation { id: r.id(), tags, members });
                }
            }
        })
        .map_err(pbf_err)?;
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

fn feature(id: &str, geometry: Geometry<f64>, kind: &str, tags: &[(String, String)]) -> Feature {
    let mut props = Map::new();
    props.insert("id".into(), json!(id));
    props.insert("kind".into(), json!(kind));
    if let Some(name) = tags.name() {
        props.insert("name".into(), json!(name));
    }
    let source = [
        "amenity",
        "shop",
        "leisure",
        "healthcare",
        "social_facility",
        "office",
        "landuse",
        "building",
        "man_made",
        "tourism",
    ]
    .iter()
    .find_map(|k| tags.tag(k).map(|v| format!("{k}={v}")));
    if let Some(s) = source {
        props.insert("osm_tag".into(), json!(s));
    }
    Feature { geometry, props }
}

/// First number in a tag value: `7`, `7;8`, `21 m`, `21.5m`.
fn leading_number(v: &str) -> Option<f64> {
    let t = v.trim();
    let end = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    t[..end].parse::<f64>().ok().filter(|x| x.is_finite() && *x > 0.0)
}

fn building_feature(id: &str, mp: &MultiPolygon, tags: &[(String, String)]) -> Feature {
    let mut props = Map::new();
    props.insert("id".into(), json!(id));
    props.insert("kind".into(), json!(tags.tag("building").unwrap_or("yes")));
    if let Some(levels) = tags.tag("building:levels").and_then(leading_number) {
        props.insert("levels".into(), json!(levels));
    }
    if let Some(h) = tags.tag("height").and_then(leading_number) {
        props.insert("height".into(), json!(h));
    }
    if let Some(name) = tags.name() {
        props.insert("name".into(), json!(name));
    }
    Feature { geometry: Geometry::MultiPolygon(mp.clone()), props }
}

fn named_area(id: &str, mp: &MultiPolygon, tags: &[(String, String)]) -> Feature {
    let mut props = Map::new();
    props.insert("id".into(), json!(id));
    if let Some(name) = tags.name() {
        props.insert("name".into(), json!(name));
    }
    Feature { geometry: Geometry::MultiPolygon(mp.clone()), props }
}

fn interior_point(mp: &MultiPolygon) -> Option<Point> {
    super::geometry::representative_point(mp)
}

fn classify_area(
    out: &mut OsmExtract,
    report: &mut ImportReport,
    id: &str,
    tags: &[(String, String)],
    polygon: Option<&MultiPolygon>,
    clipped: bool,
    closed: bool,
) {
    let is_building = tags.tag("building").is_some_and(|b| b != "no");
    let Some(mp) = polygon else {
        let what = if is_building {
            Some("building")
        } else if tags.tag("landuse") == Some("residential") {
            Some("compound")
        } else {
            None
        };
        if let Some(what) = what {
            let reason = if clipped {
                "clipped by the extract: some nodes are missing"
            } else if !closed {
                "not a closed way"
            } else {
                "tagged area=no"
            };
            report.skipped.push(Skipped {
                id: id.into(),
                what: what.into(),
                name: tags.name().map(str::to_string),
                reason: reason.into(),
            });
        }
        return;
    };
    if is_building {
        out.layers.buildings.push(building_feature(id, mp, tags));
    }
    if tags.tag("landuse") == Some("residential") {
        out.layers.compounds.push(named_area(id, mp, tags));
    }
    if let Some(kind) = osm_tags::facility_kind(tags)
        && let Some(p) = interior_point(mp)
    {
        out.layers.facilities.push(feature(id, Geometry::Point(p), kind, tags));
    }
    if let Some(kind) = osm_tags::special_unit_kind(tags, true) {
        let mut f = feature(id, Geometry::MultiPolygon(mp.clone()), kind, tags);
        f.props.insert(
            "from_building".into(),
            json!(osm_tags::special_unit_kind(tags_without_building(tags).as_slice(), true).is_none()),
        );
        out.layers.special_units.push(f);
    }
}

fn tags_without_building(tags: &[(String, String)]) -> TagList {
    tags.iter().filter(|(k, _)| k != "building").cloned().collect()
}

fn classify_relation(
    out: &mut OsmExtract,
    report: &mut ImportReport,
    id: &str,
    tags: &[(String, String)],
    mp: &MultiPolygon,
    options: &OsmOptions,
) {
    if tags.tag("boundary") == Some("administrative") {
        if let Some(level) = relation_role(tags, options) {
            let mut f = named_area(id, mp, tags);
            f.props.insert("level".into(), json!(level));
            if let Some(l) = tags.tag("admin_level") {
                f.props.insert("admin_level".into(), json!(l));
            }
            if let Some(code) = tags.tag("china_admin_code").or_else(|| tags.tag("ref:gb")).or_else(|| tags.tag("ref"))
            {
                f.props.insert("code".into(), json!(code));
            }
            out.layers.admin_areas.push(f);
        }
        return;
    }
    classify_area(out, report, id, tags, Some(mp), false, true);
}

fn classify_lines(
    out: &mut OsmExtract,
    id: &str,
    tags: &[(String, String)],
    refs: &[i64],
    present: &[Option<(f64, f64)>],
) {
    let walkable = osm_tags::is_walkable(tags);
    let barrier = osm_tags::barrier_class(tags);
    if !walkable && barrier.is_none() {
        return;
    }
    // Split at missing nodes: each run of ≥ 2 present nodes is one piece.
    let mut pieces: Vec<(Vec<Coord>, Vec<i64>)> = Vec::new();
    let mut cur: (Vec<Coord>, Vec<i64>) = (Vec::new(), Vec::new());
    for (r, p) in refs.iter().zip(present) {
        match p {
            Some((x, y)) => {
                cur.0.push(Coord { x: *x, y: *y });
                cur.1.push(*r);
            }
            None => {
                if cur.0.len() >= 2 {
                    pieces.push(std::mem::take(&mut cur));
                } else {
                    cur = (Vec::new(), Vec::new());
                }
            }
        }
    }
    if cur.0.len() >= 2 {
        pieces.push(cur);
    }
    let single = pieces.len() == 1;
    for (i, (line, node_ids)) in pieces.into_iter().enumerate() {
        let piece_id = if single { id.to_string() } else { format!("{id}:{}", i + 1) };
        let ls = LineString::new(line);
        if walkable {
            let mut props = Map::new();
            props.insert("id".into(), json!(piece_id));
            props.insert("class".into(), json!(tags.tag("highway").unwrap_or("path")));
            if let Some(name) = tags.name() {
                props.insert("name".into(), json!(name));
            }
            let length: f64 =
                ls.lines().map(|l| crate::crs::haversine_m((l.start.x, l.start.y), (l.end.x, l.end.y))).sum();
            props.insert("length_m".into(), json!((length * 10.0).round() / 10.0));
            props.insert("node_ids".into(), json!(node_ids));
            out.layers.walk_network.push(Feature { geometry: Geometry::LineString(ls.clone()), props });
        }
        if let Some(class) = barrier {
            let mut props = Map::new();
            props.insert("id".into(), json!(piece_id));
            props.insert("class".into(), json!(class));
            if let Some(name) = tags.name() {
                props.insert("name".into(), json!(name));
            }
            out.layers.barriers.push(Feature { geometry: Geometry::LineString(ls), props });
        }
    }
}

/// Joins member ways into closed rings by shared node ids; outer rings become polygons and each inner
/// ring becomes a hole of the outer ring that contains it.
fn assemble(
    rel: &Relation,
    ways: &[Way],
    way_index: &HashMap<i64, usize>,
    coords: &HashMap<i64, (f64, f64)>,
) -> Result<MultiPolygon, String> {
    let mut outer = Vec::new();
    let mut inner = Vec::new();
    for (way_id, role) in &rel.members {
        let Some(&wi) = way_index.get(way_id) else {
            return Err(format!("member way w{way_id} is not in the extract (clipped)"));
        };
        match role.as_str() {
            "inner" => inner.push(ways[wi].refs.clone()),
            "outer" | "" => outer.push(ways[wi].refs.clone()),
            _ => {}
        }
    }
    if outer.is_empty() {
        return Err("no outer ring".into());
    }
    let to_ring = |nodes: Vec<i64>| -> Result<LineString, String> {
        nodes
            .iter()
            .map(|n| {
                coords
                    .get(n)
                    .map(|&(x, y)| Coord { x, y })
                    .ok_or_else(|| format!("node n{n} is not in the extract (clipped)"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(LineString::new)
    };
    let outers = join_rings(outer)?.into_iter().map(to_ring).collect::<Result<Vec<_>, _>>()?;
    let inners = join_rings(inner)?.into_iter().map(to_ring).collect::<Result<Vec<_>, _>>()?;
    let mut polygons: Vec<Polygon> = outers.into_iter().map(|r| Polygon::new(r, vec![])).collect();
    for hole in inners {
        let Some(first) = hole.0.first().copied() else {
            continue;
        };
        if let Some(p) = polygons.iter_mut().find(|p| p.contains(&Point::from(first))) {
            p.interiors_push(hole);
        }
    }
    Ok(MultiPolygon::new(polygons))
}

fn join_rings(mut segments: Vec<Vec<i64>>) -> Result<Vec<Vec<i64>>, String> {
    segments.retain(|s| s.len() >= 2);
    let mut rings = Vec::new();
    let mut used = vec![false; segments.len()];
    for start in 0..segments.len() {
        if used[start] {
            continue;
        }
        used[start] = true;
        let mut ring = segments[start].clone();
        while ring.first() != ring.last() {
            let Some(&end) = ring.last() else { break };
            let next = (0..segments.len())
                .find(|&j| !used[j] && (segments[j].first() == Some(&end) || segments[j].last() == Some(&end)));
            let Some(j) = next else {
                return Err(format!("ring does not close: no member way continues from node n{end}"));
            };
            used[j] = true;
            let mut seg = segments[j].clone();
            if seg.first() != Some(&end) {
                seg.reverse();
            }
            ring.extend_from_slice(&seg[1..]);
        }
        if ring.len() < 4 {
            return Err("ring with fewer than 3 distinct nodes".into());
        }
        rings.push(ring);
    }
    Ok(rings)
}

/// A building tagged `building=school` inside a school campus area is part of that campus, not a unit of
/// its own: keep the campus, drop the building-derived unit of the same kind.
fn drop_building_units_inside_campuses(units: &mut Vec<Feature>) {
    let campuses: Vec<(String, MultiPolygon)> = units
        .iter()
        .filter(|u| u.props.get("from_building") == Some(&json!(false)))
        .filter_map(|u| match &u.geometry {
            Geometry::MultiPolygon(mp) => Some((kind_of(u), mp.clone())),
            _ => None,
        })
        .collect();
    units.retain(|u| {
        if u.props.get("from_building") != Some(&json!(true)) {
            return true;
        }
        let Geometry::MultiPolygon(mp) = &u.geometry else {
            return true;
        };
        let Some(p) = interior_point(mp) else {
            return true;
        };
        let kind = kind_of(u);
        !campuses.iter().any(|(k, c)| *k == kind && c.contains(&p))
    });
    for u in units.iter_mut() {
        u.props.remove("from_building");
    }
}

fn kind_of(f: &Feature) -> String {
    f.props.get("kind").and_then(Value::as_str).unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

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
