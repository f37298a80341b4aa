//! Plan quality (就近就便 and balance): share of grids in band, Polsby–Popper compactness of the grid
//! polygons, household-weighted walking-free distance from households to their grid's centre, and the
//! coefficient of variation of households per grid. Basic grids only: the band applies to them.

use super::Partition;
use crate::config::Band;
use geo::{Area, Euclidean, Length, MultiPolygon};
use serde::Serialize;

/// Plan metrics written to `run.json`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PlanMetrics {
    /// Basic grids.
    pub grids: usize,
    /// Share of basic grids inside the band.
    pub share_in_band: f64,
    /// Mean households per basic grid.
    pub households_per_grid_mean: f64,
    /// Coefficient of variation of households per basic grid (population standard deviation ÷ mean).
    pub households_per_grid_cv: f64,
    /// Mean Polsby–Popper score 4πA/P² of the grid polygons (1 = a disc).
    pub polsby_popper_mean: f64,
    /// Household-weighted mean straight-line distance from a household to its grid's centre, m.
    pub distance_to_centre_mean_m: f64,
    /// Largest such distance, m.
    pub distance_to_centre_max_m: f64,
}

/// Polsby–Popper score of a polygon (0 for an empty one).
pub fn polsby_popper(mp: &MultiPolygon) -> f64 {
    let perimeter: f64 =
        mp.0.iter()
            .map(|p| Euclidean.length(p.exterior()) + p.interiors().iter().map(|r| Euclidean.length(r)).sum::<f64>())
            .sum();
    if perimeter <= 0.0 { 0.0 } else { 4.0 * std::f64::consts::PI * mp.unsigned_area() / (perimeter * perimeter) }
}

/// Metrics of the basic grids of `p`, with `polygons[i]` the outline of grid `i`.
pub fn metrics(p: &Partition, polygons: &[MultiPolygon], band: Band) -> PlanMetrics {
    let n = p.grids.len();
    let sizes: Vec<f64> = p.grids.iter().map(|g| g.households as f64).collect();
    let mean = if n == 0 { 0.0 } else { sizes.iter().sum::<f64>() / n as f64 };
    let cv =
        if mean > 0.0 { (sizes.iter().map(|h| (h - mean).powi(2)).sum::<f64>() / n as f64).sqrt() / mean } else { 0.0 };
    let in_band = p
        .grids
        .iter()
        .filter(|g| g.households >= u64::from(band.min()) && g.households <= u64::from(band.max()))
        .count();
    let (mut weighted, mut weight, mut max_d) = (0.0, 0.0, 0.0f64);
    for g in &p.grids {
        let w: f64 = g.sites.iter().map(|&s| f64::from(p.sites[s].households)).sum();
        if w <= 0.0 {
            continue;
        }
        let (cx, cy) = g.sites.iter().fold((0.0, 0.0), |(x, y), &s| {
            let h = f64::from(p.sites[s].households);
            (x + p.sites[s].point.x() * h, y + p.sites[s].point.y() * h)
        });
        let (cx, cy) = (cx / w, cy / w);
        for &s in &g.sites {
            let d = ((p.sites[s].point.x() - cx).powi(2) + (p.sites[s].point.y() - cy).powi(2)).sqrt();
            weighted += d * f64::from(p.sites[s].households);
            weight += f64::from(p.sites[s].households);
            max_d = max_d.max(d);
        }
    }
    let pp: Vec<f64> = polygons.iter().filter(|m| !m.0.is_empty()).map(polsby_popper).collect();
    PlanMetrics {
        grids: n,
        share_in_band: if n == 0 { 0.0 } else { in_band as f64 / n as f64 },
        households_per_grid_mean: mean,
        households_per_grid_cv: cv,
        polsby_popper_mean: if pp.is_empty() { 0.0 } else { pp.iter().sum::<f64>() / pp.len() as f64 },
        distance_to_centre_mean_m: if weight > 0.0 { weighted / weight } else { 0.0 },
        distance_to_centre_max_m: max_d,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Rect, coord};

    #[test]
    fn polsby_popper_of_a_square_is_pi_over_four() {
        let sq = MultiPolygon::new(vec![Rect::new(coord! {x: 0., y: 0.}, coord! {x: 10., y: 10.}).to_polygon()]);
        assert!((polsby_popper(&sq) - std::f64::consts::FRAC_PI_4).abs() < 1e-12);
        let thin = MultiPolygon::new(vec![Rect::new(coord! {x: 0., y: 0.}, coord! {x: 100., y: 1.}).to_polygon()]);
        assert!(polsby_popper(&thin) < 0.05);
    }
}
