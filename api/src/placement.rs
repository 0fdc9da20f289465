//! Where a service's tasks may run: constraints (`node.labels.zone==east`), spread preferences
//! (`spread=node.labels.zone`) and a cap on tasks per node, as in SwarmKit. Constraints are
//! stored as the user wrote them and parsed here, by validation and by the scheduler alike.

use crate::node::{Node, Role};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Placement {
    /// `KEY==VALUE` or `KEY!=VALUE`; a node must satisfy them all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub constraints: Vec<String>,
    /// Spread tasks over the values of a label, then within each value over the next one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub preferences: Vec<Preference>,
    /// At most this many tasks of the service on one node; 0: no limit.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub max_replicas_per_node: u64,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

impl Placement {
    pub fn is_empty(&self) -> bool {
        *self == Placement::default()
    }
}

/// `spread=node.labels.zone`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preference {
    /// `node.labels.<key>` or `engine.labels.<key>`.
    pub spread: String,
}

/// What a constraint or a spread preference looks at on a node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeKey {
    Id,
    Hostname,
    Role,
    /// `node.platform.os`: Docker's `OSType` (`linux`).
    PlatformOs,
    /// `node.platform.arch`: Docker's `Architecture` (`x86_64`), matched under Go's names
    /// too (`amd64`), as Swarm users write both.
    PlatformArch,
    NodeLabel(String),
    EngineLabel(String),
}

impl NodeKey {
    /// Parses `node.id`, `node.hostname`, `node.role`, `node.platform.os`,
    /// `node.platform.arch`, `node.labels.<k>`, `engine.labels.<k>` (the fixed part in any
    /// case, as SwarmKit does), suggesting the nearest key on a typo.
    pub fn parse(raw: &str) -> Result<NodeKey, String> {
        let lower = raw.to_ascii_lowercase();
        let key = match lower.as_str() {
            "node.id" => NodeKey::Id,
            "node.hostname" => NodeKey::Hostname,
            "node.role" => NodeKey::Role,
            "node.platform.os" => NodeKey::PlatformOs,
            "node.platform.arch" => NodeKey::PlatformArch,
            _ if lower.starts_with("node.labels.") && raw.len() > 12 => {
                NodeKey::NodeLabel(raw[12..].to_string())
            }
            _ if lower.starts_with("engine.labels.") && raw.len() > 14 => {
                NodeKey::EngineLabel(raw[14..].to_string())
            }
            _ => return Err(unknown_key(raw)),
        };
        Ok(key)
    }

    /// The node's value for this key; `None` when a label is missing.
    pub fn value<'a>(&self, node: &'a Node) -> Option<&'a str> {
        match self {
            NodeKey::Id => Some(node.id.as_str()),
            NodeKey::Hostname => Some(node.description.hostname.as_str()),
            NodeKey::Role => Some(match node.role {
                Role::Manager => "manager",
                Role::Worker => "worker",
            }),
            NodeKey::PlatformOs => Some(node.description.platform.os.as_str()),
            NodeKey::PlatformArch => Some(node.description.platform.architecture.as_str()),
            NodeKey::NodeLabel(k) => node.spec.labels.get(k).map(String::as_str),
            NodeKey::EngineLabel(k) => node.description.engine_labels.get(k).map(String::as_str),
        }
        .filter(|v| !(v.is_empty() && matches!(self, NodeKey::PlatformOs | NodeKey::PlatformArch)))
    }

    /// Whether the node's `value` for this key is `wanted`: case-insensitive, and for an
    /// architecture under Docker's or Go's name alike.
    fn equals(&self, value: &str, wanted: &str) -> bool {
        match self {
            NodeKey::PlatformArch => arch_family(value).eq_ignore_ascii_case(arch_family(wanted)),
            _ => value.eq_ignore_ascii_case(wanted),
        }
    }

    pub fn is_label(&self) -> bool {
        matches!(self, NodeKey::NodeLabel(_) | NodeKey::EngineLabel(_))
    }
}

/// One name for each architecture that Docker (`uname -m`) and Go name differently.
fn arch_family(arch: &str) -> &str {
    const SAME: [(&str, &str); 6] = [
        ("x86_64", "amd64"),
        ("x86-64", "amd64"),
        ("aarch64", "arm64"),
        ("armv7l", "arm"),
        ("i386", "386"),
        ("i686", "386"),
    ];
    SAME.iter()
        .find(|(docker, _)| docker.eq_ignore_ascii_case(arch))
        .map_or(arch, |(_, go)| go)
}

const FIXED_KEYS: [&str; 7] = [
    "node.id",
    "node.hostname",
    "node.role",
    "node.platform.os",
    "node.platform.arch",
    "node.labels",
    "engine.labels",
];

/// `unknown key node.lables.zone, did you mean node.labels.zone?`
fn unknown_key(raw: &str) -> String {
    let lower = raw.to_ascii_lowercase();
    let known = "expected node.id, node.hostname, node.role, node.platform.os, \
                 node.platform.arch, node.labels.<key> or engine.labels.<key>";
    if lower.starts_with("node.platform") || lower.starts_with("node.plat") {
        let best = FIXED_KEYS[3..5]
            .iter()
            .map(|k| (edit_distance(&lower, k), *k))
            .min()
            .filter(|(d, _)| *d <= 2);
        return match best {
            Some((_, k)) => format!("unknown key {raw}, did you mean {k}?"),
            None => format!("unknown key {raw}: {known}"),
        };
    }
    // Compare the first two dotted parts with the fixed keys; keep the rest (a label name).
    let mut parts = lower.splitn(3, '.');
    let head = [parts.next(), parts.next()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(".");
    let rest = raw.splitn(3, '.').nth(2);
    let best = FIXED_KEYS
        .iter()
        .filter(|k| !k.starts_with("node.platform"))
        .map(|k| (edit_distance(&head, k), *k))
        .min()
        .filter(|(d, _)| *d <= 2);
    match best {
        Some((_, k)) if k.ends_with("labels") => match rest {
            Some(label) if !label.is_empty() => {
                format!("unknown key {raw}, did you mean {k}.{label}?")
            }
            _ => format!("unknown key {raw}, did you mean {k}.<key>?"),
        },
        Some((_, k)) if rest.is_none() => format!("unknown key {raw}, did you mean {k}?"),
        _ => format!("unknown key {raw}: {known}"),
    }
}

/// Levenshtein distance with adjacent transpositions counted as one edit.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

/// A parsed constraint: `key == value` or `key != value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Constraint {
    pub key: NodeKey,
    pub equal: bool,
    pub value: String,
}

impl Constraint {
    pub fn parse(raw: &str) -> Result<Constraint, String> {
        let (key, equal, value) = if let Some((k, v)) = raw.split_once("==") {
            (k, true, v)
        } else if let Some((k, v)) = raw.split_once("!=") {
            (k, false, v)
        } else {
            return Err(format!(
                "constraint {raw:?} must be KEY==VALUE or KEY!=VALUE"
            ));
        };
        let (key, value) = (key.trim(), value.trim());
        if key.is_empty() {
            return Err(format!("constraint {raw:?} has no key"));
        }
        if value.is_empty() {
            return Err(format!("constraint {raw:?} has no value"));
        }
        if value.contains("==") || value.contains("!=") {
            return Err(format!("constraint {raw:?} has more than one operator"));
        }
        Ok(Constraint {
            key: NodeKey::parse(key)?,
            equal,
            value: value.to_string(),
        })
    }

    /// SwarmKit's semantics: values compare case-insensitively; a missing label never equals
    /// anything, so `!=` on it matches.
    pub fn matches(&self, node: &Node) -> bool {
        let equal = self
            .key
            .value(node)
            .is_some_and(|v| self.key.equals(v, &self.value));
        equal == self.equal
    }

    /// Parses every constraint, or says which one is wrong (its index and why).
    pub fn parse_all(raws: &[String]) -> Result<Vec<Constraint>, (usize, String)> {
        raws.iter()
            .enumerate()
            .map(|(i, r)| Constraint::parse(r).map_err(|e| (i, e)))
            .collect()
    }
}

impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = match &self.key {
            NodeKey::Id => "node.id".to_string(),
            NodeKey::Hostname => "node.hostname".to_string(),
            NodeKey::Role => "node.role".to_string(),
            NodeKey::PlatformOs => "node.platform.os".to_string(),
            NodeKey::PlatformArch => "node.platform.arch".to_string(),
            NodeKey::NodeLabel(k) => format!("node.labels.{k}"),
            NodeKey::EngineLabel(k) => format!("engine.labels.{k}"),
        };
        let op = if self.equal { "==" } else { "!=" };
        write!(f, "{key}{op}{}", self.value)
    }
}

/// The key a spread preference spreads over: only labels, as in SwarmKit.
pub fn parse_spread(raw: &str) -> Result<NodeKey, String> {
    let key = NodeKey::parse(raw.trim())?;
    if !key.is_label() {
        return Err(format!(
            "cannot spread over {raw}: expected node.labels.<key> or engine.labels.<key>"
        ));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::NodeId;
    use crate::meta::{Meta, Timestamp};
    use crate::node::*;

    fn node(role: Role, labels: &[(&str, &str)]) -> Node {
        Node {
            id: NodeId::from("n1abc"),
            meta: Meta::default(),
            spec: NodeSpec {
                availability: Availability::Active,
                labels: labels
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            },
            role,
            description: NodeDescription {
                hostname: "box1".into(),
                engine_labels: [("storage".to_string(), "ssd".to_string())].into(),
                platform: Platform {
                    os: "linux".into(),
                    architecture: "x86_64".into(),
                },
                ..Default::default()
            },
            status: NodeStatus {
                state: NodeState::Ready,
                message: String::new(),
                addr: None,
                timestamp: Timestamp(0),
            },
            manager_status: None,
        }
    }

    fn c(raw: &str) -> Constraint {
        Constraint::parse(raw).unwrap()
    }

    #[test]
    fn parses_keys_operators_and_values() {
        assert_eq!(
            c(" node.labels.zone == east "),
            Constraint {
                key: NodeKey::NodeLabel("zone".into()),
                equal: true,
                value: "east".into()
            }
        );
        assert_eq!(c("Node.Role!=manager").key, NodeKey::Role);
        assert!(!c("node.role!=manager").equal);
        assert_eq!(
            c("engine.labels.storage==ssd").key,
            NodeKey::EngineLabel("storage".into())
        );
        assert_eq!(
            c("node.labels.zone==east").to_string(),
            "node.labels.zone==east"
        );
    }

    #[test]
    fn refuses_malformed_constraints_and_says_why() {
        for (raw, says) in [
            ("node.role=worker", "must be KEY==VALUE"),
            ("==worker", "no key"),
            ("node.role==", "no value"),
            ("node.role==a==b", "more than one operator"),
            ("node.labels.==x", "unknown key"),
            ("platform.os==linux", "expected node.id"),
        ] {
            let e = Constraint::parse(raw).unwrap_err();
            assert!(e.contains(says), "{raw}: {e}");
        }
    }

    #[test]
    fn suggests_the_nearest_key_on_a_typo() {
        assert_eq!(
            Constraint::parse("node.lables.zone==east").unwrap_err(),
            "unknown key node.lables.zone, did you mean node.labels.zone?"
        );
        assert_eq!(
            Constraint::parse("node.rol==worker").unwrap_err(),
            "unknown key node.rol, did you mean node.role?"
        );
        assert_eq!(
            Constraint::parse("engine.label.x==1").unwrap_err(),
            "unknown key engine.label.x, did you mean engine.labels.x?"
        );
    }

    #[test]
    fn matches_with_swarmkit_semantics() {
        let n = node(Role::Worker, &[("zone", "east")]);
        assert!(c("node.labels.zone==east").matches(&n));
        assert!(
            c("node.labels.zone==EAST").matches(&n),
            "values ignore case"
        );
        assert!(!c("node.labels.zone!=east").matches(&n));
        assert!(
            !c("node.labels.rack==a").matches(&n),
            "a missing label never equals"
        );
        assert!(
            c("node.labels.rack!=a").matches(&n),
            "!= on a missing label matches"
        );
        assert!(c("node.role==worker").matches(&n));
        assert!(!c("node.role==worker").matches(&node(Role::Manager, &[])));
        assert!(c("node.hostname==box1").matches(&n));
        assert!(c("node.id==n1abc").matches(&n));
        assert!(!c("node.id==n1").matches(&n), "ids match whole");
        assert!(c("engine.labels.storage==ssd").matches(&n));
        assert!(!c("engine.labels.storage==hdd").matches(&n));
    }

    #[test]
    fn matches_the_platform_under_docker_and_go_names() {
        let n = node(Role::Worker, &[]);
        assert_eq!(c("node.platform.os==linux").key, NodeKey::PlatformOs);
        assert_eq!(c("Node.Platform.Arch==amd64").key, NodeKey::PlatformArch);
        assert!(c("node.platform.os==linux").matches(&n));
        assert!(c("node.platform.os==Linux").matches(&n));
        assert!(!c("node.platform.os==windows").matches(&n));
        assert!(c("node.platform.os!=windows").matches(&n));
        assert!(c("node.platform.arch==x86_64").matches(&n));
        assert!(c("node.platform.arch==amd64").matches(&n));
        assert!(!c("node.platform.arch==arm64").matches(&n));
        assert!(c("node.platform.arch!=aarch64").matches(&n));
        let mut arm = node(Role::Worker, &[]);
        arm.description.platform.architecture = "aarch64".into();
        assert!(c("node.platform.arch==arm64").matches(&arm));
        assert!(c("node.platform.arch==aarch64").matches(&arm));
        assert!(!c("node.platform.arch==amd64").matches(&arm));
        let mut silent = node(Role::Worker, &[]);
        silent.description.platform = Platform::default();
        assert!(
            !c("node.platform.os==linux").matches(&silent),
            "a node that did not report its platform matches no value"
        );
        assert_eq!(
            c("node.platform.arch==arm64").to_string(),
            "node.platform.arch==arm64"
        );
        assert_eq!(
            Constraint::parse("node.platform.oss==linux").unwrap_err(),
            "unknown key node.platform.oss, did you mean node.platform.os?"
        );
        assert_eq!(
            Constraint::parse("node.platform.architecture==x86_64").unwrap_err(),
            "unknown key node.platform.architecture: expected node.id, node.hostname, \
             node.role, node.platform.os, node.platform.arch, node.labels.<key> or \
             engine.labels.<key>"
        );
        assert!(
            parse_spread("node.platform.os")
                .unwrap_err()
                .contains("cannot spread")
        );
    }

    #[test]
    fn spreads_only_over_labels() {
        assert_eq!(
            parse_spread("node.labels.zone"),
            Ok(NodeKey::NodeLabel("zone".into()))
        );
        assert!(
            parse_spread("node.hostname")
                .unwrap_err()
                .contains("cannot spread")
        );
        assert!(
            parse_spread("node.lables.zone")
                .unwrap_err()
                .contains("did you mean")
        );
    }
}
