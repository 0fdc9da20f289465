//! `shoald` as a library: opens (or creates) the node's data dir and certificate, then runs
//! the node in the role its certificate names: a manager (Raft, API, leader-only components
//! and an agent) or a worker (an agent). When the cluster promotes or demotes the node, its
//! renewed certificate names the new role and the node restarts itself in it, in the same
//! process, keeping its containers. Tests call [`run`] exactly as the binary does.

mod bootstrap;
mod error;
mod join;
mod manager;
mod recover;
mod serve;
mod worker;

use crate::identity::{self, Identity};
use shoal_api::Role;
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub use error::DaemonError;
pub use join::{JoinClusterError, join_cluster};
pub use recover::RecoverError;

#[derive(Clone, Debug)]
pub struct Config {
    pub data_dir: PathBuf,
    pub hostname: String,
    /// Address other managers and agents use to reach this one (default: the listen address).
    pub advertise_addr: Option<String>,
    /// Docker endpoint for the agent (default: the local socket or `DOCKER_HOST`).
    pub docker_host: Option<String>,
    /// Host address the agent binds published ports to (default: Docker's).
    pub publish_ip: Option<std::net::IpAddr>,
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

/// What one run of the node in a role hands to the next.
struct Switch {
    to: Role,
    /// The cluster's managers as the node last knew them (a demoted manager reports to them).
    managers: Vec<String>,
}

/// Where the node serves and how others reach it.
struct Site {
    listener: std::net::TcpListener,
    /// Dialable address of the listener (loopback for a wildcard).
    local: SocketAddr,
    advertise: String,
}

pub async fn run(
    mut config: Config,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<(), DaemonError> {
    shoal_client::tls::install_default_provider();
    // Count from the start: events before the first scrape are not lost.
    crate::telemetry::handle();
    std::fs::create_dir_all(&config.data_dir).map_err(|source| DaemonError::CreateDataDir {
        path: config.data_dir.clone(),
        source,
    })?;
    std::fs::set_permissions(&config.data_dir, std::fs::Permissions::from_mode(0o700))
        .map_err(DaemonError::DataDirPermissions)?;
    let local = dialable(listener.local_addr().map_err(DaemonError::Listener)?);
    let advertise = config
        .advertise_addr
        .clone()
        .unwrap_or_else(|| local.to_string());
    let (mut id, tls) = bootstrap::identity_and_certificate(&config, &advertise).await?;
    let listener = listener.into_std().map_err(DaemonError::Listener)?;
    loop {
        let site = Site {
            listener: listener.try_clone().map_err(DaemonError::Listener)?,
            local,
            advertise: advertise.clone(),
        };
        let round = shutdown.child_token();
        let switch = match id.role {
            Role::Manager => manager::run(&config, &id, tls.clone(), site, round).await?,
            Role::Worker => worker::run(&config, &id, tls.clone(), site, round).await?,
        };
        let Some(switch) = switch else {
            return Ok(());
        };
        config.force_new_cluster = false;
        id = switch_role(&config, id, switch)?;
        tracing::info!(role = ?id.role, "the cluster changed this node's role: restarting in it");
    }
}

/// Records the node's new role; a node leaving or entering Raft starts without a Raft log.
fn switch_role(config: &Config, mut id: Identity, switch: Switch) -> Result<Identity, DaemonError> {
    let raft_db = config.data_dir.join("raft.redb");
    if raft_db.exists() {
        std::fs::remove_file(&raft_db).map_err(|source| DaemonError::RemoveRaftDb {
            path: raft_db.clone(),
            source,
        })?;
    }
    id.role = switch.to;
    if !switch.managers.is_empty() {
        id.managers = switch.managers;
    }
    match switch.to {
        Role::Manager => {
            id.raft_id = identity::new_raft_id();
            id.pending_raft_join = Some(identity::PendingJoin {
                via: id.managers.clone(),
            });
        }
        Role::Worker => id.pending_raft_join = None,
    }
    identity::save(&config.data_dir, &id)?;
    Ok(id)
}

/// Runs the node's certificate keeper among `tasks`. When it ends because the cluster gave
/// the node another role, the returned slot holds that role (and the node stops, to restart
/// in it).
fn spawn_keeper(
    tasks: &mut JoinSet<Result<(), DaemonError>>,
    keeper: crate::pki::CertKeeper,
    shutdown: &CancellationToken,
) -> Arc<Mutex<Option<Role>>> {
    let changed = Arc::new(Mutex::new(None));
    let slot = changed.clone();
    let stop = shutdown.clone();
    tasks.spawn(async move {
        if let Some(change) = keeper.run(stop).await {
            *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(change.0);
        }
        Ok(())
    });
    changed
}

/// The role the keeper saw the node change to, if it did.
fn role_change(slot: &Mutex<Option<Role>>) -> Option<Role> {
    slot.lock().unwrap_or_else(|e| e.into_inner()).take()
}

/// Waits for the first part to end (a bind error, say, or shutdown), then stops them all.
async fn run_until_first_ends(
    mut tasks: JoinSet<Result<(), DaemonError>>,
    shutdown: &CancellationToken,
) -> Result<(), DaemonError> {
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
