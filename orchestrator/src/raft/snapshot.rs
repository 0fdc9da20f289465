//! Snapshots on the cluster's schedule: each manager snapshots its state once
//! `snapshot_interval` entries were applied since its last snapshot; openraft then drops the
//! log before it (keeping a margin for lagging followers), so the data dir stays bounded.

use super::types::Raft;
use crate::store::Store;
use tokio_util::sync::CancellationToken;

/// Runs until `shutdown` (or until Raft stops); it has nothing to fail on: a snapshot that
/// cannot be triggered is logged and asked for again later.
pub async fn run(raft: Raft, store: Store, shutdown: CancellationToken) {
    let mut metrics = raft.metrics();
    // The index of the last snapshot asked for, so one is not asked for twice.
    let mut asked: u64 = 0;
    loop {
        let (applied, snapshot) = {
            let m = metrics.borrow_and_update();
            (
                m.last_applied.map_or(0, |l| l.index),
                m.snapshot.map_or(0, |l| l.index),
            )
        };
        let interval = store
            .read()
            .cluster
            .as_ref()
            .map_or(10_000, |c| c.spec.snapshot_interval)
            .max(1);
        if applied >= snapshot.max(asked) + interval {
            asked = applied;
            if let Err(e) = raft.trigger().snapshot().await {
                tracing::warn!(error = %e, "cannot trigger a snapshot");
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            r = metrics.changed() => if r.is_err() { return },
        }
    }
}
