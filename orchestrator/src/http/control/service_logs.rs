//! `GET /v1/services/{id}/logs?follow=&tail=&since=&task=`: the output of a service's
//! containers (or of one of its tasks) from every node, as newline-delimited [`LogMessage`]s. The leader opens a subscription
//! with its log broker on each node that holds tasks of the service and relays what the
//! agents send, naming each line's task and node (`web.2@node-3`). Followers forward the
//! request to the leader like any other.
//!
//! Without `follow` the stream ends once every node has sent all it has. With it, tasks the
//! service starts later are added as they are placed, and the stream runs until the reader
//! goes away. A node that is not connected, or loses its session, is named in a notice so
//! missing output is never silent.

use super::resolve::resolve;
use super::services::find;
use crate::dispatcher::{Dispatcher, Subscription};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::json::{Query, ndjson};
use crate::store::Store;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use futures::Stream;
use serde::Deserialize;
use shoal_api::logs::{LogBatch, LogLine, LogMessage, LogOptions};
use shoal_api::{Node, NodeId, Service, ServiceId, TaskId, TaskState};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// How often the relay looks for lost nodes and, when following, for new tasks.
const CHECK_EVERY: Duration = Duration::from_secs(1);
/// A node that sends nothing for this long, while not following, is given up on.
const SILENCE: Duration = Duration::from_secs(30);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogsQuery {
    follow: Option<String>,
    tail: Option<String>,
    since: Option<String>,
    /// Only this task of the service (id or unique id prefix).
    task: Option<String>,
}

impl LogsQuery {
    fn options(&self) -> Result<LogOptions, ApiError> {
        let follow = match self.follow.as_deref() {
            None | Some("false") | Some("0") => false,
            Some("true") | Some("1") | Some("") => true,
            Some(v) => {
                return Err(ApiError::invalid(
                    "follow",
                    format!("follow must be true or false, not {v:?}"),
                ));
            }
        };
        let tail = match self.tail.as_deref() {
            None | Some("all") => None,
            Some(v) => Some(v.parse::<u64>().map_err(|_| {
                ApiError::invalid(
                    "tail",
                    format!("tail must be a number of lines (0 or more) or all, not {v:?}"),
                )
            })?),
        };
        let since = match self.since.as_deref() {
            None => None,
            Some(v) => match v.parse::<i64>() {
                Ok(s) if s >= 0 => Some(s),
                _ => {
                    return Err(ApiError::invalid(
                        "since",
                        format!("since must be a Unix time in seconds (0 or more), not {v:?}"),
                    ));
                }
            },
        };
        Ok(LogOptions {
            follow,
            tail,
            since,
        })
    }
}

pub async fn stream(
    State(st): State<AppState>,
    Path(r): Path<String>,
    Query(q): Query<LogsQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let options = q.options()?;
    let service = find(&st, &r)?;
    let only = match &q.task {
        Some(t) => Some(task_of(&st.store, &service, t)?),
        None => None,
    };
    let d = st.dispatcher()?;
    let mut placed = placed_tasks(&st.store, &service.id);
    if let Some(only) = &only {
        placed.retain(|(_, t)| t == only);
    }
    let mut asked: HashMap<NodeId, Vec<TaskId>> = HashMap::new();
    let mut pending = VecDeque::new();
    for (node, tasks) in group_by_node(placed.iter()) {
        if d.has_session(&node) {
            asked.insert(node, tasks);
        } else {
            pending.push_back(notice(format!(
                "node {} is not connected: the output of its {} task(s) is missing",
                node_name(&st.store, &node),
                tasks.len()
            )));
        }
    }
    let relay = Relay {
        follow: options.follow,
        only_task: only.is_some(),
        asked_tasks: placed.into_iter().map(|(_, t)| t).collect(),
        waiting: asked.keys().map(|n| (n.clone(), Instant::now())).collect(),
        sub: d.logs().open(options, asked),
        stop: d.stopped(),
        d,
        store: st.store.clone(),
        service: service.id,
        pending,
        shutdown: st.shutdown.clone(),
    };
    Ok(ndjson(relay.into_stream()))
}

/// The task of `service` that `r` names (id or unique id prefix).
fn task_of(store: &Store, service: &Service, r: &str) -> Result<TaskId, ApiError> {
    let state = store.read();
    let tasks: Vec<&shoal_api::Task> = state.tasks_of_service(&service.id).collect();
    let task = resolve(
        "task",
        r,
        tasks.iter().copied(),
        |t| t.id.as_str(),
        |t| t.id.as_str(),
    )
    .map_err(|e| ApiError {
        field: Some("task".into()),
        message: format!("{} of service {}", e.message, service.spec.name),
        ..e
    })?;
    Ok(task.id.clone())
}

/// The service's tasks that have a node and may have a container there.
fn placed_tasks(store: &Store, service: &ServiceId) -> Vec<(NodeId, TaskId)> {
    let state = store.read();
    state
        .tasks_of_service(service)
        .filter(|t| t.status.state >= TaskState::Assigned)
        .filter_map(|t| Some((t.node_id.clone()?, t.id.clone())))
        .collect()
}

fn group_by_node<'a>(
    placed: impl Iterator<Item = &'a (NodeId, TaskId)>,
) -> HashMap<NodeId, Vec<TaskId>> {
    let mut by_node: HashMap<NodeId, Vec<TaskId>> = HashMap::new();
    for (node, task) in placed {
        by_node.entry(node.clone()).or_default().push(task.clone());
    }
    by_node
}

fn node_name(store: &Store, node: &NodeId) -> String {
    label(&store.read().nodes, node)
}

/// A node's hostname, or its id when it has none.
fn label(nodes: &BTreeMap<NodeId, Node>, node: &NodeId) -> String {
    match nodes.get(node) {
        Some(n) if !n.description.hostname.is_empty() => n.description.hostname.clone(),
        _ => node.to_string(),
    }
}

fn notice(message: String) -> LogMessage {
    LogMessage::Notice { message }
}

struct Relay {
    sub: Subscription,
    d: Arc<Dispatcher>,
    store: Store,
    service: ServiceId,
    follow: bool,
    /// Only one task was asked for: a followed service's new tasks are not added.
    only_task: bool,
    /// Every task already asked of some node.
    asked_tasks: HashSet<TaskId>,
    /// Nodes that have not sent all they have, and when each was last heard from.
    waiting: HashMap<NodeId, Instant>,
    pending: VecDeque<LogMessage>,
    /// The dispatcher stopped: this manager no longer leads.
    stop: CancellationToken,
    /// This manager stops.
    shutdown: CancellationToken,
}

impl Relay {
    fn into_stream(self) -> impl Stream<Item = Result<Vec<u8>, std::io::Error>> {
        let tick = tokio::time::interval(CHECK_EVERY);
        futures::stream::unfold((self, tick), |(mut relay, mut tick)| async move {
            loop {
                if let Some(m) = relay.pending.pop_front() {
                    let mut line = serde_json::to_vec(&m).unwrap_or_default();
                    line.push(b'\n');
                    return Some((Ok(line), (relay, tick)));
                }
                if !relay.follow && relay.waiting.is_empty() {
                    return None;
                }
                tokio::select! {
                    batch = relay.sub.batches.recv() => match batch {
                        Some(b) => relay.take(b),
                        None => return None,
                    },
                    _ = tick.tick() => relay.check(),
                    _ = relay.stop.cancelled() => {
                        relay.pending.push_back(notice(
                            "this manager stopped leading the cluster: run the command again to go on".into(),
                        ));
                        relay.stop = CancellationToken::new();
                        relay.waiting.clear();
                        relay.follow = false;
                    }
                    _ = relay.shutdown.cancelled() => return None,
                }
            }
        })
    }

    /// Turns an agent's batch into named lines.
    fn take(&mut self, batch: LogBatch) {
        let node = batch.node_id;
        if let Some(seen) = self.waiting.get_mut(&node) {
            *seen = Instant::now();
        }
        let state = self.store.read();
        let node_label = label(&state.nodes, &node);
        for p in batch.problems {
            self.pending
                .push_back(notice(format!("node {node_label}: {p}")));
        }
        for r in batch.records {
            let task = match state.tasks.get(&r.task_id) {
                Some(t) => t.slot_name(),
                None => r.task_id.to_string(),
            };
            self.pending.push_back(LogMessage::Line(LogLine {
                task_id: r.task_id,
                task,
                node_id: node.clone(),
                node: node_label.clone(),
                stream: r.stream,
                timestamp: r.timestamp,
                line: r.line,
            }));
        }
        if batch.done {
            self.waiting.remove(&node);
        }
    }

    /// Gives up on nodes that went away or went quiet, and asks for new tasks when following.
    fn check(&mut self) {
        let lost: Vec<NodeId> = self
            .waiting
            .iter()
            .filter(|(node, heard)| {
                !self.d.has_session(node) || (!self.follow && heard.elapsed() > SILENCE)
            })
            .map(|(node, _)| node.clone())
            .collect();
        for node in lost {
            let why = if self.d.has_session(&node) {
                format!("sent nothing for {}s", SILENCE.as_secs())
            } else {
                "lost its connection to the leader".to_string()
            };
            self.pending.push_back(notice(format!(
                "node {} {why}: its output may be incomplete",
                node_name(&self.store, &node)
            )));
            self.d.logs().drop_node(&self.sub.id, &node);
            self.waiting.remove(&node);
        }
        if self.follow && !self.only_task {
            self.ask_for_new_tasks();
        }
    }

    fn ask_for_new_tasks(&mut self) {
        let placed = placed_tasks(&self.store, &self.service);
        let new: Vec<(NodeId, TaskId)> = placed
            .into_iter()
            .filter(|(_, t)| !self.asked_tasks.contains(t))
            .collect();
        for (node, tasks) in group_by_node(new.iter()) {
            if !self.d.has_session(&node) {
                continue;
            }
            self.asked_tasks.extend(tasks.iter().cloned());
            self.waiting
                .entry(node.clone())
                .or_insert_with(Instant::now);
            self.d.logs().add_tasks(&self.sub.id, &node, tasks);
        }
    }
}
