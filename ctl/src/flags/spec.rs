//! Turning the flags of `service create` and `service update` into a [`ServiceSpec`], on one
//! code path: both commands reduce their flags to [`SpecChanges`] and apply them, create to a
//! fresh spec with Shoal's defaults and update to the spec read from the server. A flag not
//! given changes nothing.

use crate::flags::health::HealthChanges;
use crate::flags::kv::{
    parse_keys, parse_opt_duration, parse_opt_size, parse_pairs, parse_spread_pref,
};
use crate::flags::mount::parse_mounts;
use crate::flags::options::{
    OptionChanges, parse_caps, parse_dns, parse_dns_options, parse_dns_search, parse_groups,
    parse_host_names, parse_hosts, parse_isolation, parse_log_driver, parse_sysctls, parse_ulimits,
};
use crate::flags::publish::{parse_host_ports, parse_publishes};
use crate::flags::service::{CreateArgs, TemplateFlags, UpdateArgs};
use anyhow::{Result, bail};
use shoal_api::validate::validate_service_spec;
use shoal_api::{
    ContainerSpec, FailureAction, HostPort, Mount, PortConfig, Preference, RestartCondition,
    ServiceMode, ServiceSpec, TaskTemplate, UpdateConfig, UpdateOrder, default_stop_grace,
};
use std::collections::BTreeMap;
use std::time::Duration;

/// What the flags ask to change; `None` and empty lists leave the spec as it is.
#[derive(Debug, Default, PartialEq)]
pub struct SpecChanges {
    pub image: Option<String>,
    pub replicas: Option<u64>,
    pub command: Option<Vec<String>>,
    pub args: Option<Vec<String>>,
    pub env_rm: Vec<String>,
    pub env_add: Vec<(String, String)>,
    pub labels_rm: Vec<String>,
    pub labels_add: Vec<(String, String)>,
    pub container_labels_rm: Vec<String>,
    pub container_labels_add: Vec<(String, String)>,
    pub mounts_rm: Vec<String>,
    pub mounts_add: Vec<Mount>,
    pub update: RolloutChanges,
    pub rollback: RolloutChanges,
    pub restart_condition: Option<RestartCondition>,
    pub restart_delay: Option<Duration>,
    pub restart_max_attempts: Option<u64>,
    pub restart_window: Option<Duration>,
    pub stop_grace_period: Option<Duration>,
    pub stop_signal: Option<String>,
    pub user: Option<String>,
    pub workdir: Option<String>,
    pub hostname: Option<String>,
    /// Bump `spec.task.force_update` so every task is replaced.
    pub force: bool,
    pub placement: PlacementChanges,
    pub health: HealthChanges,
    pub ports_rm: Vec<HostPort>,
    pub ports_add: Vec<PortConfig>,
    pub options: OptionChanges,
}

/// Changes to `spec.task.placement` and `spec.task.resources`.
#[derive(Debug, Default, PartialEq)]
pub struct PlacementChanges {
    pub constraints_rm: Vec<String>,
    pub constraints_add: Vec<String>,
    /// Spread keys (`node.labels.zone`).
    pub prefs_rm: Vec<String>,
    pub prefs_add: Vec<String>,
    pub max_per_node: Option<u64>,
    pub reserve_cpus: Option<f64>,
    pub reserve_memory: Option<u64>,
    pub limit_cpus: Option<f64>,
    pub limit_memory: Option<u64>,
}

/// Constraints compare without their spaces: `a == b` is `a==b`.
fn same_constraint(a: &str, b: &str) -> bool {
    let squeeze = |s: &str| s.split_whitespace().collect::<String>();
    squeeze(a) == squeeze(b)
}

impl PlacementChanges {
    fn apply(&self, task: &mut TaskTemplate) {
        let p = &mut task.placement;
        p.constraints
            .retain(|c| !self.constraints_rm.iter().any(|r| same_constraint(c, r)));
        for c in &self.constraints_add {
            if !p.constraints.iter().any(|have| same_constraint(have, c)) {
                p.constraints.push(c.clone());
            }
        }
        p.preferences
            .retain(|pref| !self.prefs_rm.contains(&pref.spread));
        for key in &self.prefs_add {
            if !p.preferences.iter().any(|have| &have.spread == key) {
                p.preferences.push(Preference {
                    spread: key.clone(),
                });
            }
        }
        if let Some(n) = self.max_per_node {
            p.max_replicas_per_node = n;
        }
        let r = &mut task.resources;
        for (field, value) in [
            (&mut r.reservations.cpus, self.reserve_cpus),
            (&mut r.limits.cpus, self.limit_cpus),
        ] {
            if let Some(v) = value {
                *field = v;
            }
        }
        for (field, value) in [
            (&mut r.reservations.memory, self.reserve_memory),
            (&mut r.limits.memory, self.limit_memory),
        ] {
            if let Some(v) = value {
                *field = v;
            }
        }
    }
}

/// Changes to `spec.update` or `spec.rollback`.
#[derive(Debug, Default, PartialEq)]
pub struct RolloutChanges {
    pub parallelism: Option<u64>,
    pub delay: Option<Duration>,
    pub failure_action: Option<FailureAction>,
    pub monitor: Option<Duration>,
    pub max_failure_ratio: Option<f64>,
    pub order: Option<UpdateOrder>,
}

impl RolloutChanges {
    fn apply(&self, c: &mut UpdateConfig) {
        if let Some(v) = self.parallelism {
            c.parallelism = v;
        }
        if let Some(v) = self.delay {
            c.delay = v;
        }
        if let Some(v) = self.failure_action {
            c.failure_action = v;
        }
        if let Some(v) = self.monitor {
            c.monitor = v;
        }
        if let Some(v) = self.max_failure_ratio {
            c.max_failure_ratio = v;
        }
        if let Some(v) = self.order {
            c.order = v;
        }
    }
}

/// `--replicas` is read as a signed number so a negative one gets this message, not clap's.
pub fn parse_replicas(raw: Option<i64>) -> Result<Option<u64>> {
    match raw {
        Some(r) if r < 0 => bail!("--replicas: replicas must be >= 0"),
        Some(r) => Ok(Some(r as u64)),
        None => Ok(None),
    }
}

fn non_empty(v: &[String]) -> Option<Vec<String>> {
    (!v.is_empty()).then(|| v.to_vec())
}

impl TemplateFlags {
    fn changes(&self) -> Result<SpecChanges> {
        Ok(SpecChanges {
            command: non_empty(&self.command),
            args: non_empty(&self.args),
            update: RolloutChanges {
                parallelism: self.update_parallelism,
                delay: parse_opt_duration("--update-delay", self.update_delay.as_deref())?,
                failure_action: self.update_failure_action.map(Into::into),
                monitor: parse_opt_duration("--update-monitor", self.update_monitor.as_deref())?,
                max_failure_ratio: self.update_max_failure_ratio,
                order: self.update_order.map(Into::into),
            },
            rollback: RolloutChanges {
                parallelism: self.rollback_parallelism,
                delay: parse_opt_duration("--rollback-delay", self.rollback_delay.as_deref())?,
                failure_action: self.rollback_failure_action.map(Into::into),
                monitor: parse_opt_duration(
                    "--rollback-monitor",
                    self.rollback_monitor.as_deref(),
                )?,
                max_failure_ratio: self.rollback_max_failure_ratio,
                order: self.rollback_order.map(Into::into),
            },
            restart_condition: self.restart_condition.map(Into::into),
            restart_delay: parse_opt_duration("--restart-delay", self.restart_delay.as_deref())?,
            restart_max_attempts: self.restart_max_attempts,
            restart_window: parse_opt_duration("--restart-window", self.restart_window.as_deref())?,
            stop_signal: self.stop_signal.clone(),
            user: self.user.clone(),
            workdir: self.workdir.clone(),
            hostname: self.hostname.clone(),
            stop_grace_period: parse_opt_duration(
                "--stop-grace-period",
                self.stop_grace_period.as_deref(),
            )?,
            placement: PlacementChanges {
                max_per_node: self.replicas_max_per_node,
                reserve_cpus: self.reserve_cpu,
                reserve_memory: parse_opt_size("--reserve-memory", self.reserve_memory.as_deref())?,
                limit_cpus: self.limit_cpu,
                limit_memory: parse_opt_size("--limit-memory", self.limit_memory.as_deref())?,
                ..PlacementChanges::default()
            },
            health: self.health.changes()?,
            options: OptionChanges {
                log_driver: parse_log_driver(self.log_driver.as_deref())?,
                log_opts: parse_pairs("--log-opt", &self.log_opt)?,
                init: self.init,
                read_only: self.read_only,
                isolation: parse_isolation(self.isolation.as_deref())?,
                ..OptionChanges::default()
            },
            ..SpecChanges::default()
        })
    }
}

impl SpecChanges {
    pub fn from_create(args: &CreateArgs) -> Result<SpecChanges> {
        let mut changes = SpecChanges {
            replicas: parse_replicas(args.replicas)?,
            env_add: parse_pairs("--env", &args.env)?,
            labels_add: parse_pairs("--label", &args.labels)?,
            container_labels_add: parse_pairs("--container-label", &args.container_labels)?,
            mounts_add: parse_mounts("--mount", &args.mounts)?,
            ports_add: parse_publishes("--publish", &args.publish)?,
            ..args.template.changes()?
        };
        let p = &mut changes.placement;
        p.constraints_add = args.constraints.clone();
        p.prefs_add = parse_prefs("--placement-pref", &args.placement_prefs)?;
        let o = &mut changes.options;
        o.cap_add = parse_caps("--cap-add", &args.cap_add)?;
        o.cap_drop = parse_caps("--cap-drop", &args.cap_drop)?;
        o.sysctls_add = parse_sysctls("--sysctl", &args.sysctl)?;
        o.ulimits_add = parse_ulimits("--ulimit", &args.ulimit)?;
        o.hosts_add = parse_hosts("--add-host", &args.add_host)?;
        o.dns_add = parse_dns("--dns", &args.dns)?;
        o.dns_search_add = parse_dns_search("--dns-search", &args.dns_search)?;
        o.dns_options_add = parse_dns_options("--dns-option", &args.dns_option)?;
        o.groups_add = parse_groups("--group", &args.group)?;
        Ok(changes)
    }

    pub fn from_update(args: &UpdateArgs) -> Result<SpecChanges> {
        let mut changes = SpecChanges {
            image: args.image.clone(),
            replicas: parse_replicas(args.replicas)?,
            env_rm: parse_keys("--env-rm", &args.env_rm)?,
            env_add: parse_pairs("--env-add", &args.env_add)?,
            labels_rm: parse_keys("--label-rm", &args.label_rm)?,
            labels_add: parse_pairs("--label-add", &args.label_add)?,
            container_labels_rm: parse_keys("--container-label-rm", &args.container_label_rm)?,
            container_labels_add: parse_pairs("--container-label-add", &args.container_label_add)?,
            mounts_rm: args.mount_rm.clone(),
            mounts_add: parse_mounts("--mount-add", &args.mount_add)?,
            ports_rm: parse_host_ports("--publish-rm", &args.publish_rm)?,
            ports_add: parse_publishes("--publish-add", &args.publish_add)?,
            force: args.force,
            ..args.template.changes()?
        };
        let p = &mut changes.placement;
        p.constraints_rm = args.constraint_rm.clone();
        p.constraints_add = args.constraint_add.clone();
        p.prefs_rm = parse_prefs("--placement-pref-rm", &args.placement_pref_rm)?;
        p.prefs_add = parse_prefs("--placement-pref-add", &args.placement_pref_add)?;
        let o = &mut changes.options;
        o.cap_add = parse_caps("--cap-add", &args.cap_add)?;
        o.cap_drop = parse_caps("--cap-drop", &args.cap_drop)?;
        o.sysctls_rm = parse_keys("--sysctl-rm", &args.sysctl_rm)?;
        o.sysctls_add = parse_sysctls("--sysctl-add", &args.sysctl_add)?;
        o.ulimits_rm = OptionChanges::parse_ulimit_names("--ulimit-rm", &args.ulimit_rm)?;
        o.ulimits_add = parse_ulimits("--ulimit-add", &args.ulimit_add)?;
        o.hosts_rm = parse_host_names("--host-rm", &args.host_rm)?;
        o.hosts_add = parse_hosts("--host-add", &args.host_add)?;
        o.dns_rm = args.dns_rm.clone();
        o.dns_add = parse_dns("--dns-add", &args.dns_add)?;
        o.dns_search_rm = args.dns_search_rm.clone();
        o.dns_search_add = parse_dns_search("--dns-search-add", &args.dns_search_add)?;
        o.dns_options_rm = args.dns_option_rm.clone();
        o.dns_options_add = parse_dns_options("--dns-option-add", &args.dns_option_add)?;
        o.groups_rm = args.group_rm.clone();
        o.groups_add = parse_groups("--group-add", &args.group_add)?;
        Ok(changes)
    }

    /// Applies the changes: removals before additions, an added key replaces the old value.
    pub fn apply(&self, spec: &mut ServiceSpec) {
        let c = &mut spec.task.container;
        if let Some(image) = &self.image {
            c.image = image.clone();
        }
        if let Some(command) = &self.command {
            c.command = command.clone();
        }
        if let Some(args) = &self.args {
            c.args = args.clone();
        }
        edit_env(&mut c.env, &self.env_rm, &self.env_add);
        edit_map(
            &mut c.labels,
            &self.container_labels_rm,
            &self.container_labels_add,
        );
        if let Some(grace) = self.stop_grace_period {
            c.stop_grace_period = grace;
        }
        for (field, value) in [
            (&mut c.stop_signal, &self.stop_signal),
            (&mut c.user, &self.user),
            (&mut c.workdir, &self.workdir),
            (&mut c.hostname, &self.hostname),
        ] {
            if let Some(v) = value {
                *field = v.clone();
            }
        }
        // Mounts are keyed by target: removals first, an added target replaces the old one.
        let gone = |m: &Mount| {
            self.mounts_rm
                .iter()
                .any(|t| t.trim_end_matches('/') == m.target.trim_end_matches('/'))
                || self.mounts_add.iter().any(|a| a.target == m.target)
        };
        c.mounts.retain(|m| !gone(m));
        c.mounts.extend(self.mounts_add.iter().cloned());
        self.health.apply(&mut c.healthcheck);
        // Published ports are keyed by host port: an added one replaces the old.
        c.ports.retain(|p| {
            !self.ports_rm.contains(&p.host_port())
                && !self
                    .ports_add
                    .iter()
                    .any(|a| a.host_port() == p.host_port())
        });
        c.ports.extend(self.ports_add.iter().cloned());
        self.options.apply(c);
        edit_map(&mut spec.labels, &self.labels_rm, &self.labels_add);
        if let Some(replicas) = self.replicas {
            match &mut spec.mode {
                ServiceMode::ReplicatedJob {
                    total_completions, ..
                } => *total_completions = Some(replicas),
                mode => *mode = ServiceMode::Replicated { replicas },
            }
        }
        let restart = &mut spec.task.restart;
        if let Some(condition) = self.restart_condition {
            restart.condition = condition;
        }
        if let Some(delay) = self.restart_delay {
            restart.delay = delay;
        }
        if let Some(n) = self.restart_max_attempts {
            restart.max_attempts = n;
        }
        if let Some(window) = self.restart_window {
            restart.window = window;
        }
        self.update.apply(&mut spec.update);
        self.rollback.apply(&mut spec.rollback);
        self.placement.apply(&mut spec.task);
        if self.force {
            spec.task.force_update += 1;
        }
    }
}

fn parse_prefs(flag: &str, raws: &[String]) -> Result<Vec<String>> {
    raws.iter().map(|r| parse_spread_pref(flag, r)).collect()
}

/// `KEY=VALUE` entries: drop the removed keys, replace an added key in place or append it.
fn edit_env(env: &mut Vec<String>, remove: &[String], add: &[(String, String)]) {
    let key_of = |entry: &str| entry.split_once('=').map_or(entry, |(k, _)| k).to_string();
    env.retain(|e| !remove.contains(&key_of(e)));
    for (key, value) in add {
        let entry = format!("{key}={value}");
        match env.iter_mut().find(|e| key_of(e) == *key) {
            Some(existing) => *existing = entry,
            None => env.push(entry),
        }
    }
}

fn edit_map(map: &mut BTreeMap<String, String>, remove: &[String], add: &[(String, String)]) {
    for key in remove {
        map.remove(key);
    }
    for (key, value) in add {
        map.insert(key.clone(), value.clone());
    }
}

/// The spec `service create` sends: Shoal's defaults, then the flags; checked locally so a
/// mistake is reported before anything reaches the server.
pub fn new_spec(args: &CreateArgs) -> Result<ServiceSpec> {
    let mut spec = ServiceSpec {
        name: args.name.clone(),
        labels: BTreeMap::new(),
        task: TaskTemplate {
            container: ContainerSpec {
                image: args.image.clone(),
                stop_grace_period: default_stop_grace(),
                ..ContainerSpec::default()
            },
            ..TaskTemplate::default()
        },
        mode: ServiceMode::default(),
        update: Default::default(),
        rollback: Default::default(),
    };
    SpecChanges::from_create(args)?.apply(&mut spec);
    spec.mode = mode_from_flags(args)?;
    validate_service_spec(&spec)?;
    Ok(spec)
}

/// `--mode` with the flags that go with it; a flag of another mode is an error, not ignored.
fn mode_from_flags(args: &CreateArgs) -> Result<ServiceMode> {
    let replicas = parse_replicas(args.replicas)?;
    let job_flags = args.max_concurrent.is_some() || args.total_completions.is_some();
    if job_flags && args.mode != "replicated-job" {
        bail!("--max-concurrent and --total-completions are for --mode replicated-job");
    }
    Ok(match args.mode.as_str() {
        "global" | "global-job" if replicas.is_some() => {
            bail!("--replicas: a {} service runs one task per node", args.mode)
        }
        "global" => ServiceMode::Global {},
        "global-job" => ServiceMode::GlobalJob {},
        "replicated-job" => {
            let max_concurrent = args.max_concurrent.unwrap_or(1);
            if args.total_completions.is_some() && replicas.is_some() {
                bail!("--replicas and --total-completions both set the runs of a job: give one");
            }
            ServiceMode::ReplicatedJob {
                max_concurrent,
                total_completions: args.total_completions.or(replicas),
            }
        }
        _ => ServiceMode::Replicated {
            replicas: replicas.unwrap_or(1),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::argv;
    use clap::Parser;
    use shoal_api::HealthCheck;

    #[derive(Parser)]
    struct Create {
        #[command(flatten)]
        args: CreateArgs,
    }

    #[derive(Parser)]
    struct Update {
        #[command(flatten)]
        args: UpdateArgs,
    }

    /// The spec `service create <line>` would send.
    fn create(line: &str) -> Result<ServiceSpec> {
        new_spec(&Create::try_parse_from(argv(&format!("create {line}")))?.args)
    }

    /// `spec` after `service update <line>`.
    fn update(spec: &ServiceSpec, line: &str) -> Result<ServiceSpec> {
        let args = Update::try_parse_from(argv(&format!("update {line}")))?.args;
        let mut spec = spec.clone();
        SpecChanges::from_update(&args)?.apply(&mut spec);
        Ok(spec)
    }

    fn base() -> ServiceSpec {
        create("--name web --image nginx:1").unwrap()
    }

    #[test]
    fn create_starts_from_shoals_defaults() {
        let spec = base();
        assert_eq!(spec.name, "web");
        assert_eq!(spec.task.container.image, "nginx:1");
        assert_eq!(spec.replicas(), Some(1));
        assert_eq!(
            spec.task.container.stop_grace_period,
            Duration::from_secs(10)
        );
        assert_eq!(spec.task.restart, Default::default());
        assert_eq!(spec.update, Default::default());
        assert_eq!(spec.task.force_update, 0);
        assert!(spec.task.container.command.is_empty());
    }

    #[test]
    fn command_and_args_take_one_element_each_and_may_start_with_a_hyphen() {
        let spec = create(
            "--name web --image busybox --command sh --command -c --args 'echo hi' --args --verbose",
        )
        .unwrap();
        assert_eq!(spec.task.container.command, ["sh", "-c"]);
        assert_eq!(spec.task.container.args, ["echo hi", "--verbose"]);
    }

    #[test]
    fn create_flags_fill_every_field() {
        let spec = create(
            "--name web --image nginx:1 --replicas 3 --env A=1 --env B=x=y --label tier=front \
             --container-label team=ops --update-parallelism 2 --update-delay 10s \
             --update-order start-first --restart-condition on-failure --restart-delay 1m30s \
             --stop-grace-period 3s",
        )
        .unwrap();
        assert_eq!(spec.replicas(), Some(3));
        assert_eq!(spec.task.container.env, ["A=1", "B=x=y"]);
        assert_eq!(spec.labels["tier"], "front");
        assert_eq!(spec.task.container.labels["team"], "ops");
        assert_eq!(spec.update.parallelism, 2);
        assert_eq!(spec.update.delay, Duration::from_secs(10));
        assert_eq!(spec.update.order, UpdateOrder::StartFirst);
        assert_eq!(spec.task.restart.condition, RestartCondition::OnFailure);
        assert_eq!(spec.task.restart.delay, Duration::from_secs(90));
        assert_eq!(
            spec.task.container.stop_grace_period,
            Duration::from_secs(3)
        );
    }

    #[test]
    fn negative_replicas_get_a_plain_message() {
        let e = create("--name web --image x --replicas -1").unwrap_err();
        assert_eq!(e.to_string(), "--replicas: replicas must be >= 0");
        let e = update(&base(), "web --replicas -3").unwrap_err();
        assert_eq!(e.to_string(), "--replicas: replicas must be >= 0");
    }

    #[test]
    fn bad_values_name_their_flag_or_field() {
        let e = create("--name web --image x --env NOVALUE").unwrap_err();
        assert_eq!(e.to_string(), "--env: expected KEY=VALUE, got \"NOVALUE\"");
        let e = create("--name web --image x --restart-delay later").unwrap_err();
        assert!(e.to_string().starts_with("--restart-delay: "), "{e}");
        let e = create("--name '' --image x").unwrap_err();
        assert_eq!(e.to_string(), "spec.name: name must not be empty");
        let e = create("--name web --image x --label shoal.x=1").unwrap_err();
        assert!(e.to_string().starts_with("spec.labels: "), "{e}");
        let e = update(&base(), "web --label-rm a=b").unwrap_err();
        assert_eq!(e.to_string(), "--label-rm: expected a KEY, got \"a=b\"");
        let e = update(&base(), "web --container-label-add nokey").unwrap_err();
        assert_eq!(
            e.to_string(),
            "--container-label-add: expected KEY=VALUE, got \"nokey\""
        );
    }

    #[test]
    fn update_changes_only_what_is_given() {
        let before = create(
            "--name web --image nginx:1 --env A=1 --env B=2 --command nginx --label keep=me",
        )
        .unwrap();
        assert_eq!(update(&before, "web").unwrap(), before);
        let after = update(
            &before,
            "web --image nginx:2 --env-rm A --env-add B=3 --env-add C=4 --label-add new=1 \
             --container-label-add c=1 --replicas 0 --update-delay 2s",
        )
        .unwrap();
        assert_eq!(after.task.container.image, "nginx:2");
        assert_eq!(after.task.container.env, ["B=3", "C=4"]);
        assert_eq!(after.task.container.command, ["nginx"]);
        assert_eq!(after.labels.len(), 2);
        assert_eq!(after.task.container.labels["c"], "1");
        assert_eq!(after.replicas(), Some(0));
        assert_eq!(after.update.delay, Duration::from_secs(2));
        assert_eq!(after.task.restart, before.task.restart);
        let relabeled = update(&after, "web --label-rm keep --container-label-rm c").unwrap();
        assert_eq!(relabeled.labels.keys().collect::<Vec<_>>(), ["new"]);
        assert!(relabeled.task.container.labels.is_empty());
    }

    #[test]
    fn update_replaces_command_and_args_and_force_bumps_the_counter() {
        let after = update(&base(), "web --command sh --command -c --args -x --force").unwrap();
        assert_eq!(after.task.container.command, ["sh", "-c"]);
        assert_eq!(after.task.container.args, ["-x"]);
        assert_eq!(after.task.force_update, 1);
        assert_eq!(update(&after, "web --force").unwrap().task.force_update, 2);
    }

    #[test]
    fn rollout_restart_and_container_flags_fill_their_fields() {
        let spec = create(
            "--name web --image x --update-failure-action rollback --update-monitor 2s \
             --update-max-failure-ratio 0.25 --rollback-parallelism 0 --rollback-delay 1s \
             --rollback-failure-action continue --rollback-monitor 3s \
             --rollback-max-failure-ratio 0.5 --rollback-order start-first \
             --restart-max-attempts 2 --restart-window 1m --stop-signal SIGUSR1 \
             -u 1000:1000 --workdir /srv --hostname box \
             --mount type=bind,src=/tmp,dst=/out --mount type=volume,src=v,dst=/data,ro",
        )
        .unwrap();
        let u = &spec.update;
        assert_eq!(u.failure_action, FailureAction::Rollback);
        assert_eq!(u.monitor, Duration::from_secs(2));
        assert_eq!(u.max_failure_ratio, 0.25);
        assert_eq!(
            u.parallelism, 1,
            "untouched fields keep SwarmKit's defaults"
        );
        let r = &spec.rollback;
        assert_eq!(
            (r.parallelism, r.delay, r.failure_action, r.monitor, r.order),
            (
                0,
                Duration::from_secs(1),
                FailureAction::Continue,
                Duration::from_secs(3),
                UpdateOrder::StartFirst
            )
        );
        assert_eq!(r.max_failure_ratio, 0.5);
        assert_eq!(spec.task.restart.max_attempts, 2);
        assert_eq!(spec.task.restart.window, Duration::from_secs(60));
        let c = &spec.task.container;
        assert_eq!(
            (&*c.stop_signal, &*c.user, &*c.workdir, &*c.hostname),
            ("SIGUSR1", "1000:1000", "/srv", "box")
        );
        assert_eq!(c.mounts.len(), 2);
        assert!(c.mounts[1].readonly);

        let after = update(
            &spec,
            "web --mount-rm /data --mount-add type=bind,src=/var,dst=/out --user 0",
        )
        .unwrap();
        let c = &after.task.container;
        assert_eq!(c.mounts.len(), 1);
        assert_eq!(c.mounts[0].source, "/var");
        assert_eq!(c.user, "0");
    }

    #[test]
    fn bad_rollout_values_are_refused_with_their_field() {
        let e = create("--name web --image x --rollback-failure-action rollback").unwrap_err();
        assert!(
            e.to_string().starts_with("spec.rollback.failure_action: "),
            "{e}"
        );
        let e = create("--name web --image x --update-max-failure-ratio 2").unwrap_err();
        assert!(
            e.to_string().starts_with("spec.update.max_failure_ratio: "),
            "{e}"
        );
        let e = create("--name web --image x --mount type=bind,src=rel,dst=/x").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("spec.task.container.mounts[0].source: "),
            "{e}"
        );
        let e = create("--name web --image x --restart-window soon").unwrap_err();
        assert!(e.to_string().starts_with("--restart-window: "), "{e}");
    }

    #[test]
    fn placement_and_resource_flags_fill_their_fields() {
        let spec = create(
            "--name web --image x --constraint node.role==worker              --constraint 'node.labels.zone == east' --placement-pref spread=node.labels.zone              --placement-pref spread=node.labels.rack --replicas-max-per-node 2              --reserve-cpu 0.5 --reserve-memory 64MiB --limit-cpu 1 --limit-memory 1G",
        )
        .unwrap();
        let p = &spec.task.placement;
        assert_eq!(
            p.constraints,
            ["node.role==worker", "node.labels.zone == east"]
        );
        let spreads: Vec<&str> = p.preferences.iter().map(|p| p.spread.as_str()).collect();
        assert_eq!(spreads, ["node.labels.zone", "node.labels.rack"]);
        assert_eq!(p.max_replicas_per_node, 2);
        let r = &spec.task.resources;
        assert_eq!(
            (r.reservations.cpus, r.reservations.memory),
            (0.5, 64 << 20)
        );
        assert_eq!((r.limits.cpus, r.limits.memory), (1.0, 1 << 30));

        let after = update(
            &spec,
            "web --constraint-rm node.labels.zone==east --constraint-add node.hostname!=h1              --placement-pref-rm spread=node.labels.zone --replicas-max-per-node 0              --reserve-memory 0 --limit-memory 512m",
        )
        .unwrap();
        let p = &after.task.placement;
        assert_eq!(p.constraints, ["node.role==worker", "node.hostname!=h1"]);
        assert_eq!(p.preferences.len(), 1);
        assert_eq!(p.max_replicas_per_node, 0);
        let r = &after.task.resources;
        assert_eq!((r.reservations.memory, r.limits.memory), (0, 512 << 20));
        assert_eq!(r.limits.cpus, 1.0, "untouched");
    }

    #[test]
    fn bad_placement_and_resources_name_their_flag_or_field() {
        let e = create("--name web --image x --constraint node.lables.zone==east").unwrap_err();
        assert_eq!(
            e.to_string(),
            "spec.task.placement.constraints[0]: unknown key node.lables.zone, \
             did you mean node.labels.zone?"
        );
        let e = create("--name web --image x --placement-pref zone").unwrap_err();
        assert!(e.to_string().starts_with("--placement-pref: "), "{e}");
        let e = create("--name web --image x --placement-pref spread=node.role").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("spec.task.placement.preferences[0].spread: "),
            "{e}"
        );
        let e = create("--name web --image x --reserve-memory lots").unwrap_err();
        assert!(e.to_string().starts_with("--reserve-memory: "), "{e}");
        let e = create("--name web --image x --reserve-memory 2G --limit-memory 1G").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("spec.task.resources.reservations.memory: "),
            "{e}"
        );
    }

    #[test]
    fn health_flags_set_the_check_and_update_changes_only_what_is_given() {
        let spec = create(
            "--name web --image x --health-cmd 'wget -q -O- localhost' --health-interval 2s \
             --health-timeout 1s --health-retries 4 --health-start-period 30s",
        )
        .unwrap();
        let h = spec.task.container.healthcheck.clone().unwrap();
        assert_eq!(h.test, ["CMD-SHELL", "wget -q -O- localhost"]);
        assert_eq!(
            (h.interval, h.timeout, h.retries, h.start_period),
            (
                Duration::from_secs(2),
                Duration::from_secs(1),
                4,
                Duration::from_secs(30)
            )
        );
        assert!(base().task.container.healthcheck.is_none());

        let after = update(&spec, "web --health-retries 1").unwrap();
        let h2 = after.task.container.healthcheck.unwrap();
        assert_eq!((h2.retries, &h2.test), (1, &h.test));
        let off = update(&spec, "web --no-healthcheck").unwrap();
        assert_eq!(
            off.task.container.healthcheck,
            Some(HealthCheck::disabled())
        );
        let on = update(&off, "web --health-interval 5s").unwrap();
        let h3 = on.task.container.healthcheck.unwrap();
        assert!(h3.test.is_empty(), "the image's test, with a new interval");
        assert_eq!(h3.interval, Duration::from_secs(5));
        assert!(create("--name w --image x --no-healthcheck --health-cmd true").is_err());
        let e = create("--name w --image x --health-interval soon").unwrap_err();
        assert!(e.to_string().starts_with("--health-interval: "), "{e}");
    }

    #[test]
    fn publish_flags_add_replace_and_remove_ports_by_host_port() {
        let spec = create("--name web --image x --publish 8080:80 -p 5353:53/udp").unwrap();
        let ports: Vec<String> = spec
            .task
            .container
            .ports
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(ports, ["8080:80/tcp", "5353:53/udp"]);
        let after = update(&spec, "web --publish-add 8080:81 --publish-rm 5353/udp").unwrap();
        let ports: Vec<String> = after
            .task
            .container
            .ports
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(ports, ["8080:81/tcp"]);
        let e = create("--name web --image x --publish 0:80").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("spec.task.container.ports[0].published: "),
            "{e}"
        );
        let e = create("--name web --image x --publish 80:80 --publish 80:81").unwrap_err();
        assert!(e.to_string().contains("published twice"), "{e}");
    }

    #[test]
    fn engine_option_flags_fill_and_edit_their_fields() {
        let spec = create(
            "--name web --image x --cap-add NET_ADMIN --cap-drop MKNOD \
             --sysctl net.ipv4.ip_forward=1 --ulimit nofile=1024:2048 --init --read-only \
             --add-host db:10.0.0.2 --dns 10.0.0.53 --dns-search example.com --dns-option ndots:2 \
             --group audio --log-driver json-file --log-opt max-size=1m --isolation default \
             --mount type=tmpfs,dst=/run,tmpfs-size=8m --health-start-interval 1s \
             --publish 8000-8001:80-81 -p 127.0.0.1:9000:90",
        )
        .unwrap();
        let c = &spec.task.container;
        assert_eq!(
            (&c.cap_add[..], &c.cap_drop[..]),
            (&["NET_ADMIN".to_string()][..], &["MKNOD".to_string()][..])
        );
        assert_eq!(c.sysctls["net.ipv4.ip_forward"], "1");
        assert_eq!((c.ulimits[0].soft, c.ulimits[0].hard), (1024, 2048));
        assert_eq!((c.init, c.read_only), (Some(true), true));
        assert_eq!(c.extra_hosts, ["db:10.0.0.2"]);
        assert_eq!(
            (&c.dns[..], &c.dns_search[..], &c.dns_options[..]),
            (
                &["10.0.0.53".to_string()][..],
                &["example.com".to_string()][..],
                &["ndots:2".to_string()][..]
            )
        );
        assert_eq!(c.group_add, ["audio"]);
        let log = c.logging.as_ref().unwrap();
        assert_eq!(
            (log.name.as_str(), log.options["max-size"].as_str()),
            ("json-file", "1m")
        );
        assert_eq!(c.isolation, "default");
        assert_eq!(c.mounts[0].tmpfs_size, 8 << 20);
        assert_eq!(
            c.healthcheck.as_ref().unwrap().start_interval,
            Duration::from_secs(1)
        );
        let ports: Vec<String> = c.ports.iter().map(ToString::to_string).collect();
        assert_eq!(
            ports,
            ["8000:80/tcp", "8001:81/tcp", "127.0.0.1:9000:90/tcp"]
        );

        let after = update(
            &spec,
            "web --cap-drop NET_ADMIN --sysctl-rm net.ipv4.ip_forward --ulimit-rm nofile \
             --init=false --read-only=false --host-rm db --host-add cache:10.0.0.3 \
             --dns-rm 10.0.0.53 --dns-add 10.0.0.54 --dns-search-rm example.com \
             --dns-option-rm ndots:2 --group-rm audio --group-add video --log-opt max-file=2 \
             --publish-rm 8000-8001",
        )
        .unwrap();
        let c = &after.task.container;
        assert!(c.cap_add.is_empty());
        assert_eq!(c.cap_drop, ["MKNOD", "NET_ADMIN"]);
        assert!(c.sysctls.is_empty() && c.ulimits.is_empty());
        assert_eq!((c.init, c.read_only), (Some(false), false));
        assert_eq!(c.extra_hosts, ["cache:10.0.0.3"]);
        assert_eq!(c.dns, ["10.0.0.54"]);
        assert!(c.dns_search.is_empty() && c.dns_options.is_empty());
        assert_eq!(c.group_add, ["video"]);
        assert_eq!(c.logging.as_ref().unwrap().options.len(), 2);
        assert_eq!(c.ports.len(), 1);
    }

    #[test]
    fn bad_engine_options_name_their_flag() {
        for (line, flag) in [
            ("--cap-add NET_ADMN", "--cap-add: "),
            ("--sysctl net.ipv4.ip_forward", "--sysctl: "),
            ("--ulimit nofile=2048:1024", "--ulimit: "),
            ("--ulimit nofile", "--ulimit: "),
            ("--add-host db:nowhere", "--add-host: "),
            ("--dns dns.google", "--dns: "),
            ("--dns-search 'a b'", "--dns-search: "),
            ("--isolation process", "--isolation: "),
            (
                "--mount type=tmpfs,dst=run",
                "spec.task.container.mounts[0].target: ",
            ),
            ("--publish 8000-8010:80-85", "--publish: "),
            (
                "--log-opt max-size=1m",
                "spec.task.container.logging.name: ",
            ),
        ] {
            let e = create(&format!("--name web --image x {line}"))
                .unwrap_err()
                .to_string();
            assert!(e.starts_with(flag), "{line}: {e}");
        }
        let e = update(&base(), "web --ulimit-add core")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("--ulimit-add: "), "{e}");
    }

    #[test]
    fn detach_and_timeout_exclude_each_other() {
        assert!(create("--name w --image x --detach --timeout 1m").is_err());
        let args = Create::try_parse_from(argv("create --name w --image x -d")).unwrap();
        assert!(args.args.wait.detach);
    }
}
