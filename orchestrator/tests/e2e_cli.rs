//! `shoalctl` against a real `shoald` over its unix control socket.

mod common;

use common::*;

fn ok(out: &std::process::Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "shoalctl failed: {}\nstdout: {stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[tokio::test]
async fn shoalctl_drives_a_service_through_its_life() -> anyhow::Result<()> {
    let node = Shoald::start("cli").await?;

    let nodes = ok(&node.shoalctl(&["node", "ls"]));
    assert!(
        nodes.contains(&node.hostname) && nodes.contains("Leader") && nodes.contains("Ready"),
        "{nodes}"
    );
    let cluster: serde_json::Value =
        serde_json::from_str(&ok(&node.shoalctl(&["cluster", "inspect", "-o", "json"])))?;
    assert!(
        cluster["join_tokens"]["worker"]
            .as_str()
            .unwrap()
            .starts_with("SWMTKN-1-")
    );

    // --command/--args take one element each, values may start with '-'.
    ok(&node.shoalctl(&[
        "service",
        "create",
        "--name",
        "cli",
        "--image",
        IMAGE_1,
        "--replicas",
        "2",
        "--command",
        "/bin/sh",
        "--command",
        "-c",
        "--args",
        "trap 'exit 0' TERM; echo -n hi; while true; do sleep 1 & wait $!; done",
        "--env",
        "A=1",
        "--stop-grace-period",
        "3s",
    ]));
    let svc: serde_json::Value = serde_json::from_str(&ok(
        &node.shoalctl(&["service", "inspect", "cli", "-o", "json"])
    ))?;
    assert_eq!(
        svc["spec"]["task"]["container"]["command"],
        serde_json::json!(["/bin/sh", "-c"])
    );
    assert_eq!(
        svc["spec"]["task"]["container"]["env"],
        serde_json::json!(["A=1"])
    );
    assert_eq!(svc["spec"]["task"]["container"]["stop_grace_period"], "3s");

    let ls = ok(&node.shoalctl(&["service", "ls"]));
    assert!(
        ls.lines().any(|l| l.contains("cli") && l.contains("2/2")),
        "{ls}"
    );
    let ps = ok(&node.shoalctl(&["service", "ps", "cli"]));
    assert_eq!(
        ps.lines().filter(|l| l.contains("Running")).count(),
        2,
        "{ps}"
    );
    assert!(ps.contains("cli.1") && ps.contains("cli.2"), "{ps}");

    ok(&node.shoalctl(&["service", "scale", "cli=3"]));
    assert_eq!(node.running("cli", IMAGE_1).await?, 3);
    ok(&node.shoalctl(&[
        "service",
        "update",
        "cli",
        "--image",
        IMAGE_2,
        "--update-parallelism",
        "0",
    ]));
    assert_eq!(node.running("cli", IMAGE_2).await?, 3);
    let tasks: serde_json::Value = serde_json::from_str(&ok(&node.shoalctl(&[
        "task",
        "ls",
        "--service",
        "cli",
        "-o",
        "json",
    ])))?;
    assert_eq!(tasks.as_array().unwrap().len(), 3);

    let bad = node.shoalctl(&[
        "service",
        "create",
        "--name",
        "x",
        "--image",
        IMAGE_1,
        "--replicas",
        "-1",
    ]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("replicas must be >= 0"));
    let dup = node.shoalctl(&[
        "service", "create", "--name", "cli", "--image", IMAGE_1, "-d",
    ]);
    assert_eq!(dup.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&dup.stderr).contains("already exists"));

    ok(&node.shoalctl(&["service", "rm", "cli"]));
    eventually(
        "containers gone",
        std::time::Duration::from_secs(30),
        || async { node.containers().is_empty().then_some(()) },
    )
    .await?;
    let missing = node.shoalctl(&["service", "inspect", "cli"]);
    assert_eq!(missing.status.code(), Some(1));
    Ok(())
}
