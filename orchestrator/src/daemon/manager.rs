//! Manager mode: Raft, the API, the leader-only components while leading, and the node's own
//! agent, until shutdown or until the cluster demotes this manager.

use super::serve::{Apps, serve};
use super::{Config, DaemonError, Site, Switch, join, recover, role_change};
use super::{run_until_first_ends, spawn_keeper};
use crate::http::{AppState, local_router, tls_router};
use crate::identity::Identity;
use crate::leader::Leadership;
use crate::pki::{CertKeeper, NodeTls, load_bootstrap_ca};
use crate::raft::membership::MembershipLock;
use crate::raft::read_index::{RaftConfirm, ReadIndex};
use crate::raft::{self, Member, Writer};
use crate::store::{EventHistory, Store};
use shoal_agent::AgentConfig;
use shoal_api::Role;
use shoal_client::HttpClients;
use std::collections::BTreeMap;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

pub(super) async fn run(
    config: &Config,
    id: &Identity,
    tls: NodeTls,
    site: Site,
    shutdown: CancellationToken,
) -> Result<Option<Switch>, DaemonError> {
    let recovered = if config.force_new_cluster {
        Some(recover::set_aside_for_new_cluster(&config.data_dir, id).await?)
    } else {
        None
    };
    let http = HttpClients::new(&tls.bundle()).map_err(DaemonError::ClientCertificate)?;
    let store = Store::new();
    let contacts = raft::PeerContacts::default();
    let raft = raft::start(
        &config.data_dir,
        id.raft_id,
        store.clone(),
        contacts.clone(),
        http.clone(),
    )
    .await?;
    if raft.is_initialized().await? {
        tracing::info!(node = %id.node_id, "resuming from {}", config.data_dir.display());
    } else if id.pending_raft_join.is_some() {
        tracing::info!(node = %id.node_id, "admitted as a manager; joining raft");
    } else {
        let members = BTreeMap::from([(
            id.raft_id,
            Member {
                addr: site.advertise.clone(),
                node_id: id.node_id.clone(),
            },
        )]);
        raft.initialize(members).await?;
        tracing::info!(node = %id.node_id, "created a new cluster");
    }

    let writer = Writer::raft(raft.clone());
    if let Some(state) = recovered {
        // Before any controller starts, so they begin from the recovered state.
        raft.wait(Some(std::time::Duration::from_secs(10)))
            .current_leader(id.raft_id, "leader of the new cluster")
            .await
            .map_err(DaemonError::NotElected)?;
        writer
            .write(vec![crate::store::Action::ReplaceState(Box::new(state))])
            .await
            .map_err(DaemonError::Restore)?;
        tracing::warn!("forced a new one-manager cluster from this manager's state");
    }
    let (dispatcher_tx, dispatcher_rx) = watch::channel(None);
    let membership_lock = MembershipLock::default();
    let state = AppState {
        store: store.clone(),
        writer: writer.clone(),
        raft: raft.clone(),
        raft_id: id.raft_id,
        dispatcher: dispatcher_rx,
        http: http.clone(),
        membership_lock: membership_lock.clone(),
        contacts: contacts.clone(),
        shutdown: shutdown.clone(),
        history: EventHistory::start(&store, shutdown.clone()),
        reads: ReadIndex::new(RaftConfirm(raft.clone())),
    };
    let apps = Apps {
        tls: tls_router(state.clone()),
        local: local_router(state),
    };

    let mut tasks = tokio::task::JoinSet::new();
    let own_url = format!("https://{}", site.local);
    let advertise = site.advertise.clone();
    let socket_path = serve(
        &mut tasks,
        apps,
        site,
        &tls,
        &http,
        &config.data_dir,
        &shutdown,
    )?;
    tracing::info!(unix = %socket_path.display(), "serving the API");
    let leadership = Leadership {
        raft: raft.clone(),
        raft_id: id.raft_id,
        store: store.clone(),
        writer,
        local_node: id.node_id.clone(),
        dispatcher: dispatcher_tx,
        contacts: contacts.clone(),
        bootstrap_ca: load_bootstrap_ca(&config.data_dir),
        membership_lock,
    };
    let stop = shutdown.clone();
    tasks.spawn(async move {
        leadership.run(stop).await;
        Ok(())
    });
    let snapshots = raft::snapshot::run(raft.clone(), store.clone(), shutdown.clone());
    tasks.spawn(async move {
        snapshots.await;
        Ok(())
    });
    if let Some(pending) = id.pending_raft_join.clone() {
        let joining = join::join_raft(
            config.data_dir.clone(),
            id.clone(),
            pending,
            advertise.clone(),
            http.clone(),
            shutdown.clone(),
        );
        tasks.spawn(async move { Ok(joining.await?) });
    }
    if config.agent {
        let agent = AgentConfig {
            managers: shoal_agent::Managers::new(vec![own_url.clone()]),
            http: http.clone(),
            node_id: id.node_id.clone(),
            hostname: config.hostname.clone(),
            docker_host: config.docker_host.clone(),
            publish_ip: config.publish_ip,
            addr: Some(advertise.clone()),
        };
        let stop = shutdown.clone();
        tasks.spawn(async move {
            shoal_agent::run(agent, stop)
                .await
                .map_err(DaemonError::Agent)
        });
    }
    // Itself first (it relays to the leader), then the others: a manager cut off from Raft,
    // as a demoted one may be, still learns its new role.
    let known = store.clone();
    let keeper = CertKeeper {
        tls,
        http,
        managers: Box::new(move || {
            let mut urls = vec![own_url.clone()];
            urls.extend(raft::manager_urls(&known));
            urls
        }),
        running_role: Role::Manager,
    };
    let demoted = spawn_keeper(&mut tasks, keeper, &shutdown);

    let result = run_until_first_ends(tasks, &shutdown).await;
    let others: Vec<String> = raft::manager_urls(&store)
        .into_iter()
        .filter(|u| *u != format!("https://{advertise}"))
        .collect();
    let _ = raft.shutdown().await;
    let _ = std::fs::remove_file(&socket_path);
    result?;
    Ok(role_change(&demoted).map(|to| Switch {
        to,
        managers: others,
    }))
}
