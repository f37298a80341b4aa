//! The parameters of every stage, each with its documented default (`README.md` lists them with their
//! ranges).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `[estimate]`: households from footprints, GB 50180-style (see STANDARDS).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EstimateParams {
    /// Gross floor area per dwelling, m².
    pub flat_area_m2: f64,
    /// Share of gross floor area that is dwellings (the rest is stairwells and walls).
    pub dwelling_share: f64,
    /// Levels of a residential building with neither levels nor height (the city's typical stock).
    pub default_levels: f64,
    /// Storey height for levels from height, m.
    pub storey_height_m: f64,
    /// Persons per household when persons are not given.
    pub persons_per_household: f64,
    /// Building kinds that are residential wherever they stand.
    pub residential_kinds: Vec<String>,
    /// Building kinds that are residential when inside a compound (OSM `building=yes`).
    pub residential_in_compound_kinds: Vec<String>,
    /// Building kinds that hold one household whatever their size.
    pub single_household_kinds: Vec<String>,
    /// Whether untagged buildings outside compounds may be residential by footprint, special units and
    /// neighbours (`load/untagged.rs`); false: only inside a compound.
    pub untagged_by_neighbours: bool,
    /// Smallest footprint of such a building, m².
    pub untagged_min_m2: f64,
    /// Largest footprint of such a building, m².
    pub untagged_max_m2: f64,
    /// Radius within which tagged neighbours are counted, m.
    pub untagged_radius_m: f64,
}

impl Default for EstimateParams {
    fn default() -> Self {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect();
        EstimateParams {
            flat_area_m2: 90.0,
            dwelling_share: 0.85,
            default_levels: 7.0,
            storey_height_m: 3.0,
            persons_per_household: 2.6,
            residential_kinds: s(&[
                "residential",
                "apartments",
                "house",
                "detached",
                "terrace",
                "dormitory",
                "semidetached_house",
                "bungalow",
                "住宅",
            ]),
            residential_in_compound_kinds: s(&["yes"]),
            single_household_kinds: s(&["house", "detached", "bungalow"]),
            untagged_by_neighbours: true,
            untagged_min_m2: 150.0,
            untagged_max_m2: 3000.0,
            untagged_radius_m: 300.0,
        }
    }
}

/// A household band `[min, max]` with `1 ≤ min ≤ max ≤ 1,000,000`, checked when it is made (a zero lower
/// bound would divide by zero in the partition; a band of a billion would allocate by it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawBand", into = "RawBand")]
pub struct Band {
    min: u32,
    max: u32,
}

/// The largest band bound gridplan accepts, households.
pub const BAND_LIMIT: u32 = 1_000_000;

/// A band as written in a plan, before its check.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBand {
    min: u32,
    max: u32,
}

impl Band {
    /// A band, or why it is not one.
    pub fn new(min: u32, max: u32) -> Result<Band, String> {
        if min == 0 || min > max || max > BAND_LIMIT {
            return Err(format!("the band {min}–{max} needs 1 ≤ min ≤ max ≤ {BAND_LIMIT}"));
        }
        Ok(Band { min, max })
    }

    /// Lower bound, households.
    pub fn min(self) -> u32 {
        self.min
    }

    /// Upper bound, households.
    pub fn max(self) -> u32 {
        self.max
    }

    /// Whether `households` is inside the band.
    pub fn contains(self, households: u64) -> bool {
        (u64::from(self.min)..=u64::from(self.max)).contains(&households)
    }
}

impl TryFrom<RawBand> for Band {
    type Error = String;
    fn try_from(r: RawBand) -> Result<Band, String> {
        Band::new(r.min, r.max)
    }
}

impl From<Band> for RawBand {
    fn from(b: Band) -> RawBand {
        RawBand { min: b.min, max: b.max }
    }
}

/// `[bands]`: household bands per level.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Bands {
    /// Basic grid (基础网格): 300–500.
    pub basic: Band,
    /// Community built from compounds when no community polygons exist: 1,500–4,000 (5-minute life circle).
    pub community: Band,
    /// Micro-grid (微网格) inside a basic grid: 10–50, one building or a few neighbouring ones (a 楼栋长 each).
    pub micro: Band,
}

impl Default for Bands {
    fn default() -> Self {
        Bands {
            basic: Band { min: 300, max: 500 },
            community: Band { min: 1500, max: 4000 },
            micro: Band { min: 10, max: 50 },
        }
    }
}

/// `[admin]`: how the admin-areas layer's levels map to streets and communities, and how generated
/// communities are named. Words (`street`/`街道`/`镇`, `community`/`社区`/`村`, `district`/`区`) are always
/// understood; numbers (OSM `admin_level`) follow these lists, so any country's scheme can be used.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminParams {
    /// `level` values that are streets (街道/镇); China's OSM scheme: 7, 8.
    pub street_levels: Vec<String>,
    /// `level` values that are communities (社区/村); China's OSM scheme: 9, 10.
    pub community_levels: Vec<String>,
    /// `level` values that are districts (区/县), above streets; China's OSM scheme: 5, 6.
    pub district_levels: Vec<String>,
    /// Name of a community built from compounds: `{street}` and `{n}` are replaced. Unset: `{street}第{n}社区`
    /// when the street's name is Chinese, else `{street} – community {n}`.
    pub community_name: Option<String>,
    /// Official division lists (CSV with `code` and `name` columns, as the National Bureau of Statistics
    /// publishes them): streets and communities without a code in the data take the code of the one entry of
    /// the same name within the city (`load::divisions`).
    pub division_codes: Vec<std::path::PathBuf>,
    /// The city's code prefix (e.g. `2301` for Harbin) names are matched within; inferred when absent.
    pub division_city: Option<String>,
}

impl Default for AdminParams {
    fn default() -> Self {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect();
        AdminParams {
            street_levels: s(&["7", "8"]),
            community_levels: s(&["9", "10"]),
            district_levels: s(&["5", "6"]),
            community_name: None,
            division_codes: Vec::new(),
            division_city: None,
        }
    }
}

impl AdminParams {
    /// The name of the `n`-th community built in `street` (1-based).
    pub fn community_name(&self, street: &str, n: usize) -> String {
        match &self.community_name {
            Some(pattern) => pattern.replace("{street}", street).replace("{n}", &n.to_string()),
            None if street.chars().any(is_cjk) => format!("{street}第{n}社区"),
            None => format!("{street} – community {n}"),
        }
    }
}

/// Whether a character is a CJK ideograph (the names of Chinese, Japanese and Korean places).
pub fn is_cjk(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{2FA1F}')
}

/// `[barriers]`: which classes of the barriers layer are hard.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BarrierParams {
    /// Classes no grid may cross.
    pub classes: Vec<String>,
}

impl Default for BarrierParams {
    fn default() -> Self {
        BarrierParams {
            classes: ["motorway", "trunk", "primary", "secondary", "river", "canal", "rail"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        }
    }
}

/// `[outlines]`: what grid outlines follow.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutlineParams {
    /// Walk-network classes that are streets grids are drawn along (not footways, paths or service tracks);
    /// every barrier line (road, river, rail) is followed too.
    pub road_classes: Vec<String>,
    /// Walk-network classes that divide a block shared by several grids before its footprints do (service
    /// roads inside compounds), so the boundary follows them where the assignment allows.
    pub minor_road_classes: Vec<String>,
    /// Whether compound outlines count as walls (封闭小区的围墙) that outlines follow.
    pub compound_walls: bool,
    /// How near a boundary must be to a road, river, rail or wall to count as on it, m.
    pub on_road_within_m: f64,
}

impl Default for OutlineParams {
    fn default() -> Self {
        OutlineParams {
            road_classes: crate::osm_tags::STREET_HIGHWAYS.iter().map(|s| s.to_string()).collect(),
            minor_road_classes: vec!["service".into()],
            compound_walls: true,
            on_road_within_m: 10.0,
        }
    }
}

/// How coverage distances are judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum CoverageMode {
    /// Thresholds are walking distances in metres.
    #[default]
    Distance,
    /// Thresholds are minutes at `walking_speed_m_per_s`.
    Time,
}

/// `[coverage]`: 15-minute service-circle thresholds (GB 50180-2018 defaults, see STANDARDS).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CoverageParams {
    /// Distance or time mode.
    pub mode: CoverageMode,
    /// Walking speed for time mode, m/s (1.0 ≈ 60 m/min).
    pub walking_speed_m_per_s: f64,
    /// Farthest a point may be snapped to the walk network, m.
    pub snap_limit_m: f64,
    /// Straight-line × this factor when the network cannot be used.
    pub detour_factor: f64,
    /// Threshold per facility kind (or group): metres in distance mode, minutes in time mode.
    pub thresholds: BTreeMap<String, f64>,
    /// Service-circle levels reported for every kind besides its own threshold, in the mode's unit; default
    /// 300 / 500 / 1,000 m (distance) or 5 / 10 / 15 min (time).
    pub levels: Option<Vec<f64>>,
    /// Kinds evaluated as one (e.g. `schools = ["primary_school", "middle_school", "school"]`); a group needs a
    /// threshold of its own.
    pub groups: BTreeMap<String, Vec<String>>,
    /// Network searches stop here, m (raised to the largest threshold or level): farther households get no
    /// distance, only "beyond".
    pub search_limit_m: f64,
    /// New sites suggested per kind.
    pub new_sites: usize,
}

impl CoverageParams {
    /// Metres for a value in the mode's unit.
    pub fn metres(&self, value: f64) -> f64 {
        match self.mode {
            CoverageMode::Distance => value,
            CoverageMode::Time => value * 60.0 * self.walking_speed_m_per_s,
        }
    }

    /// The report levels in metres, ascending.
    pub fn levels_m(&self) -> Vec<f64> {
        let levels = self.levels.clone().unwrap_or_else(|| match self.mode {
            CoverageMode::Distance => vec![300.0, 500.0, 1000.0],
            CoverageMode::Time => vec![5.0, 10.0, 15.0],
        });
        let mut m: Vec<f64> = levels.into_iter().map(|v| self.metres(v)).collect();
        m.sort_by(f64::total_cmp);
        m.dedup();
        m
    }
}

impl Default for CoverageParams {
    fn default() -> Self {
        let thresholds = [
            ("party_service_centre", 1000.0),
            ("middle_school", 1000.0),
            ("hospital", 1000.0),
            ("community_health_centre", 1000.0),
            ("culture", 1000.0),
            ("elderly_care", 1000.0),
            ("sports_ground", 1000.0),
            ("school", 1000.0),
            ("primary_school", 500.0),
            ("market", 500.0),
            ("service_station", 300.0),
            ("kindergarten", 300.0),
            ("elderly_day_care", 300.0),
            ("clinic", 300.0),
            ("pharmacy", 300.0),
            ("park", 300.0),
            ("shop", 300.0),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        CoverageParams {
            mode: CoverageMode::Distance,
            walking_speed_m_per_s: 1.0,
            snap_limit_m: 150.0,
            detour_factor: 1.3,
            thresholds,
            levels: None,
            groups: BTreeMap::new(),
            search_limit_m: 2000.0,
            new_sites: 3,
        }
    }
}

/// How N grid workers are shared out over the grids (every grid keeps one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Apportionment {
    /// Webster / Sainte-Laguë: divisors seats + ½ (neutral between large and small grids).
    #[default]
    #[serde(alias = "sainte-lague")]
    Webster,
    /// D'Hondt / Jefferson: divisors seats + 1 (favours large grids).
    Dhondt,
}

impl Apportionment {
    /// The name written in outputs.
    pub fn name(self) -> &'static str {
        match self {
            Apportionment::Webster => "webster",
            Apportionment::Dhondt => "dhondt",
        }
    }
}

/// `[workload]`: grid workers (一格多员) and the three-colour warning.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkloadParams {
    /// Total grid workers to share out in proportion to households; unset: one per grid.
    pub workers: Option<u32>,
    /// How `workers` are shared out.
    pub apportionment: Apportionment,
    /// A CSV of `grid_id,workers` (relative to the plan file); grids missing from it keep one.
    pub workers_table: Option<std::path::PathBuf>,
    /// Households per worker up to which a grid is green.
    pub green_max_households_per_worker: f64,
    /// Households per worker up to which a grid is yellow; above it, red (overloaded).
    pub yellow_max_households_per_worker: f64,
}

impl Default for WorkloadParams {
    fn default() -> Self {
        WorkloadParams {
            workers: None,
            apportionment: Apportionment::Webster,
            workers_table: None,
            green_max_households_per_worker: 500.0,
            yellow_max_households_per_worker: 600.0,
        }
    }
}

/// What a run does with a piece of a community that cannot hold a grid inside the band (fewer households than
/// the lower bound, or between the upper bound and twice the lower one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum UndersizePolicy {
    /// Keep it as its own grid, out of band, with its feasibility certificate (and the priced remedy of
    /// crossing the weakest barrier).
    #[default]
    Flag,
    /// Join it to the neighbouring piece across the weakest barrier of a `minor_barrier_classes` class when
    /// the joined piece can be in band; every such crossing is listed in `run.json`.
    MergeAcrossMinorBarrier,
}

/// Whether a compound that fits in one grid may be divided between grids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum CompoundPolicy {
    /// Keep compounds whole unless a piece has no in-band plan with them whole; then open the fewest
    /// compounds to building level (one if one suffices, else every compound of the piece) and list them.
    #[default]
    SplitWhenNeeded,
    /// Never divide a compound that fits in one grid; the certificate prices opening one instead.
    KeepWhole,
}

/// `[partition]`: how grids are drawn.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PartitionParams {
    /// Longest adjacency between two neighbouring buildings, m (longer Delaunay edges are not neighbours).
    pub max_edge_m: f64,
    /// Spanning trees tried per bipartition before giving up on a balanced cut.
    pub attempts: u32,
    /// What to do with pieces that cannot be in band.
    pub undersize: UndersizePolicy,
    /// Barrier classes `merge-across-minor-barrier` may cross (never trunk roads, rivers or railways by default).
    pub minor_barrier_classes: Vec<String>,
    /// Whether compounds may be divided when the band needs it.
    pub compounds: CompoundPolicy,
    /// Pieces of at most this many units are solved by exact search for the best plan first (larger ones by
    /// spanning trees, with an exact search for any plan as the fallback up to 128 units).
    pub exact_units: u32,
    /// Candidate grids the last exact search of a piece may examine before it gives up (proving nothing);
    /// the first ones get a tenth of it.
    pub exact_budget: u64,
}

impl Default for PartitionParams {
    fn default() -> Self {
        PartitionParams {
            max_edge_m: 400.0,
            attempts: 200,
            undersize: UndersizePolicy::Flag,
            minor_barrier_classes: vec!["secondary".into(), "tertiary".into(), "stream".into()],
            compounds: CompoundPolicy::SplitWhenNeeded,
            exact_units: 16,
            exact_budget: 2_000_000,
        }
    }
}

/// When a special unit of one kind stands alone as a dedicated grid.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DedicatedKind {
    /// Stands alone from this many staff/students/beds (when the layer gives them).
    pub min_staff: u32,
    /// Stands alone from this area, m² (used when staff is not given).
    pub min_area_m2: f64,
}

/// What becomes of a dedicated grid with more households than a basic grid's upper bound (a campus with
/// staff housing, a market with flats above it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum OversizePolicy {
    /// Split it along building lines into several dedicated grids of the unit, each within the basic band
    /// where a plan exists: the unit keeps its own grids and workers, and no worker holds thousands of
    /// households.
    #[default]
    Split,
    /// Keep it as one dedicated grid, with the reason in its note.
    Keep,
}

/// `[dedicated]`: special units → dedicated grids, pinned before basic grids are drawn.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DedicatedParams {
    /// Smaller units of one kind in one street closer than this (m, centre to centre) are grouped; a group
    /// that together reaches the kind's size is one dedicated grid.
    pub group_within_m: f64,
    /// Kinds that get dedicated grids, with their stand-alone sizes. Kinds not listed (parks, by default)
    /// stay in basic grids.
    pub kinds: BTreeMap<String, DedicatedKind>,
    /// Dedicated grids with more households than the basic band's upper bound.
    pub oversize: OversizePolicy,
}

impl Default for DedicatedParams {
    fn default() -> Self {
        let k = |min_staff, min_area_m2| DedicatedKind { min_staff, min_area_m2 };
        let kinds = [
            ("school", k(300, 10_000.0)),
            ("university", k(1_000, 20_000.0)),
            ("hospital", k(200, 5_000.0)),
            ("industrial", k(300, 20_000.0)),
            ("enterprise", k(300, 20_000.0)),
            ("agency", k(100, 5_000.0)),
            ("market", k(100, 5_000.0)),
        ]
        .into_iter()
        .map(|(name, v)| (name.to_string(), v))
        .collect();
        DedicatedParams { group_within_m: 500.0, kinds, oversize: OversizePolicy::Split }
    }
}

/// What to do with two features that share an id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum DuplicateIds {
    /// Stop with an error naming both (default: ids join layers, so a duplicate is ambiguous).
    #[default]
    Error,
    /// Keep both, rename the later `ID#2`, and warn.
    Rename,
}

/// `[validation]`.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ValidationParams {
    /// Duplicate-id policy.
    pub duplicate_ids: DuplicateIds,
}
