//! `POST /v1/nodes/{id}/promote | demote`. The store records the new role; the node notices
//! through its certificate keeper, renews its certificate for the role and restarts itself in
//! it (a promoted worker then joins Raft). A demotion also takes the manager out of Raft, and
//! is refused when the managers left could not form a quorum.

use super::nodes::{find, with_manager_status};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::raft::membership::{change_membership, quorum_without};
use crate::store::Action;
use axum::Json;
use axum::extract::{Path, State};
use openraft::ChangeMembers;
use shoal_api::{Node, NodeId, Role};
use std::collections::BTreeSet;

pub async fn promote(
    State(st): State<AppState>,
    Path(r): Path<String>,
) -> Result<Json<Node>, ApiError> {
    let node = find(&st, &r)?;
    if node.role == Role::Worker {
        st.writer
            .write(vec![Action::SetNodeRole {
                id: node.id.clone(),
                role: Role::Manager,
            }])
            .await?;
        tracing::info!(node = %node.id, "promoted to manager");
    }
    current(&st, &node.id)
}

pub async fn demote(
    State(st): State<AppState>,
    Path(r): Path<String>,
) -> Result<Json<Node>, ApiError> {
    let node = find(&st, &r)?;
    if node.role == Role::Worker {
        return current(&st, &node.id);
    }
    let _one_at_a_time = st.membership_lock.lock().await;
    let raft_id = check_quorum_without(&st, &node.id, &node.description.hostname)?;
    st.writer
        .write(vec![Action::SetNodeRole {
            id: node.id.clone(),
            role: Role::Worker,
        }])
        .await?;
    if let Some((raft_id, voter)) = raft_id {
        remove_from_raft(&st, raft_id, voter).await?;
    }
    tracing::info!(node = %node.id, "demoted to worker");
    current(&st, &node.id)
}

fn current(st: &AppState, id: &NodeId) -> Result<Json<Node>, ApiError> {
    let node = find(st, id.as_str())?;
    Ok(Json(with_manager_status(st, vec![node]).remove(0)))
}

/// The node's Raft id and whether it votes, after checking that the voters left without it
/// still reach a quorum among those this leader hears from.
fn check_quorum_without(
    st: &AppState,
    id: &NodeId,
    host: &str,
) -> Result<Option<(u64, bool)>, ApiError> {
    let metrics = st.raft.metrics().borrow().clone();
    let membership = metrics.membership_config.membership();
    let Some(raft_id) = membership
        .nodes()
        .find(|(_, m)| &m.node_id == id)
        .map(|(raft_id, _)| *raft_id)
    else {
        return Ok(None);
    };
    let voters: BTreeSet<u64> = membership.voter_ids().collect();
    if !voters.contains(&raft_id) {
        return Ok(Some((raft_id, false)));
    }
    let reachable = |v: u64| v == st.raft_id || st.contacts.is_reachable(v);
    match quorum_without(&voters, raft_id, reachable) {
        Ok(()) => Ok(Some((raft_id, true))),
        Err(s) if s.left == 0 => Err(ApiError::bad_request(format!(
            "node {host} is the last manager: a cluster needs at least one"
        ))),
        Err(s) => Err(ApiError::bad_request(format!(
            "demoting {host} would lose quorum: {} managers would remain, {} of them reachable, and {} are needed; bring the unreachable managers back first",
            s.left, s.reachable, s.quorum
        ))),
    }
}

async fn remove_from_raft(st: &AppState, raft_id: u64, voter: bool) -> Result<(), ApiError> {
    change_membership(&st.raft, "remove the manager from", || {
        let ids = BTreeSet::from([raft_id]);
        if voter {
            ChangeMembers::RemoveVoters(ids)
        } else {
            ChangeMembers::RemoveNodes(ids)
        }
    })
    .await
    .map_err(|e| ApiError::unavailable(e.to_string()))
}
