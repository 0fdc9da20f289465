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
