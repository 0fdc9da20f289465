//! Disaster recovery (`shoald --force-new-cluster`): rebuilds the state a manager holds from
//! its own Raft database (latest snapshot plus every log entry after it), so that the manager
//! can restart as the only member of a new cluster that keeps all of it.

use super::db::{Db, KEY_SNAPSHOT};
use super::state_machine::StoredSnapshot;
use super::types::Entry;
use crate::store::State;
use openraft::EntryPayload;
use std::path::Path;

/// The state recorded in the database at `path`, with every logged command applied.
pub fn rebuild_state(path: &Path) -> anyhow::Result<State> {
    let db = Db::open(path)?;
    let mut state = State::default();
    let mut from = 0;
    if let Some(bytes) = db.get_meta(KEY_SNAPSHOT)? {
        let snap: StoredSnapshot = serde_json::from_slice(&bytes)?;
        state = serde_json::from_slice(&snap.data)?;
        from = snap.meta.last_log_id.map_or(0, |l| l.index + 1);
    }
    for bytes in db.range(from, u64::MAX)? {
        let entry: Entry = serde_json::from_slice(&bytes)?;
        if let EntryPayload::Normal(cmd) = entry.payload {
            // A command the store refused then is refused again: same state, same answer.
            let _ = state.apply(entry.log_id.index, &cmd);
        }
    }
    Ok(state)
}
