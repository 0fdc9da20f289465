//! The raw floor: the same container work done straight through bollard with the same
//! concurrency Shoal's agent uses (all new containers at once; a roll `parallelism` at a
//! time; teardown ten at a time, the agent's engine bound), with no orchestration at all.

use crate::{Args, secs};
use bollard::Docker;
use bollard::models::ContainerCreateBody;
use bollard::query_parameters::{
    CreateContainerOptions, RemoveContainerOptions, StopContainerOptions,
};
use futures::{StreamExt, TryStreamExt, stream};
use std::collections::HashMap;
use std::time::{Duration, Instant};

async fn create_start(docker: &Docker, name: String, image: &str) -> anyhow::Result<String> {
    let body = ContainerCreateBody {
        image: Some(image.to_string()),
        entrypoint: Some(vec![
            "/bin/sh".into(),
            "-c".into(),
            "trap 'exit 0' TERM; while true; do sleep 1 & wait $!; done".into(),
        ]),
        labels: Some(HashMap::from([(
            "shoal.bench.raw".to_string(),
            "1".to_string(),
        )])),
        ..Default::default()
    };
    let options = CreateContainerOptions {
        name: Some(name),
        ..Default::default()
    };
    let id = docker.create_container(Some(options), body).await?.id;
    docker.start_container(&id, None).await?;
    Ok(id)
}

async fn stop_remove(docker: &Docker, id: &str) -> anyhow::Result<()> {
    let stop = StopContainerOptions {
        t: Some(10),
        ..Default::default()
    };
    docker.stop_container(id, Some(stop)).await?;
    let rm = RemoveContainerOptions {
        force: true,
        ..Default::default()
    };
    docker.remove_container(id, Some(rm)).await?;
    Ok(())
}

async fn start_many(
    docker: &Docker,
    prefix: &str,
    range: std::ops::Range<usize>,
    image: &str,
    c: usize,
) -> anyhow::Result<Vec<String>> {
    stream::iter(range.map(|i| create_start(docker, format!("{prefix}{i}"), image)))
        .buffer_unordered(c)
        .try_collect()
        .await
}

async fn stop_many(docker: &Docker, ids: &[String], c: usize) -> anyhow::Result<()> {
    stream::iter(ids.iter().map(|id| stop_remove(docker, id)))
        .buffer_unordered(c)
        .try_collect::<Vec<()>>()
        .await?;
    Ok(())
}

pub async fn run(args: &Args) -> anyhow::Result<[Duration; 4]> {
    let docker = Docker::connect_with_local_defaults()?
        .negotiate_version()
        .await?;
    let n = args.replicas as usize;
    let c = args.raw_teardown_concurrency;
    let roll_c = args.parallelism.max(1) as usize;
    let p = format!("rawbench{}-", std::process::id());

    let t = Instant::now();
    let first = start_many(&docker, &format!("{p}a"), 0..n, &args.image, n).await?;
    let converge = t.elapsed();
    println!("raw:   create+start {n}, all at once: {}", secs(converge));

    // A roll: for each container, stop and remove it, then create and start its replacement.
    let t = Instant::now();
    let image2 = args.image2.clone();
    let rolled: Vec<String> = stream::iter(first.iter().enumerate().map(|(i, id)| {
        let docker = &docker;
        let name = format!("{p}b{i}");
        let image2 = image2.clone();
        async move {
            stop_remove(docker, id).await?;
            create_start(docker, name, &image2).await
        }
    }))
    .buffer_unordered(roll_c)
    .try_collect()
    .await?;
    let roll = t.elapsed();
    println!("raw:   replace {n}, {roll_c} at a time: {}", secs(roll));

    let t = Instant::now();
    let more = start_many(&docker, &format!("{p}c"), 0..n, &args.image2, n).await?;
    let scale = t.elapsed();
    println!("raw:   create+start {n} more, all at once: {}", secs(scale));

    let t = Instant::now();
    let all: Vec<String> = rolled.into_iter().chain(more).collect();
    stop_many(&docker, &all, c).await?;
    let remove = t.elapsed();
    println!(
        "raw:   stop+remove {}, {c} at a time: {}",
        2 * n,
        secs(remove)
    );
    Ok([converge, roll, scale, remove])
}
