//! The cluster object: cluster-wide settings and join tokens. There is exactly one.

use crate::meta::Meta;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cluster {
    pub id: String,
    #[serde(flatten)]
    pub meta: Meta,
    pub spec: ClusterSpec,
    pub join_tokens: JoinTokens,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterSpec {
    pub name: String,
    /// Old tasks kept per slot (SwarmKit: 5).
    #[serde(default = "default_history")]
    pub task_history_limit: u64,
    /// Agents heartbeat this often, in seconds; a node is down after 3 missed periods.
    #[serde(default = "default_heartbeat")]
    pub heartbeat_period_secs: u64,
    /// Each manager snapshots its Raft state after this many log entries and drops the log
    /// before it, so the data dir stays bounded.
    #[serde(default = "default_snapshot_interval")]
    pub snapshot_interval: u64,
}

fn default_snapshot_interval() -> u64 {
    10_000
}

fn default_history() -> u64 {
    5
}
fn default_heartbeat() -> u64 {
    5
}

impl Default for ClusterSpec {
    fn default() -> Self {
        ClusterSpec {
            name: "default".into(),
            task_history_limit: default_history(),
            heartbeat_period_secs: default_heartbeat(),
            snapshot_interval: default_snapshot_interval(),
        }
    }
}

/// Tokens that let a node join as a worker or a manager. Joining comes with the HA work; the
/// tokens exist from cluster creation so they never change meaning.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JoinTokens {
    pub worker: String,
    pub manager: String,
}
