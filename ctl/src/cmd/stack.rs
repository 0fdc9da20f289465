//! `shoalctl stack deploy | ls | ps | rm`: Compose files deployed as a stack, as `docker
//! stack deploy` does. A stack is the set of services labelled
//! `com.docker.stack.namespace=<stack>`. Deploy reads and validates every file and plans
//! against the cluster before changing anything (the same plan as `apply`), removes the
//! stack's services the files no longer describe, then creates or updates the rest and waits
//! for them to converge unless `--detach`.

use crate::Ctx;
use crate::cmd::manifest::{execute, refused, say};
use crate::progress::WaitFlags;
use crate::render::output::{print_as, print_out};
use crate::render::table::Table;
use crate::render::task_table::{fetch_node_names, render_tasks};
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use shoal_api::{Service, Task, Timestamp};
use shoal_client::json::OrderedJson;
use shoal_client::rest::typed;
use shoal_manifest::{NAMESPACE_LABEL, Variables, load, load_stack, plan, read_env_file};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Subcommand, Debug)]
pub enum StackCommand {
    /// Deploy a stack from Compose files, or update it (removing services dropped from them)
    #[command(visible_alias = "up")]
    Deploy(DeployArgs),
    /// List stacks and their service counts
    #[command(visible_alias = "list")]
    Ls,
    /// List the tasks of a stack
    Ps {
        /// Stack name
        stack: String,
    },
    /// Remove a stack's services
    #[command(visible_alias = "remove")]
    Rm {
        /// Stack names
        #[arg(required = true)]
        stacks: Vec<String>,
    },
}

#[derive(Args, Debug)]
pub struct DeployArgs {
    /// Compose file, or - for stdin; repeat to override the first with the next
    #[arg(
        short = 'c',
        long = "compose-file",
        value_name = "FILE",
        required = true
    )]
    pub files: Vec<PathBuf>,
    /// Variables for ${VAR} interpolation, below the environment [default: .env beside the
    /// first compose file, if there is one]
    #[arg(long = "env-file", value_name = "FILE")]
    pub env_file: Option<PathBuf>,
    /// Stack name: services are named <stack>_<service>
    pub stack: String,
    #[command(flatten)]
    pub wait: WaitFlags,
}

pub async fn run(cmd: &StackCommand, ctx: &Ctx) -> Result<()> {
    match cmd {
        StackCommand::Deploy(args) => deploy(ctx, args).await,
        StackCommand::Ls => ls(ctx).await,
        StackCommand::Ps { stack } => ps(ctx, stack).await,
        StackCommand::Rm { stacks } => {
            for stack in stacks {
                rm(ctx, stack).await?;
            }
            Ok(())
        }
    }
}

/// The stack a service belongs to, if any.
fn namespace(service: &Service) -> Option<&str> {
    service.spec.labels.get(NAMESPACE_LABEL).map(String::as_str)
}

fn members<'a>(services: &'a [Service], stack: &str) -> Vec<&'a Service> {
    services
        .iter()
        .filter(|s| namespace(s) == Some(stack))
        .collect()
}

/// The directory relative bind sources are resolved against: the first file's, as Docker.
fn project_dir(first: &Path) -> Result<PathBuf> {
    let dir = match first.parent() {
        Some(dir) if first.as_os_str() != "-" && !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::canonicalize(&dir).with_context(|| format!("cannot resolve {}", dir.display()))
}

/// The variables to interpolate with: `environment` over the `--env-file` (which must
/// exist) or else the project directory's `.env` (if any), as Docker merges them.
fn variables(
    env_file: Option<&Path>,
    dir: &Path,
    environment: Variables,
) -> Result<Variables, shoal_manifest::ManifestError> {
    let default = dir.join(".env");
    let file = match env_file {
        Some(file) => Some(file.to_path_buf()),
        None => default.is_file().then_some(default),
    };
    let mut vars = Variables::new();
    if let Some(file) = file {
        vars.extend(read_env_file(&file, &environment)?);
    }
    vars.extend(environment);
    Ok(vars)
}

async fn deploy(ctx: &Ctx, args: &DeployArgs) -> Result<()> {
    let wait = args.wait.wait_for()?;
    if args.stack.is_empty() || args.stack.contains('_') {
        bail!(
            "stack name {:?} must be non-empty and contain no _",
            args.stack
        );
    }
    let sources = load(&args.files)?;
    let dir = project_dir(&args.files[0])?;
    let vars = variables(args.env_file.as_deref(), &dir, std::env::vars().collect())
        .map_err(|e| refused(vec![e], "nothing was deployed"))?;
    let stack = load_stack(&args.stack, &sources, &dir, &vars)
        .map_err(|e| refused(e, "nothing was deployed"))?;
    for warning in &stack.warnings {
        eprintln!("{warning}");
    }
    let current: Vec<Service> = typed(&ctx.client.get(&["services"], &[]).await?)?;
    let wanted: Vec<String> = stack.services.iter().map(|m| m.spec.name.clone()).collect();
    let planned = plan(stack.services, &current).map_err(|e| refused(e, "nothing was deployed"))?;
    for service in members(&current, &args.stack) {
        if !wanted.contains(&service.spec.name) {
            ctx.client
                .delete(&["services", service.id.as_str()])
                .await
                .with_context(|| format!("cannot remove {}", service.spec.name))?;
            say(ctx, &format!("{} removed", service.spec.name))?;
        }
    }
    execute(ctx, &planned, wait).await
}

async fn ls(ctx: &Ctx) -> Result<()> {
    let services: Vec<Service> = typed(&ctx.client.get(&["services"], &[]).await?)?;
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    for s in &services {
        if let Some(stack) = namespace(s) {
            *counts.entry(stack).or_default() += 1;
        }
    }
    let raw = OrderedJson::Array(
        counts
            .iter()
            .map(|(name, n)| {
                OrderedJson::object([
                    ("name", OrderedJson::String(name.to_string())),
                    ("services", OrderedJson::Number((*n).into())),
                ])
            })
            .collect(),
    );
    print_as(ctx.format, &raw, || Ok(render_stacks(&counts)))
}

fn render_stacks(counts: &BTreeMap<&str, u64>) -> String {
    let mut table = Table::new(&["NAME", "SERVICES"]);
    for (name, n) in counts {
        table.row(vec![name.to_string(), n.to_string()]);
    }
    table.render()
}

async fn ps(ctx: &Ctx, stack: &str) -> Result<()> {
    let services: Vec<Service> = typed(&ctx.client.get(&["services"], &[]).await?)?;
    let ids: Vec<&str> = members(&services, stack)
        .iter()
        .map(|s| s.id.as_str())
        .collect();
    if ids.is_empty() {
        bail!("nothing found in stack {stack}");
    }
    let all: Vec<OrderedJson> = match ctx.client.get(&["tasks"], &[]).await? {
        OrderedJson::Array(items) => items,
        other => bail!("unexpected task list: {}", other.pretty()?),
    };
    let mut raw = Vec::new();
    let mut tasks = Vec::new();
    for item in all {
        let task: Task = typed(&item)?;
        if ids.contains(&task.service_id.as_str()) {
            raw.push(item);
            tasks.push(task);
        }
    }
    let raw = OrderedJson::Array(raw);
    let nodes = match ctx.format.structured() {
        Some(_) => Default::default(),
        None => fetch_node_names(&ctx.client).await?,
    };
    print_as(ctx.format, &raw, || {
        Ok(render_tasks(&tasks, &nodes, Timestamp::now()))
    })
}

async fn rm(ctx: &Ctx, stack: &str) -> Result<()> {
    let services: Vec<Service> = typed(&ctx.client.get(&["services"], &[]).await?)?;
    let members = members(&services, stack);
    if members.is_empty() {
        bail!("nothing found in stack {stack}");
    }
    for service in members {
        ctx.client
            .delete(&["services", service.id.as_str()])
            .await
            .with_context(|| format!("cannot remove {}", service.spec.name))?;
        print_out(&format!("Removing service {}", service.spec.name))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::argv;
    use clap::Parser;

    #[derive(Parser, Debug)]
    struct Cli {
        #[command(subcommand)]
        stack: StackCommand,
    }

    fn parse(line: &str) -> Result<StackCommand, clap::Error> {
        Cli::try_parse_from(argv(&format!("stack {line}"))).map(|c| c.stack)
    }

    #[test]
    fn deploy_takes_several_files_a_name_and_the_wait_flags() {
        let StackCommand::Deploy(args) = parse("deploy -c a.yml -c b.yml shop -d").unwrap() else {
            panic!("expected deploy");
        };
        assert_eq!(args.files, [PathBuf::from("a.yml"), PathBuf::from("b.yml")]);
        assert_eq!(args.stack, "shop");
        assert!(args.wait.detach);
        assert!(parse("deploy shop").is_err(), "a compose file is required");
        assert!(
            parse("deploy -c a.yml").is_err(),
            "a stack name is required"
        );
        assert!(parse("rm").is_err());
        let StackCommand::Deploy(args) = parse("deploy -c a.yml --env-file prod.env shop").unwrap()
        else {
            panic!("expected deploy");
        };
        assert_eq!(args.env_file, Some(PathBuf::from("prod.env")));
    }

    #[test]
    fn the_environment_wins_over_the_env_file() {
        let dir = std::env::temp_dir().join(format!("shoalctl-env-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let env: Variables = [("A".to_string(), "from_env".to_string())].into();
        assert_eq!(
            variables(None, &dir, env.clone()).unwrap(),
            env,
            "no .env: only the environment"
        );
        std::fs::write(
            dir.join(".env"),
            "A=from_dotenv
B=${A}-b
",
        )
        .unwrap();
        std::fs::write(
            dir.join("other.env"),
            "C=3
",
        )
        .unwrap();
        let vars = variables(None, &dir, env.clone()).unwrap();
        assert_eq!(vars["A"], "from_env");
        assert_eq!(vars["B"], "from_env-b");
        let vars = variables(Some(&dir.join("other.env")), &dir, env.clone()).unwrap();
        assert_eq!(vars.get("B"), None, "--env-file replaces .env");
        assert_eq!(vars["C"], "3");
        let e = variables(Some(&dir.join("nope.env")), &dir, env).unwrap_err();
        assert!(
            e.to_string().contains("nope.env: cannot read the file"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_project_directory_is_the_first_files() {
        let here = std::fs::canonicalize(".").unwrap();
        assert_eq!(project_dir(Path::new("compose.yml")).unwrap(), here);
        assert_eq!(project_dir(Path::new("-")).unwrap(), here);
        assert_eq!(
            project_dir(Path::new("src/x.yml")).unwrap(),
            here.join("src")
        );
        assert!(project_dir(Path::new("/no/such/dir/c.yml")).is_err());
    }
}
