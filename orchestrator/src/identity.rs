//! This node's identity in its data dir: Shoal node id, Raft id and role, created once (at
//! cluster creation or when joining).

use serde::{Deserialize, Serialize};
use shoal_api::{NodeId, Role};
use std::path::Path;

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
pub fn load(data_dir: &Path) -> anyhow::Result<Option<Identity>> {
    match std::fs::read(data_dir.join(FILE)) {
        Ok(b) => Ok(Some(serde_json::from_slice(&b)?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
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
pub fn save(data_dir: &Path, id: &Identity) -> anyhow::Result<()> {
    use std::io::Write;
    let tmp = data_dir.join(format!("{FILE}.tmp"));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(&serde_json::to_vec_pretty(id)?)?;
    f.sync_all()?;
    std::fs::rename(&tmp, data_dir.join(FILE))?;
    std::fs::File::open(data_dir)?.sync_all()?;
    Ok(())
}
