//! The document agrees with the router and the types: every route is documented once with
//! the access `authz.rs` enforces, the router is built from the table alone, every `$ref`
//! resolves, and real values of every kind validate against their schemas while using every
//! property the schemas declare.

mod validator;

use super::{document, schemas};
use crate::http::authz::access;
use crate::http::route_table;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use shoal_api::rest::{ErrorBody, ErrorDetail, NodeUpdate, ServiceUpdate, VersionInfo};
use shoal_api::{Cluster, Node, Service, ServiceSpec, Task};
use std::collections::BTreeSet;
use validator::{Validator, declared};

fn doc() -> Value {
    document(&route_table::all())
}

#[test]
fn every_route_is_documented_once_with_its_access() {
    let routes = route_table::all();
    let doc = doc();
    let mut pairs = BTreeSet::new();
    for r in &routes {
        let method = r.method.as_str().to_ascii_lowercase();
        assert!(
            pairs.insert((method.clone(), r.path)),
            "{method} {} is in the table twice",
            r.path
        );
        let op = &doc["paths"][r.path][&method];
        assert_eq!(op["summary"], r.summary, "{method} {}", r.path);
        assert_eq!(op["x-shoal-access"], access(r.path).name(), "{}", r.path);
    }
    let documented: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    assert_eq!(documented, routes.len());
    // Anonymous callers reach only what authz.rs lets them.
    let anonymous: BTreeSet<&str> = routes
        .iter()
        .filter(|r| {
            doc["paths"][r.path][r.method.as_str().to_ascii_lowercase()]["security"] == json!([{}])
        })
        .map(|r| r.path)
        .collect();
    assert_eq!(anonymous, BTreeSet::from(["/v1/ca", "/v1/join"]));
}

#[test]
fn reads_document_consistency_and_its_header() {
    let doc = doc();
    let op = &doc["paths"]["/v1/services/{id}"]["get"];
    let param = op["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "consistency")
        .expect("the consistency parameter");
    assert_eq!(param["schema"]["enum"], json!(["linearizable", "stale"]));
    assert!(op["responses"]["200"]["headers"]["X-Shoal-Consistency"].is_object());
    assert!(op["responses"]["400"].is_object());
    // Not on writes or on what the leader alone serves.
    for (path, method) in [
        ("/v1/services/{id}", "post"),
        ("/v1/services/{id}/logs", "get"),
    ] {
        let op = &doc["paths"][path][method];
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        assert!(
            !params.iter().any(|p| p["name"] == "consistency"),
            "{method} {path}"
        );
    }
}

#[test]
fn the_router_is_built_from_the_table_alone() {
    let source = include_str!("../../../mod.rs");
    let start = source.find("fn routes(").expect("fn routes in http/mod.rs");
    let body = &source[start..];
    let body = &body[..body.find("\n}\n").expect("end of fn routes")];
    assert!(body.contains("route_table::router(route_table::all())"));
    for bypass in [".route(", ".nest(", ".merge(", ".route_service("] {
        assert!(
            !body.contains(bypass),
            "fn routes adds a route outside the route table ({bypass}): add a row to route_table::all() instead"
        );
    }
}

#[test]
fn path_parameters_are_declared_and_refs_resolve() {
    let doc = doc();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let declared: Vec<&str> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "path")
                .filter_map(|p| p["name"].as_str())
                .collect();
            let in_path: Vec<&str> = path
                .split('/')
                .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
                .collect();
            assert_eq!(declared, in_path, "{method} {path}");
        }
    }
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(refs.len() > 20, "the document uses its schemas");
    for r in refs {
        let name = r.trim_start_matches("#/components/schemas/");
        assert!(schemas.contains_key(name), "dangling $ref {r}");
    }
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                out.push(r.clone());
            }
            m.values().for_each(|x| collect_refs(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}

/// Reads `json` as the real type and serializes it back: what the server would send.
fn real<T: Serialize + DeserializeOwned>(json: Value) -> Value {
    let typed: T = serde_json::from_value(json).expect("the fixture is a valid value");
    serde_json::to_value(typed).unwrap()
}

fn full_spec(name: &str, mode: Value) -> Value {
    json!({
        "name": name,
        "labels": { "tier": "web" },
        "task": {
            "container": {
                "image": "shoal-demo:1",
                "command": ["/bin/sh", "-c"],
                "args": ["sleep 100"],
                "env": ["A=1"],
                "labels": { "c": "d" },
                "user": "1000:1000",
                "workdir": "/srv",
                "hostname": "web",
                "mounts": [{ "type": "volume", "source": "data", "target": "/data", "readonly": true }],
                "stop_signal": "SIGUSR1",
                "stop_grace_period": "3s",
                "healthcheck": {
                    "test": ["CMD-SHELL", "true"],
                    "interval": "2s", "timeout": "1s", "retries": 2, "start_period": "1s"
                },
                "ports": [{ "published": 8080, "target": 80, "protocol": "udp" }]
            },
            "restart": { "condition": "on-failure", "delay": "1s", "max_attempts": 3, "window": "1m" },
            "placement": {
                "constraints": ["node.labels.zone==east"],
                "preferences": [{ "spread": "node.labels.rack" }],
                "max_replicas_per_node": 2
            },
            "resources": {
                "reservations": { "cpus": 0.5, "memory": "64MiB" },
                "limits": { "cpus": 1.0, "memory": "128MiB" }
            },
            "force_update": 1
        },
        "mode": mode,
        "update": {
            "parallelism": 2, "delay": "1s", "failure_action": "rollback",
            "monitor": "5s", "max_failure_ratio": 0.5, "order": "start-first"
        },
        "rollback": { "parallelism": 0, "failure_action": "continue" }
    })
}

fn meta() -> Value {
    json!({ "id": "s1", "version": 7, "created_at": "2026-11-22T10:00:00.000Z", "updated_at": "2026-11-22T10:01:00.000Z" })
}

fn with_meta(mut v: Value) -> Value {
    let m = meta();
    for (k, x) in m.as_object().unwrap() {
        v[k] = x.clone();
    }
    v
}

#[test]
fn real_values_validate_and_use_every_declared_property() {
    let schemas = schemas::all();
    let mut v = Validator::new(&schemas);
    let mut check = |name: &str, value: Value| {
        if let Err(e) = v.check(name, &value) {
            panic!("{name} does not match its schema: {e}\n{value:#}");
        }
    };
    let modes = [
        json!({ "replicated": { "replicas": 3 } }),
        json!({ "global": {} }),
        json!({ "replicated_job": { "max_concurrent": 2, "total_completions": 4 } }),
        json!({ "global_job": {} }),
    ];
    for mode in modes {
        check("ServiceSpec", real::<ServiceSpec>(full_spec("web", mode)));
    }
    check(
        "ServiceSpec",
        real::<ServiceSpec>(json!({
            "name": "job", "task": { "container": { "image": "x" } },
            "mode": { "replicated_job": {} }
        })),
    );
    let spec = full_spec("web", json!({ "replicated": { "replicas": 3 } }));
    check(
        "Service",
        real::<Service>(with_meta(json!({
            "spec": spec, "spec_version": 2, "rolled_back": true, "previous_spec": spec,
            "update_status": {
                "state": "rollback_completed", "started_at": "2026-11-22T10:00:00.000Z",
                "completed_at": "2026-11-22T10:02:00.000Z", "message": "rolled back", "spec_version": 2
            }
        }))),
    );
    check(
        "Task",
        real::<Task>(with_meta(json!({
            "service_id": "s1", "service_name": "web", "slot": 1, "node_id": "n1",
            "spec": spec["task"], "desired_state": "running",
            "status": {
                "state": "failed", "timestamp": "2026-11-22T10:00:00.000Z", "message": "started",
                "err": "exit 1", "container_id": "abc", "exit_code": -1,
                "started_at": "2026-11-22T10:00:00.000Z"
            },
            "restarts": ["2026-11-22T10:00:00.000Z"]
        }))),
    );
    check(
        "Node",
        real::<Node>(with_meta(json!({
            "spec": { "availability": "drain", "labels": { "zone": "east" } },
            "role": "manager",
            "description": {
                "hostname": "m1", "cpus": 2, "memory_bytes": 1024, "engine_version": "20.10",
                "engine_labels": { "disk": "ssd" },
                "platform": { "os": "linux", "architecture": "x86_64" }
            },
            "status": {
                "state": "ready", "message": "up", "addr": "10.0.0.1:4242",
                "timestamp": "2026-11-22T10:00:00.000Z"
            },
            "manager_status": { "leader": true, "reachability": "reachable", "addr": "10.0.0.1:4242", "raft_id": 1 }
        }))),
    );
    let cluster_spec = json!({
        "name": "default", "task_history_limit": 5, "heartbeat_period_secs": 5,
        "snapshot_interval": 100, "node_cert_expiry": "90days", "rebalance": false
    });
    check(
        "Cluster",
        real::<Cluster>(with_meta(json!({
            "spec": cluster_spec,
            "join_tokens": { "worker": "SWMTKN-1-a-b", "manager": "SWMTKN-1-a-c" },
            "root_ca_pem": "-----BEGIN CERTIFICATE-----"
        }))),
    );
    check(
        "Error",
        serde_json::to_value(ErrorBody {
            error: ErrorDetail {
                code: "invalid_argument".into(),
                message: "bad".into(),
                field: Some("spec.name".into()),
            },
        })
        .unwrap(),
    );
    check(
        "Version",
        serde_json::to_value(VersionInfo::of_this_build("manager", Some(true))).unwrap(),
    );
    check(
        "ServiceUpdate",
        real::<ServiceUpdate>(json!({ "version": 3, "spec": spec })),
    );
    check(
        "NodeUpdate",
        real::<NodeUpdate>(json!({ "version": 3, "spec": { "availability": "pause" } })),
    );
    check(
        "ClientBundleRequest",
        real::<shoal_api::rest::ClientBundleRequest>(json!({ "name": "prometheus" })),
    );
    check(
        "JoinRequest",
        real::<shoal_api::rest::JoinRequest>(json!({
            "token": "SWMTKN-1-abc123-def456",
            "hostname": "node-1",
            "addr": "10.0.0.2:4242",
            "csr": "-----BEGIN CERTIFICATE REQUEST-----",
        })),
    );
    // Request bodies whose types only deserialize: the value that validates is accepted.
    let cluster_update = json!({ "version": 3, "spec": cluster_spec });
    serde_json::from_value::<crate::http::control::cluster::ClusterUpdate>(cluster_update.clone())
        .expect("a ClusterUpdate");
    check("ClusterUpdate", cluster_update);
    let rotate = json!({ "role": "manager" });
    serde_json::from_value::<crate::http::control::cluster::Rotate>(rotate.clone())
        .expect("a Rotate");
    check("RotateJoinToken", rotate);

    let unused: Vec<String> = declared(&schemas).difference(&v.seen).cloned().collect();
    assert!(
        unused.is_empty(),
        "schema properties no real value has (renamed or removed fields?): {unused:?}"
    );
}

#[test]
fn the_validator_refuses_a_field_the_schema_lacks_and_a_wrong_type() {
    let schemas = schemas::all();
    let mut v = Validator::new(&schemas);
    let mut spec = full_spec("web", json!({ "global": {} }));
    assert!(v.check("ServiceSpec", &spec).is_ok());
    spec["task"]["container"]["colour"] = json!("blue");
    let err = v.check("ServiceSpec", &spec).unwrap_err();
    assert!(err.contains("colour"), "{err}");
    let err = v.check("TaskState", &json!("sleeping")).unwrap_err();
    assert!(err.contains("sleeping"), "{err}");
    let err = v.check("ServiceSpec", &json!({ "name": "x" })).unwrap_err();
    assert!(err.contains("task"), "{err}");
}
