//! What can stop the node daemon. Most variants carry the underlying error unchanged, so
//! shoald prints at start exactly what it always has; a few say what the daemon was doing
//! (`cannot bind ...`), with the cause after it.

use super::join::JoinClusterError;
use super::recover::RecoverError;
use crate::identity::IdentityError;
use crate::pki::CaError;
use crate::raft::{self, RaftId, WriteError};
use shoal_client::tls::TlsError;
use std::io;
use std::path::PathBuf;
use thiserror::Error;

type InitializeError =
    openraft::error::RaftError<RaftId, openraft::error::InitializeError<RaftId, raft::Member>>;

#[derive(Debug, Error)]
pub enum DaemonError {
    #[error("cannot create data dir {}", .path.display())]
    CreateDataDir {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The data dir cannot be made owner-only.
    #[error(transparent)]
    DataDirPermissions(io::Error),
    /// The TCP listener cannot be read or shared between the node's roles.
    #[error(transparent)]
    Listener(io::Error),
    #[error(
        "{} already belongs to a cluster (this is node {node}): start without --join-addr, or join with an empty --data-dir",
        .data_dir.display()
    )]
    AlreadyMember {
        data_dir: PathBuf,
        node: shoal_api::NodeId,
    },
    #[error(
        "{} has no node certificate (tls/): it was made by an older shoald; start a new cluster in an empty data dir",
        .data_dir.display()
    )]
    NoCertificate { data_dir: PathBuf },
    /// The node's certificate files cannot be read or written.
    #[error(transparent)]
    NodeCertificate(TlsError),
    /// The node's HTTPS client cannot be built from its certificate.
    #[error(transparent)]
    ClientCertificate(TlsError),
    /// The TLS server cannot be configured from the node's certificate.
    #[error(transparent)]
    ServerCertificate(TlsError),
    /// The new cluster's CA, or the first manager's certificate, cannot be made.
    #[error(transparent)]
    Ca(#[from] CaError),
    #[error(transparent)]
    Identity(#[from] IdentityError),
    #[error(transparent)]
    Join(#[from] JoinClusterError),
    #[error(transparent)]
    Recover(#[from] RecoverError),
    #[error("cannot remove {}", .path.display())]
    RemoveRaftDb {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    // openraft's errors are large: boxed, so every result of the daemon stays small.
    #[error(transparent)]
    RaftStart(Box<raft::StartError>),
    /// openraft stopped for good while the manager was starting.
    #[error(transparent)]
    RaftFatal(Box<openraft::error::Fatal<RaftId>>),
    #[error("cannot initialize the cluster")]
    Initialize(#[source] Box<InitializeError>),
    #[error("the new one-manager cluster did not elect this manager")]
    NotElected(#[source] openraft::metrics::WaitError),
    #[error("cannot restore the state into the new cluster")]
    Restore(#[source] WriteError),
    #[error("cannot bind {}", .path.display())]
    BindSocket {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The control socket cannot be made owner-only.
    #[error(transparent)]
    SocketPermissions(io::Error),
    /// The TLS server cannot take over the TCP listener.
    #[error(transparent)]
    TlsListener(io::Error),
    #[error("tls server")]
    TlsServer(#[source] io::Error),
    #[error("unix server")]
    UnixServer(#[source] io::Error),
    #[error("agent")]
    Agent(#[source] shoal_agent::AgentError),
    /// A part of the node panicked or was cancelled.
    #[error(transparent)]
    Task(#[from] tokio::task::JoinError),
}

impl From<raft::StartError> for DaemonError {
    fn from(e: raft::StartError) -> Self {
        DaemonError::RaftStart(Box::new(e))
    }
}

impl From<openraft::error::Fatal<RaftId>> for DaemonError {
    fn from(e: openraft::error::Fatal<RaftId>) -> Self {
        DaemonError::RaftFatal(Box::new(e))
    }
}

impl From<InitializeError> for DaemonError {
    fn from(e: InitializeError) -> Self {
        DaemonError::Initialize(Box::new(e))
    }
}
