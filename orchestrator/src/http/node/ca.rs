//! `/v1/ca`: the cluster CA certificate (public: a joiner checks it against its token), node
//! certificate status and renewal (a node for itself), and client bundles for shoalctl.

use crate::http::AppState;
use crate::http::authz::Caller;
use crate::http::error::ApiError;
use crate::http::json::Body;
use crate::pki::RootCa;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::{Extension, Json};
use shoal_api::rest::{ClientBundleRequest, NodeCertStatus, RenewRequest, RenewResponse};
use shoal_api::{NodeId, Role};
use shoal_client::tls::Bundle;
use std::time::Duration;

/// `GET /v1/ca`: the CA certificate as PEM.
pub async fn root(State(st): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let (ca, _) = signer(&st)?;
    Ok((
        [(header::CONTENT_TYPE, "application/x-pem-file")],
        ca.cert_pem,
    ))
}

/// `GET /v1/ca/node`: the role the caller's certificate should name.
pub async fn node_status(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<NodeCertStatus>, ApiError> {
    let id = node_of(&caller)?;
    let (_, expiry) = signer(&st)?;
    Ok(Json(NodeCertStatus {
        role: role_of(&st, &id)?,
        node_cert_expiry: shoal_api::duration::format(expiry),
    }))
}

/// `POST /v1/ca/renew`: a new certificate for the caller's new key, for its current role.
pub async fn renew(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Body(req): Body<RenewRequest>,
) -> Result<Json<RenewResponse>, ApiError> {
    let id = node_of(&caller)?;
    let role = role_of(&st, &id)?;
    let (ca, expiry) = signer(&st)?;
    let cert_pem = ca
        .sign_node(&req.csr, id.as_str(), role, expiry)
        .map_err(|e| ApiError::invalid("csr", e.to_string()))?;
    tracing::info!(node = %id, ?role, "renewed a node certificate");
    Ok(Json(RenewResponse { cert_pem, role }))
}

/// `POST /v1/ca/client-bundle`: a key and certificate for a remote shoalctl.
pub async fn client_bundle(
    State(st): State<AppState>,
    Body(req): Body<ClientBundleRequest>,
) -> Result<Json<Bundle>, ApiError> {
    let name = req.name.unwrap_or_else(|| "shoalctl".into());
    if name.trim().is_empty() || name.len() > 64 || name.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "name",
            "name must be 1 to 64 printable characters",
        ));
    }
    let (ca, expiry) = signer(&st)?;
    let bundle = ca
        .client_bundle(&name, expiry)
        .map_err(|e| ApiError::unavailable(e.to_string()))?;
    tracing::info!(name, "issued a client bundle");
    Ok(Json(bundle))
}

/// The CA and the lifetime of the certificates it signs.
pub(super) fn signer(st: &AppState) -> Result<(RootCa, Duration), ApiError> {
    let state = st.store.read();
    match (&state.root_ca, &state.cluster) {
        (Some(ca), Some(c)) => Ok((ca.clone(), c.spec.node_cert_expiry)),
        _ => Err(ApiError::unavailable(
            "the cluster is still being created; retry shortly",
        )),
    }
}

fn node_of(caller: &Caller) -> Result<NodeId, ApiError> {
    match caller {
        Caller::Node { id, .. } => Ok(id.clone()),
        _ => Err(ApiError::forbidden("only a node certificate names a node")),
    }
}

fn role_of(st: &AppState, id: &NodeId) -> Result<Role, ApiError> {
    st.store
        .read()
        .nodes
        .get(id)
        .map(|n| n.role)
        .ok_or_else(|| ApiError::unauthenticated(format!("node {id} is not part of this cluster")))
}
