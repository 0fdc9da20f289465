//! `shoal-faults`: the fault-injection suite. Runs 3 or 5 real `shoald` managers, each in its
//! own network namespace (`shf-m<i>`, made by `bench/faults/net.sh`), drives a workload of
//! unique creates, compare-and-set updates of one register and linearizable reads through
//! random managers while a nemesis kills, pauses, isolates or partitions them, and after
//! each episode heals, times the recovery and checks the recorded history ([`check`]): no
//! acknowledged write lost, no stale read, no phantom. Run it with `./bench/faults.sh`.

mod check;

use anyhow::{Context, bail};
use check::{Op, OpKind, Outcome, Verdict};
use clap::Parser;
use futures::StreamExt;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use reqwest::Method;
use serde_json::{Value, json};
use shoal_client::{Client, Endpoint};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Parser, Debug)]
#[command(about = "Fault-injection suite of a Shoal cluster in network namespaces")]
struct Args {
    #[arg(long, default_value_t = 10)]
    episodes: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// 3 or 5; `net.sh up` must have made as many namespaces.
    #[arg(long, default_value_t = 3)]
    managers: usize,
    /// Data dirs, logs and pid files (emptied first).
    #[arg(long, default_value = "/tmp/shoal-faults")]
    work_dir: PathBuf,
    /// Shortest and longest fault, in milliseconds.
    #[arg(long, default_value_t = 3000)]
    fault_min_ms: u64,
    #[arg(long, default_value_t = 8000)]
    fault_max_ms: u64,
    /// Only this nemesis (e.g. `isolate-leader`), instead of one chosen at random.
    #[arg(long)]
    nemesis: Option<String>,
    /// Self-test of the checker: the workload's reads ask for `?consistency=stale`, which
    /// an isolated or paused manager answers from its own copy, so stale reads must be found.
    #[arg(long)]
    stale_reads: bool,
}

const REGISTER: &str = "faults-register";
const LABEL: &str = "value";
/// An operation that takes longer is recorded as unknown (the server's bound is 10 s).
const OP_TIMEOUT: Duration = Duration::from_secs(11);
/// Nothing may run: no replicas, and a constraint no node meets.
const NEVER: &str = "node.labels.shoal-faults==never";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Nemesis {
    KillRandom,
    KillLeader,
    PauseRandom,
    PauseLeader,
    IsolateRandom,
    IsolateLeader,
    Partition,
    OneWayLeader,
    RestartAll,
}

impl Nemesis {
    const ALL: [Nemesis; 9] = [
        Nemesis::KillRandom,
        Nemesis::KillLeader,
        Nemesis::PauseRandom,
        Nemesis::PauseLeader,
        Nemesis::IsolateRandom,
        Nemesis::IsolateLeader,
        Nemesis::Partition,
        Nemesis::OneWayLeader,
        Nemesis::RestartAll,
    ];

    fn name(self) -> &'static str {
        match self {
            Nemesis::KillRandom => "kill-random",
            Nemesis::KillLeader => "kill-leader",
            Nemesis::PauseRandom => "pause-random",
            Nemesis::PauseLeader => "pause-leader",
            Nemesis::IsolateRandom => "isolate-random",
            Nemesis::IsolateLeader => "isolate-leader",
            Nemesis::Partition => "partition-minority",
            Nemesis::OneWayLeader => "one-way-leader",
            Nemesis::RestartAll => "restart-all",
        }
    }
}

struct Manager {
    ns: String,
    ip: String,
    data: PathBuf,
    log: PathBuf,
    pid_file: PathBuf,
    child: Option<Child>,
}

impl Manager {
    fn spawn(&mut self, shoald: &Path, join: Option<(&str, &str)>) -> anyhow::Result<()> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)?;
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.ns])
            .arg(shoald)
            .arg("--data-dir")
            .arg(&self.data)
            .args(["--listen-addr", &format!("{}:4242", self.ip)])
            .args(["--hostname", &self.ns])
            .env("SHOAL_LOG", "info,openraft=warn")
            .stdout(Stdio::null())
            .stderr(log);
        if let Some((addr, token)) = join {
            cmd.args(["--join-addr", addr, "--join-token", token]);
        }
        let child = cmd.spawn().context("spawn shoald")?;
        // `ip netns exec` execs shoald, so this is shoald's pid (for the shell's trap).
        std::fs::write(&self.pid_file, child.id().to_string())?;
        self.child = Some(child);
        Ok(())
    }

    fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            signal(&c, "CONT");
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn iptables(&self, rule: &[&str]) -> anyhow::Result<()> {
        run(
            "ip",
            &[&["netns", "exec", &self.ns, "iptables"], rule].concat(),
        )
    }
}

fn signal(child: &Child, sig: &str) {
    let _ = Command::new("kill")
        .args([&format!("-{sig}"), &child.id().to_string()])
        .status();
}

fn run(program: &str, args: &[&str]) -> anyhow::Result<()> {
    let st = Command::new(program).args(args).status()?;
    if !st.success() {
        bail!("{program} {} failed: {st}", args.join(" "));
    }
    Ok(())
}

/// Microseconds since the start of the run.
#[derive(Clone, Copy)]
struct Clock(Instant);

impl Clock {
    fn now(&self) -> u64 {
        self.0.elapsed().as_micros() as u64
    }
}

/// One HTTP exchange: its outcome and, when acknowledged, the body.
async fn exchange(
    client: &Client,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> (Outcome, Value) {
    let mut req = client.raw(method, path).timeout(OP_TIMEOUT);
    if let Some(b) = body {
        req = req.json(b);
    }
    let resp = match tokio::time::timeout(OP_TIMEOUT, req.send()).await {
        Err(_) => return (Outcome::Unknown, Value::Null),
        // Never connected: the request was not sent.
        Ok(Err(e)) if e.is_connect() => return (Outcome::Failed, Value::Null),
        Ok(Err(_)) => return (Outcome::Unknown, Value::Null),
        Ok(Ok(r)) => r,
    };
    let status = resp.status();
    let text = match tokio::time::timeout(OP_TIMEOUT, resp.text()).await {
        Ok(Ok(t)) => t,
        _ => return (Outcome::Unknown, Value::Null),
    };
    let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let outcome = if status.is_success() {
        Outcome::Ok
    } else if status.as_u16() == 503 {
        if text.contains("may still commit") {
            Outcome::Unknown
        } else {
            Outcome::Failed
        }
    } else if status.is_client_error() {
        Outcome::Failed
    } else {
        Outcome::Unknown
    };
    (outcome, value)
}

fn service_body(name: &str, labels: Value) -> Value {
    json!({
        "name": name,
        "labels": labels,
        "task": {"container": {"image": "none"}, "placement": {"constraints": [NEVER]}},
        "mode": {"replicated": {"replicas": 0}},
    })
}

/// The register's value and version out of a service.
fn register_of(svc: &Value) -> Option<(u64, u64, Value)> {
    let value = svc["spec"]["labels"][LABEL].as_str()?.parse().ok()?;
    Some((value, svc["version"].as_u64()?, svc["spec"].clone()))
}

struct Workload {
    clients: Vec<Client>,
    clock: Clock,
    ops: Mutex<Vec<Op>>,
    stop: AtomicBool,
    /// The path the workload reads the register at.
    read_path: String,
}

impl Workload {
    fn record(&self, kind: OpKind, invoke: u64, outcome: Outcome) {
        let complete = self.clock.now();
        self.ops.lock().unwrap().push(Op {
            kind,
            invoke,
            complete,
            outcome,
        });
    }

    fn pick(&self, rng: &mut StdRng) -> &Client {
        &self.clients[rng.random_range(0..self.clients.len())]
    }

    async fn read(&self, client: &Client) -> Option<(u64, u64, Value)> {
        let t = self.clock.now();
        let (outcome, body) = exchange(client, Method::GET, &self.read_path, None).await;
        let reg = if outcome == Outcome::Ok {
            register_of(&body)
        } else {
            None
        };
        let outcome = if outcome == Outcome::Ok && reg.is_none() {
            Outcome::Unknown
        } else {
            outcome
        };
        self.record(
            OpKind::Read {
                value: reg.as_ref().map(|r| r.0),
                last: false,
            },
            t,
            // A read changes nothing: only a successful one counts.
            if outcome == Outcome::Ok {
                Outcome::Ok
            } else {
                Outcome::Failed
            },
        );
        reg
    }

    async fn cas_loop(self: Arc<Self>, seed: u64) {
        let mut rng = StdRng::seed_from_u64(seed);
        while !self.stop.load(Ordering::Relaxed) {
            let client = self.pick(&mut rng).clone();
            if let Some((value, version, mut spec)) = self.read(&client).await {
                spec["labels"][LABEL] = json!((value + 1).to_string());
                let client = self.pick(&mut rng).clone();
                let t = self.clock.now();
                let body = json!({"version": version, "spec": spec});
                let (outcome, _) = exchange(
                    &client,
                    Method::POST,
                    &format!("/v1/services/{REGISTER}"),
                    Some(&body),
                )
                .await;
                self.record(OpKind::Cas { to: value + 1 }, t, outcome);
            }
            tokio::time::sleep(Duration::from_millis(rng.random_range(5..30))).await;
        }
    }

    async fn read_loop(self: Arc<Self>, seed: u64) {
        let mut rng = StdRng::seed_from_u64(seed);
        while !self.stop.load(Ordering::Relaxed) {
            let client = self.pick(&mut rng).clone();
            self.read(&client).await;
            tokio::time::sleep(Duration::from_millis(rng.random_range(5..30))).await;
        }
    }

    async fn create_loop(self: Arc<Self>, seed: u64, prefix: String) {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut n = 0;
        while !self.stop.load(Ordering::Relaxed) {
            n += 1;
            let name = format!("{prefix}-{n}");
            let client = self.pick(&mut rng).clone();
            let t = self.clock.now();
            let (outcome, _) = exchange(
                &client,
                Method::POST,
                "/v1/services",
                Some(&service_body(&name, json!({}))),
            )
            .await;
            self.record(OpKind::Create { name }, t, outcome);
            tokio::time::sleep(Duration::from_millis(rng.random_range(20..60))).await;
        }
    }
}

struct Cluster {
    shoald: PathBuf,
    ms: Vec<Manager>,
    clients: Vec<Client>,
}

impl Cluster {
    fn unix(&self, i: usize) -> anyhow::Result<Client> {
        Ok(Client::new(
            Endpoint::Unix(self.ms[i].data.join("control.sock")),
            None,
        )?)
    }

    /// Which manager leads, asked through `via`.
    async fn leader(&self) -> Option<usize> {
        for c in &self.clients {
            let (outcome, nodes) = exchange(c, Method::GET, "/v1/nodes", None).await;
            if outcome != Outcome::Ok {
                continue;
            }
            let host = nodes
                .as_array()?
                .iter()
                .find(|n| n["manager_status"]["leader"] == true)?["description"]["hostname"]
                .as_str()?
                .to_string();
            return self.ms.iter().position(|m| m.ns == host);
        }
        None
    }

    /// Waits until every manager is a reachable, ready manager in the node list.
    async fn wait_members(&self, want: usize, within: Duration) -> anyhow::Result<()> {
        let start = Instant::now();
        loop {
            let c = self.unix(0)?;
            if let Ok(nodes) = c.send_json(Method::GET, "/v1/nodes", None).await {
                let ok = nodes.as_array().map_or(0, |l| {
                    l.iter()
                        .filter(|n| {
                            n["role"] == "manager"
                                && n["manager_status"]["reachability"] == "reachable"
                                && n["status"]["state"] == "ready"
                        })
                        .count()
                });
                if ok >= want {
                    return Ok(());
                }
            }
            if start.elapsed() > within {
                bail!("{want} managers were not all reachable within {within:?}");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn start(args: &Args) -> anyhow::Result<Cluster> {
        let exe = std::env::current_exe()?;
        let shoald = exe.with_file_name("shoald");
        let shoalctl = exe.with_file_name("shoalctl");
        let _ = std::fs::remove_dir_all(&args.work_dir);
        std::fs::create_dir_all(&args.work_dir)?;
        let ms = (0..args.managers)
            .map(|i| Manager {
                ns: format!("shf-m{i}"),
                ip: format!("10.77.0.{}", 10 + i),
                data: args.work_dir.join(format!("m{i}")),
                log: args.work_dir.join(format!("m{i}.log")),
                pid_file: args.work_dir.join(format!("m{i}.pid")),
                child: None,
            })
            .collect();
        let mut cluster = Cluster {
            shoald,
            ms,
            clients: Vec::new(),
        };
        cluster.ms[0].spawn(&cluster.shoald, None)?;
        cluster.wait_members(1, Duration::from_secs(30)).await?;
        let token = cluster
            .unix(0)?
            .send_json(Method::GET, "/v1/cluster", None)
            .await?["join_tokens"]["manager"]
            .as_str()
            .context("no manager token")?
            .to_string();
        let first = format!("{}:4242", cluster.ms[0].ip);
        for i in 1..args.managers {
            let shoald = cluster.shoald.clone();
            cluster.ms[i].spawn(&shoald, Some((&first, &token)))?;
            cluster.wait_members(i + 1, Duration::from_secs(60)).await?;
        }
        let bundle = args.work_dir.join("bundle");
        let sock = format!(
            "unix://{}",
            cluster.ms[0].data.join("control.sock").display()
        );
        run(
            shoalctl.to_str().context("path")?,
            &[
                "-H",
                &sock,
                "cluster",
                "client-bundle",
                "--out",
                bundle.to_str().context("path")?,
            ],
        )?;
        for m in &cluster.ms {
            let url = format!("https://{}:4242", m.ip);
            cluster
                .clients
                .push(Client::new(Endpoint::parse(&url)?, Some(&bundle))?);
        }
        Ok(cluster)
    }

    fn restart(&mut self, i: usize) -> anyhow::Result<()> {
        let shoald = self.shoald.clone();
        self.ms[i].kill9();
        self.ms[i].spawn(&shoald, None)
    }

    /// Until a write is acknowledged and every manager answers a linearizable read.
    async fn recover(&self, probe: &str, within: Duration) -> Option<Duration> {
        let start = Instant::now();
        let mut wrote = false;
        let mut answered = vec![false; self.clients.len()];
        let mut n = 0;
        while start.elapsed() < within {
            if !wrote {
                n += 1;
                let c = &self.clients[n % self.clients.len()];
                let body = service_body(&format!("{probe}-{n}"), json!({}));
                wrote = exchange(c, Method::POST, "/v1/services", Some(&body))
                    .await
                    .0
                    == Outcome::Ok;
            }
            for (i, c) in self.clients.iter().enumerate() {
                if !answered[i] {
                    answered[i] =
                        exchange(c, Method::GET, &format!("/v1/services/{REGISTER}"), None)
                            .await
                            .0
                            == Outcome::Ok;
                }
            }
            if wrote && answered.iter().all(|a| *a) {
                return Some(start.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        None
    }

    /// Each manager's own copy of the names starting with `prefix`, once all copies agree
    /// (or after `within`).
    async fn copies(&self, prefix: &str, within: Duration) -> Vec<BTreeSet<String>> {
        let start = Instant::now();
        loop {
            let mut copies = Vec::new();
            for c in &self.clients {
                let (outcome, list) =
                    exchange(c, Method::GET, "/v1/services?consistency=stale", None).await;
                let names: BTreeSet<String> = list
                    .as_array()
                    .map(|l| {
                        l.iter()
                            .filter_map(|s| s["spec"]["name"].as_str())
                            .filter(|n| n.starts_with(prefix))
                            .map(String::from)
                            .collect()
                    })
                    .unwrap_or_default();
                copies.push((outcome == Outcome::Ok, names));
            }
            let all_ok = copies.iter().all(|c| c.0);
            let agree = copies.windows(2).all(|w| w[0].1 == w[1].1);
            if (all_ok && agree) || start.elapsed() > within {
                return copies.into_iter().map(|c| c.1).collect();
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
}

/// What the nemesis did, so it can be undone.
enum Fault {
    Killed(Vec<usize>),
    Paused(usize),
    Firewalled(Vec<usize>),
}

fn drop_from(m: &Manager, peers: &[&str], outbound: bool) -> anyhow::Result<()> {
    for p in peers {
        m.iptables(&["-A", "INPUT", "-s", p, "-j", "DROP"])?;
        if outbound {
            m.iptables(&["-A", "OUTPUT", "-d", p, "-j", "DROP"])?;
        }
    }
    Ok(())
}

async fn inject(
    cluster: &mut Cluster,
    nemesis: Nemesis,
    rng: &mut StdRng,
) -> anyhow::Result<(Fault, String)> {
    let n = cluster.ms.len();
    let leader = cluster.leader().await;
    let random = rng.random_range(0..n);
    let target = match nemesis {
        Nemesis::KillLeader
        | Nemesis::PauseLeader
        | Nemesis::IsolateLeader
        | Nemesis::OneWayLeader => leader.unwrap_or(random),
        _ => random,
    };
    let ips: Vec<String> = cluster.ms.iter().map(|m| m.ip.clone()).collect();
    let others = |i: usize| -> Vec<&str> {
        (0..n)
            .filter(|j| *j != i)
            .map(|j| ips[j].as_str())
            .collect()
    };
    let what = format!(
        "target=m{target} leader={}",
        leader.map_or("?".into(), |l| format!("m{l}"))
    );
    Ok(match nemesis {
        Nemesis::KillRandom | Nemesis::KillLeader => {
            cluster.ms[target].kill9();
            (Fault::Killed(vec![target]), what)
        }
        Nemesis::RestartAll => {
            for m in &mut cluster.ms {
                m.kill9();
            }
            (Fault::Killed((0..n).collect()), "target=all".into())
        }
        Nemesis::PauseRandom | Nemesis::PauseLeader => {
            if let Some(c) = &cluster.ms[target].child {
                signal(c, "STOP");
            }
            (Fault::Paused(target), what)
        }
        Nemesis::IsolateRandom | Nemesis::IsolateLeader => {
            // Cut off from the other managers only: clients still reach it, so an old
            // leader that answered from its own state would be caught.
            drop_from(&cluster.ms[target], &others(target), true)?;
            (Fault::Firewalled(vec![target]), what)
        }
        Nemesis::OneWayLeader => {
            // It still sends (heartbeats reach the followers) but hears nothing back.
            drop_from(&cluster.ms[target], &others(target), false)?;
            (Fault::Firewalled(vec![target]), what)
        }
        Nemesis::Partition => {
            let mut order: Vec<usize> = (0..n).collect();
            order.shuffle(rng);
            let minority: Vec<usize> = order[..(n - 1) / 2].to_vec();
            let majority: Vec<&str> = order[(n - 1) / 2..]
                .iter()
                .map(|j| ips[*j].as_str())
                .collect();
            for &i in &minority {
                drop_from(&cluster.ms[i], &majority, true)?;
            }
            let names: Vec<String> = minority.iter().map(|i| format!("m{i}")).collect();
            (
                Fault::Firewalled(minority),
                format!("minority={}", names.join(",")),
            )
        }
    })
}

fn heal(cluster: &mut Cluster, fault: Fault) -> anyhow::Result<()> {
    match fault {
        Fault::Killed(list) => {
            for i in list {
                cluster.restart(i)?;
            }
        }
        Fault::Paused(i) => {
            if let Some(c) = &cluster.ms[i].child {
                signal(c, "CONT");
            }
        }
        Fault::Firewalled(list) => {
            for i in list {
                cluster.ms[i].iptables(&["-F"])?;
            }
        }
    }
    Ok(())
}

struct EpisodeResult {
    verdict: Verdict,
    acked: usize,
    recovered: bool,
}

async fn episode(
    cluster: &mut Cluster,
    args: &Args,
    ep: usize,
    rng: &mut StdRng,
    clock: Clock,
) -> anyhow::Result<EpisodeResult> {
    let mut nemesis = Nemesis::ALL[rng.random_range(0..Nemesis::ALL.len())];
    if let Some(name) = &args.nemesis {
        nemesis = *Nemesis::ALL
            .iter()
            .find(|n| n.name() == name)
            .context("unknown --nemesis")?;
    }
    let fault_ms = rng.random_range(args.fault_min_ms..=args.fault_max_ms);
    let work = Arc::new(Workload {
        clients: cluster.clients.clone(),
        clock,
        ops: Mutex::new(Vec::new()),
        stop: AtomicBool::new(false),
        read_path: format!(
            "/v1/services/{REGISTER}{}",
            if args.stale_reads {
                "?consistency=stale"
            } else {
                ""
            }
        ),
    });
    let prefix = format!("f{ep}-c");
    // The register's value before this episode's operations (the cluster is whole).
    let mut initial = None;
    for attempt in 0..50 {
        let c = &cluster.clients[attempt % cluster.clients.len()];
        let (outcome, body) =
            exchange(c, Method::GET, &format!("/v1/services/{REGISTER}"), None).await;
        initial = (outcome == Outcome::Ok)
            .then(|| register_of(&body))
            .flatten()
            .map(|r| r.0);
        if initial.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let initial = initial.context("cannot read the register before the episode")?;
    let base: u64 = rng.random();
    let mut tasks = Vec::new();
    for k in 0..3 {
        tasks.push(tokio::spawn(work.clone().cas_loop(base + k)));
    }
    tasks.push(tokio::spawn(work.clone().read_loop(base + 10)));
    tasks.push(tokio::spawn(
        work.clone().create_loop(base + 20, prefix.clone()),
    ));

    tokio::time::sleep(Duration::from_secs(1)).await;
    let (fault, what) = inject(cluster, nemesis, rng).await?;
    tokio::time::sleep(Duration::from_millis(fault_ms)).await;
    heal(cluster, fault)?;
    let recovery = cluster
        .recover(&format!("f{ep}-probe"), Duration::from_secs(60))
        .await;
    // Keep the workload going a little on the healed cluster.
    tokio::time::sleep(Duration::from_secs(1)).await;
    work.stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await?;
    }
    // Last reads through every manager, once everything else completed.
    for c in &cluster.clients {
        let t = clock.now();
        let (outcome, body) =
            exchange(c, Method::GET, &format!("/v1/services/{REGISTER}"), None).await;
        let value = (outcome == Outcome::Ok)
            .then(|| register_of(&body))
            .flatten()
            .map(|r| r.0);
        work.record(
            OpKind::Read { value, last: true },
            t,
            if value.is_some() {
                Outcome::Ok
            } else {
                Outcome::Failed
            },
        );
    }
    let copies = cluster.copies(&prefix, Duration::from_secs(30)).await;
    let ops = std::mem::take(&mut *work.ops.lock().unwrap());
    let verdict = check::check(&ops, &copies, initial);
    let acked = ops
        .iter()
        .filter(|o| o.outcome == Outcome::Ok && !matches!(o.kind, OpKind::Read { .. }))
        .count();
    let unknown = ops.iter().filter(|o| o.outcome == Outcome::Unknown).count();
    let last: Vec<String> = ops
        .iter()
        .filter_map(|o| match o.kind {
            OpKind::Read { value, last: true } => Some(value.map_or("-".into(), |v| v.to_string())),
            _ => None,
        })
        .collect();
    println!(
        "episode={ep} nemesis={} {what} fault_ms={fault_ms} ops={} acked={acked} unknown={unknown} lost={} stale={} phantom={} diverged={} register={} recovery_ms={}",
        nemesis.name(),
        ops.len(),
        verdict.lost,
        verdict.stale,
        verdict.phantom,
        verdict.diverged,
        last.join("/"),
        recovery.map_or("none".into(), |d| d.as_millis().to_string()),
    );
    if verdict.violations() > 0 {
        let path = args.work_dir.join(format!("episode-{ep}.history"));
        let text: String = ops.iter().map(|o| format!("{o:?}\n")).collect();
        std::fs::write(&path, text)?;
        println!("episode={ep} history written to {}", path.display());
    }
    // Remove this episode's services, so the next episodes do not list ever more.
    let mut doomed: BTreeSet<String> = copies.into_iter().flatten().collect();
    doomed.extend(
        cluster
            .copies(&format!("f{ep}-probe"), Duration::ZERO)
            .await
            .into_iter()
            .flatten(),
    );
    let deletes = doomed.iter().enumerate().map(|(k, name)| {
        let c = &cluster.clients[k % cluster.clients.len()];
        let path = format!("/v1/services/{name}");
        async move { exchange(c, Method::DELETE, &path, None).await }
    });
    futures::stream::iter(deletes)
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await;
    // Back to a whole cluster before the next fault.
    let healthy = cluster
        .wait_members(cluster.ms.len(), Duration::from_secs(60))
        .await;
    Ok(EpisodeResult {
        verdict,
        acked,
        recovered: recovery.is_some() && healthy.is_ok(),
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.managers != 3 && args.managers != 5 {
        bail!("--managers must be 3 or 5");
    }
    let mut cluster = Cluster::start(&args).await?;
    let result = run_episodes(&mut cluster, &args).await;
    for m in &mut cluster.ms {
        m.kill9();
    }
    let ok = result?;
    if !ok {
        std::process::exit(1);
    }
    Ok(())
}

async fn run_episodes(cluster: &mut Cluster, args: &Args) -> anyhow::Result<bool> {
    let (_, body) = exchange(
        &cluster.clients[0],
        Method::POST,
        "/v1/services",
        Some(&service_body(REGISTER, json!({LABEL: "0"}))),
    )
    .await;
    if body["spec"]["name"] != REGISTER {
        bail!("cannot create the register: {body}");
    }
    let clock = Clock(Instant::now());
    let mut rng = StdRng::seed_from_u64(args.seed);
    let mut total = Verdict::default();
    let (mut acked, mut recovered) = (0, 0);
    for ep in 1..=args.episodes {
        let r = episode(cluster, args, ep, &mut rng, clock).await?;
        total.lost += r.verdict.lost;
        total.stale += r.verdict.stale;
        total.phantom += r.verdict.phantom;
        total.diverged += r.verdict.diverged;
        acked += r.acked;
        recovered += usize::from(r.recovered);
    }
    println!(
        "episodes={} managers={} seed={} acked={acked} lost={} stale={} phantom={} diverged={} recovered={recovered}/{}",
        args.episodes,
        args.managers,
        args.seed,
        total.lost,
        total.stale,
        total.phantom,
        total.diverged,
        args.episodes
    );
    Ok(total.violations() == 0 && recovered == args.episodes)
}
