//! Rebalancing, beyond SwarmKit: when a replicated service is settled (every task of the
//! current spec running, no rollout under way) but its tasks sit unevenly on the nodes that
//! can take them (a node joined or became active again), it moves tasks from the busiest node
//! towards the emptiest, at most `update.parallelism` at a time. A move is a second task in
//! the slot: the scheduler places it on the least loaded node, and the replicated planner
//! retires the old one only once the new one runs, so the service never drops below its
//! desired count. Off with the cluster setting `rebalance: false`. Pure.

use super::driver::Plan;
use super::task_factory::new_task;
use crate::store::Action;
use shoal_api::{NodeId, Service, Task, TaskState, Timestamp};
use std::collections::{BTreeMap, BTreeSet};

pub fn plan_rebalance(
    service: &Service,
    tasks: &[&Task],
    usable: &BTreeSet<NodeId>,
    now: Timestamp,
) -> Plan {
    let mut plan = Plan::default();
    if service
        .update_status
        .as_ref()
        .is_some_and(|u| u.state.in_progress())
        || usable.len() < 2
    {
        return plan;
    }
    let live: Vec<&Task> = tasks
        .iter()
        .copied()
        .filter(|t| t.desired_state <= TaskState::Running)
        .collect();
    let settled = live.iter().all(|t| {
        t.desired_state == TaskState::Running
            && t.status.state == TaskState::Running
            && t.spec == service.spec.task
    });
    let mut slots = BTreeSet::new();
    let one_per_slot = live.iter().all(|t| slots.insert(t.slot));
    if !settled || !one_per_slot {
        return plan;
    }
    let mut on: BTreeMap<&NodeId, Vec<&Task>> = usable.iter().map(|n| (n, Vec::new())).collect();
    for t in &live {
        if let Some(list) = t.node_id.as_ref().and_then(|n| on.get_mut(n)) {
            list.push(t);
        }
    }
    let budget = match service.spec.update.parallelism {
        0 => usize::MAX,
        p => p as usize,
    };
    // Greedy: each move takes the highest slot of the busiest node to the emptiest one.
    let mut counts: BTreeMap<&NodeId, usize> = on.iter().map(|(n, l)| (*n, l.len())).collect();
    for _ in 0..budget {
        let (busiest, most) = counts
            .iter()
            .max_by_key(|(n, c)| (**c, std::cmp::Reverse(**n)))
            .map(|(n, c)| (*n, *c))
            .expect("at least two usable nodes");
        let (emptiest, least) = counts
            .iter()
            .min_by_key(|(n, c)| (**c, **n))
            .map(|(n, c)| (*n, *c))
            .expect("at least two usable nodes");
        if most <= least + 1 {
            break;
        }
        let list = on.get_mut(busiest).expect("counted");
        list.sort_by_key(|t| t.slot);
        let Some(moving) = list.pop() else { break };
        plan.actions.push(Action::CreateTask(new_task(
            service,
            moving.slot,
            TaskState::Running,
            now,
        )));
        *counts.get_mut(busiest).expect("counted") -= 1;
        *counts.get_mut(emptiest).expect("counted") += 1;
    }
    plan
}
