//! Consensus: openraft over redb storage and HTTP transport, plus [`Writer`], the one way
//! components propose commands, and [`read_index`], how a leader confirms a read.

// openraft's StorageError is large by its design; our storage returns it as openraft asks.
#![allow(clippy::result_large_err)]

mod db;
pub mod demoted;
mod log_store;
pub mod membership;
mod network;
pub mod read_index;
mod recover;
pub mod snapshot;
mod state_machine;
pub mod types;
pub mod wire;
mod writer;

pub use db::{Db, DbError};
pub use log_store::LogStore;
pub use network::{Network, PeerContacts};
pub use recover::{RebuildError, rebuild_state};
pub use state_machine::{SnapshotReadError, StateMachine};
pub use types::{Member, Raft, RaftId, TypeConfig};
pub use writer::{WriteError, Writer};

use crate::store::Store;
use std::path::Path;
use std::sync::Arc;
use thiserror::Error;

/// Why a Raft node could not be started. The messages are those of the underlying error, as
/// shoald has always printed them at start.
#[derive(Debug, Error)]
pub enum StartError {
    /// The data dir's `raft.redb` cannot be opened.
    #[error(transparent)]
    OpenDb(#[from] DbError),
    /// The blocking task opening the database panicked or was cancelled.
    #[error(transparent)]
    OpenTask(#[from] tokio::task::JoinError),
    /// The state machine cannot load its last snapshot.
    #[error(transparent)]
    StateMachine(#[from] types::StorageError),
    /// openraft refused to start.
    #[error(transparent)]
    Raft(#[from] openraft::error::Fatal<RaftId>),
}

/// Raft timing: openraft's fast defaults allow sub-second failover. Snapshots are triggered by
/// [`snapshot::run`] from the cluster setting, not by openraft's fixed policy.
pub fn raft_config() -> Arc<openraft::Config> {
    let config = openraft::Config {
        cluster_name: "shoal".into(),
        heartbeat_interval: 50,
        election_timeout_min: 150,
        election_timeout_max: 300,
        snapshot_policy: openraft::SnapshotPolicy::Never,
        max_in_snapshot_log_to_keep: 1_000,
        snapshot_max_chunk_size: wire::SNAPSHOT_CHUNK,
        ..Default::default()
    };
    Arc::new(config.validate().expect("static raft config is valid"))
}

/// Whether this manager leads and has heard from a majority of voters within the last second.
/// A leader cut off from the majority keeps its Raft role until it hears of a newer term, but
/// it must not run the leader-only components meanwhile. (Requests are not guarded by this
/// but confirmed with a majority each time: [`read_index`].)
pub fn leads_with_quorum(raft: &Raft, me: RaftId, contacts: &PeerContacts) -> bool {
    let m = raft.metrics();
    let m = m.borrow();
    if m.state != openraft::ServerState::Leader || m.current_leader != Some(me) {
        return false;
    }
    let voters: Vec<RaftId> = m.membership_config.membership().voter_ids().collect();
    let heard = voters
        .iter()
        .filter(|v| **v == me || contacts.is_reachable(**v))
        .count();
    heard * 2 > voters.len()
}

/// Base URLs of the managers in the current Raft membership.
pub fn manager_urls(store: &Store) -> Vec<String> {
    store
        .applied()
        .membership
        .membership()
        .nodes()
        .map(|(_, m)| format!("https://{}", m.addr))
        .collect()
}

/// Whether node `id` is a Raft member (voter or learner).
pub fn is_member_node(store: &Store, id: &shoal_api::NodeId) -> bool {
    store
        .applied()
        .membership
        .membership()
        .nodes()
        .any(|(_, m)| &m.node_id == id)
}

/// Opens the data dir's raft database and starts a Raft node feeding `store`.
pub async fn start(
    data_dir: &Path,
    raft_id: RaftId,
    store: Store,
    contacts: PeerContacts,
    http: shoal_client::HttpClients,
) -> Result<Raft, StartError> {
    let path = data_dir.join("raft.redb");
    let db = Arc::new(tokio::task::spawn_blocking(move || Db::open(&path)).await??);
    let log = LogStore::new(db.clone());
    let sm = StateMachine::open(store, db).await?;
    let raft = Raft::new(
        raft_id,
        raft_config(),
        Network::new(contacts, http),
        log,
        sm,
    )
    .await?;
    Ok(raft)
}
