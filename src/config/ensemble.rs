//! `[ensemble]`: how many legal plans `gridplan plan` draws to show where the plan sits among them.

use serde::{Deserialize, Serialize};

/// `[ensemble]`: the ReCom chains run on the plan's own graph (`partition::legal_plans`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EnsembleParams {
    /// Steps per chain; 0 leaves the comparison out.
    pub steps: u64,
    /// Independent chains (run in parallel), each starting from the plan.
    pub chains: usize,
}

impl Default for EnsembleParams {
    fn default() -> Self {
        EnsembleParams { steps: 100_000, chains: 2 }
    }
}
