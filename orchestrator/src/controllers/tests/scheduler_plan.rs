use super::fixtures::*;
use crate::controllers::scheduler::plan;
use crate::store::{Action, State};
use shoal_api::*;
use std::collections::HashMap;

fn state(nodes: Vec<Node>, tasks: Vec<Task>) -> State {
    State {
        cluster: None,
        nodes: nodes.into_iter().map(|n| (n.id.clone(), n)).collect(),
        services: Default::default(),
        tasks: tasks.into_iter().map(|t| (t.id.clone(), t)).collect(),
        ..Default::default()
    }
}

#[test]
fn spreads_a_service_over_ready_active_nodes() {
    let s = service("web", "img", 4);
    let tasks = (1..=4).map(|i| task(&s, i, TaskState::New, None)).collect();
    let nodes = vec![
        node("a", NodeState::Ready, Availability::Active),
        node("b", NodeState::Ready, Availability::Active),
        node("down", NodeState::Down, Availability::Active),
        node("paused", NodeState::Ready, Availability::Pause),
    ];
    let actions = plan(&state(nodes, tasks));
    let mut per_node: HashMap<String, usize> = HashMap::new();
    for a in &actions {
        match a {
            Action::AssignTask { node_id, .. } => {
                *per_node.entry(node_id.to_string()).or_default() += 1
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(per_node, HashMap::from([("a".into(), 2), ("b".into(), 2)]));
}

#[test]
fn prefers_the_less_loaded_node_when_the_service_is_even() {
    let busy = service("busy", "img", 3);
    let s = service("web", "img", 1);
    let mut tasks: Vec<Task> = (1..=3)
        .map(|i| task(&busy, i, TaskState::Running, Some("a")))
        .collect();
    let new = task(&s, 1, TaskState::New, None);
    tasks.push(new.clone());
    let nodes = vec![
        node("a", NodeState::Ready, Availability::Active),
        node("b", NodeState::Ready, Availability::Active),
    ];
    let actions = plan(&state(nodes, tasks));
    assert!(
        matches!(&actions[..], [Action::AssignTask { id, node_id, .. }] if id == &new.id && node_id.as_str() == "b")
    );
}

#[test]
fn unplaceable_task_stays_pending_and_says_why() {
    let s = service("web", "img", 1);
    let t = task(&s, 1, TaskState::New, None);
    let nodes = vec![
        node("down1", NodeState::Down, Availability::Active),
        node("down2", NodeState::Down, Availability::Active),
    ];
    let st = state(nodes, vec![t]);
    let actions = plan(&st);
    match &actions[..] {
        [Action::SetTaskPending { message, .. }] => {
            assert_eq!(message, "no suitable node (2 nodes not available)")
        }
        other => panic!("unexpected {other:?}"),
    }
    let empty = state(vec![], st.tasks.values().cloned().collect());
    match &plan(&empty)[..] {
        [Action::SetTaskPending { message, .. }] => assert!(message.contains("no nodes")),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn pending_message_is_not_rewritten_when_unchanged() {
    let s = service("web", "img", 1);
    let mut t = task(&s, 1, TaskState::Pending, None);
    t.status.message = "no suitable node (1 node not available)".into();
    let st = state(
        vec![node("d", NodeState::Down, Availability::Active)],
        vec![t],
    );
    assert!(plan(&st).is_empty());
}

const GIB: u64 = 1 << 30;

fn sized(id: &str, memory: u64) -> Node {
    let mut n = node(id, NodeState::Ready, Availability::Active);
    n.description.cpus = 2;
    n.description.memory_bytes = memory;
    n
}

fn pending_message(actions: &[Action]) -> Vec<&str> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::SetTaskPending { message, .. } => Some(message.as_str()),
            _ => None,
        })
        .collect()
}

fn assigned(actions: &[Action]) -> Vec<&str> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::AssignTask { node_id, .. } => Some(node_id.as_str()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_pending_task_counts_every_reason_in_pipeline_order() {
    let mut s = service("web", "img", 1);
    s.spec.task.placement.constraints = vec!["node.labels.zone==east".into()];
    s.spec.task.resources.reservations.memory = 2 * GIB;
    let t = task(&s, 1, TaskState::New, None);
    let mut small_east = sized("small", GIB);
    small_east.spec.labels.insert("zone".into(), "east".into());
    let nodes = vec![
        node("down", NodeState::Down, Availability::Active),
        small_east,
        sized("west1", 8 * GIB),
        sized("west2", 8 * GIB),
    ];
    assert_eq!(
        pending_message(&plan(&state(nodes, vec![t]))),
        [
            "no suitable node (1 node not available, 1 node insufficient memory, \
          2 nodes not matching constraint node.labels.zone==east)"
        ]
    );
}

#[test]
fn a_pending_task_is_placed_once_a_node_gets_the_label() {
    let mut s = service("web", "img", 1);
    s.spec.task.placement.constraints = vec!["node.labels.zone==east".into()];
    let t = task(&s, 1, TaskState::New, None);
    let mut nodes = vec![sized("a", GIB), sized("b", GIB)];
    let before = plan(&state(nodes.clone(), vec![t.clone()]));
    assert_eq!(
        pending_message(&before),
        ["no suitable node (2 nodes not matching constraint node.labels.zone==east)"]
    );
    nodes[1].spec.labels.insert("zone".into(), "east".into());
    assert_eq!(assigned(&plan(&state(nodes, vec![t]))), ["b"]);
}

#[test]
fn reservations_never_overcommit_and_a_finished_task_frees_room() {
    let mut s = service("web", "img", 3);
    s.spec.task.resources.reservations.memory = GIB;
    let mut running = task(&s, 1, TaskState::Running, Some("a"));
    let tasks = vec![
        running.clone(),
        task(&s, 2, TaskState::New, None),
        task(&s, 3, TaskState::New, None),
    ];
    let nodes = vec![sized("a", 2 * GIB)];
    let actions = plan(&state(nodes.clone(), tasks.clone()));
    assert_eq!(assigned(&actions), ["a"], "room for one more");
    assert_eq!(
        pending_message(&actions),
        ["no suitable node (1 node insufficient memory)"]
    );

    running.status.state = TaskState::Failed;
    let mut tasks = tasks;
    tasks[0] = running;
    assert_eq!(assigned(&plan(&state(nodes, tasks))), ["a", "a"]);
}

#[test]
fn max_replicas_per_node_leaves_the_rest_pending() {
    let mut s = service("web", "img", 3);
    s.spec.task.placement.max_replicas_per_node = 1;
    let tasks = (1..=3).map(|i| task(&s, i, TaskState::New, None)).collect();
    let nodes = vec![sized("a", GIB), sized("b", GIB)];
    let actions = plan(&state(nodes, tasks));
    let mut on = assigned(&actions);
    on.sort();
    assert_eq!(on, ["a", "b"]);
    assert_eq!(
        pending_message(&actions),
        ["no suitable node (2 nodes at max replicas per node (1))"]
    );
}

#[test]
fn the_scheduler_wakes_for_node_changes_and_stopped_tasks() {
    let c = crate::controllers::scheduler::controller();
    let s = service("web", "img", 1);
    let interested = |o: crate::store::Object| (c.interested)(&o);
    assert!(interested(crate::store::Object::Node(sized("a", GIB))));
    assert!(interested(crate::store::Object::Task(task(
        &s,
        1,
        TaskState::Complete,
        Some("a")
    ))));
    assert!(interested(crate::store::Object::Task(task(
        &s,
        1,
        TaskState::New,
        None
    ))));
    assert!(!interested(crate::store::Object::Task(task(
        &s,
        1,
        TaskState::Running,
        Some("a")
    ))));
}
