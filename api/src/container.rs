//! What a task's container runs: image, command, environment, identity (user, working dir,
//! hostname, groups), mounts (bind, volume, tmpfs), how it is stopped, its health check and
//! published ports, and the engine options Swarm services accept: capabilities, sysctls,
//! ulimits, init, a read-only root, hosts entries, DNS, the log driver and isolation. Passed
//! to Docker as is by the agent. The short forms the CLI and Compose write (`nofile=1024:2048`,
//! `name:ip`) are parsed here, once, for both.

use crate::duration::serde_humane;
use crate::health::HealthCheck;
use crate::ports::PortConfig;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContainerSpec {
    pub image: String,
    /// Overrides the image's entrypoint; one element per argument.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    /// Arguments passed to the command.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// `KEY=VALUE` entries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<String>,
    /// Labels set on the container, beside Shoal's own.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// `USER[:GROUP]` (names or numeric ids); empty: the image's.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub user: String,
    /// Absolute working directory; empty: the image's.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub workdir: String,
    /// Container hostname; empty: Docker's default (the container id).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hostname: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mounts: Vec<Mount>,
    /// Signal that asks the container to stop (`SIGTERM`, `SIGUSR1`, `9`...); empty: the
    /// image's (`SIGTERM` unless it says otherwise).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub stop_signal: String,
    #[serde(default = "default_stop_grace", with = "serde_humane")]
    pub stop_grace_period: Duration,
    /// `None`: the image's health check, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<HealthCheck>,
    /// Container ports published on the node's ports (host mode).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<PortConfig>,
    /// Linux capabilities added (`NET_ADMIN`, `CAP_SYS_TIME`, `ALL`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cap_add: Vec<String>,
    /// Linux capabilities dropped.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cap_drop: Vec<String>,
    /// Namespaced kernel parameters (`net.ipv4.ip_forward: "1"`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sysctls: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ulimits: Vec<Ulimit>,
    /// Run an init process as PID 1 that reaps zombies; `None`: the engine's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init: Option<bool>,
    /// Mount the root file system read-only.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub read_only: bool,
    /// `/etc/hosts` entries, `NAME:IP` (`IP` may be `host-gateway`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_hosts: Vec<String>,
    /// Name server addresses; empty: the engine's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dns: Vec<String>,
    /// DNS search domains.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dns_search: Vec<String>,
    /// Resolver options (`ndots:2`, `timeout:1`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dns_options: Vec<String>,
    /// Supplementary groups of the container's process (names or ids).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group_add: Vec<String>,
    /// The container's log driver; `None`: the engine's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logging: Option<LogDriver>,
    /// Windows isolation technology: only `default` (or empty) applies to Linux containers.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub isolation: String,
}

/// A resource limit (`ulimit`): `nofile` with soft and hard values; -1 is unlimited.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ulimit {
    pub name: String,
    pub soft: i64,
    pub hard: i64,
}

impl Ulimit {
    /// `NAME=SOFT[:HARD]`, as `docker run --ulimit` takes it (a lone value is both).
    pub fn parse(raw: &str) -> Result<Ulimit, String> {
        let Some((name, values)) = raw.split_once('=') else {
            return Err(format!("expected NAME=SOFT[:HARD], got {raw:?}"));
        };
        let number = |v: &str| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| format!("{v:?} in {raw:?} is not a number"))
        };
        let (soft, hard) = match values.split_once(':') {
            Some((soft, hard)) => (number(soft)?, number(hard)?),
            None => {
                let v = number(values)?;
                (v, v)
            }
        };
        Ok(Ulimit {
            name: name.trim().to_string(),
            soft,
            hard,
        })
    }
}

/// A log driver and its options (`json-file` with `max-size: 10m`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogDriver {
    pub name: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
}

/// A hosts entry written `NAME:IP` or `NAME=IP` (Compose), or Docker's `NAME IP`, as the
/// canonical `NAME:IP`; the parts are checked by the validation.
pub fn parse_extra_host(raw: &str) -> Result<String, String> {
    let split = raw
        .split_once('=')
        .or_else(|| raw.split_once(':'))
        .or_else(|| raw.trim().split_once(' '));
    match split {
        Some((name, ip)) if !name.trim().is_empty() && !ip.trim().is_empty() => {
            Ok(format!("{}:{}", name.trim(), ip.trim()))
        }
        _ => Err(format!("expected NAME:IP, got {raw:?}")),
    }
}

pub fn default_stop_grace() -> Duration {
    Duration::from_secs(10)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum MountType {
    /// A host path.
    #[default]
    Bind,
    /// A named Docker volume (created on first use); without a source, an anonymous one,
    /// removed with the container.
    Volume,
    /// A memory file system (`tmpfs_size`, `tmpfs_mode`); no source.
    Tmpfs,
}

/// A bind mount, a volume or a tmpfs, as `docker run --mount` takes them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mount {
    #[serde(rename = "type")]
    pub kind: MountType,
    /// Host path (bind) or volume name (volume; empty: anonymous); empty for a tmpfs.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
    /// Absolute path inside the container.
    pub target: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub readonly: bool,
    /// Tmpfs only: its size limit (`64MiB`); 0: the engine's (half the memory).
    #[serde(
        default,
        with = "crate::size::serde_humane",
        skip_serializing_if = "is_zero"
    )]
    pub tmpfs_size: u64,
    /// Tmpfs only: permission bits of its root, as a number (`0o1777` is 1023).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tmpfs_mode: Option<u32>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Mount {
    /// `/run:size=64m,mode=1777`, as Compose's `tmpfs:` and `docker run --tmpfs` write it.
    pub fn parse_tmpfs(raw: &str) -> Result<Mount, String> {
        let (target, options) = raw.split_once(':').unwrap_or((raw, ""));
        let mut m = Mount {
            kind: MountType::Tmpfs,
            target: target.trim().to_string(),
            ..Mount::default()
        };
        for opt in options.split(',').filter(|o| !o.is_empty()) {
            match opt.split_once('=') {
                Some(("size", v)) => {
                    m.tmpfs_size = crate::size::parse(v).map_err(|e| format!("size: {e}"))?
                }
                Some(("mode", v)) => m.tmpfs_mode = Some(parse_mode(v)?),
                None if opt == "ro" => m.readonly = true,
                None if opt == "rw" => m.readonly = false,
                _ => {
                    return Err(format!(
                        "unknown tmpfs option {opt:?} in {raw:?} (size=SIZE, mode=OCTAL, ro, rw)"
                    ));
                }
            }
        }
        Ok(m)
    }
}

/// Permission bits written in octal (`1777`, `0755`).
pub fn parse_mode(raw: &str) -> Result<u32, String> {
    u32::from_str_radix(raw.trim().trim_start_matches("0o"), 8)
        .map_err(|_| format!("mode {raw:?} must be octal permission bits like 1777"))
}
