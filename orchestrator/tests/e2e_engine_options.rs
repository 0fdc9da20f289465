//! Engine options end to end: a service created with `shoalctl --cap-add --cap-drop
//! --sysctl --ulimit --init --read-only --mount type=tmpfs --add-host --dns --dns-search
//! --dns-option --group --stop-signal --log-driver --log-opt` runs a container that `docker
//! inspect` shows with them (and that starts: the read-only root gets a tmpfs for what the
//! shell writes); a Compose stack with a port range on a host address, an anonymous volume
//! and a tmpfs does too; bad values get a 400 naming the field; and a health check's
//! `start_interval` on this engine (API 1.41) rejects the task, saying why.

mod common;

use common::*;
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

fn ok(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "shoalctl failed: {}\nstdout: {}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
}

async fn running_container(node: &Shoald, service: &str) -> anyhow::Result<Value> {
    let task = eventually(&format!("{service} running"), WAIT, || async {
        let tasks = node.tasks(service, false).await.ok()?;
        tasks
            .into_iter()
            .find(|t| t["status"]["state"] == "running")
    })
    .await?;
    Ok(docker_inspect(
        task["status"]["container_id"].as_str().unwrap(),
    ))
}

#[tokio::test]
async fn engine_option_flags_reach_docker() -> anyhow::Result<()> {
    let node = Shoald::start("engopts").await?;
    let out = node.shoalctl(&[
        "service",
        "create",
        "--name",
        "opts",
        "--image",
        IMAGE_1,
        "--cap-add",
        "NET_ADMIN",
        "--cap-drop",
        "MKNOD",
        "--sysctl",
        "net.ipv4.ip_forward=1",
        "--ulimit",
        "nofile=1024:2048",
        "--init",
        "--read-only",
        "--mount",
        "type=tmpfs,dst=/run,tmpfs-size=8m,tmpfs-mode=1777",
        "--add-host",
        "db.internal:10.0.0.2",
        "--dns",
        "10.0.0.53",
        "--dns-search",
        "example.com",
        "--dns-option",
        "ndots:2",
        "--group",
        "1234",
        "--stop-signal",
        "SIGUSR1",
        "--log-driver",
        "json-file",
        "--log-opt",
        "max-size=1m",
        "--detach",
        "--command",
        "/bin/sh",
        "--command",
        "-c",
        "--args",
        "trap 'exit 0' USR1 TERM; echo up > /run/ready; \
         while true; do sleep 1 & wait $!; done",
    ]);
    ok(&out);
    let c = running_container(&node, "opts").await?;
    let h = &c["HostConfig"];
    assert_eq!(h["CapAdd"], json!(["CAP_NET_ADMIN"]), "{h}");
    assert_eq!(h["CapDrop"], json!(["CAP_MKNOD"]));
    assert_eq!(h["Sysctls"], json!({"net.ipv4.ip_forward": "1"}));
    assert_eq!(
        h["Ulimits"],
        json!([{"Name": "nofile", "Soft": 1024, "Hard": 2048}])
    );
    assert_eq!(h["Init"], true);
    assert_eq!(h["ReadonlyRootfs"], true);
    assert_eq!(h["ExtraHosts"], json!(["db.internal:10.0.0.2"]));
    assert_eq!(h["Dns"], json!(["10.0.0.53"]));
    assert_eq!(h["DnsSearch"], json!(["example.com"]));
    assert_eq!(h["DnsOptions"], json!(["ndots:2"]));
    assert_eq!(h["GroupAdd"], json!(["1234"]));
    // (the engine adds its own default options, such as max-file, to those given)
    assert_eq!(h["LogConfig"]["Type"], "json-file");
    assert_eq!(
        h["LogConfig"]["Config"]["max-size"], "1m",
        "{}",
        h["LogConfig"]
    );
    assert_eq!(c["Config"]["StopSignal"], "SIGUSR1");
    let tmpfs = h["Mounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["Target"] == "/run")
        .unwrap_or_else(|| panic!("no tmpfs at /run: {}", h["Mounts"]));
    assert_eq!(tmpfs["Type"], "tmpfs");
    assert_eq!(
        tmpfs["TmpfsOptions"],
        json!({"SizeBytes": 8 << 20, "Mode": 0o1777})
    );
    assert_eq!(c["State"]["Running"], true, "it started: {}", c["State"]);

    // update: -rm and -add forms change what the next container gets.
    let out = node.shoalctl(&[
        "service",
        "update",
        "opts",
        "--detach",
        "--cap-drop",
        "NET_ADMIN",
        "--dns-rm",
        "10.0.0.53",
        "--dns-add",
        "10.0.0.54",
        "--host-rm",
        "db.internal",
        "--host-add",
        "cache:10.0.0.3",
        "--ulimit-rm",
        "nofile",
        "--read-only=false",
    ]);
    ok(&out);
    let id = c["Id"].as_str().unwrap().to_string();
    let c2 = eventually("the updated container", WAIT, || async {
        let c = running_container(&node, "opts").await.ok()?;
        (c["Id"] != id.as_str()).then_some(c)
    })
    .await?;
    let h = &c2["HostConfig"];
    assert_eq!(h["CapAdd"], Value::Null);
    assert_eq!(h["CapDrop"], json!(["CAP_MKNOD", "CAP_NET_ADMIN"]));
    assert_eq!(h["Dns"], json!(["10.0.0.54"]));
    assert_eq!(h["ExtraHosts"], json!(["cache:10.0.0.3"]));
    assert_eq!(h["ReadonlyRootfs"], false);
    Ok(())
}

#[tokio::test]
async fn a_stack_with_port_ranges_host_ips_anonymous_volumes_and_tmpfs() -> anyhow::Result<()> {
    let node = Shoald::start("engstack").await?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("compose.yml");
    std::fs::write(
        &file,
        format!(
            "\
services:
  web:
    image: shoal-demo:1
    command: sh -c \"trap 'exit 0' TERM; echo hi > /www/index.html; httpd -f -p 8080 -h /www & wait\"
    ports:
      - \"127.0.0.1:{port}-{next}:8080-8081\"
    volumes:
      - /data
    tmpfs:
      - /www:size=4m
    read_only: true
    init: true
    cap_drop: [NET_RAW]
    sysctls:
      net.ipv4.ip_forward: 1
    ulimits:
      nofile: {{soft: 1024, hard: 2048}}
    extra_hosts: [\"db:10.0.0.2\"]
    dns: 10.0.0.53
    logging:
      driver: json-file
      options: {{max-file: '2', max-size: 1m}}
    stop_grace_period: 2s
",
            next = port + 1
        ),
    )?;
    let out = node.shoalctl(&[
        "stack",
        "deploy",
        "-c",
        file.to_str().unwrap(),
        "eng",
        "--detach",
    ]);
    ok(&out);
    let c = running_container(&node, "eng_web").await?;
    let h = &c["HostConfig"];
    let bindings = &h["PortBindings"];
    for (target, published) in [("8080/tcp", port), ("8081/tcp", port + 1)] {
        assert_eq!(
            bindings[target],
            json!([{"HostIp": "127.0.0.1", "HostPort": published.to_string()}]),
            "{bindings}"
        );
    }
    let mounts = c["Mounts"].as_array().unwrap();
    let data = mounts
        .iter()
        .find(|m| m["Destination"] == "/data")
        .unwrap_or_else(|| panic!("no volume at /data: {mounts:?}"));
    assert_eq!(data["Type"], "volume");
    assert_eq!(
        data["Name"].as_str().unwrap().len(),
        64,
        "an anonymous volume: {data}"
    );
    let www = h["Mounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["Target"] == "/www")
        .unwrap_or_else(|| panic!("no tmpfs at /www: {}", h["Mounts"]));
    assert_eq!(www["Type"], "tmpfs");
    assert_eq!(h["ReadonlyRootfs"], true);
    assert_eq!(h["Init"], true);
    assert_eq!(h["CapDrop"], json!(["CAP_NET_RAW"]));
    assert_eq!(h["Sysctls"], json!({"net.ipv4.ip_forward": "1"}));
    assert_eq!(h["Ulimits"][0]["Hard"], 2048);
    assert_eq!(h["ExtraHosts"], json!(["db:10.0.0.2"]));
    assert_eq!(h["Dns"], json!(["10.0.0.53"]));
    assert_eq!(h["LogConfig"]["Config"]["max-file"], "2");
    // The server answers on the host address, written to the tmpfs of a read-only root.
    let body = eventually("httpd on the published host address", WAIT, || async {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
        use std::io::{Read, Write};
        s.write_all(b"GET /index.html HTTP/1.0\r\n\r\n").ok()?;
        let mut text = String::new();
        s.read_to_string(&mut text).ok()?;
        text.contains("hi").then_some(text)
    })
    .await?;
    assert!(
        body.starts_with("HTTP/1.") && body.contains("200"),
        "{body}"
    );
    ok(&node.shoalctl(&["stack", "rm", "eng"]));
    Ok(())
}

#[tokio::test]
async fn bad_engine_options_get_a_400_naming_the_field() -> anyhow::Result<()> {
    let node = Shoald::start("badeng").await?;
    for (field, value, path) in [
        (
            "cap_add",
            json!(["NET_ADMN"]),
            "spec.task.container.cap_add[0]",
        ),
        (
            "sysctls",
            json!({"net ipv4": "1"}),
            "spec.task.container.sysctls",
        ),
        (
            "ulimits",
            json!([{"name": "nofile", "soft": 10, "hard": 1}]),
            "spec.task.container.ulimits[0].soft",
        ),
        (
            "extra_hosts",
            json!(["db:10.0.0.300"]),
            "spec.task.container.extra_hosts[0]",
        ),
        ("dns", json!(["dns.google"]), "spec.task.container.dns[0]"),
        (
            "mounts",
            json!([{"type": "tmpfs", "target": "run"}]),
            "spec.task.container.mounts[0].target",
        ),
        (
            "isolation",
            json!("hyperv"),
            "spec.task.container.isolation",
        ),
        (
            "ports",
            json!([{"published": 80, "target": 80, "host_ip": "localhost"}]),
            "spec.task.container.ports[0].host_ip",
        ),
        (
            "logging",
            json!({"name": "", "options": {"a": "b"}}),
            "spec.task.container.logging.name",
        ),
    ] {
        let mut s = spec("bad", IMAGE_1, 1);
        s["task"]["container"][field] = value;
        let (status, body) = node
            .call(reqwest::Method::POST, "/v1/services", Some(s.to_string()))
            .await?;
        assert_eq!(status, 400, "{field}: {body}");
        assert_eq!(body["error"]["field"], path, "{body}");
    }
    let out = node.shoalctl(&[
        "service",
        "create",
        "--name",
        "bad",
        "--image",
        IMAGE_1,
        "--ulimit",
        "nofile=9:1",
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--ulimit: "), "{stderr}");
    Ok(())
}

#[tokio::test]
async fn start_interval_is_refused_by_an_engine_older_than_api_1_44() -> anyhow::Result<()> {
    let node = Shoald::start("startint").await?;
    let out = node.shoalctl(&[
        "service",
        "create",
        "--name",
        "si",
        "--image",
        IMAGE_1,
        "--health-cmd",
        "true",
        "--health-start-interval",
        "1s",
        "--restart-delay",
        "30s",
        "--detach",
    ]);
    ok(&out);
    let task = eventually("the task to be rejected", WAIT, || async {
        let tasks = node.tasks("si", true).await.ok()?;
        tasks
            .into_iter()
            .find(|t| t["status"]["state"] == "rejected")
    })
    .await?;
    let err = task["status"]["err"].as_str().unwrap_or_default();
    assert!(
        err.contains("healthcheck.start_interval is not supported by this engine"),
        "{task}"
    );
    assert!(node.containers().is_empty(), "no container was created");
    Ok(())
}
