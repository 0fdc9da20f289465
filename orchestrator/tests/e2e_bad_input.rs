//! Bad input gets a 400/404/409 whose JSON names the field, nothing invalid is stored, and
//! the daemon stays up.

mod common;

use common::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn bad_requests_are_refused_with_the_field_named() -> anyhow::Result<()> {
    let node = Shoald::start("badinput").await?;
    let post = |body: String| node.call(Method::POST, "/v1/services", Some(body));

    let (s, b) = post(json!({"name":"neg","task":{"container":{"image":"x"}},"mode":{"replicated":{"replicas":-1}}}).to_string()).await?;
    assert_eq!(s, 400, "{b}");
    assert_eq!(b["error"]["field"], "spec.mode.replicated.replicas");
    assert_eq!(b["error"]["message"], "replicas must be >= 0");

    let (s, b) = post(spec("noimage", "", 1).to_string()).await?;
    assert_eq!(s, 400);
    assert_eq!(b["error"]["field"], "spec.task.container.image");

    let (s, b) = post(spec("bad name!", IMAGE_1, 1).to_string()).await?;
    assert_eq!(s, 400);
    assert_eq!(b["error"]["field"], "spec.name");

    let (s, b) = post(json!({"name":"typo","task":{"container":{"imag":"x"}}}).to_string()).await?;
    assert_eq!(s, 400);
    assert!(
        b["error"]["message"].as_str().unwrap().contains("imag"),
        "{b}"
    );

    let (s, b) = post("{not json".into()).await?;
    assert_eq!(s, 400, "{b}");
    assert_eq!(b["error"]["code"], "invalid_argument");

    let (s, _) = post(spec("dup", IMAGE_1, 0).to_string()).await?;
    assert_eq!(s, 201);
    let (s, b) = post(spec("dup", IMAGE_1, 0).to_string()).await?;
    assert_eq!(s, 409, "{b}");
    assert_eq!(b["error"]["code"], "conflict");

    // A stale version is refused.
    let svc = node.get("/v1/services/dup").await?;
    let update = |v: u64| json!({"version": v, "spec": spec("dup", IMAGE_2, 0)}).to_string();
    let stale = svc["version"].as_u64().unwrap() - 1;
    let (s, b) = node
        .call(Method::POST, "/v1/services/dup", Some(update(stale)))
        .await?;
    assert_eq!(s, 409, "{b}");
    let (s, _) = node
        .call(
            Method::POST,
            "/v1/services/dup",
            Some(update(svc["version"].as_u64().unwrap())),
        )
        .await?;
    assert_eq!(s, 200);

    // A service keeps its kind, whoever asks: the server refuses what shoalctl would.
    let svc = node.get("/v1/services/dup").await?;
    for mode in [
        json!({"global": {}}),
        json!({"replicated_job": {"max_concurrent": 1}}),
    ] {
        let mut global = spec("dup", IMAGE_2, 0);
        global["mode"] = mode;
        let body = json!({"version": svc["version"], "spec": global}).to_string();
        let (s, b) = node
            .call(Method::POST, "/v1/services/dup", Some(body))
            .await?;
        assert_eq!(s, 400, "{b}");
        assert_eq!(b["error"]["field"], "spec.mode", "{b}");
        assert!(
            b["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("dup is a replicated service and cannot become "),
            "{b}"
        );
    }
    let kept = node.get("/v1/services/dup").await?;
    assert_eq!(kept["version"], svc["version"]);
    assert!(kept["spec"]["mode"]["replicated"].is_object(), "{kept}");

    let (s, b) = node.call(Method::GET, "/v1/services/nosuch", None).await?;
    assert_eq!(s, 404);
    assert_eq!(b["error"]["code"], "not_found");
    let (s, _) = node.call(Method::GET, "/v1/nope", None).await?;
    assert_eq!(s, 404);
    let (s, _) = node
        .call(Method::POST, "/v1/nodes/x", Some("[]".into()))
        .await?;
    assert!(s == 400 || s == 404);

    // Nothing invalid was stored and the daemon still answers.
    let services = node.get("/v1/services").await?;
    let names: Vec<&str> = services
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["spec"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["dup"]);
    assert_eq!(
        node.get("/v1/version").await?["version"],
        env!("CARGO_PKG_VERSION")
    );
    Ok(())
}
