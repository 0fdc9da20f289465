//! The node's identity and certificate at start: loaded from the data dir, obtained by joining
//! a cluster, or, for the first manager of a new cluster, created with the cluster's CA.

use super::{Config, join};
use crate::identity::{self, Identity};
use crate::pki::{self, NodeTls, RootCa};
use anyhow::Context;
use shoal_client::tls::Bundle;

/// Saves the certificate before the identity: a node.json always has its certificate, and a
/// crash before node.json is written leaves a data dir that starts over cleanly.
pub(super) async fn identity_and_certificate(
    config: &Config,
    advertise: &str,
) -> anyhow::Result<(Identity, NodeTls)> {
    let dir = &config.data_dir;
    match (identity::load(dir)?, &config.join) {
        (Some(id), join) => {
            // A manager whose raft join did not finish may be started again with the same flags.
            if join.is_some() && id.pending_raft_join.is_none() {
                anyhow::bail!(
                    "{} already belongs to a cluster (this is node {}): start without --join-addr, or join with an empty --data-dir",
                    dir.display(),
                    id.node_id
                );
            }
            let tls = NodeTls::load(dir)?.with_context(|| {
                format!(
                    "{} has no node certificate (tls/): it was made by an older shoald; start a new cluster in an empty data dir",
                    dir.display()
                )
            })?;
            Ok((id, tls))
        }
        (None, Some(how)) => {
            let (id, bundle) = join::join_cluster(how, &config.hostname, advertise).await?;
            let tls = NodeTls::create(dir, bundle)?;
            identity::save(dir, &id)?;
            Ok((id, tls))
        }
        (None, None) => {
            let id = identity::new_identity();
            let ca = RootCa::generate()?;
            pki::save_bootstrap_ca(dir, &ca)?;
            let (key_pem, csr) = pki::new_key_and_csr()?;
            let lifetime = shoal_api::ClusterSpec::default().node_cert_expiry;
            let cert_pem = ca.sign_node(&csr, id.node_id.as_str(), id.role, lifetime)?;
            let bundle = Bundle {
                ca_pem: ca.cert_pem.clone(),
                cert_pem,
                key_pem,
            };
            let tls = NodeTls::create(dir, bundle)?;
            identity::save(dir, &id)?;
            Ok((id, tls))
        }
    }
}
