//! Reading Compose files (`-c`, repeatable) into the service specs of a stack. Each file is
//! read on its own first, so a misspelt key is refused with `file:line:col` and a
//! suggestion; keys Shoal does not support become warnings naming them. Files given later
//! override earlier ones service by service (mappings merge, other values are replaced), as
//! `docker stack deploy -c a.yml -c b.yml` does. All or nothing: any problem in any service
//! and no spec comes back.

use crate::compose::convert::{Note, to_spec};
use crate::compose::dotenv;
use crate::compose::interpolate::interpolate;
use crate::compose::model::{ComposeService, EnvFile};
use crate::locate::{Position, Step, locate, parse_path, read_at};
use crate::parse::{Manifest, ManifestError, Source, yaml_error};
use crate::suggest::{nearest, with_suggestion};
use serde_yaml::{Mapping, Value};
use shoal_api::validate::validate_service_spec;
use std::collections::BTreeMap;
use std::path::Path;

/// The variables a stack's files are interpolated with: the process environment over the
/// `.env` file (see [`read_env_file`]), as Docker merges them.
pub type Variables = BTreeMap<String, String>;

/// Top-level keys read (`services`, `volumes`), skipped (`version`, `name`, `x-*`) or
/// warned about.
const TOP_KEYS: [&str; 7] = [
    "services", "volumes", "version", "name", "networks", "configs", "secrets",
];
const TOP_UNSUPPORTED: [&str; 3] = ["networks", "configs", "secrets"];

/// Keys of a service, below it, that are accepted but not supported.
pub const SERVICE_UNSUPPORTED: [&str; 32] = [
    "build",
    "cgroup_parent",
    "configs",
    "container_name",
    "credential_spec",
    "depends_on",
    "devices",
    "domainname",
    "expose",
    "external_links",
    "ipc",
    "links",
    "mac_address",
    "network_mode",
    "networks",
    "pid",
    "platform",
    "privileged",
    "restart",
    "secrets",
    "security_opt",
    "shm_size",
    "stdin_open",
    "tty",
    "userns_mode",
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

/// Reads every file, interpolated with `vars`, and converts the stack `stack`; bind sources
/// and `env_file`s are relative to `project_dir`.
pub fn load_stack(
    stack: &str,
    sources: &[Source],
    project_dir: &Path,
    vars: &Variables,
) -> Result<Stack, Vec<ManifestError>> {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut reads = Vec::new();
    for source in sources {
        match read_file(source, vars, &mut warnings) {
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
        let from_files = match env_files(svc.env_file.as_ref(), project_dir, vars) {
            Ok(pairs) => pairs,
            Err(e) => {
                errors.push(error_at(source, &format!("{at}.env_file"), &e));
                continue;
            }
        };
        match to_spec(stack, name, &svc, project_dir) {
            Ok((mut spec, notes)) => {
                let env = &mut spec.task.container.env;
                *env = below_environment(from_files, std::mem::take(env));
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
fn read_file(
    source: &Source,
    vars: &Variables,
    warnings: &mut Vec<String>,
) -> Result<Read, Vec<ManifestError>> {
    let mut value: Value =
        serde_yaml::from_str(&source.text).map_err(|e| vec![yaml_error(source, &e)])?;
    // Variables first, on the value as written, so a problem is placed on its value.
    let interpolated = interpolate(&mut value, &|name| vars.get(name).cloned()).map_err(|e| {
        e.iter()
            .map(|e| ManifestError {
                file: source.name.clone(),
                position: locate(&source.text, 0, &e.path),
                path: render_path(&e.path),
                message: e.message.clone(),
            })
            .collect::<Vec<_>>()
    })?;
    for name in interpolated.unset {
        warnings.push(format!(
            "warning: {}: the variable {name} is not set, defaulting to a blank string",
            source.name
        ));
    }
    // Merge keys (`<<: *defaults`) are resolved on the value.
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
    let mut errors = Vec::new();
    let mut services = Mapping::new();
    for (key, value) in &top {
        let key = key.as_str().unwrap_or_default();
        match key {
            "services" => match value {
                Value::Mapping(m) => {
                    for (name, service) in m {
                        let mut service = service.clone();
                        // `x-` keys of a service are Compose extensions, for tools to read.
                        if let Value::Mapping(keys) = &mut service {
                            keys.retain(|k, _| !k.as_str().is_some_and(|k| k.starts_with("x-")));
                        }
                        let name = name.as_str().unwrap_or_default();
                        if let Err(e) = read_service(source, name, &service) {
                            errors.push(e);
                        }
                        services.insert(Value::from(name), service);
                    }
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

/// Checks one service as interpolated and merged. When the text as written fails the same
/// way, its error is the one given, placed on the field; otherwise (the problem comes from a
/// variable, a merge key or sits after an `x-` key) it is placed on the service.
fn read_service(source: &Source, name: &str, service: &Value) -> Result<(), ManifestError> {
    let Err(e) = serde_yaml::from_value::<ComposeService>(service.clone()) else {
        return Ok(());
    };
    let message = with_suggestion(&e.to_string());
    let steps = [Step::Key("services".into()), Step::Key(name.into())];
    if let Err(e) = read_at::<ComposeService>(&source.text, 0, &steps) {
        let placed = yaml_error(source, &e);
        if placed.message == message {
            return Err(placed);
        }
    }
    Err(error_at(source, &format!("services.{name}"), &message))
}

/// `services.web.command[1]`, as errors show a field.
fn render_path(steps: &[Step]) -> String {
    let mut out = String::new();
    for step in steps {
        match step {
            Step::Key(k) if out.is_empty() => out.push_str(k),
            Step::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// Reads a `.env` or `env_file` file, whose values may use `vars`; its problems are placed
/// at `file:line`.
pub fn read_env_file(
    path: &Path,
    vars: &Variables,
) -> Result<Vec<(String, String)>, ManifestError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ManifestError {
        file: file.clone(),
        position: None,
        path: String::new(),
        message: format!("cannot read the file: {e}"),
    })?;
    dotenv::parse(&text, &|name| vars.get(name).cloned()).map_err(|e| ManifestError {
        file,
        position: Some(Position {
            line: e.line,
            column: 1,
        }),
        path: String::new(),
        message: e.message,
    })
}

/// The variables of a service's `env_file`s, in order (a later file wins); a missing file
/// is an error unless its entry says `required: false`.
fn env_files(
    entries: Option<&EnvFile>,
    project_dir: &Path,
    vars: &Variables,
) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (path, required) in entries.map(EnvFile::entries).unwrap_or_default() {
        let full = project_dir.join(path);
        if !required && !full.exists() {
            continue;
        }
        for (k, v) in read_env_file(&full, vars).map_err(|e| e.to_string())? {
            out.retain(|(known, _)| *known != k);
            out.push((k, v));
        }
    }
    Ok(out)
}

/// `env_file` variables below `environment:`, which wins for a key both give (a bare `KEY`
/// there counts too), as Docker merges them.
fn below_environment(from_files: Vec<(String, String)>, environment: Vec<String>) -> Vec<String> {
    let given = |k: &str| {
        environment
            .iter()
            .any(|e| e.split_once('=').map_or(e.as_str(), |(key, _)| key) == k)
    };
    let mut out: Vec<String> = from_files
        .into_iter()
        .filter(|(k, _)| !given(k))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    out.extend(environment);
    out
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
        let stack = load_stack(
            "s",
            &[source("c.yml", FILE)],
            Path::new("/p"),
            &Variables::new(),
        )
        .unwrap();
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
        let e = load_stack("s", sources, Path::new("/p"), &Variables::new()).unwrap_err();
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
            &Variables::new(),
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
        let stack = load_stack(
            "s",
            &[source("c.yml", text)],
            Path::new("/p"),
            &Variables::new(),
        )
        .unwrap();
        let grace = stack.services[0].spec.task.container.stop_grace_period;
        assert_eq!(grace, std::time::Duration::from_secs(3));
        let bad = text.replace("image: x", "imag: x");
        assert_eq!(
            errors(&[source("c.yml", &bad)]),
            ["c.yml:5:5: services.web: unknown field `imag`, did you mean `image`?"]
        );
    }

    fn vars(pairs: &[(&str, &str)]) -> Variables {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    const VARS: &str = "\
services:
  grafana:
    image: grafana:${TAG:-1}
    environment:
      - GF_SECURITY_ADMIN_USER=${ADMIN_USER:-admin}
      - COST=$$5
    deploy:
      replicas: ${REPLICAS}
      labels: [owner=$OWNER]
";

    #[test]
    fn variables_are_interpolated_from_the_given_variables() {
        let with = vars(&[("REPLICAS", "3"), ("TAG", "2")]);
        let stack = load_stack("s", &[source("c.yml", VARS)], Path::new("/p"), &with).unwrap();
        let spec = &stack.services[0].spec;
        assert_eq!(spec.task.container.image, "grafana:2");
        assert_eq!(
            spec.task.container.env,
            ["GF_SECURITY_ADMIN_USER=admin", "COST=$5"]
        );
        assert_eq!(spec.replicas(), Some(3));
        assert_eq!(spec.labels["owner"], "");
        assert_eq!(
            stack.warnings,
            ["warning: c.yml: the variable OWNER is not set, defaulting to a blank string"]
        );
    }

    #[test]
    fn a_missing_required_variable_or_an_unclosed_brace_is_refused_at_its_place() {
        let text = VARS.replace("${TAG:-1}", "${TAG:?set TAG to the release}");
        let e =
            load_stack("s", &[source("c.yml", &text)], Path::new("/p"), &vars(&[])).unwrap_err();
        assert_eq!(
            e[0].to_string(),
            "c.yml:3:12: services.grafana.image: required variable TAG is missing a value: set \
             TAG to the release"
        );
        let text = VARS.replace("=${ADMIN_USER:-admin}", "=${ADMIN_USER");
        let e = errors(&[source("c.yml", &text)]);
        assert!(
            e[0].starts_with("c.yml:5:9: services.grafana.environment[0]: unclosed ${"),
            "{e:?}"
        );
        let text = VARS.replace("${REPLICAS}", "${REPLICAS:-many}");
        let e = errors(&[source("c.yml", &text)]);
        assert_eq!(
            e,
            ["c.yml:8:17: services.grafana.deploy.replicas: \"many\" is not a whole number"]
        );
    }

    #[test]
    fn a_misspelt_key_next_to_variables_keeps_its_place() {
        let text = VARS.replace("    environment:", "    environmnt:");
        let with = vars(&[("REPLICAS", "3")]);
        let e = load_stack("s", &[source("c.yml", &text)], Path::new("/p"), &with).unwrap_err();
        assert_eq!(
            e[0].to_string(),
            "c.yml:4:5: services.grafana: unknown field `environmnt`, did you mean `environment`?"
        );
    }

    #[test]
    fn x_keys_of_a_service_are_extensions_and_ignored() {
        let text = "x-top: 1\nservices:\n  web:\n    x-note: {any: thing}\n    image: x\n";
        let stack = load_stack("s", &[source("c.yml", text)], Path::new("/p"), &vars(&[])).unwrap();
        assert_eq!(stack.services[0].spec.task.container.image, "x");
        assert!(stack.warnings.is_empty(), "{:?}", stack.warnings);
        let bad = text.replace("image: x", "image: x\n    imag: y");
        assert_eq!(
            errors(&[source("c.yml", &bad)]),
            ["c.yml:4:5: services.web: unknown field `imag`, did you mean `image`?"]
        );
    }

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("shoal-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn env_files_are_merged_below_environment() {
        let dir = scratch("env-file");
        std::fs::write(
            dir.join("a.env"),
            "A=from_a\nB=from_a\nHOME_DIR=${ROOT}/a\n",
        )
        .unwrap();
        std::fs::write(dir.join("b.env"), "# b\nB=from_b\nC=from_b\n").unwrap();
        let text = "services:\n  web:\n    image: x\n    env_file: [a.env, b.env, {path: none.env, required: false}]\n    environment: {C: from_env}\n";
        let with = vars(&[("ROOT", "/srv")]);
        let stack = load_stack("s", &[source("c.yml", text)], &dir, &with).unwrap();
        assert_eq!(
            stack.services[0].spec.task.container.env,
            ["A=from_a", "HOME_DIR=/srv/a", "B=from_b", "C=from_env"]
        );
        let one = text.replace("[a.env, b.env, {path: none.env, required: false}]", "b.env");
        let stack = load_stack("s", &[source("c.yml", &one)], &dir, &with).unwrap();
        assert_eq!(
            stack.services[0].spec.task.container.env,
            ["B=from_b", "C=from_env"]
        );
        let missing = text.replace("required: false", "required: true");
        let e = load_stack("s", &[source("c.yml", &missing)], &dir, &with).unwrap_err();
        let e = e[0].to_string();
        assert!(
            e.starts_with("c.yml:4:15: services.web.env_file: ")
                && e.contains(&dir.join("none.env").display().to_string())
                && e.contains("cannot read the file"),
            "{e}"
        );
        std::fs::write(dir.join("b.env"), "B=1\nnot valid=2\n").unwrap();
        let e = load_stack("s", &[source("c.yml", text)], &dir, &with).unwrap_err();
        let e = e[0].to_string();
        assert!(
            e.contains(&format!(
                "{}:2:1: invalid variable name",
                dir.join("b.env").display()
            )),
            "{e}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_file_without_services_is_refused() {
        let e = errors(&[source("c.yml", "version: '3'\n")]);
        assert_eq!(e, ["c.yml: services: no service in the compose files"]);
    }
}
