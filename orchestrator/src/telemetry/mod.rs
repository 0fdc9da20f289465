//! Prometheus metrics of a manager. Events are counted where they happen, through the
//! `metrics` facade (scheduler placements, dispatcher heartbeats and status batches); figures
//! of state (Raft, tasks by state, services, sessions) are read at scrape time in [`scrape`],
//! so they are never stale. The exporter renders both as the text exposition format.

pub mod scrape;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

pub const PLACEMENTS: &str = "shoal_scheduler_placements_total";
pub const HEARTBEATS: &str = "shoal_dispatcher_heartbeats_total";
pub const REGISTRATIONS: &str = "shoal_dispatcher_registrations_total";
pub const STATUS_BATCHES: &str = "shoal_dispatcher_status_batches_total";
pub const STATUS_REPORTS: &str = "shoal_dispatcher_status_reports_total";
pub const STATUS_UPDATES: &str = "shoal_dispatcher_status_updates_total";
pub const STATUS_BATCH_LAST: &str = "shoal_dispatcher_status_batch_size_last";
pub const CONTROLLER_PANICS: &str = "shoal_controller_panics_total";

/// The process's recorder, installed on first use (shoald calls this at start, so nothing
/// counted before the first scrape is lost).
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!(
                "a metrics recorder was already installed: /metrics shows only its own figures"
            );
        }
        describe();
        handle
    })
}

fn describe() {
    use metrics::{describe_counter, describe_gauge};
    describe_counter!(PLACEMENTS, "Tasks the scheduler assigned to a node");
    describe_counter!(HEARTBEATS, "Agent heartbeats accepted");
    describe_counter!(REGISTRATIONS, "Agent sessions opened");
    describe_counter!(STATUS_BATCHES, "Raft writes of batched task status reports");
    describe_counter!(
        STATUS_REPORTS,
        "Agent status reports merged into those batches"
    );
    describe_counter!(STATUS_UPDATES, "Task status updates in those batches");
    describe_gauge!(STATUS_BATCH_LAST, "Task status updates in the last batch");
    describe_counter!(
        CONTROLLER_PANICS,
        "Panics of leader-only controllers, each followed by a restart"
    );
    scrape::describe();
}

/// The scheduler's write of `n` placements committed.
pub fn placed(n: usize) {
    if n > 0 {
        metrics::counter!(PLACEMENTS).increment(n as u64);
    }
}

/// A controller panicked and is being restarted.
pub fn controller_panicked(controller: &'static str) {
    metrics::counter!(CONTROLLER_PANICS, "controller" => controller).increment(1);
}

pub fn heartbeat() {
    metrics::counter!(HEARTBEATS).increment(1);
}

pub fn registered() {
    metrics::counter!(REGISTRATIONS).increment(1);
}

/// One status batch: `reports` agent reports carrying `updates` task updates.
pub fn status_batch(reports: usize, updates: usize) {
    metrics::counter!(STATUS_BATCHES).increment(1);
    metrics::counter!(STATUS_REPORTS).increment(reports as u64);
    metrics::counter!(STATUS_UPDATES).increment(updates as u64);
    metrics::gauge!(STATUS_BATCH_LAST).set(updates as f64);
}
