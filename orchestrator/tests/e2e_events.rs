//! `GET /v1/events` and `shoalctl events` on a real shoald: a service's create, update and
//! remove arrive as lines on both, the unfiltered stream carries its task changes too, and
//! `--filter type=service` keeps those out; a follower serves the stream from its own store.
//! Bad filters and unknown query parameters are refused with a message naming them.

mod common;

use anyhow::{Context, Result, bail};
use common::*;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

const WAIT: Duration = Duration::from_secs(60);

/// Lines arriving from a stream, each parsed as JSON.
type Lines = mpsc::UnboundedReceiver<Value>;

/// Reads lines until one satisfies `done`, returning every line read; gives up at `deadline`.
async fn read_until(
    rx: &mut Lines,
    what: &str,
    deadline: Instant,
    mut done: impl FnMut(&Value) -> bool,
) -> Result<Vec<Value>> {
    let mut seen = Vec::new();
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Err(_) => bail!("gave up waiting for {what}; lines so far: {seen:#?}"),
            Ok(None) => bail!("the stream ended before {what}; lines so far: {seen:#?}"),
            Ok(Some(line)) => {
                let hit = done(&line);
                seen.push(line);
                if hit {
                    return Ok(seen);
                }
            }
        }
    }
}

fn is(line: &Value, kind: &str, action: &str, name: &str) -> bool {
    line["type"] == kind && line["action"] == action && line["name"] == name
}

/// The HTTP stream as lines; subscribed once this returns (the headers came back).
async fn http_events(node: &Shoald, query: &str) -> Result<Lines> {
    let client = node.client().context("the manager's client")?;
    let mut response = client
        .get(node.url(&format!("/v1/events{query}")))
        .send()
        .await?;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/x-ndjson");
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut pending = Vec::new();
        while let Ok(Some(chunk)) = response.chunk().await {
            pending.extend_from_slice(&chunk);
            while let Some(end) = pending.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = pending.drain(..=end).collect();
                let value = serde_json::from_slice(&line).unwrap_or(Value::Null);
                if tx.send(value).is_err() {
                    return;
                }
            }
        }
    });
    Ok(rx)
}

/// `shoalctl events ARGS -o json` as a child process, killed on drop.
struct CtlEvents {
    child: Child,
    lines: Lines,
}

impl CtlEvents {
    fn start(node: &Shoald, args: &[&str]) -> Result<CtlEvents> {
        let mut child = Command::new(shoalctl_exe())
            .args(["-H", &format!("unix://{}", node.socket().display())])
            .args(["events", "-o", "json"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("run shoalctl (build it with `cargo build --workspace`)")?;
        let stdout = child.stdout.take().context("shoalctl's stdout")?;
        let (tx, lines) = mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                let value = serde_json::from_str(&line).unwrap_or(Value::String(line));
                if tx.send(value).is_err() {
                    return;
                }
            }
        });
        Ok(CtlEvents { child, lines })
    }
}

trait WaitNow {
    /// Waits for the child to exit; its status and stderr.
    fn wait_with_output_now(&mut self) -> Result<(std::process::ExitStatus, String)>;
}

impl WaitNow for Child {
    fn wait_with_output_now(&mut self) -> Result<(std::process::ExitStatus, String)> {
        let mut err = String::new();
        if let Some(mut stderr) = self.stderr.take() {
            std::io::Read::read_to_string(&mut stderr, &mut err)?;
        }
        Ok((self.wait()?, err))
    }
}

impl Drop for CtlEvents {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// shoalctl subscribes some time after it starts: touches the service `ev-sync` (which must
/// exist) until a change of it shows.
async fn wait_subscribed(node: &Shoald, ctl: &mut CtlEvents) -> Result<()> {
    let deadline = Instant::now() + WAIT;
    let mut touches = 0;
    loop {
        touches += 1;
        node.update_service("ev-sync", |s| {
            s["labels"] = json!({ "touch": touches.to_string() })
        })
        .await?;
        let step = (Instant::now() + Duration::from_secs(1)).min(deadline);
        match read_until(&mut ctl.lines, "the sync service", step, |l| {
            is(l, "service", "update", "ev-sync")
        })
        .await
        {
            Ok(_) => return Ok(()),
            Err(e) if Instant::now() >= deadline => return Err(e),
            Err(_) => {}
        }
    }
}

#[tokio::test]
async fn service_changes_stream_over_http_and_shoalctl_with_type_filter() -> Result<()> {
    ensure_images();
    let node = Shoald::start("events").await?;
    let mut all = http_events(&node, "").await?;

    node.create_service(spec("ev-sync", IMAGE_1, 0)).await?;
    let mut ctl = CtlEvents::start(&node, &["--filter", "type=service"])?;
    wait_subscribed(&node, &mut ctl).await?;

    let created = node.create_service(spec("ev-web", IMAGE_1, 1)).await?;
    let id = created["id"].as_str().context("service id")?.to_string();
    // The unfiltered stream shows the service and, once it is placed, its task running.
    let seen = read_until(
        &mut all,
        "ev-web's task running",
        Instant::now() + WAIT,
        |l| {
            l["type"] == "task"
                && l["attributes"]["service"] == "ev-web"
                && l["attributes"]["state"] == "running"
        },
    )
    .await?;
    let create = seen
        .iter()
        .find(|l| is(l, "service", "create", "ev-web"))
        .context("the service create before its tasks")?;
    assert_eq!(create["id"], id.as_str());
    assert_eq!(create["attributes"]["image"], IMAGE_1);
    let task = seen.last().unwrap();
    assert!(
        task["name"]
            .as_str()
            .is_some_and(|n| n.starts_with("ev-web.1.")),
        "{task}"
    );
    assert_eq!(task["attributes"]["node"], node.node_id.as_str());

    node.update_service("ev-web", |s| s["mode"]["replicated"]["replicas"] = json!(2))
        .await?;
    let (status, _) = node
        .call(reqwest::Method::DELETE, "/v1/services/ev-web", None)
        .await?;
    assert_eq!(status, 204);

    let deadline = Instant::now() + WAIT;
    let lines = read_until(&mut ctl.lines, "ev-web's removal", deadline, |l| {
        is(l, "service", "remove", "ev-web")
    })
    .await?;
    for want in ["create", "update"] {
        let line = lines
            .iter()
            .find(|l| is(l, "service", want, "ev-web"))
            .with_context(|| format!("no {want} of ev-web in {lines:#?}"))?;
        assert_eq!(line["id"], id.as_str());
    }
    assert!(
        lines
            .iter()
            .any(|l| is(l, "service", "update", "ev-web") && l["attributes"]["replicas"] == "2"),
        "{lines:#?}"
    );
    // Tasks of ev-web changed all along (the unfiltered stream saw them); none got through.
    assert!(
        lines.iter().all(|l| l["type"] == "service"),
        "type=service let other lines through: {lines:#?}"
    );
    Ok(())
}

#[tokio::test]
async fn bad_filters_and_parameters_are_refused_by_name() -> Result<()> {
    let node = Shoald::start("events-bad").await?;
    let out = node.shoalctl(&["events", "--filter", "kind=service"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--filter \"kind=service\"") && err.contains("unknown filter \"kind\""),
        "{err}"
    );
    let out = node.shoalctl(&["events", "--filter", "type=secret"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown event type \"secret\""), "{err}");

    let (status, body) = node
        .call(reqwest::Method::GET, "/v1/events?type=secret", None)
        .await?;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["field"], "type", "{body}");
    let (status, body) = node
        .call(reqwest::Method::GET, "/v1/events?since=10m", None)
        .await?;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("since")),
        "{body}"
    );
    Ok(())
}

#[tokio::test]
async fn a_follower_streams_changes_from_its_own_store() -> Result<()> {
    let managers = Shoald::three_managers("evf").await?;
    let mut follower = None;
    for m in &managers {
        if m.get("/v1/version").await?["leader"] == false {
            follower = Some(m);
            break;
        }
    }
    let follower = follower.context("a manager that does not lead")?;
    let mut lines = http_events(follower, "?type=service").await?;
    let writer = managers
        .iter()
        .find(|m| !std::ptr::eq(*m, follower))
        .context("another manager")?;
    writer.create_service(spec("ev-far", IMAGE_1, 0)).await?;
    read_until(
        &mut lines,
        "ev-far's creation",
        Instant::now() + WAIT,
        |l| is(l, "service", "create", "ev-far"),
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn an_open_stream_does_not_hold_up_shutdown() -> Result<()> {
    let node = Shoald::start("events-stop").await?;
    node.create_service(spec("ev-sync", IMAGE_1, 0)).await?;
    let mut ctl = CtlEvents::start(&node, &[])?;
    wait_subscribed(&node, &mut ctl).await?;
    node.signal("TERM");
    // The unix server drains its connections before shoald exits: the stream must end.
    let deadline = Instant::now() + WAIT;
    loop {
        match tokio::time::timeout_at(deadline, ctl.lines.recv()).await {
            Err(_) => bail!("shoalctl events was still streaming {WAIT:?} after SIGTERM"),
            Ok(None) => break,
            Ok(Some(_)) => {}
        }
    }
    let out = ctl.child.wait_with_output_now()?;
    assert_eq!(out.0.code(), Some(1), "{}", out.1);
    assert!(
        out.1.contains("shoald closed the event stream"),
        "{}",
        out.1
    );
    Ok(())
}

#[tokio::test]
async fn ctrl_c_ends_shoalctl_events_quietly() -> Result<()> {
    let node = Shoald::start("events-int").await?;
    node.create_service(spec("ev-sync", IMAGE_1, 0)).await?;
    let mut ctl = CtlEvents::start(&node, &[])?;
    wait_subscribed(&node, &mut ctl).await?;
    let pid = ctl.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()?
            .success()
    );
    let child = &mut ctl.child;
    eventually("shoalctl events to exit on SIGINT", WAIT, || {
        let exited = matches!(child.try_wait(), Ok(Some(_)));
        async move { exited.then_some(()) }
    })
    .await?;
    let (status, stderr) = ctl.child.wait_with_output_now()?;
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert_eq!(stderr, "");
    Ok(())
}

#[tokio::test]
async fn since_replays_the_changes_the_manager_kept_then_follows() -> Result<()> {
    let node = Shoald::start("events-since").await?;
    node.create_service(spec("before", IMAGE_1, 0)).await?;
    let deadline = Instant::now() + WAIT;

    // Over HTTP: the create made before asking comes first, then a change made after.
    let an_hour_ago = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs()
        - 3600;
    let mut http = http_events(&node, &format!("?type=service&since={an_hour_ago}")).await?;
    let first = read_until(&mut http, "a notice", deadline, |_| true).await?;
    assert_eq!(
        first[0]["notice"], "not_kept",
        "the manager started less than an hour ago: {first:?}"
    );
    read_until(&mut http, "the replayed create", deadline, |l| {
        is(l, "service", "create", "before")
    })
    .await?;

    // shoalctl: the same replay with a duration, then live changes.
    let mut ctl = CtlEvents::start(&node, &["--since", "1h", "--filter", "name=before"])?;
    read_until(&mut ctl.lines, "the replayed create", deadline, |l| {
        is(l, "service", "create", "before")
    })
    .await?;
    node.shoalctl(&["service", "rm", "before"]);
    read_until(&mut ctl.lines, "the live remove", deadline, |l| {
        is(l, "service", "remove", "before")
    })
    .await?;
    read_until(&mut http, "the live remove over HTTP", deadline, |l| {
        is(l, "service", "remove", "before")
    })
    .await?;

    let out = node.shoalctl(&["events", "--since", "last tuesday"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--since"), "{err}");
    Ok(())
}
