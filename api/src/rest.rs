//! REST request and response bodies that are not stored objects.

use crate::node::NodeSpec;
use crate::service::ServiceSpec;
use serde::{Deserialize, Serialize};

/// `{ "error": { "code", "message", "field"? } }`
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Machine-readable: `invalid_argument`, `not_found`, `conflict`, `unavailable`, `internal`.
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// `POST /v1/services/{id}`: the new spec and the version it was based on.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceUpdate {
    pub version: u64,
    pub spec: ServiceSpec,
}

/// `POST /v1/nodes/{id}`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeUpdate {
    pub version: u64,
    pub spec: NodeSpec,
}

/// Filters of `GET /v1/tasks`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct TaskFilter {
    #[serde(default)]
    pub service_id: Option<String>,
    #[serde(default)]
    pub node_id: Option<String>,
    /// Include tasks that are no longer desired to run.
    #[serde(default)]
    pub all: bool,
}

/// `POST /v1/join`: a new node asks to join with a token; the token decides its role.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinRequest {
    pub token: String,
    pub hostname: String,
    /// Address the joining node serves on (managers).
    #[serde(default)]
    pub addr: Option<String>,
    /// A PEM certificate signing request for the node's own key.
    pub csr: String,
}

/// `POST /v1/join/raft`: a manager (admitted by `/v1/join`, or promoted) asks to be added to
/// Raft once its own Raft server answers at `addr`; its manager certificate is the proof.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RaftJoinRequest {
    pub node_id: crate::NodeId,
    pub raft_id: u64,
    pub addr: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct JoinResponse {
    pub node_id: crate::NodeId,
    pub role: crate::Role,
    /// Base URLs of the cluster's managers, e.g. `https://10.0.0.1:4242`.
    pub managers: Vec<String>,
    /// The node's certificate (PEM), signed by the cluster CA for its id and role.
    pub cert_pem: String,
    pub ca_pem: String,
}

/// `POST /v1/ca/renew`: a node asks for a new certificate for a new key.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenewRequest {
    pub csr: String,
}

/// The renewed certificate, for the role the node has now (which a promotion or demotion
/// changes).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RenewResponse {
    pub cert_pem: String,
    pub role: crate::Role,
}

/// `GET /v1/ca/node`: what a node's certificate should say now.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NodeCertStatus {
    pub role: crate::Role,
    pub node_cert_expiry: String,
}

/// `POST /v1/ca/client-bundle`: a certificate for a remote `shoalctl`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientBundleRequest {
    /// Common name of the certificate (default: `shoalctl`).
    #[serde(default)]
    pub name: Option<String>,
}

/// `GET /v1/version`: what the answering node runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionInfo {
    pub version: String,
    /// The REST API's version, the prefix of its paths.
    pub api_version: String,
    pub os: String,
    pub arch: String,
    /// `manager` or `worker`.
    pub role: String,
    /// Whether the answering manager leads the cluster (absent on workers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leader: Option<bool>,
}

impl VersionInfo {
    /// This build's figures, for a node of `role`.
    pub fn of_this_build(role: &str, leader: Option<bool>) -> Self {
        VersionInfo {
            version: env!("CARGO_PKG_VERSION").into(),
            api_version: API_VERSION.into(),
            os: std::env::consts::OS.into(),
            arch: std::env::consts::ARCH.into(),
            role: role.into(),
            leader,
        }
    }
}

/// The REST API's version.
pub const API_VERSION: &str = "v1";
