//! Records → model items, one function per layer. Geometry stays in WGS84 degrees here; [`super::project`]
//! moves it to local metres afterwards. Each item keeps its [`Item`] so later checks can point at it.

use super::error::{Item, LoadError};
use super::fields::{self, Column, limits, resolve};
use super::geometry::to_wgs84;
use super::source::{Record, Table};
use crate::config::*;
use crate::crs::Crs;
use crate::model::*;
use geo::{Geometry, InteriorPoint, LineString, MultiPolygon, Point};

/// A parsed layer: items plus where each came from.
#[derive(Debug, Clone)]
pub struct Parsed<T> {
    /// Items in file order.
    pub items: Vec<T>,
    /// The position of each item in its file.
    pub sources: Vec<Item>,
    /// A reference to another layer's id, per item, resolved later: a building's compound, a household's
    /// building.
    pub refs: Vec<Option<String>>,
}

impl<T> Parsed<T> {
    fn with_capacity(n: usize) -> Self {
        Parsed { items: Vec::with_capacity(n), sources: Vec::with_capacity(n), refs: Vec::with_capacity(n) }
    }

    fn push(&mut self, item: T, source: &Item, reference: Option<String>) {
        self.items.push(item);
        self.sources.push(source.clone());
        self.refs.push(reference);
    }
}

const LON: &[&str] = &["lon", "lng", "longitude", "x", "经度", "X"];
const LAT: &[&str] = &["lat", "latitude", "y", "纬度", "Y"];

struct Ctx<'a> {
    table: &'a Table,
    crs: Crs,
    lon: Column,
    lat: Column,
}

impl<'a> Ctx<'a> {
    fn new(table: &'a Table, crs: Crs, lon: &Option<String>, lat: &Option<String>) -> Result<Self, LoadError> {
        let (lon, lat) = if table.columns.is_some() {
            (resolve(table, "lon", lon, LON)?, resolve(table, "lat", lat, LAT)?)
        } else {
            (fields::Column { key: "lon", name: None }, fields::Column { key: "lat", name: None })
        };
        Ok(Ctx { table, crs, lon, lat })
    }

    fn err(&self, rec: &Record, field: Option<&str>, value: Option<String>, rule: impl Into<String>) -> LoadError {
        LoadError::data(&self.table.path, Some(rec.item.clone()), field, value, rule)
    }

    /// The record's geometry in WGS84: GeoJSON geometry, or a point from the lon/lat columns.
    fn geometry(&self, rec: &Record) -> Result<Option<Geometry<f64>>, LoadError> {
        if let Some(g) = &rec.geometry {
            return to_wgs84(g, self.crs, &self.table.path, &rec.item).map(Some);
        }
        if self.lon.name.is_none() && self.lat.name.is_none() {
            return Ok(None);
        }
        let lon = fields::number(self.table, rec, &self.lon)?;
        let lat = fields::number(self.table, rec, &self.lat)?;
        match (lon, lat) {
            (Some(x), Some(y)) => {
                to_wgs84(&Geometry::Point(Point::new(x, y)), self.crs, &self.table.path, &rec.item).map(Some)
            }
            (None, None) => Ok(None),
            _ => Err(self.err(rec, self.lon.name.as_deref(), None, "a row needs both longitude and latitude")),
        }
    }

    fn no_geometry(&self, rec: &Record) -> LoadError {
        let rule = if self.table.columns.is_some() {
            "the row has no coordinates (lon/lat columns are empty or missing)"
        } else {
            "the feature has no geometry"
        };
        self.err(rec, Some("geometry"), Some("null".into()), rule)
    }

    fn require_geometry(&self, rec: &Record) -> Result<Geometry<f64>, LoadError> {
        self.geometry(rec)?.ok_or_else(|| self.no_geometry(rec))
    }

    fn polygon(&self, rec: &Record) -> Result<MultiPolygon, LoadError> {
        match self.require_geometry(rec)? {
            Geometry::Polygon(p) => Ok(MultiPolygon::new(vec![p])),
            Geometry::MultiPolygon(mp) => Ok(mp),
            other => Err(self.err(
                rec,
                Some("geometry"),
                Some(kind_name(&other).into()),
                "must be a Polygon or MultiPolygon",
            )),
        }
    }

    fn lines(&self, rec: &Record) -> Result<Vec<LineString>, LoadError> {
        match self.require_geometry(rec)? {
            Geometry::LineString(l) => Ok(vec![l]),
            Geometry::MultiLineString(m) => Ok(m.0),
            other => Err(self.err(
                rec,
                Some("geometry"),
                Some(kind_name(&other).into()),
                "must be a LineString or MultiLineString",
            )),
        }
    }
}

fn kind_name(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "Point",
        Geometry::MultiPoint(_) => "MultiPoint",
        Geometry::LineString(_) => "LineString",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::Polygon(_) => "Polygon",
        Geometry::MultiPolygon(_) => "MultiPolygon",
        Geometry::GeometryCollection(_) => "GeometryCollection",
        _ => "another geometry type",
    }
}

fn point_of(g: &Geometry<f64>) -> Option<Point> {
    match g {
        Geometry::Point(p) => Some(*p),
        Geometry::Polygon(p) => super::geometry::representative_point(&MultiPolygon::new(vec![p.clone()])),
        Geometry::MultiPolygon(mp) => super::geometry::representative_point(mp),
        other => other.interior_point(),
    }
}

/// Placeholder point for geometry computed after projection.
fn origin() -> Point {
    Point::new(0.0, 0.0)
}

/// Buildings.
pub fn buildings(table: &Table, crs: Crs, f: &BuildingFields) -> Result<Parsed<Building>, LoadError> {
    let ctx = Ctx::new(table, crs, &f.lon, &f.lat)?;
    let id = resolve(table, "id", &f.id, &["id", "osm_id", "编号"])?;
    let households = resolve(table, "households", &f.households, &["households", "户数"])?;
    let persons = resolve(table, "persons", &f.persons, &["persons", "人口", "人数"])?;
    let elderly = resolve(table, "elderly", &f.elderly, &["elderly", "老年人"])?;
    let levels = resolve(table, "levels", &f.levels, &["levels", "building:levels", "层数"])?;
    let height = resolve(table, "height", &f.height, &["height", "高度"])?;
    let kind = resolve(table, "kind", &f.kind, &["kind", "building", "类型"])?;
    let name = resolve(table, "name", &f.name, &["name", "名称"])?;
    let compound = resolve(table, "compound", &f.compound, &["compound", "小区"])?;
    let footprint_m2 = resolve(table, "footprint_m2", &f.footprint_m2, &["footprint_m2", "占地面积"])?;
    let units = resolve(table, "units", &f.units, &["units", "entrances", "building:units", "单元数"])?;
    let mut out = Parsed::with_capacity(table.records.len());
    for rec in &table.records {
        let geometry = ctx.require_geometry(rec)?;
        let (footprint, point) = match geometry {
            Geometry::Polygon(p) => (Some(MultiPolygon::new(vec![p])), origin()),
            Geometry::MultiPolygon(mp) => (Some(mp), origin()),
            Geometry::Point(p) => (None, p),
            other => {
                return Err(ctx.err(
                    rec,
                    Some("geometry"),
                    Some(kind_name(&other).into()),
                    "a building must be a Polygon, MultiPolygon or Point",
                ));
            }
        };
        let given_area = fields::measure(table, rec, &footprint_m2, limits::FOOTPRINT_M2)?;
        let registered = fields::count(table, rec, &households, limits::HOUSEHOLDS)?;
        let building = Building {
            id: fields::record_id(rec, &id),
            footprint,
            point,
            footprint_m2: given_area.unwrap_or(0.0),
            levels: fields::measure(table, rec, &levels, limits::LEVELS)?,
            height_m: fields::measure(table, rec, &height, limits::HEIGHT_M)?,
            kind: fields::text(rec, &kind).unwrap_or_else(|| "yes".into()),
            name: fields::text(rec, &name),
            residential: false,
            households: registered.unwrap_or(0),
            persons: fields::count(table, rec, &persons, limits::PERSONS)?.unwrap_or(0),
            elderly: fields::count(table, rec, &elderly, limits::PERSONS)?,
            households_source: if registered.is_some() {
                HouseholdSource::Registered
            } else {
                HouseholdSource::Estimated
            },
            estimate_levels: None,
            compound: None,
            street: None,
            community: None,
            by_neighbours: false,
            units: fields::count(table, rec, &units, limits::UNITS)?.filter(|&n| n > 0),
            stack: None,
        };
        out.push(building, &rec.item, fields::text(rec, &compound));
    }
    Ok(out)
}

/// Household points.
pub fn households(table: &Table, crs: Crs, f: &HouseholdFields) -> Result<Parsed<Household>, LoadError> {
    let ctx = Ctx::new(table, crs, &f.lon, &f.lat)?;
    let id = resolve(table, "id", &f.id, &["id", "编号"])?;
    let households = resolve(table, "households", &f.households, &["households", "户数"])?;
    let persons = resolve(table, "persons", &f.persons, &["persons", "人口", "人数"])?;
    let elderly = resolve(table, "elderly", &f.elderly, &["elderly", "老年人"])?;
    let building = resolve(table, "building", &f.building, &["building", "楼栋"])?;
    let mut out = Parsed::with_capacity(table.records.len());
    for rec in &table.records {
        let building_ref = fields::text(rec, &building);
        let point = match ctx.geometry(rec)? {
            Some(g) => point_of(&g).ok_or_else(|| ctx.err(rec, Some("geometry"), None, "empty geometry"))?,
            // A household without coordinates is placed at its building, which must then be given.
            None if building_ref.is_some() => Point::new(f64::NAN, f64::NAN),
            None => return Err(ctx.no_geometry(rec)),
        };
        let hh = fields::count(table, rec, &households, limits::HOUSEHOLDS)?.unwrap_or(1);
        let household = Household {
            id: fields::record_id(rec, &id),
            point,
            households: hh,
            persons: fields::count(table, rec, &persons, limits::PERSONS)?.unwrap_or(0),
            elderly: fields::count(table, rec, &elderly, limits::PERSONS)?,
            building: None,
        };
        out.push(household, &rec.item, building_ref);
    }
    Ok(out)
}

/// Compounds.
pub fn compounds(table: &Table, crs: Crs, f: &CompoundFields) -> Result<Parsed<Compound>, LoadError> {
    let ctx = Ctx::new(table, crs, &f.lon, &f.lat)?;
    let id = resolve(table, "id", &f.id, &["id", "osm_id", "编号"])?;
    let name = resolve(table, "name", &f.name, &["name", "名称", "小区名称"])?;
    let mut out = Parsed::with_capacity(table.records.len());
    for rec in &table.records {
        let compound = Compound {
            id: fields::record_id(rec, &id),
            name: fields::text(rec, &name),
            polygon: ctx.polygon(rec)?,
            street: None,
            community: None,
        };
        out.push(compound, &rec.item, None);
    }
    Ok(out)
}

/// Streets and communities.
pub fn admin_areas(
    table: &Table,
    crs: Crs,
    f: &AdminFields,
    admin: &AdminParams,
) -> Result<Parsed<AdminArea>, LoadError> {
    let ctx = Ctx::new(table, crs, &f.lon, &f.lat)?;
    let id = resolve(table, "id", &f.id, &["id", "osm_id"])?;
    let code = resolve(table, "code", &f.code, &["code", "代码", "区划代码"])?;
    let name = resolve(table, "name", &f.name, &["name", "名称"])?;
    let level = resolve(table, "level", &f.level, &["level", "admin_level", "级别"])?;
    let parent = resolve(table, "parent", &f.parent, &["parent", "上级代码"])?;
    if level.name.is_none() {
        return Err(LoadError::data(
            &table.path,
            None,
            Some("level"),
            None,
            format!(
                "admin areas need a level field (street/街道, community/社区, or a number in [admin] street_levels {:?} / community_levels {:?}); fields: {}",
                admin.street_levels,
                admin.community_levels,
                table.available_fields()
            ),
        ));
    }
    let mut out = Parsed::with_capacity(table.records.len());
    for rec in &table.records {
        let raw_level = fields::text(rec, &level).unwrap_or_default();
        let Some(lvl) = AdminLevel::parse(&raw_level, admin) else {
            return Err(ctx.err(
                rec,
                level.name.as_deref(),
                Some(format!("{raw_level:?}")),
                format!(
                    "level must be street/街道, community/社区 or district/区, or a number of [admin] street_levels {:?}, community_levels {:?} or district_levels {:?}",
                    admin.street_levels, admin.community_levels, admin.district_levels
                ),
            ));
        };
        let area_id = fields::record_id(rec, &id);
        let area = AdminArea {
            name: fields::text(rec, &name).unwrap_or_else(|| area_id.clone()),
            id: area_id,
            code: fields::text(rec, &code),
            level: lvl,
            parent: fields::text(rec, &parent),
            parent_area: None,
            polygon: ctx.polygon(rec)?,
        };
        out.push(area, &rec.item, None);
    }
    Ok(out)
}

/// Facilities (polygons become their interior point).
pub fn facilities(table: &Table, crs: Crs, f: &FacilityFields) -> Result<Parsed<Facility>, LoadError> {
    facility_points(table, crs, f, true)
}

/// Candidate places for new facilities: like facilities, but the kind may be empty (a candidate for every kind).
pub fn candidates(table: &Table, crs: Crs, f: &FacilityFields) -> Result<Parsed<Facility>, LoadError> {
    facility_points(table, crs, f, false)
}

fn facility_points(
    table: &Table,
    crs: Crs,
    f: &FacilityFields,
    kind_required: bool,
) -> Result<Parsed<Facility>, LoadError> {
    let ctx = Ctx::new(table, crs, &f.lon, &f.lat)?;
    let id = resolve(table, "id", &f.id, &["id", "osm_id", "编号"])?;
    let kind = resolve(table, "kind", &f.kind, &["kind", "category", "类型"])?;
    let name = resolve(table, "name", &f.name, &["name", "名称"])?;
    let capacity = resolve(table, "capacity", &f.capacity, &["capacity", "容量"])?;
    let mut out = Parsed::with_capacity(table.records.len());
    for rec in &table.records {
        let g = ctx.require_geometry(rec)?;
        let point = point_of(&g).ok_or_else(|| ctx.err(rec, Some("geometry"), None, "empty geometry"))?;
        let k = match fields::text(rec, &kind) {
            Some(k) => k,
            None if !kind_required => String::new(),
            None => {
                return Err(ctx.err(rec, kind.name.as_deref().or(Some("kind")), None, "every facility needs a kind"));
            }
        };
        let facility = Facility {
            id: fields::record_id(rec, &id),
            kind: k,
            name: fields::text(rec, &name),
            point,
            capacity: fields::measure(table, rec, &capacity, limits::CAPACITY)?,
        };
        out.push(facility, &rec.item, None);
    }
    Ok(out)
}

/// Special units.
pub fn special_units(table: &Table, crs: Crs, f: &SpecialUnitFields) -> Result<Parsed<SpecialUnit>, LoadError> {
    let ctx = Ctx::new(table, crs, &f.lon, &f.lat)?;
    let id = resolve(table, "id", &f.id, &["id", "osm_id", "编号"])?;
    let kind = resolve(table, "kind", &f.kind, &["kind", "类型"])?;
    let name = resolve(table, "name", &f.name, &["name", "名称"])?;
    let staff = resolve(table, "staff", &f.staff, &["staff", "人数"])?;
    let mut out = Parsed::with_capacity(table.records.len());
    for rec in &table.records {
        let g = ctx.require_geometry(rec)?;
        let (polygon, point) = match g {
            Geometry::Point(p) => (None, p),
            Geometry::Polygon(p) => (Some(MultiPolygon::new(vec![p])), origin()),
            Geometry::MultiPolygon(mp) => (Some(mp), origin()),
            other => {
                return Err(ctx.err(
                    rec,
                    Some("geometry"),
                    Some(kind_name(&other).into()),
                    "a special unit must be a Point, Polygon or MultiPolygon",
                ));
            }
        };
        let Some(k) = fields::text(rec, &kind) else {
            return Err(ctx.err(rec, kind.name.as_deref().or(Some("kind")), None, "every special unit needs a kind"));
        };
        let unit = SpecialUnit {
            id: fields::record_id(rec, &id),
            kind: k,
            name: fields::text(rec, &name),
            polygon,
            point,
            staff: fields::count(table, rec, &staff, limits::STAFF)?,
        };
        out.push(unit, &rec.item, None);
    }
    Ok(out)
}

/// Barrier lines (a MultiLineString becomes one barrier per part).
pub fn barriers(table: &Table, crs: Crs, f: &BarrierFields) -> Result<Parsed<Barrier>, LoadError> {
    let ctx = Ctx::new(table, crs, &f.lon, &f.lat)?;
    let id = resolve(table, "id", &f.id, &["id", "osm_id"])?;
    let class = resolve(table, "class", &f.class, &["class", "highway", "waterway", "railway", "类型"])?;
    let name = resolve(table, "name", &f.name, &["name", "名称"])?;
    let mut out = Parsed::with_capacity(table.records.len());
    for rec in &table.records {
        let Some(c) = fields::text(rec, &class) else {
            return Err(ctx.err(
                rec,
                class.name.as_deref().or(Some("class")),
                None,
                "every barrier needs a class (trunk, primary, river, rail, …)",
            ));
        };
        let base = fields::record_id(rec, &id);
        let parts = ctx.lines(rec)?;
        let many = parts.len() > 1;
        for (i, line) in parts.into_iter().enumerate() {
            let barrier = Barrier {
                id: if many { format!("{base}:{}", i + 1) } else { base.clone() },
                class: c.clone(),
                name: fields::text(rec, &name),
                line,
            };
            out.push(barrier, &rec.item, None);
        }
    }
    Ok(out)
}

/// Walkable ways.
pub fn walk_network(table: &Table, crs: Crs, f: &WalkFields) -> Result<Parsed<WalkWay>, LoadError> {
    let ctx = Ctx::new(table, crs, &f.lon, &f.lat)?;
    let id = resolve(table, "id", &f.id, &["id", "osm_id"])?;
    let class = resolve(table, "class", &f.class, &["class", "highway"])?;
    let node_ids = resolve(table, "node_ids", &f.node_ids, &["node_ids"])?;
    let mut out = Parsed::with_capacity(table.records.len());
    for rec in &table.records {
        let base = fields::record_id(rec, &id);
        let ids = fields::id_list(table, rec, &node_ids)?;
        let parts = ctx.lines(rec)?;
        let many = parts.len() > 1;
        for (i, line) in parts.into_iter().enumerate() {
            let ids = match &ids {
                Some(v) if !many && v.len() == line.0.len() => Some(v.clone()),
                Some(v) => {
                    return Err(ctx.err(
                        rec,
                        node_ids.name.as_deref(),
                        Some(format!("{} ids", v.len())),
                        format!("needs one node id per vertex ({} vertices)", line.0.len()),
                    ));
                }
                None => None,
            };
            let way = WalkWay {
                id: if many { format!("{base}:{}", i + 1) } else { base.clone() },
                class: fields::text(rec, &class).unwrap_or_else(|| "path".into()),
                line,
                node_ids: ids,
            };
            out.push(way, &rec.item, None);
        }
    }
    Ok(out)
}

/// Registered household totals.
pub fn registers(table: &Table, f: &RegisterFields) -> Result<Parsed<Register>, LoadError> {
    let area = resolve(table, "area", &f.area, &["area", "community", "code", "社区", "名称"])?;
    let households = resolve(table, "households", &f.households, &["households", "户数"])?;
    for col in [&area, &households] {
        if col.name.is_none() {
            return Err(LoadError::data(
                &table.path,
                None,
                Some(col.key),
                None,
                format!("registers need `{}` (fields: {})", col.key, table.available_fields()),
            ));
        }
    }
    let mut out = Parsed::with_capacity(table.records.len());
    for rec in &table.records {
        let (Some(a), Some(h)) =
            (fields::text(rec, &area), fields::count(table, rec, &households, limits::AREA_HOUSEHOLDS)?)
        else {
            return Err(LoadError::data(
                &table.path,
                Some(rec.item.clone()),
                area.name.as_deref(),
                None,
                "a register row needs an area and households",
            ));
        };
        out.push(Register { area: a, households: h }, &rec.item, None);
    }
    Ok(out)
}
