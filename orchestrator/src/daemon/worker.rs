//! Worker mode: a node that joined as a worker (or was demoted) runs only its agent. Its API
//! answers certificate holders that control requests go to a manager.

use super::serve::{Apps, serve};
use super::{Config, Site, Switch, role_change, run_until_first_ends, spawn_keeper};
use crate::identity::Identity;
use crate::pki::{CertKeeper, NodeTls};
use anyhow::Context;
use shoal_agent::{AgentConfig, HttpClients};
use shoal_api::Role;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub(super) async fn run(
    config: &Config,
    id: &Identity,
    tls: NodeTls,
    site: Site,
    shutdown: CancellationToken,
) -> anyhow::Result<Option<Switch>> {
    let http = HttpClients::new(&tls.bundle())?;
    let app = crate::http::worker_router(id.managers.clone());
    let apps = Apps {
        tls: app.clone().layer(axum::middleware::from_fn(
            crate::http::authz::require_certificate,
        )),
        local: app,
    };
    let advertise = site.advertise.clone();
    let mut tasks = JoinSet::new();
    let socket_path = serve(
        &mut tasks,
        apps,
        site,
        &tls,
        &http,
        &config.data_dir,
        &shutdown,
    )?;
    tracing::info!(node = %id.node_id, managers = ?id.managers, "running as a worker");
    let agent = AgentConfig {
        managers: id.managers.clone(),
        http: http.clone(),
        node_id: id.node_id.clone(),
        hostname: config.hostname.clone(),
        docker_host: config.docker_host.clone(),
        publish_ip: config.publish_ip,
        addr: Some(advertise),
    };
    let stop = shutdown.clone();
    tasks.spawn(async move { shoal_agent::run(agent, stop).await.context("agent") });
    let keeper = CertKeeper {
        tls,
        http,
        managers: {
            let managers = id.managers.clone();
            Box::new(move || managers.clone())
        },
        running_role: Role::Worker,
    };
    let promoted = spawn_keeper(&mut tasks, keeper, &shutdown);
    let result = run_until_first_ends(tasks, &shutdown).await;
    let _ = std::fs::remove_file(&socket_path);
    result?;
    Ok(role_change(&promoted).map(|to| Switch {
        to,
        managers: Vec::new(),
    }))
}
