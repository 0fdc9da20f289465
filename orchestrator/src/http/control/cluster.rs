//! `/v1/cluster`: the cluster object, and join token rotation.

use crate::http::AppState;
use crate::http::error::ApiError;
use axum::Json;
use axum::extract::State;
use shoal_api::Cluster;

pub async fn get(State(st): State<AppState>) -> Result<Json<Cluster>, ApiError> {
    st.store
        .read()
        .cluster
        .clone()
        .map(Json)
        .ok_or_else(|| ApiError::unavailable("the cluster is still being created; retry shortly"))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterUpdate {
    version: u64,
    spec: shoal_api::ClusterSpec,
}

/// `POST /v1/cluster` `{"version", "spec"}`: change cluster settings.
pub async fn update(
    State(st): State<AppState>,
    crate::http::json::Body(req): crate::http::json::Body<ClusterUpdate>,
) -> Result<Json<Cluster>, ApiError> {
    shoal_api::validate::validate_cluster_spec(&req.spec)?;
    st.writer
        .write(vec![crate::store::Action::UpdateClusterSpec {
            version: req.version,
            spec: req.spec,
        }])
        .await?;
    get(State(st)).await
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rotate {
    role: shoal_api::Role,
}

/// `POST /v1/cluster/rotate-join-token` `{"role":"worker"|"manager"}`.
pub async fn rotate_join_token(
    State(st): State<AppState>,
    crate::http::json::Body(req): crate::http::json::Body<Rotate>,
) -> Result<Json<Cluster>, ApiError> {
    let current = get(State(st.clone())).await?.0.join_tokens;
    let old = match req.role {
        shoal_api::Role::Worker => current.worker,
        shoal_api::Role::Manager => current.manager,
    };
    st.writer
        .write(vec![crate::store::Action::RotateJoinToken {
            role: req.role,
            token: crate::leader::rotated(&old),
        }])
        .await?;
    get(State(st)).await
}
