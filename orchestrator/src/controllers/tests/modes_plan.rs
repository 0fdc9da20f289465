//! The global and replicated-job planners.

use super::fixtures::*;
use crate::controllers::global::{GlobalNodes, plan_global};
use crate::controllers::jobs::plan_replicated_job;
use crate::controllers::replicated::NodeView;
use crate::store::Action;
use shoal_api::*;

fn global(name: &str) -> Service {
    let mut s = service(name, "img", 0);
    s.spec.mode = ServiceMode::Global {};
    s
}

fn nodes(eligible: &[&str], evict: &[&str]) -> GlobalNodes {
    GlobalNodes {
        eligible: eligible.iter().map(|n| NodeId::from(*n)).collect(),
        evict: evict.iter().map(|n| NodeId::from(*n)).collect(),
    }
}

fn created(actions: &[Action]) -> Vec<(u64, Option<String>, TaskState)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::CreateTask(t) => Some((
                t.slot,
                t.node_id.as_ref().map(|n| n.0.clone()),
                t.desired_state,
            )),
            _ => None,
        })
        .collect()
}

fn stopped(actions: &[Action]) -> usize {
    actions
        .iter()
        .filter(|a| {
            matches!(a, Action::SetTaskDesiredState { state, .. } if *state >= TaskState::Shutdown)
        })
        .count()
}

#[test]
fn global_puts_one_task_on_each_eligible_node_and_evicts_drained_ones() {
    let s = global("g");
    let on_a = task(&s, 0, TaskState::Running, Some("a"));
    let on_d = task(&s, 0, TaskState::Running, Some("d"));
    let plan = plan_global(&s, &[&on_a, &on_d], &nodes(&["a", "b"], &["d"]), T0);
    assert_eq!(
        created(&plan.actions),
        vec![(0, Some("b".into()), TaskState::Running)]
    );
    assert_eq!(stopped(&plan.actions), 1, "the drained node's task stops");
}

#[test]
fn global_keeps_the_task_of_a_node_that_is_down() {
    let s = global("g");
    let on_c = task(&s, 0, TaskState::Running, Some("c"));
    // c is neither eligible (down) nor evicted.
    let plan = plan_global(&s, &[&on_c], &nodes(&["a"], &[]), T0);
    assert_eq!(stopped(&plan.actions), 0);
    assert_eq!(created(&plan.actions).len(), 1);
}

#[test]
fn global_update_rolls_within_parallelism() {
    let mut s = global("g");
    let old: Vec<Task> = ["a", "b", "c"]
        .iter()
        .map(|n| task(&s, 0, TaskState::Running, Some(n)))
        .collect();
    s.spec.task.container.image = "img:2".into();
    s.spec.update.parallelism = 2;
    let refs: Vec<&Task> = old.iter().collect();
    let plan = plan_global(&s, &refs, &nodes(&["a", "b", "c"], &[]), T0);
    let new = created(&plan.actions);
    assert_eq!(new.len(), 2, "{new:?}");
    assert!(
        new.iter().all(|(_, _, d)| *d == TaskState::Ready),
        "stop-first"
    );
    assert_eq!(stopped(&plan.actions), 2);
}

fn job(max_concurrent: u64, total: u64) -> Service {
    let mut s = service("j", "img", 0);
    s.spec.mode = ServiceMode::ReplicatedJob {
        max_concurrent,
        total_completions: Some(total),
    };
    s
}

#[test]
fn a_job_starts_at_most_max_concurrent_runs() {
    let s = job(2, 5);
    let plan = plan_replicated_job(&s, &[], &NodeView::default(), T0);
    let slots: Vec<u64> = created(&plan.actions).iter().map(|c| c.0).collect();
    assert_eq!(slots, vec![1, 2]);
}

#[test]
fn completed_runs_are_final_and_free_their_place() {
    let s = job(2, 3);
    let done = task(&s, 1, TaskState::Complete, Some("a"));
    let running = task(&s, 2, TaskState::Running, Some("a"));
    let plan = plan_replicated_job(&s, &[&done, &running], &NodeView::default(), T0);
    let slots: Vec<u64> = created(&plan.actions).iter().map(|c| c.0).collect();
    assert_eq!(slots, vec![3], "slot 1 is done, 2 runs, 3 starts");
    assert_eq!(stopped(&plan.actions), 0);

    let all_done: Vec<Task> = (1..=3)
        .map(|i| task(&s, i, TaskState::Complete, Some("a")))
        .collect();
    let refs: Vec<&Task> = all_done.iter().collect();
    let plan = plan_replicated_job(&s, &refs, &NodeView::default(), T0);
    assert!(plan.actions.is_empty(), "{:?}", plan.actions);
}

#[test]
fn a_failed_run_is_retried_per_the_restart_policy() {
    let s = job(1, 1);
    let mut failed = task(&s, 1, TaskState::Failed, Some("a"));
    failed.status.timestamp = T0;
    let plan = plan_replicated_job(
        &s,
        &[&failed],
        &NodeView::default(),
        T0.plus(std::time::Duration::from_secs(10)),
    );
    assert_eq!(created(&plan.actions).len(), 1);
    assert_eq!(stopped(&plan.actions), 1);
}

fn usable(ids: &[&str]) -> std::collections::BTreeSet<NodeId> {
    ids.iter().map(|n| NodeId::from(*n)).collect()
}

#[test]
fn rebalance_moves_from_the_busiest_node_within_parallelism() {
    use crate::controllers::rebalance::plan_rebalance;
    let mut s = service("web", "img", 4);
    s.spec.update.parallelism = 1;
    let tasks: Vec<Task> = (1..=4)
        .map(|i| task(&s, i, TaskState::Running, Some("a")))
        .collect();
    let refs: Vec<&Task> = tasks.iter().collect();
    let plan = plan_rebalance(&s, &refs, &usable(&["a", "b"]), T0);
    // One move at a time, a second task in the highest slot of the busy node.
    assert_eq!(created(&plan.actions), vec![(4, None, TaskState::Running)]);

    s.spec.update.parallelism = 0;
    let plan = plan_rebalance(&s, &refs, &usable(&["a", "b"]), T0);
    assert_eq!(
        created(&plan.actions).len(),
        2,
        "4 on a, 0 on b: two moves even it out"
    );
}

#[test]
fn rebalance_waits_until_the_service_is_settled_and_ignores_small_differences() {
    use crate::controllers::rebalance::plan_rebalance;
    let s = service("web", "img", 3);
    let mut tasks: Vec<Task> = (1..=3)
        .map(|i| task(&s, i, TaskState::Running, Some("a")))
        .collect();
    tasks[2].status.state = TaskState::Starting;
    let refs: Vec<&Task> = tasks.iter().collect();
    assert!(
        plan_rebalance(&s, &refs, &usable(&["a", "b"]), T0)
            .actions
            .is_empty()
    );

    let even = [
        task(&s, 1, TaskState::Running, Some("a")),
        task(&s, 2, TaskState::Running, Some("a")),
        task(&s, 3, TaskState::Running, Some("b")),
    ];
    let refs: Vec<&Task> = even.iter().collect();
    assert!(
        plan_rebalance(&s, &refs, &usable(&["a", "b"]), T0)
            .actions
            .is_empty()
    );
}
