//! Snapshots follow the cluster's `snapshot_interval`; the log before a snapshot is dropped
//! (bounded data dir), and a restarted manager rebuilds its state from snapshot plus log.

mod common;

use common::*;
use shoal_orchestrator::raft::Db;
use shoal_orchestrator::raft::types::Entry;

#[tokio::test]
async fn snapshots_bound_the_log_and_restore_the_state() -> anyhow::Result<()> {
    let mut node = Shoald::start("snap").await?;
    let out = node.shoalctl(&["cluster", "update", "--snapshot-interval", "100"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bad = node.shoalctl(&["cluster", "update", "--snapshot-interval", "1"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("snapshot_interval must be >= 10"));

    let writes = 1300;
    for i in 0..writes {
        node.create_service(spec(&format!("s{i}"), IMAGE_1, 0))
            .await?;
    }
    node.kill9();

    let db = Db::open(&node.data_dir().join("raft.redb"))?;
    let snapshot: serde_json::Value =
        serde_json::from_slice(&db.get_meta("snapshot")?.expect("a snapshot was taken"))?;
    let snap_index = snapshot["meta"]["last_log_id"]["index"].as_u64().unwrap();
    assert!(snap_index >= writes - 100, "snapshot at {snap_index}");
    let first: Entry = serde_json::from_slice(&db.range(0, u64::MAX)?[0])?;
    assert!(
        first.log_id.index > 1,
        "the log before the snapshot was dropped"
    );
    drop(db);

    node.restart().await?;
    let services = node.get("/v1/services").await?;
    assert_eq!(services.as_array().unwrap().len() as u64, writes);
    Ok(())
}
