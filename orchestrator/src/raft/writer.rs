//! [`Writer`]: proposes a batch of actions and waits until it is committed and applied.
//! Controllers and handlers only ever write through it. A direct mode applies to a local
//! store without Raft, for controller tests.

use super::types::{Member, Raft};
use crate::store::{Action, Command, Store, StoreError};
use openraft::error::{ClientWriteError, RaftError};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum WriteError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("this manager is not the leader{}", leader_hint(.leader))]
    NotLeader { leader: Option<Member> },
    #[error("raft: {0}")]
    Raft(String),
    /// Proposed, but not known to be committed in time: its outcome is unknown.
    #[error(
        "the write was proposed but not committed within {}: no quorum of managers answered; the write may still commit; read before retrying",
        shoal_api::duration::format(*.0)
    )]
    NoQuorum(std::time::Duration),
}

/// How long a write may wait for a quorum before the caller is told there is none.
const WRITE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

fn leader_hint(leader: &Option<Member>) -> String {
    match leader {
        Some(m) => format!(" (the leader is at {})", m.addr),
        None => " and no leader is known: no quorum".into(),
    }
}

#[derive(Clone)]
pub struct Writer(Inner);

#[derive(Clone)]
enum Inner {
    Raft(Raft),
    Direct { store: Store, index: Arc<AtomicU64> },
}

impl Writer {
    pub fn raft(raft: Raft) -> Self {
        Writer(Inner::Raft(raft))
    }

    /// Applies straight to `store`, with no consensus: for tests of controllers.
    pub fn direct(store: Store) -> Self {
        Writer(Inner::Direct {
            store,
            index: Arc::new(AtomicU64::new(1)),
        })
    }

    /// Proposes `actions` as one atomic command; returns the log index it was applied at.
    pub async fn write(&self, actions: Vec<Action>) -> Result<u64, WriteError> {
        let cmd = Command::new(actions);
        match &self.0 {
            Inner::Raft(raft) => match tokio::time::timeout(WRITE_TIMEOUT, raft.client_write(cmd))
                .await
                .map_err(|_| WriteError::NoQuorum(WRITE_TIMEOUT))?
            {
                Ok(resp) => Ok(resp.data.0?),
                Err(RaftError::APIError(ClientWriteError::ForwardToLeader(f))) => {
                    Err(WriteError::NotLeader {
                        leader: f.leader_node,
                    })
                }
                Err(e) => Err(WriteError::Raft(e.to_string())),
            },
            Inner::Direct { store, index } => {
                let i = index.fetch_add(1, Ordering::SeqCst) + 1;
                let mut changes = Vec::new();
                let applied = store.applied();
                let r = store.apply(i, &cmd, applied, &mut changes);
                store.publish(i, changes);
                Ok(r?)
            }
        }
    }

    /// The Raft handle, when there is one.
    pub fn raft_handle(&self) -> Option<&Raft> {
        match &self.0 {
            Inner::Raft(r) => Some(r),
            Inner::Direct { .. } => None,
        }
    }
}
