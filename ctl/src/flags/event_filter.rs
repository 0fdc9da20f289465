//! `shoalctl events --filter KEY=VALUE`, as in `docker events`: keys `type`
//! (service|task|node|cluster), `name` (the object's name; a service name also matches its
//! tasks) and `id` (an id or its prefix). Values of the same key are alternatives; different
//! keys must all match.

use anyhow::{Result, anyhow, bail};
use shoal_api::events::{ClusterEvent, EventType};

#[derive(Debug, Default, PartialEq)]
pub struct EventFilter {
    types: Vec<EventType>,
    names: Vec<String>,
    ids: Vec<String>,
}

impl EventFilter {
    /// Parses every `--filter` value; an error names the filter that is wrong.
    pub fn parse(raw: &[String]) -> Result<EventFilter> {
        let mut f = EventFilter::default();
        for item in raw {
            let (key, value) = item.split_once('=').ok_or_else(|| {
                anyhow!("--filter {item:?}: expected KEY=VALUE (type=service, name=web, id=abc)")
            })?;
            if value.is_empty() {
                bail!("--filter {item:?}: {key} needs a value");
            }
            match key {
                "type" => f.types.push(
                    value
                        .parse()
                        .map_err(|e: String| anyhow!("--filter {item:?}: {e}"))?,
                ),
                "name" => f.names.push(value.to_string()),
                "id" => f.ids.push(value.to_string()),
                _ => bail!("--filter {item:?}: unknown filter {key:?}: use type, name or id"),
            }
        }
        Ok(f)
    }

    /// The one type the server can filter on for us, when only one is asked for.
    pub fn server_type(&self) -> Option<EventType> {
        match self.types.as_slice() {
            [only] => Some(*only),
            _ => None,
        }
    }

    pub fn matches(&self, e: &ClusterEvent) -> bool {
        let name_matches = |n: &String| {
            *n == e.name || (e.kind == EventType::Task && e.attributes.get("service") == Some(n))
        };
        (self.types.is_empty() || self.types.contains(&e.kind))
            && (self.names.is_empty() || self.names.iter().any(name_matches))
            && (self.ids.is_empty() || self.ids.iter().any(|p| e.id.starts_with(p.as_str())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shoal_api::Timestamp;
    use shoal_api::events::EventAction;
    use std::collections::BTreeMap;

    fn event(kind: EventType, id: &str, name: &str, service: Option<&str>) -> ClusterEvent {
        ClusterEvent {
            time: Timestamp(0),
            kind,
            action: EventAction::Update,
            id: id.into(),
            name: name.into(),
            attributes: service
                .map(|s| BTreeMap::from([("service".to_string(), s.to_string())]))
                .unwrap_or_default(),
        }
    }

    fn filter(items: &[&str]) -> Result<EventFilter> {
        EventFilter::parse(&items.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn same_key_is_either_different_keys_are_both() {
        let web = event(EventType::Service, "abc123", "web", None);
        let web_task = event(EventType::Task, "t1", "web.1.t1", Some("web"));
        let db = event(EventType::Service, "def456", "db", None);
        let f = filter(&["type=service", "type=node"]).unwrap();
        assert!(f.matches(&web) && !f.matches(&web_task));
        assert_eq!(f.server_type(), None);
        let f = filter(&["type=service", "name=web"]).unwrap();
        assert!(f.matches(&web) && !f.matches(&db) && !f.matches(&web_task));
        assert_eq!(f.server_type(), Some(EventType::Service));
        let f = filter(&["name=web"]).unwrap();
        assert!(f.matches(&web) && f.matches(&web_task) && !f.matches(&db));
        let f = filter(&["id=abc", "id=zzz"]).unwrap();
        assert!(f.matches(&web) && !f.matches(&db));
        assert!(filter(&[]).unwrap().matches(&web_task));
    }

    #[test]
    fn a_bad_filter_is_named() {
        let e = filter(&["name=web", "typ=service"])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("\"typ=service\"") && e.contains("unknown filter \"typ\""),
            "{e}"
        );
        let e = filter(&["type=services"]).unwrap_err().to_string();
        assert!(
            e.contains("\"type=services\"") && e.contains("unknown event type"),
            "{e}"
        );
        let e = filter(&["web"]).unwrap_err().to_string();
        assert!(e.contains("expected KEY=VALUE"), "{e}");
        let e = filter(&["name="]).unwrap_err().to_string();
        assert!(e.contains("name needs a value"), "{e}");
    }
}
