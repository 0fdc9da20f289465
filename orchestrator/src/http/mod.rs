//! The REST API under `/v1` (axum), served on the owner-only unix control socket and on the
//! TCP listen address. Handlers validate, then read the store or write through Raft.
//!
//! The handlers are grouped by who calls them:
//! - `control`: the control API for users and shoalctl (services, tasks, nodes, cluster,
//!   events, logs, metrics, the OpenAPI document);
//! - `node`: what nodes call for themselves (the dispatcher session of agents, joining,
//!   the CA and certificate renewal);
//! - `raft`: the Raft transport between managers.
//!
//! Shared by all three, at this level: the router (this file) and the one table of routes
//! ([`route_table`]), who may call what ([`authz`]), where a request is answered and within
//! what bound: confirmed by the leader, relayed to it, or stale by request (`forward`),
//! JSON bodies and queries (`json`) and the one mapping of errors to responses (`error`).

pub mod authz;
mod control;
mod error;
mod forward;
mod json;
mod node;
mod raft;
pub mod route_table;

pub use control::openapi;
pub use error::ApiError;

use crate::dispatcher::Dispatcher;
use crate::raft::read_index::{RaftConfirm, ReadIndex};
use crate::raft::{Raft, RaftId, Writer};
use crate::store::Store;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use shoal_api::rest::VersionInfo;
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
    pub http: shoal_client::HttpClients,
    /// Serializes Raft membership changes made through this manager.
    pub membership_lock: crate::raft::membership::MembershipLock,
    /// Which peers answered Raft RPCs lately (meaningful on the leader).
    pub contacts: crate::raft::PeerContacts,
    /// Cancelled when this manager stops: endless streams end, so the servers can drain.
    pub shutdown: tokio_util::sync::CancellationToken,
    /// The changes this manager applied lately, for `GET /v1/events?since=`.
    pub history: Arc<crate::store::EventHistory>,
    /// Confirms, in batched rounds with a majority, that this leader may answer a read.
    pub reads: Arc<ReadIndex<RaftConfirm>>,
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
    route_table::router(route_table::all())
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            forward::to_leader,
        ))
        .with_state(state)
}

/// `GET /v1/version` on a manager.
async fn version(State(st): State<AppState>) -> Json<VersionInfo> {
    let leader = st.raft.metrics().borrow().current_leader == Some(st.raft_id);
    Json(VersionInfo::of_this_build("manager", Some(leader)))
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
        .route(
            "/v1/version",
            get(|| async { Json(VersionInfo::of_this_build("worker", None)) }),
        )
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
