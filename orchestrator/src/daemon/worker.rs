//! Worker mode: a node that joined as a worker (or was demoted) runs only its agent. Its API
//! answers certificate holders that control requests go to a manager. The managers it knows
//! follow what the agent hears at registration, for renewals and across restarts.

use super::serve::{Apps, serve};
use super::{Config, DaemonError, Site, Switch, role_change, run_until_first_ends, spawn_keeper};
use crate::identity::Identity;
use crate::pki::{CertKeeper, NodeTls};
use shoal_agent::{AgentConfig, Managers};
use shoal_api::Role;
use shoal_client::HttpClients;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub(super) async fn run(
    config: &Config,
    id: &Identity,
    tls: NodeTls,
    site: Site,
    shutdown: CancellationToken,
) -> Result<Option<Switch>, DaemonError> {
    let http = HttpClients::new(&tls.bundle()).map_err(DaemonError::ClientCertificate)?;
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
    let managers = Managers::new(id.managers.clone());
    tasks.spawn(remember_managers(
        config.data_dir.clone(),
        managers.clone(),
        shutdown.clone(),
    ));
    let agent = AgentConfig {
        managers: managers.clone(),
        http: http.clone(),
        node_id: id.node_id.clone(),
        hostname: config.hostname.clone(),
        docker_host: config.docker_host.clone(),
        publish_ip: config.publish_ip,
        addr: Some(advertise),
    };
    let stop = shutdown.clone();
    tasks.spawn(async move {
        shoal_agent::run(agent, stop)
            .await
            .map_err(DaemonError::Agent)
    });
    let keeper = CertKeeper {
        tls,
        http,
        managers: Box::new(move || managers.get()),
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

/// Saves the manager list into the node's identity whenever the agent hears a new one, so a
/// restarted worker starts from the managers of now, not those it joined through.
async fn remember_managers(
    data_dir: std::path::PathBuf,
    managers: Managers,
    shutdown: CancellationToken,
) -> Result<(), DaemonError> {
    let mut changes = managers.subscribe();
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            changed = changes.changed() => if changed.is_err() {
                shutdown.cancelled().await;
                return Ok(());
            },
        }
        let urls = changes.borrow_and_update().clone();
        match crate::identity::load(&data_dir) {
            Ok(Some(mut id)) if id.managers != urls => {
                id.managers = urls;
                if let Err(e) = crate::identity::save(&data_dir, &id) {
                    tracing::warn!(error = %e, "cannot save the manager list");
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "cannot read the node identity"),
        }
    }
}
