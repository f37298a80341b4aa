//! Properties of seeded synthetic cities loaded through the same path as real data.

use gridplan::config::Plan;
use gridplan::model::AdminLevel;
use gridplan::synth::{SynthParams, write_city};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Every household placed is loaded, each building lies in one community whose street contains it,
    /// and the same seed writes the same bytes.
    #[test]
    fn synthetic_cities_load_whole_and_nested(households in 1_000u64..40_000, seed in 0u64..1_000) {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = dir.path().join("a");
        write_city(&SynthParams::new(households, seed), &a).expect("write");
        let d = gridplan::load::load_plan(&Plan::from_path(&a.join("plan.toml")).expect("plan")).expect("load");
        prop_assert_eq!(d.total_households(), households);
        prop_assert!(d.warnings.is_empty(), "{:?}", d.warnings.first());
        for b in &d.buildings {
            let c = b.community.expect("every building is in a community");
            prop_assert_eq!(d.admin_areas[c].level, AdminLevel::Community);
            prop_assert_eq!(d.admin_areas[c].parent_area, b.street, "community nests in the building's street");
        }
        let b = dir.path().join("b");
        write_city(&SynthParams::new(households, seed), &b).expect("write");
        for f in ["buildings.geojson", "admin_areas.geojson", "walk_network.geojson", "plan.toml"] {
            prop_assert_eq!(std::fs::read(a.join(f)).expect("a"), std::fs::read(b.join(f)).expect("b"));
        }
    }
}
