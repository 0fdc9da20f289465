//! Keeps a leader-only component running whatever happens inside it: a panic is logged with
//! its message, counted in `/metrics` (`shoal_controller_panics_total{controller=...}`), and
//! the component started again after a backoff that doubles from 100 ms up to 30 s (back to
//! 100 ms once it has run a minute without panicking). Only shutdown ends it: a controller
//! never disappears silently while its manager leads.

use std::future::Future;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// A run this long without a panic counts as healthy again.
const HEALTHY_AFTER: Duration = Duration::from_secs(60);

/// Runs what `start` returns until `shutdown`, starting it again after each panic.
pub async fn supervise<F, Fut>(name: &'static str, shutdown: CancellationToken, mut start: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut backoff = FIRST_BACKOFF;
    loop {
        let started = Instant::now();
        let run = tokio::spawn(start());
        let abort = run.abort_handle();
        let outcome = tokio::select! {
            outcome = run => outcome,
            _ = shutdown.cancelled() => {
                abort.abort();
                return;
            }
        };
        let panic = match outcome {
            Err(e) if e.is_panic() => e.into_panic(),
            // Ended by itself (it does so on shutdown) or cancelled.
            _ => return,
        };
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".into());
        crate::telemetry::controller_panicked(name);
        if started.elapsed() >= HEALTHY_AFTER {
            backoff = FIRST_BACKOFF;
        }
        tracing::error!(controller = name, panic = %message, "controller panicked; restarting in {backoff:?}");
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(start_paused = true)]
    async fn a_panicking_component_is_started_again_with_growing_pauses() {
        let starts = Arc::new(AtomicUsize::new(0));
        let shutdown = CancellationToken::new();
        let (counted, stop) = (starts.clone(), shutdown.clone());
        let supervisor = tokio::spawn(supervise("test", shutdown.clone(), move || {
            let n = counted.fetch_add(1, Ordering::SeqCst);
            let stop = stop.clone();
            async move {
                if n < 3 {
                    panic!("bad object number {n}");
                }
                stop.cancelled().await;
            }
        }));
        let t0 = Instant::now();
        while starts.load(Ordering::SeqCst) < 4 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Pauses of 100, 200 and 400 ms between the four starts.
        let waited = t0.elapsed();
        assert!(
            waited >= Duration::from_millis(700) && waited < Duration::from_millis(800),
            "{waited:?}"
        );
        shutdown.cancel();
        supervisor.await.unwrap();
        assert_eq!(starts.load(Ordering::SeqCst), 4, "no start after shutdown");
    }

    #[tokio::test]
    async fn shutdown_ends_a_healthy_component() {
        let shutdown = CancellationToken::new();
        let stop = shutdown.clone();
        let supervisor = tokio::spawn(supervise("test", shutdown.clone(), move || {
            let stop = stop.clone();
            async move { stop.cancelled().await }
        }));
        shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(5), supervisor)
            .await
            .expect("the supervisor ends")
            .unwrap();
    }
}
