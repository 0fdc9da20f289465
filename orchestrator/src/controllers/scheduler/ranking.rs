//! Ranking the nodes that passed the filters. Lowest wins, comparing in turn: for each spread
//! preference (outermost first), the service's tasks in the node's group, i.e. among the
//! nodes that share its values for that preference and the ones before it (nodes without
//! the label form a group of their own); then the service's tasks on the node; then all
//! tasks on the node. So tasks spread evenly over a label's values, then over nodes, then
//! by load, as SwarmKit does.

use super::demand::Demand;
use super::node_info::NodeInfo;
use std::collections::HashMap;

/// The node's values for the spread preferences, outermost first.
fn path<'a>(d: &Demand, n: &NodeInfo<'a>) -> Vec<Option<&'a str>> {
    d.spread.iter().map(|k| k.value(n.node)).collect()
}

/// The best of `candidates` (indexes into `nodes`), or `None` when there are none.
pub fn best(d: &Demand, nodes: &[NodeInfo], candidates: &[usize]) -> Option<usize> {
    let service = &d.task.service_id;
    let mut groups: HashMap<Vec<Option<&str>>, usize> = HashMap::new();
    if !d.spread.is_empty() {
        for n in nodes {
            let count = n.tasks_of(service);
            if count > 0 {
                let p = path(d, n);
                for level in 1..=p.len() {
                    *groups.entry(p[..level].to_vec()).or_default() += count;
                }
            }
        }
    }
    candidates.iter().copied().min_by_key(|&i| {
        let n = &nodes[i];
        let p = path(d, n);
        let spread: Vec<usize> = (1..=p.len())
            .map(|level| groups.get(&p[..level]).copied().unwrap_or(0))
            .collect();
        (spread, n.tasks_of(service), n.active_tasks)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controllers::scheduler::filters::test_support::*;
    use shoal_api::{Node, Preference, ServiceId, Task, TaskState};

    fn labelled(id: &str, labels: &[(&str, &str)]) -> Node {
        let mut n = ready(id);
        for (k, v) in labels {
            n.spec.labels.insert(k.to_string(), v.to_string());
        }
        n
    }

    /// Places `count` tasks one after the other, as `plan` does; returns node ids in order.
    fn place(t: &Task, nodes: &[Node], count: usize) -> Vec<String> {
        let mut infos: Vec<NodeInfo> = nodes.iter().map(NodeInfo::new).collect();
        let d = Demand::of(t).unwrap();
        let all: Vec<usize> = (0..infos.len()).collect();
        (0..count)
            .map(|_| {
                let i = best(&d, &infos, &all).unwrap();
                let mut placed = t.clone();
                placed.status.state = TaskState::Running;
                infos[i].add(&placed);
                infos[i].node.id.to_string()
            })
            .collect()
    }

    fn spread(keys: &[&str]) -> Task {
        new_task(|t| {
            t.spec.placement.preferences = keys
                .iter()
                .map(|k| Preference {
                    spread: k.to_string(),
                })
                .collect()
        })
    }

    fn count(placed: &[String], id: &str) -> usize {
        placed.iter().filter(|p| *p == id).count()
    }

    #[test]
    fn spreads_over_label_values_before_nodes() {
        let nodes = [
            labelled("e1", &[("zone", "east")]),
            labelled("w1", &[("zone", "west")]),
            labelled("w2", &[("zone", "west")]),
            labelled("none", &[]),
        ];
        let placed = place(&spread(&["node.labels.zone"]), &nodes, 6);
        // Three groups (east, west, no label) get two tasks each; west's two go one per node.
        assert_eq!(count(&placed, "e1"), 2);
        assert_eq!(count(&placed, "none"), 2);
        assert_eq!((count(&placed, "w1"), count(&placed, "w2")), (1, 1));

        let plain = place(&new_task(|_| {}), &nodes, 4);
        assert!(
            nodes.iter().all(|n| count(&plain, n.id.as_str()) == 1),
            "without preferences: one per node"
        );
    }

    #[test]
    fn nested_preferences_spread_within_each_value() {
        let nodes = [
            labelled("e-a", &[("zone", "east"), ("rack", "a")]),
            labelled("e-a2", &[("zone", "east"), ("rack", "a")]),
            labelled("e-b", &[("zone", "east"), ("rack", "b")]),
            labelled("w-a", &[("zone", "west"), ("rack", "a")]),
        ];
        let placed = place(
            &spread(&["node.labels.zone", "node.labels.rack"]),
            &nodes,
            4,
        );
        // East and west get two each; east's two go to racks a and b.
        assert_eq!(count(&placed, "w-a"), 2);
        assert_eq!(count(&placed, "e-b"), 1);
        assert_eq!(count(&placed, "e-a") + count(&placed, "e-a2"), 1);
    }

    #[test]
    fn prefers_fewer_tasks_of_the_service_then_less_load() {
        let nodes = [ready("a"), ready("b")];
        let mut infos: Vec<NodeInfo> = nodes.iter().map(NodeInfo::new).collect();
        let t = new_task(|_| {});
        let mut busy = t.clone();
        busy.service_id = ServiceId("svc-other".into());
        busy.status.state = TaskState::Running;
        infos[0].add(&busy);
        infos[0].add(&busy);
        let d = Demand::of(&t).unwrap();
        assert_eq!(best(&d, &infos, &[0, 1]), Some(1), "less loaded");
        let mut mine = t.clone();
        mine.status.state = TaskState::Running;
        infos[1].add(&mine);
        assert_eq!(
            best(&d, &infos, &[0, 1]),
            Some(0),
            "the service's own spread comes first"
        );
        assert_eq!(best(&d, &infos, &[1]), Some(1), "only candidates");
        assert_eq!(best(&d, &infos, &[]), None);
    }
}
