//! `shoal-failover`: leader failover time of a 3-manager cluster. Starts three `shoald`
//! (found beside this binary) in a temp dir, then for each trial kills the leader with
//! SIGKILL and times how long until a surviving manager accepts a write; the killed manager
//! is restarted and rejoins before the next trial. Prints every trial, the median and the max.

use anyhow::{Context, bail};
use clap::Parser;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Parser, Debug)]
#[command(about = "Leader failover time of a 3-manager Shoal cluster")]
struct Args {
    #[arg(long, default_value_t = 10)]
    trials: usize,
    /// First of three consecutive TCP ports for the managers.
    #[arg(long, default_value_t = 4801)]
    base_port: u16,
}

struct Manager {
    data: PathBuf,
    port: u16,
    name: String,
    child: Option<Child>,
    node_id: String,
}

impl Manager {
    fn spawn(&mut self, shoald: &PathBuf, join: Option<(u16, &str)>) -> anyhow::Result<()> {
        let log = std::fs::File::create(self.data.with_extension("log"))?;
        let mut cmd = Command::new(shoald);
        cmd.arg("--data-dir")
            .arg(&self.data)
            .args(["--listen-addr", &format!("127.0.0.1:{}", self.port)])
            .args(["--hostname", &self.name])
            .stdout(Stdio::null())
            .stderr(log);
        if let Some((port, token)) = join {
            cmd.args([
                "--join-addr",
                &format!("127.0.0.1:{port}"),
                "--join-token",
                token,
            ]);
        }
        self.child = Some(cmd.spawn().context("spawn shoald")?);
        Ok(())
    }

    fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for Manager {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// An HTTPS client with the first manager's certificate, once it has one.
async fn client_of(tls_dir: &std::path::Path) -> anyhow::Result<reqwest::Client> {
    shoal_client::tls::install_default_provider();
    let deadline = Instant::now() + Duration::from_secs(20);
    let bundle = loop {
        match shoal_client::tls::Bundle::load(tls_dir) {
            Ok(b) => break b,
            Err(e) if Instant::now() > deadline => return Err(e.into()),
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    };
    Ok(shoal_client::node_http::build(&bundle)?)
}

async fn get(http: &reqwest::Client, url: &str) -> anyhow::Result<Value> {
    let r = http.get(url).timeout(Duration::from_secs(2)).send().await?;
    if !r.status().is_success() {
        bail!("{url}: {}", r.status());
    }
    Ok(r.json().await?)
}

/// Waits until `m` answers and every manager is listed as reachable.
async fn wait_healthy(http: &reqwest::Client, m: &Manager) -> anyhow::Result<Value> {
    let start = Instant::now();
    loop {
        if let Ok(nodes) = get(http, &m.url("/v1/nodes")).await {
            let list = nodes.as_array().cloned().unwrap_or_default();
            let managers = list.iter().filter(|n| n["role"] == "manager").count();
            let reachable = list
                .iter()
                .filter(|n| {
                    n["manager_status"]["reachability"] == "reachable"
                        && n["status"]["state"] == "ready"
                })
                .count();
            if managers == reachable
                && list
                    .iter()
                    .any(|n| n["description"]["hostname"] == m.name.as_str())
            {
                return Ok(nodes);
            }
        }
        if start.elapsed() > Duration::from_secs(30) {
            bail!("{} did not become healthy within 30s", m.name);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let result = run(&args, dir.path()).await;
    if result.is_err() {
        for i in 0..3 {
            let log =
                std::fs::read_to_string(dir.path().join(format!("m{i}.log"))).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(15).collect();
            eprintln!("--- m{i}.log (last lines) ---");
            for l in tail.iter().rev() {
                eprintln!("{l}");
            }
        }
    }
    result
}

async fn run(args: &Args, dir: &std::path::Path) -> anyhow::Result<()> {
    let shoald = std::env::current_exe()?.with_file_name("shoald");
    let mut ms: Vec<Manager> = (0..3)
        .map(|i| Manager {
            data: dir.join(format!("m{i}")),
            port: args.base_port + i as u16,
            name: format!("failover-m{i}"),
            child: None,
            node_id: String::new(),
        })
        .collect();
    ms[0].spawn(&shoald, None)?;
    let http = client_of(&ms[0].data.join("tls")).await?;
    wait_healthy(&http, &ms[0]).await?;
    let cluster = get(&http, &ms[0].url("/v1/cluster")).await?;
    let token = cluster["join_tokens"]["manager"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let port0 = ms[0].port;
    for m in ms.iter_mut().skip(1) {
        m.spawn(&shoald, Some((port0, &token)))?;
    }
    for m in &ms[1..] {
        wait_healthy(&http, m).await?;
    }
    let nodes = wait_healthy(&http, &ms[0]).await?;
    for m in ms.iter_mut() {
        m.node_id = nodes
            .as_array()
            .and_then(|l| {
                l.iter()
                    .find(|n| n["description"]["hostname"] == m.name.as_str())
            })
            .and_then(|n| n["id"].as_str())
            .unwrap_or_default()
            .to_string();
    }

    let mut times = Vec::new();
    for trial in 1..=args.trials {
        let nodes = wait_healthy(&http, &ms[trial % 3]).await?;
        let leader_id = nodes
            .as_array()
            .and_then(|l| l.iter().find(|n| n["manager_status"]["leader"] == true))
            .and_then(|n| n["id"].as_str())
            .context("no leader")?
            .to_string();
        let l = ms
            .iter()
            .position(|m| m.node_id == leader_id)
            .context("leader is not ours")?;
        ms[l].kill9();
        let killed = Instant::now();
        let mut attempt = 0;
        let took = loop {
            let via = &ms[(l + 1 + attempt % 2) % 3];
            attempt += 1;
            let body = json!({"name": format!("t{trial}-{attempt}"), "task": {"container": {"image": "none"}}, "mode": {"replicated": {"replicas": 0}}});
            let ok = http
                .post(via.url("/v1/services"))
                .timeout(Duration::from_secs(2))
                .json(&body)
                .send()
                .await
                .is_ok_and(|r| r.status().as_u16() == 201);
            if ok {
                break killed.elapsed();
            }
            if killed.elapsed() > Duration::from_secs(30) {
                bail!("trial {trial}: no write accepted within 30s");
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        println!(
            "trial {trial:>2}: killed leader {}, write accepted after {} ms",
            ms[l].name,
            took.as_millis()
        );
        times.push(took);
        ms[l].spawn(&shoald, None)?;
        wait_healthy(&http, &ms[l]).await?;
    }
    times.sort();
    println!(
        "leader failover over {} trials: median {} ms, max {} ms (target: new leader accepts writes within 2000 ms)",
        times.len(),
        times[times.len() / 2].as_millis(),
        times.last().map_or(0, |t| t.as_millis())
    );
    Ok(())
}
