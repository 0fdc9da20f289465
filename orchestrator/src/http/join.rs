//! `POST /v1/join`: admits a new node. The token decides the role (worker or manager); a
//! wrong or rotated token is refused and nothing is created.

use super::AppState;
use super::error::ApiError;
use super::json::Body;
use crate::raft::Member;
use crate::store::Action;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use openraft::ChangeMembers;
use openraft::error::{ChangeMembershipError, ClientWriteError, RaftError};
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
    }))
}

/// `POST /v1/join/raft`: adds an admitted manager to Raft, first as a learner that catches
/// up, then as a voter. Idempotent: a manager already in the membership is left as it is.
pub async fn join_raft(
    State(st): State<AppState>,
    Body(req): Body<RaftJoinRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    if role_for(&st, &req.token)? != Role::Manager {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "permission_denied",
            "only the manager join token admits a node to raft",
        ));
    }
    let known = st.store.read().nodes.get(&req.node_id).map(|n| n.role);
    if known != Some(Role::Manager) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "permission_denied",
            format!(
                "node {} was not admitted as a manager: join first",
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
/// changes are made one at a time: Raft refuses a change while another is in progress.
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
    let raft_err =
        |e: String| ApiError::unavailable(format!("cannot add the manager to raft: {e}"));
    st.raft
        .add_learner(raft_id, member, true)
        .await
        .map_err(|e| raft_err(e.to_string()))?;
    // A change made through another manager may still be in flight: wait for it.
    for _ in 0..50 {
        let change = ChangeMembers::AddVoterIds(BTreeSet::from([raft_id]));
        match st.raft.change_membership(change, false).await {
            Ok(_) => return Ok(()),
            Err(RaftError::APIError(ClientWriteError::ChangeMembershipError(
                ChangeMembershipError::InProgress(_),
            ))) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
            Err(e) => return Err(raft_err(e.to_string())),
        }
    }
    Err(raft_err("another membership change did not finish".into()))
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
    if token == cluster.join_tokens.worker {
        Ok(Role::Worker)
    } else if token == cluster.join_tokens.manager {
        Ok(Role::Manager)
    } else {
        Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "invalid join token: it is neither this cluster's worker nor its manager token (was it rotated?)",
        ))
    }
}
