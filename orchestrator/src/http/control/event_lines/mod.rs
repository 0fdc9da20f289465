//! Turns the store's changes into the lines of `GET /v1/events`: one [`ClusterEvent`] per
//! changed object (type, action, id, name and a few attributes), and notices for gaps.

use crate::store::{Change, Event, Object};
use shoal_api::events::{
    ClusterEvent, EventAction, EventLine, EventType, NoticeKind, StreamNotice,
};
use shoal_api::{Node, Service, ServiceMode, Task, Timestamp};
use std::collections::BTreeMap;

/// The lines for one store event, keeping only objects of type `only` when it is given.
pub fn lines_of(event: &Event, only: Option<EventType>, time: Timestamp) -> Vec<EventLine> {
    match event {
        Event::Commit { changes, .. } => changes
            .iter()
            .map(|c| to_event(c, time))
            .filter(|e| only.is_none_or(|t| t == e.kind))
            .map(EventLine::Event)
            .collect(),
        Event::Reset => vec![EventLine::Notice(StreamNotice {
            time,
            notice: NoticeKind::Reset,
            dropped: None,
            message: "this manager replaced its state from a snapshot: changes made in between are not shown".into(),
        })],
    }
}

/// The notice for a reader that fell `skipped` store events behind.
pub fn dropped(skipped: u64, time: Timestamp) -> EventLine {
    EventLine::Notice(StreamNotice {
        time,
        notice: NoticeKind::Dropped,
        dropped: Some(skipped),
        message: format!(
            "events dropped: this reader fell behind and {skipped} batches of changes were skipped"
        ),
    })
}

fn to_event(change: &Change, time: Timestamp) -> ClusterEvent {
    let action = match change {
        Change::Created(_) => EventAction::Create,
        Change::Updated(_) => EventAction::Update,
        Change::Deleted(_) => EventAction::Remove,
    };
    let (kind, id, name, attributes) = match change.object() {
        Object::Cluster(c) => (
            EventType::Cluster,
            c.id.clone(),
            "default".to_string(),
            BTreeMap::new(),
        ),
        Object::Node(n) => (
            EventType::Node,
            n.id.to_string(),
            n.description.hostname.clone(),
            node_attributes(n),
        ),
        Object::Service(s) => (
            EventType::Service,
            s.id.to_string(),
            s.spec.name.clone(),
            service_attributes(s),
        ),
        Object::Task(t) => (
            EventType::Task,
            t.id.to_string(),
            t.container_name(),
            task_attributes(t),
        ),
    };
    ClusterEvent {
        time,
        kind,
        action,
        id,
        name,
        attributes,
    }
}

fn attrs<const N: usize>(pairs: [(&str, String); N]) -> BTreeMap<String, String> {
    pairs
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

/// Lower-case names as the JSON of the objects spells them.
fn snake<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

fn node_attributes(n: &Node) -> BTreeMap<String, String> {
    attrs([
        ("state", snake(&n.status.state)),
        ("availability", snake(&n.spec.availability)),
        ("role", snake(&n.role)),
    ])
}

fn service_attributes(s: &Service) -> BTreeMap<String, String> {
    let replicas = match s.spec.mode {
        ServiceMode::Replicated { replicas } => replicas.to_string(),
        _ => String::new(),
    };
    attrs([
        ("image", s.spec.task.container.image.clone()),
        ("replicas", replicas),
        ("spec_version", s.spec_version.to_string()),
    ])
}

fn task_attributes(t: &Task) -> BTreeMap<String, String> {
    attrs([
        ("service", t.service_name.clone()),
        ("slot", t.slot.to_string()),
        (
            "node",
            t.node_id
                .as_ref()
                .map(|n| n.to_string())
                .unwrap_or_default(),
        ),
        ("desired_state", t.desired_state.to_string()),
        ("state", t.status.state.to_string()),
        ("error", t.status.err.clone()),
    ])
}

#[cfg(test)]
mod tests;
