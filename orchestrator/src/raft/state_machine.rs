//! openraft state machine: applies committed commands to the in-memory [`Store`] and keeps
//! the latest snapshot in redb. On start it loads that snapshot; openraft then re-applies the
//! committed log after it, so the state survives any crash without a write per apply.
//!
//! A snapshot is stored as two meta keys written in one transaction: its metadata as JSON
//! under `snapshot`, and the state's bytes as they are under `snapshot.data` (so a 50 MB
//! state takes 50 MB, not the ~3.5 bytes a byte of a JSON array of numbers). A snapshot
//! stored the earlier way, bytes inside the metadata, is still read.

use super::db::{Db, DbError, KEY_SNAPSHOT, KEY_SNAPSHOT_DATA};
use super::log_store::{blocking, decode, encode};
use super::types::{
    AppliedMeta, Entry, Member, RaftId, Response, SnapshotMeta, StorageError, TypeConfig,
};
use crate::store::{State, Store};
use openraft::storage::{RaftStateMachine, Snapshot};
use openraft::{
    AnyError, EntryPayload, LogId, OptionalSend, RaftSnapshotBuilder, StorageIOError,
    StoredMembership,
};
use serde::{Deserialize, Serialize};
use std::io::Cursor;
use std::sync::Arc;

pub(super) struct StoredSnapshot {
    pub meta: SnapshotMeta,
    /// JSON of [`State`].
    pub data: Vec<u8>,
}

/// What is stored under `snapshot`.
#[derive(Serialize, Deserialize)]
struct SnapshotHead {
    meta: SnapshotMeta,
    /// The bytes themselves, in snapshots stored before they had a key of their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    data: Option<Vec<u8>>,
}

/// Why the stored snapshot cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotReadError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("the stored snapshot does not decode: {0}")]
    Decode(#[from] serde_json::Error),
    #[error("the stored snapshot has metadata but no data")]
    NoData,
}

impl StoredSnapshot {
    /// The latest snapshot in `db`, if one was taken.
    pub(super) fn read(db: &Db) -> Result<Option<StoredSnapshot>, SnapshotReadError> {
        let Some(head) = db.get_meta(KEY_SNAPSHOT)? else {
            return Ok(None);
        };
        let head: SnapshotHead = serde_json::from_slice(&head)?;
        let data = match head.data {
            Some(old_style) => old_style,
            None => db
                .get_meta(KEY_SNAPSHOT_DATA)?
                .ok_or(SnapshotReadError::NoData)?,
        };
        Ok(Some(StoredSnapshot {
            meta: head.meta,
            data,
        }))
    }

    fn write(&self, db: &Db) -> Result<(), AnyError> {
        let head = encode(&SnapshotHead {
            meta: self.meta.clone(),
            data: None,
        })?;
        db.put_metas(&[(KEY_SNAPSHOT, &head), (KEY_SNAPSHOT_DATA, &self.data)])
            .map_err(|e| AnyError::new(&e))
    }
}

pub struct StateMachine {
    store: Store,
    db: Arc<Db>,
}

fn sm_read(e: AnyError) -> StorageError {
    StorageIOError::read_state_machine(e).into()
}

fn snap_err(e: AnyError) -> StorageError {
    StorageIOError::write_snapshot(None, e).into()
}

impl StateMachine {
    /// Loads the latest snapshot, if any, into `store`.
    pub async fn open(store: Store, db: Arc<Db>) -> Result<StateMachine, StorageError> {
        let sm = StateMachine { store, db };
        if let Some(snap) = sm.stored_snapshot().await? {
            let state: State = decode(&snap.data).map_err(sm_read)?;
            sm.store.reset(state, applied_of(&snap.meta));
        }
        Ok(sm)
    }

    async fn stored_snapshot(&self) -> Result<Option<StoredSnapshot>, StorageError> {
        let db = self.db.clone();
        blocking(move || StoredSnapshot::read(&db))
            .await
            .map_err(sm_read)
    }
}

fn applied_of(meta: &SnapshotMeta) -> AppliedMeta {
    AppliedMeta {
        last_applied: meta.last_log_id,
        membership: meta.last_membership.clone(),
    }
}

async fn save_snapshot(db: Arc<Db>, snap: StoredSnapshot) -> Result<StoredSnapshot, StorageError> {
    blocking(move || snap.write(&db).map(|()| snap))
        .await
        .map_err(snap_err)
}

impl RaftStateMachine<TypeConfig> for StateMachine {
    type SnapshotBuilder = SnapshotBuilder;

    async fn applied_state(
        &mut self,
    ) -> Result<(Option<LogId<RaftId>>, StoredMembership<RaftId, Member>), StorageError> {
        let a = self.store.applied();
        Ok((a.last_applied, a.membership))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<Response>, StorageError>
    where
        I: IntoIterator<Item = Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let mut applied = self.store.applied();
        let mut changes = Vec::new();
        let mut responses = Vec::new();
        let mut last_index = 0;
        for entry in entries {
            let index = entry.log_id.index;
            last_index = index;
            applied.last_applied = Some(entry.log_id);
            match entry.payload {
                EntryPayload::Blank => {
                    self.store.set_applied(applied.clone());
                    responses.push(Response(Ok(index)));
                }
                EntryPayload::Normal(cmd) => {
                    let r = self.store.apply(index, &cmd, applied.clone(), &mut changes);
                    responses.push(Response(r));
                }
                EntryPayload::Membership(m) => {
                    applied.membership = StoredMembership::new(Some(entry.log_id), m);
                    self.store.set_applied(applied.clone());
                    responses.push(Response(Ok(index)));
                }
            }
        }
        self.store.publish(last_index, changes);
        Ok(responses)
    }

    async fn get_snapshot_builder(&mut self) -> SnapshotBuilder {
        SnapshotBuilder {
            store: self.store.clone(),
            db: self.db.clone(),
        }
    }

    async fn begin_receiving_snapshot(&mut self) -> Result<Box<Cursor<Vec<u8>>>, StorageError> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<(), StorageError> {
        let data = snapshot.into_inner();
        let state: State = decode(&data).map_err(snap_err)?;
        let stored = StoredSnapshot {
            meta: meta.clone(),
            data,
        };
        save_snapshot(self.db.clone(), stored).await?;
        self.store.reset(state, applied_of(meta));
        Ok(())
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<Snapshot<TypeConfig>>, StorageError> {
        Ok(self.stored_snapshot().await?.map(|s| Snapshot {
            meta: s.meta,
            snapshot: Box::new(Cursor::new(s.data)),
        }))
    }
}

pub struct SnapshotBuilder {
    store: Store,
    db: Arc<Db>,
}

impl RaftSnapshotBuilder<TypeConfig> for SnapshotBuilder {
    async fn build_snapshot(&mut self) -> Result<Snapshot<TypeConfig>, StorageError> {
        let (state, applied) = self.store.dump();
        let data = encode(&state).map_err(snap_err)?;
        let snapshot_id = match applied.last_applied {
            Some(id) => format!("{}-{}-{}", id.leader_id, id.index, rand::random::<u32>()),
            None => format!("empty-{}", rand::random::<u32>()),
        };
        let meta = SnapshotMeta {
            last_log_id: applied.last_applied,
            last_membership: applied.membership,
            snapshot_id,
        };
        let stored = save_snapshot(self.db.clone(), StoredSnapshot { meta, data }).await?;
        Ok(Snapshot {
            meta: stored.meta,
            snapshot: Box::new(Cursor::new(stored.data)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> SnapshotMeta {
        SnapshotMeta {
            last_log_id: None,
            last_membership: Default::default(),
            snapshot_id: "s1".into(),
        }
    }

    #[test]
    fn a_snapshot_is_stored_as_its_bytes_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("raft.redb")).unwrap();
        let data: Vec<u8> = (0..=255).cycle().take(100_000).collect();
        let snap = StoredSnapshot {
            meta: meta(),
            data: data.clone(),
        };
        snap.write(&db).unwrap();
        let head = db.get_meta(KEY_SNAPSHOT).unwrap().unwrap();
        assert!(head.len() < 1_000, "metadata only: {} bytes", head.len());
        assert_eq!(db.get_meta(KEY_SNAPSHOT_DATA).unwrap().unwrap(), data);
        let back = StoredSnapshot::read(&db).unwrap().unwrap();
        assert_eq!((back.meta, back.data), (meta(), data));
    }

    #[test]
    fn a_snapshot_stored_the_earlier_way_is_still_read() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("raft.redb")).unwrap();
        let old = serde_json::json!({ "meta": meta(), "data": [123, 125] });
        db.put_meta(KEY_SNAPSHOT, old.to_string().as_bytes())
            .unwrap();
        let back = StoredSnapshot::read(&db).unwrap().unwrap();
        assert_eq!(back.data, b"{}");
        db.put_meta(
            KEY_SNAPSHOT,
            serde_json::json!({ "meta": meta() }).to_string().as_bytes(),
        )
        .unwrap();
        assert!(matches!(
            StoredSnapshot::read(&db),
            Err(SnapshotReadError::NoData)
        ));
    }
}
