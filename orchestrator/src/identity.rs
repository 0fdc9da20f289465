//! This node's identity in its data dir: Shoal node id, Raft id and role, created once (at
//! cluster creation or when joining).

use serde::{Deserialize, Serialize};
use shoal_api::{NodeId, Role};
use std::path::Path;
use thiserror::Error;

/// What can go wrong with `node.json`. The messages are those of the underlying error, as a
/// node has always printed them at start.
#[derive(Debug, Error)]
pub enum IdentityError {
    /// The file exists but cannot be read.
    #[error(transparent)]
    Read(std::io::Error),
    /// The file is not a node identity.
    #[error(transparent)]
    Parse(serde_json::Error),
    /// The identity cannot be encoded.
    #[error(transparent)]
    Encode(serde_json::Error),
    /// The file (or its directory) cannot be written or synced.
    #[error(transparent)]
    Write(std::io::Error),
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Identity {
    pub node_id: NodeId,
    pub raft_id: u64,
    #[serde(default = "manager")]
    pub role: Role,
    /// Managers a worker reports to (base URLs), as last learned.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub managers: Vec<String>,
    /// A manager (joined or promoted) not yet added to Raft: which manager to ask.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_raft_join: Option<PendingJoin>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PendingJoin {
    /// Base URLs of managers to ask, tried in turn.
    pub via: Vec<String>,
}

fn manager() -> Role {
    Role::Manager
}

const FILE: &str = "node.json";

/// Reads the identity, or `None` on a data dir that never held a node.
pub fn load(data_dir: &Path) -> Result<Option<Identity>, IdentityError> {
    match std::fs::read(data_dir.join(FILE)) {
        Ok(b) => Ok(Some(
            serde_json::from_slice(&b).map_err(IdentityError::Parse)?,
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(IdentityError::Read(e)),
    }
}

/// The identity of the first manager of a new cluster.
pub fn new_identity() -> Identity {
    Identity {
        node_id: NodeId::random(),
        raft_id: new_raft_id(),
        role: Role::Manager,
        managers: Vec::new(),
        pending_raft_join: None,
    }
}

/// Raft ids only need to be unique within the cluster; 0 is avoided for readability.
pub fn new_raft_id() -> u64 {
    rand::random::<u64>() >> 1 | 1
}

/// Writes the identity durably (temp file, fsync, rename).
pub fn save(data_dir: &Path, id: &Identity) -> Result<(), IdentityError> {
    use std::io::Write;
    let bytes = serde_json::to_vec_pretty(id).map_err(IdentityError::Encode)?;
    let tmp = data_dir.join(format!("{FILE}.tmp"));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, data_dir.join(FILE))?;
        std::fs::File::open(data_dir)?.sync_all()
    };
    write().map_err(IdentityError::Write)
}
