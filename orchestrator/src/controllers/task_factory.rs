//! Making new tasks from a service: the one place a task's initial fields are decided.

use shoal_api::{Meta, Service, Task, TaskId, TaskState, TaskStatus, Timestamp};

pub fn new_task(service: &Service, slot: u64, desired: TaskState, now: Timestamp) -> Task {
    Task {
        id: TaskId::random(),
        meta: Meta::default(),
        service_id: service.id.clone(),
        service_name: service.spec.name.clone(),
        slot,
        node_id: None,
        spec: service.spec.task.clone(),
        desired_state: desired,
        status: TaskStatus {
            timestamp: now,
            ..TaskStatus::new(TaskState::New, "created")
        },
        restarts: Vec::new(),
    }
}
