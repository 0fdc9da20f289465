//! Assignment latency: how long a task assignment takes to reach an agent. A hollow node
//! joins with the worker token, registers with the dispatcher and holds its assignment stream; every other node is paused
//! so each new task goes to the hollow node; the time from the scheduler's proposal (the
//! task's `updated_at`, stamped before the Raft commit) to the stream delivering it is taken
//! for each of `samples` scale-ups.

use anyhow::{Context, bail};
use futures::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use shoal_api::dispatch::{Assignments, RegisterResponse};
use shoal_api::{ServiceMode, Timestamp};
use shoal_client::Client;
use shoal_client::write::modify_service;
use std::time::Duration;

pub struct Latency {
    pub median_ms: u64,
    pub max_ms: u64,
    pub samples: usize,
}

async fn set_availability(api: &Client, node: &Value, availability: &str) -> anyhow::Result<()> {
    let mut spec = node["spec"].clone();
    spec["availability"] = availability.into();
    let id = node["id"].as_str().unwrap_or_default();
    api.send_json(
        Method::POST,
        &format!("/v1/nodes/{id}"),
        Some(&json!({"version": node["version"], "spec": spec})),
    )
    .await?;
    Ok(())
}

pub async fn run(api: &Client, image: &str, samples: usize) -> anyhow::Result<Latency> {
    // The hollow node joins like any worker, then registers as its agent would.
    let token =
        api.send_json(Method::GET, "/v1/cluster", None).await?["join_tokens"]["worker"].clone();
    let hostname = format!("hollow{}", std::process::id());
    let key = rcgen::KeyPair::generate()?;
    let csr = rcgen::CertificateParams::default()
        .serialize_request(&key)?
        .pem()?;
    let joined = api
        .send_json(
            Method::POST,
            "/v1/join",
            Some(&json!({"token": token, "hostname": hostname, "csr": csr})),
        )
        .await?;
    let hollow = joined["node_id"]
        .as_str()
        .context("join gave no node id")?
        .to_string();
    let reg: RegisterResponse = serde_json::from_value(
        api.send_json(Method::POST, "/v1/dispatcher/register", Some(&json!({"node_id": hollow, "description": {"hostname": hostname, "cpus": 1, "memory_bytes": 1, "engine_version": "hollow"}})))
        .await?,
    )?;
    let path = format!(
        "/v1/dispatcher/assignments?node_id={hollow}&session_id={}",
        reg.session_id
    );
    let resp = api
        .raw(Method::GET, &path)
        .send()
        .await?
        .error_for_status()?;
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

    let nodes = api.send_json(Method::GET, "/v1/nodes", None).await?;
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
    api.send_json(Method::POST, "/v1/services", Some(&json!({"name": name, "task": {"container": {"image": image}}, "mode": {"replicated": {"replicas": 0}}})))
    .await?;
    let mut lat = Vec::new();
    for i in 1..=samples {
        modify_service(api, &name, |s| {
            s.mode = ServiceMode::Replicated { replicas: i as u64 }
        })
        .await?;
        loop {
            let (msg, at) = next_message().await?;
            if let Some(t) = msg.tasks.iter().find(|t| t.slot == i as u64) {
                lat.push(t.meta.updated_at.until(at).as_millis() as u64);
                break;
            }
        }
    }
    api.send_json(Method::DELETE, &format!("/v1/services/{name}"), None)
        .await?;
    // The hollow node takes no more work; its tasks stay behind, never reported stopped.
    let me = api
        .send_json(Method::GET, &format!("/v1/nodes/{hollow}"), None)
        .await?;
    set_availability(api, &me, "pause").await?;
    for n in &others {
        let fresh = api
            .send_json(
                Method::GET,
                &format!("/v1/nodes/{}", n["id"].as_str().unwrap_or_default()),
                None,
            )
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
