//! The lines of `GET /v1/events`, a newline-delimited JSON stream of cluster changes in the
//! spirit of `docker events`: one [`ClusterEvent`] per changed object, or a [`StreamNotice`]
//! when the stream could not show everything (it lagged, or the state was replaced).

use crate::meta::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// What kind of object changed (`"type"` on the wire, like Docker's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    Service,
    Task,
    Node,
    Cluster,
}

impl EventType {
    pub const ALL: [EventType; 4] = [
        EventType::Service,
        EventType::Task,
        EventType::Node,
        EventType::Cluster,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Service => "service",
            EventType::Task => "task",
            EventType::Node => "node",
            EventType::Cluster => "cluster",
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EventType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        EventType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| format!("unknown event type {s:?}: use service, task, node or cluster"))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventAction {
    Create,
    Update,
    Remove,
}

impl fmt::Display for EventAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EventAction::Create => "create",
            EventAction::Update => "update",
            EventAction::Remove => "remove",
        })
    }
}

/// One object change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterEvent {
    /// When the answering manager applied the change.
    pub time: Timestamp,
    #[serde(rename = "type")]
    pub kind: EventType,
    pub action: EventAction,
    pub id: String,
    /// Service name, node hostname, task container name (`web.2.<id>`), or `default`.
    pub name: String,
    /// A few facts worth seeing at a glance: for a task its `service`, `slot`, `node`,
    /// `desired_state` and `state`; for a node its `state`, `availability` and `role`; for a
    /// service its `image`, `replicas` and `spec_version`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
}

/// Why a notice was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// The reader fell behind and `dropped` batches of changes were skipped.
    Dropped,
    /// The manager's state was replaced from a snapshot; changes in between are not shown.
    Reset,
    /// A reader asked for changes from before what the manager keeps.
    NotKept,
}

/// Says the stream has a gap, and goes on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StreamNotice {
    pub time: Timestamp,
    pub notice: NoticeKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dropped: Option<u64>,
    pub message: String,
}

/// One line of the stream.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EventLine {
    Event(ClusterEvent),
    Notice(StreamNotice),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip_and_are_told_apart() {
        let event = EventLine::Event(ClusterEvent {
            time: Timestamp(1_000),
            kind: EventType::Service,
            action: EventAction::Update,
            id: "abc".into(),
            name: "web".into(),
            attributes: BTreeMap::from([("image".into(), "busybox".into())]),
        });
        let text = serde_json::to_string(&event).unwrap();
        assert_eq!(
            text,
            r#"{"time":"1970-01-01T00:00:01.000Z","type":"service","action":"update","id":"abc","name":"web","attributes":{"image":"busybox"}}"#
        );
        assert_eq!(serde_json::from_str::<EventLine>(&text).unwrap(), event);
        let notice = EventLine::Notice(StreamNotice {
            time: Timestamp(0),
            notice: NoticeKind::Dropped,
            dropped: Some(3),
            message: "3 batches of changes dropped".into(),
        });
        let text = serde_json::to_string(&notice).unwrap();
        assert_eq!(serde_json::from_str::<EventLine>(&text).unwrap(), notice);
    }

    #[test]
    fn types_parse_by_name_only() {
        assert_eq!("task".parse::<EventType>(), Ok(EventType::Task));
        let e = "tasks".parse::<EventType>().unwrap_err();
        assert!(
            e.contains("\"tasks\"") && e.contains("service, task"),
            "{e}"
        );
    }
}
