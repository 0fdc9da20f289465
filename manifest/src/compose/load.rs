//! Reading Compose files (`-c`, repeatable) into the service specs of a stack. Each file is
//! read on its own first, so a misspelt key is refused with `file:line:col` and a
//! suggestion; keys Shoal does not support become warnings naming them. Files given later
//! override earlier ones service by service (mappings merge, other values are replaced), as
//! `docker stack deploy -c a.yml -c b.yml` does. All or nothing: any problem in any service
//! and no spec comes back.

use crate::compose::convert::{Note, to_spec};
use crate::compose::model::ComposeService;
use crate::locate::{Step, locate, parse_path, read_at};
use crate::parse::{Manifest, ManifestError, Source, yaml_error};
use crate::suggest::{nearest, with_suggestion};
use serde_yaml::{Mapping, Value};
use shoal_api::validate::validate_service_spec;
use std::collections::BTreeMap;
use std::path::Path;

/// Top-level keys read (`services`, `volumes`), skipped (`version`, `name`, `x-*`) or
/// warned about.
const TOP_KEYS: [&str; 7] = [
    "services", "volumes", "version", "name", "networks", "configs", "secrets",
];
const TOP_UNSUPPORTED: [&str; 3] = ["networks", "configs", "secrets"];

/// Keys of a service, below it, that are accepted but not supported.
pub const SERVICE_UNSUPPORTED: [&str; 46] = [
    "build",
    "cap_add",
    "cap_drop",
    "cgroup_parent",
    "configs",
    "container_name",
    "credential_spec",
    "depends_on",
    "devices",
    "dns",
    "dns_search",
    "domainname",
    "env_file",
    "expose",
    "external_links",
    "extra_hosts",
    "init",
    "ipc",
    "isolation",
    "links",
    "logging",
    "mac_address",
    "network_mode",
    "networks",
    "pid",
    "platform",
    "privileged",
    "read_only",
    "restart",
    "secrets",
    "security_opt",
    "shm_size",
    "stdin_open",
    "sysctls",
    "tmpfs",
    "tty",
    "ulimits",
    "userns_mode",
    "healthcheck.start_interval",
    "deploy.endpoint_mode",
    "deploy.resources.limits.pids",
    "deploy.resources.limits.devices",
    "deploy.resources.limits.generic_resources",
    "deploy.resources.reservations.pids",
    "deploy.resources.reservations.devices",
    "deploy.resources.reservations.generic_resources",
];

/// The stack's services, valid, and the warnings to print.
#[derive(Debug)]
pub struct Stack {
    pub services: Vec<Manifest>,
    pub warnings: Vec<String>,
}

/// One file's services as written (for merging) and the source they came from.
struct Read {
    source: Source,
    services: Mapping,
}

/// Reads every file and converts the stack `stack`; bind sources are relative to
/// `project_dir`.
pub fn load_stack(
    stack: &str,
    sources: &[Source],
    project_dir: &Path,
) -> Result<Stack, Vec<ManifestError>> {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut reads = Vec::new();
    for source in sources {
        match read_file(source, &mut warnings) {
            Ok(read) => reads.push(read),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    // Each service merged over the files, with the last file that describes it.
    let mut merged: BTreeMap<String, (Value, &Source)> = BTreeMap::new();
    for read in &reads {
        for (name, value) in &read.services {
            let name = name.as_str().unwrap_or_default().to_string();
            match merged.get_mut(&name) {
                Some((into, from)) => {
                    merge(into, value);
                    *from = &read.source;
                }
                None => {
                    merged.insert(name, (value.clone(), &read.source));
                }
            }
        }
    }
    if merged.is_empty() {
        let names: Vec<&str> = sources.iter().map(|s| s.name.as_str()).collect();
        errors.push(ManifestError {
            file: names.join(", "),
            position: None,
            path: "services".into(),
            message: "no service in the compose files".into(),
        });
    }
    let mut services = Vec::new();
    for (name, (value, source)) in &merged {
        let at = format!("services.{name}");
        let place = |note: &Note| error_at(source, &format!("{at}.{}", note.path), &note.message);
        let svc = match serde_yaml::from_value::<ComposeService>(value.clone()) {
            Ok(svc) => svc,
            Err(e) => {
                errors.push(error_at(source, &at, &e.to_string()));
                continue;
            }
        };
        for path in SERVICE_UNSUPPORTED {
            if has_path(value, path) {
                warnings.push(unsupported(&format!("{at}.{path}")));
            }
        }
        match to_spec(stack, name, &svc, project_dir) {
            Ok((spec, notes)) => {
                for n in &notes {
                    warnings.push(format!("warning: {}", place(n)));
                }
                let manifest = Manifest {
                    spec,
                    source: (*source).clone(),
                    doc: 0,
                    base: at.clone(),
                };
                match validate_service_spec(&manifest.spec) {
                    Ok(()) => services.push(manifest),
                    Err(e) => errors.push(manifest.error_at(&e.field, e.message)),
                }
            }
            Err(notes) => errors.extend(notes.iter().map(place)),
        }
    }
    if errors.is_empty() {
        Ok(Stack { services, warnings })
    } else {
        Err(errors)
    }
}

fn unsupported(path: &str) -> String {
    format!("warning: {path} is not supported by Shoal and was ignored")
}

fn error_at(source: &Source, path: &str, message: &str) -> ManifestError {
    ManifestError {
        file: source.name.clone(),
        position: locate(&source.text, 0, &parse_path(path)),
        path: path.to_string(),
        message: message.to_string(),
    }
}

/// One file: its top-level keys checked, its services read typed (for positions).
fn read_file(source: &Source, warnings: &mut Vec<String>) -> Result<Read, Vec<ManifestError>> {
    let written: Value =
        serde_yaml::from_str(&source.text).map_err(|e| vec![yaml_error(source, &e)])?;
    // Merge keys (`<<: *defaults`) are resolved on the value; such a file is read from it,
    // so its errors are placed on `services` rather than on the field.
    let mut value = written.clone();
    value
        .apply_merge()
        .map_err(|e| vec![yaml_error(source, &e)])?;
    let Value::Mapping(top) = value else {
        return Err(vec![error_at(
            source,
            "",
            "a compose file is a mapping with `services:`",
        )]);
    };
    if let Some(line) = first_variable(&source.text) {
        warnings.push(format!(
            "warning: {}:{line}: ${{VARIABLE}} interpolation is not supported by Shoal; values \
             are used as written",
            source.name
        ));
    }
    let mut errors = Vec::new();
    let mut services = Mapping::new();
    for (key, value) in &top {
        let key = key.as_str().unwrap_or_default();
        match key {
            "services" => match value {
                Value::Mapping(m) => {
                    for (name, service) in m {
                        let name = name.as_str().unwrap_or_default();
                        let as_written = written.get("services").and_then(|w| w.get(name));
                        if let Err(e) = read_service(source, name, service, as_written) {
                            errors.push(e);
                        }
                    }
                    services = m.clone();
                }
                Value::Null => {}
                _ => errors.push(error_at(source, "services", "must be a mapping")),
            },
            "volumes" => {
                for (name, settings) in value.as_mapping().into_iter().flatten() {
                    let name = name.as_str().unwrap_or_default();
                    for (setting, _) in settings.as_mapping().into_iter().flatten() {
                        let setting = setting.as_str().unwrap_or_default();
                        warnings.push(unsupported(&format!("volumes.{name}.{setting}")));
                    }
                }
            }
            "version" | "name" => {}
            k if k.starts_with("x-") => {}
            k if TOP_UNSUPPORTED.contains(&k) => warnings.push(unsupported(k)),
            k => {
                let known: Vec<String> = TOP_KEYS.iter().map(|s| s.to_string()).collect();
                let message = match nearest(k, &known) {
                    Some(best) => format!("unknown field `{k}`, did you mean `{best}`?"),
                    None => format!(
                        "unknown field `{k}`, expected one of: {}",
                        TOP_KEYS.join(", ")
                    ),
                };
                let mut error = error_at(source, k, &message);
                error.position = top_key_position(&source.text, k).or(error.position);
                errors.push(error);
            }
        }
    }
    if errors.is_empty() {
        Ok(Read {
            source: source.clone(),
            services,
        })
    } else {
        Err(errors)
    }
}

/// Where a top-level key is written (at the start of its line, in block style); `locate`
/// gives its value's position instead.
fn top_key_position(text: &str, key: &str) -> Option<crate::locate::Position> {
    let line = text.lines().position(|l| {
        l.strip_prefix(key)
            .is_some_and(|rest| rest.trim_start().starts_with(':'))
    })?;
    Some(crate::locate::Position {
        line: line + 1,
        column: 1,
    })
}

/// Checks one service: read from the text, so errors carry positions, unless merge keys
/// changed it; then from the merged value, placed on the service.
fn read_service(
    source: &Source,
    name: &str,
    merged: &Value,
    as_written: Option<&Value>,
) -> Result<(), ManifestError> {
    if as_written == Some(merged) {
        let steps = [Step::Key("services".into()), Step::Key(name.into())];
        return read_at::<ComposeService>(&source.text, 0, &steps)
            .map(drop)
            .map_err(|e| yaml_error(source, &e));
    }
    serde_yaml::from_value::<ComposeService>(merged.clone())
        .map(drop)
        .map_err(|e| {
            let message = with_suggestion(&e.to_string());
            error_at(source, &format!("services.{name}"), &message)
        })
}

/// The first line (from 1) using a variable (`$NAME`, `${NAME}`) that Docker would
/// interpolate; comments and `$$` (a literal `$`) do not count.
fn first_variable(text: &str) -> Option<usize> {
    text.lines()
        .position(|line| {
            let code = line.split(" #").next().unwrap_or_default();
            if code.trim_start().starts_with('#') {
                return false;
            }
            let code = code.replace("$$", "");
            code.match_indices('$').any(|(i, _)| {
                code[i + 1..]
                    .chars()
                    .next()
                    .is_some_and(|c| c == '{' || c == '_' || c.is_ascii_alphabetic())
            })
        })
        .map(|i| i + 1)
}

/// Whether `value` has a (non-null) node at the dotted `path`.
fn has_path(value: &Value, path: &str) -> bool {
    let mut at = value;
    for key in path.split('.') {
        match at.get(key) {
            Some(next) => at = next,
            None => return false,
        }
    }
    !at.is_null()
}

/// Deep merge: mappings merge key by key, anything else is replaced by `over`.
fn merge(into: &mut Value, over: &Value) {
    match (into, over) {
        (Value::Mapping(into), Value::Mapping(over)) => {
            for (k, v) in over {
                match into.get_mut(k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        into.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (into, over) => *into = over.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(name: &str, text: &str) -> Source {
        Source {
            name: name.into(),
            text: text.into(),
        }
    }

    const FILE: &str = "\
version: '3.8'
x-defaults: {a: 1}
services:
  web:
    image: shoal-demo:1
    networks: [front]
    deploy:
      replicas: 2
      endpoint_mode: vip
  worker:
    image: shoal-demo:1
networks:
  front: {}
volumes:
  data:
    driver: local
";

    #[test]
    fn names_every_unsupported_key_in_a_warning() {
        let stack = load_stack("s", &[source("c.yml", FILE)], Path::new("/p")).unwrap();
        let names: Vec<&str> = stack
            .services
            .iter()
            .map(|m| m.spec.name.as_str())
            .collect();
        assert_eq!(names, ["s_web", "s_worker"]);
        assert_eq!(
            stack.warnings,
            [
                "warning: networks is not supported by Shoal and was ignored",
                "warning: volumes.data.driver is not supported by Shoal and was ignored",
                "warning: services.web.networks is not supported by Shoal and was ignored",
                "warning: services.web.deploy.endpoint_mode is not supported by Shoal and was \
                 ignored",
            ]
        );
    }

    fn errors(sources: &[Source]) -> Vec<String> {
        let e = load_stack("s", sources, Path::new("/p")).unwrap_err();
        e.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_misspelt_key_is_refused_with_its_place_and_a_suggestion() {
        let text = FILE.replace("replicas: 2", "replicaz: 2");
        assert_eq!(
            errors(&[source("c.yml", &text)]),
            ["c.yml:8:7: services.web.deploy: unknown field `replicaz`, did you mean `replicas`?"]
        );
        let text = FILE.replace("services:", "service:");
        assert_eq!(
            errors(&[source("c.yml", &text)]),
            ["c.yml:3:1: service: unknown field `service`, did you mean `services`?"]
        );
    }

    #[test]
    fn conversion_and_validation_problems_are_placed_and_all_reported() {
        let text = FILE
            .replace(
                "    image: shoal-demo:1\n    networks",
                "    ports: ['80']\n    image: shoal-demo:1\n    networks",
            )
            .replace(
                "  worker:\n    image: shoal-demo:1",
                "  worker:\n    image: ''",
            );
        let e = errors(&[source("c.yml", &text)]);
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(
            e[0].starts_with("c.yml:5:13: services.web.ports[0]: "),
            "{e:?}"
        );
        assert!(e[1].contains("services.worker"), "{e:?}");
    }

    #[test]
    fn a_later_file_overrides_an_earlier_one() {
        let over = "services:\n  web:\n    image: shoal-demo:2\n    deploy: {replicas: 5}\n  extra:\n    image: x\n";
        let stack = load_stack(
            "s",
            &[source("a.yml", FILE), source("b.yml", over)],
            Path::new("/p"),
        )
        .unwrap();
        let web = &stack.services[1];
        assert_eq!(web.spec.name, "s_web");
        assert_eq!(web.spec.task.container.image, "shoal-demo:2");
        assert_eq!(web.spec.replicas(), Some(5));
        assert_eq!(web.source.name, "b.yml");
        assert_eq!(stack.services.len(), 3);
    }

    #[test]
    fn merge_keys_are_resolved_and_still_checked() {
        let text =
            "x-d: &d\n  stop_grace_period: 3s\nservices:\n  web:\n    <<: *d\n    image: x\n";
        let stack = load_stack("s", &[source("c.yml", text)], Path::new("/p")).unwrap();
        let grace = stack.services[0].spec.task.container.stop_grace_period;
        assert_eq!(grace, std::time::Duration::from_secs(3));
        let bad = text.replace("image: x", "imag: x");
        assert_eq!(
            errors(&[source("c.yml", &bad)]),
            ["c.yml:5:5: services.web: unknown field `imag`, did you mean `image`?"]
        );
    }

    #[test]
    fn variables_are_named_in_a_warning_not_interpolated() {
        assert_eq!(
            first_variable("a: 1\n# $HOME\nb: x $$ y\nc: ${TAG}\n"),
            Some(4)
        );
        assert_eq!(first_variable("a: $1 $$HOME\n"), None);
        let text = FILE.replace(
            "shoal-demo:1\n    networks",
            "shoal-demo:$TAG\n    networks",
        );
        let stack = load_stack("s", &[source("c.yml", &text)], Path::new("/p")).unwrap();
        assert!(stack.warnings[0].starts_with("warning: c.yml:5: ${VARIABLE} interpolation"));
        assert_eq!(
            stack.services[0].spec.task.container.image,
            "shoal-demo:$TAG"
        );
    }

    #[test]
    fn a_file_without_services_is_refused() {
        let e = errors(&[source("c.yml", "version: '3'\n")]);
        assert_eq!(e, ["c.yml: services: no service in the compose files"]);
    }
}
