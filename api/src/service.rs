//! Services: the user's desired state. The spec is written by the user (and swapped back by
//! a rollback); the orchestrator records rollout progress in `update_status`.

use crate::container::ContainerSpec;
use crate::ids::ServiceId;
use crate::meta::Meta;
use crate::placement::Placement;
use crate::resources::Resources;
use crate::restart::RestartPolicy;
use crate::rollout::{UpdateConfig, UpdateStatus};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Service {
    pub id: ServiceId,
    #[serde(flatten)]
    pub meta: Meta,
    pub spec: ServiceSpec,
    /// Counts the changes of `spec` (an update or a rollback); the store bumps it with the spec.
    #[serde(default)]
    pub spec_version: u64,
    /// The current spec came from a rollback (manual or automatic), not from an update.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rolled_back: bool,
    /// The spec before the last update, kept for rollback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_spec: Option<ServiceSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_status: Option<UpdateStatus>,
}

/// What the user asks for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSpec {
    pub name: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    pub task: TaskTemplate,
    #[serde(default)]
    pub mode: ServiceMode,
    #[serde(default)]
    pub update: UpdateConfig,
    /// How a rollback rolls (SwarmKit's defaults, as for updates).
    #[serde(default)]
    pub rollback: UpdateConfig,
}

impl ServiceSpec {
    /// Desired replica count for replicated services.
    pub fn replicas(&self) -> Option<u64> {
        match self.mode {
            ServiceMode::Replicated { replicas } => Some(replicas),
            _ => None,
        }
    }
}

/// How many tasks a service runs, and whether they run for good or to completion. Written
/// as a mapping with one key, the mode's name (`replicated: {replicas: 3}`, `global: {}`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    rename_all = "snake_case",
    deny_unknown_fields,
    try_from = "ModeMapping"
)]
pub enum ServiceMode {
    /// `replicas` tasks, each kept running in its slot.
    Replicated { replicas: u64 },
    /// One task on every eligible node, following nodes as they join, drain or leave.
    Global {},
    /// `total_completions` successful runs, at most `max_concurrent` at a time.
    ReplicatedJob {
        #[serde(default = "one")]
        max_concurrent: u64,
        /// Defaults to `max_concurrent`.
        #[serde(default)]
        total_completions: Option<u64>,
    },
    /// One run to completion on every eligible node.
    GlobalJob {},
}

fn one() -> u64 {
    1
}

/// The one-key mapping a mode is read from. Derived enum deserialization would do for JSON,
/// but YAML deserializers read enums from tags (`!replicated`); a plain struct reads the same
/// mapping from both, and a misspelt mode name is an unknown field with the names expected.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModeMapping {
    replicated: Option<ReplicatedMode>,
    global: Option<NoSettings>,
    replicated_job: Option<ReplicatedJobMode>,
    global_job: Option<NoSettings>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplicatedMode {
    replicas: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplicatedJobMode {
    #[serde(default = "one")]
    max_concurrent: u64,
    #[serde(default)]
    total_completions: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoSettings {}

impl TryFrom<ModeMapping> for ServiceMode {
    type Error = String;

    fn try_from(m: ModeMapping) -> Result<ServiceMode, String> {
        let mut modes = Vec::new();
        if let Some(r) = m.replicated {
            modes.push(ServiceMode::Replicated {
                replicas: r.replicas,
            });
        }
        if m.global.is_some() {
            modes.push(ServiceMode::Global {});
        }
        if let Some(j) = m.replicated_job {
            modes.push(ServiceMode::ReplicatedJob {
                max_concurrent: j.max_concurrent,
                total_completions: j.total_completions,
            });
        }
        if m.global_job.is_some() {
            modes.push(ServiceMode::GlobalJob {});
        }
        match <[ServiceMode; 1]>::try_from(modes) {
            Ok([mode]) => Ok(mode),
            Err(_) => Err(
                "a mode is exactly one of replicated: {replicas: N}, global: {}, \
                 replicated_job: {max_concurrent: N, total_completions: N}, global_job: {}"
                    .into(),
            ),
        }
    }
}

impl ServiceMode {
    pub fn is_job(&self) -> bool {
        matches!(
            self,
            ServiceMode::ReplicatedJob { .. } | ServiceMode::GlobalJob {}
        )
    }

    pub fn is_global(&self) -> bool {
        matches!(self, ServiceMode::Global {} | ServiceMode::GlobalJob {})
    }

    /// The name users type: `replicated`, `global`, `replicated-job`, `global-job`.
    pub fn name(&self) -> &'static str {
        match self {
            ServiceMode::Replicated { .. } => "replicated",
            ServiceMode::Global {} => "global",
            ServiceMode::ReplicatedJob { .. } => "replicated-job",
            ServiceMode::GlobalJob {} => "global-job",
        }
    }
}

impl Default for ServiceMode {
    fn default() -> Self {
        ServiceMode::Replicated { replicas: 1 }
    }
}

/// What each task runs; copied into every task and never modified there.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskTemplate {
    pub container: ContainerSpec,
    #[serde(default)]
    pub restart: RestartPolicy,
    /// Where its tasks may run.
    #[serde(default, skip_serializing_if = "Placement::is_empty")]
    pub placement: Placement,
    /// CPU and memory reserved for each task and the limits of its container.
    #[serde(default, skip_serializing_if = "Resources::is_empty")]
    pub resources: Resources,
    /// Bumped by `service update --force` to redeploy an unchanged spec.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub force_update: u64,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_round_trip_as_one_key_mappings() {
        for mode in [
            ServiceMode::Replicated { replicas: 3 },
            ServiceMode::Global {},
            ServiceMode::ReplicatedJob {
                max_concurrent: 2,
                total_completions: Some(6),
            },
            ServiceMode::GlobalJob {},
        ] {
            let json = serde_json::to_string(&mode).unwrap();
            assert_eq!(serde_json::from_str::<ServiceMode>(&json).unwrap(), mode);
        }
        assert_eq!(
            serde_json::to_string(&ServiceMode::Global {}).unwrap(),
            r#"{"global":{}}"#
        );
        assert_eq!(
            serde_json::from_str::<ServiceMode>(r#"{"replicated_job":{}}"#).unwrap(),
            ServiceMode::ReplicatedJob {
                max_concurrent: 1,
                total_completions: None
            }
        );
    }

    #[test]
    fn a_mode_names_exactly_one_known_mode() {
        for bad in [r#"{}"#, r#"{"global":{},"global_job":{}}"#] {
            let e = serde_json::from_str::<ServiceMode>(bad).unwrap_err();
            assert!(e.to_string().starts_with("a mode is exactly one of"), "{e}");
        }
        let e = serde_json::from_str::<ServiceMode>(r#"{"replicatd":{"replicas":1}}"#)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("unknown field `replicatd`, expected one of"),
            "{e}"
        );
        let e = serde_json::from_str::<ServiceMode>(r#"{"replicated":{"replicaz":1}}"#)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("unknown field `replicaz`"), "{e}");
    }
}
