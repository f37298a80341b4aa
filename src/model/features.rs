//! Layers as plain features (a geometry and its properties), the shape in which `import-osm` and `synth`
//! produce data before writing it as GeoJSON, and in which the loaders' input starts.

use super::LayerName;
use geo::{Coord, Geometry, MapCoordsInPlace};
use serde_json::{Map, Value};

/// One feature: geometry (WGS84 degrees or local metres, as its owner says) and properties.
#[derive(Debug, Clone)]
pub struct Feature {
    /// Geometry.
    pub geometry: Geometry<f64>,
    /// Properties, written in key order.
    pub props: Map<String, Value>,
}

impl Feature {
    /// The `id` property (empty when absent).
    pub fn id(&self) -> &str {
        self.props.get("id").and_then(Value::as_str).unwrap_or_default()
    }
}

/// The layers `import-osm` and `synth` write, with the file name of each.
#[derive(Debug, Clone, Default)]
pub struct FeatureLayers {
    /// Buildings.
    pub buildings: Vec<Feature>,
    /// Compounds (小区).
    pub compounds: Vec<Feature>,
    /// Streets and communities.
    pub admin_areas: Vec<Feature>,
    /// Facilities.
    pub facilities: Vec<Feature>,
    /// Special units.
    pub special_units: Vec<Feature>,
    /// Barrier lines.
    pub barriers: Vec<Feature>,
    /// Walkable ways.
    pub walk_network: Vec<Feature>,
}

impl FeatureLayers {
    /// The layers held, with the file name each is written to.
    pub const FILES: [(LayerName, &'static str); 7] = [
        (LayerName::Buildings, "buildings.geojson"),
        (LayerName::Compounds, "compounds.geojson"),
        (LayerName::AdminAreas, "admin_areas.geojson"),
        (LayerName::Facilities, "facilities.geojson"),
        (LayerName::SpecialUnits, "special_units.geojson"),
        (LayerName::Barriers, "barriers.geojson"),
        (LayerName::WalkNetwork, "walk_network.geojson"),
    ];

    /// The features of one layer (empty for layers these never hold).
    pub fn layer(&self, name: LayerName) -> &[Feature] {
        match name {
            LayerName::Buildings => &self.buildings,
            LayerName::Compounds => &self.compounds,
            LayerName::AdminAreas => &self.admin_areas,
            LayerName::Facilities => &self.facilities,
            LayerName::SpecialUnits => &self.special_units,
            LayerName::Barriers => &self.barriers,
            LayerName::WalkNetwork => &self.walk_network,
            LayerName::Households | LayerName::Registers | LayerName::Candidates => &[],
        }
    }

    /// Applies `f` to every coordinate of every layer (e.g. local metres → WGS84).
    pub fn map_coords(&mut self, f: impl Fn(Coord) -> Coord + Copy) {
        for layer in [
            &mut self.buildings,
            &mut self.compounds,
            &mut self.admin_areas,
            &mut self.facilities,
            &mut self.special_units,
            &mut self.barriers,
            &mut self.walk_network,
        ] {
            for feature in layer.iter_mut() {
                feature.geometry.map_coords_in_place(f);
            }
        }
    }
}
