//! A small REST client for the bench, on a manager's control socket: JSON in and out.

use anyhow::{Context, bail};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
}

impl Api {
    pub fn new(host: &str) -> anyhow::Result<Api> {
        shoal_api::tls::install_default_provider();
        let Some(path) = host.strip_prefix("unix://") else {
            bail!("the bench talks to a manager's control socket: use unix:///path/control.sock");
        };
        Ok(Api {
            http: reqwest::Client::builder()
                .unix_socket(path)
                .tls_backend_preconfigured(shoal_api::tls::trust_nothing_config()?)
                .build()?,
            base: "http://localhost".into(),
        })
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> anyhow::Result<Value> {
        let r = req.send().await.context("cannot reach shoald")?;
        let status = r.status();
        let text = r.text().await?;
        if !status.is_success() {
            bail!("{status}: {text}");
        }
        Ok(if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)?
        })
    }

    pub async fn get(&self, path: &str) -> anyhow::Result<Value> {
        self.send(self.http.get(format!("{}{path}", self.base)))
            .await
    }

    pub async fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        self.send(self.http.post(format!("{}{path}", self.base)).json(&body))
            .await
    }

    pub async fn delete(&self, path: &str) -> anyhow::Result<Value> {
        self.send(self.http.delete(format!("{}{path}", self.base)))
            .await
    }

    pub async fn update(&self, name: &str, change: impl FnOnce(&mut Value)) -> anyhow::Result<()> {
        let svc = self.get(&format!("/v1/services/{name}")).await?;
        let mut spec = svc["spec"].clone();
        change(&mut spec);
        self.post(
            &format!("/v1/services/{name}"),
            json!({"version": svc["version"], "spec": spec}),
        )
        .await?;
        Ok(())
    }

    /// Waits until `done(tasks)` holds for the service's current tasks.
    pub async fn wait(
        &self,
        what: &str,
        service: &str,
        done: impl Fn(&[Value]) -> bool,
    ) -> anyhow::Result<()> {
        let start = Instant::now();
        loop {
            let tasks = self.get(&format!("/v1/tasks?service={service}")).await?;
            if done(tasks.as_array().map(Vec::as_slice).unwrap_or(&[])) {
                return Ok(());
            }
            if start.elapsed() > Duration::from_secs(600) {
                bail!("{what} did not converge within 10 minutes");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
