//! `shoalctl service logs` on a real manager and worker running real containers: output from
//! both nodes comes through the manager, prefixed with task and node, stderr to stderr;
//! `--tail`, `--since` and `--timestamps` shape it; `--follow` streams new lines and picks
//! up the tasks an update starts; bad flags and query parameters are refused by name.

mod common;

use anyhow::{Result, bail};
use common::*;
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;
use tokio::sync::mpsc;

const WAIT: Duration = Duration::from_secs(60);

/// A service whose tasks count on stdout and on stderr, a line a second each.
fn chatty(name: &str, replicas: u64) -> serde_json::Value {
    let mut s = spec(name, IMAGE_1, replicas);
    s["task"]["container"]["command"] = json!([
        "/bin/sh",
        "-c",
        "i=0; while true; do echo \"line $i\"; echo \"oops $i\" >&2; i=$((i+1)); sleep 1; done"
    ]);
    s["task"]["placement"] = json!({ "max_replicas_per_node": 1 });
    s
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn logs_come_from_every_node_named_by_task_and_node() -> Result<()> {
    let (manager, worker) = Shoald::manager_and_worker("logs").await?;
    manager.create_service(chatty("chatty", 2)).await?;
    let hosts = [manager.hostname.clone(), worker.hostname.clone()];
    // Both tasks have written a few lines, one on each node.
    let out = eventually("3 lines from each node", WAIT, || async {
        let out = manager.shoalctl(&["service", "logs", "chatty"]);
        let stdout = text(&out.stdout);
        hosts
            .iter()
            .all(|h| stdout.contains(&format!("@{h} | line 2")))
            .then_some(out)
    })
    .await?;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for line in stdout.lines() {
        let (prefix, rest) = line.split_once(" | ").expect("a prefixed line");
        assert!(
            rest.starts_with("line "),
            "stdout carries stdout only: {line}"
        );
        let (task, host) = prefix.split_once('@').expect("task@node");
        assert!(task == "chatty.1" || task == "chatty.2", "{line}");
        assert!(hosts.contains(&host.to_string()), "{line}");
    }
    let stderr = text(&out.stderr);
    for h in &hosts {
        assert!(stderr.contains(&format!("@{h} | oops 0")), "{stderr}");
    }

    // --tail 1: the last line of each task, stdout and stderr together.
    let out = manager.shoalctl(&["service", "logs", "chatty", "--tail", "1"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines = text(&out.stdout).lines().count() + text(&out.stderr).lines().count();
    assert_eq!(lines, 2, "{}{}", text(&out.stdout), text(&out.stderr));

    // --timestamps puts Docker's time first.
    let out = manager.shoalctl(&["service", "logs", "chatty", "--tail", "2", "-t"]);
    for line in text(&out.stdout).lines() {
        let (time, _) = line.split_once(' ').expect("a timestamp");
        assert!(
            time.len() >= 20 && time.ends_with('Z') && time.contains('T'),
            "{line}"
        );
    }

    // --since a time to come: nothing yet.
    let out = manager.shoalctl(&[
        "service",
        "logs",
        "chatty",
        "--since",
        "2037-01-01T00:00:00Z",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "");

    // One task alone, named by a prefix of its id.
    let tasks = manager.tasks("chatty", false).await?;
    let one = &tasks[0];
    let slot = one["slot"].as_u64().expect("a slot");
    let prefix = &one["id"].as_str().expect("an id")[..8];
    let out = manager.shoalctl(&["service", "logs", prefix]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.lines().count() >= 3, "{stdout}");
    for line in stdout.lines() {
        assert!(line.starts_with(&format!("chatty.{slot}@")), "{line}");
    }

    // Bad input is refused by name, on the CLI and on the API.
    let out = manager.shoalctl(&["service", "logs", "chatty", "--tail", "-2"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--tail"),
        "{}",
        text(&out.stderr)
    );
    let out = manager.shoalctl(&["service", "logs", "chatty", "--since", "yesterday"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--since"),
        "{}",
        text(&out.stderr)
    );
    let out = manager.shoalctl(&["service", "logs", "nosuch"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no service or task \"nosuch\""),
        "{}",
        text(&out.stderr)
    );
    let client = manager.client().expect("the manager's client");
    let r = client
        .get(manager.url("/v1/services/chatty/logs?task=nosuch"))
        .send()
        .await?;
    assert_eq!(r.status(), 404);
    let body: serde_json::Value = r.json().await?;
    assert_eq!(body["error"]["field"], "task", "{body}");
    for (query, field) in [
        ("tail=x", "tail"),
        ("since=-1", "since"),
        ("follow=maybe", "follow"),
    ] {
        let r = client
            .get(manager.url(&format!("/v1/services/chatty/logs?{query}")))
            .send()
            .await?;
        assert_eq!(r.status(), 400, "{query}");
        let body: serde_json::Value = r.json().await?;
        assert_eq!(body["error"]["field"], field, "{body}");
    }
    Ok(())
}

#[tokio::test]
async fn follow_streams_new_lines_and_the_tasks_an_update_starts() -> Result<()> {
    let (manager, worker) = Shoald::manager_and_worker("logsf").await?;
    manager.create_service(chatty("follow", 2)).await?;
    eventually("2 running", WAIT, || async {
        (manager.running("follow", IMAGE_1).await.ok()? == 2).then_some(())
    })
    .await?;
    let mut child = Command::new(shoalctl_exe())
        .args(["-H", &format!("unix://{}", manager.socket().display())])
        .args(["service", "logs", "follow", "-f", "--tail", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = child.stdout.take().expect("piped");
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut next = async || -> Result<String> {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(line)) => Ok(line),
            Ok(None) => bail!("shoalctl service logs -f ended"),
            Err(_) => bail!("no line in time"),
        }
    };
    // New lines from both nodes keep coming.
    let mut from = std::collections::HashSet::new();
    while from.len() < 2 {
        let line = next().await?;
        from.insert(
            line.split_once(" | ")
                .map(|x| x.0.to_string())
                .unwrap_or(line),
        );
    }
    // An update replaces both tasks; their first lines arrive on the same stream.
    let out = manager.shoalctl(&["service", "update", "follow", "--force", "-d"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut firsts = std::collections::HashSet::new();
    while firsts.len() < 2 {
        let line = next().await?;
        if line.ends_with("| line 0") {
            firsts.insert(line);
        }
    }
    let hosts: std::collections::HashSet<String> = firsts
        .iter()
        .filter_map(|l| Some(l.split_once('@')?.1.split_once(' ')?.0.to_string()))
        .collect();
    let expected: std::collections::HashSet<String> =
        [manager.hostname.clone(), worker.hostname.clone()].into();
    assert_eq!(hosts, expected, "{firsts:?}");
    child.kill()?;
    child.wait()?;
    Ok(())
}

#[tokio::test]
async fn a_follower_relays_the_logs_from_the_leader() -> Result<()> {
    let m = Shoald::three_managers("logsm").await?;
    m[0].create_service(chatty("relayed", 3)).await?;
    // Ask the two that joined: at least one of them follows.
    for follower in &m[1..] {
        eventually("3 tasks' lines through a follower", WAIT, || async {
            let out = follower.shoalctl(&["service", "logs", "relayed"]);
            let stdout = text(&out.stdout);
            (1..=3)
                .all(|slot| stdout.contains(&format!("relayed.{slot}@")))
                .then_some(())
        })
        .await?;
    }
    Ok(())
}
