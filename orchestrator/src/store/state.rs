//! The replicated state: every object, and the deterministic function that applies a command.
//! Application is atomic: all actions of a command apply, or none and the command gets an error.

use super::command::{Action, Command};
use super::error::StoreError;
use super::event::{Change, Object};
use serde::{Deserialize, Serialize};
use shoal_api::{
    Cluster, Meta, Node, NodeId, Service, ServiceId, Task, TaskId, TaskState, Timestamp,
};
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct State {
    pub cluster: Option<Cluster>,
    pub nodes: BTreeMap<NodeId, Node>,
    pub services: BTreeMap<ServiceId, Service>,
    pub tasks: BTreeMap<TaskId, Task>,
    /// The cluster CA with its key, set with the cluster object. Never served by the API.
    #[serde(default)]
    pub root_ca: Option<crate::pki::RootCa>,
}

impl State {
    pub fn service_by_name(&self, name: &str) -> Option<&Service> {
        self.services.values().find(|s| s.spec.name == name)
    }

    pub fn tasks_of_service<'a>(&'a self, id: &'a ServiceId) -> impl Iterator<Item = &'a Task> {
        self.tasks.values().filter(move |t| &t.service_id == id)
    }

    pub fn tasks_on_node<'a>(&'a self, id: &'a NodeId) -> impl Iterator<Item = &'a Task> {
        self.tasks
            .values()
            .filter(move |t| t.node_id.as_ref() == Some(id))
    }

    /// Applies `cmd` at log `index`. On error nothing changed.
    pub fn apply(&mut self, index: u64, cmd: &Command) -> Result<Vec<Change>, StoreError> {
        // Apply to a scratch copy of only what the command touches would be faster; commands
        // are small and a failed command is rare, so validate-then-apply on a clone of the
        // touched maps is kept simple: we apply to `self` and roll back from an undo log.
        let mut undo: Vec<Undo> = Vec::new();
        let mut changes = Vec::with_capacity(cmd.actions.len());
        for action in &cmd.actions {
            match self.apply_one(index, cmd.at, action, &mut undo) {
                Ok(change) => changes.extend(change),
                Err(e) => {
                    for u in undo.into_iter().rev() {
                        self.undo(u);
                    }
                    return Err(e);
                }
            }
        }
        Ok(changes)
    }

    fn undo(&mut self, u: Undo) {
        match u {
            Undo::All(s) => *self = *s,
            Undo::Cluster(c) => self.cluster = c,
            Undo::RootCa(ca) => self.root_ca = ca,
            Undo::Node(id, n) => restore(&mut self.nodes, id, n),
            Undo::Service(id, s) => restore(&mut self.services, id, s),
            Undo::Task(id, t) => restore(&mut self.tasks, id, t),
        }
    }

    fn apply_one(
        &mut self,
        index: u64,
        at: Timestamp,
        action: &Action,
        undo: &mut Vec<Undo>,
    ) -> Result<Option<Change>, StoreError> {
        let created = Meta {
            version: index,
            created_at: at,
            updated_at: at,
        };
        let touch = |meta: &mut Meta| {
            meta.version = index;
            meta.updated_at = at;
        };
        Ok(Some(match action {
            Action::ReplaceState(new) => {
                let old = std::mem::replace(self, (**new).clone());
                undo.push(Undo::All(Box::new(old)));
                // Controllers resync on any change; one per object says what is there now.
                return Ok(self
                    .cluster
                    .clone()
                    .map(|c| Change::Created(Object::Cluster(c))));
            }
            Action::CreateCluster { cluster, root_ca } => {
                if self.cluster.is_some() {
                    return Err(StoreError::AlreadyExists(
                        "the cluster already exists".into(),
                    ));
                }
                let mut c = cluster.clone();
                c.meta = created;
                undo.push(Undo::Cluster(None));
                undo.push(Undo::RootCa(self.root_ca.take()));
                self.root_ca = Some(root_ca.clone());
                self.cluster = Some(c.clone());
                Change::Created(Object::Cluster(c))
            }
            Action::UpdateClusterSpec { version, spec } => {
                let c = self
                    .cluster
                    .as_mut()
                    .ok_or_else(|| StoreError::not_found("cluster", "default"))?;
                check_version("cluster", &c.id, *version, c.meta.version)?;
                undo.push(Undo::Cluster(Some(c.clone())));
                c.spec = spec.clone();
                touch(&mut c.meta);
                Change::Updated(Object::Cluster(c.clone()))
            }
            Action::RotateJoinToken { role, token } => {
                let c = self
                    .cluster
                    .as_mut()
                    .ok_or_else(|| StoreError::not_found("cluster", "default"))?;
                undo.push(Undo::Cluster(Some(c.clone())));
                match role {
                    shoal_api::Role::Worker => c.join_tokens.worker = token.clone(),
                    shoal_api::Role::Manager => c.join_tokens.manager = token.clone(),
                }
                touch(&mut c.meta);
                Change::Updated(Object::Cluster(c.clone()))
            }
            Action::CreateService(s) => {
                if self.services.contains_key(&s.id) {
                    return Err(StoreError::AlreadyExists(format!(
                        "service id {} exists",
                        s.id
                    )));
                }
                if self.service_by_name(&s.spec.name).is_some() {
                    return Err(StoreError::AlreadyExists(format!(
                        "a service named {:?} already exists",
                        s.spec.name
                    )));
                }
                let mut s = s.clone();
                s.meta = created;
                s.spec_version = 1;
                undo.push(Undo::Service(s.id.clone(), None));
                self.services.insert(s.id.clone(), s.clone());
                Change::Created(Object::Service(s))
            }
            Action::UpdateServiceSpec { id, version, spec } => {
                if let Some(other) = self.service_by_name(&spec.name)
                    && &other.id != id
                {
                    return Err(StoreError::AlreadyExists(format!(
                        "a service named {:?} already exists",
                        spec.name
                    )));
                }
                let s = get_mut(&mut self.services, "service", id)?;
                check_version("service", id, *version, s.meta.version)?;
                undo.push(Undo::Service(id.clone(), Some(s.clone())));
                if s.spec != *spec {
                    s.previous_spec = Some(std::mem::replace(&mut s.spec, spec.clone()));
                    s.spec_version += 1;
                    s.rolled_back = false;
                }
                touch(&mut s.meta);
                Change::Updated(Object::Service(s.clone()))
            }
            Action::SetServiceUpdateStatus { id, status } => {
                let s = get_mut(&mut self.services, "service", id)?;
                undo.push(Undo::Service(id.clone(), Some(s.clone())));
                s.update_status = Some(status.clone());
                touch(&mut s.meta);
                Change::Updated(Object::Service(s.clone()))
            }
            Action::RollbackService {
                id,
                expected_spec_version,
                status,
            } => {
                let s = get_mut(&mut self.services, "service", id)?;
                if let Some(v) = expected_spec_version
                    && *v != s.spec_version
                {
                    return Err(StoreError::VersionMismatch {
                        kind: "service spec".into(),
                        id: id.to_string(),
                        expected: *v,
                        actual: s.spec_version,
                    });
                }
                let Some(previous) = s.previous_spec.clone() else {
                    return Err(StoreError::Invalid(format!(
                        "service {} has no previous spec to roll back to",
                        s.spec.name
                    )));
                };
                if let Some(other) = self.service_by_name(&previous.name)
                    && &other.id != id
                {
                    return Err(StoreError::AlreadyExists(format!(
                        "a service named {:?} already exists",
                        previous.name
                    )));
                }
                let s = get_mut(&mut self.services, "service", id)?;
                undo.push(Undo::Service(id.clone(), Some(s.clone())));
                s.spec = previous;
                s.previous_spec = None;
                s.spec_version += 1;
                s.rolled_back = true;
                if let Some(status) = status {
                    s.update_status = Some(status.clone());
                }
                touch(&mut s.meta);
                Change::Updated(Object::Service(s.clone()))
            }
            Action::DeleteService { id } => {
                let s = self
                    .services
                    .remove(id)
                    .ok_or_else(|| StoreError::not_found("service", id))?;
                undo.push(Undo::Service(id.clone(), Some(s.clone())));
                Change::Deleted(Object::Service(s))
            }
            Action::CreateTask(t) => {
                if self.tasks.contains_key(&t.id) {
                    return Err(StoreError::AlreadyExists(format!(
                        "task id {} exists",
                        t.id
                    )));
                }
                let mut t = t.clone();
                t.meta = created;
                undo.push(Undo::Task(t.id.clone(), None));
                self.tasks.insert(t.id.clone(), t.clone());
                Change::Created(Object::Task(t))
            }
            Action::SetTaskDesiredState { id, state } => {
                let t = get_mut(&mut self.tasks, "task", id)?;
                if *state < t.desired_state {
                    return Err(backwards(id, "desired_state", t.desired_state, *state));
                }
                if *state == t.desired_state {
                    return Ok(None);
                }
                undo.push(Undo::Task(id.clone(), Some(t.clone())));
                t.desired_state = *state;
                touch(&mut t.meta);
                Change::Updated(Object::Task(t.clone()))
            }
            Action::AssignTask {
                id,
                node_id,
                message,
            } => {
                let t = get_mut(&mut self.tasks, "task", id)?;
                let other_node = t.node_id.as_ref().is_some_and(|n| n != node_id);
                if other_node || t.status.state >= TaskState::Assigned {
                    return Err(StoreError::Invalid(format!(
                        "task {id} is already assigned"
                    )));
                }
                undo.push(Undo::Task(id.clone(), Some(t.clone())));
                t.node_id = Some(node_id.clone());
                t.status = shoal_api::TaskStatus {
                    state: TaskState::Assigned,
                    timestamp: at,
                    message: message.clone(),
                    err: String::new(),
                    container_id: None,
                    exit_code: None,
                    started_at: None,
                };
                touch(&mut t.meta);
                Change::Updated(Object::Task(t.clone()))
            }
            Action::SetTaskPending { id, message } => {
                let t = get_mut(&mut self.tasks, "task", id)?;
                if t.status.state > TaskState::Pending {
                    return Err(backwards(
                        id,
                        "status.state",
                        t.status.state,
                        TaskState::Pending,
                    ));
                }
                undo.push(Undo::Task(id.clone(), Some(t.clone())));
                if t.status.state != TaskState::Pending {
                    t.status.timestamp = at;
                }
                t.status.state = TaskState::Pending;
                t.status.message = message.clone();
                touch(&mut t.meta);
                Change::Updated(Object::Task(t.clone()))
            }
            Action::SetTaskStatus { id, status } => {
                let t = get_mut(&mut self.tasks, "task", id)?;
                if status.state < t.status.state {
                    return Err(backwards(id, "status.state", t.status.state, status.state));
                }
                undo.push(Undo::Task(id.clone(), Some(t.clone())));
                t.status = status.clone();
                touch(&mut t.meta);
                Change::Updated(Object::Task(t.clone()))
            }
            Action::DeleteTask { id } => {
                let t = self
                    .tasks
                    .remove(id)
                    .ok_or_else(|| StoreError::not_found("task", id))?;
                undo.push(Undo::Task(id.clone(), Some(t.clone())));
                Change::Deleted(Object::Task(t))
            }
            Action::RegisterNode {
                id,
                role,
                description,
                status,
            } => {
                let prev = self.nodes.get(id).cloned();
                undo.push(Undo::Node(id.clone(), prev.clone()));
                match prev {
                    Some(mut n) => {
                        n.description = description.clone();
                        n.status = status.clone();
                        touch(&mut n.meta);
                        self.nodes.insert(id.clone(), n.clone());
                        Change::Updated(Object::Node(n))
                    }
                    None => {
                        let n = Node {
                            id: id.clone(),
                            meta: created,
                            spec: Default::default(),
                            role: *role,
                            description: description.clone(),
                            status: status.clone(),
                            manager_status: None,
                        };
                        self.nodes.insert(id.clone(), n.clone());
                        Change::Created(Object::Node(n))
                    }
                }
            }
            Action::DeleteNode { id } => {
                let n = self
                    .nodes
                    .remove(id)
                    .ok_or_else(|| StoreError::not_found("node", id))?;
                undo.push(Undo::Node(id.clone(), Some(n.clone())));
                Change::Deleted(Object::Node(n))
            }
            Action::SetNodeStatus { id, status } => {
                let n = get_mut(&mut self.nodes, "node", id)?;
                undo.push(Undo::Node(id.clone(), Some(n.clone())));
                n.status = status.clone();
                touch(&mut n.meta);
                Change::Updated(Object::Node(n.clone()))
            }
            Action::UpdateNodeSpec { id, version, spec } => {
                let n = get_mut(&mut self.nodes, "node", id)?;
                check_version("node", id, *version, n.meta.version)?;
                undo.push(Undo::Node(id.clone(), Some(n.clone())));
                n.spec = spec.clone();
                touch(&mut n.meta);
                Change::Updated(Object::Node(n.clone()))
            }
            Action::SetNodeRole { id, role } => {
                let n = get_mut(&mut self.nodes, "node", id)?;
                undo.push(Undo::Node(id.clone(), Some(n.clone())));
                n.role = *role;
                touch(&mut n.meta);
                Change::Updated(Object::Node(n.clone()))
            }
        }))
    }
}

#[allow(clippy::large_enum_variant)] // lives only while one command applies
enum Undo {
    All(Box<State>),
    Cluster(Option<Cluster>),
    RootCa(Option<crate::pki::RootCa>),
    Node(NodeId, Option<Node>),
    Service(ServiceId, Option<Service>),
    Task(TaskId, Option<Task>),
}

fn restore<K: Ord, V>(map: &mut BTreeMap<K, V>, id: K, prev: Option<V>) {
    match prev {
        Some(v) => {
            map.insert(id, v);
        }
        None => {
            map.remove(&id);
        }
    }
}

fn get_mut<'a, K: Ord + std::fmt::Display, V>(
    map: &'a mut BTreeMap<K, V>,
    kind: &str,
    id: &K,
) -> Result<&'a mut V, StoreError> {
    map.get_mut(id)
        .ok_or_else(|| StoreError::not_found(kind, id))
}

fn check_version(
    kind: &str,
    id: impl ToString,
    expected: u64,
    actual: u64,
) -> Result<(), StoreError> {
    if expected != actual {
        return Err(StoreError::VersionMismatch {
            kind: kind.into(),
            id: id.to_string(),
            expected,
            actual,
        });
    }
    Ok(())
}

fn backwards(id: &TaskId, field: &str, from: TaskState, to: TaskState) -> StoreError {
    StoreError::Backwards {
        id: id.to_string(),
        field: field.into(),
        from: from.to_string(),
        to: to.to_string(),
    }
}
