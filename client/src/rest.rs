//! A thin client for shoald's REST API (`/v1/...`) over a unix socket or mutual TLS. It turns
//! every failure into a [`ClientError`] a user can act on: the server's `{"error":{...}}` body
//! becomes an [`ApiError`], and a connection failure names the address that could not be
//! reached. Responses are returned as raw JSON so `-o json` can print exactly what the server
//! said; [`typed`] reads an object out of them.

use crate::endpoint::Endpoint;
use crate::json::OrderedJson;
use crate::tls::{self, Bundle, TlsError};
use reqwest::{Method, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;
use shoal_api::rest::ErrorBody;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;
use thiserror::Error;

/// How long one request may take before we give up on the server.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// An error answered by the server (a non-2xx status).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    /// `invalid_argument`, `not_found`, `conflict`, `unavailable`, `internal`; empty when the
    /// body was not Shoal's error JSON.
    pub code: String,
    pub message: String,
    pub field: Option<String>,
}

impl ApiError {
    pub fn is_conflict(&self) -> bool {
        self.code == "conflict" || self.status == StatusCode::CONFLICT.as_u16()
    }

    pub fn is_not_found(&self) -> bool {
        self.code == "not_found" || self.status == StatusCode::NOT_FOUND.as_u16()
    }

    /// Builds the error from a response's status and body text.
    fn from_response(status: StatusCode, body: &str) -> ApiError {
        match serde_json::from_str::<ErrorBody>(body) {
            Ok(b) => ApiError {
                status: status.as_u16(),
                code: b.error.code,
                message: b.error.message,
                field: b.error.field.filter(|f| !f.is_empty()),
            },
            Err(_) => {
                let text = body.trim();
                let message = if text.is_empty() {
                    format!("server answered {status}")
                } else {
                    format!("server answered {status}: {text}")
                };
                ApiError {
                    status: status.as_u16(),
                    code: String::new(),
                    message,
                    field: None,
                }
            }
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{field}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ApiError {}

/// Why a request did not give an answer the caller can use.
#[derive(Debug, Error)]
pub enum ClientError {
    /// The server refused (a non-2xx status).
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("shoald at {endpoint} did not answer within {secs}s")]
    Timeout { endpoint: String, secs: u64 },
    #[error("cannot reach shoald at {endpoint}: {cause} (is shoald running? set -H or SHOAL_HOST)")]
    Unreachable { endpoint: String, cause: String },
    #[error("unexpected answer from shoald to {method} (not JSON: {cause})")]
    NotJson { method: Method, cause: String },
    #[error("unexpected answer from shoald ({0}); is it the same version as shoalctl?")]
    Unexpected(String),
    #[error("the {what} broke: {cause}")]
    StreamBroke { what: String, cause: String },
    #[error(
        "{endpoint} needs a client bundle: pass --tls-dir DIR or set SHOAL_TLS_DIR (issue one on a manager with `shoalctl cluster client-bundle --out DIR`)"
    )]
    NoBundle { endpoint: String },
    #[error("cannot load the client bundle in {}", dir.display())]
    LoadBundle {
        dir: PathBuf,
        #[source]
        source: TlsError,
    },
    #[error("the client bundle in {} is not usable", dir.display())]
    BadBundle {
        dir: PathBuf,
        #[source]
        source: TlsError,
    },
    #[error("cannot set up the HTTP client")]
    Setup(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ClientError {
    /// True when the server said the object does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, ClientError::Api(e) if e.is_not_found())
    }

    /// True when the server said the version we sent is stale.
    pub fn is_conflict(&self) -> bool {
        matches!(self, ClientError::Api(e) if e.is_conflict())
    }
}

/// Reads a typed object out of a raw response.
pub fn typed<T: DeserializeOwned>(value: &OrderedJson) -> Result<T, ClientError> {
    value
        .to_typed()
        .map_err(|e| ClientError::Unexpected(e.to_string()))
}

type Result<T, E = ClientError> = std::result::Result<T, E>;

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    /// The same connection settings without the per-request timeout, for streams.
    streaming: reqwest::Client,
    base: Url,
    endpoint: Endpoint,
    /// Ask for `?consistency=stale` on reads ([`Client::stale`]).
    stale: bool,
}

impl Client {
    /// A client for `endpoint`; an `https://` one needs the client bundle in `tls_dir`.
    pub fn new(endpoint: Endpoint, tls_dir: Option<&Path>) -> Result<Client> {
        Client::with_agent(
            endpoint,
            tls_dir,
            concat!("shoal-client/", env!("CARGO_PKG_VERSION")),
        )
    }

    /// [`Client::new`], naming the program in the `User-Agent` header.
    pub fn with_agent(endpoint: Endpoint, tls_dir: Option<&Path>, agent: &str) -> Result<Client> {
        tls::install_default_provider();
        let setup = |e: reqwest::Error| ClientError::Setup(Box::new(e));
        let http = builder(&endpoint, tls_dir, agent)?
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(setup)?;
        let streaming = builder(&endpoint, tls_dir, agent)?.build().map_err(setup)?;
        Ok(Client {
            http,
            streaming,
            base: endpoint.base_url(),
            endpoint,
            stale: false,
        })
    }

    /// With `true`, [`Client::get`] asks the manager for its own copy of the state
    /// (`?consistency=stale`): answered at once by any manager, even one without a quorum,
    /// but possibly behind. By default a read is linearizable: confirmed by the leader.
    pub fn stale(mut self, stale: bool) -> Client {
        self.stale = stale;
        self
    }

    /// `GET /v1/<path...>?<query>` answered by a long-lived stream (no overall timeout); a
    /// refusal becomes an [`ApiError`] before anything is streamed.
    pub async fn open_stream(
        &self,
        path: &[&str],
        query: &[(&str, &str)],
    ) -> Result<reqwest::Response> {
        let url = self.url(path, query);
        let response = self
            .streaming
            .get(url)
            .send()
            .await
            .map_err(|e| self.transport_error(&e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let body = response.text().await.unwrap_or_default();
        Err(ApiError::from_response(status, &body).into())
    }

    /// A request on this client's connection to `/v1/...` given as path and query (like
    /// `/v1/tasks?service=web`), for callers that look at the status and body themselves
    /// (tests probing what the server refuses, tools reading raw streams).
    pub fn raw(&self, method: Method, path_and_query: &str) -> reqwest::RequestBuilder {
        let mut url = self.base.clone();
        let (path, query) = match path_and_query.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path_and_query, None),
        };
        url.set_path(path);
        url.set_query(query);
        self.streaming.request(method, url)
    }

    /// Sends `method` to `path_and_query` with an optional JSON body and returns the status
    /// and the body as JSON (`null` when empty), whatever the status.
    pub async fn call(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<String>,
    ) -> Result<(StatusCode, serde_json::Value)> {
        let (status, text) = self.exchange(method.clone(), path_and_query, body).await?;
        Ok((status, json_value(&method, &text)?))
    }

    /// [`Client::call`] for callers that speak `serde_json::Value`: a refusal is an
    /// [`ApiError`], as with [`Client::get`].
    pub async fn send_json(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<serde_json::Value> {
        let body = body.map(serde_json::Value::to_string);
        let (status, text) = self.exchange(method.clone(), path_and_query, body).await?;
        if !status.is_success() {
            return Err(ApiError::from_response(status, &text).into());
        }
        json_value(&method, &text)
    }

    async fn exchange(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<String>,
    ) -> Result<(StatusCode, String)> {
        let mut request = self.raw(method, path_and_query).timeout(REQUEST_TIMEOUT);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        let response = request.send().await.map_err(|e| self.transport_error(&e))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| self.transport_error(&e))?;
        Ok((status, text))
    }

    /// `GET /v1/<path...>?<query>`; path segments are percent-encoded, so a user's reference
    /// is passed through untouched for the server to resolve.
    /// With [`Client::stale`], it asks for `consistency=stale`.
    pub async fn get(&self, path: &[&str], query: &[(&str, &str)]) -> Result<OrderedJson> {
        let mut url = self.url(path, query);
        if self.stale {
            url.query_pairs_mut().append_pair("consistency", "stale");
        }
        self.send(self.http.get(url), Method::GET).await
    }

    /// `POST /v1/<path...>` with a JSON body.
    pub async fn post(&self, path: &[&str], body: &impl Serialize) -> Result<OrderedJson> {
        let url = self.url(path, &[]);
        self.send(self.http.post(url).json(body), Method::POST)
            .await
    }

    /// `DELETE /v1/<path...>`.
    pub async fn delete(&self, path: &[&str]) -> Result<()> {
        self.delete_with(path, &[]).await
    }

    /// `DELETE /v1/<path...>?<query>`.
    pub async fn delete_with(&self, path: &[&str], query: &[(&str, &str)]) -> Result<()> {
        let url = self.url(path, query);
        self.send(self.http.delete(url), Method::DELETE).await?;
        Ok(())
    }

    pub fn url(&self, path: &[&str], query: &[(&str, &str)]) -> Url {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .expect("http URLs have a path")
            .pop_if_empty()
            .push("v1")
            .extend(path);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    async fn send(&self, request: reqwest::RequestBuilder, method: Method) -> Result<OrderedJson> {
        let response = request.send().await.map_err(|e| self.transport_error(&e))?;
        let status = response.status();
        let body = response
            .text()
            .await
            .map_err(|e| self.transport_error(&e))?;
        if !status.is_success() {
            return Err(ApiError::from_response(status, &body).into());
        }
        if body.trim().is_empty() {
            return Ok(OrderedJson::Null);
        }
        OrderedJson::parse(&body).map_err(|e| ClientError::NotJson {
            method,
            cause: e.to_string(),
        })
    }

    fn transport_error(&self, err: &reqwest::Error) -> ClientError {
        let endpoint = self.endpoint.to_string();
        if err.is_timeout() {
            return ClientError::Timeout {
                endpoint,
                secs: REQUEST_TIMEOUT.as_secs(),
            };
        }
        ClientError::Unreachable {
            endpoint,
            cause: root_cause(err),
        }
    }
}

/// Connection settings for `endpoint`: its unix socket, or TLS with the bundle in `tls_dir`.
fn builder(
    endpoint: &Endpoint,
    tls_dir: Option<&Path>,
    agent: &str,
) -> Result<reqwest::ClientBuilder> {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .user_agent(agent);
    match endpoint {
        Endpoint::Unix(path) => {
            let config =
                tls::trust_nothing_config().map_err(|e| ClientError::Setup(Box::new(e)))?;
            builder = builder
                .unix_socket(path.as_path())
                .tls_backend_preconfigured(config)
        }
        Endpoint::Https(_) => {
            let dir = tls_dir.ok_or_else(|| ClientError::NoBundle {
                endpoint: endpoint.to_string(),
            })?;
            let bundle = Bundle::load(dir).map_err(|source| ClientError::LoadBundle {
                dir: dir.to_path_buf(),
                source,
            })?;
            let config = tls::client_config(&bundle).map_err(|source| ClientError::BadBundle {
                dir: dir.to_path_buf(),
                source,
            })?;
            // A proxy would be surprising for a control API; `unix_socket` ignores proxies too.
            builder = builder.no_proxy().tls_backend_preconfigured(config);
        }
    }
    Ok(builder)
}

/// A body as JSON, `null` when empty.
fn json_value(method: &Method, text: &str) -> Result<serde_json::Value> {
    if text.trim().is_empty() {
        return Ok(serde_json::Value::Null);
    }
    serde_json::from_str(text).map_err(|e| ClientError::NotJson {
        method: method.clone(),
        cause: e.to_string(),
    })
}

/// The innermost error message: reqwest's own ("error sending request for url ...") says less
/// than the OS error at the bottom ("No such file or directory", "Connection refused").
fn root_cause(err: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{FakeServer, Reply};
    use std::path::PathBuf;

    #[test]
    fn error_body_becomes_field_and_message() {
        let body = r#"{"error":{"code":"invalid_argument","message":"name must not be empty","field":"spec.name"}}"#;
        let e = ApiError::from_response(StatusCode::BAD_REQUEST, body);
        assert_eq!(e.to_string(), "spec.name: name must not be empty");
        assert_eq!(e.code, "invalid_argument");
        let e = ApiError::from_response(
            StatusCode::NOT_FOUND,
            r#"{"error":{"code":"not_found","message":"service web not found"}}"#,
        );
        assert_eq!(e.to_string(), "service web not found");
        assert!(e.is_not_found());
    }

    #[test]
    fn a_body_that_is_not_ours_is_still_shown() {
        let e = ApiError::from_response(StatusCode::BAD_GATEWAY, "upstream down\n");
        assert_eq!(
            e.to_string(),
            "server answered 502 Bad Gateway: upstream down"
        );
        let e = ApiError::from_response(StatusCode::CONFLICT, "");
        assert!(e.is_conflict());
    }

    #[test]
    fn builds_urls_with_encoded_references_and_queries() {
        let client = Client::new(Endpoint::Unix(PathBuf::from("/x.sock")), None).unwrap();
        assert_eq!(
            client.url(&["services", "web 1/x"], &[]).as_str(),
            "http://localhost/v1/services/web%201%2Fx"
        );
        assert_eq!(
            client
                .url(&["tasks"], &[("service", "a&b"), ("all", "true")])
                .as_str(),
            "http://localhost/v1/tasks?service=a%26b&all=true"
        );
        let unix = Client::new(Endpoint::Unix(PathBuf::from("/x.sock")), None).unwrap();
        assert_eq!(
            unix.url(&["version"], &[]).as_str(),
            "http://localhost/v1/version"
        );
    }

    #[tokio::test]
    async fn a_stale_client_asks_for_stale_reads_only() {
        let server = FakeServer::start(|_| Reply::json(200, "{}")).await;
        let client = server.client().stale(true);
        client.get(&["tasks"], &[("all", "true")]).await.unwrap();
        client
            .post(&["services"], &serde_json::json!({}))
            .await
            .unwrap();
        server.client().get(&["services"], &[]).await.unwrap();
        let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
        assert_eq!(
            paths,
            [
                "/v1/tasks?all=true&consistency=stale",
                "/v1/services",
                "/v1/services"
            ]
        );
    }

    #[tokio::test]
    async fn a_missing_socket_names_the_address_and_what_to_do() {
        let path =
            std::env::temp_dir().join(format!("shoalctl-absent-{}.sock", std::process::id()));
        let client = Client::new(Endpoint::Unix(path.clone()), None).unwrap();
        let e = client.get(&["version"], &[]).await.unwrap_err().to_string();
        assert!(
            e.starts_with(&format!(
                "cannot reach shoald at unix://{}: ",
                path.display()
            )),
            "{e}"
        );
        assert!(
            e.contains("(is shoald running? set -H or SHOAL_HOST)"),
            "{e}"
        );
    }

    #[tokio::test]
    async fn talks_json_over_a_unix_socket_and_maps_errors() {
        let server = FakeServer::start(|req| match (req.method.as_str(), req.path.as_str()) {
            ("GET", "/v1/version") => Reply::json(200, r#"{"version":"0.1.0"}"#),
            ("POST", "/v1/services") => Reply::json(
                400,
                r#"{"error":{"code":"invalid_argument","message":"bad image","field":"spec.task.container.image"}}"#,
            ),
            ("DELETE", "/v1/services/web") => Reply::empty(204),
            _ => Reply::json(404, r#"{"error":{"code":"not_found","message":"no such route"}}"#),
        })
        .await;
        let client = server.client();
        let v = client.get(&["version"], &[]).await.unwrap();
        assert_eq!(serde_json::to_string(&v).unwrap(), r#"{"version":"0.1.0"}"#);
        let e = client
            .post(&["services"], &serde_json::json!({"name": "x"}))
            .await
            .unwrap_err();
        assert_eq!(e.to_string(), "spec.task.container.image: bad image");
        client.delete(&["services", "web"]).await.unwrap();
        let e = client.get(&["nodes", "n1"], &[]).await.unwrap_err();
        assert!(e.is_not_found());
        let posted = server.requests();
        assert_eq!(posted[1].body, r#"{"name":"x"}"#);
    }
}
