//! `POST /v1/join`: admits a new node. The token decides the role (worker or manager); a
//! wrong or rotated token is refused and nothing is created.

use crate::http::AppState;
use crate::http::authz::Caller;
use crate::http::error::ApiError;
use crate::http::json::Body;
use crate::raft::Member;
use crate::raft::membership::{CATCH_UP_WITHIN, caught_up, change_membership};
use crate::store::Action;
use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use openraft::ChangeMembers;
use shoal_api::rest::{JoinRequest, JoinResponse, RaftJoinRequest};
use shoal_api::{NodeDescription, NodeId, NodeState, NodeStatus, Role, Timestamp};
use std::collections::BTreeSet;

pub async fn join(
    State(st): State<AppState>,
    Body(req): Body<JoinRequest>,
) -> Result<Json<JoinResponse>, ApiError> {
    let role = role_for(&st, &req.token)?;
    if req.hostname.trim().is_empty() {
        return Err(ApiError::invalid("hostname", "hostname must not be empty"));
    }
    let node_id = NodeId::random();
    // Signed before the node exists: a bad request creates nothing, and a certificate whose
    // node was never written opens nothing.
    let (ca, expiry) = crate::http::node::ca::signer(&st)?;
    let cert_pem = ca
        .sign_node(&req.csr, node_id.as_str(), role, expiry)
        .map_err(|e| ApiError::invalid("csr", e.to_string()))?;
    st.writer
        .write(vec![Action::RegisterNode {
            id: node_id.clone(),
            role,
            description: NodeDescription {
                hostname: req.hostname,
                ..Default::default()
            },
            status: NodeStatus {
                state: NodeState::Unknown,
                message: "joined; waiting for its agent".into(),
                addr: req.addr,
                timestamp: Timestamp::now(),
            },
        }])
        .await?;
    tracing::info!(node = %node_id, ?role, "node joined");
    Ok(Json(JoinResponse {
        node_id,
        role,
        managers: crate::raft::manager_urls(&st.store),
        cert_pem,
        ca_pem: ca.cert_pem,
    }))
}

/// `POST /v1/join/raft`: adds a manager (admitted with the manager token, or promoted) to
/// Raft, first as a learner that catches up, then as a voter. The caller's manager certificate
/// must name the node. Idempotent: a manager already in the membership is left as it is.
pub async fn join_raft(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Body(req): Body<RaftJoinRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    caller.may_act_as(&req.node_id)?;
    let known = st.store.read().nodes.get(&req.node_id).map(|n| n.role);
    if known != Some(Role::Manager) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "permission_denied",
            format!(
                "node {} is not a manager: join with the manager token, or promote it",
                req.node_id
            ),
        ));
    }
    if req.raft_id == 0 {
        return Err(ApiError::invalid("raft_id", "raft_id must not be 0"));
    }
    let member = Member {
        addr: req.addr,
        node_id: req.node_id,
    };
    add_manager(&st, req.raft_id, member).await?;
    Ok(Json(serde_json::json!({})))
}

/// Adds a manager to Raft: first as a learner that catches up, then as a voter. Membership
/// changes are made one at a time: Raft refuses a change while another is in progress. A
/// learner that does not catch up is removed again and the joiner told to retry (503): it
/// never becomes a voter the cluster would count on for its quorum.
async fn add_manager(st: &AppState, raft_id: u64, member: Member) -> Result<(), ApiError> {
    let _one_at_a_time = st.membership_lock.lock().await;
    let voters: BTreeSet<u64> = st
        .raft
        .metrics()
        .borrow()
        .membership_config
        .membership()
        .voter_ids()
        .collect();
    if voters.contains(&raft_id) {
        return Ok(());
    }
    st.raft
        .add_learner(raft_id, member, true)
        .await
        .map_err(|e| ApiError::unavailable(format!("cannot add the manager to raft: {e}")))?;
    if let Err(e) = caught_up(&st.raft, raft_id, CATCH_UP_WITHIN).await {
        let removed = change_membership(&st.raft, "remove the lagging learner from", || {
            ChangeMembers::RemoveNodes(BTreeSet::from([raft_id]))
        })
        .await;
        if let Err(r) = removed {
            tracing::warn!(raft_id, error = %r, "a learner that did not catch up stays a learner");
        }
        return Err(ApiError::unavailable(e.to_string()));
    }
    change_membership(&st.raft, "add the manager to", || {
        ChangeMembers::AddVoterIds(BTreeSet::from([raft_id]))
    })
    .await
    .map_err(|e| ApiError::unavailable(e.to_string()))
}

fn role_for(st: &AppState, token: &str) -> Result<Role, ApiError> {
    let cluster = st.store.read().cluster.clone().ok_or_else(|| {
        ApiError::unavailable("the cluster is still being created; retry shortly")
    })?;
    if !token.starts_with("SWMTKN-1-") || token.split('-').count() != 4 {
        return Err(ApiError::invalid(
            "token",
            "malformed join token: expected SWMTKN-1-<digest>-<secret>",
        ));
    }
    if same_secret(token, &cluster.join_tokens.worker) {
        Ok(Role::Worker)
    } else if same_secret(token, &cluster.join_tokens.manager) {
        Ok(Role::Manager)
    } else {
        Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "invalid join token: it is neither this cluster's worker nor its manager token (was it rotated?)",
        ))
    }
}

/// Compares a presented secret with the real one in time that does not depend on where they
/// first differ, so a caller cannot guess a token byte by byte from answer times.
fn same_secret(presented: &str, secret: &str) -> bool {
    use subtle::ConstantTimeEq;
    presented.as_bytes().ct_eq(secret.as_bytes()).into()
}
