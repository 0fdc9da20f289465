//! Container flags end to end: a service created with `shoalctl --user --workdir --hostname
//! --mount --stop-signal` runs a container that `docker inspect` shows with them, and Shoal
//! stops it with its stop signal (the trap writes to the bind mount). Bad mounts get a 400
//! naming the field.

mod common;

use common::*;
use serde_json::json;
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

#[tokio::test]
async fn user_workdir_hostname_mounts_and_stop_signal_reach_docker() -> anyhow::Result<()> {
    let node = Shoald::start("flags").await?;
    let host_dir = tempfile::tempdir()?;
    std::fs::set_permissions(host_dir.path(), std::fs::Permissions::from_mode(0o777))?;
    let volume = format!("shoal-e2e-{}", std::process::id());
    let bind = format!("type=bind,src={},dst=/out", host_dir.path().display());
    let vol = format!("type=volume,src={volume},dst=/data,readonly");
    let out = node.shoalctl(&[
        "service",
        "create",
        "--name",
        "flags",
        "--image",
        IMAGE_1,
        "--user",
        "1000:1000",
        "--workdir",
        "/work",
        "--hostname",
        "box-1",
        "--mount",
        &bind,
        "--mount",
        &vol,
        "--stop-signal",
        "SIGUSR1",
        "--stop-grace-period",
        "20s",
        "--command",
        "/bin/sh",
        "--command",
        "-c",
        "--args",
        "trap 'id -u > /out/signal; echo usr1 >> /out/signal; exit 0' USR1; \
         while true; do sleep 1 & wait $!; done",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let task = eventually("running", WAIT, || async {
        let tasks = node.tasks("flags", false).await.ok()?;
        tasks
            .into_iter()
            .find(|t| t["status"]["state"] == "running")
    })
    .await?;
    let c = docker_inspect(task["status"]["container_id"].as_str().unwrap());
    assert_eq!(c["Config"]["User"], "1000:1000");
    assert_eq!(c["Config"]["WorkingDir"], "/work");
    assert_eq!(c["Config"]["Hostname"], "box-1");
    assert_eq!(c["Config"]["StopSignal"], "SIGUSR1");
    let mounts = c["Mounts"].as_array().unwrap();
    let find = |dst: &str| {
        mounts
            .iter()
            .find(|m| m["Destination"] == dst)
            .unwrap_or_else(|| panic!("no mount at {dst}: {mounts:?}"))
    };
    assert_eq!(find("/out")["Type"], "bind");
    assert_eq!(
        find("/out")["Source"],
        host_dir.path().display().to_string()
    );
    assert_eq!(find("/out")["RW"], true);
    assert_eq!(find("/data")["Type"], "volume");
    assert_eq!(find("/data")["Name"], volume.as_str());
    assert_eq!(find("/data")["RW"], false);

    // Scaling to zero stops it with SIGUSR1 (SIGTERM would be ignored by this shell and
    // the stop would wait the 20 s grace period, then kill it without running the trap).
    node.update_service("flags", |s| s["mode"]["replicated"]["replicas"] = 0.into())
        .await?;
    let signal = host_dir.path().join("signal");
    let written = eventually("the stop signal's trap to write", WAIT, || async {
        let text = std::fs::read_to_string(&signal).ok()?;
        text.contains("usr1").then_some(text)
    })
    .await?;
    assert_eq!(written, "1000\nusr1\n", "it ran as user 1000");
    eventually("the container to be gone", WAIT, || async {
        node.containers().is_empty().then_some(())
    })
    .await?;
    let _ = std::process::Command::new("docker")
        .args(["volume", "rm", &volume])
        .output();
    Ok(())
}

#[tokio::test]
async fn bad_container_fields_get_a_400_naming_the_field() -> anyhow::Result<()> {
    let node = Shoald::start("badflags").await?;
    for (field, value, path) in [
        (
            "mounts",
            json!([{ "type": "bind", "source": "relative", "target": "/x" }]),
            "spec.task.container.mounts[0].source",
        ),
        (
            "mounts",
            json!([{ "type": "volume", "source": "v", "target": "x" }]),
            "spec.task.container.mounts[0].target",
        ),
        (
            "stop_signal",
            json!("SIGNOPE"),
            "spec.task.container.stop_signal",
        ),
        ("workdir", json!("relative"), "spec.task.container.workdir"),
        (
            "hostname",
            json!("bad_host"),
            "spec.task.container.hostname",
        ),
    ] {
        let mut s = spec("bad", IMAGE_1, 1);
        s["task"]["container"][field] = value;
        let (status, body) = node
            .call(reqwest::Method::POST, "/v1/services", Some(s.to_string()))
            .await?;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"]["field"], path, "{body}");
    }
    let mut s = spec("bad", IMAGE_1, 1);
    s["rollback"] = json!({ "failure_action": "rollback" });
    let (status, body) = node
        .call(reqwest::Method::POST, "/v1/services", Some(s.to_string()))
        .await?;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["field"], "spec.rollback.failure_action");
    Ok(())
}
