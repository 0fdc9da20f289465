//! A state larger than any one HTTP body of the old transport (about 3.5 MB: 2,000 services
//! with a 1.5 KB label each) still reaches managers that join after it was snapshotted and
//! its log dropped: they catch up from the snapshot, become voters, and hold every write once
//! the first manager is killed.

mod common;

use anyhow::{Context, Result};
use common::*;
use futures::StreamExt;
use shoal_orchestrator::raft::rebuild_state;
use std::time::Duration;

const SERVICES: usize = 2_000;
const WAIT: Duration = Duration::from_secs(90);

fn big_spec(i: usize) -> serde_json::Value {
    let mut s = spec(&format!("big{i}"), IMAGE_1, 0);
    s["labels"] = serde_json::json!({ "filler": "x".repeat(1_500) });
    s
}

#[tokio::test]
async fn managers_join_a_cluster_whose_snapshot_exceeds_the_old_body_limits() -> Result<()> {
    let mut first = Shoald::start("big1").await?;
    let out = first.shoalctl(&["cluster", "update", "--snapshot-interval", "100"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let created: Vec<Result<serde_json::Value>> = futures::stream::iter(0..SERVICES)
        .map(|i| first.create_service(big_spec(i)))
        .buffer_unordered(16)
        .collect()
        .await;
    assert!(
        created.iter().all(Result::is_ok),
        "every create acknowledged"
    );

    let token = first.join_token("manager").await?;
    let second = Shoald::start_manager("big2", &first, &token).await?;
    let third = Shoald::start_manager("big3", &first, &token).await?;
    eventually("three voting managers", WAIT, || async {
        (reachable_managers(&first).await? == 3).then_some(())
    })
    .await?;

    // Without the first manager the other two keep a quorum and serve the whole state.
    first.kill9();
    let count = eventually("the others to elect a leader and serve", WAIT, || async {
        let list = second.get("/v1/services").await.ok()?;
        Some(list.as_array()?.len())
    })
    .await
    .with_context(|| {
        format!(
            "--- {} ---\n{}\n--- {} ---\n{}",
            second.hostname,
            second.log(),
            third.hostname,
            third.log()
        )
    })?;
    assert_eq!(count, SERVICES);
    let one = second.get("/v1/services/big1999").await?;
    assert_eq!(
        one["spec"]["labels"]["filler"].as_str().map(str::len),
        Some(1_500)
    );

    // Each joiner holds every write in its own database, not only the leader.
    let (mut second, mut third) = (second, third);
    second.kill9();
    third.kill9();
    for node in [&second, &third] {
        let state = rebuild_state(&node.data_dir().join("raft.redb"))?;
        assert_eq!(state.services.len(), SERVICES, "{}", node.hostname);
    }
    Ok(())
}
