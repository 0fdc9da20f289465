//! Three managers over real Raft between real processes: joining with the manager token,
//! writes through followers, kill -9 of the leader, loss of quorum, and a restart of every
//! manager, with every acknowledged write checked at the end.

mod common;

use anyhow::Result;
use common::*;
use reqwest::Method;
use serde_json::Value;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(30);

/// Creates an empty service named `name` through `via`; true when acknowledged.
async fn write(via: &Shoald, name: &str) -> bool {
    let body = spec(name, IMAGE_1, 0).to_string();
    matches!(
        via.call(Method::POST, "/v1/services", Some(body)).await,
        Ok((201, _))
    )
}

async fn service_names(via: &Shoald) -> Result<Vec<String>> {
    let list = via.get("/v1/services").await?;
    Ok(list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["spec"]["name"].as_str().unwrap().to_string())
        .collect())
}

#[tokio::test]
async fn three_managers_survive_leader_loss_and_keep_every_acknowledged_write() -> Result<()> {
    let first = Shoald::start("ha1").await?;
    let token = first.get("/v1/cluster").await?["join_tokens"]["manager"]
        .as_str()
        .unwrap()
        .to_string();
    // Both join at once: membership changes must be serialized by the leader.
    let (second, third) = tokio::join!(
        Shoald::start_manager("ha2", &first, &token),
        Shoald::start_manager("ha3", &first, &token)
    );
    let mut m = vec![first, second?, third?];
    eventually("three voting managers", WAIT, || async {
        (reachable_managers(&m[0]).await? == 3).then_some(())
    })
    .await?;

    let nodes = m[1].get("/v1/nodes").await?;
    let statuses: Vec<&Value> = nodes
        .as_array()
        .unwrap()
        .iter()
        .map(|n| &n["manager_status"])
        .collect();
    assert_eq!(statuses.len(), 3, "{nodes}");
    assert_eq!(statuses.iter().filter(|s| s["leader"] == true).count(), 1);
    assert!(
        statuses.iter().all(|s| s["reachability"] == "reachable"),
        "{nodes}"
    );
    assert!(
        nodes
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["role"] == "manager")
    );

    // Writes through any manager are forwarded to the leader.
    let mut acked = Vec::new();
    for (i, node) in m.iter().enumerate() {
        let name = format!("before{i}");
        assert!(write(node, &name).await, "write through manager {i}");
        acked.push(name);
    }

    // kill -9 the leader: a survivor accepts writes again within a few seconds.
    let l = leader(&m, &m[0]).await.expect("a leader");
    m[l].kill9();
    let survivors: Vec<usize> = (0..3).filter(|i| *i != l).collect();
    let killed_at = Instant::now();
    let mut failover = None;
    let mut n = 0;
    while killed_at.elapsed() < WAIT {
        let via = &m[survivors[n % 2]];
        let name = format!("during{n}");
        if write(via, &name).await {
            failover.get_or_insert(killed_at.elapsed());
            acked.push(name);
            if acked.len() >= 8 {
                break;
            }
        }
        n += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let failover = failover.expect("no write accepted after the leader died");
    eprintln!("first write accepted {failover:?} after the leader was killed");
    let new_leader = leader(&m, &m[survivors[0]]).await.expect("a new leader");
    assert_ne!(new_leader, l);

    // The old leader comes back as a follower and catches up.
    m[l].restart().await?;
    assert!(write(&m[l], "after-rejoin").await);
    acked.push("after-rejoin".into());

    // Two managers down: the last one answers promptly that there is no quorum.
    // Keep a follower: a cut-off leader only notices when its writes time out.
    let current = leader(&m, &m[l]).await.expect("a leader");
    let lone = (current + 1) % 3;
    for (i, node) in m.iter_mut().enumerate() {
        if i != lone {
            node.kill9();
        }
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    let asked = Instant::now();
    let (status, body) = m[lone]
        .call(
            Method::POST,
            "/v1/services",
            Some(spec("lost", IMAGE_1, 0).to_string()),
        )
        .await?;
    assert_eq!(status, 503, "{body}");
    let msg = body["error"]["message"].as_str().unwrap();
    assert!(msg.contains("quorum") || msg.contains("leader"), "{msg}");
    assert!(
        asked.elapsed() < Duration::from_secs(6),
        "answered after {:?}",
        asked.elapsed()
    );

    // Every manager killed and started again: nothing acknowledged is lost.
    m[lone].kill9();
    for node in m.iter_mut() {
        node.respawn()?;
    }
    let names = eventually("a leader after a full restart", WAIT, || async {
        service_names(&m[0]).await.ok()
    })
    .await?;
    for name in &acked {
        assert!(
            names.contains(name),
            "acknowledged write {name} was lost; have {names:?}"
        );
    }
    assert!(!names.contains(&"lost".to_string()));
    Ok(())
}

#[tokio::test]
async fn force_new_cluster_recovers_a_lone_survivor_with_all_its_state() -> Result<()> {
    let mut m = Shoald::three_managers("fnc").await?;
    for i in 0..5 {
        assert!(write(&m[i % 3], &format!("keep{i}")).await);
    }
    // Quorum is gone for good: two managers never come back.
    m[1].kill9();
    m[2].kill9();
    let survivor = &mut m[0];
    let (status, _) = survivor
        .call(
            Method::POST,
            "/v1/services",
            Some(spec("x", IMAGE_1, 0).to_string()),
        )
        .await?;
    assert_eq!(status, 503);

    survivor.restart_with(&["--force-new-cluster"]).await?;
    let names = service_names(survivor).await?;
    for i in 0..5 {
        assert!(names.contains(&format!("keep{i}")), "{names:?}");
    }
    assert!(write(survivor, "after-recovery").await);
    let nodes = survivor.get("/v1/nodes").await?;
    let leaders = nodes
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["manager_status"]["leader"] == true)
        .count();
    assert_eq!(leaders, 1);
    // Restarted again without the flag, it resumes the new cluster.
    survivor.restart().await?;
    assert!(
        service_names(survivor)
            .await?
            .contains(&"after-recovery".to_string())
    );
    Ok(())
}

#[tokio::test]
async fn a_leader_cut_off_from_the_majority_refuses_at_once_and_recovers() -> Result<()> {
    let m = Shoald::three_managers("cut").await?;
    assert!(write(&m[0], "before-cut").await);
    let l = leader(&m, &m[0]).await.expect("a leader");

    // Freeze both followers: the leader no longer hears from a majority.
    for (i, node) in m.iter().enumerate() {
        if i != l {
            node.signal("STOP");
        }
    }
    let cut_at = Instant::now();
    let body = eventually("the cut-off leader to refuse", WAIT, || async {
        let (status, body) = m[l].call(Method::GET, "/v1/services", None).await.ok()?;
        (status == 503).then_some(body)
    })
    .await?;
    let refused_after = cut_at.elapsed();
    assert!(
        refused_after < Duration::from_secs(3),
        "refused only after {refused_after:?}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("quorum"),
        "{body}"
    );
    assert!(!write(&m[l], "during-cut").await);

    for (i, node) in m.iter().enumerate() {
        if i != l {
            node.signal("CONT");
        }
    }
    eventually("writes accepted again after healing", WAIT, || async {
        write(&m[l], "after-heal").await.then_some(())
    })
    .await?;
    let names = service_names(&m[l]).await?;
    assert!(names.contains(&"before-cut".to_string()) && names.contains(&"after-heal".to_string()));
    Ok(())
}

#[tokio::test]
async fn a_worker_follows_the_managers_and_outlives_the_one_it_joined_through() -> Result<()> {
    let mut m1 = Shoald::start("wf1").await?;
    let worker_token = m1.join_token("worker").await?;
    let mut worker = Shoald::start_worker("wfw", &m1, &worker_token).await?;
    let manager_token = m1.join_token("manager").await?;
    let m2 = Shoald::start_manager("wf2", &m1, &manager_token).await?;
    let _m3 = Shoald::start_manager("wf3", &m1, &manager_token).await?;

    // The worker hears of the managers that joined after it (heartbeats carry the list) and
    // keeps them in its identity.
    let identity = worker.data_dir().join("node.json");
    eventually("the worker to know 3 managers", WAIT, || async {
        let id: Value = serde_json::from_slice(&std::fs::read(&identity).ok()?).ok()?;
        (id["managers"].as_array()?.len() == 3).then_some(())
    })
    .await?;

    // Lose the manager it joined through, restart the worker: it finds the others.
    m1.kill9();
    worker.kill9();
    worker.respawn()?;
    let mut s = spec("onworker", IMAGE_1, 1);
    s["task"]["placement"] = serde_json::json!({ "constraints": ["node.role==worker"] });
    eventually("the service to be created through m2", WAIT, || async {
        m2.create_service(s.clone()).await.ok()
    })
    .await?;
    eventually("its task to run on the restarted worker", WAIT, || async {
        (m2.running("onworker", IMAGE_1).await.ok()? == 1).then_some(())
    })
    .await?;
    Ok(())
}
