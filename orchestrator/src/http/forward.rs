//! Where a request is answered, and within what bound.
//!
//! - The leader answers control and node requests, but only after it has confirmed, in a
//!   batched read-index round with a majority ([`crate::raft::read_index`]), that it still
//!   leads and has applied everything committed: a leader that was cut off or paused refuses
//!   (503) instead of answering from stale state. Reads of the replicated state say so with
//!   `X-Shoal-Consistency: linearizable`.
//! - A follower relays them to the leader and streams the answer back, so clients and agents
//!   may talk to any manager; with no leader it answers at once.
//! - `?consistency=stale` on a read asks the manager itself, leader or not, for its own copy
//!   (`X-Shoal-Consistency: stale`), without any round: fast, available without a quorum,
//!   possibly behind.
//! - What describes the manager asked (its version, the API document, its metrics) is
//!   answered where it is asked, and so is the event stream, which every store can serve.
//!
//! Every request gets its answer (or at least its status and headers, for streams) within
//! [`REQUEST_BOUND`]; otherwise a 503 that says why, and for a write that its outcome is
//! unknown.

use super::AppState;
use super::authz::{CALLER_HEADER, Caller, relay_value};
use super::error::ApiError;
use super::route_table;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use openraft::ServerState;
use std::time::Duration;
use tokio::time::Instant;

/// Marks a request already forwarded once, so leadership moving mid-flight cannot loop it.
const FORWARDED: &str = "x-shoal-forwarded";
/// Says how a read was answered: `linearizable` or `stale`.
pub const CONSISTENCY: HeaderName = HeaderName::from_static("x-shoal-consistency");
/// Largest request body relayed (specs are small).
const MAX_BODY: usize = 8 << 20;
/// The longest any request waits for a leader, a relay or a commit before it is answered.
pub const REQUEST_BOUND: Duration = Duration::from_secs(10);
/// The leader's own share of [`REQUEST_BOUND`], so that its answer, which says why, reaches a
/// relaying follower before the follower gives up on it.
const LEADER_BOUND: Duration = Duration::from_secs(9);
/// How long a leader tries to confirm a read with a majority: longer than an election
/// (150-300 ms) and a few lost heartbeats, far shorter than a client's patience.
pub const CONFIRM_BOUND: Duration = Duration::from_millis(1500);
/// What a write that may or may not have happened says.
const MAY_COMMIT: &str = "the write may still commit; read before retrying";

/// Whether a manager answers `path` itself, leader or not.
pub fn served_locally(path: &str) -> bool {
    path.starts_with("/v1/raft/")
        || matches!(
            path,
            "/v1/version" | "/v1/openapi.json" | "/metrics" | "/v1/events"
        )
}

/// The consistency a request asks for with `?consistency=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Consistency {
    /// Confirmed by the leader with a majority (the default).
    Linearizable,
    /// This manager's own copy, maybe behind.
    Stale,
}

impl Consistency {
    fn name(self) -> &'static str {
        match self {
            Consistency::Linearizable => "linearizable",
            Consistency::Stale => "stale",
        }
    }

    /// Reads `consistency` from a query string; absent means linearizable.
    pub fn of_query(query: Option<&str>) -> Result<Consistency, ApiError> {
        let mut found = Consistency::Linearizable;
        for (k, v) in form_pairs(query.unwrap_or("")) {
            if k != "consistency" {
                continue;
            }
            found = match v.as_str() {
                "stale" => Consistency::Stale,
                "linearizable" => Consistency::Linearizable,
                other => {
                    return Err(ApiError::invalid(
                        "consistency",
                        format!(
                            "consistency must be stale or linearizable (the default), not {other:?}"
                        ),
                    ));
                }
            };
        }
        Ok(found)
    }
}

/// The decoded pairs of a query string (a malformed one is the handlers' to refuse).
fn form_pairs(query: &str) -> Vec<(String, String)> {
    let uri = format!("/?{query}").parse::<axum::http::Uri>();
    uri.ok()
        .and_then(|u| axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&u).ok())
        .map(|q| q.0)
        .unwrap_or_default()
}

fn mark(mut r: Response, c: Consistency) -> Response {
    if r.status().is_success() {
        r.headers_mut()
            .insert(CONSISTENCY, HeaderValue::from_static(c.name()));
    }
    r
}

pub async fn to_leader(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let consistency = match Consistency::of_query(req.uri().query()) {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let stale = consistency == Consistency::Stale;
    if served_locally(req.uri().path()) {
        let r = next.run(req).await;
        return if stale { mark(r, consistency) } else { r };
    }
    let is_read = req.method() == Method::GET && route_table::is_read(req.uri().path());
    if stale {
        if !is_read {
            return ApiError::invalid(
                "consistency",
                format!(
                    "consistency=stale is offered by reads of the cluster state (GET of the cluster, nodes, services, tasks, the CA), not by {} {}",
                    req.method(),
                    req.uri().path()
                ),
            )
            .into_response();
        }
        return mark(next.run(req).await, consistency);
    }
    let (leads, leader) = {
        let m = st.raft.metrics();
        let m = m.borrow();
        let leader = m.current_leader.and_then(|id| {
            let member = m.membership_config.membership().get_node(&id).cloned();
            member.map(|member| (id, member))
        });
        (
            m.state == ServerState::Leader && m.current_leader == Some(st.raft_id),
            leader,
        )
    };
    if leads {
        if let Err(e) = st.reads.confirm(CONFIRM_BOUND).await {
            return ApiError::unavailable(e.to_string()).into_response();
        }
        let write = req.method() != Method::GET;
        return match tokio::time::timeout(LEADER_BOUND, next.run(req)).await {
            Ok(r) if is_read => mark(r, Consistency::Linearizable),
            Ok(r) => r,
            Err(_) => ApiError::unavailable(unfinished(
                write,
                &format!(
                    "this manager did not finish the request within {}",
                    shoal_api::duration::format(LEADER_BOUND)
                ),
            ))
            .into_response(),
        };
    }
    if req.headers().contains_key(FORWARDED) {
        return ApiError::unavailable("leadership is moving between managers; retry")
            .into_response();
    }
    let Some((leader_id, member)) = leader else {
        return ApiError::unavailable(
            "no leader: this manager cannot reach a quorum of managers, so it can neither read nor write (a read with ?consistency=stale is answered from its own copy)",
        )
        .into_response();
    };
    match Relayed::of(req).await {
        Ok(relayed) => relayed.send(&st, leader_id, member.addr).await,
        Err(e) => e.into_response(),
    }
}

/// The message of a request given up on: a write's outcome is unknown.
fn unfinished(write: bool, why: &str) -> String {
    if write {
        format!("{why}: {MAY_COMMIT}")
    } else {
        format!("{why}; retry")
    }
}

/// A request as it is relayed: read once, so a read can be relayed again to a new leader.
struct Relayed {
    method: Method,
    path: String,
    caller: String,
    content_type: Option<HeaderValue>,
    body: Bytes,
}

impl Relayed {
    async fn of(req: Request) -> Result<Relayed, ApiError> {
        let (parts, body) = req.into_parts();
        let caller = parts
            .extensions
            .get::<Caller>()
            .cloned()
            .unwrap_or(Caller::Anonymous);
        let body = axum::body::to_bytes(body, MAX_BODY)
            .await
            .map_err(|e| ApiError::bad_request(format!("cannot read request body: {e}")))?;
        Ok(Relayed {
            path: parts
                .uri
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_string(),
            method: parts.method,
            caller: relay_value(&caller),
            content_type: parts.headers.get(CONTENT_TYPE).cloned(),
            body,
        })
    }

    fn write(&self) -> bool {
        self.method != Method::GET
    }

    /// Relays to the leader `id` at `addr`, within [`REQUEST_BOUND`]. When this manager
    /// learns of another leader meanwhile (the one asked was cut off or paused), a read is
    /// relayed again to the new one, and a write is answered at once with its unknown outcome
    /// (as soon as the old leader is no longer known to lead).
    async fn send(self, st: &AppState, mut id: crate::raft::RaftId, mut addr: String) -> Response {
        let deadline = Instant::now() + REQUEST_BOUND;
        let mut metrics = st.raft.metrics();
        loop {
            // A write is answered as soon as its leader is gone; a read waits for the next
            // leader (an election in progress shows no leader at all), to be asked again.
            let write = self.write();
            let moved = async {
                let m = metrics
                    .wait_for(|m| match m.current_leader {
                        Some(l) => l != id,
                        None => write,
                    })
                    .await;
                m.ok().and_then(|m| {
                    let next = m.current_leader?;
                    let member = m.membership_config.membership().get_node(&next)?;
                    Some((next, member.addr.clone()))
                })
            };
            tokio::select! {
                r = tokio::time::timeout_at(deadline, self.once(&st.http, &addr)) => {
                    return match r {
                        Ok(Ok(r)) => r,
                        Ok(Err(e)) => e.into_response(),
                        Err(_) => ApiError::unavailable(unfinished(
                            self.write(),
                            &format!(
                                "the leader at {addr} did not answer within {}",
                                shoal_api::duration::format(REQUEST_BOUND)
                            ),
                        ))
                        .into_response(),
                    };
                }
                next = moved => {
                    let why = format!("the leader at {addr} lost its leadership while answering");
                    match next {
                        Some((next_id, next_addr)) if !self.write() => {
                            tracing::debug!(from = %addr, to = %next_addr, "leader moved: relaying the read again");
                            (id, addr) = (next_id, next_addr);
                        }
                        _ => return ApiError::unavailable(unfinished(self.write(), &why)).into_response(),
                    }
                }
            }
        }
    }

    async fn once(
        &self,
        http: &shoal_client::HttpClients,
        addr: &str,
    ) -> Result<Response, ApiError> {
        let mut out = http
            .get()
            .request(self.method.clone(), format!("https://{addr}{}", self.path))
            .header(FORWARDED, "1")
            .header(CALLER_HEADER, &self.caller)
            .body(self.body.clone());
        if let Some(ct) = &self.content_type {
            out = out.header(CONTENT_TYPE, ct);
        }
        let resp = out.send().await.map_err(|e| {
            let why = format!("the leader at {addr} is unreachable: {e}");
            if self.write() && !e.is_connect() {
                ApiError::unavailable(format!("{why}: {MAY_COMMIT}"))
            } else {
                ApiError::unavailable(why)
            }
        })?;
        let mut back = Response::builder().status(resp.status());
        for h in [CONTENT_TYPE, CONSISTENCY] {
            if let Some(v) = resp.headers().get(&h) {
                back = back.header(h, v);
            }
        }
        back.body(Body::from_stream(resp.bytes_stream()))
            .map_err(|e| ApiError::unavailable(format!("cannot relay the leader's answer: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consistency_is_read_from_the_query() {
        let of = Consistency::of_query;
        assert_eq!(of(None).unwrap(), Consistency::Linearizable);
        assert_eq!(of(Some("all=true")).unwrap(), Consistency::Linearizable);
        assert_eq!(
            of(Some("all=true&consistency=stale")).unwrap(),
            Consistency::Stale
        );
        assert_eq!(
            of(Some("consistency=linearizable")).unwrap(),
            Consistency::Linearizable
        );
        let e = of(Some("consistency=eventual")).unwrap_err();
        assert_eq!(e.status, axum::http::StatusCode::BAD_REQUEST);
        assert_eq!(e.field.as_deref(), Some("consistency"));
        assert!(e.message.contains("\"eventual\""), "{}", e.message);
        assert_eq!(
            of(Some("consistency=st%61le")).unwrap(),
            Consistency::Stale,
            "decoded"
        );
    }

    #[test]
    fn reads_are_gets_of_the_state_and_never_served_locally() {
        for path in [
            "/v1/services",
            "/v1/services/web",
            "/v1/tasks",
            "/v1/cluster",
        ] {
            assert!(route_table::is_read(path), "{path}");
        }
        for r in route_table::all().iter().filter(|r| r.read) {
            assert_eq!(r.method, Method::GET, "{}", r.path);
            assert!(!served_locally(r.path), "{}", r.path);
        }
        for path in [
            "/v1/services/web/logs",
            "/v1/dispatcher/assignments",
            "/v1/services/web/",
            "/v1/nodes/a/promote",
            "/v1/events",
        ] {
            assert!(!route_table::is_read(path), "{path}");
        }
    }

    #[test]
    fn a_write_given_up_on_says_it_may_still_commit() {
        assert!(unfinished(true, "x").ends_with(MAY_COMMIT));
        assert!(!unfinished(false, "x").contains("may still commit"));
    }
}
