//! Health checks on a real `shoald` and real Docker: a checked task is `starting` until its
//! first probe passes and only then `running`; a failing check fails the task ("container
//! unhealthy: ...") and it is replaced; an update whose new tasks turn unhealthy is rolled
//! back; a start-first update never has fewer healthy containers than replicas.

mod common;

use common::*;
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(90);

/// A shell loop that exits at once on SIGTERM, after `before` (shell code) has run.
fn looping(before: &str) -> Value {
    json!([
        "/bin/sh",
        "-c",
        format!("trap 'exit 0' TERM; {before} while true; do sleep 1 & wait $!; done")
    ])
}

fn checked_spec(name: &str, replicas: u64, before: &str, health_cmd: &str) -> Value {
    let mut s = spec(name, IMAGE_1, replicas);
    s["task"]["container"]["command"] = looping(before);
    s["task"]["container"]["healthcheck"] = json!({
        "test": ["CMD-SHELL", health_cmd],
        "interval": "300ms",
        "retries": 1,
    });
    s
}

fn ok(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "shoalctl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[tokio::test]
async fn a_checked_task_runs_only_once_its_first_probe_passes() -> anyhow::Result<()> {
    let node = Shoald::start("healthy").await?;
    // Ready after two seconds: until then the probe fails, within the start period.
    let mut s = checked_spec("hy", 1, "sleep 2; touch /ready;", "test -f /ready");
    s["task"]["container"]["healthcheck"]["start_period"] = json!("30s");
    node.create_service(s).await?;

    let waiting = eventually("starting, waiting for health", WAIT, || async {
        let tasks = node.tasks("hy", false).await.ok()?;
        tasks.into_iter().find(|t| {
            t["status"]["state"] == "starting"
                && t["status"]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("health check"))
        })
    })
    .await?;
    let container = waiting["status"]["container_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(docker_inspect(&container)["State"]["Running"], true);

    let running = eventually("running", WAIT, || async {
        let tasks = node.tasks("hy", false).await.ok()?;
        tasks
            .into_iter()
            .find(|t| t["status"]["state"] == "running")
    })
    .await?;
    assert_eq!(
        running["id"], waiting["id"],
        "the same task, not a replacement"
    );
    // Running is said only once Docker has seen a probe pass.
    let c = docker_inspect(&container);
    assert_eq!(c["State"]["Health"]["Status"], "healthy", "{c}");
    assert_eq!(running["status"]["message"], "started (healthy)");
    // The check reached Docker as given.
    assert_eq!(
        c["Config"]["Healthcheck"]["Test"],
        json!(["CMD-SHELL", "test -f /ready"])
    );
    assert_eq!(c["Config"]["Healthcheck"]["Interval"], 300_000_000);
    Ok(())
}

#[tokio::test]
async fn an_unhealthy_task_fails_with_the_probe_output_and_is_replaced() -> anyhow::Result<()> {
    let node = Shoald::start("unhealthy").await?;
    node.create_service(checked_spec("uh", 1, "", "echo not ready; exit 1"))
        .await?;

    let failed = eventually("an unhealthy task", WAIT, || async {
        let tasks = node.tasks("uh", true).await.ok()?;
        tasks.into_iter().find(|t| t["status"]["state"] == "failed")
    })
    .await?;
    assert_eq!(failed["status"]["err"], "container unhealthy: not ready");
    assert!(failed["status"]["started_at"].is_null(), "it never ran");
    let container = failed["status"]["container_id"].as_str().unwrap();
    assert_eq!(
        docker_inspect(container)["State"]["Running"],
        false,
        "the unhealthy container is stopped"
    );

    // Restart policy any (1s delay): the slot gets a new task, which fails the same way.
    eventually("a replacement in slot 1", WAIT, || async {
        let tasks = node.tasks("uh", true).await.ok()?;
        let replacements = tasks
            .iter()
            .filter(|t| t["slot"] == 1 && t["id"] != failed["id"])
            .count();
        (replacements >= 1).then_some(())
    })
    .await?;
    let ps = ok(&node.shoalctl(&["service", "ps", "uh", "-a"]));
    assert!(ps.contains("container unhealthy: not ready"), "{ps}");
    Ok(())
}

#[tokio::test]
async fn an_update_to_an_unhealthy_spec_is_rolled_back() -> anyhow::Result<()> {
    let node = Shoald::start("healthroll").await?;
    let mut s = spec("hr", IMAGE_1, 2);
    s["update"] = json!({ "monitor": "2s", "failure_action": "rollback" });
    s["rollback"] = json!({ "monitor": "1s" });
    node.create_service(s).await?;
    eventually("2 running", WAIT, || async {
        (node.running("hr", IMAGE_1).await.ok()? == 2).then_some(())
    })
    .await?;

    let out = node.shoalctl(&[
        "service",
        "update",
        "hr",
        "--health-cmd",
        "echo sick; exit 1",
        "--health-interval",
        "300ms",
        "--health-retries",
        "1",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a rolled back update must fail");
    assert!(
        stderr.contains("the update of hr was rolled back"),
        "{stderr}"
    );

    let svc = node.get("/v1/services/hr").await?;
    assert_eq!(svc["update_status"]["state"], "rollback_completed", "{svc}");
    let message = svc["update_status"]["message"].as_str().unwrap();
    assert!(message.contains("container unhealthy: sick"), "{message}");
    assert!(svc["spec"]["task"]["container"]["healthcheck"].is_null());
    let tasks = node.tasks("hr", false).await?;
    let running: Vec<&Value> = tasks
        .iter()
        .filter(|t| t["status"]["state"] == "running" && t["desired_state"] == "running")
        .collect();
    assert_eq!(running.len(), 2, "{tasks:?}");
    assert!(
        running
            .iter()
            .all(|t| t["spec"]["container"]["healthcheck"].is_null())
    );
    Ok(())
}

/// Containers of `service` that run and are not waiting for or failing their health check.
fn serving(service: &str) -> usize {
    let out = std::process::Command::new("docker")
        .args([
            "ps",
            "--filter",
            &format!("label=shoal.service.name={service}"),
            "--format",
            "{{.Status}}",
        ])
        .output()
        .expect("docker ps");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|status| !status.contains("health: starting") && !status.contains("unhealthy"))
        .count()
}

#[tokio::test]
async fn start_first_keeps_every_replica_serving_while_new_tasks_get_healthy() -> anyhow::Result<()>
{
    let node = Shoald::start("startfirst").await?;
    let name = format!("sf{}", std::process::id());
    let mut s = spec(&name, IMAGE_1, 2);
    s["task"]["container"]["command"] = looping("");
    s["update"] = json!({ "order": "start-first", "monitor": "1s" });
    node.create_service(s).await?;
    eventually("2 running", WAIT, || async {
        (node.running(&name, IMAGE_1).await.ok()? == 2).then_some(())
    })
    .await?;
    assert_eq!(serving(&name), 2);

    // New tasks take two seconds to become healthy.
    let out = node.shoalctl(&[
        "service",
        "update",
        &name,
        "--detach",
        "--command",
        "/bin/sh",
        "--command",
        "-c",
        "--args",
        "trap 'exit 0' TERM; sleep 2; touch /ready; while true; do sleep 1 & wait $!; done",
        "--health-cmd",
        "test -f /ready",
        "--health-interval",
        "300ms",
        "--health-start-period",
        "30s",
    ]);
    ok(&out);
    let mut samples = 0;
    let mut lowest = usize::MAX;
    eventually("the update to complete", WAIT, || {
        let n = serving(&name);
        samples += 1;
        lowest = lowest.min(n);
        let node = &node;
        let name = name.clone();
        async move {
            let svc = node.get(&format!("/v1/services/{name}")).await.ok()?;
            (svc["update_status"]["state"] == "completed").then_some(())
        }
    })
    .await?;
    assert!(
        samples > 10,
        "the update was watched throughout ({samples} samples)"
    );
    assert!(
        lowest >= 2,
        "only {lowest} containers served during the update"
    );
    let tasks = node.tasks(&name, false).await?;
    let new_running = tasks
        .iter()
        .filter(|t| {
            t["status"]["state"] == "running" && !t["spec"]["container"]["healthcheck"].is_null()
        })
        .count();
    assert_eq!(new_running, 2, "{tasks:?}");
    assert_eq!(serving(&name), 2);
    Ok(())
}
