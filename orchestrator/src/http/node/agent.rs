//! `/v1/dispatcher/*`: what agents call, each for its own node (the one its certificate
//! names). Only the leader's dispatcher answers.

use crate::dispatcher::assignment_stream;
use crate::http::AppState;
use crate::http::authz::Caller;
use crate::http::error::ApiError;
use crate::http::json::Body;
use crate::http::json::{Query, ndjson};
use axum::extract::State;
use axum::response::IntoResponse;
use axum::{Extension, Json};
use serde::Deserialize;
use shoal_api::NodeId;
use shoal_api::dispatch::{
    HeartbeatRequest, HeartbeatResponse, RegisterRequest, RegisterResponse, StatusBatch,
};
use shoal_api::logs::{LogBatch, LogBatchResponse};

pub async fn register(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Body(req): Body<RegisterRequest>,
) -> Result<Json<RegisterResponse>, ApiError> {
    if req.node_id.as_str().is_empty() {
        return Err(ApiError::invalid("node_id", "node_id must not be empty"));
    }
    caller.may_act_as(&req.node_id)?;
    Ok(Json(st.dispatcher()?.register(req).await?))
}

pub async fn heartbeat(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Body(req): Body<HeartbeatRequest>,
) -> Result<Json<HeartbeatResponse>, ApiError> {
    caller.may_act_as(&req.node_id)?;
    Ok(Json(st.dispatcher()?.heartbeat(&req)?))
}

#[derive(Deserialize)]
pub struct StreamQuery {
    node_id: String,
    session_id: String,
}

pub async fn assignments(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<StreamQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let node = NodeId(q.node_id);
    caller.may_act_as(&node)?;
    let stream = assignment_stream(st.dispatcher()?, node, q.session_id)?;
    Ok(ndjson(stream))
}

pub async fn status(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Body(batch): Body<StatusBatch>,
) -> Result<Json<serde_json::Value>, ApiError> {
    caller.may_act_as(&batch.node_id)?;
    st.dispatcher()?.report(batch).await?;
    Ok(Json(serde_json::json!({})))
}

/// The node's log subscription stream: which of its tasks' output readers want.
pub async fn log_subscriptions(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<StreamQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let node = NodeId(q.node_id);
    caller.may_act_as(&node)?;
    let stream = st.dispatcher()?.log_subscriptions(node, &q.session_id)?;
    Ok(ndjson(stream))
}

/// Container output for a subscription; the answer says whether its reader is still there.
pub async fn publish_logs(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Body(batch): Body<LogBatch>,
) -> Result<Json<LogBatchResponse>, ApiError> {
    caller.may_act_as(&batch.node_id)?;
    let open = st.dispatcher()?.publish_logs(batch).await?;
    Ok(Json(LogBatchResponse { closed: !open }))
}
