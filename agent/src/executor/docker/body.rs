//! The Docker create body for a task, pure: Shoal's labels, the command, environment,
//! identity (user, working dir, hostname), mounts, resource limits (and the memory
//! reservation, as a soft limit), the stop signal and timeout, the health check and
//! published ports (host port bindings). Docker stops the container with its configured stop
//! signal, so `stop` needs nothing more.

use super::labels;
use bollard::models::{
    ContainerCreateBody, HealthConfig, HostConfig, Mount, MountType, PortBinding, PortMap,
};
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
        ..Default::default()
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
                host_ip: host_ip.map(str::to_string),
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
            source: Some(m.source.clone()),
            typ: Some(match m.kind {
                Kind::Bind => MountType::BIND,
                Kind::Volume => MountType::VOLUME,
            }),
            read_only: Some(m.readonly),
            ..Default::default()
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
        });
        let port = |published, target, protocol| PortConfig {
            published,
            target,
            protocol,
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
    }
}
