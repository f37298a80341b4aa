//! OSM elements → features of gridplan's layers, by the tag table in [`crate::osm_tags`].

use super::{ImportReport, OsmExtract, OsmOptions, Skipped, TagList, relation_role};
use crate::model::Feature;
use crate::osm_tags::{self, Tags};
use geo::{Contains, Coord, Geometry, LineString, MultiPolygon, Point};
use serde_json::{Map, Value, json};

pub(super) fn feature(id: &str, geometry: Geometry<f64>, kind: &str, tags: &[(String, String)]) -> Feature {
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
pub(super) fn leading_number(v: &str) -> Option<f64> {
    let t = v.trim();
    let end = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    t[..end].parse::<f64>().ok().filter(|x| x.is_finite() && *x > 0.0)
}

pub(super) fn building_feature(id: &str, mp: &MultiPolygon, tags: &[(String, String)]) -> Feature {
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

pub(super) fn named_area(id: &str, mp: &MultiPolygon, tags: &[(String, String)]) -> Feature {
    let mut props = Map::new();
    props.insert("id".into(), json!(id));
    if let Some(name) = tags.name() {
        props.insert("name".into(), json!(name));
    }
    Feature { geometry: Geometry::MultiPolygon(mp.clone()), props }
}

pub(super) fn interior_point(mp: &MultiPolygon) -> Option<Point> {
    crate::load::geometry::representative_point(mp)
}

pub(super) fn classify_area(
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

pub(super) fn tags_without_building(tags: &[(String, String)]) -> TagList {
    tags.iter().filter(|(k, _)| k != "building").cloned().collect()
}

pub(super) fn classify_relation(
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

pub(super) fn classify_lines(
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
        let length: f64 = ls.lines().map(|l| crate::crs::haversine_m((l.start.x, l.start.y), (l.end.x, l.end.y))).sum();
        if walkable {
            let mut props = Map::new();
            props.insert("id".into(), json!(piece_id));
            props.insert("class".into(), json!(tags.tag("highway").unwrap_or("path")));
            if let Some(name) = tags.name() {
                props.insert("name".into(), json!(name));
            }
            props.insert("length_m".into(), json!((length * 10.0).round() / 10.0));
            props.insert("node_ids".into(), json!(node_ids));
            out.layers.walk_network.push(Feature { geometry: Geometry::LineString(ls.clone()), props });
        }
        if let Some(class) = barrier.filter(|_| !osm_tags::crossed_at_grade(tags, length)) {
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

/// A building tagged `building=school` inside a school campus area is part of that campus, not a unit of
/// its own: keep the campus, drop the building-derived unit of the same kind.
pub(super) fn drop_building_units_inside_campuses(units: &mut Vec<Feature>) {
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

pub(super) fn kind_of(f: &Feature) -> String {
    f.props.get("kind").and_then(Value::as_str).unwrap_or_default().to_string()
}
