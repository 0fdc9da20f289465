//! mTLS: every TCP endpoint needs a certificate of the cluster CA (but the CA itself and the
//! join endpoint); a worker's certificate opens only its own dispatcher session; client
//! bundles drive the cluster from afar; a join token pins the CA; certificates renew.

mod common;

use anyhow::Result;
use common::*;
use reqwest::Method;
use serde_json::json;
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

async fn status_of(client: &reqwest::Client, method: Method, url: String) -> u16 {
    let r = client
        .request(method, url)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .expect("the server answers");
    r.status().as_u16()
}

#[tokio::test]
async fn requests_without_a_valid_certificate_get_nothing() -> Result<()> {
    let manager = Shoald::start("sec-anon").await?;
    let anon = anonymous_client(&manager.tls_dir())?;
    let base = https(&manager);
    for (method, path) in [
        (Method::GET, "/v1/services"),
        (Method::GET, "/v1/nodes"),
        (Method::GET, "/v1/cluster"),
        (Method::GET, "/v1/version"),
        (Method::POST, "/v1/raft/vote"),
        (Method::POST, "/v1/dispatcher/heartbeat"),
        (Method::GET, "/v1/ca/node"),
        (Method::POST, "/v1/ca/client-bundle"),
        (Method::POST, "/v1/join/raft"),
    ] {
        let code = status_of(&anon, method.clone(), format!("{base}{path}")).await;
        assert_eq!(code, 401, "{method} {path} without a certificate");
    }

    // The CA certificate is public, and it is the one the join tokens pin.
    let ca = anon
        .get(format!("{base}/v1/ca"))
        .send()
        .await?
        .text()
        .await?;
    let digest = shoal_client::tls::ca_digest_pem(&ca)?;
    let token = manager.join_token("worker").await?;
    assert!(token.starts_with(&format!("SWMTKN-1-{digest}-")), "{token}");

    // A certificate from another cluster's CA does not get through the handshake.
    let other = Shoald::start("sec-other").await?;
    let foreign = tls_client(&other.tls_dir())?;
    assert!(
        foreign
            .get(format!("{base}/v1/nodes"))
            .send()
            .await
            .is_err()
    );
    Ok(())
}

#[tokio::test]
async fn a_worker_certificate_opens_only_its_own_session() -> Result<()> {
    let (manager, worker) = Shoald::manager_and_worker("sec-wrk").await?;
    let as_worker = tls_client(&worker.tls_dir())?;
    let base = https(&manager);
    for (method, path) in [
        (Method::GET, "/v1/services"),
        (Method::POST, "/v1/services"),
        (Method::GET, "/v1/nodes"),
        (Method::POST, "/v1/raft/append"),
        (Method::POST, "/v1/ca/client-bundle"),
        (Method::POST, "/v1/join/raft"),
    ] {
        let code = status_of(&as_worker, method.clone(), format!("{base}{path}")).await;
        assert_eq!(code, 403, "{method} {path} with a worker certificate");
    }
    // It may not speak for another node either.
    let r = as_worker
        .post(format!("{base}/v1/dispatcher/heartbeat"))
        .json(&json!({"node_id": manager.node_id, "session_id": "x"}))
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 403);
    let body: serde_json::Value = r.json().await?;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("cannot act for node"),
        "{body}"
    );
    Ok(())
}

#[tokio::test]
async fn a_client_bundle_drives_the_cluster_remotely() -> Result<()> {
    let manager = Shoald::start("sec-bundle").await?;
    let dir = tempfile::tempdir()?;
    let bundle = dir.path().join("ops");
    let out = manager.shoalctl(&[
        "cluster",
        "client-bundle",
        "--out",
        bundle.to_str().unwrap(),
        "--name",
        "ops",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mode = std::fs::metadata(bundle.join("key.pem"))?
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "the key is owner-only");

    let remote = |args: &[&str], tls: Option<&std::path::Path>| {
        let mut cmd = std::process::Command::new(shoalctl_exe());
        cmd.args(["-H", &https(&manager)]).args(args);
        cmd.env_remove("SHOAL_TLS_DIR");
        if let Some(t) = tls {
            cmd.env("SHOAL_TLS_DIR", t);
        }
        cmd.output().expect("run shoalctl")
    };
    let out = remote(
        &[
            "service",
            "create",
            "--name",
            "remote",
            "--image",
            IMAGE_1,
            "--replicas",
            "1",
            "--detach",
        ],
        Some(&bundle),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = remote(&["service", "ls", "-o", "json"], Some(&bundle));
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"remote\""));
    // Let its container start, so the harness removes it with the node (none is left behind).
    eventually("the remote service to run", WAIT, || async {
        (manager.running("remote", IMAGE_1).await.ok()? == 1).then_some(())
    })
    .await?;

    let out = remote(&["service", "ls"], None);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--tls-dir"), "{err}");
    Ok(())
}

#[tokio::test]
async fn a_join_token_pins_the_cluster_ca() -> Result<()> {
    let ours = Shoald::start("sec-pin-a").await?;
    let theirs = Shoald::start("sec-pin-b").await?;
    let token = theirs.join_token("worker").await?;
    // Their token, our address: the CA we are handed is not the one the token pins.
    let args = vec![
        "--join-addr".to_string(),
        format!("127.0.0.1:{}", ours.port),
        "--join-token".to_string(),
        token,
    ];
    let mut joiner = Shoald::new("sec-pin-c", args, Some(ours.port))?;
    let (status, log) = joiner.run_to_exit()?;
    assert!(!status.success());
    assert!(log.contains("does not match the join token"), "{log}");
    assert!(!joiner.data_dir().join("node.json").exists());
    assert_eq!(ours.get("/v1/nodes").await?.as_array().unwrap().len(), 1);
    Ok(())
}

#[tokio::test]
async fn certificates_renew_before_they_expire() -> Result<()> {
    let (manager, worker) = Shoald::manager_and_worker("sec-renew").await?;
    let out = manager.shoalctl(&["cluster", "update", "--cert-expiry", "12s"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cert = |n: &Shoald| std::fs::read_to_string(n.tls_dir().join("cert.pem")).unwrap();
    // A shortened lifetime applies at once, then each certificate is renewed at 50-80% of
    // its 12 s: watch both nodes go through several certificates.
    let mut seen_worker = vec![cert(&worker)];
    let mut seen_manager = vec![cert(&manager)];
    eventually("three renewals on each node", WAIT, || {
        let (w, m) = (cert(&worker), cert(&manager));
        if !seen_worker.contains(&w) {
            seen_worker.push(w);
        }
        if !seen_manager.contains(&m) {
            seen_manager.push(m);
        }
        let done = seen_worker.len() > 3 && seen_manager.len() > 3;
        async move { done.then_some(()) }
    })
    .await?;
    // Well past the first short certificate's expiry, the cluster still works end to end:
    // the worker runs its share of a new service.
    manager.create_service(spec("renewed", IMAGE_1, 2)).await?;
    eventually("2 running", WAIT, || async {
        (manager.running("renewed", IMAGE_1).await.ok()? == 2).then_some(())
    })
    .await?;
    assert_eq!(worker.running_containers().len(), 1);
    Ok(())
}
