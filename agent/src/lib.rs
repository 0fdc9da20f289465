//! The Shoal agent: the worker half of a node. It keeps a session with the leading manager,
//! runs the tasks assigned to its node as containers and reports what becomes of them.
//!
//! How the pieces fit, following one assignment:
//!
//! ```text
//! manager's dispatcher --assignments--> session --> tasks::Worker --> one runner per task
//!        ^                                                              |
//!        |                                                     Executor (Docker or sim)
//!        +---- status batches <-- session::reporter <-- state reports --+
//! ```
//!
//! - `session`: registration (which also refreshes the list of [`Managers`]), heartbeats at
//!   the period the manager asks for, the assignment stream, the status reporter, and the log
//!   relay that answers the leader's log subscriptions. A broken session is simply opened
//!   again, against the next manager if need be; containers keep running meanwhile.
//! - `tasks`: the worker turns assignment messages into runners, one per task; a runner
//!   owns one task's life on this node (create, start, watch health, stop, remove) and only
//!   ever moves its state forward.
//! - [`executor`]: the runtime behind a trait, so the rest never talks to Docker directly.
//!   [`docker`] is the real one (containers labelled with their task and node, so several
//!   nodes can share one engine); [`sim::SimExecutor`] keeps containers in memory for unit
//!   tests and hollow-node benchmarks.
//! - The node's mTLS client for talking to managers ([`HttpClients`]) comes from
//!   `shoal-client`, which the managers and the CLI share.
//!
//! The agent never decides anything about placement or restarts: it does what the manager
//! assigned and tells it what happened. Restarts are new tasks made on the manager.

pub mod executor;
mod session;
mod tasks;

pub use executor::{ContainerInfo, ExecError, Executor, Health, LogChunk};
pub use executor::{docker, sim};
pub use session::Managers;
use shoal_client::HttpClients;

use shoal_api::NodeId;
use std::sync::Arc;
use thiserror::Error;
use tokio_util::sync::CancellationToken;

#[derive(Clone, Debug)]
pub struct AgentConfig {
    /// Base URLs of managers, e.g. `https://127.0.0.1:4242`, refreshed at each registration.
    pub managers: Managers,
    /// The node's HTTPS client (its certificate), current after each renewal.
    pub http: HttpClients,
    pub node_id: NodeId,
    pub hostname: String,
    pub docker_host: Option<String>,
    /// Host address published ports bind to (default: Docker's).
    pub publish_ip: Option<std::net::IpAddr>,
    /// Address this node advertises, for display.
    pub addr: Option<String>,
}

#[derive(Debug, Error)]
pub enum AgentError {
    #[error("no manager address given")]
    NoManager,
}

/// Runs the agent with the Docker executor until `shutdown`.
pub async fn run(config: AgentConfig, shutdown: CancellationToken) -> Result<(), AgentError> {
    let executor = loop {
        match docker::DockerExecutor::connect(config.docker_host.as_deref(), config.node_id.clone())
            .await
        {
            Ok(e) => break e.with_publish_ip(config.publish_ip),
            Err(e) => {
                tracing::error!(error = %e, "cannot reach the Docker engine; retrying in 5s");
                tokio::select! {
                    _ = shutdown.cancelled() => return Ok(()),
                    _ = tokio::time::sleep(std::time::Duration::from_secs(5)) => {}
                }
            }
        }
    };
    run_with(config, Arc::new(executor), shutdown).await
}

/// Runs the agent with any executor until `shutdown`.
pub async fn run_with(
    config: AgentConfig,
    executor: Arc<dyn Executor>,
    shutdown: CancellationToken,
) -> Result<(), AgentError> {
    if config.managers.get().is_empty() {
        return Err(AgentError::NoManager);
    }
    session::run(config, executor, shutdown).await;
    Ok(())
}
