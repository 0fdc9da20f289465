//! Compose files as people write them, deployed with `shoalctl stack deploy` against a real
//! `shoald`: `${VAR:-default}` interpolation from the environment and a `.env` file, and an
//! `env_file`, checked in the containers' environment with `docker inspect`; a missing
//! required variable refused with file:line:col and nothing deployed; and
//! `node.platform.os` constraints that place tasks (`linux`) or leave them pending with the
//! reason (`windows`).

mod common;

use common::*;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

/// `shoalctl stack deploy -c FILE NAME` with `env` set for it.
fn deploy(node: &Shoald, file: &Path, stack: &str, env: &[(&str, &str)]) -> Output {
    Command::new(shoalctl_exe())
        .args(["-H", &format!("unix://{}", node.socket().display())])
        .args(["stack", "deploy", "-c", file.to_str().unwrap(), stack])
        .envs(env.iter().copied())
        .output()
        .expect("run shoalctl (build it with `cargo build --workspace`)")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

async fn service_names(node: &Shoald) -> Vec<String> {
    let list = node.get("/v1/services").await.expect("list services");
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["spec"]["name"].as_str().map(str::to_string))
        .collect()
}

const STACK: &str = "\
services:
  grafana:
    image: shoal-demo:${TAG:-1}
    env_file: grafana.env
    environment:
      - GF_SECURITY_ADMIN_USER=${ADMIN_USER:-admin}
      - GF_SECURITY_ADMIN_PASSWORD=${ADMIN_PASSWORD:-admin}
      - PRICE=$$5
      - SHARED=from_environment
      - REGION=${REGION}
    stop_grace_period: 2s
    deploy:
      replicas: ${REPLICAS:-1}
";

#[tokio::test]
async fn variables_dotenv_and_env_file_reach_the_container() -> anyhow::Result<()> {
    ensure_images();
    let node = Shoald::start("stv-vars").await?;
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("compose.yml");
    std::fs::write(&file, STACK)?;
    std::fs::write(
        dir.path().join(".env"),
        "# defaults\nREGION=from_dotenv\nADMIN_PASSWORD='s3cret # kept'\nREPLICAS=2\n",
    )?;
    std::fs::write(
        dir.path().join("grafana.env"),
        "GF_PATHS_DATA=/var/lib/grafana\nSHARED=from_env_file\n",
    )?;

    // The environment wins over .env (REPLICAS), .env fills in the rest (REGION).
    let out = deploy(
        &node,
        &file,
        "mon",
        &[("REPLICAS", "1"), ("ADMIN_USER", "ops")],
    );
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stderr),
        text(&out.stdout)
    );
    eventually("mon_grafana running", WAIT, || async {
        (node.running("mon_grafana", IMAGE_1).await.ok()? == 1).then_some(())
    })
    .await?;
    let (id, ..) = node
        .running_containers()
        .into_iter()
        .next()
        .expect("a running container");
    let inspect = docker_inspect(&id);
    let env: Vec<String> = inspect["Config"]["Env"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e.as_str().map(str::to_string))
        .collect();
    for wanted in [
        "GF_SECURITY_ADMIN_USER=ops",
        "GF_SECURITY_ADMIN_PASSWORD=s3cret # kept",
        "PRICE=$5",
        "SHARED=from_environment",
        "REGION=from_dotenv",
        "GF_PATHS_DATA=/var/lib/grafana",
    ] {
        assert!(env.iter().any(|e| e == wanted), "{wanted} not in {env:?}");
    }
    assert!(!env.iter().any(|e| e.contains("${")), "{env:?}");

    // A missing required variable: refused at its place, nothing deployed.
    let required = STACK.replace("${TAG:-1}", "${TAG:?set TAG to the release}");
    let other = dir.path().join("required.yml");
    std::fs::write(&other, required)?;
    let out = deploy(&node, &other, "req", &[]);
    assert!(!out.status.success(), "{}", text(&out.stdout));
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!(
            "{}:3:12: services.grafana.image: required variable TAG is missing a value: set TAG \
             to the release",
            other.display()
        )),
        "{err}"
    );
    assert!(err.contains("nothing was deployed"), "{err}");

    // A missing env_file is named.
    std::fs::remove_file(dir.path().join("grafana.env"))?;
    let out = deploy(&node, &file, "nofile", &[]);
    let err = text(&out.stderr);
    assert!(
        !out.status.success() && err.contains("grafana.env"),
        "{err}"
    );
    assert_eq!(service_names(&node).await, ["mon_grafana"]);
    Ok(())
}

#[tokio::test]
async fn platform_constraints_place_tasks_or_say_why_not() -> anyhow::Result<()> {
    ensure_images();
    let node = Shoald::start("stv-plat").await?;
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("compose.yml");
    std::fs::write(
        &file,
        "\
services:
  agent:
    image: shoal-demo:1
    stop_grace_period: 2s
    deploy:
      placement:
        constraints: [node.platform.os == linux, node.platform.arch != s390x]
  win:
    image: shoal-demo:1
    stop_grace_period: 2s
    deploy:
      placement:
        constraints: [node.platform.os == windows]
",
    )?;
    let out = Command::new(shoalctl_exe())
        .args(["-H", &format!("unix://{}", node.socket().display())])
        .args([
            "stack",
            "deploy",
            "-d",
            "-c",
            file.to_str().unwrap(),
            "plat",
        ])
        .output()?;
    assert!(out.status.success(), "{}", text(&out.stderr));
    eventually("plat_agent running", WAIT, || async {
        (node.running("plat_agent", IMAGE_1).await.ok()? == 1).then_some(())
    })
    .await?;
    let why = eventually("plat_win pending with a reason", WAIT, || async {
        let tasks = node.tasks("plat_win", false).await.ok()?;
        let task = tasks.first()?;
        let message = task["status"]["message"].as_str()?.to_string();
        (task["status"]["state"] == "pending" && message.contains("node.platform.os==windows"))
            .then_some(message)
    })
    .await?;
    assert!(why.contains("no suitable node"), "{why}");

    // node inspect shows the platform the engine reported.
    let out = node.shoalctl(&["node", "ls", "-o", "json"]);
    let nodes: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(
        nodes[0]["description"]["platform"]["os"], "linux",
        "{nodes}"
    );
    let arch = nodes[0]["description"]["platform"]["architecture"]
        .as_str()
        .unwrap_or_default();
    assert!(!arch.is_empty(), "{nodes}");
    let id = nodes[0]["id"].as_str().unwrap_or_default();
    let pretty = text(&node.shoalctl(&["node", "inspect", id]).stdout);
    assert!(pretty.contains("Operating System:   linux"), "{pretty}");
    Ok(())
}
