//! `shoalctl cluster inspect | join-token | update | client-bundle`: the cluster's settings,
//! the tokens nodes join with, and client bundles for remote shoalctl.

use crate::Ctx;
use crate::flags::kv::parse_opt_duration;
use crate::render::details::Details;
use crate::render::output::print_as;
use crate::render::reltime::ago;
use anyhow::{Context, Result};
use clap::Subcommand;
use shoal_api::{Cluster, Timestamp};
use shoal_client::rest::typed;
use shoal_client::tls::Bundle;

#[derive(Subcommand, Debug)]
pub enum ClusterCommand {
    /// Show the cluster's settings and join tokens
    Inspect,
    /// Print the command a node runs to join as a worker or a manager
    JoinToken {
        #[arg(value_enum)]
        role: RoleArg,
        /// Print only the token
        #[arg(short, long)]
        quiet: bool,
    },
    /// Change cluster settings or rotate a join token
    #[command(group(clap::ArgGroup::new("change").required(true).multiple(true)))]
    Update {
        /// Replace a join token: the old one stops admitting nodes
        #[arg(long, value_enum, group = "change")]
        rotate_join_token: Option<RoleArg>,
        /// Finished tasks kept per slot
        #[arg(long, value_name = "N", group = "change")]
        task_history_limit: Option<u64>,
        /// How often agents heartbeat (a node is down after 3 missed periods), e.g. 5s
        #[arg(long, value_name = "DURATION", group = "change")]
        heartbeat_period: Option<String>,
        /// Raft log entries between snapshots
        #[arg(long, value_name = "N", group = "change")]
        snapshot_interval: Option<u64>,
        /// Lifetime of node certificates issued from now on, e.g. 2160h (nodes renew between
        /// 50% and 80% of it)
        #[arg(long, value_name = "DURATION", group = "change")]
        cert_expiry: Option<String>,
        /// Spread replicated services back onto nodes that join or become active again
        #[arg(long, value_name = "BOOL", group = "change")]
        rebalance: Option<bool>,
    },
    /// Issue a client certificate for a remote shoalctl and write it to a directory
    /// (ca.pem, cert.pem, key.pem), for --tls-dir / SHOAL_TLS_DIR
    ClientBundle {
        /// Directory to write the bundle to (created owner-only)
        #[arg(long, value_name = "DIR")]
        out: std::path::PathBuf,
        /// Name in the certificate (default: shoalctl)
        #[arg(long)]
        name: Option<String>,
    },
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleArg {
    Worker,
    Manager,
}

impl RoleArg {
    fn as_str(self) -> &'static str {
        match self {
            RoleArg::Worker => "worker",
            RoleArg::Manager => "manager",
        }
    }

    fn token(self, c: &Cluster) -> &str {
        match self {
            RoleArg::Worker => &c.join_tokens.worker,
            RoleArg::Manager => &c.join_tokens.manager,
        }
    }
}

pub async fn run(cmd: &ClusterCommand, ctx: &Ctx) -> Result<()> {
    match cmd {
        ClusterCommand::Inspect => {
            let raw = ctx.client.get(&["cluster"], &[]).await?;
            print_as(ctx.format, &raw, || {
                Ok(render_cluster(&typed(&raw)?, Timestamp::now()))
            })
        }
        ClusterCommand::JoinToken { role, quiet } => {
            let cluster: Cluster = typed(&ctx.client.get(&["cluster"], &[]).await?)?;
            let token = role.token(&cluster);
            if *quiet {
                println!("{token}");
            } else {
                println!(
                    "To add a {} to this cluster, run on it:\n\n    shoald --join-token {token} --join-addr <this manager's host:port>\n",
                    role.as_str()
                );
            }
            Ok(())
        }
        ClusterCommand::Update {
            rotate_join_token,
            task_history_limit,
            heartbeat_period,
            snapshot_interval,
            cert_expiry,
            rebalance,
        } => {
            let heartbeat = parse_opt_duration("--heartbeat-period", heartbeat_period.as_deref())?;
            let cert_expiry = parse_opt_duration("--cert-expiry", cert_expiry.as_deref())?;
            if let Some(d) = heartbeat
                && (d.subsec_nanos() != 0 || d.as_secs() == 0)
            {
                anyhow::bail!("--heartbeat-period: must be a whole number of seconds, at least 1s");
            }
            let mut raw = None;
            if task_history_limit.is_some()
                || heartbeat.is_some()
                || snapshot_interval.is_some()
                || cert_expiry.is_some()
                || rebalance.is_some()
            {
                let current: Cluster = typed(&ctx.client.get(&["cluster"], &[]).await?)?;
                let mut spec = current.spec.clone();
                if let Some(n) = task_history_limit {
                    spec.task_history_limit = *n;
                }
                if let Some(d) = heartbeat {
                    spec.heartbeat_period_secs = d.as_secs();
                }
                if let Some(n) = snapshot_interval {
                    spec.snapshot_interval = *n;
                }
                if let Some(d) = cert_expiry {
                    spec.node_cert_expiry = d;
                }
                if let Some(on) = rebalance {
                    spec.rebalance = *on;
                }
                let body = serde_json::json!({ "version": current.meta.version, "spec": spec });
                raw = Some(ctx.client.post(&["cluster"], &body).await?);
            }
            if let Some(role) = rotate_join_token {
                let body = serde_json::json!({ "role": role.as_str() });
                raw = Some(
                    ctx.client
                        .post(&["cluster", "rotate-join-token"], &body)
                        .await?,
                );
                eprintln!("Rotated the {} join token.", role.as_str());
            }
            let raw = raw.expect("clap requires at least one change");
            print_as(ctx.format, &raw, || {
                Ok(render_cluster(&typed(&raw)?, Timestamp::now()))
            })
        }
        ClusterCommand::ClientBundle { out, name } => {
            let body = serde_json::json!({ "name": name });
            let bundle: Bundle = typed(&ctx.client.post(&["ca", "client-bundle"], &body).await?)?;
            bundle
                .save(out)
                .with_context(|| format!("cannot write the bundle to {}", out.display()))?;
            eprintln!(
                "Wrote a client bundle ({}, {}, {}) to {}.\nUse it with: shoalctl -H https://<manager host:port> --tls-dir {} ...",
                shoal_client::tls::CA_FILE,
                shoal_client::tls::CERT_FILE,
                shoal_client::tls::KEY_FILE,
                out.display(),
                out.display()
            );
            Ok(())
        }
    }
}

pub fn render_cluster(c: &Cluster, now: Timestamp) -> String {
    let mut d = Details::new();
    d.field("ID", c.id.as_str())
        .field("Name", c.spec.name.as_str())
        .section("Orchestration")
        .field(
            " Task history retention limit",
            c.spec.task_history_limit.to_string(),
        )
        .field(" Rebalancing", if c.spec.rebalance { "on" } else { "off" })
        .section("Dispatcher")
        .field(
            " Heartbeat period",
            format!("{}s", c.spec.heartbeat_period_secs),
        )
        .section("Raft")
        .field(
            " Snapshot interval",
            format!("{} entries", c.spec.snapshot_interval),
        )
        .section("CA")
        .field(
            " Node certificate expiry",
            shoal_api::duration::format(c.spec.node_cert_expiry),
        )
        .field(
            " Root CA digest",
            shoal_client::tls::ca_digest_pem(&c.root_ca_pem).unwrap_or_else(|_| "-".into()),
        )
        .section("Join tokens")
        .field(" Worker", c.join_tokens.worker.as_str())
        .field(" Manager", c.join_tokens.manager.as_str())
        .field("Created", ago(c.meta.created_at, now))
        .field("Updated", ago(c.meta.updated_at, now));
    d.render()
}

#[cfg(test)]
mod tests {
    use super::*;
    use shoal_api::fixtures::{T0, meta};
    use shoal_api::{ClusterSpec, JoinTokens};

    #[test]
    fn shows_settings_and_tokens() {
        let c = Cluster {
            id: "c1".into(),
            meta: meta(1),
            spec: ClusterSpec::default(),
            join_tokens: JoinTokens {
                worker: "SWMTKN-1-abc-w".into(),
                manager: "SWMTKN-1-abc-m".into(),
            },
            root_ca_pem: String::new(),
        };
        let out = render_cluster(&c, T0);
        assert!(
            out.starts_with("ID:                              c1\n"),
            "{out}"
        );
        assert!(
            out.contains("\n Task history retention limit:   5\n"),
            "{out}"
        );
        assert!(
            out.contains("\n Heartbeat period:               5s\n"),
            "{out}"
        );
        assert!(
            out.contains("\n Worker:                         SWMTKN-1-abc-w\n"),
            "{out}"
        );
        assert!(out.contains("\nCreated:                         Less than a second ago\n"));
    }
}
