//! The Shoal agent: keeps a session with the leading manager (register, heartbeat, assignment
//! stream), runs each assigned task through an [`Executor`] and reports status in batches.
//! The Docker executor is the real one; [`sim::SimExecutor`] stands in for unit tests and
//! hollow-node benchmarks.

pub mod docker;
mod docker_body;
mod docker_health;
pub mod executor;
mod labels;
mod log_relay;
mod managers;
mod reporter;
mod runner;
#[cfg(test)]
mod runner_health_tests;
mod session;
pub mod sim;
mod worker;

pub use executor::{ContainerInfo, ExecError, Executor, Health, LogChunk};
pub use managers::Managers;
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
