//! Leadership: starts the leader-only components (cluster bootstrap, dispatcher, controllers,
//! the finisher of interrupted demotions) when this manager becomes leader and has applied
//! everything committed before it, and stops them the moment it is no longer leader, or no
//! longer hears from a majority of managers (so that its agents move to managers that can
//! still commit their reports).

use crate::controllers::{drive, orchestrator::Orchestrator, reaper, scheduler, supervise};
use crate::dispatcher::Dispatcher;
use crate::pki::RootCa;
use crate::raft::demoted::Finisher;
use crate::raft::membership::MembershipLock;
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
    /// The CA this manager created with a new cluster, until the cluster object holds it.
    pub bootstrap_ca: Option<RootCa>,
    /// Shared with the API's membership changes.
    pub membership_lock: MembershipLock,
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
        let bootstrap_ca = self.bootstrap_ca.clone();
        let finisher = Finisher {
            raft: self.raft.clone(),
            raft_id: self.raft_id,
            store: self.store.clone(),
            contacts: self.contacts.clone(),
            lock: self.membership_lock.clone(),
        };
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
            ensure_cluster(&store, &writer, bootstrap_ca).await;
            let d = Dispatcher::start(store.clone(), writer.clone(), local_node, token.clone());
            dispatcher_tx.send_replace(Some(d));
            let (s, w, t) = (store.clone(), writer.clone(), token.clone());
            tokio::spawn(supervise("orchestrator", token.clone(), move || {
                drive(Orchestrator::default(), s.clone(), w.clone(), t.clone())
            }));
            let (s, w, t) = (store.clone(), writer.clone(), token.clone());
            tokio::spawn(supervise("scheduler", token.clone(), move || {
                drive(scheduler::controller(), s.clone(), w.clone(), t.clone())
            }));
            tokio::spawn(finisher.run(token.clone()));
            let (s, w, t) = (store, writer, token.clone());
            tokio::spawn(supervise("reaper", token, move || {
                drive(reaper::controller(), s.clone(), w.clone(), t.clone())
            }));
        }
    }
}

/// Creates the cluster object, with the CA this manager made, on a new cluster.
async fn ensure_cluster(store: &Store, writer: &Writer, ca: Option<RootCa>) {
    if store.read().cluster.is_some() {
        return;
    }
    let Some(root_ca) = ca else {
        tracing::error!(
            "no cluster object and no cluster CA on this manager: cannot create the cluster"
        );
        return;
    };
    let cluster = Cluster {
        id: random_id(),
        meta: Meta::default(),
        spec: ClusterSpec::default(),
        join_tokens: new_join_tokens(&root_ca.digest()),
        root_ca_pem: root_ca.cert_pem.clone(),
    };
    let create = Action::CreateCluster { cluster, root_ca };
    if let Err(e) = writer.write(vec![create]).await {
        tracing::warn!(error = %e, "could not create the cluster object");
    }
}

/// Tokens are `SWMTKN-1-<CA digest>-<secret>`: the digest pins the cluster CA (a joiner checks
/// the CA it is handed against it) and is shared by both tokens; the secret decides the role.
fn new_join_tokens(digest: &str) -> JoinTokens {
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
