//! The scheduler: places unassigned tasks on nodes (and checks the node a global task
//! comes with). A pipeline of [`filters`], each able to
//! say why it refused a node, then a [`ranking`] that spreads a service's tasks over the
//! values of its spread preferences, then over nodes, then by total load. It is the only
//! writer of `node_id` (and of the `pending`/`assigned` status). [`plan`] is pure; the
//! shared driver replans whenever a task may need placing, a task stops (freeing room) or a
//! node changes (joins, is relabelled, becomes active).

pub mod demand;
pub mod filters;
pub mod node_info;
pub mod ranking;

use super::driver::WholeState;
use crate::store::{Action, Object, State};
use demand::Demand;
use filters::Refusals;
use node_info::NodeInfo;
use shoal_api::{Task, TaskState};

/// Whether a task waits for the scheduler.
/// A global task comes with its node chosen; the scheduler still checks that node (all the
/// filters: availability, resources, constraints) before assigning it there.
fn needs_placement(t: &Task) -> bool {
    t.desired_state <= TaskState::Running && t.status.state <= TaskState::Pending
}

/// Places every task that needs it, or says why it cannot. Pure.
pub fn plan(state: &State) -> Vec<Action> {
    let mut nodes = NodeInfo::all(state);
    let mut pending: Vec<&Task> = state
        .tasks
        .values()
        .filter(|t| needs_placement(t))
        .collect();
    pending.sort_by_key(|t| (&t.service_id, t.slot));
    let mut actions = Vec::new();
    for task in pending {
        let outcome = match Demand::of(task) {
            Ok(demand) => place(&demand, &mut nodes),
            Err(message) => Err(message),
        };
        match outcome {
            Ok(node_id) => actions.push(Action::AssignTask {
                id: task.id.clone(),
                node_id,
                message: "scheduler assigned task to node".into(),
            }),
            Err(message) => {
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

/// Picks a node for one task and counts the task there, or explains why no node fits.
fn place(demand: &Demand, nodes: &mut [NodeInfo]) -> Result<shoal_api::NodeId, String> {
    let mut refusals = Refusals::default();
    let chosen = demand.task.node_id.as_ref();
    let candidates: Vec<usize> = (0..nodes.len())
        .filter(|&i| chosen.is_none_or(|c| *c == nodes[i].node.id))
        .filter(|&i| match filters::check(demand, &nodes[i]) {
            Ok(()) => true,
            Err(refusal) => {
                refusals.add(refusal);
                false
            }
        })
        .collect();
    let best = ranking::best(demand, nodes, &candidates).ok_or_else(|| refusals.explain())?;
    nodes[best].add(demand.task);
    Ok(nodes[best].node.id.clone())
}

/// The scheduler controller: replans whenever a task may need placing, a task stopped
/// (freeing resources and slots) or a node changed.
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
