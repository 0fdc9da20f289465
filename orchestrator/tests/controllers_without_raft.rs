//! The controllers together on a store without Raft: a service is turned into tasks, placed,
//! scaled down, and the removed tasks are reaped once the (simulated) agent stops them.

use shoal_api::*;
use shoal_orchestrator::controllers::{drive, orchestrator::Orchestrator, reaper, scheduler};
use shoal_orchestrator::raft::Writer;
use shoal_orchestrator::store::{Action, Store};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..200 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("timed out waiting for: {what}");
}

fn spec(replicas: u64) -> ServiceSpec {
    ServiceSpec {
        name: "web".into(),
        labels: Default::default(),
        task: TaskTemplate {
            container: ContainerSpec {
                image: "img".into(),
                ..Default::default()
            },
            ..Default::default()
        },
        mode: ServiceMode::Replicated { replicas },
        update: Default::default(),
        rollback: Default::default(),
    }
}

#[tokio::test]
async fn service_becomes_placed_tasks_and_scale_down_is_reaped() {
    let store = Store::new();
    let writer = Writer::direct(store.clone());
    let stop = CancellationToken::new();
    for (i, name) in ["n1", "n2"].iter().enumerate() {
        writer
            .write(vec![Action::RegisterNode {
                id: NodeId::from(*name),
                role: Role::Worker,
                description: NodeDescription {
                    hostname: format!("host{i}"),
                    ..Default::default()
                },
                status: NodeStatus {
                    state: NodeState::Ready,
                    message: String::new(),
                    addr: None,
                    timestamp: Timestamp::now(),
                },
            }])
            .await
            .unwrap();
    }
    tokio::spawn(drive(
        Orchestrator::default(),
        store.clone(),
        writer.clone(),
        stop.clone(),
    ));
    tokio::spawn(drive(
        scheduler::controller(),
        store.clone(),
        writer.clone(),
        stop.clone(),
    ));
    tokio::spawn(drive(
        reaper::controller(),
        store.clone(),
        writer.clone(),
        stop.clone(),
    ));

    let id = ServiceId::random();
    writer
        .write(vec![Action::CreateService(Service {
            id: id.clone(),
            meta: Meta::default(),
            spec: spec(4),
            spec_version: 0,
            rolled_back: false,
            previous_spec: None,
            update_status: None,
        })])
        .await
        .unwrap();
    eventually("4 tasks assigned, 2 per node", || {
        let s = store.read();
        let on = |n: &str| {
            s.tasks
                .values()
                .filter(|t| t.node_id == Some(NodeId::from(n)))
                .count()
        };
        s.tasks.len() == 4 && on("n1") == 2 && on("n2") == 2
    })
    .await;

    // The agent reports them running.
    let ids: Vec<TaskId> = store.read().tasks.keys().cloned().collect();
    for t in &ids {
        let status = TaskStatus::new(TaskState::Running, "started");
        writer
            .write(vec![Action::SetTaskStatus {
                id: t.clone(),
                status,
            }])
            .await
            .unwrap();
    }
    let version = store.read().services[&id].meta.version;
    writer
        .write(vec![Action::UpdateServiceSpec {
            id: id.clone(),
            version,
            spec: spec(1),
        }])
        .await
        .unwrap();
    eventually("3 tasks desired remove", || {
        store
            .read()
            .tasks
            .values()
            .filter(|t| t.desired_state == TaskState::Remove)
            .count()
            == 3
    })
    .await;
    assert!(
        store
            .read()
            .tasks
            .values()
            .any(|t| t.slot == 1 && t.desired_state == TaskState::Running)
    );

    // The agent stops them; the reaper forgets them.
    let doomed: Vec<TaskId> = store
        .read()
        .tasks
        .values()
        .filter(|t| t.desired_state == TaskState::Remove)
        .map(|t| t.id.clone())
        .collect();
    for t in doomed {
        let status = TaskStatus::new(TaskState::Shutdown, "shutdown");
        writer
            .write(vec![Action::SetTaskStatus { id: t, status }])
            .await
            .unwrap();
    }
    eventually("only slot 1 left", || {
        let s = store.read();
        s.tasks.len() == 1 && s.tasks.values().all(|t| t.slot == 1)
    })
    .await;
    stop.cancel();
}
