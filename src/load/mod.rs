//! Loading a plan's layers into a [`Dataset`]: read (GeoJSON, CSV, Parquet), check and convert coordinates
//! to WGS84, project once to local metres, repair or reject bad polygons, then cross-reference
//! (buildings → compound, community, street; households → building) and estimate households.
//! Files are read here and nowhere else; `.osm.pbf` import is in [`osm`].

pub mod error;
pub mod fields;
pub mod geometry;
pub mod layers;
mod link;
pub mod osm;
pub mod source;

pub use error::{DataError, Item, LoadError};

use crate::config::{DuplicateIds, LayerSpec, Plan};
use crate::crs::Crs;
use crate::model::{Dataset, LayerInfo, LayerName, Warning, WarningCode};
use crate::projection::LocalProjection;
use geo::{BoundingRect, MapCoordsInPlace, Rect};
use layers::Parsed;
use sha2::{Digest, Sha256};
use source::Table;
use std::collections::HashMap;
use std::path::Path;

/// SHA-256 of a file, hex.
pub fn sha256_file(path: &Path) -> Result<String, LoadError> {
    let bytes = std::fs::read(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

struct Reader<'p> {
    plan: &'p Plan,
    infos: Vec<LayerInfo>,
}

impl Reader<'_> {
    fn read<F>(&mut self, name: LayerName, spec: &LayerSpec<F>) -> Result<(Table, Crs), LoadError> {
        let path = self.plan.resolve(&spec.path);
        let crs = spec.crs.unwrap_or(self.plan.config.plan.crs);
        let table = source::read_table(&path, spec.format, spec.encoding)?;
        if table.records.is_empty() {
            return Err(LoadError::data(
                &path,
                None,
                None,
                None,
                format!("the {name} layer is empty: remove it from the plan or give it data"),
            ));
        }
        self.infos.push(LayerInfo {
            name,
            path: path.clone(),
            crs,
            sha256: sha256_file(&path)?,
            records: table.records.len(),
        });
        Ok((table, crs))
    }
}

/// Loads every layer a plan names.
pub fn load_plan(plan: &Plan) -> Result<Dataset, LoadError> {
    let layers = &plan.config.layers;
    let mut reader = Reader {
        plan,
        infos: Vec::new(),
    };
    let mut warnings = Vec::new();
    let policy = plan.config.validation.duplicate_ids;

    macro_rules! layer {
        ($name:expr, $spec:expr, $parse:path) => {
            match $spec {
                Some(spec) => {
                    let (table, crs) = reader.read($name, spec)?;
                    let mut parsed = $parse(&table, crs, &spec.fields)?;
                    dedupe_ids(
                        &mut parsed,
                        |x| &mut x.id,
                        &table,
                        $name,
                        policy,
                        &mut warnings,
                    )?;
                    Some((parsed, table))
                }
                None => None,
            }
        };
    }
    let buildings = layer!(LayerName::Buildings, &layers.buildings, layers::buildings);
    let households = layer!(
        LayerName::Households,
        &layers.households,
        layers::households
    );
    let compounds = layer!(LayerName::Compounds, &layers.compounds, layers::compounds);
    let admin = layer!(
        LayerName::AdminAreas,
        &layers.admin_areas,
        layers::admin_areas
    );
    let facilities = layer!(
        LayerName::Facilities,
        &layers.facilities,
        layers::facilities
    );
    let special = layer!(
        LayerName::SpecialUnits,
        &layers.special_units,
        layers::special_units
    );
    let barriers = layer!(LayerName::Barriers, &layers.barriers, layers::barriers);
    let walk = layer!(
        LayerName::WalkNetwork,
        &layers.walk_network,
        layers::walk_network
    );
    let registers = match &layers.registers {
        Some(spec) => {
            let (table, _) = reader.read(LayerName::Registers, spec)?;
            Some(layers::registers(&table, &spec.fields)?)
        }
        None => None,
    };

    // Where the data are: buildings, else households. Every other layer must be near it.
    let anchor = buildings
        .as_ref()
        .and_then(|(p, _)| {
            bbox_of(p.items.iter().map(|b| {
                b.footprint
                    .as_ref()
                    .and_then(|f| f.bounding_rect())
                    .or_else(|| b.point.bounding_rect().into())
            }))
        })
        .or_else(|| {
            households
                .as_ref()
                .and_then(|(p, _)| bbox_of(p.items.iter().map(|h| Some(h.point.bounding_rect()))))
        });
    let Some(anchor) = anchor else {
        let path = reader
            .infos
            .first()
            .map(|i| i.path.clone())
            .unwrap_or_default();
        return Err(LoadError::data(
            path,
            None,
            None,
            None,
            "no building or household has coordinates",
        ));
    };
    let centre = anchor.center();
    let projection = LocalProjection::centred_on(
        (centre.x * 1e6).round() / 1e6,
        (centre.y * 1e6).round() / 1e6,
    );

    let mut ctx = link::Linker::new(&plan.config, projection);
    macro_rules! check_near {
        ($layer:expr, $name:expr, $bbox:expr) => {
            if let Some((p, t)) = &$layer {
                check_near_anchor(&anchor, bbox_of(p.items.iter().map($bbox)), t, $name)?;
            }
        };
    }
    check_near!(compounds, LayerName::Compounds, |c| c
        .polygon
        .bounding_rect());
    check_near!(admin, LayerName::AdminAreas, |a| a.polygon.bounding_rect());
    check_near!(facilities, LayerName::Facilities, |f| Some(
        f.point.bounding_rect()
    ));
    check_near!(special, LayerName::SpecialUnits, |s| s
        .polygon
        .as_ref()
        .and_then(|p| p.bounding_rect())
        .or(Some(s.point.bounding_rect())));
    check_near!(barriers, LayerName::Barriers, |b| b.line.bounding_rect());
    check_near!(walk, LayerName::WalkNetwork, |w| w.line.bounding_rect());

    let fwd = |c: geo::Coord| {
        let (x, y) = projection.forward(c.x, c.y);
        geo::Coord { x, y }
    };
    let admin_areas = admin.map(|(mut p, t)| {
        p.items
            .iter_mut()
            .for_each(|a| a.polygon.map_coords_in_place(fwd));
        (p, t)
    });
    let compounds = compounds.map(|(mut p, t)| {
        p.items
            .iter_mut()
            .for_each(|c| c.polygon.map_coords_in_place(fwd));
        (p, t)
    });
    let buildings = buildings.map(|(mut p, t)| {
        for b in &mut p.items {
            if let Some(f) = &mut b.footprint {
                f.map_coords_in_place(fwd);
            } else {
                b.point.map_coords_in_place(fwd);
            }
        }
        (p, t)
    });
    let households = households.map(|(mut p, t)| {
        p.items
            .iter_mut()
            .filter(|h| h.point.x().is_finite())
            .for_each(|h| h.point.map_coords_in_place(fwd));
        (p, t)
    });
    let facilities = facilities.map(|(mut p, _)| {
        p.items
            .iter_mut()
            .for_each(|f| f.point.map_coords_in_place(fwd));
        p.items
    });
    let special = special.map(|(mut p, t)| {
        for s in &mut p.items {
            match &mut s.polygon {
                Some(poly) => poly.map_coords_in_place(fwd),
                None => s.point.map_coords_in_place(fwd),
            }
        }
        (p, t)
    });
    let barriers = barriers.map(|(mut p, _)| {
        p.items
            .iter_mut()
            .for_each(|b| b.line.map_coords_in_place(fwd));
        p.items
    });
    let walk = walk.map(|(mut p, _)| {
        p.items
            .iter_mut()
            .for_each(|w| w.line.map_coords_in_place(fwd));
        p.items
    });

    ctx.admin_areas(admin_areas, &mut warnings)?;
    ctx.compounds(compounds, &mut warnings)?;
    ctx.special_units(special, &mut warnings)?;
    ctx.buildings(buildings, &mut warnings)?;
    ctx.households(households, &mut warnings)?;
    ctx.calibrate(registers, &mut warnings);
    ctx.warn_outside_admin_and_empty(&mut warnings);

    let mut dataset = ctx.finish();
    dataset.facilities = facilities.unwrap_or_default();
    dataset.barriers = barriers.unwrap_or_default();
    dataset.walk_network = walk.unwrap_or_default();
    dataset.layers = reader.infos;
    dataset.warnings = warnings;
    Ok(dataset)
}

fn bbox_of(rects: impl Iterator<Item = Option<Rect>>) -> Option<Rect> {
    rects
        .flatten()
        .filter(|r| r.min().x.is_finite())
        .reduce(|a, b| {
            Rect::new(
                geo::Coord {
                    x: a.min().x.min(b.min().x),
                    y: a.min().y.min(b.min().y),
                },
                geo::Coord {
                    x: a.max().x.max(b.max().x),
                    y: a.max().y.max(b.max().y),
                },
            )
        })
}

/// A layer far from the buildings whose swapped coordinates would sit on them was given lat/lon swapped.
fn check_near_anchor(
    anchor: &Rect,
    layer: Option<Rect>,
    table: &Table,
    name: LayerName,
) -> Result<(), LoadError> {
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
                    message: format!(
                        "id {id:?} already used by {}; renamed {new_id:?}",
                        parsed.sources[first]
                    ),
                });
                *id_of(&mut parsed.items[i]) = new_id.clone();
                seen.insert(new_id, i);
            }
        }
    }
    Ok(())
}
