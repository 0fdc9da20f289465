//! Has a service converged? Pure counting over a snapshot of the service and its tasks, for
//! the progress loop: how many slots run the current spec, what is holding the rollout up,
//! and whether the rollout is paused.

use shoal_api::{Service, Task, TaskState, UpdateState};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Slots `1..=desired` whose task runs the current spec.
    pub running: u64,
    pub desired: u64,
    /// Every slot done and no other task left desired to run.
    pub converged: bool,
}

/// Counts the slots that run the service's current task template.
pub fn measure(service: &Service, tasks: &[Task]) -> Progress {
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

/// A paused rollout will not go on by itself: stop waiting. Only a status written after our
/// own change (a later version) counts, so a pause left over from an earlier update does not.
pub fn paused_since(service: &Service, since_version: u64) -> Option<String> {
    let status = service.update_status.as_ref()?;
    let paused = matches!(
        status.state,
        UpdateState::Paused | UpdateState::RollbackPaused
    );
    (paused && service.meta.version > since_version).then(|| status.message.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{service, task};

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
    fn only_a_pause_after_our_change_stops_the_wait() {
        let mut svc = service("web", 1);
        svc.meta.version = 10;
        svc.update_status = Some(shoal_api::UpdateStatus {
            state: UpdateState::Paused,
            started_at: Default::default(),
            completed_at: None,
            message: "update paused due to failure".into(),
            spec_version: 0,
        });
        assert_eq!(paused_since(&svc, 10), None);
        assert_eq!(
            paused_since(&svc, 9).as_deref(),
            Some("update paused due to failure")
        );
    }
}
