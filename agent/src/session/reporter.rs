//! Sends task status to the dispatcher in batches: whatever accumulated while the previous
//! batch was in flight goes in the next one, keeping only the latest status of each task.
//! A failed send is retried; nothing is dropped until the manager has committed it.

use crate::session::SessionInfo;
use shoal_api::dispatch::{StatusBatch, StatusUpdate};
use shoal_api::{NodeId, TaskId};
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

pub type ReportTx = mpsc::UnboundedSender<StatusUpdate>;

pub async fn run(
    http: crate::HttpClients,
    node_id: NodeId,
    mut session: watch::Receiver<Option<SessionInfo>>,
    mut rx: mpsc::UnboundedReceiver<StatusUpdate>,
    shutdown: CancellationToken,
) {
    let mut pending: HashMap<TaskId, StatusUpdate> = HashMap::new();
    loop {
        if pending.is_empty() {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                u = rx.recv() => match u {
                    Some(u) => { pending.insert(u.task_id.clone(), u); }
                    None => return,
                },
            }
        }
        while let Ok(u) = rx.try_recv() {
            pending.insert(u.task_id.clone(), u);
        }
        let Some(s) = session.borrow_and_update().clone() else {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = session.changed() => continue,
            }
        };
        let batch = StatusBatch {
            node_id: node_id.clone(),
            session_id: s.session_id.clone(),
            updates: pending.values().cloned().collect(),
        };
        let sent = http
            .get()
            .post(format!("{}/v1/dispatcher/status", s.manager))
            .json(&batch)
            .send()
            .await
            .and_then(|r| r.error_for_status());
        match sent {
            Ok(_) => pending.clear(),
            Err(e) => {
                tracing::debug!(error = %e, "status report failed; will retry");
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(Duration::from_millis(250)) => {}
                }
            }
        }
    }
}
