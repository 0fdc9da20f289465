//! The Compose file format (v3, as `docker stack deploy` reads it), as typed data. Only what
//! Shoal can honour is read; keys it cannot are accepted here (so they can be named in a
//! warning, see `load::SERVICE_UNSUPPORTED`) and anything else is an unknown field, which the
//! loader turns into a did-you-mean error with its position.

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, Visitor};
use shoal_api::{FailureAction, RestartCondition, UpdateOrder};
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// How Shoal treats a service key of the Compose Specification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeySupport {
    /// Read and honoured as Docker does.
    Supported,
    /// Read, with the difference the note says.
    Differs,
    /// Accepted, ignored with a warning naming it (see `load::SERVICE_UNSUPPORTED`).
    Warned,
    /// An unknown field: refused with its place, as `docker stack deploy` refuses it.
    Refused,
}

impl KeySupport {
    /// The word the README's table uses.
    pub fn word(self) -> &'static str {
        match self {
            KeySupport::Supported => "supported",
            KeySupport::Differs => "differs",
            KeySupport::Warned => "warned",
            KeySupport::Refused => "refused",
        }
    }
}

/// Every service key of the Compose Specification, what Shoal does with it and why. The
/// README's table is this list; a test keeps the two, and [`ComposeService`], in step.
pub const SERVICE_KEYS: [(&str, KeySupport, &str); 92] = [
    (
        "annotations",
        KeySupport::Refused,
        "not in the v3 format `docker stack deploy` reads",
    ),
    (
        "attach",
        KeySupport::Refused,
        "a `docker compose up` setting; a stack has no attached output",
    ),
    (
        "blkio_config",
        KeySupport::Refused,
        "not in the v3 format `docker stack deploy` reads",
    ),
    (
        "build",
        KeySupport::Warned,
        "Shoal does not build: the image must exist",
    ),
    ("cap_add", KeySupport::Supported, ""),
    ("cap_drop", KeySupport::Supported, ""),
    (
        "cgroup",
        KeySupport::Refused,
        "not in the v3 format `docker stack deploy` reads",
    ),
    (
        "cgroup_parent",
        KeySupport::Warned,
        "ignored by `docker stack deploy` too",
    ),
    (
        "command",
        KeySupport::Supported,
        "a string is split as a shell would",
    ),
    ("configs", KeySupport::Warned, "no configs in tasks yet"),
    (
        "container_name",
        KeySupport::Warned,
        "a service has many containers, named by Shoal",
    ),
    (
        "cpu_count",
        KeySupport::Refused,
        "not in the v3 format `docker stack deploy` reads; use `deploy.resources`",
    ),
    (
        "cpu_percent",
        KeySupport::Refused,
        "not in the v3 format `docker stack deploy` reads; use `deploy.resources`",
    ),
    (
        "cpu_period",
        KeySupport::Refused,
        "not in the v3 format `docker stack deploy` reads; use `deploy.resources`",
    ),
    (
        "cpu_quota",
        KeySupport::Refused,
        "not in the v3 format `docker stack deploy` reads; use `deploy.resources`",
    ),
    (
        "cpu_rt_period",
        KeySupport::Refused,
        "not in the v3 format `docker stack deploy` reads",
    ),
    (
        "cpu_rt_runtime",
        KeySupport::Refused,
        "not in the v3 format `docker stack deploy` reads",
    ),
    (
        "cpu_shares",
        KeySupport::Refused,
        "not in the v3 format `docker stack deploy` reads; use `deploy.resources`",
    ),
    (
        "cpus",
        KeySupport::Refused,
        "not in the v3 format `docker stack deploy` reads; use `deploy.resources.limits.cpus`",
    ),
    (
        "cpuset",
        KeySupport::Refused,
        "not in the v3 format `docker stack deploy` reads",
    ),
    ("credential_spec", KeySupport::Warned, "Windows only"),
    (
        "depends_on",
        KeySupport::Warned,
        "ignored by `docker stack deploy` too: services start together",
    ),
    (
        "deploy",
        KeySupport::Differs,
        "`endpoint_mode` and resources' `pids`, `devices`, `generic_resources` are warned about and ignored",
    ),
    (
        "develop",
        KeySupport::Refused,
        "a `docker compose watch` setting",
    ),
    (
        "device_cgroup_rules",
        KeySupport::Refused,
        "not in the v3 format `docker stack deploy` reads",
    ),
    (
        "devices",
        KeySupport::Warned,
        "no devices in the container spec",
    ),
    ("dns", KeySupport::Supported, ""),
    (
        "dns_opt",
        KeySupport::Refused,
        "not in the v3 format `docker stack deploy` reads",
    ),
    ("dns_search", KeySupport::Supported, ""),
    (
        "domainname",
        KeySupport::Warned,
        "no domain name in the container spec",
    ),
    (
        "driver_opts",
        KeySupport::Refused,
        "not in the v3 format `docker stack deploy` reads",
    ),
    (
        "entrypoint",
        KeySupport::Supported,
        "becomes the container's command; a string is split as a shell would",
    ),
    (
        "env_file",
        KeySupport::Supported,
        "paths relative to the first file's directory; `{path, required}` entries; values interpolated from the environment and `.env`",
    ),
    ("environment", KeySupport::Supported, ""),
    (
        "expose",
        KeySupport::Warned,
        "no networks to expose ports on",
    ),
    (
        "extends",
        KeySupport::Refused,
        "not in the v3 format `docker stack deploy` reads",
    ),
    (
        "external_links",
        KeySupport::Warned,
        "no networks to link on",
    ),
    (
        "extra_hosts",
        KeySupport::Supported,
        "a list of `NAME:IP` or `NAME=IP`, or a mapping",
    ),
    (
        "gpus",
        KeySupport::Refused,
        "not in the v3 format `docker stack deploy` reads",
    ),
    (
        "group_add",
        KeySupport::Refused,
        "not in the v3 format `docker stack deploy` reads",
    ),
    (
        "healthcheck",
        KeySupport::Differs,
        "`start_interval` needs Docker API 1.44: on an older engine its tasks are rejected, saying so",
    ),
    ("hostname", KeySupport::Supported, ""),
    (
        "image",
        KeySupport::Supported,
        "required: Shoal does not build",
    ),
    ("init", KeySupport::Supported, ""),
    (
        "ipc",
        KeySupport::Warned,
        "ignored by `docker stack deploy` too",
    ),
    (
        "isolation",
        KeySupport::Differs,
        "only `default`: the other values are Windows'",
    ),
    (
        "label_file",
        KeySupport::Refused,
        "not in the v3 format `docker stack deploy` reads",
    ),
    (
        "labels",
        KeySupport::Supported,
        "container labels (`deploy.labels` are the service's)",
    ),
    (
        "links",
        KeySupport::Warned,
        "ignored by `docker stack deploy` too",
    ),
    ("logging", KeySupport::Supported, ""),
    (
        "mac_address",
        KeySupport::Warned,
        "no MAC address in the container spec",
    ),
    (
        "mem_limit",
        KeySupport::Refused,
        "not in the v3 format `docker stack deploy` reads; use `deploy.resources.limits.memory`",
    ),
    (
        "mem_reservation",
        KeySupport::Refused,
        "not in the v3 format `docker stack deploy` reads; use `deploy.resources.reservations.memory`",
    ),
    (
        "mem_swappiness",
        KeySupport::Refused,
        "not in the v3 format `docker stack deploy` reads",
    ),
    (
        "memswap_limit",
        KeySupport::Refused,
        "not in the v3 format `docker stack deploy` reads",
    ),
    (
        "network_mode",
        KeySupport::Warned,
        "ignored by `docker stack deploy` too",
    ),
    (
        "networks",
        KeySupport::Warned,
        "no overlay networks yet: tasks use the engine's default network",
    ),
    (
        "oom_kill_disable",
        KeySupport::Refused,
        "not in the v3 format `docker stack deploy` reads",
    ),
    (
        "oom_score_adj",
        KeySupport::Refused,
        "not in the v3 format `docker stack deploy` reads",
    ),
    (
        "pid",
        KeySupport::Warned,
        "no PID namespace option in the container spec",
    ),
    (
        "pids_limit",
        KeySupport::Refused,
        "not in the v3 format `docker stack deploy` reads",
    ),
    (
        "platform",
        KeySupport::Warned,
        "images are not pulled by platform; use a `node.platform.*` constraint",
    ),
    (
        "ports",
        KeySupport::Differs,
        "host mode only (`mode: ingress` is published in host mode, with a warning); no random published ports",
    ),
    (
        "post_start",
        KeySupport::Refused,
        "not in the v3 format `docker stack deploy` reads",
    ),
    (
        "pre_stop",
        KeySupport::Refused,
        "not in the v3 format `docker stack deploy` reads",
    ),
    (
        "privileged",
        KeySupport::Warned,
        "no privileged option in the container spec",
    ),
    (
        "profiles",
        KeySupport::Refused,
        "a `docker compose` setting",
    ),
    (
        "provider",
        KeySupport::Refused,
        "a `docker compose` setting",
    ),
    (
        "pull_policy",
        KeySupport::Refused,
        "not in the v3 format `docker stack deploy` reads",
    ),
    ("read_only", KeySupport::Supported, ""),
    (
        "restart",
        KeySupport::Warned,
        "ignored by `docker stack deploy` too; use `deploy.restart_policy`",
    ),
    (
        "runtime",
        KeySupport::Refused,
        "not in the v3 format `docker stack deploy` reads",
    ),
    (
        "scale",
        KeySupport::Refused,
        "not in the v3 format `docker stack deploy` reads; use `deploy.replicas`",
    ),
    ("secrets", KeySupport::Warned, "no secrets in tasks yet"),
    (
        "security_opt",
        KeySupport::Warned,
        "no security options in the container spec",
    ),
    (
        "shm_size",
        KeySupport::Warned,
        "no shared memory size in the container spec",
    ),
    (
        "stdin_open",
        KeySupport::Warned,
        "tasks run without a terminal",
    ),
    ("stop_grace_period", KeySupport::Supported, ""),
    ("stop_signal", KeySupport::Supported, ""),
    (
        "storage_opt",
        KeySupport::Refused,
        "not in the v3 format `docker stack deploy` reads",
    ),
    ("sysctls", KeySupport::Supported, ""),
    (
        "tmpfs",
        KeySupport::Supported,
        "`/run` or `/run:size=64m,mode=1777`",
    ),
    ("tty", KeySupport::Warned, "tasks run without a terminal"),
    ("ulimits", KeySupport::Supported, ""),
    (
        "use_api_socket",
        KeySupport::Refused,
        "a `docker compose` setting",
    ),
    ("user", KeySupport::Supported, ""),
    (
        "userns_mode",
        KeySupport::Warned,
        "ignored by `docker stack deploy` too",
    ),
    (
        "uts",
        KeySupport::Refused,
        "not in the v3 format `docker stack deploy` reads",
    ),
    (
        "volumes",
        KeySupport::Differs,
        "binds relative to the first file's directory, absolute, `~/`, named volumes (`<stack>_<name>`), anonymous volumes and tmpfs; volume driver settings ignored with a warning",
    ),
    (
        "volumes_from",
        KeySupport::Refused,
        "not in the v3 format `docker stack deploy` reads",
    ),
    ("working_dir", KeySupport::Supported, ""),
    ("x-*", KeySupport::Supported, "extensions, ignored silently"),
];

/// A string (shell-split) or a list of arguments, as `command` and `entrypoint` take.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum StringOrList {
    String(String),
    List(Vec<String>),
}

/// `- K=V` entries or a `K: V` mapping (values may be numbers, booleans or null).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum ListOrMap {
    List(Vec<String>),
    Map(BTreeMap<String, Option<Scalar>>),
}

/// A scalar value of a mapping, kept as the text YAML would show.
#[derive(Clone, Debug, PartialEq)]
pub struct Scalar(pub String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, number or boolean")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// One service of `services:`. The `Option<IgnoredAny>` fields are keys Shoal does not
/// support: read so that they can be warned about, never used.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComposeService {
    pub image: Option<String>,
    pub command: Option<StringOrList>,
    pub entrypoint: Option<StringOrList>,
    pub environment: Option<ListOrMap>,
    pub env_file: Option<EnvFile>,
    pub labels: Option<ListOrMap>,
    #[serde(default)]
    pub ports: Vec<PortEntry>,
    pub healthcheck: Option<Healthcheck>,
    #[serde(default, deserialize_with = "duration")]
    pub stop_grace_period: Option<Duration>,
    #[serde(default)]
    pub volumes: Vec<VolumeEntry>,
    pub user: Option<String>,
    pub working_dir: Option<String>,
    pub hostname: Option<String>,
    pub stop_signal: Option<String>,
    pub deploy: Option<Deploy>,
    #[serde(default)]
    pub cap_add: Vec<String>,
    #[serde(default)]
    pub cap_drop: Vec<String>,
    pub sysctls: Option<ListOrMap>,
    #[serde(default)]
    pub ulimits: BTreeMap<String, UlimitEntry>,
    pub init: Option<bool>,
    pub read_only: Option<bool>,
    pub tmpfs: Option<StringOrList>,
    pub extra_hosts: Option<ListOrMap>,
    pub dns: Option<StringOrList>,
    pub dns_search: Option<StringOrList>,
    pub logging: Option<Logging>,
    pub isolation: Option<String>,
    // Not supported (see `load::SERVICE_UNSUPPORTED`).
    #[serde(rename = "build")]
    pub _build: Option<IgnoredAny>,
    #[serde(rename = "cgroup_parent")]
    pub _cgroup_parent: Option<IgnoredAny>,
    #[serde(rename = "configs")]
    pub _configs: Option<IgnoredAny>,
    #[serde(rename = "container_name")]
    pub _container_name: Option<IgnoredAny>,
    #[serde(rename = "credential_spec")]
    pub _credential_spec: Option<IgnoredAny>,
    #[serde(rename = "depends_on")]
    pub _depends_on: Option<IgnoredAny>,
    #[serde(rename = "devices")]
    pub _devices: Option<IgnoredAny>,
    #[serde(rename = "domainname")]
    pub _domainname: Option<IgnoredAny>,
    #[serde(rename = "expose")]
    pub _expose: Option<IgnoredAny>,
    #[serde(rename = "external_links")]
    pub _external_links: Option<IgnoredAny>,
    #[serde(rename = "ipc")]
    pub _ipc: Option<IgnoredAny>,
    #[serde(rename = "links")]
    pub _links: Option<IgnoredAny>,
    #[serde(rename = "mac_address")]
    pub _mac_address: Option<IgnoredAny>,
    #[serde(rename = "network_mode")]
    pub _network_mode: Option<IgnoredAny>,
    #[serde(rename = "networks")]
    pub _networks: Option<IgnoredAny>,
    #[serde(rename = "pid")]
    pub _pid: Option<IgnoredAny>,
    #[serde(rename = "platform")]
    pub _platform: Option<IgnoredAny>,
    #[serde(rename = "privileged")]
    pub _privileged: Option<IgnoredAny>,
    #[serde(rename = "restart")]
    pub _restart: Option<IgnoredAny>,
    #[serde(rename = "secrets")]
    pub _secrets: Option<IgnoredAny>,
    #[serde(rename = "security_opt")]
    pub _security_opt: Option<IgnoredAny>,
    #[serde(rename = "shm_size")]
    pub _shm_size: Option<IgnoredAny>,
    #[serde(rename = "stdin_open")]
    pub _stdin_open: Option<IgnoredAny>,
    #[serde(rename = "tty")]
    pub _tty: Option<IgnoredAny>,
    #[serde(rename = "userns_mode")]
    pub _userns_mode: Option<IgnoredAny>,
}

/// `nofile: 1024` (soft and hard) or `nofile: {soft: 1024, hard: 2048}`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum UlimitEntry {
    Single(Scalar),
    Pair { soft: Scalar, hard: Scalar },
}

/// `logging: {driver: json-file, options: {max-size: 1m}}`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Logging {
    pub driver: Option<String>,
    #[serde(default)]
    pub options: BTreeMap<String, Option<Scalar>>,
}

/// `env_file: a.env`, a list of paths, or of `{path, required}` (required by default).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum EnvFile {
    One(String),
    List(Vec<EnvFileEntry>),
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum EnvFileEntry {
    Path(String),
    Long(LongEnvFile),
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LongEnvFile {
    pub path: String,
    #[serde(default = "required")]
    pub required: bool,
}

fn required() -> bool {
    true
}

impl EnvFile {
    /// Each file's path and whether it must exist, in order.
    pub fn entries(&self) -> Vec<(&str, bool)> {
        match self {
            EnvFile::One(path) => vec![(path.as_str(), true)],
            EnvFile::List(list) => list
                .iter()
                .map(|e| match e {
                    EnvFileEntry::Path(p) => (p.as_str(), true),
                    EnvFileEntry::Long(l) => (l.path.as_str(), l.required),
                })
                .collect(),
        }
    }
}

/// `"8080:80"`, `"8080:80/udp"`, `8080` or the long form.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum PortEntry {
    Number(u32),
    Short(String),
    Long(LongPort),
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LongPort {
    pub target: u32,
    pub published: Option<Scalar>,
    pub protocol: Option<String>,
    pub mode: Option<String>,
    pub host_ip: Option<String>,
}

/// `./data:/data:ro`, `name:/data` or the long form.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum VolumeEntry {
    Short(String),
    Long(LongVolume),
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LongVolume {
    #[serde(rename = "type")]
    pub kind: String,
    pub source: Option<String>,
    pub target: String,
    #[serde(default)]
    pub read_only: bool,
    pub tmpfs: Option<LongTmpfs>,
}

/// `tmpfs: {size: 64m, mode: 1777}` of a long-form `type: tmpfs` volume (`mode` in octal).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LongTmpfs {
    #[serde(default, deserialize_with = "memory")]
    pub size: Option<u64>,
    pub mode: Option<Scalar>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Healthcheck {
    pub test: Option<StringOrList>,
    #[serde(default, deserialize_with = "duration")]
    pub interval: Option<Duration>,
    #[serde(default, deserialize_with = "duration")]
    pub timeout: Option<Duration>,
    pub retries: Option<u64>,
    #[serde(default, deserialize_with = "duration")]
    pub start_period: Option<Duration>,
    #[serde(default)]
    pub disable: bool,
    #[serde(default, deserialize_with = "duration")]
    pub start_interval: Option<Duration>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum DeployMode {
    #[default]
    Replicated,
    Global,
    ReplicatedJob,
    GlobalJob,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deploy {
    #[serde(default)]
    pub mode: DeployMode,
    pub replicas: Option<u64>,
    pub labels: Option<ListOrMap>,
    pub update_config: Option<Rollout>,
    pub rollback_config: Option<Rollout>,
    pub restart_policy: Option<Restart>,
    pub placement: Option<Placement>,
    pub resources: Option<Resources>,
    #[serde(rename = "endpoint_mode")]
    pub _endpoint_mode: Option<IgnoredAny>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rollout {
    pub parallelism: Option<u64>,
    #[serde(default, deserialize_with = "duration")]
    pub delay: Option<Duration>,
    pub failure_action: Option<FailureAction>,
    #[serde(default, deserialize_with = "duration")]
    pub monitor: Option<Duration>,
    pub max_failure_ratio: Option<f64>,
    pub order: Option<UpdateOrder>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Restart {
    pub condition: Option<RestartCondition>,
    #[serde(default, deserialize_with = "duration")]
    pub delay: Option<Duration>,
    pub max_attempts: Option<u64>,
    #[serde(default, deserialize_with = "duration")]
    pub window: Option<Duration>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Placement {
    #[serde(default)]
    pub constraints: Vec<String>,
    #[serde(default)]
    pub preferences: Vec<Spread>,
    pub max_replicas_per_node: Option<u64>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spread {
    pub spread: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    #[serde(default)]
    pub limits: Amounts,
    #[serde(default)]
    pub reservations: Amounts,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Amounts {
    #[serde(default, deserialize_with = "cpus")]
    pub cpus: Option<f64>,
    #[serde(default, deserialize_with = "memory")]
    pub memory: Option<u64>,
    #[serde(rename = "pids")]
    pub _pids: Option<IgnoredAny>,
    #[serde(rename = "devices")]
    pub _devices: Option<IgnoredAny>,
    #[serde(rename = "generic_resources")]
    pub _generic_resources: Option<IgnoredAny>,
}

fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    shoal_api::duration::serde_humane::deserialize(d).map(Some)
}

fn memory<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    shoal_api::size::serde_humane::deserialize(d).map(Some)
}

/// `"0.5"` (Compose writes it as a string) or `0.5`.
fn cpus<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = f64;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a number of CPUs like \"0.5\"")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
            v.trim()
                .parse()
                .map_err(|_| E::custom(format!("invalid number of CPUs {v:?}")))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
            Ok(v)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
            Ok(v as f64)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
            Ok(v as f64)
        }
    }
    d.deserialize_any(V).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::load::SERVICE_UNSUPPORTED;
    use std::collections::BTreeSet;

    /// The keys `ComposeService` accepts, from serde's own list in an unknown-field error.
    fn accepted() -> BTreeSet<String> {
        let e = serde_yaml::from_str::<ComposeService>("not_a_key: 1").unwrap_err();
        let e = e.to_string();
        let list = e
            .split("expected one of ")
            .nth(1)
            .expect("serde lists the fields");
        list.split(", ")
            .map(|k| k.trim_matches(|c: char| c == '`' || !c.is_ascii_graphic()))
            .map(|k| k.split('`').next().unwrap_or_default().to_string())
            .collect()
    }

    #[test]
    fn the_keys_table_matches_the_code() {
        let mut seen = BTreeSet::new();
        for (key, _, _) in SERVICE_KEYS {
            assert!(seen.insert(key), "{key} is listed twice");
        }
        let listed = |kinds: &[KeySupport]| -> BTreeSet<String> {
            SERVICE_KEYS
                .iter()
                .filter(|(k, s, _)| kinds.contains(s) && *k != "x-*")
                .map(|(k, _, _)| k.to_string())
                .collect()
        };
        use KeySupport::*;
        assert_eq!(
            listed(&[Supported, Differs, Warned]),
            accepted(),
            "the keys read or warned about are the keys ComposeService accepts"
        );
        let warned: BTreeSet<String> = SERVICE_UNSUPPORTED
            .iter()
            .filter(|k| !k.contains('.'))
            .map(|k| k.to_string())
            .collect();
        assert_eq!(
            listed(&[Warned]),
            warned,
            "warned keys are SERVICE_UNSUPPORTED's"
        );
        for (key, support, note) in SERVICE_KEYS {
            assert!(
                support == Supported || !note.is_empty(),
                "{key}: say why or how it differs"
            );
        }
    }

    #[test]
    fn the_readme_table_is_the_keys_table() {
        let readme = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"));
        let rows: Vec<(String, String, String)> = readme
            .lines()
            .filter_map(|line| {
                let cells: Vec<&str> = line
                    .strip_prefix("| `")?
                    .strip_suffix(" |")?
                    .split(" | ")
                    .collect();
                let [key, support, note] = cells[..] else {
                    return None;
                };
                let key = key.strip_suffix('`')?;
                if !["supported", "differs", "warned", "refused"].contains(&support) {
                    return None;
                }
                Some((key.to_string(), support.to_string(), note.to_string()))
            })
            .collect();
        let code: Vec<(String, String, String)> = SERVICE_KEYS
            .iter()
            .map(|(k, s, n)| (k.to_string(), s.word().to_string(), n.to_string()))
            .collect();
        assert_eq!(
            rows, code,
            "README's table of Compose service keys and SERVICE_KEYS differ"
        );
    }
}
