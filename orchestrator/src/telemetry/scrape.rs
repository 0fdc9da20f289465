//! Figures read at scrape time: this manager's view of Raft (from `raft.metrics()`), the
//! store's tasks by state, services and nodes, pending tasks, and the dispatcher's sessions
//! (zero on a follower, whose dispatcher does not run).

use crate::dispatcher::Dispatcher;
use crate::raft::{Raft, RaftId};
use crate::store::Store;
use metrics::{describe_gauge, gauge};
use shoal_api::{NodeState, TaskState};

const NODE_STATES: [NodeState; 4] = [
    NodeState::Unknown,
    NodeState::Down,
    NodeState::Ready,
    NodeState::Disconnected,
];

pub(super) fn describe() {
    describe_gauge!("shoal_raft_term", "Current Raft term");
    describe_gauge!("shoal_raft_leader", "1 when this manager leads");
    describe_gauge!(
        "shoal_raft_last_log_index",
        "Index of the last Raft log entry"
    );
    describe_gauge!(
        "shoal_raft_applied_index",
        "Index of the last entry applied to the store"
    );
    describe_gauge!("shoal_raft_members", "Raft voters (managers)");
    describe_gauge!("shoal_tasks", "Tasks in the store by observed state");
    describe_gauge!("shoal_services", "Services in the store");
    describe_gauge!("shoal_nodes", "Nodes by state");
    describe_gauge!("shoal_scheduler_pending_tasks", "Tasks waiting for a node");
    describe_gauge!(
        "shoal_dispatcher_sessions",
        "Agent sessions open on this manager"
    );
}

/// Sets the scrape-time gauges and renders every metric.
pub fn render(
    raft: &Raft,
    raft_id: RaftId,
    store: &Store,
    dispatcher: Option<&Dispatcher>,
) -> String {
    let handle = super::handle();
    {
        let m = raft.metrics().borrow().clone();
        gauge!("shoal_raft_term").set(m.current_term as f64);
        gauge!("shoal_raft_leader").set(f64::from(u8::from(m.current_leader == Some(raft_id))));
        gauge!("shoal_raft_last_log_index").set(m.last_log_index.unwrap_or(0) as f64);
        gauge!("shoal_raft_applied_index").set(m.last_applied.map_or(0, |l| l.index) as f64);
        gauge!("shoal_raft_members")
            .set(m.membership_config.membership().voter_ids().count() as f64);
    }
    {
        let s = store.read();
        for state in TaskState::ALL {
            let n = s.tasks.values().filter(|t| t.status.state == state).count();
            gauge!("shoal_tasks", "state" => state.as_str()).set(n as f64);
        }
        let pending = s
            .tasks
            .values()
            .filter(|t| {
                t.desired_state <= TaskState::Running && t.status.state <= TaskState::Pending
            })
            .count();
        gauge!("shoal_scheduler_pending_tasks").set(pending as f64);
        gauge!("shoal_services").set(s.services.len() as f64);
        for state in NODE_STATES {
            let n = s.nodes.values().filter(|n| n.status.state == state).count();
            gauge!("shoal_nodes", "state" => node_state(state)).set(n as f64);
        }
    }
    let sessions = dispatcher.map_or(0, Dispatcher::session_count);
    gauge!("shoal_dispatcher_sessions").set(sessions as f64);
    handle.render()
}

fn node_state(s: NodeState) -> &'static str {
    match s {
        NodeState::Unknown => "unknown",
        NodeState::Down => "down",
        NodeState::Ready => "ready",
        NodeState::Disconnected => "disconnected",
    }
}
