//! The one list of the manager's endpoints. Each entry carries its handler and what the
//! OpenAPI document says about it (summary, bodies, query parameters), so the router and the
//! document are built from the same rows and cannot drift. Who may call an endpoint comes
//! from `authz.rs`, again the same rule the server applies.

use super::AppState;
use super::control::{cluster, events, metrics_route, node_roles, nodes, openapi};
use super::control::{service_logs, services, tasks};
use super::error::ApiError;
use super::node::{agent, ca, join};
use super::raft;
use crate::raft::wire;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodFilter, MethodRouter, on};

/// A request or response body as the document describes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Payload {
    None,
    /// JSON matching a named schema.
    Json(&'static str),
    /// A JSON array of a named schema.
    JsonList(&'static str),
    /// JSON of an internal message (Rust type named).
    Internal(&'static str),
    /// Text of this media type.
    Text(&'static str),
}

/// One endpoint: its method and path, its documentation and its handler.
pub struct Route {
    pub method: Method,
    pub path: &'static str,
    pub tag: &'static str,
    pub summary: &'static str,
    pub request: Payload,
    /// The success status and body.
    pub status: u16,
    pub response: Payload,
    /// Query parameters: name, JSON type, description.
    pub query: &'static [(&'static str, &'static str, &'static str)],
    /// A read of the replicated state: linearizable (confirmed by the leader with a
    /// majority) unless `?consistency=stale` asks any manager for its own copy.
    pub read: bool,
    handler: MethodRouter<AppState>,
}

impl Route {
    fn new<H: Handler<T, AppState>, T: 'static>(
        method: Method,
        path: &'static str,
        tag: &'static str,
        summary: &'static str,
        handler: H,
    ) -> Route {
        let filter = MethodFilter::try_from(method.clone()).expect("a standard method");
        Route {
            method,
            path,
            tag,
            summary,
            request: Payload::None,
            status: 200,
            response: Payload::None,
            query: &[],
            read: false,
            handler: on(filter, handler),
        }
    }

    fn takes(mut self, p: Payload) -> Route {
        self.request = p;
        self
    }

    fn gives(mut self, status: u16, p: Payload) -> Route {
        self.status = status;
        self.response = p;
        self
    }

    /// Marks a read of the replicated state (see [`Route::read`]).
    fn read(mut self) -> Route {
        self.read = true;
        self
    }

    fn query(mut self, q: &'static [(&'static str, &'static str, &'static str)]) -> Route {
        self.query = q;
        self
    }

    /// Accepts bodies up to `bytes` instead of axum's default 2 MiB.
    fn body_limit(mut self, bytes: usize) -> Route {
        self.handler = self.handler.layer(DefaultBodyLimit::max(bytes));
        self
    }
}

fn get<H: Handler<T, AppState>, T: 'static>(
    p: &'static str,
    tag: &'static str,
    s: &'static str,
    h: H,
) -> Route {
    Route::new(Method::GET, p, tag, s, h)
}

fn post<H: Handler<T, AppState>, T: 'static>(
    p: &'static str,
    tag: &'static str,
    s: &'static str,
    h: H,
) -> Route {
    Route::new(Method::POST, p, tag, s, h)
}

fn delete<H: Handler<T, AppState>, T: 'static>(
    p: &'static str,
    tag: &'static str,
    s: &'static str,
    h: H,
) -> Route {
    Route::new(Method::DELETE, p, tag, s, h)
}

use Payload::{Internal, Json, JsonList, Text};

/// Every endpoint of a manager, in the order the document lists them.
pub fn all() -> Vec<Route> {
    vec![
        get(
            "/v1/version",
            "meta",
            "Versions of the answering node",
            super::version,
        )
        .gives(200, Json("Version")),
        get("/v1/openapi.json", "meta", "This document", openapi::serve)
            .gives(200, Internal("OpenAPI 3.1 document")),
        get(
            "/metrics",
            "meta",
            "Prometheus metrics of the answering manager",
            metrics_route::scrape,
        )
        .gives(200, Text("text/plain; version=0.0.4")),
        get("/v1/cluster", "cluster", "The cluster object", cluster::get)
            .gives(200, Json("Cluster"))
            .read(),
        post(
            "/v1/cluster",
            "cluster",
            "Change cluster settings",
            cluster::update,
        )
        .takes(Json("ClusterUpdate"))
        .gives(200, Json("Cluster")),
        post(
            "/v1/cluster/rotate-join-token",
            "cluster",
            "Replace a join token",
            cluster::rotate_join_token,
        )
        .takes(Json("RotateJoinToken"))
        .gives(200, Json("Cluster")),
        get("/v1/nodes", "nodes", "List nodes", nodes::list)
            .gives(200, JsonList("Node"))
            .read(),
        get(
            "/v1/nodes/{id}",
            "nodes",
            "A node by id, unique id prefix or hostname",
            nodes::get,
        )
        .gives(200, Json("Node"))
        .read(),
        post(
            "/v1/nodes/{id}",
            "nodes",
            "Change a node's availability and labels",
            nodes::update,
        )
        .takes(Json("NodeUpdate"))
        .gives(200, Json("Node")),
        delete(
            "/v1/nodes/{id}",
            "nodes",
            "Remove a node from the cluster",
            nodes::remove,
        )
        .query(&[("force", "boolean", "Remove a node that is still up")])
        .gives(204, Payload::None),
        post(
            "/v1/nodes/{id}/promote",
            "nodes",
            "Make a worker a manager",
            node_roles::promote,
        )
        .gives(200, Json("Node")),
        post(
            "/v1/nodes/{id}/demote",
            "nodes",
            "Make a manager a worker",
            node_roles::demote,
        )
        .gives(200, Json("Node")),
        get("/v1/services", "services", "List services", services::list)
            .gives(200, JsonList("Service"))
            .read(),
        post(
            "/v1/services",
            "services",
            "Create a service",
            services::create,
        )
        .takes(Json("ServiceSpec"))
        .gives(201, Json("Service")),
        get(
            "/v1/services/{id}",
            "services",
            "A service by id, unique id prefix or name",
            services::get,
        )
        .gives(200, Json("Service"))
        .read(),
        post(
            "/v1/services/{id}",
            "services",
            "Replace a service's spec (rolls its tasks)",
            services::update,
        )
        .takes(Json("ServiceUpdate"))
        .gives(200, Json("Service")),
        delete(
            "/v1/services/{id}",
            "services",
            "Remove a service and its tasks",
            services::delete,
        )
        .gives(204, Payload::None),
        post(
            "/v1/services/{id}/rollback",
            "services",
            "Roll back to the previous spec",
            services::rollback,
        )
        .gives(200, Json("Service")),
        get(
            "/v1/services/{id}/logs",
            "services",
            "Stream the output of a service's containers from every node, one JSON line each",
            service_logs::stream,
        )
        .query(&[
            (
                "follow",
                "boolean",
                "Keep streaming new output, also from tasks started later",
            ),
            (
                "tail",
                "string",
                "Only the last N lines of each task, or all (the default)",
            ),
            (
                "since",
                "integer",
                "Only lines written at or after this Unix time, in seconds",
            ),
            (
                "task",
                "string",
                "Only this task of the service (id or unique id prefix)",
            ),
        ])
        .gives(200, Text("application/x-ndjson")),
        get("/v1/tasks", "tasks", "List tasks", tasks::list)
            .query(&[
                (
                    "service",
                    "string",
                    "Only this service's tasks (id, prefix or name)",
                ),
                (
                    "node",
                    "string",
                    "Only tasks on this node (id, prefix or hostname)",
                ),
                ("all", "boolean", "Include tasks no longer desired to run"),
            ])
            .gives(200, JsonList("Task"))
            .read(),
        get(
            "/v1/tasks/{id}",
            "tasks",
            "A task by id or unique id prefix",
            tasks::get,
        )
        .gives(200, Json("Task"))
        .read(),
        get(
            "/v1/events",
            "events",
            "Stream cluster changes, one JSON line per changed object",
            events::stream,
        )
        .query(&[
            (
                "type",
                "string",
                "Only changes of this type: service, task, node or cluster",
            ),
            (
                "since",
                "integer",
                "Replay the changes this manager kept from this Unix time (seconds) first",
            ),
        ])
        .gives(200, Text("application/x-ndjson")),
        get("/v1/ca", "ca", "The cluster CA certificate", ca::root)
            .gives(200, Text("application/x-pem-file"))
            .read(),
        get(
            "/v1/ca/node",
            "ca",
            "The calling node's certificate status",
            ca::node_status,
        )
        .gives(200, Internal("shoal_api::rest::NodeCertStatus"))
        .read(),
        post(
            "/v1/ca/renew",
            "ca",
            "Renew the calling node's certificate",
            ca::renew,
        )
        .takes(Internal("shoal_api::rest::RenewRequest"))
        .gives(200, Internal("shoal_api::rest::RenewResponse")),
        post(
            "/v1/ca/client-bundle",
            "ca",
            "Issue a client bundle for shoalctl or a scraper",
            ca::client_bundle,
        )
        .takes(Json("ClientBundleRequest"))
        .gives(200, Internal("shoal_client::tls::Bundle")),
        post(
            "/v1/join",
            "join",
            "Join the cluster with a join token",
            join::join,
        )
        .takes(Json("JoinRequest"))
        .gives(200, Internal("shoal_api::rest::JoinResponse")),
        post(
            "/v1/join/raft",
            "join",
            "Add a joined manager to Raft",
            join::join_raft,
        )
        .takes(Internal("shoal_api::rest::RaftJoinRequest"))
        .gives(200, Internal("membership")),
        post(
            "/v1/dispatcher/register",
            "dispatcher",
            "Open an agent session",
            agent::register,
        )
        .takes(Internal("shoal_api::dispatch::RegisterRequest"))
        .gives(200, Internal("shoal_api::dispatch::RegisterResponse")),
        post(
            "/v1/dispatcher/heartbeat",
            "dispatcher",
            "Keep an agent session alive",
            agent::heartbeat,
        )
        .takes(Internal("shoal_api::dispatch::HeartbeatRequest"))
        .gives(200, Internal("shoal_api::dispatch::HeartbeatResponse")),
        get(
            "/v1/dispatcher/assignments",
            "dispatcher",
            "Stream a node's assignments",
            agent::assignments,
        )
        .query(&[
            ("node_id", "string", "The agent's node"),
            ("session_id", "string", "Its current session"),
        ])
        .gives(200, Text("application/x-ndjson")),
        get(
            "/v1/dispatcher/log-subscriptions",
            "dispatcher",
            "Stream the log subscriptions that concern a node",
            agent::log_subscriptions,
        )
        .query(&[
            ("node_id", "string", "The agent's node"),
            ("session_id", "string", "Its current session"),
        ])
        .gives(200, Text("application/x-ndjson")),
        post(
            "/v1/dispatcher/logs",
            "dispatcher",
            "Send container output for a log subscription",
            agent::publish_logs,
        )
        .takes(Internal("shoal_api::logs::LogBatch"))
        .gives(200, Internal("shoal_api::logs::LogBatchResponse")),
        post(
            "/v1/dispatcher/status",
            "dispatcher",
            "Report task statuses",
            agent::status,
        )
        .takes(Internal("shoal_api::dispatch::StatusBatch"))
        .gives(200, Internal("acknowledgement")),
        post(
            "/v1/raft/append",
            "raft",
            "Raft AppendEntries",
            raft::append,
        )
        .takes(Internal("openraft AppendEntriesRequest"))
        .gives(200, Internal("openraft AppendEntriesResponse"))
        .body_limit(wire::BODY_LIMIT),
        post("/v1/raft/vote", "raft", "Raft RequestVote", raft::vote)
            .takes(Internal("openraft VoteRequest"))
            .gives(200, Internal("openraft VoteResponse")),
        post(
            "/v1/raft/snapshot",
            "raft",
            "Raft InstallSnapshot",
            raft::snapshot,
        )
        .takes(Text(wire::SNAPSHOT_MEDIA_TYPE))
        .gives(200, Internal("openraft InstallSnapshotResponse"))
        .body_limit(wire::BODY_LIMIT),
    ]
}

/// Whether a request `path` is one of the reads of the replicated state ([`Route::read`],
/// all `GET`): it matches the path of such a route, `{id}` standing for one segment.
pub fn is_read(path: &str) -> bool {
    static READS: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
        all()
            .into_iter()
            .filter(|r| r.read)
            .map(|r| r.path)
            .collect()
    });
    READS.iter().any(|pattern| matches_pattern(pattern, path))
}

fn matches_pattern(pattern: &str, path: &str) -> bool {
    let mut want = pattern.split('/');
    let mut got = path.split('/');
    loop {
        match (want.next(), got.next()) {
            (None, None) => return true,
            (Some("{id}"), Some(seg)) if !seg.is_empty() => {}
            (Some(w), Some(g)) if w == g => {}
            _ => return false,
        }
    }
}

/// The router of these routes. A path answers a method it does not serve with a JSON 405
/// that names the methods it does.
pub fn router(routes: Vec<Route>) -> Router<AppState> {
    let mut paths: Vec<(&'static str, MethodRouter<AppState>, Vec<Method>)> = Vec::new();
    for r in routes {
        match paths.iter_mut().find(|(p, ..)| *p == r.path) {
            Some((_, mr, methods)) => {
                *mr = std::mem::replace(mr, MethodRouter::new()).merge(r.handler);
                methods.push(r.method);
            }
            None => paths.push((r.path, r.handler, vec![r.method])),
        }
    }
    paths
        .into_iter()
        .fold(Router::new(), |router, (path, mr, methods)| {
            let allowed: Vec<String> = methods.iter().map(|m| m.to_string()).collect();
            let allowed = allowed.join(", ");
            router.route(
                path,
                mr.fallback(move |method: Method| async move {
                    method_not_allowed(path, &method, &allowed)
                }),
            )
        })
}

fn method_not_allowed(path: &str, method: &Method, allowed: &str) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{method} {path} is not supported; {path} answers {allowed}"),
    )
}
