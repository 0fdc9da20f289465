//! The restart policy of a task and its one decision, shared by the orchestrator (which acts
//! on it) and the CLI (which explains it): should a task that stopped be replaced, when, and
//! if not, why. SwarmKit's semantics: attempts are the restarts of the slot under the same
//! spec; with a window, only restarts within `window` before the failure count.

use crate::duration::serde_humane;
use crate::meta::Timestamp;
use crate::task::{Task, TaskState};
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum RestartCondition {
    None,
    OnFailure,
    #[default]
    Any,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestartPolicy {
    #[serde(default)]
    pub condition: RestartCondition,
    #[serde(default = "default_restart_delay", with = "serde_humane")]
    pub delay: Duration,
    /// Restarts allowed (within `window` when set); 0 means unlimited.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub max_attempts: u64,
    /// The window attempts are counted in; 0 means since the spec last changed.
    #[serde(
        default,
        with = "serde_humane",
        skip_serializing_if = "Duration::is_zero"
    )]
    pub window: Duration,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

fn default_restart_delay() -> Duration {
    Duration::from_secs(5)
}

impl Default for RestartPolicy {
    fn default() -> Self {
        RestartPolicy {
            condition: RestartCondition::Any,
            delay: default_restart_delay(),
            max_attempts: 0,
            window: Duration::ZERO,
        }
    }
}

/// What happens to a task that stopped while desired running.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Restart {
    /// Replace it now.
    Now,
    /// Replace it at this time (the restart delay).
    At(Timestamp),
    /// Never: the slot stays down, for this reason.
    Never(String),
}

impl RestartPolicy {
    /// The restarts of `task`'s slot that count against `max_attempts`: those recorded on
    /// the task, within `window` before it stopped.
    pub fn attempts_used(&self, task: &Task) -> u64 {
        let stopped = task.status.timestamp;
        task.restarts
            .iter()
            .filter(|r| self.window.is_zero() || r.plus(self.window) >= stopped)
            .count() as u64
    }

    /// Decides for `task`, which stopped (status terminal) while desired running.
    pub fn verdict(&self, task: &Task, now: Timestamp) -> Restart {
        let failed = task.status.state != TaskState::Complete;
        match self.condition {
            RestartCondition::None => {
                return Restart::Never("restart policy: condition none".into());
            }
            RestartCondition::OnFailure if !failed => {
                return Restart::Never("restart policy: on-failure, and it exited 0".into());
            }
            _ => {}
        }
        if self.max_attempts > 0 {
            let used = self.attempts_used(task);
            if used >= self.max_attempts {
                let within = if self.window.is_zero() {
                    String::new()
                } else {
                    format!(" within {}", crate::duration::format(self.window))
                };
                return Restart::Never(format!(
                    "restart policy: {used} of {} attempts used{within}",
                    self.max_attempts
                ));
            }
        }
        let due = task.status.timestamp.plus(self.delay);
        if now < due {
            Restart::At(due)
        } else {
            Restart::Now
        }
    }

    /// The restart record of a task replacing `old` at `now`: `old`'s (when the spec is the
    /// same), trimmed to what can still count, plus this restart.
    pub fn next_restarts(&self, old: &Task, same_spec: bool, now: Timestamp) -> Vec<Timestamp> {
        if self.max_attempts == 0 {
            return Vec::new();
        }
        let mut v: Vec<Timestamp> = if same_spec {
            old.restarts
                .iter()
                .copied()
                .filter(|r| self.window.is_zero() || r.plus(self.window) >= now)
                .collect()
        } else {
            Vec::new()
        };
        v.push(now);
        let keep = self.max_attempts as usize;
        if v.len() > keep {
            v.drain(..v.len() - keep);
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{ServiceId, TaskId};
    use crate::meta::Meta;
    use crate::task::TaskStatus;

    const T0: Timestamp = Timestamp(1_000_000);
    const S: Duration = Duration::from_secs(1);

    fn stopped(state: TaskState, at: Timestamp, restarts: Vec<Timestamp>) -> Task {
        Task {
            id: TaskId("t".into()),
            meta: Meta::default(),
            service_id: ServiceId("s".into()),
            service_name: "s".into(),
            slot: 1,
            node_id: None,
            spec: Default::default(),
            desired_state: TaskState::Running,
            status: TaskStatus {
                timestamp: at,
                ..TaskStatus::new(state, "")
            },
            restarts,
        }
    }

    #[test]
    fn waits_for_the_delay_then_restarts() {
        let p = RestartPolicy::default();
        let t = stopped(TaskState::Failed, T0, vec![]);
        assert_eq!(p.verdict(&t, T0), Restart::At(T0.plus(5 * S)));
        assert_eq!(p.verdict(&t, T0.plus(5 * S)), Restart::Now);
    }

    #[test]
    fn conditions() {
        let mut p = RestartPolicy {
            condition: RestartCondition::OnFailure,
            delay: Duration::ZERO,
            ..Default::default()
        };
        let done = stopped(TaskState::Complete, T0, vec![]);
        assert!(matches!(p.verdict(&done, T0), Restart::Never(_)));
        let failed = stopped(TaskState::Failed, T0, vec![]);
        assert_eq!(p.verdict(&failed, T0), Restart::Now);
        p.condition = RestartCondition::None;
        assert!(matches!(p.verdict(&failed, T0), Restart::Never(_)));
    }

    #[test]
    fn max_attempts_counts_restarts_within_the_window_before_the_failure() {
        let mut p = RestartPolicy {
            delay: Duration::ZERO,
            max_attempts: 2,
            ..Default::default()
        };
        let once = stopped(TaskState::Failed, T0.plus(10 * S), vec![T0]);
        assert_eq!(p.verdict(&once, T0.plus(10 * S)), Restart::Now);
        let twice = stopped(TaskState::Failed, T0.plus(10 * S), vec![T0, T0.plus(5 * S)]);
        assert_eq!(
            p.verdict(&twice, T0.plus(10 * S)),
            Restart::Never("restart policy: 2 of 2 attempts used".into())
        );
        // The verdict is taken at the failure: it does not change as time passes.
        assert!(matches!(
            p.verdict(&twice, T0.plus(3600 * S)),
            Restart::Never(_)
        ));
        p.window = 8 * S;
        assert_eq!(p.verdict(&twice, T0.plus(10 * S)), Restart::Now);
        assert_eq!(p.attempts_used(&twice), 1);
    }

    #[test]
    fn the_record_keeps_what_can_still_count() {
        let p = RestartPolicy {
            max_attempts: 2,
            window: 10 * S,
            ..Default::default()
        };
        let old = stopped(TaskState::Failed, T0, vec![T0, T0.plus(5 * S)]);
        let now = T0.plus(12 * S);
        assert_eq!(p.next_restarts(&old, true, now), vec![T0.plus(5 * S), now]);
        assert_eq!(p.next_restarts(&old, false, now), vec![now]);
        let unlimited = RestartPolicy::default();
        assert!(unlimited.next_restarts(&old, true, now).is_empty());
    }
}
