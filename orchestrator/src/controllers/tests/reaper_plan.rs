use super::fixtures::*;
use crate::controllers::reaper::plan;
use crate::store::{Action, State};
use shoal_api::*;
use std::collections::BTreeSet;
use std::time::Duration;

fn deleted(actions: &[Action]) -> BTreeSet<TaskId> {
    actions
        .iter()
        .map(|a| match a {
            Action::DeleteTask { id } => id.clone(),
            other => panic!("unexpected {other:?}"),
        })
        .collect()
}

fn state(tasks: &[Task]) -> State {
    State {
        tasks: tasks.iter().map(|t| (t.id.clone(), t.clone())).collect(),
        ..Default::default()
    }
}

#[test]
fn removes_tasks_desired_remove_once_stopped() {
    let s = service("web", "img", 1);
    let mut stopped = task(&s, 1, TaskState::Shutdown, Some("n"));
    stopped.desired_state = TaskState::Remove;
    let mut still_running = task(&s, 2, TaskState::Running, Some("n"));
    still_running.desired_state = TaskState::Remove;
    let mut never_placed = task(&s, 3, TaskState::Pending, None);
    never_placed.desired_state = TaskState::Remove;
    let actions = plan(
        &state(&[stopped.clone(), still_running, never_placed.clone()]),
        5,
    );
    assert_eq!(
        deleted(&actions),
        BTreeSet::from([stopped.id, never_placed.id])
    );
}

#[test]
fn keeps_the_newest_history_per_slot() {
    let s = service("web", "img", 1);
    let history: Vec<Task> = (0..7)
        .map(|i| {
            let mut t = task(&s, 1, TaskState::Failed, Some("n"));
            t.desired_state = TaskState::Shutdown;
            t.meta.created_at = T0.plus(Duration::from_secs(i));
            t
        })
        .collect();
    let current = task(&s, 1, TaskState::Running, Some("n"));
    let mut all = history.clone();
    all.push(current);
    let actions = plan(&state(&all), 5);
    assert_eq!(
        deleted(&actions),
        BTreeSet::from([history[0].id.clone(), history[1].id.clone()])
    );
}
