//! The one store: the replicated state in memory, fed only by the Raft state machine, read by
//! the API and the controllers, and watched through events.
//!
//! Reads take a short lock and clone what they need. `snapshot_and_subscribe` returns a copy of
//! the state together with an event receiver that starts exactly after that copy, so a
//! controller never misses or double-counts a change.

mod command;
mod error;
mod event;
pub mod event_history;
mod state;

pub use command::{Action, Command};
pub use error::StoreError;
pub use event::{Change, Event, Object};
pub use event_history::EventHistory;
pub use state::State;

use crate::raft::types::AppliedMeta;
use std::sync::{Arc, RwLock, RwLockReadGuard};
use tokio::sync::broadcast;

/// Events buffered per subscriber before it lags and must resync.
const EVENT_BUFFER: usize = 4096;

#[derive(Default)]
struct Inner {
    state: State,
    applied: AppliedMeta,
}

#[derive(Clone)]
pub struct Store {
    inner: Arc<RwLock<Inner>>,
    events: broadcast::Sender<Arc<Event>>,
}

impl Default for Store {
    fn default() -> Self {
        Self::new()
    }
}

/// A read guard on the state.
pub struct ReadGuard<'a>(RwLockReadGuard<'a, Inner>);

impl std::ops::Deref for ReadGuard<'_> {
    type Target = State;
    fn deref(&self) -> &State {
        &self.0.state
    }
}

impl Store {
    pub fn new() -> Self {
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        Store {
            inner: Arc::default(),
            events,
        }
    }

    /// Read access; keep it short and never hold it across an await.
    pub fn read(&self) -> ReadGuard<'_> {
        ReadGuard(self.inner.read().unwrap_or_else(|e| e.into_inner()))
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.events.subscribe()
    }

    /// A copy of the state and a receiver of every event after it. An event may repeat a
    /// change the copy already holds; none is ever missed.
    pub fn snapshot_and_subscribe(&self) -> (State, broadcast::Receiver<Arc<Event>>) {
        let guard = self.read();
        let rx = self.events.subscribe();
        (guard.clone(), rx)
    }

    /// Applies one command at `index` and records `applied` under the same lock, so a
    /// snapshot never sees data without its progress marker. `changes` collects the changes
    /// so that a whole apply batch is published once.
    pub fn apply(
        &self,
        index: u64,
        cmd: &Command,
        applied: AppliedMeta,
        changes: &mut Vec<Change>,
    ) -> Result<u64, StoreError> {
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        inner.applied = applied;
        let result = inner.state.apply(index, cmd)?;
        changes.extend(result);
        Ok(index)
    }

    /// Records raft progress; done under the same lock as the data so snapshots are consistent.
    pub fn set_applied(&self, applied: AppliedMeta) {
        self.inner
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .applied = applied;
    }

    pub fn applied(&self) -> AppliedMeta {
        self.inner
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .applied
            .clone()
    }

    /// A consistent copy of data and raft progress, for a snapshot.
    pub fn dump(&self) -> (State, AppliedMeta) {
        let inner = self.read_inner();
        (inner.state.clone(), inner.applied.clone())
    }

    /// Replaces everything (snapshot install or startup) and tells subscribers to resync.
    pub fn reset(&self, state: State, applied: AppliedMeta) {
        {
            let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
            inner.state = state;
            inner.applied = applied;
        }
        let _ = self.events.send(Arc::new(Event::Reset));
    }

    /// Publishes the changes of one apply batch.
    pub fn publish(&self, index: u64, changes: Vec<Change>) {
        if !changes.is_empty() {
            let _ = self.events.send(Arc::new(Event::Commit { index, changes }));
        }
    }

    fn read_inner(&self) -> RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests;
