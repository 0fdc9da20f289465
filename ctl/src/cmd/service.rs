//! `shoalctl service ...`: create, list, inspect, update, scale, remove services and list
//! their tasks. Commands that change a service wait for it to converge unless `--detach`.

use crate::Ctx;
use crate::cmd::logs::{self, LogsArgs};
use crate::flags::service::{CreateArgs, UpdateArgs};
use crate::flags::spec::{SpecChanges, new_spec};
use crate::progress::{WaitFlags, wait_until_converged};
use crate::render::output::{Format, print_as, print_out, short_id, wire_name};
use crate::render::service::{render_service, replicas_cell};
use crate::render::table::Table;
use crate::render::task_table::{fetch_node_names, render_tasks};
use anyhow::{Result, anyhow, bail};
use clap::{Args, Subcommand};
use shoal_api::{Service, ServiceMode, Task, Timestamp};
use shoal_client::json::OrderedJson;
use shoal_client::rest::typed;
use shoal_client::write::{Written, modify_service};
use std::time::Duration;

#[derive(Subcommand, Debug)]
pub enum ServiceCommand {
    /// Create a service
    Create(Box<CreateArgs>),
    /// List services
    #[command(visible_alias = "list")]
    Ls,
    /// Show one service in detail, with its tasks
    Inspect {
        /// Service name, id or unique id prefix
        #[arg(value_name = "SERVICE")]
        service: String,
    },
    /// Change a service; flags not given leave their field as it is
    Update(Box<UpdateArgs>),
    /// Set the number of tasks of one or more services
    Scale(ScaleArgs),
    /// Go back to the spec before the last update, rolled with the rollback config
    Rollback(RollbackArgs),
    /// Remove services
    #[command(visible_alias = "remove")]
    Rm {
        /// Service names, ids or unique id prefixes
        #[arg(value_name = "SERVICE", required = true)]
        services: Vec<String>,
    },
    /// List the tasks of a service
    Ps {
        /// Service name, id or unique id prefix
        #[arg(value_name = "SERVICE")]
        service: String,
        /// Include tasks that are no longer desired to run (history)
        #[arg(short, long)]
        all: bool,
    },
    /// Print the output of a service's tasks, from every node
    Logs(LogsArgs),
}

#[derive(Args, Debug)]
pub struct RollbackArgs {
    /// Service name, id or unique id prefix
    #[arg(value_name = "SERVICE")]
    pub service: String,
    #[command(flatten)]
    pub wait: WaitFlags,
}

#[derive(Args, Debug)]
pub struct ScaleArgs {
    /// `NAME=REPLICAS` for each service to scale
    #[arg(value_name = "NAME=K", required = true)]
    pub targets: Vec<String>,
    #[command(flatten)]
    pub wait: WaitFlags,
}

pub async fn run(cmd: &ServiceCommand, ctx: &Ctx) -> Result<()> {
    match cmd {
        ServiceCommand::Create(args) => create(ctx, args).await,
        ServiceCommand::Ls => list(ctx).await,
        ServiceCommand::Inspect { service } => inspect(ctx, service).await,
        ServiceCommand::Update(args) => update(ctx, args).await,
        ServiceCommand::Scale(args) => scale(ctx, args).await,
        ServiceCommand::Rollback(args) => rollback(ctx, args).await,
        ServiceCommand::Rm { services } => remove(ctx, services).await,
        ServiceCommand::Ps { service, all } => ps(ctx, service, *all).await,
        ServiceCommand::Logs(args) => logs::run(ctx, args).await,
    }
}

async fn create(ctx: &Ctx, args: &CreateArgs) -> Result<()> {
    let wait = args.wait.wait_for()?;
    let spec = new_spec(args)?;
    let raw = ctx.client.post(&["services"], &spec).await?;
    let service: Service = typed(&raw)?;
    print_as(ctx.format, &raw, || Ok(service.id.to_string()))?;
    converge(ctx, &service, wait).await
}

async fn update(ctx: &Ctx, args: &UpdateArgs) -> Result<()> {
    let wait = args.wait.wait_for()?;
    let changes = SpecChanges::from_update(args)?;
    let written = modify_service(&ctx.client, &args.service, |spec| changes.apply(spec)).await?;
    if !written.changed {
        eprintln!(
            "Note: the spec of {} is unchanged; nothing was sent (--force replaces its tasks anyway)",
            written.service.spec.name
        );
    }
    print_as(ctx.format, &written.raw, || {
        Ok(written.service.id.to_string())
    })?;
    converge(ctx, &written.service, wait).await
}

async fn rollback(ctx: &Ctx, args: &RollbackArgs) -> Result<()> {
    let wait = args.wait.wait_for()?;
    let raw = ctx
        .client
        .post(
            &["services", &args.service, "rollback"],
            &serde_json::json!({}),
        )
        .await?;
    let service: Service = typed(&raw)?;
    print_as(ctx.format, &raw, || Ok(service.id.to_string()))?;
    converge(ctx, &service, wait).await
}

/// Waits for convergence unless `--detach`. With `-o json|yaml` stdout carries the object,
/// so progress goes to stderr.
async fn converge(ctx: &Ctx, service: &Service, wait: Option<Duration>) -> Result<()> {
    match wait {
        Some(timeout) => {
            let to_stderr = ctx.format != Format::Table;
            wait_until_converged(&ctx.client, service, timeout, to_stderr).await
        }
        None => Ok(()),
    }
}

/// `web=3` -> (`web`, 3).
pub fn parse_scale_target(raw: &str) -> Result<(String, u64)> {
    let Some((name, count)) = raw.rsplit_once('=').filter(|(n, _)| !n.is_empty()) else {
        bail!("invalid scale target {raw:?}: expected NAME=REPLICAS, like web=3");
    };
    match count.trim().parse::<i64>() {
        Ok(n) if n < 0 => bail!("invalid scale target {raw:?}: replicas must be >= 0"),
        Ok(n) => Ok((name.to_string(), n as u64)),
        Err(_) => bail!("invalid scale target {raw:?}: {count:?} is not a number of replicas"),
    }
}

async fn scale(ctx: &Ctx, args: &ScaleArgs) -> Result<()> {
    let targets = args
        .targets
        .iter()
        .map(|t| parse_scale_target(t))
        .collect::<Result<Vec<_>>>()?;
    let wait = args.wait.wait_for()?;
    let mut scaled: Vec<Written> = Vec::new();
    let mut failures = Failures::new(targets.len());
    for (name, replicas) in &targets {
        let set = |spec: &mut shoal_api::ServiceSpec| match &mut spec.mode {
            ServiceMode::ReplicatedJob {
                total_completions, ..
            } => *total_completions = Some(*replicas),
            ServiceMode::Replicated { replicas: count } => *count = *replicas,
            // No count to set: left as it is, so nothing is written, and refused below.
            ServiceMode::Global {} | ServiceMode::GlobalJob {} => {}
        };
        match modify_service(&ctx.client, name, set).await {
            Ok(written) if written.service.spec.mode.is_global() => {
                let spec = &written.service.spec;
                let why = anyhow!(
                    "{} is a {} service: it runs one task per node, so it has no replica count",
                    spec.name,
                    spec.mode.name()
                );
                failures.add(name, why)?
            }
            Ok(written) => {
                if ctx.format == Format::Table {
                    print_out(&format!("{name} scaled to {replicas}"))?;
                }
                scaled.push(written);
            }
            Err(e) => failures.add(name, e)?,
        }
    }
    if let Some(structured) = ctx.format.structured() {
        let all = scaled.iter().map(|w| w.raw.clone()).collect();
        print_out(&structured.render(&OrderedJson::Array(all))?)?;
    }
    for written in &scaled {
        converge(ctx, &written.service, wait).await?;
    }
    failures.finish("scaled")
}

async fn remove(ctx: &Ctx, services: &[String]) -> Result<()> {
    let mut removed = Vec::new();
    let mut failures = Failures::new(services.len());
    for service in services {
        match ctx.client.delete(&["services", service]).await {
            Ok(()) => {
                if ctx.format == Format::Table {
                    print_out(service)?;
                }
                removed.push(OrderedJson::String(service.clone()));
            }
            Err(e) => failures.add(service, e)?,
        }
    }
    if let Some(structured) = ctx.format.structured() {
        print_out(&structured.render(&OrderedJson::Array(removed))?)?;
    }
    failures.finish("removed")
}

/// Errors of a command that works through several services: each is reported as it
/// happens and the others still go ahead; with a single service its error is simply returned.
struct Failures {
    total: usize,
    failed: usize,
}

impl Failures {
    fn new(total: usize) -> Failures {
        Failures { total, failed: 0 }
    }

    fn add(&mut self, service: &str, err: impl Into<anyhow::Error>) -> Result<()> {
        let err = err.into();
        if self.total == 1 {
            return Err(err);
        }
        eprintln!("Error: {service}: {err:#}");
        self.failed += 1;
        Ok(())
    }

    fn finish(&self, done: &str) -> Result<()> {
        if self.failed > 0 {
            bail!(
                "{} of {} services could not be {done}",
                self.failed,
                self.total
            );
        }
        Ok(())
    }
}

async fn list(ctx: &Ctx) -> Result<()> {
    let services = ctx.client.get(&["services"], &[]).await?;
    if let Some(structured) = ctx.format.structured() {
        return print_out(&structured.render(&services)?);
    }
    let tasks: Vec<Task> = typed(&ctx.client.get(&["tasks"], &[]).await?)?;
    print_out(&render_services(&typed::<Vec<Service>>(&services)?, &tasks))
}

pub fn render_services(services: &[Service], tasks: &[Task]) -> String {
    let mut sorted: Vec<&Service> = services.iter().collect();
    sorted.sort_by(|a, b| (&a.spec.name, &a.id).cmp(&(&b.spec.name, &b.id)));
    let mut table = Table::new(&["ID", "NAME", "IMAGE", "REPLICAS", "UPDATE"]);
    for s in sorted {
        table.row(vec![
            short_id(s.id.as_str()).to_string(),
            s.spec.name.clone(),
            s.spec.task.container.image.clone(),
            replicas_cell(s, tasks),
            s.update_status
                .as_ref()
                .map_or(String::new(), |u| wire_name(&u.state)),
        ]);
    }
    table.render()
}

async fn inspect(ctx: &Ctx, reference: &str) -> Result<()> {
    let raw = ctx.client.get(&["services", reference], &[]).await?;
    if let Some(structured) = ctx.format.structured() {
        return print_out(&structured.render(&raw)?);
    }
    let service: Service = typed(&raw)?;
    let tasks: Vec<Task> = typed(
        &ctx.client
            .get(&["tasks"], &[("service", service.id.as_str())])
            .await?,
    )?;
    let nodes = fetch_node_names(&ctx.client).await?;
    let now = Timestamp::now();
    print_out(&format!(
        "{}\n{}",
        render_service(&service, &tasks, now),
        render_tasks(&tasks, &nodes, now)
    ))
}

async fn ps(ctx: &Ctx, reference: &str, all: bool) -> Result<()> {
    // Resolve the reference first: a clear "not found" beats an empty table.
    let service: Service = typed(&ctx.client.get(&["services", reference], &[]).await?)?;
    let mut query = vec![("service", service.id.as_str())];
    if all {
        query.push(("all", "true"));
    }
    let raw = ctx.client.get(&["tasks"], &query).await?;
    if let Some(structured) = ctx.format.structured() {
        return print_out(&structured.render(&raw)?);
    }
    let nodes = fetch_node_names(&ctx.client).await?;
    let tasks: Vec<Task> = typed(&raw)?;
    print_out(&render_tasks(&tasks, &nodes, Timestamp::now()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use shoal_api::fixtures::{service, task};
    use shoal_api::{TaskState, UpdateState, UpdateStatus};

    #[test]
    fn scale_targets() {
        assert_eq!(parse_scale_target("web=3").unwrap(), ("web".into(), 3));
        assert_eq!(parse_scale_target("web=0").unwrap(), ("web".into(), 0));
        for (bad, says) in [
            ("web", "expected NAME=REPLICAS"),
            ("=3", "expected NAME=REPLICAS"),
            ("web=-1", "replicas must be >= 0"),
            ("web=many", "is not a number of replicas"),
        ] {
            let e = parse_scale_target(bad).unwrap_err().to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn lists_services_with_running_over_desired() {
        let mut web = service("web", 3);
        web.update_status = Some(UpdateStatus {
            state: UpdateState::Updating,
            started_at: Default::default(),
            completed_at: None,
            message: String::new(),
            spec_version: 0,
        });
        let db = service("db", 1);
        let tasks = vec![
            task(&web, 1, TaskState::Running, TaskState::Running),
            task(&web, 2, TaskState::Running, TaskState::Running),
            task(&web, 3, TaskState::Running, TaskState::Preparing),
            task(&web, 3, TaskState::Shutdown, TaskState::Running),
            task(&db, 1, TaskState::Running, TaskState::Running),
        ];
        let expected = "\
ID             NAME   IMAGE     REPLICAS   UPDATE
db0000000000   db     nginx:1   1/1
web000000000   web    nginx:1   2/3        updating
";
        assert_eq!(render_services(&[web, db], &tasks), expected);
    }
}
