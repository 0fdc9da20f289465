//! `/v1/services`: create, list, get, update (with the version read), roll back, delete.

use super::resolve::resolve;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::json::{Body, parse};
use crate::store::Action;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use shoal_api::rest::ServiceUpdate;
use shoal_api::validate::{validate_service_spec, validate_service_update};
use shoal_api::{Meta, Service, ServiceId, ServiceSpec};

pub(super) fn find(state: &AppState, r: &str) -> Result<Service, ApiError> {
    let s = state.store.read();
    resolve(
        "service",
        r,
        s.services.values(),
        |x| x.id.as_str(),
        |x| &x.spec.name,
    )
    .cloned()
}

pub async fn list(State(st): State<AppState>) -> Json<Vec<Service>> {
    Json(st.store.read().services.values().cloned().collect())
}

pub async fn get(
    State(st): State<AppState>,
    Path(r): Path<String>,
) -> Result<Json<Service>, ApiError> {
    find(&st, &r).map(Json)
}

pub async fn create(
    State(st): State<AppState>,
    body: Bytes,
) -> Result<(StatusCode, Json<Service>), ApiError> {
    let spec: ServiceSpec = parse(&body, "spec.")?;
    validate_service_spec(&spec)?;
    let id = ServiceId::random();
    st.writer
        .write(vec![Action::CreateService(Service {
            id: id.clone(),
            meta: Meta::default(),
            spec,
            spec_version: 0,
            rolled_back: false,
            previous_spec: None,
            update_status: None,
        })])
        .await?;
    let created = find(&st, id.as_str())?;
    Ok((StatusCode::CREATED, Json(created)))
}

pub async fn update(
    State(st): State<AppState>,
    Path(r): Path<String>,
    Body(req): Body<ServiceUpdate>,
) -> Result<Json<Service>, ApiError> {
    // A bad spec is named even when the service does not exist; then the rules for replacing
    // the stored spec (its kind stays), whichever client sent it.
    validate_service_spec(&req.spec)?;
    let current = find(&st, &r)?;
    validate_service_update(&current.spec, &req.spec)?;
    st.writer
        .write(vec![Action::UpdateServiceSpec {
            id: current.id.clone(),
            version: req.version,
            spec: req.spec,
        }])
        .await?;
    find(&st, current.id.as_str()).map(Json)
}

/// `POST /v1/services/{id}/rollback`: back to the previous spec; the orchestrator rolls the
/// tasks with the rollback config.
pub async fn rollback(
    State(st): State<AppState>,
    Path(r): Path<String>,
) -> Result<Json<Service>, ApiError> {
    let current = find(&st, &r)?;
    if current.previous_spec.is_none() {
        return Err(ApiError::bad_request(format!(
            "service {} has no previous spec to roll back to",
            current.spec.name
        )));
    }
    st.writer
        .write(vec![Action::RollbackService {
            id: current.id.clone(),
            expected_spec_version: Some(current.spec_version),
            status: None,
        }])
        .await?;
    find(&st, current.id.as_str()).map(Json)
}

pub async fn delete(
    State(st): State<AppState>,
    Path(r): Path<String>,
) -> Result<StatusCode, ApiError> {
    let current = find(&st, &r)?;
    st.writer
        .write(vec![Action::DeleteService { id: current.id }])
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
