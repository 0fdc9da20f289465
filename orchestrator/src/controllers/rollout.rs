//! The rollout half of the replicated planner, pure: which config rolls the current spec
//! (update or rollback), which new tasks failed within the monitor period, and what the
//! service's `update_status` should say next. The orchestrator is the only writer of
//! `update_status`; a status belongs to one `spec_version`, so a paused rollout stays paused
//! until the spec changes again.
//!
//! A new task is one running the current task template, created since the rollout started.
//! It fails early when it stops on its own (failed, rejected, or exited) before it has run for
//! `monitor`. When failures exceed `max_failure_ratio` x slots being updated, the failure
//! action applies: pause, continue, or roll back to the previous spec.

use shoal_api::{
    FailureAction, NodeId, Service, Task, TaskState, Timestamp, UpdateConfig, UpdateState,
    UpdateStatus,
};
use std::collections::BTreeSet;

/// The rollout of the service's current spec.
pub struct Rollout<'a> {
    pub config: &'a UpdateConfig,
    /// The current spec came from a rollback.
    pub rollback: bool,
    /// The status written for the current spec, if any.
    pub status: Option<&'a UpdateStatus>,
}

impl<'a> Rollout<'a> {
    pub fn of(service: &'a Service) -> Rollout<'a> {
        let rollback = service.rolled_back;
        Rollout {
            config: if rollback {
                &service.spec.rollback
            } else {
                &service.spec.update
            },
            rollback,
            status: service
                .update_status
                .as_ref()
                .filter(|s| s.spec_version == service.spec_version),
        }
    }

    fn state(&self) -> Option<UpdateState> {
        self.status.map(|s| s.state)
    }

    /// Paused: no slot is replaced for the update until the spec changes again.
    pub fn paused(&self) -> bool {
        matches!(
            self.state(),
            Some(UpdateState::Paused | UpdateState::RollbackPaused)
        )
    }

    fn word(&self) -> &'static str {
        if self.rollback { "rollback" } else { "update" }
    }
}

/// What the rollout has seen of its new tasks.
#[derive(Debug, Default)]
pub struct Observed<'a> {
    /// New tasks that stopped within the monitor period, oldest failure first.
    pub failures: Vec<&'a Task>,
    /// Slots this rollout updates: still outdated, or given a new task by it.
    pub slots: usize,
    /// When the last running new task will have run for the monitor period.
    pub monitored_until: Option<Timestamp>,
}

/// Stopped on its own (not on request) before running `monitor`.
fn failed_early(t: &Task, config: &UpdateConfig) -> bool {
    let stopped_on_its_own = matches!(
        t.status.state,
        TaskState::Failed | TaskState::Rejected | TaskState::Complete
    );
    stopped_on_its_own
        && t.status
            .started_at
            .is_none_or(|s| t.status.timestamp < s.plus(config.monitor))
}

/// What a rollout replaces: a replica slot, or for a global service (slot 0) a node.
pub type SlotKey<'a> = (u64, Option<&'a NodeId>);

/// The slot a task fills.
pub fn slot_key(t: &Task) -> SlotKey<'_> {
    (
        t.slot,
        if t.slot == 0 {
            t.node_id.as_ref()
        } else {
            None
        },
    )
}

/// Looks at the tasks of `service` (history included) for the rollout in progress.
pub fn observe<'a>(
    service: &Service,
    rollout: &Rollout,
    tasks: &[&'a Task],
    outdated_slots: &[SlotKey<'a>],
) -> Observed<'a> {
    let Some(status) = rollout.status else {
        return Observed::default();
    };
    let new_tasks = || {
        tasks
            .iter()
            .copied()
            .filter(|t| t.spec == service.spec.task && t.meta.created_at >= status.started_at)
    };
    let mut failures: Vec<&Task> = new_tasks()
        .filter(|t| failed_early(t, rollout.config))
        .collect();
    failures.sort_by_key(|t| (t.status.timestamp, t.id.clone()));
    let slots: BTreeSet<SlotKey> = new_tasks()
        .map(slot_key)
        .chain(outdated_slots.iter().copied())
        .collect();
    let monitored_until = new_tasks()
        .filter(|t| t.desired_state == TaskState::Running && t.status.state == TaskState::Running)
        .map(|t| {
            t.status
                .started_at
                .unwrap_or(t.status.timestamp)
                .plus(rollout.config.monitor)
        })
        .max();
    Observed {
        failures,
        slots: slots.len(),
        monitored_until,
    }
}

/// What the rollout does next.
#[derive(Debug, Default, PartialEq)]
pub struct Step {
    /// The new `update_status`, when it changes.
    pub status: Option<UpdateStatus>,
    /// Roll back to the previous spec (with `status`, in the same write).
    pub rollback: bool,
    /// Replace no more outdated slots.
    pub hold: bool,
    /// Look again then (the end of the monitor period).
    pub wake_at: Option<Timestamp>,
}

/// `outdated`: some slot still runs an older spec; `in_flight`: some replacement is not
/// running yet.
pub fn decide(
    service: &Service,
    rollout: &Rollout,
    observed: &Observed,
    outdated: bool,
    in_flight: bool,
    now: Timestamp,
) -> Step {
    let word = rollout.word();
    let status = |state: UpdateState, started_at: Timestamp, message: String| UpdateStatus {
        state,
        started_at,
        completed_at: matches!(
            state,
            UpdateState::Completed | UpdateState::RollbackCompleted
        )
        .then_some(now),
        message,
        spec_version: service.spec_version,
    };
    let (started, completed, paused) = if rollout.rollback {
        (
            UpdateState::RollbackStarted,
            UpdateState::RollbackCompleted,
            UpdateState::RollbackPaused,
        )
    } else {
        (
            UpdateState::Updating,
            UpdateState::Completed,
            UpdateState::Paused,
        )
    };
    let Some(current) = rollout.status else {
        // A new spec: start its rollout, or note that there is nothing to roll.
        let previous = service.update_status.as_ref().map(|s| s.state);
        let message = if outdated {
            if rollout.rollback {
                "manually requested rollback".to_string()
            } else {
                "update in progress".to_string()
            }
        } else {
            format!("{word} completed")
        };
        let state = if outdated { started } else { completed };
        let needed = outdated
            || rollout.rollback
            || previous.is_some_and(|p| {
                !matches!(p, UpdateState::Completed | UpdateState::RollbackCompleted)
            });
        return Step {
            status: needed.then(|| status(state, now, message)),
            ..Step::default()
        };
    };
    if !current.state.in_progress() {
        return Step {
            hold: rollout.paused(),
            ..Step::default()
        };
    }
    let config = rollout.config;
    let tolerated = config.max_failure_ratio * observed.slots as f64;
    if config.failure_action != FailureAction::Continue
        && observed.failures.len() as f64 > tolerated
        && let Some(task) = observed.failures.first()
    {
        let why = failure_reason(task, config);
        let name = format!("{}.{}.{}", task.service_name, task.slot, task.id);
        let roll_back = config.failure_action == FailureAction::Rollback
            && !rollout.rollback
            && service.previous_spec.is_some();
        if roll_back {
            let mut s = status(
                UpdateState::RollbackStarted,
                now,
                format!(
                    "update rolled back due to failure or early termination of task {name}: {why}"
                ),
            );
            // The rollback bumps the spec version; this status is for the spec it restores.
            s.spec_version = service.spec_version + 1;
            return Step {
                status: Some(s),
                rollback: true,
                hold: true,
                wake_at: None,
            };
        }
        return Step {
            status: Some(status(
                paused,
                current.started_at,
                format!("{word} paused due to failure or early termination of task {name}: {why}"),
            )),
            hold: true,
            ..Step::default()
        };
    }
    if outdated || in_flight {
        return Step::default();
    }
    match observed.monitored_until {
        Some(until) if now < until => Step {
            wake_at: Some(until),
            ..Step::default()
        },
        _ => {
            // An automatic rollback keeps saying why it happened.
            let message = if rollout.rollback && current.message.starts_with("update rolled back") {
                current.message.clone()
            } else {
                format!("{word} completed")
            };
            Step {
                status: Some(status(completed, current.started_at, message)),
                ..Step::default()
            }
        }
    }
}

fn failure_reason(t: &Task, config: &UpdateConfig) -> String {
    if !t.status.err.is_empty() {
        return t.status.err.clone();
    }
    let within = shoal_api::duration::format(config.monitor);
    match t.status.exit_code {
        Some(code) => format!("exited ({code}) within the {within} monitor period"),
        None => format!("{} within the {within} monitor period", t.status.state),
    }
}

/// Where a planner's rollout stands this round, for replicated and global services alike.
pub struct Round<'a> {
    pub rollout: Rollout<'a>,
    /// Outdated slots (or nodes) waiting for a new task.
    pub outdated: Vec<SlotKey<'a>>,
    /// Some outdated slot is being restarted onto the new spec anyway.
    pub restarting_outdated: bool,
    /// Replacements not running yet.
    pub in_flight: usize,
    /// When the last replacement of this rollout started running (for the update delay).
    pub last_running_new: Option<Timestamp>,
}

/// What the planner does next.
pub enum Next {
    /// Roll back: this plan, and nothing else this round.
    RollBack(super::driver::Plan),
    /// Replace up to this many outdated slots (the status change and wake-up time are
    /// already in the plan).
    Replace(usize),
}

impl<'a> Round<'a> {
    pub fn next(
        self,
        service: &Service,
        tasks: &[&'a Task],
        now: Timestamp,
        plan: &mut super::driver::Plan,
    ) -> Next {
        use crate::store::Action;
        let rollout = self.rollout;
        let observed = observe(service, &rollout, tasks, &self.outdated);
        let step = decide(
            service,
            &rollout,
            &observed,
            !self.outdated.is_empty() || self.restarting_outdated,
            self.in_flight > 0,
            now,
        );
        if step.rollback {
            // Everything else is planned again against the restored spec.
            return Next::RollBack(super::driver::Plan {
                actions: vec![Action::RollbackService {
                    id: service.id.clone(),
                    expected_spec_version: Some(service.spec_version),
                    status: step.status,
                }],
                wake_at: None,
            });
        }
        let config = rollout.config;
        let mut budget = if step.hold || rollout.paused() {
            0
        } else if config.parallelism == 0 {
            usize::MAX
        } else {
            (config.parallelism as usize).saturating_sub(self.in_flight)
        };
        let mut wake = step.wake_at;
        if !config.delay.is_zero()
            && let Some(t) = self.last_running_new
            && now < t.plus(config.delay)
        {
            budget = 0;
            let due = t.plus(config.delay);
            wake = Some(wake.map_or(due, |w| w.min(due)));
        }
        if let Some(w) = wake {
            plan.wake_at = Some(plan.wake_at.map_or(w, |p| p.min(w)));
        }
        if let Some(status) = step.status {
            plan.actions.push(Action::SetServiceUpdateStatus {
                id: service.id.clone(),
                status,
            });
        }
        Next::Replace(budget)
    }
}
