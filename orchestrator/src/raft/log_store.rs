//! openraft log storage (storage-v2) on redb: entries, vote and committed index. `append`
//! reports completion only after the transaction is fsynced.

use super::db::{Db, KEY_COMMITTED, KEY_LAST_PURGED, KEY_VOTE};
use super::types::{Entry, RaftId, StorageError, TypeConfig};
use openraft::storage::{LogFlushed, LogState, RaftLogStorage};
use openraft::{AnyError, LogId, OptionalSend, RaftLogReader, StorageIOError, Vote};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt::Debug;
use std::ops::{Bound, RangeBounds};
use std::sync::Arc;

#[derive(Clone)]
pub struct LogStore {
    db: Arc<Db>,
}

impl LogStore {
    pub fn new(db: Arc<Db>) -> Self {
        LogStore { db }
    }
}

/// Runs blocking database work off the async threads.
pub(super) async fn blocking<T: Send + 'static, E: std::error::Error + Send + 'static>(
    f: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, AnyError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(|e| AnyError::new(&e)),
        Err(e) => Err(AnyError::new(&e)),
    }
}

pub(super) fn encode<T: Serialize>(v: &T) -> Result<Vec<u8>, AnyError> {
    serde_json::to_vec(v).map_err(|e| AnyError::new(&e))
}

pub(super) fn decode<T: DeserializeOwned>(b: &[u8]) -> Result<T, AnyError> {
    serde_json::from_slice(b).map_err(|e| AnyError::new(&e))
}

fn read_err(e: AnyError) -> StorageError {
    StorageIOError::read_logs(e).into()
}

fn write_err(e: AnyError) -> StorageError {
    StorageIOError::write_logs(e).into()
}

impl LogStore {
    async fn meta<T: DeserializeOwned>(&self, key: &'static str) -> Result<Option<T>, AnyError> {
        let db = self.db.clone();
        match blocking(move || db.get_meta(key)).await? {
            Some(b) => Ok(Some(decode(&b)?)),
            None => Ok(None),
        }
    }

    async fn put_meta<T: Serialize>(&self, key: &'static str, v: &T) -> Result<(), AnyError> {
        let bytes = encode(v)?;
        let db = self.db.clone();
        blocking(move || db.put_meta(key, &bytes)).await
    }
}

impl RaftLogReader<TypeConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry>, StorageError> {
        let start = match range.start_bound() {
            Bound::Included(&i) => i,
            Bound::Excluded(&i) => i + 1,
            Bound::Unbounded => 0,
        };
        let end = match range.end_bound() {
            Bound::Included(&i) => i.saturating_add(1),
            Bound::Excluded(&i) => i,
            Bound::Unbounded => u64::MAX,
        };
        let db = self.db.clone();
        let raw = blocking(move || db.range(start, end))
            .await
            .map_err(read_err)?;
        raw.iter()
            .map(|b| decode::<Entry>(b).map_err(read_err))
            .collect()
    }
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = LogStore;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, StorageError> {
        let last_purged: Option<LogId<RaftId>> =
            self.meta(KEY_LAST_PURGED).await.map_err(read_err)?;
        let db = self.db.clone();
        let last = blocking(move || db.last_entry()).await.map_err(read_err)?;
        let last_log_id = match last {
            Some(b) => Some(decode::<Entry>(&b).map_err(read_err)?.log_id),
            None => last_purged,
        };
        Ok(LogState {
            last_purged_log_id: last_purged,
            last_log_id,
        })
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote<RaftId>) -> Result<(), StorageError> {
        self.put_meta(KEY_VOTE, vote)
            .await
            .map_err(|e| StorageIOError::write_vote(e).into())
    }

    async fn read_vote(&mut self) -> Result<Option<Vote<RaftId>>, StorageError> {
        self.meta(KEY_VOTE)
            .await
            .map_err(|e| StorageIOError::read_vote(e).into())
    }

    async fn save_committed(
        &mut self,
        committed: Option<LogId<RaftId>>,
    ) -> Result<(), StorageError> {
        self.put_meta(KEY_COMMITTED, &committed)
            .await
            .map_err(write_err)
    }

    async fn read_committed(&mut self) -> Result<Option<LogId<RaftId>>, StorageError> {
        Ok(self
            .meta::<Option<LogId<RaftId>>>(KEY_COMMITTED)
            .await
            .map_err(read_err)?
            .flatten())
    }

    async fn append<I>(
        &mut self,
        entries: I,
        callback: LogFlushed<TypeConfig>,
    ) -> Result<(), StorageError>
    where
        I: IntoIterator<Item = Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let mut rows = Vec::new();
        for e in entries {
            rows.push((e.log_id.index, encode(&e).map_err(write_err)?));
        }
        let db = self.db.clone();
        let result = blocking(move || db.append(&rows)).await;
        match result {
            Ok(()) => {
                callback.log_io_completed(Ok(()));
                Ok(())
            }
            Err(e) => {
                callback.log_io_completed(Err(std::io::Error::other(e.to_string())));
                Err(write_err(e))
            }
        }
    }

    async fn truncate(&mut self, log_id: LogId<RaftId>) -> Result<(), StorageError> {
        let db = self.db.clone();
        blocking(move || db.truncate(log_id.index))
            .await
            .map_err(write_err)
    }

    async fn purge(&mut self, log_id: LogId<RaftId>) -> Result<(), StorageError> {
        let bytes = encode(&log_id).map_err(write_err)?;
        let db = self.db.clone();
        blocking(move || db.purge(log_id.index, &bytes))
            .await
            .map_err(write_err)
    }
}
