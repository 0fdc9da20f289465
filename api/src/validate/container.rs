//! Checks of the container part of a spec: identity (user, workdir, hostname), mounts (a
//! bind needs a host path, a volume a name or none for an anonymous one, a tmpfs neither;
//! tmpfs options only on a tmpfs) and the stop signal, each error naming its field
//! (`spec.task.container.mounts[0].source`).

use super::{ValidationError, err};
use crate::container::{ContainerSpec, MountType};
use std::collections::HashSet;

const FIELD: &str = "spec.task.container";

/// Signal names Docker understands (with or without `SIG`).
const SIGNALS: &[&str] = &[
    "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2",
    "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG",
    "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "POLL", "PWR", "SYS",
];

fn valid_signal(s: &str) -> bool {
    if let Ok(n) = s.parse::<u32>() {
        return (1..=64).contains(&n);
    }
    let name = s.strip_prefix("SIG").unwrap_or(s);
    SIGNALS.contains(&name)
        || name
            .strip_prefix("RTMIN+")
            .or_else(|| name.strip_prefix("RTMAX-"))
            .and_then(|n| n.parse::<u32>().ok())
            .is_some_and(|n| n <= 15)
}

/// A hostname is dot-separated labels of letters, digits and inner hyphens (RFC 1123).
pub(super) fn valid_hostname(h: &str) -> bool {
    h.len() <= 253
        && h.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// Docker's rule for volume names.
fn valid_volume_name(v: &str) -> bool {
    let mut bytes = v.bytes();
    bytes.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && bytes.all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

pub fn validate_container(c: &ContainerSpec) -> Result<(), ValidationError> {
    if !c.user.is_empty() {
        let ok = c.user.split(':').count() <= 2
            && c.user.split(':').all(|p| !p.is_empty())
            && !c
                .user
                .chars()
                .any(|ch| ch.is_whitespace() || ch.is_control());
        if !ok {
            return Err(err(
                &format!("{FIELD}.user"),
                format!(
                    "user {:?} must be USER or USER:GROUP (names or ids)",
                    c.user
                ),
            ));
        }
    }
    if !c.workdir.is_empty() && !c.workdir.starts_with('/') {
        return Err(err(
            &format!("{FIELD}.workdir"),
            format!("workdir {:?} must be an absolute path", c.workdir),
        ));
    }
    if !c.hostname.is_empty() && !valid_hostname(&c.hostname) {
        return Err(err(
            &format!("{FIELD}.hostname"),
            format!(
                "hostname {:?} must be letters, digits and '-' in dot-separated labels of at most 63 characters",
                c.hostname
            ),
        ));
    }
    if !c.stop_signal.is_empty() && !valid_signal(&c.stop_signal) {
        return Err(err(
            &format!("{FIELD}.stop_signal"),
            format!(
                "stop_signal {:?} is not a signal (e.g. SIGTERM, SIGUSR1, 15)",
                c.stop_signal
            ),
        ));
    }
    let mut targets = HashSet::new();
    for (i, m) in c.mounts.iter().enumerate() {
        let field = |f: &str| format!("{FIELD}.mounts[{i}].{f}");
        if m.kind != MountType::Tmpfs && (m.tmpfs_size > 0 || m.tmpfs_mode.is_some()) {
            let f = if m.tmpfs_size > 0 {
                "tmpfs_size"
            } else {
                "tmpfs_mode"
            };
            return Err(err(&field(f), format!("{f} applies only to a tmpfs mount")));
        }
        match m.kind {
            MountType::Bind if m.source.is_empty() => {
                return Err(err(&field("source"), "a bind mount needs a source"));
            }
            MountType::Tmpfs if !m.source.is_empty() => {
                return Err(err(&field("source"), "a tmpfs mount takes no source"));
            }
            MountType::Tmpfs if m.tmpfs_mode.is_some_and(|mode| mode > 0o7777) => {
                return Err(err(
                    &field("tmpfs_mode"),
                    format!(
                        "tmpfs_mode {:o} must be permission bits, at most 7777 (octal)",
                        m.tmpfs_mode.unwrap_or_default()
                    ),
                ));
            }
            _ => {}
        }
        match m.kind {
            MountType::Bind if !m.source.starts_with('/') => {
                return Err(err(
                    &field("source"),
                    format!("bind source {:?} must be an absolute host path", m.source),
                ));
            }
            MountType::Volume if !m.source.is_empty() && !valid_volume_name(&m.source) => {
                return Err(err(
                    &field("source"),
                    format!(
                        "volume name {:?} may only contain letters, digits, '_', '.' and '-', starting with a letter or digit",
                        m.source
                    ),
                ));
            }
            _ => {}
        }
        if !m.target.starts_with('/') || m.target == "/" {
            return Err(err(
                &field("target"),
                format!(
                    "target {:?} must be an absolute path other than /",
                    m.target
                ),
            ));
        }
        if !targets.insert(m.target.trim_end_matches('/')) {
            return Err(err(
                &field("target"),
                format!("target {:?} is mounted twice", m.target),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::Mount;

    fn bind(source: &str, target: &str) -> Mount {
        Mount {
            kind: MountType::Bind,
            source: source.into(),
            target: target.into(),
            ..Mount::default()
        }
    }

    fn tmpfs(target: &str) -> Mount {
        Mount {
            kind: MountType::Tmpfs,
            target: target.into(),
            tmpfs_size: 64 << 20,
            tmpfs_mode: Some(0o1777),
            ..Mount::default()
        }
    }

    #[test]
    fn tmpfs_and_anonymous_volumes() {
        let anonymous = Mount {
            kind: MountType::Volume,
            target: "/data".into(),
            ..Mount::default()
        };
        let c = ContainerSpec {
            mounts: vec![tmpfs("/run"), anonymous],
            ..Default::default()
        };
        assert_eq!(validate_container(&c), Ok(()));
        let bad = |m: Mount| {
            field_of(&ContainerSpec {
                mounts: vec![m],
                ..Default::default()
            })
        };
        let f = "spec.task.container.mounts[0]";
        assert_eq!(bad(tmpfs("run")), format!("{f}.target"));
        let mut sourced = tmpfs("/run");
        sourced.source = "/x".into();
        assert_eq!(bad(sourced), format!("{f}.source"));
        let mut wide = tmpfs("/run");
        wide.tmpfs_mode = Some(0o17777);
        assert_eq!(bad(wide), format!("{f}.tmpfs_mode"));
        let mut sized = bind("/a", "/b");
        sized.tmpfs_size = 1;
        assert_eq!(bad(sized), format!("{f}.tmpfs_size"));
        let parsed = Mount::parse_tmpfs("/run:size=64m,mode=1777").unwrap();
        assert_eq!(parsed, tmpfs("/run"));
        assert_eq!(Mount::parse_tmpfs("/tmp").unwrap().tmpfs_size, 0);
        for raw in ["/run:size=lots", "/run:mode=999", "/run:exec"] {
            assert!(Mount::parse_tmpfs(raw).is_err(), "{raw}");
        }
    }

    fn field_of(c: &ContainerSpec) -> String {
        validate_container(c).unwrap_err().field
    }

    #[test]
    fn accepts_good_identity_mounts_and_signals() {
        let c = ContainerSpec {
            user: "1000:1000".into(),
            workdir: "/srv".into(),
            hostname: "web-1.example".into(),
            stop_signal: "SIGUSR1".into(),
            mounts: vec![
                bind("/tmp/x", "/data"),
                Mount {
                    kind: MountType::Volume,
                    source: "cache_1".into(),
                    target: "/cache".into(),
                    readonly: true,
                    ..Mount::default()
                },
            ],
            ..Default::default()
        };
        assert_eq!(validate_container(&c), Ok(()));
        for sig in ["TERM", "9", "SIGRTMIN+3", "SIGKILL"] {
            assert!(valid_signal(sig), "{sig}");
        }
    }

    #[test]
    fn names_the_wrong_field() {
        let bad = |f: fn(&mut ContainerSpec)| {
            let mut c = ContainerSpec::default();
            f(&mut c);
            field_of(&c)
        };
        assert_eq!(bad(|c| c.user = "a b".into()), "spec.task.container.user");
        assert_eq!(bad(|c| c.user = "a:".into()), "spec.task.container.user");
        assert_eq!(
            bad(|c| c.workdir = "rel".into()),
            "spec.task.container.workdir"
        );
        assert_eq!(
            bad(|c| c.hostname = "-x".into()),
            "spec.task.container.hostname"
        );
        assert_eq!(
            bad(|c| c.stop_signal = "SIGNOPE".into()),
            "spec.task.container.stop_signal"
        );
        assert_eq!(
            bad(|c| c.mounts = vec![bind("", "/d")]),
            "spec.task.container.mounts[0].source"
        );
        assert_eq!(
            bad(|c| c.mounts = vec![bind("/a", "/d"), bind("rel", "/e")]),
            "spec.task.container.mounts[1].source"
        );
        assert_eq!(
            bad(|c| c.mounts = vec![bind("/a", "d")]),
            "spec.task.container.mounts[0].target"
        );
        assert_eq!(
            bad(|c| c.mounts = vec![bind("/a", "/d"), bind("/b", "/d/")]),
            "spec.task.container.mounts[1].target"
        );
        assert_eq!(
            bad(|c| c.mounts = vec![Mount {
                kind: MountType::Volume,
                source: "/abs".into(),
                target: "/d".into(),
                ..Mount::default()
            }]),
            "spec.task.container.mounts[0].source"
        );
    }
}
