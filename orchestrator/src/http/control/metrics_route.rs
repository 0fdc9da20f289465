//! `GET /metrics`: this manager's figures in the Prometheus text format. Authenticated like
//! the control API (a scraper uses a client bundle), and answered by the manager asked, not
//! relayed to the leader: each manager reports its own Raft view.

use crate::http::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

pub async fn scrape(State(st): State<AppState>) -> impl IntoResponse {
    let dispatcher = st.dispatcher.borrow().clone();
    let text =
        crate::telemetry::scrape::render(&st.raft, st.raft_id, &st.store, dispatcher.as_deref());
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
}
