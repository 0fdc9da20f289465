//! kill -9 of `shoald`: an acknowledged write survives, and the restarted node adopts its
//! containers instead of restarting them.

mod common;

use common::*;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

#[tokio::test]
async fn kill9_keeps_state_and_running_containers() -> anyhow::Result<()> {
    let mut node = Shoald::start("restart").await?;
    node.create_service(spec("keep", IMAGE_1, 2)).await?;
    eventually("2 running", WAIT, || async {
        (node.running("keep", IMAGE_1).await.ok()? == 2).then_some(())
    })
    .await?;
    let before = node.running_containers();
    let tasks_before: Vec<String> = node
        .tasks("keep", false)
        .await?
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect();

    // A write acknowledged right before the crash must survive it.
    node.create_service(spec("acked", IMAGE_1, 0)).await?;
    node.kill9();
    node.restart().await?;

    let svc = node.get("/v1/services/acked").await?;
    assert_eq!(svc["spec"]["name"], "acked");
    // Give the agent time to reconcile: nothing may be restarted.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = node.running_containers();
    assert_eq!(before, after, "containers were restarted or replaced");
    let mut tasks_after: Vec<String> = node
        .tasks("keep", false)
        .await?
        .iter()
        .filter(|t| t["status"]["state"] == "running")
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect();
    let mut expected = tasks_before.clone();
    expected.sort();
    tasks_after.sort();
    assert_eq!(expected, tasks_after);
    Ok(())
}
