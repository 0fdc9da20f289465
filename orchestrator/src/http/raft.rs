//! `/v1/raft/*`: Raft RPCs from other managers (in the formats of [`crate::raft::wire`]),
//! answered as `Result<Response, RaftError>`. Their bodies may be up to
//! [`crate::raft::wire::BODY_LIMIT`]; a larger one gets a 413, which the sender reads as "send
//! fewer entries".

use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::json::Body;
use crate::raft::{TypeConfig, wire};
use axum::Json;
use axum::body::Bytes;
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

/// A snapshot chunk arrives as its bytes behind a JSON header.
pub async fn snapshot(
    State(st): State<AppState>,
    body: Bytes,
) -> Result<Reply<InstallSnapshotResponse<u64>, InstallSnapshotError>, ApiError> {
    let req: InstallSnapshotRequest<TypeConfig> =
        wire::decode_snapshot(&body).map_err(|e| ApiError::bad_request(e.to_string()))?;
    Ok(Json(st.raft.install_snapshot(req).await))
}
