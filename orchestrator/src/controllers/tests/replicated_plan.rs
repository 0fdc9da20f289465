use super::fixtures::*;
use crate::controllers::replicated::{NodeView, plan_service};
use crate::store::Action;
use shoal_api::*;
use std::time::Duration;

fn created(actions: &[Action]) -> Vec<(u64, TaskState)> {
    let mut v: Vec<_> = actions
        .iter()
        .filter_map(|a| match a {
            Action::CreateTask(t) => Some((t.slot, t.desired_state)),
            _ => None,
        })
        .collect();
    v.sort();
    v
}

fn desired(actions: &[Action]) -> Vec<(TaskId, TaskState)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::SetTaskDesiredState { id, state } => Some((id.clone(), *state)),
            _ => None,
        })
        .collect()
}

#[test]
fn creates_one_task_per_missing_slot() {
    let s = service("web", "img:1", 3);
    let plan = plan_service(&s.id, Some(&s), &[], &NodeView::default(), T0);
    assert_eq!(
        created(&plan.actions),
        vec![
            (1, TaskState::Running),
            (2, TaskState::Running),
            (3, TaskState::Running)
        ]
    );
}

#[test]
fn steady_state_plans_nothing() {
    let s = service("web", "img:1", 2);
    let a = task(&s, 1, TaskState::Running, Some("n1"));
    let b = task(&s, 2, TaskState::Running, Some("n1"));
    let plan = plan_service(&s.id, Some(&s), &[&a, &b], &NodeView::default(), T0);
    assert!(plan.actions.is_empty(), "{:?}", plan.actions);
}

#[test]
fn scale_up_fills_the_lowest_free_slots() {
    let s = service("web", "img:1", 3);
    let b = task(&s, 2, TaskState::Running, Some("n1"));
    let plan = plan_service(&s.id, Some(&s), &[&b], &NodeView::default(), T0);
    assert_eq!(
        created(&plan.actions),
        vec![(1, TaskState::Running), (3, TaskState::Running)]
    );
}

#[test]
fn scale_down_prefers_non_running_then_busier_nodes_then_high_slots() {
    let s = service("web", "img:1", 2);
    let t1 = task(&s, 1, TaskState::Running, Some("quiet"));
    let t2 = task(&s, 2, TaskState::Running, Some("busy"));
    let t3 = task(&s, 3, TaskState::Running, Some("quiet"));
    let t4 = task(&s, 4, TaskState::Pending, None);
    let load = NodeView::with_load([(NodeId::from("busy"), 9), (NodeId::from("quiet"), 2)]);
    let plan = plan_service(&s.id, Some(&s), &[&t1, &t2, &t3, &t4], &load, T0);
    let removed: Vec<_> = desired(&plan.actions);
    assert_eq!(
        removed,
        vec![
            (t4.id.clone(), TaskState::Remove),
            (t2.id.clone(), TaskState::Remove)
        ]
    );
    assert!(created(&plan.actions).is_empty());
}

#[test]
fn scale_to_zero_removes_every_slot() {
    let s = service("web", "img:1", 0);
    let t1 = task(&s, 1, TaskState::Running, Some("n"));
    let plan = plan_service(&s.id, Some(&s), &[&t1], &NodeView::default(), T0);
    assert_eq!(
        desired(&plan.actions),
        vec![(t1.id.clone(), TaskState::Remove)]
    );
}

#[test]
fn deleted_service_removes_all_tasks() {
    let s = service("web", "img:1", 1);
    let t1 = task(&s, 1, TaskState::Running, Some("n"));
    let plan = plan_service(&s.id, None, &[&t1], &NodeView::default(), T0);
    assert_eq!(
        desired(&plan.actions),
        vec![(t1.id.clone(), TaskState::Remove)]
    );
}

#[test]
fn failed_task_is_replaced_in_its_slot_after_the_restart_delay() {
    let s = service("web", "img:1", 1);
    let t1 = task(&s, 1, TaskState::Failed, Some("n"));
    let early = plan_service(
        &s.id,
        Some(&s),
        &[&t1],
        &NodeView::default(),
        T0.plus(Duration::from_secs(1)),
    );
    assert!(early.actions.is_empty());
    assert_eq!(early.wake_at, Some(T0.plus(Duration::from_secs(5))));
    let due = plan_service(
        &s.id,
        Some(&s),
        &[&t1],
        &NodeView::default(),
        T0.plus(Duration::from_secs(5)),
    );
    assert_eq!(
        desired(&due.actions),
        vec![(t1.id.clone(), TaskState::Shutdown)]
    );
    assert_eq!(created(&due.actions), vec![(1, TaskState::Running)]);
}

#[test]
fn restart_condition_none_and_on_failure_are_honoured() {
    let mut s = service("job", "img:1", 1);
    s.spec.task.restart.condition = RestartCondition::OnFailure;
    let done = task(&s, 1, TaskState::Complete, Some("n"));
    let later = T0.plus(Duration::from_secs(60));
    assert!(
        plan_service(&s.id, Some(&s), &[&done], &NodeView::default(), later)
            .actions
            .is_empty()
    );
    let failed = task(&s, 1, TaskState::Failed, Some("n"));
    assert_eq!(
        created(&plan_service(&s.id, Some(&s), &[&failed], &NodeView::default(), later).actions)
            .len(),
        1
    );
    s.spec.task.restart.condition = RestartCondition::None;
    let failed = task(&s, 1, TaskState::Failed, Some("n"));
    assert!(
        plan_service(&s.id, Some(&s), &[&failed], &NodeView::default(), later)
            .actions
            .is_empty()
    );
}

#[test]
fn stop_first_update_respects_parallelism_and_prepares_new_tasks() {
    let old = service("web", "img:1", 3);
    let tasks: Vec<Task> = (1..=3)
        .map(|i| task(&old, i, TaskState::Running, Some("n")))
        .collect();
    let mut s = old.clone();
    s.spec.task.container.image = "img:2".into();
    s.spec.update.parallelism = 2;
    let refs: Vec<&Task> = tasks.iter().collect();
    let plan = plan_service(&s.id, Some(&s), &refs, &NodeView::default(), T0);
    assert_eq!(
        created(&plan.actions),
        vec![(1, TaskState::Ready), (2, TaskState::Ready)]
    );
    assert_eq!(
        desired(&plan.actions),
        vec![
            (tasks[0].id.clone(), TaskState::Shutdown),
            (tasks[1].id.clone(), TaskState::Shutdown)
        ]
    );
    assert!(plan.actions.iter().any(|a| matches!(
        a,
        Action::SetServiceUpdateStatus { status, .. } if status.state == UpdateState::Updating
    )));
}

#[test]
fn stop_first_new_task_starts_only_after_the_old_one_stopped() {
    let old = service("web", "img:1", 1);
    let mut s = old.clone();
    s.spec.task.container.image = "img:2".into();
    let mut t_old = task(&old, 1, TaskState::Running, Some("n"));
    t_old.desired_state = TaskState::Shutdown;
    let mut t_new = task(&s, 1, TaskState::Ready, Some("n"));
    t_new.desired_state = TaskState::Ready;
    t_new.meta.created_at = T0.plus(Duration::from_secs(1));
    let waiting = plan_service(&s.id, Some(&s), &[&t_old, &t_new], &NodeView::default(), T0);
    assert!(desired(&waiting.actions).is_empty());
    t_old.status.state = TaskState::Shutdown;
    let go = plan_service(&s.id, Some(&s), &[&t_old, &t_new], &NodeView::default(), T0);
    assert_eq!(
        desired(&go.actions),
        vec![(t_new.id.clone(), TaskState::Running)]
    );
}

#[test]
fn update_waits_for_in_flight_slots_then_completes() {
    let old = service("web", "img:1", 2);
    let mut s = old.clone();
    s.spec.task.container.image = "img:2".into();
    s.update_status = Some(UpdateStatus {
        state: UpdateState::Updating,
        started_at: T0,
        completed_at: None,
        message: String::new(),
        spec_version: 0,
    });
    let mut prev = task(&old, 1, TaskState::Shutdown, Some("n"));
    prev.desired_state = TaskState::Shutdown;
    let mut fresh = task(&s, 1, TaskState::Starting, Some("n"));
    fresh.meta.created_at = T0.plus(Duration::from_secs(1));
    let other = task(&old, 2, TaskState::Running, Some("n"));
    let busy = plan_service(
        &s.id,
        Some(&s),
        &[&prev, &fresh, &other],
        &NodeView::default(),
        T0,
    );
    assert!(
        created(&busy.actions).is_empty(),
        "parallelism 1 with one slot in flight"
    );

    fresh.status.state = TaskState::Running;
    let next = plan_service(
        &s.id,
        Some(&s),
        &[&prev, &fresh, &other],
        &NodeView::default(),
        T0,
    );
    assert_eq!(created(&next.actions), vec![(2, TaskState::Ready)]);

    let mut other_new = task(&s, 2, TaskState::Running, Some("n"));
    other_new.meta.created_at = T0.plus(Duration::from_secs(2));
    let mut other_old = other.clone();
    other_old.desired_state = TaskState::Shutdown;
    other_old.status.state = TaskState::Shutdown;
    other_new.status.started_at = Some(T0.plus(Duration::from_secs(3)));
    let all = [&prev, &fresh, &other_old, &other_new];
    // Every slot runs the new spec: complete once the last new task ran the monitor period.
    let monitoring = plan_service(&s.id, Some(&s), &all, &NodeView::default(), T0);
    assert!(monitoring.actions.is_empty(), "{:?}", monitoring.actions);
    assert_eq!(monitoring.wake_at, Some(T0.plus(Duration::from_secs(8))));
    let done = plan_service(
        &s.id,
        Some(&s),
        &all,
        &NodeView::default(),
        T0.plus(Duration::from_secs(8)),
    );
    assert!(done.actions.iter().any(|a| matches!(
        a,
        Action::SetServiceUpdateStatus { status, .. } if status.state == UpdateState::Completed
    )));
}

#[test]
fn update_delay_spaces_batches() {
    let old = service("web", "img:1", 2);
    let mut s = old.clone();
    s.spec.task.container.image = "img:2".into();
    s.spec.update.delay = Duration::from_secs(10);
    let mut prev = task(&old, 1, TaskState::Shutdown, Some("n"));
    prev.desired_state = TaskState::Shutdown;
    let mut fresh = task(&s, 1, TaskState::Running, Some("n"));
    fresh.meta.created_at = T0.plus(Duration::from_secs(1));
    fresh.status.timestamp = T0.plus(Duration::from_secs(2));
    let other = task(&old, 2, TaskState::Running, Some("n"));
    let early = plan_service(
        &s.id,
        Some(&s),
        &[&prev, &fresh, &other],
        &NodeView::default(),
        T0.plus(Duration::from_secs(5)),
    );
    assert!(created(&early.actions).is_empty());
    assert_eq!(early.wake_at, Some(T0.plus(Duration::from_secs(12))));
    let later = plan_service(
        &s.id,
        Some(&s),
        &[&prev, &fresh, &other],
        &NodeView::default(),
        T0.plus(Duration::from_secs(12)),
    );
    assert_eq!(created(&later.actions), vec![(2, TaskState::Ready)]);
}

#[test]
fn start_first_update_keeps_the_old_task_until_the_new_one_runs() {
    let old = service("web", "img:1", 1);
    let mut s = old.clone();
    s.spec.task.container.image = "img:2".into();
    s.spec.update.order = UpdateOrder::StartFirst;
    let t_old = task(&old, 1, TaskState::Running, Some("n"));
    let plan = plan_service(&s.id, Some(&s), &[&t_old], &NodeView::default(), T0);
    assert_eq!(created(&plan.actions), vec![(1, TaskState::Running)]);
    assert!(desired(&plan.actions).is_empty());

    let mut t_new = task(&s, 1, TaskState::Starting, Some("n"));
    t_new.meta.created_at = T0.plus(Duration::from_secs(1));
    let waiting = plan_service(&s.id, Some(&s), &[&t_old, &t_new], &NodeView::default(), T0);
    assert!(
        waiting
            .actions
            .iter()
            .all(|a| !matches!(a, Action::SetTaskDesiredState { .. }))
    );
    t_new.status.state = TaskState::Running;
    let swap = plan_service(&s.id, Some(&s), &[&t_old, &t_new], &NodeView::default(), T0);
    assert_eq!(
        desired(&swap.actions),
        vec![(t_old.id.clone(), TaskState::Shutdown)]
    );
}

#[test]
fn a_task_on_a_lost_node_is_replaced_at_once() {
    let s = service("web", "img:1", 2);
    let on_dead = task(&s, 1, TaskState::Running, Some("dead"));
    let fine = task(&s, 2, TaskState::Running, Some("alive"));
    let mut nodes = NodeView::default();
    nodes.lost.insert(NodeId::from("dead"));
    let plan = plan_service(&s.id, Some(&s), &[&on_dead, &fine], &nodes, T0);
    assert_eq!(
        desired(&plan.actions),
        vec![(on_dead.id.clone(), TaskState::Shutdown)]
    );
    assert_eq!(created(&plan.actions), vec![(1, TaskState::Running)]);
}

#[test]
fn stop_first_does_not_wait_for_a_task_on_a_lost_node() {
    let old = service("web", "img:1", 1);
    let mut s = old.clone();
    s.spec.task.container.image = "img:2".into();
    let mut t_old = task(&old, 1, TaskState::Running, Some("dead"));
    t_old.desired_state = TaskState::Shutdown;
    let mut t_new = task(&s, 1, TaskState::Ready, Some("alive"));
    t_new.desired_state = TaskState::Ready;
    t_new.meta.created_at = T0.plus(Duration::from_secs(1));
    let mut nodes = NodeView::default();
    nodes.lost.insert(NodeId::from("dead"));
    let plan = plan_service(&s.id, Some(&s), &[&t_old, &t_new], &nodes, T0);
    assert_eq!(
        desired(&plan.actions),
        vec![(t_new.id.clone(), TaskState::Running)]
    );
}
