//! `${VARIABLE}` interpolation as the Compose Specification defines it, done on a file's
//! parsed YAML before anything is typed, so every string value (never a key) can use it and
//! a problem can be placed at the value's `file:line:col` (the caller locates the path this
//! module reports). Forms: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
//! `${VAR:?error}`, `${VAR?error}`, `${VAR:+alt}`, `${VAR+alt}`, `$$` for a literal `$`;
//! defaults, alternatives and messages may themselves hold variables. A value that comes out
//! of interpolation at a numeric or boolean field (`deploy.replicas: ${N:-2}`) is cast as
//! Compose does, since YAML already read it as a string.

use crate::locate::Step;
use serde_yaml::Value;

/// A variable's value, or `None` when it is unset.
pub type Lookup<'a> = dyn Fn(&str) -> Option<String> + 'a;

/// A problem with one value: where (below the document) and what.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct InterpolateError {
    pub path: Vec<Step>,
    pub message: String,
}

/// What interpolation noticed without failing: variables used but unset, which Docker
/// replaces with an empty string and warns about.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Interpolated {
    pub unset: Vec<String>,
}

/// Interpolates every string of `value` in place, or returns every problem found.
pub fn interpolate(
    value: &mut Value,
    lookup: &Lookup,
) -> Result<Interpolated, Vec<InterpolateError>> {
    let mut walk = Walk {
        lookup,
        path: Vec::new(),
        unset: Vec::new(),
        errors: Vec::new(),
    };
    walk.value(value);
    if walk.errors.is_empty() {
        Ok(Interpolated { unset: walk.unset })
    } else {
        Err(walk.errors)
    }
}

struct Walk<'a, 'l> {
    lookup: &'a Lookup<'l>,
    path: Vec<Step>,
    unset: Vec<String>,
    errors: Vec<InterpolateError>,
}

impl Walk<'_, '_> {
    fn value(&mut self, value: &mut Value) {
        match value {
            Value::String(s) => {
                if !s.contains('$') {
                    return;
                }
                match substitute(s, self.lookup, &mut self.unset) {
                    Ok(out) => match cast(&self.path, out) {
                        Ok(v) => *value = v,
                        Err(message) => self.error(message),
                    },
                    Err(message) => self.error(message),
                }
            }
            Value::Sequence(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    self.path.push(Step::Index(i));
                    self.value(item);
                    self.path.pop();
                }
            }
            Value::Mapping(map) => {
                for (key, item) in map.iter_mut() {
                    self.path.push(Step::Key(key_text(key)));
                    self.value(item);
                    self.path.pop();
                }
            }
            Value::Tagged(tagged) => self.value(&mut tagged.value),
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }

    fn error(&mut self, message: String) {
        self.errors.push(InterpolateError {
            path: self.path.clone(),
            message,
        });
    }
}

fn key_text(key: &Value) -> String {
    match key {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

/// How a field below `services.<name>` that YAML gives as a string is typed (compose-go's
/// list, for the fields Shoal reads).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cast {
    Int,
    Float,
    Bool,
}

const CASTS: [(&str, Cast); 13] = [
    ("deploy.replicas", Cast::Int),
    ("deploy.update_config.parallelism", Cast::Int),
    ("deploy.update_config.max_failure_ratio", Cast::Float),
    ("deploy.rollback_config.parallelism", Cast::Int),
    ("deploy.rollback_config.max_failure_ratio", Cast::Float),
    ("deploy.restart_policy.max_attempts", Cast::Int),
    ("deploy.placement.max_replicas_per_node", Cast::Int),
    ("healthcheck.retries", Cast::Int),
    ("healthcheck.disable", Cast::Bool),
    ("ports[].target", Cast::Int),
    ("volumes[].read_only", Cast::Bool),
    ("init", Cast::Bool),
    ("read_only", Cast::Bool),
];

/// The interpolated text as the value its field takes.
fn cast(path: &[Step], text: String) -> Result<Value, String> {
    let [Step::Key(top), Step::Key(_service), rest @ ..] = path else {
        return Ok(Value::String(text));
    };
    if top != "services" {
        return Ok(Value::String(text));
    }
    let mut field = String::new();
    for step in rest {
        match step {
            Step::Key(k) if field.is_empty() => field.push_str(k),
            Step::Key(k) => {
                field.push('.');
                field.push_str(k);
            }
            Step::Index(_) => field.push_str("[]"),
        }
    }
    let Some((_, kind)) = CASTS.iter().find(|(f, _)| *f == field) else {
        return Ok(Value::String(text));
    };
    let t = text.trim();
    match kind {
        Cast::Int => t
            .parse::<u64>()
            .map(Value::from)
            .map_err(|_| format!("{text:?} is not a whole number")),
        Cast::Float => t
            .parse::<f64>()
            .map(Value::from)
            .map_err(|_| format!("{text:?} is not a number")),
        Cast::Bool => match t.to_ascii_lowercase().as_str() {
            "y" | "yes" | "true" | "on" => Ok(Value::Bool(true)),
            "n" | "no" | "false" | "off" => Ok(Value::Bool(false)),
            _ => Err(format!("{text:?} is not a boolean")),
        },
    }
}

/// `text` with its variables replaced; the names of unset variables used are added to
/// `unset`. The error says what is wrong (`required variable DB is missing a value: ...`).
pub fn substitute(text: &str, lookup: &Lookup, unset: &mut Vec<String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(inner) = after.strip_prefix('{') {
            let end = closing_brace(inner).ok_or_else(|| {
                format!("unclosed ${{ in {text:?}: a variable is written ${{NAME}}")
            })?;
            out.push_str(&braced(&inner[..end], text, lookup, unset)?);
            rest = &inner[end + 1..];
        } else {
            let len = name_len(after);
            if len == 0 {
                return Err(format!(
                    "invalid interpolation format in {text:?}: write $$ for a literal $"
                ));
            }
            out.push_str(&value_of(&after[..len], lookup, unset));
            rest = &after[len..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// The index of the `}` that closes a `${` whose content starts `inner`, skipping nested
/// `${...}` and `$$`.
fn closing_brace(inner: &str) -> Option<usize> {
    let bytes = inner.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'$' if bytes.get(i + 1) == Some(&b'$') => i += 1,
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 1;
            }
            b'}' if depth == 0 => return Some(i),
            b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

/// Length of the variable name `text` starts with (`[_A-Za-z][_A-Za-z0-9]*`), 0 if none.
fn name_len(text: &str) -> usize {
    let mut chars = text.char_indices();
    match chars.next() {
        Some((_, c)) if c == '_' || c.is_ascii_alphabetic() => {}
        _ => return 0,
    }
    chars
        .find(|(_, c)| !(*c == '_' || c.is_ascii_alphanumeric()))
        .map_or(text.len(), |(i, _)| i)
}

fn value_of(name: &str, lookup: &Lookup, unset: &mut Vec<String>) -> String {
    lookup(name).unwrap_or_else(|| {
        if !unset.iter().any(|u| u == name) {
            unset.push(name.to_string());
        }
        String::new()
    })
}

/// The content of `${...}`: a name, then nothing or an operator and its word.
fn braced(
    content: &str,
    text: &str,
    lookup: &Lookup,
    unset: &mut Vec<String>,
) -> Result<String, String> {
    let len = name_len(content);
    let (name, op) = content.split_at(len);
    if name.is_empty() {
        return Err(format!(
            "invalid interpolation format in {text:?}: ${{{content}}} names no variable"
        ));
    }
    if op.is_empty() {
        return Ok(value_of(name, lookup, unset));
    }
    let (colon, op) = match op.strip_prefix(':') {
        Some(op) => (true, op),
        None => (false, op),
    };
    let Some(kind) = op.chars().next().filter(|c| matches!(c, '-' | '?' | '+')) else {
        return Err(format!(
            "invalid interpolation format in {text:?}: ${{{content}}} (expected \
             ${{{name}}}, ${{{name}:-default}}, ${{{name}:?error}} or ${{{name}:+alternative}})"
        ));
    };
    let word = &op[1..];
    let value = lookup(name);
    // With a colon, an empty value counts as unset.
    let set = value.as_deref().is_some_and(|v| !colon || !v.is_empty());
    match kind {
        '-' if set => Ok(value.unwrap_or_default()),
        '-' => substitute(word, lookup, unset),
        '+' if set => substitute(word, lookup, unset),
        '+' => Ok(String::new()),
        _ if set => Ok(value.unwrap_or_default()),
        _ => {
            let message = substitute(word, lookup, unset)?;
            Err(if message.is_empty() {
                format!("required variable {name} is missing a value")
            } else {
                format!("required variable {name} is missing a value: {message}")
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::locate::parse_path;
    use std::collections::BTreeMap;

    fn vars() -> BTreeMap<String, String> {
        [("USER", "ann"), ("EMPTY", ""), ("TAG", "2"), ("N", "3")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn sub(text: &str) -> Result<String, String> {
        let vars = vars();
        let mut unset = Vec::new();
        substitute(text, &|n| vars.get(n).cloned(), &mut unset)
    }

    #[test]
    fn every_form_of_the_specification() {
        assert_eq!(sub("$USER and ${USER}").unwrap(), "ann and ann");
        assert_eq!(sub("img:${TAG}-x $USER.").unwrap(), "img:2-x ann.");
        assert_eq!(sub("${NOPE:-dflt} ${EMPTY:-dflt}").unwrap(), "dflt dflt");
        assert_eq!(sub("${NOPE-dflt}|${EMPTY-dflt}|").unwrap(), "dflt||");
        assert_eq!(sub("${USER:-dflt} ${USER-dflt}").unwrap(), "ann ann");
        assert_eq!(
            sub("${USER:+alt}|${EMPTY:+alt}|${NOPE:+alt}").unwrap(),
            "alt||"
        );
        assert_eq!(
            sub("${USER+alt}|${EMPTY+alt}|${NOPE+alt}").unwrap(),
            "alt|alt|"
        );
        assert_eq!(sub("${USER:?needed} ${USER?needed}").unwrap(), "ann ann");
        assert_eq!(sub("${EMPTY?ok}").unwrap(), "");
        assert_eq!(sub("${EMPTY:-}").unwrap(), "");
        assert_eq!(sub("no variables").unwrap(), "no variables");
    }

    #[test]
    fn a_double_dollar_is_a_literal_dollar() {
        assert_eq!(
            sub("$$USER costs $$5 $${TAG}").unwrap(),
            "$USER costs $5 ${TAG}"
        );
        assert_eq!(sub("${NOPE:-$$x}").unwrap(), "$x");
    }

    #[test]
    fn defaults_may_hold_variables() {
        assert_eq!(sub("${NOPE:-${USER}}").unwrap(), "ann");
        assert_eq!(sub("${NOPE:-${ALSO:-deep} end}").unwrap(), "deep end");
        assert_eq!(sub("${NOPE:-a}}").unwrap(), "a}");
        assert_eq!(sub("${USER:+is $USER}").unwrap(), "is ann");
        assert_eq!(
            sub("${NOPE:?set ${USER}'s NOPE}").unwrap_err(),
            "required variable NOPE is missing a value: set ann's NOPE"
        );
    }

    #[test]
    fn required_variables_and_bad_templates_are_errors() {
        assert_eq!(
            sub("x ${DB:?the database is required}").unwrap_err(),
            "required variable DB is missing a value: the database is required"
        );
        assert_eq!(
            sub("${EMPTY:?}").unwrap_err(),
            "required variable EMPTY is missing a value"
        );
        assert!(sub("${NOPE?}").is_err());
        assert!(sub("${USER").unwrap_err().starts_with("unclosed ${"));
        assert!(
            sub("${NOPE:-${USER}")
                .unwrap_err()
                .starts_with("unclosed ${")
        );
        assert!(
            sub("echo $1")
                .unwrap_err()
                .contains("write $$ for a literal $")
        );
        assert!(sub("price: 5$").is_err());
        assert!(sub("${}").unwrap_err().contains("names no variable"));
        assert!(sub("${USER:x}").unwrap_err().contains("expected ${USER}"));
        assert!(sub("${9LIVES}").is_err());
    }

    #[test]
    fn unset_variables_become_empty_and_are_reported_once() {
        let mut unset = Vec::new();
        let out = substitute("a$NOPE-${NOPE}-${OTHER}", &|_| None, &mut unset).unwrap();
        assert_eq!(out, "a--");
        assert_eq!(unset, ["NOPE", "OTHER"]);
    }

    fn run(yaml: &str) -> Result<Value, Vec<InterpolateError>> {
        let vars = vars();
        let mut value: Value = serde_yaml::from_str(yaml).unwrap();
        interpolate(&mut value, &|n| vars.get(n).cloned()).map(|_| value)
    }

    #[test]
    fn every_string_value_but_no_key_is_interpolated() {
        let v = run("services:\n  $USER:\n    image: x:${TAG}\n    command: [a, $USER]\n    environment: {A: '${NOPE:-d}', B: 2}\n").unwrap();
        let svc = &v["services"]["$USER"];
        assert_eq!(svc["image"], Value::from("x:2"));
        assert_eq!(svc["command"][1], Value::from("ann"));
        assert_eq!(svc["environment"]["A"], Value::from("d"));
        assert_eq!(svc["environment"]["B"], Value::from(2));
    }

    #[test]
    fn numeric_and_boolean_fields_are_cast() {
        let v = run("services:\n  web:\n    deploy: {replicas: '${N}', update_config: {max_failure_ratio: '${X:-0.5}'}}\n    healthcheck: {disable: '${X:-yes}'}\n    ports: [{target: '${N}0'}]\n    labels: {n: '${N}'}\n").unwrap();
        let web = &v["services"]["web"];
        assert_eq!(web["deploy"]["replicas"], Value::from(3));
        assert_eq!(
            web["deploy"]["update_config"]["max_failure_ratio"],
            Value::from(0.5)
        );
        assert_eq!(web["healthcheck"]["disable"], Value::Bool(true));
        assert_eq!(web["ports"][0]["target"], Value::from(30));
        assert_eq!(
            web["labels"]["n"],
            Value::from("3"),
            "a label stays a string"
        );
        let e = run("services:\n  web:\n    deploy: {replicas: '${USER}'}\n").unwrap_err();
        assert_eq!(e[0].path, parse_path("services.web.deploy.replicas"));
        assert_eq!(e[0].message, "\"ann\" is not a whole number");
    }

    #[test]
    fn errors_carry_the_path_of_their_value() {
        let e = run("services:\n  web:\n    image: ${IMG:?set IMG}\n    command: [ok, '${oops']\n")
            .unwrap_err();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].path, parse_path("services.web.image"));
        assert_eq!(
            e[0].message,
            "required variable IMG is missing a value: set IMG"
        );
        assert_eq!(e[1].path, parse_path("services.web.command[1]"));
    }
}
