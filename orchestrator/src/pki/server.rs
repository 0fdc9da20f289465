//! The TLS server configuration: the node's certificate, and client certificates verified
//! against the cluster CA. A connection without a certificate is let through the handshake
//! only so a joining node can fetch the CA and present its token; the API refuses it
//! everything else (`http::authz`).

use rustls::ServerConfig;
use rustls::server::WebPkiClientVerifier;
use shoal_client::tls::{self, Bundle, TlsError};
use std::sync::Arc;

pub fn server_config(bundle: &Bundle) -> Result<Arc<ServerConfig>, TlsError> {
    let verifier =
        WebPkiClientVerifier::builder_with_provider(tls::roots(&bundle.ca_pem)?, tls::provider())
            .allow_unauthenticated()
            .build()
            .map_err(|e| TlsError::BadCa(e.to_string()))?;
    let config = ServerConfig::builder_with_provider(tls::provider())
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(bundle.chain()?, bundle.key()?)?;
    Ok(Arc::new(config))
}
