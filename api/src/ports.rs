//! Published ports: a container port bound to a port of the node it runs on (host mode, as
//! `docker run -p`). The scheduler keeps two tasks that publish the same host port and
//! protocol off one node. [`parse_short`] reads the short form the CLI and Compose share,
//! ranges and a host address included.

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
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortConfig {
    /// Port on the node.
    pub published: u32,
    /// Port inside the container.
    pub target: u32,
    #[serde(default)]
    pub protocol: Protocol,
    /// Host address the port is bound on; empty: the node's (all, or `--publish-ip`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub host_ip: String,
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
        match self.host_ip.as_str() {
            "" => {}
            ip if ip.contains(':') => write!(f, "[{ip}]:")?,
            ip => write!(f, "{ip}:")?,
        }
        write!(f, "{}:{}/{}", self.published, self.target, self.protocol)
    }
}

/// `tcp` (the default) or `udp`.
pub fn parse_protocol(raw: Option<&str>) -> Result<Protocol, String> {
    match raw {
        None | Some("tcp") => Ok(Protocol::Tcp),
        Some("udp") => Ok(Protocol::Udp),
        Some(other) => Err(format!("protocol {other:?} must be tcp or udp")),
    }
}

/// `8080` or `8000-8010`, as an inclusive range.
pub fn parse_range(raw: &str, whole: &str) -> Result<(u32, u32), String> {
    let number = |p: &str| {
        p.trim()
            .parse::<u32>()
            .map_err(|_| format!("{p:?} in {whole:?} is not a port number"))
    };
    match raw.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (number(a)?, number(b)?);
            if a > b {
                return Err(format!("range {raw:?} in {whole:?} ends before it starts"));
            }
            Ok((a, b))
        }
        None => number(raw).map(|p| (p, p)),
    }
}

/// The short form `[HOST_IP:]PUBLISHED:TARGET[/tcp|udp]`, where both ports may be ranges of
/// the same length (`8000-8010:80-90`), one port each; an IPv6 host address is bracketed
/// (`[::1]:8080:80`). `Err` says what is wrong with `raw`; the caller names where it is.
pub fn parse_short(raw: &str) -> Result<Vec<PortConfig>, String> {
    let (ports, proto) = match raw.rsplit_once('/') {
        Some((ports, proto)) => (ports, Some(proto)),
        None => (raw, None),
    };
    let protocol = parse_protocol(proto)?;
    let (host_ip, ports) = match ports.strip_prefix('[') {
        Some(rest) => match rest.split_once("]:") {
            Some((ip, rest)) => (ip.to_string(), rest),
            None => return Err(format!("{raw:?}: unclosed [ in the host address")),
        },
        None => match ports.matches(':').count() {
            2 => {
                let (ip, rest) = ports.split_once(':').unwrap_or_default();
                (ip.to_string(), rest)
            }
            _ => (String::new(), ports),
        },
    };
    let Some((published, target)) = ports.split_once(':') else {
        return Err(format!(
            "{raw:?} publishes no host port: write [HOST_IP:]PUBLISHED:TARGET[/tcp|udp]"
        ));
    };
    if target.contains(':') {
        return Err(format!(
            "expected [HOST_IP:]PUBLISHED:TARGET[/tcp|udp], got {raw:?}"
        ));
    }
    let (p0, p1) = parse_range(published, raw)?;
    let (t0, t1) = parse_range(target, raw)?;
    if p1 - p0 != t1 - t0 {
        return Err(format!(
            "{raw:?}: the published range has {} ports and the target range {}; they must be \
             the same length",
            p1 - p0 + 1,
            t1 - t0 + 1
        ));
    }
    Ok((0..=p1 - p0)
        .map(|i| PortConfig {
            published: p0 + i,
            target: t0 + i,
            protocol,
            host_ip: host_ip.clone(),
        })
        .collect())
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
