//! Raft RPCs between managers over mutual TLS (`POST /v1/raft/{append,vote,snapshot}`, in
//! the formats of [`super::wire`]), with this manager's certificate.
//! openraft never asks a node to talk to itself, so a one-manager cluster sends nothing.
//!
//! A refusal is read by its HTTP status before any body is decoded: an AppendEntries too
//! large for the peer (413, or larger than [`wire::BODY_LIMIT`] before it is even sent)
//! becomes openraft's `PayloadTooLarge`, so it sends fewer entries; any other refusal is a
//! network error naming the status and what the peer said.

use super::types::{Member, RaftId, TypeConfig};
use super::wire;
use openraft::error::{
    InstallSnapshotError, NetworkError, PayloadTooLarge, RPCError, RaftError, RemoteError,
    Unreachable,
};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use shoal_client::HttpClients;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// When each peer last answered a Raft RPC. The leader talks to every peer several times a
/// second, so on the leader this tells which managers are reachable now.
#[derive(Clone, Default)]
pub struct PeerContacts(Arc<Mutex<HashMap<RaftId, Instant>>>);

/// A peer that answered within this long is reachable.
const REACHABLE_WITHIN: Duration = Duration::from_secs(1);

impl PeerContacts {
    fn record(&self, peer: RaftId) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(peer, Instant::now());
    }

    pub fn is_reachable(&self, peer: RaftId) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&peer)
            .is_some_and(|t| t.elapsed() < REACHABLE_WITHIN)
    }
}

/// Makes one [`Peer`] per target manager; all share one HTTP connection pool.
#[derive(Clone)]
pub struct Network {
    http: HttpClients,
    contacts: PeerContacts,
}

impl Network {
    pub fn new(contacts: PeerContacts, http: HttpClients) -> Self {
        Network { http, contacts }
    }
}

impl RaftNetworkFactory<TypeConfig> for Network {
    type Network = Peer;

    async fn new_client(&mut self, target: RaftId, node: &Member) -> Peer {
        Peer {
            http: self.http.clone(),
            target,
            base: format!("https://{}/v1/raft", node.addr),
            contacts: self.contacts.clone(),
        }
    }
}

pub struct Peer {
    http: HttpClients,
    target: RaftId,
    base: String,
    contacts: PeerContacts,
}

/// A peer's refusal, by HTTP status.
#[derive(Debug, thiserror::Error)]
#[error("the manager answered {status}: {body}")]
struct Refused {
    status: reqwest::StatusCode,
    body: String,
}

impl Peer {
    /// Sends `body` (of `content_type`) to `path` and decodes the answer. `entries` is how
    /// many log entries the body carries, for the hint of a payload too large.
    async fn call<Resp, E>(
        &self,
        path: &str,
        content_type: &'static str,
        body: Vec<u8>,
        entries: usize,
        option: &RPCOption,
    ) -> Result<Resp, RPCError<RaftId, Member, E>>
    where
        Resp: DeserializeOwned,
        E: std::error::Error + DeserializeOwned,
    {
        if body.len() > wire::BODY_LIMIT && entries > 1 {
            return Err(too_large(entries));
        }
        let resp = self
            .http
            .get()
            .post(format!("{}/{path}", self.base))
            .timeout(option.hard_ttl())
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await
            .map_err(|e| {
                if e.is_connect() {
                    RPCError::Unreachable(Unreachable::new(&e))
                } else {
                    RPCError::Network(NetworkError::new(&e))
                }
            })?;
        let status = resp.status();
        if !status.is_success() {
            // It answered: reachable, but it did not take the request.
            self.contacts.record(self.target);
            if status == reqwest::StatusCode::PAYLOAD_TOO_LARGE && entries > 1 {
                return Err(too_large(entries));
            }
            let body = resp.text().await.unwrap_or_default();
            let refused = Refused {
                status,
                body: body.trim().chars().take(300).collect(),
            };
            return Err(RPCError::Network(NetworkError::new(&refused)));
        }
        let result: Result<Resp, E> = resp
            .json()
            .await
            .map_err(|e| RPCError::Network(NetworkError::new(&e)))?;
        self.contacts.record(self.target);
        result.map_err(|e| RPCError::RemoteError(RemoteError::new(self.target, e)))
    }

    async fn call_json<Req, Resp, E>(
        &self,
        path: &str,
        req: &Req,
        entries: usize,
        option: &RPCOption,
    ) -> Result<Resp, RPCError<RaftId, Member, E>>
    where
        Req: Serialize,
        Resp: DeserializeOwned,
        E: std::error::Error + DeserializeOwned,
    {
        let body = serde_json::to_vec(req).map_err(|e| RPCError::Network(NetworkError::new(&e)))?;
        self.call(path, "application/json", body, entries, option)
            .await
    }
}

/// Asks openraft to send about half as many entries.
fn too_large<E: std::error::Error>(entries: usize) -> RPCError<RaftId, Member, E> {
    RPCError::PayloadTooLarge(PayloadTooLarge::new_entries_hint(
        (entries / 2).max(1) as u64
    ))
}

impl RaftNetwork<TypeConfig> for Peer {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<AppendEntriesResponse<RaftId>, RPCError<RaftId, Member, RaftError<RaftId>>> {
        let entries = rpc.entries.len();
        self.call_json("append", &rpc, entries, &option).await
    }

    async fn install_snapshot(
        &mut self,
        rpc: InstallSnapshotRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<
        InstallSnapshotResponse<RaftId>,
        RPCError<RaftId, Member, RaftError<RaftId, InstallSnapshotError>>,
    > {
        let body = wire::encode_snapshot(&rpc);
        self.call("snapshot", wire::SNAPSHOT_MEDIA_TYPE, body, 0, &option)
            .await
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<RaftId>,
        option: RPCOption,
    ) -> Result<VoteResponse<RaftId>, RPCError<RaftId, Member, RaftError<RaftId>>> {
        self.call_json("vote", &rpc, 0, &option).await
    }
}
