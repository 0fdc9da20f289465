//! `GET /v1/events[?type=service|task|node|cluster]`: a long-lived newline-delimited JSON
//! stream of cluster changes from now on, one line per changed object (see
//! `shoal_api::events`). A reader that falls behind gets a `dropped` notice and goes on.
//!
//! Every manager serves it from its own store (`forward.rs` does not relay it): each applies
//! the same committed log, so the lines are the same wherever they are read, the stream
//! survives a change of leader, and a follower adds no hop. A manager cut off from the leader
//! goes quiet until it catches up. The stream ends when the manager stops.

use super::AppState;
use super::error::ApiError;
use super::event_lines::{dropped, lines_of};
use super::json::{Query, ndjson};
use crate::store::Event;
use axum::extract::State;
use axum::response::IntoResponse;
use futures::Stream;
use serde::Deserialize;
use shoal_api::Timestamp;
use shoal_api::events::{EventLine, EventType};
use std::collections::VecDeque;
use std::sync::Arc;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio_util::sync::CancellationToken;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    #[serde(rename = "type")]
    kind: Option<String>,
}

pub async fn stream(
    State(st): State<AppState>,
    Query(q): Query<EventsQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let only = match &q.kind {
        Some(t) => Some(
            t.parse::<EventType>()
                .map_err(|e| ApiError::invalid("type", e))?,
        ),
        None => None,
    };
    Ok(ndjson(event_lines(st.store.subscribe(), only, st.shutdown)))
}

/// The stream of lines read from `rx`; it ends when the store goes away or at `stop`.
pub fn event_lines(
    rx: broadcast::Receiver<Arc<Event>>,
    only: Option<EventType>,
    stop: CancellationToken,
) -> impl Stream<Item = Result<Vec<u8>, std::io::Error>> {
    let pending: VecDeque<EventLine> = VecDeque::new();
    futures::stream::unfold((rx, pending), move |(mut rx, mut pending)| {
        let stop = stop.clone();
        async move {
            loop {
                if let Some(line) = pending.pop_front() {
                    let mut bytes = serde_json::to_vec(&line).unwrap_or_default();
                    bytes.push(b'\n');
                    return Some((Ok(bytes), (rx, pending)));
                }
                let received = tokio::select! {
                    r = rx.recv() => r,
                    _ = stop.cancelled() => return None,
                };
                match received {
                    Ok(event) => pending.extend(lines_of(&event, only, Timestamp::now())),
                    Err(RecvError::Lagged(n)) => pending.push_back(dropped(n, Timestamp::now())),
                    Err(RecvError::Closed) => return None,
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Change, Object};
    use futures::StreamExt;
    use shoal_api::events::NoticeKind;
    use shoal_api::{Cluster, ClusterSpec, JoinTokens, Meta};

    fn cluster_change(index: u64) -> Arc<Event> {
        let cluster = Cluster {
            id: format!("c{index}"),
            meta: Meta::default(),
            spec: ClusterSpec::default(),
            join_tokens: JoinTokens {
                worker: String::new(),
                manager: String::new(),
            },
            root_ca_pem: String::new(),
        };
        Arc::new(Event::Commit {
            index,
            changes: vec![Change::Updated(Object::Cluster(cluster))],
        })
    }

    async fn next_line(
        s: &mut (impl Stream<Item = Result<Vec<u8>, std::io::Error>> + Unpin),
    ) -> EventLine {
        let bytes = s.next().await.expect("a line").expect("no error");
        assert_eq!(bytes.last(), Some(&b'\n'));
        serde_json::from_slice(&bytes).expect("a JSON line")
    }

    #[tokio::test]
    async fn a_lagging_reader_is_told_and_goes_on() {
        let (tx, rx) = broadcast::channel(2);
        let mut lines = Box::pin(event_lines(rx, None, CancellationToken::new()));
        for i in 1..=5 {
            tx.send(cluster_change(i)).unwrap();
        }
        let EventLine::Notice(n) = next_line(&mut lines).await else {
            panic!("the gap comes first");
        };
        assert_eq!((n.notice, n.dropped), (NoticeKind::Dropped, Some(3)));
        for want in ["c4", "c5"] {
            let EventLine::Event(e) = next_line(&mut lines).await else {
                panic!("events follow the notice");
            };
            assert_eq!(e.id, want);
        }
        drop(tx);
        assert!(
            lines.next().await.is_none(),
            "the stream ends with the store"
        );
    }

    #[tokio::test]
    async fn a_type_filter_skips_other_objects() {
        let (tx, rx) = broadcast::channel(8);
        let mut lines = Box::pin(event_lines(
            rx,
            Some(EventType::Service),
            CancellationToken::new(),
        ));
        tx.send(cluster_change(1)).unwrap();
        drop(tx);
        assert!(lines.next().await.is_none());
    }

    #[tokio::test]
    async fn the_stream_ends_when_the_manager_stops() {
        let (tx, rx) = broadcast::channel(8);
        let stop = CancellationToken::new();
        let mut lines = Box::pin(event_lines(rx, None, stop.clone()));
        tx.send(cluster_change(1)).unwrap();
        assert!(matches!(next_line(&mut lines).await, EventLine::Event(_)));
        stop.cancel();
        assert!(
            lines.next().await.is_none(),
            "the sender is still open: only stop ends it"
        );
        drop(tx);
    }
}
