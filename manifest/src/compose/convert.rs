//! A Compose service as a Shoal service spec, without I/O. As `docker stack deploy` does:
//! the service is `<stack>_<name>` with the label `com.docker.stack.namespace=<stack>`;
//! `entrypoint` becomes the container's command and `command` its arguments (a string is
//! shell-split); top-level `labels` are container labels, `deploy.labels` service labels;
//! named volumes are `<stack>_<volume>`; bind sources are relative to the project directory.

use crate::compose::model::{
    ComposeService, DeployMode, Healthcheck, ListOrMap, PortEntry, Rollout, StringOrList,
    VolumeEntry,
};
use crate::shell_split::shell_split;
use shoal_api::{
    Amounts, ContainerSpec, HealthCheck, Mount, MountType, PortConfig, Preference, Protocol,
    Resources, RestartPolicy, ServiceMode, ServiceSpec, TaskTemplate, UpdateConfig,
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
            Ok((config, warning)) => {
                ports.push(config);
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

/// A published port, and a warning when its mode is not Shoal's (host).
pub fn port(entry: &PortEntry) -> Result<(PortConfig, Option<String>), String> {
    let needs_published = |raw: &str| {
        format!(
            "{raw:?} publishes no host port; Shoal has no ingress to pick one, write \
             PUBLISHED:TARGET"
        )
    };
    match entry {
        PortEntry::Number(n) => Err(needs_published(&n.to_string())),
        PortEntry::Short(raw) => {
            let (ports, proto) = match raw.split_once('/') {
                Some((ports, proto)) => (ports, Some(proto)),
                None => (raw.as_str(), None),
            };
            let parts: Vec<&str> = ports.split(':').collect();
            let [published, target] = parts[..] else {
                return Err(match parts.len() {
                    1 => needs_published(raw),
                    _ => format!("{raw:?}: expected PUBLISHED:TARGET[/tcp|udp] (no host IP)"),
                });
            };
            Ok((
                PortConfig {
                    published: number(raw, published)?,
                    target: number(raw, target)?,
                    protocol: protocol(proto)?,
                },
                None,
            ))
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
            Ok((
                PortConfig {
                    published: number(&published.0, &published.0)?,
                    target: long.target,
                    protocol: protocol(long.protocol.as_deref())?,
                },
                warning,
            ))
        }
    }
}

fn number(raw: &str, port: &str) -> Result<u32, String> {
    port.trim()
        .parse()
        .map_err(|_| format!("{port:?} in {raw:?} is not a port number (ranges are not supported)"))
}

fn protocol(raw: Option<&str>) -> Result<Protocol, String> {
    match raw {
        None | Some("tcp") => Ok(Protocol::Tcp),
        Some("udp") => Ok(Protocol::Udp),
        Some(other) => Err(format!("protocol {other:?} must be tcp or udp")),
    }
}

/// A bind mount (a source starting with `.`, `/` or `~`, relative ones resolved against
/// the project directory) or a named volume of the stack.
pub fn mount(entry: &VolumeEntry, stack: &str, project_dir: &Path) -> Result<Mount, String> {
    let (kind, source, target, readonly) = match entry {
        VolumeEntry::Short(raw) => {
            let parts: Vec<&str> = raw.split(':').collect();
            let (source, target, mode) = match parts[..] {
                [source, target] => (source, target, ""),
                [source, target, mode] => (source, target, mode),
                _ => {
                    return Err(format!(
                        "{raw:?}: expected SOURCE:TARGET[:ro|rw] (anonymous volumes are not \
                         supported)"
                    ));
                }
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
        VolumeEntry::Long(long) => {
            let Some(source) = long.source.clone() else {
                return Err("a source is required (anonymous volumes are not supported)".into());
            };
            (
                long.kind.as_str(),
                source,
                long.target.clone(),
                long.read_only,
            )
        }
    };
    match kind {
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
            })
        }
        "volume" => Ok(Mount {
            kind: MountType::Volume,
            source: format!("{stack}_{source}"),
            target,
            readonly,
        }),
        other => Err(format!("volume type {other:?} must be bind or volume")),
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

    #[test]
    fn ports_short_and_long() {
        let s = spec(
            "image: x\nports:\n  - '8080:80'\n  - 5353:53/udp\n  - {target: 443, published: 8443}\n  - {target: 9, published: '9009', protocol: udp, mode: host}\n",
        );
        let ports: Vec<String> = s
            .task
            .container
            .ports
            .iter()
            .map(|p| p.to_string())
            .collect();
        assert_eq!(
            ports,
            ["8080:80/tcp", "5353:53/udp", "8443:443/tcp", "9009:9/udp"]
        );
        let (p, warning) = port(&PortEntry::Long(crate::compose::model::LongPort {
            target: 80,
            published: Some(crate::compose::model::Scalar("80".into())),
            protocol: None,
            mode: Some("ingress".into()),
        }))
        .unwrap();
        assert_eq!(p.published, 80);
        assert!(warning.unwrap().contains("host mode"));
        let e = errors("image: x\nports: ['80', '127.0.0.1:80:80', '1:2/sctp', 8080]\n");
        let paths: Vec<&str> = e.iter().map(|n| n.path.as_str()).collect();
        assert_eq!(paths, ["ports[0]", "ports[1]", "ports[2]", "ports[3]"]);
        assert!(e[0].message.contains("publishes no host port"), "{e:?}");
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
        let e = errors("image: x\nvolumes: [/only, 'a:/b:zz']\n");
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
