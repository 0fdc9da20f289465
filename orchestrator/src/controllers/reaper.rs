//! The task reaper: deletes tasks that are done with. A task desired `remove` goes once it no
//! longer runs anywhere; finished tasks beyond the cluster's history limit per slot go too.

use super::driver::WholeState;
use crate::store::{Action, Object, State};
use shoal_api::{NodeId, ServiceId, Task, TaskState};
use std::collections::HashMap;

/// Tasks to delete. Pure.
pub fn plan(state: &State, history_limit: usize) -> Vec<Action> {
    let mut actions = Vec::new();
    // Per slot; a global task's slot is its node.
    let mut history: HashMap<(&ServiceId, u64, Option<&NodeId>), Vec<&Task>> = HashMap::new();
    for t in state.tasks.values() {
        let stopped = t.node_id.is_none()
            || t.status.state.is_terminal()
            || t.status.state < TaskState::Assigned;
        if t.desired_state >= TaskState::Remove {
            if stopped {
                actions.push(Action::DeleteTask { id: t.id.clone() });
            }
        } else if t.desired_state > TaskState::Running && stopped {
            let node = if t.slot == 0 {
                t.node_id.as_ref()
            } else {
                None
            };
            history
                .entry((&t.service_id, t.slot, node))
                .or_default()
                .push(t);
        }
    }
    for tasks in history.values_mut() {
        if tasks.len() > history_limit {
            tasks.sort_by_key(|t| std::cmp::Reverse((t.meta.created_at, t.meta.version)));
            for t in &tasks[history_limit..] {
                actions.push(Action::DeleteTask { id: t.id.clone() });
            }
        }
    }
    actions
}

/// The reaper controller: replans when a task stops being desired running or the cluster
/// settings change.
pub fn controller() -> WholeState {
    WholeState {
        name: "reaper",
        interested: |o| match o {
            Object::Task(t) => t.desired_state > TaskState::Running,
            Object::Cluster(_) => true,
            _ => false,
        },
        plan: |state| {
            let limit = state
                .cluster
                .as_ref()
                .map_or(5, |c| c.spec.task_history_limit);
            plan(state, limit as usize)
        },
        dirty: false,
    }
}
