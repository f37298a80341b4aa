//! Households from building footprints when no register is given, and calibration to registered totals.
//!
//! households ≈ footprint_m² × levels × dwelling_share ÷ flat_area_m² (STANDARDS: 0.85 and 90 m²); levels
//! are the tagged value, else height ÷ storey height, else the city default. Single-household kinds
//! (house, detached, bungalow) hold one household.

use crate::config::EstimateParams;
use crate::model::LevelsSource;

/// Levels to use for a building and where they came from.
pub fn levels_for(levels: Option<f64>, height_m: Option<f64>, params: &EstimateParams) -> (f64, LevelsSource) {
    if let Some(l) = levels.filter(|l| l.is_finite() && *l >= 1.0) {
        return (l, LevelsSource::Tagged);
    }
    if let Some(h) = height_m.filter(|h| h.is_finite() && *h > 0.0) {
        return ((h / params.storey_height_m).round().max(1.0), LevelsSource::Height);
    }
    (params.default_levels, LevelsSource::Default)
}

/// Estimated households of a residential building (not rounded).
pub fn estimated_households(
    footprint_m2: f64,
    levels: Option<f64>,
    height_m: Option<f64>,
    kind: &str,
    params: &EstimateParams,
) -> (f64, f64, LevelsSource) {
    if params.single_household_kinds.iter().any(|k| k == kind) {
        return (1.0, 1.0, LevelsSource::SingleHousehold);
    }
    let (levels, source) = levels_for(levels, height_m, params);
    (footprint_m2 * levels * params.dwelling_share / params.flat_area_m2, levels, source)
}

/// Rounds `values` × `factor` to integers whose sum is exactly `round(Σ values × factor)` (largest
/// remainder, ties to the lower index, so the result is deterministic).
pub fn apportion_rounded(values: &[f64], target_total: u64) -> Vec<u32> {
    let total: f64 = values.iter().sum();
    if values.is_empty() || total <= 0.0 {
        return vec![0; values.len()];
    }
    let scale = target_total as f64 / total;
    let exact: Vec<f64> = values.iter().map(|v| v * scale).collect();
    let mut out: Vec<u32> = exact.iter().map(|x| x.floor() as u32).collect();
    let assigned: u64 = out.iter().map(|&x| u64::from(x)).sum();
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())).then(a.cmp(&b)));
    for &i in order.iter().take(target_total.saturating_sub(assigned) as usize) {
        out[i] += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_formula() {
        let p = EstimateParams::default();
        // 1,059.1 m² × 7 × 0.85 ÷ 90 = 70.0 (the Harbin dataset's building w208855952).
        let (h, l, s) = estimated_households(1059.1, None, None, "yes", &p);
        assert!((h - 70.02).abs() < 0.01 && l == 7.0 && s == LevelsSource::Default);
        assert_eq!(levels_for(Some(18.0), Some(3.0), &p), (18.0, LevelsSource::Tagged));
        assert_eq!(levels_for(None, Some(31.0), &p), (10.0, LevelsSource::Height));
        assert_eq!(estimated_households(400.0, Some(3.0), None, "house", &p).0, 1.0);
    }

    #[test]
    fn apportionment_hits_the_total_exactly() {
        let v = [10.4, 20.4, 30.2];
        let r = apportion_rounded(&v, 100);
        assert_eq!(r.iter().sum::<u32>(), 100);
        assert_eq!(r, vec![17, 33, 50]);
        assert_eq!(apportion_rounded(&[0.0, 0.0], 5), vec![0, 0]);
    }
}
