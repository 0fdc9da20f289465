//! The command-line flags of `service create` and `service update` (clap definitions only).
//! Both share [`TemplateFlags`]; `flags::spec` turns either set into a spec change.

use crate::flags::health::HealthFlags;
use crate::progress::WaitFlags;
use clap::{Args, ValueEnum};
use shoal_api::{FailureAction, RestartCondition, UpdateOrder};

/// `--update-order`
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OrderFlag {
    /// Stop the old task before starting its replacement
    StopFirst,
    /// Start the replacement before stopping the old task
    StartFirst,
}

impl From<OrderFlag> for UpdateOrder {
    fn from(o: OrderFlag) -> UpdateOrder {
        match o {
            OrderFlag::StopFirst => UpdateOrder::StopFirst,
            OrderFlag::StartFirst => UpdateOrder::StartFirst,
        }
    }
}

/// `--update-failure-action`, `--rollback-failure-action`
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailureActionFlag {
    /// Stop rolling and wait for the next `service update`
    Pause,
    /// Ignore the failure and go on
    Continue,
    /// Roll back to the previous spec (updates only)
    Rollback,
}

impl From<FailureActionFlag> for FailureAction {
    fn from(a: FailureActionFlag) -> FailureAction {
        match a {
            FailureActionFlag::Pause => FailureAction::Pause,
            FailureActionFlag::Continue => FailureAction::Continue,
            FailureActionFlag::Rollback => FailureAction::Rollback,
        }
    }
}

/// `--restart-condition`
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ConditionFlag {
    /// Never restart
    None,
    /// Restart when the task exits with an error
    OnFailure,
    /// Restart whenever the task stops
    Any,
}

impl From<ConditionFlag> for RestartCondition {
    fn from(c: ConditionFlag) -> RestartCondition {
        match c {
            ConditionFlag::None => RestartCondition::None,
            ConditionFlag::OnFailure => RestartCondition::OnFailure,
            ConditionFlag::Any => RestartCondition::Any,
        }
    }
}

/// Task template and rollout flags that create and update share.
#[derive(Args, Debug, Default)]
pub struct TemplateFlags {
    /// Command to run instead of the image's entrypoint; repeat once per element
    /// (`--command sh --command -c`)
    #[arg(long = "command", value_name = "C", allow_hyphen_values = true)]
    pub command: Vec<String>,
    /// Arguments to the command; repeat once per element
    #[arg(long = "args", value_name = "A", allow_hyphen_values = true)]
    pub args: Vec<String>,
    /// Tasks updated at once (0: all at once)
    #[arg(long, value_name = "N")]
    pub update_parallelism: Option<u64>,
    /// Pause between updating batches of tasks (e.g. 10s)
    #[arg(long, value_name = "D")]
    pub update_delay: Option<String>,
    /// Whether a replacement starts before or after its old task stops
    #[arg(long, value_name = "ORDER")]
    pub update_order: Option<OrderFlag>,
    /// What to do when new tasks fail [default: pause]
    #[arg(long, value_name = "ACTION")]
    pub update_failure_action: Option<FailureActionFlag>,
    /// How long a new task is watched for failure after it starts (e.g. 5s)
    #[arg(long, value_name = "D")]
    pub update_monitor: Option<String>,
    /// Fraction of failed new tasks tolerated (0 to 1)
    #[arg(long, value_name = "F")]
    pub update_max_failure_ratio: Option<f64>,
    /// Tasks rolled back at once (0: all at once)
    #[arg(long, value_name = "N")]
    pub rollback_parallelism: Option<u64>,
    /// Pause between rolling back batches of tasks
    #[arg(long, value_name = "D")]
    pub rollback_delay: Option<String>,
    /// What to do when tasks fail during a rollback (pause or continue)
    #[arg(long, value_name = "ACTION")]
    pub rollback_failure_action: Option<FailureActionFlag>,
    /// How long a rolled back task is watched for failure after it starts
    #[arg(long, value_name = "D")]
    pub rollback_monitor: Option<String>,
    /// Fraction of failed tasks tolerated during a rollback (0 to 1)
    #[arg(long, value_name = "F")]
    pub rollback_max_failure_ratio: Option<f64>,
    /// Whether a rollback starts a task before or after stopping the one it replaces
    #[arg(long, value_name = "ORDER")]
    pub rollback_order: Option<OrderFlag>,
    /// When to restart a task that stopped
    #[arg(long, value_name = "CONDITION")]
    pub restart_condition: Option<ConditionFlag>,
    /// Pause before restarting a task (e.g. 5s)
    #[arg(long, value_name = "D")]
    pub restart_delay: Option<String>,
    /// Restarts allowed (within --restart-window if set); 0: unlimited
    #[arg(long, value_name = "N")]
    pub restart_max_attempts: Option<u64>,
    /// Window the restart attempts are counted in (e.g. 1m; 0s: no window)
    #[arg(long, value_name = "D")]
    pub restart_window: Option<String>,
    /// Signal that stops the container (e.g. SIGUSR1)
    #[arg(long, value_name = "SIGNAL")]
    pub stop_signal: Option<String>,
    /// User to run as, USER[:GROUP] (names or ids)
    #[arg(long, short = 'u', value_name = "USER")]
    pub user: Option<String>,
    /// Working directory inside the container
    #[arg(long, short = 'w', value_name = "DIR")]
    pub workdir: Option<String>,
    /// Container hostname
    #[arg(long, value_name = "NAME")]
    pub hostname: Option<String>,
    /// Time a task gets to exit after SIGTERM before it is killed (e.g. 10s)
    #[arg(long, value_name = "D")]
    pub stop_grace_period: Option<String>,
    /// At most N tasks of the service on one node (0: no limit)
    #[arg(long, value_name = "N")]
    pub replicas_max_per_node: Option<u64>,
    /// CPUs reserved for each task: a node must have them free (e.g. 0.5; 0: none)
    #[arg(long, value_name = "F")]
    pub reserve_cpu: Option<f64>,
    /// Memory reserved for each task: a node must have it free (e.g. 512MiB; 0: none)
    #[arg(long, value_name = "SIZE")]
    pub reserve_memory: Option<String>,
    /// CPUs each container may use (e.g. 1.5; 0: no limit)
    #[arg(long, value_name = "F")]
    pub limit_cpu: Option<f64>,
    /// Memory each container may use (e.g. 1G; 0: no limit)
    #[arg(long, value_name = "SIZE")]
    pub limit_memory: Option<String>,
    /// Run an init process as PID 1 that reaps zombies (--init=false: do not)
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true",
          require_equals = true)]
    pub init: Option<bool>,
    /// Mount the container's root file system read-only (--read-only=false: writable)
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true",
          require_equals = true)]
    pub read_only: Option<bool>,
    /// Log driver of the containers (json-file, local, syslog...); its options are the
    /// --log-opt given with it
    #[arg(long, value_name = "DRIVER")]
    pub log_driver: Option<String>,
    /// Log driver option (repeatable); without --log-driver, added to the current driver's
    #[arg(long = "log-opt", value_name = "K=V")]
    pub log_opt: Vec<String>,
    /// Isolation technology: only default (the others are Windows')
    #[arg(long, value_name = "ISOLATION")]
    pub isolation: Option<String>,
    #[command(flatten)]
    pub health: HealthFlags,
}

/// `service create`
#[derive(Args, Debug)]
pub struct CreateArgs {
    /// Service name
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// Image to run
    #[arg(long, value_name = "IMAGE")]
    pub image: String,
    /// Number of tasks [default: 1]; for a replicated job, the runs to complete
    #[arg(long, value_name = "K", allow_negative_numbers = true)]
    pub replicas: Option<i64>,
    /// replicated (K tasks kept running), global (one per node), replicated-job (K runs to
    /// completion) or global-job (one run per node)
    #[arg(long, value_name = "MODE", default_value = "replicated",
          value_parser = ["replicated", "global", "replicated-job", "global-job"])]
    pub mode: String,
    /// Replicated job: runs at the same time [default: 1]
    #[arg(long, value_name = "N")]
    pub max_concurrent: Option<u64>,
    /// Replicated job: successful runs to complete [default: --replicas, else --max-concurrent]
    #[arg(long, value_name = "N")]
    pub total_completions: Option<u64>,
    /// Environment variable (repeatable)
    #[arg(long = "env", value_name = "K=V")]
    pub env: Vec<String>,
    /// Service label (repeatable)
    #[arg(long = "label", value_name = "K=V")]
    pub labels: Vec<String>,
    /// Container label (repeatable)
    #[arg(long = "container-label", value_name = "K=V")]
    pub container_labels: Vec<String>,
    /// Mount: type=bind|volume,src=..,dst=..[,readonly] (repeatable)
    #[arg(long = "mount", value_name = "MOUNT")]
    pub mounts: Vec<String>,
    /// Placement constraint, e.g. node.labels.zone==east or node.role!=manager (repeatable)
    #[arg(long = "constraint", value_name = "EXPR")]
    pub constraints: Vec<String>,
    /// Placement preference spread=node.labels.KEY; repeat to nest (repeatable)
    #[arg(long = "placement-pref", value_name = "PREF")]
    pub placement_prefs: Vec<String>,
    /// Publish a container port on the node's port: [HOST_IP:]PUBLISHED:TARGET[/tcp|udp],
    /// ports or ranges of one length (8000-8010:80-90) (repeatable)
    #[arg(long = "publish", short = 'p', value_name = "PORT")]
    pub publish: Vec<String>,
    /// Add a Linux capability (NET_ADMIN, CAP_SYS_TIME, ALL) (repeatable)
    #[arg(long = "cap-add", value_name = "CAP")]
    pub cap_add: Vec<String>,
    /// Drop a Linux capability (repeatable)
    #[arg(long = "cap-drop", value_name = "CAP")]
    pub cap_drop: Vec<String>,
    /// Namespaced kernel parameter, NAME=VALUE (repeatable)
    #[arg(long = "sysctl", value_name = "K=V")]
    pub sysctl: Vec<String>,
    /// Resource limit NAME=SOFT[:HARD], e.g. nofile=1024:2048 (repeatable)
    #[arg(long = "ulimit", value_name = "ULIMIT")]
    pub ulimit: Vec<String>,
    /// Hosts entry NAME:IP (repeatable; Docker's `service create --host`, renamed as
    /// `docker run` names it because -H/--host picks the manager)
    #[arg(long = "add-host", value_name = "NAME:IP")]
    pub add_host: Vec<String>,
    /// Name server address (repeatable)
    #[arg(long = "dns", value_name = "IP")]
    pub dns: Vec<String>,
    /// DNS search domain (repeatable)
    #[arg(long = "dns-search", value_name = "DOMAIN")]
    pub dns_search: Vec<String>,
    /// Resolver option, e.g. ndots:2 (repeatable)
    #[arg(long = "dns-option", value_name = "OPT")]
    pub dns_option: Vec<String>,
    /// Supplementary group of the container's process (repeatable)
    #[arg(long = "group", value_name = "GROUP")]
    pub group: Vec<String>,
    #[command(flatten)]
    pub template: TemplateFlags,
    #[command(flatten)]
    pub wait: WaitFlags,
}

/// `service update`
#[derive(Args, Debug)]
pub struct UpdateArgs {
    /// Service name, id or unique id prefix
    #[arg(value_name = "SERVICE")]
    pub service: String,
    /// Image to run
    #[arg(long, value_name = "IMAGE")]
    pub image: Option<String>,
    /// Number of tasks
    #[arg(long, value_name = "K", allow_negative_numbers = true)]
    pub replicas: Option<i64>,
    /// Add or replace an environment variable (repeatable)
    #[arg(long = "env-add", value_name = "K=V")]
    pub env_add: Vec<String>,
    /// Remove an environment variable (repeatable)
    #[arg(long = "env-rm", value_name = "K")]
    pub env_rm: Vec<String>,
    /// Add or replace a service label (repeatable)
    #[arg(long = "label-add", value_name = "K=V")]
    pub label_add: Vec<String>,
    /// Remove a service label (repeatable)
    #[arg(long = "label-rm", value_name = "K")]
    pub label_rm: Vec<String>,
    /// Add or replace a container label (repeatable)
    #[arg(long = "container-label-add", value_name = "K=V")]
    pub container_label_add: Vec<String>,
    /// Remove a container label (repeatable)
    #[arg(long = "container-label-rm", value_name = "K")]
    pub container_label_rm: Vec<String>,
    /// Add or replace a mount (by target): type=bind|volume,src=..,dst=..[,readonly]
    #[arg(long = "mount-add", value_name = "MOUNT")]
    pub mount_add: Vec<String>,
    /// Remove the mount at this container path (repeatable)
    #[arg(long = "mount-rm", value_name = "TARGET")]
    pub mount_rm: Vec<String>,
    /// Add a placement constraint (repeatable)
    #[arg(long = "constraint-add", value_name = "EXPR")]
    pub constraint_add: Vec<String>,
    /// Remove a placement constraint, as written when added (repeatable)
    #[arg(long = "constraint-rm", value_name = "EXPR")]
    pub constraint_rm: Vec<String>,
    /// Add a placement preference spread=node.labels.KEY (repeatable)
    #[arg(long = "placement-pref-add", value_name = "PREF")]
    pub placement_pref_add: Vec<String>,
    /// Remove a placement preference spread=node.labels.KEY (repeatable)
    #[arg(long = "placement-pref-rm", value_name = "PREF")]
    pub placement_pref_rm: Vec<String>,
    /// Add or replace a published port (by host port): PUBLISHED:TARGET[/tcp|udp]
    #[arg(long = "publish-add", value_name = "PORT")]
    pub publish_add: Vec<String>,
    /// Remove the ports published on these host ports: PUBLISHED[-END][/tcp|udp] (repeatable)
    #[arg(long = "publish-rm", value_name = "PORT")]
    pub publish_rm: Vec<String>,
    /// Add a Linux capability (and stop dropping it) (repeatable)
    #[arg(long = "cap-add", value_name = "CAP")]
    pub cap_add: Vec<String>,
    /// Drop a Linux capability (and stop adding it) (repeatable)
    #[arg(long = "cap-drop", value_name = "CAP")]
    pub cap_drop: Vec<String>,
    /// Add or replace a kernel parameter NAME=VALUE (repeatable)
    #[arg(long = "sysctl-add", value_name = "K=V")]
    pub sysctl_add: Vec<String>,
    /// Remove a kernel parameter (repeatable)
    #[arg(long = "sysctl-rm", value_name = "NAME")]
    pub sysctl_rm: Vec<String>,
    /// Add or replace a resource limit NAME=SOFT[:HARD] (repeatable)
    #[arg(long = "ulimit-add", value_name = "ULIMIT")]
    pub ulimit_add: Vec<String>,
    /// Remove a resource limit by name (repeatable)
    #[arg(long = "ulimit-rm", value_name = "NAME")]
    pub ulimit_rm: Vec<String>,
    /// Add a hosts entry NAME:IP (repeatable)
    #[arg(long = "host-add", value_name = "NAME:IP")]
    pub host_add: Vec<String>,
    /// Remove the hosts entries of NAME (NAME or NAME:IP) (repeatable)
    #[arg(long = "host-rm", value_name = "NAME")]
    pub host_rm: Vec<String>,
    /// Add a name server (repeatable)
    #[arg(long = "dns-add", value_name = "IP")]
    pub dns_add: Vec<String>,
    /// Remove a name server (repeatable)
    #[arg(long = "dns-rm", value_name = "IP")]
    pub dns_rm: Vec<String>,
    /// Add a DNS search domain (repeatable)
    #[arg(long = "dns-search-add", value_name = "DOMAIN")]
    pub dns_search_add: Vec<String>,
    /// Remove a DNS search domain (repeatable)
    #[arg(long = "dns-search-rm", value_name = "DOMAIN")]
    pub dns_search_rm: Vec<String>,
    /// Add a resolver option (repeatable)
    #[arg(long = "dns-option-add", value_name = "OPT")]
    pub dns_option_add: Vec<String>,
    /// Remove a resolver option (repeatable)
    #[arg(long = "dns-option-rm", value_name = "OPT")]
    pub dns_option_rm: Vec<String>,
    /// Add a supplementary group (repeatable)
    #[arg(long = "group-add", value_name = "GROUP")]
    pub group_add: Vec<String>,
    /// Remove a supplementary group (repeatable)
    #[arg(long = "group-rm", value_name = "GROUP")]
    pub group_rm: Vec<String>,
    /// Replace every task even if the spec did not change
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub template: TemplateFlags,
    #[command(flatten)]
    pub wait: WaitFlags,
}
