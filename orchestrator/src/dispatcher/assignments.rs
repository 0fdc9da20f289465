//! The assignment stream of one agent session: a full set first, then increments whenever a
//! task of the node is created, deleted or changes desired state. Newline-delimited JSON.

use super::{DispatchError, Dispatcher};
use futures::Stream;
use shoal_api::dispatch::Assignments;
use shoal_api::{NodeId, TaskId, TaskState};
use std::collections::HashMap;
use std::sync::Arc;

/// What the agent was last told about each task.
type Sent = HashMap<TaskId, TaskState>;

pub fn assignment_stream(
    d: Arc<Dispatcher>,
    node: NodeId,
    session_id: String,
) -> Result<impl Stream<Item = Result<Vec<u8>, std::io::Error>>, DispatchError> {
    let (notify, cancel) = d.session_handles(&node, &session_id)?;
    let state = (d, node, Sent::new(), true);
    Ok(futures::stream::unfold(
        state,
        move |(d, node, mut sent, first)| {
            let notify = notify.clone();
            let cancel = cancel.clone();
            async move {
                loop {
                    if let Some(msg) = next_message(&d, &node, &mut sent, first) {
                        let mut line = serde_json::to_vec(&msg).unwrap_or_default();
                        line.push(b'\n');
                        return Some((Ok(line), (d, node, sent, false)));
                    }
                    tokio::select! {
                        _ = cancel.cancelled() => return None,
                        _ = notify.notified() => {}
                    }
                }
            }
        },
    ))
}

/// The next message to send, or `None` if nothing the agent cares about changed.
fn next_message(d: &Dispatcher, node: &NodeId, sent: &mut Sent, full: bool) -> Option<Assignments> {
    let state = d.store.read();
    let mut tasks = Vec::new();
    let mut seen = HashMap::new();
    // A global task names its node before the scheduler has checked it: not yet the agent's.
    for t in state
        .tasks_on_node(node)
        .filter(|t| t.status.state >= TaskState::Assigned)
    {
        seen.insert(t.id.clone(), t.desired_state);
        if full || sent.get(&t.id) != Some(&t.desired_state) {
            tasks.push(t.clone());
        }
    }
    let removed: Vec<TaskId> = if full {
        Vec::new()
    } else {
        sent.keys()
            .filter(|id| !seen.contains_key(*id))
            .cloned()
            .collect()
    };
    *sent = seen;
    if full || !tasks.is_empty() || !removed.is_empty() {
        Some(Assignments {
            full,
            tasks,
            removed,
        })
    } else {
        None
    }
}
