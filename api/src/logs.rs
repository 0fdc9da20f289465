//! Service logs, relayed from the agents through the leading manager, as SwarmKit's log
//! broker does.
//!
//! A reader asks any manager for `GET /v1/services/{id}/logs` ([`LogOptions`] as the query)
//! and gets newline-delimited [`LogMessage`]s. The leader opens a [`LogSubscription`] on each
//! node that holds tasks of the service. An agent hears it on its subscription stream
//! (`GET /v1/dispatcher/log-subscriptions`, newline-delimited [`SubscriptionMessage`]s). It
//! reads its containers' output and posts it back in [`LogBatch`]es
//! (`POST /v1/dispatcher/logs`); the answer tells it when the reader has gone.

use crate::ids::{NodeId, TaskId};
use serde::{Deserialize, Serialize};

/// Which output of the container a line came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogStream {
    Stdout,
    Stderr,
}

/// What a reader asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogOptions {
    /// Keep streaming new output, including from tasks that start later.
    #[serde(default)]
    pub follow: bool,
    /// Only the last N lines of each task (all when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tail: Option<u64>,
    /// Only lines written at or after this time, in seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<i64>,
}

/// The leader asks one node for the output of some of its tasks. Sent again, with the same
/// id and more tasks, when a followed service gets new tasks on the node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogSubscription {
    pub id: String,
    pub task_ids: Vec<TaskId>,
    pub options: LogOptions,
}

/// One line of an agent's subscription stream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SubscriptionMessage {
    Open(LogSubscription),
    /// The reader went away: stop reading for this subscription.
    Close {
        id: String,
    },
}

/// One line of a container's output, as the agent read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogRecord {
    pub task_id: TaskId,
    pub stream: LogStream,
    /// When Docker saw the line (RFC 3339 with nanoseconds), empty when it did not say.
    #[serde(default)]
    pub timestamp: String,
    /// The line, without its newline.
    pub line: String,
}

/// What an agent posts for a subscription: some lines, and `done` once it has sent all it
/// will (never, while following).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LogBatch {
    pub node_id: NodeId,
    pub session_id: String,
    pub subscription_id: String,
    #[serde(default)]
    pub records: Vec<LogRecord>,
    #[serde(default)]
    pub done: bool,
    /// Why some output is missing (a container that could not be read).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

/// The leader's answer to a batch.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct LogBatchResponse {
    /// The reader has gone (or never was): stop sending.
    pub closed: bool,
}

/// One line of `GET /v1/services/{id}/logs`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LogMessage {
    Line(LogLine),
    /// Something the reader should know, such as a node whose output is missing.
    Notice {
        message: String,
    },
}

/// A line of a task's output, named for people (`web.2@node-3`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    pub task_id: TaskId,
    /// `<service>.<slot>`, or `<service>` for a global service's task.
    pub task: String,
    pub node_id: NodeId,
    /// The node's hostname (its id when it has none).
    pub node: String,
    pub stream: LogStream,
    #[serde(default)]
    pub timestamp: String,
    pub line: String,
}

impl LogLine {
    /// `web.2@node-3`, the prefix of the line as `shoalctl service logs` prints it.
    pub fn source(&self) -> String {
        format!("{}@{}", self.task, self.node)
    }
}

/// Splits a line Docker timestamped (`2026-11-23T00:51:02.123456789Z hello`) into its time
/// and text; a line without a timestamp keeps all its text.
pub fn split_timestamp(raw: &str) -> (&str, &str) {
    match raw.split_once(' ') {
        Some((ts, rest)) if looks_like_rfc3339(ts) => (ts, rest),
        _ if looks_like_rfc3339(raw) => (raw, ""),
        _ => ("", raw),
    }
}

fn looks_like_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 20
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && (s.ends_with('Z') || s[19..].contains(['+', '-']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_timestamps_are_split_from_the_text() {
        assert_eq!(
            split_timestamp("2026-11-23T00:51:02.123456789Z hello world"),
            ("2026-11-23T00:51:02.123456789Z", "hello world")
        );
        assert_eq!(
            split_timestamp("2026-11-23T00:51:02.1+01:00 x"),
            ("2026-11-23T00:51:02.1+01:00", "x")
        );
        assert_eq!(
            split_timestamp("2026-11-23T00:51:02.123456789Z"),
            ("2026-11-23T00:51:02.123456789Z", "")
        );
        assert_eq!(split_timestamp("hello world"), ("", "hello world"));
        assert_eq!(split_timestamp("2026 was a year"), ("", "2026 was a year"));
        assert_eq!(split_timestamp(""), ("", ""));
    }

    #[test]
    fn messages_are_tagged_by_kind_on_the_wire() {
        let open = SubscriptionMessage::Open(LogSubscription {
            id: "s1".into(),
            task_ids: vec![TaskId("t1".into())],
            options: LogOptions {
                follow: true,
                tail: Some(5),
                since: None,
            },
        });
        let json = serde_json::to_string(&open).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"open","id":"s1","task_ids":["t1"],"options":{"follow":true,"tail":5}}"#
        );
        assert_eq!(
            serde_json::from_str::<SubscriptionMessage>(&json).unwrap(),
            open
        );
        let notice = LogMessage::Notice {
            message: "m".into(),
        };
        assert_eq!(
            serde_json::to_string(&notice).unwrap(),
            r#"{"kind":"notice","message":"m"}"#
        );
    }
}
