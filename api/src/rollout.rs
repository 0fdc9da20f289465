//! Rolling updates and rollbacks: how a service rolls to a new spec (`spec.update`) or back
//! to the previous one (`spec.rollback`), and the progress the orchestrator records in
//! `update_status`. Defaults are SwarmKit's: parallelism 1, no delay, pause on failure,
//! monitor 5 s, max failure ratio 0, stop-first.

use crate::duration::serde_humane;
use crate::meta::Timestamp;
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum UpdateOrder {
    #[default]
    StopFirst,
    StartFirst,
}

/// What to do when too many new tasks fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum FailureAction {
    #[default]
    Pause,
    Continue,
    /// Roll back to the previous spec (not allowed in a rollback config).
    Rollback,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateConfig {
    /// Slots replaced at once; 0 means all at once.
    #[serde(default = "one")]
    pub parallelism: u64,
    /// Pause between batches.
    #[serde(default, with = "serde_humane")]
    pub delay: Duration,
    #[serde(default)]
    pub failure_action: FailureAction,
    /// A new task that stops within this long of starting counts as a failure; the rollout
    /// completes once the last new task has run this long.
    #[serde(default = "default_monitor", with = "serde_humane")]
    pub monitor: Duration,
    /// Failures tolerated, as a fraction of the slots being updated (0 to 1).
    #[serde(default)]
    pub max_failure_ratio: f64,
    #[serde(default)]
    pub order: UpdateOrder,
}

fn one() -> u64 {
    1
}

fn default_monitor() -> Duration {
    Duration::from_secs(5)
}

impl Default for UpdateConfig {
    fn default() -> Self {
        UpdateConfig {
            parallelism: 1,
            delay: Duration::ZERO,
            failure_action: FailureAction::Pause,
            monitor: default_monitor(),
            max_failure_ratio: 0.0,
            order: UpdateOrder::StopFirst,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdateState {
    Updating,
    Paused,
    Completed,
    RollbackStarted,
    RollbackPaused,
    RollbackCompleted,
}

impl UpdateState {
    /// A rollout is under way (not finished, not paused).
    pub fn in_progress(self) -> bool {
        matches!(self, UpdateState::Updating | UpdateState::RollbackStarted)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UpdateStatus {
    pub state: UpdateState,
    pub started_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// The `spec_version` of the service this rollout is for.
    #[serde(default)]
    pub spec_version: u64,
}
