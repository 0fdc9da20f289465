//! `--health-cmd/--health-interval/--health-timeout/--health-retries/--health-start-period/
//! --health-start-interval` and `--no-healthcheck`, shared by `service create` and `service update`, and how they
//! change `spec.task.container.healthcheck`: given settings replace the current ones, the
//! others stay (an image's own test is kept when no `--health-cmd` is given, as in Docker).

use crate::flags::kv::parse_opt_duration;
use anyhow::Result;
use clap::Args;
use shoal_api::HealthCheck;
use std::time::Duration;

#[derive(Args, Debug, Default)]
pub struct HealthFlags {
    /// Shell command that checks the container's health (exit 0: healthy)
    #[arg(long, value_name = "CMD", allow_hyphen_values = true)]
    pub health_cmd: Option<String>,
    /// Time between health checks (e.g. 30s)
    #[arg(long, value_name = "D")]
    pub health_interval: Option<String>,
    /// Time a health check may take before it counts as failed (e.g. 30s)
    #[arg(long, value_name = "D")]
    pub health_timeout: Option<String>,
    /// Consecutive failed checks that make the container unhealthy
    #[arg(long, value_name = "N")]
    pub health_retries: Option<u64>,
    /// Time after start during which failed checks do not count (e.g. 10s)
    #[arg(long, value_name = "D")]
    pub health_start_period: Option<String>,
    /// Time between checks during the start period (e.g. 1s; needs Docker API 1.44: on an
    /// older engine the tasks are rejected, saying so)
    #[arg(long, value_name = "D")]
    pub health_start_interval: Option<String>,
    /// Disable any health check, the image's included
    #[arg(long, conflicts_with_all = [
        "health_cmd", "health_interval", "health_timeout", "health_retries", "health_start_period",
        "health_start_interval"
    ])]
    pub no_healthcheck: bool,
}

/// What the health flags ask to change.
#[derive(Debug, Default, PartialEq)]
pub struct HealthChanges {
    pub disable: bool,
    pub cmd: Option<String>,
    pub interval: Option<Duration>,
    pub timeout: Option<Duration>,
    pub retries: Option<u64>,
    pub start_period: Option<Duration>,
    pub start_interval: Option<Duration>,
}

impl HealthFlags {
    pub fn changes(&self) -> Result<HealthChanges> {
        Ok(HealthChanges {
            disable: self.no_healthcheck,
            cmd: self.health_cmd.clone(),
            interval: parse_opt_duration("--health-interval", self.health_interval.as_deref())?,
            timeout: parse_opt_duration("--health-timeout", self.health_timeout.as_deref())?,
            retries: self.health_retries,
            start_period: parse_opt_duration(
                "--health-start-period",
                self.health_start_period.as_deref(),
            )?,
            start_interval: parse_opt_duration(
                "--health-start-interval",
                self.health_start_interval.as_deref(),
            )?,
        })
    }
}

impl HealthChanges {
    pub fn apply(&self, check: &mut Option<HealthCheck>) {
        if self.disable {
            *check = Some(HealthCheck::disabled());
            return;
        }
        if *self == HealthChanges::default() {
            return;
        }
        // Settings for a check that was disabled start afresh.
        let mut h = check
            .take()
            .filter(|h| !h.is_disabled())
            .unwrap_or_default();
        if let Some(cmd) = &self.cmd {
            h.test = HealthCheck::shell(cmd);
        }
        if let Some(d) = self.interval {
            h.interval = d;
        }
        if let Some(d) = self.timeout {
            h.timeout = d;
        }
        if let Some(n) = self.retries {
            h.retries = n;
        }
        if let Some(d) = self.start_period {
            h.start_period = d;
        }
        if let Some(d) = self.start_interval {
            h.start_interval = d;
        }
        *check = Some(h);
    }
}
