//! Joining a cluster: admission with a token (`/v1/join`), then, for a manager, being added
//! to Raft (`/v1/join/raft`) once its own Raft server answers.

use super::Join;
use crate::identity::{self, Identity};
use anyhow::Context;
use std::path::PathBuf;
use tokio_util::sync::CancellationToken;

/// Asks a manager to admit this node; the token decides the role.
pub(super) async fn join_cluster(
    join: &Join,
    hostname: &str,
    advertise: &str,
) -> anyhow::Result<Identity> {
    let url = format!("http://{}/v1/join", join.addr);
    let req = shoal_api::rest::JoinRequest {
        token: join.token.clone(),
        hostname: hostname.to_string(),
        addr: Some(advertise.to_string()),
    };
    let resp = reqwest::Client::new()
        .post(&url)
        .json(&req)
        .send()
        .await
        .with_context(|| format!("cannot reach the manager at {}", join.addr))?;
    if !resp.status().is_success() {
        let status = resp.status();
        let message = match resp.json::<shoal_api::rest::ErrorBody>().await {
            Ok(b) => b.error.message,
            Err(_) => status.to_string(),
        };
        anyhow::bail!("cannot join the cluster through {}: {message}", join.addr);
    }
    let joined: shoal_api::rest::JoinResponse = resp.json().await?;
    tracing::info!(node = %joined.node_id, role = ?joined.role, "joined the cluster");
    let manager = joined.role == shoal_api::Role::Manager;
    Ok(Identity {
        node_id: joined.node_id,
        raft_id: if manager { identity::new_raft_id() } else { 0 },
        role: joined.role,
        managers: joined.managers,
        pending_raft_join: manager.then(|| identity::PendingJoin {
            addr: join.addr.clone(),
            token: join.token.clone(),
        }),
    })
}

/// Asks the cluster to add this admitted manager to Raft (its Raft server already answers),
/// retrying until it succeeds, then records that the join is complete.
pub(super) async fn join_raft(
    data_dir: PathBuf,
    mut id: Identity,
    advertise: String,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let Some(pending) = id.pending_raft_join.clone() else {
        return Ok(());
    };
    let req = shoal_api::rest::RaftJoinRequest {
        token: pending.token.clone(),
        node_id: id.node_id.clone(),
        raft_id: id.raft_id,
        addr: advertise,
    };
    let http = reqwest::Client::new();
    let url = format!("http://{}/v1/join/raft", pending.addr);
    loop {
        let sent = http.post(&url).json(&req).send().await;
        match sent {
            Ok(r) if r.status().is_success() => break,
            Ok(r) if r.status().is_client_error() => {
                let message = match r.json::<shoal_api::rest::ErrorBody>().await {
                    Ok(b) => b.error.message,
                    Err(e) => e.to_string(),
                };
                anyhow::bail!("the cluster refused to add this manager to raft: {message}");
            }
            Ok(r) => tracing::warn!(status = %r.status(), "joining raft failed; retrying"),
            Err(e) => tracing::warn!(error = %e, "joining raft failed; retrying"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
        }
    }
    id.pending_raft_join = None;
    identity::save(&data_dir, &id)?;
    tracing::info!("joined raft as a voting manager");
    // Keep running: this task ending would stop the node.
    shutdown.cancelled().await;
    Ok(())
}
