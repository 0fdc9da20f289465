//! Published ports (host mode) on real `shoald` processes and real Docker: `--publish`
//! binds the node's port to the container's, and two tasks publishing one host port never
//! share a node: with one node the second stays pending and says which port is in use, and
//! it is placed once a second node joins. The nodes share one engine here, so each binds its
//! published ports to its own loopback address (`shoald --publish-ip`).

mod common;

use common::*;
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(90);

/// A port free on every address right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("0.0.0.0:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// busybox httpd on port 8000 inside the container, answering `hello`.
fn web_command() -> Value {
    json!([
        "/bin/sh",
        "-c",
        "mkdir -p /www && echo hello > /www/index.html && trap 'exit 0' TERM; \
         httpd -f -p 8000 -h /www & wait"
    ])
}

/// The body of `GET /` at `addr`, if something answers.
fn http_get(addr: &str) -> Option<String> {
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    s.write_all(b"GET / HTTP/1.0\r\n\r\n").ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    out.split("\r\n\r\n").nth(1).map(str::to_string)
}

#[tokio::test]
async fn publish_binds_the_host_port_to_the_container() -> anyhow::Result<()> {
    let node = Shoald::start("publish").await?;
    let port = free_port();
    let publish = format!("{port}:8000");
    let out = node.shoalctl(&[
        "service",
        "create",
        "--name",
        "pub",
        "--image",
        IMAGE_1,
        "--publish",
        &publish,
        "--command",
        "/bin/sh",
        "--command",
        "-c",
        "--args",
        web_command()[2].as_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let task = eventually("running", WAIT, || async {
        let tasks = node.tasks("pub", false).await.ok()?;
        tasks
            .into_iter()
            .find(|t| t["status"]["state"] == "running")
    })
    .await?;
    let c = docker_inspect(task["status"]["container_id"].as_str().unwrap());
    assert_eq!(
        c["HostConfig"]["PortBindings"]["8000/tcp"][0]["HostPort"],
        port.to_string(),
        "{c}"
    );
    let body = eventually("an answer on the published port", WAIT, || async {
        http_get(&format!("127.0.0.1:{port}"))
    })
    .await?;
    assert_eq!(body.trim(), "hello");

    let shown =
        String::from_utf8_lossy(&node.shoalctl(&["service", "inspect", "pub"]).stdout).to_string();
    assert!(
        shown.contains(&format!("Published ports:     {port}:8000/tcp (host)")),
        "{shown}"
    );
    Ok(())
}

#[tokio::test]
async fn a_host_port_in_use_keeps_a_task_pending_until_a_node_joins() -> anyhow::Result<()> {
    let manager = Shoald::start_with("ports-mgr", &["--publish-ip", "127.0.0.2"]).await?;
    let port = free_port();
    let mut s = spec("web", IMAGE_1, 2);
    s["task"]["container"]["command"] = web_command();
    s["task"]["container"]["ports"] = json!([{ "published": port, "target": 8000 }]);
    manager.create_service(s).await?;

    let expected = format!("no suitable node (1 node host port {port}/tcp in use)");
    eventually(
        "one running, one pending with the ports message",
        WAIT,
        || async {
            let tasks = manager.tasks("web", false).await.ok()?;
            let running = tasks
                .iter()
                .filter(|t| t["status"]["state"] == "running")
                .count();
            let pending = tasks
                .iter()
                .filter(|t| t["status"]["state"] == "pending" && t["status"]["message"] == expected)
                .count();
            (running == 1 && pending == 1).then_some(())
        },
    )
    .await?;
    let ps =
        String::from_utf8_lossy(&manager.shoalctl(&["service", "ps", "web"]).stdout).to_string();
    // The table truncates the error column.
    assert!(ps.contains("no suitable node (1 node host port"), "{ps}");
    let body = eventually("the manager's task answers", WAIT, || async {
        http_get(&format!("127.0.0.2:{port}"))
    })
    .await?;
    assert_eq!(body.trim(), "hello");

    let token = manager.join_token("worker").await?;
    let worker = Shoald::start_worker_with(
        "ports-wrk",
        &manager,
        &token,
        &["--publish-ip", "127.0.0.3"],
    )
    .await?;
    let tasks = eventually("both running, one per node", WAIT, || async {
        let tasks = manager.tasks("web", false).await.ok()?;
        let running: Vec<Value> = tasks
            .into_iter()
            .filter(|t| t["status"]["state"] == "running")
            .collect();
        (running.len() == 2).then_some(running)
    })
    .await?;
    let nodes: Vec<&Value> = tasks.iter().map(|t| &t["node_id"]).collect();
    assert_ne!(nodes[0], nodes[1], "{tasks:?}");
    assert!(nodes.contains(&&json!(worker.node_id)));
    let body = eventually("the worker's task answers", WAIT, || async {
        http_get(&format!("127.0.0.3:{port}"))
    })
    .await?;
    assert_eq!(body.trim(), "hello");
    Ok(())
}

#[tokio::test]
async fn bad_ports_and_health_checks_get_a_400_naming_the_field() -> anyhow::Result<()> {
    let node = Shoald::start("ports-bad").await?;
    let cases = [
        (
            "/task/container/ports",
            json!([{ "published": 70000, "target": 80 }]),
            "spec.task.container.ports[0].published",
        ),
        (
            "/task/container/ports",
            json!([{ "published": 80, "target": 80 }, { "published": 80, "target": 81 }]),
            "spec.task.container.ports[1].published",
        ),
        (
            "/task/container/healthcheck",
            json!({ "test": ["CURL", "x"] }),
            "spec.task.container.healthcheck.test",
        ),
        (
            "/task/container/healthcheck",
            json!({ "test": ["CMD-SHELL", "true"], "interval": "1us" }),
            "spec.task.container.healthcheck.interval",
        ),
    ];
    for (pointer, value, field) in cases {
        let mut s = spec("bad", IMAGE_1, 1);
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        s.pointer_mut(parent).unwrap()[key] = value;
        let (status, body) = node
            .call(reqwest::Method::POST, "/v1/services", Some(s.to_string()))
            .await?;
        assert_eq!(status, 400, "{field}: {body}");
        assert_eq!(body["error"]["field"], field, "{body}");
    }
    // A protocol other than tcp or udp is refused by the parser, still with a 400.
    let mut s = spec("bad", IMAGE_1, 1);
    s["task"]["container"]["ports"] =
        json!([{ "published": 80, "target": 80, "protocol": "sctp" }]);
    let (status, body) = node
        .call(reqwest::Method::POST, "/v1/services", Some(s.to_string()))
        .await?;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("protocol"),
        "{body}"
    );
    Ok(())
}
