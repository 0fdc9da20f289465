//! `--force-new-cluster`: turning a lone surviving manager into a new one-manager cluster.

use crate::identity::Identity;
use crate::raft::{self, RebuildError};
use thiserror::Error;

/// Why this manager cannot be turned into a new one-manager cluster.
#[derive(Debug, Error)]
pub enum RecoverError {
    #[error("--force-new-cluster needs a manager's data dir; this node is a worker")]
    NotAManager,
    #[error("--force-new-cluster: {} holds no raft state", .data_dir.display())]
    NoRaftState { data_dir: std::path::PathBuf },
    /// The state cannot be rebuilt from the Raft database.
    #[error(transparent)]
    Rebuild(#[from] RebuildError),
    /// The blocking task rebuilding the state panicked or was cancelled.
    #[error(transparent)]
    RebuildTask(#[from] tokio::task::JoinError),
    /// The old Raft database cannot be moved aside.
    #[error(transparent)]
    SetAside(std::io::Error),
}

/// `--force-new-cluster`: rebuilds this manager's state from its Raft database, then moves
/// the database aside so Raft starts afresh with this manager as the only member.
pub(super) async fn set_aside_for_new_cluster(
    data_dir: &std::path::Path,
    id: &Identity,
) -> Result<crate::store::State, RecoverError> {
    if id.role != shoal_api::Role::Manager {
        return Err(RecoverError::NotAManager);
    }
    let path = data_dir.join("raft.redb");
    if !path.exists() {
        return Err(RecoverError::NoRaftState {
            data_dir: data_dir.to_path_buf(),
        });
    }
    let read = path.clone();
    let state = tokio::task::spawn_blocking(move || raft::rebuild_state(&read)).await??;
    let aside = data_dir.join(format!(
        "raft.redb.before-force-new-cluster.{}",
        shoal_api::Timestamp::now().0
    ));
    std::fs::rename(&path, &aside).map_err(RecoverError::SetAside)?;
    tracing::warn!(
        services = state.services.len(),
        tasks = state.tasks.len(),
        old = %aside.display(),
        "rebuilt the state; the old raft database is kept aside"
    );
    Ok(state)
}
