//! `/v1/raft/*`: Raft RPCs from other managers, answered as `Result<Response, RaftError>`.

use crate::http::AppState;
use crate::http::json::Body;
use crate::raft::TypeConfig;
use axum::Json;
use axum::extract::State;
use openraft::error::{InstallSnapshotError, RaftError};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};

type Reply<T, E = openraft::error::Infallible> = Json<Result<T, RaftError<u64, E>>>;

pub async fn append(
    State(st): State<AppState>,
    Body(req): Body<AppendEntriesRequest<TypeConfig>>,
) -> Reply<AppendEntriesResponse<u64>> {
    Json(st.raft.append_entries(req).await)
}

pub async fn vote(
    State(st): State<AppState>,
    Body(req): Body<VoteRequest<u64>>,
) -> Reply<VoteResponse<u64>> {
    Json(st.raft.vote(req).await)
}

pub async fn snapshot(
    State(st): State<AppState>,
    Body(req): Body<InstallSnapshotRequest<TypeConfig>>,
) -> Reply<InstallSnapshotResponse<u64>, InstallSnapshotError> {
    Json(st.raft.install_snapshot(req).await)
}
