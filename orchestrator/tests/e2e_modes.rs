//! Service modes against real Docker: a global service follows nodes as they join, drain and
//! come back; a replicated job runs its completions at most `max_concurrent` at a time and is
//! not restarted once complete; a global job runs once on every node.

mod common;

use anyhow::Result;
use common::*;
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

fn with_mode(mut s: Value, mode: Value) -> Value {
    s["mode"] = mode;
    s
}

/// Tasks of `service` per state name.
async fn states(via: &Shoald, service: &str) -> Option<Vec<(String, String, u64)>> {
    let tasks = via.tasks(service, true).await.ok()?;
    Some(
        tasks
            .iter()
            .map(|t| {
                (
                    t["status"]["state"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    t["node_id"].as_str().unwrap_or_default().to_string(),
                    t["slot"].as_u64().unwrap_or_default(),
                )
            })
            .collect(),
    )
}

#[tokio::test]
async fn a_global_service_follows_nodes_as_they_join_drain_and_return() -> Result<()> {
    let (manager, worker) = Shoald::manager_and_worker("global").await?;
    manager
        .create_service(with_mode(
            spec("everywhere", IMAGE_1, 0),
            json!({"global": {}}),
        ))
        .await?;
    eventually("a task on each of 2 nodes", WAIT, || async {
        (manager.running("everywhere", IMAGE_1).await.ok()? == 2).then_some(())
    })
    .await?;
    for node in [&manager, &worker] {
        let mine = node.running_containers();
        assert_eq!(mine.len(), 1, "one task on {}", node.hostname);
        assert!(
            mine[0]
                .1
                .starts_with(&format!("everywhere.{}.", node.node_id)),
            "global containers are named after their node: {}",
            mine[0].1
        );
    }

    // A third node joins: it gets its task.
    let token = manager.join_token("worker").await?;
    let late = Shoald::start_worker("global-late", &manager, &token).await?;
    eventually("a task on the new node", WAIT, || async {
        (late.running_containers().len() == 1).then_some(())
    })
    .await?;

    // Drained, a node loses its task; active again, it gets one back.
    let out = manager.shoalctl(&["node", "drain", &worker.hostname]);
    assert!(out.status.success());
    eventually("the drained node's task gone", WAIT, || async {
        (worker.running_containers().is_empty()
            && manager.running("everywhere", IMAGE_1).await.ok()? == 2)
            .then_some(())
    })
    .await?;
    let out = manager.shoalctl(&["node", "activate", &worker.hostname]);
    assert!(out.status.success());
    eventually("3 tasks again", WAIT, || async {
        (manager.running("everywhere", IMAGE_1).await.ok()? == 3).then_some(())
    })
    .await?;

    // It has no replica count to scale.
    let out = manager.shoalctl(&["service", "scale", "everywhere=5"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("one task per node"), "{err}");
    Ok(())
}

#[tokio::test]
async fn a_replicated_job_completes_within_its_concurrency_and_stays_complete() -> Result<()> {
    let manager = Shoald::start("job").await?;
    let mut s = with_mode(
        spec("batch", IMAGE_1, 0),
        json!({"replicated_job": {"max_concurrent": 2, "total_completions": 5}}),
    );
    s["task"]["container"]["command"] = json!(["sh", "-c", "sleep 1; exit 0"]);
    manager.create_service(s).await?;
    let most_at_once = std::sync::atomic::AtomicUsize::new(0);
    eventually("5 completions", WAIT, || async {
        let st = states(&manager, "batch").await?;
        let active = st
            .iter()
            .filter(|(s, _, _)| {
                matches!(
                    s.as_str(),
                    "assigned" | "accepted" | "preparing" | "ready" | "starting" | "running"
                )
            })
            .count();
        most_at_once.fetch_max(active, std::sync::atomic::Ordering::Relaxed);
        let complete = st.iter().filter(|(s, _, _)| s == "complete").count();
        (complete == 5).then_some(())
    })
    .await?;
    let most_at_once = most_at_once.into_inner();
    assert!(
        most_at_once <= 2,
        "at most 2 runs at a time, saw {most_at_once}"
    );
    // Complete is final: nothing runs again.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let st = states(&manager, "batch").await.unwrap();
    assert_eq!(st.len(), 5, "{st:?}");
    assert!(st.iter().all(|(s, _, _)| s == "complete"), "{st:?}");
    let mut slots: Vec<u64> = st.iter().map(|t| t.2).collect();
    slots.sort();
    assert_eq!(slots, vec![1, 2, 3, 4, 5]);
    let out = manager.shoalctl(&["service", "ls"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("5/5 completed"));
    Ok(())
}

#[tokio::test]
async fn a_global_job_runs_once_on_every_node() -> Result<()> {
    let (manager, worker) = Shoald::manager_and_worker("gjob").await?;
    let mut s = with_mode(spec("once", IMAGE_1, 0), json!({"global_job": {}}));
    s["task"]["container"]["command"] = json!(["sh", "-c", "exit 0"]);
    manager.create_service(s).await?;
    let done = eventually("a completed run on each node", WAIT, || async {
        let st = states(&manager, "once").await?;
        let mut nodes: Vec<String> = st
            .iter()
            .filter(|(s, _, _)| s == "complete")
            .map(|t| t.1.clone())
            .collect();
        nodes.sort();
        (nodes.len() == 2).then_some(nodes)
    })
    .await?;
    let mut expected = vec![manager.node_id.clone(), worker.node_id.clone()];
    expected.sort();
    assert_eq!(done, expected);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        states(&manager, "once").await.unwrap().len(),
        2,
        "not run again"
    );
    Ok(())
}

#[tokio::test]
async fn replicated_services_spread_back_onto_a_node_that_returns() -> Result<()> {
    let (manager, worker) = Shoald::manager_and_worker("rebal").await?;
    // Drain the worker: all four tasks end up on the manager.
    assert!(
        manager
            .shoalctl(&["node", "drain", &worker.hostname])
            .status
            .success()
    );
    let mut s = spec("spread", IMAGE_1, 4);
    s["update"] = json!({"parallelism": 1});
    manager.create_service(s).await?;
    eventually("4 running on the manager", WAIT, || async {
        (manager.running_containers().len() == 4
            && manager.running("spread", IMAGE_1).await.ok()? == 4)
            .then_some(())
    })
    .await?;

    // Active again: tasks move back two to two, never fewer than four running meanwhile.
    assert!(
        manager
            .shoalctl(&["node", "activate", &worker.hostname])
            .status
            .success()
    );
    let fewest = std::sync::atomic::AtomicUsize::new(usize::MAX);
    eventually("2 and 2", WAIT, || async {
        let running = manager.running("spread", IMAGE_1).await.ok()?;
        fewest.fetch_min(running, std::sync::atomic::Ordering::Relaxed);
        (manager.running_containers().len() == 2 && worker.running_containers().len() == 2)
            .then_some(())
    })
    .await?;
    assert!(fewest.into_inner() >= 4, "never below the desired count");

    // With rebalancing off, a returning node gets nothing back.
    assert!(
        manager
            .shoalctl(&["cluster", "update", "--rebalance", "false"])
            .status
            .success()
    );
    assert!(
        manager
            .shoalctl(&["node", "drain", &worker.hostname])
            .status
            .success()
    );
    eventually("4 on the manager again", WAIT, || async {
        (manager.running_containers().len() == 4).then_some(())
    })
    .await?;
    assert!(
        manager
            .shoalctl(&["node", "activate", &worker.hostname])
            .status
            .success()
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(worker.running_containers().len(), 0);
    Ok(())
}

#[tokio::test]
async fn a_failing_update_of_a_global_service_rolls_back() -> Result<()> {
    let (manager, _worker) = Shoald::manager_and_worker("grb").await?;
    let mut s = with_mode(spec("gback", IMAGE_1, 0), json!({"global": {}}));
    s["update"] = json!({"failure_action": "rollback", "monitor": "3s"});
    manager.create_service(s).await?;
    eventually("2 running", WAIT, || async {
        (manager.running("gback", IMAGE_1).await.ok()? == 2).then_some(())
    })
    .await?;
    manager
        .update_service("gback", |spec| {
            spec["task"]["container"]["image"] = IMAGE_2.into();
            spec["task"]["container"]["command"] = json!(["sh", "-c", "exit 3"]);
        })
        .await?;
    let status = eventually("the update to be rolled back", WAIT, || async {
        let svc = manager.get("/v1/services/gback").await.ok()?;
        (svc["update_status"]["state"] == "rollback_completed")
            .then(|| svc["update_status"].clone())
    })
    .await?;
    assert!(
        status["message"]
            .as_str()
            .unwrap_or_default()
            .contains("gback."),
        "names the failed task: {status}"
    );
    eventually("the old spec running on both nodes", WAIT, || async {
        (manager.running("gback", IMAGE_1).await.ok()? == 2).then_some(())
    })
    .await?;
    Ok(())
}
