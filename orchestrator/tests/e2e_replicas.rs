//! End to end on one real `shoald` and real Docker: create, scale up and down, roll to a new
//! image, remove; every step checked in the API and in Docker itself.

mod common;

use common::*;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

#[tokio::test]
async fn create_scale_update_and_remove_a_service() -> anyhow::Result<()> {
    let node = Shoald::start("replicas").await?;
    let svc = node.create_service(spec("web", IMAGE_1, 3)).await?;
    let id = svc["id"].as_str().unwrap().to_string();

    eventually("3 running", WAIT, || async {
        (node.running("web", IMAGE_1).await.ok()? == 3).then_some(())
    })
    .await?;
    let containers = node.running_containers();
    assert_eq!(containers.len(), 3, "{containers:?}");
    for (cid, name, image, _) in &containers {
        assert!(name.starts_with("web."), "container name {name}");
        assert_eq!(image, IMAGE_1);
        let labels = std::process::Command::new("docker")
            .args(["inspect", "--format", "{{json .Config.Labels}}", cid])
            .output()?;
        let labels: serde_json::Value = serde_json::from_slice(&labels.stdout)?;
        assert_eq!(labels["shoal.service.id"], id.as_str());
        assert_eq!(labels["shoal.service.name"], "web");
        assert_eq!(labels["shoal.node.id"], node.node_id.as_str());
        let slot = labels["shoal.task.slot"].as_str().unwrap();
        let task = labels["shoal.task.id"].as_str().unwrap();
        assert_eq!(name, &format!("web.{slot}.{task}"));
    }

    node.update_service("web", |s| s["mode"]["replicated"]["replicas"] = 6.into())
        .await?;
    eventually("6 running", WAIT, || async {
        (node.running("web", IMAGE_1).await.ok()? == 6).then_some(())
    })
    .await?;
    assert_eq!(node.running_containers().len(), 6);
    let slots: std::collections::BTreeSet<u64> = node
        .tasks("web", false)
        .await?
        .iter()
        .map(|t| t["slot"].as_u64().unwrap())
        .collect();
    assert_eq!(slots, (1..=6).collect());

    node.update_service("web", |s| s["mode"]["replicated"]["replicas"] = 3.into())
        .await?;
    eventually("back to 3 containers", WAIT, || async {
        (node.running("web", IMAGE_1).await.ok()? == 3 && node.containers().len() == 3)
            .then_some(())
    })
    .await?;

    node.update_service("web", |s| s["task"]["container"]["image"] = IMAGE_2.into())
        .await?;
    eventually(
        "3 running the new image, update completed",
        WAIT,
        || async {
            let svc = node.get("/v1/services/web").await.ok()?;
            let done = svc["update_status"]["state"] == "completed";
            (node.running("web", IMAGE_2).await.ok()? == 3
                && node.running("web", IMAGE_1).await.ok()? == 0
                && done)
                .then_some(())
        },
    )
    .await?;
    let running = node.running_containers();
    assert_eq!(running.len(), 3);
    assert!(running.iter().all(|c| c.2 == IMAGE_2), "{running:?}");
    let history = node.tasks("web", true).await?;
    assert_eq!(
        history
            .iter()
            .filter(|t| t["desired_state"] == "shutdown")
            .count(),
        3,
        "old tasks stay as history"
    );

    let (status, _) = node
        .call(reqwest::Method::DELETE, "/v1/services/web", None)
        .await?;
    assert_eq!(status, 204);
    eventually("no container and no task left", WAIT, || async {
        let tasks = node.get("/v1/tasks?all=true").await.ok()?;
        (node.containers().is_empty() && tasks.as_array()?.is_empty()).then_some(())
    })
    .await?;
    Ok(())
}

#[tokio::test]
async fn a_killed_container_is_replaced_in_its_slot() -> anyhow::Result<()> {
    let node = Shoald::start("kill").await?;
    node.create_service(spec("victim", IMAGE_1, 1)).await?;
    eventually("running", WAIT, || async {
        (node.running("victim", IMAGE_1).await.ok()? == 1).then_some(())
    })
    .await?;
    let first = node.tasks("victim", false).await?[0].clone();
    let cid = first["status"]["container_id"]
        .as_str()
        .unwrap()
        .to_string();
    let st = std::process::Command::new("docker")
        .args(["kill", &cid])
        .output()?;
    assert!(st.status.success());

    let replacement = eventually("a new task running in slot 1", WAIT, || async {
        let tasks = node.tasks("victim", true).await.ok()?;
        tasks
            .into_iter()
            .find(|t| t["id"] != first["id"] && t["slot"] == 1 && t["status"]["state"] == "running")
    })
    .await?;
    assert_ne!(
        replacement["status"]["container_id"],
        first["status"]["container_id"]
    );
    let old = node
        .get(&format!("/v1/tasks/{}", first["id"].as_str().unwrap()))
        .await?;
    assert_eq!(old["status"]["state"], "failed");
    assert_eq!(old["status"]["exit_code"], 137);
    assert_eq!(old["status"]["err"], "task: non-zero exit (137)");
    assert_eq!(old["desired_state"], "shutdown");
    Ok(())
}
