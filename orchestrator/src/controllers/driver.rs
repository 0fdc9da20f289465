//! The thin async driver shared by all controllers: snapshot-and-subscribe, mark dirty on
//! events, reconcile in coalesced batches, write through Raft, wake at the time a plan asks
//! for, resync periodically, and never stop on an error.
//!
//! An action the store refuses (a command is all or nothing, so one bad action fails its
//! batch) is found by writing that batch again one action at a time. Refused once, it may
//! only have lost a race with another writer, so the controller simply replans; refused again,
//! it is held back with its own doubling delay ([`HeldBack`]) while the rest of every plan goes
//! ahead: one object that cannot be reconciled does not stop every other one (kube-runtime's
//! per-object error policy; planners are deterministic, so the action itself names the object).

use crate::raft::{WriteError, Writer};
use crate::store::{Action, Event, Object, State, Store};
use shoal_api::Timestamp;
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::{Instant, sleep, sleep_until};
use tokio_util::sync::CancellationToken;

/// Events arriving within this window are handled in one reconcile.
const COALESCE: Duration = Duration::from_millis(10);
/// Full resync, a safety net for anything an event did not say.
const RESYNC: Duration = Duration::from_secs(30);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// The first and the longest pause of an action the store refused.
const HOLD_FIRST: Duration = Duration::from_secs(1);
const HOLD_MAX: Duration = Duration::from_secs(60);
/// Actions per Raft command, so one reconcile never builds a huge log entry.
const MAX_ACTIONS_PER_WRITE: usize = 500;

/// What a controller wants done now, and when it wants to look again.
#[derive(Debug, Default)]
pub struct Plan {
    pub actions: Vec<Action>,
    pub wake_at: Option<Timestamp>,
}

impl Plan {
    pub fn merge(&mut self, other: Plan) {
        self.actions.extend(other.actions);
        self.wake_at = match (self.wake_at, other.wake_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
}

pub trait Controller: Send + 'static {
    fn name(&self) -> &'static str;
    /// Notes what an event makes dirty.
    fn observe(&mut self, event: &Event);
    /// Marks everything dirty (start, lag, resync, timer).
    fn mark_all(&mut self);
    fn is_dirty(&self) -> bool;
    /// Plans for what is dirty and clears it. Pure: reads `state`, does no I/O.
    fn plan(&mut self, state: &State, now: Timestamp) -> Plan;
}

/// A controller that replans the whole state with a pure `plan` whenever an event touches an
/// object it is `interested` in. Enough when planning is cheap and has no timers.
pub struct WholeState {
    pub name: &'static str,
    pub interested: fn(&Object) -> bool,
    pub plan: fn(&State) -> Vec<Action>,
    pub dirty: bool,
}

impl Controller for WholeState {
    fn name(&self) -> &'static str {
        self.name
    }

    fn observe(&mut self, event: &Event) {
        match event {
            Event::Reset => self.dirty = true,
            Event::Commit { changes, .. } => {
                self.dirty |= changes.iter().any(|c| (self.interested)(c.object()));
            }
        }
    }

    fn mark_all(&mut self) {
        self.dirty = true;
    }

    fn is_dirty(&self) -> bool {
        self.dirty
    }

    fn plan(&mut self, state: &State, _now: Timestamp) -> Plan {
        self.dirty = false;
        Plan {
            actions: (self.plan)(state),
            wake_at: None,
        }
    }
}

pub async fn drive<C: Controller>(
    mut controller: C,
    store: Store,
    writer: Writer,
    shutdown: CancellationToken,
) {
    let name = controller.name();
    let mut events = store.subscribe();
    controller.mark_all();
    let mut wake: Option<Instant> = None;
    let mut backoff = Duration::from_millis(100);
    let mut next_resync = Instant::now() + RESYNC;
    let mut held = HeldBack::default();
    tracing::debug!(controller = name, "started");
    loop {
        if controller.is_dirty() {
            let plan = {
                let state = store.read();
                controller.plan(&state, Timestamp::now())
            };
            wake = plan.wake_at.map(|t| {
                let now = Timestamp::now();
                Instant::now() + now.until(t)
            });
            let actions = held.let_through(plan.actions, Instant::now());
            wake = [wake, held.next_retry()].into_iter().flatten().min();
            let placements = actions
                .iter()
                .filter(|a| matches!(a, Action::AssignTask { .. }))
                .count();
            match write_all(&writer, actions, name, &mut held).await {
                Err(e) => {
                    tracing::warn!(controller = name, error = %e, "write failed; retrying in {backoff:?}");
                    tokio::select! {
                        _ = shutdown.cancelled() => return,
                        _ = sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    controller.mark_all();
                    continue;
                }
                Ok(Written::All) => {
                    crate::telemetry::placed(placements);
                    backoff = Duration::from_millis(100);
                }
                // What was refused may have lost a race: replan soon from the fresh state.
                Ok(Written::SomeRefused) => {
                    tokio::select! {
                        _ = shutdown.cancelled() => return,
                        _ = sleep(Duration::from_millis(100)) => {}
                    }
                    controller.mark_all();
                    continue;
                }
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            ev = events.recv() => {
                handle(&mut controller, ev);
                // Coalesce a burst of events into one reconcile.
                let deadline = Instant::now() + COALESCE;
                loop {
                    tokio::select! {
                        ev = events.recv() => handle(&mut controller, ev),
                        _ = sleep_until(deadline) => break,
                    }
                }
            }
            _ = sleep_until(wake.unwrap_or(next_resync)) => {
                controller.mark_all();
            }
            _ = sleep_until(next_resync) => {
                next_resync = Instant::now() + RESYNC;
                controller.mark_all();
            }
        }
    }
}

fn handle<C: Controller>(c: &mut C, ev: Result<std::sync::Arc<Event>, RecvError>) {
    match ev {
        Ok(e) => c.observe(&e),
        Err(RecvError::Lagged(_)) | Err(RecvError::Closed) => c.mark_all(),
    }
}

/// Whether every action of a plan was written.
enum Written {
    All,
    SomeRefused,
}

/// Writes `actions` in commands of at most [`MAX_ACTIONS_PER_WRITE`]. A command the store
/// refuses is written again an action at a time; the actions it still refuses are counted in
/// `held`. Any other failure (no leader, no quorum) is returned for the caller to retry.
async fn write_all(
    writer: &Writer,
    mut actions: Vec<Action>,
    controller: &'static str,
    held: &mut HeldBack,
) -> Result<Written, WriteError> {
    let mut written = Written::All;
    while !actions.is_empty() {
        let rest = actions.split_off(actions.len().min(MAX_ACTIONS_PER_WRITE));
        match writer.write(actions.clone()).await {
            Ok(_) => {}
            Err(WriteError::Store(_)) if actions.len() > 1 => {
                for action in actions {
                    match writer.write(vec![action.clone()]).await {
                        Ok(_) => {}
                        Err(WriteError::Store(e)) => {
                            held.refused(&action, &e, controller);
                            written = Written::SomeRefused;
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
            Err(WriteError::Store(e)) => {
                if let Some(action) = actions.first() {
                    held.refused(action, &e, controller);
                }
                written = Written::SomeRefused;
            }
            Err(e) => return Err(e),
        }
        actions = rest;
    }
    Ok(written)
}

/// Actions the store refused, each held back until its own time, the pause doubling each time
/// it is refused again. Keyed by the action's JSON: a planner plans the same action for the
/// same object until the object changes, and a changed object plans a different action.
#[derive(Debug, Default)]
struct HeldBack {
    actions: HashMap<String, Hold>,
}

#[derive(Debug)]
struct Hold {
    /// Refusals in a row.
    strikes: u32,
    until: Instant,
    pause: Duration,
}

fn key(action: &Action) -> String {
    serde_json::to_string(action).unwrap_or_else(|_| format!("{action:?}"))
}

impl HeldBack {
    /// The actions not held back now; holds that have ended are kept (to double the pause if
    /// refused again) until they have been over for longer than the longest pause.
    fn let_through(&mut self, actions: Vec<Action>, now: Instant) -> Vec<Action> {
        self.actions.retain(|_, h| now < h.until + HOLD_MAX);
        if self.actions.is_empty() {
            return actions;
        }
        actions
            .into_iter()
            .filter(|a| self.actions.get(&key(a)).is_none_or(|h| h.until <= now))
            .collect()
    }

    /// Records that the store refused `action`.
    fn refused(&mut self, action: &Action, why: &crate::store::StoreError, controller: &str) {
        if let Some(pause) = self.strike(action, Instant::now()) {
            tracing::warn!(controller, error = %why, ?action, "the store refused an action again; holding it back for {pause:?}");
        } else {
            tracing::debug!(controller, error = %why, ?action, "the store refused an action; replanning");
        }
    }

    /// Counts a refusal of `action`; from the second in a row it is held back, and this says
    /// for how long.
    fn strike(&mut self, action: &Action, now: Instant) -> Option<Duration> {
        let hold = self.actions.entry(key(action)).or_insert(Hold {
            strikes: 0,
            until: now,
            pause: HOLD_FIRST / 2,
        });
        hold.strikes += 1;
        if hold.strikes < 2 {
            return None;
        }
        hold.pause = (hold.pause * 2).min(HOLD_MAX);
        hold.until = now + hold.pause;
        Some(hold.pause)
    }

    /// When the next held-back action may be tried again.
    fn next_retry(&self) -> Option<Instant> {
        let now = Instant::now();
        self.actions
            .values()
            .map(|h| h.until)
            .filter(|t| *t > now)
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shoal_api::ServiceId;

    fn delete(id: &str) -> Action {
        Action::DeleteService {
            id: ServiceId(id.into()),
        }
    }

    #[test]
    fn an_action_refused_twice_is_held_back_alone_with_a_doubling_pause() {
        let mut held = HeldBack::default();
        let t0 = Instant::now();
        // Once may be a lost race: replanned at once, not held.
        assert_eq!(held.strike(&delete("bad"), t0), None);
        assert_eq!(held.let_through(vec![delete("bad")], t0).len(), 1);
        assert_eq!(held.strike(&delete("bad"), t0), Some(HOLD_FIRST));
        let through = held.let_through(vec![delete("bad"), delete("good")], t0);
        assert_eq!(through.len(), 1, "the other action goes ahead");
        assert!(matches!(&through[0], Action::DeleteService { id } if id.0 == "good"));
        // Its time comes, it is refused again: twice as long.
        let t1 = t0 + HOLD_FIRST;
        assert_eq!(held.let_through(vec![delete("bad")], t1).len(), 1);
        assert_eq!(held.strike(&delete("bad"), t1), Some(HOLD_FIRST * 2));
        assert!(held.let_through(vec![delete("bad")], t1).is_empty());
        // Long after its last hold it is forgotten, and starts over.
        let later = t1 + HOLD_FIRST * 2 + HOLD_MAX;
        assert_eq!(held.let_through(vec![delete("bad")], later).len(), 1);
        assert_eq!(held.strike(&delete("bad"), later), None);
    }
}
