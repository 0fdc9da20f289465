//! Checks of `spec.task.container.ports`: ports in 1..=65535, host addresses that are IP
//! addresses, each host port and protocol published once (whatever the address: the
//! scheduler counts a node's port as one resource).

use super::{ValidationError, err};
use crate::ports::PortConfig;
use std::collections::HashSet;

const FIELD: &str = "spec.task.container.ports";

pub fn validate_ports(ports: &[PortConfig]) -> Result<(), ValidationError> {
    let mut seen = HashSet::new();
    for (i, p) in ports.iter().enumerate() {
        for (name, port) in [("published", p.published), ("target", p.target)] {
            if !(1..=65535).contains(&port) {
                return Err(err(
                    &format!("{FIELD}[{i}].{name}"),
                    format!("{name} port {port} must be between 1 and 65535"),
                ));
            }
        }
        if !p.host_ip.is_empty() && p.host_ip.parse::<std::net::IpAddr>().is_err() {
            return Err(err(
                &format!("{FIELD}[{i}].host_ip"),
                format!("host_ip {:?} is not an IP address", p.host_ip),
            ));
        }
        if !seen.insert(p.host_port()) {
            return Err(err(
                &format!("{FIELD}[{i}].published"),
                format!("host port {} is published twice", p.host_port()),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::Protocol;

    fn port(published: u32, target: u32, protocol: Protocol) -> PortConfig {
        PortConfig {
            published,
            target,
            protocol,
            host_ip: String::new(),
        }
    }

    #[test]
    fn host_ip_must_be_an_address() {
        let mut p = port(80, 80, Protocol::Tcp);
        p.host_ip = "127.0.0.1".into();
        assert_eq!(validate_ports(std::slice::from_ref(&p)), Ok(()));
        p.host_ip = "::1".into();
        assert_eq!(validate_ports(std::slice::from_ref(&p)), Ok(()));
        p.host_ip = "localhost".into();
        let e = validate_ports(&[p]).unwrap_err();
        assert_eq!(e.field, "spec.task.container.ports[0].host_ip");
    }

    #[test]
    fn short_form_with_ranges_and_host_addresses() {
        use crate::ports::parse_short;
        let s = |raw: &str| -> Vec<String> {
            parse_short(raw)
                .unwrap()
                .iter()
                .map(ToString::to_string)
                .collect()
        };
        assert_eq!(s("8080:80"), ["8080:80/tcp"]);
        assert_eq!(s("53:53/udp"), ["53:53/udp"]);
        assert_eq!(
            s("8000-8002:80-82"),
            ["8000:80/tcp", "8001:81/tcp", "8002:82/tcp"]
        );
        assert_eq!(s("127.0.0.1:8080:80"), ["127.0.0.1:8080:80/tcp"]);
        assert_eq!(
            s("[::1]:9000-9001:90-91/udp"),
            ["[::1]:9000:90/udp", "[::1]:9001:91/udp"]
        );
        for (raw, says) in [
            ("80", "publishes no host port"),
            ("8000-8010:80-90", ""),
            ("8000-8010:80-85", "same length"),
            ("8000-8010:80", "same length"),
            ("90-80:90-80", "ends before it starts"),
            ("x:80", "is not a port number"),
            ("1:2/sctp", "tcp or udp"),
            ("a:b:1:2", "expected"),
            ("[::1:80:80", "unclosed"),
        ] {
            match parse_short(raw) {
                Ok(_) => assert!(says.is_empty(), "{raw} should fail"),
                Err(e) => assert!(!says.is_empty() && e.contains(says), "{raw}: {e}"),
            }
        }
    }

    #[test]
    fn accepts_distinct_host_ports_and_both_protocols_on_one_port() {
        let ports = [
            port(8080, 80, Protocol::Tcp),
            port(8080, 80, Protocol::Udp),
            port(8443, 80, Protocol::Tcp),
            port(65535, 1, Protocol::Tcp),
        ];
        assert_eq!(validate_ports(&ports), Ok(()));
    }

    #[test]
    fn names_the_wrong_port() {
        let field = |ports: &[PortConfig]| validate_ports(ports).unwrap_err().field;
        assert_eq!(
            field(&[port(0, 80, Protocol::Tcp)]),
            "spec.task.container.ports[0].published"
        );
        assert_eq!(
            field(&[port(80, 80, Protocol::Tcp), port(81, 70000, Protocol::Udp)]),
            "spec.task.container.ports[1].target"
        );
        let e = validate_ports(&[port(80, 80, Protocol::Udp), port(80, 81, Protocol::Udp)])
            .unwrap_err();
        assert_eq!(e.field, "spec.task.container.ports[1].published");
        assert_eq!(e.message, "host port 80/udp is published twice");
    }

    #[test]
    fn protocol_is_tcp_or_udp() {
        let p: PortConfig = serde_json::from_str(r#"{"published":1,"target":2}"#).unwrap();
        assert_eq!(p.protocol, Protocol::Tcp);
        assert!(
            serde_json::from_str::<PortConfig>(r#"{"published":1,"target":2,"protocol":"sctp"}"#)
                .is_err()
        );
    }
}
