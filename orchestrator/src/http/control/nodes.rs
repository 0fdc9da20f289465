//! `/v1/nodes`: list, get, update spec. Manager status comes live from Raft metrics.

use super::resolve::resolve;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::json::Body;
use crate::store::Action;
use axum::Json;
use axum::extract::{Path, State};
use shoal_api::rest::NodeUpdate;
use shoal_api::{ManagerStatus, Node};
use std::collections::BTreeSet;

pub(super) fn find(st: &AppState, r: &str) -> Result<Node, ApiError> {
    let s = st.store.read();
    resolve(
        "node",
        r,
        s.nodes.values(),
        |n| n.id.as_str(),
        |n| &n.description.hostname,
    )
    .cloned()
}

/// Fills `manager_status` for nodes that are Raft members. Requests reach the leader (see
/// `forward`), which hears from every reachable manager several times a second.
pub(super) fn with_manager_status(st: &AppState, mut nodes: Vec<Node>) -> Vec<Node> {
    let metrics = st.raft.metrics().borrow().clone();
    let leader = metrics.current_leader;
    let membership = metrics.membership_config.membership();
    let voters: BTreeSet<u64> = membership.voter_ids().collect();
    for (raft_id, member) in membership.nodes() {
        let Some(n) = nodes.iter_mut().find(|n| n.id == member.node_id) else {
            continue;
        };
        let reachable = *raft_id == st.raft_id || st.contacts.is_reachable(*raft_id);
        // A learner is still catching up and does not count toward quorum yet.
        let reachability = match (voters.contains(raft_id), reachable) {
            (false, _) => "joining",
            (true, true) => "reachable",
            (true, false) => "unreachable",
        };
        n.manager_status = Some(ManagerStatus {
            leader: Some(*raft_id) == leader,
            reachability: reachability.into(),
            addr: member.addr.clone(),
            raft_id: *raft_id,
        });
    }
    nodes
}

pub async fn list(State(st): State<AppState>) -> Json<Vec<Node>> {
    let nodes = st.store.read().nodes.values().cloned().collect();
    Json(with_manager_status(&st, nodes))
}

pub async fn get(
    State(st): State<AppState>,
    Path(r): Path<String>,
) -> Result<Json<Node>, ApiError> {
    let node = find(&st, &r)?;
    Ok(Json(with_manager_status(&st, vec![node]).remove(0)))
}

pub async fn update(
    State(st): State<AppState>,
    Path(r): Path<String>,
    Body(req): Body<NodeUpdate>,
) -> Result<Json<Node>, ApiError> {
    let node = find(&st, &r)?;
    st.writer
        .write(vec![Action::UpdateNodeSpec {
            id: node.id.clone(),
            version: req.version,
            spec: req.spec,
        }])
        .await?;
    let node = find(&st, node.id.as_str())?;
    Ok(Json(with_manager_status(&st, vec![node]).remove(0)))
}

#[derive(serde::Deserialize)]
pub struct RemoveQuery {
    #[serde(default)]
    force: bool,
}

/// `DELETE /v1/nodes/{id}?force=true`: forget a worker. A manager must be demoted first, and a
/// ready node needs `force`. The removed node's certificate stops opening anything.
pub async fn remove(
    State(st): State<AppState>,
    Path(r): Path<String>,
    crate::http::json::Query(q): crate::http::json::Query<RemoveQuery>,
) -> Result<axum::http::StatusCode, ApiError> {
    let node = find(&st, &r)?;
    let host = &node.description.hostname;
    if node.role == shoal_api::Role::Manager {
        return Err(ApiError::bad_request(format!(
            "node {host} is a manager: demote it first (shoalctl node demote {host}), then remove it"
        )));
    }
    if node.status.state == shoal_api::NodeState::Ready && !q.force {
        return Err(ApiError::bad_request(format!(
            "node {host} is ready: drain it and stop its shoald first, or remove it with --force"
        )));
    }
    st.writer
        .write(vec![Action::DeleteNode { id: node.id }])
        .await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
