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
    /// The cluster CA certificate (PEM) every node and client trusts. Its key never leaves
    /// the managers.
    #[serde(default)]
    pub root_ca_pem: String,
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
    /// Lifetime of node certificates; nodes renew between 50% and 80% of it.
    #[serde(
        default = "default_cert_expiry",
        with = "crate::duration::serde_humane"
    )]
    pub node_cert_expiry: std::time::Duration,
    /// Spread replicated services back over nodes that join or become active again.
    #[serde(default = "yes")]
    pub rebalance: bool,
}

fn yes() -> bool {
    true
}

fn default_cert_expiry() -> std::time::Duration {
    std::time::Duration::from_secs(90 * 24 * 3600)
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
            node_cert_expiry: default_cert_expiry(),
            rebalance: true,
        }
    }
}

/// Tokens that let a node join as a worker or a manager: `SWMTKN-1-<CA digest>-<secret>`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JoinTokens {
    pub worker: String,
    pub manager: String,
}
