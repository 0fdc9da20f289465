//! The scheduler's host ports filter: two tasks publishing the same host port and protocol
//! never share a node, and a task that cannot be placed says which port is in use.

use super::fixtures::*;
use crate::controllers::scheduler::plan;
use crate::store::{Action, State};
use shoal_api::*;

fn state(nodes: Vec<Node>, tasks: Vec<Task>) -> State {
    State {
        nodes: nodes.into_iter().map(|n| (n.id.clone(), n)).collect(),
        tasks: tasks.into_iter().map(|t| (t.id.clone(), t)).collect(),
        ..Default::default()
    }
}

fn publishing(name: &str, replicas: u64, ports: &[(u32, Protocol)]) -> Service {
    let mut s = service(name, "img", replicas);
    s.spec.task.container.ports = ports
        .iter()
        .map(|&(published, protocol)| PortConfig {
            published,
            target: 80,
            protocol,
            host_ip: String::new(),
        })
        .collect();
    s
}

fn ready(id: &str) -> Node {
    node(id, NodeState::Ready, Availability::Active)
}

fn assigned(actions: &[Action]) -> Vec<(TaskId, NodeId)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::AssignTask { id, node_id, .. } => Some((id.clone(), node_id.clone())),
            _ => None,
        })
        .collect()
}

fn pending_message(actions: &[Action], task: &Task) -> String {
    actions
        .iter()
        .find_map(|a| match a {
            Action::SetTaskPending { id, message } if id == &task.id => Some(message.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{} is not left pending: {actions:?}", task.id))
}

#[test]
fn two_tasks_publishing_one_port_are_placed_on_two_nodes_in_one_pass() {
    let s = publishing("web", 2, &[(8080, Protocol::Tcp)]);
    let t1 = task(&s, 1, TaskState::New, None);
    let t2 = task(&s, 2, TaskState::New, None);
    let actions = plan(&state(vec![ready("a")], vec![t1.clone(), t2.clone()]));
    assert_eq!(assigned(&actions).len(), 1, "{actions:?}");
    let left = if assigned(&actions)[0].0 == t1.id {
        &t2
    } else {
        &t1
    };
    assert_eq!(
        pending_message(&actions, left),
        "no suitable node (1 node host port 8080/tcp in use)"
    );

    let actions = plan(&state(vec![ready("a"), ready("b")], vec![t1, t2]));
    let placed = assigned(&actions);
    assert_eq!(placed.len(), 2, "{actions:?}");
    assert_ne!(placed[0].1, placed[1].1, "same host port on one node");
}

#[test]
fn a_running_task_holds_its_port_until_it_stops_or_is_told_to() {
    let old = publishing("old", 1, &[(8080, Protocol::Tcp)]);
    let s = publishing("web", 1, &[(9000, Protocol::Tcp), (8080, Protocol::Tcp)]);
    let holder = task(&old, 1, TaskState::Running, Some("a"));
    let new = task(&s, 1, TaskState::New, None);
    let actions = plan(&state(vec![ready("a")], vec![holder.clone(), new.clone()]));
    assert_eq!(
        pending_message(&actions, &new),
        "no suitable node (1 node host port 8080/tcp in use)"
    );

    let mut stopped = holder.clone();
    stopped.status.state = TaskState::Failed;
    let actions = plan(&state(vec![ready("a")], vec![stopped, new.clone()]));
    assert_eq!(assigned(&actions).len(), 1, "a stopped task frees its port");

    let mut leaving = holder;
    leaving.desired_state = TaskState::Shutdown;
    let actions = plan(&state(vec![ready("a")], vec![leaving, new]));
    assert_eq!(
        assigned(&actions).len(),
        1,
        "a task told to stop frees its port"
    );
}

#[test]
fn other_ports_and_protocols_do_not_conflict_and_reasons_add_up() {
    let tcp = publishing("tcp", 1, &[(53, Protocol::Tcp)]);
    let udp = publishing("udp", 1, &[(53, Protocol::Udp)]);
    let plain = service("plain", "img", 1);
    let tasks = vec![
        task(&tcp, 1, TaskState::Running, Some("a")),
        task(&udp, 1, TaskState::New, None),
        task(&plain, 1, TaskState::New, None),
    ];
    assert_eq!(assigned(&plan(&state(vec![ready("a")], tasks))).len(), 2);

    let again = task(&tcp, 2, TaskState::New, None);
    let tasks = vec![task(&tcp, 1, TaskState::Running, Some("a")), again.clone()];
    let nodes = vec![ready("a"), node("b", NodeState::Down, Availability::Active)];
    assert_eq!(
        pending_message(&plan(&state(nodes, tasks)), &again),
        "no suitable node (1 node not available, 1 node host port 53/tcp in use)"
    );
}
