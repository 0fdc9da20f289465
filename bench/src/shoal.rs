//! The Shoal side: drive the REST API and poll tasks until each scenario has converged.

use crate::{Args, secs};
use anyhow::bail;
use reqwest::Method;
use serde_json::{Value, json};
use shoal_api::ServiceMode;
use shoal_client::write::modify_service;
use shoal_client::{Client, Endpoint};
use std::time::{Duration, Instant};

fn running_with(tasks: &[Value], image: &str) -> usize {
    tasks
        .iter()
        .filter(|t| t["status"]["state"] == "running" && t["spec"]["container"]["image"] == image)
        .count()
}

/// Waits until `done(tasks)` holds for the service's current tasks.
async fn wait(
    api: &Client,
    what: &str,
    service: &str,
    done: impl Fn(&[Value]) -> bool,
) -> anyhow::Result<()> {
    let start = Instant::now();
    let path = format!("/v1/tasks?service={service}");
    loop {
        let tasks = api.send_json(Method::GET, &path, None).await?;
        if done(tasks.as_array().map(Vec::as_slice).unwrap_or(&[])) {
            return Ok(());
        }
        if start.elapsed() > Duration::from_secs(600) {
            bail!("{what} did not converge within 10 minutes");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn run(args: &Args) -> anyhow::Result<[Duration; 4]> {
    let api = Client::new(Endpoint::parse(&args.host)?, None)?;
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
    api.send_json(Method::POST, "/v1/services", Some(&spec))
        .await?;
    wait(&api, "converge", &name, |ts| {
        running_with(ts, &args.image) == n
    })
    .await?;
    let converge = t.elapsed();
    println!("shoal: converge {n}: {}", secs(converge));

    let t = Instant::now();
    let image2 = args.image2.clone();
    modify_service(&api, &name, |s| s.task.container.image = image2.clone()).await?;
    wait(&api, "roll", &name, |ts| {
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
    modify_service(&api, &name, |s| {
        s.mode = ServiceMode::Replicated {
            replicas: 2 * n as u64,
        }
    })
    .await?;
    wait(&api, "scale", &name, |ts| {
        running_with(ts, &args.image2) == 2 * n
    })
    .await?;
    let scale = t.elapsed();
    println!("shoal: scale {n} -> {}: {}", 2 * n, secs(scale));

    let t = Instant::now();
    api.send_json(Method::DELETE, &format!("/v1/services/{name}"), None)
        .await?;
    loop {
        let all = api
            .send_json(Method::GET, "/v1/tasks?all=true", None)
            .await?;
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
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let remove = t.elapsed();
    println!(
        "shoal: remove {}: {} (every task reaped, so every container removed)",
        2 * n,
        secs(remove)
    );
    Ok([converge, roll, scale, remove])
}
