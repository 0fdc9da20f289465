//! Tasks: one scheduled run of a service's task template in a slot. The orchestrator creates
//! tasks and writes `desired_state`, the scheduler writes `node_id`, the agent writes `status`.

use crate::ids::{NodeId, ServiceId, TaskId};
use crate::meta::{Meta, Timestamp};
use crate::service::TaskTemplate;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Task states, ordered: a task only ever moves forward.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    New,
    Pending,
    Assigned,
    Accepted,
    Preparing,
    Ready,
    Starting,
    Running,
    Complete,
    Shutdown,
    Failed,
    Rejected,
    Remove,
    Orphaned,
}

impl TaskState {
    /// Every state, in lifecycle order.
    pub const ALL: [TaskState; 14] = [
        TaskState::New,
        TaskState::Pending,
        TaskState::Assigned,
        TaskState::Accepted,
        TaskState::Preparing,
        TaskState::Ready,
        TaskState::Starting,
        TaskState::Running,
        TaskState::Complete,
        TaskState::Shutdown,
        TaskState::Failed,
        TaskState::Rejected,
        TaskState::Remove,
        TaskState::Orphaned,
    ];
    /// The states a task passes through up to running (`new` ..= `running`).
    pub const UP_TO_RUNNING: &'static [TaskState] = TaskState::ALL.split_at(8).0;

    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::New => "new",
            TaskState::Pending => "pending",
            TaskState::Assigned => "assigned",
            TaskState::Accepted => "accepted",
            TaskState::Preparing => "preparing",
            TaskState::Ready => "ready",
            TaskState::Starting => "starting",
            TaskState::Running => "running",
            TaskState::Complete => "complete",
            TaskState::Shutdown => "shutdown",
            TaskState::Failed => "failed",
            TaskState::Rejected => "rejected",
            TaskState::Remove => "remove",
            TaskState::Orphaned => "orphaned",
        }
    }

    /// The task has stopped for good (its container no longer runs).
    pub fn is_terminal(self) -> bool {
        self > TaskState::Running
    }
}

impl fmt::Display for TaskState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the agent (or, before assignment, the scheduler) observed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskStatus {
    pub state: TaskState,
    pub timestamp: Timestamp,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub err: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i64>,
    /// When the container started (kept in every later report), for update monitoring.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Timestamp>,
}

impl TaskStatus {
    pub fn new(state: TaskState, message: impl Into<String>) -> Self {
        TaskStatus {
            state,
            timestamp: Timestamp::now(),
            message: message.into(),
            err: String::new(),
            container_id: None,
            exit_code: None,
            started_at: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Task {
    pub id: TaskId,
    #[serde(flatten)]
    pub meta: Meta,
    pub service_id: ServiceId,
    pub service_name: String,
    /// Replica slot, from 1; 0 for the tasks of global services (one per node).
    pub slot: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_id: Option<NodeId>,
    pub spec: TaskTemplate,
    pub desired_state: TaskState,
    pub status: TaskStatus,
    /// When its slot was restarted by the restart policy under this spec, newest last (only
    /// as many as can still count against `max_attempts`). Written at creation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub restarts: Vec<Timestamp>,
}

impl Task {
    /// `<service>.<slot>` as people name a task, or the service's name alone for a global
    /// service's task (its node names it).
    pub fn slot_name(&self) -> String {
        match self.slot {
            0 => self.service_name.clone(),
            slot => format!("{}.{slot}", self.service_name),
        }
    }

    /// `<service>.<slot>.<task-id>`, the container name of DESIGN §2.
    /// Global tasks (slot 0) are named after their node instead.
    pub fn container_name(&self) -> String {
        match (&self.node_id, self.slot) {
            (Some(node), 0) => format!("{}.{}.{}", self.service_name, node, self.id),
            _ => format!("{}.{}.{}", self.service_name, self.slot, self.id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_lists_follow_the_lifecycle() {
        assert!(TaskState::ALL.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(TaskState::ALL.last(), Some(&TaskState::Orphaned));
        assert_eq!(TaskState::UP_TO_RUNNING.first(), Some(&TaskState::New));
        assert_eq!(TaskState::UP_TO_RUNNING.last(), Some(&TaskState::Running));
        assert!(TaskState::UP_TO_RUNNING.iter().all(|s| !s.is_terminal()));
    }
}
