//! Batches task status reports from all agents into few Raft writes. Reports that would move
//! a task backwards, repeat what is stored, or name a deleted task are dropped here. An agent
//! is told its report is done only once it is committed, or no longer applies: any other
//! failure is answered as one, so the agent keeps the report and sends it again.

use super::{DispatchError, Dispatcher};
use crate::raft::WriteError;
use crate::store::{Action, State};
use shoal_api::dispatch::StatusUpdate;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

pub(super) struct Pending {
    pub updates: Vec<StatusUpdate>,
    pub done: oneshot::Sender<Result<(), DispatchError>>,
}

/// Reports arriving within this window share one write.
const BATCH_WINDOW: Duration = Duration::from_millis(5);

pub(super) async fn flush_loop(d: Arc<Dispatcher>, mut rx: mpsc::Receiver<Pending>) {
    loop {
        let first = tokio::select! {
            _ = d.shutdown.cancelled() => return,
            p = rx.recv() => match p { Some(p) => p, None => return },
        };
        let mut batch = vec![first];
        let deadline = tokio::time::Instant::now() + BATCH_WINDOW;
        while let Ok(Some(p)) = tokio::time::timeout_at(deadline, rx.recv()).await {
            batch.push(p);
        }
        let updates: Vec<StatusUpdate> = batch.iter().flat_map(|p| p.updates.clone()).collect();
        crate::telemetry::status_batch(batch.len(), updates.len());
        let result = write(&d, updates).await;
        for p in batch {
            let r = match &result {
                Ok(()) => Ok(()),
                Err(e) => Err(DispatchError::Write(WriteError::Raft(e.to_string()))),
            };
            let _ = p.done.send(r);
        }
    }
}

async fn write(d: &Dispatcher, updates: Vec<StatusUpdate>) -> Result<(), WriteError> {
    let actions = {
        let state = d.store.read();
        useful(&state, updates)
    };
    if actions.is_empty() {
        return Ok(());
    }
    match d.writer.write(actions.clone()).await {
        // The store moved on between our check and the commit: write what still applies, one
        // by one. The store refusing one means it no longer applies (the task moved on or is
        // gone); losing the leader or the quorum fails the batch.
        Err(WriteError::Store(_)) => {
            for a in actions {
                match d.writer.write(vec![a]).await {
                    Ok(_) | Err(WriteError::Store(_)) => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(())
        }
        r => r.map(|_| ()),
    }
}

fn useful(state: &State, updates: Vec<StatusUpdate>) -> Vec<Action> {
    updates
        .into_iter()
        .filter(|u| {
            state.tasks.get(&u.task_id).is_some_and(|t| {
                u.status.state > t.status.state
                    || (u.status.state == t.status.state
                        && (u.status.message != t.status.message
                            || u.status.err != t.status.err
                            || u.status.container_id != t.status.container_id))
            })
        })
        .map(|u| Action::SetTaskStatus {
            id: u.task_id,
            status: u.status,
        })
        .collect()
}
