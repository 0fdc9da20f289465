//! Checks of the engine options of `spec.task.container`: capabilities Linux has, sysctls
//! and ulimits Docker takes, hosts entries and name servers that are IP addresses, search
//! domains that are domain names, groups, the log driver, and isolation (`default` only:
//! the others are Windows'). Each error names its field (`spec.task.container.ulimits[1]`).

use super::container::valid_hostname;
use super::{ValidationError, err};
use crate::container::ContainerSpec;
use std::net::IpAddr;

const FIELD: &str = "spec.task.container";

/// Linux capabilities (capabilities(7)), without their `CAP_` prefix.
pub const CAPABILITIES: &[&str] = &[
    "AUDIT_CONTROL",
    "AUDIT_READ",
    "AUDIT_WRITE",
    "BLOCK_SUSPEND",
    "BPF",
    "CHECKPOINT_RESTORE",
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "IPC_LOCK",
    "IPC_OWNER",
    "KILL",
    "LEASE",
    "LINUX_IMMUTABLE",
    "MAC_ADMIN",
    "MAC_OVERRIDE",
    "MKNOD",
    "NET_ADMIN",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_RAW",
    "PERFMON",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYSLOG",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_CHROOT",
    "SYS_MODULE",
    "SYS_NICE",
    "SYS_PACCT",
    "SYS_PTRACE",
    "SYS_RAWIO",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "WAKE_ALARM",
];

/// Resource names `setrlimit(2)` has, as Docker spells them.
pub const ULIMITS: &[&str] = &[
    "as",
    "core",
    "cpu",
    "data",
    "fsize",
    "locks",
    "memlock",
    "msgqueue",
    "nice",
    "nofile",
    "nproc",
    "rss",
    "rtprio",
    "rttime",
    "sigpending",
    "stack",
];

/// A capability as Docker passes it: `ALL`, or `CAP_` and the upper-case name; `None` when
/// Linux has no such capability.
pub fn normalize_capability(raw: &str) -> Option<String> {
    let upper = raw.trim().to_ascii_uppercase();
    if upper == "ALL" {
        return Some(upper);
    }
    let name = upper.strip_prefix("CAP_").unwrap_or(&upper);
    CAPABILITIES.contains(&name).then(|| format!("CAP_{name}"))
}

fn no_space(s: &str) -> bool {
    !s.is_empty() && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

pub fn validate_options(c: &ContainerSpec) -> Result<(), ValidationError> {
    for (name, caps) in [("cap_add", &c.cap_add), ("cap_drop", &c.cap_drop)] {
        for (i, cap) in caps.iter().enumerate() {
            if normalize_capability(cap).is_none() {
                return Err(err(
                    &format!("{FIELD}.{name}[{i}]"),
                    format!(
                        "{cap:?} is not a Linux capability (e.g. NET_ADMIN, CAP_SYS_TIME, ALL)"
                    ),
                ));
            }
        }
    }
    for (key, value) in &c.sysctls {
        let ok = !key.is_empty()
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'/'))
            && !key.starts_with(['.', '/'])
            && !key.ends_with(['.', '/']);
        if !ok {
            return Err(err(
                &format!("{FIELD}.sysctls"),
                format!(
                    "sysctl {key:?} must be a dotted kernel parameter name (net.ipv4.ip_forward)"
                ),
            ));
        }
        if value.is_empty() || value.chars().any(char::is_control) {
            return Err(err(
                &format!("{FIELD}.sysctls.{key}"),
                format!("sysctl {key} needs a value"),
            ));
        }
    }
    let mut seen = std::collections::HashSet::new();
    for (i, u) in c.ulimits.iter().enumerate() {
        let field = format!("{FIELD}.ulimits[{i}]");
        if !ULIMITS.contains(&u.name.as_str()) {
            return Err(err(
                &format!("{field}.name"),
                format!(
                    "{:?} is not a ulimit; one of {}",
                    u.name,
                    ULIMITS.join(", ")
                ),
            ));
        }
        if !seen.insert(&u.name) {
            return Err(err(
                &format!("{field}.name"),
                format!("ulimit {} is set twice", u.name),
            ));
        }
        if u.soft < -1 || u.hard < -1 {
            return Err(err(
                &field,
                "soft and hard must be at least 0, or -1 for unlimited",
            ));
        }
        if u.hard != -1 && (u.soft == -1 || u.soft > u.hard) {
            return Err(err(
                &format!("{field}.soft"),
                format!(
                    "{}: the soft limit {} must not exceed the hard limit {}",
                    u.name, u.soft, u.hard
                ),
            ));
        }
    }
    for (i, entry) in c.extra_hosts.iter().enumerate() {
        let field = format!("{FIELD}.extra_hosts[{i}]");
        let Some((name, ip)) = entry.split_once(':') else {
            return Err(err(&field, format!("expected NAME:IP, got {entry:?}")));
        };
        if !valid_hostname(name) {
            return Err(err(&field, format!("{name:?} is not a host name")));
        }
        if ip != "host-gateway" && ip.parse::<IpAddr>().is_err() {
            return Err(err(
                &field,
                format!("{ip:?} is not an IP address (or host-gateway)"),
            ));
        }
    }
    for (i, ip) in c.dns.iter().enumerate() {
        if ip.parse::<IpAddr>().is_err() {
            return Err(err(
                &format!("{FIELD}.dns[{i}]"),
                format!("name server {ip:?} is not an IP address"),
            ));
        }
    }
    for (i, domain) in c.dns_search.iter().enumerate() {
        if domain != "." && !valid_hostname(domain.trim_end_matches('.')) {
            return Err(err(
                &format!("{FIELD}.dns_search[{i}]"),
                format!("search domain {domain:?} is not a domain name"),
            ));
        }
    }
    for (i, opt) in c.dns_options.iter().enumerate() {
        if !no_space(opt) {
            return Err(err(
                &format!("{FIELD}.dns_options[{i}]"),
                format!("resolver option {opt:?} must be one word (ndots:2, timeout:1)"),
            ));
        }
    }
    for (i, group) in c.group_add.iter().enumerate() {
        if !no_space(group) || group.contains(':') {
            return Err(err(
                &format!("{FIELD}.group_add[{i}]"),
                format!("group {group:?} must be a group name or id"),
            ));
        }
    }
    if let Some(log) = &c.logging {
        let ok = log
            .name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/' | b':'));
        if log.name.is_empty() {
            return Err(err(
                &format!("{FIELD}.logging.name"),
                "log options need a log driver (json-file, local, syslog...)",
            ));
        }
        if !ok {
            return Err(err(
                &format!("{FIELD}.logging.name"),
                format!(
                    "log driver {:?} must be a driver name (json-file, local, syslog...)",
                    log.name
                ),
            ));
        }
        if let Some(key) = log.options.keys().find(|k| !no_space(k)) {
            return Err(err(
                &format!("{FIELD}.logging.options"),
                format!("option {key:?} must be a non-empty word"),
            ));
        }
    }
    match c.isolation.as_str() {
        "" | "default" => {}
        other => {
            return Err(err(
                &format!("{FIELD}.isolation"),
                format!(
                    "isolation {other:?} applies only to Windows containers; Shoal runs Linux \
                     containers, which take only default"
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::{LogDriver, Ulimit};

    fn field_of(f: impl FnOnce(&mut ContainerSpec)) -> String {
        let mut c = ContainerSpec::default();
        f(&mut c);
        validate_options(&c).unwrap_err().field
    }

    fn ulimit(name: &str, soft: i64, hard: i64) -> Ulimit {
        Ulimit {
            name: name.into(),
            soft,
            hard,
        }
    }

    #[test]
    fn accepts_what_docker_takes() {
        let c = ContainerSpec {
            cap_add: vec!["NET_ADMIN".into(), "cap_sys_time".into(), "all".into()],
            cap_drop: vec!["CAP_MKNOD".into()],
            sysctls: [("net.ipv4.ip_forward".to_string(), "1".to_string())].into(),
            ulimits: vec![ulimit("nofile", 1024, 2048), ulimit("core", -1, -1)],
            extra_hosts: vec![
                "db:10.0.0.2".into(),
                "v6:::1".into(),
                "gw:host-gateway".into(),
            ],
            dns: vec!["1.1.1.1".into(), "2001:db8::1".into()],
            dns_search: vec!["example.com".into(), "corp.".into()],
            dns_options: vec!["ndots:2".into()],
            group_add: vec!["audio".into(), "1000".into()],
            logging: Some(LogDriver {
                name: "json-file".into(),
                options: [("max-size".to_string(), "1m".to_string())].into(),
            }),
            isolation: "default".into(),
            ..Default::default()
        };
        assert_eq!(validate_options(&c), Ok(()));
        assert_eq!(normalize_capability("net_admin").unwrap(), "CAP_NET_ADMIN");
        assert_eq!(normalize_capability("ALL").unwrap(), "ALL");
    }

    #[test]
    fn names_the_wrong_field() {
        let f = "spec.task.container";
        assert_eq!(
            field_of(|c| c.cap_add = vec!["NET_ADMIN".into(), "NET_ADMN".into()]),
            format!("{f}.cap_add[1]")
        );
        assert_eq!(
            field_of(|c| c.cap_drop = vec!["CAP_".into()]),
            format!("{f}.cap_drop[0]")
        );
        assert_eq!(
            field_of(|c| c.sysctls = [("net ipv4".into(), "1".into())].into()),
            format!("{f}.sysctls")
        );
        assert_eq!(
            field_of(|c| c.sysctls = [("kernel.x".into(), "".into())].into()),
            format!("{f}.sysctls.kernel.x")
        );
        assert_eq!(
            field_of(|c| c.ulimits = vec![ulimit("files", 1, 1)]),
            format!("{f}.ulimits[0].name")
        );
        assert_eq!(
            field_of(|c| c.ulimits = vec![ulimit("nofile", 1, 1), ulimit("nofile", 2, 2)]),
            format!("{f}.ulimits[1].name")
        );
        assert_eq!(
            field_of(|c| c.ulimits = vec![ulimit("nofile", 4096, 1024)]),
            format!("{f}.ulimits[0].soft")
        );
        assert_eq!(
            field_of(|c| c.ulimits = vec![ulimit("nofile", -5, 1024)]),
            format!("{f}.ulimits[0]")
        );
        for bad in ["db", "db:10.0.0.300", "-x:10.0.0.1"] {
            assert_eq!(
                field_of(|c| c.extra_hosts = vec![bad.into()]),
                format!("{f}.extra_hosts[0]"),
                "{bad}"
            );
        }
        assert_eq!(
            field_of(|c| c.dns = vec!["8.8.8.8".into(), "dns.google".into()]),
            format!("{f}.dns[1]")
        );
        assert_eq!(
            field_of(|c| c.dns_search = vec!["a b".into()]),
            format!("{f}.dns_search[0]")
        );
        assert_eq!(
            field_of(|c| c.dns_options = vec!["".into()]),
            format!("{f}.dns_options[0]")
        );
        assert_eq!(
            field_of(|c| c.group_add = vec!["a:b".into()]),
            format!("{f}.group_add[0]")
        );
        assert_eq!(
            field_of(|c| c.logging = Some(LogDriver::default())),
            format!("{f}.logging.name")
        );
        let e = {
            let c = ContainerSpec {
                isolation: "hyperv".into(),
                ..Default::default()
            };
            validate_options(&c).unwrap_err()
        };
        assert_eq!(e.field, format!("{f}.isolation"));
        assert!(e.message.contains("only to Windows"), "{}", e.message);
    }

    #[test]
    fn short_forms_parse() {
        assert_eq!(
            Ulimit::parse("nofile=1024:2048").unwrap(),
            ulimit("nofile", 1024, 2048)
        );
        assert_eq!(Ulimit::parse("core=0").unwrap(), ulimit("core", 0, 0));
        for bad in ["nofile", "nofile=a:1", "nofile=1:"] {
            assert!(Ulimit::parse(bad).is_err(), "{bad}");
        }
        use crate::container::parse_extra_host;
        assert_eq!(parse_extra_host("db:10.0.0.2").unwrap(), "db:10.0.0.2");
        assert_eq!(parse_extra_host("db=::1").unwrap(), "db:::1");
        assert_eq!(parse_extra_host("db 10.0.0.2").unwrap(), "db:10.0.0.2");
        assert!(parse_extra_host("db").is_err());
    }
}
