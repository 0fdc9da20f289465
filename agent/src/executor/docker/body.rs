//! The Docker create body for a task, pure: Shoal's labels, the command, environment,
//! identity (user, working dir, hostname, groups), mounts (bind, volume, tmpfs), resource
//! limits (and the memory reservation, as a soft limit), the stop signal and timeout, the
//! health check, published ports (host port bindings, on the port's own address if it has
//! one) and the engine options: capabilities (as `CAP_NAME`), sysctls, ulimits, init, a
//! read-only root, hosts entries, DNS, the log driver and isolation. Docker stops the
//! container with its configured stop signal, so `stop` needs nothing more.

use super::labels;
use bollard::models::{
    ContainerCreateBody, HealthConfig, HostConfig, HostConfigIsolationEnum, HostConfigLogConfig,
    Mount, MountTmpfsOptions, MountType, PortBinding, PortMap, ResourcesUlimits,
};
use shoal_api::validate::normalize_capability;
use shoal_api::{HealthCheck, MountType as Kind, NodeId, PortConfig, Task};
use std::collections::HashMap;
use std::time::Duration;

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

fn nanos(d: Duration) -> Option<i64> {
    (!d.is_zero()).then(|| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// Docker's health config; zeros are left out so the image's settings apply.
fn health_config(h: &HealthCheck) -> HealthConfig {
    HealthConfig {
        test: (!h.test.is_empty()).then(|| h.test.clone()),
        interval: nanos(h.interval),
        timeout: nanos(h.timeout),
        retries: (h.retries > 0).then(|| h.retries.min(i64::MAX as u64) as i64),
        start_period: nanos(h.start_period),
        start_interval: nanos(h.start_interval),
    }
}

/// Exposed ports (`80/tcp`) and their bindings to host ports; one container port may be
/// published on several host ports.
fn port_bindings(ports: &[PortConfig], host_ip: Option<&str>) -> (Vec<String>, PortMap) {
    let mut exposed = Vec::new();
    let mut map = PortMap::new();
    for p in ports {
        let key = format!("{}/{}", p.target, p.protocol);
        if !exposed.contains(&key) {
            exposed.push(key.clone());
        }
        map.entry(key)
            .or_insert_with(|| Some(Vec::new()))
            .get_or_insert_with(Vec::new)
            .push(PortBinding {
                host_ip: non_empty(&p.host_ip).or_else(|| host_ip.map(str::to_string)),
                host_port: Some(p.published.to_string()),
            });
    }
    (exposed, map)
}

/// `host_ip`: the address published ports bind to (`None`: Docker's default, all).
pub fn container_body(task: &Task, node_id: &NodeId, host_ip: Option<&str>) -> ContainerCreateBody {
    let c = &task.spec.container;
    let mut labels: HashMap<String, String> = c.labels.clone().into_iter().collect();
    labels.insert(labels::SERVICE_ID.into(), task.service_id.to_string());
    labels.insert(labels::SERVICE_NAME.into(), task.service_name.clone());
    labels.insert(labels::TASK_ID.into(), task.id.to_string());
    labels.insert(labels::TASK_SLOT.into(), task.slot.to_string());
    labels.insert(labels::NODE_ID.into(), node_id.to_string());
    let mounts: Vec<Mount> = c
        .mounts
        .iter()
        .map(|m| Mount {
            target: Some(m.target.clone()),
            source: non_empty(&m.source),
            typ: Some(match m.kind {
                Kind::Bind => MountType::BIND,
                Kind::Volume => MountType::VOLUME,
                Kind::Tmpfs => MountType::TMPFS,
            }),
            read_only: Some(m.readonly),
            tmpfs_options: (m.kind == Kind::Tmpfs).then(|| MountTmpfsOptions {
                size_bytes: (m.tmpfs_size > 0).then(|| m.tmpfs_size.min(i64::MAX as u64) as i64),
                mode: m.tmpfs_mode.map(i64::from),
                ..Default::default()
            }),
            ..Default::default()
        })
        .collect();
    let list = |v: &[String]| (!v.is_empty()).then(|| v.to_vec());
    let caps = |v: &[String]| {
        (!v.is_empty()).then(|| {
            v.iter()
                .map(|c| normalize_capability(c).unwrap_or_else(|| c.clone()))
                .collect::<Vec<_>>()
        })
    };
    let ulimits: Vec<ResourcesUlimits> = c
        .ulimits
        .iter()
        .map(|u| ResourcesUlimits {
            name: Some(u.name.clone()),
            soft: Some(u.soft),
            hard: Some(u.hard),
        })
        .collect();
    let resources = &task.spec.resources;
    let positive = |v: u64| (v > 0).then_some(v.min(i64::MAX as u64) as i64);
    let (exposed, bindings) = port_bindings(&c.ports, host_ip);
    let host_config = HostConfig {
        mounts: (!mounts.is_empty()).then_some(mounts),
        port_bindings: (!bindings.is_empty()).then_some(bindings),
        memory: positive(resources.limits.memory),
        nano_cpus: positive(resources.limits.nano_cpus()),
        memory_reservation: positive(resources.reservations.memory),
        cap_add: caps(&c.cap_add),
        cap_drop: caps(&c.cap_drop),
        sysctls: (!c.sysctls.is_empty()).then(|| c.sysctls.clone().into_iter().collect()),
        ulimits: (!ulimits.is_empty()).then_some(ulimits),
        init: c.init,
        readonly_rootfs: c.read_only.then_some(true),
        extra_hosts: list(&c.extra_hosts),
        dns: list(&c.dns),
        dns_search: list(&c.dns_search),
        dns_options: list(&c.dns_options),
        group_add: list(&c.group_add),
        log_config: c.logging.as_ref().map(|l| HostConfigLogConfig {
            typ: Some(l.name.clone()),
            config: (!l.options.is_empty()).then(|| l.options.clone().into_iter().collect()),
        }),
        isolation: (c.isolation == "default").then_some(HostConfigIsolationEnum::DEFAULT),
        ..Default::default()
    };
    ContainerCreateBody {
        image: Some(c.image.clone()),
        entrypoint: (!c.command.is_empty()).then(|| c.command.clone()),
        cmd: (!c.args.is_empty()).then(|| c.args.clone()),
        env: (!c.env.is_empty()).then(|| c.env.clone()),
        labels: Some(labels),
        user: non_empty(&c.user),
        working_dir: non_empty(&c.workdir),
        hostname: non_empty(&c.hostname),
        stop_signal: non_empty(&c.stop_signal),
        stop_timeout: Some(c.stop_grace_period.as_secs() as i64),
        healthcheck: c.healthcheck.as_ref().map(health_config),
        exposed_ports: (!exposed.is_empty()).then_some(exposed),
        host_config: (host_config != HostConfig::default()).then_some(host_config),
        ..Default::default()
    }
}

/// What the task asks for that this engine's API cannot do, so the task is rejected with the
/// reason rather than run without it (Docker ignores fields newer than the API it speaks).
pub fn unsupported_by_engine(task: &Task, api: bollard::ClientVersion) -> Option<String> {
    let has_start_interval = task
        .spec
        .container
        .healthcheck
        .as_ref()
        .is_some_and(|h| !h.start_interval.is_zero());
    let too_old = (api.major_version, api.minor_version) < (1, 44);
    (has_start_interval && too_old).then(|| {
        format!(
            "healthcheck.start_interval is not supported by this engine: it needs Docker API \
             1.44 or later and this engine speaks {}.{}",
            api.major_version, api.minor_version
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use shoal_api::{Meta, ServiceId, TaskId, TaskState, TaskStatus, TaskTemplate};

    /// An assigned task of service `web` in `slot`, with a default template.
    fn task(slot: u64) -> Task {
        Task {
            id: TaskId("t1".into()),
            meta: Meta::default(),
            service_id: ServiceId("s1".into()),
            service_name: "web".into(),
            slot,
            node_id: None,
            spec: TaskTemplate::default(),
            desired_state: TaskState::Running,
            status: TaskStatus::new(TaskState::Assigned, ""),
            restarts: Vec::new(),
        }
    }

    #[test]
    fn every_container_field_reaches_docker() {
        let mut t = task(2);
        let plain = container_body(&t, &NodeId::from("n1"), None);
        assert_eq!(
            (plain.user, plain.hostname, plain.stop_signal),
            (None, None, None)
        );
        assert!(plain.host_config.is_none());
        assert!(plain.healthcheck.is_none() && plain.exposed_ports.is_none());
        let c = &mut t.spec.container;
        c.image = "img".into();
        c.user = "1000:1000".into();
        c.workdir = "/srv".into();
        c.hostname = "box".into();
        c.stop_signal = "SIGUSR1".into();
        c.mounts = vec![shoal_api::Mount {
            kind: Kind::Volume,
            source: "vol".into(),
            target: "/data".into(),
            readonly: true,
            ..Default::default()
        }];
        let b = container_body(&t, &NodeId::from("n1"), None);
        assert_eq!(b.user.as_deref(), Some("1000:1000"));
        assert_eq!(b.working_dir.as_deref(), Some("/srv"));
        assert_eq!(b.hostname.as_deref(), Some("box"));
        assert_eq!(b.stop_signal.as_deref(), Some("SIGUSR1"));
        let m = &b.host_config.unwrap().mounts.unwrap()[0];
        assert_eq!(m.typ, Some(MountType::VOLUME));
        assert_eq!(
            (m.source.as_deref(), m.target.as_deref(), m.read_only),
            (Some("vol"), Some("/data"), Some(true))
        );
        assert_eq!(b.labels.unwrap()["shoal.task.slot"], "2");
    }

    #[test]
    fn limits_and_the_memory_reservation_reach_the_host_config() {
        let mut t = task(1);
        let r = &mut t.spec.resources;
        r.limits.cpus = 0.5;
        r.limits.memory = 64 << 20;
        r.reservations.memory = 32 << 20;
        r.reservations.cpus = 0.25;
        let h = container_body(&t, &NodeId::from("n1"), None)
            .host_config
            .unwrap();
        assert_eq!(h.nano_cpus, Some(500_000_000));
        assert_eq!(h.memory, Some(64 << 20));
        assert_eq!(h.memory_reservation, Some(32 << 20));
        assert!(h.mounts.is_none());
    }

    #[test]
    fn health_check_and_published_ports_reach_docker() {
        let mut t = task(1);
        let c = &mut t.spec.container;
        c.healthcheck = Some(HealthCheck {
            test: HealthCheck::shell("wget -q localhost"),
            interval: Duration::from_millis(500),
            timeout: Duration::ZERO,
            retries: 2,
            start_period: Duration::from_secs(1),
            start_interval: Duration::from_millis(200),
        });
        let port = |published, target, protocol| PortConfig {
            published,
            target,
            protocol,
            host_ip: String::new(),
        };
        c.ports = vec![
            port(18080, 80, shoal_api::Protocol::Tcp),
            port(18081, 80, shoal_api::Protocol::Tcp),
            port(5353, 53, shoal_api::Protocol::Udp),
        ];
        let b = container_body(&t, &NodeId::from("n1"), Some("127.0.0.2"));
        let h = b.healthcheck.unwrap();
        assert_eq!(
            h.test.unwrap(),
            ["CMD-SHELL".to_string(), "wget -q localhost".to_string()]
        );
        assert_eq!(h.interval, Some(500_000_000));
        assert_eq!(
            h.timeout, None,
            "zero keeps the image's or Docker's default"
        );
        assert_eq!(h.retries, Some(2));
        assert_eq!(h.start_period, Some(1_000_000_000));
        assert_eq!(h.start_interval, Some(200_000_000));
        assert_eq!(b.exposed_ports.unwrap(), ["80/tcp", "53/udp"]);
        let bindings = b.host_config.unwrap().port_bindings.unwrap();
        let host_ports = |key: &str| -> Vec<String> {
            bindings[key]
                .as_ref()
                .unwrap()
                .iter()
                .map(|b| b.host_port.clone().unwrap())
                .collect()
        };
        assert_eq!(host_ports("80/tcp"), ["18080", "18081"]);
        assert_eq!(host_ports("53/udp"), ["5353"]);
        let ip = &bindings["53/udp"].as_ref().unwrap()[0].host_ip;
        assert_eq!(ip.as_deref(), Some("127.0.0.2"));

        t.spec.container.healthcheck = Some(HealthCheck::disabled());
        t.spec.container.ports.clear();
        let b = container_body(&t, &NodeId::from("n1"), None);
        assert_eq!(b.healthcheck.unwrap().test.unwrap(), ["NONE"]);
        assert!(b.host_config.is_none());

        let mut own = port(8080, 80, shoal_api::Protocol::Tcp);
        own.host_ip = "127.0.0.1".into();
        t.spec.container.ports = vec![own, port(8081, 81, shoal_api::Protocol::Tcp)];
        let b = container_body(&t, &NodeId::from("n1"), Some("127.0.0.2"));
        let bindings = b.host_config.unwrap().port_bindings.unwrap();
        let ip = |key: &str| bindings[key].as_ref().unwrap()[0].host_ip.clone();
        assert_eq!(ip("80/tcp").as_deref(), Some("127.0.0.1"), "the port's own");
        assert_eq!(ip("81/tcp").as_deref(), Some("127.0.0.2"), "the node's");
    }

    #[test]
    fn start_interval_needs_api_1_44() {
        let mut t = task(1);
        let api = |minor| bollard::ClientVersion {
            major_version: 1,
            minor_version: minor,
        };
        t.spec.container.healthcheck = Some(HealthCheck {
            start_period: Duration::from_secs(5),
            ..Default::default()
        });
        assert_eq!(unsupported_by_engine(&t, api(41)), None);
        if let Some(h) = &mut t.spec.container.healthcheck {
            h.start_interval = Duration::from_secs(1);
        }
        let refusal = unsupported_by_engine(&t, api(41)).unwrap();
        assert!(
            refusal.contains("not supported by this engine"),
            "{refusal}"
        );
        assert!(refusal.contains("speaks 1.41"), "{refusal}");
        assert_eq!(unsupported_by_engine(&t, api(44)), None);
    }

    #[test]
    fn engine_options_and_tmpfs_reach_the_host_config() {
        let mut t = task(1);
        let c = &mut t.spec.container;
        c.cap_add = vec!["net_admin".into(), "ALL".into()];
        c.cap_drop = vec!["CAP_MKNOD".into()];
        c.sysctls = [("net.ipv4.ip_forward".to_string(), "1".to_string())].into();
        c.ulimits = vec![shoal_api::Ulimit {
            name: "nofile".into(),
            soft: 1024,
            hard: 2048,
        }];
        c.init = Some(true);
        c.read_only = true;
        c.extra_hosts = vec!["db:10.0.0.2".into()];
        c.dns = vec!["10.0.0.53".into()];
        c.dns_search = vec!["example.com".into()];
        c.dns_options = vec!["ndots:2".into()];
        c.group_add = vec!["audio".into()];
        c.logging = Some(shoal_api::LogDriver {
            name: "json-file".into(),
            options: [("max-size".to_string(), "1m".to_string())].into(),
        });
        c.isolation = "default".into();
        c.mounts = vec![
            shoal_api::Mount::parse_tmpfs("/run:size=64m,mode=1777").unwrap(),
            shoal_api::Mount {
                kind: Kind::Volume,
                target: "/anon".into(),
                ..Default::default()
            },
        ];
        let h = container_body(&t, &NodeId::from("n1"), None)
            .host_config
            .unwrap();
        assert_eq!(h.cap_add.unwrap(), ["CAP_NET_ADMIN", "ALL"]);
        assert_eq!(h.cap_drop.unwrap(), ["CAP_MKNOD"]);
        assert_eq!(h.sysctls.unwrap()["net.ipv4.ip_forward"], "1");
        let u = &h.ulimits.unwrap()[0];
        assert_eq!(
            (u.name.as_deref(), u.soft, u.hard),
            (Some("nofile"), Some(1024), Some(2048))
        );
        assert_eq!((h.init, h.readonly_rootfs), (Some(true), Some(true)));
        assert_eq!(h.extra_hosts.unwrap(), ["db:10.0.0.2"]);
        assert_eq!(h.dns.unwrap(), ["10.0.0.53"]);
        assert_eq!(h.dns_search.unwrap(), ["example.com"]);
        assert_eq!(h.dns_options.unwrap(), ["ndots:2"]);
        assert_eq!(h.group_add.unwrap(), ["audio"]);
        let log = h.log_config.unwrap();
        assert_eq!(log.typ.as_deref(), Some("json-file"));
        assert_eq!(log.config.unwrap()["max-size"], "1m");
        assert_eq!(h.isolation, Some(HostConfigIsolationEnum::DEFAULT));
        let mounts = h.mounts.unwrap();
        assert_eq!(mounts[0].typ, Some(MountType::TMPFS));
        assert_eq!(mounts[0].source, None);
        let o = mounts[0].tmpfs_options.as_ref().unwrap();
        assert_eq!((o.size_bytes, o.mode), (Some(64 << 20), Some(0o1777)));
        assert_eq!(
            (mounts[1].typ, mounts[1].source.as_deref()),
            (Some(MountType::VOLUME), None),
            "an anonymous volume"
        );
        assert!(mounts[1].tmpfs_options.is_none());

        let plain = container_body(&task(1), &NodeId::from("n1"), None);
        assert!(plain.host_config.is_none(), "nothing set, nothing sent");
    }
}
