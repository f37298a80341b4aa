//! The plan file (`plan.toml`): which layers to read and how, and every parameter with its documented
//! default. Parsed once into typed values; unknown keys are errors that name the key.

use crate::crs::Crs;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Errors reading or checking a plan file.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The file could not be read.
    #[error("{path}: cannot read the plan file: {source}")]
    Io {
        /// Plan file.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// TOML syntax, an unknown key or a wrongly typed value.
    #[error("{path}: {message}")]
    Toml {
        /// Plan file.
        path: PathBuf,
        /// The parser's message, which names the key and the line.
        message: String,
    },
    /// A value that parses but breaks a rule.
    #[error("{path}: `{key}` = {value}: {rule}")]
    Invalid {
        /// Plan file.
        path: PathBuf,
        /// Dotted key.
        key: String,
        /// The value given.
        value: String,
        /// The rule it breaks.
        rule: String,
    },
}

/// A whole plan file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanConfig {
    /// General settings.
    #[serde(default)]
    pub plan: PlanSection,
    /// Input layers.
    #[serde(default)]
    pub layers: Layers,
    /// Household estimation from footprints.
    #[serde(default)]
    pub estimate: EstimateParams,
    /// Household bands per level.
    #[serde(default)]
    pub bands: Bands,
    /// Which barrier classes grids must not cross.
    #[serde(default)]
    pub barriers: BarrierParams,
    /// Walking-coverage thresholds.
    #[serde(default)]
    pub coverage: CoverageParams,
    /// How grids are drawn.
    #[serde(default)]
    pub partition: PartitionParams,
    /// Which special units become dedicated grids (专属网格).
    #[serde(default)]
    pub dedicated: DedicatedParams,
    /// How strict loading is.
    #[serde(default)]
    pub validation: ValidationParams,
    /// Workload balance.
    #[serde(default)]
    pub workload: WorkloadParams,
}

/// `[plan]`: name, coordinate systems, seed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PlanSection {
    /// A name for the plan, used in reports.
    pub name: String,
    /// CRS of every layer that does not set its own.
    pub crs: Crs,
    /// CRS of the outputs.
    pub output_crs: Crs,
    /// Seed of every randomised step.
    pub seed: u64,
}

impl Default for PlanSection {
    fn default() -> Self {
        PlanSection { name: "plan".into(), crs: Crs::Wgs84, output_crs: Crs::Wgs84, seed: 1 }
    }
}

/// File formats the loaders read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// GeoJSON FeatureCollection (`.geojson`, `.json`, optionally `.gz`).
    Geojson,
    /// CSV with a header row and lon/lat columns.
    Csv,
    /// Parquet with lon/lat columns.
    Parquet,
}

impl Format {
    /// Guesses the format from a file name.
    pub fn from_path(path: &Path) -> Option<Format> {
        let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
        let name = name.strip_suffix(".gz").unwrap_or(&name);
        if name.ends_with(".geojson") || name.ends_with(".json") {
            Some(Format::Geojson)
        } else if name.ends_with(".csv") || name.ends_with(".txt") {
            Some(Format::Csv)
        } else if name.ends_with(".parquet") || name.ends_with(".pq") {
            Some(Format::Parquet)
        } else {
            None
        }
    }
}

/// Text encodings for CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// UTF-8 (a BOM is accepted).
    #[default]
    #[serde(alias = "utf8", alias = "utf-8")]
    Utf8,
    /// GBK / GB18030, as Excel and WPS export CSV on Chinese Windows.
    #[serde(alias = "gb18030", alias = "gb2312")]
    Gbk,
}

/// `[layers.NAME]`: one input layer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerSpec<F> {
    /// Path, relative to the plan file.
    pub path: PathBuf,
    /// Format; guessed from the extension when absent.
    #[serde(default)]
    pub format: Option<Format>,
    /// CRS; `[plan].crs` when absent.
    #[serde(default)]
    pub crs: Option<Crs>,
    /// Text encoding (CSV only).
    #[serde(default)]
    pub encoding: Encoding,
    /// Field names in the file.
    #[serde(default)]
    pub fields: F,
}

/// `[layers]`: every input layer. Only one of buildings or households is required.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layers {
    /// Buildings (polygons, or points with a footprint area or households).
    pub buildings: Option<LayerSpec<BuildingFields>>,
    /// Household points.
    pub households: Option<LayerSpec<HouseholdFields>>,
    /// Residential compounds (小区).
    pub compounds: Option<LayerSpec<CompoundFields>>,
    /// Streets and communities.
    pub admin_areas: Option<LayerSpec<AdminFields>>,
    /// Service facilities.
    pub facilities: Option<LayerSpec<FacilityFields>>,
    /// Dedicated-grid candidates.
    pub special_units: Option<LayerSpec<SpecialUnitFields>>,
    /// Barrier lines.
    pub barriers: Option<LayerSpec<BarrierFields>>,
    /// Walkable ways.
    pub walk_network: Option<LayerSpec<WalkFields>>,
    /// Registered household totals per admin area (no geometry).
    pub registers: Option<LayerSpec<RegisterFields>>,
    /// Candidate places for new facilities (points; `kind` optional, empty = every kind). Without it, every
    /// building is a candidate.
    pub candidates: Option<LayerSpec<FacilityFields>>,
}

/// Point columns of CSV/Parquet layers.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointFields {
    /// Longitude column; default tries `lon`, `lng`, `longitude`, `x`, `经度`.
    pub lon: Option<String>,
    /// Latitude column; default tries `lat`, `latitude`, `y`, `纬度`.
    pub lat: Option<String>,
}

macro_rules! field_struct {
    ($(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* $field:ident),* $(,)? }) => {
        $(#[$doc])*
        ///
        /// Each field names a property (GeoJSON) or column (CSV/Parquet). A field named in the plan must exist;
        /// a field left out is read from its default name when the data have it.
        #[derive(Debug, Clone, Default, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            /// Id column; default `id` (or the GeoJSON feature id, or the position in the file).
            pub id: Option<String>,
            $($(#[$fdoc])* pub $field: Option<String>,)*
            /// Longitude column (CSV/Parquet).
            pub lon: Option<String>,
            /// Latitude column (CSV/Parquet).
            pub lat: Option<String>,
        }
    };
}

field_struct!(
    /// `[layers.buildings.fields]`.
    BuildingFields {
        /// Registered households; default `households`. Empty → estimated.
        households,
        /// Persons; default `persons`. Empty → households × persons_per_household.
        persons,
        /// Elderly residents; default `elderly`.
        elderly,
        /// Levels; default `levels`.
        levels,
        /// Height in metres; default `height`.
        height,
        /// Kind; default `kind` (OSM `building=*` value).
        kind,
        /// Name; default `name`.
        name,
        /// Id of the containing compound; default `compound` (else found by containment).
        compound,
        /// Footprint area in m² for point layers; default `footprint_m2`.
        footprint_m2,
    }
);

field_struct!(
    /// `[layers.households.fields]`.
    HouseholdFields {
        /// Households at the point; default `households` (else 1).
        households,
        /// Persons; default `persons`.
        persons,
        /// Elderly; default `elderly`.
        elderly,
        /// Building id; default `building` (else the building containing the point).
        building,
    }
);

field_struct!(
    /// `[layers.compounds.fields]`.
    CompoundFields {
        /// Name; default `name`.
        name,
    }
);

field_struct!(
    /// `[layers.admin_areas.fields]`.
    AdminFields {
        /// Division code; default `code`.
        code,
        /// Name; default `name`.
        name,
        /// Level (`street`/`街道`/`8`, `community`/`社区`/`10`, `district`); default `level`.
        level,
        /// Parent code; default `parent`.
        parent,
    }
);

field_struct!(
    /// `[layers.facilities.fields]`.
    FacilityFields {
        /// Kind; default `kind`.
        kind,
        /// Name; default `name`.
        name,
        /// Capacity; default `capacity`.
        capacity,
    }
);

field_struct!(
    /// `[layers.special_units.fields]`.
    SpecialUnitFields {
        /// Kind; default `kind`.
        kind,
        /// Name; default `name`.
        name,
        /// Staff or students; default `staff`.
        staff,
    }
);

field_struct!(
    /// `[layers.barriers.fields]`.
    BarrierFields {
        /// Class; default `class`.
        class,
        /// Name; default `name`.
        name,
    }
);

field_struct!(
    /// `[layers.walk_network.fields]`.
    WalkFields {
        /// Class; default `class` (or `highway`).
        class,
        /// Node ids, one per vertex (a JSON array, or `;`-separated text); default `node_ids`.
        node_ids,
    }
);

field_struct!(
    /// `[layers.registers.fields]`.
    RegisterFields {
        /// The admin area's code or name; default `area`.
        area,
        /// Registered households; default `households`.
        households,
    }
);

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
        }
    }
}

/// A household band `[min, max]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    /// Lower bound, households.
    pub min: u32,
    /// Upper bound, households.
    pub max: u32,
}

/// `[bands]`: household bands per level.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Bands {
    /// Basic grid (基础网格): 300–500.
    pub basic: Band,
    /// Community built from compounds when no community polygons exist: 1,500–4,000 (5-minute life circle).
    pub community: Band,
    /// Micro-grid (微网格): 10–50.
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
}

impl Default for PartitionParams {
    fn default() -> Self {
        PartitionParams {
            max_edge_m: 400.0,
            attempts: 200,
            undersize: UndersizePolicy::Flag,
            minor_barrier_classes: vec!["secondary".into(), "tertiary".into(), "stream".into()],
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
        DedicatedParams { group_within_m: 500.0, kinds }
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

/// A plan file with the directory its relative paths start from.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Parsed configuration.
    pub config: PlanConfig,
    /// The plan file.
    pub path: PathBuf,
    /// Directory relative layer paths are resolved against.
    pub base_dir: PathBuf,
}

impl Plan {
    /// Reads and checks a plan file.
    pub fn from_path(path: &Path) -> Result<Plan, PlanError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| PlanError::Io { path: path.to_path_buf(), source })?;
        Self::from_toml(&text, path)
    }

    /// Parses plan text; `path` is used for messages and to resolve layer paths.
    pub fn from_toml(text: &str, path: &Path) -> Result<Plan, PlanError> {
        let config: PlanConfig = toml::from_str(text)
            .map_err(|e| PlanError::Toml { path: path.to_path_buf(), message: e.to_string().trim_end().to_string() })?;
        let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let plan = Plan { config, path: path.to_path_buf(), base_dir };
        plan.check()?;
        Ok(plan)
    }

    /// Every file the plan reads: the plan itself, each layer, the workers table.
    pub fn input_paths(&self) -> Vec<PathBuf> {
        let l = &self.config.layers;
        let layers = [
            l.buildings.as_ref().map(|s| &s.path),
            l.households.as_ref().map(|s| &s.path),
            l.compounds.as_ref().map(|s| &s.path),
            l.admin_areas.as_ref().map(|s| &s.path),
            l.facilities.as_ref().map(|s| &s.path),
            l.special_units.as_ref().map(|s| &s.path),
            l.barriers.as_ref().map(|s| &s.path),
            l.walk_network.as_ref().map(|s| &s.path),
            l.registers.as_ref().map(|s| &s.path),
            l.candidates.as_ref().map(|s| &s.path),
        ];
        let mut out = vec![self.path.clone()];
        out.extend(layers.into_iter().flatten().map(|p| self.resolve(p)));
        out.extend(self.config.workload.workers_table.iter().map(|p| self.resolve(p)));
        out
    }

    /// Resolves a layer path against the plan's directory.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() { p.to_path_buf() } else { self.base_dir.join(p) }
    }

    fn invalid(&self, key: &str, value: impl std::fmt::Display, rule: &str) -> PlanError {
        PlanError::Invalid { path: self.path.clone(), key: key.into(), value: value.to_string(), rule: rule.into() }
    }

    fn check(&self) -> Result<(), PlanError> {
        let c = &self.config;
        if c.layers.buildings.is_none() && c.layers.households.is_none() {
            return Err(self.invalid("layers", "(none)", "a plan needs [layers.buildings] or [layers.households]"));
        }
        let e = &c.estimate;
        for (key, v) in [
            ("estimate.flat_area_m2", e.flat_area_m2),
            ("estimate.default_levels", e.default_levels),
            ("estimate.storey_height_m", e.storey_height_m),
            ("estimate.persons_per_household", e.persons_per_household),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(self.invalid(key, v, "must be a positive number"));
            }
        }
        if !(e.dwelling_share > 0.0 && e.dwelling_share <= 1.0) {
            return Err(self.invalid("estimate.dwelling_share", e.dwelling_share, "must be in (0, 1]"));
        }
        for (key, band) in
            [("bands.basic", c.bands.basic), ("bands.community", c.bands.community), ("bands.micro", c.bands.micro)]
        {
            if band.min == 0 || band.min > band.max {
                return Err(self.invalid(key, format!("{}–{}", band.min, band.max), "needs 0 < min ≤ max"));
            }
        }
        if !(c.partition.max_edge_m.is_finite() && c.partition.max_edge_m > 0.0) {
            return Err(self.invalid("partition.max_edge_m", c.partition.max_edge_m, "must be a positive number"));
        }
        for (kind, k) in &c.dedicated.kinds {
            if !(k.min_area_m2.is_finite() && k.min_area_m2 >= 0.0) {
                return Err(self.invalid(&format!("dedicated.kinds.{kind}.min_area_m2"), k.min_area_m2, "must be ≥ 0"));
            }
        }
        if !(c.dedicated.group_within_m.is_finite() && c.dedicated.group_within_m >= 0.0) {
            return Err(self.invalid("dedicated.group_within_m", c.dedicated.group_within_m, "must be ≥ 0"));
        }
        if c.partition.attempts == 0 {
            return Err(self.invalid("partition.attempts", 0, "must be at least 1"));
        }
        let cov = &c.coverage;
        for (key, v) in [
            ("coverage.walking_speed_m_per_s", cov.walking_speed_m_per_s),
            ("coverage.snap_limit_m", cov.snap_limit_m),
            ("coverage.detour_factor", cov.detour_factor),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(self.invalid(key, v, "must be a positive number"));
            }
        }
        if cov.detour_factor < 1.0 {
            return Err(self.invalid(
                "coverage.detour_factor",
                cov.detour_factor,
                "must be ≥ 1 (a walk is never shorter than the straight line)",
            ));
        }
        for (kind, v) in &cov.thresholds {
            if !(v.is_finite() && *v > 0.0) {
                return Err(self.invalid(&format!("coverage.thresholds.{kind}"), v, "must be a positive number"));
            }
        }
        let w = &c.workload;
        if !(w.green_max_households_per_worker > 0.0
            && w.green_max_households_per_worker <= w.yellow_max_households_per_worker
            && w.yellow_max_households_per_worker.is_finite())
        {
            return Err(self.invalid(
                "workload.yellow_max_households_per_worker",
                w.yellow_max_households_per_worker,
                "needs 0 < green_max_households_per_worker ≤ yellow_max_households_per_worker",
            ));
        }
        for v in cov.levels.iter().flatten() {
            if !(v.is_finite() && *v > 0.0) {
                return Err(self.invalid("coverage.levels", v, "every level must be a positive number"));
            }
        }
        if !(cov.search_limit_m.is_finite() && cov.search_limit_m > 0.0) {
            return Err(self.invalid("coverage.search_limit_m", cov.search_limit_m, "must be a positive number"));
        }
        for (group, kinds) in &cov.groups {
            if !cov.thresholds.contains_key(group) {
                return Err(self.invalid(
                    &format!("coverage.groups.{group}"),
                    kinds.join(", "),
                    "a group needs its own entry in [coverage.thresholds]",
                ));
            }
            if kinds.is_empty() {
                return Err(self.invalid(&format!("coverage.groups.{group}"), "[]", "a group needs at least one kind"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_named() {
        let text = "[layers.buildings]\npath = \"b.geojson\"\n[estimate]\nflat_area = 90\n";
        let err = Plan::from_toml(text, Path::new("plan.toml")).map(|_| ()).unwrap_err().to_string();
        assert!(err.contains("flat_area") && err.contains("plan.toml"), "{err}");
        let text = "[layers.buildings]\npath = \"b.geojson\"\n[layers.buildings.fields]\nhouse_holds = \"x\"\n";
        let err = Plan::from_toml(text, Path::new("plan.toml")).map(|_| ()).unwrap_err().to_string();
        assert!(err.contains("house_holds"), "{err}");
    }

    #[test]
    fn defaults_follow_the_standards() {
        let plan = Plan::from_toml("[layers.buildings]\npath = \"b.geojson\"\n", Path::new("/x/plan.toml"))
            .expect("minimal plan parses");
        let c = &plan.config;
        assert_eq!((c.bands.basic.min, c.bands.basic.max), (300, 500));
        assert_eq!((c.bands.community.min, c.bands.community.max), (1500, 4000));
        assert_eq!(c.estimate.flat_area_m2, 90.0);
        assert_eq!(c.coverage.thresholds["kindergarten"], 300.0);
        assert_eq!(plan.resolve(Path::new("b.geojson")), PathBuf::from("/x/b.geojson"));
    }

    #[test]
    fn bad_band_is_rejected() {
        let text = "[layers.buildings]\npath = \"b.geojson\"\n[bands]\nbasic = { min = 500, max = 300 }\n";
        let err = Plan::from_toml(text, Path::new("plan.toml")).map(|_| ()).unwrap_err().to_string();
        assert!(err.contains("bands.basic"), "{err}");
    }
}
