//! Published ports: a container port bound to a port of the node it runs on (host mode, as
//! `docker run -p`). The scheduler keeps two tasks that publish the same host port and
//! protocol off one node.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    #[default]
    Tcp,
    Udp,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `published:target/protocol`. Ports are `u32` so that validation, not the JSON parser,
/// refuses one out of range, naming its field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortConfig {
    /// Port on the node.
    pub published: u32,
    /// Port inside the container.
    pub target: u32,
    #[serde(default)]
    pub protocol: Protocol,
}

impl PortConfig {
    /// The node resource this port takes: `8080/tcp`.
    pub fn host_port(&self) -> HostPort {
        HostPort {
            port: self.published,
            protocol: self.protocol,
        }
    }
}

impl fmt::Display for PortConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}/{}", self.published, self.target, self.protocol)
    }
}

/// A port of a node, taken by a published port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HostPort {
    pub port: u32,
    pub protocol: Protocol,
}

impl fmt::Display for HostPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.port, self.protocol)
    }
}
