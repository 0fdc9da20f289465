//! Raft membership changes (a manager joining, a demotion, the clean-up of an interrupted
//! one), made one at a time behind a lock shared by everything on this manager that changes
//! membership. Raft also refuses a change while another is in flight, possibly one made
//! through another manager: wait for it, a few seconds at most.

use super::{Member, Raft};
use openraft::ChangeMembers;
use openraft::error::{ChangeMembershipError, ClientWriteError, RaftError};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;

/// Held while a membership change is planned and made.
pub type MembershipLock = Arc<tokio::sync::Mutex<()>>;

#[derive(Debug, Error)]
#[error("{0}")]
pub struct ChangeError(String);

/// Applies `change` (built afresh for each attempt), retrying while another change is in
/// progress. `what` completes "cannot ... raft" in errors.
pub async fn change_membership(
    raft: &Raft,
    what: &str,
    change: impl Fn() -> ChangeMembers<u64, Member>,
) -> Result<(), ChangeError> {
    let failed = |e: String| ChangeError(format!("cannot {what} raft: {e}"));
    for _ in 0..50 {
        match raft.change_membership(change(), false).await {
            Ok(_) => return Ok(()),
            Err(RaftError::APIError(ClientWriteError::ChangeMembershipError(
                ChangeMembershipError::InProgress(_),
            ))) => tokio::time::sleep(Duration::from_millis(100)).await,
            Err(e) => return Err(failed(e.to_string())),
        }
    }
    Err(failed("another membership change did not finish".into()))
}

/// How long a joining manager may take to catch up as a learner before it is turned away
/// (it retries): a 50 MB state takes a few seconds.
pub const CATCH_UP_WITHIN: Duration = Duration::from_secs(30);

/// Waits until the learner `id` holds every entry the leader had when this was called, so it
/// can be made a voter without a voter that cannot vote yet. Only the leader can tell.
pub async fn caught_up(raft: &Raft, id: u64, within: Duration) -> Result<(), ChangeError> {
    let target = raft.metrics().borrow().last_log_index.unwrap_or(0);
    raft.wait(Some(within))
        .metrics(
            |m| {
                m.replication
                    .as_ref()
                    .and_then(|r| r.get(&id))
                    .and_then(|matched| *matched)
                    .is_some_and(|matched| matched.index >= target)
            },
            "the new manager to catch up",
        )
        .await
        .map(|_| ())
        .map_err(|e| {
            ChangeError(format!(
                "the new manager did not catch up with the leader's log (index {target}) within {}s: {e}",
                within.as_secs()
            ))
        })
}

/// Why removing a voter would lose quorum.
#[derive(Debug, PartialEq, Eq)]
pub struct Shortfall {
    /// Voters that would remain.
    pub left: usize,
    /// Of those, how many the leader hears from.
    pub reachable: usize,
    /// How many a quorum of the rest needs.
    pub quorum: usize,
}

/// Whether the voters left without `removed` still form a quorum among those `reachable`.
pub fn quorum_without(
    voters: &BTreeSet<u64>,
    removed: u64,
    reachable: impl Fn(u64) -> bool,
) -> Result<(), Shortfall> {
    let left: Vec<u64> = voters.iter().copied().filter(|v| *v != removed).collect();
    let reachable = left.iter().filter(|v| reachable(**v)).count();
    let quorum = left.len() / 2 + 1;
    if left.is_empty() || reachable < quorum {
        return Err(Shortfall {
            left: left.len(),
            reachable,
            quorum,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_voter_may_go_only_if_the_rest_still_reach_a_quorum() {
        let voters = BTreeSet::from([1, 2, 3]);
        assert_eq!(quorum_without(&voters, 3, |_| true), Ok(()));
        assert_eq!(
            quorum_without(&voters, 2, |v| v != 3),
            Err(Shortfall {
                left: 2,
                reachable: 1,
                quorum: 2
            })
        );
        assert!(quorum_without(&BTreeSet::from([1]), 1, |_| true).is_err());
        let five = BTreeSet::from([1, 2, 3, 4, 5]);
        assert_eq!(quorum_without(&five, 5, |v| v <= 3), Ok(()));
        assert!(quorum_without(&five, 5, |v| v <= 2).is_err());
    }
}
