//! `shoalctl apply | diff | delete -f` with real manifest files against a real `shoald`:
//! apply creates then changes nothing, an edited `service inspect -o yaml` rolls out (and
//! `service ls -o yaml` applies as it is), diff changes nothing, delete removes, and a file
//! with any problem (malformed YAML, a misspelt key, an invalid second document) is refused
//! whole, with file:line:column.

mod common;

use common::*;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

/// Two services; `web` rolls with start-first.
const WEB_AND_API: &str = "\
name: web
mode:
  replicated:
    replicas: 2
task:
  container:
    image: shoal-demo:1
    stop_grace_period: 2s
  restart:
    delay: 1s
update:
  order: start-first
  monitor: 1s
---
name: api
task:
  container:
    image: shoal-demo:1
    stop_grace_period: 2s
";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "shoalctl failed: {}\nstdout: {}",
        text(&out.stderr),
        text(&out.stdout)
    );
    text(&out.stdout)
}

fn failed(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "shoalctl succeeded: {}",
        text(&out.stdout)
    );
    text(&out.stderr)
}

/// Runs shoalctl with `input` on its stdin.
fn shoalctl_with_stdin(node: &Shoald, args: &[&str], input: &str) -> Output {
    let mut child = Command::new(shoalctl_exe())
        .args(["-H", &format!("unix://{}", node.socket().display())])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run shoalctl");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

async fn version(node: &Shoald, name: &str) -> u64 {
    node.get(&format!("/v1/services/{name}")).await.unwrap()["version"]
        .as_u64()
        .unwrap()
}

fn service_names(node: &Shoald) -> Vec<String> {
    let out = ok(&node.shoalctl(&["service", "ls", "-o", "json"]));
    let list: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    list.iter()
        .map(|s| s["spec"]["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn apply_creates_then_changes_nothing_and_delete_removes() -> anyhow::Result<()> {
    ensure_images();
    let node = Shoald::start("mf-apply").await?;
    let dir = tempfile::tempdir()?;
    let file = write(dir.path(), "app.yaml", WEB_AND_API);
    let f = file.to_str().unwrap();

    let out = ok(&node.shoalctl(&["apply", "-f", f]));
    assert!(
        out.contains("web created") && out.contains("api created"),
        "{out}"
    );
    assert!(out.contains("verify: Service converged"), "{out}");
    eventually("2 web and 1 api running", WAIT, || async {
        (node.running("web", IMAGE_1).await.ok()? == 2
            && node.running("api", IMAGE_1).await.ok()? == 1)
            .then_some(())
    })
    .await?;
    let web = node.get("/v1/services/web").await?;
    assert_eq!(web["spec"]["update"]["order"], "start-first");
    let before = (version(&node, "web").await, version(&node, "api").await);

    let out = ok(&node.shoalctl(&["apply", "-f", f]));
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        ["web unchanged", "api unchanged"]
    );
    assert_eq!(
        (version(&node, "web").await, version(&node, "api").await),
        before,
        "a second apply wrote nothing"
    );

    let out = ok(&node.shoalctl(&["delete", "-f", f]));
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        ["web removed", "api removed"]
    );
    assert!(service_names(&node).is_empty());
    eventually("the containers are gone", WAIT, || async {
        node.running_containers().is_empty().then_some(())
    })
    .await?;
    let again = node.shoalctl(&["delete", "-f", f]);
    ok(&again);
    assert!(text(&again.stderr).contains("web not found (nothing to remove)"));
    Ok(())
}

#[tokio::test]
async fn an_edited_inspect_output_rolls_out_and_diff_changes_nothing() -> anyhow::Result<()> {
    ensure_images();
    let node = Shoald::start("mf-edit").await?;
    let dir = tempfile::tempdir()?;
    let file = write(dir.path(), "app.yaml", WEB_AND_API);
    ok(&node.shoalctl(&["apply", "-f", file.to_str().unwrap(), "--detach"]));

    // The inspect output as it is: nothing to do.
    let inspected = ok(&node.shoalctl(&["service", "inspect", "web", "-o", "yaml"]));
    assert!(
        inspected.contains("created_at") && inspected.contains("spec:"),
        "{inspected}"
    );
    let out = ok(&shoalctl_with_stdin(
        &node,
        &["diff", "-f", "-"],
        &inspected,
    ));
    assert_eq!(out.trim(), "= web (unchanged)");

    // Edited: diff shows the change and changes nothing; apply rolls it out.
    let edited = inspected.replace("image: shoal-demo:1", "image: shoal-demo:2");
    assert_ne!(edited, inspected);
    let path = write(dir.path(), "web-inspected.yaml", &edited);
    let p = path.to_str().unwrap();
    let before = version(&node, "web").await;
    let out = ok(&node.shoalctl(&["diff", "-f", p]));
    assert_eq!(
        out.trim(),
        "~ web: spec.task.container.image: shoal-demo:1 -> shoal-demo:2"
    );
    assert_eq!(version(&node, "web").await, before, "diff wrote nothing");
    let json = ok(&node.shoalctl(&["diff", "-f", p, "-o", "json"]));
    let entries: serde_json::Value = serde_json::from_str(&json)?;
    assert_eq!(entries[0]["action"], "update");
    assert_eq!(entries[0]["changes"][0]["new"], "shoal-demo:2");

    let out = ok(&node.shoalctl(&["apply", "-f", p]));
    assert!(out.contains("web updated"), "{out}");
    assert!(out.contains("verify: Service converged"), "{out}");
    eventually("2 web tasks on shoal-demo:2", WAIT, || async {
        (node.running("web", IMAGE_2).await.ok()? == 2).then_some(())
    })
    .await?;
    let out = ok(&node.shoalctl(&["diff", "-f", p]));
    assert_eq!(out.trim(), "= web (unchanged)");

    // `service ls -o yaml`, a list of service objects, applies as it is too.
    let all = ok(&node.shoalctl(&["service", "ls", "-o", "yaml"]));
    let out = ok(&shoalctl_with_stdin(&node, &["apply", "-f", "-"], &all));
    let mut lines: Vec<&str> = out.lines().collect();
    lines.sort();
    assert_eq!(lines, ["api unchanged", "web unchanged"]);
    Ok(())
}

#[tokio::test]
async fn a_file_with_a_problem_is_not_applied_at_all() -> anyhow::Result<()> {
    let node = Shoald::start("mf-invalid").await?;
    let dir = tempfile::tempdir()?;

    let malformed = write(
        dir.path(),
        "malformed.yaml",
        "name: web\ntask:\n  container: [\n",
    );
    let err = failed(&node.shoalctl(&["apply", "-f", malformed.to_str().unwrap()]));
    assert!(err.contains("malformed.yaml:4:1: "), "{err}");
    assert!(err.contains("nothing was applied"), "{err}");

    let misspelt = write(
        dir.path(),
        "misspelt.yaml",
        &WEB_AND_API.replace("replicas: 2", "replicaz: 2"),
    );
    let err = failed(&node.shoalctl(&["apply", "-f", misspelt.to_str().unwrap()]));
    assert!(
        err.contains(
            "misspelt.yaml:4:5: mode.replicated: unknown field `replicaz`, did you mean `replicas`?"
        ),
        "{err}"
    );

    // The second document is invalid: the first is not created either.
    let second_bad = write(
        dir.path(),
        "second-bad.yaml",
        &WEB_AND_API.replace(
            "name: api\ntask:\n  container:\n    image: shoal-demo:1",
            "name: api\ntask:\n  container:\n    image: \"\"",
        ),
    );
    let err = failed(&node.shoalctl(&["apply", "-f", second_bad.to_str().unwrap()]));
    assert!(
        err.contains("second-bad.yaml:18:12: task.container.image: image must not be empty"),
        "{err}"
    );
    // The same through a directory whose other file is valid.
    let sub = dir.path().join("dir");
    std::fs::create_dir(&sub)?;
    write(&sub, "a.yaml", WEB_AND_API);
    write(
        &sub,
        "b.yaml",
        "name: bad name\ntask: {container: {image: x}}\n",
    );
    let err = failed(&node.shoalctl(&["apply", "-f", sub.to_str().unwrap()]));
    assert!(
        err.contains("b.yaml:1:7: name: name \"bad name\" may only contain"),
        "{err}"
    );
    let err = failed(&node.shoalctl(&["diff", "-f", sub.to_str().unwrap()]));
    assert!(err.contains("b.yaml:1:7: name:"), "{err}");

    assert!(service_names(&node).is_empty(), "nothing reached the store");
    Ok(())
}

#[tokio::test]
async fn the_example_manifests_apply_offline() -> anyhow::Result<()> {
    ensure_images();
    let node = Shoald::start("mf-examples").await?;
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/manifests");
    let dir = examples.to_str().unwrap();
    let out = ok(&node.shoalctl(&["diff", "-f", dir]));
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            "+ worker (new service)",
            "+ migrate (new service)",
            "+ web (new service)"
        ]
    );
    let out = ok(&node.shoalctl(&["apply", "-f", dir]));
    assert_eq!(out.matches("verify: Service converged").count(), 3, "{out}");
    eventually("3 web and 2 workers running", WAIT, || async {
        (node.running("web", IMAGE_1).await.ok()? == 3
            && node.running("worker", IMAGE_1).await.ok()? == 2)
            .then_some(())
    })
    .await?;
    let done = eventually("the migration completed", WAIT, || async {
        let tasks = node.tasks("migrate", true).await.ok()?;
        tasks
            .iter()
            .any(|t| t["status"]["state"] == "complete")
            .then_some(tasks.len())
    })
    .await?;
    assert!(done >= 1);
    let out = ok(&node.shoalctl(&["diff", "-f", dir]));
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            "= worker (unchanged)",
            "= migrate (unchanged)",
            "= web (unchanged)"
        ]
    );
    Ok(())
}
