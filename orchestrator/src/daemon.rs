//! `shoald` as a library: opens (or creates) the node's data dir, starts Raft, serves the API
//! on the control socket and the TCP listener, runs the leader-only components while leading,
//! and runs this node's agent. Tests call [`run`] exactly as the binary does.

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
    let id: Identity = match identity::load(&config.data_dir)? {
        Some(id) => id,
        None => {
            let id = identity::new_identity();
            identity::save(&config.data_dir, &id)?;
            id
        }
    };
    let store = Store::new();
    let raft = raft::start(
        &config.data_dir,
        id.raft_id,
        store.clone(),
        raft::SNAPSHOT_INTERVAL,
    )
    .await?;
    if raft.is_initialized().await? {
        tracing::info!(node = %id.node_id, "resuming from {}", config.data_dir.display());
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
    let (dispatcher_tx, dispatcher_rx) = watch::channel(None);
    let app = router(AppState {
        store: store.clone(),
        writer: writer.clone(),
        raft: raft.clone(),
        raft_id: id.raft_id,
        dispatcher: dispatcher_rx,
    });

    let socket_path = shoal_api::paths::control_socket(&config.data_dir);
    let _ = std::fs::remove_file(&socket_path);
    let unix = UnixListener::bind(&socket_path)
        .with_context(|| format!("cannot bind {}", socket_path.display()))?;
    std::fs::set_permissions(&socket_path, std::fs::Permissions::from_mode(0o600))?;
    tracing::info!(tcp = %local, unix = %socket_path.display(), "serving the API");

    let mut tasks = tokio::task::JoinSet::new();
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
    let leadership = Leadership {
        raft: raft.clone(),
        raft_id: id.raft_id,
        store,
        writer,
        local_node: id.node_id.clone(),
        dispatcher: dispatcher_tx,
    };
    let stop = shutdown.clone();
    tasks.spawn(async move {
        leadership.run(stop).await;
        Ok(())
    });
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

    // Any part ending early (a bind error, say) stops the whole node.
    let first = tasks.join_next().await;
    shutdown.cancel();
    while tasks.join_next().await.is_some() {}
    let _ = raft.shutdown().await;
    let _ = std::fs::remove_file(&socket_path);
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
