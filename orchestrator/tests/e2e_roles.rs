//! Promotion and demotion: a worker promoted becomes a voting manager in the same process,
//! keeping its containers; demoted, it leaves Raft and runs as a worker again. A demotion that
//! would lose quorum is refused, and a manager cannot be removed before it is demoted.

mod common;

use anyhow::Result;
use common::*;
use serde_json::Value;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

fn node<'a>(nodes: &'a Value, id: &str) -> Option<&'a Value> {
    nodes.as_array()?.iter().find(|n| n["id"] == id)
}

fn ctl_ok(via: &Shoald, args: &[&str]) -> String {
    let out = via.shoalctl(args);
    assert!(
        out.status.success(),
        "shoalctl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn ctl_err(via: &Shoald, args: &[&str]) -> String {
    let out = via.shoalctl(args);
    assert!(!out.status.success(), "shoalctl {args:?} should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test]
async fn a_worker_is_promoted_and_demoted_in_place_keeping_its_containers() -> Result<()> {
    let (manager, worker) = Shoald::manager_and_worker("roles").await?;
    manager.create_service(spec("kept", IMAGE_1, 2)).await?;
    eventually("2 running", WAIT, || async {
        (manager.running("kept", IMAGE_1).await.ok()? == 2).then_some(())
    })
    .await?;
    let before: Vec<String> = worker
        .running_containers()
        .into_iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(before.len(), 1);

    // Promote: the worker renews its certificate as a manager and joins Raft as a voter.
    let out = ctl_ok(&manager, &["node", "promote", &worker.hostname]);
    assert!(out.contains("is now a manager"), "{out}");
    eventually("the worker to be a reachable manager", WAIT, || async {
        let nodes = manager.get("/v1/nodes").await.ok()?;
        let w = node(&nodes, &worker.node_id)?;
        (w["role"] == "manager" && w["manager_status"]["reachability"] == "reachable").then_some(())
    })
    .await?;
    // It serves the API as a manager now: our manager client accepts it and it answers.
    eventually("the promoted node to serve the API", WAIT, || async {
        let r = manager
            .client()?
            .get(format!("{}/v1/services", https(&worker)))
            .send()
            .await
            .ok()?;
        r.status().is_success().then_some(())
    })
    .await?;

    // Demote: it leaves Raft and goes back to being a worker, again in place.
    let out = ctl_ok(&manager, &["node", "demote", &worker.hostname]);
    assert!(out.contains("is now a worker"), "{out}");
    eventually("the node to be a ready worker again", WAIT, || async {
        let nodes = manager.get("/v1/nodes").await.ok()?;
        let w = node(&nodes, &worker.node_id)?;
        (w["role"] == "worker"
            && w.get("manager_status").is_none()
            && w["status"]["state"] == "ready")
            .then_some(())
    })
    .await?;
    eventually("a worker no longer accepted as a manager", WAIT, || async {
        let sent = manager
            .client()?
            .get(format!("{}/v1/services", https(&worker)))
            .send()
            .await;
        sent.is_err().then_some(())
    })
    .await?;
    let after: Vec<String> = worker
        .running_containers()
        .into_iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(
        before, after,
        "its container kept running through both switches"
    );

    // The last manager cannot be demoted.
    let err = ctl_err(&manager, &["node", "demote", &manager.hostname]);
    assert!(err.contains("last manager"), "{err}");
    Ok(())
}

#[tokio::test]
async fn demotions_that_lose_quorum_are_refused_and_managers_are_removed_only_when_demoted()
-> Result<()> {
    let [m1, m2, m3] = Shoald::three_managers("quorum").await?;
    // A live manager cannot simply be removed.
    let err = ctl_err(&m1, &["node", "rm", "--force", &m3.hostname]);
    assert!(err.contains("demote it first"), "{err}");

    // With m3 stopped the cluster still has a quorum (2 of 3), but demoting m2 would leave
    // m1 and the unreachable m3: one reachable of the two needed.
    m3.signal("STOP");
    eventually("m3 unreachable", WAIT, || async {
        let nodes = m1.get("/v1/nodes").await.ok()?;
        (node(&nodes, &m3.node_id)?["manager_status"]["reachability"] == "unreachable")
            .then_some(())
    })
    .await?;
    let err = eventually("the demotion to be refused", WAIT, || async {
        let out = m1.shoalctl(&["node", "demote", &m2.hostname]);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        (!out.status.success() && err.contains("would lose quorum")).then_some(err)
    })
    .await?;
    assert!(err.contains("1 of them reachable"), "{err}");
    m3.signal("CONT");
    eventually("m3 reachable again", WAIT, || async {
        let nodes = m1.get("/v1/nodes").await.ok()?;
        (node(&nodes, &m3.node_id)?["manager_status"]["reachability"] == "reachable").then_some(())
    })
    .await?;
    let nodes = m1.get("/v1/nodes").await?;
    assert_eq!(node(&nodes, &m2.node_id).unwrap()["role"], "manager");

    // Demote m3: two managers are left, both reachable.
    ctl_ok(&m1, &["node", "demote", &m3.hostname]);
    eventually("m3 a worker, out of raft", WAIT, || async {
        let nodes = m1.get("/v1/nodes").await.ok()?;
        let n = node(&nodes, &m3.node_id)?;
        (n["role"] == "worker" && n.get("manager_status").is_none()).then_some(())
    })
    .await?;
    // Now it can be removed, and its certificate stops working.
    ctl_ok(&m1, &["node", "rm", "--force", &m3.hostname]);
    let nodes = m1.get("/v1/nodes").await?;
    assert!(node(&nodes, &m3.node_id).is_none());
    let as_m3 = tls_client(&m3.tls_dir())?;
    let r = as_m3
        .get(format!("{}/v1/ca/node", https(&m1)))
        .send()
        .await?;
    assert_eq!(
        r.status().as_u16(),
        401,
        "a removed node's certificate opens nothing"
    );
    // Nor on either manager for what each answers itself, leader or follower.
    for m in [&m1, &m2] {
        for path in ["/v1/openapi.json", "/v1/events", "/metrics"] {
            let r = as_m3.get(format!("{}{path}", https(m))).send().await?;
            assert_eq!(r.status().as_u16(), 401, "{path} on {}", m.hostname);
        }
    }
    // The two managers left still commit writes.
    m1.create_service(spec("after", IMAGE_1, 0)).await?;
    Ok(())
}
