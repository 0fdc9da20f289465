//! Keeps the node's certificate current. It renews at a random point between 50% and 80% of
//! the certificate's life (SwarmKit's window, so a cluster's nodes do not all renew at once),
//! and at once when the cluster says the node's role changed (a promotion or demotion: the
//! renewed certificate carries the new role, and the daemon then restarts the node in it) or
//! that certificates may now live less long than this one will.

use super::{CertIdentity, CertRole, NodeTls, new_key_and_csr, not_after};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use shoal_api::Role;
use shoal_api::rest::{NodeCertStatus, RenewRequest, RenewResponse};
use shoal_client::HttpClients;
use shoal_client::tls::Bundle;
use std::time::Duration;
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

/// How often the keeper asks the cluster what the node's certificate should say.
const CHECK: Duration = Duration::from_secs(2);

pub struct CertKeeper {
    pub tls: NodeTls,
    pub http: HttpClients,
    /// Base URLs of managers to ask, tried in turn (asked again at each check: the list
    /// changes as managers come and go).
    pub managers: Box<dyn Fn() -> Vec<String> + Send + Sync>,
    /// The role the node runs as now.
    pub running_role: Role,
}

/// The node must run in another role from now on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleChange(pub Role);

#[derive(Debug, thiserror::Error)]
enum KeeperError {
    #[error("{0}")]
    Http(#[from] reqwest::Error),
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Tls(#[from] shoal_client::tls::TlsError),
    #[error("{0}")]
    Csr(#[from] super::CaError),
}

impl CertKeeper {
    /// Runs until `shutdown`, or until the node's role changes.
    pub async fn run(self, shutdown: CancellationToken) -> Option<RoleChange> {
        let mut attempt = 0usize;
        let mut renew_at = renewal_time(&self.tls.bundle());
        loop {
            if let Some(role) = cert_role(&self.tls.bundle())
                && role != self.running_role
            {
                return Some(RoleChange(role));
            }
            tokio::select! {
                _ = shutdown.cancelled() => return None,
                _ = tokio::time::sleep(CHECK) => {}
            }
            let managers = (self.managers)();
            let Some(manager) = managers.get(attempt % managers.len().max(1)) else {
                continue;
            };
            let due = renew_at.is_some_and(|t| OffsetDateTime::now_utc() >= t);
            let outcome = async {
                let status = self.status(manager).await?;
                let cert_role = cert_role(&self.tls.bundle());
                if due
                    || cert_role != Some(status.role)
                    || outlives_setting(&self.tls.bundle(), &status)
                {
                    self.renew(manager).await.map(Some)
                } else {
                    Ok(None)
                }
            }
            .await;
            match outcome {
                Ok(Some(role)) => {
                    tracing::info!(?role, "renewed this node's certificate");
                    renew_at = renewal_time(&self.tls.bundle());
                }
                Ok(None) => {}
                Err(e) => {
                    attempt += 1;
                    tracing::warn!(manager, error = %e, "certificate check failed");
                }
            }
        }
    }

    async fn status(&self, manager: &str) -> Result<NodeCertStatus, KeeperError> {
        let resp = self
            .http
            .get()
            .get(format!("{manager}/v1/ca/node"))
            .timeout(Duration::from_secs(5))
            .send()
            .await?;
        Ok(ok(resp).await?.json().await?)
    }

    async fn renew(&self, manager: &str) -> Result<Role, KeeperError> {
        let (key_pem, csr) = new_key_and_csr()?;
        let resp = self
            .http
            .get()
            .post(format!("{manager}/v1/ca/renew"))
            .json(&RenewRequest { csr })
            .timeout(Duration::from_secs(10))
            .send()
            .await?;
        let renewed: RenewResponse = ok(resp).await?.json().await?;
        let bundle = Bundle {
            ca_pem: self.tls.bundle().ca_pem.clone(),
            cert_pem: renewed.cert_pem,
            key_pem,
        };
        self.tls.replace(bundle)?;
        Ok(renewed.role)
    }
}

async fn ok(resp: reqwest::Response) -> Result<reqwest::Response, KeeperError> {
    shoal_client::node_http::refused_message(resp)
        .await
        .map_err(KeeperError::Refused)
}

/// The role the certificate names (`None` for a client certificate or garbage).
pub fn cert_role(bundle: &Bundle) -> Option<Role> {
    let der = CertificateDer::from_pem_slice(bundle.cert_pem.as_bytes()).ok()?;
    match CertIdentity::parse(&der)?.role {
        CertRole::Manager => Some(Role::Manager),
        CertRole::Worker => Some(Role::Worker),
        CertRole::Client => None,
    }
}

/// A certificate that would live longer than the cluster now allows is renewed at once, so a
/// shortened `node_cert_expiry` applies without waiting for the old lifetime.
fn outlives_setting(bundle: &Bundle, status: &NodeCertStatus) -> bool {
    let Ok(limit) = shoal_api::duration::parse(&status.node_cert_expiry) else {
        return false;
    };
    let Some(expiry) = not_after(&bundle.cert_pem) else {
        return false;
    };
    let limit = time::Duration::try_from(limit).unwrap_or(time::Duration::MAX);
    expiry - OffsetDateTime::now_utc() > limit + time::Duration::minutes(1)
}

/// A random point between 50% and 80% of the certificate's remaining life.
fn renewal_time(bundle: &Bundle) -> Option<OffsetDateTime> {
    let expiry = not_after(&bundle.cert_pem)?;
    let now = OffsetDateTime::now_utc();
    let left = (expiry - now).max(time::Duration::ZERO);
    let fraction = 0.5 + 0.3 * rand::random::<f64>();
    Some(now + left * fraction)
}
