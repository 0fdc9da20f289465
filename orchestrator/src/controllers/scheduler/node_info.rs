//! What the scheduler knows about each node while it plans: the node, how many tasks it runs
//! (in all and per service) and what those tasks reserve. Updated as tasks are placed, so
//! one plan never overcommits a node.

use crate::store::State;
use shoal_api::{HostPort, Node, ServiceId, Task, TaskState};
use std::collections::{HashMap, HashSet};

pub struct NodeInfo<'a> {
    pub node: &'a Node,
    /// Tasks desired running and not stopped: the load that ranking evens out.
    pub active_tasks: usize,
    pub service_tasks: HashMap<ServiceId, usize>,
    /// Reserved by every task here whose container may still run.
    pub reserved_nano_cpus: u64,
    pub reserved_memory: u64,
    /// Host ports held by tasks here that are desired running and not stopped.
    pub ports: HashSet<HostPort>,
}

impl<'a> NodeInfo<'a> {
    pub fn new(node: &'a Node) -> NodeInfo<'a> {
        NodeInfo {
            node,
            active_tasks: 0,
            service_tasks: HashMap::new(),
            reserved_nano_cpus: 0,
            reserved_memory: 0,
            ports: HashSet::new(),
        }
    }

    /// Every node with the tasks already assigned to it.
    pub fn all(state: &'a State) -> Vec<NodeInfo<'a>> {
        let mut nodes: Vec<NodeInfo> = state.nodes.values().map(NodeInfo::new).collect();
        let index: HashMap<_, _> = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.node.id.clone(), i))
            .collect();
        // A global task names its node before it is placed: it counts once assigned.
        for t in state
            .tasks
            .values()
            .filter(|t| t.status.state >= TaskState::Assigned)
        {
            if let Some(i) = t.node_id.as_ref().and_then(|n| index.get(n)) {
                nodes[*i].add(t);
            }
        }
        nodes
    }

    /// Counts `task` on this node (nothing once it stopped).
    pub fn add(&mut self, task: &Task) {
        if task.status.state.is_terminal() {
            return;
        }
        let r = &task.spec.resources.reservations;
        self.reserved_nano_cpus += r.nano_cpus();
        self.reserved_memory += r.memory;
        if task.desired_state <= TaskState::Running {
            self.ports
                .extend(task.spec.container.ports.iter().map(|p| p.host_port()));
            self.active_tasks += 1;
            *self
                .service_tasks
                .entry(task.service_id.clone())
                .or_default() += 1;
        }
    }

    pub fn tasks_of(&self, service: &ServiceId) -> usize {
        self.service_tasks.get(service).copied().unwrap_or(0)
    }

    pub fn free_nano_cpus(&self) -> u64 {
        (self.node.description.cpus * 1_000_000_000).saturating_sub(self.reserved_nano_cpus)
    }

    pub fn free_memory(&self) -> u64 {
        self.node
            .description
            .memory_bytes
            .saturating_sub(self.reserved_memory)
    }
}
