//! The engine-option flags of `service create | update`: `--cap-add/--cap-drop`,
//! `--sysctl`, `--ulimit NAME=SOFT[:HARD]`, `--add-host NAME:IP`, `--dns`, `--dns-search`,
//! `--dns-option`, `--group`, `--log-driver/--log-opt`, `--init`, `--read-only` and
//! `--isolation`, with update's `-add/-rm` forms, and how they change the container spec.
//! Each value is checked by the spec validation's own rule, with the flag named.

use crate::flags::kv::{parse_key, parse_pair};
use anyhow::{Result, anyhow, bail};
use shoal_api::validate::{normalize_capability, validate_options};
use shoal_api::{ContainerSpec, LogDriver, Ulimit};

/// Runs the validation's rule for one value, put in an otherwise empty container spec.
fn check(flag: &str, set: impl FnOnce(&mut ContainerSpec)) -> Result<()> {
    let mut c = ContainerSpec::default();
    set(&mut c);
    validate_options(&c).map_err(|e| anyhow!("{flag}: {}", e.message))
}

fn each<T>(raws: &[String], mut f: impl FnMut(&str) -> Result<T>) -> Result<Vec<T>> {
    raws.iter().map(|r| f(r)).collect()
}

/// Capabilities, written as Docker takes them (`NET_ADMIN`, `cap_net_admin`, `ALL`).
pub fn parse_caps(flag: &str, raws: &[String]) -> Result<Vec<String>> {
    each(raws, |r| {
        check(flag, |c| c.cap_add = vec![r.to_string()])?;
        Ok(r.trim().to_string())
    })
}

/// `NAME=VALUE` kernel parameters.
pub fn parse_sysctls(flag: &str, raws: &[String]) -> Result<Vec<(String, String)>> {
    each(raws, |r| {
        let (k, v) = parse_pair(flag, r)?;
        check(flag, |c| {
            c.sysctls.insert(k.clone(), v.clone());
        })?;
        Ok((k, v))
    })
}

/// `NAME=SOFT[:HARD]`.
pub fn parse_ulimits(flag: &str, raws: &[String]) -> Result<Vec<Ulimit>> {
    each(raws, |r| {
        let u = Ulimit::parse(r).map_err(|e| anyhow!("{flag}: {e}"))?;
        check(flag, |c| c.ulimits = vec![u.clone()])?;
        Ok(u)
    })
}

/// `NAME:IP` hosts entries.
pub fn parse_hosts(flag: &str, raws: &[String]) -> Result<Vec<String>> {
    each(raws, |r| {
        let entry =
            shoal_api::container::parse_extra_host(r).map_err(|e| anyhow!("{flag}: {e}"))?;
        check(flag, |c| c.extra_hosts = vec![entry.clone()])?;
        Ok(entry)
    })
}

/// `--host-rm NAME` or `NAME:IP`: the host name whose entries go.
pub fn parse_host_names(flag: &str, raws: &[String]) -> Result<Vec<String>> {
    each(raws, |r| {
        let name = r.split_once(':').map_or(r, |(name, _)| name).trim();
        if name.is_empty() {
            bail!("{flag}: expected NAME or NAME:IP, got {r:?}");
        }
        Ok(name.to_string())
    })
}

pub fn parse_dns(flag: &str, raws: &[String]) -> Result<Vec<String>> {
    each(raws, |r| {
        check(flag, |c| c.dns = vec![r.to_string()])?;
        Ok(r.to_string())
    })
}

pub fn parse_dns_search(flag: &str, raws: &[String]) -> Result<Vec<String>> {
    each(raws, |r| {
        check(flag, |c| c.dns_search = vec![r.to_string()])?;
        Ok(r.to_string())
    })
}

pub fn parse_dns_options(flag: &str, raws: &[String]) -> Result<Vec<String>> {
    each(raws, |r| {
        check(flag, |c| c.dns_options = vec![r.to_string()])?;
        Ok(r.to_string())
    })
}

pub fn parse_groups(flag: &str, raws: &[String]) -> Result<Vec<String>> {
    each(raws, |r| {
        check(flag, |c| c.group_add = vec![r.to_string()])?;
        Ok(r.to_string())
    })
}

/// `--log-driver D` with `--log-opt K=V`s: a new driver takes exactly the options given
/// (as Docker); options alone are merged into the current driver's.
pub fn parse_log_driver(driver: Option<&str>) -> Result<Option<String>> {
    driver
        .map(|d| {
            check("--log-driver", |c| {
                c.logging = Some(LogDriver {
                    name: d.to_string(),
                    ..LogDriver::default()
                })
            })?;
            Ok(d.to_string())
        })
        .transpose()
}

/// `--isolation`: only `default` applies to Linux containers.
pub fn parse_isolation(raw: Option<&str>) -> Result<Option<String>> {
    raw.map(|r| {
        check("--isolation", |c| c.isolation = r.to_string())?;
        Ok(r.to_string())
    })
    .transpose()
}

/// What the option flags ask to change; empty lists and `None` change nothing.
#[derive(Debug, Default, PartialEq)]
pub struct OptionChanges {
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    pub sysctls_rm: Vec<String>,
    pub sysctls_add: Vec<(String, String)>,
    pub ulimits_rm: Vec<String>,
    pub ulimits_add: Vec<Ulimit>,
    pub hosts_rm: Vec<String>,
    pub hosts_add: Vec<String>,
    pub dns_rm: Vec<String>,
    pub dns_add: Vec<String>,
    pub dns_search_rm: Vec<String>,
    pub dns_search_add: Vec<String>,
    pub dns_options_rm: Vec<String>,
    pub dns_options_add: Vec<String>,
    pub groups_rm: Vec<String>,
    pub groups_add: Vec<String>,
    pub log_driver: Option<String>,
    pub log_opts: Vec<(String, String)>,
    pub init: Option<bool>,
    pub read_only: Option<bool>,
    pub isolation: Option<String>,
}

/// Removes then appends, keeping one copy of each value.
fn edit_list(list: &mut Vec<String>, remove: &[String], add: &[String]) {
    list.retain(|v| !remove.contains(v));
    for v in add {
        if !list.contains(v) {
            list.push(v.clone());
        }
    }
}

fn same_cap(a: &str, b: &str) -> bool {
    normalize_capability(a).is_some_and(|a| Some(a) == normalize_capability(b))
}

impl OptionChanges {
    /// `--ulimit-rm` names.
    pub fn parse_ulimit_names(flag: &str, raws: &[String]) -> Result<Vec<String>> {
        each(raws, |r| parse_key(flag, r))
    }

    /// Applies the changes; `--log-opt` alone on a spec without a driver leaves a driver
    /// without a name, which the validation refuses.
    pub fn apply(&self, c: &mut ContainerSpec) {
        // As Docker's update: a capability added is no longer dropped, and the reverse.
        for cap in &self.cap_add {
            c.cap_drop.retain(|d| !same_cap(d, cap));
            if !c.cap_add.iter().any(|a| same_cap(a, cap)) {
                c.cap_add.push(cap.clone());
            }
        }
        for cap in &self.cap_drop {
            c.cap_add.retain(|a| !same_cap(a, cap));
            if !c.cap_drop.iter().any(|d| same_cap(d, cap)) {
                c.cap_drop.push(cap.clone());
            }
        }
        for k in &self.sysctls_rm {
            c.sysctls.remove(k);
        }
        c.sysctls.extend(self.sysctls_add.iter().cloned());
        c.ulimits.retain(|u| {
            !self.ulimits_rm.contains(&u.name) && !self.ulimits_add.iter().any(|a| a.name == u.name)
        });
        c.ulimits.extend(self.ulimits_add.iter().cloned());
        let host_of = |e: &String| e.split_once(':').map_or(e.clone(), |(n, _)| n.to_string());
        c.extra_hosts
            .retain(|e| !self.hosts_rm.contains(&host_of(e)));
        edit_list(&mut c.extra_hosts, &[], &self.hosts_add);
        edit_list(&mut c.dns, &self.dns_rm, &self.dns_add);
        edit_list(&mut c.dns_search, &self.dns_search_rm, &self.dns_search_add);
        edit_list(
            &mut c.dns_options,
            &self.dns_options_rm,
            &self.dns_options_add,
        );
        edit_list(&mut c.group_add, &self.groups_rm, &self.groups_add);
        match (&self.log_driver, &mut c.logging) {
            (Some(name), logging) => {
                *logging = Some(LogDriver {
                    name: name.clone(),
                    options: self.log_opts.iter().cloned().collect(),
                })
            }
            (None, logging) if !self.log_opts.is_empty() => logging
                .get_or_insert_with(LogDriver::default)
                .options
                .extend(self.log_opts.iter().cloned()),
            (None, _) => {}
        }
        if let Some(v) = self.init {
            c.init = Some(v);
        }
        if let Some(v) = self.read_only {
            c.read_only = v;
        }
        if let Some(v) = &self.isolation {
            c.isolation = v.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn error(r: Result<impl std::fmt::Debug>) -> String {
        r.unwrap_err().to_string()
    }

    #[test]
    fn each_parser_names_its_flag() {
        assert_eq!(
            parse_caps("--cap-add", &strings(&["net_admin", "ALL"])).unwrap(),
            ["net_admin", "ALL"]
        );
        let e = error(parse_caps("--cap-add", &strings(&["NET_ADMN"])));
        assert!(
            e.starts_with("--cap-add: \"NET_ADMN\" is not a Linux capability"),
            "{e}"
        );
        let e = error(parse_sysctls(
            "--sysctl",
            &strings(&["net.ipv4.ip_forward"]),
        ));
        assert_eq!(
            e,
            "--sysctl: expected KEY=VALUE, got \"net.ipv4.ip_forward\""
        );
        let e = error(parse_sysctls("--sysctl", &strings(&["net ipv4=1"])));
        assert!(e.starts_with("--sysctl: "), "{e}");
        let u = parse_ulimits("--ulimit", &strings(&["nofile=1024:2048"])).unwrap();
        assert_eq!((u[0].soft, u[0].hard), (1024, 2048));
        for bad in ["nofile", "nofile=a", "nofiles=1", "nofile=9:1"] {
            let e = error(parse_ulimits("--ulimit", &strings(&[bad])));
            assert!(e.starts_with("--ulimit: "), "{bad}: {e}");
        }
        assert_eq!(
            parse_hosts("--add-host", &strings(&["db:10.0.0.2"])).unwrap(),
            ["db:10.0.0.2"]
        );
        let e = error(parse_hosts("--add-host", &strings(&["db:10.0.0.999"])));
        assert!(
            e.starts_with("--add-host: ") && e.contains("not an IP"),
            "{e}"
        );
        let e = error(parse_hosts("--add-host", &strings(&["db"])));
        assert!(e.starts_with("--add-host: "), "{e}");
        let e = error(parse_dns("--dns", &strings(&["dns.google"])));
        assert!(e.starts_with("--dns: ") && e.contains("not an IP"), "{e}");
        let e = error(parse_dns_search("--dns-search", &strings(&["a b"])));
        assert!(e.starts_with("--dns-search: "), "{e}");
        let e = error(parse_dns_options("--dns-option", &strings(&["a b"])));
        assert!(e.starts_with("--dns-option: "), "{e}");
        let e = error(parse_groups("--group", &strings(&["a:b"])));
        assert!(e.starts_with("--group: "), "{e}");
        let e = error(parse_log_driver(Some("")));
        assert!(e.starts_with("--log-driver: "), "{e}");
        let e = error(parse_isolation(Some("hyperv")));
        assert!(
            e.starts_with("--isolation: ") && e.contains("Windows"),
            "{e}"
        );
        assert_eq!(
            parse_isolation(Some("default")).unwrap().unwrap(),
            "default"
        );
        assert_eq!(
            parse_host_names("--host-rm", &strings(&["db:10.0.0.2", "cache"])).unwrap(),
            ["db", "cache"]
        );
    }

    #[test]
    fn apply_adds_removes_and_replaces() {
        let mut c = ContainerSpec {
            cap_drop: strings(&["CAP_NET_ADMIN"]),
            extra_hosts: strings(&["db:10.0.0.2", "old:10.0.0.9"]),
            dns: strings(&["10.0.0.53"]),
            ulimits: vec![Ulimit::parse("nofile=1:2").unwrap()],
            ..Default::default()
        };
        let changes = OptionChanges {
            cap_add: strings(&["net_admin"]),
            cap_drop: strings(&["MKNOD"]),
            sysctls_add: vec![("net.ipv4.ip_forward".into(), "1".into())],
            ulimits_add: vec![Ulimit::parse("nofile=10:20").unwrap()],
            hosts_rm: strings(&["old"]),
            hosts_add: strings(&["new:10.0.0.3"]),
            dns_rm: strings(&["10.0.0.53"]),
            dns_add: strings(&["10.0.0.54"]),
            groups_add: strings(&["audio"]),
            log_driver: Some("json-file".into()),
            log_opts: vec![("max-size".into(), "1m".into())],
            init: Some(true),
            read_only: Some(true),
            ..Default::default()
        };
        changes.apply(&mut c);
        assert_eq!(c.cap_add, ["net_admin"]);
        assert_eq!(
            c.cap_drop,
            ["MKNOD"],
            "an added capability is no longer dropped"
        );
        assert_eq!(c.sysctls["net.ipv4.ip_forward"], "1");
        assert_eq!((c.ulimits.len(), c.ulimits[0].soft), (1, 10));
        assert_eq!(c.extra_hosts, ["db:10.0.0.2", "new:10.0.0.3"]);
        assert_eq!(c.dns, ["10.0.0.54"]);
        assert_eq!(c.group_add, ["audio"]);
        assert_eq!((c.init, c.read_only), (Some(true), true));
        assert_eq!(c.logging.as_ref().unwrap().options["max-size"], "1m");

        let more = OptionChanges {
            log_opts: vec![("max-file".into(), "2".into())],
            ulimits_rm: strings(&["nofile"]),
            read_only: Some(false),
            ..Default::default()
        };
        more.apply(&mut c);
        assert_eq!(
            c.logging.as_ref().unwrap().options.len(),
            2,
            "options merge"
        );
        assert!(c.ulimits.is_empty() && !c.read_only);
        let mut bare = ContainerSpec::default();
        more.apply(&mut bare);
        let e = validate_options(&bare).unwrap_err();
        assert_eq!(e.field, "spec.task.container.logging.name");
    }
}
