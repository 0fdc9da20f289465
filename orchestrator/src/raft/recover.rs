//! Disaster recovery (`shoald --force-new-cluster`): rebuilds the state a manager holds from
//! its own Raft database (latest snapshot plus every log entry after it), so that the manager
//! can restart as the only member of a new cluster that keeps all of it.

use super::db::{Db, DbError, KEY_SNAPSHOT};
use super::state_machine::StoredSnapshot;
use super::types::Entry;
use crate::store::State;
use openraft::EntryPayload;
use std::path::Path;
use thiserror::Error;

/// Why the state could not be rebuilt. The messages are those of the underlying error.
#[derive(Debug, Error)]
pub enum RebuildError {
    /// The Raft database cannot be opened or read.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The stored snapshot, or the state inside it, does not decode.
    #[error(transparent)]
    Snapshot(serde_json::Error),
    /// A log entry does not decode.
    #[error(transparent)]
    Entry(serde_json::Error),
}

/// The state recorded in the database at `path`, with every logged command applied.
pub fn rebuild_state(path: &Path) -> Result<State, RebuildError> {
    let db = Db::open(path)?;
    let mut state = State::default();
    let mut from = 0;
    if let Some(bytes) = db.get_meta(KEY_SNAPSHOT)? {
        let snap: StoredSnapshot =
            serde_json::from_slice(&bytes).map_err(RebuildError::Snapshot)?;
        state = serde_json::from_slice(&snap.data).map_err(RebuildError::Snapshot)?;
        from = snap.meta.last_log_id.map_or(0, |l| l.index + 1);
    }
    for bytes in db.range(from, u64::MAX)? {
        let entry: Entry = serde_json::from_slice(&bytes).map_err(RebuildError::Entry)?;
        if let EntryPayload::Normal(cmd) = entry.payload {
            // A command the store refused then is refused again: same state, same answer.
            let _ = state.apply(entry.log_id.index, &cmd);
        }
    }
    Ok(state)
}
