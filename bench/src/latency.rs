//! Assignment latency: how long a task assignment takes to reach an agent. A hollow node
//! joins with the worker token, registers with the dispatcher and holds its assignment stream; every other node is paused
//! so each new task goes to the hollow node; the time from the scheduler's proposal (the
//! task's `updated_at`, stamped before the Raft commit) to the stream delivering it is taken
//! for each of `samples` scale-ups.

use crate::client::Api;
use anyhow::{Context, bail};
use futures::StreamExt;
use serde_json::{Value, json};
use shoal_api::Timestamp;
use shoal_api::dispatch::{Assignments, RegisterResponse};
use std::time::Duration;

pub struct Latency {
    pub median_ms: u64,
    pub max_ms: u64,
    pub samples: usize,
}

async fn set_availability(api: &Api, node: &Value, availability: &str) -> anyhow::Result<()> {
    let mut spec = node["spec"].clone();
    spec["availability"] = availability.into();
    let id = node["id"].as_str().unwrap_or_default();
    api.post(
        &format!("/v1/nodes/{id}"),
        json!({"version": node["version"], "spec": spec}),
    )
    .await?;
    Ok(())
}

pub async fn run(api: &Api, image: &str, samples: usize) -> anyhow::Result<Latency> {
    // The hollow node joins like any worker, then registers as its agent would.
    let token = api.get("/v1/cluster").await?["join_tokens"]["worker"].clone();
    let hostname = format!("hollow{}", std::process::id());
    let key = rcgen::KeyPair::generate()?;
    let csr = rcgen::CertificateParams::default()
        .serialize_request(&key)?
        .pem()?;
    let joined = api
        .post(
            "/v1/join",
            json!({"token": token, "hostname": hostname, "csr": csr}),
        )
        .await?;
    let hollow = joined["node_id"]
        .as_str()
        .context("join gave no node id")?
        .to_string();
    let reg: RegisterResponse = serde_json::from_value(
        api.post(
            "/v1/dispatcher/register",
            json!({"node_id": hollow, "description": {"hostname": hostname, "cpus": 1, "memory_bytes": 1, "engine_version": "hollow"}}),
        )
        .await?,
    )?;
    let url = format!(
        "{}/v1/dispatcher/assignments?node_id={hollow}&session_id={}",
        api.base, reg.session_id
    );
    let resp = api.http.get(url).send().await?.error_for_status()?;
    let mut stream = resp.bytes_stream();
    let mut buf = Vec::new();
    let mut next_message = async move || -> anyhow::Result<(Assignments, Timestamp)> {
        loop {
            if let Some(pos) = buf.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = buf.drain(..=pos).collect();
                return Ok((serde_json::from_slice(&line)?, Timestamp::now()));
            }
            let chunk = tokio::time::timeout(Duration::from_secs(10), stream.next())
                .await
                .context("no assignment within 10s")?;
            match chunk {
                Some(c) => buf.extend_from_slice(&c?),
                None => bail!("assignment stream ended"),
            }
        }
    };
    next_message().await?; // the initial (empty) full set

    let nodes = api.get("/v1/nodes").await?;
    let others: Vec<Value> = nodes
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|n| n["id"] != hollow.as_str() && n["spec"]["availability"] == "active")
        .collect();
    for n in &others {
        set_availability(api, n, "pause").await?;
    }
    let name = format!("latency{}", std::process::id());
    api.post(
        "/v1/services",
        json!({"name": name, "task": {"container": {"image": image}}, "mode": {"replicated": {"replicas": 0}}}),
    )
    .await?;
    let mut lat = Vec::new();
    for i in 1..=samples {
        api.update(&name, |s| s["mode"]["replicated"]["replicas"] = json!(i))
            .await?;
        loop {
            let (msg, at) = next_message().await?;
            if let Some(t) = msg.tasks.iter().find(|t| t.slot == i as u64) {
                lat.push(t.meta.updated_at.until(at).as_millis() as u64);
                break;
            }
        }
    }
    api.delete(&format!("/v1/services/{name}")).await?;
    // The hollow node takes no more work; its tasks stay behind, never reported stopped.
    let me = api.get(&format!("/v1/nodes/{hollow}")).await?;
    set_availability(api, &me, "pause").await?;
    for n in &others {
        let fresh = api
            .get(&format!(
                "/v1/nodes/{}",
                n["id"].as_str().unwrap_or_default()
            ))
            .await?;
        set_availability(api, &fresh, "active").await?;
    }
    lat.sort();
    Ok(Latency {
        median_ms: lat[lat.len() / 2],
        max_ms: *lat.last().unwrap_or(&0),
        samples: lat.len(),
    })
}
