//! The cluster's public key infrastructure: the root CA that signs every node and client
//! certificate, reading who a peer is from its certificate, the node's own certificate files,
//! the TLS server configuration, and the keeper that renews the node's certificate (and
//! notices a promotion or demotion) before it expires.

mod ca;
mod keeper;
mod node_files;
mod peer;
mod server;

pub use ca::{CaError, RootCa, new_key_and_csr};
pub use keeper::{CertKeeper, RoleChange};
pub use node_files::{NodeTls, load_bootstrap_ca, save_bootstrap_ca};
pub use peer::{CertIdentity, CertRole, not_after};
pub use server::server_config;
