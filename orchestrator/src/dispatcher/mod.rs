//! The dispatcher (leader only): agent sessions, heartbeats, the assignment stream, batched
//! status writes, and the log broker that relays container output to readers. Heartbeats
//! stay in memory; only a node's up/down transitions go to Raft.

mod assignments;
mod health;
mod log_broker;
mod status;

use crate::raft::{WriteError, Writer};
use crate::store::{Action, Event, Object, Store};
use shoal_api::dispatch::{
    HeartbeatRequest, HeartbeatResponse, RegisterRequest, RegisterResponse, StatusBatch,
};
use shoal_api::{NodeId, NodeState, NodeStatus, Role, Timestamp, random_id};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use thiserror::Error;
use tokio::sync::{Notify, mpsc};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

pub use assignments::assignment_stream;
pub use log_broker::{LogBroker, Subscription};

#[derive(Debug, Error)]
pub enum DispatchError {
    #[error("unknown session for node {0}: register again")]
    UnknownSession(NodeId),
    #[error("node {0} is not part of this cluster: join it with a token first")]
    UnknownNode(NodeId),
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("the dispatcher is shutting down")]
    ShuttingDown,
}

struct Session {
    id: String,
    last_seen: Instant,
    /// Woken when a task of this node changes.
    notify: Arc<Notify>,
    /// Cancelled when the session is replaced or expires.
    cancel: CancellationToken,
}

pub struct Dispatcher {
    store: Store,
    writer: Writer,
    /// The node this manager runs on: its agent registers as a manager.
    local_node: NodeId,
    sessions: Mutex<HashMap<NodeId, Session>>,
    status_tx: mpsc::Sender<status::Pending>,
    logs: Arc<LogBroker>,
    started: Instant,
    shutdown: CancellationToken,
}

impl Dispatcher {
    /// Starts the dispatcher and its background loops; they stop with `shutdown`.
    pub fn start(
        store: Store,
        writer: Writer,
        local_node: NodeId,
        shutdown: CancellationToken,
    ) -> Arc<Dispatcher> {
        let (status_tx, status_rx) = mpsc::channel(1024);
        let d = Arc::new(Dispatcher {
            store,
            writer,
            local_node,
            sessions: Mutex::default(),
            status_tx,
            logs: LogBroker::new(),
            started: Instant::now(),
            shutdown,
        });
        tokio::spawn(status::flush_loop(d.clone(), status_rx));
        tokio::spawn(health::check_loop(d.clone()));
        tokio::spawn(d.clone().watch_tasks());
        d
    }

    pub fn heartbeat_period(&self) -> Duration {
        let secs = self
            .store
            .read()
            .cluster
            .as_ref()
            .map_or(5, |c| c.spec.heartbeat_period_secs);
        Duration::from_secs(secs.max(1))
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, HashMap<NodeId, Session>> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Agent sessions open now.
    pub fn session_count(&self) -> usize {
        self.sessions().len()
    }

    /// Cancelled when this dispatcher stops (its manager no longer leads).
    pub fn stopped(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Whether `node` has an agent session open now.
    pub fn has_session(&self, node: &NodeId) -> bool {
        self.sessions().contains_key(node)
    }

    pub fn logs(&self) -> &Arc<LogBroker> {
        &self.logs
    }

    /// The log subscription stream of a current session (see [`LogBroker::node_stream`]).
    pub fn log_subscriptions(
        &self,
        node: NodeId,
        session_id: &str,
    ) -> Result<impl futures::Stream<Item = Result<Vec<u8>, std::io::Error>> + use<>, DispatchError>
    {
        let (_, cancel) = self.session_handles(&node, session_id)?;
        Ok(self.logs.node_stream(node, cancel))
    }

    /// Hands a batch of container output to its reader; `false` when the reader has gone.
    pub async fn publish_logs(
        &self,
        batch: shoal_api::logs::LogBatch,
    ) -> Result<bool, DispatchError> {
        self.session_handles(&batch.node_id, &batch.session_id)?;
        Ok(self.logs.deliver(batch).await)
    }

    pub async fn register(&self, req: RegisterRequest) -> Result<RegisterResponse, DispatchError> {
        // Nodes exist once they joined; only this manager's own agent may create its node.
        let known = self.store.read().nodes.get(&req.node_id).map(|n| n.role);
        let role = match known {
            Some(role) => role,
            None if req.node_id == self.local_node => Role::Manager,
            None => return Err(DispatchError::UnknownNode(req.node_id)),
        };
        self.writer
            .write(vec![Action::RegisterNode {
                id: req.node_id.clone(),
                role,
                description: req.description,
                status: NodeStatus {
                    state: NodeState::Ready,
                    message: String::new(),
                    addr: req.addr,
                    timestamp: Timestamp::now(),
                },
            }])
            .await?;
        let session_id = random_id();
        let old = self.sessions().insert(
            req.node_id.clone(),
            Session {
                id: session_id.clone(),
                last_seen: Instant::now(),
                notify: Arc::new(Notify::new()),
                cancel: self.shutdown.child_token(),
            },
        );
        if let Some(old) = old {
            old.cancel.cancel();
        }
        crate::telemetry::registered();
        tracing::info!(node = %req.node_id, "agent registered");
        Ok(RegisterResponse {
            session_id,
            heartbeat_period_ms: self.heartbeat_period().as_millis() as u64,
            managers: crate::raft::manager_urls(&self.store),
        })
    }

    pub fn heartbeat(&self, req: &HeartbeatRequest) -> Result<HeartbeatResponse, DispatchError> {
        // Read the store before taking the sessions lock, never while holding it.
        let answer = HeartbeatResponse {
            heartbeat_period_ms: self.heartbeat_period().as_millis() as u64,
            managers: crate::raft::manager_urls(&self.store),
        };
        let mut sessions = self.sessions();
        match sessions.get_mut(&req.node_id) {
            Some(s) if s.id == req.session_id => {
                s.last_seen = Instant::now();
                crate::telemetry::heartbeat();
                Ok(answer)
            }
            _ => Err(DispatchError::UnknownSession(req.node_id.clone())),
        }
    }

    /// The session's wake-up and cancellation, if `session_id` is current for `node`.
    fn session_handles(
        &self,
        node: &NodeId,
        session_id: &str,
    ) -> Result<(Arc<Notify>, CancellationToken), DispatchError> {
        match self.sessions().get(node) {
            Some(s) if s.id == session_id => Ok((s.notify.clone(), s.cancel.clone())),
            _ => Err(DispatchError::UnknownSession(node.clone())),
        }
    }

    /// Queues a status batch for the next Raft write and waits until it is committed.
    pub async fn report(&self, batch: StatusBatch) -> Result<(), DispatchError> {
        self.session_handles(&batch.node_id, &batch.session_id)?;
        let (done, wait) = tokio::sync::oneshot::channel();
        self.status_tx
            .send(status::Pending {
                updates: batch.updates,
                done,
            })
            .await
            .map_err(|_| DispatchError::ShuttingDown)?;
        wait.await.map_err(|_| DispatchError::ShuttingDown)?
    }

    /// Wakes the assignment stream of every node whose tasks changed.
    async fn watch_tasks(self: Arc<Self>) {
        let mut events = self.store.subscribe();
        loop {
            let ev = tokio::select! {
                _ = self.shutdown.cancelled() => return,
                ev = events.recv() => ev,
            };
            let sessions = self.sessions();
            match ev.as_deref() {
                Ok(Event::Commit { changes, .. }) => {
                    for c in changes {
                        if let Object::Task(t) = c.object()
                            && let Some(n) = &t.node_id
                            && let Some(s) = sessions.get(n)
                        {
                            s.notify.notify_one();
                        }
                    }
                }
                // A reset or a lag may hide any change: wake everyone.
                Ok(Event::Reset) | Err(_) => sessions.values().for_each(|s| s.notify.notify_one()),
            }
        }
    }
}
