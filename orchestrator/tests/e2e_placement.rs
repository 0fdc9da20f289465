//! Placement end to end, several `shoald` sharing the Docker engine: constraints on node
//! labels, role and engine labels; a task that cannot be placed stays pending and says why,
//! then is placed as soon as something makes room (a label added, a task stopped); spread
//! preferences; `--replicas-max-per-node`; memory reservations; limits in `docker inspect`.

mod common;

use common::*;
use serde_json::json;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

fn ok(out: std::process::Output) -> String {
    assert!(
        out.status.success(),
        "shoalctl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `service create --name NAME --image IMAGE --detach` plus `extra`.
fn create(node: &Shoald, name: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "service",
        "create",
        "--name",
        name,
        "--image",
        IMAGE_1,
        "--stop-grace-period",
        "2s",
        "--detach",
    ];
    args.extend_from_slice(extra);
    ok(node.shoalctl(&args))
}

/// Node ids of the running tasks of `service`, and the pending tasks' messages.
async fn placement(node: &Shoald, service: &str) -> Option<(Vec<String>, Vec<String>)> {
    let tasks = node.tasks(service, false).await.ok()?;
    let running = tasks
        .iter()
        .filter(|t| t["status"]["state"] == "running")
        .filter_map(|t| t["node_id"].as_str().map(String::from))
        .collect();
    let pending = tasks
        .iter()
        .filter(|t| t["status"]["state"] == "pending")
        .filter_map(|t| t["status"]["message"].as_str().map(String::from))
        .collect();
    Some((running, pending))
}

/// Waits until `service` has `running` tasks on the nodes given and the pending messages.
async fn wait_for(
    node: &Shoald,
    service: &str,
    on: &[&Shoald],
    pending: &[&str],
) -> anyhow::Result<()> {
    let mut want: Vec<String> = on.iter().map(|n| n.node_id.clone()).collect();
    want.sort();
    eventually(
        &format!("{service}: running on {want:?}, pending {pending:?}"),
        WAIT,
        || async {
            let (mut running, waiting) = placement(node, service).await?;
            running.sort();
            (running == want && waiting == pending).then_some(())
        },
    )
    .await
}

#[tokio::test]
async fn constraints_choose_nodes_and_a_pending_task_is_placed_once_a_label_fits()
-> anyhow::Result<()> {
    let (manager, worker) = Shoald::manager_and_worker("pc").await?;
    create(
        &manager,
        "zoned",
        &["--replicas", "2", "--constraint", "node.labels.zone==east"],
    );
    let why = "no suitable node (2 nodes not matching constraint node.labels.zone==east)";
    wait_for(&manager, "zoned", &[], &[why, why]).await?;

    ok(manager.shoalctl(&[
        "node",
        "update",
        "--label-add",
        "zone=east",
        &worker.hostname,
    ]));
    wait_for(&manager, "zoned", &[&worker, &worker], &[]).await?;
    let shown = ok(manager.shoalctl(&["node", "inspect", &worker.hostname]));
    assert!(shown.contains("zone=east"), "{shown}");
    let shown = ok(manager.shoalctl(&["service", "inspect", "zoned"]));
    assert!(
        shown.contains("Constraints:") && shown.contains("node.labels.zone==east"),
        "{shown}"
    );

    create(
        &manager,
        "workers",
        &["--replicas", "2", "--constraint", "node.role==worker"],
    );
    wait_for(&manager, "workers", &[&worker, &worker], &[]).await?;
    create(&manager, "managers", &["--constraint", "node.role!=worker"]);
    wait_for(&manager, "managers", &[&manager], &[]).await?;
    // The shared engine has no such label, so no node has it.
    create(
        &manager,
        "ssd",
        &["--constraint", "engine.labels.storage==ssd"],
    );
    wait_for(
        &manager,
        "ssd",
        &[],
        &["no suitable node (2 nodes not matching constraint engine.labels.storage==ssd)"],
    )
    .await?;

    // Moving the label moves nothing that runs, but a constraint change rolls the tasks.
    ok(manager.shoalctl(&[
        "service",
        "update",
        "zoned",
        "--constraint-rm",
        "node.labels.zone==east",
        "--constraint-add",
        "node.labels.zone!=east",
        "--detach",
    ]));
    wait_for(&manager, "zoned", &[&manager, &manager], &[]).await?;
    Ok(())
}

#[tokio::test]
async fn bad_placement_and_resources_get_a_400_naming_the_field() -> anyhow::Result<()> {
    let node = Shoald::start("badplace").await?;
    for (path, value, field, says) in [
        (
            "placement",
            json!({ "constraints": ["node.role==worker", "node.lables.zone==east"] }),
            "spec.task.placement.constraints[1]",
            "did you mean node.labels.zone?",
        ),
        (
            "placement",
            json!({ "preferences": [{ "spread": "node.hostname" }] }),
            "spec.task.placement.preferences[0].spread",
            "cannot spread",
        ),
        (
            "resources",
            json!({ "limits": { "memory": "lots" } }),
            "spec.task.resources.limits.memory",
            "invalid size",
        ),
        (
            "resources",
            json!({ "reservations": { "cpus": -1 } }),
            "spec.task.resources.reservations.cpus",
            "between 0",
        ),
    ] {
        let mut s = spec("bad", IMAGE_1, 1);
        s["task"][path] = value;
        let (status, body) = node
            .call(reqwest::Method::POST, "/v1/services", Some(s.to_string()))
            .await?;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"]["field"], field, "{body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{body}");
    }
    Ok(())
}

#[tokio::test]
async fn spread_preferences_even_out_label_values_before_nodes() -> anyhow::Result<()> {
    let (manager, w1) = Shoald::manager_and_worker("ps").await?;
    let token = manager.join_token("worker").await?;
    let w2 = Shoald::start_worker("ps-wrk2", &manager, &token).await?;
    for (node, zone) in [(&manager, "b"), (&w1, "a"), (&w2, "b")] {
        let label = format!("zone={zone}");
        ok(manager.shoalctl(&["node", "update", "--label-add", &label, &node.hostname]));
    }
    create(
        &manager,
        "spread",
        &[
            "--replicas",
            "6",
            "--placement-pref",
            "spread=node.labels.zone",
        ],
    );
    // Zone a (one node) takes half the tasks; zone b's half is spread over its two nodes.
    let running = eventually("6 running", WAIT, || async {
        let (running, _) = placement(&manager, "spread").await?;
        (running.len() == 6).then_some(running)
    })
    .await?;
    let on = |n: &Shoald| running.iter().filter(|id| **id == n.node_id).count();
    let mut zone_b = [on(&manager), on(&w2)];
    zone_b.sort();
    assert_eq!((on(&w1), zone_b), (3, [1, 2]), "{running:?}");
    let shown = ok(manager.shoalctl(&["service", "inspect", "spread"]));
    assert!(shown.contains("spread=node.labels.zone"), "{shown}");
    Ok(())
}

#[tokio::test]
async fn max_per_node_and_reservations_leave_tasks_pending_until_room_is_made() -> anyhow::Result<()>
{
    let (manager, worker) = Shoald::manager_and_worker("pr").await?;
    create(
        &manager,
        "capped",
        &["--replicas", "3", "--replicas-max-per-node", "1"],
    );
    wait_for(
        &manager,
        "capped",
        &[&manager, &worker],
        &["no suitable node (2 nodes at max replicas per node (1))"],
    )
    .await?;

    create(&manager, "huge", &["--reserve-memory", "64TiB"]);
    wait_for(
        &manager,
        "huge",
        &[],
        &["no suitable node (2 nodes insufficient memory)"],
    )
    .await?;

    // Each node has room for one 60% reservation: two fit, a third waits until one stops.
    let memory = manager.get("/v1/nodes").await?[0]["description"]["memory_bytes"]
        .as_u64()
        .unwrap();
    let fat = format!("{}", memory / 10 * 6);
    create(
        &manager,
        "fat-a",
        &["--replicas", "2", "--reserve-memory", &fat],
    );
    wait_for(&manager, "fat-a", &[&manager, &worker], &[]).await?;
    create(&manager, "fat-b", &["--reserve-memory", &fat]);
    wait_for(
        &manager,
        "fat-b",
        &[],
        &["no suitable node (2 nodes insufficient memory)"],
    )
    .await?;
    ok(manager.shoalctl(&["service", "scale", "fat-a=1", "--detach"]));
    eventually("fat-b placed once fat-a frees a node", WAIT, || async {
        let (running, pending) = placement(&manager, "fat-b").await?;
        (running.len() == 1 && pending.is_empty()).then_some(())
    })
    .await?;
    Ok(())
}

#[tokio::test]
async fn limits_reach_docker() -> anyhow::Result<()> {
    let node = Shoald::start("limits").await?;
    create(
        &node,
        "limited",
        &[
            "--limit-memory",
            "64MiB",
            "--limit-cpu",
            "0.5",
            "--reserve-memory",
            "32MiB",
            "--reserve-cpu",
            "0.25",
        ],
    );
    wait_for(&node, "limited", &[&node], &[]).await?;
    let (id, _, _, _) = node.running_containers().pop().expect("a container");
    let host = docker_inspect(&id)["HostConfig"].clone();
    assert_eq!(host["Memory"], 64 << 20, "{host}");
    assert_eq!(host["NanoCpus"], 500_000_000, "{host}");
    assert_eq!(host["MemoryReservation"], 32 << 20, "{host}");
    let shown = ok(node.shoalctl(&["service", "inspect", "limited"]));
    assert!(shown.contains("0.25 CPU, 32MiB memory"), "{shown}");
    assert!(shown.contains("0.5 CPU, 64MiB memory"), "{shown}");
    Ok(())
}
