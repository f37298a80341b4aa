//! Seeded synthetic cities for property tests and scale benchmarks, from 1 thousand to 10 million households.
//!
//! The city is a grid of 200 m blocks. Every block is a compound (小区) of walk-up slabs or towers, or a
//! special unit (school, hospital, enterprise, industrial site, agency, market), or a park. Roads run between
//! blocks: local roads everywhere, secondary every 4 blocks, primary every 8, trunk every 16; a river
//! meanders across. Communities are 2 × 2 blocks and streets 8 × 8 blocks, so both follow main roads and
//! nest. Households are written as registered counts, so every property test knows the truth exactly.
//! The layers are written as WGS84 GeoJSON with a `plan.toml`, and loaded like any real city.

use crate::config::PlanConfig;
use crate::model::{Feature, FeatureLayers};
use crate::projection::LocalProjection;
use crate::render::geojson::write_layers;
use crate::render::output_dir::{OutputError, StagedDir};
use crate::render::plan_file::plan_toml;
use geo::{Coord, Geometry, LineString, Point, Polygon, Rect};
use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::path::Path;

/// Block pitch (block plus the road beside it), metres.
pub const BLOCK_M: f64 = 200.0;
const ROAD_HALF_M: f64 = 10.0;
/// Blocks per community side and per street side.
pub const COMMUNITY_BLOCKS: usize = 2;
/// Blocks per street side (streets are bounded by primary or trunk roads).
pub const STREET_BLOCKS: usize = 8;

/// Parameters of a synthetic city.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct SynthParams {
    /// Households to place, exactly.
    pub households: u64,
    /// Seed.
    pub seed: u64,
    /// Centre of the city, WGS84 (default: Qitaihe, 七台河).
    pub centre: (f64, f64),
}

impl SynthParams {
    /// A city of `households` households with seed `seed`, centred on Qitaihe.
    pub fn new(households: u64, seed: u64) -> Self {
        SynthParams { households, seed, centre: (130.97, 45.77) }
    }
}

/// A synthetic city in local metres.
#[derive(Debug, Clone, Default)]
pub struct SynthCity {
    /// Its layers (buildings carry registered households), local metres until written.
    pub layers: FeatureLayers,
    /// Households placed (equals the request).
    pub households: u64,
    /// Blocks per side.
    pub blocks_per_side: usize,
}

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Polygon {
    Rect::new(Coord { x: x0, y: y0 }, Coord { x: x1, y: y1 }).to_polygon()
}

fn props(pairs: &[(&str, Value)]) -> Map<String, Value> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

/// Class of the road on grid line `i` (between block i-1 and block i).
fn road_class(i: usize) -> &'static str {
    if i.is_multiple_of(16) {
        "trunk"
    } else if i.is_multiple_of(8) {
        "primary"
    } else if i.is_multiple_of(4) {
        "secondary"
    } else {
        "residential"
    }
}

/// The river's centreline: a meander from west to east at about a third of the city's height.
fn river_y(x: f64, side_m: f64, phase: f64) -> f64 {
    side_m * 0.35 + side_m * 0.06 * (x / side_m * std::f64::consts::TAU * 1.5 + phase).sin()
}

const SPECIAL_KINDS: [&str; 6] = ["school", "hospital", "enterprise", "industrial", "agency", "market"];

/// Builds a city in local metres holding exactly `params.households` households: a grid sized for about
/// 430 households per block, grown a row at a time if the river and special blocks left it short.
pub fn generate(params: &SynthParams) -> SynthCity {
    let blocks = ((params.households as f64 / 430.0).ceil() as usize).max(4);
    let mut n = ((blocks as f64).sqrt().ceil() as usize).max(2);
    loop {
        let city = generate_on_grid(params, n);
        if city.households == params.households {
            return city;
        }
        n += 1;
    }
}

fn generate_on_grid(params: &SynthParams, n: usize) -> SynthCity {
    let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
    let side = n as f64 * BLOCK_M;
    let phase = rng.random_range(0.0..std::f64::consts::TAU);
    let mut city = SynthCity { blocks_per_side: n, ..Default::default() };
    let mut remaining = params.households;
    let mut building_seq = 0u64;

    // Admin areas: streets of STREET_BLOCKS², communities of COMMUNITY_BLOCKS², clipped to the city.
    let streets_per_side = n.div_ceil(STREET_BLOCKS);
    for sy in 0..streets_per_side {
        for sx in 0..streets_per_side {
            let street_code = format!("230904{:03}", sy * streets_per_side + sx + 1);
            let (x0, y0) = ((sx * STREET_BLOCKS) as f64 * BLOCK_M, (sy * STREET_BLOCKS) as f64 * BLOCK_M);
            let (x1, y1) =
                ((x0 + STREET_BLOCKS as f64 * BLOCK_M).min(side), (y0 + STREET_BLOCKS as f64 * BLOCK_M).min(side));
            city.layers.admin_areas.push(Feature {
                geometry: Geometry::Polygon(rect(x0, y0, x1, y1)),
                props: props(&[
                    ("id", json!(street_code)),
                    ("code", json!(street_code)),
                    ("name", json!(format!("第{}街道", sy * streets_per_side + sx + 1))),
                    ("level", json!("street")),
                ]),
            });
            let per = STREET_BLOCKS / COMMUNITY_BLOCKS;
            let mut seq = 0;
            for cy in 0..per {
                for cx in 0..per {
                    let bx = sx * STREET_BLOCKS + cx * COMMUNITY_BLOCKS;
                    let by = sy * STREET_BLOCKS + cy * COMMUNITY_BLOCKS;
                    if bx >= n || by >= n {
                        continue;
                    }
                    seq += 1;
                    let code = format!("{street_code}{seq:03}");
                    let (cx0, cy0) = (bx as f64 * BLOCK_M, by as f64 * BLOCK_M);
                    city.layers.admin_areas.push(Feature {
                        geometry: Geometry::Polygon(rect(
                            cx0,
                            cy0,
                            (cx0 + COMMUNITY_BLOCKS as f64 * BLOCK_M).min(side),
                            (cy0 + COMMUNITY_BLOCKS as f64 * BLOCK_M).min(side),
                        )),
                        props: props(&[
                            ("id", json!(code)),
                            ("code", json!(code)),
                            ("name", json!(format!("第{}街道第{}社区", sy * streets_per_side + sx + 1, seq))),
                            ("level", json!("community")),
                            ("parent", json!(street_code)),
                        ]),
                    });
                    // One community service station per community, at its south-west corner.
                    city.layers.facilities.push(point_feature(
                        cx0 + 25.0,
                        cy0 + 25.0,
                        &code,
                        "service_station",
                        "社区党群服务站",
                    ));
                }
            }
            city.layers.facilities.push(point_feature(
                x0 + 60.0,
                y0 + 40.0,
                &street_code,
                "party_service_centre",
                "街道党群服务中心",
            ));
        }
    }

    // Blocks, in row-major order so the household total is reached deterministically.
    for by in 0..n {
        for bx in 0..n {
            let (x0, y0) = (bx as f64 * BLOCK_M + ROAD_HALF_M, by as f64 * BLOCK_M + ROAD_HALF_M);
            let (x1, y1) = ((bx + 1) as f64 * BLOCK_M - ROAD_HALF_M, (by + 1) as f64 * BLOCK_M - ROAD_HALF_M);
            let block_id = format!("b{bx}_{by}");
            let ry = river_y((x0 + x1) / 2.0, side, phase);
            if (y0 - 40.0..y1 + 40.0).contains(&ry) {
                continue; // the river and its banks
            }
            let roll: f64 = rng.random();
            if roll < 0.06 {
                let kind = SPECIAL_KINDS[rng.random_range(0..SPECIAL_KINDS.len())];
                special_block(&mut city, &mut rng, &block_id, kind, (x0, y0, x1, y1));
                continue;
            }
            if roll < 0.10 || remaining == 0 {
                city.layers.facilities.push(point_feature((x0 + x1) / 2.0, (y0 + y1) / 2.0, &block_id, "park", "公园"));
                continue;
            }
            let compound_id = format!("c{bx}_{by}");
            let placed =
                compound_block(&mut city, &mut rng, &compound_id, (x0, y0, x1, y1), &mut remaining, &mut building_seq);
            if placed > 0 {
                city.layers.compounds.push(Feature {
                    geometry: Geometry::Polygon(rect(x0, y0, x1, y1)),
                    props: props(&[("id", json!(compound_id)), ("name", json!(format!("小区{bx}-{by}")))]),
                });
            }
            if rng.random::<f64>() < 0.12 {
                city.layers.facilities.push(point_feature(x0 + 8.0, y1 - 8.0, &compound_id, "kindergarten", "幼儿园"));
            }
            if rng.random::<f64>() < 0.08 {
                city.layers.facilities.push(point_feature(x1 - 8.0, y0 + 8.0, &compound_id, "market", "菜市场"));
            }
            if rng.random::<f64>() < 0.05 {
                city.layers.facilities.push(point_feature(
                    x1 - 8.0,
                    y1 - 8.0,
                    &compound_id,
                    "clinic",
                    "社区卫生服务站",
                ));
            }
        }
    }
    city.households = params.households - remaining;
    roads(&mut city, n, side, phase);
    city
}

fn point_feature(x: f64, y: f64, owner: &str, kind: &str, name: &str) -> Feature {
    Feature {
        geometry: Geometry::Point(Point::new(x, y)),
        props: props(&[("id", json!(format!("{kind}:{owner}"))), ("kind", json!(kind)), ("name", json!(name))]),
    }
}

fn special_block(
    city: &mut SynthCity,
    rng: &mut impl Rng,
    id: &str,
    kind: &str,
    (x0, y0, x1, y1): (f64, f64, f64, f64),
) {
    let staff = rng.random_range(80..3000u32);
    city.layers.special_units.push(Feature {
        geometry: Geometry::Polygon(rect(x0, y0, x1, y1)),
        props: props(&[
            ("id", json!(format!("s:{id}"))),
            ("kind", json!(kind)),
            ("name", json!(format!("{kind} {id}"))),
            ("staff", json!(staff)),
        ]),
    });
    let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    city.layers.buildings.push(Feature {
        geometry: Geometry::Polygon(rect(cx - 40.0, cy - 15.0, cx + 40.0, cy + 15.0)),
        props: props(&[
            ("id", json!(format!("sb:{id}"))),
            ("kind", json!(kind)),
            ("levels", json!(4)),
            ("households", json!(0)),
        ]),
    });
    let facility = match kind {
        "school" => Some(if rng.random::<bool>() { "primary_school" } else { "middle_school" }),
        "hospital" => Some("hospital"),
        "market" => Some("market"),
        _ => None,
    };
    if let Some(f) = facility {
        city.layers.facilities.push(point_feature(cx, cy + 30.0, id, f, kind));
    }
}

/// Fills a block with walk-up slabs or towers until the block or the city's households are used up.
fn compound_block(
    city: &mut SynthCity,
    rng: &mut impl Rng,
    compound_id: &str,
    (x0, y0, x1, y1): (f64, f64, f64, f64),
    remaining: &mut u64,
    seq: &mut u64,
) -> u64 {
    let towers = rng.random::<f64>() < 0.3;
    let (w, h, cols, rows) = if towers { (24.0, 24.0, 3, 3) } else { (60.0, 12.0, 2, 5) };
    let fill = rng.random_range(0.5..=1.0);
    let slots = ((cols * rows) as f64 * fill).ceil() as usize;
    let (gx, gy) = ((x1 - x0) / cols as f64, (y1 - y0) / rows as f64);
    let mut placed = 0;
    for k in 0..slots {
        if *remaining == 0 {
            break;
        }
        let (c, r) = (k % cols, k / cols);
        let (cx, cy) = (x0 + (c as f64 + 0.5) * gx, y0 + (r as f64 + 0.5) * gy);
        let levels: u32 = if towers { rng.random_range(11..=33) } else { rng.random_range(5..=7) };
        // A rare over-sized slab (> 500 households) exercises "a building above the band is its own grid".
        let per_floor: u32 = if towers {
            rng.random_range(4..=8)
        } else if rng.random::<f64>() < 0.002 {
            90
        } else {
            rng.random_range(5..=8)
        };
        let hh = u64::from(levels * per_floor).min(*remaining);
        *remaining -= hh;
        *seq += 1;
        placed += hh;
        city.layers.buildings.push(Feature {
            geometry: Geometry::Polygon(rect(cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0)),
            props: props(&[
                ("id", json!(format!("B{seq}"))),
                ("kind", json!(if towers { "apartments" } else { "residential" })),
                ("levels", json!(levels)),
                ("households", json!(hh)),
                ("compound", json!(compound_id)),
            ]),
        });
    }
    placed
}

/// Road centrelines on every grid line: the walk network (ways between intersections, shared node ids) and,
/// for secondary and above, barriers. Plus the river.
fn roads(city: &mut SynthCity, n: usize, side: f64, phase: f64) {
    let node = |i: usize, j: usize| (j * (n + 1) + i) as i64 + 1;
    for horizontal in [true, false] {
        for line in 0..=n {
            let class = road_class(line);
            let mut barrier: Vec<Coord> = Vec::new();
            for seg in 0..n {
                let (a, b, ida, idb) = if horizontal {
                    let y = line as f64 * BLOCK_M;
                    (
                        Coord { x: seg as f64 * BLOCK_M, y },
                        Coord { x: (seg + 1) as f64 * BLOCK_M, y },
                        node(seg, line),
                        node(seg + 1, line),
                    )
                } else {
                    let x = line as f64 * BLOCK_M;
                    (
                        Coord { x, y: seg as f64 * BLOCK_M },
                        Coord { x, y: (seg + 1) as f64 * BLOCK_M },
                        node(line, seg),
                        node(line, seg + 1),
                    )
                };
                let id = format!("{}{line}_{seg}", if horizontal { "h" } else { "v" });
                city.layers.walk_network.push(Feature {
                    geometry: Geometry::LineString(LineString::new(vec![a, b])),
                    props: props(&[("id", json!(id)), ("class", json!(class)), ("node_ids", json!([ida, idb]))]),
                });
                if barrier.is_empty() {
                    barrier.push(a);
                }
                barrier.push(b);
            }
            if class != "residential" {
                let id = format!("{}{line}", if horizontal { "H" } else { "V" });
                city.layers.barriers.push(Feature {
                    geometry: Geometry::LineString(LineString::new(barrier)),
                    props: props(&[("id", json!(id)), ("class", json!(class))]),
                });
            }
        }
    }
    let steps = (n * 8).max(16);
    let river: Vec<Coord> = (0..=steps)
        .map(|k| {
            let x = side * k as f64 / steps as f64;
            Coord { x, y: river_y(x, side, phase) }
        })
        .collect();
    city.layers.barriers.push(Feature {
        geometry: Geometry::LineString(LineString::new(river)),
        props: props(&[("id", json!("river")), ("class", json!("river")), ("name", json!("倭肯河"))]),
    });
}

/// Spacing of lattice buildings, m.
pub const LATTICE_SPACING_M: f64 = 40.0;
/// Households of every lattice building (a 3 × 3 compound holds 450: one basic grid).
pub const LATTICE_HOUSEHOLDS: u32 = 50;

/// The benchmark lattice of issue #3: `side` × `side` buildings of 50 households, 40 m apart, grouped in
/// 3 × 3 compounds, with a trunk road between two compound columns near the middle; one street and one
/// community cover it. The instance GerryChain and spopt are compared on.
pub fn lattice(side: usize) -> SynthCity {
    let mut city = SynthCity { blocks_per_side: side, ..Default::default() };
    let s = LATTICE_SPACING_M;
    let road_col = 3 * (side / 6).max(1); // the road runs between column road_col - 1 and road_col
    for j in 0..side {
        for i in 0..side {
            let (x, y) = (i as f64 * s, j as f64 * s);
            city.layers.buildings.push(Feature {
                geometry: Geometry::Polygon(rect(x - 8.0, y - 8.0, x + 8.0, y + 8.0)),
                props: props(&[
                    ("id", json!(format!("L{i}_{j}"))),
                    ("kind", json!("residential")),
                    ("households", json!(LATTICE_HOUSEHOLDS)),
                    ("compound", json!(format!("K{}_{}", i / 3, j / 3))),
                ]),
            });
        }
    }
    for cj in 0..side.div_ceil(3) {
        for ci in 0..side.div_ceil(3) {
            let (x0, y0) = (ci as f64 * 3.0 * s - 15.0, cj as f64 * 3.0 * s - 15.0);
            let (x1, y1) =
                (((ci * 3 + 3).min(side) as f64 - 1.0) * s + 15.0, ((cj * 3 + 3).min(side) as f64 - 1.0) * s + 15.0);
            city.layers.compounds.push(Feature {
                geometry: Geometry::Polygon(rect(x0, y0, x1, y1)),
                props: props(&[("id", json!(format!("K{ci}_{cj}")))]),
            });
        }
    }
    let (lo, hi) = (-s / 2.0, (side as f64 - 0.5) * s);
    for (level, id) in [("street", "230904001"), ("community", "230904001001")] {
        let mut p = props(&[
            ("id", json!(id)),
            ("code", json!(id)),
            ("name", json!(format!("lattice {level}"))),
            ("level", json!(level)),
        ]);
        if level == "community" {
            p.insert("parent".into(), json!("230904001"));
        }
        city.layers.admin_areas.push(Feature { geometry: Geometry::Polygon(rect(lo, lo, hi, hi)), props: p });
    }
    let x = (road_col as f64 - 0.5) * s;
    city.layers.barriers.push(Feature {
        geometry: Geometry::LineString(LineString::new(vec![Coord { x, y: lo - 10.0 }, Coord { x, y: hi + 10.0 }])),
        props: props(&[("id", json!("trunk")), ("class", json!("trunk"))]),
    });
    city.households = (side * side) as u64 * u64::from(LATTICE_HOUSEHOLDS);
    city
}

/// Writes a synthetic city as WGS84 GeoJSON layers plus `plan.toml` and `synth.json` (staged).
pub fn write_city(params: &SynthParams, out: &Path) -> Result<SynthCity, OutputError> {
    write_layers_of(generate(params), params, out)
}

/// Writes the benchmark lattice (see [`lattice`]) like a city.
pub fn write_lattice(side: usize, out: &Path) -> Result<SynthCity, OutputError> {
    let city = lattice(side);
    let params = SynthParams::new(city.households, 1);
    write_layers_of(city, &params, out)
}

fn write_layers_of(city: SynthCity, params: &SynthParams, out: &Path) -> Result<SynthCity, OutputError> {
    let side =
        city.blocks_per_side as f64 * if city.layers.walk_network.is_empty() { LATTICE_SPACING_M } else { BLOCK_M };
    // The grid's centre sits on the requested WGS84 centre.
    let proj = LocalProjection::centred_on(params.centre.0, params.centre.1);
    let mut wgs84 = city.layers.clone();
    wgs84.map_coords(|c| {
        let (lon, lat) = proj.inverse(c.x - side / 2.0, c.y - side / 2.0);
        Coord { x: lon, y: lat }
    });
    let staged = StagedDir::new(out, "synth")?;
    let layers = write_layers(&staged, "", &wgs84, None)?;
    let mut config = PlanConfig::default();
    config.plan.name = format!("synth-{}-seed{}", params.households, params.seed);
    config.plan.seed = params.seed;
    let header = format!(
        "Synthetic city from `gridplan synth --households {} --seed {}`: {} blocks of {BLOCK_M} m a side.",
        params.households, params.seed, city.blocks_per_side
    );
    staged.write("plan.toml", plan_toml(&header, &layers, &config).as_bytes())?;
    let summary = json!({
        "households": city.households,
        "seed": params.seed,
        "blocks_per_side": city.blocks_per_side,
        "buildings": city.layers.buildings.len(),
        "compounds": city.layers.compounds.len(),
        "admin_areas": city.layers.admin_areas.len(),
        "facilities": city.layers.facilities.len(),
        "special_units": city.layers.special_units.len(),
        "barriers": city.layers.barriers.len(),
        "walk_ways": city.layers.walk_network.len(),
    });
    staged.write("synth.json", serde_json::to_string_pretty(&summary).map_err(std::io::Error::other)?.as_bytes())?;
    staged.commit()?;
    Ok(city)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_exactly_the_requested_households_deterministically() {
        for (h, seed) in [(1_000, 1), (12_345, 7), (60_000, 3)] {
            let a = generate(&SynthParams::new(h, seed));
            assert_eq!(a.households, h);
            let total: u64 =
                a.layers.buildings.iter().map(|b| b.props["households"].as_u64().unwrap_or(0)).sum::<u64>();
            assert_eq!(total, h);
            let b = generate(&SynthParams::new(h, seed));
            assert_eq!(a.layers.buildings.len(), b.layers.buildings.len());
            assert_eq!(
                a.layers.buildings.iter().map(|f| f.geometry.clone()).collect::<Vec<_>>(),
                b.layers.buildings.iter().map(|f| f.geometry.clone()).collect::<Vec<_>>()
            );
        }
    }
}
