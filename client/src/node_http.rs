//! The HTTPS client a node (manager or worker) talks to managers with: it presents the node's
//! certificate and accepts only managers of the cluster CA. The node daemon swaps in a new client
//! when the certificate is renewed; each new session or request picks up the current one. The
//! agent uses it for its session, the manager for Raft, forwarding and certificate renewal.

use crate::tls::{self, Bundle, TlsError};
use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;

#[derive(Clone)]
pub struct HttpClients(Arc<RwLock<reqwest::Client>>);

impl HttpClients {
    pub fn new(bundle: &Bundle) -> Result<HttpClients, TlsError> {
        Ok(HttpClients(Arc::new(RwLock::new(build(bundle)?))))
    }

    /// The current client (cheap: clients share their connection pool by reference).
    pub fn get(&self) -> reqwest::Client {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Switches to a renewed certificate.
    pub fn replace(&self, bundle: &Bundle) -> Result<(), TlsError> {
        let client = build(bundle)?;
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = client;
        Ok(())
    }
}

impl fmt::Debug for HttpClients {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HttpClients")
    }
}

/// A client for `bundle` that gives up connecting after 3 s.
pub fn build(bundle: &Bundle) -> Result<reqwest::Client, TlsError> {
    let config = tls::client_config(bundle)?;
    finish(
        reqwest::Client::builder().tls_backend_preconfigured(config),
        CONNECT,
    )
}

/// A client without a certificate that accepts only managers of the CA `ca_pem`: a joining
/// node once it has checked the CA against its token, or a test of what strangers may see.
pub fn build_anonymous(ca_pem: &str) -> Result<reqwest::Client, TlsError> {
    let config = tls::anonymous_client_config(ca_pem)?;
    finish(
        reqwest::Client::builder().tls_backend_preconfigured(config),
        JOIN_CONNECT,
    )
}

/// A client that trusts any server: only for fetching the CA certificate a joiner then checks
/// against the digest in its token before it sends anything secret.
pub fn build_unverified() -> Result<reqwest::Client, TlsError> {
    let config = tls::unverified_client_config()?;
    finish(
        reqwest::Client::builder().tls_backend_preconfigured(config),
        JOIN_CONNECT,
    )
}

/// How long a node's client tries to connect before it tries another manager.
const CONNECT: Duration = Duration::from_secs(3);
/// A joiner has one address to try, so it waits longer.
const JOIN_CONNECT: Duration = Duration::from_secs(5);

fn finish(builder: reqwest::ClientBuilder, connect: Duration) -> Result<reqwest::Client, TlsError> {
    builder
        .connect_timeout(connect)
        .build()
        .map_err(|e| TlsError::BadCa(format!("cannot build the HTTPS client: {e}")))
}

/// The response when it succeeded, else the manager's own words (`{"error":{"message"}}`),
/// or the status when the body says nothing.
pub async fn refused_message(resp: reqwest::Response) -> Result<reqwest::Response, String> {
    if resp.status().is_success() {
        return Ok(resp);
    }
    let status = resp.status();
    Err(match resp.json::<shoal_api::rest::ErrorBody>().await {
        Ok(b) => b.error.message,
        Err(_) => status.to_string(),
    })
}
