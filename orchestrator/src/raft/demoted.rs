//! Finishes interrupted demotions (leader only). A demotion records the worker role, then
//! takes the manager out of Raft; a leader that crashed in between (or a membership change
//! that failed) would leave a worker that still votes. Every few seconds the leader removes
//! the Raft members whose node the store says is a worker, as long as the managers left still
//! reach a quorum. Members with no node in the store yet (a manager still joining) are left
//! alone.

use super::membership::{MembershipLock, change_membership, quorum_without};
use super::{Member, PeerContacts, Raft, RaftId, leads_with_quorum};
use crate::store::Store;
use openraft::ChangeMembers;
use shoal_api::{Node, NodeId, Role};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const CHECK_EVERY: Duration = Duration::from_secs(5);

/// Raft members whose node is a worker in the store, each with whether it votes.
pub fn demoted_members<'a>(
    members: impl Iterator<Item = (&'a u64, &'a Member)>,
    voters: &BTreeSet<u64>,
    nodes: &BTreeMap<NodeId, Node>,
) -> Vec<(u64, bool)> {
    members
        .filter(|(_, m)| {
            nodes
                .get(&m.node_id)
                .is_some_and(|n| n.role == Role::Worker)
        })
        .map(|(id, _)| (*id, voters.contains(id)))
        .collect()
}

pub struct Finisher {
    pub raft: Raft,
    pub raft_id: RaftId,
    pub store: Store,
    pub contacts: PeerContacts,
    pub lock: MembershipLock,
}

impl Finisher {
    /// Checks every few seconds until `stop`.
    pub async fn run(self, stop: CancellationToken) {
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(CHECK_EVERY) => {}
            }
            if leads_with_quorum(&self.raft, self.raft_id, &self.contacts) {
                self.check().await;
            }
        }
    }

    async fn check(&self) {
        let _one_at_a_time = self.lock.lock().await;
        let membership = self.raft.metrics().borrow().membership_config.clone();
        let membership = membership.membership();
        let voters: BTreeSet<u64> = membership.voter_ids().collect();
        let stale = demoted_members(membership.nodes(), &voters, &self.store.read().nodes);
        for (id, voter) in stale {
            let reachable = |v: u64| v == self.raft_id || self.contacts.is_reachable(v);
            if voter && quorum_without(&voters, id, reachable).is_err() {
                tracing::warn!(
                    raft_id = id,
                    "a demoted manager still votes, but removing it now would lose quorum"
                );
                continue;
            }
            tracing::warn!(
                raft_id = id,
                "finishing an interrupted demotion: removing a worker from raft"
            );
            let ids = BTreeSet::from([id]);
            let change = || {
                if voter {
                    ChangeMembers::RemoveVoters(ids.clone())
                } else {
                    ChangeMembers::RemoveNodes(ids.clone())
                }
            };
            if let Err(e) =
                change_membership(&self.raft, "remove the demoted manager from", change).await
            {
                tracing::warn!(error = %e, "could not finish the demotion");
            }
            // One change per check: the membership just changed under the plan.
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shoal_api::{Availability, NodeState};

    fn node(id: &str, role: Role) -> (NodeId, Node) {
        use crate::controllers::tests::fixtures;
        let mut n = fixtures::node(id, NodeState::Ready, Availability::Active);
        n.role = role;
        (n.id.clone(), n)
    }

    fn member(node: &str) -> Member {
        Member {
            node_id: NodeId(node.into()),
            addr: format!("{node}:4242"),
        }
    }

    #[test]
    fn only_members_the_store_calls_workers_are_demoted() {
        let members = BTreeMap::from([
            (1, member("m1")),
            (2, member("m2")),
            (3, member("joining")),
            (4, member("learner")),
        ]);
        let voters = BTreeSet::from([1, 2, 3]);
        let nodes = BTreeMap::from([
            node("m1", Role::Manager),
            node("m2", Role::Worker),
            node("learner", Role::Worker),
        ]);
        assert_eq!(
            demoted_members(members.iter(), &voters, &nodes),
            [(2, true), (4, false)]
        );
    }
}
