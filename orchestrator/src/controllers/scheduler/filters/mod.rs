//! The filter pipeline. Each filter is a pure function that accepts a node for a task or says
//! in a few words why not; the first filter that refuses a node gives its reason, and the
//! reasons are counted into the pending task's message:
//! `no suitable node (2 nodes not available, 1 node insufficient memory)`.

mod availability;
mod constraints;
mod max_per_node;
mod ports;
mod resources;

use super::demand::Demand;
use super::node_info::NodeInfo;
use std::collections::BTreeMap;

/// `Ok` when `node` may take the task, else the reason, read after `N nodes`.
pub type Filter = fn(&Demand, &NodeInfo) -> Result<(), String>;

/// In SwarmKit's order: availability, host ports, resources, constraints, then the per-node
/// cap.
pub const PIPELINE: &[Filter] = &[
    availability::ready_and_active,
    ports::host_ports_free,
    resources::enough_resources,
    constraints::matches_constraints,
    max_per_node::below_max_per_node,
];

/// Why one node was refused: which filter (for ordering the message) and its reason.
#[derive(Debug, PartialEq, Eq)]
pub struct Refusal {
    pub stage: usize,
    pub reason: String,
}

/// Runs the pipeline on one node.
pub fn check(demand: &Demand, node: &NodeInfo) -> Result<(), Refusal> {
    for (stage, filter) in PIPELINE.iter().enumerate() {
        filter(demand, node).map_err(|reason| Refusal { stage, reason })?;
    }
    Ok(())
}

/// Refusals counted by reason, in pipeline order.
#[derive(Debug, Default)]
pub struct Refusals(BTreeMap<(usize, String), usize>);

impl Refusals {
    pub fn add(&mut self, r: Refusal) {
        *self.0.entry((r.stage, r.reason)).or_default() += 1;
    }

    /// `no suitable node (2 nodes not available, 1 node insufficient memory)`
    pub fn explain(&self) -> String {
        if self.0.is_empty() {
            return "no suitable node (no nodes in the cluster)".into();
        }
        let reasons: Vec<String> = self
            .0
            .iter()
            .map(|((_, reason), n)| {
                let s = if *n == 1 { "" } else { "s" };
                format!("{n} node{s} {reason}")
            })
            .collect();
        format!("no suitable node ({})", reasons.join(", "))
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::super::demand::Demand;
    use super::super::node_info::NodeInfo;
    use crate::controllers::tests::fixtures::{node, service, task};
    use shoal_api::{Availability, Node, NodeState, Task, TaskState};

    pub fn ready(id: &str) -> Node {
        node(id, NodeState::Ready, Availability::Active)
    }

    pub fn new_task(f: impl FnOnce(&mut Task)) -> Task {
        let mut t = task(&service("web", "img", 1), 1, TaskState::New, None);
        f(&mut t);
        t
    }

    pub fn run(filter: super::Filter, t: &Task, n: &Node) -> Result<(), String> {
        filter(&Demand::of(t).unwrap(), &NodeInfo::new(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explains_in_pipeline_order_with_counts() {
        let mut r = Refusals::default();
        assert_eq!(r.explain(), "no suitable node (no nodes in the cluster)");
        for (stage, reason) in [
            (2, "not matching constraint node.role==worker"),
            (0, "not available"),
            (1, "insufficient memory"),
            (0, "not available"),
        ] {
            r.add(Refusal {
                stage,
                reason: reason.into(),
            });
        }
        assert_eq!(
            r.explain(),
            "no suitable node (2 nodes not available, 1 node insufficient memory, \
             1 node not matching constraint node.role==worker)"
        );
    }
}
