//! Checks of `spec.task.container.ports`: ports in 1..=65535, each host port and protocol
//! published once.

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
