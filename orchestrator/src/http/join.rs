//! `POST /v1/join`: admits a new node. The token decides the role (worker or manager); a
//! wrong or rotated token is refused and nothing is created.

use super::AppState;
use super::error::ApiError;
use super::json::Body;
use crate::store::Action;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use shoal_api::rest::{JoinRequest, JoinResponse};
use shoal_api::{NodeDescription, NodeId, NodeState, NodeStatus, Role, Timestamp};

pub async fn join(
    State(st): State<AppState>,
    Body(req): Body<JoinRequest>,
) -> Result<Json<JoinResponse>, ApiError> {
    let role = role_for(&st, &req.token)?;
    if role == Role::Manager {
        return Err(ApiError::new(
            StatusCode::NOT_IMPLEMENTED,
            "unimplemented",
            "joining as a manager is not supported yet: join as a worker",
        ));
    }
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
