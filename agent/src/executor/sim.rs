//! A simulated executor: containers are entries in memory that "run" until stopped or until
//! a test makes them exit. For unit tests and hollow-node scale benchmarks only; end-to-end
//! tests use Docker.

use crate::executor::{ContainerInfo, ExecError, Executor, Health, LogChunk};
use futures::StreamExt;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use shoal_api::logs::LogOptions;
use shoal_api::{NodeDescription, Platform, Task, TaskId};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::watch;

struct SimContainer {
    task_id: TaskId,
    name: String,
    /// `None` while running (or never started), `Some(code)` once exited.
    exit: watch::Sender<Option<i64>>,
    started: bool,
    /// `Starting` for a task with a health check until a test says otherwise.
    health: watch::Sender<Health>,
}

#[derive(Default)]
pub struct SimExecutor {
    containers: Mutex<HashMap<String, SimContainer>>,
    next: Mutex<u64>,
}

impl SimExecutor {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, SimContainer>> {
        self.containers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes a running container exit with `code`, as `docker kill` would.
    pub fn exit(&self, container: &str, code: i64) {
        if let Some(c) = self.lock().get(container) {
            c.exit.send_replace(Some(code));
        }
    }

    /// Sets a container's health, as its probes would.
    pub fn set_health(&self, container: &str, health: Health) {
        if let Some(c) = self.lock().get(container) {
            c.health.send_replace(health);
        }
    }

    /// Ids of containers that are started and have not exited.
    pub fn running(&self) -> Vec<String> {
        self.lock()
            .iter()
            .filter(|(_, c)| c.started && c.exit.borrow().is_none())
            .map(|(id, _)| id.clone())
            .collect()
    }

    pub fn count(&self) -> usize {
        self.lock().len()
    }
}

impl Executor for SimExecutor {
    fn describe(&self) -> BoxFuture<'_, Result<NodeDescription, ExecError>> {
        Box::pin(async {
            Ok(NodeDescription {
                hostname: String::new(),
                cpus: 4,
                memory_bytes: 8 << 30,
                engine_version: "simulated".into(),
                engine_labels: Default::default(),
                platform: Platform {
                    os: "linux".into(),
                    architecture: "x86_64".into(),
                },
            })
        })
    }

    fn list(&self) -> BoxFuture<'_, Result<Vec<ContainerInfo>, ExecError>> {
        Box::pin(async {
            Ok(self
                .lock()
                .iter()
                .map(|(id, c)| ContainerInfo {
                    task_id: c.task_id.clone(),
                    container_id: id.clone(),
                    running: c.started && c.exit.borrow().is_none(),
                })
                .collect())
        })
    }

    fn create<'a>(&'a self, task: &'a Task) -> BoxFuture<'a, Result<String, ExecError>> {
        Box::pin(async move {
            if task.spec.container.image.starts_with("missing") {
                return Err(ExecError::Rejected(format!(
                    "image {} is not on this node",
                    task.spec.container.image
                )));
            }
            let name = task.container_name();
            let mut map = self.lock();
            if let Some((id, _)) = map.iter().find(|(_, c)| c.name == name) {
                return Ok(id.clone());
            }
            let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
            *next += 1;
            let id = format!("sim{next:08}");
            let checked = task
                .spec
                .container
                .healthcheck
                .as_ref()
                .is_some_and(|h| !h.test.is_empty() && !h.is_disabled());
            let health = if checked {
                Health::Starting
            } else {
                Health::None
            };
            map.insert(
                id.clone(),
                SimContainer {
                    task_id: task.id.clone(),
                    name,
                    exit: watch::channel(None).0,
                    started: false,
                    health: watch::channel(health).0,
                },
            );
            Ok(id)
        })
    }

    fn start<'a>(&'a self, container: &'a str) -> BoxFuture<'a, Result<(), ExecError>> {
        Box::pin(async move {
            let mut map = self.lock();
            let c = map.get_mut(container).ok_or(ExecError::NotFound)?;
            c.started = true;
            Ok(())
        })
    }

    fn wait<'a>(&'a self, container: &'a str) -> BoxFuture<'a, Result<i64, ExecError>> {
        Box::pin(async move {
            let mut rx = {
                let map = self.lock();
                map.get(container)
                    .ok_or(ExecError::NotFound)?
                    .exit
                    .subscribe()
            };
            loop {
                if let Some(code) = *rx.borrow_and_update() {
                    return Ok(code);
                }
                if rx.changed().await.is_err() {
                    return Err(ExecError::NotFound);
                }
            }
        })
    }

    fn stop<'a>(
        &'a self,
        container: &'a str,
        _grace: Duration,
    ) -> BoxFuture<'a, Result<(), ExecError>> {
        Box::pin(async move {
            self.exit(container, 143);
            Ok(())
        })
    }

    fn remove<'a>(&'a self, container: &'a str) -> BoxFuture<'a, Result<(), ExecError>> {
        Box::pin(async move {
            self.lock().remove(container);
            Ok(())
        })
    }

    fn inspect<'a>(
        &'a self,
        container: &'a str,
    ) -> BoxFuture<'a, Result<(bool, Option<i64>), ExecError>> {
        Box::pin(async move {
            let map = self.lock();
            let c = map.get(container).ok_or(ExecError::NotFound)?;
            let exit = *c.exit.borrow();
            Ok((c.started && exit.is_none(), exit))
        })
    }

    fn health<'a>(
        &'a self,
        container: &'a str,
        seen: Option<&'a Health>,
    ) -> BoxFuture<'a, Result<Health, ExecError>> {
        Box::pin(async move {
            let mut rx = {
                let map = self.lock();
                map.get(container)
                    .ok_or(ExecError::NotFound)?
                    .health
                    .subscribe()
            };
            loop {
                let now = rx.borrow_and_update().clone();
                if seen.is_none_or(|s| !s.same_state(&now)) {
                    return Ok(now);
                }
                if rx.changed().await.is_err() {
                    return Err(ExecError::NotFound);
                }
            }
        })
    }

    /// Simulated containers write nothing.
    fn logs<'a>(
        &'a self,
        container: &'a str,
        _options: &'a LogOptions,
    ) -> BoxStream<'a, Result<LogChunk, ExecError>> {
        let known = self.lock().contains_key(container);
        futures::stream::iter((!known).then_some(Err(ExecError::NotFound))).boxed()
    }
}
