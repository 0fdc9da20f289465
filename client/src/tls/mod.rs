//! TLS shared by shoald, its agent and shoalctl: the names certificates carry, the CA digest
//! that join tokens pin, certificate bundles on disk ([`Bundle`]), and rustls client
//! configurations. A client accepts a server
//! only if the cluster CA signed its certificate for the manager role, whatever address it
//! was dialled at, so managers can move without reissuing certificates.

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::path::PathBuf;
use std::sync::Arc;

mod bundle;
pub use bundle::Bundle;

/// The DNS name every manager certificate carries; clients verify servers against it.
pub const MANAGER_NAME: &str = "manager.shoal";
/// The DNS name every worker certificate carries.
pub const WORKER_NAME: &str = "worker.shoal";
/// Organizational units naming a certificate's role.
pub const OU_MANAGER: &str = "shoal-manager";
pub const OU_WORKER: &str = "shoal-worker";
pub const OU_CLIENT: &str = "shoal-client";

pub const CA_FILE: &str = "ca.pem";
pub const CERT_FILE: &str = "cert.pem";
pub const KEY_FILE: &str = "key.pem";

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{what}: no PEM {kind} found")]
    NoPem { what: String, kind: &'static str },
    #[error("{0}")]
    Rustls(#[from] rustls::Error),
    #[error("the cluster CA certificate is not usable: {0}")]
    BadCa(String),
}

/// The crypto provider of every TLS configuration Shoal builds (ring).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Installs ring as the process-wide provider, for libraries that build their own defaults.
/// Calling it again is harmless.
pub fn install_default_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// SHA-256 of the CA certificate (DER), in base 36: what a join token pins.
pub fn ca_digest(ca_der: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, ca_der);
    base36(digest.as_ref())
}

/// Digest of the first certificate of a PEM text.
pub fn ca_digest_pem(ca_pem: &str) -> Result<String, TlsError> {
    let der = first_cert(ca_pem, "the CA certificate")?;
    Ok(ca_digest(der.as_ref()))
}

/// Big-endian bytes in base 36, fixed width (50 digits hold 256 bits).
fn base36(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut n = bytes.to_vec();
    let mut out = Vec::new();
    for _ in 0..50 {
        let mut rem = 0u32;
        for b in n.iter_mut() {
            let cur = (rem << 8) | u32::from(*b);
            *b = (cur / 36) as u8;
            rem = cur % 36;
        }
        out.push(DIGITS[rem as usize]);
    }
    out.reverse();
    String::from_utf8(out).expect("ascii digits")
}

pub(crate) fn certs(pem: &str, what: &str) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs: Vec<_> = CertificateDer::pem_slice_iter(pem.as_bytes())
        .filter_map(Result::ok)
        .collect();
    if certs.is_empty() {
        return Err(TlsError::NoPem {
            what: what.into(),
            kind: "certificate",
        });
    }
    Ok(certs)
}

fn first_cert(pem: &str, what: &str) -> Result<CertificateDer<'static>, TlsError> {
    Ok(certs(pem, what)?.remove(0))
}

/// Trust anchors: the cluster CA alone.
pub fn roots(ca_pem: &str) -> Result<Arc<RootCertStore>, TlsError> {
    let mut roots = RootCertStore::empty();
    for cert in certs(ca_pem, "the CA certificate")? {
        roots
            .add(cert)
            .map_err(|e| TlsError::BadCa(e.to_string()))?;
    }
    Ok(Arc::new(roots))
}

/// A client that presents `bundle`'s certificate and accepts only managers of its CA.
pub fn client_config(bundle: &Bundle) -> Result<ClientConfig, TlsError> {
    let verifier = ManagerVerifier::new(&bundle.ca_pem)?;
    Ok(ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_client_auth_cert(bundle.chain()?, bundle.key()?)?)
}

/// A client without a certificate that accepts only managers of the CA `ca_pem` (a node
/// joining, once it has checked the CA against its token).
pub fn anonymous_client_config(ca_pem: &str) -> Result<ClientConfig, TlsError> {
    let verifier = ManagerVerifier::new(ca_pem)?;
    Ok(ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth())
}

/// A client that trusts no server at all: for HTTP clients that only ever speak plain HTTP on
/// a unix socket, so they never look for the system's CA certificates (images have none).
pub fn trust_nothing_config() -> Result<ClientConfig, TlsError> {
    Ok(ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_root_certificates(RootCertStore::empty())
        .with_no_client_auth())
}

/// A client that trusts any server: only for fetching the CA certificate a joiner then checks
/// against the digest in its token before it sends anything secret.
pub fn unverified_client_config() -> Result<ClientConfig, TlsError> {
    let algorithms = provider().signature_verification_algorithms;
    Ok(ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(TrustAnyServer { algorithms }))
        .with_no_client_auth())
}

/// Verifies the chain against the cluster CA and the name [`MANAGER_NAME`], not the name the
/// server was dialled by.
#[derive(Debug)]
struct ManagerVerifier {
    inner: Arc<WebPkiServerVerifier>,
}

impl ManagerVerifier {
    fn new(ca_pem: &str) -> Result<ManagerVerifier, TlsError> {
        let inner = WebPkiServerVerifier::builder_with_provider(roots(ca_pem)?, provider())
            .build()
            .map_err(|e| TlsError::BadCa(e.to_string()))?;
        Ok(ManagerVerifier { inner })
    }
}

impl ServerCertVerifier for ManagerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _dialled: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let manager = ServerName::try_from(MANAGER_NAME).expect("valid DNS name");
        self.inner
            .verify_server_cert(end_entity, intermediates, &manager, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

#[derive(Debug)]
struct TrustAnyServer {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for TrustAnyServer {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_is_fixed_width_base36() {
        let d = ca_digest(b"some certificate");
        assert_eq!(d.len(), 50);
        assert!(
            d.bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
        );
        assert_ne!(d, ca_digest(b"another certificate"));
    }

    #[test]
    fn base36_of_small_numbers() {
        assert!(base36(&[0, 35]).ends_with("0z"));
        assert!(base36(&[0, 36]).ends_with("10"));
    }
}
