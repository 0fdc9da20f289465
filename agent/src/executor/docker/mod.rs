//! The Docker executor (bollard). Containers carry Shoal's labels and are named
//! `<service>.<slot>.<task-id>`; only containers labelled with this node's id are listed, so
//! several nodes can share one engine. What goes into a container is in `body`; how
//! its health is followed, in `health`; the labels themselves, in `labels`.

mod body;
mod health;
mod labels;

use crate::executor::{ContainerInfo, ExecError, Executor, Health, LogChunk};
use body::container_body;
use bollard::Docker;
use bollard::container::LogOutput;
use bollard::errors::Error as DockerError;
use bollard::models::{ContainerStateStatusEnum, ContainerSummaryStateEnum};
use bollard::query_parameters::{
    CreateContainerOptions, CreateImageOptions, ListContainersOptions, LogsOptionsBuilder,
    RemoveContainerOptions, StopContainerOptions,
};
use futures::StreamExt;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use health::HealthEvents;
use shoal_api::logs::{LogOptions, LogStream};
use shoal_api::{NodeDescription, NodeId, Platform, Task, TaskId};
use std::collections::HashMap;
use std::time::Duration;

pub struct DockerExecutor {
    docker: Docker,
    node_id: NodeId,
    /// Bounds concurrent stop/remove calls: the engine tears a hundred containers down
    /// faster a few at a time than all at once (creates and starts do best unbounded).
    teardown: tokio::sync::Semaphore,
    /// Health status changes of this node's containers, from one `docker events` stream.
    health_events: HealthEvents,
    /// Host address published ports bind to (`None`: Docker's default).
    publish_ip: Option<String>,
}

/// Concurrent stop/remove calls to the engine (measured with `bench/run.sh`: 100 removals
/// take 8.2 s all at once, 5.5 s ten at a time).
const TEARDOWN_CONCURRENCY: usize = 10;

fn status_of(e: &DockerError) -> Option<u16> {
    match e {
        DockerError::DockerResponseServerError { status_code, .. } => Some(*status_code),
        _ => None,
    }
}

fn runtime(e: DockerError) -> ExecError {
    ExecError::Runtime(format!("docker: {e}"))
}

impl DockerExecutor {
    /// Connects to `host` (or the local defaults) and negotiates the API version, since the
    /// engine may speak an older API than bollard's default.
    pub async fn connect(host: Option<&str>, node_id: NodeId) -> Result<Self, ExecError> {
        let docker = match host {
            Some(h) => Docker::connect_with_host(h),
            None => Docker::connect_with_local_defaults(),
        }
        .map_err(runtime)?;
        let docker = docker.negotiate_version().await.map_err(runtime)?;
        docker.ping().await.map_err(runtime)?;
        Ok(DockerExecutor {
            health_events: health::watch(docker.clone(), &node_id),
            docker,
            node_id,
            teardown: tokio::sync::Semaphore::new(TEARDOWN_CONCURRENCY),
            publish_ip: None,
        })
    }

    /// Binds published ports to `ip` instead of all addresses.
    pub fn with_publish_ip(mut self, ip: Option<std::net::IpAddr>) -> Self {
        self.publish_ip = ip.map(|ip| ip.to_string());
        self
    }

    async fn create_named(&self, task: &Task) -> Result<String, DockerError> {
        let options = CreateContainerOptions {
            name: Some(task.container_name()),
            ..Default::default()
        };
        self.docker
            .create_container(
                Some(options),
                container_body(task, &self.node_id, self.publish_ip.as_deref()),
            )
            .await
            .map(|r| r.id)
    }

    /// Returns once the container has left Docker's `created` state.
    async fn wait_until_started(&self, container: &str) -> Result<(), ExecError> {
        loop {
            match self.docker.inspect_container(container, None).await {
                Ok(c) => {
                    let status = c.state.and_then(|s| s.status);
                    if status != Some(ContainerStateStatusEnum::CREATED) {
                        return Ok(());
                    }
                }
                Err(e) if status_of(&e) == Some(404) => return Err(ExecError::NotFound),
                Err(e) => return Err(runtime(e)),
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    async fn pull(&self, image: &str) -> Result<(), DockerError> {
        let options = CreateImageOptions {
            from_image: Some(image.to_string()),
            ..Default::default()
        };
        let mut progress = self.docker.create_image(Some(options), None, None);
        while let Some(step) = progress.next().await {
            step?;
        }
        Ok(())
    }
}

impl Executor for DockerExecutor {
    fn describe(&self) -> BoxFuture<'_, Result<NodeDescription, ExecError>> {
        Box::pin(async move {
            let info = self.docker.info().await.map_err(runtime)?;
            let engine_labels = info
                .labels
                .unwrap_or_default()
                .into_iter()
                .filter_map(|l| {
                    l.split_once('=')
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                })
                .collect();
            Ok(NodeDescription {
                hostname: String::new(),
                cpus: info.ncpu.unwrap_or(0).max(0) as u64,
                memory_bytes: info.mem_total.unwrap_or(0).max(0) as u64,
                engine_version: info.server_version.unwrap_or_default(),
                engine_labels,
                platform: Platform {
                    os: info.os_type.unwrap_or_default(),
                    architecture: info.architecture.unwrap_or_default(),
                },
            })
        })
    }

    fn list(&self) -> BoxFuture<'_, Result<Vec<ContainerInfo>, ExecError>> {
        Box::pin(async move {
            let filters = HashMap::from([(
                "label".to_string(),
                vec![format!("{}={}", labels::NODE_ID, self.node_id)],
            )]);
            let options = ListContainersOptions {
                all: true,
                filters: Some(filters),
                ..Default::default()
            };
            let list = self
                .docker
                .list_containers(Some(options))
                .await
                .map_err(runtime)?;
            Ok(list
                .into_iter()
                .filter_map(|c| {
                    let task = c.labels.as_ref()?.get(labels::TASK_ID)?.clone();
                    Some(ContainerInfo {
                        task_id: TaskId(task),
                        container_id: c.id?,
                        running: matches!(c.state, Some(ContainerSummaryStateEnum::RUNNING)),
                    })
                })
                .collect())
        })
    }

    fn create<'a>(&'a self, task: &'a Task) -> BoxFuture<'a, Result<String, ExecError>> {
        Box::pin(async move {
            if let Some(refusal) = body::unsupported_by_engine(task, self.docker.client_version()) {
                return Err(ExecError::Rejected(refusal));
            }
            match self.create_named(task).await {
                Ok(id) => Ok(id),
                // Already created by an earlier attempt: adopt it.
                Err(e) if status_of(&e) == Some(409) => {
                    let c = self
                        .docker
                        .inspect_container(&task.container_name(), None)
                        .await
                        .map_err(runtime)?;
                    c.id.ok_or_else(|| ExecError::Runtime("container without id".into()))
                }
                Err(e) if status_of(&e) == Some(404) => {
                    let image = &task.spec.container.image;
                    if let Err(pull) = self.pull(image).await {
                        return Err(ExecError::Rejected(format!(
                            "image {image} is not on this node and could not be pulled: {pull}"
                        )));
                    }
                    self.create_named(task)
                        .await
                        .map_err(|e| ExecError::Rejected(format!("create container: {e}")))
                }
                Err(e) if status_of(&e) == Some(400) => {
                    Err(ExecError::Rejected(format!("create container: {e}")))
                }
                Err(e) => Err(runtime(e)),
            }
        })
    }

    fn start<'a>(&'a self, container: &'a str) -> BoxFuture<'a, Result<(), ExecError>> {
        Box::pin(async move {
            match self.docker.start_container(container, None).await {
                Ok(()) => Ok(()),
                Err(e) if status_of(&e) == Some(304) => Ok(()),
                Err(e) if status_of(&e) == Some(404) => Err(ExecError::NotFound),
                // The engine refuses to start it (bad command, missing binary...).
                Err(e) if status_of(&e).is_some_and(|s| s <= 500) => {
                    Err(ExecError::Rejected(format!("start container: {e}")))
                }
                Err(e) => Err(runtime(e)),
            }
        })
    }

    fn wait<'a>(&'a self, container: &'a str) -> BoxFuture<'a, Result<i64, ExecError>> {
        Box::pin(async move {
            let mut stream = self.docker.wait_container(container, None);
            match stream.next().await {
                Some(Ok(r)) => Ok(r.status_code),
                Some(Err(DockerError::DockerContainerWaitError { code, .. })) => Ok(code),
                Some(Err(e)) if status_of(&e) == Some(404) => Err(ExecError::NotFound),
                Some(Err(e)) => Err(runtime(e)),
                None => Err(ExecError::Runtime(
                    "docker wait ended without a result".into(),
                )),
            }
        })
    }

    fn stop<'a>(
        &'a self,
        container: &'a str,
        grace: Duration,
    ) -> BoxFuture<'a, Result<(), ExecError>> {
        Box::pin(async move {
            let _permit = self.teardown.acquire().await;
            let options = StopContainerOptions {
                t: Some(grace.as_secs().min(i32::MAX as u64) as i32),
                ..Default::default()
            };
            match self.docker.stop_container(container, Some(options)).await {
                Ok(()) => Ok(()),
                Err(e) if matches!(status_of(&e), Some(304) | Some(404)) => Ok(()),
                Err(e) => Err(runtime(e)),
            }
        })
    }

    fn remove<'a>(&'a self, container: &'a str) -> BoxFuture<'a, Result<(), ExecError>> {
        Box::pin(async move {
            let _permit = self.teardown.acquire().await;
            let options = RemoveContainerOptions {
                force: true,
                v: true,
                ..Default::default()
            };
            match self.docker.remove_container(container, Some(options)).await {
                Ok(()) => Ok(()),
                Err(e) if status_of(&e) == Some(404) => Ok(()),
                // Removal already under way.
                Err(e) if status_of(&e) == Some(409) => Ok(()),
                Err(e) => Err(runtime(e)),
            }
        })
    }

    fn inspect<'a>(
        &'a self,
        container: &'a str,
    ) -> BoxFuture<'a, Result<(bool, Option<i64>), ExecError>> {
        Box::pin(async move {
            match self.docker.inspect_container(container, None).await {
                Ok(c) => {
                    let state = c.state.unwrap_or_default();
                    let running = state.running.unwrap_or(false);
                    Ok((running, if running { None } else { state.exit_code }))
                }
                Err(e) if status_of(&e) == Some(404) => Err(ExecError::NotFound),
                Err(e) => Err(runtime(e)),
            }
        })
    }

    fn health<'a>(
        &'a self,
        container: &'a str,
        seen: Option<&'a Health>,
    ) -> BoxFuture<'a, Result<Health, ExecError>> {
        Box::pin(health::wait_health(
            &self.docker,
            &self.health_events,
            container,
            seen,
        ))
    }

    fn logs<'a>(
        &'a self,
        container: &'a str,
        options: &'a LogOptions,
    ) -> BoxStream<'a, Result<LogChunk, ExecError>> {
        let tail = options.tail.map_or("all".to_string(), |n| n.to_string());
        let since = options
            .since
            .map_or(0, |s| i32::try_from(s).unwrap_or(i32::MAX));
        let query = LogsOptionsBuilder::new()
            .follow(options.follow)
            .stdout(true)
            .stderr(true)
            .timestamps(true)
            .tail(&tail)
            .since(since)
            .build();
        // Docker ends a follow at once for a container that has not started yet (a
        // stop-first update prepares it early), so a follow waits for it to start.
        let follow = options.follow;
        let started = async move {
            if follow {
                self.wait_until_started(container).await
            } else {
                Ok(())
            }
        };
        futures::stream::once(started)
            .flat_map(move |started| match started {
                Ok(()) => self
                    .docker
                    .logs(container, Some(query.clone()))
                    .map(|r| match r {
                        Ok(LogOutput::StdErr { message }) => Ok(LogChunk {
                            stream: LogStream::Stderr,
                            text: String::from_utf8_lossy(&message).into_owned(),
                        }),
                        Ok(
                            LogOutput::StdOut { message }
                            | LogOutput::Console { message }
                            | LogOutput::StdIn { message },
                        ) => Ok(LogChunk {
                            stream: LogStream::Stdout,
                            text: String::from_utf8_lossy(&message).into_owned(),
                        }),
                        Err(e) if status_of(&e) == Some(404) => Err(ExecError::NotFound),
                        Err(e) => Err(runtime(e)),
                    })
                    .boxed(),
                Err(e) => futures::stream::iter([Err(e)]).boxed(),
            })
            .boxed()
    }
}
