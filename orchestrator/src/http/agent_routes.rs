//! `/v1/dispatcher/*`: what agents call. Only the leader's dispatcher answers.

use super::AppState;
use super::error::ApiError;
use super::json::Body;
use crate::dispatcher::assignment_stream;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use serde::Deserialize;
use shoal_api::NodeId;
use shoal_api::dispatch::{
    HeartbeatRequest, HeartbeatResponse, RegisterRequest, RegisterResponse, StatusBatch,
};

pub async fn register(
    State(st): State<AppState>,
    Body(req): Body<RegisterRequest>,
) -> Result<Json<RegisterResponse>, ApiError> {
    if req.node_id.as_str().is_empty() {
        return Err(ApiError::invalid("node_id", "node_id must not be empty"));
    }
    Ok(Json(st.dispatcher()?.register(req).await?))
}

pub async fn heartbeat(
    State(st): State<AppState>,
    Body(req): Body<HeartbeatRequest>,
) -> Result<Json<HeartbeatResponse>, ApiError> {
    Ok(Json(st.dispatcher()?.heartbeat(&req)?))
}

#[derive(Deserialize)]
pub struct StreamQuery {
    node_id: String,
    session_id: String,
}

pub async fn assignments(
    State(st): State<AppState>,
    Query(q): Query<StreamQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let stream = assignment_stream(st.dispatcher()?, NodeId(q.node_id), q.session_id)?;
    Ok((
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        axum::body::Body::from_stream(stream),
    ))
}

pub async fn status(
    State(st): State<AppState>,
    Body(batch): Body<StatusBatch>,
) -> Result<Json<serde_json::Value>, ApiError> {
    st.dispatcher()?.report(batch).await?;
    Ok(Json(serde_json::json!({})))
}
