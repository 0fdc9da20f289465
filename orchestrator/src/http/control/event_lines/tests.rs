use super::*;
use shoal_api::*;

const T: Timestamp = Timestamp(5_000);

fn service() -> Service {
    Service {
        id: ServiceId::from("svc1"),
        meta: Meta::default(),
        spec: ServiceSpec {
            name: "web".into(),
            labels: Default::default(),
            task: TaskTemplate {
                container: ContainerSpec {
                    image: "busybox:1".into(),
                    ..Default::default()
                },
                ..Default::default()
            },
            mode: ServiceMode::Replicated { replicas: 3 },
            update: Default::default(),
            rollback: Default::default(),
        },
        spec_version: 2,
        rolled_back: false,
        previous_spec: None,
        update_status: None,
    }
}

fn task(s: &Service) -> Task {
    Task {
        id: TaskId::from("t9"),
        meta: Meta::default(),
        service_id: s.id.clone(),
        service_name: s.spec.name.clone(),
        slot: 2,
        node_id: Some(NodeId::from("n1")),
        spec: s.spec.task.clone(),
        desired_state: TaskState::Running,
        status: TaskStatus::new(TaskState::Failed, "exited"),
        restarts: Vec::new(),
    }
}

fn node() -> Node {
    Node {
        id: NodeId::from("n1"),
        meta: Meta::default(),
        spec: NodeSpec {
            availability: Availability::Drain,
            labels: Default::default(),
        },
        role: Role::Manager,
        description: NodeDescription {
            hostname: "host-1".into(),
            ..Default::default()
        },
        status: NodeStatus {
            state: NodeState::Ready,
            message: String::new(),
            addr: None,
            timestamp: T,
        },
        manager_status: None,
    }
}

fn commit(changes: Vec<Change>) -> Event {
    Event::Commit { index: 7, changes }
}

fn only_event(line: &EventLine) -> &ClusterEvent {
    match line {
        EventLine::Event(e) => e,
        EventLine::Notice(n) => panic!("expected an event, got {n:?}"),
    }
}

#[test]
fn each_change_becomes_one_event_with_its_attributes() {
    let s = service();
    let mut t = task(&s);
    t.status.err = "exit code 1".into();
    let lines = lines_of(
        &commit(vec![
            Change::Created(Object::Service(s.clone())),
            Change::Updated(Object::Task(t)),
            Change::Deleted(Object::Node(node())),
        ]),
        None,
        T,
    );
    assert_eq!(lines.len(), 3);
    let svc = only_event(&lines[0]);
    assert_eq!(
        (svc.kind, svc.action, svc.id.as_str(), svc.name.as_str()),
        (EventType::Service, EventAction::Create, "svc1", "web")
    );
    assert_eq!(svc.time, T);
    assert_eq!(
        svc.attributes,
        BTreeMap::from([
            ("image".into(), "busybox:1".into()),
            ("replicas".into(), "3".into()),
            ("spec_version".into(), "2".into()),
        ])
    );
    let task = only_event(&lines[1]);
    assert_eq!(
        (task.kind, task.action, task.name.as_str()),
        (EventType::Task, EventAction::Update, "web.2.t9")
    );
    let want: BTreeMap<String, String> = [
        ("service", "web"),
        ("slot", "2"),
        ("node", "n1"),
        ("desired_state", "running"),
        ("state", "failed"),
        ("error", "exit code 1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(task.attributes, want);
    let n = only_event(&lines[2]);
    assert_eq!(
        (n.kind, n.action, n.id.as_str(), n.name.as_str()),
        (EventType::Node, EventAction::Remove, "n1", "host-1")
    );
    assert_eq!(n.attributes["availability"], "drain");
    assert_eq!(n.attributes["role"], "manager");
    assert_eq!(n.attributes["state"], "ready");
}

#[test]
fn a_type_filter_keeps_only_that_type() {
    let s = service();
    let event = commit(vec![
        Change::Created(Object::Service(s.clone())),
        Change::Created(Object::Task(task(&s))),
    ]);
    let lines = lines_of(&event, Some(EventType::Service), T);
    assert_eq!(lines.len(), 1);
    assert_eq!(only_event(&lines[0]).kind, EventType::Service);
    let lines = lines_of(&event, Some(EventType::Task), T);
    assert_eq!(lines.len(), 1);
    assert_eq!(only_event(&lines[0]).kind, EventType::Task);
    assert!(lines_of(&event, Some(EventType::Node), T).is_empty());
}

#[test]
fn gaps_are_announced_not_hidden() {
    let lines = lines_of(&Event::Reset, Some(EventType::Service), T);
    assert!(
        matches!(&lines[..], [EventLine::Notice(n)] if n.notice == NoticeKind::Reset),
        "{lines:?}"
    );
    let EventLine::Notice(n) = dropped(12, T) else {
        panic!("a drop is a notice");
    };
    assert_eq!((n.notice, n.dropped), (NoticeKind::Dropped, Some(12)));
    assert!(n.message.contains("12"), "{}", n.message);
}
