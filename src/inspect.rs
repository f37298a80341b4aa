//! `inspect`: what a plan's data hold, per layer (count, households, persons, bounding box, CRS) and every
//! warning, grouped by kind. Plain data, printed as text or JSON by the CLI.

use crate::model::{AdminLevel, Dataset, HouseholdSource, LayerName, LevelsSource, Warning, WarningCode};
use geo::{BoundingRect, Euclidean, Length, Rect};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One layer's summary.
#[derive(Debug, Clone, Serialize)]
pub struct LayerSummary {
    /// Layer.
    pub layer: LayerName,
    /// File.
    pub path: String,
    /// Declared CRS.
    pub crs: String,
    /// SHA-256 of the file.
    pub sha256: String,
    /// Features or rows in the file.
    pub records: usize,
    /// Items after loading (multi-part lines split into parts).
    pub count: usize,
    /// Households in the layer, where it holds them.
    pub households: Option<u64>,
    /// Persons in the layer, where it holds them.
    pub persons: Option<u64>,
    /// Bounding box, WGS84: [min lon, min lat, max lon, max lat].
    pub bbox_wgs84: Option<[f64; 4]>,
    /// Layer-specific counts (kinds, levels, lengths).
    pub details: BTreeMap<String, serde_json::Value>,
}

/// Warnings of one kind in one layer.
#[derive(Debug, Clone, Serialize)]
pub struct WarningGroup {
    /// Layer.
    pub layer: LayerName,
    /// Kind.
    pub code: WarningCode,
    /// How many.
    pub count: usize,
    /// Every warning of the group.
    pub warnings: Vec<Warning>,
}

/// What `inspect` reports.
#[derive(Debug, Clone, Serialize)]
pub struct InspectReport {
    /// Plan name.
    pub plan: String,
    /// Origin of the local projection, WGS84 [lon, lat].
    pub projection_origin: [f64; 2],
    /// Per layer.
    pub layers: Vec<LayerSummary>,
    /// Households over all buildings and loose household points.
    pub total_households: u64,
    /// Persons likewise.
    pub total_persons: u64,
    /// Warnings grouped by layer and kind.
    pub warnings: Vec<WarningGroup>,
}

fn round(x: f64, d: i32) -> f64 {
    let f = 10f64.powi(d);
    (x * f).round() / f
}

fn to_json_counts<K: ToString>(m: BTreeMap<K, usize>) -> serde_json::Value {
    serde_json::Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v.into())).collect())
}

fn merge(a: Option<Rect>, b: Option<Rect>) -> Option<Rect> {
    match (a, b) {
        (Some(a), Some(b)) => Some(Rect::new(
            geo::Coord { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
            geo::Coord { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
        )),
        (a, b) => a.or(b),
    }
}

/// Summarises a loaded dataset.
pub fn inspect(name: &str, d: &Dataset) -> InspectReport {
    let proj = &d.projection;
    let to_wgs = |r: Option<Rect>| {
        r.map(|r| {
            let corners =
                [(r.min().x, r.min().y), (r.min().x, r.max().y), (r.max().x, r.min().y), (r.max().x, r.max().y)]
                    .map(|(x, y)| proj.inverse(x, y));
            let (mut a, mut b, mut c, mut e) = (f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY);
            for (lon, lat) in corners {
                a = a.min(lon);
                b = b.min(lat);
                c = c.max(lon);
                e = e.max(lat);
            }
            [round(a, 6), round(b, 6), round(c, 6), round(e, 6)]
        })
    };
    let mut layers = Vec::new();
    for info in &d.layers {
        let mut details = BTreeMap::new();
        let (count, households, persons, bbox) = match info.name {
            LayerName::Buildings => {
                let b = &d.buildings;
                let res = b.iter().filter(|x| x.residential).count();
                let mut sources: BTreeMap<&str, usize> = BTreeMap::new();
                let mut levels: BTreeMap<&str, usize> = BTreeMap::new();
                let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
                for x in b {
                    *sources
                        .entry(match x.households_source {
                            HouseholdSource::Registered => "registered",
                            HouseholdSource::HouseholdsLayer => "from_households_layer",
                            HouseholdSource::Estimated => "estimated",
                            HouseholdSource::NonResidential => "non_residential",
                        })
                        .or_default() += 1;
                    if let Some((_, s)) = x.estimate_levels {
                        *levels
                            .entry(match s {
                                LevelsSource::Tagged => "tagged",
                                LevelsSource::Height => "from_height",
                                LevelsSource::Default => "default",
                                LevelsSource::SingleHousehold => "single_household",
                            })
                            .or_default() += 1;
                    }
                    *kinds.entry(x.kind.clone()).or_default() += 1;
                }
                let mut top: Vec<(String, usize)> = kinds.into_iter().collect();
                top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                top.truncate(12);
                details.insert("residential".into(), res.into());
                details.insert("residential_by_neighbours".into(), b.iter().filter(|x| x.by_neighbours).count().into());
                details.insert("in_compound".into(), b.iter().filter(|x| x.compound.is_some()).count().into());
                details.insert("in_street".into(), b.iter().filter(|x| x.street.is_some()).count().into());
                details.insert("in_community".into(), b.iter().filter(|x| x.community.is_some()).count().into());
                details.insert("households_source".into(), to_json_counts(sources));
                details.insert("estimate_levels_source".into(), to_json_counts(levels));
                details.insert(
                    "footprint_km2".into(),
                    round(b.iter().map(|x| x.footprint_m2).sum::<f64>() / 1e6, 3).into(),
                );
                details.insert(
                    "top_kinds".into(),
                    serde_json::Value::Object(top.into_iter().map(|(k, v)| (k, v.into())).collect()),
                );
                let bbox = b
                    .iter()
                    .map(|x| x.footprint.as_ref().and_then(|f| f.bounding_rect()).or(Some(x.point.bounding_rect())))
                    .fold(None, merge);
                (
                    b.len(),
                    Some(b.iter().map(|x| u64::from(x.households)).sum()),
                    Some(b.iter().map(|x| u64::from(x.persons)).sum()),
                    bbox,
                )
            }
            LayerName::Households => {
                let h = &d.households;
                details.insert("in_a_building".into(), h.iter().filter(|x| x.building.is_some()).count().into());
                (
                    h.len(),
                    Some(h.iter().map(|x| u64::from(x.households)).sum()),
                    Some(h.iter().map(|x| u64::from(x.persons)).sum()),
                    h.iter().map(|x| Some(x.point.bounding_rect())).fold(None, merge),
                )
            }
            LayerName::Compounds => {
                let c = &d.compounds;
                details.insert("named".into(), c.iter().filter(|x| x.name.is_some()).count().into());
                let mut with_buildings = vec![false; c.len()];
                let mut hh = vec![0u64; c.len()];
                for b in &d.buildings {
                    if let Some(k) = b.compound {
                        with_buildings[k] |= b.residential;
                        hh[k] += u64::from(b.households);
                    }
                }
                let mut sizes: Vec<u64> =
                    hh.iter().zip(&with_buildings).filter(|(_, w)| **w).map(|(h, _)| *h).collect();
                sizes.sort_unstable();
                details.insert("with_residential_buildings".into(), sizes.len().into());
                if !sizes.is_empty() {
                    details.insert("median_households".into(), sizes[sizes.len() / 2].into());
                }
                (c.len(), Some(hh.iter().sum()), None, c.iter().map(|x| x.polygon.bounding_rect()).fold(None, merge))
            }
            LayerName::AdminAreas => {
                let mut levels: BTreeMap<&str, usize> = BTreeMap::new();
                for a in &d.admin_areas {
                    *levels.entry(a.level.name()).or_default() += 1;
                }
                details.insert("by_level".into(), to_json_counts(levels));
                let communities = d.admin_areas.iter().filter(|a| a.level == AdminLevel::Community);
                details.insert(
                    "communities_with_street".into(),
                    communities.filter(|a| a.parent_area.is_some()).count().into(),
                );
                (
                    d.admin_areas.len(),
                    None,
                    None,
                    d.admin_areas.iter().map(|x| x.polygon.bounding_rect()).fold(None, merge),
                )
            }
            LayerName::Facilities => {
                let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
                for f in &d.facilities {
                    *kinds.entry(&f.kind).or_default() += 1;
                }
                details.insert("by_kind".into(), to_json_counts(kinds));
                (
                    d.facilities.len(),
                    None,
                    None,
                    d.facilities.iter().map(|x| Some(x.point.bounding_rect())).fold(None, merge),
                )
            }
            LayerName::SpecialUnits => {
                let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
                for f in &d.special_units {
                    *kinds.entry(&f.kind).or_default() += 1;
                }
                details.insert("by_kind".into(), to_json_counts(kinds));
                details.insert(
                    "with_polygon".into(),
                    d.special_units.iter().filter(|s| s.polygon.is_some()).count().into(),
                );
                let bbox = d
                    .special_units
                    .iter()
                    .map(|x| x.polygon.as_ref().and_then(|p| p.bounding_rect()).or(Some(x.point.bounding_rect())))
                    .fold(None, merge);
                (d.special_units.len(), None, None, bbox)
            }
            LayerName::Barriers => {
                let mut km: BTreeMap<String, f64> = BTreeMap::new();
                for b in &d.barriers {
                    *km.entry(b.class.clone()).or_default() += Euclidean.length(&b.line) / 1000.0;
                }
                let total: f64 = km.values().sum();
                details.insert(
                    "km_by_class".into(),
                    serde_json::Value::Object(km.into_iter().map(|(k, v)| (k, round(v, 1).into())).collect()),
                );
                details.insert("km".into(), round(total, 1).into());
                (d.barriers.len(), None, None, d.barriers.iter().map(|x| x.line.bounding_rect()).fold(None, merge))
            }
            LayerName::WalkNetwork => {
                let km: f64 = d.walk_network.iter().map(|w| Euclidean.length(&w.line)).sum::<f64>() / 1000.0;
                let mut classes: BTreeMap<&str, usize> = BTreeMap::new();
                for w in &d.walk_network {
                    *classes.entry(&w.class).or_default() += 1;
                }
                details.insert("km".into(), round(km, 1).into());
                details.insert("ways_by_class".into(), to_json_counts(classes));
                details.insert(
                    "with_node_ids".into(),
                    d.walk_network.iter().filter(|w| w.node_ids.is_some()).count().into(),
                );
                (
                    d.walk_network.len(),
                    None,
                    None,
                    d.walk_network.iter().map(|x| x.line.bounding_rect()).fold(None, merge),
                )
            }
            LayerName::Registers => {
                (d.registers.len(), Some(d.registers.iter().map(|r| u64::from(r.households)).sum()), None, None)
            }
            LayerName::Candidates => (
                d.candidates.len(),
                None,
                None,
                d.candidates.iter().map(|x| Some(x.point.bounding_rect())).fold(None, merge),
            ),
        };
        layers.push(LayerSummary {
            layer: info.name,
            path: info.path.display().to_string(),
            crs: info.crs.to_string(),
            sha256: info.sha256.clone(),
            records: info.records,
            count,
            households,
            persons,
            bbox_wgs84: to_wgs(bbox),
            details,
        });
    }
    let mut groups: BTreeMap<(LayerName, WarningCode), Vec<Warning>> = BTreeMap::new();
    for w in &d.warnings {
        groups.entry((w.layer, w.code)).or_default().push(w.clone());
    }
    let total_persons = d.buildings.iter().map(|b| u64::from(b.persons)).sum::<u64>()
        + d.households.iter().filter(|h| h.building.is_none()).map(|h| u64::from(h.persons)).sum::<u64>();
    InspectReport {
        plan: name.to_string(),
        projection_origin: [proj.origin_lon, proj.origin_lat],
        layers,
        total_households: d.total_households(),
        total_persons,
        warnings: groups
            .into_iter()
            .map(|((layer, code), warnings)| WarningGroup { layer, code, count: warnings.len(), warnings })
            .collect(),
    }
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl InspectReport {
    /// Human-readable text; `all_warnings` lists every warning, otherwise the first five of each group.
    pub fn to_text(&self, all_warnings: bool) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "plan {}: {} households, {} persons",
            self.plan,
            thousands(self.total_households),
            thousands(self.total_persons)
        );
        let _ = writeln!(
            s,
            "local projection: transverse Mercator centred on {:.6}, {:.6}\n",
            self.projection_origin[0], self.projection_origin[1]
        );
        for l in &self.layers {
            let _ = write!(s, "{:<14} {:>8} features", l.layer.key(), thousands(l.count as u64));
            if let Some(h) = l.households {
                let _ = write!(s, "  {:>9} households", thousands(h));
            }
            if let Some(p) = l.persons {
                let _ = write!(s, "  {:>10} persons", thousands(p));
            }
            let _ = writeln!(s, "  crs {}", l.crs);
            if let Some(b) = l.bbox_wgs84 {
                let _ = writeln!(s, "{:<14} bbox {:.5}, {:.5} – {:.5}, {:.5}", "", b[0], b[1], b[2], b[3]);
            }
            for (k, v) in &l.details {
                let _ = writeln!(s, "{:<14} {k}: {v}", "");
            }
            let _ = writeln!(s, "{:<14} file {} (sha256 {}…)", "", l.path, &l.sha256[..12.min(l.sha256.len())]);
        }
        let total: usize = self.warnings.iter().map(|g| g.count).sum();
        let _ = writeln!(s, "\n{} warnings", thousands(total as u64));
        for g in &self.warnings {
            let _ = writeln!(s, "  [{}] {}: {}", g.layer.key(), g.code.name(), thousands(g.count as u64));
            let shown = if all_warnings { g.warnings.len() } else { 5.min(g.warnings.len()) };
            for w in &g.warnings[..shown] {
                let _ = writeln!(s, "    {}: {}", w.item, w.message);
            }
            if shown < g.warnings.len() {
                let _ =
                    writeln!(s, "    … {} more (--all-warnings or --json lists every one)", g.warnings.len() - shown);
            }
        }
        s
    }
}
