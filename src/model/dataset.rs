//! The whole loaded input of a plan.

use super::{
    AdminArea, AdminLevel, Barrier, Building, Compound, Facility, Household, Register, SpecialUnit, WalkWay, Warning,
};
use crate::crs::Crs;
use crate::projection::LocalProjection;
use serde::Serialize;
use std::path::PathBuf;

/// The layers a plan can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LayerName {
    /// Building footprints (or points) with households.
    Buildings,
    /// Household points.
    Households,
    /// Residential compounds (小区).
    Compounds,
    /// Street and community polygons.
    AdminAreas,
    /// Service facilities.
    Facilities,
    /// Dedicated-grid candidates.
    SpecialUnits,
    /// Main roads, rivers, railways.
    Barriers,
    /// Walkable ways.
    WalkNetwork,
    /// Registered household totals per admin area.
    Registers,
    /// Places where new facilities could go (coverage site suggestions).
    Candidates,
}

impl LayerName {
    /// Every layer, in the order reports list them.
    pub const ALL: [LayerName; 10] = [
        LayerName::Buildings,
        LayerName::Households,
        LayerName::Compounds,
        LayerName::AdminAreas,
        LayerName::Facilities,
        LayerName::SpecialUnits,
        LayerName::Barriers,
        LayerName::WalkNetwork,
        LayerName::Registers,
        LayerName::Candidates,
    ];

    /// The layer's key in the plan file and the stem of its file name.
    pub fn key(self) -> &'static str {
        match self {
            LayerName::Buildings => "buildings",
            LayerName::Households => "households",
            LayerName::Compounds => "compounds",
            LayerName::AdminAreas => "admin_areas",
            LayerName::Facilities => "facilities",
            LayerName::SpecialUnits => "special_units",
            LayerName::Barriers => "barriers",
            LayerName::WalkNetwork => "walk_network",
            LayerName::Registers => "registers",
            LayerName::Candidates => "candidates",
        }
    }
}

impl std::fmt::Display for LayerName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}

/// What was read for one layer.
#[derive(Debug, Clone, Serialize)]
pub struct LayerInfo {
    /// Which layer.
    pub name: LayerName,
    /// The file it came from.
    pub path: PathBuf,
    /// The CRS its coordinates were declared in.
    pub crs: Crs,
    /// SHA-256 of the file, hex.
    pub sha256: String,
    /// Features or rows read.
    pub records: usize,
    /// The data's attribution as its file states it (OpenStreetMap's ODbL notice for imported layers).
    pub attribution: Option<String>,
}

/// Everything a plan loads, projected to local metres and cross-referenced.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// The projection all geometry is in.
    pub projection: LocalProjection,
    /// Buildings.
    pub buildings: Vec<Building>,
    /// Household points (empty when households come from buildings).
    pub households: Vec<Household>,
    /// Compounds.
    pub compounds: Vec<Compound>,
    /// Streets and communities (districts too, when given).
    pub admin_areas: Vec<AdminArea>,
    /// Facilities.
    pub facilities: Vec<Facility>,
    /// Special units.
    pub special_units: Vec<SpecialUnit>,
    /// Barriers.
    pub barriers: Vec<Barrier>,
    /// Walkable ways.
    pub walk_network: Vec<WalkWay>,
    /// Candidate places for new facilities (kind empty: a candidate for every kind).
    pub candidates: Vec<Facility>,
    /// Household registers used for calibration.
    pub registers: Vec<Register>,
    /// What was read, per layer.
    pub layers: Vec<LayerInfo>,
    /// Everything that was repaired, defaulted or reported on the way.
    pub warnings: Vec<Warning>,
    /// How streets and communities got official division codes (`[admin] division_codes`).
    pub division_codes: Option<crate::load::divisions::DivisionMatch>,
    /// When this is one shard of its input (`plan --shard I/N`): which, and what it holds.
    pub shard: Option<crate::shard::ShardInfo>,
}

impl Dataset {
    /// The attributions the layers state, distinct, joined (`None` when no layer states one).
    pub fn attribution(&self) -> Option<String> {
        let mut seen: Vec<&str> = Vec::new();
        for a in self.layers.iter().filter_map(|l| l.attribution.as_deref()) {
            if !seen.contains(&a) {
                seen.push(a);
            }
        }
        (!seen.is_empty()).then(|| seen.join("; "))
    }

    /// Total households over buildings plus household points not linked to any building.
    pub fn total_households(&self) -> u64 {
        let in_buildings: u64 = self.buildings.iter().map(|b| u64::from(b.households)).sum();
        let loose: u64 = self.households.iter().filter(|h| h.building.is_none()).map(|h| u64::from(h.households)).sum();
        in_buildings + loose
    }

    /// Admin areas of one level, with their indices.
    pub fn admin_areas_at(&self, level: AdminLevel) -> impl Iterator<Item = (usize, &AdminArea)> {
        self.admin_areas.iter().enumerate().filter(move |(_, a)| a.level == level)
    }
}
