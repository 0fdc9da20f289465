//! Messages between an agent and the dispatcher of the leading manager.
//!
//! The agent registers (`POST /v1/dispatcher/register`), then holds open an assignment stream
//! (`GET /v1/dispatcher/assignments?node_id=..&session_id=..`, newline-delimited JSON, one full
//! [`Assignments`] per change), heartbeats, and posts status batches.

use crate::ids::{NodeId, TaskId};
use crate::node::NodeDescription;
use crate::task::{Task, TaskStatus};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RegisterRequest {
    pub node_id: NodeId,
    pub description: NodeDescription,
    /// Address the agent is reachable at, for display.
    #[serde(default)]
    pub addr: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RegisterResponse {
    pub session_id: String,
    pub heartbeat_period_ms: u64,
    /// Base URLs of all managers, so the agent can move to another when its own dies.
    #[serde(default)]
    pub managers: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HeartbeatRequest {
    pub node_id: NodeId,
    pub session_id: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HeartbeatResponse {
    pub heartbeat_period_ms: u64,
    /// Base URLs of all managers now, so the agent follows managers that join or leave.
    #[serde(default)]
    pub managers: Vec<String>,
}

/// One message of the assignment stream. The first is `full`: the complete set of tasks the
/// node should know about, anything else is to be removed. Later ones are increments: tasks
/// that are new or whose desired state changed, and tasks that were deleted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Assignments {
    pub full: bool,
    pub tasks: Vec<Task>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<TaskId>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StatusUpdate {
    pub task_id: TaskId,
    pub status: TaskStatus,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StatusBatch {
    pub node_id: NodeId,
    pub session_id: String,
    pub updates: Vec<StatusUpdate>,
}
