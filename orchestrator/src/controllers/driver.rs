//! The thin async driver shared by all controllers: snapshot-and-subscribe, mark dirty on
//! events, reconcile in coalesced batches, write through Raft, wake at the time a plan asks
//! for, resync periodically, and never stop on an error.

use crate::raft::Writer;
use crate::store::{Action, Event, Object, State, Store};
use shoal_api::Timestamp;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::{Instant, sleep, sleep_until};
use tokio_util::sync::CancellationToken;

/// Events arriving within this window are handled in one reconcile.
const COALESCE: Duration = Duration::from_millis(10);
/// Full resync, a safety net for anything an event did not say.
const RESYNC: Duration = Duration::from_secs(30);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
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
            let placements = plan
                .actions
                .iter()
                .filter(|a| matches!(a, Action::AssignTask { .. }))
                .count();
            if let Err(e) = write_all(&writer, plan.actions).await {
                tracing::warn!(controller = name, error = %e, "write failed; retrying in {backoff:?}");
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
                controller.mark_all();
                continue;
            }
            crate::telemetry::placed(placements);
            backoff = Duration::from_millis(100);
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

async fn write_all(
    writer: &Writer,
    mut actions: Vec<Action>,
) -> Result<(), crate::raft::WriteError> {
    while !actions.is_empty() {
        let rest = actions.split_off(actions.len().min(MAX_ACTIONS_PER_WRITE));
        writer.write(actions).await?;
        actions = rest;
    }
    Ok(())
}
