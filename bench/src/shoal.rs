//! The Shoal side: drive the REST API and poll tasks until each scenario has converged.

use crate::{Args, secs};
use anyhow::{Context, bail};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    fn new(host: &str) -> anyhow::Result<Api> {
        if let Some(path) = host.strip_prefix("unix://") {
            Ok(Api {
                http: reqwest::Client::builder().unix_socket(path).build()?,
                base: "http://localhost".into(),
            })
        } else {
            Ok(Api {
                http: reqwest::Client::new(),
                base: host.trim_end_matches('/').to_string(),
            })
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> anyhow::Result<Value> {
        let r = req.send().await.context("cannot reach shoald")?;
        let status = r.status();
        let text = r.text().await?;
        if !status.is_success() {
            bail!("{status}: {text}");
        }
        Ok(if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)?
        })
    }

    async fn get(&self, path: &str) -> anyhow::Result<Value> {
        self.send(self.http.get(format!("{}{path}", self.base)))
            .await
    }

    async fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        self.send(self.http.post(format!("{}{path}", self.base)).json(&body))
            .await
    }

    async fn delete(&self, path: &str) -> anyhow::Result<Value> {
        self.send(self.http.delete(format!("{}{path}", self.base)))
            .await
    }

    async fn update(&self, name: &str, change: impl FnOnce(&mut Value)) -> anyhow::Result<()> {
        let svc = self.get(&format!("/v1/services/{name}")).await?;
        let mut spec = svc["spec"].clone();
        change(&mut spec);
        self.post(
            &format!("/v1/services/{name}"),
            json!({"version": svc["version"], "spec": spec}),
        )
        .await?;
        Ok(())
    }

    /// Waits until `done(tasks)` holds for the service's current tasks.
    async fn wait(
        &self,
        what: &str,
        service: &str,
        done: impl Fn(&[Value]) -> bool,
    ) -> anyhow::Result<()> {
        let start = Instant::now();
        loop {
            let tasks = self.get(&format!("/v1/tasks?service={service}")).await?;
            if done(tasks.as_array().map(Vec::as_slice).unwrap_or(&[])) {
                return Ok(());
            }
            if start.elapsed() > Duration::from_secs(600) {
                bail!("{what} did not converge within 10 minutes");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn running_with(tasks: &[Value], image: &str) -> usize {
    tasks
        .iter()
        .filter(|t| t["status"]["state"] == "running" && t["spec"]["container"]["image"] == image)
        .count()
}

pub async fn run(args: &Args) -> anyhow::Result<[Duration; 4]> {
    let api = Api::new(&args.host)?;
    let name = format!("bench{}", std::process::id());
    let n = args.replicas as usize;
    let spec = json!({
        "name": name,
        "task": {
            "container": { "image": args.image, "command": ["/bin/sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1 & wait $!; done"] },
        },
        "mode": { "replicated": { "replicas": args.replicas } },
        "update": { "parallelism": args.parallelism },
    });

    let t = Instant::now();
    api.post("/v1/services", spec).await?;
    api.wait("converge", &name, |ts| running_with(ts, &args.image) == n)
        .await?;
    let converge = t.elapsed();
    println!("shoal: converge {n}: {}", secs(converge));

    let t = Instant::now();
    let image2 = args.image2.clone();
    api.update(&name, |s| s["task"]["container"]["image"] = image2.into())
        .await?;
    api.wait("roll", &name, |ts| {
        running_with(ts, &args.image2) == n && ts.len() == n
    })
    .await?;
    let roll = t.elapsed();
    println!(
        "shoal: roll {n} to {} (parallelism {}): {}",
        args.image2,
        args.parallelism,
        secs(roll)
    );

    let t = Instant::now();
    api.update(&name, |s| {
        s["mode"]["replicated"]["replicas"] = json!(2 * n)
    })
    .await?;
    api.wait("scale", &name, |ts| running_with(ts, &args.image2) == 2 * n)
        .await?;
    let scale = t.elapsed();
    println!("shoal: scale {n} -> {}: {}", 2 * n, secs(scale));

    let t = Instant::now();
    api.delete(&format!("/v1/services/{name}")).await?;
    loop {
        let all = api.get("/v1/tasks?all=true").await?;
        let left = all
            .as_array()
            .map(|a| {
                a.iter()
                    .filter(|t| t["service_name"] == name.as_str())
                    .count()
            })
            .unwrap_or(0);
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let remove = t.elapsed();
    println!(
        "shoal: remove {}: {} (every task reaped, so every container removed)",
        2 * n,
        secs(remove)
    );
    Ok([converge, roll, scale, remove])
}
