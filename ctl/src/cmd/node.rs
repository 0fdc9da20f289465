//! `shoalctl node ls | inspect | activate | pause | drain | promote | demote | rm | update`:
//! the machines of the cluster, their state and roles, and what they may run.

use crate::Ctx;
use crate::flags::kv::{parse_keys, parse_pairs};
use crate::render::details::Details;
use crate::render::output::{capitalize, human_bytes, join_pairs, print_as, wire_name};
use crate::render::reltime::ago;
use crate::render::table::Table;
use anyhow::Result;
use clap::Subcommand;
use shoal_api::{Node, Timestamp};
use shoal_client::rest::typed;

#[derive(Subcommand, Debug)]
pub enum NodeCommand {
    /// List nodes
    #[command(visible_alias = "list")]
    Ls,
    /// Show one node in detail
    Inspect {
        /// Node id, unique id prefix or hostname
        #[arg(value_name = "NODE")]
        node: String,
    },
    /// Let nodes take new tasks again
    Activate {
        #[arg(value_name = "NODE", required = true)]
        nodes: Vec<String>,
    },
    /// Keep nodes' tasks running but place no new ones there
    Pause {
        #[arg(value_name = "NODE", required = true)]
        nodes: Vec<String>,
    },
    /// Move nodes' tasks elsewhere and place no new ones there
    Drain {
        #[arg(value_name = "NODE", required = true)]
        nodes: Vec<String>,
    },
    /// Make workers managers (they renew their certificate and join Raft)
    Promote {
        #[arg(value_name = "NODE", required = true)]
        nodes: Vec<String>,
    },
    /// Make managers workers (refused if the managers left could not keep a quorum)
    Demote {
        #[arg(value_name = "NODE", required = true)]
        nodes: Vec<String>,
    },
    /// Remove workers from the cluster (their tasks move elsewhere)
    #[command(visible_alias = "remove")]
    Rm {
        #[arg(value_name = "NODE", required = true)]
        nodes: Vec<String>,
        /// Remove a node even though it is ready
        #[arg(short, long)]
        force: bool,
    },
    /// Change a node's availability or labels
    Update {
        #[arg(value_name = "NODE")]
        node: String,
        #[arg(long, value_parser = ["active", "pause", "drain"])]
        availability: Option<String>,
        /// Add or replace a label (K=V), repeatable
        #[arg(long, value_name = "K=V")]
        label_add: Vec<String>,
        /// Remove a label, repeatable
        #[arg(long, value_name = "K")]
        label_rm: Vec<String>,
    },
}

pub async fn run(cmd: &NodeCommand, ctx: &Ctx) -> Result<()> {
    match cmd {
        NodeCommand::Ls => {
            let raw = ctx.client.get(&["nodes"], &[]).await?;
            print_as(ctx.format, &raw, || {
                Ok(render_nodes(&typed::<Vec<Node>>(&raw)?))
            })
        }
        NodeCommand::Inspect { node } => {
            let raw = ctx.client.get(&["nodes", node], &[]).await?;
            print_as(ctx.format, &raw, || {
                Ok(render_node(&typed(&raw)?, Timestamp::now()))
            })
        }
        NodeCommand::Activate { nodes } => set_availability(ctx, nodes, "active").await,
        NodeCommand::Pause { nodes } => set_availability(ctx, nodes, "pause").await,
        NodeCommand::Drain { nodes } => set_availability(ctx, nodes, "drain").await,
        NodeCommand::Promote { nodes } => change_role(ctx, nodes, "promote", "manager").await,
        NodeCommand::Demote { nodes } => change_role(ctx, nodes, "demote", "worker").await,
        NodeCommand::Rm { nodes, force } => {
            for node in nodes {
                let query: &[(&str, &str)] = if *force { &[("force", "true")] } else { &[] };
                ctx.client.delete_with(&["nodes", node], query).await?;
                println!("{node}");
            }
            Ok(())
        }
        NodeCommand::Update {
            node,
            availability,
            label_add,
            label_rm,
        } => {
            let add = parse_pairs("--label-add", label_add)?;
            let rm = parse_keys("--label-rm", label_rm)?;
            update(ctx, node, |spec| {
                if let Some(a) = availability {
                    spec["availability"] = a.as_str().into();
                }
                let labels = &mut spec["labels"];
                if !labels.is_object() {
                    *labels = serde_json::json!({});
                }
                for (k, v) in &add {
                    labels[k.as_str()] = v.as_str().into();
                }
                for k in &rm {
                    if let Some(m) = labels.as_object_mut() {
                        m.remove(k);
                    }
                }
            })
            .await?;
            println!("{node}");
            Ok(())
        }
    }
}

async fn change_role(ctx: &Ctx, nodes: &[String], verb: &str, role: &str) -> Result<()> {
    for node in nodes {
        let before: Node = typed(&ctx.client.get(&["nodes", node], &[]).await?)?;
        ctx.client
            .post(&["nodes", node, verb], &serde_json::json!({}))
            .await?;
        if wire_name(&before.role) == role {
            println!("Node {node} is already a {role}.");
        } else {
            println!("Node {node} is now a {role}.");
        }
    }
    Ok(())
}

async fn set_availability(ctx: &Ctx, nodes: &[String], availability: &str) -> Result<()> {
    for node in nodes {
        update(ctx, node, |spec| spec["availability"] = availability.into()).await?;
        println!("{node}");
    }
    Ok(())
}

/// Reads the node, changes its spec, writes it back with the version read (retrying once
/// when someone else wrote in between).
async fn update(ctx: &Ctx, node: &str, change: impl Fn(&mut serde_json::Value)) -> Result<()> {
    let mut last = None;
    for _ in 0..3 {
        let current: serde_json::Value = typed(&ctx.client.get(&["nodes", node], &[]).await?)?;
        let mut spec = current["spec"].clone();
        change(&mut spec);
        let body = serde_json::json!({ "version": current["version"], "spec": spec });
        match ctx.client.post(&["nodes", node], &body).await {
            Ok(_) => return Ok(()),
            Err(e) if e.to_string().contains("changed by someone else") => last = Some(e),
            Err(e) => return Err(e.into()),
        }
    }
    Err(last.map_or_else(
        || anyhow::anyhow!("could not update node {node}"),
        Into::into,
    ))
}

/// `Leader`, `Reachable`, `Unreachable`, or blank for a worker.
pub fn manager_status(node: &Node) -> String {
    match &node.manager_status {
        Some(m) if m.leader => "Leader".into(),
        Some(m) => capitalize(&m.reachability),
        None => String::new(),
    }
}

pub fn render_nodes(nodes: &[Node]) -> String {
    let mut sorted: Vec<&Node> = nodes.iter().collect();
    sorted.sort_by(|a, b| (&a.description.hostname, &a.id).cmp(&(&b.description.hostname, &b.id)));
    let mut table = Table::new(&[
        "ID",
        "HOSTNAME",
        "STATUS",
        "AVAILABILITY",
        "MANAGER STATUS",
        "ENGINE VERSION",
    ]);
    for n in sorted {
        table.row(vec![
            n.id.to_string(),
            n.description.hostname.clone(),
            capitalize(&wire_name(&n.status.state)),
            capitalize(&wire_name(&n.spec.availability)),
            manager_status(n),
            n.description.engine_version.clone(),
        ]);
    }
    table.render()
}

pub fn render_node(n: &Node, now: Timestamp) -> String {
    let mut d = Details::new();
    d.field("ID", n.id.as_str())
        .field("Hostname", n.description.hostname.as_str())
        .field("Role", wire_name(&n.role))
        .field_if("Labels", join_pairs(&n.spec.labels))
        .section("Status")
        .field(" State", capitalize(&wire_name(&n.status.state)))
        .field(
            " Availability",
            capitalize(&wire_name(&n.spec.availability)),
        )
        .field_if(" Address", n.status.addr.clone().unwrap_or_default())
        .field_if(" Message", n.status.message.as_str())
        .field(" Since", ago(n.status.timestamp, now));
    if let Some(m) = &n.manager_status {
        d.section("Manager status")
            .field(" Leader", if m.leader { "yes" } else { "no" })
            .field(" Reachability", capitalize(&m.reachability))
            .field(" Address", m.addr.as_str())
            .field(" Raft ID", m.raft_id.to_string());
    }
    let platform = &n.description.platform;
    if !platform.is_empty() {
        d.section("Platform")
            .field_if(" Operating System", platform.os.as_str())
            .field_if(" Architecture", platform.architecture.as_str());
    }
    d.section("Resources")
        .field(" CPUs", n.description.cpus.to_string())
        .field(" Memory", human_bytes(n.description.memory_bytes))
        .field("Engine version", n.description.engine_version.as_str())
        .field_if("Engine labels", join_pairs(&n.description.engine_labels))
        .field("Created", ago(n.meta.created_at, now));
    d.render()
}

#[cfg(test)]
mod tests {
    use super::*;
    use shoal_api::fixtures::{T0, node};
    use shoal_api::{Availability, ManagerStatus, NodeState, Role};

    fn managers() -> Vec<Node> {
        let mut leader = node("n1aaaaaaaaaaaaaaaaaaaaaaa", "m1", Role::Manager);
        leader.manager_status = Some(ManagerStatus {
            leader: true,
            reachability: "reachable".into(),
            addr: "10.0.0.1:4242".into(),
            raft_id: 1,
        });
        let mut follower = node("n2bbbbbbbbbbbbbbbbbbbbbbb", "m2", Role::Manager);
        follower.manager_status = Some(ManagerStatus {
            leader: false,
            reachability: "reachable".into(),
            addr: "10.0.0.2:4242".into(),
            raft_id: 2,
        });
        let mut worker = node("n3ccccccccccccccccccccccc", "w1", Role::Worker);
        worker.status.state = NodeState::Down;
        worker.spec.availability = Availability::Drain;
        vec![worker, follower, leader]
    }

    #[test]
    fn lists_nodes_by_hostname_with_manager_status() {
        let expected = "\
ID                          HOSTNAME   STATUS   AVAILABILITY   MANAGER STATUS   ENGINE VERSION
n1aaaaaaaaaaaaaaaaaaaaaaa   m1         Ready    Active         Leader           20.10.24
n2bbbbbbbbbbbbbbbbbbbbbbb   m2         Ready    Active         Reachable        20.10.24
n3ccccccccccccccccccccccc   w1         Down     Drain                           20.10.24
";
        assert_eq!(render_nodes(&managers()), expected);
    }

    #[test]
    fn inspect_shows_manager_details_only_for_managers() {
        let nodes = managers();
        let leader = render_node(&nodes[2], T0);
        assert!(leader.contains("\n Leader:          yes\n"), "{leader}");
        assert!(leader.contains("\n Memory:          4.0 GiB\n"), "{leader}");
        let worker = render_node(&nodes[0], T0);
        assert!(!worker.contains("Manager status"), "{worker}");
        assert!(worker.contains("\n Availability:    Drain\n"), "{worker}");
    }

    #[test]
    fn inspect_shows_the_platform_when_reported() {
        let mut n = node("n1aaaaaaaaaaaaaaaaaaaaaaa", "m1", Role::Worker);
        assert!(!render_node(&n, T0).contains("Platform"));
        n.description.platform = shoal_api::Platform {
            os: "linux".into(),
            architecture: "x86_64".into(),
        };
        let shown = render_node(&n, T0);
        assert!(
            shown
                .contains("\nPlatform:\n Operating System:   linux\n Architecture:       x86_64\n"),
            "{shown}"
        );
    }
}
