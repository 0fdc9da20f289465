//! Restart policy with max attempts on a real `shoald` and real Docker: a task that keeps
//! failing is restarted exactly `max_attempts` times, then its slot stays down and
//! `service ps` says why.

mod common;

use common::*;
use serde_json::json;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

#[tokio::test]
async fn restarts_stop_after_max_attempts_and_ps_says_why() -> anyhow::Result<()> {
    let node = Shoald::start("attempts").await?;
    let mut s = spec("flaky", IMAGE_1, 1);
    s["task"]["container"]["command"] = json!(["/bin/sh", "-c", "exit 1"]);
    s["task"]["restart"] = json!({ "condition": "on-failure", "delay": "1s", "max_attempts": 2 });
    node.create_service(s).await?;

    let failed_tasks = || async {
        let all = node.tasks("flaky", true).await.ok()?;
        let failed = all
            .iter()
            .filter(|t| t["status"]["state"] == "failed")
            .count();
        Some((all.len(), failed))
    };
    eventually("the first run and two restarts to fail", WAIT, || async {
        (failed_tasks().await? == (3, 3)).then_some(())
    })
    .await?;
    // Past the restart delay nothing new comes: the slot stays down.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(failed_tasks().await, Some((3, 3)));
    let all = node.tasks("flaky", true).await?;
    let last = all
        .iter()
        .find(|t| t["desired_state"] == "running")
        .expect("the last task stays desired running");
    assert_eq!(last["restarts"].as_array().map(Vec::len), Some(2), "{last}");
    assert!(
        node.running_containers().is_empty(),
        "{:?}",
        node.running_containers()
    );

    let ps = node.shoalctl(&["service", "ps", "flaky"]);
    let ps = String::from_utf8_lossy(&ps.stdout);
    assert!(ps.contains("restart policy: 2 of 2 attempts used"), "{ps}");

    // A new spec starts afresh: the slot runs again.
    node.update_service("flaky", |s| {
        s["task"]["container"]["command"] = json!([
            "/bin/sh",
            "-c",
            "trap 'exit 0' TERM; while true; do sleep 1 & wait $!; done"
        ]);
    })
    .await?;
    eventually("the slot to run the new spec", WAIT, || async {
        (node.running("flaky", IMAGE_1).await.ok()? == 1).then_some(())
    })
    .await?;
    Ok(())
}
