//! Loading a plan's layers into a [`Dataset`]: read (GeoJSON, CSV, Parquet), check and convert coordinates
//! to WGS84, project once to local metres, repair or reject bad polygons, then cross-reference
//! (buildings → compound, community, street; households → building) and estimate households.
//! Files are read here and nowhere else; `.osm.pbf` import is in [`osm`].

pub mod divisions;
pub mod error;
pub mod fields;
pub mod geometry;
pub mod graph_json;
pub mod interior_point;
pub mod layers;
mod link;
pub mod number;
pub mod osm;
pub mod previous;
pub mod run;
pub mod source;
pub mod stacked;
pub mod untagged;
pub mod validity;

pub use error::{DataError, Item, LoadError};

use crate::config::{DuplicateIds, LayerSpec, Plan};
use crate::crs::Crs;
use crate::model::{Dataset, Geometric, LayerInfo, LayerName, Warning, WarningCode};
use crate::projection::LocalProjection;
use geo::Rect;
use layers::Parsed;
use source::Table;
use std::collections::HashMap;

struct Reader<'p> {
    plan: &'p Plan,
    infos: Vec<LayerInfo>,
    /// What was guessed about each file, as warnings.
    notes: Vec<Warning>,
}

impl Reader<'_> {
    fn read<F>(&mut self, name: LayerName, spec: &LayerSpec<F>) -> Result<(Table, Crs), LoadError> {
        let path = self.plan.resolve(&spec.path);
        let crs = spec.crs.unwrap_or(self.plan.config.plan.crs);
        let options = source::ReadOptions::of(spec, self.plan.config.plan.max_decompressed_mib);
        let table = source::read_table(&path, &options)?;
        if table.records.is_empty() {
            return Err(LoadError::data(
                &path,
                None,
                None,
                None,
                format!("the {name} layer is empty: remove it from the plan or give it data"),
            ));
        }
        for note in &table.notes {
            self.notes.push(Warning {
                layer: name,
                code: WarningCode::FileDialect,
                item: path.display().to_string(),
                message: note.clone(),
            });
        }
        self.infos.push(LayerInfo {
            name,
            path: path.clone(),
            crs,
            sha256: table.sha256.clone(),
            records: table.records.len(),
            attribution: table.attribution.clone(),
        });
        Ok((table, crs))
    }
}

/// Loads every layer a plan names.
pub fn load_plan(plan: &Plan) -> Result<Dataset, LoadError> {
    let layers = &plan.config.layers;
    let mut reader = Reader { plan, infos: Vec::new(), notes: Vec::new() };
    let mut warnings = Vec::new();
    let policy = plan.config.validation.duplicate_ids;

    macro_rules! layer {
        ($name:expr, $spec:expr, $parse:expr) => {
            match $spec {
                Some(spec) => {
                    let (table, crs) = reader.read($name, spec)?;
                    let mut parsed = ($parse)(&table, crs, &spec.fields)?;
                    dedupe_ids(&mut parsed, |x| &mut x.id, &table, $name, policy, &mut warnings)?;
                    Some((parsed, table))
                }
                None => None,
            }
        };
    }
    let mut buildings = layer!(LayerName::Buildings, &layers.buildings, layers::buildings);
    let mut households = layer!(LayerName::Households, &layers.households, layers::households);
    let mut compounds = layer!(LayerName::Compounds, &layers.compounds, layers::compounds);
    let admin_params = &plan.config.admin;
    let mut admin =
        layer!(LayerName::AdminAreas, &layers.admin_areas, |t, c, f| layers::admin_areas(t, c, f, admin_params));
    let mut facilities = layer!(LayerName::Facilities, &layers.facilities, layers::facilities);
    let mut special = layer!(LayerName::SpecialUnits, &layers.special_units, layers::special_units);
    let mut barriers = layer!(LayerName::Barriers, &layers.barriers, layers::barriers);
    let mut walk = layer!(LayerName::WalkNetwork, &layers.walk_network, layers::walk_network);
    let mut candidates = layer!(LayerName::Candidates, &layers.candidates, layers::candidates);
    let registers = match &layers.registers {
        Some(spec) => {
            let (table, _) = reader.read(LayerName::Registers, spec)?;
            Some((layers::registers(&table, &spec.fields)?, table))
        }
        None => None,
    };

    // Where the data are: buildings, else households. Every other layer must be near it.
    let anchor = buildings
        .as_ref()
        .and_then(|(p, _)| extent(&p.items))
        .or_else(|| households.as_ref().and_then(|(p, _)| extent(&p.items)));
    let Some(anchor) = anchor else {
        let path = reader.infos.first().map(|i| i.path.clone()).unwrap_or_default();
        return Err(LoadError::data(path, None, None, None, "no building or household has coordinates"));
    };
    let centre = anchor.center();
    let projection = LocalProjection::centred_on((centre.x * 1e6).round() / 1e6, (centre.y * 1e6).round() / 1e6);
    let forward = |c: geo::Coord| {
        let (x, y) = projection.forward(c.x, c.y);
        geo::Coord { x, y }
    };

    near_and_projected(&anchor, &mut compounds, LayerName::Compounds, &forward)?;
    near_and_projected(&anchor, &mut admin, LayerName::AdminAreas, &forward)?;
    near_and_projected(&anchor, &mut facilities, LayerName::Facilities, &forward)?;
    near_and_projected(&anchor, &mut special, LayerName::SpecialUnits, &forward)?;
    near_and_projected(&anchor, &mut barriers, LayerName::Barriers, &forward)?;
    near_and_projected(&anchor, &mut walk, LayerName::WalkNetwork, &forward)?;
    near_and_projected(&anchor, &mut candidates, LayerName::Candidates, &forward)?;
    near_and_projected(&anchor, &mut buildings, LayerName::Buildings, &forward)?;
    near_and_projected(&anchor, &mut households, LayerName::Households, &forward)?;

    let mut ctx = link::Linker::new(&plan.config, projection);
    ctx.admin_areas(admin, &mut warnings)?;
    ctx.compounds(compounds, &mut warnings)?;
    ctx.special_units(special, &mut warnings)?;
    ctx.buildings(buildings, &mut warnings)?;
    ctx.households(households, &mut warnings)?;
    ctx.calibrate(registers, &mut warnings)?;
    ctx.warn_outside_admin_and_empty(&mut warnings);

    let mut dataset = ctx.finish();
    let admin_cfg = &plan.config.admin;
    if !admin_cfg.division_codes.is_empty() {
        // Before anything is named after them: grid ids and codes are built from these codes.
        let m = divisions::assign_codes(
            &mut dataset.admin_areas,
            &admin_cfg.division_codes,
            admin_cfg.division_city.as_deref(),
            |p| plan.resolve(p),
        )?;
        dataset.division_codes = Some(m);
    }
    stacked::stack_buildings(&mut dataset.buildings, &mut warnings);
    dataset.facilities = facilities.map(|(p, _)| p.items).unwrap_or_default();
    dataset.barriers = barriers.map(|(p, _)| p.items).unwrap_or_default();
    dataset.walk_network = walk.map(|(p, _)| p.items).unwrap_or_default();
    dataset.candidates = candidates.map(|(p, _)| p.items).unwrap_or_default();
    dataset.layers = reader.infos;
    reader.notes.append(&mut warnings);
    dataset.warnings = reader.notes;
    Ok(dataset)
}

fn extent<T: Geometric>(items: &[T]) -> Option<Rect> {
    crate::model::bbox_of(items.iter().map(Geometric::bbox))
}

/// Checks that a layer lies near the buildings, then projects it to local metres.
fn near_and_projected<T: Geometric>(
    anchor: &Rect,
    layer: &mut Option<(Parsed<T>, Table)>,
    name: LayerName,
    forward: &dyn Fn(geo::Coord) -> geo::Coord,
) -> Result<(), LoadError> {
    let Some((parsed, table)) = layer else { return Ok(()) };
    check_near_anchor(anchor, extent(&parsed.items), table, name)?;
    for item in &mut parsed.items {
        item.map_coords(forward);
    }
    Ok(())
}

/// A layer far from the buildings whose swapped coordinates would sit on them was given lat/lon swapped.
fn check_near_anchor(anchor: &Rect, layer: Option<Rect>, table: &Table, name: LayerName) -> Result<(), LoadError> {
    let Some(r) = layer else { return Ok(()) };
    let c = r.center();
    let a = anchor.center();
    let d = crate::crs::haversine_m((c.x, c.y), (a.x, a.y));
    let d_swapped = crate::crs::haversine_m((c.y, c.x), (a.x, a.y));
    if d > 200_000.0 && d_swapped < 50_000.0 {
        return Err(LoadError::data(
            &table.path,
            None,
            Some("coordinates"),
            Some(format!("centre ({:.5}, {:.5})", c.x, c.y)),
            format!(
                "the {name} layer lies {:.0} km from the buildings, but would sit on them with latitude and longitude swapped: write longitude first",
                d / 1000.0
            ),
        ));
    }
    Ok(())
}

fn dedupe_ids<T>(
    parsed: &mut Parsed<T>,
    id_of: impl Fn(&mut T) -> &mut String,
    table: &Table,
    layer: LayerName,
    policy: DuplicateIds,
    warnings: &mut Vec<Warning>,
) -> Result<(), LoadError> {
    let mut seen: HashMap<String, usize> = HashMap::with_capacity(parsed.items.len());
    for i in 0..parsed.items.len() {
        let id = id_of(&mut parsed.items[i]).clone();
        let Some(&first) = seen.get(&id) else {
            seen.insert(id, i);
            continue;
        };
        match policy {
            DuplicateIds::Error => {
                return Err(LoadError::data(
                    &table.path,
                    Some(parsed.sources[i].clone()),
                    Some("id"),
                    Some(format!("{id:?}")),
                    format!(
                        "duplicate id: {} has it too; ids must be unique (or set [validation] duplicate_ids = \"rename\")",
                        parsed.sources[first]
                    ),
                ));
            }
            DuplicateIds::Rename => {
                let mut n = 2;
                let mut new_id = format!("{id}#{n}");
                while seen.contains_key(&new_id) {
                    n += 1;
                    new_id = format!("{id}#{n}");
                }
                warnings.push(Warning {
                    layer,
                    code: WarningCode::DuplicateIdRenamed,
                    item: parsed.sources[i].to_string(),
                    message: format!("id {id:?} already used by {}; renamed {new_id:?}", parsed.sources[first]),
                });
                *id_of(&mut parsed.items[i]) = new_id.clone();
                seen.insert(new_id, i);
            }
        }
    }
    Ok(())
}
