//! Workload balance (一格多员): households and people per grid and per grid worker, how even the spread is
//! (coefficient of variation, Gini, Lorenz curve), and the three-colour status planners use to rank grids.
//!
//! Spreads are taken over basic grids, the ones the household band applies to; dedicated grids are listed
//! with their figures and status but left out of the spreads.

use crate::config::{Apportionment, Band, WorkloadParams};
use crate::grids::GridRow;
use serde::Serialize;
use std::collections::BTreeMap;

/// The three-colour warning of a grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Households per worker within the green limit.
    Green,
    /// Above green, within the yellow limit.
    Yellow,
    /// Above the yellow limit: overloaded.
    Red,
}

impl Status {
    /// The name written in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Green => "green",
            Status::Yellow => "yellow",
            Status::Red => "red",
        }
    }
}

/// One grid's workload.
#[derive(Debug, Clone, Serialize)]
pub struct GridLoad {
    /// Index into the grid rows.
    pub grid: usize,
    /// Grid workers.
    pub workers: u32,
    /// Households per worker.
    pub households_per_worker: f64,
    /// Status by households per worker.
    pub status: Status,
    /// Whether a basic grid is inside the household band (`None` for dedicated grids).
    pub in_band: Option<bool>,
}

/// Spread of households per grid over a set of basic grids.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Spread {
    /// Grids.
    pub grids: usize,
    /// Households.
    pub households: u64,
    /// Persons.
    pub persons: u64,
    /// Workers.
    pub workers: u64,
    /// Smallest grid, households.
    pub min: u64,
    /// Median grid, households.
    pub median: f64,
    /// Largest grid, households.
    pub max: u64,
    /// Coefficient of variation (population standard deviation ÷ mean).
    pub cv: f64,
    /// Gini coefficient.
    pub gini: f64,
    /// Share of grids inside the band.
    pub share_in_band: f64,
    /// Grids in each status.
    pub yellow: usize,
    /// Red grids.
    pub red: usize,
}

/// Coefficient of variation (population standard deviation over the mean); 0 for an empty or all-zero set.
pub fn cv(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    if mean == 0.0 {
        return 0.0;
    }
    (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt() / mean
}

/// Gini coefficient: mean absolute difference over all pairs ÷ twice the mean (0 = all equal).
pub fn gini(values: &[f64]) -> f64 {
    let n = values.len();
    let total: f64 = values.iter().sum();
    if n == 0 || total == 0.0 {
        return 0.0;
    }
    // With sorted values, Σ_i Σ_j |x_i − x_j| = 2 Σ_i (2i − n + 1) x_i (i from 0).
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let weighted: f64 = sorted.iter().enumerate().map(|(i, x)| (2.0 * i as f64 - n as f64 + 1.0) * x).sum();
    weighted / (n as f64 * total)
}

/// The Lorenz curve: (share of grids, share of households) from (0, 0) to (1, 1), smallest grids first.
pub fn lorenz(values: &[f64]) -> Vec<(f64, f64)> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let total: f64 = sorted.iter().sum();
    let n = sorted.len().max(1) as f64;
    let mut acc = 0.0;
    let mut out = vec![(0.0, 0.0)];
    for (i, v) in sorted.iter().enumerate() {
        acc += v;
        out.push(((i + 1) as f64 / n, if total > 0.0 { acc / total } else { 0.0 }));
    }
    out
}

/// Median of a sorted slice.
fn median(sorted: &[u64]) -> f64 {
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2] as f64,
        n => (sorted[n / 2 - 1] + sorted[n / 2]) as f64 / 2.0,
    }
}

/// Apportions `total` workers over weights: every grid keeps one, the rest go one at a time to the grid with
/// the highest priority weight ÷ divisor(seats) — Webster/Sainte-Laguë: seats + ½; D'Hondt: seats + 1. Ties
/// go to the lower index. `None` when there are fewer workers than grids.
pub fn apportion(weights: &[u64], total: u32, method: Apportionment) -> Option<Vec<u32>> {
    if (total as usize) < weights.len() {
        return None;
    }
    let mut seats = vec![1u32; weights.len()];
    let divisor = |s: u32| match method {
        Apportionment::Webster => f64::from(s) + 0.5,
        Apportionment::Dhondt => f64::from(s) + 1.0,
    };
    for _ in weights.len()..total as usize {
        let best = (0..weights.len()).max_by(|&a, &b| {
            let pa = weights[a] as f64 / divisor(seats[a]);
            let pb = weights[b] as f64 / divisor(seats[b]);
            pa.total_cmp(&pb).then(b.cmp(&a))
        })?;
        seats[best] += 1;
    }
    Some(seats)
}

/// Workload of every grid, and the spreads.
#[derive(Debug, Clone, Serialize)]
pub struct Workload {
    /// Per grid (same order as the grid rows).
    pub grids: Vec<GridLoad>,
    /// Over all basic grids.
    pub all: Spread,
    /// Per street name.
    pub streets: BTreeMap<String, Spread>,
    /// Per community id.
    pub communities: BTreeMap<String, Spread>,
    /// How workers were set: `one-per-grid`, `table`, or the apportionment method.
    pub workers_from: String,
}

/// Why workers could not be set.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WorkloadError {
    /// Fewer workers than grids.
    #[error("[workload] workers = {workers} is fewer than the {grids} grids (every grid needs a worker)")]
    TooFewWorkers {
        /// Workers given.
        workers: u32,
        /// Grids.
        grids: usize,
    },
}

/// Computes the workload. `table` maps grid ids to workers (grids missing from it keep one).
pub fn workload(
    rows: &[GridRow],
    params: &WorkloadParams,
    band: Band,
    table: Option<&BTreeMap<String, u32>>,
) -> Result<Workload, WorkloadError> {
    let (workers, from): (Vec<u32>, String) = match (table, params.workers) {
        (Some(t), _) => (rows.iter().map(|r| t.get(&r.grid_id).copied().unwrap_or(1).max(1)).collect(), "table".into()),
        (None, Some(n)) => {
            let weights: Vec<u64> = rows.iter().map(|r| r.households).collect();
            let w = apportion(&weights, n, params.apportionment)
                .ok_or(WorkloadError::TooFewWorkers { workers: n, grids: rows.len() })?;
            (w, params.apportionment.name().to_string())
        }
        (None, None) => (vec![1; rows.len()], "one-per-grid".into()),
    };
    let grids: Vec<GridLoad> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let hpw = r.households as f64 / f64::from(workers[i]);
            let status = if hpw <= params.green_max_households_per_worker {
                Status::Green
            } else if hpw <= params.yellow_max_households_per_worker {
                Status::Yellow
            } else {
                Status::Red
            };
            let in_band = r
                .dedicated
                .is_none()
                .then(|| u64::from(band.min()) <= r.households && r.households <= u64::from(band.max()));
            GridLoad { grid: i, workers: workers[i], households_per_worker: hpw, status, in_band }
        })
        .collect();
    let spread = |members: &[usize]| -> Spread {
        let basic: Vec<usize> = members.iter().copied().filter(|&i| rows[i].dedicated.is_none()).collect();
        let mut hh: Vec<u64> = basic.iter().map(|&i| rows[i].households).collect();
        hh.sort_unstable();
        let values: Vec<f64> = hh.iter().map(|&h| h as f64).collect();
        Spread {
            grids: basic.len(),
            households: hh.iter().sum(),
            persons: basic.iter().map(|&i| rows[i].persons).sum(),
            workers: basic.iter().map(|&i| u64::from(grids[i].workers)).sum(),
            min: hh.first().copied().unwrap_or(0),
            median: median(&hh),
            max: hh.last().copied().unwrap_or(0),
            cv: cv(&values),
            gini: gini(&values),
            share_in_band: if basic.is_empty() {
                0.0
            } else {
                basic.iter().filter(|&&i| grids[i].in_band == Some(true)).count() as f64 / basic.len() as f64
            },
            yellow: basic.iter().filter(|&&i| grids[i].status == Status::Yellow).count(),
            red: basic.iter().filter(|&&i| grids[i].status == Status::Red).count(),
        }
    };
    let all: Vec<usize> = (0..rows.len()).collect();
    let mut by_street: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut by_community: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        by_street.entry(r.street_name.clone()).or_default().push(i);
        if r.dedicated.is_none()
            && let Some(c) = &r.community_id
        {
            by_community.entry(c.clone()).or_default().push(i);
        }
    }
    Ok(Workload {
        all: spread(&all),
        streets: by_street.iter().map(|(k, v)| (k.clone(), spread(v))).collect(),
        communities: by_community.iter().map(|(k, v)| (k.clone(), spread(v))).collect(),
        grids,
        workers_from: from,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gini_and_cv_match_hand_computed_values() {
        assert_eq!(gini(&[1.0, 1.0, 1.0, 1.0]), 0.0);
        // Σ|xi − xj| over ordered pairs = 20; 20 / (2 · 4² · 2.5) = 0.25.
        assert!((gini(&[4.0, 1.0, 3.0, 2.0]) - 0.25).abs() < 1e-12);
        // One holds everything: (n − 1) / n.
        assert!((gini(&[0.0, 0.0, 0.0, 8.0]) - 0.75).abs() < 1e-12);
        // Mean 2.5, variance 1.25: √1.25 / 2.5.
        assert!((cv(&[1.0, 2.0, 3.0, 4.0]) - 1.25f64.sqrt() / 2.5).abs() < 1e-12);
        assert_eq!(cv(&[]), 0.0);
        let l = lorenz(&[3.0, 1.0]);
        assert_eq!(l, vec![(0.0, 0.0), (0.5, 0.25), (1.0, 1.0)]);
    }

    #[test]
    fn apportionment_matches_hand_computed_seats() {
        // Webster with one seat each to start: priorities w / (s + ½); worked by hand:
        // A2 (35.3), A3 (21.2), B2 (16.0), C2 (15.3), A4 (15.1), A5 (11.8), A6 (9.64 > B 9.60).
        assert_eq!(apportion(&[53, 24, 23], 10, Apportionment::Webster), Some(vec![6, 2, 2]));
        // D'Hondt, w / (s + 1): A2 (26.5), A3 (17.7), A4 (13.25), B2 (12), C2 (11.5), A5 (10.6), A6 (8.83 > B 8.0).
        assert_eq!(apportion(&[53, 24, 23], 10, Apportionment::Dhondt), Some(vec![6, 2, 2]));
        // Webster favours the small more than D'Hondt: 5 more seats over 90 / 10.
        assert_eq!(apportion(&[90, 10], 7, Apportionment::Webster), Some(vec![6, 1]));
        assert_eq!(apportion(&[90, 30, 10], 8, Apportionment::Webster), Some(vec![5, 2, 1]));
        assert_eq!(apportion(&[90, 30, 10], 8, Apportionment::Dhondt), Some(vec![6, 1, 1]));
        assert_eq!(apportion(&[5, 5], 1, Apportionment::Webster), None);
        // Ties go to the lower index.
        assert_eq!(apportion(&[10, 10], 3, Apportionment::Webster), Some(vec![2, 1]));
    }
}
