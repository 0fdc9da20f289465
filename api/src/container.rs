//! What a task's container runs: image, command, environment, identity (user, working dir,
//! hostname), mounts, how it is stopped, its health check and published ports. Passed to
//! Docker as is by the agent.

use crate::duration::serde_humane;
use crate::health::HealthCheck;
use crate::ports::PortConfig;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContainerSpec {
    pub image: String,
    /// Overrides the image's entrypoint; one element per argument.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    /// Arguments passed to the command.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// `KEY=VALUE` entries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<String>,
    /// Labels set on the container, beside Shoal's own.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// `USER[:GROUP]` (names or numeric ids); empty: the image's.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub user: String,
    /// Absolute working directory; empty: the image's.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub workdir: String,
    /// Container hostname; empty: Docker's default (the container id).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hostname: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mounts: Vec<Mount>,
    /// Signal that asks the container to stop (`SIGTERM`, `SIGUSR1`, `9`...); empty: the
    /// image's (`SIGTERM` unless it says otherwise).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub stop_signal: String,
    #[serde(default = "default_stop_grace", with = "serde_humane")]
    pub stop_grace_period: Duration,
    /// `None`: the image's health check, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<HealthCheck>,
    /// Container ports published on the node's ports (host mode).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<PortConfig>,
}

pub fn default_stop_grace() -> Duration {
    Duration::from_secs(10)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum MountType {
    /// A host path.
    #[default]
    Bind,
    /// A named Docker volume (created on first use).
    Volume,
}

/// A bind mount or a named volume, as `docker run --mount` takes them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mount {
    #[serde(rename = "type")]
    pub kind: MountType,
    /// Host path (bind) or volume name (volume).
    pub source: String,
    /// Absolute path inside the container.
    pub target: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub readonly: bool,
}
