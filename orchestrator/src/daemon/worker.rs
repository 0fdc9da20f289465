//! Worker mode: a node that joined as a worker runs only its agent.

use super::{Config, run_until_first_ends, serve};
use crate::identity::Identity;
use anyhow::Context;
use shoal_agent::AgentConfig;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// A worker runs only its agent. Its API answers that control requests go to a manager.
pub(super) async fn run_worker(
    config: Config,
    id: Identity,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let app = crate::http::worker_router(id.managers.clone());
    let mut tasks = JoinSet::new();
    let socket_path = serve(&mut tasks, app, listener, &config.data_dir, &shutdown)?;
    tracing::info!(node = %id.node_id, managers = ?id.managers, "running as a worker");
    let agent = AgentConfig {
        managers: id.managers.clone(),
        node_id: id.node_id.clone(),
        hostname: config.hostname.clone(),
        docker_host: config.docker_host.clone(),
        addr: config.advertise_addr.clone(),
    };
    let stop = shutdown.clone();
    tasks.spawn(async move { shoal_agent::run(agent, stop).await.context("agent") });
    let result = run_until_first_ends(tasks, &shutdown).await;
    let _ = std::fs::remove_file(&socket_path);
    result
}
