//! The log broker (leader only, part of the dispatcher): it matches readers of service logs
//! with the agents that hold the containers, as SwarmKit's LogBroker does. A reader opens a
//! subscription naming the tasks it wants on each node; the broker tells those nodes on
//! their subscription streams, hands each batch an agent posts to the reader, and closes the
//! subscription on the nodes when the reader goes away. Nothing here is written to Raft: logs
//! stay on the nodes and only pass through the leader's memory.

use futures::Stream;
use shoal_api::logs::{LogBatch, LogOptions, LogSubscription, SubscriptionMessage};
use shoal_api::{NodeId, TaskId, random_id};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Batches queued for a slow reader before agents are made to wait.
const READER_QUEUE: usize = 64;

/// A message for one node's subscription stream.
type ToNode = Arc<(NodeId, SubscriptionMessage)>;

struct Active {
    options: LogOptions,
    /// The tasks asked of each node.
    nodes: HashMap<NodeId, Vec<TaskId>>,
    out: mpsc::Sender<LogBatch>,
}

pub struct LogBroker {
    subs: Mutex<HashMap<String, Active>>,
    to_nodes: broadcast::Sender<ToNode>,
}

/// A reader's end of a subscription: the batches agents post for it. Dropping it closes the
/// subscription on every node.
pub struct Subscription {
    pub id: String,
    pub batches: mpsc::Receiver<LogBatch>,
    broker: Arc<LogBroker>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.broker.close(&self.id);
    }
}

impl LogBroker {
    pub fn new() -> Arc<LogBroker> {
        Arc::new(LogBroker {
            subs: Mutex::default(),
            to_nodes: broadcast::channel(256).0,
        })
    }

    fn subs(&self) -> std::sync::MutexGuard<'_, HashMap<String, Active>> {
        self.subs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Opens a subscription for `tasks` on each node and tells those nodes.
    pub fn open(
        self: &Arc<Self>,
        options: LogOptions,
        tasks: HashMap<NodeId, Vec<TaskId>>,
    ) -> Subscription {
        let id = random_id();
        let (out, batches) = mpsc::channel(READER_QUEUE);
        let mut subs = self.subs();
        for (node, task_ids) in &tasks {
            self.tell(node, open_message(&id, task_ids, &options));
        }
        subs.insert(
            id.clone(),
            Active {
                options,
                nodes: tasks,
                out,
            },
        );
        Subscription {
            id,
            batches,
            broker: self.clone(),
        }
    }

    /// Adds tasks a followed service started since; the node hears the whole list again.
    pub fn add_tasks(&self, id: &str, node: &NodeId, more: Vec<TaskId>) {
        let mut subs = self.subs();
        let Some(active) = subs.get_mut(id) else {
            return;
        };
        let known = active.nodes.entry(node.clone()).or_default();
        known.extend(more);
        let message = open_message(id, known, &active.options);
        self.tell(node, message);
    }

    /// Forgets a node of a subscription (it went away); the rest goes on.
    pub fn drop_node(&self, id: &str, node: &NodeId) {
        if let Some(active) = self.subs().get_mut(id) {
            active.nodes.remove(node);
        }
        self.tell(node, SubscriptionMessage::Close { id: id.to_string() });
    }

    fn close(&self, id: &str) {
        let Some(active) = self.subs().remove(id) else {
            return;
        };
        for node in active.nodes.keys() {
            self.tell(node, SubscriptionMessage::Close { id: id.to_string() });
        }
    }

    fn tell(&self, node: &NodeId, message: SubscriptionMessage) {
        // No receiver means no node is listening; each will get a snapshot when it does.
        let _ = self.to_nodes.send(Arc::new((node.clone(), message)));
    }

    /// The open subscriptions that ask something of `node`.
    fn snapshot(&self, node: &NodeId) -> Vec<SubscriptionMessage> {
        self.subs()
            .iter()
            .filter_map(|(id, a)| {
                a.nodes
                    .get(node)
                    .map(|tasks| open_message(id, tasks, &a.options))
            })
            .collect()
    }

    /// Hands an agent's batch to the reader, waiting while the reader's queue is full.
    /// Returns `false` when the subscription is gone (or never asked anything of that node),
    /// so the agent stops.
    pub async fn deliver(&self, batch: LogBatch) -> bool {
        let out = {
            let subs = self.subs();
            match subs.get(&batch.subscription_id) {
                Some(a) if a.nodes.contains_key(&batch.node_id) => a.out.clone(),
                _ => return false,
            }
        };
        out.send(batch).await.is_ok()
    }

    /// A node's subscription stream, newline-delimited JSON: the open subscriptions that ask
    /// something of it, then every change, until `ended`. A node that fell behind is sent the
    /// open subscriptions again (an agent takes a repeated `open` as it is).
    pub fn node_stream(
        self: &Arc<Self>,
        node: NodeId,
        ended: CancellationToken,
    ) -> impl Stream<Item = Result<Vec<u8>, std::io::Error>> + use<> {
        let rx = self.to_nodes.subscribe();
        let pending: VecDeque<SubscriptionMessage> = self.snapshot(&node).into();
        let broker = Arc::downgrade(self);
        futures::stream::unfold((rx, pending), move |(mut rx, mut pending)| {
            let node = node.clone();
            let ended = ended.clone();
            let broker = broker.clone();
            async move {
                loop {
                    if let Some(m) = pending.pop_front() {
                        let mut line = serde_json::to_vec(&m).unwrap_or_default();
                        line.push(b'\n');
                        return Some((Ok(line), (rx, pending)));
                    }
                    let received = tokio::select! {
                        r = rx.recv() => r,
                        _ = ended.cancelled() => return None,
                    };
                    match received {
                        Ok(m) if m.0 == node => pending.push_back(m.1.clone()),
                        Ok(_) => {}
                        Err(RecvError::Lagged(_)) => {
                            let broker = broker.upgrade()?;
                            pending.extend(broker.snapshot(&node));
                        }
                        Err(RecvError::Closed) => return None,
                    }
                }
            }
        })
    }
}

fn open_message(id: &str, tasks: &[TaskId], options: &LogOptions) -> SubscriptionMessage {
    SubscriptionMessage::Open(LogSubscription {
        id: id.to_string(),
        task_ids: tasks.to_vec(),
        options: options.clone(),
    })
}
