//! `/v1/nodes`: list, get, update spec. Manager status comes live from Raft metrics.

use super::AppState;
use super::error::ApiError;
use super::json::Body;
use super::resolve::resolve;
use crate::store::Action;
use axum::Json;
use axum::extract::{Path, State};
use shoal_api::rest::NodeUpdate;
use shoal_api::{ManagerStatus, Node};

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

/// Fills `manager_status` for nodes that are Raft members.
fn with_manager_status(st: &AppState, mut nodes: Vec<Node>) -> Vec<Node> {
    let metrics = st.raft.metrics().borrow().clone();
    let leader = metrics.current_leader;
    let replication = metrics.replication.clone();
    for (raft_id, member) in metrics.membership_config.membership().nodes() {
        if let Some(n) = nodes.iter_mut().find(|n| n.id == member.node_id) {
            let reachable = *raft_id == st.raft_id
                || Some(*raft_id) == leader
                || replication
                    .as_ref()
                    .is_some_and(|r| r.get(raft_id).is_some_and(|m| m.is_some()));
            n.manager_status = Some(ManagerStatus {
                leader: Some(*raft_id) == leader,
                reachability: if reachable {
                    "reachable"
                } else {
                    "unreachable"
                }
                .into(),
                addr: member.addr.clone(),
                raft_id: *raft_id,
            });
        }
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
