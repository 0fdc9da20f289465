//! Rebalancing, beyond SwarmKit: when a replicated service is settled (every task of the
//! current spec running, no rollout under way) but its tasks sit unevenly (a node joined or
//! became active again), it moves tasks from the busiest node towards the emptiest of the
//! `targets` (the nodes the scheduler's filters would accept one more task of it on), at most
//! `update.parallelism` at a time. A move is a second task in the slot: the scheduler places
//! it on the target with the fewest tasks of the service, and the replicated planner retires
//! the old one only once the new one runs, so the service never drops below its desired
//! count. Each move narrows the gap, so it ends. Services with spread preferences are left to
//! the scheduler. Off with the cluster setting `rebalance: false`. Pure.

use super::driver::Plan;
use super::task_factory::new_task;
use crate::store::Action;
use shoal_api::{NodeId, Service, Task, TaskState, Timestamp};
use std::collections::{BTreeMap, BTreeSet};

pub fn plan_rebalance(
    service: &Service,
    tasks: &[&Task],
    targets: &BTreeSet<NodeId>,
    now: Timestamp,
) -> Plan {
    let mut plan = Plan::default();
    if service
        .update_status
        .as_ref()
        .is_some_and(|u| u.state.in_progress())
        || targets.is_empty()
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
    let mut on: BTreeMap<&NodeId, Vec<&Task>> = targets.iter().map(|n| (n, Vec::new())).collect();
    for t in &live {
        if let Some(n) = t.node_id.as_ref() {
            on.entry(n).or_default().push(t);
        }
    }
    let budget = match service.spec.update.parallelism {
        0 => usize::MAX,
        p => p as usize,
    };
    // Greedy: each move takes the highest slot of the busiest node to the emptiest one.
    let mut counts: BTreeMap<&NodeId, usize> = on.iter().map(|(n, l)| (*n, l.len())).collect();
    for _ in 0..budget {
        let Some((busiest, most)) = counts
            .iter()
            .max_by_key(|(n, c)| (**c, std::cmp::Reverse(**n)))
            .map(|(n, c)| (*n, *c))
        else {
            break;
        };
        let Some((emptiest, least)) = counts
            .iter()
            .filter(|(n, _)| targets.contains(**n))
            .min_by_key(|(n, c)| (**c, **n))
            .map(|(n, c)| (*n, *c))
        else {
            break;
        };
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
