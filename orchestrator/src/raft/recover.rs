//! Disaster recovery (`shoald --force-new-cluster`): rebuilds the state a manager holds from
//! its own Raft database (latest snapshot plus every log entry after it), so that the manager
//! can restart as the only member of a new cluster that keeps all of it.

use super::db::{Db, DbError};
use super::state_machine::{SnapshotReadError, StoredSnapshot};
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
    /// The stored snapshot cannot be read back.
    #[error(transparent)]
    StoredSnapshot(SnapshotReadError),
    /// The state inside the snapshot does not decode.
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
    let stored = StoredSnapshot::read(&db).map_err(|e| match e {
        SnapshotReadError::Db(e) => RebuildError::Db(e),
        e => RebuildError::StoredSnapshot(e),
    })?;
    if let Some(snap) = stored {
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
