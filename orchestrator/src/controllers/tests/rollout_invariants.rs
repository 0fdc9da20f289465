//! Runs rolling updates to completion against a simulated cluster whose agents move tasks
//! forward at random, checking after every step: stop-first with parallelism P never has
//! more than P slots down; start-first never runs fewer than the desired count.

use super::fixtures::*;
use crate::controllers::replicated::{NodeView, plan_service};
use crate::store::Action;
use shoal_api::*;
use std::time::Duration;

struct Sim {
    service: Service,
    tasks: Vec<Task>,
    now: Timestamp,
    seed: u64,
}

impl Sim {
    fn coin(&mut self) -> bool {
        self.seed = self
            .seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.seed >> 33).is_multiple_of(2)
    }

    fn orchestrate(&mut self) {
        let refs: Vec<&Task> = self.tasks.iter().collect();
        let plan = plan_service(
            &self.service.id,
            Some(&self.service),
            &refs,
            &NodeView::default(),
            self.now,
        );
        for a in plan.actions {
            match a {
                Action::CreateTask(mut t) => {
                    t.meta.created_at = self.now;
                    t.node_id = Some(NodeId::from("n"));
                    self.tasks.push(t);
                }
                Action::SetTaskDesiredState { id, state } => {
                    let t = self.tasks.iter_mut().find(|t| t.id == id).unwrap();
                    assert!(state >= t.desired_state);
                    t.desired_state = state;
                }
                Action::SetServiceUpdateStatus { status, .. } => {
                    self.service.update_status = Some(status)
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    /// Each task moves one step forward, or not, at random.
    fn agents(&mut self) {
        let now = self.now;
        for i in 0..self.tasks.len() {
            if !self.coin() {
                continue;
            }
            let t = &mut self.tasks[i];
            let next = if t.desired_state >= TaskState::Shutdown {
                (!t.status.state.is_terminal()).then_some(TaskState::Shutdown)
            } else if t.status.state < TaskState::Ready {
                Some(TaskState::Ready)
            } else if t.desired_state == TaskState::Running && t.status.state < TaskState::Running {
                Some(TaskState::Running)
            } else {
                None
            };
            if let Some(state) = next {
                t.status.state = state;
                t.status.timestamp = now;
                if state == TaskState::Running {
                    t.status.started_at = Some(now);
                }
            }
        }
    }

    fn running(&self) -> usize {
        self.tasks
            .iter()
            .filter(|t| t.status.state == TaskState::Running)
            .count()
    }

    fn slots_down(&self, replicas: u64) -> usize {
        (1..=replicas)
            .filter(|s| {
                !self
                    .tasks
                    .iter()
                    .any(|t| t.slot == *s && t.status.state == TaskState::Running)
            })
            .count()
    }
}

fn roll(order: UpdateOrder, parallelism: u64, replicas: u64, seed: u64) {
    let old = service("web", "img:1", replicas);
    let mut tasks: Vec<Task> = (1..=replicas)
        .map(|i| {
            let mut t = task(&old, i, TaskState::Running, Some("n"));
            t.status.started_at = Some(T0);
            t
        })
        .collect();
    tasks.sort_by_key(|t| t.slot);
    let mut s = old.clone();
    s.spec.task.container.image = "img:2".into();
    s.spec_version = 2;
    s.spec.update.parallelism = parallelism;
    s.spec.update.order = order;
    s.spec.update.monitor = Duration::from_secs(2);
    let mut sim = Sim {
        service: s,
        tasks,
        now: T0.plus(Duration::from_secs(1)),
        seed,
    };
    for _ in 0..2000 {
        sim.orchestrate();
        sim.agents();
        match order {
            UpdateOrder::StopFirst => {
                let down = sim.slots_down(replicas);
                let p = if parallelism == 0 {
                    replicas as usize
                } else {
                    parallelism as usize
                };
                assert!(down <= p, "{down} slots down with parallelism {p}");
            }
            UpdateOrder::StartFirst => {
                assert!(
                    sim.running() >= replicas as usize,
                    "{} running",
                    sim.running()
                );
            }
        }
        if sim.service.update_status.as_ref().map(|s| s.state) == Some(UpdateState::Completed) {
            let current: Vec<&Task> = sim
                .tasks
                .iter()
                .filter(|t| t.desired_state == TaskState::Running)
                .collect();
            assert_eq!(current.len(), replicas as usize);
            assert!(current.iter().all(|t| t.spec.container.image == "img:2"));
            return;
        }
        sim.now = sim.now.plus(Duration::from_millis(500));
    }
    panic!(
        "the update never completed: {:?}",
        sim.service.update_status
    );
}

#[test]
fn stop_first_never_has_more_than_parallelism_slots_down() {
    for seed in 0..20 {
        roll(UpdateOrder::StopFirst, 1, 4, seed);
        roll(UpdateOrder::StopFirst, 2, 5, seed);
        roll(UpdateOrder::StopFirst, 0, 3, seed);
    }
}

#[test]
fn start_first_never_drops_below_the_desired_count() {
    for seed in 0..20 {
        roll(UpdateOrder::StartFirst, 1, 4, seed);
        roll(UpdateOrder::StartFirst, 3, 5, seed);
    }
}
