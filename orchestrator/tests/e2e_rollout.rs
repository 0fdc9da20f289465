//! Rolling updates that fail, and rollbacks, on a real `shoald` and real Docker, driven with
//! `shoalctl`: a failing update pauses and names the task; failure action rollback returns
//! to the old spec; `service rollback` and `service update --force` do what they say.

mod common;

use common::*;
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(90);

fn run(out: &std::process::Output) -> (bool, String, String) {
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn ok(out: &std::process::Output) -> String {
    let (success, stdout, stderr) = run(out);
    assert!(success, "shoalctl failed: {stderr}\nstdout: {stdout}");
    stdout
}

/// A spec with short monitor periods, so failures are judged quickly.
fn quick_spec(name: &str, replicas: u64) -> Value {
    let mut s = spec(name, IMAGE_1, replicas);
    s["update"] = json!({ "monitor": "2s" });
    s["rollback"] = json!({ "monitor": "1s" });
    s
}

async fn service(node: &Shoald, name: &str) -> Value {
    node.get(&format!("/v1/services/{name}")).await.unwrap()
}

/// Running tasks whose container command is `command` (`null`: the image's).
async fn running_with_command(node: &Shoald, name: &str, command: &Value) -> usize {
    node.tasks(name, false)
        .await
        .unwrap_or_default()
        .iter()
        .filter(|t| {
            t["status"]["state"] == "running"
                && t["desired_state"] == "running"
                && &t["spec"]["container"]["command"] == command
        })
        .count()
}

#[tokio::test]
async fn a_failing_update_pauses_names_the_task_and_resumes_on_the_next_update()
-> anyhow::Result<()> {
    let node = Shoald::start("pause").await?;
    node.create_service(quick_spec("pz", 3)).await?;
    eventually("3 running", WAIT, || async {
        (node.running("pz", IMAGE_1).await.ok()? == 3).then_some(())
    })
    .await?;

    // The new command exits at once: the first new task fails and the update pauses.
    let (success, _, stderr) = run(&node.shoalctl(&[
        "service",
        "update",
        "pz",
        "--command",
        "/bin/sh",
        "--command",
        "-c",
        "--args",
        "exit 3",
    ]));
    assert!(!success, "a paused update must fail the command");
    assert!(stderr.contains("the update of pz is paused"), "{stderr}");

    let svc = service(&node, "pz").await;
    let status = &svc["update_status"];
    assert_eq!(status["state"], "paused", "{svc}");
    let message = status["message"].as_str().unwrap();
    assert!(message.contains("non-zero exit (3)"), "{message}");
    // The message names the failed task as `<service>.<slot>.<task-id>`, a task of the new spec.
    let history = node.tasks("pz", true).await?;
    let failed = history
        .iter()
        .find(|t| {
            let name = format!("pz.{}.{}", t["slot"], t["id"].as_str().unwrap());
            message.contains(&name)
        })
        .unwrap_or_else(|| panic!("no task named in {message:?}"));
    assert_eq!(failed["spec"]["container"]["args"], json!(["exit 3"]));
    assert_eq!(failed["status"]["state"], "failed");
    // Parallelism 1: a new task that runs counts as updated, so a second slot may have been
    // started before the first failed (as in SwarmKit); the pause keeps the last one old.
    assert!(running_with_command(&node, "pz", &Value::Null).await >= 1);
    let ps = ok(&node.shoalctl(&["service", "ps", "pz"]));
    assert!(ps.contains("non-zero exit (3)"), "{ps}");

    // The next update resumes the rollout, with a good command this time.
    ok(&node.shoalctl(&[
        "service",
        "update",
        "pz",
        "--command",
        "/bin/sh",
        "--command",
        "-c",
        "--args",
        "trap 'exit 0' TERM; while true; do sleep 1 & wait $!; done",
    ]));
    let svc = service(&node, "pz").await;
    assert_eq!(svc["update_status"]["state"], "completed", "{svc}");
    let good = json!(["/bin/sh", "-c"]);
    assert_eq!(running_with_command(&node, "pz", &good).await, 3);
    assert_eq!(node.running_containers().len(), 3);
    Ok(())
}

#[tokio::test]
async fn failure_action_rollback_returns_to_the_old_spec() -> anyhow::Result<()> {
    let node = Shoald::start("autoroll").await?;
    let mut s = quick_spec("ar", 2);
    s["update"]["failure_action"] = json!("rollback");
    node.create_service(s).await?;
    eventually("2 running", WAIT, || async {
        (node.running("ar", IMAGE_1).await.ok()? == 2).then_some(())
    })
    .await?;

    let (success, _, stderr) = run(&node.shoalctl(&[
        "service",
        "update",
        "ar",
        "--image",
        IMAGE_2,
        "--command",
        "/bin/false",
    ]));
    assert!(!success, "a rolled back update must fail the command");
    assert!(
        stderr.contains("the update of ar was rolled back"),
        "{stderr}"
    );

    let svc = service(&node, "ar").await;
    assert_eq!(svc["update_status"]["state"], "rollback_completed", "{svc}");
    assert!(
        svc["update_status"]["message"]
            .as_str()
            .unwrap()
            .starts_with("update rolled back due to failure or early termination of task ar."),
        "{svc}"
    );
    assert_eq!(svc["spec"]["task"]["container"]["image"], IMAGE_1);
    assert!(svc["spec"]["task"]["container"].get("command").is_none());
    assert!(svc.get("previous_spec").is_none());
    assert_eq!(node.running("ar", IMAGE_1).await?, 2);
    let containers = node.running_containers();
    assert_eq!(containers.len(), 2, "{containers:?}");
    assert!(containers.iter().all(|c| c.2 == IMAGE_1), "{containers:?}");
    Ok(())
}

#[tokio::test]
async fn service_rollback_and_forced_updates() -> anyhow::Result<()> {
    let node = Shoald::start("rollback").await?;
    node.create_service(quick_spec("rb", 2)).await?;
    eventually("2 running", WAIT, || async {
        (node.running("rb", IMAGE_1).await.ok()? == 2).then_some(())
    })
    .await?;
    // Nothing to roll back to yet: a clear 400, and shoalctl says so.
    let (status, body) = node
        .call(reqwest::Method::POST, "/v1/services/rb/rollback", None)
        .await?;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no previous spec")
    );

    ok(&node.shoalctl(&["service", "update", "rb", "--image", IMAGE_2]));
    assert_eq!(node.running("rb", IMAGE_2).await?, 2);

    let out = ok(&node.shoalctl(&["service", "rollback", "rb"]));
    assert!(out.contains("verify: Service converged"), "{out}");
    let svc = service(&node, "rb").await;
    assert_eq!(svc["update_status"]["state"], "rollback_completed", "{svc}");
    assert_eq!(svc["update_status"]["message"], "rollback completed");
    assert_eq!(svc["spec"]["task"]["container"]["image"], IMAGE_1);
    assert_eq!(node.running("rb", IMAGE_1).await?, 2);
    assert!(node.running_containers().iter().all(|c| c.2 == IMAGE_1));
    let (success, _, stderr) = run(&node.shoalctl(&["service", "rollback", "rb"]));
    assert!(!success && stderr.contains("no previous spec"), "{stderr}");

    // --force replaces every task of an unchanged spec.
    let before: Vec<Value> = node
        .tasks("rb", false)
        .await?
        .iter()
        .map(|t| t["id"].clone())
        .collect();
    ok(&node.shoalctl(&["service", "update", "rb", "--force"]));
    let svc = service(&node, "rb").await;
    assert_eq!(svc["update_status"]["state"], "completed", "{svc}");
    assert_eq!(svc["spec"]["task"]["force_update"], 1);
    let after: Vec<Value> = node
        .tasks("rb", false)
        .await?
        .iter()
        .filter(|t| t["status"]["state"] == "running")
        .map(|t| t["id"].clone())
        .collect();
    assert_eq!(after.len(), 2);
    assert!(
        after.iter().all(|id| !before.contains(id)),
        "{before:?} {after:?}"
    );
    Ok(())
}
