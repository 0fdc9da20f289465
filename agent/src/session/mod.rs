//! The agent's session with a manager: register, heartbeat at the period the manager asks
//! for, follow the assignment stream, and serve log subscriptions (`log_relay`). Any failure
//! ends the session; the agent then registers again, trying the managers it knows in turn
//! (`managers`, refreshed at each registration). Containers keep running meanwhile.
//!
//! What flows back to the manager goes through the session too: task status in batches
//! (`reporter`) and container output for log subscriptions (`log_relay`).

mod log_relay;
mod managers;
pub(crate) mod reporter;

pub use managers::Managers;

use crate::AgentConfig;
use crate::executor::Executor;
use crate::tasks::Worker;
use futures::StreamExt;
use shoal_api::dispatch::{Assignments, HeartbeatRequest, RegisterRequest, RegisterResponse};
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

#[derive(Clone, Debug)]
pub struct SessionInfo {
    pub manager: String,
    pub session_id: String,
}

#[derive(Debug, Error)]
enum SessionError {
    #[error("{0}")]
    Http(#[from] reqwest::Error),
    #[error("{0}")]
    Exec(#[from] crate::ExecError),
    #[error("bad assignment message: {0}")]
    Decode(#[from] serde_json::Error),
    #[error("heartbeat failed: {0}")]
    Heartbeat(String),
    #[error("the manager refused: {0}")]
    Refused(String),
}

/// A response, or the manager's own words when it refused (`{"error":{"message"}}`).
async fn refused(resp: reqwest::Response) -> Result<reqwest::Response, SessionError> {
    shoal_client::node_http::refused_message(resp)
        .await
        .map_err(SessionError::Refused)
}

const MAX_BACKOFF: Duration = Duration::from_secs(5);

pub async fn run(config: AgentConfig, executor: Arc<dyn Executor>, shutdown: CancellationToken) {
    let (session_tx, session_rx) = watch::channel(None);
    let (status_tx, status_rx) = mpsc::unbounded_channel();
    tokio::spawn(reporter::run(
        config.http.clone(),
        config.node_id.clone(),
        session_rx,
        status_rx,
        shutdown.clone(),
    ));
    let worker = Worker::new(executor.clone(), status_tx, shutdown.clone());
    let mut backoff = Duration::from_millis(100);
    let mut attempt = 0usize;
    while !shutdown.is_cancelled() {
        // The managers the agent knows, refreshed at each registration and heartbeat.
        let managers = config.managers.get();
        let manager = managers[attempt % managers.len()].clone();
        attempt += 1;
        let started = tokio::time::Instant::now();
        let http = config.http.get();
        let ctx = Ctx {
            http: &http,
            config: &config,
            executor: &executor,
            worker: &worker,
            session_tx: &session_tx,
            shutdown: &shutdown,
        };
        if let Err(e) = session(ctx, &manager).await {
            tracing::warn!(manager, error = %e, "session with manager ended");
        }
        session_tx.send_replace(None);
        if started.elapsed() > Duration::from_secs(10) {
            backoff = Duration::from_millis(100);
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

struct Ctx<'a> {
    http: &'a reqwest::Client,
    config: &'a AgentConfig,
    executor: &'a Arc<dyn Executor>,
    worker: &'a Worker,
    session_tx: &'a watch::Sender<Option<SessionInfo>>,
    shutdown: &'a CancellationToken,
}

async fn session(ctx: Ctx<'_>, manager: &str) -> Result<(), SessionError> {
    let Ctx {
        http,
        config,
        executor,
        worker,
        session_tx,
        shutdown,
    } = ctx;
    let mut description = executor.describe().await?;
    description.hostname = config.hostname.clone();
    let reg: RegisterResponse = http
        .post(format!("{manager}/v1/dispatcher/register"))
        .json(&RegisterRequest {
            node_id: config.node_id.clone(),
            description,
            addr: config.addr.clone(),
        })
        .send()
        .await
        .map(refused)?
        .await?
        .json()
        .await?;
    tracing::info!(manager, "registered with manager");
    config.managers.set(reg.managers.clone());
    session_tx.send_replace(Some(SessionInfo {
        manager: manager.to_string(),
        session_id: reg.session_id.clone(),
    }));
    let ended = shutdown.child_token();
    let _guard = ended.clone().drop_guard();
    let hb = tokio::spawn(heartbeat(
        http.clone(),
        manager.to_string(),
        HeartbeatRequest {
            node_id: config.node_id.clone(),
            session_id: reg.session_id.clone(),
        },
        Duration::from_millis(reg.heartbeat_period_ms.max(100)),
        config.managers.clone(),
        ended.clone(),
    ));
    tokio::spawn(log_relay::run(
        log_relay::Publisher {
            http: http.clone(),
            manager: manager.to_string(),
            node_id: config.node_id.clone(),
            session_id: reg.session_id.clone(),
        },
        executor.clone(),
        ended.clone(),
    ));
    let resp = http
        .get(format!("{manager}/v1/dispatcher/assignments"))
        .query(&[
            ("node_id", config.node_id.as_str()),
            ("session_id", reg.session_id.as_str()),
        ])
        .send()
        .await?
        .error_for_status()?;
    let mut body = resp.bytes_stream();
    let mut buf: Vec<u8> = Vec::new();
    let result = loop {
        let chunk = tokio::select! {
            _ = ended.cancelled() => break Ok(()),
            c = body.next() => c,
        };
        match chunk {
            None => break Ok(()),
            Some(Err(e)) => break Err(e.into()),
            Some(Ok(bytes)) => {
                buf.extend_from_slice(&bytes);
                while let Some(pos) = buf.iter().position(|b| *b == b'\n') {
                    let line: Vec<u8> = buf.drain(..=pos).collect();
                    let msg: Assignments = serde_json::from_slice(&line)?;
                    worker.apply(msg).await;
                }
            }
        }
    };
    ended.cancel();
    match hb.await {
        Ok(Err(e)) if result.is_ok() => Err(e),
        _ => result,
    }
}

/// Heartbeats until `ended`, taking the period and the manager list each answer gives;
/// three failures in a row end the session.
async fn heartbeat(
    http: reqwest::Client,
    manager: String,
    req: HeartbeatRequest,
    mut period: Duration,
    managers: crate::Managers,
    ended: CancellationToken,
) -> Result<(), SessionError> {
    let mut failures = 0;
    loop {
        tokio::select! {
            _ = ended.cancelled() => return Ok(()),
            _ = tokio::time::sleep(period) => {}
        }
        let r = http
            .post(format!("{manager}/v1/dispatcher/heartbeat"))
            .timeout(period)
            .json(&req)
            .send()
            .await
            .and_then(|r| r.error_for_status());
        match r {
            Ok(resp) => {
                failures = 0;
                if let Ok(h) = resp.json::<shoal_api::dispatch::HeartbeatResponse>().await {
                    period = Duration::from_millis(h.heartbeat_period_ms.max(100));
                    managers.set(h.managers);
                }
            }
            Err(e) if e.status() == Some(reqwest::StatusCode::UNAUTHORIZED) => {
                ended.cancel();
                return Err(SessionError::Heartbeat(
                    "the manager no longer knows this session".into(),
                ));
            }
            Err(e) => {
                failures += 1;
                if failures >= 3 {
                    ended.cancel();
                    return Err(SessionError::Heartbeat(e.to_string()));
                }
            }
        }
    }
}
