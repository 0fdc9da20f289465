//! `/v1/cluster`: the cluster object.

use super::AppState;
use super::error::ApiError;
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
