//! Harness for end-to-end tests: real `shoald` processes (each with its own data dir and
//! port) against the real Docker engine, driven through the REST API (with `shoal-client`,
//! the client `shoalctl` uses), the `shoalctl` binary and the `docker` CLI. Containers are
//! told apart by their `shoal.node.id` label.

#![allow(dead_code)]

use anyhow::{Context, Result, bail};
use reqwest::Method;
use serde_json::{Value, json};
use shoal_client::tls::Bundle;
use shoal_client::{Endpoint, node_http};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const IMAGE_1: &str = "shoal-demo:1";
pub const IMAGE_2: &str = "shoal-demo:2";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Builds the offline demo images once per machine (a no-op when they exist).
pub fn ensure_images() {
    let have = Command::new("docker")
        .args(["image", "inspect", IMAGE_1, IMAGE_2])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !have {
        let st = Command::new(repo_root().join("examples/images/build.sh"))
            .status()
            .expect("run examples/images/build.sh");
        assert!(st.success(), "building the demo images failed");
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Shoald {
    pub dir: tempfile::TempDir,
    pub port: u16,
    pub hostname: String,
    child: Option<Child>,
    /// An HTTPS client with the certificate in `api_tls`, once that exists.
    http: std::sync::OnceLock<reqwest::Client>,
    /// The REST client on this node's API with that certificate.
    api: std::sync::OnceLock<shoal_client::Client>,
    /// The bundle API calls are made with: the node's own (a manager's certificate), or for a
    /// worker its manager's.
    api_tls: PathBuf,
    pub node_id: String,
    /// Extra flags, e.g. `--join-addr`.
    args: Vec<String>,
    /// Where to ask whether this node is ready: itself, or for a worker its manager.
    api_port: u16,
}

impl Shoald {
    pub async fn start(name: &str) -> Result<Shoald> {
        let mut node = Self::new(name, Vec::new(), None)?;
        node.spawn()?;
        node.wait_ready().await?;
        Ok(node)
    }

    /// Starts a new cluster's first manager with extra flags (e.g. `--publish-ip`).
    pub async fn start_with(name: &str, extra: &[&str]) -> Result<Shoald> {
        let args = extra.iter().map(|a| a.to_string()).collect();
        let mut node = Self::new(name, args, None)?;
        node.spawn()?;
        node.wait_ready().await?;
        Ok(node)
    }

    /// Starts a node that joins `manager`'s cluster with `token` as a worker.
    pub async fn start_worker(name: &str, manager: &Shoald, token: &str) -> Result<Shoald> {
        Self::start_worker_with(name, manager, token, &[]).await
    }

    /// Starts a worker of `manager`'s cluster with extra flags.
    pub async fn start_worker_with(
        name: &str,
        manager: &Shoald,
        token: &str,
        extra: &[&str],
    ) -> Result<Shoald> {
        let mut args = vec![
            "--join-addr".to_string(),
            format!("127.0.0.1:{}", manager.port),
            "--join-token".to_string(),
            token.to_string(),
        ];
        args.extend(extra.iter().map(|a| a.to_string()));
        let mut node = Self::new(name, args, Some(manager.port))?;
        node.api_tls = manager.tls_dir();
        node.spawn()?;
        node.wait_ready().await?;
        Ok(node)
    }

    /// Starts a manager that joins the cluster of `via` with the manager token.
    pub async fn start_manager(name: &str, via: &Shoald, token: &str) -> Result<Shoald> {
        let args = vec![
            "--join-addr".to_string(),
            format!("127.0.0.1:{}", via.port),
            "--join-token".to_string(),
            token.to_string(),
        ];
        let mut node = Self::new(name, args, None)?;
        node.spawn()?;
        node.wait_ready().await?;
        Ok(node)
    }

    /// This cluster's join token for `role` (`worker` or `manager`).
    pub async fn join_token(&self, role: &str) -> Result<String> {
        let cluster = self.get("/v1/cluster").await?;
        Ok(cluster["join_tokens"][role]
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    /// A new cluster of one manager and one worker.
    pub async fn manager_and_worker(prefix: &str) -> Result<(Shoald, Shoald)> {
        let manager = Shoald::start(&format!("{prefix}-mgr")).await?;
        let token = manager.join_token("worker").await?;
        let worker = Shoald::start_worker(&format!("{prefix}-wrk"), &manager, &token).await?;
        Ok((manager, worker))
    }

    /// A new cluster of three managers (the second and third join one after the other).
    pub async fn three_managers(prefix: &str) -> Result<[Shoald; 3]> {
        let first = Shoald::start(&format!("{prefix}1")).await?;
        let token = first.join_token("manager").await?;
        let second = Shoald::start_manager(&format!("{prefix}2"), &first, &token).await?;
        let third = Shoald::start_manager(&format!("{prefix}3"), &first, &token).await?;
        Ok([first, second, third])
    }

    /// A node that is not started yet.
    pub fn new(name: &str, args: Vec<String>, api_port: Option<u16>) -> Result<Shoald> {
        ensure_images();
        let dir = tempfile::Builder::new()
            .prefix(&format!("shoal-{name}-"))
            .tempdir()?;
        let port = free_port();
        let api_tls = dir.path().join("data").join("tls");
        Ok(Shoald {
            dir,
            port,
            hostname: format!("{name}-{}", std::process::id()),
            child: None,
            http: Default::default(),
            api: Default::default(),
            api_tls,
            node_id: String::new(),
            args,
            api_port: api_port.unwrap_or(port),
        })
    }

    /// Runs shoald to completion (for starts that must fail); returns its exit status and log.
    pub fn run_to_exit(&mut self) -> Result<(std::process::ExitStatus, String)> {
        self.spawn()?;
        let status = self.child.take().unwrap().wait()?;
        Ok((status, self.log()))
    }

    fn spawn(&mut self) -> Result<()> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("shoald.log"))?;
        let child = Command::new(env!("CARGO_BIN_EXE_shoald"))
            .arg("--data-dir")
            .arg(self.data_dir())
            .args(["--listen-addr", &format!("127.0.0.1:{}", self.port)])
            .args(["--hostname", &self.hostname])
            .args(&self.args)
            .env("SHOAL_LOG", "info,openraft=warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .context("spawn shoald")?;
        self.child = Some(child);
        Ok(())
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn socket(&self) -> PathBuf {
        self.data_dir().join("control.sock")
    }

    pub fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.port)
    }

    /// The node's certificate bundle (a manager's opens the whole API).
    pub fn tls_dir(&self) -> PathBuf {
        self.data_dir().join("tls")
    }

    /// The HTTPS client API calls use; `None` until the bundle exists.
    pub fn client(&self) -> Option<reqwest::Client> {
        if let Some(c) = self.http.get() {
            return Some(c.clone());
        }
        let client = tls_client(&self.api_tls).ok()?;
        Some(self.http.get_or_init(|| client).clone())
    }

    /// The REST client on this node's API.
    pub fn api(&self) -> Result<shoal_client::Client> {
        if let Some(c) = self.api.get() {
            return Ok(c.clone());
        }
        let client = api_client(self.port, &self.api_tls).with_context(|| {
            format!("no usable client bundle in {} yet", self.api_tls.display())
        })?;
        Ok(self.api.get_or_init(|| client).clone())
    }

    /// Waits until the API answers and this node's agent has registered.
    pub async fn wait_ready(&mut self) -> Result<()> {
        let hostname = self.hostname.clone();
        // Generous: on a loaded 2-core machine a joining manager has been seen to need more
        // than 20 s; the log says why when it does not make it.
        let ready = eventually("shoald to be ready", Duration::from_secs(60), || async {
            let api = api_client(self.api_port, &self.api_tls).ok()?;
            let nodes = api.send_json(Method::GET, "/v1/nodes", None).await.ok()?;
            let me = nodes
                .as_array()?
                .iter()
                .find(|n| {
                    n["description"]["hostname"] == hostname.as_str()
                        && n["status"]["state"] == "ready"
                })?
                .clone();
            Some(me)
        })
        .await;
        let nodes = match ready {
            Ok(n) => n,
            Err(e) => bail!(
                "{e}\n--- shoald log ({}) ---\n{}",
                self.hostname,
                self.log()
            ),
        };
        self.node_id = nodes["id"].as_str().unwrap_or_default().to_string();
        Ok(())
    }

    pub async fn get(&self, path: &str) -> Result<Value> {
        let (status, body) = self.api()?.call(Method::GET, path, None).await?;
        if !status.is_success() {
            bail!("GET {path}: {status}: {body}");
        }
        Ok(body)
    }

    /// Sends a request and returns the status code and JSON body (`null` when empty).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
    ) -> Result<(u16, Value)> {
        let (status, value) = self.api()?.call(method, path, body).await?;
        Ok((status.as_u16(), value))
    }

    pub async fn create_service(&self, spec: Value) -> Result<Value> {
        let (status, body) = self
            .call(Method::POST, "/v1/services", Some(spec.to_string()))
            .await?;
        if status != 201 {
            bail!("create service: {status}: {body}");
        }
        Ok(body)
    }

    /// Applies `change` to the service's spec and posts it with the version read.
    pub async fn update_service(
        &self,
        name: &str,
        change: impl FnOnce(&mut Value),
    ) -> Result<Value> {
        let svc = self.get(&format!("/v1/services/{name}")).await?;
        let mut spec = svc["spec"].clone();
        change(&mut spec);
        let body = json!({ "version": svc["version"], "spec": spec });
        let (status, resp) = self
            .call(
                Method::POST,
                &format!("/v1/services/{name}"),
                Some(body.to_string()),
            )
            .await?;
        if status != 200 {
            bail!("update service: {status}: {resp}");
        }
        Ok(resp)
    }

    pub async fn tasks(&self, service: &str, all: bool) -> Result<Vec<Value>> {
        let v = self
            .get(&format!("/v1/tasks?service={service}&all={all}"))
            .await?;
        Ok(v.as_array().cloned().unwrap_or_default())
    }

    /// Running tasks of `service` whose container image is `image`.
    pub async fn running(&self, service: &str, image: &str) -> Result<usize> {
        Ok(self
            .tasks(service, false)
            .await?
            .iter()
            .filter(|t| {
                t["status"]["state"] == "running" && t["spec"]["container"]["image"] == image
            })
            .count())
    }

    /// This node's containers as (id, name, image, running).
    pub fn containers(&self) -> Vec<(String, String, String, bool)> {
        docker_ps(&format!("label=shoal.node.id={}", self.node_id))
    }

    pub fn running_containers(&self) -> Vec<(String, String, String, bool)> {
        self.containers().into_iter().filter(|c| c.3).collect()
    }

    /// Starts a killed node again without waiting for it to be ready.
    pub fn respawn(&mut self) -> Result<()> {
        self.args.clear();
        self.spawn()
    }

    /// Kills the node and starts it again with `args`, waiting until it is ready.
    pub async fn restart_with(&mut self, args: &[&str]) -> Result<()> {
        self.kill9();
        self.args = args.iter().map(|a| a.to_string()).collect();
        self.spawn()?;
        self.wait_ready().await
    }

    /// Sends a signal (`STOP`, `CONT`, ...) to the running shoald.
    pub fn signal(&self, sig: &str) {
        if let Some(c) = &self.child {
            let st = Command::new("kill")
                .args([&format!("-{sig}"), &c.id().to_string()])
                .status()
                .expect("kill");
            assert!(st.success(), "kill -{sig}");
        }
    }

    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Kills the node with SIGKILL and starts it again on the same data dir (without join
    /// flags: it is a member now).
    pub async fn restart(&mut self) -> Result<()> {
        self.kill9();
        self.args.clear();
        self.spawn()?;
        self.wait_ready().await
    }

    pub fn shoalctl(&self, args: &[&str]) -> std::process::Output {
        Command::new(shoalctl_exe())
            .args(["-H", &format!("unix://{}", self.socket().display())])
            .args(args)
            .output()
            .expect("run shoalctl (build it with `cargo build --workspace`)")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("shoald.log")).unwrap_or_default()
    }
}

impl Drop for Shoald {
    fn drop(&mut self) {
        self.kill9();
        if !self.node_id.is_empty() {
            let ids: Vec<String> = self.containers().into_iter().map(|c| c.0).collect();
            if !ids.is_empty() {
                let _ = Command::new("docker")
                    .args(["rm", "-f"])
                    .args(&ids)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
            }
        }
        if std::thread::panicking() {
            eprintln!("--- shoald log ({}) ---\n{}", self.hostname, self.log());
        }
    }
}

/// `docker inspect CONTAINER`, the first (only) object.
pub fn docker_inspect(container: &str) -> Value {
    let out = Command::new("docker")
        .args(["inspect", container])
        .output()
        .expect("docker inspect");
    serde_json::from_slice::<Value>(&out.stdout).expect("inspect json")[0].clone()
}

pub fn docker_ps(filter: &str) -> Vec<(String, String, String, bool)> {
    let out = Command::new("docker")
        .args([
            "ps",
            "-a",
            "--no-trunc",
            "--filter",
            filter,
            "--format",
            "{{.ID}}\t{{.Names}}\t{{.Image}}\t{{.State}}",
        ])
        .output()
        .expect("docker ps");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut f = l.split('\t');
            Some((
                f.next()?.to_string(),
                f.next()?.to_string(),
                f.next()?.to_string(),
                f.next()? == "running",
            ))
        })
        .collect()
}

/// The shoalctl binary built beside shoald.
pub fn shoalctl_exe() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_shoald")).with_file_name("shoalctl")
}

/// The HTTPS address of a node's API.
pub fn https(node: &Shoald) -> String {
    format!("https://127.0.0.1:{}", node.port)
}

/// The REST client on the API at `port`, presenting the bundle in `dir`.
fn api_client(port: u16, dir: &Path) -> Result<shoal_client::Client> {
    let endpoint = Endpoint::parse(&format!("https://127.0.0.1:{port}"))?;
    Ok(shoal_client::Client::with_agent(
        endpoint,
        Some(dir),
        "shoal-e2e",
    )?)
}

/// An HTTPS client presenting the bundle in `dir` (`ca.pem`, `cert.pem`, `key.pem`), for
/// probes below the REST client (other nodes' ports, statuses, headers).
pub fn tls_client(dir: &Path) -> Result<reqwest::Client> {
    shoal_client::tls::install_default_provider();
    Ok(node_http::build(&Bundle::load(dir)?)?)
}

/// An HTTPS client that presents no certificate but trusts the cluster CA in `dir`.
pub fn anonymous_client(dir: &Path) -> Result<reqwest::Client> {
    shoal_client::tls::install_default_provider();
    Ok(node_http::build_anonymous(&Bundle::load(dir)?.ca_pem)?)
}

/// The index (in `nodes`) of the manager that leads, as `ask` sees it.
pub async fn leader(nodes: &[Shoald], ask: &Shoald) -> Option<usize> {
    let list = ask.get("/v1/nodes").await.ok()?;
    let id = list
        .as_array()?
        .iter()
        .find(|n| n["manager_status"]["leader"] == true)?["id"]
        .as_str()?
        .to_string();
    nodes.iter().position(|n| n.node_id == id)
}

/// How many voting managers `ask` lists as reachable (`None` when it does not answer).
pub async fn reachable_managers(ask: &Shoald) -> Option<usize> {
    let nodes = ask.get("/v1/nodes").await.ok()?;
    Some(
        nodes
            .as_array()?
            .iter()
            .filter(|n| n["manager_status"]["reachability"] == "reachable")
            .count(),
    )
}

/// Polls `check` until it yields a value or `timeout` passes.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = check().await {
            return Ok(v);
        }
        if start.elapsed() > timeout {
            bail!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A minimal replicated spec running the demo image.
pub fn spec(name: &str, image: &str, replicas: u64) -> Value {
    json!({
        "name": name,
        "task": {
            "container": { "image": image, "stop_grace_period": "2s" },
            "restart": { "delay": "1s" }
        },
        "mode": { "replicated": { "replicas": replicas } }
    })
}
