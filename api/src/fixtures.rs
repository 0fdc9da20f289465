//! Sample objects for unit tests, built the way the server would return them: one set that
//! every crate's tests share (enable the `fixtures` feature in a crate's dev-dependencies).

use crate::validate::validate_service_spec;
use crate::*;

/// Creation time of every fixture: 2023-11-14T22:13:20Z.
pub const T0: Timestamp = Timestamp(1_700_000_000_000);

pub fn meta(version: u64) -> Meta {
    Meta {
        version,
        created_at: T0,
        updated_at: T0,
    }
}

pub fn service(name: &str, replicas: u64) -> Service {
    let spec = ServiceSpec {
        name: name.into(),
        labels: Default::default(),
        task: TaskTemplate {
            container: ContainerSpec {
                image: "nginx:1".into(),
                stop_grace_period: default_stop_grace(),
                ..Default::default()
            },
            ..Default::default()
        },
        mode: ServiceMode::Replicated { replicas },
        update: Default::default(),
        rollback: Default::default(),
    };
    validate_service_spec(&spec).expect("fixture spec is valid");
    Service {
        id: ServiceId(format!("{name}0000000000000000000000")),
        meta: meta(5),
        spec,
        spec_version: 0,
        rolled_back: false,
        previous_spec: None,
        update_status: None,
    }
}

pub fn task(service: &Service, slot: u64, desired: TaskState, state: TaskState) -> Task {
    Task {
        id: TaskId::random(),
        meta: meta(6),
        service_id: service.id.clone(),
        service_name: service.spec.name.clone(),
        slot,
        node_id: None,
        spec: service.spec.task.clone(),
        desired_state: desired,
        status: TaskStatus {
            state,
            timestamp: T0,
            message: String::new(),
            err: String::new(),
            container_id: None,
            exit_code: None,
            started_at: None,
        },
        restarts: Vec::new(),
    }
}

pub fn node(id: &str, hostname: &str, role: Role) -> Node {
    Node {
        id: NodeId(id.into()),
        meta: meta(2),
        spec: NodeSpec::default(),
        role,
        description: NodeDescription {
            hostname: hostname.into(),
            cpus: 2,
            memory_bytes: 4 << 30,
            engine_version: "20.10.24".into(),
            engine_labels: Default::default(),
            platform: Default::default(),
        },
        status: NodeStatus {
            state: NodeState::Ready,
            message: String::new(),
            addr: Some("10.0.0.1".into()),
            timestamp: T0,
        },
        manager_status: None,
    }
}
