//! Turns assignment messages into task runners: one runner per assigned task, told when the
//! task's desired state changes and cancelled when the task is no longer assigned. On a full
//! assignment set it also removes this node's containers that belong to no known task.

use super::runner::{self, Runner};
use crate::executor::{ContainerInfo, Executor};
use crate::session::reporter::ReportTx;
use shoal_api::dispatch::Assignments;
use shoal_api::{Task, TaskId, TaskState};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

struct Handle {
    desired: watch::Sender<TaskState>,
    removed: CancellationToken,
}

pub struct Worker {
    executor: Arc<dyn Executor>,
    report: ReportTx,
    runners: Mutex<HashMap<TaskId, Handle>>,
    shutdown: CancellationToken,
}

impl Worker {
    pub fn new(executor: Arc<dyn Executor>, report: ReportTx, shutdown: CancellationToken) -> Self {
        Worker {
            executor,
            report,
            runners: Mutex::default(),
            shutdown,
        }
    }

    fn runners(&self) -> std::sync::MutexGuard<'_, HashMap<TaskId, Handle>> {
        self.runners.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub async fn apply(&self, msg: Assignments) {
        let mut containers: HashMap<TaskId, ContainerInfo> = HashMap::new();
        if msg.full {
            match self.executor.list().await {
                Ok(list) => containers = list.into_iter().map(|c| (c.task_id.clone(), c)).collect(),
                Err(e) => tracing::warn!(error = %e, "cannot list containers"),
            }
            let keep: std::collections::HashSet<&TaskId> =
                msg.tasks.iter().map(|t| &t.id).collect();
            let gone: Vec<TaskId> = self
                .runners()
                .keys()
                .filter(|id| !keep.contains(id))
                .cloned()
                .collect();
            for id in gone {
                self.forget(&id);
            }
            for (id, c) in &containers {
                if !keep.contains(id) {
                    tracing::info!(task = %id, "removing a container of no known task");
                    let ex = self.executor.clone();
                    let cid = c.container_id.clone();
                    tokio::spawn(async move {
                        if let Err(e) = ex.remove(&cid).await {
                            tracing::warn!(container = %cid, error = %e, "cannot remove container");
                        }
                    });
                }
            }
        }
        for task in msg.tasks {
            let existing = containers.remove(&task.id);
            self.assign(task, existing);
        }
        for id in &msg.removed {
            self.forget(id);
        }
    }

    fn assign(&self, task: Task, existing: Option<ContainerInfo>) {
        let mut runners = self.runners();
        if let Some(h) = runners.get(&task.id) {
            h.desired.send_if_modified(|d| {
                let changed = *d != task.desired_state;
                *d = task.desired_state;
                changed
            });
            return;
        }
        let (desired, desired_rx) = watch::channel(task.desired_state);
        let removed = CancellationToken::new();
        let r = Runner {
            executor: self.executor.clone(),
            report: self.report.clone(),
            desired: desired_rx,
            removed: removed.clone(),
            shutdown: self.shutdown.clone(),
        };
        runners.insert(task.id.clone(), Handle { desired, removed });
        tokio::spawn(runner::run(r, task, existing));
    }

    /// The task is no longer assigned here: its runner removes the container and ends.
    fn forget(&self, id: &TaskId) {
        if let Some(h) = self.runners().remove(id) {
            h.removed.cancel();
        }
    }
}
