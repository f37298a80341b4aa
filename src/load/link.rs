//! Cross-referencing after projection: polygons checked (repaired or rejected), communities under streets,
//! compounds and buildings in their areas, households in their buildings, households estimated and
//! calibrated, and the warnings a planner should see.

use super::error::{Item, LoadError};
use super::fields::limits;
use super::geometry::{PolygonCheck, check_polygon, representative_point};
use super::layers::Parsed;
use super::source::Table;
use crate::config::{EstimateParams, PlanConfig};
use crate::estimate;
use crate::index::PolygonIndex;
use crate::model::*;
use crate::projection::LocalProjection;
use geo::{Area, MultiPolygon};
use std::collections::HashMap;

pub(super) struct Linker<'c> {
    config: &'c PlanConfig,
    data: Dataset,
}

fn checked_polygon(
    mp: MultiPolygon,
    table: &Table,
    item: &Item,
    layer: LayerName,
    warnings: &mut Vec<Warning>,
) -> Result<MultiPolygon, LoadError> {
    match check_polygon(mp, &table.path, item)? {
        PolygonCheck::Valid(mp) => Ok(mp),
        PolygonCheck::Repaired(mp, message) => {
            warnings.push(Warning { layer, code: WarningCode::GeometryRepaired, item: item.to_string(), message });
            Ok(mp)
        }
    }
}

impl<'c> Linker<'c> {
    pub(super) fn new(config: &'c PlanConfig, projection: LocalProjection) -> Self {
        let data = Dataset {
            projection,
            buildings: Vec::new(),
            households: Vec::new(),
            compounds: Vec::new(),
            admin_areas: Vec::new(),
            facilities: Vec::new(),
            special_units: Vec::new(),
            barriers: Vec::new(),
            walk_network: Vec::new(),
            candidates: Vec::new(),
            registers: Vec::new(),
            layers: Vec::new(),
            warnings: Vec::new(),
            division_codes: None,
            shard: None,
        };
        Linker { config, data }
    }

    pub(super) fn finish(self) -> Dataset {
        self.data
    }

    fn street_index(&self) -> PolygonIndex<'_> {
        PolygonIndex::new(self.data.admin_areas_at(AdminLevel::Street).map(|(_, a)| &a.polygon))
    }

    fn level_ids(&self, level: AdminLevel) -> Vec<usize> {
        self.data.admin_areas_at(level).map(|(i, _)| i).collect()
    }

    pub(super) fn admin_areas(
        &mut self,
        layer: Option<(Parsed<AdminArea>, Table)>,
        warnings: &mut Vec<Warning>,
    ) -> Result<(), LoadError> {
        let Some((parsed, table)) = layer else {
            return Ok(());
        };
        for (mut area, item) in parsed.items.into_iter().zip(&parsed.sources) {
            area.polygon = checked_polygon(area.polygon, &table, item, LayerName::AdminAreas, warnings)?;
            self.data.admin_areas.push(area);
        }
        // A community's street: its `parent` code/id/name, else the street containing its interior point.
        let streets = self.level_ids(AdminLevel::Street);
        let by_key: HashMap<&str, usize> = streets
            .iter()
            .flat_map(|&i| {
                let a = &self.data.admin_areas[i];
                [a.code.as_deref(), Some(a.id.as_str()), Some(a.name.as_str())]
                    .into_iter()
                    .flatten()
                    .map(move |k| (k, i))
            })
            .collect();
        let index = self.street_index();
        let parents: Vec<(usize, Option<usize>)> = self
            .level_ids(AdminLevel::Community)
            .into_iter()
            .map(|i| {
                let a = &self.data.admin_areas[i];
                let by_parent = a.parent.as_deref().and_then(|p| by_key.get(p).copied());
                let by_place = || representative_point(&a.polygon).and_then(|p| index.innermost(p)).map(|k| streets[k]);
                (i, by_parent.or_else(by_place))
            })
            .collect();
        drop(index);
        for (i, parent) in parents {
            self.data.admin_areas[i].parent_area = parent;
        }
        Ok(())
    }

    /// Innermost street and community containing a point.
    fn locate(
        &self,
        streets: &(Vec<usize>, PolygonIndex),
        communities: &(Vec<usize>, PolygonIndex),
        p: geo::Point,
    ) -> (Option<usize>, Option<usize>) {
        let community = communities.1.innermost(p).map(|k| communities.0[k]);
        let street = streets
            .1
            .innermost(p)
            .map(|k| streets.0[k])
            .or_else(|| community.and_then(|c| self.data.admin_areas[c].parent_area));
        (street, community)
    }

    fn area_indexes(&self) -> ((Vec<usize>, PolygonIndex<'_>), (Vec<usize>, PolygonIndex<'_>)) {
        let s = self.level_ids(AdminLevel::Street);
        let c = self.level_ids(AdminLevel::Community);
        let si = PolygonIndex::new(s.iter().map(|&i| &self.data.admin_areas[i].polygon));
        let ci = PolygonIndex::new(c.iter().map(|&i| &self.data.admin_areas[i].polygon));
        ((s, si), (c, ci))
    }

    pub(super) fn compounds(
        &mut self,
        layer: Option<(Parsed<Compound>, Table)>,
        warnings: &mut Vec<Warning>,
    ) -> Result<(), LoadError> {
        let Some((parsed, table)) = layer else {
            return Ok(());
        };
        let mut compounds = Vec::with_capacity(parsed.items.len());
        for (mut c, item) in parsed.items.into_iter().zip(&parsed.sources) {
            c.polygon = checked_polygon(c.polygon, &table, item, LayerName::Compounds, warnings)?;
            compounds.push(c);
        }
        let (streets, communities) = self.area_indexes();
        let located: Vec<_> = compounds
            .iter()
            .map(|c| {
                representative_point(&c.polygon).map(|p| self.locate(&streets, &communities, p)).unwrap_or((None, None))
            })
            .collect();
        drop((streets, communities));
        for (c, (s, m)) in compounds.iter_mut().zip(located) {
            c.street = s;
            c.community = m;
        }
        self.data.compounds = compounds;
        Ok(())
    }

    pub(super) fn special_units(
        &mut self,
        layer: Option<(Parsed<SpecialUnit>, Table)>,
        warnings: &mut Vec<Warning>,
    ) -> Result<(), LoadError> {
        let Some((parsed, table)) = layer else {
            return Ok(());
        };
        for (mut s, item) in parsed.items.into_iter().zip(&parsed.sources) {
            if let Some(poly) = s.polygon.take() {
                let poly = checked_polygon(poly, &table, item, LayerName::SpecialUnits, warnings)?;
                s.point = representative_point(&poly).unwrap_or(s.point);
                s.polygon = Some(poly);
            }
            self.data.special_units.push(s);
        }
        Ok(())
    }

    pub(super) fn buildings(
        &mut self,
        layer: Option<(Parsed<Building>, Table)>,
        warnings: &mut Vec<Warning>,
    ) -> Result<(), LoadError> {
        let Some((parsed, table)) = layer else {
            return Ok(());
        };
        let params = &self.config.estimate;
        let compound_by_id: HashMap<&str, usize> =
            self.data.compounds.iter().enumerate().map(|(i, c)| (c.id.as_str(), i)).collect();
        let compound_index = PolygonIndex::new(self.data.compounds.iter().map(|c| &c.polygon));
        let (streets, communities) = self.area_indexes();
        let mut buildings = Vec::with_capacity(parsed.items.len());
        for ((mut b, item), reference) in parsed.items.into_iter().zip(&parsed.sources).zip(&parsed.refs) {
            if let Some(fp) = b.footprint.take() {
                let fp = checked_polygon(fp, &table, item, LayerName::Buildings, warnings)?;
                b.footprint_m2 = fp.unsigned_area();
                b.point = representative_point(&fp).unwrap_or(b.point);
                b.footprint = Some(fp);
            }
            b.compound = match reference {
                Some(r) => match compound_by_id.get(r.as_str()) {
                    Some(&c) => Some(c),
                    None => {
                        return Err(LoadError::data(
                            &table.path,
                            Some(item.clone()),
                            Some("compound"),
                            Some(format!("{r:?}")),
                            "no compound has this id",
                        ));
                    }
                },
                None => compound_index.innermost(b.point),
            };
            (b.street, b.community) = self.locate(&streets, &communities, b.point);
            if let Some(levels) = b.levels.filter(|l| !(*l >= 1.0 && *l <= 200.0)) {
                warnings.push(Warning {
                    layer: LayerName::Buildings,
                    code: WarningCode::ValueReplaced,
                    item: format!("{item} ({})", b.id),
                    message: format!("levels {levels} is not in 1–200; ignored"),
                });
                b.levels = None;
            }
            let kind_is = |list: &[String]| list.contains(&b.kind);
            match b.households_source {
                HouseholdSource::Registered => b.residential = b.households > 0,
                _ => {
                    b.residential = kind_is(&params.residential_kinds)
                        || (kind_is(&params.residential_in_compound_kinds) && b.compound.is_some());
                    if b.residential {
                        estimate(&mut b, &table, item, params)?;
                    } else {
                        b.households = 0;
                        b.households_source = HouseholdSource::NonResidential;
                    }
                }
            }
            buildings.push(b);
        }
        drop((streets, communities, compound_index, compound_by_id));
        if params.untagged_by_neighbours {
            let evidence = super::untagged::evidence(&buildings, params);
            let candidates: Vec<usize> = (0..buildings.len())
                .filter(|&i| {
                    evidence[i] == super::untagged::Evidence::None
                        && buildings[i].households_source == HouseholdSource::NonResidential
                })
                .collect();
            let verdict = super::untagged::residential_by_neighbours(
                &buildings,
                &evidence,
                &candidates,
                &self.data.special_units,
                params,
            );
            for (&i, yes) in candidates.iter().zip(verdict) {
                if yes {
                    let b = &mut buildings[i];
                    b.residential = true;
                    b.by_neighbours = true;
                    estimate(b, &table, &parsed.sources[i], params)?;
                }
            }
        }
        self.data.buildings = buildings;
        self.fill_persons();
        Ok(())
    }

    fn fill_persons(&mut self) {
        let pph = self.config.estimate.persons_per_household;
        for b in &mut self.data.buildings {
            if b.persons == 0 && b.households > 0 {
                b.persons = (f64::from(b.households) * pph).round() as u32;
            }
        }
    }

    pub(super) fn households(
        &mut self,
        layer: Option<(Parsed<Household>, Table)>,
        warnings: &mut Vec<Warning>,
    ) -> Result<(), LoadError> {
        let Some((parsed, table)) = layer else {
            return Ok(());
        };
        let pph = self.config.estimate.persons_per_household;
        let by_id: HashMap<&str, usize> =
            self.data.buildings.iter().enumerate().map(|(i, b)| (b.id.as_str(), i)).collect();
        let fp_owner: Vec<usize> =
            (0..self.data.buildings.len()).filter(|&i| self.data.buildings[i].footprint.is_some()).collect();
        let index = PolygonIndex::new(fp_owner.iter().filter_map(|&i| self.data.buildings[i].footprint.as_ref()));
        let mut households = Vec::with_capacity(parsed.items.len());
        for ((mut h, item), reference) in parsed.items.into_iter().zip(&parsed.sources).zip(&parsed.refs) {
            h.building = match reference {
                Some(r) => match by_id.get(r.as_str()) {
                    Some(&b) => Some(b),
                    None if !h.point.x().is_finite() => {
                        return Err(LoadError::data(
                            &table.path,
                            Some(item.clone()),
                            Some("building"),
                            Some(format!("{r:?}")),
                            "no building has this id, and the household has no coordinates to place it",
                        ));
                    }
                    None => {
                        warnings.push(Warning {
                            layer: LayerName::Households,
                            code: WarningCode::HouseholdWithoutBuilding,
                            item: format!("{item} ({})", h.id),
                            message: format!("building {r:?} does not exist; kept as a household point"),
                        });
                        None
                    }
                },
                None => index.innermost(h.point).map(|k| fp_owner[k]),
            };
            if !h.point.x().is_finite() {
                h.point = h.building.map(|b| self.data.buildings[b].point).unwrap_or(h.point);
            }
            if h.persons == 0 {
                h.persons = (f64::from(h.households) * pph).round() as u32;
            }
            households.push(h);
        }
        drop(index);
        // Buildings with linked household points take their totals from them.
        let mut linked: HashMap<usize, (u32, u32, Option<u32>)> = HashMap::new();
        for h in &households {
            if let Some(b) = h.building {
                let e = linked.entry(b).or_insert((0, 0, None));
                e.0 += h.households;
                e.1 += h.persons;
                e.2 = match (e.2, h.elderly) {
                    (a, None) => a,
                    (None, Some(x)) => Some(x),
                    (Some(a), Some(x)) => Some(a + x),
                };
            }
        }
        for (b, (hh, persons, elderly)) in linked {
            let building = &mut self.data.buildings[b];
            building.households = hh;
            building.persons = persons;
            building.elderly = elderly.or(building.elderly);
            building.households_source = HouseholdSource::HouseholdsLayer;
            building.residential = hh > 0;
        }
        if !self.data.buildings.is_empty() {
            let loose = households.iter().filter(|h| h.building.is_none()).count();
            if loose > 0 {
                warnings.push(Warning {
                    layer: LayerName::Households,
                    code: WarningCode::HouseholdWithoutBuilding,
                    item: format!("{loose} household points"),
                    message: "lie in no building footprint; each stays a household point of its own".into(),
                });
            }
        }
        self.data.households = households;
        Ok(())
    }

    /// Scales estimated buildings so each registered area's total matches its register exactly.
    pub(super) fn calibrate(
        &mut self,
        registers: Option<(Parsed<Register>, Table)>,
        warnings: &mut Vec<Warning>,
    ) -> Result<(), LoadError> {
        let Some((parsed, table)) = registers else { return Ok(()) };
        let mut keys: HashMap<&str, usize> = HashMap::new();
        // Communities first, so a name shared by a street and a community means the community.
        for level in [AdminLevel::Street, AdminLevel::Community] {
            for (i, a) in self.data.admin_areas_at(level) {
                for k in [a.code.as_deref(), Some(a.id.as_str()), Some(a.name.as_str())].into_iter().flatten() {
                    keys.insert(k, i);
                }
            }
        }
        let mut plans: Vec<(usize, u32)> = Vec::new();
        let mut seen: HashMap<usize, &Item> = HashMap::new();
        for (r, item) in parsed.items.iter().zip(&parsed.sources) {
            match keys.get(r.area.as_str()) {
                Some(&a) => {
                    if let Some(first) = seen.insert(a, item) {
                        return Err(LoadError::data(
                            &table.path,
                            Some(item.clone()),
                            Some("area"),
                            Some(format!("{:?}", r.area)),
                            format!(
                                "{} ({}) is registered twice, also in {first}: give each area one total",
                                self.data.admin_areas[a].name, self.data.admin_areas[a].id
                            ),
                        ));
                    }
                    plans.push((a, r.households));
                }
                None => warnings.push(Warning {
                    layer: LayerName::Registers,
                    code: WarningCode::RegisterUnmatched,
                    item: item.to_string(),
                    message: format!("no street or community has code, id or name {:?}; register not applied", r.area),
                }),
            }
        }
        for (area, target) in plans {
            let level = self.data.admin_areas[area].level;
            let in_area = |b: &Building| match level {
                AdminLevel::Community => b.community == Some(area),
                _ => b.street == Some(area),
            };
            let fixed: u64 = self
                .data
                .buildings
                .iter()
                .filter(|b| in_area(b) && b.households_source != HouseholdSource::Estimated)
                .map(|b| u64::from(b.households))
                .sum();
            let est: Vec<usize> = (0..self.data.buildings.len())
                .filter(|&i| {
                    in_area(&self.data.buildings[i])
                        && self.data.buildings[i].households_source == HouseholdSource::Estimated
                })
                .collect();
            let raw: Vec<f64> = est.iter().map(|&i| f64::from(self.data.buildings[i].households)).collect();
            if fixed > u64::from(target) {
                warnings.push(Warning {
                    layer: LayerName::Registers,
                    code: WarningCode::RegisterUnmatched,
                    item: self.data.admin_areas[area].name.clone(),
                    message: format!(
                        "register of {target} households, but its buildings with registered households already hold {fixed}: estimated buildings set to 0"
                    ),
                });
            }
            let remaining = u64::from(target).saturating_sub(fixed);
            if raw.iter().sum::<f64>() <= 0.0 {
                warnings.push(Warning {
                    layer: LayerName::Registers,
                    code: WarningCode::RegisterUnmatched,
                    item: self.data.admin_areas[area].name.clone(),
                    message: format!(
                        "register of {target} households, but the area has no estimated residential building to scale"
                    ),
                });
                continue;
            }
            for (&i, v) in est.iter().zip(estimate::apportion_rounded(&raw, remaining)) {
                let b = &mut self.data.buildings[i];
                if v > limits::HOUSEHOLDS {
                    return Err(LoadError::data(
                        &table.path,
                        None,
                        Some("households"),
                        Some(target.to_string()),
                        format!(
                            "scaling {} to its register gives building {} {v} households, more than {} for one building: check the register",
                            self.data.admin_areas[area].name,
                            b.id,
                            limits::HOUSEHOLDS
                        ),
                    ));
                }
                b.households = v;
                b.persons = 0;
            }
        }
        self.fill_persons();
        Ok(())
    }

    pub(super) fn warn_outside_admin_and_empty(&self, warnings: &mut Vec<Warning>) {
        let has_admin = self.data.admin_areas.iter().any(|a| a.level != AdminLevel::District);
        for b in &self.data.buildings {
            if has_admin && b.street.is_none() && b.community.is_none() {
                warnings.push(Warning {
                    layer: LayerName::Buildings,
                    code: WarningCode::OutsideAdminAreas,
                    item: b.id.clone(),
                    message: format!("{} households outside every street and community", b.households),
                });
            }
            if b.residential && b.households == 0 {
                let why = match b.households_source {
                    HouseholdSource::Registered => "registered with 0 households".to_string(),
                    _ if b.footprint_m2 <= 0.0 => {
                        "a point building with no footprint_m2 or households to estimate from".to_string()
                    }
                    _ => format!("estimate rounds to 0 (footprint {:.0} m²)", b.footprint_m2),
                };
                warnings.push(Warning {
                    layer: LayerName::Buildings,
                    code: WarningCode::ZeroHouseholds,
                    item: b.id.clone(),
                    message: why,
                });
            }
        }
    }
}

/// Households of a residential building from footprint × levels, refused above the per-building limit.
fn estimate(b: &mut Building, table: &Table, item: &Item, params: &EstimateParams) -> Result<(), LoadError> {
    let (raw, levels, source) = estimate::estimated_households(b.footprint_m2, b.levels, b.height_m, &b.kind, params);
    if raw > f64::from(limits::HOUSEHOLDS) {
        return Err(LoadError::data(
            &table.path,
            Some(item.clone()),
            Some("households"),
            Some(format!("{raw:.0} estimated")),
            format!(
                "the estimate ({:.0} m² × {levels} levels × {} ÷ {} m²) is more than {} households for one building: give its households, levels or footprint",
                b.footprint_m2,
                params.dwelling_share,
                params.flat_area_m2,
                limits::HOUSEHOLDS
            ),
        ));
    }
    b.households = raw.round() as u32;
    b.estimate_levels = Some((levels, source));
    b.households_source = HouseholdSource::Estimated;
    Ok(())
}
