//! Raft membership changes made through the API (a manager joining, a demotion). Raft refuses
//! a change while another is in flight, possibly one made through another manager: wait for
//! it, a few seconds at most.

use super::AppState;
use super::error::ApiError;
use openraft::ChangeMembers;
use openraft::error::{ChangeMembershipError, ClientWriteError, RaftError};
use std::time::Duration;

/// Applies `change` (built afresh for each attempt), retrying while another change is in
/// progress. `what` completes "cannot ... raft" in errors.
pub async fn change_membership(
    st: &AppState,
    what: &str,
    change: impl Fn() -> ChangeMembers<u64, crate::raft::Member>,
) -> Result<(), ApiError> {
    let raft_err = |e: String| ApiError::unavailable(format!("cannot {what} raft: {e}"));
    for _ in 0..50 {
        match st.raft.change_membership(change(), false).await {
            Ok(_) => return Ok(()),
            Err(RaftError::APIError(ClientWriteError::ChangeMembershipError(
                ChangeMembershipError::InProgress(_),
            ))) => tokio::time::sleep(Duration::from_millis(100)).await,
            Err(e) => return Err(raft_err(e.to_string())),
        }
    }
    Err(raft_err("another membership change did not finish".into()))
}
