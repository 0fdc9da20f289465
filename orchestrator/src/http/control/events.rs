//! `GET /v1/events[?type=service|task|node|cluster][&since=SECS]`: a long-lived
//! newline-delimited JSON stream of cluster changes, one line per changed object (see
//! `shoal_api::events`), from now on or replayed from `since` out of what this manager kept
//! (`event_history`). A reader that falls behind gets a `dropped` notice and goes on.
//!
//! Every manager serves it from its own store (`forward.rs` does not relay it): each applies
//! the same committed log, so the lines are the same wherever they are read, the stream
//! survives a change of leader, and a follower adds no hop. A manager cut off from the leader
//! goes quiet until it catches up. The stream ends when the manager stops.

use super::event_lines::{dropped, lines_of};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::json::{Query, ndjson};
use crate::store::Event;
use crate::store::event_history::{self, EventHistory, Past};
use axum::extract::State;
use axum::response::IntoResponse;
use futures::Stream;
use serde::Deserialize;
use shoal_api::Timestamp;
use shoal_api::events::{EventLine, EventType, NoticeKind, StreamNotice};
use std::collections::VecDeque;
use std::sync::Arc;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio_util::sync::CancellationToken;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    #[serde(rename = "type")]
    kind: Option<String>,
    /// Unix time in seconds: replay the changes this manager kept from then on.
    since: Option<String>,
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
    let since = match q.since.as_deref() {
        None => None,
        Some(v) => match v.parse::<u64>() {
            Ok(secs) => Some(Timestamp(secs.saturating_mul(1000))),
            Err(_) => {
                return Err(ApiError::invalid(
                    "since",
                    format!("since must be a Unix time in seconds (0 or more), not {v:?}"),
                ));
            }
        },
    };
    // Subscribe before reading the past, so nothing falls between the two; what is in both
    // is skipped by its log index.
    let rx = st.store.subscribe();
    let (backlog, skip_through) = match since {
        Some(since) => replay(&st.history, since, only),
        None => (Vec::new(), None),
    };
    Ok(ndjson(event_lines_after(
        rx,
        only,
        st.shutdown,
        backlog,
        skip_through,
    )))
}

/// The kept lines from `since` on (after a notice if some are missing), and the last log
/// index among them.
fn replay(
    history: &EventHistory,
    since: Timestamp,
    only: Option<EventType>,
) -> (Vec<EventLine>, Option<u64>) {
    let (past, complete_from) = history.since(since);
    let mut lines = Vec::new();
    if since < complete_from {
        lines.push(EventLine::Notice(StreamNotice {
            time: complete_from,
            notice: NoticeKind::NotKept,
            dropped: None,
            message: format!(
                "this manager keeps changes from {} on (the last {} writes since it started): earlier ones are not shown",
                complete_from,
                event_history::KEPT
            ),
        }));
    }
    for p in &past {
        lines.extend(lines_of(&p.event, only, p.time));
    }
    (lines, past.iter().filter_map(Past::index).max())
}

/// `backlog` first, then the lines read from `rx`, skipping commits up to `skip_through`
/// (already in the backlog); it ends when the store goes away or at `stop`.
fn event_lines_after(
    rx: broadcast::Receiver<Arc<Event>>,
    only: Option<EventType>,
    stop: CancellationToken,
    backlog: Vec<EventLine>,
    skip_through: Option<u64>,
) -> impl Stream<Item = Result<Vec<u8>, std::io::Error>> {
    let pending: VecDeque<EventLine> = backlog.into();
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
                    Ok(event) if replayed(&event, skip_through) => {}
                    Ok(event) => pending.extend(lines_of(&event, only, Timestamp::now())),
                    Err(RecvError::Lagged(n)) => pending.push_back(dropped(n, Timestamp::now())),
                    Err(RecvError::Closed) => return None,
                }
            }
        }
    })
}

/// Whether `event` is a commit the backlog already showed.
fn replayed(event: &Event, skip_through: Option<u64>) -> bool {
    match (event, skip_through) {
        (Event::Commit { index, .. }, Some(last)) => *index <= last,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Change, Object};
    use futures::StreamExt;
    use shoal_api::events::NoticeKind;
    use shoal_api::{Cluster, ClusterSpec, JoinTokens, Meta};

    /// The live stream, with nothing replayed.
    fn event_lines(
        rx: broadcast::Receiver<Arc<Event>>,
        only: Option<EventType>,
        stop: CancellationToken,
    ) -> impl Stream<Item = Result<Vec<u8>, std::io::Error>> {
        event_lines_after(rx, only, stop, Vec::new(), None)
    }

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

    #[tokio::test]
    async fn since_replays_what_was_kept_once_then_goes_on_live() {
        let (tx, rx) = broadcast::channel(8);
        let history = EventHistory::start_empty(Timestamp(5_000));
        for i in 1..=3 {
            history.record(cluster_change(i), Timestamp(10_000 + i));
        }
        // c2 and c3 are kept from 10 s on; c3 also reaches the live stream.
        let (backlog, skip_through) = replay(&history, Timestamp(10_002), None);
        assert_eq!(skip_through, Some(3));
        let mut lines = Box::pin(event_lines_after(
            rx,
            None,
            CancellationToken::new(),
            backlog,
            skip_through,
        ));
        tx.send(cluster_change(3)).unwrap();
        tx.send(cluster_change(4)).unwrap();
        drop(tx);
        let mut ids = Vec::new();
        while let Some(Ok(bytes)) = lines.next().await {
            match serde_json::from_slice::<EventLine>(&bytes).unwrap() {
                EventLine::Event(e) => ids.push(e.id),
                EventLine::Notice(n) => panic!("nothing is missing: {n:?}"),
            }
        }
        assert_eq!(ids, ["c2", "c3", "c4"]);

        // Asking for more than was kept starts with a notice saying so.
        let (backlog, _) = replay(&history, Timestamp(1_000), Some(EventType::Service));
        let EventLine::Notice(n) = &backlog[0] else {
            panic!("a notice first");
        };
        assert_eq!(n.notice, NoticeKind::NotKept);
        assert!(
            n.message.contains("1970-01-01T00:00:05.000Z"),
            "{}",
            n.message
        );
        assert_eq!(backlog.len(), 1, "the type filter applies to the replay");
    }
}
