//! `--force-new-cluster`: turning a lone surviving manager into a new one-manager cluster.

use crate::identity::Identity;
use crate::raft;

/// `--force-new-cluster`: rebuilds this manager's state from its Raft database, then moves
/// the database aside so Raft starts afresh with this manager as the only member.
pub(super) async fn set_aside_for_new_cluster(
    data_dir: &std::path::Path,
    id: &Identity,
) -> anyhow::Result<crate::store::State> {
    if id.role != shoal_api::Role::Manager {
        anyhow::bail!("--force-new-cluster needs a manager's data dir; this node is a worker");
    }
    let path = data_dir.join("raft.redb");
    if !path.exists() {
        anyhow::bail!(
            "--force-new-cluster: {} holds no raft state",
            data_dir.display()
        );
    }
    let read = path.clone();
    let state = tokio::task::spawn_blocking(move || raft::rebuild_state(&read)).await??;
    let aside = data_dir.join(format!(
        "raft.redb.before-force-new-cluster.{}",
        shoal_api::Timestamp::now().0
    ));
    std::fs::rename(&path, &aside)?;
    tracing::warn!(
        services = state.services.len(),
        tasks = state.tasks.len(),
        old = %aside.display(),
        "rebuilt the state; the old raft database is kept aside"
    );
    Ok(state)
}
