//! The scheduler: places unassigned tasks on nodes. A pipeline of filters, each able to say
//! why it refused a node, then ranking that spreads a service's tasks and then total load.
//! It is the only writer of `node_id` (and of the `pending`/`assigned` status).

use super::driver::WholeState;
use super::scheduler_ports::HostPorts;
use crate::store::{Action, Object, State};
use shoal_api::{Node, NodeId, ServiceId, Task, TaskState};
use std::collections::HashMap;

/// One reason a node may be unsuitable for a task.
pub(super) trait Filter {
    fn accepts(&self, task: &Task, node: &Node) -> bool;
    /// `n` nodes failed this filter: say so in a few words.
    fn explain(&self, n: usize) -> String;
    /// The same, for this task (a filter may name what the task asks for).
    fn explain_for(&self, _task: &Task, n: usize) -> String {
        self.explain(n)
    }
}

struct ReadyAndActive;

impl Filter for ReadyAndActive {
    fn accepts(&self, _task: &Task, node: &Node) -> bool {
        node.is_schedulable()
    }
    fn explain(&self, n: usize) -> String {
        format!("{n} node{} not available", plural(n))
    }
}

pub(super) fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

const FILTERS: &[&(dyn Filter + Sync)] = &[&ReadyAndActive];

/// The stateless filters, then those that follow what is placed on each node.
fn pipeline(ports: &HostPorts) -> Vec<&dyn Filter> {
    let stateful: [&dyn Filter; 1] = [ports];
    FILTERS
        .iter()
        .map(|f| *f as &dyn Filter)
        .chain(stateful)
        .collect()
}

/// Whether a task waits for the scheduler.
fn needs_placement(t: &Task) -> bool {
    t.node_id.is_none()
        && t.desired_state <= TaskState::Running
        && t.status.state <= TaskState::Pending
}

/// Places every task that needs it. Pure.
pub fn plan(state: &State) -> Vec<Action> {
    let mut total: HashMap<&NodeId, usize> = HashMap::new();
    let mut per_service: HashMap<(&ServiceId, &NodeId), usize> = HashMap::new();
    for t in state.tasks.values() {
        if let Some(n) = &t.node_id
            && t.desired_state <= TaskState::Running
            && !t.status.state.is_terminal()
        {
            *total.entry(n).or_default() += 1;
            *per_service.entry((&t.service_id, n)).or_default() += 1;
        }
    }
    let mut pending: Vec<&Task> = state
        .tasks
        .values()
        .filter(|t| needs_placement(t))
        .collect();
    pending.sort_by_key(|t| (&t.service_id, t.slot));
    let mut ports = HostPorts::in_use(state);
    let mut actions = Vec::new();
    for task in pending {
        let filters = pipeline(&ports);
        let mut refused = vec![0usize; filters.len()];
        let mut best: Option<(&Node, (usize, usize))> = None;
        for node in state.nodes.values() {
            if let Some(i) = filters.iter().position(|f| !f.accepts(task, node)) {
                refused[i] += 1;
                continue;
            }
            let rank = (
                per_service
                    .get(&(&task.service_id, &node.id))
                    .copied()
                    .unwrap_or(0),
                total.get(&node.id).copied().unwrap_or(0),
            );
            if best.is_none_or(|(_, r)| rank < r) {
                best = Some((node, rank));
            }
        }
        match best {
            Some((node, _)) => {
                ports.take(task, &node.id);
                *total.entry(&node.id).or_default() += 1;
                *per_service.entry((&task.service_id, &node.id)).or_default() += 1;
                actions.push(Action::AssignTask {
                    id: task.id.clone(),
                    node_id: node.id.clone(),
                    message: "scheduler assigned task to node".into(),
                });
            }
            None => {
                let message = explain(task, &filters, state.nodes.len(), &refused);
                if task.status.state != TaskState::Pending || task.status.message != message {
                    actions.push(Action::SetTaskPending {
                        id: task.id.clone(),
                        message,
                    });
                }
            }
        }
    }
    actions
}

/// `no suitable node (2 nodes not available, 1 node insufficient memory)`
fn explain(task: &Task, filters: &[&dyn Filter], nodes: usize, refused: &[usize]) -> String {
    if nodes == 0 {
        return "no suitable node (no nodes in the cluster)".into();
    }
    let reasons: Vec<String> = filters
        .iter()
        .zip(refused)
        .filter(|(_, n)| **n > 0)
        .map(|(f, n)| f.explain_for(task, *n))
        .collect();
    format!("no suitable node ({})", reasons.join(", "))
}

/// The scheduler controller: replans whenever a task may need placing or a node changed.
pub fn controller() -> WholeState {
    WholeState {
        name: "scheduler",
        interested: |o| match o {
            Object::Task(t) => needs_placement(t) || t.status.state.is_terminal(),
            Object::Node(_) => true,
            _ => false,
        },
        plan,
        dirty: false,
    }
}
