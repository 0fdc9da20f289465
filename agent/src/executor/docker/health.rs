//! Container health from Docker, cheaply for many containers: one `docker events` stream per
//! node (health status changes of its containers only) fans container ids out to waiters,
//! who inspect their container only when told it changed, or every [`RECHECK`] as a safety
//! net. A broken stream is reopened and every waiter re-inspects.

use super::labels;
use crate::executor::{ExecError, Health};
use bollard::Docker;
use bollard::models::{ContainerState, HealthStatusEnum};
use bollard::query_parameters::EventsOptions;
use futures::StreamExt;
use shoal_api::NodeId;
use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::broadcast;

/// How often a waiter re-inspects without being told of a change.
const RECHECK: Duration = Duration::from_secs(30);
/// Longest probe output kept in a task's error.
const MAX_OUTPUT: usize = 200;
/// Sent to every waiter when events may have been missed.
const EVERYONE: &str = "";

pub type HealthEvents = Arc<broadcast::Sender<Arc<str>>>;

/// Starts the watcher for `node_id`'s containers; it ends when the returned sender is dropped.
pub fn watch(docker: Docker, node_id: &NodeId) -> HealthEvents {
    let tx = Arc::new(broadcast::channel(1024).0);
    tokio::spawn(run(docker, node_id.clone(), Arc::downgrade(&tx)));
    tx
}

async fn run(docker: Docker, node_id: NodeId, tx: Weak<broadcast::Sender<Arc<str>>>) {
    let filters = HashMap::from([
        ("type".to_string(), vec!["container".to_string()]),
        ("event".to_string(), vec!["health_status".to_string()]),
        (
            "label".to_string(),
            vec![format!("{}={}", labels::NODE_ID, node_id)],
        ),
    ]);
    loop {
        let options = EventsOptions {
            filters: Some(filters.clone()),
            ..Default::default()
        };
        let mut events = docker.events(Some(options));
        loop {
            let next = tokio::select! {
                next = events.next() => next,
                // Notice a dropped executor even when nothing happens.
                _ = tokio::time::sleep(RECHECK) => {
                    if tx.strong_count() == 0 {
                        return;
                    }
                    continue;
                }
            };
            let Some(tx) = tx.upgrade() else { return };
            match next {
                Some(Ok(e)) => {
                    let health = e
                        .action
                        .as_deref()
                        .is_some_and(|a| a.starts_with("health_status"));
                    if let Some(id) = e.actor.and_then(|a| a.id).filter(|_| health) {
                        let _ = tx.send(id.into());
                    }
                }
                Some(Err(err)) => {
                    tracing::warn!(error = %err, "docker events stream failed; reopening");
                    let _ = tx.send(EVERYONE.into());
                    break;
                }
                None => {
                    let _ = tx.send(EVERYONE.into());
                    break;
                }
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Waits until `container` may have changed health: told so, events were missed, or it is
/// time to look again anyway.
pub async fn changed(rx: &mut broadcast::Receiver<Arc<str>>, container: &str) {
    let wait = async {
        loop {
            match rx.recv().await {
                Ok(id) if &*id == container || &*id == EVERYONE => return,
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(_)) => return,
                Err(broadcast::error::RecvError::Closed) => std::future::pending::<()>().await,
            }
        }
    };
    let _ = tokio::time::timeout(RECHECK, wait).await;
}

/// Reads the health out of `docker inspect`'s state.
pub fn health_of(state: Option<&ContainerState>) -> Health {
    let Some(h) = state.and_then(|s| s.health.as_ref()) else {
        return Health::None;
    };
    match h.status {
        Some(HealthStatusEnum::STARTING) => Health::Starting,
        Some(HealthStatusEnum::HEALTHY) => Health::Healthy,
        Some(HealthStatusEnum::UNHEALTHY) => {
            let output = h
                .log
                .as_ref()
                .and_then(|log| log.last())
                .and_then(|r| r.output.as_deref())
                .unwrap_or_default();
            Health::Unhealthy(short(output))
        }
        _ => Health::None,
    }
}

/// The probe output, trimmed to one readable line.
fn short(output: &str) -> String {
    let line = output.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(MAX_OUTPUT) {
        Some((cut, _)) => format!("{}...", &line[..cut]),
        None => line,
    }
}

/// The executor's `health`: `seen` `None` returns the health now.
pub async fn wait_health(
    docker: &Docker,
    events: &HealthEvents,
    container: &str,
    seen: Option<&Health>,
) -> Result<Health, ExecError> {
    let mut rx = events.subscribe();
    loop {
        let c = docker
            .inspect_container(container, None)
            .await
            .map_err(|e| match e {
                bollard::errors::Error::DockerResponseServerError {
                    status_code: 404, ..
                } => ExecError::NotFound,
                e => ExecError::Runtime(format!("docker: {e}")),
            })?;
        let now = health_of(c.state.as_ref());
        if seen.is_none_or(|s| !s.same_state(&now)) {
            return Ok(now);
        }
        changed(&mut rx, container).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::{Health as DockerHealth, HealthcheckResult};

    fn state(status: HealthStatusEnum, outputs: &[&str]) -> ContainerState {
        ContainerState {
            health: Some(DockerHealth {
                status: Some(status),
                failing_streak: None,
                log: Some(
                    outputs
                        .iter()
                        .map(|o| HealthcheckResult {
                            output: Some(o.to_string()),
                            ..Default::default()
                        })
                        .collect(),
                ),
            }),
            ..Default::default()
        }
    }

    #[test]
    fn reads_docker_health_with_the_last_probe_output() {
        assert_eq!(health_of(None), Health::None);
        assert_eq!(health_of(Some(&ContainerState::default())), Health::None);
        assert_eq!(
            health_of(Some(&state(HealthStatusEnum::STARTING, &[]))),
            Health::Starting
        );
        assert_eq!(
            health_of(Some(&state(HealthStatusEnum::HEALTHY, &["ok"]))),
            Health::Healthy
        );
        assert_eq!(
            health_of(Some(&state(
                HealthStatusEnum::UNHEALTHY,
                &["first", "not ready\n  yet\n"]
            ))),
            Health::Unhealthy("not ready yet".into())
        );
        let long = "x".repeat(500);
        let Health::Unhealthy(out) = health_of(Some(&state(HealthStatusEnum::UNHEALTHY, &[&long])))
        else {
            panic!("unhealthy expected");
        };
        assert_eq!(out.len(), MAX_OUTPUT + 3);
    }

    #[tokio::test]
    async fn a_waiter_wakes_for_its_container_or_everyone_not_for_others() {
        let (tx, mut rx) = broadcast::channel::<Arc<str>>(8);
        let wait = tokio::spawn(async move { changed(&mut rx, "abc").await });
        tx.send("other".into()).unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!wait.is_finished(), "woken by another container's event");
        tx.send("abc".into()).unwrap();
        wait.await.unwrap();

        let mut rx = tx.subscribe();
        let wait = tokio::spawn(async move { changed(&mut rx, "abc").await });
        tx.send(EVERYONE.into()).unwrap();
        wait.await.unwrap();
    }
}
