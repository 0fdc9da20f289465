//! Raft type configuration: what a log entry carries (a store [`Command`]), what applying it
//! returns, and what a cluster member is (raft id plus the Shoal node id and address).

use crate::store::{Command, StoreError};
use openraft::{LogId, StoredMembership};
use serde::{Deserialize, Serialize};
use shoal_api::NodeId;
use std::io::Cursor;

/// The result of applying one command: the log index it was applied at, or why not.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Response(pub Result<u64, StoreError>);

/// A Raft member: where to reach it and which Shoal node it is.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub addr: String,
    pub node_id: NodeId,
}

openraft::declare_raft_types!(
    /// Shoal's Raft types.
    pub TypeConfig:
        D = Command,
        R = Response,
        NodeId = u64,
        Node = Member,
        SnapshotData = Cursor<Vec<u8>>,
);

pub type RaftId = u64;
pub type Raft = openraft::Raft<TypeConfig>;
pub type Entry = openraft::Entry<TypeConfig>;
pub type StorageError = openraft::StorageError<RaftId>;
pub type SnapshotMeta = openraft::SnapshotMeta<RaftId, Member>;

/// Raft progress stored beside the data so a snapshot is one consistent picture.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct AppliedMeta {
    pub last_applied: Option<LogId<RaftId>>,
    pub membership: StoredMembership<RaftId, Member>,
}
