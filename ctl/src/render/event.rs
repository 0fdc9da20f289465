//! One human line per event, like `docker events`:
//! `2026-11-22T23:59:01.000Z service update web (id=.., image=.., replicas=3)`, and for tasks
//! `... task update web.2.<id> (state=running, desired_state=running, node=n1)`. Notices of a
//! gap read `... notice: <message>`.

use shoal_api::Timestamp;
use shoal_api::events::{ClusterEvent, EventLine, EventType};

/// Task attributes shown first, in this order; the others follow by name.
const TASK_FIRST: [&str; 3] = ["state", "desired_state", "node"];

pub fn human_line(line: &EventLine) -> String {
    match line {
        EventLine::Event(e) => event_line(e),
        EventLine::Notice(n) => format!("{} notice: {}", time(n.time), n.message),
    }
}

fn event_line(e: &ClusterEvent) -> String {
    let mut attrs: Vec<(&str, &str)> = Vec::new();
    if e.kind == EventType::Task {
        for key in TASK_FIRST {
            if let Some(v) = e.attributes.get(key) {
                attrs.push((key, v));
            }
        }
    } else {
        attrs.push(("id", &e.id));
    }
    for (k, v) in &e.attributes {
        if e.kind != EventType::Task || !TASK_FIRST.contains(&k.as_str()) {
            attrs.push((k, v));
        }
    }
    let attrs: Vec<String> = attrs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!(
        "{} {} {} {} ({})",
        time(e.time),
        e.kind,
        e.action,
        e.name,
        attrs.join(", ")
    )
}

fn time(t: Timestamp) -> String {
    match serde_json::to_value(t) {
        Ok(serde_json::Value::String(s)) => s,
        _ => t.0.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shoal_api::events::{EventAction, NoticeKind, StreamNotice};
    use std::collections::BTreeMap;

    fn attrs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn services_show_their_id_then_attributes() {
        let line = EventLine::Event(ClusterEvent {
            time: Timestamp(1_000),
            kind: EventType::Service,
            action: EventAction::Update,
            id: "abc".into(),
            name: "web".into(),
            attributes: attrs(&[("replicas", "3"), ("image", "busybox")]),
        });
        assert_eq!(
            human_line(&line),
            "1970-01-01T00:00:01.000Z service update web (id=abc, image=busybox, replicas=3)"
        );
    }

    #[test]
    fn tasks_show_state_and_node_first() {
        let line = EventLine::Event(ClusterEvent {
            time: Timestamp(0),
            kind: EventType::Task,
            action: EventAction::Create,
            id: "t9".into(),
            name: "web.2.t9".into(),
            attributes: attrs(&[
                ("service", "web"),
                ("slot", "2"),
                ("node", "n1"),
                ("desired_state", "running"),
                ("state", "pending"),
            ]),
        });
        assert_eq!(
            human_line(&line),
            "1970-01-01T00:00:00.000Z task create web.2.t9 \
             (state=pending, desired_state=running, node=n1, service=web, slot=2)"
        );
    }

    #[test]
    fn notices_say_what_was_lost() {
        let line = EventLine::Notice(StreamNotice {
            time: Timestamp(0),
            notice: NoticeKind::Dropped,
            dropped: Some(4),
            message: "events dropped: 4 batches skipped".into(),
        });
        assert_eq!(
            human_line(&line),
            "1970-01-01T00:00:00.000Z notice: events dropped: 4 batches skipped"
        );
    }
}
