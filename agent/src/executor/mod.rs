//! The runtime behind the agent: what it takes to run one task's container. Futures are boxed
//! so the trait can be used as `dyn Executor`.
//!
//! Two implementations: [`docker::DockerExecutor`], the real one (bollard), and
//! [`sim::SimExecutor`], containers in memory for unit tests and hollow-node benchmarks.

pub mod docker;
pub mod sim;

use futures::future::BoxFuture;
use futures::stream::BoxStream;
use shoal_api::logs::{LogOptions, LogStream};
use shoal_api::{NodeDescription, Task, TaskId};
use std::time::Duration;
use thiserror::Error;

#[derive(Debug, Error, Clone)]
pub enum ExecError {
    /// The task cannot run here as specified (missing image, bad command...).
    #[error("{0}")]
    Rejected(String),
    /// The runtime failed; trying again may work.
    #[error("{0}")]
    Runtime(String),
    #[error("container not found")]
    NotFound,
}

/// A container of this node, found by its labels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerInfo {
    pub task_id: TaskId,
    pub container_id: String,
    pub running: bool,
}

/// What a container's health check says (`None`: it has none, so running means ready).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Health {
    None,
    Starting,
    Healthy,
    /// The output of the last probe.
    Unhealthy(String),
}

impl Health {
    /// Same state, whatever the probe output.
    pub fn same_state(&self, other: &Health) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
}

/// A piece of a container's output as the runtime gave it: one or more lines, each
/// starting with its timestamp.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogChunk {
    pub stream: LogStream,
    pub text: String,
}

pub trait Executor: Send + Sync + 'static {
    /// What this machine offers.
    fn describe(&self) -> BoxFuture<'_, Result<NodeDescription, ExecError>>;
    /// Containers labelled for this node, running or not.
    fn list(&self) -> BoxFuture<'_, Result<Vec<ContainerInfo>, ExecError>>;
    /// Creates the task's container (idempotent by name); returns its id.
    fn create<'a>(&'a self, task: &'a Task) -> BoxFuture<'a, Result<String, ExecError>>;
    fn start<'a>(&'a self, container: &'a str) -> BoxFuture<'a, Result<(), ExecError>>;
    /// Waits until the container stops; returns its exit code.
    fn wait<'a>(&'a self, container: &'a str) -> BoxFuture<'a, Result<i64, ExecError>>;
    /// Stops the container, killing it after `grace`.
    fn stop<'a>(
        &'a self,
        container: &'a str,
        grace: Duration,
    ) -> BoxFuture<'a, Result<(), ExecError>>;
    fn remove<'a>(&'a self, container: &'a str) -> BoxFuture<'a, Result<(), ExecError>>;
    /// Whether the container runs now, and its exit code if it stopped.
    fn inspect<'a>(
        &'a self,
        container: &'a str,
    ) -> BoxFuture<'a, Result<(bool, Option<i64>), ExecError>>;
    /// The container's health now (`seen` is `None`), or once its state differs from `seen`.
    fn health<'a>(
        &'a self,
        container: &'a str,
        seen: Option<&'a Health>,
    ) -> BoxFuture<'a, Result<Health, ExecError>>;
    /// The container's output, timestamped, as `options` ask; with `follow` it ends when the
    /// container stops.
    fn logs<'a>(
        &'a self,
        container: &'a str,
        options: &'a LogOptions,
    ) -> BoxStream<'a, Result<LogChunk, ExecError>>;
}
