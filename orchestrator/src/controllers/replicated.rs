//! The replicated-service planner: keeps one live task per slot `1..=replicas`, replaces
//! tasks that stopped (per restart policy: condition, delay, max attempts within a window)
//! and rolls slots to a new spec within the update (or rollback) config; `rollout` decides
//! when failures pause or roll back the rollout and when it is complete. Pure: it sees a service, its tasks and a view of the nodes.
//! A task on a node that is down (or gone) is replaced at once; when the node comes back, its
//! agent finds the old task desired `shutdown` and stops it, so no slot runs twice.
//!
//! A slot is live when it has a task whose desired state is `ready` or `running`. Stop-first
//! updates create the new task desired `ready` (prepared, not started) and promote it to
//! `running` once the old task has stopped; start-first updates stop the old task once the
//! new one runs.

use super::driver::Plan;
use super::rollout::{Next, Rollout, Round, slot_key};
use super::task_factory::new_task;
use crate::store::Action;
use shoal_api::{NodeId, Restart, Service, ServiceId, Task, TaskState, Timestamp, UpdateOrder};
use std::collections::{BTreeMap, HashMap, HashSet};

/// What the planner knows of nodes: live tasks on each (scale-down prefers busier nodes) and
/// which nodes must not run anything now (down, drained or gone).
#[derive(Debug, Default)]
pub struct NodeView {
    pub load: HashMap<NodeId, usize>,
    pub lost: HashSet<NodeId>,
}

impl NodeView {
    pub fn with_load<const N: usize>(load: [(NodeId, usize); N]) -> Self {
        NodeView {
            load: HashMap::from(load),
            lost: HashSet::new(),
        }
    }

    fn is_lost(&self, t: &Task) -> bool {
        t.node_id.as_ref().is_some_and(|n| self.lost.contains(n))
    }
}

fn is_live(t: &Task) -> bool {
    t.desired_state <= TaskState::Running
}

/// Still has a container that may be running although it was told to stop.
fn is_stopping(t: &Task) -> bool {
    t.desired_state >= TaskState::Shutdown
        && t.node_id.is_some()
        && t.status.state >= TaskState::Assigned
        && !t.status.state.is_terminal()
}

fn set_desired(t: &Task, state: TaskState) -> Action {
    Action::SetTaskDesiredState {
        id: t.id.clone(),
        state,
    }
}

/// Plans one service. `service` is `None` when it was deleted: all its tasks go away.
pub fn plan_service(
    service_id: &ServiceId,
    service: Option<&Service>,
    tasks: &[&Task],
    nodes: &NodeView,
    now: Timestamp,
) -> Plan {
    let mut plan = Plan::default();
    let Some(service) = service else {
        for t in tasks.iter().filter(|t| t.desired_state < TaskState::Remove) {
            plan.actions.push(set_desired(t, TaskState::Remove));
        }
        return plan;
    };
    debug_assert_eq!(&service.id, service_id);
    let replicas = service.spec.replicas().unwrap_or(0);

    let mut slots: BTreeMap<u64, Vec<&Task>> = BTreeMap::new();
    for t in tasks.iter().filter(|t| t.desired_state < TaskState::Remove) {
        slots.entry(t.slot).or_default().push(t);
    }
    for v in slots.values_mut() {
        v.sort_by_key(|t| (t.meta.created_at, t.meta.version));
    }
    let live_slots: Vec<u64> = slots
        .iter()
        .filter(|(_, ts)| ts.iter().any(|t| is_live(t)))
        .map(|(s, _)| *s)
        .collect();

    // Scale down: drop slots holding non-running tasks first, then those on busier nodes,
    // then the highest slots.
    let mut keep = live_slots.clone();
    if live_slots.len() as u64 > replicas {
        let excess = live_slots.len() - replicas as usize;
        let mut ranked = live_slots.clone();
        ranked.sort_by_key(|slot| {
            let cur = current(&slots[slot]);
            let running = cur.status.state == TaskState::Running;
            let node_load = cur
                .node_id
                .as_ref()
                .and_then(|n| nodes.load.get(n))
                .copied()
                .unwrap_or(0);
            (
                running,
                std::cmp::Reverse(node_load),
                std::cmp::Reverse(*slot),
            )
        });
        for slot in &ranked[..excess] {
            for t in &slots[slot] {
                plan.actions.push(set_desired(t, TaskState::Remove));
            }
        }
        keep.retain(|s| !ranked[..excess].contains(s));
    }

    // Scale up: fill the lowest free slot numbers.
    let mut missing = (replicas as usize).saturating_sub(keep.len());
    let mut slot = 1;
    while missing > 0 {
        if !keep.contains(&slot) {
            plan.actions.push(Action::CreateTask(new_task(
                service,
                slot,
                TaskState::Running,
                now,
            )));
            missing -= 1;
        }
        slot += 1;
    }

    let rollout = Rollout::of(service);
    let update = rollout.config;
    let spec = &service.spec.task;
    let mut candidates = Vec::new();
    let mut in_flight = 0usize;
    let mut restarting_outdated = false;
    let mut last_running_new: Option<Timestamp> = None;
    for slot in &keep {
        let tasks = &slots[slot];
        let live: Vec<&Task> = tasks.iter().copied().filter(|t| is_live(t)).collect();
        let cur = *live.last().expect("kept slots are live");
        let older_live = &live[..live.len() - 1];
        let new_spec = &cur.spec == spec;

        if cur.desired_state == TaskState::Running && cur.status.state.is_terminal() {
            // A restart of an outdated slot brings it to the new spec: part of the rollout.
            match cur.spec.restart.verdict(cur, now) {
                Restart::Now => {
                    let restarts = spec.restart.next_restarts(cur, new_spec, now);
                    replace(service, cur, TaskState::Running, restarts, now, &mut plan);
                    in_flight += usize::from(!new_spec);
                    restarting_outdated |= !new_spec;
                }
                Restart::At(due) => {
                    plan.wake_at = earliest(plan.wake_at, due);
                    in_flight += usize::from(!new_spec);
                    restarting_outdated |= !new_spec;
                }
                // Down for good under its own spec; a new spec still replaces it.
                Restart::Never(_) if !new_spec => candidates.push(cur),
                Restart::Never(_) => {}
            }
            continue;
        }
        if nodes.is_lost(cur) {
            // Its node is down or drained: replace it now, whatever the restart policy says.
            replace(service, cur, TaskState::Running, Vec::new(), now, &mut plan);
            continue;
        }
        if cur.desired_state == TaskState::Ready {
            // Stop-first: start the new task once nothing else in the slot still runs.
            // A task on a lost node is not waited for: its node may never return.
            if !tasks.iter().any(|t| is_stopping(t) && !nodes.is_lost(t)) {
                plan.actions.push(set_desired(cur, TaskState::Running));
            }
            in_flight += 1;
            continue;
        }
        if !older_live.is_empty() {
            // Start-first: retire the old tasks once the new one runs.
            if cur.status.state == TaskState::Running {
                for t in older_live {
                    plan.actions.push(set_desired(t, TaskState::Shutdown));
                }
            } else {
                in_flight += 1;
            }
            continue;
        }
        if !new_spec {
            candidates.push(cur);
        } else if cur.status.state < TaskState::Running {
            in_flight += 1;
        } else if cur.status.state == TaskState::Running && tasks.len() > 1 {
            last_running_new = last_running_new.max(Some(cur.status.timestamp));
        }
    }

    // Where the rollout stands: failures may pause it or roll it back.
    let round = Round {
        outdated: candidates.iter().map(|t| slot_key(t)).collect(),
        rollout,
        restarting_outdated,
        in_flight,
        last_running_new,
    };
    let budget = match round.next(service, tasks, now, &mut plan) {
        Next::RollBack(rollback) => return rollback,
        Next::Replace(budget) => budget,
    };
    // Rolling update of the slots still on an old spec.
    for old in candidates.iter().take(budget) {
        match update.order {
            _ if old.status.state.is_terminal() => {
                replace(service, old, TaskState::Running, Vec::new(), now, &mut plan)
            }
            UpdateOrder::StopFirst => {
                replace(service, old, TaskState::Ready, Vec::new(), now, &mut plan)
            }
            UpdateOrder::StartFirst => {
                plan.actions.push(Action::CreateTask(new_task(
                    service,
                    old.slot,
                    TaskState::Running,
                    now,
                )));
            }
        }
    }
    plan
}

fn earliest(a: Option<Timestamp>, b: Timestamp) -> Option<Timestamp> {
    Some(a.map_or(b, |a| a.min(b)))
}

/// The newest live task of a slot.
fn current<'a>(tasks: &[&'a Task]) -> &'a Task {
    tasks
        .iter()
        .rev()
        .find(|t| is_live(t))
        .copied()
        .unwrap_or(tasks[tasks.len() - 1])
}

/// Retires `old` and puts a new task from the service's current spec in its slot, desired
/// `desired` (`running`, or `ready` for a stop-first update). `restarts` is the slot's
/// restart record when this is a restart.
fn replace(
    service: &Service,
    old: &Task,
    desired: TaskState,
    restarts: Vec<Timestamp>,
    now: Timestamp,
    plan: &mut Plan,
) {
    plan.actions.push(set_desired(old, TaskState::Shutdown));
    let mut task = new_task(service, old.slot, desired, now);
    task.restarts = restarts;
    plan.actions.push(Action::CreateTask(task));
}
