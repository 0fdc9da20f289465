//! Serves the leader's log subscriptions for this node (see `shoal_api::logs`): it follows
//! the node's subscription stream, and for each subscription reads the output of the named
//! tasks' containers and posts it to the leader in batches. It sends `done` once it has
//! sent all it has, unless the reader follows; it stops when the leader says the reader has
//! gone or closes the subscription, and with the session.

use crate::executor::{ExecError, Executor};
use futures::StreamExt;
use shoal_api::logs::{
    LogBatch, LogBatchResponse, LogOptions, LogRecord, LogSubscription, SubscriptionMessage,
    split_timestamp,
};
use shoal_api::{NodeId, TaskId};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Lines sent in one batch at most.
const BATCH_LINES: usize = 500;
/// How often a followed task's container is looked for until it exists.
const LOOK_AGAIN: Duration = Duration::from_secs(1);
/// How long a batch may take to be accepted (a slow reader holds it up).
const POST_TIMEOUT: Duration = Duration::from_secs(120);

/// Where and as whom batches are posted.
#[derive(Clone)]
pub struct Publisher {
    pub http: reqwest::Client,
    pub manager: String,
    pub node_id: NodeId,
    pub session_id: String,
}

struct Open {
    more: mpsc::UnboundedSender<Vec<TaskId>>,
    cancel: CancellationToken,
}

/// Follows the subscription stream until `ended`, reconnecting when it breaks.
pub async fn run(p: Publisher, executor: Arc<dyn Executor>, ended: CancellationToken) {
    let mut open: HashMap<String, Open> = HashMap::new();
    while !ended.is_cancelled() {
        if let Err(e) = follow(&p, &executor, &ended, &mut open).await {
            tracing::debug!(error = %e, "log subscription stream ended");
        }
        open.retain(|_, o| !o.cancel.is_cancelled());
        tokio::select! {
            _ = ended.cancelled() => return,
            _ = tokio::time::sleep(LOOK_AGAIN) => {}
        }
    }
}

async fn follow(
    p: &Publisher,
    executor: &Arc<dyn Executor>,
    ended: &CancellationToken,
    open: &mut HashMap<String, Open>,
) -> Result<(), String> {
    let resp = p
        .http
        .get(format!("{}/v1/dispatcher/log-subscriptions", p.manager))
        .query(&[
            ("node_id", p.node_id.as_str()),
            ("session_id", p.session_id.as_str()),
        ])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let mut body = shoal_client::node_http::refused_message(resp)
        .await?
        .bytes_stream();
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let chunk = tokio::select! {
            _ = ended.cancelled() => return Ok(()),
            c = body.next() => c,
        };
        let bytes = match chunk {
            None => return Ok(()),
            Some(c) => c.map_err(|e| e.to_string())?,
        };
        buf.extend_from_slice(&bytes);
        while let Some(pos) = buf.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = buf.drain(..=pos).collect();
            let msg: SubscriptionMessage =
                serde_json::from_slice(&line).map_err(|e| format!("bad message: {e}"))?;
            handle(p, executor, ended, open, msg);
        }
    }
}

fn handle(
    p: &Publisher,
    executor: &Arc<dyn Executor>,
    ended: &CancellationToken,
    open: &mut HashMap<String, Open>,
    msg: SubscriptionMessage,
) {
    tracing::debug!(?msg, "log subscription message");
    match msg {
        SubscriptionMessage::Open(sub) => {
            if let Some(o) = open.get(&sub.id)
                && !o.cancel.is_cancelled()
            {
                let _ = o.more.send(sub.task_ids);
                return;
            }
            let (more, more_rx) = mpsc::unbounded_channel();
            let cancel = ended.child_token();
            open.insert(
                sub.id.clone(),
                Open {
                    more,
                    cancel: cancel.clone(),
                },
            );
            tokio::spawn(serve(p.clone(), executor.clone(), sub, more_rx, cancel));
        }
        SubscriptionMessage::Close { id } => {
            if let Some(o) = open.remove(&id) {
                o.cancel.cancel();
            }
        }
    }
}

/// What the readers of containers hand the publisher.
enum Item {
    Record(LogRecord),
    Problem(String),
}

/// One subscription: a reader per task, and batches posted as lines come.
async fn serve(
    p: Publisher,
    executor: Arc<dyn Executor>,
    sub: LogSubscription,
    mut more: mpsc::UnboundedReceiver<Vec<TaskId>>,
    cancel: CancellationToken,
) {
    let _stop_readers = cancel.clone().drop_guard();
    let options = Arc::new(sub.options);
    // Tasks that start while the reader follows are read from their first line.
    let later = Arc::new(LogOptions {
        tail: None,
        ..(*options).clone()
    });
    let (tx, mut rx) = mpsc::channel::<Item>(BATCH_LINES * 2);
    let mut started: HashSet<TaskId> = HashSet::new();
    // One listing of the node's containers per batch of tasks, not one per task.
    let start = |ids: Vec<TaskId>,
                 containers: HashMap<TaskId, String>,
                 options: &Arc<LogOptions>,
                 tx: &mpsc::Sender<Item>,
                 started: &mut HashSet<TaskId>| {
        for id in ids {
            if started.insert(id.clone()) {
                let known = containers.get(&id).cloned();
                let reader = read_task(executor.clone(), id, known, options.clone(), tx.clone());
                let cancel = cancel.clone();
                tokio::spawn(async move {
                    tokio::select! {
                        _ = cancel.cancelled() => {}
                        _ = reader => {}
                    }
                });
            }
        }
    };
    let containers = containers_by_task(&*executor, &tx).await;
    start(sub.task_ids, containers, &options, &tx, &mut started);
    // While following, more tasks may come, so the channel must stay open.
    let feeder = options.follow.then_some(tx);
    loop {
        let first = tokio::select! {
            _ = cancel.cancelled() => return,
            Some(ids) = more.recv(), if feeder.is_some() => {
                if let Some(tx) = &feeder {
                    let containers = containers_by_task(&*executor, tx).await;
                    start(ids, containers, &later, tx, &mut started);
                }
                continue;
            }
            item = rx.recv() => item,
        };
        let mut batch = LogBatch {
            node_id: p.node_id.clone(),
            session_id: p.session_id.clone(),
            subscription_id: sub.id.clone(),
            records: Vec::new(),
            problems: Vec::new(),
            done: first.is_none(),
        };
        let mut next = first;
        while let Some(item) = next {
            match item {
                Item::Record(r) => batch.records.push(r),
                Item::Problem(m) => batch.problems.push(m),
            }
            if batch.records.len() >= BATCH_LINES {
                break;
            }
            next = rx.try_recv().ok();
        }
        let done = batch.done;
        match post(&p, &batch).await {
            Ok(open) if open && !done => {}
            Ok(_) => return,
            Err(e) => {
                tracing::warn!(subscription = %sub.id, error = %e, "cannot send logs to the leader");
                return;
            }
        }
    }
}

/// Posts a batch; `Ok(false)` when the reader has gone.
async fn post(p: &Publisher, batch: &LogBatch) -> Result<bool, String> {
    let resp = p
        .http
        .post(format!("{}/v1/dispatcher/logs", p.manager))
        .timeout(POST_TIMEOUT)
        .json(batch)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let answer: LogBatchResponse = shoal_client::node_http::refused_message(resp)
        .await?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    Ok(!answer.closed)
}

/// This node's containers by task; a failure to list them is reported as a problem.
async fn containers_by_task(
    executor: &dyn Executor,
    tx: &mpsc::Sender<Item>,
) -> HashMap<TaskId, String> {
    match executor.list().await {
        Ok(list) => list
            .into_iter()
            .map(|c| (c.task_id, c.container_id))
            .collect(),
        Err(e) => {
            let _ = tx
                .send(Item::Problem(format!("cannot list containers: {e}")))
                .await;
            HashMap::new()
        }
    }
}

/// Reads one task's container output into `tx`. A task whose container was not `known` yet
/// is looked for again while following, and skipped otherwise.
async fn read_task(
    executor: Arc<dyn Executor>,
    task: TaskId,
    known: Option<String>,
    options: Arc<LogOptions>,
    tx: mpsc::Sender<Item>,
) {
    let container = match known {
        Some(c) => c,
        None if !options.follow => return,
        None => loop {
            tokio::time::sleep(LOOK_AGAIN).await;
            match executor.list().await {
                Ok(list) => {
                    if let Some(c) = list.into_iter().find(|c| c.task_id == task) {
                        break c.container_id;
                    }
                }
                Err(e) => tracing::debug!(error = %e, "cannot list containers"),
            }
        },
    };
    tracing::debug!(%task, container, "reading a task's output");
    let mut output = executor.logs(&container, &options);
    while let Some(chunk) = output.next().await {
        match chunk {
            Ok(chunk) => {
                for raw in chunk.text.split_terminator('\n') {
                    let (timestamp, line) = split_timestamp(raw);
                    let record = LogRecord {
                        task_id: task.clone(),
                        stream: chunk.stream,
                        timestamp: timestamp.to_string(),
                        line: line.trim_end_matches('\r').to_string(),
                    };
                    if tx.send(Item::Record(record)).await.is_err() {
                        return;
                    }
                }
            }
            // Removed while being read: what was read is all there is.
            Err(ExecError::NotFound) => return,
            Err(e) => {
                let problem = format!("cannot read the output of task {task}: {e}");
                let _ = tx.send(Item::Problem(problem)).await;
                return;
            }
        }
    }
}
