//! The Docker create body for a task, pure: Shoal's labels, the command, environment,
//! identity (user, working dir, hostname), mounts, resource limits (and the memory
//! reservation, as a soft limit) and the stop signal and timeout. Docker stops the container
//! with its configured stop signal, so `stop` needs nothing more.

use crate::labels;
use bollard::models::{ContainerCreateBody, HostConfig, Mount, MountType};
use shoal_api::{MountType as Kind, NodeId, Task};
use std::collections::HashMap;

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

pub fn container_body(task: &Task, node_id: &NodeId) -> ContainerCreateBody {
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
    let host_config = HostConfig {
        mounts: (!mounts.is_empty()).then_some(mounts),
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
        host_config: (host_config != HostConfig::default()).then_some(host_config),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shoal_api::{Meta, ServiceId, TaskId, TaskState, TaskStatus, TaskTemplate};

    #[test]
    fn every_container_field_reaches_docker() {
        let mut t = Task {
            id: TaskId("t1".into()),
            meta: Meta::default(),
            service_id: ServiceId("s1".into()),
            service_name: "web".into(),
            slot: 2,
            node_id: None,
            spec: TaskTemplate::default(),
            desired_state: TaskState::Running,
            status: TaskStatus::new(TaskState::Assigned, ""),
            restarts: Vec::new(),
        };
        let plain = container_body(&t, &NodeId::from("n1"));
        assert_eq!(
            (plain.user, plain.hostname, plain.stop_signal),
            (None, None, None)
        );
        assert!(plain.host_config.is_none());
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
        let b = container_body(&t, &NodeId::from("n1"));
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
        let mut t = Task {
            id: TaskId("t1".into()),
            meta: Meta::default(),
            service_id: ServiceId("s1".into()),
            service_name: "web".into(),
            slot: 1,
            node_id: None,
            spec: TaskTemplate::default(),
            desired_state: TaskState::Running,
            status: TaskStatus::new(TaskState::Assigned, ""),
            restarts: Vec::new(),
        };
        let r = &mut t.spec.resources;
        r.limits.cpus = 0.5;
        r.limits.memory = 64 << 20;
        r.reservations.memory = 32 << 20;
        r.reservations.cpus = 0.25;
        let h = container_body(&t, &NodeId::from("n1")).host_config.unwrap();
        assert_eq!(h.nano_cpus, Some(500_000_000));
        assert_eq!(h.memory, Some(64 << 20));
        assert_eq!(h.memory_reservation, Some(32 << 20));
        assert!(h.mounts.is_none());
    }
}
