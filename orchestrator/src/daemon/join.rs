//! Joining a cluster. The joiner fetches the cluster CA, checks it against the digest its
//! token pins (so a node never trusts, or hands its token to, an impostor), then asks to be
//! admitted with the token and a signing request for its own key; the token decides the role.
//! A manager is then added to Raft (`/v1/join/raft`) once its own Raft server answers.

use super::Join;
use crate::identity::{self, Identity, PendingJoin};
use crate::pki::new_key_and_csr;
use shoal_api::rest::{ErrorBody, JoinRequest, JoinResponse, RaftJoinRequest};
use shoal_client::tls::{self, Bundle};
use shoal_client::{HttpClients, node_http};
use std::path::PathBuf;
use std::time::Duration;
use thiserror::Error;
use tokio_util::sync::CancellationToken;

/// Why this node could not join the cluster (or, as a manager, its Raft membership).
#[derive(Debug, Error)]
pub enum JoinClusterError {
    #[error("malformed join token: expected SWMTKN-1-<digest>-<secret>")]
    MalformedToken,
    #[error("cannot reach the manager at {addr}")]
    Unreachable {
        addr: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("the manager at {addr} did not hand out its CA: {status}")]
    NoCa {
        addr: String,
        status: reqwest::StatusCode,
    },
    #[error(
        "the manager at {addr} presented a CA that does not match the join token (token pins {pinned}, CA digest is {actual}): wrong address or wrong token"
    )]
    CaMismatch {
        addr: String,
        pinned: String,
        actual: String,
    },
    #[error("cannot join the cluster through {addr}: {message}")]
    Refused { addr: String, message: String },
    #[error("the cluster refused to add this manager to raft: {0}")]
    RaftRefused(String),
    /// The CA fetched, or the TLS setup made from it, is unusable.
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    /// The manager's answer could not be read.
    #[error(transparent)]
    Response(reqwest::Error),
    /// This node's key or signing request cannot be made.
    #[error(transparent)]
    Key(#[from] crate::pki::CaError),
    /// The identity cannot be saved once the join is complete.
    #[error(transparent)]
    Identity(#[from] identity::IdentityError),
}

/// How long a join is retried while the cluster answers that it cannot take writes.
const JOIN_RETRY_FOR: Duration = Duration::from_secs(60);

/// Asks a manager to admit this node; returns its identity and certificate.
pub async fn join_cluster(
    join: &Join,
    hostname: &str,
    advertise: &str,
) -> Result<(Identity, Bundle), JoinClusterError> {
    tls::install_default_provider();
    let pinned = token_digest(&join.token)?;
    let ca_pem = fetch_ca(&join.addr).await?;
    let actual = tls::ca_digest_pem(&ca_pem)?;
    if actual != pinned {
        return Err(JoinClusterError::CaMismatch {
            addr: join.addr.clone(),
            pinned,
            actual,
        });
    }
    let (key_pem, csr) = new_key_and_csr()?;
    let client = node_http::build_anonymous(&ca_pem)?;
    let req = JoinRequest {
        token: join.token.clone(),
        hostname: hostname.to_string(),
        addr: Some(advertise.to_string()),
        csr,
    };
    // A cluster may be briefly without quorum (another manager joining, an election): such a
    // refusal (503) is retried for a while; any other is final.
    let deadline = tokio::time::Instant::now() + JOIN_RETRY_FOR;
    let resp = loop {
        let resp = client
            .post(format!("https://{}/v1/join", join.addr))
            .json(&req)
            .send()
            .await
            .map_err(|source| JoinClusterError::Unreachable {
                addr: join.addr.clone(),
                source,
            })?;
        if resp.status().is_success() {
            break resp;
        }
        let status = resp.status();
        let message = match resp.json::<ErrorBody>().await {
            Ok(b) => b.error.message,
            Err(_) => status.to_string(),
        };
        if status != reqwest::StatusCode::SERVICE_UNAVAILABLE
            || tokio::time::Instant::now() >= deadline
        {
            return Err(JoinClusterError::Refused {
                addr: join.addr.clone(),
                message,
            });
        }
        tracing::warn!(via = %join.addr, %message, "the cluster cannot admit nodes right now; retrying");
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    let joined: JoinResponse = resp.json().await.map_err(JoinClusterError::Response)?;
    tracing::info!(node = %joined.node_id, role = ?joined.role, "joined the cluster");
    let manager = joined.role == shoal_api::Role::Manager;
    let id = Identity {
        node_id: joined.node_id,
        raft_id: if manager { identity::new_raft_id() } else { 0 },
        role: joined.role,
        managers: joined.managers,
        pending_raft_join: manager.then(|| PendingJoin {
            via: vec![format!("https://{}", join.addr)],
        }),
    };
    let bundle = Bundle {
        ca_pem: joined.ca_pem,
        cert_pem: joined.cert_pem,
        key_pem,
    };
    Ok((id, bundle))
}

/// The CA digest a token pins: `SWMTKN-1-<digest>-<secret>`.
fn token_digest(token: &str) -> Result<String, JoinClusterError> {
    let parts: Vec<&str> = token.trim().split('-').collect();
    match parts.as_slice() {
        ["SWMTKN", "1", digest, secret] if !digest.is_empty() && !secret.is_empty() => {
            Ok(digest.to_string())
        }
        _ => Err(JoinClusterError::MalformedToken),
    }
}

/// The CA certificate, fetched without trusting the server yet (checked by the caller).
async fn fetch_ca(addr: &str) -> Result<String, JoinClusterError> {
    let client = node_http::build_unverified()?;
    let resp = client
        .get(format!("https://{addr}/v1/ca"))
        .send()
        .await
        .map_err(|source| JoinClusterError::Unreachable {
            addr: addr.to_string(),
            source,
        })?;
    if !resp.status().is_success() {
        return Err(JoinClusterError::NoCa {
            addr: addr.to_string(),
            status: resp.status(),
        });
    }
    resp.text().await.map_err(JoinClusterError::Response)
}

/// Asks the cluster to add this manager to Raft (its Raft server already answers), retrying
/// until it succeeds, then records that the join is complete.
pub(super) async fn join_raft(
    data_dir: PathBuf,
    mut id: Identity,
    pending: PendingJoin,
    advertise: String,
    http: HttpClients,
    shutdown: CancellationToken,
) -> Result<(), JoinClusterError> {
    let req = RaftJoinRequest {
        node_id: id.node_id.clone(),
        raft_id: id.raft_id,
        addr: advertise,
    };
    let mut attempt = 0usize;
    loop {
        let via = &pending.via[attempt % pending.via.len().max(1)];
        attempt += 1;
        let sent = http
            .get()
            .post(format!("{via}/v1/join/raft"))
            .json(&req)
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => break,
            Ok(r) if r.status().is_client_error() => {
                let message = match r.json::<ErrorBody>().await {
                    Ok(b) => b.error.message,
                    Err(e) => e.to_string(),
                };
                return Err(JoinClusterError::RaftRefused(message));
            }
            Ok(r) => tracing::warn!(via, status = %r.status(), "joining raft failed; retrying"),
            Err(e) => tracing::warn!(via, error = %e, "joining raft failed; retrying"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
    id.pending_raft_join = None;
    identity::save(&data_dir, &id)?;
    tracing::info!("joined raft as a voting manager");
    // Keep running: this task ending would stop the node.
    shutdown.cancelled().await;
    Ok(())
}
