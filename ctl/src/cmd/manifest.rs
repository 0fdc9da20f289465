//! `shoalctl apply | diff | delete -f FILE|DIR|-`: services described in YAML manifests.
//! Every file is read, parsed and validated, and the plan checked against the cluster,
//! before anything is changed; a problem anywhere means nothing is applied. apply then
//! creates the missing services, updates the changed ones and waits for them to converge
//! (unless `--detach`); diff prints the plan; delete removes the services the files name
//! (a service already gone is reported, not an error).

use crate::Ctx;
use crate::progress::{WaitFlags, wait_until_converged};
use crate::render::output::{Format, print_out};
use anyhow::{Context, Result, anyhow};
use clap::Args;
use shoal_api::Service;
use shoal_client::json::OrderedJson;
use shoal_client::rest::typed;
use shoal_client::write::modify_service;
use shoal_manifest::{Action, ManifestError, Planned, load, parse_all, plan};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Args, Debug)]
pub struct FileArgs {
    /// Manifest file, directory (its *.yaml and *.yml files) or - for stdin; repeatable
    #[arg(
        short = 'f',
        long = "filename",
        value_name = "FILE|DIR|-",
        required = true
    )]
    pub files: Vec<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub files: FileArgs,
    #[command(flatten)]
    pub wait: WaitFlags,
}

/// Reads, validates and plans; any problem is an error naming each place, followed by
/// `outcome` (like "nothing was applied").
async fn planned(ctx: &Ctx, files: &FileArgs, outcome: &str) -> Result<Vec<Planned>> {
    let sources = load(&files.files)?;
    let manifests = parse_all(&sources).map_err(|e| refused(e, outcome))?;
    let current: Vec<Service> = typed(&ctx.client.get(&["services"], &[]).await?)?;
    plan(manifests, &current).map_err(|e| refused(e, outcome))
}

/// One line per problem, then what that means for the command.
pub fn refused(errors: Vec<ManifestError>, outcome: &str) -> anyhow::Error {
    let mut lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
    if !outcome.is_empty() {
        lines.push(outcome.to_string());
    }
    anyhow!("{}", lines.join("\n"))
}

/// A line for the user: stdout for tables, stderr when stdout carries JSON or YAML.
pub fn say(ctx: &Ctx, line: &str) -> Result<()> {
    if ctx.format == Format::Table {
        print_out(line)
    } else {
        eprintln!("{line}");
        Ok(())
    }
}

pub async fn apply(ctx: &Ctx, args: &ApplyArgs) -> Result<()> {
    let wait = args.wait.wait_for()?;
    let planned = planned(ctx, &args.files, "nothing was applied").await?;
    execute(ctx, &planned, wait).await
}

/// Writes a checked plan, prints what happened, then (unless `wait` is `None`) follows each
/// changed service until it converges.
pub async fn execute(ctx: &Ctx, planned: &[Planned], wait: Option<Duration>) -> Result<()> {
    let mut results = Vec::new();
    let mut to_wait = Vec::new();
    for (i, p) in planned.iter().enumerate() {
        let outcome = write(ctx, p).await.with_context(|| {
            let done: Vec<&str> = planned[..i].iter().map(Planned::name).collect();
            match done.is_empty() {
                true => format!("cannot apply {}", p.name()),
                false => format!(
                    "cannot apply {} (already applied: {})",
                    p.name(),
                    done.join(", ")
                ),
            }
        })?;
        let (raw, service, verb) = outcome;
        say(ctx, &format!("{} {verb}", p.name()))?;
        if verb != "unchanged" {
            to_wait.push(service);
        }
        results.push(raw);
    }
    if let Some(structured) = ctx.format.structured() {
        print_out(&structured.render(&OrderedJson::Array(results))?)?;
    }
    if let Some(timeout) = wait {
        for service in &to_wait {
            say(ctx, &format!("{}:", service.spec.name))?;
            let to_stderr = ctx.format != Format::Table;
            wait_until_converged(&ctx.client, service, timeout, to_stderr).await?;
        }
    }
    Ok(())
}

/// Stores one planned service: the object stored, typed, and what happened.
async fn write(ctx: &Ctx, p: &Planned) -> Result<(OrderedJson, Service, &'static str)> {
    match &p.action {
        Action::Create => {
            let raw = ctx.client.post(&["services"], &p.desired).await?;
            let service = typed(&raw)?;
            Ok((raw, service, "created"))
        }
        Action::Update { current, .. } => {
            let written = modify_service(&ctx.client, current.id.as_str(), |spec| {
                *spec = p.desired.clone()
            })
            .await?;
            let verb = if written.changed {
                "updated"
            } else {
                "unchanged"
            };
            Ok((written.raw, written.service, verb))
        }
        Action::Unchanged { current } => {
            let raw = ctx
                .client
                .get(&["services", current.id.as_str()], &[])
                .await?;
            Ok((raw, (**current).clone(), "unchanged"))
        }
    }
}

pub async fn diff(ctx: &Ctx, args: &FileArgs) -> Result<()> {
    let planned = planned(ctx, args, "").await?;
    match ctx.format.structured() {
        Some(structured) => {
            let entries = planned.iter().map(diff_entry).collect::<Result<_>>()?;
            print_out(&structured.render(&OrderedJson::Array(entries))?)
        }
        None => {
            let lines: Vec<String> = planned.iter().flat_map(Planned::render).collect();
            print_out(&lines.join("\n"))
        }
    }
}

/// `{"service": "web", "action": "update", "changes": [{"path", "old", "new"}]}`
fn diff_entry(p: &Planned) -> Result<OrderedJson> {
    let (action, changes) = match &p.action {
        Action::Create => ("create", Vec::new()),
        Action::Update { changes, .. } => ("update", changes.clone()),
        Action::Unchanged { .. } => ("unchanged", Vec::new()),
    };
    Ok(OrderedJson::object([
        ("service", OrderedJson::String(p.name().to_string())),
        ("action", OrderedJson::String(action.to_string())),
        (
            "changes",
            serde_json::from_value(serde_json::to_value(changes)?)?,
        ),
    ]))
}

pub async fn delete(ctx: &Ctx, args: &FileArgs) -> Result<()> {
    let sources = load(&args.files)?;
    let manifests = parse_all(&sources).map_err(|e| refused(e, "nothing was removed"))?;
    let current: Vec<Service> = typed(&ctx.client.get(&["services"], &[]).await?)?;
    let mut removed = Vec::new();
    for m in &manifests {
        let name = &m.spec.name;
        match current.iter().find(|s| &s.spec.name == name) {
            Some(service) => {
                ctx.client
                    .delete(&["services", service.id.as_str()])
                    .await
                    .with_context(|| format!("cannot remove {name}"))?;
                say(ctx, &format!("{name} removed"))?;
                removed.push(OrderedJson::String(name.clone()));
            }
            None => eprintln!("{name} not found (nothing to remove)"),
        }
    }
    if let Some(structured) = ctx.format.structured() {
        print_out(&structured.render(&OrderedJson::Array(removed))?)?;
    }
    Ok(())
}
