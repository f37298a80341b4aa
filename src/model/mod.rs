//! The clean, projected data model every stage works on. Geometry is in local metres (see
//! [`crate::projection`]); ids are the ones the source data gave (OSM ids are written `w123`, `r45`, `n6`).

mod dataset;
mod features;
mod warning;

pub use dataset::{Dataset, LayerInfo, LayerName};
pub use features::{Feature, FeatureLayers};
pub use warning::{Warning, WarningCode};

use geo::{LineString, MultiPolygon, Point};
use serde::Serialize;

/// Where a building's household count came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HouseholdSource {
    /// Given by the buildings layer (a register or survey).
    Registered,
    /// The sum of the household points linked to the building.
    HouseholdsLayer,
    /// Estimated from footprint × levels (see [`crate::estimate`]).
    Estimated,
    /// Not residential: no households.
    NonResidential,
}

/// Where the levels used for an estimate came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LevelsSource {
    /// The levels field (`building:levels` in OSM).
    Tagged,
    /// Height ÷ storey height.
    Height,
    /// The plan's default levels.
    Default,
    /// A single-household kind (house, detached, bungalow): one household whatever its size.
    SingleHousehold,
}

/// A building (楼栋): the smallest unit a grid may not split.
#[derive(Debug, Clone)]
pub struct Building {
    /// Source id.
    pub id: String,
    /// Footprint in local metres, when the source has polygons.
    pub footprint: Option<MultiPolygon>,
    /// A point inside the footprint (or the given point), local metres.
    pub point: Point,
    /// Footprint area in m² (computed, or given for point layers).
    pub footprint_m2: f64,
    /// Levels given in the data.
    pub levels: Option<f64>,
    /// Height in metres given in the data.
    pub height_m: Option<f64>,
    /// Building kind (OSM `building=*` value or the user's kind).
    pub kind: String,
    /// Name, if any.
    pub name: Option<String>,
    /// Whether the building holds dwellings.
    pub residential: bool,
    /// Households (户) in the building.
    pub households: u32,
    /// Resident persons.
    pub persons: u32,
    /// Elderly residents, when known.
    pub elderly: Option<u32>,
    /// Where `households` came from.
    pub households_source: HouseholdSource,
    /// Levels used for an estimate, and where they came from.
    pub estimate_levels: Option<(f64, LevelsSource)>,
    /// Index of the compound (小区) that contains it.
    pub compound: Option<usize>,
    /// Index of the street (街道) admin area that contains it.
    pub street: Option<usize>,
    /// Index of the community (社区) admin area that contains it.
    pub community: Option<usize>,
    /// Residential by the rule for untagged buildings outside compounds (`load/untagged.rs`).
    pub by_neighbours: bool,
    /// Stairwells (单元) or entrances, where the data give them.
    pub units: Option<u32>,
    /// The stack of household buildings whose footprints overlap this one's (its smallest building index):
    /// kept in one grid and one micro-grid (`load/stacked.rs`).
    pub stack: Option<usize>,
}

/// A household point (户), or a point standing for several households of one address.
#[derive(Debug, Clone)]
pub struct Household {
    /// Source id.
    pub id: String,
    /// Location, local metres.
    pub point: Point,
    /// Households at this point (default 1).
    pub households: u32,
    /// Persons.
    pub persons: u32,
    /// Elderly persons, when known.
    pub elderly: Option<u32>,
    /// Index of the building it belongs to (by id, else by containment).
    pub building: Option<usize>,
}

/// A residential compound (小区 / 居住街坊): planners keep it whole when it fits.
#[derive(Debug, Clone)]
pub struct Compound {
    /// Source id.
    pub id: String,
    /// Name, if any.
    pub name: Option<String>,
    /// Outline, local metres.
    pub polygon: MultiPolygon,
    /// Index of the street that contains its interior point.
    pub street: Option<usize>,
    /// Index of the community that contains its interior point.
    pub community: Option<usize>,
}

/// Level of an administrative area in the hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AdminLevel {
    /// 区/县 district or county.
    District,
    /// 街道/镇 street office or town.
    Street,
    /// 社区/村 community or village.
    Community,
}

impl AdminLevel {
    /// Name used in files.
    pub fn name(self) -> &'static str {
        match self {
            AdminLevel::District => "district",
            AdminLevel::Street => "street",
            AdminLevel::Community => "community",
        }
    }

    /// Parses the words planners use (`street`/`街道`/`镇`, `community`/`社区`/`村`, `district`/`区`/`县`), and
    /// numbers (OSM `admin_level`) by the plan's `[admin]` lists, so any country's scheme maps.
    pub fn parse(s: &str, admin: &crate::config::AdminParams) -> Option<Self> {
        let s = s.trim();
        let word = match s.to_lowercase().as_str() {
            "district" | "county" | "区" | "县" | "区县" => Some(AdminLevel::District),
            "street" | "town" | "subdistrict" | "街道" | "镇" | "乡" | "乡镇" => Some(AdminLevel::Street),
            "community" | "village" | "社区" | "村" | "居委会" | "村委会" => Some(AdminLevel::Community),
            _ => None,
        };
        let listed = |l: &[String]| l.iter().any(|x| x == s);
        word.or_else(|| {
            if listed(&admin.street_levels) {
                Some(AdminLevel::Street)
            } else if listed(&admin.community_levels) {
                Some(AdminLevel::Community)
            } else if listed(&admin.district_levels) {
                Some(AdminLevel::District)
            } else {
                None
            }
        })
    }
}

/// An administrative area: district, street or community polygon.
#[derive(Debug, Clone)]
pub struct AdminArea {
    /// Source id.
    pub id: String,
    /// Division code (GB/T 2260 style, 12 digits for communities) when known.
    pub code: Option<String>,
    /// Name.
    pub name: String,
    /// Level in the hierarchy.
    pub level: AdminLevel,
    /// Parent's code or id when given.
    pub parent: Option<String>,
    /// Index of the parent area (a community's street), from `parent` or by containment.
    pub parent_area: Option<usize>,
    /// Outline, local metres.
    pub polygon: MultiPolygon,
}

/// A service facility (a school, a clinic, a party-mass service centre, …).
#[derive(Debug, Clone)]
pub struct Facility {
    /// Source id.
    pub id: String,
    /// Facility kind (see [`crate::osm_tags`] for the OSM mapping; user layers may name their own).
    pub kind: String,
    /// Name, if any.
    pub name: Option<String>,
    /// Location, local metres.
    pub point: Point,
    /// Capacity (places, beds, …) when known.
    pub capacity: Option<f64>,
}

/// A unit that is not ordinary housing and may become a dedicated grid (专属网格).
#[derive(Debug, Clone)]
pub struct SpecialUnit {
    /// Source id.
    pub id: String,
    /// Kind: school, hospital, university, enterprise, industrial, agency, market, park, …
    pub kind: String,
    /// Name, if any.
    pub name: Option<String>,
    /// Outline, local metres (none for point-only units).
    pub polygon: Option<MultiPolygon>,
    /// A point inside it, local metres.
    pub point: Point,
    /// Staff, students or patients served, when known.
    pub staff: Option<u32>,
}

/// A line that grids must not cross: a main road, river or railway.
#[derive(Debug, Clone)]
pub struct Barrier {
    /// Source id.
    pub id: String,
    /// Class: `trunk`, `primary`, `secondary`, `river`, `rail`, …
    pub class: String,
    /// Name, if any.
    pub name: Option<String>,
    /// Line, local metres.
    pub line: LineString,
}

/// One walkable way of the walk network.
#[derive(Debug, Clone)]
pub struct WalkWay {
    /// Source id.
    pub id: String,
    /// Class (`footway`, `residential`, …).
    pub class: String,
    /// Line, local metres.
    pub line: LineString,
    /// Node ids shared between ways, one per vertex, when the source has them (OSM); otherwise ways are
    /// joined where vertices coincide.
    pub node_ids: Option<Vec<i64>>,
}

/// A registered household total for an admin area, used to calibrate estimates.
#[derive(Debug, Clone)]
pub struct Register {
    /// The area's code or name, as given.
    pub area: String,
    /// Registered households.
    pub households: u32,
}

/// What every located item can do: tell its extent and have its coordinates mapped (used to project
/// all layers the same way on load).
pub trait Geometric {
    /// Bounding box of the item's geometry (`None` when it has no coordinates yet).
    fn bbox(&self) -> Option<geo::Rect>;
    /// Applies `f` to every coordinate.
    fn map_coords(&mut self, f: &dyn Fn(geo::Coord) -> geo::Coord);
}

/// The box around every finite box given (`None` when there is none).
pub fn bbox_of(rects: impl Iterator<Item = Option<geo::Rect>>) -> Option<geo::Rect> {
    rects.flatten().filter(|r| r.min().x.is_finite()).reduce(|a, b| {
        geo::Rect::new(
            geo::Coord { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
            geo::Coord { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
        )
    })
}

fn finite_rect(r: Option<geo::Rect>) -> Option<geo::Rect> {
    r.filter(|r| r.min().x.is_finite() && r.min().y.is_finite())
}

macro_rules! geometric {
    ($t:ty, |$s:ident| $bbox:expr, |$m:ident, $f:ident| $map:expr) => {
        impl Geometric for $t {
            fn bbox(&self) -> Option<geo::Rect> {
                use geo::BoundingRect;
                let $s = self;
                finite_rect($bbox)
            }
            fn map_coords(&mut self, $f: &dyn Fn(geo::Coord) -> geo::Coord) {
                use geo::MapCoordsInPlace;
                let $m = self;
                $map
            }
        }
    };
}

geometric!(
    Building,
    |s| s.footprint.as_ref().and_then(|f| f.bounding_rect()).or(Some(s.point.bounding_rect())),
    |m, f| {
        m.point.map_coords_in_place(f);
        if let Some(fp) = &mut m.footprint {
            fp.map_coords_in_place(f)
        }
    }
);
geometric!(Household, |s| Some(s.point.bounding_rect()), |m, f| {
    if m.point.x().is_finite() {
        m.point.map_coords_in_place(f)
    }
});
geometric!(Compound, |s| s.polygon.bounding_rect(), |m, f| m.polygon.map_coords_in_place(f));
geometric!(AdminArea, |s| s.polygon.bounding_rect(), |m, f| m.polygon.map_coords_in_place(f));
geometric!(Facility, |s| Some(s.point.bounding_rect()), |m, f| m.point.map_coords_in_place(f));
geometric!(
    SpecialUnit,
    |s| s.polygon.as_ref().and_then(|p| p.bounding_rect()).or(Some(s.point.bounding_rect())),
    |m, f| {
        m.point.map_coords_in_place(f);
        if let Some(p) = &mut m.polygon {
            p.map_coords_in_place(f)
        }
    }
);
geometric!(Barrier, |s| s.line.bounding_rect(), |m, f| m.line.map_coords_in_place(f));
geometric!(WalkWay, |s| s.line.bounding_rect(), |m, f| m.line.map_coords_in_place(f));
