//! The deploy/ compose file for real: 3 managers and 2 workers as containers on a private
//! Docker network, from an image built offline, joined over mutual TLS. Then a real network
//! fault: the leader is disconnected from the network. It must refuse promptly with "no
//! quorum", the majority must elect a leader and accept writes, and after the partition heals
//! every acknowledged write is there on every manager.

mod common;

use anyhow::{Context, Result, bail};
use common::*;
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(90);
const IMAGE: &str = "shoal:e2e";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A compose project that is torn down, with the containers its nodes started, when dropped.
struct Project {
    name: String,
}

impl Project {
    fn compose(&self, args: &[&str]) -> Output {
        Command::new("docker-compose")
            .current_dir(repo().join("deploy"))
            .args(["-p", &self.name, "-f", "docker-compose.yml"])
            .args(args)
            .env("SHOAL_IMAGE", IMAGE)
            .env("SHOAL_PORT", "0")
            .output()
            .expect("run docker-compose")
    }

    fn container(&self, service: &str) -> String {
        format!("{}_{service}_1", self.name)
    }

    fn network(&self) -> String {
        format!("{}_shoal", self.name)
    }

    /// shoalctl inside a node's container, on its control socket.
    fn ctl(&self, service: &str, args: &[&str]) -> Output {
        Command::new("docker")
            .args(["exec", &self.container(service), "shoalctl"])
            .args(args)
            .output()
            .expect("docker exec")
    }

    fn json(&self, service: &str, args: &[&str]) -> Result<Value> {
        let mut all = args.to_vec();
        all.extend(["-o", "json"]);
        let out = self.ctl(service, &all);
        if !out.status.success() {
            bail!("{}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(serde_json::from_slice(&out.stdout)?)
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let nodes = self.json("m2", &["node", "ls"]).ok();
        let _ = self.compose(&["down", "-v", "-t", "1"]);
        for id in nodes
            .iter()
            .flat_map(|n| n.as_array().cloned().unwrap_or_default())
        {
            let filter = format!("label=shoal.node.id={}", id["id"].as_str().unwrap_or("-"));
            let ids: Vec<String> = docker_ps(&filter).into_iter().map(|c| c.0).collect();
            if !ids.is_empty() {
                let _ = Command::new("docker")
                    .args(["rm", "-f"])
                    .args(&ids)
                    .output();
            }
        }
    }
}

fn build_image() -> Result<()> {
    let bins = PathBuf::from(env!("CARGO_BIN_EXE_shoald"))
        .parent()
        .context("bin dir")?
        .to_path_buf();
    let out = Command::new(repo().join("deploy/image/build.sh"))
        .env("SHOAL_IMAGE", IMAGE)
        .env("SHOAL_BIN_DIR", bins)
        .output()?;
    if !out.status.success() {
        bail!(
            "image build failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

fn names(services: &Value) -> Vec<String> {
    services
        .as_array()
        .map(|l| {
            l.iter()
                .filter_map(|s| s["spec"]["name"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn compose_cluster_survives_a_partitioned_leader_without_losing_writes() -> Result<()> {
    ensure_images();
    build_image()?;
    let p = Project {
        name: format!("shoale2e{}", std::process::id()),
    };
    let up = p.compose(&["up", "-d"]);
    assert!(
        up.status.success(),
        "{}",
        String::from_utf8_lossy(&up.stderr)
    );

    // Five ready nodes, three of them voting managers, all joined with tokens over mTLS.
    let nodes = eventually("5 ready nodes, 3 reachable managers", WAIT, || async {
        let nodes = p.json("m1", &["node", "ls"]).ok()?;
        let list = nodes.as_array()?;
        let ready = list
            .iter()
            .filter(|n| n["status"]["state"] == "ready")
            .count();
        let managers = list
            .iter()
            .filter(|n| {
                n["role"] == "manager"
                    && matches!(
                        n["manager_status"]["reachability"].as_str(),
                        Some("reachable")
                    )
            })
            .count();
        (ready == 5 && managers == 3).then_some(nodes)
    })
    .await?;
    let leader = nodes
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["manager_status"]["leader"] == true)
        .and_then(|n| n["description"]["hostname"].as_str())
        .context("a leader")?
        .to_string();
    let majority: Vec<String> = ["m1", "m2", "m3"]
        .iter()
        .filter(|m| **m != leader)
        .map(|m| m.to_string())
        .collect();

    let mut acked = Vec::new();
    let create = |via: &str, name: &str, replicas: &str| {
        p.ctl(
            via,
            &[
                "service",
                "create",
                "--name",
                name,
                "--image",
                IMAGE_1,
                "--replicas",
                replicas,
                "--detach",
            ],
        )
    };
    let out = create(&leader, "before", "2");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    acked.push("before".to_string());

    // Cut the leader off the network.
    let cut = Command::new("docker")
        .args(["network", "disconnect", &p.network(), &p.container(&leader)])
        .status()?;
    assert!(cut.success());
    // It refuses, with a clear error rather than a hang, once it notices (within a second).
    let refused = eventually("the cut-off leader to refuse", WAIT, || async {
        let out = create(&leader, "refused", "0");
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        (!out.status.success() && (err.contains("no quorum") || err.contains("no leader")))
            .then_some(err)
    })
    .await?;
    assert!(!refused.contains("did not answer"), "{refused}");
    // The majority elects a leader and takes writes.
    eventually("the majority to accept a write", WAIT, || async {
        create(&majority[0], "during", "3")
            .status
            .success()
            .then_some(())
    })
    .await?;
    acked.push("during".to_string());
    let out = create(&majority[1], "during2", "1");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    acked.push("during2".to_string());
    eventually("the new service to run", WAIT, || async {
        let tasks = p.json(&majority[0], &["service", "ps", "during"]).ok()?;
        let running = tasks
            .as_array()?
            .iter()
            .filter(|t| t["status"]["state"] == "running")
            .count();
        (running == 3).then_some(())
    })
    .await?;

    // Heal the partition: the old leader catches up and every manager has every acked write.
    let heal = Command::new("docker")
        .args([
            "network",
            "connect",
            "--alias",
            &leader,
            &p.network(),
            &p.container(&leader),
        ])
        .status()?;
    assert!(heal.success());
    for m in ["m1", "m2", "m3"] {
        let seen = eventually(&format!("{m} to see every acked write"), WAIT, || async {
            let services = names(&p.json(m, &["service", "ls"]).ok()?);
            acked
                .iter()
                .all(|a| services.contains(a))
                .then_some(services)
        })
        .await?;
        assert!(!seen.contains(&"refused".to_string()), "{seen:?}");
    }
    eventually("3 reachable managers again", WAIT, || async {
        let nodes = p.json("m1", &["node", "ls"]).ok()?;
        let reachable = nodes
            .as_array()?
            .iter()
            .filter(|n| {
                matches!(
                    n["manager_status"]["reachability"].as_str(),
                    Some("reachable")
                )
            })
            .count();
        (reachable == 3).then_some(())
    })
    .await?;
    Ok(())
}
