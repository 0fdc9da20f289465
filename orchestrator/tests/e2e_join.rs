//! Joining: a worker joins with the worker token and runs its share of a service; a wrong
//! token is refused with a clear message and nothing is created.

mod common;

use common::*;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

#[tokio::test]
async fn a_worker_joins_and_takes_its_share_of_tasks() -> anyhow::Result<()> {
    let manager = Shoald::start("mgr").await?;
    let cluster = manager.get("/v1/cluster").await?;
    let token = cluster["join_tokens"]["worker"]
        .as_str()
        .unwrap()
        .to_string();
    let worker = Shoald::start_worker("wrk", &manager, &token).await?;

    let nodes = manager.get("/v1/nodes").await?;
    let me = nodes
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == worker.node_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(me["role"], "worker");
    assert_eq!(me["status"]["state"], "ready");
    assert!(me.get("manager_status").is_none());

    manager.create_service(spec("spread", IMAGE_1, 4)).await?;
    eventually("4 running", WAIT, || async {
        (manager.running("spread", IMAGE_1).await.ok()? == 4).then_some(())
    })
    .await?;
    assert_eq!(manager.running_containers().len(), 2, "manager's share");
    assert_eq!(worker.running_containers().len(), 2, "worker's share");

    // A worker does not take control requests: on its control socket it says where to go...
    let out = worker.shoalctl(&["service", "ls"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("this node is a worker"), "{err}");
    // ...and over TLS a client does not even accept it as a server: it holds no manager
    // certificate, so it cannot pose as one.
    let posing = manager
        .client()
        .unwrap()
        .get(format!("https://127.0.0.1:{}/v1/services", worker.port))
        .send()
        .await;
    assert!(posing.is_err(), "a worker was accepted as a manager");
    Ok(())
}

#[tokio::test]
async fn a_wrong_join_token_is_refused_and_nothing_is_created() -> anyhow::Result<()> {
    let manager = Shoald::start("mgr2").await?;
    let cluster = manager.get("/v1/cluster").await?;
    let worker_token = cluster["join_tokens"]["worker"]
        .as_str()
        .unwrap()
        .to_string();
    // Same shape, wrong secret.
    let (prefix, _) = worker_token.rsplit_once('-').unwrap();
    let wrong = format!("{prefix}-0000000000000000000000000");
    let args = vec![
        "--join-addr".into(),
        format!("127.0.0.1:{}", manager.port),
        "--join-token".into(),
        wrong,
    ];
    let mut intruder = Shoald::new("intruder", args, Some(manager.port))?;
    let (status, log) = intruder.run_to_exit()?;
    assert!(!status.success());
    assert!(log.contains("invalid join token"), "{log}");
    assert!(!intruder.data_dir().join("node.json").exists());
    let nodes = manager.get("/v1/nodes").await?;
    assert_eq!(nodes.as_array().unwrap().len(), 1);

    let args = vec![
        "--join-addr".into(),
        format!("127.0.0.1:{}", manager.port),
        "--join-token".into(),
        "not-a-token".into(),
    ];
    let mut garbage = Shoald::new("garbage", args, Some(manager.port))?;
    let (status, log) = garbage.run_to_exit()?;
    assert!(!status.success());
    assert!(log.contains("malformed join token"), "{log}");

    // A rotated token keeps the cluster digest, and the old one stops working.
    let out = manager.shoalctl(&["cluster", "update", "--rotate-join-token", "worker"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rotated = manager.get("/v1/cluster").await?["join_tokens"]["worker"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(rotated, worker_token);
    assert_eq!(rotated.rsplit_once('-').unwrap().0, prefix);
    let quiet = manager.shoalctl(&["cluster", "join-token", "-q", "worker"]);
    assert_eq!(String::from_utf8_lossy(&quiet.stdout).trim(), rotated);
    let args = vec![
        "--join-addr".into(),
        format!("127.0.0.1:{}", manager.port),
        "--join-token".into(),
        worker_token.to_string(),
    ];
    let mut stale = Shoald::new("stale", args, Some(manager.port))?;
    let (status, log) = stale.run_to_exit()?;
    assert!(!status.success());
    assert!(log.contains("invalid join token"), "{log}");
    assert_eq!(manager.get("/v1/nodes").await?.as_array().unwrap().len(), 1);
    Ok(())
}
