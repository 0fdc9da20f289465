//! `shoalctl`, the command line client of Shoal (swarmctl-style): parses the command line,
//! connects to a manager's control API and dispatches to one module per command group.
//! Errors print as `Error: <message>` and exit 1; Ctrl-C during a wait exits 130.
//!
//! # Layout
//!
//! A command flows through the folders in this order:
//!
//! * `main.rs` (here): the clap command tree and the global flags (`-H`, `-o`, `--stale`); builds the
//!   [`Ctx`] every command gets and hands it to the command's group.
//!
//! * `cmd/`: one file per command group (`cluster`, `node`, `service`, `task`, `stack`,
//!   `apply | diff | delete` in `manifest`, ...). Each says what its commands do, in the
//!   order they do it, and leaves the parsing, the wire and the drawing to the folders below.
//!
//! * `flags/`: flag values to spec changes: `KEY=VALUE`, mounts, ports, health checks, the
//!   flags of `service create | update` and how both reduce to one spec change (`spec`),
//!   and `events --filter`. Pure functions, so every flag is unit-tested without a server.
//!   Manifest and Compose files are read by the `shoal-manifest` crate instead.
//!
//! * the `shoal-client` crate: the REST client and what rides on it (streams, writes with
//!   optimistic concurrency, following convergence); the same one the benches and the
//!   end-to-end tests use.
//!
//! * `render/`: what the user sees: the `-o table|json|yaml` choice, tables, the task table,
//!   inspect views, event lines and relative times.
//!
//! * `progress/`: following a service after a change until it converges, with per-slot bars
//!   on a terminal, like the Docker CLI.

mod cmd;
mod flags;
mod progress;
mod render;

#[cfg(test)]
mod testing;

use crate::cmd::cluster::ClusterCommand;
use crate::cmd::node::NodeCommand;
use crate::cmd::service::ServiceCommand;
use crate::cmd::task::TaskCommand;
use crate::cmd::{cluster, completion, events, manifest, node, service, stack, task, version};
use crate::progress::Interrupted;
use crate::render::output::Format;
use anyhow::Result;
use clap::{Parser, Subcommand};
use shoal_client::Client;
use shoal_client::Endpoint;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(name = "shoalctl", version, about = "Control a Shoal cluster")]
struct Cli {
    /// Manager to talk to: unix:///path/to/control.sock or https://host:port
    /// [default: unix://<default data dir>/control.sock]
    #[arg(
        short = 'H',
        long,
        env = "SHOAL_HOST",
        global = true,
        value_name = "ADDR"
    )]
    host: Option<String>,
    /// Client bundle (ca.pem, cert.pem, key.pem) for an https:// manager
    #[arg(long, env = "SHOAL_TLS_DIR", global = true, value_name = "DIR")]
    tls_dir: Option<std::path::PathBuf>,
    /// Output format
    #[arg(short = 'o', long, value_enum, default_value_t = Format::Table, global = true)]
    output: Format,
    /// Answer reads from the manager asked, without confirming with the leader: works
    /// without a quorum, but may show state that is behind
    #[arg(long, global = true)]
    stale: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Show the client and server versions
    Version,
    /// Print a shell completion script, e.g. `source <(shoalctl completion bash)`
    Completion {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Inspect the cluster, its join tokens and settings
    #[command(subcommand)]
    Cluster(ClusterCommand),
    /// Manage nodes
    #[command(subcommand)]
    Node(NodeCommand),
    /// Manage services
    #[command(subcommand)]
    Service(ServiceCommand),
    /// Inspect tasks
    #[command(subcommand)]
    Task(TaskCommand),
    /// Create or update the services of YAML manifests, then wait for them to converge
    Apply(manifest::ApplyArgs),
    /// Show field by field what apply would change, changing nothing
    Diff(manifest::FileArgs),
    /// Remove the services that YAML manifests name
    Delete(manifest::FileArgs),
    /// Deploy Compose files as stacks of services
    #[command(subcommand)]
    Stack(stack::StackCommand),
    /// Stream cluster changes as they happen, until Ctrl-C
    Events(events::EventsArgs),
}

/// What every command needs: the connection and the output format.
pub struct Ctx {
    pub client: Client,
    pub format: Format,
}

async fn run(cli: Cli) -> Result<()> {
    // Completion needs no server, nor a reachable default socket.
    if let Command::Completion { shell } = cli.command {
        return completion::run(shell, <Cli as clap::CommandFactory>::command());
    }
    let endpoint = Endpoint::from_flag(cli.host.as_deref())?;
    let ctx = Ctx {
        client: Client::new(endpoint, cli.tls_dir.as_deref())?.stale(cli.stale),
        format: cli.output,
    };
    match &cli.command {
        Command::Version => version::run(&ctx).await,
        Command::Completion { shell } => {
            completion::run(*shell, <Cli as clap::CommandFactory>::command())
        }
        Command::Cluster(cmd) => cluster::run(cmd, &ctx).await,
        Command::Node(cmd) => node::run(cmd, &ctx).await,
        Command::Service(cmd) => service::run(cmd, &ctx).await,
        Command::Task(cmd) => task::run(cmd, &ctx).await,
        Command::Apply(args) => manifest::apply(&ctx, args).await,
        Command::Diff(args) => manifest::diff(&ctx, args).await,
        Command::Delete(args) => manifest::delete(&ctx, args).await,
        Command::Stack(cmd) => stack::run(cmd, &ctx).await,
        Command::Events(args) => events::run(&ctx, args).await,
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    shoal_client::tls::install_default_provider();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => match e.downcast_ref::<Interrupted>() {
            Some(interrupted) => {
                eprintln!("{interrupted}");
                ExitCode::from(130)
            }
            None => {
                eprintln!("Error: {e:#}");
                ExitCode::FAILURE
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::argv;
    use clap::CommandFactory;

    fn parse(line: &str) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(argv(&format!("shoalctl {line}")))
    }

    #[test]
    fn the_command_tree_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_flags_go_anywhere() {
        let cli = parse("service ls -o json -H http://m1:4242").unwrap();
        assert_eq!(cli.output, Format::Json);
        assert_eq!(cli.host.as_deref(), Some("http://m1:4242"));
        assert_eq!(parse("-o yaml node ls").unwrap().output, Format::Yaml);
        assert_eq!(parse("node ls").unwrap().output, Format::Table);
        assert!(parse("-o xml node ls").is_err());
        assert!(parse("service ls --stale").unwrap().stale);
        assert!(!parse("service ls").unwrap().stale);
    }

    #[test]
    fn create_takes_hyphen_values_for_command_and_args() {
        let cli = parse(
            "service create --name web --image busybox --command sh --command -c \
             --args 'echo hi' --detach",
        )
        .unwrap();
        let Command::Service(ServiceCommand::Create(args)) = cli.command else {
            panic!("expected service create");
        };
        assert_eq!(args.template.command, ["sh", "-c"]);
        assert_eq!(args.template.args, ["echo hi"]);
        assert!(args.wait.detach);
    }

    #[test]
    fn negative_replicas_reach_our_check_instead_of_clap() {
        let cli = parse("service create --name w --image x --replicas -1").unwrap();
        let Command::Service(ServiceCommand::Create(args)) = cli.command else {
            panic!("expected service create");
        };
        assert_eq!(args.replicas, Some(-1));
    }

    #[test]
    fn multi_service_commands_need_at_least_one_service() {
        assert!(parse("service scale").is_err());
        assert!(parse("service rm").is_err());
        assert!(parse("service scale web=2 api=3 -d").is_ok());
        assert!(parse("service rm web api").is_ok());
    }

    #[test]
    fn task_ls_filters() {
        let cli = parse("task ls --service web --node n1 -a").unwrap();
        let Command::Task(TaskCommand::Ls { service, node, all }) = cli.command else {
            panic!("expected task ls");
        };
        assert_eq!(
            (service.as_deref(), node.as_deref(), all),
            (Some("web"), Some("n1"), true)
        );
    }
}
