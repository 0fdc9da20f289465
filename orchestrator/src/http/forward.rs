//! Forwarding: a manager that is not the leader relays every API request (but Raft's own
//! RPCs) to the leader and streams the answer back, so clients and agents may talk to any
//! manager and always see the leader's consistent state. With no leader it answers at once.
//! What describes the manager asked (its version, the API document, its metrics) is answered
//! where it is asked, and so is the event stream, which every manager's store can serve.

use super::AppState;
use super::authz::{CALLER_HEADER, Caller, relay_value};
use super::error::ApiError;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use openraft::ServerState;

/// Marks a request already forwarded once, so leadership moving mid-flight cannot loop it.
const FORWARDED: &str = "x-shoal-forwarded";
/// Largest request body relayed (specs are small).
const MAX_BODY: usize = 8 << 20;

/// Whether a manager answers `path` itself, leader or not.
pub fn served_locally(path: &str) -> bool {
    path.starts_with("/v1/raft/")
        || matches!(
            path,
            "/v1/version" | "/v1/openapi.json" | "/metrics" | "/v1/events"
        )
}

pub async fn to_leader(State(st): State<AppState>, req: Request, next: Next) -> Response {
    if served_locally(req.uri().path()) {
        return next.run(req).await;
    }
    if crate::raft::leads_with_quorum(&st.raft, st.raft_id, &st.contacts) {
        return next.run(req).await;
    }
    let (cut_off, leader) = {
        let m = st.raft.metrics();
        let m = m.borrow();
        let leader = m
            .current_leader
            .and_then(|id| m.membership_config.membership().get_node(&id).cloned());
        (m.state == ServerState::Leader, leader)
    };
    if cut_off {
        return ApiError::unavailable(
            "no quorum: this manager leads but cannot reach a majority of managers, so it can neither read nor write",
        )
        .into_response();
    }
    if req.headers().contains_key(FORWARDED) {
        return ApiError::unavailable("leadership is moving between managers; retry")
            .into_response();
    }
    match leader {
        None => ApiError::unavailable(
            "no leader: this manager cannot reach a quorum of managers, so it can neither read nor write",
        )
        .into_response(),
        Some(member) => match relay(&st.http, &member.addr, req).await {
            Ok(r) => r,
            Err(e) => e.into_response(),
        },
    }
}

async fn relay(
    http: &shoal_client::HttpClients,
    addr: &str,
    req: Request,
) -> Result<Response, ApiError> {
    let (parts, body) = req.into_parts();
    let caller = parts
        .extensions
        .get::<Caller>()
        .cloned()
        .unwrap_or(Caller::Anonymous);
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let body = axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|e| ApiError::bad_request(format!("cannot read request body: {e}")))?;
    let mut out = http
        .get()
        .request(parts.method, format!("https://{addr}{path}"))
        .header(FORWARDED, "1")
        .header(CALLER_HEADER, relay_value(&caller))
        .body(body);
    if let Some(ct) = parts.headers.get(CONTENT_TYPE) {
        out = out.header(CONTENT_TYPE, ct);
    }
    let resp = out
        .send()
        .await
        .map_err(|e| ApiError::unavailable(format!("the leader at {addr} is unreachable: {e}")))?;
    let mut back = Response::builder().status(resp.status());
    if let Some(ct) = resp.headers().get(CONTENT_TYPE) {
        back = back.header(CONTENT_TYPE, ct);
    }
    back.body(Body::from_stream(resp.bytes_stream()))
        .map_err(|e| ApiError::unavailable(format!("cannot relay the leader's answer: {e}")))
}
