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
    /// Publish a container port on the node's port: PUBLISHED:TARGET[/tcp|udp] (repeatable)
    #[arg(long = "publish", short = 'p', value_name = "PORT")]
    pub publish: Vec<String>,
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
    /// Remove the port published on this host port: PUBLISHED[/tcp|udp] (repeatable)
    #[arg(long = "publish-rm", value_name = "PORT")]
    pub publish_rm: Vec<String>,
    /// Replace every task even if the spec did not change
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub template: TemplateFlags,
    #[command(flatten)]
    pub wait: WaitFlags,
}
