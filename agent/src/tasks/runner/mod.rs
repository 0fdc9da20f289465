//! One task's life on this node: create the container, start it when desired `running`,
//! report each state, watch for its exit, stop it (with the grace period) when told to, and
//! remove it once stopped on request (a container that failed on its own stays for
//! inspection until its task is removed). A finished task is never started again: restarts
//! are new tasks made by the orchestrator. On agent shutdown the container is left running.
//!
//! A container with a health check is `starting` until its first healthy probe, and only then
//! `running`; when it turns unhealthy it is stopped (and kept) and the task fails with the
//! last probe's output.

use crate::executor::{ContainerInfo, ExecError, Executor, Health};
use crate::session::reporter::ReportTx;
use shoal_api::dispatch::StatusUpdate;
use shoal_api::{Task, TaskState, TaskStatus, Timestamp};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

pub struct Runner {
    pub executor: Arc<dyn Executor>,
    pub report: ReportTx,
    pub desired: watch::Receiver<TaskState>,
    /// Cancelled when the task is no longer assigned to this node.
    pub removed: CancellationToken,
    /// Cancelled when the agent stops: leave containers running.
    pub shutdown: CancellationToken,
}

struct Progress {
    task: Task,
    /// The last state the manager was told.
    reported: TaskState,
    container: Option<String>,
    /// The container ran and stopped, or never could: the task is over.
    finished: bool,
    /// When the container started, repeated in every later report.
    started_at: Option<Timestamp>,
    /// The container's health as last seen since it started (`None`: not looked at yet).
    health: Option<Health>,
}

impl Progress {
    fn send(
        &mut self,
        r: &Runner,
        state: TaskState,
        message: &str,
        err: String,
        exit: Option<i64>,
    ) {
        if state < self.reported {
            return;
        }
        self.reported = state;
        if state == TaskState::Running && self.started_at.is_none() {
            self.started_at = Some(Timestamp::now());
        }
        let status = TaskStatus {
            state,
            timestamp: Timestamp::now(),
            message: message.into(),
            err,
            container_id: self.container.clone(),
            exit_code: exit,
            started_at: self.started_at,
        };
        let _ = r.report.send(StatusUpdate {
            task_id: self.task.id.clone(),
            status,
        });
    }
}

pub async fn run(mut r: Runner, task: Task, existing: Option<ContainerInfo>) {
    let mut p = Progress {
        reported: task.status.state,
        container: existing
            .map(|c| c.container_id)
            .or_else(|| task.status.container_id.clone()),
        finished: task.status.state.is_terminal(),
        started_at: task.status.started_at,
        health: None,
        task,
    };
    let grace = p.task.spec.container.stop_grace_period;
    loop {
        if r.shutdown.is_cancelled() {
            return;
        }
        let desired = *r.desired.borrow_and_update();
        let removed = r.removed.is_cancelled();
        if removed || desired >= TaskState::Shutdown {
            // A container we stop on request goes at once; one that died on its own is kept
            // (for its logs and exit state) until its task is removed.
            let stopping = !p.finished && p.container.is_some();
            if stopping
                && let Some(c) = &p.container
                && let Err(e) = r.executor.stop(c, grace).await
            {
                tracing::warn!(task = %p.task.id, error = %e, "cannot stop container");
            }
            if !p.reported.is_terminal() {
                p.send(&r, TaskState::Shutdown, "shutdown", String::new(), None);
            }
            p.finished = true;
            if removed || stopping || desired >= TaskState::Remove {
                if let Some(c) = p.container.take()
                    && let Err(e) = r.executor.remove(&c).await
                {
                    tracing::warn!(task = %p.task.id, error = %e, "cannot remove container");
                }
                if removed {
                    return;
                }
            }
            wait_change(&mut r).await;
            continue;
        }
        if p.finished {
            wait_change(&mut r).await;
            continue;
        }
        if p.container.is_none() {
            p.send(&r, TaskState::Preparing, "preparing", String::new(), None);
            match r.executor.create(&p.task).await {
                Ok(id) => {
                    p.container = Some(id);
                    p.send(&r, TaskState::Ready, "prepared", String::new(), None);
                }
                Err(e) => {
                    fail(&r, &mut p, e);
                    continue;
                }
            }
        }
        if desired != TaskState::Running {
            wait_change(&mut r).await;
            continue;
        }
        let container = p.container.clone().expect("created above");
        // Start it unless it runs already (starting it again is harmless: an adopted task
        // reported `starting` may never have been started).
        if p.reported < TaskState::Running && p.health.is_none() {
            p.send(&r, TaskState::Starting, "starting", String::new(), None);
            if let Err(e) = r.executor.start(&container).await {
                fail(&r, &mut p, e);
                continue;
            }
        }
        if p.health.is_none() {
            match r.executor.health(&container, None).await {
                Ok(health) => {
                    if !on_health(&r, &mut p, &container, health).await {
                        continue;
                    }
                }
                // The wait below reports a container that is gone.
                Err(ExecError::NotFound) => {}
                Err(e) => {
                    tracing::warn!(task = %p.task.id, error = %e, "cannot read container health; retrying");
                    tokio::select! {
                        _ = r.shutdown.cancelled() => return,
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    }
                    continue;
                }
            }
        }
        let seen = p.health.clone().unwrap_or(Health::None);
        let executor = r.executor.clone();
        let watch_health = async {
            match seen {
                // Nothing to follow: the container runs without a health check.
                Health::None => std::future::pending().await,
                _ => executor.health(&container, Some(&seen)).await,
            }
        };
        let exit = tokio::select! {
            _ = r.shutdown.cancelled() => return,
            _ = r.removed.cancelled() => continue,
            _ = r.desired.changed() => continue,
            health = watch_health => Err(health),
            exit = r.executor.wait(&container) => Ok(exit),
        };
        let exit = match exit {
            Ok(exit) => exit,
            Err(Ok(health)) => {
                on_health(&r, &mut p, &container, health).await;
                continue;
            }
            Err(Err(e)) => {
                tracing::warn!(task = %p.task.id, error = %e, "reading container health failed; retrying");
                tokio::select! {
                    _ = r.shutdown.cancelled() => return,
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
                continue;
            }
        };
        match exit {
            Ok(0) => {
                p.finished = true;
                p.send(&r, TaskState::Complete, "finished", String::new(), Some(0));
            }
            Ok(code) => {
                p.finished = true;
                let err = format!("task: non-zero exit ({code})");
                p.send(&r, TaskState::Failed, "finished", err, Some(code));
            }
            Err(ExecError::NotFound) => {
                p.finished = true;
                p.container = None;
                let err = "container was removed outside Shoal".to_string();
                p.send(&r, TaskState::Failed, "container gone", err, None);
            }
            Err(e) => {
                tracing::warn!(task = %p.task.id, error = %e, "waiting on container failed; retrying");
                tokio::select! {
                    _ = r.shutdown.cancelled() => return,
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
    }
}

/// Reports what a new health state means for the task: running once healthy (or with no
/// check), starting while the check has not passed yet, failed once unhealthy (the container
/// is stopped first so it does not go on serving). Returns `false` once the task is over.
async fn on_health(r: &Runner, p: &mut Progress, container: &str, health: Health) -> bool {
    p.health = Some(health.clone());
    let reported = p.reported;
    match health {
        // Already said (an adopted container): nothing new to report.
        Health::None | Health::Healthy | Health::Starting if reported >= TaskState::Running => {}
        Health::None => p.send(r, TaskState::Running, "started", String::new(), None),
        Health::Healthy => p.send(
            r,
            TaskState::Running,
            "started (healthy)",
            String::new(),
            None,
        ),
        Health::Starting => p.send(
            r,
            TaskState::Starting,
            "started, waiting for the health check to pass",
            String::new(),
            None,
        ),
        Health::Unhealthy(output) => {
            let grace = p.task.spec.container.stop_grace_period;
            if let Err(e) = r.executor.stop(container, grace).await {
                tracing::warn!(task = %p.task.id, error = %e, "cannot stop unhealthy container");
            }
            p.finished = true;
            let err = format!("container unhealthy: {output}");
            p.send(r, TaskState::Failed, "unhealthy", err, None);
            return false;
        }
    }
    true
}

/// Reports a task that could not be created or started.
fn fail(r: &Runner, p: &mut Progress, e: ExecError) {
    p.finished = true;
    let state = match e {
        ExecError::Rejected(_) => TaskState::Rejected,
        _ => TaskState::Failed,
    };
    p.send(r, state, "failed", e.to_string(), None);
}

async fn wait_change(r: &mut Runner) {
    tokio::select! {
        _ = r.shutdown.cancelled() => {}
        _ = r.removed.cancelled() => {}
        _ = r.desired.changed() => {}
    }
}

#[cfg(test)]
mod tests;
