//! `[layers]`: the input layers, their formats, encodings and field names.

use crate::crs::Crs;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

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
    /// ESRI Shapefile (`.shp` with its `.dbf`; the `.cpg` names the text encoding).
    Shapefile,
    /// GeoPackage (`.gpkg`, QGIS's default): one feature table, named by `layer` when the file has several.
    #[serde(alias = "gpkg")]
    Geopackage,
    /// Excel or WPS workbook (`.xlsx`, `.xls`, `.ods`): one sheet with a header row and lon/lat columns, named
    /// by `layer` when not the first.
    #[serde(alias = "xlsx")]
    Excel,
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
        } else if name.ends_with(".shp") {
            Some(Format::Shapefile)
        } else if name.ends_with(".gpkg") {
            Some(Format::Geopackage)
        } else if name.ends_with(".xlsx") || name.ends_with(".xls") || name.ends_with(".ods") {
            Some(Format::Excel)
        } else {
            None
        }
    }
}

/// The text encoding of a CSV file: any label of the WHATWG Encoding Standard that `encoding_rs` knows
/// (`utf-8`, `gbk`, `gb18030`, `big5`, `shift_jis`, `euc-kr`, `windows-1252`, `iso-8859-1`, …). UTF-8 by
/// default, with or without a BOM; `gbk` is what Excel and WPS write on Chinese Windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Encoding(&'static encoding_rs::Encoding);

impl Encoding {
    /// UTF-8.
    pub const UTF8: Encoding = Encoding(encoding_rs::UTF_8);
    /// GBK (decoded as its superset GB18030, as the Encoding Standard does).
    pub const GBK: Encoding = Encoding(encoding_rs::GBK);

    /// The encoding a label names (`utf8` is accepted for `utf-8`).
    pub fn for_label(label: &str) -> Option<Encoding> {
        let label = label.trim().to_ascii_lowercase();
        let label = if label == "utf8" { "utf-8".to_string() } else { label };
        encoding_rs::Encoding::for_label(label.as_bytes()).map(Encoding)
    }

    /// The `encoding_rs` encoding.
    pub fn get(self) -> &'static encoding_rs::Encoding {
        self.0
    }

    /// Its canonical name, lower case (`utf-8`, `gbk`, `windows-1252`).
    pub fn name(self) -> String {
        self.0.name().to_ascii_lowercase()
    }
}

impl Default for Encoding {
    fn default() -> Self {
        Encoding::UTF8
    }
}

impl TryFrom<String> for Encoding {
    type Error = String;
    fn try_from(label: String) -> Result<Self, String> {
        Encoding::for_label(&label).ok_or_else(|| {
            format!(
                "unknown encoding {label:?}: use a label of the Encoding Standard such as \"utf-8\", \"gbk\", \"gb18030\", \"big5\" or \"windows-1252\""
            )
        })
    }
}

impl From<Encoding> for String {
    fn from(e: Encoding) -> String {
        e.name()
    }
}

/// The character between CSV fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Delimiter {
    /// `,` (the default where a file does not say otherwise).
    #[serde(rename = ",")]
    Comma,
    /// `;`, what Excel writes where the comma is the decimal mark (most of Europe and South America).
    #[serde(rename = ";")]
    Semicolon,
    /// A tab.
    #[serde(rename = "\t", alias = "tab")]
    Tab,
    /// `|`.
    #[serde(rename = "|")]
    Pipe,
}

impl Delimiter {
    /// The byte.
    pub fn byte(self) -> u8 {
        match self {
            Delimiter::Comma => b',',
            Delimiter::Semicolon => b';',
            Delimiter::Tab => b'\t',
            Delimiter::Pipe => b'|',
        }
    }

    /// How it is written in a plan.
    pub fn label(self) -> &'static str {
        match self {
            Delimiter::Comma => ",",
            Delimiter::Semicolon => ";",
            Delimiter::Tab => "\\t",
            Delimiter::Pipe => "|",
        }
    }

    /// Every delimiter, in the order sniffing prefers on a tie.
    pub const ALL: [Delimiter; 4] = [Delimiter::Comma, Delimiter::Semicolon, Delimiter::Tab, Delimiter::Pipe];
}

/// The decimal mark of numbers written as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DecimalMark {
    /// `1234.5` or `1,234.5` (China, the English-speaking world).
    #[serde(rename = ".")]
    Point,
    /// `1234,5` or `1.234,5` (most of Europe and South America).
    #[serde(rename = ",")]
    Comma,
}

/// `[layers.NAME]`: one input layer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerSpec<F> {
    /// Path, relative to the plan file (inside the plan's folder unless `[plan] allow_outside_paths`).
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
    /// Field delimiter (CSV only); sniffed from the header line when absent, with a note when not `,`.
    #[serde(default)]
    pub delimiter: Option<Delimiter>,
    /// Decimal mark of numbers written as text; when absent `,` for `;`-separated CSV (with a note), else `.`.
    #[serde(default)]
    pub decimal: Option<DecimalMark>,
    /// The table of a GeoPackage or the sheet of a workbook; when absent the only table, or the first sheet.
    #[serde(default)]
    pub layer: Option<String>,
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
        /// Stairwells (单元) or entrances; default `units`, `entrances`, `building:units` or `单元数`. A building
        /// with more households than a micro-grid gets one micro-grid per stairwell.
        units,
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
