//! `shoalctl stack deploy | ls | ps | rm` with real Compose files against a real `shoald`: a
//! stack whose web service serves a directory bind-mounted relative to the file on a
//! published port; a second deploy changes nothing; a service dropped from the file is
//! removed; an unsupported key is a warning and the rest deploys; a misspelt key is refused
//! with file:line:column and nothing is deployed; and the example stack deploys.

mod common;

use common::*;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);
const NAMESPACE: &str = "com.docker.stack.namespace";

/// web (2 replicas, ./site served on a published port) and api (with an unsupported key).
fn compose(port: u16) -> String {
    format!(
        "\
version: '3.8'
services:
  web:
    image: shoal-demo:1
    command: sh -c \"trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait\"
    ports:
      - \"{port}:8080\"
    volumes:
      - ./site:/www:ro
    stop_grace_period: 2s
    labels:
      tier: front
    deploy:
      replicas: 1
      labels:
        owner: shop
      restart_policy:
        delay: 1s
  api:
    image: shoal-demo:1
    environment:
      MODE: api
    networks: [back]
    stop_grace_period: 2s
    deploy:
      replicas: 2
      restart_policy:
        delay: 1s
networks:
  back: {{}}
"
    )
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write the compose file");
    path
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

fn ok(out: &Output) -> (String, String) {
    assert!(
        out.status.success(),
        "shoalctl failed: {}\nstdout: {}",
        text(&out.stderr),
        text(&out.stdout)
    );
    (text(&out.stdout), text(&out.stderr))
}

fn failed(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "shoalctl succeeded: {}",
        text(&out.stdout)
    );
    text(&out.stderr)
}

async fn service_names(node: &Shoald) -> Vec<String> {
    let list = node.get("/v1/services").await.expect("list services");
    let mut names: Vec<String> = list
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["spec"]["name"].as_str().map(str::to_string))
        .collect();
    names.sort();
    names
}

async fn version(node: &Shoald, name: &str) -> serde_json::Value {
    node.get(&format!("/v1/services/{name}"))
        .await
        .expect("get the service")["version"]
        .clone()
}

/// The body of `GET /` on 127.0.0.1:`port`, if it answers.
fn http_get(port: u16) -> Option<String> {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    stream
        .write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    Some(response)
}

#[tokio::test]
async fn a_stack_deploys_updates_in_place_prunes_and_is_removed() -> anyhow::Result<()> {
    ensure_images();
    let node = Shoald::start_with("stk-life", &["--publish-ip", "127.0.0.1"]).await?;
    let dir = tempfile::tempdir()?;
    std::fs::create_dir(dir.path().join("site"))?;
    std::fs::write(dir.path().join("site/index.html"), "served from ./site\n")?;
    let port = free_port();
    let file = write(dir.path(), "compose.yml", &compose(port));
    let f = file.to_str().unwrap();

    let (out, err) = ok(&node.shoalctl(&["stack", "deploy", "-c", f, "shop"]));
    assert!(
        out.contains("shop_web created") && out.contains("shop_api created"),
        "{out}"
    );
    assert!(out.contains("verify: Service converged"), "{out}");
    assert!(
        err.contains("warning: services.api.networks is not supported by Shoal and was ignored"),
        "{err}"
    );
    assert!(
        err.contains("warning: networks is not supported by Shoal"),
        "{err}"
    );
    assert_eq!(service_names(&node).await, ["shop_api", "shop_web"]);
    let web = node.get("/v1/services/shop_web").await?;
    assert_eq!(web["spec"]["labels"][NAMESPACE], "shop");
    assert_eq!(web["spec"]["labels"]["owner"], "shop");
    let container = &web["spec"]["task"]["container"];
    assert_eq!(container["labels"]["tier"], "front");
    let site = std::fs::canonicalize(dir.path())?.join("site");
    assert_eq!(container["mounts"][0]["source"], site.display().to_string());
    assert_eq!(container["mounts"][0]["readonly"], true);
    assert_eq!(container["ports"][0]["published"], port);
    let api = node.get("/v1/services/shop_api").await?;
    assert_eq!(api["spec"]["mode"]["replicated"]["replicas"], 2);
    assert_eq!(api["spec"]["task"]["container"]["env"][0], "MODE=api");
    eventually("1 web and 2 api running", WAIT, || async {
        (node.running("shop_web", IMAGE_1).await.ok()? == 1
            && node.running("shop_api", IMAGE_1).await.ok()? == 2)
            .then_some(())
    })
    .await?;
    let body = eventually(
        "the bind-mounted page on the published port",
        WAIT,
        || async { http_get(port).filter(|r| r.contains("served from ./site")) },
    )
    .await?;
    assert!(body.starts_with("HTTP/1."), "{body}");

    // Again: nothing written.
    let before = (
        version(&node, "shop_web").await,
        version(&node, "shop_api").await,
    );
    let (out, _) = ok(&node.shoalctl(&["stack", "deploy", "-c", f, "shop"]));
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        ["shop_api unchanged", "shop_web unchanged"]
    );
    assert_eq!(
        (
            version(&node, "shop_web").await,
            version(&node, "shop_api").await
        ),
        before
    );

    // ls and ps.
    let (out, _) = ok(&node.shoalctl(&["stack", "ls"]));
    let rows: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows, [vec!["NAME", "SERVICES"], vec!["shop", "2"]]);
    let (out, _) = ok(&node.shoalctl(&["stack", "ps", "shop"]));
    assert_eq!(
        out.lines().filter(|l| l.contains("shop_api.")).count(),
        2,
        "{out}"
    );
    assert_eq!(
        out.lines().filter(|l| l.contains("shop_web.")).count(),
        1,
        "{out}"
    );
    let err = failed(&node.shoalctl(&["stack", "ps", "nosuch"]));
    assert!(err.contains("nothing found in stack nosuch"), "{err}");

    // A misspelt key: refused with its place, nothing deployed (not even the new service).
    let bad = compose(port)
        .replace("replicas: 2", "replicaz: 3")
        .replace("    networks: [back]\n", "")
        .replace(
            "services:\n",
            "services:\n  extra:\n    image: shoal-demo:1\n",
        );
    let bad_file = write(dir.path(), "bad.yml", &bad);
    let err =
        failed(&node.shoalctl(&["stack", "deploy", "-c", bad_file.to_str().unwrap(), "shop"]));
    let line = bad.lines().position(|l| l.contains("replicaz")).unwrap() + 1;
    assert!(
        err.contains(&format!(
            "bad.yml:{line}:7: services.api.deploy: unknown field `replicaz`, did you mean `replicas`?"
        )),
        "{err}"
    );
    assert!(err.contains("nothing was deployed"), "{err}");
    assert_eq!(service_names(&node).await, ["shop_api", "shop_web"]);

    // api dropped from the file: removed; web left as it is.
    let web_only = compose(port);
    let web_only = &web_only[..web_only.find("  api:").unwrap()];
    let smaller = write(dir.path(), "web.yml", web_only);
    let (out, _) = ok(&node.shoalctl(&[
        "stack",
        "deploy",
        "-c",
        smaller.to_str().unwrap(),
        "shop",
        "--detach",
    ]));
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        ["shop_api removed", "shop_web unchanged"]
    );
    assert_eq!(service_names(&node).await, ["shop_web"]);

    let (out, _) = ok(&node.shoalctl(&["stack", "rm", "shop"]));
    assert!(out.contains("Removing service shop_web"), "{out}");
    assert!(service_names(&node).await.is_empty());
    let (out, _) = ok(&node.shoalctl(&["stack", "ls"]));
    assert_eq!(out.lines().count(), 1, "only the header: {out}");
    eventually("the containers are gone", WAIT, || async {
        node.running_containers().is_empty().then_some(())
    })
    .await?;
    Ok(())
}

#[tokio::test]
async fn the_example_stack_deploys_and_converges() -> anyhow::Result<()> {
    ensure_images();
    let node = Shoald::start("stk-example").await?;
    let example = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/stack/compose.yml");
    let (out, err) =
        ok(&node.shoalctl(&["stack", "deploy", "-c", example.to_str().unwrap(), "shop"]));
    assert!(
        !err.contains("warning"),
        "the example uses only supported keys: {err}"
    );
    for name in ["shop_migrate", "shop_web", "shop_worker"] {
        assert!(out.contains(&format!("{name} created")), "{out}");
    }
    let web = node.get("/v1/services/shop_web").await?;
    assert_eq!(web["spec"]["update"]["order"], "start-first");
    assert_eq!(web["spec"]["task"]["container"]["stop_grace_period"], "5s");
    eventually("2 healthy web and 1 worker running", WAIT, || async {
        (node.running("shop_web", IMAGE_1).await.ok()? == 2
            && node.running("shop_worker", IMAGE_1).await.ok()? == 1)
            .then_some(())
    })
    .await?;
    eventually("the migration completed", WAIT, || async {
        let tasks = node.tasks("shop_migrate", true).await.ok()?;
        tasks
            .iter()
            .any(|t| t["status"]["state"] == "complete")
            .then_some(())
    })
    .await?;
    let (out, _) = ok(&node.shoalctl(&["stack", "rm", "shop"]));
    assert_eq!(out.lines().count(), 3, "{out}");
    Ok(())
}
