//! Who is calling, and whether they may. On TCP the caller is read from the client certificate
//! (verified against the cluster CA during the handshake); the owner-only control socket is
//! trusted. A follower relays the caller it authenticated to the leader in a header that the
//! leader believes only from a manager's certificate.
//!
//! | endpoints                                   | who                                  |
//! |---------------------------------------------|--------------------------------------|
//! | `GET /v1/ca`, `POST /v1/join`               | anyone (the join token is the proof) |
//! | `/v1/raft/*`                                | manager certificates of raft members |
//! | `/v1/join/raft`                             | manager certificates                 |
//! | `/v1/dispatcher/*`, `/v1/ca/node`, `renew`  | node certificates (as themselves)    |
//! | `/v1/openapi.json`                          | any certificate of the cluster       |
//! | everything else (control API, `/metrics`)   | managers, client bundles, the socket |
//!
//! Node certificates count only while the node is in the cluster with the role the certificate
//! names: a removed node's certificate opens nothing, and a demoted manager's is a worker's.

use super::AppState;
use super::error::ApiError;
use crate::pki::{CertIdentity, CertRole};
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_server::tls::TlsInfo;
use rustls::pki_types::CertificateDer;
use serde::{Deserialize, Serialize};
use shoal_api::{NodeId, Role};
use std::sync::Arc;

/// Carries the authenticated caller from a follower to the leader.
pub const CALLER_HEADER: &str = "x-shoal-caller";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Caller {
    /// The owner-only control socket.
    Local,
    /// A TLS connection without a client certificate.
    Anonymous,
    /// A node, with the role its certificate names.
    Node { id: NodeId, role: Role },
    /// A shoalctl client bundle.
    Client { name: String },
}

impl Caller {
    /// Whether this caller may speak for node `id` (its agent's own session).
    pub fn may_act_as(&self, id: &NodeId) -> Result<(), ApiError> {
        match self {
            Caller::Local => Ok(()),
            Caller::Node { id: own, .. } if own == id => Ok(()),
            Caller::Node { id: own, .. } => Err(ApiError::forbidden(format!(
                "this certificate belongs to node {own}: it cannot act for node {id}"
            ))),
            _ => Err(ApiError::forbidden("only a node may act for itself")),
        }
    }

    fn from_cert(der: &CertificateDer<'_>) -> Caller {
        match CertIdentity::parse(der) {
            Some(CertIdentity {
                name,
                role: CertRole::Client,
            }) => Caller::Client { name },
            Some(CertIdentity { name, role }) => Caller::Node {
                id: NodeId(name),
                role: if role == CertRole::Manager {
                    Role::Manager
                } else {
                    Role::Worker
                },
            },
            None => Caller::Anonymous,
        }
    }
}

/// Identifies and authorizes a request that came over TLS.
pub async fn tls(State(st): State<AppState>, mut req: Request, next: Next) -> Response {
    let direct = req
        .extensions()
        .get::<Arc<TlsInfo>>()
        .and_then(|info| info.peer_certificates.first().cloned())
        .map_or(Caller::Anonymous, |der| {
            Caller::from_cert(&CertificateDer::from(der))
        });
    // Only a manager (by certificate and, on the leader, by the store) may relay a caller.
    let relayed = relayed_caller(req.headers());
    let caller = match (&direct, relayed) {
        (
            Caller::Node {
                id,
                role: Role::Manager,
            },
            Some(original),
        ) if in_cluster(&st, id, Role::Manager, req.uri().path()).ok() == Some(Role::Manager) => {
            original
        }
        _ => direct,
    };
    req.headers_mut().remove(CALLER_HEADER);
    if let Err(e) = authorize(&st, &caller, req.uri().path()) {
        return e.into_response();
    }
    req.extensions_mut().insert(caller);
    next.run(req).await
}

fn relayed_caller(headers: &HeaderMap) -> Option<Caller> {
    let value = headers.get(CALLER_HEADER)?.to_str().ok()?;
    serde_json::from_str(value).ok()
}

/// The header value a follower relays `caller` with.
pub fn relay_value(caller: &Caller) -> String {
    serde_json::to_string(caller).unwrap_or_default()
}

/// Which callers an endpoint accepts (the OpenAPI document says the same).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Anyone,
    RaftPeer,
    Node,
    Authenticated,
    Control,
}

impl Access {
    pub fn name(self) -> &'static str {
        match self {
            Access::Anyone => "anyone",
            Access::RaftPeer => "raft-peer",
            Access::Node => "node",
            Access::Authenticated => "authenticated",
            Access::Control => "control",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Access::Anyone => "anyone, without a certificate",
            Access::RaftPeer => "manager certificates (Raft peers)",
            Access::Node => "node certificates, each acting only for its own node",
            Access::Authenticated => "any certificate of the cluster (nodes and client bundles)",
            Access::Control => {
                "manager certificates, client bundles (`shoalctl cluster client-bundle`) and the control socket"
            }
        }
    }
}

/// Who may call `path`.
pub fn access(path: &str) -> Access {
    match path {
        "/v1/ca" | "/v1/join" => Access::Anyone,
        "/v1/join/raft" => Access::RaftPeer,
        "/v1/ca/node" | "/v1/ca/renew" => Access::Node,
        "/v1/openapi.json" => Access::Authenticated,
        p if p.starts_with("/v1/raft/") => Access::RaftPeer,
        p if p.starts_with("/v1/dispatcher/") => Access::Node,
        _ => Access::Control,
    }
}

fn authorize(st: &AppState, caller: &Caller, path: &str) -> Result<(), ApiError> {
    let need = access(path);
    if matches!(need, Access::Anyone) || *caller == Caller::Local {
        return Ok(());
    }
    match (need, caller) {
        (_, Caller::Anonymous) => Err(ApiError::unauthenticated(
            "a client certificate signed by the cluster CA is required: use a bundle from `shoalctl cluster client-bundle` (shoalctl --tls-dir DIR)",
        )),
        (
            Access::RaftPeer,
            Caller::Node {
                id,
                role: Role::Manager,
            },
        ) => raft_peer(st, id, path),
        (Access::RaftPeer, _) => Err(ApiError::forbidden(
            "only manager certificates may call raft endpoints",
        )),
        (Access::Node, Caller::Node { id, role }) => in_cluster(st, id, *role, path).map(|_| ()),
        (Access::Node, _) => Err(ApiError::forbidden(
            "only node certificates may call the dispatcher",
        )),
        (Access::Authenticated | Access::Control, Caller::Client { .. }) => Ok(()),
        (Access::Authenticated, Caller::Node { id, role }) => {
            in_cluster(st, id, *role, path).map(|_| ())
        }
        (Access::Control, Caller::Node { id, role }) => match in_cluster(st, id, *role, path)? {
            Role::Manager => Ok(()),
            Role::Worker => Err(ApiError::forbidden(format!(
                "node {id} is a worker: worker certificates may not call the control API ({path})"
            ))),
        },
        (Access::Anyone, _) | (_, Caller::Local) => Ok(()),
    }
}

/// Raft RPCs come only from managers in this manager's Raft membership (voters or learners):
/// a removed manager's certificate names the manager role until it expires, and its votes
/// must not disturb the cluster. A manager with no membership yet (it is joining) takes them
/// from any manager, or it could never receive its first entries; and joining
/// (`/v1/join/raft`) is for managers that are not members yet.
fn raft_peer(st: &AppState, id: &NodeId, path: &str) -> Result<(), ApiError> {
    if path == "/v1/join/raft" {
        return Ok(());
    }
    let applied = st.store.applied();
    let members = applied.membership.membership();
    let joining = members.nodes().next().is_none();
    if joining || members.nodes().any(|(_, m)| &m.node_id == id) {
        return Ok(());
    }
    Err(ApiError::forbidden(format!(
        "node {id} is not a member of this manager's raft group (was it removed?): raft endpoints are for current members"
    )))
}

/// The role node `id` may act with: the lesser of its certificate's and the store's (a
/// promoted or demoted node has its new role only with a renewed certificate, and keeps the
/// old one only until the store changes). The leader decides for what it answers: a follower
/// relays those requests and checks only what it answers itself (`path` served locally),
/// against its own copy of the store.
fn in_cluster(st: &AppState, id: &NodeId, cert_role: Role, path: &str) -> Result<Role, ApiError> {
    let leader = st.raft.metrics().borrow().current_leader == Some(st.raft_id);
    if !leader && !super::forward::served_locally(path) {
        return Ok(cert_role);
    }
    let store_role = st.store.read().nodes.get(id).map(|n| n.role);
    let Some(store_role) = store_role else {
        // A manager's node object appears when its agent first registers.
        if crate::raft::is_member_node(&st.store, id) {
            return Ok(cert_role);
        }
        return Err(ApiError::unauthenticated(format!(
            "node {id} is not part of this cluster (was it removed?): its certificate is no longer accepted"
        )));
    };
    Ok(
        if store_role == Role::Manager && cert_role == Role::Manager {
            Role::Manager
        } else {
            Role::Worker
        },
    )
}

/// Refuses requests without a client certificate (a worker's small API).
pub async fn require_certificate(req: Request, next: Next) -> Response {
    let presented = req
        .extensions()
        .get::<Arc<TlsInfo>>()
        .is_some_and(|info| !info.peer_certificates.is_empty());
    if !presented {
        return ApiError::unauthenticated(
            "a client certificate signed by the cluster CA is required",
        )
        .into_response();
    }
    next.run(req).await
}
