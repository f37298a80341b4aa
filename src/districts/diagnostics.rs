//! Convergence diagnostics across chains for one scalar statistic (Gelman et al., *Bayesian Data Analysis*,
//! 3rd ed., §11.4–11.5): split-R̂ (each chain cut in two halves; R̂ < 1.05 is the usual bar) and the effective
//! sample size from the chains' pooled autocorrelations, summed in pairs until a pair turns negative
//! (Geyer's initial positive sequence). Long chains are read every `stride`-th step, at most `MAX_POINTS`
//! points a chain, so the cost stays small; the stride is reported and the ESS is then of the thinned series
//! scaled back by the stride, never more than the steps taken.

use serde::Serialize;

/// Points per chain the diagnostics read at most.
const MAX_POINTS: usize = 20_000;

/// Diagnostics of one statistic.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnostic {
    /// Mean over every chain and step.
    pub mean: Option<f64>,
    /// Standard deviation over every chain and step.
    pub sd: Option<f64>,
    /// Mean of each chain.
    pub chain_means: Vec<Option<f64>>,
    /// Split-R̂ (null when fewer than 4 points a chain or the statistic never varies).
    pub rhat: Option<f64>,
    /// Effective sample size over all chains.
    pub ess: Option<f64>,
    /// Every how many steps the diagnostics read.
    pub stride: usize,
}

/// Diagnostics of a statistic from one series per chain (NaN values make it undefined).
pub fn diagnose(series: &[Vec<f64>]) -> Diagnostic {
    let all: Vec<f64> = series.iter().flatten().copied().collect();
    let n_total = all.len();
    let defined = n_total > 0 && all.iter().all(|x| x.is_finite());
    let mean = defined.then(|| all.iter().sum::<f64>() / n_total as f64);
    let sd = mean.map(|m| (all.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n_total as f64).sqrt());
    let chain_means =
        series.iter().map(|s| (defined && !s.is_empty()).then(|| s.iter().sum::<f64>() / s.len() as f64)).collect();
    let len = series.iter().map(Vec::len).min().unwrap_or(0);
    let stride = len.div_ceil(MAX_POINTS).max(1);
    let thinned: Vec<Vec<f64>> = series.iter().map(|s| s[..len].iter().step_by(stride).copied().collect()).collect();
    let (rhat, ess) =
        if defined { (split_rhat(&thinned), ess(&thinned).map(|e| e * stride as f64)) } else { (None, None) };
    let ess = ess.map(|e| e.min(n_total as f64));
    Diagnostic { mean, sd, chain_means, rhat, ess, stride }
}

/// Mean and sample variance.
fn mean_var(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    (m, x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0))
}

/// Split-R̂ over chains cut in halves.
fn split_rhat(chains: &[Vec<f64>]) -> Option<f64> {
    let n = chains.first()?.len() / 2;
    if n < 2 {
        return None;
    }
    let halves: Vec<&[f64]> = chains.iter().flat_map(|c| [&c[..n], &c[n..2 * n]]).collect();
    let stats: Vec<(f64, f64)> = halves.iter().map(|h| mean_var(h)).collect();
    let m = stats.len() as f64;
    let grand = stats.iter().map(|s| s.0).sum::<f64>() / m;
    let b = n as f64 / (m - 1.0) * stats.iter().map(|s| (s.0 - grand).powi(2)).sum::<f64>();
    let w = stats.iter().map(|s| s.1).sum::<f64>() / m;
    if w <= 0.0 {
        return None;
    }
    let var_plus = (n as f64 - 1.0) / n as f64 * w + b / n as f64;
    Some((var_plus / w).sqrt())
}

/// Effective sample size from the pooled variogram.
fn ess(chains: &[Vec<f64>]) -> Option<f64> {
    let m = chains.len();
    let n = chains.first()?.len();
    if n < 4 {
        return None;
    }
    let stats: Vec<(f64, f64)> = chains.iter().map(|c| mean_var(c)).collect();
    let w = stats.iter().map(|s| s.1).sum::<f64>() / m as f64;
    let grand = stats.iter().map(|s| s.0).sum::<f64>() / m as f64;
    let b = if m > 1 {
        n as f64 / (m as f64 - 1.0) * stats.iter().map(|s| (s.0 - grand).powi(2)).sum::<f64>()
    } else {
        0.0
    };
    let var_plus = (n as f64 - 1.0) / n as f64 * w + b / n as f64;
    if var_plus <= 0.0 {
        return None;
    }
    let rho = |t: usize| -> f64 {
        let v: f64 = chains.iter().map(|c| (t..n).map(|i| (c[i] - c[i - t]).powi(2)).sum::<f64>()).sum::<f64>()
            / (m * (n - t)) as f64;
        1.0 - v / (2.0 * var_plus)
    };
    let mut sum = 0.0;
    let mut t = 1;
    while t + 1 < n {
        let pair = rho(t) + rho(t + 1);
        if pair < 0.0 {
            break;
        }
        sum += pair;
        t += 2;
    }
    Some((m * n) as f64 / (1.0 + 2.0 * sum).max(1e-12))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    #[test]
    fn independent_draws_mix_and_a_stuck_chain_does_not() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let iid: Vec<Vec<f64>> = (0..4).map(|_| (0..2000).map(|_| rng.random::<f64>()).collect()).collect();
        let d = diagnose(&iid);
        assert!(d.rhat.unwrap() < 1.01, "{d:?}");
        assert!(d.ess.unwrap() > 5000.0, "{d:?}");
        let mut apart = iid.clone();
        for x in &mut apart[0] {
            *x += 5.0;
        }
        assert!(diagnose(&apart).rhat.unwrap() > 1.5);
        // A random walk is strongly autocorrelated: few effective samples.
        let walk: Vec<Vec<f64>> = (0..4)
            .map(|_| {
                (0..2000)
                    .scan(0.0, |s, _| {
                        *s += rng.random::<f64>() - 0.5;
                        Some(*s)
                    })
                    .collect()
            })
            .collect();
        assert!(diagnose(&walk).ess.unwrap() < 400.0);
        assert_eq!(diagnose(&[vec![1.0, f64::NAN, 2.0, 3.0]]).rhat, None);
    }
}
