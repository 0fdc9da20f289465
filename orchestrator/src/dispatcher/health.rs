//! Node health: a node whose agent misses three heartbeat periods is marked down, and so is a
//! node that was ready when this manager became leader but never showed up.

use super::Dispatcher;
use crate::store::Action;
use shoal_api::{NodeId, NodeState, NodeStatus, Timestamp};
use std::sync::Arc;
use tokio::time::Instant;

const MISSED_PERIODS: u32 = 3;
/// Checks this many times per heartbeat period, so a node is marked down at most a fiftieth
/// of a period after its third missed heartbeat (a sessions scan: cheap).
const CHECKS_PER_PERIOD: u32 = 50;

pub(super) async fn check_loop(d: Arc<Dispatcher>) {
    loop {
        let period = d.heartbeat_period();
        tokio::select! {
            _ = d.shutdown.cancelled() => return,
            _ = tokio::time::sleep(period / CHECKS_PER_PERIOD) => {}
        }
        let deadline = period * MISSED_PERIODS;
        let now = Instant::now();
        let expired: Vec<NodeId> = {
            let mut sessions = d.sessions();
            let state = d.store.read();
            // Silent for three periods, or removed from the cluster.
            let gone: Vec<NodeId> = sessions
                .iter()
                .filter(|(n, s)| {
                    now.duration_since(s.last_seen) > deadline || !state.nodes.contains_key(*n)
                })
                .map(|(n, _)| n.clone())
                .collect();
            drop(state);
            for n in &gone {
                if let Some(s) = sessions.remove(n) {
                    s.cancel.cancel();
                }
            }
            gone
        };
        let mut down = expired;
        if now.duration_since(d.started) > deadline {
            let sessions = d.sessions();
            let state = d.store.read();
            down.extend(
                state
                    .nodes
                    .values()
                    .filter(|n| n.status.state == NodeState::Ready && !sessions.contains_key(&n.id))
                    .map(|n| n.id.clone()),
            );
        }
        down.sort();
        down.dedup();
        let actions: Vec<Action> = {
            let state = d.store.read();
            down.into_iter()
                .filter(|id| {
                    state
                        .nodes
                        .get(id)
                        .is_some_and(|n| n.status.state != NodeState::Down)
                })
                .map(|id| {
                    tracing::warn!(node = %id, "heartbeat failure: node is down");
                    let addr = state.nodes.get(&id).and_then(|n| n.status.addr.clone());
                    Action::SetNodeStatus {
                        id,
                        status: NodeStatus {
                            state: NodeState::Down,
                            message: "heartbeat failure".into(),
                            addr,
                            timestamp: Timestamp::now(),
                        },
                    }
                })
                .collect()
        };
        if !actions.is_empty()
            && let Err(e) = d.writer.write(actions).await
        {
            tracing::warn!(error = %e, "could not mark nodes down");
        }
    }
}
