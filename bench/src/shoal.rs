//! The Shoal side: drive the REST API and poll tasks until each scenario has converged.

use crate::client::Api;
use crate::{Args, secs};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

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
