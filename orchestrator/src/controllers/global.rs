//! The global planner: one task per eligible node, for global services (kept running) and
//! global jobs (run once to completion on each node). Pure, like the replicated planner.
//!
//! Tasks are created with their node already chosen (slot 0, named after the node); the
//! scheduler still checks that node before the task is assigned. A node that joins or becomes
//! active gets a task; a drained or removed node's task, or that of a node that no longer
//! matches the service's constraints, is shut down; a node that is down
//! keeps its task until it returns. Restarts follow the restart policy on the same node, and a
//! new spec rolls over the nodes as a replicated service rolls over its slots: parallelism,
//! delay, order, and the failure action (pause, continue, rollback) through `rollout`.

use super::driver::Plan;
use super::rollout::{Next, Rollout, Round, slot_key};
use super::task_factory::new_task;
use crate::store::Action;
use shoal_api::{Node, NodeId, Restart, Service, Task, TaskState, Timestamp, UpdateOrder};
use std::collections::{BTreeMap, BTreeSet};

/// Which nodes a global service runs on.
#[derive(Debug, Default)]
pub struct GlobalNodes {
    /// Ready, active (and matching the service's constraints): they get a task.
    pub eligible: BTreeSet<NodeId>,
    /// Drained or gone: their tasks are shut down.
    pub evict: BTreeSet<NodeId>,
}

impl GlobalNodes {
    /// The nodes for `service`: a node that does not match its placement constraints is
    /// neither given a task nor allowed to keep one.
    pub fn for_service(&self, service: &Service, nodes: &BTreeMap<NodeId, Node>) -> GlobalNodes {
        let constraints =
            shoal_api::placement::Constraint::parse_all(&service.spec.task.placement.constraints)
                .unwrap_or_default();
        let fits = |id: &NodeId| {
            nodes
                .get(id)
                .is_some_and(|n| constraints.iter().all(|c| c.matches(n)))
        };
        GlobalNodes {
            eligible: self.eligible.iter().filter(|n| fits(n)).cloned().collect(),
            evict: self
                .evict
                .iter()
                .cloned()
                .chain(nodes.keys().filter(|n| !fits(n)).cloned())
                .collect(),
        }
    }
}

fn is_live(t: &Task) -> bool {
    t.desired_state <= TaskState::Running
}

fn stop(t: &Task, plan: &mut Plan) {
    plan.actions.push(Action::SetTaskDesiredState {
        id: t.id.clone(),
        state: TaskState::Shutdown,
    });
}

fn create(service: &Service, node: &NodeId, desired: TaskState, now: Timestamp) -> Action {
    let mut task = new_task(service, 0, desired, now);
    task.node_id = Some(node.clone());
    Action::CreateTask(task)
}

pub fn plan_global(
    service: &Service,
    tasks: &[&Task],
    nodes: &GlobalNodes,
    now: Timestamp,
) -> Plan {
    let job = service.spec.mode.is_job();
    let spec = &service.spec.task;
    let mut plan = Plan::default();
    let mut by_node: BTreeMap<&NodeId, Vec<&Task>> = BTreeMap::new();
    for t in tasks.iter().filter(|t| t.desired_state < TaskState::Remove) {
        if let Some(n) = &t.node_id {
            by_node.entry(n).or_default().push(t);
        }
    }
    for ts in by_node.values_mut() {
        ts.sort_by_key(|t| (t.meta.created_at, t.meta.version));
    }
    let none: Vec<&Task> = Vec::new();
    let mut candidates: Vec<&Task> = Vec::new();
    let mut in_flight = 0usize;
    let mut last_running_new: Option<Timestamp> = None;
    let all: BTreeSet<&NodeId> = nodes
        .eligible
        .iter()
        .chain(by_node.keys().copied())
        .collect();
    for node in all {
        let ts = by_node.get(node).unwrap_or(&none);
        let live: Vec<&Task> = ts.iter().copied().filter(|t| is_live(t)).collect();
        if nodes.evict.contains(node) {
            live.iter().for_each(|t| stop(t, &mut plan));
            continue;
        }
        let eligible = nodes.eligible.contains(node);
        if job {
            plan_job_on_node(service, node, ts, &live, eligible, now, &mut plan);
            continue;
        }
        let Some(cur) = live.last().copied() else {
            if eligible {
                plan.actions
                    .push(create(service, node, TaskState::Running, now));
            }
            continue;
        };
        let older = &live[..live.len() - 1];
        if cur.desired_state == TaskState::Running && cur.status.state.is_terminal() {
            restart(service, node, cur, now, &mut plan);
        } else if cur.desired_state == TaskState::Ready {
            // Stop-first: start the new task once the old one on this node has stopped.
            let stopping = ts.iter().any(|t| {
                t.desired_state >= TaskState::Shutdown
                    && t.status.state >= TaskState::Assigned
                    && !t.status.state.is_terminal()
            });
            if !stopping {
                plan.actions.push(Action::SetTaskDesiredState {
                    id: cur.id.clone(),
                    state: TaskState::Running,
                });
            }
            in_flight += 1;
        } else if !older.is_empty() {
            // Start-first: retire the old task once the new one runs.
            if cur.status.state == TaskState::Running {
                older.iter().for_each(|t| stop(t, &mut plan));
            } else {
                in_flight += 1;
            }
        } else if &cur.spec != spec {
            candidates.push(cur);
        } else if cur.status.state < TaskState::Running {
            in_flight += 1;
        } else if ts.len() > 1 {
            last_running_new = last_running_new.max(Some(cur.status.timestamp));
        }
    }
    if job {
        return plan;
    }

    // Where the rollout stands, as for replicated services: failures may pause it or roll
    // it back; the update delay spaces batches.
    let rollout = Rollout::of(service);
    let update = rollout.config;
    let round = Round {
        outdated: candidates.iter().map(|t| slot_key(t)).collect(),
        rollout,
        restarting_outdated: false,
        in_flight,
        last_running_new,
    };
    let budget = match round.next(service, tasks, now, &mut plan) {
        Next::RollBack(rollback) => return rollback,
        Next::Replace(budget) => budget,
    };
    for old in candidates.into_iter().take(budget) {
        let node = old.node_id.as_ref().expect("global tasks have a node");
        match update.order {
            _ if old.status.state.is_terminal() => {
                stop(old, &mut plan);
                plan.actions
                    .push(create(service, node, TaskState::Running, now));
            }
            UpdateOrder::StopFirst => {
                stop(old, &mut plan);
                plan.actions
                    .push(create(service, node, TaskState::Ready, now));
            }
            UpdateOrder::StartFirst => {
                plan.actions
                    .push(create(service, node, TaskState::Running, now));
            }
        }
    }
    plan
}

/// A stopped task desired running: replaced on its node when the restart policy says so.
fn restart(service: &Service, node: &NodeId, cur: &Task, now: Timestamp, plan: &mut Plan) {
    match cur.spec.restart.verdict(cur, now) {
        Restart::Now => {
            stop(cur, plan);
            let same = cur.spec == service.spec.task;
            let restarts = service.spec.task.restart.next_restarts(cur, same, now);
            let mut task = new_task(service, 0, TaskState::Running, now);
            task.node_id = Some(node.clone());
            task.restarts = restarts;
            plan.actions.push(Action::CreateTask(task));
        }
        Restart::At(due) => {
            plan.wake_at = Some(plan.wake_at.map_or(due, |w| w.min(due)));
        }
        Restart::Never(_) => {}
    }
}

/// A global job on one node: run the current spec once to completion; a failed run is
/// retried per the restart policy; a new spec (a new run of the job) stops runs of the old.
fn plan_job_on_node(
    service: &Service,
    node: &NodeId,
    ts: &[&Task],
    live: &[&Task],
    eligible: bool,
    now: Timestamp,
    plan: &mut Plan,
) {
    let spec = &service.spec.task;
    for t in live.iter().filter(|t| &t.spec != spec) {
        stop(t, plan);
    }
    let current: Vec<&Task> = live.iter().copied().filter(|t| &t.spec == spec).collect();
    if ts
        .iter()
        .any(|t| &t.spec == spec && t.status.state == TaskState::Complete)
    {
        return;
    }
    match current.last() {
        Some(cur) if cur.status.state.is_terminal() => restart(service, node, cur, now, plan),
        Some(_) => {}
        None if eligible => plan
            .actions
            .push(create(service, node, TaskState::Running, now)),
        None => {}
    }
}
