//! Store rules: optimistic concurrency, forward-only task states, atomic commands.

use super::*;
use shoal_api::*;

fn spec(name: &str) -> ServiceSpec {
    ServiceSpec {
        name: name.into(),
        labels: Default::default(),
        task: TaskTemplate {
            container: ContainerSpec {
                image: "img".into(),
                ..Default::default()
            },
            ..Default::default()
        },
        mode: ServiceMode::Replicated { replicas: 1 },
        update: Default::default(),
        rollback: Default::default(),
    }
}

fn service(id: &str, name: &str) -> Service {
    Service {
        id: ServiceId::from(id),
        meta: Meta::default(),
        spec: spec(name),
        spec_version: 0,
        rolled_back: false,
        previous_spec: None,
        update_status: None,
    }
}

fn task(id: &str, service: &str) -> Task {
    Task {
        id: TaskId::from(id),
        meta: Meta::default(),
        service_id: ServiceId::from(service),
        service_name: "web".into(),
        slot: 1,
        node_id: None,
        spec: spec("web").task,
        desired_state: TaskState::Running,
        status: TaskStatus::new(TaskState::New, ""),
        restarts: Vec::new(),
    }
}

fn apply(state: &mut State, index: u64, actions: Vec<Action>) -> Result<Vec<Change>, StoreError> {
    state.apply(index, &Command::new(actions))
}

#[test]
fn stale_version_is_refused_and_current_one_accepted() {
    let mut st = State::default();
    apply(
        &mut st,
        5,
        vec![Action::CreateService(service("s1", "web"))],
    )
    .unwrap();
    assert_eq!(st.services[&ServiceId::from("s1")].meta.version, 5);
    let err = apply(
        &mut st,
        6,
        vec![Action::UpdateServiceSpec {
            id: "s1".into(),
            version: 4,
            spec: spec("web"),
        }],
    )
    .unwrap_err();
    assert!(matches!(
        err,
        StoreError::VersionMismatch {
            expected: 4,
            actual: 5,
            ..
        }
    ));
    let mut new = spec("web");
    new.task.container.image = "img:2".into();
    apply(
        &mut st,
        7,
        vec![Action::UpdateServiceSpec {
            id: "s1".into(),
            version: 5,
            spec: new,
        }],
    )
    .unwrap();
    let s = &st.services[&ServiceId::from("s1")];
    assert_eq!(s.meta.version, 7);
    assert_eq!(
        s.previous_spec.as_ref().unwrap().task.container.image,
        "img"
    );
}

#[test]
fn duplicate_service_name_is_refused() {
    let mut st = State::default();
    apply(
        &mut st,
        1,
        vec![Action::CreateService(service("s1", "web"))],
    )
    .unwrap();
    let err = apply(
        &mut st,
        2,
        vec![Action::CreateService(service("s2", "web"))],
    )
    .unwrap_err();
    assert!(matches!(err, StoreError::AlreadyExists(_)));
}

#[test]
fn task_state_never_moves_backwards() {
    let mut st = State::default();
    apply(&mut st, 1, vec![Action::CreateTask(task("t1", "s1"))]).unwrap();
    let running = TaskStatus::new(TaskState::Running, "started");
    apply(
        &mut st,
        2,
        vec![Action::SetTaskStatus {
            id: "t1".into(),
            status: running,
        }],
    )
    .unwrap();
    let back = TaskStatus::new(TaskState::Starting, "late");
    let err = apply(
        &mut st,
        3,
        vec![Action::SetTaskStatus {
            id: "t1".into(),
            status: back,
        }],
    )
    .unwrap_err();
    assert!(matches!(err, StoreError::Backwards { .. }));
    apply(
        &mut st,
        4,
        vec![Action::SetTaskDesiredState {
            id: "t1".into(),
            state: TaskState::Shutdown,
        }],
    )
    .unwrap();
    let err = apply(
        &mut st,
        5,
        vec![Action::SetTaskDesiredState {
            id: "t1".into(),
            state: TaskState::Running,
        }],
    )
    .unwrap_err();
    assert!(matches!(err, StoreError::Backwards { .. }));
}

#[test]
fn a_failing_action_rolls_back_the_whole_command() {
    let mut st = State::default();
    let err = apply(
        &mut st,
        1,
        vec![
            Action::CreateService(service("s1", "web")),
            Action::CreateTask(task("t1", "s1")),
            Action::DeleteTask { id: "nope".into() },
        ],
    )
    .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }));
    assert!(st.services.is_empty() && st.tasks.is_empty());
}

#[test]
fn snapshot_and_subscribe_sees_later_changes() {
    let store = Store::new();
    let (state, mut rx) = store.snapshot_and_subscribe();
    assert!(state.services.is_empty());
    let mut changes = Vec::new();
    store
        .apply(
            1,
            &Command::new(vec![Action::CreateService(service("s1", "web"))]),
            Default::default(),
            &mut changes,
        )
        .unwrap();
    store.publish(1, changes);
    match rx.try_recv().unwrap().as_ref() {
        Event::Commit { index: 1, changes } => assert_eq!(changes.len(), 1),
        other => panic!("unexpected {other:?}"),
    }
}
