//! A worker dies: after three missed heartbeats it is marked down and its tasks are replaced
//! on the manager; when it comes back it stops the replaced tasks, so no slot runs twice.

mod common;

use common::*;
use std::collections::HashMap;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

#[tokio::test]
async fn tasks_of_a_dead_worker_move_and_never_run_twice() -> anyhow::Result<()> {
    let (manager, mut worker) = Shoald::manager_and_worker("nd").await?;
    manager.create_service(spec("mover", IMAGE_1, 4)).await?;
    eventually("4 running, 2 on the worker", WAIT, || async {
        let n = manager.running("mover", IMAGE_1).await.ok()?;
        (n == 4 && worker.running_containers().len() == 2).then_some(())
    })
    .await?;

    worker.kill9();
    let node = eventually("the worker marked down", WAIT, || async {
        let n = manager
            .get(&format!("/v1/nodes/{}", worker.node_id))
            .await
            .ok()?;
        (n["status"]["state"] == "down").then_some(n)
    })
    .await?;
    assert_eq!(node["status"]["message"], "heartbeat failure");
    eventually("4 running on the manager", WAIT, || async {
        let tasks = manager.tasks("mover", false).await.ok()?;
        let on_manager = tasks
            .iter()
            .filter(|t| {
                t["node_id"] == manager.node_id.as_str() && t["status"]["state"] == "running"
            })
            .count();
        (on_manager == 4).then_some(())
    })
    .await?;

    // The worker returns: it stops what was replaced.
    worker.restart().await?;
    eventually("one running container per slot", WAIT, || async {
        let running: Vec<_> = manager
            .running_containers()
            .into_iter()
            .chain(worker.running_containers())
            .collect();
        let mut per_slot: HashMap<String, usize> = HashMap::new();
        for (_, name, _, _) in &running {
            let slot = name.split('.').nth(1)?.to_string();
            *per_slot.entry(slot).or_default() += 1;
        }
        (running.len() == 4 && per_slot.values().all(|n| *n == 1)).then_some(())
    })
    .await?;
    Ok(())
}

#[tokio::test]
async fn drain_moves_tasks_off_and_pause_takes_no_new_ones() -> anyhow::Result<()> {
    let (manager, worker) = Shoald::manager_and_worker("dr").await?;
    manager.create_service(spec("drained", IMAGE_1, 4)).await?;
    eventually("2 running on the worker", WAIT, || async {
        let n = manager.running("drained", IMAGE_1).await.ok()?;
        (n == 4 && worker.running_containers().len() == 2).then_some(())
    })
    .await?;

    let out = manager.shoalctl(&["node", "drain", &worker.hostname]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eventually(
        "all 4 on the manager, none left on the worker",
        WAIT,
        || async {
            let n = manager.running("drained", IMAGE_1).await.ok()?;
            (n == 4 && manager.running_containers().len() == 4 && worker.containers().is_empty())
                .then_some(())
        },
    )
    .await?;
    let node = manager
        .get(&format!("/v1/nodes/{}", worker.node_id))
        .await?;
    assert_eq!(node["spec"]["availability"], "drain");

    // Paused: what runs stays, nothing new arrives.
    let out = manager.shoalctl(&["node", "pause", &worker.hostname]);
    assert!(out.status.success());
    manager
        .update_service("drained", |s| {
            s["mode"]["replicated"]["replicas"] = 6.into()
        })
        .await?;
    eventually("6 running, all on the manager", WAIT, || async {
        (manager.running("drained", IMAGE_1).await.ok()? == 6).then_some(())
    })
    .await?;
    assert!(worker.containers().is_empty());

    let out = manager.shoalctl(&["node", "activate", &worker.hostname]);
    assert!(out.status.success());
    manager
        .update_service("drained", |s| {
            s["mode"]["replicated"]["replicas"] = 8.into()
        })
        .await?;
    // The new tasks go to the active worker, and rebalancing evens out the rest: 4 and 4.
    eventually("4 tasks on each node", WAIT, || async {
        let n = manager.running("drained", IMAGE_1).await.ok()?;
        (n == 8
            && worker.running_containers().len() == 4
            && manager.running_containers().len() == 4)
            .then_some(())
    })
    .await?;
    Ok(())
}

#[tokio::test]
async fn node_rm_refuses_managers_and_ready_nodes_unless_forced() -> anyhow::Result<()> {
    let (manager, worker) = Shoald::manager_and_worker("rm").await?;
    manager.create_service(spec("orphan", IMAGE_1, 2)).await?;
    eventually("one running on the worker", WAIT, || async {
        let n = manager.running("orphan", IMAGE_1).await.ok()?;
        (n == 2 && worker.running_containers().len() == 1).then_some(())
    })
    .await?;

    let out = manager.shoalctl(&["node", "rm", &manager.hostname]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is a manager"));
    let out = manager.shoalctl(&["node", "rm", &worker.hostname]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));

    let out = manager.shoalctl(&["node", "rm", "--force", &worker.hostname]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eventually("both tasks on the manager", WAIT, || async {
        let tasks = manager.tasks("orphan", false).await.ok()?;
        let here = tasks
            .iter()
            .filter(|t| {
                t["node_id"] == manager.node_id.as_str() && t["status"]["state"] == "running"
            })
            .count();
        (here == 2).then_some(())
    })
    .await?;
    let nodes = manager.get("/v1/nodes").await?;
    assert_eq!(nodes.as_array().unwrap().len(), 1);
    eventually("the removed node is refused", WAIT, || async {
        worker
            .log()
            .contains("not part of this cluster")
            .then_some(())
    })
    .await?;
    Ok(())
}
