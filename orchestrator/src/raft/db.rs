//! The manager's one redb file: Raft log, vote, committed index and the latest snapshot.
//! Every write is one transaction committed with immediate durability (fsync), so nothing is
//! acknowledged before it is on disk. All calls block; callers use `spawn_blocking`.

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use std::path::Path;
use thiserror::Error;

const LOG: TableDefinition<u64, &[u8]> = TableDefinition::new("log");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

pub const KEY_VOTE: &str = "vote";
pub const KEY_COMMITTED: &str = "committed";
pub const KEY_LAST_PURGED: &str = "last_purged";
pub const KEY_SNAPSHOT: &str = "snapshot";
/// The bytes of the snapshot whose metadata is under [`KEY_SNAPSHOT`], as they are.
pub const KEY_SNAPSHOT_DATA: &str = "snapshot.data";

#[derive(Debug, Error)]
#[error("raft storage: {0}")]
pub struct DbError(#[from] redb::Error);

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for DbError {
            fn from(e: $t) -> Self {
                DbError(e.into())
            }
        }
    )*};
}
from_redb!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

pub struct Db {
    db: Database,
}

impl Db {
    pub fn open(path: &Path) -> Result<Db, DbError> {
        let db = Database::create(path)?;
        let txn = db.begin_write()?;
        txn.open_table(LOG)?;
        txn.open_table(META)?;
        txn.commit()?;
        Ok(Db { db })
    }

    /// Appends (or overwrites) log entries in one durable transaction.
    pub fn append(&self, entries: &[(u64, Vec<u8>)]) -> Result<(), DbError> {
        let txn = self.db.begin_write()?;
        {
            let mut log = txn.open_table(LOG)?;
            for (index, bytes) in entries {
                log.insert(*index, bytes.as_slice())?;
            }
        }
        txn.commit()?;
        Ok(())
    }

    /// Removes every entry with index >= `from`.
    pub fn truncate(&self, from: u64) -> Result<(), DbError> {
        let txn = self.db.begin_write()?;
        {
            let mut log = txn.open_table(LOG)?;
            log.retain_in(from.., |_, _| false)?;
        }
        txn.commit()?;
        Ok(())
    }

    /// Removes every entry with index <= `upto` and records the last purged id.
    pub fn purge(&self, upto: u64, last_purged: &[u8]) -> Result<(), DbError> {
        let txn = self.db.begin_write()?;
        {
            let mut meta = txn.open_table(META)?;
            meta.insert(KEY_LAST_PURGED, last_purged)?;
            let mut log = txn.open_table(LOG)?;
            log.retain_in(..=upto, |_, _| false)?;
        }
        txn.commit()?;
        Ok(())
    }

    pub fn range(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, DbError> {
        let txn = self.db.begin_read()?;
        let log = txn.open_table(LOG)?;
        let mut out = Vec::new();
        for item in log.range(start..end)? {
            let (_, v) = item?;
            out.push(v.value().to_vec());
        }
        Ok(out)
    }

    pub fn last_entry(&self) -> Result<Option<Vec<u8>>, DbError> {
        let txn = self.db.begin_read()?;
        let log = txn.open_table(LOG)?;
        Ok(log.last()?.map(|(_, v)| v.value().to_vec()))
    }

    pub fn put_meta(&self, key: &str, value: &[u8]) -> Result<(), DbError> {
        let txn = self.db.begin_write()?;
        txn.open_table(META)?.insert(key, value)?;
        txn.commit()?;
        Ok(())
    }

    /// Writes several meta keys in one transaction: all of them or none survive a crash.
    pub fn put_metas(&self, entries: &[(&str, &[u8])]) -> Result<(), DbError> {
        let txn = self.db.begin_write()?;
        {
            let mut meta = txn.open_table(META)?;
            for (key, value) in entries {
                meta.insert(*key, *value)?;
            }
        }
        txn.commit()?;
        Ok(())
    }

    pub fn get_meta(&self, key: &str) -> Result<Option<Vec<u8>>, DbError> {
        let txn = self.db.begin_read()?;
        let meta = txn.open_table(META)?;
        Ok(meta.get(key)?.map(|v| v.value().to_vec()))
    }
}
