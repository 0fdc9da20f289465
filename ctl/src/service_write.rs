//! Changing a stored service safely: read it, change the spec, and write it back with the
//! version that was read. If someone else wrote in between, the server answers 409 and we
//! start over from a fresh read, so no concurrent change is lost.

use crate::client::{Client, is_conflict, typed};
use crate::ordered_json::OrderedJson;
use anyhow::{Result, bail};
use shoal_api::rest::ServiceUpdate;
use shoal_api::validate::validate_service_spec;
use shoal_api::{Service, ServiceSpec};

/// Re-reads after a version conflict at most this many times.
const CONFLICT_RETRIES: usize = 3;

/// The service after the change, raw (for `-o json`) and typed.
#[derive(Debug)]
pub struct Written {
    pub raw: OrderedJson,
    pub service: Service,
    /// False when the change left the spec as it was, so nothing was sent.
    pub changed: bool,
}

/// Applies `change` to the spec of the service named `reference` (name, id or unique id
/// prefix) and stores it. The new spec is validated locally first.
pub async fn modify_service(
    client: &Client,
    reference: &str,
    change: impl Fn(&mut ServiceSpec),
) -> Result<Written> {
    for _ in 0..=CONFLICT_RETRIES {
        let current_raw = client.get(&["services", reference], &[]).await?;
        let current: Service = typed(&current_raw)?;
        let mut spec = current.spec.clone();
        change(&mut spec);
        if current.spec.mode.is_global() && spec.mode != current.spec.mode {
            anyhow::bail!(
                "{} is a {} service: it runs one task per node, so it has no replica count",
                current.spec.name,
                current.spec.mode.name()
            );
        }
        validate_service_spec(&spec)?;
        if spec == current.spec {
            return Ok(Written {
                raw: current_raw,
                service: current,
                changed: false,
            });
        }
        let update = ServiceUpdate {
            version: current.meta.version,
            spec,
        };
        match client
            .post(&["services", current.id.as_str()], &update)
            .await
        {
            Ok(raw) => {
                let service = typed(&raw)?;
                return Ok(Written {
                    raw,
                    service,
                    changed: true,
                });
            }
            Err(e) if is_conflict(&e) => continue,
            Err(e) => return Err(e),
        }
    }
    bail!(
        "service {reference} kept changing while we updated it ({} version conflicts); try again",
        CONFLICT_RETRIES + 1
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_server::{FakeServer, Reply};
    use shoal_api::ServiceMode;
    use shoal_manifest::fixtures::service;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const CONFLICT: &str = r#"{"error":{"code":"conflict","message":"version 5 is stale"}}"#;

    /// A server where the first `conflicts` writes lose a race.
    async fn server(conflicts: usize) -> (FakeServer, Service) {
        let svc = service("web", 1);
        let stored = serde_json::to_string(&svc).unwrap();
        let writes = AtomicUsize::new(0);
        let fake = FakeServer::start(move |req| match req.method.as_str() {
            "GET" => Reply::json(200, stored.clone()),
            _ if writes.fetch_add(1, Ordering::SeqCst) < conflicts => Reply::json(409, CONFLICT),
            _ => {
                let update: ServiceUpdate = serde_json::from_str(&req.body).unwrap();
                let mut svc: Service = serde_json::from_str(&stored).unwrap();
                svc.spec = update.spec;
                svc.meta.version += 1;
                Reply::json(200, serde_json::to_string(&svc).unwrap())
            }
        })
        .await;
        (fake, svc)
    }

    fn scale_to_3(spec: &mut ServiceSpec) {
        spec.mode = ServiceMode::Replicated { replicas: 3 };
    }

    #[tokio::test]
    async fn retries_a_stale_write_from_a_fresh_read() {
        let (fake, svc) = server(2).await;
        let written = modify_service(&fake.client(), "web", scale_to_3)
            .await
            .unwrap();
        assert!(written.changed);
        assert_eq!(written.service.spec.replicas(), Some(3));
        let requests = fake.requests();
        let methods: Vec<&str> = requests.iter().map(|r| r.method.as_str()).collect();
        assert_eq!(methods, ["GET", "POST", "GET", "POST", "GET", "POST"]);
        assert_eq!(requests[0].path, "/v1/services/web");
        assert_eq!(requests[1].path, format!("/v1/services/{}", svc.id));
        let sent: ServiceUpdate = serde_json::from_str(&requests[5].body).unwrap();
        assert_eq!(sent.version, svc.meta.version);
    }

    #[tokio::test]
    async fn gives_up_after_three_retries() {
        let (fake, _) = server(usize::MAX).await;
        let e = modify_service(&fake.client(), "web", scale_to_3)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("kept changing"), "{e}");
        assert_eq!(fake.requests().len(), 8);
    }

    #[tokio::test]
    async fn an_unchanged_spec_is_not_sent_and_an_invalid_one_is_refused() {
        let (fake, _) = server(0).await;
        let written = modify_service(&fake.client(), "web", |_| {}).await.unwrap();
        assert!(!written.changed);
        let e = modify_service(&fake.client(), "web", |s| s.task.container.image.clear())
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "spec.task.container.image: image must not be empty"
        );
        assert!(fake.requests().iter().all(|r| r.method == "GET"));
    }
}
