//! `shoal-bench`: times what a user waits for on a running Shoal node (converge N replicas,
//! roll them to a new image, scale N to 2N, remove 2N) and the raw floor for the same work
//! done straight through bollard, then prints both beside Docker Swarm's reference figures.
//! `bench/run.sh` starts a fresh node and runs this.

mod latency;
mod raw;
mod shoal;

use clap::Parser;
use std::time::Duration;

#[derive(Parser, Debug, Clone)]
#[command(about = "Shoal convergence benchmark")]
pub struct Args {
    /// shoald control socket, e.g. unix:///tmp/x/control.sock.
    #[arg(long, env = "SHOAL_HOST")]
    pub host: String,
    /// Replicas to converge (then scaled to twice as many).
    #[arg(long, default_value_t = 50)]
    pub replicas: u64,
    #[arg(long, default_value = "shoal-demo:1")]
    pub image: String,
    /// Image of the rolling update.
    #[arg(long, default_value = "shoal-demo:2")]
    pub image2: String,
    /// Update parallelism of the roll (Swarm reference: 10).
    #[arg(long, default_value_t = 10)]
    pub parallelism: u64,
    /// Stops and removals at once in the raw floor (the agent's engine bound).
    #[arg(long, default_value_t = 10)]
    pub raw_teardown_concurrency: usize,
    /// Skip the raw bollard floor.
    #[arg(long)]
    pub no_raw: bool,
}

/// Swarm mode on this kind of machine (from the issue): converge 50, roll 50 (parallelism
/// 10), scale 50->100, remove 100.
const SWARM: [f64; 4] = [16.0, 16.0, 14.0, 10.0];
const NAMES: [&str; 4] = ["converge N", "roll N (par 10)", "scale N->2N", "remove 2N"];

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    println!(
        "shoal-bench: N={} image={} -> {}",
        args.replicas, args.image, args.image2
    );
    let api = shoal_client::Client::new(shoal_client::Endpoint::parse(&args.host)?, None)?;
    let latency = latency::run(&api, &args.image, 20).await?;
    println!(
        "assignment latency (scheduler proposal -> agent stream, {} samples): median {} ms, max {} ms (target: well under 100 ms)",
        latency.samples, latency.median_ms, latency.max_ms
    );
    let shoal = shoal::run(&args).await?;
    let raw = if args.no_raw {
        None
    } else {
        Some(raw::run(&args).await?)
    };
    println!();
    println!(
        "{:<18} {:>10} {:>10} {:>10} {:>10} {:>8}",
        "scenario", "shoal", "raw floor", "swarm ref", "target", "verdict"
    );
    for i in 0..4 {
        let s = shoal[i].as_secs_f64();
        let floor = raw.as_ref().map(|r| r[i].as_secs_f64());
        let half_swarm = SWARM[i] / 2.0;
        let target = match floor {
            Some(f) if f > half_swarm => f * 1.2,
            _ => half_swarm,
        };
        println!(
            "{:<18} {:>9.2}s {:>10} {:>9.1}s {:>9.2}s {:>8}",
            NAMES[i],
            s,
            floor.map_or("-".to_string(), |f| format!("{f:.2}s")),
            SWARM[i],
            target,
            if s <= target { "ok" } else { "SLOW" }
        );
    }
    println!("(target: half of Swarm's time, or 1.2x the raw floor where the floor is above that)");
    Ok(())
}

pub fn secs(d: Duration) -> String {
    format!("{:.2}s", d.as_secs_f64())
}
