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

    /// Hands an agent's batch to the reader, waiting while the reader's queue is full. Only
    /// lines of the tasks asked of that node pass. Returns `false` when the subscription is
    /// gone (or never asked anything of that node), so the agent stops.
    pub async fn deliver(&self, mut batch: LogBatch) -> bool {
        let out = {
            let subs = self.subs();
            let Some(active) = subs.get(&batch.subscription_id) else {
                return false;
            };
            let Some(asked) = active.nodes.get(&batch.node_id) else {
                return false;
            };
            batch.records.retain(|r| asked.contains(&r.task_id));
            active.out.clone()
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

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;
    use shoal_api::logs::{LogRecord, LogStream};

    fn node(id: &str) -> NodeId {
        NodeId(id.into())
    }

    fn task(id: &str) -> TaskId {
        TaskId(id.into())
    }

    fn batch(sub: &str, node_id: &str, tasks: &[&str]) -> LogBatch {
        LogBatch {
            node_id: node(node_id),
            session_id: "s".into(),
            subscription_id: sub.into(),
            records: tasks
                .iter()
                .map(|t| LogRecord {
                    task_id: task(t),
                    stream: LogStream::Stdout,
                    timestamp: String::new(),
                    line: format!("from {t}"),
                })
                .collect(),
            done: false,
            problems: Vec::new(),
        }
    }

    async fn next_message(
        lines: &mut (impl Stream<Item = Result<Vec<u8>, std::io::Error>> + Unpin),
    ) -> SubscriptionMessage {
        let line = lines.next().await.expect("a line").expect("bytes");
        serde_json::from_slice(&line).expect("a message")
    }

    #[tokio::test]
    async fn readers_and_nodes_are_matched_and_only_asked_tasks_pass() {
        let broker = LogBroker::new();
        let ended = CancellationToken::new();
        let mut n1 = Box::pin(broker.node_stream(node("n1"), ended.clone()));
        let tasks = HashMap::from([
            (node("n1"), vec![task("t1")]),
            (node("n2"), vec![task("t2")]),
        ]);
        let mut sub = broker.open(LogOptions::default(), tasks);
        let SubscriptionMessage::Open(open) = next_message(&mut n1).await else {
            panic!("expected an open");
        };
        assert_eq!(
            (open.id.as_str(), open.task_ids),
            (sub.id.as_str(), vec![task("t1")])
        );

        // A node sends lines only for the tasks asked of it; strangers are turned away.
        assert!(broker.deliver(batch(&sub.id, "n1", &["t1", "t2"])).await);
        let got = sub.batches.recv().await.expect("a batch");
        let lines: Vec<&str> = got.records.iter().map(|r| r.line.as_str()).collect();
        assert_eq!(lines, ["from t1"]);
        assert!(!broker.deliver(batch(&sub.id, "n3", &["t1"])).await);
        assert!(!broker.deliver(batch("nosuch", "n1", &["t1"])).await);

        // More tasks: the node hears the whole list again.
        broker.add_tasks(&sub.id, &node("n1"), vec![task("t3")]);
        let SubscriptionMessage::Open(again) = next_message(&mut n1).await else {
            panic!("expected an open");
        };
        assert_eq!(again.task_ids, vec![task("t1"), task("t3")]);

        // A node that connects later is told what is open; the reader leaving closes it.
        let mut late = Box::pin(broker.node_stream(node("n2"), ended.clone()));
        assert!(matches!(
            next_message(&mut late).await,
            SubscriptionMessage::Open(_)
        ));
        let id = sub.id.clone();
        drop(sub);
        assert_eq!(
            next_message(&mut n1).await,
            SubscriptionMessage::Close { id: id.clone() }
        );
        assert_eq!(
            next_message(&mut late).await,
            SubscriptionMessage::Close { id: id.clone() }
        );
        assert!(!broker.deliver(batch(&id, "n1", &["t1"])).await);
        ended.cancel();
        assert!(
            n1.next().await.is_none(),
            "the stream ends with the session"
        );
    }
}
