//! The scheduler's host ports filter: a task that publishes host ports goes only to a node
//! where none of them (port and protocol) is taken by another task. A task holds its ports
//! on its node while it is desired running and has not stopped (as in SwarmKit; a stop-first
//! replacement is only started once its predecessor stopped, so it can bind them).

use super::scheduler::{Filter, plural};
use crate::store::State;
use shoal_api::{HostPort, Node, NodeId, Task, TaskState};
use std::collections::{BTreeSet, HashMap, HashSet};

/// Host ports in use on each node, kept current as the scheduler places tasks.
#[derive(Debug, Default)]
pub struct HostPorts {
    in_use: HashMap<NodeId, HashSet<HostPort>>,
}

fn published(task: &Task) -> impl Iterator<Item = HostPort> + '_ {
    task.spec.container.ports.iter().map(|p| p.host_port())
}

impl HostPorts {
    pub fn in_use(state: &State) -> Self {
        let mut ports = HostPorts::default();
        for t in state.tasks.values() {
            if let Some(n) = &t.node_id
                && t.desired_state <= TaskState::Running
                && !t.status.state.is_terminal()
            {
                ports.take(t, n);
            }
        }
        ports
    }

    /// Records that `task` now holds its ports on `node`.
    pub fn take(&mut self, task: &Task, node: &NodeId) {
        if !task.spec.container.ports.is_empty() {
            self.in_use
                .entry(node.clone())
                .or_default()
                .extend(published(task));
        }
    }

    /// `task`'s ports already taken on `node`.
    fn taken<'a>(&'a self, task: &'a Task, node: &NodeId) -> impl Iterator<Item = HostPort> + 'a {
        let used = self.in_use.get(node);
        published(task).filter(move |p| used.is_some_and(|u| u.contains(p)))
    }
}

impl Filter for HostPorts {
    fn accepts(&self, task: &Task, node: &Node) -> bool {
        self.taken(task, &node.id).next().is_none()
    }

    fn explain(&self, n: usize) -> String {
        format!("{n} node{} host port in use", plural(n))
    }

    /// `1 node host port 8080/tcp in use`, naming the task's ports that are taken somewhere.
    fn explain_for(&self, task: &Task, n: usize) -> String {
        let taken: BTreeSet<HostPort> = self
            .in_use
            .keys()
            .flat_map(|node| self.taken(task, node))
            .collect();
        let ports: Vec<String> = taken.iter().map(ToString::to_string).collect();
        format!(
            "{n} node{} host port{} {} in use",
            plural(n),
            plural(ports.len()),
            ports.join(", ")
        )
    }
}
