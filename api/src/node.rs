//! Nodes: machines running an agent. The agent describes itself on registration, the user
//! writes `spec` (availability), the dispatcher writes `status`.

use crate::ids::NodeId;
use crate::meta::{Meta, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Manager,
    Worker,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    #[default]
    Active,
    Pause,
    Drain,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeState {
    Unknown,
    Down,
    Ready,
    Disconnected,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSpec {
    #[serde(default)]
    pub availability: Availability,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// What the agent reports about its machine.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeDescription {
    pub hostname: String,
    pub cpus: u64,
    pub memory_bytes: u64,
    pub engine_version: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub engine_labels: BTreeMap<String, String>,
    /// The engine's OS and architecture, for `node.platform.*` constraints; empty from an
    /// agent that did not report them.
    #[serde(default, skip_serializing_if = "Platform::is_empty")]
    pub platform: Platform,
}

/// A node's platform as Docker's `info` gives it (`OSType`, `Architecture`): `linux`,
/// `x86_64`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Platform {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub os: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub architecture: String,
}

impl Platform {
    pub fn is_empty(&self) -> bool {
        self.os.is_empty() && self.architecture.is_empty()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NodeStatus {
    pub state: NodeState,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addr: Option<String>,
    pub timestamp: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ManagerStatus {
    pub leader: bool,
    /// `reachable` or `unreachable`.
    pub reachability: String,
    pub addr: String,
    pub raft_id: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub id: NodeId,
    #[serde(flatten)]
    pub meta: Meta,
    pub spec: NodeSpec,
    pub role: Role,
    pub description: NodeDescription,
    pub status: NodeStatus,
    /// Filled in by the API from live Raft metrics; not stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager_status: Option<ManagerStatus>,
}

impl Node {
    /// Ready and active: the scheduler may place new tasks here.
    pub fn is_schedulable(&self) -> bool {
        self.status.state == NodeState::Ready && self.spec.availability == Availability::Active
    }
}
