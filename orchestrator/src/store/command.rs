//! Commands: the only way to change the store. A command is a batch of typed actions proposed
//! through Raft and applied atomically by every manager. The proposer stamps the time so that
//! every replica applies exactly the same change.

use serde::{Deserialize, Serialize};
use shoal_api::{
    Cluster, ClusterSpec, NodeDescription, NodeId, NodeSpec, NodeStatus, Role, Service, ServiceId,
    ServiceSpec, Task, TaskId, TaskState, TaskStatus, Timestamp, UpdateStatus,
};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Command {
    /// Wall-clock time at the proposer, used for `created_at` / `updated_at`.
    pub at: Timestamp,
    pub actions: Vec<Action>,
}

impl Command {
    pub fn new(actions: Vec<Action>) -> Self {
        Command {
            at: Timestamp::now(),
            actions,
        }
    }
}

/// One change. Each variant belongs to the single component that owns the fields it writes.
// Variants carry whole objects; commands are short-lived, so boxing would only add noise.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Action {
    // --- recovery ---
    /// Replaces everything: the first command of a cluster forced anew from a manager's
    /// surviving state (`shoald --force-new-cluster`).
    ReplaceState(Box<crate::store::State>),

    // --- cluster (bootstrap; user) ---
    /// The cluster object and its CA (the key stays in the store, out of the API's sight).
    CreateCluster {
        cluster: Cluster,
        root_ca: crate::pki::RootCa,
    },
    UpdateClusterSpec {
        version: u64,
        spec: ClusterSpec,
    },
    /// A new join token for `role`; the old one stops admitting nodes.
    RotateJoinToken {
        role: Role,
        token: String,
    },

    // --- services (user writes spec, or rolls it back; orchestrator writes update_status) ---
    CreateService(Service),
    UpdateServiceSpec {
        id: ServiceId,
        version: u64,
        spec: ServiceSpec,
    },
    SetServiceUpdateStatus {
        id: ServiceId,
        status: UpdateStatus,
    },
    /// Back to `previous_spec` (which is then cleared): the user's `service rollback`, or the
    /// orchestrator's automatic one, which names the `spec_version` it read and sets the
    /// rollout status in the same step.
    RollbackService {
        id: ServiceId,
        #[serde(default)]
        expected_spec_version: Option<u64>,
        #[serde(default)]
        status: Option<UpdateStatus>,
    },
    DeleteService {
        id: ServiceId,
    },

    // --- tasks ---
    /// Orchestrator: a new task.
    CreateTask(Task),
    /// Orchestrator: where the task should go. Never moves backwards.
    SetTaskDesiredState {
        id: TaskId,
        state: TaskState,
    },
    /// Scheduler: place a task on a node (status becomes `assigned`).
    AssignTask {
        id: TaskId,
        node_id: NodeId,
        message: String,
    },
    /// Scheduler: the task cannot be placed yet, and why (status `pending`).
    SetTaskPending {
        id: TaskId,
        message: String,
    },
    /// Agent (through the dispatcher): what happened to the task. Never moves backwards.
    SetTaskStatus {
        id: TaskId,
        status: TaskStatus,
    },
    /// Reaper: forget a finished task.
    DeleteTask {
        id: TaskId,
    },

    // --- nodes (agent describes; dispatcher writes status; user writes spec) ---
    RegisterNode {
        id: NodeId,
        role: Role,
        description: NodeDescription,
        status: NodeStatus,
    },
    SetNodeStatus {
        id: NodeId,
        status: NodeStatus,
    },
    /// User (`node rm`): forget a node; its tasks are replaced elsewhere.
    DeleteNode {
        id: NodeId,
    },
    UpdateNodeSpec {
        id: NodeId,
        version: u64,
        spec: NodeSpec,
    },
    /// A promotion or demotion (user, through `node promote|demote`): the node's next
    /// certificate names this role.
    SetNodeRole {
        id: NodeId,
        role: Role,
    },
}
