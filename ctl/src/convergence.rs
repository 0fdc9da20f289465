//! Has a service converged? Pure counting over a snapshot of the service and its tasks, for
//! the progress loop: how many slots run the current spec, what is holding the rollout up,
//! and whether the rollout of our change is still going, done, paused or rolled back.

use shoal_api::placement::Constraint;
use shoal_api::{Node, Service, ServiceMode, Task, TaskState, UpdateState};
use std::collections::BTreeSet;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Slots `1..=desired` whose task runs the current spec.
    pub running: u64,
    pub desired: u64,
    /// Every slot done and no other task left desired to run.
    pub converged: bool,
}

impl Progress {
    /// For a global service: not converged before a task of the current spec runs on each of
    /// the `target` nodes, since the first polls may come before the orchestrator made them.
    pub fn expecting(mut self, target: u64) -> Progress {
        if target > self.desired {
            self.desired = target;
            self.converged = false;
        }
        self
    }
}

/// How many nodes a global service should run on, counted as the Docker CLI does: nodes
/// ready and active that match its placement constraints.
pub fn global_target(service: &Service, nodes: &[Node]) -> u64 {
    let constraints =
        Constraint::parse_all(&service.spec.task.placement.constraints).unwrap_or_default();
    nodes
        .iter()
        .filter(|n| n.is_schedulable() && constraints.iter().all(|c| c.matches(n)))
        .count() as u64
}

/// Counts the slots that run the service's current task template (for a global service, the
/// nodes; for a job, the runs that completed).
pub fn measure(service: &Service, tasks: &[Task]) -> Progress {
    match &service.spec.mode {
        ServiceMode::Replicated { .. } => measure_replicated(service, tasks),
        ServiceMode::Global {} => measure_global(service, tasks),
        ServiceMode::ReplicatedJob { .. } | ServiceMode::GlobalJob {} => {
            measure_job(service, tasks)
        }
    }
}

/// One task per node the orchestrator chose: converged when each of them runs the current
/// spec and nothing older is still wanted.
fn measure_global(service: &Service, tasks: &[Task]) -> Progress {
    let wanted: Vec<&Task> = tasks
        .iter()
        .filter(|t| t.service_id == service.id && t.desired_state == TaskState::Running)
        .collect();
    let current = wanted.iter().filter(|t| t.spec == service.spec.task);
    let desired = current.clone().count() as u64;
    let running = current
        .filter(|t| t.status.state == TaskState::Running)
        .count() as u64;
    Progress {
        running,
        desired,
        converged: running == desired && wanted.len() as u64 == desired,
    }
}

/// Runs of the current spec that completed, out of those the job needs.
fn measure_job(service: &Service, tasks: &[Task]) -> Progress {
    let mine = tasks
        .iter()
        .filter(|t| t.service_id == service.id && t.spec == service.spec.task);
    let completed: BTreeSet<(u64, Option<&shoal_api::NodeId>)> = mine
        .clone()
        .filter(|t| t.status.state == TaskState::Complete)
        .map(|t| {
            (
                t.slot,
                if t.slot == 0 {
                    t.node_id.as_ref()
                } else {
                    None
                },
            )
        })
        .collect();
    let desired = match service.spec.mode {
        ServiceMode::ReplicatedJob {
            max_concurrent,
            total_completions,
        } => total_completions.unwrap_or(max_concurrent),
        _ => mine
            .filter_map(|t| t.node_id.as_ref())
            .collect::<BTreeSet<_>>()
            .len() as u64,
    };
    let running = completed.len() as u64;
    Progress {
        running,
        desired,
        converged: running >= desired && desired > 0,
    }
}

fn measure_replicated(service: &Service, tasks: &[Task]) -> Progress {
    let desired = service.spec.replicas().unwrap_or(0);
    let mine = || tasks.iter().filter(|t| t.service_id == service.id);
    let up_to_date = |t: &&Task| {
        t.desired_state == TaskState::Running
            && t.status.state == TaskState::Running
            && t.spec == service.spec.task
    };
    let running = (1..=desired)
        .filter(|slot| mine().any(|t| t.slot == *slot && up_to_date(&t)))
        .count() as u64;
    let wanted = mine()
        .filter(|t| t.desired_state == TaskState::Running)
        .count() as u64;
    Progress {
        running,
        desired,
        converged: running == desired && wanted == desired,
    }
}

/// What to tell the user when the service does not converge: the newest error of a task of
/// the current spec, else why a current task is not running yet (e.g. a scheduling message).
pub fn latest_problem(service: &Service, tasks: &[Task]) -> Option<String> {
    let current = || {
        tasks
            .iter()
            .filter(|t| t.service_id == service.id && t.spec == service.spec.task)
    };
    let newest_err = current()
        .filter(|t| !t.status.err.is_empty())
        .max_by_key(|t| t.status.timestamp)
        .map(|t| t.status.err.clone());
    newest_err.or_else(|| {
        current()
            .filter(|t| {
                t.desired_state == TaskState::Running && t.status.state < TaskState::Running
            })
            .filter(|t| !t.status.message.is_empty())
            .max_by_key(|t| t.status.timestamp)
            .map(|t| format!("{} {}", t.status.state, t.status.message))
    })
}

/// Where the rollout of our change stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rollout {
    /// No rollout of ours is under way: converged tasks mean done.
    Settled,
    /// Updating or rolling back: wait even if the tasks look converged (the new tasks are
    /// still watched for failure).
    Running,
    /// It will not finish as asked: paused, or our update was rolled back.
    Failed(String),
}

/// Judges `service`'s update status against our change, `posted` (the object our write
/// returned). A status for an older spec is not ours; one for a newer spec after our update
/// is the automatic rollback of it.
pub fn rollout(service: &Service, posted: &Service) -> Rollout {
    let Some(status) = service.update_status.as_ref() else {
        return Rollout::Settled;
    };
    if status.spec_version < posted.spec_version {
        return Rollout::Settled;
    }
    let name = &service.spec.name;
    let rolled_back_ours = status.spec_version > posted.spec_version && !posted.rolled_back;
    let message = &status.message;
    match status.state {
        UpdateState::Paused => {
            Rollout::Failed(format!("the update of {name} is paused: {message}"))
        }
        UpdateState::RollbackPaused => {
            Rollout::Failed(format!("the rollback of {name} is paused: {message}"))
        }
        UpdateState::RollbackCompleted if rolled_back_ours => {
            Rollout::Failed(format!("the update of {name} was rolled back: {message}"))
        }
        UpdateState::Updating | UpdateState::RollbackStarted => Rollout::Running,
        UpdateState::Completed | UpdateState::RollbackCompleted => Rollout::Settled,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shoal_api::{Availability, NodeState, Role};
    use shoal_manifest::fixtures::{node, service, task};

    #[test]
    fn counts_slots_running_the_current_spec() {
        let svc = service("web", 3);
        let mut old = task(&svc, 3, TaskState::Running, TaskState::Running);
        old.spec.container.image = "nginx:old".into();
        let tasks = vec![
            task(&svc, 1, TaskState::Running, TaskState::Running),
            task(&svc, 2, TaskState::Running, TaskState::Starting),
            old,
        ];
        let p = measure(&svc, &tasks);
        assert_eq!((p.running, p.desired, p.converged), (1, 3, false));
    }

    #[test]
    fn converged_needs_every_slot_and_no_extra_task() {
        let svc = service("web", 2);
        let mut tasks = vec![
            task(&svc, 1, TaskState::Running, TaskState::Running),
            task(&svc, 2, TaskState::Running, TaskState::Running),
        ];
        assert!(measure(&svc, &tasks).converged);
        // Scaled down from 3: slot 3 is still desired to run.
        tasks.push(task(&svc, 3, TaskState::Running, TaskState::Running));
        let p = measure(&svc, &tasks);
        assert_eq!((p.running, p.converged), (2, false));
        // Once it is being shut down it no longer counts.
        tasks[2].desired_state = TaskState::Shutdown;
        assert!(measure(&svc, &tasks).converged);
    }

    #[test]
    fn zero_replicas_converge_when_nothing_is_desired_to_run() {
        let svc = service("web", 0);
        let mut t = task(&svc, 1, TaskState::Running, TaskState::Running);
        assert!(!measure(&svc, std::slice::from_ref(&t)).converged);
        t.desired_state = TaskState::Shutdown;
        assert!(measure(&svc, &[t]).converged);
    }

    #[test]
    fn the_latest_problem_prefers_errors_then_pending_reasons() {
        let svc = service("web", 2);
        let mut pending = task(&svc, 1, TaskState::Running, TaskState::Pending);
        pending.status.message = "no suitable node (1 node not available)".into();
        assert_eq!(
            latest_problem(&svc, std::slice::from_ref(&pending)).unwrap(),
            "pending no suitable node (1 node not available)"
        );
        let mut failed = task(&svc, 2, TaskState::Shutdown, TaskState::Failed);
        failed.status.err = "No such image: nginx:nope".into();
        let mut older = failed.clone();
        older.status.err = "older".into();
        older.status.timestamp.0 -= 1000;
        assert_eq!(
            latest_problem(&svc, &[pending, older, failed]).unwrap(),
            "No such image: nginx:nope"
        );
    }

    #[test]
    fn only_our_rollout_counts_and_a_pause_or_rollback_fails_it() {
        let mut posted = service("web", 1);
        posted.spec_version = 3;
        let status_of = |posted: &Service, state: UpdateState, spec_version: u64| {
            let mut svc = posted.clone();
            svc.update_status = Some(shoal_api::UpdateStatus {
                state,
                started_at: Default::default(),
                completed_at: None,
                message: "update paused due to failure".into(),
                spec_version,
            });
            svc
        };
        assert_eq!(rollout(&posted, &posted), Rollout::Settled);
        assert_eq!(
            rollout(&status_of(&posted, UpdateState::Paused, 2), &posted),
            Rollout::Settled
        );
        assert_eq!(
            rollout(&status_of(&posted, UpdateState::Paused, 3), &posted),
            Rollout::Failed("the update of web is paused: update paused due to failure".into())
        );
        assert_eq!(
            rollout(&status_of(&posted, UpdateState::Updating, 3), &posted),
            Rollout::Running
        );
        assert_eq!(
            rollout(
                &status_of(&posted, UpdateState::RollbackStarted, 4),
                &posted
            ),
            Rollout::Running
        );
        assert!(matches!(
            rollout(&status_of(&posted, UpdateState::RollbackCompleted, 4), &posted),
            Rollout::Failed(m) if m.starts_with("the update of web was rolled back: ")
        ));
        assert_eq!(
            rollout(&status_of(&posted, UpdateState::Completed, 3), &posted),
            Rollout::Settled
        );
        // Waiting for `service rollback`: its own completion is success.
        posted.rolled_back = true;
        assert_eq!(
            rollout(
                &status_of(&posted, UpdateState::RollbackCompleted, 3),
                &posted
            ),
            Rollout::Settled
        );
        assert!(matches!(
            rollout(&status_of(&posted, UpdateState::RollbackPaused, 3), &posted),
            Rollout::Failed(m) if m.starts_with("the rollback of web is paused")
        ));
    }

    #[test]
    fn a_global_service_waits_for_a_task_on_each_eligible_node() {
        let mut svc = service("agent", 0);
        svc.spec.mode = ServiceMode::Global {};
        svc.spec.task.placement.constraints = vec!["node.labels.zone!=west".into()];
        let mut drained = node("n2", "b", Role::Worker);
        drained.spec.availability = Availability::Drain;
        let mut down = node("n3", "c", Role::Worker);
        down.status.state = NodeState::Down;
        let mut west = node("n4", "d", Role::Worker);
        west.spec.labels.insert("zone".into(), "west".into());
        let nodes = [node("n1", "a", Role::Manager), drained, down, west];
        assert_eq!(global_target(&svc, &nodes), 1);

        // Before the orchestrator made its task, nothing counts as converged.
        let early = measure(&svc, &[]);
        assert!(early.converged, "no task at all looks converged on its own");
        let early = early.expecting(global_target(&svc, &nodes));
        assert_eq!(
            (early.running, early.desired, early.converged),
            (0, 1, false)
        );

        let mut t = task(&svc, 0, TaskState::Running, TaskState::Running);
        t.node_id = Some(shoal_api::NodeId("n1".into()));
        let done = measure(&svc, &[t]).expecting(1);
        assert_eq!((done.running, done.desired, done.converged), (1, 1, true));
    }
}
