//! The replicated-job planner: `total_completions` successful runs, at most `max_concurrent`
//! at a time, each in its slot (`1..=total`). A slot is done once a task of the current spec
//! completed (exit 0); such tasks are never restarted. A failed run is retried per the restart
//! policy (condition `any` counts only failures, as a completed run is final). A new spec
//! starts the job over: runs of the old spec are stopped. Pure.

use super::driver::Plan;
use super::replicated::NodeView;
use super::task_factory::new_task;
use crate::store::Action;
use shoal_api::{Restart, Service, ServiceMode, Task, TaskState, Timestamp};
use std::collections::BTreeMap;

pub fn plan_replicated_job(
    service: &Service,
    tasks: &[&Task],
    nodes: &NodeView,
    now: Timestamp,
) -> Plan {
    let ServiceMode::ReplicatedJob {
        max_concurrent,
        total_completions,
    } = service.spec.mode
    else {
        return Plan::default();
    };
    let total = total_completions.unwrap_or(max_concurrent);
    let spec = &service.spec.task;
    let mut plan = Plan::default();
    let set = |t: &Task, state: TaskState| Action::SetTaskDesiredState {
        id: t.id.clone(),
        state,
    };
    let mut slots: BTreeMap<u64, Vec<&Task>> = BTreeMap::new();
    for t in tasks.iter().filter(|t| t.desired_state < TaskState::Remove) {
        if t.slot == 0 || t.slot > total {
            plan.actions.push(set(t, TaskState::Remove));
            continue;
        }
        if t.desired_state <= TaskState::Running && &t.spec != spec {
            plan.actions.push(set(t, TaskState::Shutdown));
            continue;
        }
        slots.entry(t.slot).or_default().push(t);
    }
    for v in slots.values_mut() {
        v.sort_by_key(|t| (t.meta.created_at, t.meta.version));
    }
    let done = |slot: u64| {
        slots.get(&slot).is_some_and(|ts| {
            ts.iter()
                .any(|t| &t.spec == spec && t.status.state == TaskState::Complete)
        })
    };
    let live = |slot: u64| -> Option<&Task> {
        slots.get(&slot).and_then(|ts| {
            ts.iter()
                .rev()
                .find(|t| &t.spec == spec && t.desired_state <= TaskState::Running)
                .copied()
        })
    };
    let mut running = (1..=total)
        .filter(|s| !done(*s))
        .filter_map(live)
        .filter(|t| !t.status.state.is_terminal())
        .count() as u64;
    for slot in 1..=total {
        if done(slot) {
            continue;
        }
        let replace = |old: &Task, plan: &mut Plan| {
            plan.actions.push(set(old, TaskState::Shutdown));
            let mut task = new_task(service, slot, TaskState::Running, now);
            task.restarts = spec.restart.next_restarts(old, true, now);
            plan.actions.push(Action::CreateTask(task));
        };
        match live(slot) {
            Some(t) if t.status.state.is_terminal() => match t.spec.restart.verdict(t, now) {
                Restart::Now if running < max_concurrent => {
                    replace(t, &mut plan);
                    running += 1;
                }
                Restart::Now | Restart::Never(_) => {}
                Restart::At(due) => {
                    plan.wake_at = Some(plan.wake_at.map_or(due, |w| w.min(due)));
                }
            },
            Some(t) if t.node_id.as_ref().is_some_and(|n| nodes.lost.contains(n)) => {
                replace(t, &mut plan);
            }
            Some(_) => {}
            None if running < max_concurrent => {
                plan.actions.push(Action::CreateTask(new_task(
                    service,
                    slot,
                    TaskState::Running,
                    now,
                )));
                running += 1;
            }
            None => {}
        }
    }
    plan
}
