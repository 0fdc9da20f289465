//! The node's identity and certificate at start: loaded from the data dir, obtained by joining
//! a cluster, or, for the first manager of a new cluster, created with the cluster's CA.

use super::{Config, DaemonError, join};
use crate::identity::{self, Identity};
use crate::pki::{self, NodeTls, RootCa};
use shoal_client::tls::Bundle;

/// Saves the certificate before the identity: a node.json always has its certificate, and a
/// crash before node.json is written leaves a data dir that starts over cleanly.
pub(super) async fn identity_and_certificate(
    config: &Config,
    advertise: &str,
) -> Result<(Identity, NodeTls), DaemonError> {
    let dir = &config.data_dir;
    match (identity::load(dir)?, &config.join) {
        (Some(id), join) => {
            // A manager whose raft join did not finish may be started again with the same flags.
            if join.is_some() && id.pending_raft_join.is_none() {
                return Err(DaemonError::AlreadyMember {
                    data_dir: dir.clone(),
                    node: id.node_id,
                });
            }
            let tls = NodeTls::load(dir)
                .map_err(DaemonError::NodeCertificate)?
                .ok_or_else(|| DaemonError::NoCertificate {
                    data_dir: dir.clone(),
                })?;
            Ok((id, tls))
        }
        (None, Some(how)) => {
            let (id, bundle) = join::join_cluster(how, &config.hostname, advertise).await?;
            let tls = NodeTls::create(dir, bundle).map_err(DaemonError::NodeCertificate)?;
            identity::save(dir, &id)?;
            Ok((id, tls))
        }
        (None, None) => {
            let id = identity::new_identity();
            let ca = RootCa::generate()?;
            pki::save_bootstrap_ca(dir, &ca).map_err(DaemonError::NodeCertificate)?;
            let (key_pem, csr) = pki::new_key_and_csr()?;
            let lifetime = shoal_api::ClusterSpec::default().node_cert_expiry;
            let cert_pem = ca.sign_node(&csr, id.node_id.as_str(), id.role, lifetime)?;
            let bundle = Bundle {
                ca_pem: ca.cert_pem.clone(),
                cert_pem,
                key_pem,
            };
            let tls = NodeTls::create(dir, bundle).map_err(DaemonError::NodeCertificate)?;
            identity::save(dir, &id)?;
            Ok((id, tls))
        }
    }
}
