//! `/v1/tasks`: list (by service, by node, current or all) and get.

use super::resolve::resolve;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::json::Query;
use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use shoal_api::{Task, TaskState};

#[derive(Debug, Deserialize)]
pub struct Filter {
    service: Option<String>,
    node: Option<String>,
    #[serde(default)]
    all: bool,
}

pub async fn list(
    State(st): State<AppState>,
    Query(f): Query<Filter>,
) -> Result<Json<Vec<Task>>, ApiError> {
    let service = match &f.service {
        Some(r) => Some(super::services::find(&st, r)?.id),
        None => None,
    };
    let node = match &f.node {
        Some(r) => Some(super::nodes::find(&st, r)?.id),
        None => None,
    };
    let s = st.store.read();
    let tasks = s
        .tasks
        .values()
        .filter(|t| service.as_ref().is_none_or(|id| &t.service_id == id))
        .filter(|t| {
            node.as_ref()
                .is_none_or(|id| t.node_id.as_ref() == Some(id))
        })
        .filter(|t| f.all || t.desired_state <= TaskState::Running)
        .cloned()
        .collect();
    Ok(Json(tasks))
}

pub async fn get(
    State(st): State<AppState>,
    Path(r): Path<String>,
) -> Result<Json<Task>, ApiError> {
    let s = st.store.read();
    resolve(
        "task",
        &r,
        s.tasks.values(),
        |t| t.id.as_str(),
        |t| t.id.as_str(),
    )
    .cloned()
    .map(Json)
}
