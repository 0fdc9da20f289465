//! A Compose service as a Shoal service spec, without I/O. As `docker stack deploy` does:
//! the service is `<stack>_<name>` with the label `com.docker.stack.namespace=<stack>`;
//! `entrypoint` becomes the container's command and `command` its arguments (a string is
//! shell-split); top-level `labels` are container labels, `deploy.labels` service labels;
//! named volumes are `<stack>_<volume>`; bind sources are relative to the project directory;
//! a volume without a source is anonymous and `tmpfs:` entries are tmpfs mounts. Port
//! ranges become one port each. Engine options (capabilities, sysctls, ulimits, hosts, DNS,
//! logging...) are read as written; the spec validation checks their values.

use crate::compose::model::{
    ComposeService, DeployMode, Healthcheck, ListOrMap, PortEntry, Rollout, StringOrList,
    UlimitEntry, VolumeEntry,
};
use crate::shell_split::shell_split;
use shoal_api::{
    Amounts, ContainerSpec, HealthCheck, LogDriver, Mount, MountType, PortConfig, Preference,
    Resources, RestartPolicy, ServiceMode, ServiceSpec, TaskTemplate, Ulimit, UpdateConfig,
};
use std::collections::BTreeMap;
use std::path::Path;

/// Docker's stack label, set on every service of a stack.
pub const NAMESPACE_LABEL: &str = "com.docker.stack.namespace";

/// Something to say about a field of the service, at `path` below it (`ports[1]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub path: String,
    pub message: String,
}

fn note(path: impl Into<String>, message: impl Into<String>) -> Note {
    Note {
        path: path.into(),
        message: message.into(),
    }
}

/// The spec of service `name` of `stack`, and warnings; or every problem found.
pub fn to_spec(
    stack: &str,
    name: &str,
    svc: &ComposeService,
    project_dir: &Path,
) -> Result<(ServiceSpec, Vec<Note>), Vec<Note>> {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let image = svc.image.clone().unwrap_or_default();
    if image.is_empty() {
        errors.push(note("image", "an image is required (Shoal does not build)"));
    }
    let command = args(svc.entrypoint.as_ref(), "entrypoint", &mut errors);
    let args = args(svc.command.as_ref(), "command", &mut errors);
    let mut container_labels = pairs(svc.labels.as_ref(), "labels", &mut errors);
    container_labels.insert(NAMESPACE_LABEL.into(), stack.into());
    let deploy = svc.deploy.clone().unwrap_or_default();
    let mut labels = pairs(deploy.labels.as_ref(), "deploy.labels", &mut errors);
    labels.insert(NAMESPACE_LABEL.into(), stack.into());
    let mut ports = Vec::new();
    for (i, p) in svc.ports.iter().enumerate() {
        match port(p) {
            Ok((configs, warning)) => {
                ports.extend(configs);
                warnings.extend(warning.map(|w| note(format!("ports[{i}]"), w)));
            }
            Err(e) => errors.push(note(format!("ports[{i}]"), e)),
        }
    }
    let mut mounts = Vec::new();
    for (i, v) in svc.volumes.iter().enumerate() {
        match mount(v, stack, project_dir) {
            Ok(m) => mounts.push(m),
            Err(e) => errors.push(note(format!("volumes[{i}]"), e)),
        }
    }
    let tmpfs = match &svc.tmpfs {
        None => Vec::new(),
        Some(StringOrList::String(one)) => vec![one.clone()],
        Some(StringOrList::List(list)) => list.clone(),
    };
    for (i, raw) in tmpfs.iter().enumerate() {
        match Mount::parse_tmpfs(raw) {
            Ok(m) => mounts.push(m),
            Err(e) => errors.push(note(format!("tmpfs[{i}]"), e)),
        }
    }
    let mut ulimits = Vec::new();
    for (name, entry) in &svc.ulimits {
        match ulimit(name, entry) {
            Ok(u) => ulimits.push(u),
            Err(e) => errors.push(note(format!("ulimits.{name}"), e)),
        }
    }
    let sysctls = match svc.sysctls.as_ref() {
        Some(ListOrMap::List(list)) => {
            let mut out = BTreeMap::new();
            for (i, entry) in list.iter().enumerate() {
                match entry.split_once('=') {
                    Some((k, v)) => {
                        out.insert(k.trim().to_string(), v.trim().to_string());
                    }
                    None => errors.push(note(
                        format!("sysctls[{i}]"),
                        format!("expected NAME=VALUE, got {entry:?}"),
                    )),
                }
            }
            out
        }
        other => pairs(other, "sysctls", &mut errors),
    };
    let mut extra_hosts = Vec::new();
    match &svc.extra_hosts {
        None => {}
        Some(ListOrMap::List(list)) => {
            for (i, entry) in list.iter().enumerate() {
                match shoal_api::container::parse_extra_host(entry) {
                    Ok(h) => extra_hosts.push(h),
                    Err(e) => errors.push(note(format!("extra_hosts[{i}]"), e)),
                }
            }
        }
        Some(ListOrMap::Map(map)) => {
            for (name, ip) in map {
                match ip {
                    Some(ip) => extra_hosts.push(format!("{name}:{}", ip.0)),
                    None => errors.push(note(format!("extra_hosts.{name}"), "needs an IP")),
                }
            }
        }
    }
    let logging = match &svc.logging {
        None => None,
        Some(l) => match &l.driver {
            Some(driver) => Some(LogDriver {
                name: driver.clone(),
                options: l
                    .options
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            v.as_ref().map(|v| v.0.clone()).unwrap_or_default(),
                        )
                    })
                    .collect(),
            }),
            None if l.options.is_empty() => None,
            None => {
                errors.push(note(
                    "logging.driver",
                    "options need a driver (Shoal cannot see the engine's default)",
                ));
                None
            }
        },
    };
    let healthcheck = match &svc.healthcheck {
        Some(h) => healthcheck(h)
            .map_err(|e| errors.push(note("healthcheck", e)))
            .ok(),
        None => None,
    };
    let container = ContainerSpec {
        image,
        command,
        args,
        env: env(svc.environment.as_ref()),
        labels: container_labels,
        user: svc.user.clone().unwrap_or_default(),
        workdir: svc.working_dir.clone().unwrap_or_default(),
        hostname: svc.hostname.clone().unwrap_or_default(),
        mounts,
        stop_signal: svc.stop_signal.clone().unwrap_or_default(),
        stop_grace_period: svc
            .stop_grace_period
            .unwrap_or_else(shoal_api::container::default_stop_grace),
        healthcheck,
        ports,
        cap_add: svc.cap_add.clone(),
        cap_drop: svc.cap_drop.clone(),
        sysctls,
        ulimits,
        init: svc.init,
        read_only: svc.read_only.unwrap_or(false),
        extra_hosts,
        dns: list(svc.dns.as_ref()),
        dns_search: list(svc.dns_search.as_ref()),
        dns_options: Vec::new(),
        group_add: Vec::new(),
        logging,
        isolation: svc.isolation.clone().unwrap_or_default(),
    };
    let replicas = deploy.replicas.unwrap_or(1);
    let mode = match deploy.mode {
        DeployMode::Replicated => ServiceMode::Replicated { replicas },
        DeployMode::Global => ServiceMode::Global {},
        DeployMode::ReplicatedJob => ServiceMode::ReplicatedJob {
            max_concurrent: replicas,
            total_completions: Some(replicas),
        },
        DeployMode::GlobalJob => ServiceMode::GlobalJob {},
    };
    if deploy.replicas.is_some()
        && matches!(deploy.mode, DeployMode::Global | DeployMode::GlobalJob)
    {
        errors.push(note(
            "deploy.replicas",
            "replicas cannot be set for a global service",
        ));
    }
    let mut restart = RestartPolicy::default();
    if let Some(r) = &deploy.restart_policy {
        restart.condition = r.condition.unwrap_or(restart.condition);
        restart.delay = r.delay.unwrap_or(restart.delay);
        restart.max_attempts = r.max_attempts.unwrap_or(restart.max_attempts);
        restart.window = r.window.unwrap_or(restart.window);
    }
    let mut placement = shoal_api::Placement::default();
    if let Some(p) = &deploy.placement {
        placement.constraints = p.constraints.clone();
        placement.preferences = p
            .preferences
            .iter()
            .map(|s| Preference {
                spread: s.spread.clone(),
            })
            .collect();
        placement.max_replicas_per_node = p.max_replicas_per_node.unwrap_or(0);
    }
    let resources = match &deploy.resources {
        Some(r) => Resources {
            limits: amounts(&r.limits),
            reservations: amounts(&r.reservations),
        },
        None => Resources::default(),
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let spec = ServiceSpec {
        name: format!("{stack}_{name}"),
        labels,
        task: TaskTemplate {
            container,
            restart,
            placement,
            resources,
            force_update: 0,
        },
        mode,
        update: rollout(deploy.update_config.as_ref()),
        rollback: rollout(deploy.rollback_config.as_ref()),
    };
    Ok((spec, warnings))
}

/// A string is one element (`dns: 10.0.0.53`), a list is the list.
fn list(value: Option<&StringOrList>) -> Vec<String> {
    match value {
        None => Vec::new(),
        Some(StringOrList::String(one)) => vec![one.clone()],
        Some(StringOrList::List(list)) => list.clone(),
    }
}

/// `nofile: 1024` (both limits) or `{soft, hard}`.
fn ulimit(name: &str, entry: &UlimitEntry) -> Result<Ulimit, String> {
    let number = |v: &crate::compose::model::Scalar| {
        v.0.trim()
            .parse::<i64>()
            .map_err(|_| format!("{:?} is not a number", v.0))
    };
    let (soft, hard) = match entry {
        UlimitEntry::Single(v) => (number(v)?, number(v)?),
        UlimitEntry::Pair { soft, hard } => (number(soft)?, number(hard)?),
    };
    Ok(Ulimit {
        name: name.to_string(),
        soft,
        hard,
    })
}

fn args(value: Option<&StringOrList>, path: &str, errors: &mut Vec<Note>) -> Vec<String> {
    match value {
        None => Vec::new(),
        Some(StringOrList::List(list)) => list.clone(),
        Some(StringOrList::String(line)) => shell_split(line).unwrap_or_else(|e| {
            errors.push(note(path, e.to_string()));
            Vec::new()
        }),
    }
}

/// `KEY=VALUE` entries in file order (list) or key order (map); a key without a value is
/// passed as `KEY`.
pub fn env(value: Option<&ListOrMap>) -> Vec<String> {
    match value {
        None => Vec::new(),
        Some(ListOrMap::List(list)) => list.clone(),
        Some(ListOrMap::Map(map)) => map
            .iter()
            .map(|(k, v)| match v {
                Some(v) => format!("{k}={}", v.0),
                None => k.clone(),
            })
            .collect(),
    }
}

/// Labels from `- K=V` (a bare `K` is an empty value, as in Docker) or a mapping.
fn pairs(
    value: Option<&ListOrMap>,
    path: &str,
    errors: &mut Vec<Note>,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    match value {
        None => {}
        Some(ListOrMap::List(list)) => {
            for (i, entry) in list.iter().enumerate() {
                let (k, v) = entry.split_once('=').unwrap_or((entry, ""));
                if k.is_empty() {
                    errors.push(note(format!("{path}[{i}]"), "a label needs a key"));
                }
                out.insert(k.to_string(), v.to_string());
            }
        }
        Some(ListOrMap::Map(map)) => {
            for (k, v) in map {
                out.insert(
                    k.clone(),
                    v.as_ref().map(|v| v.0.clone()).unwrap_or_default(),
                );
            }
        }
    }
    out
}

/// A published port (one per port of a range), and a warning when its mode is not Shoal's
/// (host).
pub fn port(entry: &PortEntry) -> Result<(Vec<PortConfig>, Option<String>), String> {
    let needs_published = |raw: &str| {
        format!(
            "{raw:?} publishes no host port; Shoal has no ingress to pick one, write \
             PUBLISHED:TARGET"
        )
    };
    match entry {
        PortEntry::Number(n) => Err(needs_published(&n.to_string())),
        PortEntry::Short(raw) => {
            let ports = raw.rsplit_once('/').map_or(raw.as_str(), |(p, _)| p);
            if !ports.contains(':') {
                return Err(needs_published(raw));
            }
            Ok((shoal_api::ports::parse_short(raw)?, None))
        }
        PortEntry::Long(long) => {
            let Some(published) = &long.published else {
                return Err(needs_published(&long.target.to_string()));
            };
            let warning = match long.mode.as_deref() {
                None | Some("host") => None,
                Some("ingress") => Some(
                    "mode ingress is not supported by Shoal; the port is published in host \
                     mode"
                        .to_string(),
                ),
                Some(other) => return Err(format!("mode {other:?} must be host or ingress")),
            };
            let published = published.0.trim();
            let port = PortConfig {
                published: published
                    .parse()
                    .map_err(|_| format!("published {published:?} is not a port number"))?,
                target: long.target,
                protocol: shoal_api::ports::parse_protocol(long.protocol.as_deref())?,
                host_ip: long.host_ip.clone().unwrap_or_default(),
            };
            Ok((vec![port], warning))
        }
    }
}

/// A bind mount (a source starting with `.`, `/` or `~`, relative ones resolved against
/// the project directory) or a named volume of the stack.
pub fn mount(entry: &VolumeEntry, stack: &str, project_dir: &Path) -> Result<Mount, String> {
    let (kind, source, target, readonly) = match entry {
        VolumeEntry::Short(raw) => {
            let parts: Vec<&str> = raw.split(':').collect();
            let (source, target, mode) = match parts[..] {
                [target] => ("", target, ""),
                [source, target] => (source, target, ""),
                [source, target, mode] => (source, target, mode),
                _ => return Err(format!("{raw:?}: expected [SOURCE:]TARGET[:ro|rw]")),
            };
            let readonly = match mode {
                "" | "rw" => false,
                "ro" => true,
                other => return Err(format!("{raw:?}: mode {other:?} must be ro or rw")),
            };
            let bind = source.starts_with(['.', '/', '~']);
            let kind = if bind { "bind" } else { "volume" };
            (kind, source.to_string(), target.to_string(), readonly)
        }
        VolumeEntry::Long(long) if long.kind == "tmpfs" => {
            if long.source.is_some() {
                return Err("a tmpfs takes no source".into());
            }
            let (size, mode) = match &long.tmpfs {
                Some(t) => (
                    t.size.unwrap_or(0),
                    t.mode
                        .as_ref()
                        .map(|m| shoal_api::container::parse_mode(&m.0))
                        .transpose()?,
                ),
                None => (0, None),
            };
            return Ok(Mount {
                kind: MountType::Tmpfs,
                target: long.target.clone(),
                readonly: long.read_only,
                tmpfs_size: size,
                tmpfs_mode: mode,
                ..Mount::default()
            });
        }
        VolumeEntry::Long(long) => {
            if long.tmpfs.is_some() {
                return Err("tmpfs settings are for type: tmpfs".into());
            }
            (
                long.kind.as_str(),
                long.source.clone().unwrap_or_default(),
                long.target.clone(),
                long.read_only,
            )
        }
    };
    match kind {
        "bind" if source.is_empty() => Err("a bind mount needs a source".into()),
        "volume" if source.is_empty() => Ok(Mount {
            kind: MountType::Volume,
            target,
            readonly,
            ..Mount::default()
        }),
        "bind" => {
            let path = match source.strip_prefix('~') {
                Some(rest) => match std::env::var_os("HOME") {
                    Some(home) => Path::new(&home).join(rest.trim_start_matches('/')),
                    None => return Err(format!("{source:?}: HOME is not set")),
                },
                None => project_dir.join(&source),
            };
            Ok(Mount {
                kind: MountType::Bind,
                source: normalize(&path),
                target,
                readonly,
                ..Mount::default()
            })
        }
        "volume" => Ok(Mount {
            kind: MountType::Volume,
            source: format!("{stack}_{source}"),
            target,
            readonly,
            ..Mount::default()
        }),
        other => Err(format!(
            "volume type {other:?} must be bind, volume or tmpfs"
        )),
    }
}

/// `/a/./b/../c` -> `/a/c`, without touching the file system.
fn normalize(path: &Path) -> String {
    use std::path::Component;
    let mut out = std::path::PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out.display().to_string()
}

/// The container's check; an empty `test` keeps the image's command with these timings.
pub fn healthcheck(h: &Healthcheck) -> Result<HealthCheck, String> {
    if h.disable {
        return Ok(HealthCheck::disabled());
    }
    let test = match &h.test {
        None => Vec::new(),
        Some(StringOrList::String(cmd)) => HealthCheck::shell(cmd),
        Some(StringOrList::List(list)) => {
            match list.first().map(String::as_str) {
                Some("NONE") => return Ok(HealthCheck::disabled()),
                Some("CMD" | "CMD-SHELL") => {}
                _ => return Err("test must start with CMD, CMD-SHELL or NONE".into()),
            }
            list.clone()
        }
    };
    Ok(HealthCheck {
        test,
        interval: h.interval.unwrap_or_default(),
        timeout: h.timeout.unwrap_or_default(),
        retries: h.retries.unwrap_or_default(),
        start_period: h.start_period.unwrap_or_default(),
        start_interval: h.start_interval.unwrap_or_default(),
    })
}

fn amounts(a: &crate::compose::model::Amounts) -> Amounts {
    Amounts {
        cpus: a.cpus.unwrap_or(0.0),
        memory: a.memory.unwrap_or(0),
    }
}

fn rollout(r: Option<&Rollout>) -> UpdateConfig {
    let mut c = UpdateConfig::default();
    if let Some(r) = r {
        c.parallelism = r.parallelism.unwrap_or(c.parallelism);
        c.delay = r.delay.unwrap_or(c.delay);
        c.failure_action = r.failure_action.unwrap_or(c.failure_action);
        c.monitor = r.monitor.unwrap_or(c.monitor);
        c.max_failure_ratio = r.max_failure_ratio.unwrap_or(c.max_failure_ratio);
        c.order = r.order.unwrap_or(c.order);
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use shoal_api::{RestartCondition, UpdateOrder};
    use std::time::Duration;

    fn service(yaml: &str) -> ComposeService {
        serde_yaml::from_str(yaml).unwrap()
    }

    fn spec(yaml: &str) -> ServiceSpec {
        to_spec("shop", "web", &service(yaml), Path::new("/srv/shop"))
            .unwrap()
            .0
    }

    fn errors(yaml: &str) -> Vec<Note> {
        to_spec("shop", "web", &service(yaml), Path::new("/srv/shop")).unwrap_err()
    }

    #[test]
    fn names_and_labels_the_service_as_docker_does() {
        let s =
            spec("image: x:1\nlabels: [tier=front, bare]\ndeploy:\n  labels: {team: a, n: 3}\n");
        assert_eq!(s.name, "shop_web");
        assert_eq!(s.labels.get(NAMESPACE_LABEL).unwrap(), "shop");
        assert_eq!(s.labels.get("n").unwrap(), "3");
        assert!(!s.labels.contains_key("tier"));
        let c = &s.task.container;
        assert_eq!(c.labels.get("tier").unwrap(), "front");
        assert_eq!(c.labels.get("bare").unwrap(), "");
        assert_eq!(s.mode, ServiceMode::Replicated { replicas: 1 });
    }

    #[test]
    fn environment_as_a_list_or_a_map() {
        let s = spec("image: x\nenvironment: [A=1, B=two words, C]\n");
        assert_eq!(s.task.container.env, ["A=1", "B=two words", "C"]);
        let s = spec("image: x\nenvironment: {B: 2, A: 'x=y', T: true, N: null}\n");
        assert_eq!(s.task.container.env, ["A=x=y", "B=2", "N", "T=true"]);
    }

    #[test]
    fn command_strings_are_shell_split_and_entrypoint_is_the_command() {
        let s = spec("image: x\nentrypoint: /bin/sh -c\ncommand: \"echo 'hello world'\"\n");
        assert_eq!(s.task.container.command, ["/bin/sh", "-c"]);
        assert_eq!(s.task.container.args, ["echo", "hello world"]);
        let s = spec("image: x\ncommand: [sh, -c, 'echo a; echo b']\n");
        assert_eq!(s.task.container.args, ["sh", "-c", "echo a; echo b"]);
        assert!(s.task.container.command.is_empty());
        let e = errors("image: x\ncommand: \"echo 'oops\"\n");
        assert_eq!(e[0].path, "command");
    }

    fn port_strings(s: &ServiceSpec) -> Vec<String> {
        s.task
            .container
            .ports
            .iter()
            .map(|p| p.to_string())
            .collect()
    }

    #[test]
    fn ports_short_and_long() {
        let s = spec(
            "image: x\nports:\n  - '8080:80'\n  - 5353:53/udp\n  - {target: 443, published: 8443}\n  - {target: 9, published: '9009', protocol: udp, mode: host}\n",
        );
        let ports = port_strings(&s);
        assert_eq!(
            ports,
            ["8080:80/tcp", "5353:53/udp", "8443:443/tcp", "9009:9/udp"]
        );
        let (p, warning) = port(&PortEntry::Long(crate::compose::model::LongPort {
            target: 80,
            published: Some(crate::compose::model::Scalar("80".into())),
            protocol: None,
            mode: Some("ingress".into()),
            host_ip: None,
        }))
        .unwrap();
        assert_eq!(p[0].published, 80);
        assert!(warning.unwrap().contains("host mode"));
        let e =
            errors("image: x\nports: ['80', '8000-8002:80-81', '1:2/sctp', 8080, '80-81/udp']\n");
        let paths: Vec<&str> = e.iter().map(|n| n.path.as_str()).collect();
        assert_eq!(
            paths,
            ["ports[0]", "ports[1]", "ports[2]", "ports[3]", "ports[4]"]
        );
        assert!(e[0].message.contains("publishes no host port"), "{e:?}");
        assert!(e[1].message.contains("same length"), "{e:?}");
    }

    #[test]
    fn port_ranges_and_host_addresses() {
        let s = spec(
            "image: x\nports:\n  - '8000-8002:80-82'\n  - 127.0.0.1:8080:80\n  - '[::1]:9000:90/udp'\n  - {target: 443, published: 8443, host_ip: 127.0.0.2}\n",
        );
        let ports = port_strings(&s);
        assert_eq!(
            ports,
            [
                "8000:80/tcp",
                "8001:81/tcp",
                "8002:82/tcp",
                "127.0.0.1:8080:80/tcp",
                "[::1]:9000:90/udp",
                "127.0.0.2:8443:443/tcp"
            ]
        );
    }

    #[test]
    fn engine_options() {
        let s = spec(
            "image: x
cap_add: [NET_ADMIN]
cap_drop: [MKNOD]
sysctls: {net.ipv4.ip_forward: 1}
ulimits:
  nproc: 512
  nofile: {soft: 1024, hard: 2048}
init: true
read_only: true
extra_hosts: ['db:10.0.0.2', 'cache=10.0.0.3']
dns: 10.0.0.53
dns_search: [example.com]
logging: {driver: json-file, options: {max-size: 1m, max-file: 2}}
isolation: default
",
        );
        let c = &s.task.container;
        assert_eq!(
            (&c.cap_add[..], &c.cap_drop[..]),
            (&["NET_ADMIN".to_string()][..], &["MKNOD".to_string()][..])
        );
        assert_eq!(c.sysctls["net.ipv4.ip_forward"], "1");
        let limits: Vec<(&str, i64, i64)> = c
            .ulimits
            .iter()
            .map(|u| (u.name.as_str(), u.soft, u.hard))
            .collect();
        assert_eq!(limits, [("nofile", 1024, 2048), ("nproc", 512, 512)]);
        assert_eq!((c.init, c.read_only), (Some(true), true));
        assert_eq!(c.extra_hosts, ["db:10.0.0.2", "cache:10.0.0.3"]);
        assert_eq!(c.dns, ["10.0.0.53"]);
        assert_eq!(c.dns_search, ["example.com"]);
        let log = c.logging.as_ref().unwrap();
        assert_eq!(log.name, "json-file");
        assert_eq!(log.options["max-file"], "2");
        assert_eq!(c.isolation, "default");
        let s = spec("image: x\nsysctls: [net.core.somaxconn=1024]\nextra_hosts: {db: 10.0.0.2}\n");
        assert_eq!(s.task.container.sysctls["net.core.somaxconn"], "1024");
        assert_eq!(s.task.container.extra_hosts, ["db:10.0.0.2"]);
        let e = errors(
            "image: x\nsysctls: [net.core.somaxconn]\nulimits: {nofile: lots}\nextra_hosts: [db]\nlogging: {options: {a: b}}\n",
        );
        let paths: Vec<&str> = e.iter().map(|n| n.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "ulimits.nofile",
                "sysctls[0]",
                "extra_hosts[0]",
                "logging.driver"
            ]
        );
    }

    #[test]
    fn tmpfs_anonymous_volumes_and_start_interval() {
        let s = spec(
            "image: x\ntmpfs: [/run, '/tmp:size=64m,mode=1777']\nvolumes:\n  - /data\n  - {type: volume, target: /cache}\n  - {type: tmpfs, target: /scratch, tmpfs: {size: 1m, mode: 700}}\nhealthcheck: {test: [CMD, 'true'], start_period: 10s, start_interval: 1s}\n",
        );
        let m = &s.task.container.mounts;
        let kinds: Vec<(MountType, &str, &str)> = m
            .iter()
            .map(|m| (m.kind, m.source.as_str(), m.target.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                (MountType::Volume, "", "/data"),
                (MountType::Volume, "", "/cache"),
                (MountType::Tmpfs, "", "/scratch"),
                (MountType::Tmpfs, "", "/run"),
                (MountType::Tmpfs, "", "/tmp"),
            ]
        );
        assert_eq!((m[2].tmpfs_size, m[2].tmpfs_mode), (1 << 20, Some(0o700)));
        assert_eq!((m[4].tmpfs_size, m[4].tmpfs_mode), (64 << 20, Some(0o1777)));
        let h = s.task.container.healthcheck.unwrap();
        assert_eq!(h.start_interval, Duration::from_secs(1));
        let e = errors(
            "image: x\ntmpfs: ['/run:size=big']\nvolumes: [{type: tmpfs, source: a, target: /b}]\n",
        );
        let paths: Vec<&str> = e.iter().map(|n| n.path.as_str()).collect();
        assert_eq!(paths, ["volumes[0]", "tmpfs[0]"]);
    }

    #[test]
    fn healthcheck_forms() {
        let s = spec(
            "image: x\nhealthcheck:\n  test: wget -q http://localhost/\n  interval: 1m30s\n  timeout: 5s\n  retries: 3\n  start_period: 10s\n",
        );
        let h = s.task.container.healthcheck.unwrap();
        assert_eq!(h.test, ["CMD-SHELL", "wget -q http://localhost/"]);
        assert_eq!(h.interval, Duration::from_secs(90));
        assert_eq!((h.timeout, h.retries), (Duration::from_secs(5), 3));
        assert_eq!(h.start_period, Duration::from_secs(10));
        let s = spec("image: x\nhealthcheck:\n  test: [CMD, curl, -f, http://x/]\n");
        assert_eq!(
            s.task.container.healthcheck.unwrap().test,
            ["CMD", "curl", "-f", "http://x/"]
        );
        for off in ["disable: true", "test: [NONE]"] {
            let s = spec(&format!("image: x\nhealthcheck:\n  {off}\n"));
            assert!(s.task.container.healthcheck.unwrap().is_disabled(), "{off}");
        }
        assert_eq!(
            errors("image: x\nhealthcheck: {test: [curl]}\n")[0].path,
            "healthcheck"
        );
    }

    #[test]
    fn volumes_bind_relative_to_the_project_and_named_in_the_stack() {
        let s = spec("image: x\nvolumes: [./data:/data:ro, '/abs/../etc:/etc2', 'db:/var/db']\n");
        let m = &s.task.container.mounts;
        assert_eq!(
            (
                m[0].kind,
                m[0].source.as_str(),
                m[0].target.as_str(),
                m[0].readonly
            ),
            (MountType::Bind, "/srv/shop/data", "/data", true)
        );
        assert_eq!((m[1].source.as_str(), m[1].readonly), ("/etc", false));
        assert_eq!(
            (m[2].kind, m[2].source.as_str()),
            (MountType::Volume, "shop_db")
        );
        let e = errors("image: x\nvolumes: ['a:/b:zz', 'a:b:c:d']\n");
        assert_eq!(e.len(), 2);
    }

    #[test]
    fn deploy_settings() {
        let s = spec(
            "image: x\nstop_grace_period: 1m\ndeploy:\n  replicas: 3\n  update_config: {parallelism: 2, delay: 10s, order: start-first, failure_action: rollback, monitor: 30s, max_failure_ratio: 0.3}\n  rollback_config: {parallelism: 0}\n  restart_policy: {condition: on-failure, delay: 5s, max_attempts: 3, window: 2m}\n  placement:\n    constraints: [node.role == manager]\n    preferences: [{spread: node.labels.zone}]\n    max_replicas_per_node: 2\n  resources:\n    limits: {cpus: '0.5', memory: 512M}\n    reservations: {cpus: 0.25, memory: 1G}\n",
        );
        assert_eq!(s.mode, ServiceMode::Replicated { replicas: 3 });
        assert_eq!(s.task.container.stop_grace_period, Duration::from_secs(60));
        assert_eq!(
            (s.update.parallelism, s.update.order),
            (2, UpdateOrder::StartFirst)
        );
        assert_eq!(s.update.monitor, Duration::from_secs(30));
        assert_eq!(s.rollback.parallelism, 0);
        assert_eq!(s.task.restart.condition, RestartCondition::OnFailure);
        assert_eq!(s.task.restart.window, Duration::from_secs(120));
        assert_eq!(s.task.placement.constraints, ["node.role == manager"]);
        assert_eq!(s.task.placement.preferences[0].spread, "node.labels.zone");
        assert_eq!(s.task.placement.max_replicas_per_node, 2);
        assert_eq!(s.task.resources.limits.cpus, 0.5);
        assert_eq!(s.task.resources.limits.memory, 512 << 20);
        assert_eq!(s.task.resources.reservations.memory, 1 << 30);
        let job = spec("image: x\ndeploy: {mode: replicated-job, replicas: 2}\n");
        assert_eq!(
            job.mode,
            ServiceMode::ReplicatedJob {
                max_concurrent: 2,
                total_completions: Some(2)
            }
        );
        assert_eq!(
            spec("image: x\ndeploy: {mode: global}\n").mode,
            ServiceMode::Global {}
        );
        assert_eq!(
            errors("image: x\ndeploy: {mode: global, replicas: 2}\n")[0].path,
            "deploy.replicas"
        );
        assert_eq!(errors("command: x\n")[0].path, "image");
    }
}
