//! The task table shared by `service ps`, `service inspect` and `task ls`, laid out like
//! swarmctl's: ID, NAME (`<service>.<slot>`), IMAGE, NODE, DESIRED STATE, CURRENT STATE
//! (`Running 2 minutes ago`) and ERROR; grouped by slot, newest task first.

use crate::render::output::{capitalize, decapitalize, short_id, truncate};
use crate::render::reltime::ago;
use crate::render::table::Table;
use anyhow::Result;
use shoal_api::{Node, Restart, Task, TaskState, TaskStatus, Timestamp};
use shoal_client::rest::{Client, typed};
use std::collections::HashMap;

/// Errors are cut to this many characters so the table stays on one line.
const ERROR_WIDTH: usize = 40;

/// Node id -> hostname, for the NODE column.
pub type NodeNames = HashMap<String, String>;

pub fn node_names(nodes: &[Node]) -> NodeNames {
    nodes
        .iter()
        .map(|n| (n.id.to_string(), n.description.hostname.clone()))
        .collect()
}

/// Fetches the node list for the NODE column.
pub async fn fetch_node_names(client: &Client) -> Result<NodeNames> {
    let nodes: Vec<Node> = typed(&client.get(&["nodes"], &[]).await?)?;
    Ok(node_names(&nodes))
}

/// `Running 2 minutes ago`
pub fn current_state(status: &TaskStatus, now: Timestamp) -> String {
    format!(
        "{} {}",
        capitalize(status.state.as_str()),
        decapitalize(&ago(status.timestamp, now))
    )
}

/// The task's error; for a task its restart policy will not replace, why first (the slot
/// stays down); for a pending task, why the scheduler cannot place it (as Docker shows).
pub fn error_cell(t: &Task, now: Timestamp) -> String {
    if t.status.state == TaskState::Pending && t.status.err.is_empty() {
        return t.status.message.clone();
    }
    if t.desired_state == TaskState::Running
        && t.status.state.is_terminal()
        && let Restart::Never(why) = t.spec.restart.verdict(t, now)
    {
        return if t.status.err.is_empty() {
            why
        } else {
            format!("{why}; {}", t.status.err)
        };
    }
    t.status.err.clone()
}

/// `web.2`, or for a global service's task `agent.<node id>` (its slot is its node), as
/// `docker service ps` names them.
pub fn task_name(t: &Task) -> String {
    match (t.slot, &t.node_id) {
        (0, Some(node)) => format!("{}.{}", t.service_name, short_id(node.as_str())),
        _ => format!("{}.{}", t.service_name, t.slot),
    }
}

/// What tasks of one slot share: a replica slot, or a global service's node.
fn slot_key(t: &Task) -> (&str, &str, u64, Option<&str>) {
    let node = (t.slot == 0).then(|| t.node_id.as_ref().map(|n| n.as_str()));
    (
        t.service_name.as_str(),
        t.service_id.as_str(),
        t.slot,
        node.flatten(),
    )
}

/// Tasks in display order: by service, then slot (node for a global service), then newest
/// first.
pub fn sorted(tasks: &[Task]) -> Vec<&Task> {
    let mut sorted: Vec<&Task> = tasks.iter().collect();
    sorted.sort_by(|a, b| {
        slot_key(a)
            .cmp(&slot_key(b))
            .then(b.meta.created_at.cmp(&a.meta.created_at))
            .then(a.id.cmp(&b.id))
    });
    sorted
}

pub fn render_tasks(tasks: &[Task], nodes: &NodeNames, now: Timestamp) -> String {
    let mut table = Table::new(&[
        "ID",
        "NAME",
        "IMAGE",
        "NODE",
        "DESIRED STATE",
        "CURRENT STATE",
        "ERROR",
    ]);
    let mut previous = None;
    for t in sorted(tasks) {
        let slot = slot_key(t);
        // Older tasks of a slot hang under the newest, as `docker service ps` shows history.
        let history = if previous == Some(slot) { "\\_ " } else { "" };
        previous = Some(slot);
        let node = t.node_id.as_ref().map_or(String::new(), |id| {
            nodes
                .get(id.as_str())
                .cloned()
                .unwrap_or_else(|| id.to_string())
        });
        table.row(vec![
            short_id(t.id.as_str()).to_string(),
            format!("{history}{}", task_name(t)),
            t.spec.container.image.clone(),
            node,
            capitalize(t.desired_state.as_str()),
            current_state(&t.status, now),
            truncate(&error_cell(t, now), ERROR_WIDTH),
        ]);
    }
    table.render()
}

#[cfg(test)]
mod tests {
    use super::*;
    use shoal_api::fixtures::{T0, node, service, task};
    use shoal_api::{NodeId, Role, TaskId, TaskState};

    #[test]
    fn renders_like_swarmctl_with_history_under_the_newest_task() {
        let svc = service("web", 2);
        let mut t1 = task(&svc, 1, TaskState::Running, TaskState::Running);
        t1.id = TaskId("aaaaaaaaaaaaaaaaaaaaaaaaa".into());
        t1.node_id = Some(NodeId("n1".into()));
        t1.meta.created_at = Timestamp(T0.0 + 10_000);
        let mut old = task(&svc, 1, TaskState::Shutdown, TaskState::Failed);
        old.id = TaskId("bbbbbbbbbbbbbbbbbbbbbbbbb".into());
        old.node_id = Some(NodeId("gone".into()));
        old.status.err =
            "task: non-zero exit (137): the container was killed by the OOM killer".into();
        let mut t2 = task(&svc, 2, TaskState::Running, TaskState::Pending);
        t2.id = TaskId("ccccccccccccccccccccccccc".into());
        let nodes = node_names(&[node("n1", "host-1", Role::Manager)]);
        let now = Timestamp(T0.0 + 150_000);
        let out = render_tasks(&[t2, old, t1], &nodes, now);
        let expected = "\
ID             NAME       IMAGE     NODE     DESIRED STATE   CURRENT STATE           ERROR
aaaaaaaaaaaa   web.1      nginx:1   host-1   Running         Running 2 minutes ago
bbbbbbbbbbbb   \\_ web.1   nginx:1   gone     Shutdown        Failed 2 minutes ago    task: non-zero exit (137): the containe…
cccccccccccc   web.2      nginx:1            Running         Pending 2 minutes ago
";
        assert_eq!(out, expected);
    }

    #[test]
    fn a_global_service_lists_a_slot_per_node_named_after_it() {
        let mut svc = service("agent", 0);
        svc.spec.mode = shoal_api::ServiceMode::Global {};
        let on = |node: &str, id: &str, desired, state, age: u64| {
            let mut t = task(&svc, 0, desired, state);
            t.id = TaskId(id.into());
            t.node_id = Some(NodeId(node.into()));
            t.meta.created_at = Timestamp(T0.0 + age);
            t
        };
        let a = on(
            "n1xxxxxxxxxxxxxxx",
            "aaaaaaaaaaaa",
            TaskState::Running,
            TaskState::Running,
            2,
        );
        let old = on(
            "n1xxxxxxxxxxxxxxx",
            "bbbbbbbbbbbb",
            TaskState::Shutdown,
            TaskState::Shutdown,
            1,
        );
        let b = on(
            "n2yyyyyyyyyyyyyyy",
            "cccccccccccc",
            TaskState::Running,
            TaskState::Running,
            2,
        );
        let out = render_tasks(&[b, old, a], &NodeNames::new(), T0);
        let names: Vec<&str> = out
            .lines()
            .skip(1)
            .map(|l| l.split("   ").nth(1).unwrap_or_default())
            .collect();
        assert_eq!(
            names,
            [
                "agent.n1xxxxxxxxxx",
                "\\_ agent.n1xxxxxxxxxx",
                "agent.n2yyyyyyyyyy"
            ],
            "{out}"
        );
    }

    #[test]
    fn a_slot_out_of_restart_attempts_says_why() {
        let mut svc = service("web", 1);
        svc.spec.task.restart.max_attempts = 2;
        let mut t = task(&svc, 1, TaskState::Running, TaskState::Failed);
        t.status.err = "task: non-zero exit (1)".into();
        assert_eq!(error_cell(&t, T0), "task: non-zero exit (1)");
        t.restarts = vec![T0, T0];
        assert_eq!(
            error_cell(&t, T0),
            "restart policy: 2 of 2 attempts used; task: non-zero exit (1)"
        );
        t.desired_state = TaskState::Shutdown;
        assert_eq!(error_cell(&t, T0), "task: non-zero exit (1)");
    }

    #[test]
    fn a_pending_task_says_why_it_is_not_placed() {
        let svc = service("web", 1);
        let mut t = task(&svc, 1, TaskState::Running, TaskState::Pending);
        t.status.message = "no suitable node (1 node host port 80/tcp in use)".into();
        assert_eq!(error_cell(&t, T0), t.status.message);
        t.status.state = TaskState::Running;
        assert_eq!(error_cell(&t, T0), "");
    }

    #[test]
    fn current_state_reads_as_a_sentence() {
        let svc = service("web", 1);
        let t = task(&svc, 1, TaskState::Running, TaskState::Running);
        assert_eq!(
            current_state(&t.status, T0),
            "Running less than a second ago"
        );
        assert_eq!(
            current_state(&t.status, Timestamp(T0.0 + 3_600_000)),
            "Running about an hour ago"
        );
    }
}
