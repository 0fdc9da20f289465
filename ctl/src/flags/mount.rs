//! `--mount type=bind,src=/host,dst=/ctr[,readonly]`, `type=volume,source=v,target=/d` (no
//! source: an anonymous volume) and `type=tmpfs,target=/run[,tmpfs-size=64m][,tmpfs-mode=1777]`,
//! Docker's syntax: comma-separated `key=value` fields (`src|source`, `dst|target|destination`,
//! `readonly|ro` with an optional `=true|false|1|0`); the type defaults to `volume` as in
//! Docker. Paths and names are checked by the spec validation.

use anyhow::{Result, bail};
use shoal_api::{Mount, MountType};

pub fn parse_mount(flag: &str, raw: &str) -> Result<Mount> {
    let mut kind = MountType::Volume;
    let (mut source, mut target, mut readonly) = (None, None, false);
    let (mut tmpfs_size, mut tmpfs_mode) = (0, None);
    for field in raw.split(',') {
        let (key, value) = match field.split_once('=') {
            Some((k, v)) => (k.trim(), Some(v)),
            None => (field.trim(), None),
        };
        match (key, value) {
            ("type", Some("bind")) => kind = MountType::Bind,
            ("type", Some("volume")) => kind = MountType::Volume,
            ("type", Some("tmpfs")) => kind = MountType::Tmpfs,
            ("type", Some(other)) => {
                bail!("{flag}: mount type {other:?} is not supported (bind, volume or tmpfs)")
            }
            ("tmpfs-size", Some(v)) => {
                tmpfs_size = shoal_api::size::parse(v)
                    .map_err(|e| anyhow::anyhow!("{flag}: tmpfs-size: {e}"))?
            }
            ("tmpfs-mode", Some(v)) => {
                tmpfs_mode = Some(
                    shoal_api::container::parse_mode(v)
                        .map_err(|e| anyhow::anyhow!("{flag}: tmpfs-mode: {e}"))?,
                )
            }
            ("src" | "source", Some(v)) => source = Some(v.to_string()),
            ("dst" | "target" | "destination", Some(v)) => target = Some(v.to_string()),
            ("readonly" | "ro", None) => readonly = true,
            ("readonly" | "ro", Some(v)) => {
                readonly = match v {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    _ => bail!("{flag}: {key} takes true or false, got {v:?}"),
                }
            }
            _ => bail!("{flag}: unknown mount field {field:?} in {raw:?}"),
        }
    }
    let Some(target) = target else {
        bail!("{flag}: {raw:?} needs a target (dst=/path)");
    };
    if kind != MountType::Tmpfs && (tmpfs_size > 0 || tmpfs_mode.is_some()) {
        bail!("{flag}: tmpfs-size and tmpfs-mode are for type=tmpfs, in {raw:?}");
    }
    Ok(Mount {
        kind,
        source: source.unwrap_or_default(),
        target,
        readonly,
        tmpfs_size,
        tmpfs_mode,
    })
}

pub fn parse_mounts(flag: &str, raws: &[String]) -> Result<Vec<Mount>> {
    raws.iter().map(|r| parse_mount(flag, r)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_syntax() {
        let m = parse_mount("--mount", "type=bind,src=/tmp/a,dst=/data,readonly").unwrap();
        assert_eq!(
            m,
            Mount {
                kind: MountType::Bind,
                source: "/tmp/a".into(),
                target: "/data".into(),
                readonly: true,
                ..Mount::default()
            }
        );
        let t = parse_mount(
            "--mount",
            "type=tmpfs,dst=/run,tmpfs-size=64m,tmpfs-mode=1777",
        )
        .unwrap();
        assert_eq!(
            (t.kind, t.tmpfs_size, t.tmpfs_mode),
            (MountType::Tmpfs, 64 << 20, Some(0o1777))
        );
        let anonymous = parse_mount("--mount", "type=volume,dst=/data").unwrap();
        assert_eq!(anonymous.source, "");
        let v = parse_mount("--mount", "source=cache,target=/c,ro=false").unwrap();
        assert_eq!((v.kind, v.readonly), (MountType::Volume, false));
        assert_eq!(v.source, "cache");
    }

    #[test]
    fn mistakes_name_the_flag() {
        for (raw, says) in [
            ("type=npipe,dst=/x", "not supported"),
            ("type=tmpfs,dst=/x,tmpfs-size=big", "tmpfs-size"),
            ("type=tmpfs,dst=/x,tmpfs-mode=9", "tmpfs-mode"),
            (
                "type=bind,src=/a,dst=/x,tmpfs-size=1m",
                "are for type=tmpfs",
            ),
            ("src=/a", "needs a target"),
            ("type=bind,src=/a,dst=/b,color=red", "unknown mount field"),
            ("dst=/b,ro=maybe", "true or false"),
        ] {
            let e = parse_mount("--mount", raw).unwrap_err().to_string();
            assert!(e.starts_with("--mount: ") && e.contains(says), "{raw}: {e}");
        }
    }
}
