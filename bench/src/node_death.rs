//! `shoal-node-death`: how long from a worker's death until all its tasks run elsewhere. Starts
//! a manager (found beside this binary) and, per trial, a worker that joins it; runs a service
//! spread over both, kills the worker's shoald with SIGKILL, and times (1) until the manager
//! marks the node down and (2) until every replica runs on a live node. The target is three
//! heartbeat periods (the down detection) plus a container start.

#[allow(dead_code)] // the node-death bench uses part of the shared client
use anyhow::{Context, bail};
use clap::Parser;
use reqwest::Method;
use serde_json::{Value, json};
use shoal_client::{Client, Endpoint};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Parser, Debug)]
#[command(about = "Time from a node's death to its tasks running elsewhere")]
struct Args {
    #[arg(long, default_value_t = 3)]
    trials: usize,
    /// Replicas of the service (about half land on the worker).
    #[arg(long, default_value_t = 10)]
    replicas: u64,
    #[arg(long, default_value = "shoal-demo:1")]
    image: String,
    /// First TCP port: the manager's; workers take the following ones.
    #[arg(long, default_value_t = 4821)]
    base_port: u16,
}

fn spawn(exe: &Path, data: &Path, port: u16, name: &str, join: &[String]) -> anyhow::Result<Child> {
    let log = std::fs::File::create(data.with_extension("log"))?;
    Command::new(exe)
        .arg("--data-dir")
        .arg(data)
        .args(["--listen-addr", &format!("127.0.0.1:{port}")])
        .args(["--hostname", name])
        .args(join)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .context("spawn shoald")
}

async fn until<T>(
    what: &str,
    limit: Duration,
    mut f: impl AsyncFnMut() -> Option<T>,
) -> anyhow::Result<T> {
    let start = Instant::now();
    loop {
        if let Some(v) = f().await {
            return Ok(v);
        }
        if start.elapsed() > limit {
            bail!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn node_of<'a>(nodes: &'a Value, host: &str) -> Option<&'a Value> {
    nodes
        .as_array()?
        .iter()
        .find(|n| n["description"]["hostname"] == host)
}

/// Running tasks of `service` and how many of them are on `node`.
async fn running(api: &Client, service: &str, node: &str) -> Option<(usize, usize)> {
    let tasks = api
        .send_json(Method::GET, &format!("/v1/tasks?service={service}"), None)
        .await
        .ok()?;
    let run: Vec<&Value> = tasks
        .as_array()?
        .iter()
        .filter(|t| t["desired_state"] == "running" && t["status"]["state"] == "running")
        .collect();
    let on = run.iter().filter(|t| t["node_id"] == node).count();
    Some((run.len(), on))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let exe = std::env::current_exe()?.with_file_name("shoald");
    let mut children: Vec<Child> = Vec::new();
    let result = run(&args, dir.path(), &exe, &mut children).await;
    for mut c in children {
        let _ = c.kill();
        let _ = c.wait();
    }
    let ids = Command::new("docker")
        .args(["ps", "-aq", "--filter", "name=^nodedeath[0-9]+\\."])
        .output()?;
    let ids: Vec<String> = String::from_utf8_lossy(&ids.stdout)
        .split_whitespace()
        .map(String::from)
        .collect();
    if !ids.is_empty() {
        Command::new("docker")
            .args(["rm", "-f"])
            .args(&ids)
            .output()?;
    }
    result
}

async fn run(args: &Args, dir: &Path, exe: &Path, children: &mut Vec<Child>) -> anyhow::Result<()> {
    let manager_data: PathBuf = dir.join("m");
    children.push(spawn(
        exe,
        &manager_data,
        args.base_port,
        "nd-manager",
        &[],
    )?);
    shoal_client::tls::install_default_provider();
    let socket = format!("unix://{}", manager_data.join("control.sock").display());
    let api = until("the manager", Duration::from_secs(30), async || {
        let api = Client::new(Endpoint::parse(&socket).ok()?, None).ok()?;
        let nodes = api.send_json(Method::GET, "/v1/nodes", None).await.ok()?;
        node_of(&nodes, "nd-manager").filter(|n| n["status"]["state"] == "ready")?;
        Some(api)
    })
    .await?;
    let cluster = api.send_json(Method::GET, "/v1/cluster", None).await?;
    let heartbeat = cluster["spec"]["heartbeat_period_secs"]
        .as_u64()
        .unwrap_or(5);
    let token = cluster["join_tokens"]["worker"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mut detect = Vec::new();
    let mut moved = Vec::new();
    for trial in 1..=args.trials {
        let name = format!("nd-worker{trial}");
        let join = [
            "--join-addr".to_string(),
            format!("127.0.0.1:{}", args.base_port),
            "--join-token".to_string(),
            token.clone(),
        ];
        let port = args.base_port + trial as u16;
        let mut worker = spawn(exe, &dir.join(&name), port, &name, &join)?;
        let worker_id = until("the worker", Duration::from_secs(30), async || {
            let nodes = api.send_json(Method::GET, "/v1/nodes", None).await.ok()?;
            let n = node_of(&nodes, &name)?;
            (n["status"]["state"] == "ready").then(|| n["id"].as_str().unwrap_or("").to_string())
        })
        .await?;
        let service = format!("nodedeath{trial}");
        api.send_json(Method::POST, "/v1/services", Some(&json!({"name": service, "task": {"container": {"image": args.image, "stop_grace_period": "2s"}},
                   "mode": {"replicated": {"replicas": args.replicas}}})))
        .await?;
        let on_worker = until("the service to run", Duration::from_secs(60), async || {
            let (all, on) = running(&api, &service, &worker_id).await?;
            (all as u64 == args.replicas && on > 0).then_some(on)
        })
        .await?;

        let _ = worker.kill();
        let _ = worker.wait();
        let killed = Instant::now();
        let down = until(
            "the node to be down",
            Duration::from_secs(120),
            async || {
                let nodes = api.send_json(Method::GET, "/v1/nodes", None).await.ok()?;
                (node_of(&nodes, &name)?["status"]["state"] == "down").then(|| killed.elapsed())
            },
        )
        .await?;
        let all = until(
            "its tasks to run elsewhere",
            Duration::from_secs(120),
            async || {
                let (all, on) = running(&api, &service, &worker_id).await?;
                (all as u64 == args.replicas && on == 0).then(|| killed.elapsed())
            },
        )
        .await?;
        println!(
            "trial {trial}: {on_worker} tasks on the killed worker; marked down after {:.2} s, all {} running elsewhere after {:.2} s",
            down.as_secs_f64(),
            args.replicas,
            all.as_secs_f64()
        );
        detect.push(down);
        moved.push(all);
        api.send_json(Method::DELETE, &format!("/v1/services/{service}"), None)
            .await?;
        api.send_json(
            Method::DELETE,
            &format!("/v1/nodes/{worker_id}?force=true"),
            None,
        )
        .await?;
    }
    detect.sort();
    moved.sort();
    let median = |v: &[Duration]| v[v.len() / 2].as_secs_f64();
    let restart: Vec<f64> = detect
        .iter()
        .zip(&moved)
        .map(|(d, m)| (*m - *d).as_secs_f64())
        .collect();
    println!(
        "node death over {} trials (heartbeat {heartbeat} s): down detected median {:.2} s, max {:.2} s (target: 3 heartbeats = {} s); tasks running elsewhere median {:.2} s, max {:.2} s (target: {} s + container start, which took up to {:.2} s here)",
        moved.len(),
        median(&detect),
        detect.last().map_or(0.0, Duration::as_secs_f64),
        3 * heartbeat,
        median(&moved),
        moved.last().map_or(0.0, Duration::as_secs_f64),
        3 * heartbeat,
        restart.iter().cloned().fold(0.0, f64::max)
    );
    Ok(())
}
