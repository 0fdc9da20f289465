//! The REST API under `/v1` (axum), served on the owner-only unix control socket and on the
//! TCP listen address. Handlers validate, then read the store or write through Raft.

mod agent_routes;
pub mod authz;
mod ca;
mod cluster;
mod error;
mod forward;
mod join;
mod json;
mod node_roles;
mod nodes;
mod raft_routes;
mod resolve;
mod services;
mod tasks;

pub use error::ApiError;

use crate::dispatcher::Dispatcher;
use crate::raft::{Raft, RaftId, Writer};
use crate::store::Store;
use axum::Router;
use axum::routing::{get, post};
use std::sync::Arc;
use tokio::sync::watch;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub writer: Writer,
    pub raft: Raft,
    pub raft_id: RaftId,
    /// The dispatcher while this manager leads.
    pub dispatcher: watch::Receiver<Option<Arc<Dispatcher>>>,
    /// For relaying requests to the leader (this node's certificate).
    pub http: shoal_agent::HttpClients,
    /// Serializes Raft membership changes made through this manager.
    pub membership_lock: Arc<tokio::sync::Mutex<()>>,
    /// Which peers answered Raft RPCs lately (meaningful on the leader).
    pub contacts: crate::raft::PeerContacts,
}

impl AppState {
    fn dispatcher(&self) -> Result<Arc<Dispatcher>, ApiError> {
        self.dispatcher.borrow().clone().ok_or_else(|| {
            ApiError::unavailable("this manager is not the leader: its dispatcher is not running")
        })
    }
}

/// The API as served over TLS: callers are identified by their certificates.
pub fn tls_router(state: AppState) -> Router {
    routes(state.clone()).layer(axum::middleware::from_fn_with_state(state, authz::tls))
}

/// The API as served on the owner-only control socket: the caller is trusted.
pub fn local_router(state: AppState) -> Router {
    routes(state).layer(axum::Extension(authz::Caller::Local))
}

fn routes(state: AppState) -> Router {
    Router::new()
        .route("/v1/version", get(version))
        .route("/v1/cluster", get(cluster::get).post(cluster::update))
        .route(
            "/v1/cluster/rotate-join-token",
            post(cluster::rotate_join_token),
        )
        .route("/v1/nodes", get(nodes::list))
        .route(
            "/v1/nodes/{id}",
            get(nodes::get).post(nodes::update).delete(nodes::remove),
        )
        .route("/v1/nodes/{id}/promote", post(node_roles::promote))
        .route("/v1/nodes/{id}/demote", post(node_roles::demote))
        .route("/v1/services", get(services::list).post(services::create))
        .route(
            "/v1/services/{id}",
            get(services::get)
                .post(services::update)
                .delete(services::delete),
        )
        .route("/v1/services/{id}/rollback", post(services::rollback))
        .route("/v1/tasks", get(tasks::list))
        .route("/v1/tasks/{id}", get(tasks::get))
        .route("/v1/ca", get(ca::root))
        .route("/v1/ca/node", get(ca::node_status))
        .route("/v1/ca/renew", post(ca::renew))
        .route("/v1/ca/client-bundle", post(ca::client_bundle))
        .route("/v1/join", post(join::join))
        .route("/v1/join/raft", post(join::join_raft))
        .route("/v1/dispatcher/register", post(agent_routes::register))
        .route("/v1/dispatcher/heartbeat", post(agent_routes::heartbeat))
        .route("/v1/dispatcher/assignments", get(agent_routes::assignments))
        .route("/v1/dispatcher/status", post(agent_routes::status))
        .route("/v1/raft/append", post(raft_routes::append))
        .route("/v1/raft/vote", post(raft_routes::vote))
        .route("/v1/raft/snapshot", post(raft_routes::snapshot))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            forward::to_leader,
        ))
        .with_state(state)
}

async fn version() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({ "version": env!("CARGO_PKG_VERSION") }))
}

async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::not_found(format!("no such endpoint: {}", uri.path()))
}

/// What a worker serves: its version, and a plain answer that control requests belong to a
/// manager.
pub fn worker_router(managers: Vec<String>) -> Router {
    let message = format!(
        "this node is a worker: send control requests to a manager ({})",
        managers.join(", ")
    );
    Router::new()
        .route("/v1/version", get(version))
        .fallback(move || {
            let message = message.clone();
            async move {
                ApiError::new(
                    axum::http::StatusCode::MISDIRECTED_REQUEST,
                    "not_a_manager",
                    message,
                )
            }
        })
}
