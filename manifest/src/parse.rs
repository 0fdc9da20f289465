//! Reading manifests: YAML files of one or more documents (`---`), each a service or a list
//! of services. A service is either a bare service spec (`name`, `labels`, `task`, `mode`,
//! `update`, `rollback`) or a whole service object as `shoalctl service inspect NAME -o yaml`
//! (or, in a list, `service ls -o yaml`) prints it, whose `spec` is taken and whose read-only
//! fields (`id`, `version`, times, status, `previous_spec`) are accepted and ignored: apply
//! means "make it so", whatever version the file was read at. Every document is parsed and
//! validated before anything is applied, and every problem is reported as
//! `file:line:column: field.path: message`. `Source`, `Manifest` and `ManifestError` are
//! shared with the Compose reader, whose services end up as the same `Manifest`s.

use crate::locate::{Position, locate, parse_path, read_at};
use crate::suggest::with_suggestion;
use serde::Deserialize;
use serde::de::IgnoredAny;
use shoal_api::ServiceSpec;
use shoal_api::validate::validate_service_spec;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// A manifest file's name (as given, or `<stdin>`) and text.
#[derive(Clone, Debug)]
pub struct Source {
    pub name: String,
    pub text: Arc<str>,
}

/// One service of a manifest, valid, with where it came from.
#[derive(Clone, Debug)]
pub struct Manifest {
    pub spec: ServiceSpec,
    pub source: Source,
    /// Index of the document in its file, from 0.
    pub doc: usize,
    /// Path of the spec in the document: empty for a bare spec, `spec` in a service object,
    /// `[2]` or `[2].spec` for the third of a list (as `service ls -o yaml` prints).
    pub base: String,
}

impl Manifest {
    /// An error about the field at `spec_path` (like `spec.mode`), placed in the document.
    pub fn error_at(&self, spec_path: &str, message: impl Into<String>) -> ManifestError {
        let path = in_document(spec_path, &self.base);
        ManifestError {
            file: self.source.name.clone(),
            position: locate(&self.source.text, self.doc, &parse_path(&path)),
            path,
            message: message.into(),
        }
    }
}

/// A problem found in a manifest, shown as `file:line:column: field.path: message`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestError {
    pub file: String,
    pub position: Option<Position>,
    /// Field path as written in the document; empty for the document as a whole.
    pub path: String,
    pub message: String,
}

impl ManifestError {
    /// `file:line:column`, or just the file when the position is unknown.
    pub fn place(&self) -> String {
        match self.position {
            Some(p) => format!("{}:{}:{}", self.file, p.line, p.column),
            None => self.file.clone(),
        }
    }
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.place())?;
        if !self.path.is_empty() {
            write!(f, ": {}", self.path)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ManifestError {}

/// `service inspect -o yaml`: the spec plus fields the store writes, which apply ignores.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ServiceObject {
    spec: ServiceSpec,
    #[serde(default, rename = "id")]
    _id: IgnoredAny,
    #[serde(default, rename = "version")]
    _version: IgnoredAny,
    #[serde(default, rename = "created_at")]
    _created_at: IgnoredAny,
    #[serde(default, rename = "updated_at")]
    _updated_at: IgnoredAny,
    #[serde(default, rename = "spec_version")]
    _spec_version: IgnoredAny,
    #[serde(default, rename = "rolled_back")]
    _rolled_back: IgnoredAny,
    #[serde(default, rename = "previous_spec")]
    _previous_spec: IgnoredAny,
    #[serde(default, rename = "update_status")]
    _update_status: IgnoredAny,
}

/// Parses and validates every document of every source; all of them or none.
pub fn parse_all(sources: &[Source]) -> Result<Vec<Manifest>, Vec<ManifestError>> {
    let mut manifests = Vec::new();
    let mut errors = Vec::new();
    for source in sources {
        let (found, mut problems) = parse_source(source);
        if found.is_empty() && problems.is_empty() {
            problems.push(ManifestError {
                file: source.name.clone(),
                position: None,
                path: String::new(),
                message: "no service in this file".into(),
            });
        }
        manifests.extend(found);
        errors.append(&mut problems);
    }
    let mut seen: BTreeMap<&str, &Manifest> = BTreeMap::new();
    for m in &manifests {
        if let Some(first) = seen.insert(&m.spec.name, m) {
            let first_at = first.error_at("spec.name", "").place();
            errors.push(m.error_at(
                "spec.name",
                format!(
                    "service {:?} is already described at {first_at}",
                    m.spec.name
                ),
            ));
        }
    }
    if errors.is_empty() {
        Ok(manifests)
    } else {
        Err(errors)
    }
}

/// The valid services of one file and the problems of the others.
pub fn parse_source(source: &Source) -> (Vec<Manifest>, Vec<ManifestError>) {
    let mut manifests = Vec::new();
    let mut errors = Vec::new();
    for (doc, document) in serde_yaml::Deserializer::from_str(&source.text).enumerate() {
        let value = match serde_yaml::Value::deserialize(document) {
            Ok(value) => value,
            Err(e) => {
                // Malformed YAML: what follows cannot be trusted.
                errors.push(yaml_error(source, &e));
                break;
            }
        };
        let found = match &value {
            serde_yaml::Value::Null => Vec::new(),
            serde_yaml::Value::Sequence(items) => items
                .iter()
                .enumerate()
                .map(|(k, item)| parse_service(source, doc, format!("[{k}]"), item))
                .collect(),
            _ => vec![parse_service(source, doc, String::new(), &value)],
        };
        for result in found {
            match result {
                Ok(m) => manifests.push(m),
                Err(e) => errors.push(e),
            }
        }
    }
    (manifests, errors)
}

/// The service at path `at` of document `doc` (the document itself, or a list element).
fn parse_service(
    source: &Source,
    doc: usize,
    at: String,
    value: &serde_yaml::Value,
) -> Result<Manifest, ManifestError> {
    let steps = parse_path(&at);
    if !value.is_mapping() {
        return Err(ManifestError {
            file: source.name.clone(),
            position: locate(&source.text, doc, &steps),
            path: at,
            message: "a service must be a spec (name, task, mode...) or a service object \
                      with a spec"
                .into(),
        });
    }
    let whole = value.get("spec").is_some();
    // Read again from the text rather than from `value`, so errors carry positions.
    let typed = if whole {
        read_at::<ServiceObject>(&source.text, doc, &steps).map(|o| o.spec)
    } else {
        read_at::<ServiceSpec>(&source.text, doc, &steps)
    };
    let spec = typed.map_err(|e| yaml_error(source, &e))?;
    let base = match (at.is_empty(), whole) {
        (true, true) => "spec".to_string(),
        (_, true) => format!("{at}.spec"),
        (_, false) => at,
    };
    let manifest = Manifest {
        spec,
        source: source.clone(),
        doc,
        base,
    };
    match validate_service_spec(&manifest.spec) {
        Ok(()) => Ok(manifest),
        Err(e) => Err(manifest.error_at(&e.field, e.message)),
    }
}

/// A validation path (`spec.task...`) as written in a document whose spec is at `base`.
fn in_document(spec_path: &str, base: &str) -> String {
    let rest = match spec_path.strip_prefix("spec") {
        Some(rest) if rest.is_empty() || rest.starts_with('.') => rest,
        _ => spec_path,
    };
    format!("{base}{rest}").trim_start_matches('.').to_string()
}

/// A yaml_serde error as `file:line:col: path: message`, with a suggestion for a misspelt
/// key. Its text is `path: message at line L column C`; the position is kept apart.
pub fn yaml_error(source: &Source, e: &serde_yaml::Error) -> ManifestError {
    let position = Position::of(e);
    let mut text = e.to_string();
    if let Some(p) = position {
        text = text.replacen(&format!(" at line {} column {}", p.line, p.column), "", 1);
    }
    let (path, message) = match text.split_once(": ") {
        Some((path, message)) if looks_like_path(path) => (path.to_string(), message.to_string()),
        _ => (String::new(), text),
    };
    ManifestError {
        file: source.name.clone(),
        position,
        path,
        message: with_suggestion(&message),
    }
}

fn looks_like_path(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.[]?-".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(text: &str) -> Source {
        Source {
            name: "web.yaml".into(),
            text: text.into(),
        }
    }

    fn errors(text: &str) -> Vec<String> {
        match parse_all(&[source(text)]) {
            Ok(m) => panic!("accepted: {m:?}"),
            Err(e) => e.iter().map(ToString::to_string).collect(),
        }
    }

    const WEB: &str = "\
name: web
task:
  container:
    image: shoal-demo:1
mode:
  replicated:
    replicas: 2
";

    #[test]
    fn reads_a_bare_spec_and_several_documents() {
        let text = format!("{WEB}---\nname: api\ntask:\n  container:\n    image: x:1\n---\n");
        let m = parse_all(&[source(&text)]).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].spec.replicas(), Some(2));
        assert_eq!(m[0].spec.task.container.image, "shoal-demo:1");
        assert_eq!(m[1].spec.name, "api");
        assert_eq!(m[1].doc, 1);
    }

    #[test]
    fn reads_a_whole_service_object_and_ignores_its_read_only_fields() {
        let text = "\
id: 3f2a
version: 17
created_at: 2026-11-22T23:00:00.000Z
updated_at: 2026-11-22T23:00:00.000Z
spec:
  name: web
  task:
    container:
      image: shoal-demo:2
spec_version: 3
previous_spec:
  name: web
update_status:
  state: completed
";
        let m = parse_all(&[source(text)]).unwrap();
        assert_eq!(m[0].spec.task.container.image, "shoal-demo:2");
        assert_eq!(m[0].base, "spec");
    }

    #[test]
    fn a_misspelt_key_gets_a_suggestion_and_a_position() {
        let text = WEB.replace("replicas: 2", "replicaz: 2");
        assert_eq!(
            errors(&text),
            ["web.yaml:7:5: mode.replicated: unknown field `replicaz`, did you mean `replicas`?"]
        );
        let text = WEB.replace("image:", "imagee:");
        let e = errors(&text);
        assert!(e[0].starts_with("web.yaml:4:5: "), "{e:?}");
        assert!(
            e[0].ends_with("unknown field `imagee`, did you mean `image`?"),
            "{e:?}"
        );
    }

    #[test]
    fn validation_errors_name_file_line_column_and_field() {
        let text = WEB.replace("shoal-demo:1", "\"\"");
        assert_eq!(
            errors(&text),
            ["web.yaml:4:12: task.container.image: image must not be empty"]
        );
        let text = format!(
            "id: x\nspec:\n{}",
            indent(&WEB.replace("shoal-demo:1", "\"\""))
        );
        assert_eq!(
            errors(&text),
            ["web.yaml:6:14: spec.task.container.image: image must not be empty"]
        );
    }

    #[test]
    fn a_bad_duration_or_size_is_placed_on_its_field() {
        let text = format!("{WEB}update:\n  delay: 5 parsecs\n");
        let e = errors(&text);
        assert!(
            e[0].starts_with("web.yaml:9:10: update.delay: invalid duration"),
            "{e:?}"
        );
        let text = WEB.replace(
            "mode:",
            "  resources:\n    limits:\n      memory: lots\nmode:",
        );
        let e = errors(&text);
        assert!(
            e[0].starts_with("web.yaml:7:15: task.resources.limits.memory: "),
            "{e:?}"
        );
    }

    #[test]
    fn malformed_yaml_gives_its_position() {
        let e = errors("name: web\ntask:\n  container: [\n");
        assert_eq!(e.len(), 1);
        assert!(e[0].starts_with("web.yaml:4:1: "), "{e:?}");
    }

    #[test]
    fn every_bad_document_is_reported_and_duplicates_are_refused() {
        let text = format!("{WEB}---\nname: \"\"\ntask: {{container: {{image: x}}}}\n---\n{WEB}");
        let e = errors(&text);
        assert_eq!(e.len(), 2, "{e:?}");
        assert_eq!(e[0], "web.yaml:9:7: name: name must not be empty");
        assert_eq!(
            e[1],
            "web.yaml:12:7: name: service \"web\" is already described at web.yaml:1:7"
        );
    }

    #[test]
    fn reads_a_list_of_services_as_service_ls_prints_it() {
        let text = format!(
            "- id: x\n  spec:\n{}- {}",
            indent(&indent(WEB)),
            indent("name: api\ntask: {container: {image: \"\"}}\n").trim_start()
        );
        let e = errors(&text);
        assert_eq!(
            e,
            ["web.yaml:11:29: [1].task.container.image: image must not be empty"]
        );
        let m = parse_all(&[source(&text.replace("\"\"", "x"))]).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(
            (m[0].base.as_str(), m[1].base.as_str()),
            ("[0].spec", "[1]")
        );
        assert_eq!(m[0].spec.replicas(), Some(2));
    }

    #[test]
    fn paths_are_written_as_in_the_document() {
        assert_eq!(in_document("spec.task.x", ""), "task.x");
        assert_eq!(in_document("spec.task.x", "spec"), "spec.task.x");
        assert_eq!(in_document("spec.labels", "[3]"), "[3].labels");
        assert_eq!(in_document("spec", "[3].spec"), "[3].spec");
        assert_eq!(in_document("spec", ""), "");
    }

    #[test]
    fn an_empty_file_or_a_scalar_document_is_refused() {
        assert_eq!(errors("# nothing\n"), ["web.yaml: no service in this file"]);
        let e = errors("just text\n");
        assert!(e[0].starts_with("web.yaml:1:1: a service must be"), "{e:?}");
    }

    fn indent(text: &str) -> String {
        text.lines().map(|l| format!("  {l}\n")).collect()
    }
}
