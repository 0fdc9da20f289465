//! Why the store refused a command. Serializable because it travels back through Raft.

use serde::{Deserialize, Serialize};
use thiserror::Error;

#[derive(Clone, Debug, PartialEq, Eq, Error, Serialize, Deserialize)]
pub enum StoreError {
    #[error("{kind} {id} not found")]
    NotFound { kind: String, id: String },
    #[error("{0}")]
    AlreadyExists(String),
    #[error(
        "{kind} {id} was changed by someone else (you read version {expected}, it is now {actual}); read it again and retry"
    )]
    VersionMismatch {
        kind: String,
        id: String,
        expected: u64,
        actual: u64,
    },
    #[error("task {id}: {field} cannot move backwards from {from} to {to}")]
    Backwards {
        id: String,
        field: String,
        from: String,
        to: String,
    },
    #[error("{0}")]
    Invalid(String),
}

impl StoreError {
    pub fn not_found(kind: &str, id: impl ToString) -> Self {
        StoreError::NotFound {
            kind: kind.into(),
            id: id.to_string(),
        }
    }
}
