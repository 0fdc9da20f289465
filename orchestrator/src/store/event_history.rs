//! The recent past of the store's changes, kept for `GET /v1/events?since=`, so a reader can
//! ask for the changes `since` a time, as `docker events --since` does. A subscriber of the
//! store (not part of the HTTP layer): each manager keeps the last [`KEPT`] batches of changes
//! it applied, stamped with when it applied them. It is memory only: a manager remembers what
//! it saw since it started, and says so when asked for more.

use crate::store::{Event, Store};
use shoal_api::Timestamp;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

/// Batches of changes kept (one per committed write).
pub const KEPT: usize = 4096;

/// A batch of changes and when this manager applied it.
#[derive(Clone)]
pub struct Past {
    pub event: Arc<Event>,
    pub time: Timestamp,
}

impl Past {
    /// The log index of a commit (a reset has none).
    pub fn index(&self) -> Option<u64> {
        match *self.event {
            Event::Commit { index, .. } => Some(index),
            Event::Reset => None,
        }
    }
}

struct Kept {
    /// The history is complete from this time on.
    complete_from: Timestamp,
    past: VecDeque<Past>,
}

pub struct EventHistory {
    kept: Mutex<Kept>,
}

impl EventHistory {
    /// Starts recording the store's changes until `stop`.
    pub fn start(store: &Store, stop: CancellationToken) -> Arc<EventHistory> {
        let history = Arc::new(EventHistory {
            kept: Mutex::new(Kept {
                complete_from: Timestamp::now(),
                past: VecDeque::new(),
            }),
        });
        let mut rx = store.subscribe();
        let h = history.clone();
        tokio::spawn(async move {
            loop {
                let received = tokio::select! {
                    r = rx.recv() => r,
                    _ = stop.cancelled() => return,
                };
                match received {
                    Ok(event) => h.record(event, Timestamp::now()),
                    Err(RecvError::Lagged(_)) => h.forget_until(Timestamp::now()),
                    Err(RecvError::Closed) => return,
                }
            }
        });
        history
    }

    /// A history that records nothing by itself, complete from `from` (for tests).
    #[cfg(test)]
    pub fn start_empty(from: Timestamp) -> EventHistory {
        EventHistory {
            kept: Mutex::new(Kept {
                complete_from: from,
                past: VecDeque::new(),
            }),
        }
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn record(&self, event: Arc<Event>, time: Timestamp) {
        let mut kept = self.kept();
        if kept.past.len() == KEPT
            && let Some(oldest) = kept.past.pop_front()
        {
            // Complete only after the batch that just fell out.
            kept.complete_from = kept.complete_from.max(oldest.time.plus(MILLI));
        }
        kept.past.push_back(Past { event, time });
    }

    /// Drops everything: some changes before `now` were missed.
    fn forget_until(&self, now: Timestamp) {
        let mut kept = self.kept();
        kept.past.clear();
        kept.complete_from = now;
    }

    /// The batches applied at or after `since`, oldest first, and the time from which the
    /// history is complete (a reader asking for earlier is told what is missing).
    pub fn since(&self, since: Timestamp) -> (Vec<Past>, Timestamp) {
        let kept = self.kept();
        let past = kept
            .past
            .iter()
            .filter(|p| p.time >= since)
            .cloned()
            .collect();
        (past, kept.complete_from)
    }
}

const MILLI: std::time::Duration = std::time::Duration::from_millis(1);

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(index: u64) -> Arc<Event> {
        Arc::new(Event::Commit {
            index,
            changes: Vec::new(),
        })
    }

    #[test]
    fn keeps_the_latest_batches_and_says_from_when_it_is_complete() {
        let h = EventHistory::start_empty(Timestamp(1_000));
        for i in 0..KEPT as u64 + 2 {
            h.record(commit(i + 1), Timestamp(2_000 + i));
        }
        let (all, complete_from) = h.since(Timestamp(0));
        assert_eq!(all.len(), KEPT);
        assert_eq!(all[0].index(), Some(3), "the two oldest fell out");
        assert_eq!(complete_from, Timestamp(2_002));
        let (recent, _) = h.since(Timestamp(2_000 + KEPT as u64));
        let indexes: Vec<Option<u64>> = recent.iter().map(Past::index).collect();
        assert_eq!(indexes, [Some(KEPT as u64 + 1), Some(KEPT as u64 + 2)]);
        h.forget_until(Timestamp(9_999));
        assert_eq!(h.since(Timestamp(0)).0.len(), 0);
        assert_eq!(h.since(Timestamp(0)).1, Timestamp(9_999));
    }
}
