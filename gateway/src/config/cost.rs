//! The `[cost]` section: demand control.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The static cost of operations (`@cost`, `@listSize`): computed, reported, enforced.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct CostConfig {
    /// `off` (the default), `measure` (computed and reported when a request asks, never
    /// refused) or `enforce` (also refused above `max`).
    pub mode: CostMode,
    /// The most an operation may cost when enforced.
    pub max: u64,
    /// The size assumed for a list field without `@listSize`.
    pub list_size: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CostMode {
    Off,
    Measure,
    Enforce,
}

impl Default for CostConfig {
    fn default() -> Self {
        Self { mode: CostMode::Off, max: 5_000, list_size: 10 }
    }
}
