//! Serving the API: over TLS on the TCP listener (client certificates checked by
//! `http::authz`) and in the clear on the owner-only control socket. When the node's
//! certificate is renewed, the server and the node's HTTPS client switch to it at once.

use super::{DaemonError, Site};
use crate::pki::{NodeTls, server_config};
use axum_server::tls_rustls::RustlsConfig;
use shoal_client::HttpClients;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::net::UnixListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// How long open connections (assignment streams) get to finish at shutdown.
const DRAIN: Duration = Duration::from_secs(1);

pub(super) struct Apps {
    pub tls: axum::Router,
    pub local: axum::Router,
}

/// Starts both servers and the certificate follower on `tasks`; returns the socket path.
pub(super) fn serve(
    tasks: &mut JoinSet<Result<(), DaemonError>>,
    apps: Apps,
    site: Site,
    tls: &NodeTls,
    http: &HttpClients,
    data_dir: &Path,
    shutdown: &CancellationToken,
) -> Result<PathBuf, DaemonError> {
    let socket_path = shoal_client::paths::control_socket(data_dir);
    let _ = std::fs::remove_file(&socket_path);
    let unix = UnixListener::bind(&socket_path).map_err(|source| DaemonError::BindSocket {
        path: socket_path.clone(),
        source,
    })?;
    std::fs::set_permissions(&socket_path, std::fs::Permissions::from_mode(0o600))
        .map_err(DaemonError::SocketPermissions)?;

    let config = server_config(&tls.bundle()).map_err(DaemonError::ServerCertificate)?;
    let rustls = RustlsConfig::from_config(config);
    let handle = axum_server::Handle::new();
    let server = axum_server::from_tcp_rustls(site.listener, rustls.clone())
        .map_err(DaemonError::TlsListener)?
        .handle(handle.clone())
        .serve(apps.tls.into_make_service());
    tasks.spawn(async move { server.await.map_err(DaemonError::TlsServer) });
    let stop = shutdown.clone();
    tasks.spawn(async move {
        stop.cancelled().await;
        handle.graceful_shutdown(Some(DRAIN));
        Ok(())
    });

    let stop = shutdown.clone();
    tasks.spawn(async move {
        axum::serve(unix, apps.local)
            .with_graceful_shutdown(stop.cancelled_owned())
            .await
            .map_err(DaemonError::UnixServer)
    });

    tasks.spawn(follow_renewals(
        tls.clone(),
        rustls,
        http.clone(),
        shutdown.clone(),
    ));
    Ok(socket_path)
}

/// Switches the server and the client to each renewed certificate.
async fn follow_renewals(
    tls: NodeTls,
    rustls: RustlsConfig,
    http: HttpClients,
    shutdown: CancellationToken,
) -> Result<(), DaemonError> {
    let mut renewed = tls.subscribe();
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            r = renewed.changed() => if r.is_err() { return Ok(()) },
        }
        let bundle = renewed.borrow_and_update().clone();
        match server_config(&bundle) {
            Ok(config) => rustls.reload_from_config(config),
            Err(e) => tracing::error!(error = %e, "cannot use the renewed certificate to serve"),
        }
        if let Err(e) = http.replace(&bundle) {
            tracing::error!(error = %e, "cannot use the renewed certificate as a client");
        }
    }
}
