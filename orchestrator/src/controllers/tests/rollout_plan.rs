//! Rollouts: failures within the monitor period pause, continue or roll back; a pause holds
//! until the spec changes; rollbacks use their own config; restart attempts run out.

use super::fixtures::*;
use crate::controllers::replicated::{NodeView, plan_service};
use crate::store::Action;
use shoal_api::*;
use std::time::Duration;

const S: Duration = Duration::from_secs(1);

fn status_of(plan: &crate::controllers::Plan) -> Option<&UpdateStatus> {
    plan.actions.iter().find_map(|a| match a {
        Action::SetServiceUpdateStatus { status, .. } => Some(status),
        _ => None,
    })
}

fn created(plan: &crate::controllers::Plan) -> Vec<&Task> {
    plan.actions
        .iter()
        .filter_map(|a| match a {
            Action::CreateTask(t) => Some(t),
            _ => None,
        })
        .collect()
}

/// `web` with `replicas` slots updated from img:1 to img:2 (spec version 2), its update
/// started at T0, slot 1 already given a new task that ran and failed after `ran`.
fn failing_update(replicas: u64, ran: Duration) -> (Service, Vec<Task>) {
    let old = service("web", "img:1", replicas);
    let mut s = old.clone();
    s.spec.task.container.image = "img:2".into();
    s.previous_spec = Some(old.spec.clone());
    s.spec_version = 2;
    s.update_status = Some(UpdateStatus {
        state: UpdateState::Updating,
        started_at: T0,
        completed_at: None,
        message: "update in progress".into(),
        spec_version: 2,
    });
    let mut tasks: Vec<Task> = (1..=replicas)
        .map(|i| task(&old, i, TaskState::Running, Some("n")))
        .collect();
    tasks[0].desired_state = TaskState::Shutdown;
    tasks[0].status.state = TaskState::Shutdown;
    let mut new = task(&s, 1, TaskState::Failed, Some("n"));
    new.meta.created_at = T0.plus(S);
    new.status.started_at = Some(T0.plus(2 * S));
    new.status.timestamp = T0.plus(2 * S + ran);
    new.status.err = "task: non-zero exit (1)".into();
    new.status.exit_code = Some(1);
    tasks.push(new);
    (s, tasks)
}

fn plan(s: &Service, tasks: &[Task], now: Timestamp) -> crate::controllers::Plan {
    let refs: Vec<&Task> = tasks.iter().collect();
    plan_service(&s.id, Some(s), &refs, &NodeView::default(), now)
}

#[test]
fn an_early_failure_pauses_the_update_and_names_the_task() {
    let (s, tasks) = failing_update(3, S);
    let p = plan(&s, &tasks, T0.plus(10 * S));
    let status = status_of(&p).expect("a status");
    assert_eq!(status.state, UpdateState::Paused);
    assert_eq!(status.spec_version, 2);
    let failed = &tasks[3];
    assert!(
        status.message.contains(&format!("web.1.{}", failed.id))
            && status.message.contains("non-zero exit (1)"),
        "{}",
        status.message
    );
    // The other slots are not touched; the failed slot is restarted per its policy.
    assert!(created(&p).iter().all(|t| t.slot == 1), "{:?}", p.actions);
}

#[test]
fn a_paused_update_holds_until_the_spec_changes() {
    let (mut s, tasks) = failing_update(3, S);
    let status = s.update_status.as_mut().unwrap();
    status.state = UpdateState::Paused;
    let p = plan(&s, &tasks, T0.plus(10 * S));
    assert!(created(&p).iter().all(|t| t.slot == 1), "{:?}", p.actions);
    assert!(status_of(&p).is_none());

    // `service update` (any change) starts a new rollout of the new spec.
    s.spec_version = 3;
    s.spec.task.container.image = "img:3".into();
    let p = plan(&s, &tasks, T0.plus(10 * S));
    let status = status_of(&p).unwrap();
    assert_eq!(
        (status.state, status.spec_version),
        (UpdateState::Updating, 3)
    );
    let replaced = created(&p);
    assert!(!replaced.is_empty() && replaced.iter().all(|t| t.spec.container.image == "img:3"));
}

#[test]
fn a_task_that_ran_past_the_monitor_period_is_not_a_failure() {
    let (s, tasks) = failing_update(3, 6 * S);
    let p = plan(&s, &tasks, T0.plus(10 * S));
    assert!(status_of(&p).is_none(), "{:?}", p.actions);
    assert!(created(&p).iter().any(|t| t.slot == 2));
}

#[test]
fn max_failure_ratio_tolerates_some_failures() {
    let (mut s, tasks) = failing_update(4, S);
    s.spec.update.max_failure_ratio = 0.25;
    let p = plan(&s, &tasks, T0.plus(10 * S));
    assert!(status_of(&p).is_none(), "1 failure of 4 slots is tolerated");
    s.spec.update.max_failure_ratio = 0.2;
    let p = plan(&s, &tasks, T0.plus(10 * S));
    assert_eq!(status_of(&p).unwrap().state, UpdateState::Paused);
}

#[test]
fn failure_action_continue_goes_on() {
    let (mut s, tasks) = failing_update(3, S);
    s.spec.update.failure_action = FailureAction::Continue;
    let p = plan(&s, &tasks, T0.plus(10 * S));
    assert!(status_of(&p).is_none());
    assert!(created(&p).iter().any(|t| t.slot == 2));
}

#[test]
fn failure_action_rollback_restores_the_previous_spec_in_one_step() {
    let (mut s, tasks) = failing_update(3, S);
    s.spec.update.failure_action = FailureAction::Rollback;
    let p = plan(&s, &tasks, T0.plus(10 * S));
    let [
        Action::RollbackService {
            id,
            expected_spec_version,
            status: Some(status),
        },
    ] = p.actions.as_slice()
    else {
        panic!("expected only a rollback: {:?}", p.actions);
    };
    assert_eq!(id, &s.id);
    assert_eq!(*expected_spec_version, Some(2));
    assert_eq!(status.state, UpdateState::RollbackStarted);
    assert_eq!(status.spec_version, 3);
    assert!(
        status
            .message
            .starts_with("update rolled back due to failure")
    );
}

#[test]
fn a_rollback_rolls_with_the_rollback_config_and_completes() {
    let (mut s, tasks) = failing_update(3, S);
    // After the rollback: the spec is img:1 again; slot 1 holds the failed img:2 task.
    s.spec = s.previous_spec.take().unwrap();
    s.spec_version = 3;
    s.rolled_back = true;
    s.spec.rollback.parallelism = 0;
    s.spec.rollback.monitor = Duration::ZERO;
    let p = plan(&s, &tasks, T0.plus(10 * S));
    let status = status_of(&p).unwrap();
    assert_eq!(status.state, UpdateState::RollbackStarted);
    assert_eq!(status.message, "manually requested rollback");
    // The failed slot goes back to img:1 at once (it is down anyway).
    assert_eq!(created(&p).len(), 1);
    assert_eq!(created(&p)[0].spec.container.image, "img:1");

    s.update_status = Some(status.clone());
    let mut done = tasks.clone();
    done[3].desired_state = TaskState::Shutdown;
    let mut back = task(&s, 1, TaskState::Running, Some("n"));
    back.meta.created_at = status.started_at.plus(S);
    done.push(back);
    let p = plan(&s, &done, status.started_at.plus(2 * S));
    let finished = status_of(&p).unwrap();
    assert_eq!(finished.state, UpdateState::RollbackCompleted);
}

#[test]
fn restarts_stop_after_max_attempts() {
    let mut s = service("web", "img:1", 1);
    s.spec.task.restart.max_attempts = 2;
    s.spec.task.restart.delay = Duration::ZERO;
    let mut t = task(&s, 1, TaskState::Failed, Some("n"));
    let mut restarts = 0;
    for round in 0..5 {
        let p = plan(&s, std::slice::from_ref(&t), T0.plus(round * 10 * S));
        match created(&p).first() {
            Some(next) => {
                restarts += 1;
                t = (*next).clone();
                t.status.state = TaskState::Failed;
                t.status.timestamp = T0.plus((round * 10 + 5) * S);
            }
            None => break,
        }
    }
    assert_eq!(restarts, 2);
    let verdict = t.spec.restart.verdict(&t, T0.plus(3600 * S));
    assert_eq!(
        verdict,
        Restart::Never("restart policy: 2 of 2 attempts used".into())
    );
}
