//! `GET /v1/openapi.json`: the OpenAPI 3.1 document of the manager's API, built from the
//! route table the router is built from, with who may call each endpoint taken from the
//! authorization rules (`authz.rs`) and the object schemas from [`schemas`].

pub mod schemas;

use crate::http::authz::{Access, access};
use crate::http::route_table::{self, Payload, Route};
use axum::Json;
use serde_json::{Map, Value, json};
use std::sync::OnceLock;

/// The name of the security scheme every authenticated endpoint lists.
const MTLS: &str = "clusterCertificate";

pub async fn serve() -> Json<Value> {
    static DOC: OnceLock<Value> = OnceLock::new();
    Json(DOC.get_or_init(|| document(&route_table::all())).clone())
}

/// The whole document for `routes`.
pub fn document(routes: &[Route]) -> Value {
    let mut paths = Map::new();
    for r in routes {
        let item = paths.entry(r.path.to_string()).or_insert_with(|| json!({}));
        item[r.method.as_str().to_ascii_lowercase()] = operation(r);
    }
    let schemas = schemas::all();
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Shoal manager API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The REST API of a Shoal manager. Over TCP every connection is mutual TLS \
                with certificates of the cluster CA; the owner-only unix socket \
                `<data-dir>/control.sock` is trusted and needs none. A follower relays control \
                requests to the leader, which confirms with a majority that it still leads before it \
                answers, so reads are linearizable; `?consistency=stale` on a read asks the manager \
                itself for its own copy instead. `/v1/version`, `/v1/openapi.json`, `/metrics` and \
                `/v1/events` are answered by the manager asked. Every request is answered within \
                10 s. Errors are `{\"error\":{\"code\",\"message\",\"field\"?}}`."
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                MTLS: {
                    "type": "mutualTLS",
                    "description": "A client certificate signed by the cluster CA: a node's own, or a client bundle from `shoalctl cluster client-bundle --out DIR`. Which certificates an endpoint accepts is in its `x-shoal-access`."
                }
            }
        }
    })
}

fn operation(r: &Route) -> Value {
    let access = access(r.path);
    let mut op = json!({
        "operationId": operation_id(r),
        "summary": r.summary,
        "tags": [r.tag],
        "x-shoal-access": access.name(),
        "description": format!("Who may call: {}.", access.describe()),
        "responses": responses(r, access),
    });
    // Anyone may call: an empty requirement; otherwise the cluster certificate.
    op["security"] = match access {
        Access::Anyone => json!([{}]),
        _ => json!([{ MTLS: [] }]),
    };
    let mut params: Vec<Value> = Vec::new();
    if r.path.contains("{id}") {
        params.push(json!({
            "name": "id", "in": "path", "required": true,
            "description": "Id, unique id prefix, or name",
            "schema": { "type": "string" }
        }));
    }
    for (name, ty, text) in r.query {
        // A reference or id given empty names nothing: the server refuses it.
        let schema = if *ty == "string" {
            json!({ "type": ty, "minLength": 1 })
        } else {
            json!({ "type": ty })
        };
        params.push(json!({
            "name": name, "in": "query", "required": false,
            "description": text, "schema": schema
        }));
    }
    if r.read {
        params.push(json!({
            "name": "consistency", "in": "query", "required": false,
            "description": "`linearizable` (the default): the leader confirms with a majority that it still leads before it answers, and a follower relays the read to it. `stale`: the manager asked answers from its own copy at once, leader or not, even without a quorum; it may be behind.",
            "schema": { "type": "string", "enum": ["linearizable", "stale"] }
        }));
    }
    if !params.is_empty() {
        op["parameters"] = Value::Array(params);
    }
    if let Some(content) = content(r.request) {
        op["requestBody"] = json!({ "required": true, "content": content });
    }
    op
}

fn operation_id(r: &Route) -> String {
    let mut id = r.method.as_str().to_ascii_lowercase();
    for part in r.path.split(['/', '-', '.', '{', '}']) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            id.push(first.to_ascii_uppercase());
            id.extend(chars);
        }
    }
    id
}

fn content(p: Payload) -> Option<Value> {
    let (media, schema) = match p {
        Payload::None => return None,
        Payload::Json(name) => ("application/json", schema_ref(name)),
        Payload::JsonList(name) => (
            "application/json",
            json!({ "type": "array", "items": schema_ref(name) }),
        ),
        Payload::Internal(name) => ("application/json", schemas::internal(name)),
        Payload::Text(media) => (media, json!({ "type": "string" })),
    };
    Some(json!({ media: { "schema": schema } }))
}

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn responses(r: &Route, access: Access) -> Value {
    let mut out = Map::new();
    let mut ok = json!({ "description": "Success" });
    if let Some(content) = content(r.response) {
        ok["content"] = content;
    }
    if r.read {
        ok["headers"] = json!({
            "X-Shoal-Consistency": {
                "description": "How the read was answered: `linearizable` (confirmed by the leader with a majority) or `stale` (the asked manager's own copy, on request)",
                "schema": { "type": "string", "enum": ["linearizable", "stale"] }
            }
        });
    }
    out.insert(r.status.to_string(), ok);
    let error = |text: &str| {
        json!({
            "description": text,
            "content": { "application/json": { "schema": schema_ref("Error") } }
        })
    };
    if !matches!(access, Access::Anyone) {
        out.insert(
            "401".into(),
            error("No client certificate, or that of a removed node"),
        );
        out.insert("403".into(), error("This certificate may not call this"));
    }
    if r.request != Payload::None || !r.query.is_empty() || r.read {
        out.insert("400".into(), error("Invalid request (`field` names where)"));
    }
    if r.path.contains("{id}") {
        out.insert("404".into(), error("No such object"));
    }
    out.insert(
        "503".into(),
        error(
            "No leader, or the leader cannot confirm with a majority that it still leads, or no answer within 10 s; the message says which, and whether a write may still commit (control and node endpoints)",
        ),
    );
    out.insert("default".into(), error("Any other error"));
    Value::Object(out)
}

#[cfg(test)]
mod tests;
