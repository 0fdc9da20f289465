//! openraft's own storage test suite, run against Shoal's redb log store and state machine.

use openraft::StorageError;
use openraft::testing::{StoreBuilder, Suite};
use shoal_orchestrator::raft::{Db, LogStore, RaftId, StateMachine, TypeConfig};
use shoal_orchestrator::store::Store;
use std::sync::Arc;

struct Builder;

impl StoreBuilder<TypeConfig, LogStore, StateMachine, tempfile::TempDir> for Builder {
    async fn build(
        &self,
    ) -> Result<(tempfile::TempDir, LogStore, StateMachine), StorageError<RaftId>> {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = Arc::new(Db::open(&dir.path().join("raft.redb")).expect("open db"));
        let sm = StateMachine::open(Store::new(), db.clone()).await?;
        Ok((dir, LogStore::new(db), sm))
    }
}

#[test]
fn openraft_storage_suite_passes_on_redb_storage() {
    if let Err(e) = Suite::test_all(Builder) {
        panic!("storage suite failed: {e}");
    }
}
