//! `--publish [HOST_IP:]PUBLISHED:TARGET[/tcp|udp]` (host mode, as `docker run -p`; both
//! ports may be ranges of one length, `8000-8010:80-90`, one port each) and `--publish-rm
//! PUBLISHED[-END][/tcp|udp]`. Port bounds and addresses are checked by the spec validation.

use anyhow::Result;
use shoal_api::{HostPort, PortConfig, Protocol};

fn parse_protocol(flag: &str, raw: &str, proto: Option<&str>) -> Result<Protocol> {
    shoal_api::ports::parse_protocol(proto).map_err(|e| anyhow::anyhow!("{flag}: {e} in {raw:?}"))
}

/// One flag value: one port, or one per port of a range.
pub fn parse_publish(flag: &str, raw: &str) -> Result<Vec<PortConfig>> {
    shoal_api::ports::parse_short(raw).map_err(|e| anyhow::anyhow!("{flag}: {e}"))
}

pub fn parse_publishes(flag: &str, raws: &[String]) -> Result<Vec<PortConfig>> {
    let mut out = Vec::new();
    for raw in raws {
        out.extend(parse_publish(flag, raw)?);
    }
    Ok(out)
}

/// `8080`, `8080/udp` or `8000-8010[/udp]`: published host ports.
pub fn parse_host_port(flag: &str, raw: &str) -> Result<Vec<HostPort>> {
    let (ports, proto) = match raw.split_once('/') {
        Some((ports, proto)) => (ports, Some(proto)),
        None => (raw, None),
    };
    let protocol = parse_protocol(flag, raw, proto)?;
    let (first, last) =
        shoal_api::ports::parse_range(ports, raw).map_err(|e| anyhow::anyhow!("{flag}: {e}"))?;
    Ok((first..=last)
        .map(|port| HostPort { port, protocol })
        .collect())
}

pub fn parse_host_ports(flag: &str, raws: &[String]) -> Result<Vec<HostPort>> {
    let mut out = Vec::new();
    for raw in raws {
        out.extend(parse_host_port(flag, raw)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_syntax() {
        let p = &parse_publish("--publish", "8080:80").unwrap()[0];
        assert_eq!(
            (p.published, p.target, p.protocol),
            (8080, 80, Protocol::Tcp)
        );
        let p = &parse_publish("--publish", "5353:53/udp").unwrap()[0];
        assert_eq!(
            (p.published, p.target, p.protocol),
            (5353, 53, Protocol::Udp)
        );
        let h = parse_host_port("--publish-rm", "5353/udp").unwrap();
        assert_eq!((h[0].port, h[0].protocol), (5353, Protocol::Udp));
    }

    #[test]
    fn ranges_and_host_addresses() {
        let ports: Vec<String> = parse_publishes(
            "--publish",
            &["8000-8001:80-81/udp".into(), "127.0.0.1:9000:90".into()],
        )
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(
            ports,
            ["8000:80/udp", "8001:81/udp", "127.0.0.1:9000:90/tcp"]
        );
        let rm = parse_host_ports("--publish-rm", &["8000-8002".into()]).unwrap();
        assert_eq!(
            rm.iter().map(|h| h.port).collect::<Vec<_>>(),
            [8000, 8001, 8002]
        );
        let e = parse_publish("--publish", "8000-8010:80-85")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("--publish: ") && e.contains("same length"),
            "{e}"
        );
        let e = parse_host_port("--publish-rm", "9-8")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("--publish-rm: "), "{e}");
    }

    #[test]
    fn errors_name_the_flag() {
        for (raw, says) in [
            ("80", "publishes no host port"),
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
