//! `/v1/dispatcher/*`: what agents call, each for its own node (the one its certificate
//! names). Only the leader's dispatcher answers.

use super::AppState;
use super::authz::Caller;
use super::error::ApiError;
use super::json::Body;
use super::json::Query;
use crate::dispatcher::assignment_stream;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::{Extension, Json};
use serde::Deserialize;
use shoal_api::NodeId;
use shoal_api::dispatch::{
    HeartbeatRequest, HeartbeatResponse, RegisterRequest, RegisterResponse, StatusBatch,
};

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
    Ok((
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        axum::body::Body::from_stream(stream),
    ))
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
