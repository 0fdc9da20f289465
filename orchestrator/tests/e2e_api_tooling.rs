//! API and tooling on a real shoald: the OpenAPI document matches what the server routes
//! (every documented operation is served, every other method on a documented path is a JSON
//! 405), `/metrics` reports sensible Raft, scheduler, dispatcher and task figures to a client
//! bundle, and `shoalctl version` and `completion` work.

mod common;

use anyhow::{Context, Result};
use common::*;
use reqwest::Method;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

/// A request to `path` with a body no handler accepts, so nothing changes.
async fn probe(client: &reqwest::Client, base: &str, method: Method, path: &str) -> (u16, Value) {
    let r = client
        .request(method.clone(), format!("{base}{path}"))
        .header("content-type", "application/json")
        .body("not json")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let status = r.status().as_u16();
    // A stream (`GET /v1/events`) answers at once and never ends: its status says enough.
    if r.headers()
        .get("content-type")
        .is_some_and(|ct| ct == "application/x-ndjson")
    {
        return (status, Value::Null);
    }
    let text = r.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_openapi_document_matches_what_the_server_routes() -> Result<()> {
    let node = Shoald::start("api-doc").await?;
    let doc = node.get("/v1/openapi.json").await?;
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(
        doc["components"]["securitySchemes"]["clusterCertificate"]["type"],
        "mutualTLS"
    );
    let client = node.client().context("the manager's client")?;
    let base = https(&node);
    let paths = doc["paths"].as_object().context("paths")?;
    assert!(paths.len() > 20, "{} paths", paths.len());
    for (path, item) in paths {
        let concrete = path.replace("{id}", "no-such-object");
        let documented: Vec<String> = item.as_object().unwrap().keys().cloned().collect();
        for method in ["get", "post", "delete", "put", "patch"] {
            let m = Method::from_bytes(method.to_uppercase().as_bytes())?;
            let (status, body) = probe(&client, &base, m, &concrete).await;
            if documented.iter().any(|d| d == method) {
                let fallback = body["error"]["message"]
                    .as_str()
                    .is_some_and(|s| s.starts_with("no such endpoint"));
                assert!(
                    !fallback && status != 405,
                    "{method} {path} is documented but not served: {status} {body}"
                );
            } else {
                assert_eq!(status, 405, "{method} {path} is not documented: {body}");
                assert_eq!(body["error"]["code"], "method_not_allowed", "{body}");
            }
        }
    }
    // An undocumented path is the JSON 404 the check above relies on.
    let (status, body) = probe(&client, &base, Method::GET, "/v1/nope").await;
    assert_eq!(status, 404);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("no such endpoint")
    );

    // Without a certificate: JSON 401 for the document and the metrics alike.
    let anon = anonymous_client(&node.tls_dir())?;
    for path in ["/v1/openapi.json", "/metrics"] {
        let (status, body) = probe(&anon, &base, Method::GET, path).await;
        assert_eq!(status, 401, "{path}: {body}");
        assert_eq!(body["error"]["code"], "unauthenticated", "{path}: {body}");
    }
    Ok(())
}

/// `name{labels} value` lines of a Prometheus text exposition.
fn samples(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let (name, value) = l.rsplit_once(' ')?;
            Some((name.to_string(), value.parse().ok()?))
        })
        .collect()
}

#[tokio::test]
async fn metrics_report_raft_scheduler_dispatcher_and_tasks_to_a_client_bundle() -> Result<()> {
    let node = Shoald::start("api-metrics").await?;
    node.create_service(spec("metered", IMAGE_1, 2)).await?;
    eventually("2 running tasks", WAIT, || async {
        (node.running("metered", IMAGE_1).await.ok()? == 2).then_some(())
    })
    .await?;

    let bundle = node.dir.path().join("scraper");
    let out = node.shoalctl(&[
        "cluster",
        "client-bundle",
        "--out",
        bundle.to_str().unwrap(),
        "--name",
        "prometheus",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let scraper = tls_client(&bundle)?;
    let r = scraper
        .get(format!("{}/metrics", https(&node)))
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 200);
    let content_type = r.headers()["content-type"].to_str()?.to_string();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let text = r.text().await?;
    let m = samples(&text);
    let get = |k: &str| {
        *m.get(k)
            .unwrap_or_else(|| panic!("no sample {k} in\n{text}"))
    };
    assert_eq!(get("shoal_tasks{state=\"running\"}"), 2.0);
    assert_eq!(get("shoal_services"), 1.0);
    assert_eq!(get("shoal_raft_leader"), 1.0);
    assert_eq!(get("shoal_raft_members"), 1.0);
    assert_eq!(get("shoal_nodes{state=\"ready\"}"), 1.0);
    assert_eq!(get("shoal_dispatcher_sessions"), 1.0);
    assert_eq!(get("shoal_scheduler_pending_tasks"), 0.0);
    assert!(get("shoal_raft_term") >= 1.0);
    let (applied, last) = (
        get("shoal_raft_applied_index"),
        get("shoal_raft_last_log_index"),
    );
    assert!(
        applied > 0.0 && applied <= last,
        "applied {applied}, last {last}"
    );
    assert!(get("shoal_scheduler_placements_total") >= 2.0);
    assert!(get("shoal_dispatcher_registrations_total") >= 1.0);
    let batches = get("shoal_dispatcher_status_batches_total");
    let updates = get("shoal_dispatcher_status_updates_total");
    // Each task reported at least assigned..running on its way up.
    assert!(
        batches >= 1.0 && updates >= 2.0 * 2.0,
        "{batches} batches, {updates} updates"
    );
    assert!(text.contains("# HELP shoal_tasks "), "{text}");
    Ok(())
}

#[tokio::test]
async fn shoalctl_version_shows_client_and_server() -> Result<()> {
    let node = Shoald::start("api-version").await?;
    let out = node.shoalctl(&["version"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("Client:") && text.contains("Server:"),
        "{text}"
    );
    assert!(text.contains("manager (leader)"), "{text}");
    let out = node.shoalctl(&["version", "-o", "json"]);
    let v: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(v["client"]["version"], v["server"]["version"], "{v}");
    assert_eq!(v["server"]["api_version"], "v1");
    assert_eq!(v["server"]["role"], "manager");
    assert_eq!(v["server"]["leader"], true);
    Ok(())
}

#[test]
fn shoalctl_completion_prints_scripts_that_know_the_subcommands() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef shoalctl"),
        ("fish", "complete -c shoalctl"),
    ] {
        let out = std::process::Command::new(shoalctl_exe())
            .args(["completion", shell])
            .env("SHOAL_HOST", "unix:///nonexistent/control.sock")
            .output()
            .expect("run shoalctl");
        assert!(
            out.status.success(),
            "{shell}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(script.contains(marker), "{shell} script lacks {marker}");
        for sub in [
            "service",
            "node",
            "cluster",
            "task",
            "version",
            "scale",
            "client-bundle",
        ] {
            assert!(
                script.contains(sub),
                "{shell} script does not mention {sub}"
            );
        }
    }
    let out = std::process::Command::new(shoalctl_exe())
        .args(["completion", "tcsh"])
        .output()
        .expect("run shoalctl");
    assert!(!out.status.success());
}

#[tokio::test]
async fn a_bad_query_parameter_is_a_json_400() -> Result<()> {
    let node = Shoald::start("api-query").await?;
    let (status, body) = node.call(Method::GET, "/v1/tasks?all=maybe", None).await?;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "invalid_argument", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("all"),
        "{body}"
    );
    Ok(())
}
