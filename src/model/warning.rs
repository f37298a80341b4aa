//! Warnings about the input: problems that were handled (repaired, defaulted, reported) rather than fatal.

use super::LayerName;
use serde::Serialize;

/// What kind of problem a warning reports; `inspect` groups warnings by code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WarningCode {
    /// A building lies outside every street/community polygon.
    OutsideAdminAreas,
    /// A residential building has no households (a register of 0, or an estimate that rounds to 0).
    ZeroHouseholds,
    /// Two features share an id; the later one was renamed (`validation.duplicate_ids = "rename"`).
    DuplicateIdRenamed,
    /// An invalid polygon (self-intersection, spike, bad ring) was repaired.
    GeometryRepaired,
    /// A feature of a non-household layer had no usable geometry and was left out (listed here, never silent).
    GeometrySkipped,
    /// A household references a building id that does not exist, or lies in no building.
    HouseholdWithoutBuilding,
    /// A register row names an area that no admin polygon has.
    RegisterUnmatched,
    /// A value was implausible and the default was used instead (e.g. 0 levels).
    ValueReplaced,
    /// An admin area (street/community) could not be closed into a polygon and was left out.
    AdminAreaNotClosed,
    /// How a file was read was guessed (a sniffed delimiter, a decimal comma) or its text looks wrongly
    /// decoded: check the values.
    FileDialect,
    /// Household buildings whose footprints overlap (mapped over one another): kept in one grid.
    BuildingsOverlap,
}

impl WarningCode {
    /// The kebab-case code shown to users.
    pub fn name(self) -> &'static str {
        match self {
            WarningCode::OutsideAdminAreas => "outside-admin-areas",
            WarningCode::ZeroHouseholds => "zero-households",
            WarningCode::DuplicateIdRenamed => "duplicate-id-renamed",
            WarningCode::GeometryRepaired => "geometry-repaired",
            WarningCode::GeometrySkipped => "geometry-skipped",
            WarningCode::HouseholdWithoutBuilding => "household-without-building",
            WarningCode::RegisterUnmatched => "register-unmatched",
            WarningCode::ValueReplaced => "value-replaced",
            WarningCode::AdminAreaNotClosed => "admin-area-not-closed",
            WarningCode::FileDialect => "file-dialect",
            WarningCode::BuildingsOverlap => "buildings-overlap",
        }
    }
}

/// One warning about one feature or row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Warning {
    /// Layer the feature belongs to.
    pub layer: LayerName,
    /// Kind of problem.
    pub code: WarningCode,
    /// The feature: its id, or its position in the file (`feature 12`, `row 413`).
    pub item: String,
    /// What happened, in words.
    pub message: String,
}
