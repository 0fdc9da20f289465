//! The orchestrator controller: runs the planner of its mode (replicated, global, replicated
//! job, global job) for every service whose service or tasks changed. It is the only writer
//! of task creation and `desired_state`.

use super::driver::{Controller, Plan};
use super::global::{GlobalNodes, plan_global};
use super::jobs::plan_replicated_job;
use super::rebalance::plan_rebalance;
use super::replicated::{NodeView, plan_service};
use super::scheduler::{demand::Demand, filters, node_info::NodeInfo};
use crate::store::{Change, Event, Object, State};
use shoal_api::{ServiceId, ServiceMode, Task, Timestamp};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Default)]
pub struct Orchestrator {
    dirty: BTreeSet<ServiceId>,
    all: bool,
}

impl Controller for Orchestrator {
    fn name(&self) -> &'static str {
        "orchestrator"
    }

    fn observe(&mut self, event: &Event) {
        match event {
            Event::Reset => self.all = true,
            Event::Commit { changes, .. } => {
                for c in changes {
                    match c.object() {
                        Object::Service(s) => {
                            self.dirty.insert(s.id.clone());
                        }
                        // Only a changed status or desired state can matter to the planner.
                        Object::Task(t) => {
                            if !matches!(c, Change::Created(_)) {
                                self.dirty.insert(t.service_id.clone());
                            }
                        }
                        // A node going down or coming back may concern any service.
                        Object::Node(_) => self.all = true,
                        Object::Cluster(_) => {}
                    }
                }
            }
        }
    }

    fn mark_all(&mut self) {
        self.all = true;
    }

    fn is_dirty(&self) -> bool {
        self.all || !self.dirty.is_empty()
    }

    fn plan(&mut self, state: &State, now: Timestamp) -> Plan {
        let mut by_service: BTreeMap<&ServiceId, Vec<&Task>> = BTreeMap::new();
        let mut view = NodeView {
            lost: state
                .nodes
                .values()
                .filter(|n| {
                    n.status.state == shoal_api::NodeState::Down
                        || n.spec.availability == shoal_api::Availability::Drain
                })
                .map(|n| n.id.clone())
                .collect(),
            ..Default::default()
        };
        for t in state.tasks.values() {
            by_service.entry(&t.service_id).or_default().push(t);
            if let Some(n) = &t.node_id
                && t.desired_state <= shoal_api::TaskState::Running
            {
                *view.load.entry(n.clone()).or_default() += 1;
                if !state.nodes.contains_key(n) {
                    view.lost.insert(n.clone());
                }
            }
        }
        let ids: BTreeSet<ServiceId> = if self.all {
            state
                .services
                .keys()
                .chain(by_service.keys().copied())
                .cloned()
                .collect()
        } else {
            std::mem::take(&mut self.dirty)
        };
        self.all = false;
        self.dirty.clear();
        let global = GlobalNodes {
            eligible: state
                .nodes
                .values()
                .filter(|n| {
                    n.status.state == shoal_api::NodeState::Ready
                        && n.spec.availability == shoal_api::Availability::Active
                })
                .map(|n| n.id.clone())
                .collect(),
            evict: view
                .lost
                .iter()
                .filter(|id| {
                    state
                        .nodes
                        .get(*id)
                        .is_none_or(|n| n.spec.availability == shoal_api::Availability::Drain)
                })
                .cloned()
                .collect(),
        };
        let rebalance = state.cluster.as_ref().is_none_or(|c| c.spec.rebalance);
        let mut infos = None;
        let mut plan = Plan::default();
        for id in &ids {
            let tasks = by_service.get(id).map(Vec::as_slice).unwrap_or(&[]);
            let service = state.services.get(id);
            plan.merge(match service.map(|s| &s.spec.mode) {
                Some(ServiceMode::Global {} | ServiceMode::GlobalJob {}) => {
                    let s = service.expect("matched");
                    plan_global(s, tasks, &global.for_service(s, &state.nodes), now)
                }
                Some(ServiceMode::ReplicatedJob { .. }) => {
                    plan_replicated_job(service.expect("matched"), tasks, &view, now)
                }
                // Replicated, or deleted (its tasks go away); a settled one may rebalance.
                _ => {
                    let mut p = plan_service(id, service, tasks, &view, now);
                    if let Some(s) = service
                        && p.actions.is_empty()
                        && rebalance
                    {
                        let infos = infos.get_or_insert_with(|| NodeInfo::all(state));
                        p.merge(plan_rebalance(s, tasks, &targets(tasks, infos), now));
                    }
                    p
                }
            });
        }
        plan
    }
}

/// The nodes the scheduler would accept one more task of this service on (none for a
/// service with spread preferences: the scheduler's ranking owns its balance).
fn targets(tasks: &[&Task], infos: &[NodeInfo]) -> BTreeSet<shoal_api::NodeId> {
    let live = tasks
        .iter()
        .find(|t| t.desired_state <= shoal_api::TaskState::Running);
    let Some(demand) = live.and_then(|t| Demand::of(t).ok()) else {
        return BTreeSet::new();
    };
    if !demand.spread.is_empty() {
        return BTreeSet::new();
    }
    infos
        .iter()
        .filter(|n| filters::check(&demand, n).is_ok())
        .map(|n| n.node.id.clone())
        .collect()
}
