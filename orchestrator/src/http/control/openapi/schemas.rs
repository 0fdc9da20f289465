//! JSON Schemas (OpenAPI 3.1 dialect) of the objects the API reads and writes, kept by hand
//! beside the document. `tests.rs` serializes real values of every kind and validates them
//! here, both ways: a serialized field the schema lacks fails, and so does a schema property
//! no real value has.

use serde_json::{Map, Value, json};

/// A closed object: these properties, `required` among them, nothing else.
fn object(required: &[&str], props: Vec<(&str, Value)>) -> Value {
    let props: Map<String, Value> = props.into_iter().map(|(k, v)| (k.into(), v)).collect();
    json!({ "type": "object", "required": required, "properties": props, "additionalProperties": false })
}

fn described(mut schema: Value, text: &str) -> Value {
    schema["description"] = text.into();
    schema
}

fn string(text: &str) -> Value {
    described(json!({ "type": "string" }), text)
}

fn count(text: &str) -> Value {
    described(
        json!({ "type": "integer", "minimum": 0, "maximum": u64::MAX }),
        text,
    )
}

/// An integer within `min..=max`, as validation requires.
fn bounded(min: u64, max: u64, text: &str) -> Value {
    described(
        json!({ "type": "integer", "minimum": min, "maximum": max }),
        text,
    )
}

fn boolean(text: &str) -> Value {
    described(json!({ "type": "boolean" }), text)
}

fn strings(text: &str) -> Value {
    described(
        json!({ "type": "array", "items": { "type": "string" } }),
        text,
    )
}

fn labels(text: &str) -> Value {
    described(
        json!({ "type": "object", "additionalProperties": { "type": "string" } }),
        text,
    )
}

fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn list_of(name: &str) -> Value {
    json!({ "type": "array", "items": reference(name) })
}

fn one_of_strings(values: &[&str], text: &str) -> Value {
    described(json!({ "type": "string", "enum": values }), text)
}

/// Written as `10s` or `1m30s`; read from such a string or from a number of seconds.
fn duration(text: &str) -> Value {
    described(
        json!({
            "oneOf": [
                { "type": "string", "pattern": "^\\s*([0-9]+|([0-9]+\\s*(ns|us|ms|s|m|h|d|w)\\s*)+)\\s*$" },
                { "type": "integer", "minimum": 0, "maximum": u64::MAX },
            ]
        }),
        &format!("{text} (a duration such as `10s` or `1m30s`; a number means seconds)"),
    )
}

fn timestamp(text: &str) -> Value {
    described(json!({ "type": "string", "format": "date-time" }), text)
}

/// `id`, `version`, `created_at`, `updated_at`, then the kind's own fields.
fn stored(required: &[&str], own: Vec<(&str, Value)>) -> Value {
    let mut props = vec![
        ("id", string("The object's id (25 base-36 characters)")),
        (
            "version",
            count("Raft index of the last write; send it back with an update"),
        ),
        ("created_at", timestamp("When the object was created")),
        ("updated_at", timestamp("When the object last changed")),
    ];
    props.extend(own);
    let mut all = vec!["id", "version", "created_at", "updated_at"];
    all.extend(required);
    object(&all, props)
}

const TASK_STATES: &[&str] = &[
    "new",
    "pending",
    "assigned",
    "accepted",
    "preparing",
    "ready",
    "starting",
    "running",
    "complete",
    "shutdown",
    "failed",
    "rejected",
    "remove",
    "orphaned",
];

/// Every schema by name, for `components.schemas`.
pub fn all() -> Map<String, Value> {
    let mut m = Map::new();
    let mut put = |name: &str, schema: Value| {
        m.insert(name.into(), schema);
    };
    put(
        "Error",
        object(
            &["error"],
            vec![(
                "error",
                object(
                    &["code", "message"],
                    vec![
                        (
                            "code",
                            string(
                                "Machine-readable: invalid_argument, not_found, conflict, unavailable, unauthenticated, permission_denied, method_not_allowed, ...",
                            ),
                        ),
                        ("message", string("What went wrong, for people")),
                        (
                            "field",
                            string("The request field at fault (`spec.mode.replicated.replicas`)"),
                        ),
                    ],
                ),
            )],
        ),
    );
    put(
        "Version",
        object(
            &["version", "api_version", "os", "arch", "role"],
            vec![
                ("version", string("shoald's version")),
                ("api_version", string("The REST API's version (`v1`)")),
                ("os", string("Operating system shoald was built for")),
                ("arch", string("CPU architecture shoald was built for")),
                (
                    "role",
                    one_of_strings(&["manager", "worker"], "The answering node's role"),
                ),
                (
                    "leader",
                    boolean("Whether the answering manager leads the cluster (managers only)"),
                ),
            ],
        ),
    );
    put(
        "Service",
        stored(
            &["spec", "spec_version"],
            vec![
                ("spec", reference("ServiceSpec")),
                ("spec_version", count("Counts the changes of `spec`")),
                (
                    "rolled_back",
                    boolean("The current spec came from a rollback (absent when false)"),
                ),
                (
                    "previous_spec",
                    described(reference("ServiceSpec"), "The spec before the last update"),
                ),
                ("update_status", reference("UpdateStatus")),
            ],
        ),
    );
    put(
        "ServiceSpec",
        object(
            &["name", "task"],
            vec![
                (
                    "name",
                    described(
                        json!({ "type": "string", "minLength": 1, "maxLength": 63, "pattern": "^[A-Za-z0-9][A-Za-z0-9_-]*$" }),
                        "Unique service name: letters, digits, '-' and '_', starting with a letter or digit",
                    ),
                ),
                ("labels", labels("Service labels")),
                ("task", reference("TaskTemplate")),
                ("mode", reference("ServiceMode")),
                ("update", reference("UpdateConfig")),
                ("rollback", reference("UpdateConfig")),
            ],
        ),
    );
    put(
        "ServiceMode",
        json!({
            "description": "How many tasks run, and whether they run for good or to completion (default: 1 replica)",
            "oneOf": [
                object(&["replicated"], vec![("replicated", object(&["replicas"], vec![("replicas", bounded(0, 100_000, "Tasks kept running"))]))]),
                object(&["global"], vec![("global", object(&[], vec![]))]),
                object(&["replicated_job"], vec![("replicated_job", object(&[], vec![
                    ("max_concurrent", count("Runs at a time (default 1)")),
                    ("total_completions", described(json!({ "type": ["integer", "null"], "minimum": 0 }), "Successful runs wanted (default: max_concurrent)")),
                ]))]),
                object(&["global_job"], vec![("global_job", object(&[], vec![]))]),
            ]
        }),
    );
    put(
        "TaskTemplate",
        object(
            &["container"],
            vec![
                ("container", reference("ContainerSpec")),
                ("restart", reference("RestartPolicy")),
                ("placement", reference("Placement")),
                ("resources", reference("Resources")),
                (
                    "force_update",
                    count("Bumped by `service update --force` to redeploy an unchanged spec"),
                ),
            ],
        ),
    );
    put(
        "ContainerSpec",
        object(
            &["image"],
            vec![
                (
                    "image",
                    described(
                        json!({ "type": "string", "pattern": "^\\S+$" }),
                        "Image reference, without whitespace",
                    ),
                ),
                ("command", strings("Overrides the image's entrypoint")),
                ("args", strings("Arguments passed to the command")),
                (
                    "env",
                    described(
                        json!({ "type": "array", "items": { "type": "string", "pattern": "^[^=]+=" } }),
                        "`KEY=VALUE` entries",
                    ),
                ),
                ("labels", labels("Container labels beside Shoal's own")),
                ("user", string("`USER[:GROUP]`")),
                ("workdir", string("Absolute working directory")),
                ("hostname", string("Container hostname")),
                ("mounts", list_of("Mount")),
                (
                    "stop_signal",
                    string("Signal that asks the container to stop"),
                ),
                (
                    "stop_grace_period",
                    duration("Time between the stop signal and SIGKILL (default 10s)"),
                ),
                (
                    "healthcheck",
                    json!({ "oneOf": [reference("HealthCheck"), { "type": "null" }] }),
                ),
                ("ports", list_of("PortConfig")),
            ],
        ),
    );
    put(
        "Mount",
        object(
            &["type", "source", "target"],
            vec![
                ("type", one_of_strings(&["bind", "volume"], "Mount type")),
                ("source", string("Host path (bind) or volume name (volume)")),
                ("target", string("Absolute path inside the container")),
                ("readonly", boolean("Mounted read-only")),
            ],
        ),
    );
    put(
        "HealthCheck",
        object(
            &[],
            vec![
                (
                    "test",
                    strings("`[\"CMD-SHELL\", cmd]`, `[\"CMD\", bin, args...]` or `[\"NONE\"]`"),
                ),
                ("interval", duration("Time between probes")),
                ("timeout", duration("Time a probe may take")),
                (
                    "retries",
                    count("Consecutive failures that make it unhealthy"),
                ),
                (
                    "start_period",
                    duration("Time after start when failures do not count"),
                ),
            ],
        ),
    );
    put(
        "PortConfig",
        object(
            &["published", "target"],
            vec![
                ("published", count("Port on the node")),
                ("target", count("Port inside the container")),
                ("protocol", one_of_strings(&["tcp", "udp"], "Default tcp")),
            ],
        ),
    );
    put(
        "Placement",
        object(
            &[],
            vec![
                (
                    "constraints",
                    strings("`KEY==VALUE` or `KEY!=VALUE`; a node must satisfy all"),
                ),
                (
                    "preferences",
                    described(
                        json!({ "type": "array", "items": object(&["spread"], vec![("spread", string("`node.labels.<key>` or `engine.labels.<key>`"))]) }),
                        "Spread tasks over the values of labels",
                    ),
                ),
                (
                    "max_replicas_per_node",
                    count("At most this many tasks per node; 0: no limit"),
                ),
            ],
        ),
    );
    put(
        "Resources",
        object(
            &[],
            vec![
                ("reservations", reference("Amounts")),
                ("limits", reference("Amounts")),
            ],
        ),
    );
    put(
        "Amounts",
        object(
            &[],
            vec![
                (
                    "cpus",
                    described(
                        json!({ "type": "number", "minimum": 0 }),
                        "CPUs, fractions allowed",
                    ),
                ),
                (
                    "memory",
                    described(
                        json!({ "type": ["string", "integer"] }),
                        "Bytes, written `512MiB`; a number means bytes",
                    ),
                ),
            ],
        ),
    );
    put(
        "RestartPolicy",
        object(
            &[],
            vec![
                (
                    "condition",
                    one_of_strings(&["none", "on-failure", "any"], "Default any"),
                ),
                ("delay", duration("Wait before a restart (default 5s)")),
                ("max_attempts", count("Restarts allowed; 0: unlimited")),
                ("window", duration("Window attempts are counted in")),
            ],
        ),
    );
    put(
        "UpdateConfig",
        object(
            &[],
            vec![
                ("parallelism", count("Slots replaced at once; 0: all")),
                ("delay", duration("Pause between batches")),
                (
                    "failure_action",
                    one_of_strings(&["pause", "continue", "rollback"], "Default pause"),
                ),
                (
                    "monitor",
                    duration("How long a new task must run to count as a success"),
                ),
                (
                    "max_failure_ratio",
                    described(
                        json!({ "type": "number", "minimum": 0, "maximum": 1 }),
                        "Failures tolerated, as a fraction of the slots updated",
                    ),
                ),
                (
                    "order",
                    one_of_strings(&["stop-first", "start-first"], "Default stop-first"),
                ),
            ],
        ),
    );
    put(
        "UpdateStatus",
        object(
            &["state", "started_at", "spec_version"],
            vec![
                (
                    "state",
                    one_of_strings(
                        &[
                            "updating",
                            "paused",
                            "completed",
                            "rollback_started",
                            "rollback_paused",
                            "rollback_completed",
                        ],
                        "Rollout state",
                    ),
                ),
                ("started_at", timestamp("When the rollout started")),
                ("completed_at", timestamp("When it completed")),
                ("message", string("Why it paused, rolled back or completed")),
                ("spec_version", count("The service spec_version it is for")),
            ],
        ),
    );
    put(
        "TaskState",
        one_of_strings(TASK_STATES, "Task states, in the only order they move"),
    );
    put(
        "Task",
        stored(
            &[
                "service_id",
                "service_name",
                "slot",
                "spec",
                "desired_state",
                "status",
            ],
            vec![
                ("service_id", string("The task's service")),
                ("service_name", string("The service's name")),
                ("slot", count("Replica slot from 1; 0 for global tasks")),
                ("node_id", string("The node it is assigned to")),
                ("spec", reference("TaskTemplate")),
                ("desired_state", reference("TaskState")),
                ("status", reference("TaskStatus")),
                (
                    "restarts",
                    described(
                        json!({ "type": "array", "items": { "type": "string", "format": "date-time" } }),
                        "Recent restarts of its slot under this spec",
                    ),
                ),
            ],
        ),
    );
    put(
        "TaskStatus",
        object(
            &["state", "timestamp"],
            vec![
                ("state", reference("TaskState")),
                ("timestamp", timestamp("When the state was observed")),
                ("message", string("What happened")),
                ("err", string("Why it failed")),
                ("container_id", string("Docker container id")),
                (
                    "exit_code",
                    described(json!({ "type": "integer" }), "The container's exit code"),
                ),
                ("started_at", timestamp("When the container started")),
            ],
        ),
    );
    put(
        "Node",
        stored(
            &["spec", "role", "description", "status"],
            vec![
                ("spec", reference("NodeSpec")),
                ("role", one_of_strings(&["manager", "worker"], "Node role")),
                ("description", reference("NodeDescription")),
                ("status", reference("NodeStatus")),
                ("manager_status", reference("ManagerStatus")),
            ],
        ),
    );
    put(
        "NodeSpec",
        object(
            &[],
            vec![
                (
                    "availability",
                    one_of_strings(&["active", "pause", "drain"], "Default active"),
                ),
                ("labels", labels("Node labels (for constraints)")),
            ],
        ),
    );
    put(
        "NodeDescription",
        object(
            &["hostname", "cpus", "memory_bytes", "engine_version"],
            vec![
                ("hostname", string("The node's hostname")),
                ("cpus", count("CPUs")),
                ("memory_bytes", count("Memory")),
                ("engine_version", string("Docker engine version")),
                ("engine_labels", labels("Docker engine labels")),
                (
                    "platform",
                    object(
                        &[],
                        vec![
                            ("os", string("OS of the engine (`linux`)")),
                            (
                                "architecture",
                                string("Architecture of the engine (`x86_64`)"),
                            ),
                        ],
                    ),
                ),
            ],
        ),
    );
    put(
        "NodeStatus",
        object(
            &["state", "timestamp"],
            vec![
                (
                    "state",
                    one_of_strings(&["unknown", "down", "ready", "disconnected"], "Node state"),
                ),
                ("message", string("Why")),
                ("addr", string("Address the node serves on")),
                ("timestamp", timestamp("When the state was observed")),
            ],
        ),
    );
    put(
        "ManagerStatus",
        object(
            &["leader", "reachability", "addr", "raft_id"],
            vec![
                ("leader", boolean("Whether this manager leads")),
                (
                    "reachability",
                    one_of_strings(&["reachable", "unreachable"], "As the leader sees it"),
                ),
                ("addr", string("Raft address")),
                ("raft_id", count("Raft member id")),
            ],
        ),
    );
    put(
        "Cluster",
        object(
            &[
                "id",
                "version",
                "created_at",
                "updated_at",
                "spec",
                "join_tokens",
            ],
            vec![
                ("id", string("The cluster's id")),
                ("version", count("Send it back with an update")),
                ("created_at", timestamp("When the cluster was created")),
                ("updated_at", timestamp("When its settings last changed")),
                ("spec", reference("ClusterSpec")),
                (
                    "join_tokens",
                    object(
                        &["worker", "manager"],
                        vec![
                            ("worker", string("Token to join as a worker")),
                            ("manager", string("Token to join as a manager")),
                        ],
                    ),
                ),
                ("root_ca_pem", string("The cluster CA certificate (PEM)")),
            ],
        ),
    );
    put(
        "ClusterSpec",
        object(
            &["name"],
            vec![
                ("name", string("Cluster name")),
                (
                    "task_history_limit",
                    bounded(0, 1000, "Old tasks kept per slot (default 5)"),
                ),
                (
                    "heartbeat_period_secs",
                    bounded(1, 600, "Agent heartbeat period in seconds (default 5)"),
                ),
                (
                    "snapshot_interval",
                    bounded(
                        10,
                        1_000_000,
                        "Raft log entries between snapshots (default 10000)",
                    ),
                ),
                (
                    "node_cert_expiry",
                    duration("Node certificate lifetime (default 90 days)"),
                ),
                (
                    "rebalance",
                    boolean("Spread services back over returning nodes"),
                ),
            ],
        ),
    );
    put(
        "ServiceUpdate",
        object(
            &["version", "spec"],
            vec![
                (
                    "version",
                    count("The service version the new spec is based on"),
                ),
                ("spec", reference("ServiceSpec")),
            ],
        ),
    );
    put(
        "NodeUpdate",
        object(
            &["version", "spec"],
            vec![
                (
                    "version",
                    count("The node version the new spec is based on"),
                ),
                ("spec", reference("NodeSpec")),
            ],
        ),
    );
    put(
        "ClusterUpdate",
        object(
            &["version", "spec"],
            vec![
                (
                    "version",
                    count("The cluster version the new spec is based on"),
                ),
                ("spec", reference("ClusterSpec")),
            ],
        ),
    );
    put(
        "ClientBundleRequest",
        object(
            &[],
            vec![(
                "name",
                described(
                    json!({ "type": ["string", "null"], "maxLength": 64, "pattern": "^[\\x20-\\x7e]*[\\x21-\\x7e][\\x20-\\x7e]*$" }),
                    "Common name of the certificate, printable ASCII (default: `shoalctl`)",
                ),
            )],
        ),
    );
    put(
        "JoinRequest",
        object(
            &["token", "hostname", "csr"],
            vec![
                (
                    "token",
                    described(
                        json!({ "type": "string", "pattern": "^SWMTKN-1-[0-9a-z]+-[0-9a-z]+$" }),
                        "The cluster's worker or manager join token; it decides the role",
                    ),
                ),
                (
                    "hostname",
                    described(
                        json!({ "type": "string", "pattern": "\\S" }),
                        "The joining node's hostname",
                    ),
                ),
                (
                    "addr",
                    described(
                        json!({ "type": ["string", "null"] }),
                        "Address the joining node serves on (managers)",
                    ),
                ),
                (
                    "csr",
                    string("A PEM certificate signing request for the node's own key"),
                ),
            ],
        ),
    );
    put(
        "RotateJoinToken",
        object(
            &["role"],
            vec![(
                "role",
                one_of_strings(&["worker", "manager"], "Whose token to replace"),
            )],
        ),
    );
    m
}

/// An internal message between Shoal's own processes, named but not described field by field.
pub fn internal(rust_type: &str) -> Value {
    json!({
        "type": "object",
        "description": format!("Internal message between Shoal nodes: `{rust_type}`")
    })
}
