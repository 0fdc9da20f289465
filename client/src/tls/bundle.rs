//! A node's certificate, its key and the CA that signed it, as PEM text, and as the files
//! `ca.pem`, `cert.pem`, `key.pem` in a directory (the layout of Docker's `--tlsverify`
//! directories), written atomically so a crash never leaves a half-renewed certificate.

use super::{CA_FILE, CERT_FILE, KEY_FILE, TlsError, certs};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;

/// A certificate, its key and the CA that signed it, as PEM text.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Bundle {
    pub ca_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
}

impl Bundle {
    /// Reads `ca.pem`, `cert.pem` and `key.pem` from `dir`.
    pub fn load(dir: &Path) -> Result<Bundle, TlsError> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read_to_string(&path).map_err(|source| TlsError::Read { path, source })
        };
        Ok(Bundle {
            ca_pem: read(CA_FILE)?,
            cert_pem: read(CERT_FILE)?,
            key_pem: read(KEY_FILE)?,
        })
    }

    /// Writes the bundle into `dir` (created owner-only); each file is replaced atomically
    /// and fsynced, the key readable by the owner only.
    pub fn save(&self, dir: &Path) -> Result<(), TlsError> {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        let werr = |path: &Path| {
            let path = path.to_path_buf();
            move |source| TlsError::Write { path, source }
        };
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(werr(dir))?;
        for (name, text, mode) in [
            (CA_FILE, &self.ca_pem, 0o644),
            (CERT_FILE, &self.cert_pem, 0o644),
            (KEY_FILE, &self.key_pem, 0o600),
        ] {
            let path = dir.join(name);
            let tmp = dir.join(format!("{name}.tmp"));
            let write = || -> std::io::Result<()> {
                use std::io::Write;
                let mut f = std::fs::OpenOptions::new()
                    .write(true)
                    .create(true)
                    .truncate(true)
                    .mode(mode)
                    .open(&tmp)?;
                f.write_all(text.as_bytes())?;
                f.sync_all()?;
                std::fs::rename(&tmp, &path)?;
                std::fs::File::open(dir)?.sync_all()
            };
            write().map_err(werr(&path))?;
        }
        Ok(())
    }

    /// The certificate chain to present.
    pub fn chain(&self) -> Result<Vec<CertificateDer<'static>>, TlsError> {
        certs(&self.cert_pem, "the certificate")
    }

    pub fn key(&self) -> Result<PrivateKeyDer<'static>, TlsError> {
        PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes()).map_err(|_| TlsError::NoPem {
            what: "the private key".into(),
            kind: "private key",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_bundle_names_the_file() {
        let e = Bundle::load(Path::new("/nonexistent-shoal-dir"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("/nonexistent-shoal-dir/ca.pem"), "{e}");
    }
}
