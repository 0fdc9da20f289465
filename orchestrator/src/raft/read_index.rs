//! Linearizable reads: before a leader answers from its state, it confirms with a majority
//! that it still leads (Raft's read index, openraft's `get_read_log_id`), then waits until
//! its state machine has applied up to that index. A leader cut off from the majority, or
//! paused and resumed after a new leader was elected, can then never answer with old state.
//!
//! Confirmation rounds are **batched**: one round at a time, and every read that arrives
//! while a round is in flight joins the *next* round, which starts as soon as the current one
//! ends. A read never joins a round that started before it arrived (that round may have taken
//! its read index before a write the reader already saw was committed), so at most two rounds
//! pass before it is answered, however many reads come at once. [`Rounds`] is that rule,
//! pure; [`ReadIndex`] drives it with real rounds.
//!
//! A round that fails for want of a quorum (a heartbeat lost under load) is retried by its
//! readers until their bound; a manager that learns it is no longer the leader fails at once.

use super::types::{Member, Raft};
use openraft::error::{CheckIsLeaderError, RaftError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use thiserror::Error;
use tokio::sync::watch;
use tokio::time::Instant;

/// Why a read could not be confirmed.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum ReadError {
    #[error("not the leader: this manager no longer leads{}", hint(.leader))]
    NotLeader { leader: Option<Member> },
    #[error(
        "no quorum: this manager cannot confirm leadership with a majority of managers within {}, so it does not answer from its possibly stale state",
        shoal_api::duration::format(*.0)
    )]
    NoQuorum(Duration),
    #[error(
        "this manager confirmed it leads but has not applied the log up to index {index} within {}",
        shoal_api::duration::format(*within)
    )]
    Behind { index: u64, within: Duration },
    #[error("raft is shutting down on this manager")]
    Stopped,
}

fn hint(leader: &Option<Member>) -> String {
    match leader {
        Some(m) => format!(" (the leader is at {})", m.addr),
        None => ", and no leader is known yet".into(),
    }
}

/// What one confirmation round gives: the log index a read must wait for, or why not. A
/// `NoQuorum` of a round carries no bound; readers give their own.
pub type RoundResult = Result<u64, RoundError>;

/// How one round failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoundError {
    NotLeader(Option<Member>),
    NoQuorum,
    Stopped,
}

/// What confirms leadership once and returns the read index: Raft, or a fake in tests.
pub trait Confirm: Send + Sync + 'static {
    fn round(&self) -> impl Future<Output = RoundResult> + Send;
    /// Waits until the local state machine has applied `index`, for at most `within`.
    fn applied(&self, index: u64, within: Duration) -> impl Future<Output = bool> + Send;
}

/// The batching rule, pure: which round a read arriving now joins, and whether a round must
/// start when one ends.
#[derive(Debug, Default)]
pub struct Rounds {
    /// The round in flight.
    running: Option<u64>,
    /// Whether some read waits for the round after the one in flight.
    queued: bool,
    next: u64,
}

/// Where an arriving read goes.
#[derive(Debug, PartialEq, Eq)]
pub enum Join {
    /// No round is in flight: start round `n` now; the read joins it.
    Start(u64),
    /// Round `n` will start when the one in flight ends; the read waits for it.
    Next(u64),
}

impl Rounds {
    pub fn arrive(&mut self) -> Join {
        match self.running {
            None => {
                let n = self.next;
                self.next += 1;
                self.running = Some(n);
                Join::Start(n)
            }
            Some(_) => {
                self.queued = true;
                Join::Next(self.next)
            }
        }
    }

    /// Round `n` ended; returns the round to start now, if reads are waiting for one.
    pub fn finish(&mut self, n: u64) -> Option<u64> {
        debug_assert_eq!(self.running, Some(n));
        self.running = None;
        if std::mem::take(&mut self.queued) {
            match self.arrive() {
                Join::Start(m) => Some(m),
                Join::Next(_) => unreachable!("no round runs after one ended"),
            }
        } else {
            None
        }
    }
}

/// Batched read confirmation over a [`Confirm`].
pub struct ReadIndex<C> {
    confirm: Arc<C>,
    inner: Mutex<Batches>,
}

#[derive(Default)]
struct Batches {
    rounds: Rounds,
    /// The result channel of each round someone waits for.
    results: HashMap<u64, watch::Sender<Option<RoundResult>>>,
}

impl<C: Confirm> ReadIndex<C> {
    pub fn new(confirm: C) -> Arc<Self> {
        Arc::new(ReadIndex {
            confirm: Arc::new(confirm),
            inner: Mutex::new(Batches::default()),
        })
    }

    /// Confirms a read that arrives now: returns once this manager has confirmed with a
    /// majority, in a round started after now, that it leads, and has applied everything
    /// committed at that point; or, within `bound`, why it cannot.
    pub async fn confirm(self: &Arc<Self>, bound: Duration) -> Result<u64, ReadError> {
        let deadline = Instant::now() + bound;
        loop {
            let round = tokio::time::timeout_at(deadline, self.join_round()).await;
            match round {
                Ok(Ok(index)) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    return if self.confirm.applied(index, left).await {
                        Ok(index)
                    } else {
                        Err(ReadError::Behind {
                            index,
                            within: bound,
                        })
                    };
                }
                Ok(Err(RoundError::NotLeader(leader))) => {
                    return Err(ReadError::NotLeader { leader });
                }
                Ok(Err(RoundError::Stopped)) => return Err(ReadError::Stopped),
                Ok(Err(RoundError::NoQuorum)) => {
                    // A round is a single heartbeat of ~50 ms: try again, not too eagerly.
                    let pause = Instant::now() + Duration::from_millis(20);
                    if pause >= deadline {
                        return Err(ReadError::NoQuorum(bound));
                    }
                    tokio::time::sleep_until(pause).await;
                }
                Err(_elapsed) => return Err(ReadError::NoQuorum(bound)),
            }
        }
    }

    /// Joins the round this arrival belongs to and waits for its result.
    async fn join_round(self: &Arc<Self>) -> RoundResult {
        let mut rx = {
            let mut b = self.lock();
            let (n, start) = match b.rounds.arrive() {
                Join::Start(n) => (n, true),
                Join::Next(n) => (n, false),
            };
            let rx = b
                .results
                .entry(n)
                .or_insert_with(|| watch::channel(None).0)
                .subscribe();
            if start {
                self.spawn_round(n);
            }
            rx
        };
        match rx.wait_for(Option::is_some).await {
            Ok(r) => r.clone().unwrap_or(Err(RoundError::Stopped)),
            Err(_) => Err(RoundError::Stopped),
        }
    }

    fn spawn_round(self: &Arc<Self>, n: u64) {
        let this = self.clone();
        tokio::spawn(async move {
            let result = this.confirm.round().await;
            let mut b = this.lock();
            if let Some(tx) = b.results.remove(&n) {
                tx.send_replace(Some(result));
            }
            if let Some(next) = b.rounds.finish(n) {
                this.spawn_round(next);
            }
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Batches> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One heartbeat round of openraft's read index. A round is bounded by openraft (one
/// heartbeat interval per peer), and again here in case the Raft core is busy.
pub struct RaftConfirm(pub Raft);

/// Longest a single round may take before it counts as "no quorum".
const ROUND_BOUND: Duration = Duration::from_millis(500);

impl Confirm for RaftConfirm {
    async fn round(&self) -> RoundResult {
        match tokio::time::timeout(ROUND_BOUND, self.0.get_read_log_id()).await {
            Err(_) => Err(RoundError::NoQuorum),
            Ok(Ok((read, _applied))) => Ok(read.map_or(0, |l| l.index)),
            Ok(Err(RaftError::APIError(CheckIsLeaderError::ForwardToLeader(f)))) => {
                Err(RoundError::NotLeader(f.leader_node))
            }
            Ok(Err(RaftError::APIError(CheckIsLeaderError::QuorumNotEnough(_)))) => {
                Err(RoundError::NoQuorum)
            }
            Ok(Err(RaftError::Fatal(_))) => Err(RoundError::Stopped),
        }
    }

    async fn applied(&self, index: u64, within: Duration) -> bool {
        self.0
            .wait(Some(within))
            .applied_index_at_least(Some(index), "linearizable read")
            .await
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[test]
    fn a_read_joins_the_round_after_the_one_in_flight() {
        let mut r = Rounds::default();
        assert_eq!(r.arrive(), Join::Start(0));
        assert_eq!(r.arrive(), Join::Next(1));
        assert_eq!(r.arrive(), Join::Next(1));
        assert_eq!(
            r.finish(0),
            Some(1),
            "the queued reads get their round at once"
        );
        assert_eq!(
            r.arrive(),
            Join::Next(2),
            "round 1 started before this read"
        );
        assert_eq!(r.finish(1), Some(2));
        assert_eq!(r.finish(2), None, "nobody waits: no round");
        assert_eq!(r.arrive(), Join::Start(3));
    }

    /// Rounds that take 50 ms; each answers the number of rounds started before it, and
    /// records when it started.
    #[derive(Default)]
    struct Fake {
        started: AtomicU64,
        starts: Mutex<Vec<Instant>>,
        fail: Mutex<Vec<RoundResult>>,
    }

    impl Confirm for Arc<Fake> {
        async fn round(&self) -> RoundResult {
            let n = self.started.fetch_add(1, Ordering::SeqCst);
            self.starts.lock().unwrap().push(Instant::now());
            tokio::time::sleep(Duration::from_millis(50)).await;
            match self.fail.lock().unwrap().pop() {
                Some(r) => r,
                None => Ok(n),
            }
        }
        async fn applied(&self, _index: u64, _within: Duration) -> bool {
            true
        }
    }

    const BOUND: Duration = Duration::from_secs(1);

    #[tokio::test(start_paused = true)]
    async fn many_concurrent_reads_share_two_rounds() {
        let fake = Arc::new(Fake::default());
        let reads = ReadIndex::new(fake.clone());
        let first = tokio::spawn({
            let reads = reads.clone();
            async move { reads.confirm(BOUND).await }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        let arrived = Instant::now();
        let later: Vec<_> = (0..100)
            .map(|_| {
                let reads = reads.clone();
                tokio::spawn(async move { reads.confirm(BOUND).await })
            })
            .collect();
        assert_eq!(first.await.unwrap(), Ok(0));
        for r in later {
            assert_eq!(r.await.unwrap(), Ok(1), "all later reads share round 1");
        }
        assert_eq!(fake.started.load(Ordering::SeqCst), 2);
        let starts = fake.starts.lock().unwrap().clone();
        assert!(
            starts[1] >= arrived,
            "round 1 started after the reads arrived"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_lone_read_starts_a_round_at_once() {
        let fake = Arc::new(Fake::default());
        let reads = ReadIndex::new(fake.clone());
        let t0 = Instant::now();
        assert_eq!(reads.confirm(BOUND).await, Ok(0));
        assert_eq!(Instant::now() - t0, Duration::from_millis(50));
        assert_eq!(
            reads.confirm(BOUND).await,
            Ok(1),
            "a new round for a new read"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn no_quorum_is_retried_until_the_bound() {
        let fake = Arc::new(Fake::default());
        *fake.fail.lock().unwrap() = vec![Err(RoundError::NoQuorum); 100];
        let reads = ReadIndex::new(fake.clone());
        let t0 = Instant::now();
        assert_eq!(reads.confirm(BOUND).await, Err(ReadError::NoQuorum(BOUND)));
        let took = Instant::now() - t0;
        assert!(took <= BOUND, "answered within its bound, took {took:?}");
        assert!(
            fake.started.load(Ordering::SeqCst) > 5,
            "several rounds tried"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_lost_heartbeat_is_retried_and_not_the_leader_is_final() {
        let fake = Arc::new(Fake::default());
        *fake.fail.lock().unwrap() = vec![Err(RoundError::NoQuorum)];
        let reads = ReadIndex::new(fake.clone());
        assert_eq!(
            reads.confirm(BOUND).await,
            Ok(1),
            "the second round answered"
        );

        // Popped from the end: the first round says "not the leader".
        *fake.fail.lock().unwrap() = vec![Ok(7), Err(RoundError::NotLeader(None))];
        let t0 = Instant::now();
        let e = reads.confirm(BOUND).await.unwrap_err();
        assert_eq!(e, ReadError::NotLeader { leader: None });
        assert!(e.to_string().starts_with("not the leader"));
        assert_eq!(Instant::now() - t0, Duration::from_millis(50), "no retry");
    }

    /// The state machine lags behind the read index past the bound: refused, not answered.
    #[tokio::test(start_paused = true)]
    async fn a_read_waits_for_the_state_machine_within_its_bound() {
        struct Lagging;
        impl Confirm for Lagging {
            async fn round(&self) -> RoundResult {
                Ok(42)
            }
            async fn applied(&self, _index: u64, within: Duration) -> bool {
                tokio::time::sleep(within).await;
                false
            }
        }
        let reads = ReadIndex::new(Lagging);
        let e = reads.confirm(BOUND).await.unwrap_err();
        assert_eq!(
            e,
            ReadError::Behind {
                index: 42,
                within: BOUND
            }
        );
    }
}
