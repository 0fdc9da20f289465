//! `shoald`: the Shoal node daemon. Parses flags, sets up logging, runs until SIGINT/SIGTERM.

use clap::Parser;
use shoal_orchestrator::daemon::{self, Config};
use std::path::PathBuf;
use tokio_util::sync::CancellationToken;

#[derive(Parser, Debug)]
#[command(
    name = "shoald",
    version,
    about = "Shoal node daemon: a manager with its agent"
)]
struct Args {
    /// Where this node keeps its state (default: $SHOAL_DATA_DIR, /var/lib/shoal as root,
    /// else ~/.local/share/shoal).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Name this node reports (default: the machine's hostname).
    #[arg(long)]
    hostname: Option<String>,
    /// Address of the TCP API (Raft, agents, remote shoalctl).
    #[arg(long, default_value = "127.0.0.1:4242")]
    listen_addr: String,
    /// Address other nodes use to reach this one (default: the listen address).
    #[arg(long)]
    advertise_addr: Option<String>,
    /// Join an existing cluster through this manager (`host:port`); the token decides the
    /// role. Only on an empty data dir.
    #[arg(long, requires = "join_token")]
    join_addr: Option<String>,
    /// Token for --join-addr.
    #[arg(long, requires = "join_addr")]
    join_token: Option<String>,
    /// Restart this manager as the only member of a new cluster that keeps all its state:
    /// for when a quorum of managers is gone for good.
    #[arg(long, conflicts_with = "join_addr")]
    force_new_cluster: bool,
    /// Docker endpoint (default: DOCKER_HOST or the local socket).
    #[arg(long)]
    docker_host: Option<String>,
    /// Host address published ports bind to (default: Docker's, all addresses), as dockerd's
    /// --ip; lets nodes that share one engine publish the same port on different addresses.
    #[arg(long, value_name = "IP")]
    publish_ip: Option<std::net::IpAddr>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SHOAL_LOG")
                .unwrap_or_else(|_| "info,openraft=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let data_dir = args
        .data_dir
        .unwrap_or_else(shoal_client::paths::default_data_dir);
    let hostname = match args.hostname {
        Some(h) => h,
        None => std::fs::read_to_string("/etc/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_else(|_| "localhost".into()),
    };
    let listener = tokio::net::TcpListener::bind(&args.listen_addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", args.listen_addr))?;
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        tracing::info!("shutting down");
        stop.cancel();
    });
    let config = Config {
        data_dir,
        hostname,
        advertise_addr: args.advertise_addr,
        docker_host: args.docker_host,
        publish_ip: args.publish_ip,
        agent: true,
        force_new_cluster: args.force_new_cluster,
        join: args
            .join_addr
            .zip(args.join_token)
            .map(|(addr, token)| daemon::Join { addr, token }),
    };
    daemon::run(config, listener, shutdown).await?;
    Ok(())
}
