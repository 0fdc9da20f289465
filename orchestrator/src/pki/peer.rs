//! Who a peer is, read from the certificate it presented (already verified against the
//! cluster CA by the TLS layer): its name (a node id, or a client's name) and its role.

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use shoal_client::tls;
use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, X509Certificate};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertRole {
    Manager,
    Worker,
    /// A shoalctl client bundle: the control API only.
    Client,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertIdentity {
    /// The common name: a node id, or a client's name.
    pub name: String,
    pub role: CertRole,
}

impl CertIdentity {
    /// `None` for a certificate that names no Shoal role.
    pub fn parse(der: &CertificateDer<'_>) -> Option<CertIdentity> {
        let (_, cert) = X509Certificate::from_der(der.as_ref()).ok()?;
        let subject = cert.subject();
        let name = subject
            .iter_common_name()
            .next()?
            .as_str()
            .ok()?
            .to_string();
        let unit = subject.iter_organizational_unit().next()?.as_str().ok()?;
        let role = match unit {
            tls::OU_MANAGER => CertRole::Manager,
            tls::OU_WORKER => CertRole::Worker,
            tls::OU_CLIENT => CertRole::Client,
            _ => return None,
        };
        Some(CertIdentity { name, role })
    }
}

/// When the first certificate of `pem` expires.
pub fn not_after(pem: &str) -> Option<OffsetDateTime> {
    let der = CertificateDer::from_pem_slice(pem.as_bytes()).ok()?;
    let (_, cert) = X509Certificate::from_der(der.as_ref()).ok()?;
    OffsetDateTime::from_unix_timestamp(cert.validity().not_after.timestamp()).ok()
}
