//! The runner and health checks, on the simulated executor: `starting` until healthy, then
//! `running`; unhealthy stops the container and fails the task with the probe's output.

use crate::executor::sim::SimExecutor;
use crate::executor::{Executor, Health};
use crate::tasks::runner::{self, Runner};
use shoal_api::dispatch::StatusUpdate;
use shoal_api::{HealthCheck, Meta, ServiceId, Task, TaskId, TaskState, TaskStatus, TaskTemplate};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

fn task(checked: bool) -> Task {
    let mut spec = TaskTemplate::default();
    spec.container.image = "demo".into();
    if checked {
        spec.container.healthcheck = Some(HealthCheck {
            test: HealthCheck::shell("true"),
            ..Default::default()
        });
    }
    Task {
        id: TaskId("t1".into()),
        meta: Meta::default(),
        service_id: ServiceId("s1".into()),
        service_name: "web".into(),
        slot: 1,
        node_id: None,
        spec,
        desired_state: TaskState::Running,
        status: TaskStatus::new(TaskState::Assigned, ""),
        restarts: Vec::new(),
    }
}

struct Run {
    sim: Arc<SimExecutor>,
    reports: mpsc::UnboundedReceiver<StatusUpdate>,
    _desired: watch::Sender<TaskState>,
    shutdown: CancellationToken,
}

fn start(task: Task) -> Run {
    let sim = Arc::new(SimExecutor::new());
    let (tx, reports) = mpsc::unbounded_channel();
    let (desired, desired_rx) = watch::channel(task.desired_state);
    let shutdown = CancellationToken::new();
    let r = Runner {
        executor: sim.clone(),
        report: tx,
        desired: desired_rx,
        removed: CancellationToken::new(),
        shutdown: shutdown.clone(),
    };
    tokio::spawn(runner::run(r, task, None));
    Run {
        sim,
        reports,
        _desired: desired,
        shutdown,
    }
}

impl Run {
    /// Reports until one in `state`; fails if the runner reports a later state first.
    async fn until(&mut self, state: TaskState) -> TaskStatus {
        loop {
            let u = tokio::time::timeout(Duration::from_secs(10), self.reports.recv())
                .await
                .expect("a report in time")
                .expect("runner alive");
            assert!(u.status.state <= state, "went past {state}: {:?}", u.status);
            if u.status.state == state {
                return u.status;
            }
        }
    }

    fn container(&self) -> String {
        let running = self.sim.running();
        assert_eq!(running.len(), 1, "one container runs");
        running[0].clone()
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

#[tokio::test]
async fn without_a_health_check_running_means_started() {
    let mut run = start(task(false));
    let s = run.until(TaskState::Running).await;
    assert_eq!(s.message, "started");
}

#[tokio::test]
async fn a_checked_task_runs_only_once_healthy() {
    let mut run = start(task(true));
    let s = loop {
        let s = run.until(TaskState::Starting).await;
        if s.message.contains("health") {
            break s;
        }
    };
    assert_eq!(s.message, "started, waiting for the health check to pass");
    let c = run.container();
    // Nothing more is said while the check has not passed.
    assert!(
        tokio::time::timeout(Duration::from_millis(100), run.reports.recv())
            .await
            .is_err()
    );
    run.sim.set_health(&c, Health::Healthy);
    let s = run.until(TaskState::Running).await;
    assert_eq!(s.message, "started (healthy)");
    assert!(s.started_at.is_some());

    run.sim.set_health(&c, Health::Unhealthy("db down".into()));
    let s = run.until(TaskState::Failed).await;
    assert_eq!(s.err, "container unhealthy: db down");
    assert!(
        run.sim.running().is_empty(),
        "the unhealthy container is stopped"
    );
    assert_eq!(run.sim.count(), 1, "and kept for inspection");
}

#[tokio::test]
async fn unhealthy_before_ever_healthy_fails_the_task() {
    let mut run = start(task(true));
    let _ = run.until(TaskState::Starting).await;
    // The runner may still be asking for the first health: wait for its container.
    let c = loop {
        if let Some(c) = run.sim.running().pop() {
            break c;
        }
        tokio::task::yield_now().await;
    };
    run.sim.set_health(&c, Health::Unhealthy("exit 1".into()));
    let s = run.until(TaskState::Failed).await;
    assert_eq!(s.err, "container unhealthy: exit 1");
    assert!(s.started_at.is_none(), "it never ran");
    assert!(matches!(run.sim.inspect(&c).await, Ok((false, Some(_)))));
}
