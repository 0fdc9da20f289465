//! Field-by-field differences between two service specs, for `shoalctl diff` and apply's
//! report: `spec.task.container.image: shoal-demo:1 -> shoal-demo:2`. Specs are compared as
//! the JSON the server stores, so a field left to its default in a file equals the default.

use serde::Serialize;
use serde_json::Value;

/// One changed leaf (or a whole subtree added or removed).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Change {
    pub path: String,
    /// `None`: the field is absent (left to its default, or a list was shorter).
    pub old: Option<Value>,
    pub new: Option<Value>,
}

impl Change {
    /// `spec.task.container.image: shoal-demo:1 -> shoal-demo:2`
    pub fn render(&self) -> String {
        format!(
            "{}: {} -> {}",
            self.path,
            show(self.old.as_ref()),
            show(self.new.as_ref())
        )
    }
}

/// The changes from `old` to `new`, both serialized, under `root` (like `spec`).
pub fn diff<T: Serialize>(root: &str, old: &T, new: &T) -> serde_json::Result<Vec<Change>> {
    let mut changes = Vec::new();
    walk(
        root,
        Some(&serde_json::to_value(old)?),
        Some(&serde_json::to_value(new)?),
        &mut changes,
    );
    Ok(changes)
}

fn walk(path: &str, old: Option<&Value>, new: Option<&Value>, out: &mut Vec<Change>) {
    match (old, new) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                walk(&format!("{path}.{k}"), a.get(k), b.get(k), out);
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) => {
            for i in 0..a.len().max(b.len()) {
                walk(&format!("{path}[{i}]"), a.get(i), b.get(i), out);
            }
        }
        (a, b) if a == b => {}
        (a, b) => out.push(Change {
            path: path.to_string(),
            old: a.cloned(),
            new: b.cloned(),
        }),
    }
}

/// A value as a person reads it: plain strings bare unless that would be ambiguous, the
/// rest as compact JSON, an absent field as `(none)`.
fn show(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "(none)".into(),
        Some(Value::String(s))
            if !s.is_empty() && !s.contains(char::is_whitespace) && !s.contains("->") =>
        {
            s.clone()
        }
        Some(v) => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shoal_api::ServiceMode;
    use shoal_api::fixtures::service;

    fn lines(changes: &[Change]) -> Vec<String> {
        changes.iter().map(Change::render).collect()
    }

    #[test]
    fn equal_specs_have_no_changes() {
        let s = service("web", 2).spec;
        assert_eq!(diff("spec", &s, &s).unwrap(), []);
    }

    #[test]
    fn names_each_changed_leaf() {
        let old = service("web", 2).spec;
        let mut new = old.clone();
        new.task.container.image = "shoal-demo:2".into();
        new.mode = ServiceMode::Replicated { replicas: 3 };
        new.labels.insert("tier".into(), "front end".into());
        let changes = diff("spec", &old, &new).unwrap();
        assert_eq!(
            lines(&changes),
            [
                "spec.labels: (none) -> {\"tier\":\"front end\"}".to_string(),
                "spec.mode.replicated.replicas: 2 -> 3".into(),
                format!(
                    "spec.task.container.image: {} -> shoal-demo:2",
                    old.task.container.image
                ),
            ]
        );
    }

    #[test]
    fn lists_compare_element_by_element() {
        let mut old = service("web", 1).spec;
        old.task.container.env = vec!["A=1".into(), "B=2".into()];
        let mut new = old.clone();
        new.task.container.env = vec!["A=1".into(), "B=3".into(), "C=4".into()];
        assert_eq!(
            lines(&diff("spec", &old, &new).unwrap()),
            [
                "spec.task.container.env[1]: B=2 -> B=3",
                "spec.task.container.env[2]: (none) -> C=4"
            ]
        );
        assert_eq!(
            lines(&diff("spec", &new, &old).unwrap())[1],
            "spec.task.container.env[2]: C=4 -> (none)"
        );
    }

    #[test]
    fn a_mode_switch_shows_both_sides() {
        let old = service("web", 1).spec;
        let mut new = old.clone();
        new.mode = ServiceMode::Global {};
        assert_eq!(
            lines(&diff("spec", &old, &new).unwrap()),
            [
                "spec.mode.global: (none) -> {}",
                "spec.mode.replicated: {\"replicas\":1} -> (none)"
            ]
        );
    }

    #[test]
    fn ambiguous_strings_are_quoted() {
        assert_eq!(show(Some(&Value::String(String::new()))), "\"\"");
        assert_eq!(show(Some(&Value::String("a b".into()))), "\"a b\"");
        assert_eq!(show(Some(&Value::String("5s".into()))), "5s");
        assert_eq!(show(Some(&serde_json::json!(0.5))), "0.5");
    }
}
