//! `shoalctl task ls | inspect`: tasks across services, filtered by service or node.

use crate::Ctx;
use crate::render::details::Details;
use crate::render::output::{capitalize, print_as};
use crate::render::reltime::ago;
use crate::render::task_table::{
    NodeNames, current_state, fetch_node_names, render_tasks, task_name,
};
use anyhow::Result;
use clap::Subcommand;
use shoal_api::{Task, Timestamp};
use shoal_client::rest::typed;

#[derive(Subcommand, Debug)]
pub enum TaskCommand {
    /// List tasks
    #[command(visible_alias = "list")]
    Ls {
        /// Only tasks of this service (name, id or unique id prefix)
        #[arg(long, value_name = "SERVICE")]
        service: Option<String>,
        /// Only tasks on this node (hostname, id or unique id prefix)
        #[arg(long, value_name = "NODE")]
        node: Option<String>,
        /// Include tasks that are no longer desired to run (history)
        #[arg(short, long)]
        all: bool,
    },
    /// Show one task in detail
    Inspect {
        /// Task id or unique id prefix
        #[arg(value_name = "TASK")]
        task: String,
    },
}

pub async fn run(cmd: &TaskCommand, ctx: &Ctx) -> Result<()> {
    match cmd {
        TaskCommand::Ls { service, node, all } => {
            let mut query = Vec::new();
            if let Some(s) = service {
                query.push(("service", s.as_str()));
            }
            if let Some(n) = node {
                query.push(("node", n.as_str()));
            }
            if *all {
                query.push(("all", "true"));
            }
            let raw = ctx.client.get(&["tasks"], &query).await?;
            let nodes = table_nodes(ctx).await?;
            print_as(ctx.format, &raw, || {
                Ok(render_tasks(
                    &typed::<Vec<Task>>(&raw)?,
                    &nodes,
                    Timestamp::now(),
                ))
            })
        }
        TaskCommand::Inspect { task } => {
            let raw = ctx.client.get(&["tasks", task], &[]).await?;
            let nodes = table_nodes(ctx).await?;
            print_as(ctx.format, &raw, || {
                Ok(render_task(&typed(&raw)?, &nodes, Timestamp::now()))
            })
        }
    }
}

/// Hostnames for the table; JSON and YAML show node ids as stored, so skip the request.
async fn table_nodes(ctx: &Ctx) -> Result<NodeNames> {
    match ctx.format.structured() {
        Some(_) => Ok(NodeNames::new()),
        None => fetch_node_names(&ctx.client).await,
    }
}

pub fn render_task(t: &Task, nodes: &NodeNames, now: Timestamp) -> String {
    let node = match &t.node_id {
        Some(id) => match nodes.get(id.as_str()) {
            Some(host) => format!("{host} ({id})"),
            None => id.to_string(),
        },
        None => String::new(),
    };
    let c = &t.spec.container;
    let list = |v: &[String]| {
        if v.is_empty() {
            String::new()
        } else {
            serde_json::to_string(v).unwrap_or_default()
        }
    };
    let mut d = Details::new();
    d.field("ID", t.id.as_str())
        .field("Name", task_name(t))
        .field("Service", format!("{} ({})", t.service_name, t.service_id))
        .field("Slot", t.slot.to_string())
        .field_if("Node", node)
        .field("Image", c.image.as_str())
        .field_if("Command", list(&c.command))
        .field_if("Args", list(&c.args))
        .field("Desired state", capitalize(t.desired_state.as_str()))
        .section("Status")
        .field(" State", current_state(&t.status, now))
        .field_if(" Message", t.status.message.as_str())
        .field_if(" Error", t.status.err.as_str())
        .field_if(
            " Container ID",
            t.status.container_id.clone().unwrap_or_default(),
        )
        .field_if(
            " Exit code",
            t.status
                .exit_code
                .map(|c| c.to_string())
                .unwrap_or_default(),
        )
        .field("Created", ago(t.meta.created_at, now));
    d.render()
}

#[cfg(test)]
mod tests {
    use super::*;
    use shoal_api::fixtures::{T0, service, task};
    use shoal_api::{NodeId, TaskState};

    #[test]
    fn inspect_names_the_node_and_the_error() {
        let svc = service("web", 1);
        let mut t = task(&svc, 1, TaskState::Shutdown, TaskState::Failed);
        t.node_id = Some(NodeId("n1".into()));
        t.status.err = "task: non-zero exit (2)".into();
        t.status.exit_code = Some(2);
        t.spec.container.command = vec!["sh".into(), "-c".into()];
        let nodes = NodeNames::from([("n1".to_string(), "host-1".to_string())]);
        let out = render_task(&t, &nodes, T0);
        assert!(out.contains("\nName:            web.1\n"), "{out}");
        assert!(out.contains("\nNode:            host-1 (n1)\n"), "{out}");
        assert!(
            out.contains("\nCommand:         [\"sh\",\"-c\"]\n"),
            "{out}"
        );
        assert!(
            out.contains("\n State:          Failed less than a second ago\n"),
            "{out}"
        );
        assert!(
            out.contains("\n Error:          task: non-zero exit (2)\n"),
            "{out}"
        );
        assert!(out.contains("\n Exit code:      2\n"), "{out}");
        assert!(!out.contains("Args"), "{out}");
    }
}
