//! The node's certificate in its data dir (`tls/ca.pem`, `tls/cert.pem`, `tls/key.pem`, a
//! bundle shoalctl can use as it is), shared in memory by the node's TLS server and clients;
//! a renewal replaces the files first, then tells everyone who follows. The first manager also
//! keeps the CA key it created (`tls/ca-key.pem`) until the cluster object holds it.

use super::RootCa;
use shoal_client::tls::{Bundle, TlsError};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::watch;

#[derive(Clone)]
pub struct NodeTls {
    dir: PathBuf,
    current: Arc<watch::Sender<Arc<Bundle>>>,
}

pub fn tls_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("tls")
}

impl NodeTls {
    /// The node's certificate, or `None` when the data dir has none yet.
    pub fn load(data_dir: &Path) -> Result<Option<NodeTls>, TlsError> {
        let dir = tls_dir(data_dir);
        if !dir.join(shoal_client::tls::CERT_FILE).exists() {
            return Ok(None);
        }
        let bundle = Bundle::load(&dir)?;
        Ok(Some(NodeTls::new(dir, bundle)))
    }

    /// Saves a first certificate.
    pub fn create(data_dir: &Path, bundle: Bundle) -> Result<NodeTls, TlsError> {
        let dir = tls_dir(data_dir);
        bundle.save(&dir)?;
        Ok(NodeTls::new(dir, bundle))
    }

    fn new(dir: PathBuf, bundle: Bundle) -> NodeTls {
        let (tx, _) = watch::channel(Arc::new(bundle));
        NodeTls {
            dir,
            current: Arc::new(tx),
        }
    }

    pub fn bundle(&self) -> Arc<Bundle> {
        self.current.borrow().clone()
    }

    pub fn subscribe(&self) -> watch::Receiver<Arc<Bundle>> {
        self.current.subscribe()
    }

    /// Installs a renewed certificate: on disk first, so a crash never leaves a node with a
    /// certificate it does not have the key of.
    pub fn replace(&self, bundle: Bundle) -> Result<(), TlsError> {
        bundle.save(&self.dir)?;
        self.current.send_replace(Arc::new(bundle));
        Ok(())
    }
}

const CA_KEY_FILE: &str = "ca-key.pem";

/// Keeps a new cluster's CA on the first manager's disk, owner-only.
pub fn save_bootstrap_ca(data_dir: &Path, ca: &RootCa) -> Result<(), TlsError> {
    use std::io::Write;
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    let dir = tls_dir(data_dir);
    let path = dir.join(CA_KEY_FILE);
    let write = || -> std::io::Result<()> {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)?;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&path)?;
        f.write_all(serde_json::to_string(ca)?.as_bytes())?;
        f.sync_all()
    };
    write().map_err(|source| TlsError::Write {
        path: path.clone(),
        source,
    })
}

pub fn load_bootstrap_ca(data_dir: &Path) -> Option<RootCa> {
    let text = std::fs::read_to_string(tls_dir(data_dir).join(CA_KEY_FILE)).ok()?;
    serde_json::from_str(&text).ok()
}
