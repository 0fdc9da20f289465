//! `shoald` as a library: opens (or creates) the node's data dir, starts Raft, serves the API
//! on the control socket and the TCP listener, runs the leader-only components while leading,
//! and runs this node's agent. Tests call [`run`] exactly as the binary does.

mod join;
mod recover;
mod worker;

use crate::http::{AppState, router};
use crate::identity::{self, Identity};
use crate::leader::Leadership;
use crate::raft::{self, Member, Writer};
use crate::store::Store;
use anyhow::Context;
use shoal_agent::AgentConfig;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

#[derive(Clone, Debug)]
pub struct Config {
    pub data_dir: PathBuf,
    pub hostname: String,
    /// Address other managers and agents use to reach this one (default: the listen address).
    pub advertise_addr: Option<String>,
    /// Docker endpoint for the agent (default: the local socket or `DOCKER_HOST`).
    pub docker_host: Option<String>,
    /// Run this node's agent (off only in tests of the manager alone).
    pub agent: bool,
    /// Join an existing cluster instead of creating one (empty data dir only).
    pub join: Option<Join>,
    /// Restart this manager as the only member of a new cluster, keeping its state.
    pub force_new_cluster: bool,
}

#[derive(Clone, Debug)]
pub struct Join {
    /// A manager's address, `host:port`.
    pub addr: String,
    pub token: String,
}

pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create data dir {}", config.data_dir.display()))?;
    std::fs::set_permissions(&config.data_dir, std::fs::Permissions::from_mode(0o700))?;
    let local = listener.local_addr()?;
    let advertise = config
        .advertise_addr
        .clone()
        .unwrap_or_else(|| dialable(local).to_string());

    // The identity is saved before Raft starts, and a node whose Raft was never initialized
    // initializes now: a crash at any point of the first start leaves a node that can start.
    let id: Identity = match (identity::load(&config.data_dir)?, &config.join) {
        (Some(id), None) => id,
        // A manager whose raft join did not finish may be started again with the same flags.
        (Some(id), Some(_)) if id.pending_raft_join.is_some() => id,
        (Some(id), Some(_)) => anyhow::bail!(
            "{} already belongs to a cluster (this is node {}): start without --join-addr, or join with an empty --data-dir",
            config.data_dir.display(),
            id.node_id
        ),
        (None, Some(join)) => {
            let id = join::join_cluster(join, &config.hostname, &advertise).await?;
            identity::save(&config.data_dir, &id)?;
            id
        }
        (None, None) => {
            let id = identity::new_identity();
            identity::save(&config.data_dir, &id)?;
            id
        }
    };
    if id.role == shoal_api::Role::Worker {
        return worker::run_worker(config, id, listener, shutdown).await;
    }
    let recovered = if config.force_new_cluster {
        Some(recover::set_aside_for_new_cluster(&config.data_dir, &id).await?)
    } else {
        None
    };
    let store = Store::new();
    let contacts = raft::PeerContacts::default();
    let raft = raft::start(
        &config.data_dir,
        id.raft_id,
        store.clone(),
        contacts.clone(),
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
                addr: advertise.clone(),
                node_id: id.node_id.clone(),
            },
        )]);
        raft.initialize(members)
            .await
            .context("cannot initialize the cluster")?;
        tracing::info!(node = %id.node_id, "created a new cluster");
    }

    let writer = Writer::raft(raft.clone());
    if let Some(state) = recovered {
        // Before any controller starts, so they begin from the recovered state.
        raft.wait(Some(std::time::Duration::from_secs(10)))
            .current_leader(id.raft_id, "leader of the new cluster")
            .await
            .context("the new one-manager cluster did not elect this manager")?;
        writer
            .write(vec![crate::store::Action::ReplaceState(Box::new(state))])
            .await
            .context("cannot restore the state into the new cluster")?;
        tracing::warn!("forced a new one-manager cluster from this manager's state");
    }
    let (dispatcher_tx, dispatcher_rx) = watch::channel(None);
    let app = router(AppState {
        store: store.clone(),
        writer: writer.clone(),
        raft: raft.clone(),
        raft_id: id.raft_id,
        dispatcher: dispatcher_rx,
        http: reqwest::Client::new(),
        membership_lock: Default::default(),
        contacts: contacts.clone(),
    });

    let mut tasks = tokio::task::JoinSet::new();
    let socket_path = serve(&mut tasks, app, listener, &config.data_dir, &shutdown)?;
    tracing::info!(tcp = %local, unix = %socket_path.display(), "serving the API");
    let leadership = Leadership {
        raft: raft.clone(),
        raft_id: id.raft_id,
        store: store.clone(),
        writer,
        local_node: id.node_id.clone(),
        dispatcher: dispatcher_tx,
        contacts: contacts.clone(),
    };
    let stop = shutdown.clone();
    tasks.spawn(async move {
        leadership.run(stop).await;
        Ok(())
    });
    tasks.spawn(raft::snapshot::run(
        raft.clone(),
        store.clone(),
        shutdown.clone(),
    ));
    if id.pending_raft_join.is_some() {
        let stop = shutdown.clone();
        tasks.spawn(join::join_raft(
            config.data_dir.clone(),
            id.clone(),
            advertise.clone(),
            stop,
        ));
    }
    if config.agent {
        let agent = AgentConfig {
            managers: vec![format!("http://{}", dialable(local))],
            node_id: id.node_id.clone(),
            hostname: config.hostname.clone(),
            docker_host: config.docker_host.clone(),
            addr: Some(advertise),
        };
        let stop = shutdown.clone();
        tasks.spawn(async move { shoal_agent::run(agent, stop).await.context("agent") });
    }

    let result = run_until_first_ends(tasks, &shutdown).await;
    let _ = raft.shutdown().await;
    let _ = std::fs::remove_file(&socket_path);
    result
}

/// Serves `app` on the TCP listener and on the owner-only control socket of `data_dir`.
pub(super) fn serve(
    tasks: &mut JoinSet<anyhow::Result<()>>,
    app: axum::Router,
    listener: TcpListener,
    data_dir: &std::path::Path,
    shutdown: &CancellationToken,
) -> anyhow::Result<PathBuf> {
    let socket_path = shoal_api::paths::control_socket(data_dir);
    let _ = std::fs::remove_file(&socket_path);
    let unix = UnixListener::bind(&socket_path)
        .with_context(|| format!("cannot bind {}", socket_path.display()))?;
    std::fs::set_permissions(&socket_path, std::fs::Permissions::from_mode(0o600))?;
    let stop = shutdown.clone();
    let tcp_app = app.clone();
    tasks.spawn(async move {
        axum::serve(listener, tcp_app)
            .with_graceful_shutdown(stop.cancelled_owned())
            .await
            .context("tcp server")
    });
    let stop = shutdown.clone();
    tasks.spawn(async move {
        axum::serve(unix, app)
            .with_graceful_shutdown(stop.cancelled_owned())
            .await
            .context("unix server")
    });
    Ok(socket_path)
}

/// Waits for the first part to end (a bind error, say, or shutdown), then stops them all.
pub(super) async fn run_until_first_ends(
    mut tasks: JoinSet<anyhow::Result<()>>,
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    let first = tasks.join_next().await;
    shutdown.cancel();
    while tasks.join_next().await.is_some() {}
    match first {
        Some(Ok(r)) => r,
        Some(Err(e)) => Err(e.into()),
        None => Ok(()),
    }
}

/// A wildcard listen address is not dialable: use loopback for the local agent.
fn dialable(addr: SocketAddr) -> SocketAddr {
    if addr.ip().is_unspecified() {
        SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), addr.port())
    } else {
        addr
    }
}
