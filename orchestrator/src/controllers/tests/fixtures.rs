//! Builders for services, tasks and nodes used by the planner tests.

use shoal_api::*;
use std::time::Duration;

pub const T0: Timestamp = Timestamp(1_000_000);

pub fn service(name: &str, image: &str, replicas: u64) -> Service {
    Service {
        id: ServiceId(format!("svc-{name}")),
        meta: Meta::default(),
        spec: ServiceSpec {
            name: name.into(),
            labels: Default::default(),
            task: TaskTemplate {
                container: ContainerSpec {
                    image: image.into(),
                    stop_grace_period: Duration::from_secs(10),
                    ..Default::default()
                },
                ..Default::default()
            },
            mode: ServiceMode::Replicated { replicas },
            update: Default::default(),
            rollback: Default::default(),
        },
        spec_version: 0,
        rolled_back: false,
        previous_spec: None,
        update_status: None,
    }
}

pub fn task(s: &Service, slot: u64, state: TaskState, node: Option<&str>) -> Task {
    Task {
        id: TaskId(format!("{}-{slot}-{}", s.spec.name, random_id())),
        meta: Meta {
            version: 1,
            created_at: T0,
            updated_at: T0,
        },
        service_id: s.id.clone(),
        service_name: s.spec.name.clone(),
        slot,
        node_id: node.map(NodeId::from),
        spec: s.spec.task.clone(),
        desired_state: TaskState::Running,
        status: TaskStatus {
            timestamp: T0,
            ..TaskStatus::new(state, "")
        },
        restarts: Vec::new(),
    }
}

pub fn node(id: &str, state: NodeState, availability: Availability) -> Node {
    Node {
        id: NodeId::from(id),
        meta: Meta::default(),
        spec: NodeSpec {
            availability,
            labels: Default::default(),
        },
        role: Role::Worker,
        description: NodeDescription {
            hostname: id.into(),
            ..Default::default()
        },
        status: NodeStatus {
            state,
            message: String::new(),
            addr: None,
            timestamp: T0,
        },
        manager_status: None,
    }
}
