//! A small JSON Schema checker for the subset the document uses (`type`, `enum`,
//! `properties`, `required`, `additionalProperties`, `items`, `oneOf`, `$ref`, `minimum`,
//! `maximum`). It also records which schema properties real values used, so a test can tell
//! when the schema names a field that no longer exists.

use serde_json::{Map, Value};
use std::collections::BTreeSet;

pub struct Validator<'a> {
    schemas: &'a Map<String, Value>,
    /// `Schema.field.sub` of every property a validated value had.
    pub seen: BTreeSet<String>,
}

impl<'a> Validator<'a> {
    pub fn new(schemas: &'a Map<String, Value>) -> Self {
        Validator {
            schemas,
            seen: BTreeSet::new(),
        }
    }

    /// Checks `value` against the named schema.
    pub fn check(&mut self, name: &str, value: &Value) -> Result<(), String> {
        let schema = self.named(name)?;
        self.validate(schema, value, name, "$")
    }

    fn named(&self, name: &str) -> Result<&'a Value, String> {
        self.schemas
            .get(name)
            .ok_or_else(|| format!("no schema named {name}"))
    }

    fn validate(&mut self, s: &'a Value, v: &Value, loc: &str, at: &str) -> Result<(), String> {
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            let name = r.trim_start_matches("#/components/schemas/");
            return self.validate(self.named(name)?, v, name, at);
        }
        if let Some(options) = s.get("oneOf").and_then(Value::as_array) {
            let mut matched = Vec::new();
            for o in options {
                let mut branch = Validator::new(self.schemas);
                if branch.validate(o, v, loc, at).is_ok() {
                    matched.push(branch.seen);
                }
            }
            return match matched.len() {
                1 => {
                    self.seen.extend(matched.pop().unwrap_or_default());
                    Ok(())
                }
                n => Err(format!(
                    "{at}: matches {n} of the oneOf schemas, not 1: {v}"
                )),
            };
        }
        if let Some(t) = s.get("type") {
            let types: Vec<&str> = match t {
                Value::String(one) => vec![one.as_str()],
                Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
                _ => return Err(format!("{loc}: bad type {t}")),
            };
            if !types.iter().any(|t| has_type(v, t)) {
                return Err(format!("{at}: expected {types:?}, got {v}"));
            }
        }
        if let Some(values) = s.get("enum").and_then(Value::as_array)
            && !values.contains(v)
        {
            return Err(format!("{at}: {v} is not one of {values:?}"));
        }
        if let (Some(min), Some(n)) = (s.get("minimum").and_then(Value::as_f64), v.as_f64())
            && n < min
        {
            return Err(format!("{at}: {n} < {min}"));
        }
        if let (Some(max), Some(n)) = (s.get("maximum").and_then(Value::as_f64), v.as_f64())
            && n > max
        {
            return Err(format!("{at}: {n} > {max}"));
        }
        if let (Some(items), Some(list)) = (s.get("items"), v.as_array()) {
            for (i, item) in list.iter().enumerate() {
                self.validate(items, item, &format!("{loc}[]"), &format!("{at}[{i}]"))?;
            }
        }
        if let Some(obj) = v.as_object() {
            self.validate_object(s, obj, loc, at)?;
        }
        Ok(())
    }

    fn validate_object(
        &mut self,
        s: &'a Value,
        obj: &Map<String, Value>,
        loc: &str,
        at: &str,
    ) -> Result<(), String> {
        for r in s
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let r = r.as_str().unwrap_or_default();
            if !obj.contains_key(r) {
                return Err(format!("{at}: required field {r} is missing"));
            }
        }
        let props = s.get("properties").and_then(Value::as_object);
        for (k, value) in obj {
            let here = format!("{at}.{k}");
            match (props.and_then(|p| p.get(k)), s.get("additionalProperties")) {
                (Some(p), _) => {
                    let l = format!("{loc}.{k}");
                    self.seen.insert(l.clone());
                    self.validate(p, value, &l, &here)?;
                }
                (None, Some(Value::Bool(false))) => {
                    return Err(format!("{here}: not in the schema ({loc})"));
                }
                (None, Some(extra)) if extra.is_object() => {
                    self.validate(extra, value, &format!("{loc}.*"), &here)?;
                }
                (None, _) => {}
            }
        }
        Ok(())
    }
}

fn has_type(v: &Value, t: &str) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        _ => false,
    }
}

/// Every property location (`Schema.field.sub`) the schemas declare, as [`Validator::seen`]
/// names them.
pub fn declared(schemas: &Map<String, Value>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (name, s) in schemas {
        walk(s, name, &mut out);
    }
    out
}

fn walk(s: &Value, loc: &str, out: &mut BTreeSet<String>) {
    if let Some(props) = s.get("properties").and_then(Value::as_object) {
        for (k, p) in props {
            let l = format!("{loc}.{k}");
            out.insert(l.clone());
            walk(p, &l, out);
        }
    }
    if let Some(items) = s.get("items") {
        walk(items, &format!("{loc}[]"), out);
    }
    for o in s
        .get("oneOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        walk(o, loc, out);
    }
}
