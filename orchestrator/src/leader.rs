//! Leadership: starts the leader-only components (cluster bootstrap, dispatcher, controllers)
//! when this manager becomes leader and has applied everything committed before it, and stops
//! them the moment it is no longer leader, or no longer hears from a majority of managers
//! (so that its agents move to managers that can still commit their reports).

use crate::controllers::{drive, orchestrator::Orchestrator, reaper, scheduler};
use crate::dispatcher::Dispatcher;
use crate::raft::{PeerContacts, Raft, RaftId, Writer, leads_with_quorum};
use crate::store::{Action, Store};
use shoal_api::{Cluster, ClusterSpec, JoinTokens, Meta, NodeId, random_id};
use std::sync::Arc;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

pub struct Leadership {
    pub raft: Raft,
    pub raft_id: RaftId,
    pub store: Store,
    pub writer: Writer,
    pub local_node: NodeId,
    pub dispatcher: watch::Sender<Option<Arc<Dispatcher>>>,
    pub contacts: PeerContacts,
}

/// How often a leader checks that it still hears from a majority.
const QUORUM_CHECK: std::time::Duration = std::time::Duration::from_millis(250);

impl Leadership {
    pub async fn run(self, shutdown: CancellationToken) {
        let mut metrics = self.raft.metrics();
        let mut term: Option<CancellationToken> = None;
        loop {
            metrics.borrow_and_update();
            let leading = leads_with_quorum(&self.raft, self.raft_id, &self.contacts);
            match (leading, &term) {
                (true, None) => {
                    let token = shutdown.child_token();
                    tokio::spawn(self.start_components(token.clone()));
                    term = Some(token);
                }
                (false, Some(t)) => {
                    tracing::info!("lost leadership or quorum: stopping leader components");
                    t.cancel();
                    self.dispatcher.send_replace(None);
                    term = None;
                }
                _ => {}
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                r = metrics.changed() => if r.is_err() { break },
                _ = tokio::time::sleep(QUORUM_CHECK), if term.is_some() => {}
            }
        }
        if let Some(t) = term {
            t.cancel();
        }
        self.dispatcher.send_replace(None);
    }

    fn start_components(
        &self,
        token: CancellationToken,
    ) -> impl Future<Output = ()> + Send + 'static {
        let raft = self.raft.clone();
        let store = self.store.clone();
        let writer = self.writer.clone();
        let local_node = self.local_node.clone();
        let dispatcher_tx = self.dispatcher.clone();
        async move {
            // Controllers must plan on everything committed so far, never on a stale prefix.
            loop {
                match raft.ensure_linearizable().await {
                    Ok(_) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "leader not ready yet");
                        tokio::select! {
                            _ = token.cancelled() => return,
                            _ = tokio::time::sleep(std::time::Duration::from_millis(100)) => {}
                        }
                    }
                }
            }
            if token.is_cancelled() {
                return;
            }
            tracing::info!("became leader: starting dispatcher and controllers");
            ensure_cluster(&store, &writer).await;
            let d = Dispatcher::start(store.clone(), writer.clone(), local_node, token.clone());
            dispatcher_tx.send_replace(Some(d));
            tokio::spawn(drive(
                Orchestrator::default(),
                store.clone(),
                writer.clone(),
                token.clone(),
            ));
            tokio::spawn(drive(
                scheduler::controller(),
                store.clone(),
                writer.clone(),
                token.clone(),
            ));
            tokio::spawn(drive(reaper::controller(), store, writer, token));
        }
    }
}

/// Creates the cluster object on a new cluster.
async fn ensure_cluster(store: &Store, writer: &Writer) {
    if store.read().cluster.is_some() {
        return;
    }
    let cluster = Cluster {
        id: random_id(),
        meta: Meta::default(),
        spec: ClusterSpec::default(),
        join_tokens: new_join_tokens(),
    };
    if let Err(e) = writer.write(vec![Action::CreateCluster(cluster)]).await {
        tracing::warn!(error = %e, "could not create the cluster object");
    }
}

/// Tokens are `SWMTKN-1-<digest>-<secret>`: the digest names the cluster (it will pin the
/// cluster CA once mTLS exists; until then it is a random cluster key) and is shared by both
/// tokens; the secret decides the role.
fn new_join_tokens() -> JoinTokens {
    let digest = format!("{}{}", random_id(), random_id());
    JoinTokens {
        worker: format!("SWMTKN-1-{digest}-{}", random_id()),
        manager: format!("SWMTKN-1-{digest}-{}", random_id()),
    }
}

/// `token` with a new secret and the same cluster digest.
pub fn rotated(token: &str) -> String {
    match token.rsplit_once('-') {
        Some((head, _)) => format!("{head}-{}", random_id()),
        None => format!("{token}-{}", random_id()),
    }
}
