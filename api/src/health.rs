//! A container's health check, as Docker takes it (`docker run --health-*`). A task whose
//! container has a health check runs only once it is healthy, and fails when it turns
//! unhealthy. Zero durations and retries mean "the image's setting, else Docker's default".

use crate::duration::serde_humane;
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthCheck {
    /// Docker's test: `["CMD-SHELL", "cmd"]`, `["CMD", "bin", "arg"...]`, `["NONE"]` (no
    /// check, not even the image's) or empty (the image's test, with the settings below).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub test: Vec<String>,
    /// Time between probes (Docker's default 30s).
    #[serde(
        default,
        with = "serde_humane",
        skip_serializing_if = "Duration::is_zero"
    )]
    pub interval: Duration,
    /// Time a probe may take before it counts as failed (Docker's default 30s).
    #[serde(
        default,
        with = "serde_humane",
        skip_serializing_if = "Duration::is_zero"
    )]
    pub timeout: Duration,
    /// Consecutive failures that make the container unhealthy (Docker's default 3).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub retries: u64,
    /// Time after start during which failures do not count.
    #[serde(
        default,
        with = "serde_humane",
        skip_serializing_if = "Duration::is_zero"
    )]
    pub start_period: Duration,
    /// Time between probes during the start period (Docker API 1.44 and later: an agent on
    /// an older engine rejects the task rather than drop it).
    #[serde(
        default,
        with = "serde_humane",
        skip_serializing_if = "Duration::is_zero"
    )]
    pub start_interval: Duration,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl HealthCheck {
    /// `--no-healthcheck`: disables any check, the image's included.
    pub fn disabled() -> Self {
        HealthCheck {
            test: vec!["NONE".into()],
            ..Default::default()
        }
    }

    /// `--health-cmd CMD`: a shell command.
    pub fn shell(cmd: &str) -> Vec<String> {
        vec!["CMD-SHELL".into(), cmd.into()]
    }

    pub fn is_disabled(&self) -> bool {
        self.test.first().is_some_and(|t| t == "NONE")
    }
}
