//! The root CA: created once with the cluster (ECDSA P-256, 20 years), kept in the replicated
//! store so whichever manager leads can sign. It signs node certificates from a node's own
//! signing request (the node's key never leaves it) and issues client bundles for shoalctl.

use rcgen::{
    BasicConstraints, CertificateParams, CertificateSigningRequestParams, DistinguishedName,
    DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, SerialNumber,
};
use serde::{Deserialize, Serialize};
use shoal_api::Role;
use shoal_client::tls::{self, Bundle};
use std::time::Duration;
use time::OffsetDateTime;

#[derive(Debug, thiserror::Error)]
pub enum CaError {
    #[error("certificate signing request: {0}")]
    BadCsr(rcgen::Error),
    #[error("cannot sign: {0}")]
    Sign(#[from] rcgen::Error),
}

/// The CA certificate and its private key, as PEM.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootCa {
    pub cert_pem: String,
    pub key_pem: String,
}

/// Certificates are valid from a little before they are issued, for clocks that disagree.
const BACKDATE: time::Duration = time::Duration::minutes(5);
const CA_LIFETIME: time::Duration = time::Duration::days(365 * 20);

impl RootCa {
    pub fn generate() -> Result<RootCa, CaError> {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::default();
        params.distinguished_name = name("shoal-root-ca", None);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let now = OffsetDateTime::now_utc();
        params.not_before = now - BACKDATE;
        params.not_after = now + CA_LIFETIME;
        params.serial_number = Some(random_serial());
        let cert = params.self_signed(&key)?;
        Ok(RootCa {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }

    /// What join tokens pin.
    pub fn digest(&self) -> String {
        tls::ca_digest_pem(&self.cert_pem).unwrap_or_default()
    }

    fn issuer(&self) -> Result<Issuer<'static, KeyPair>, CaError> {
        let key = KeyPair::from_pem(&self.key_pem)?;
        Ok(Issuer::from_ca_cert_pem(&self.cert_pem, key)?)
    }

    /// Signs the key of `csr_pem` as node `node_id` with `role`. Only the public key is taken
    /// from the request: names, role and lifetime are the CA's to decide.
    pub fn sign_node(
        &self,
        csr_pem: &str,
        node_id: &str,
        role: Role,
        lifetime: Duration,
    ) -> Result<String, CaError> {
        let mut csr =
            CertificateSigningRequestParams::from_pem(csr_pem).map_err(CaError::BadCsr)?;
        let (ou, dns) = match role {
            Role::Manager => (tls::OU_MANAGER, tls::MANAGER_NAME),
            Role::Worker => (tls::OU_WORKER, tls::WORKER_NAME),
        };
        let mut params = CertificateParams::new(vec![node_id.to_string(), dns.to_string()])?;
        params.distinguished_name = name(node_id, Some(ou));
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        leaf(&mut params, lifetime);
        csr.params = params;
        Ok(csr.signed_by(&self.issuer()?)?.pem())
    }

    /// A client certificate for shoalctl, with a fresh key, as a bundle to hand over.
    pub fn client_bundle(&self, name_: &str, lifetime: Duration) -> Result<Bundle, CaError> {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::default();
        params.distinguished_name = name(name_, Some(tls::OU_CLIENT));
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        leaf(&mut params, lifetime);
        let cert = params.signed_by(&key, &self.issuer()?)?;
        Ok(Bundle {
            ca_pem: self.cert_pem.clone(),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }
}

fn leaf(params: &mut CertificateParams, lifetime: Duration) {
    let now = OffsetDateTime::now_utc();
    params.not_before = now - BACKDATE;
    params.not_after = now + lifetime;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.use_authority_key_identifier_extension = true;
    params.serial_number = Some(random_serial());
}

fn name(common: &str, unit: Option<&str>) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "shoal");
    if let Some(unit) = unit {
        dn.push(DnType::OrganizationalUnitName, unit);
    }
    dn.push(DnType::CommonName, common);
    dn
}

fn random_serial() -> SerialNumber {
    let mut bytes: [u8; 16] = rand::random();
    bytes[0] &= 0x7f; // positive
    SerialNumber::from_slice(&bytes)
}

/// A new key for this node and a signing request for it (the CA fills in the names).
pub fn new_key_and_csr() -> Result<(String, String), CaError> {
    let key = KeyPair::generate()?;
    let csr = CertificateParams::default().serialize_request(&key)?;
    Ok((key.serialize_pem(), csr.pem()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::{CertIdentity, CertRole};
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;

    fn der(pem: &str) -> CertificateDer<'static> {
        CertificateDer::from_pem_slice(pem.as_bytes()).unwrap()
    }

    #[test]
    fn signs_node_certificates_with_id_and_role() {
        let ca = RootCa::generate().unwrap();
        let (_key, csr) = new_key_and_csr().unwrap();
        let cert = ca
            .sign_node(&csr, "abc123", Role::Worker, Duration::from_secs(60))
            .unwrap();
        let who = CertIdentity::parse(&der(&cert)).unwrap();
        assert_eq!(who.name, "abc123");
        assert_eq!(who.role, CertRole::Worker);
        let expiry = crate::pki::not_after(&cert).unwrap();
        let left = expiry - OffsetDateTime::now_utc();
        assert!(left > time::Duration::seconds(50) && left <= time::Duration::seconds(60));
    }

    #[test]
    fn client_bundles_are_clients() {
        let ca = RootCa::generate().unwrap();
        let b = ca.client_bundle("ops", Duration::from_secs(3600)).unwrap();
        let who = CertIdentity::parse(&der(&b.cert_pem)).unwrap();
        assert_eq!((who.name.as_str(), who.role), ("ops", CertRole::Client));
        assert_eq!(b.ca_pem, ca.cert_pem);
        assert!(shoal_client::tls::client_config(&b).is_ok());
    }

    #[test]
    fn garbage_csr_is_refused() {
        let ca = RootCa::generate().unwrap();
        let e = ca
            .sign_node("not a csr", "n", Role::Manager, Duration::from_secs(60))
            .unwrap_err();
        assert!(e.to_string().contains("certificate signing request"), "{e}");
    }
}
