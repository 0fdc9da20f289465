//! `--publish PUBLISHED:TARGET[/tcp|udp]` (host mode, as `docker run -p`) and
//! `--publish-rm PUBLISHED[/tcp|udp]`. Port ranges are checked by the spec validation.

use anyhow::{Context, Result, bail};
use shoal_api::{HostPort, PortConfig, Protocol};

fn parse_protocol(flag: &str, raw: &str, proto: Option<&str>) -> Result<Protocol> {
    match proto {
        None | Some("tcp") => Ok(Protocol::Tcp),
        Some("udp") => Ok(Protocol::Udp),
        Some(other) => bail!("{flag}: protocol {other:?} in {raw:?} must be tcp or udp"),
    }
}

fn parse_port(flag: &str, raw: &str, port: &str) -> Result<u32> {
    port.parse()
        .with_context(|| format!("{flag}: {port:?} in {raw:?} is not a port number"))
}

pub fn parse_publish(flag: &str, raw: &str) -> Result<PortConfig> {
    let (ports, proto) = match raw.split_once('/') {
        Some((ports, proto)) => (ports, Some(proto)),
        None => (raw, None),
    };
    let Some((published, target)) = ports.split_once(':') else {
        bail!("{flag}: expected PUBLISHED:TARGET[/tcp|udp], got {raw:?}");
    };
    Ok(PortConfig {
        published: parse_port(flag, raw, published)?,
        target: parse_port(flag, raw, target)?,
        protocol: parse_protocol(flag, raw, proto)?,
    })
}

pub fn parse_publishes(flag: &str, raws: &[String]) -> Result<Vec<PortConfig>> {
    raws.iter().map(|r| parse_publish(flag, r)).collect()
}

/// `8080` or `8080/udp`: a published host port.
pub fn parse_host_port(flag: &str, raw: &str) -> Result<HostPort> {
    let (port, proto) = match raw.split_once('/') {
        Some((port, proto)) => (port, Some(proto)),
        None => (raw, None),
    };
    Ok(HostPort {
        port: parse_port(flag, raw, port)?,
        protocol: parse_protocol(flag, raw, proto)?,
    })
}

pub fn parse_host_ports(flag: &str, raws: &[String]) -> Result<Vec<HostPort>> {
    raws.iter().map(|r| parse_host_port(flag, r)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_syntax() {
        let p = parse_publish("--publish", "8080:80").unwrap();
        assert_eq!(
            (p.published, p.target, p.protocol),
            (8080, 80, Protocol::Tcp)
        );
        let p = parse_publish("--publish", "5353:53/udp").unwrap();
        assert_eq!(
            (p.published, p.target, p.protocol),
            (5353, 53, Protocol::Udp)
        );
        let h = parse_host_port("--publish-rm", "5353/udp").unwrap();
        assert_eq!((h.port, h.protocol), (5353, Protocol::Udp));
    }

    #[test]
    fn errors_name_the_flag() {
        for (raw, says) in [
            ("80", "expected PUBLISHED:TARGET"),
            ("x:80", "\"x\" in \"x:80\" is not a port number"),
            ("80:80/sctp", "protocol \"sctp\""),
            ("-1:80", "is not a port number"),
        ] {
            let e = parse_publish("--publish", raw).unwrap_err().to_string();
            assert!(
                e.starts_with("--publish: ") && e.contains(says),
                "{raw}: {e}"
            );
        }
    }
}
