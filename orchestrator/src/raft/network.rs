//! Raft RPCs between managers over mutual TLS (`POST /v1/raft/{append,vote,snapshot}` with
//! JSON), with this manager's certificate.
//! openraft never asks a node to talk to itself, so a one-manager cluster sends nothing.

use super::types::{Member, RaftId, TypeConfig};
use openraft::error::{
    InstallSnapshotError, NetworkError, RPCError, RaftError, RemoteError, Unreachable,
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

impl Peer {
    async fn call<Req, Resp, E>(
        &self,
        path: &str,
        req: &Req,
        option: &RPCOption,
    ) -> Result<Resp, RPCError<RaftId, Member, E>>
    where
        Req: Serialize,
        Resp: DeserializeOwned,
        E: std::error::Error + DeserializeOwned,
    {
        let resp = self
            .http
            .get()
            .post(format!("{}/{path}", self.base))
            .timeout(option.hard_ttl())
            .json(req)
            .send()
            .await
            .map_err(|e| {
                if e.is_connect() {
                    RPCError::Unreachable(Unreachable::new(&e))
                } else {
                    RPCError::Network(NetworkError::new(&e))
                }
            })?;
        let result: Result<Resp, E> = resp
            .json()
            .await
            .map_err(|e| RPCError::Network(NetworkError::new(&e)))?;
        self.contacts.record(self.target);
        result.map_err(|e| RPCError::RemoteError(RemoteError::new(self.target, e)))
    }
}

impl RaftNetwork<TypeConfig> for Peer {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<AppendEntriesResponse<RaftId>, RPCError<RaftId, Member, RaftError<RaftId>>> {
        self.call("append", &rpc, &option).await
    }

    async fn install_snapshot(
        &mut self,
        rpc: InstallSnapshotRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<
        InstallSnapshotResponse<RaftId>,
        RPCError<RaftId, Member, RaftError<RaftId, InstallSnapshotError>>,
    > {
        self.call("snapshot", &rpc, &option).await
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<RaftId>,
        option: RPCOption,
    ) -> Result<VoteResponse<RaftId>, RPCError<RaftId, Member, RaftError<RaftId>>> {
        self.call("vote", &rpc, &option).await
    }
}
