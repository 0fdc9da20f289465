//! Where a field path like `task.container.env[1]` sits in a YAML document, as line and
//! column. yaml_serde keeps no positions in its `Value`, but its errors carry the position
//! of the node being read; so we read the document once more, walk down the path and fail
//! on purpose at the target node (or at the deepest ancestor present, for a field left to
//! its default), and take the error's location. The same walk reads a typed value in place
//! (one element of a list of services) with positions in its errors.

use serde::Deserialize;
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess,
    Visitor,
};
use std::fmt;
use std::marker::PhantomData;

/// A line and column, both counted from 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl Position {
    pub fn of(error: &serde_yaml::Error) -> Option<Position> {
        error.location().map(|l| Position {
            line: l.line(),
            column: l.column(),
        })
    }
}

/// One step of a field path: a mapping key or a sequence index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// `a.b[2].c` -> [Key(a), Key(b), Index(2), Key(c)]. Anything unparsable ends the path
/// there: a position of an ancestor is still useful.
pub fn parse_path(path: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let mut pieces = part.split('[');
        if let Some(key) = pieces.next().filter(|k| !k.is_empty()) {
            steps.push(Step::Key(key.to_string()));
        }
        for index in pieces {
            match index.strip_suffix(']').and_then(|i| i.parse().ok()) {
                Some(i) => steps.push(Step::Index(i)),
                None => return steps,
            }
        }
    }
    steps
}

/// Position of the node at `path` in document `doc` (0-based) of `text`, or of its deepest
/// ancestor present.
pub fn locate(text: &str, doc: usize, path: &[Step]) -> Option<Position> {
    let document = serde_yaml::Deserializer::from_str(text).nth(doc)?;
    match At::<Here>::new(path).deserialize(document) {
        Err(e) => Position::of(&e),
        Ok(Here) => None,
    }
}

/// Reads a `T` from the node at `path` of document `doc`, straight from the text so its
/// errors carry positions and paths.
pub fn read_at<T: DeserializeOwned>(
    text: &str,
    doc: usize,
    path: &[Step],
) -> Result<T, serde_yaml::Error> {
    match serde_yaml::Deserializer::from_str(text).nth(doc) {
        Some(document) => At::<T>::new(path).deserialize(document),
        None => Err(de::Error::custom(format!("no document {}", doc + 1))),
    }
}

/// Walks down `path` and reads a `T` there; a missing step is an error at the node where
/// the walk stopped.
struct At<'p, T> {
    path: &'p [Step],
    read: PhantomData<T>,
}

impl<'p, T> At<'p, T> {
    fn new(path: &'p [Step]) -> Self {
        At {
            path,
            read: PhantomData,
        }
    }
}

const MISSING: &str = "no such field";

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for At<'_, T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        match self.path.first() {
            None => T::deserialize(d),
            Some(Step::Key(_)) => d.deserialize_map(self),
            Some(Step::Index(_)) => d.deserialize_seq(self),
        }
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for At<'_, T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the path to a field")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let (Some(Step::Key(wanted)), rest) = (self.path.first(), &self.path[1..]) else {
            return Err(de::Error::custom(MISSING));
        };
        while let Some(key) = map.next_key::<serde_yaml::Value>()? {
            if key.as_str() == Some(wanted.as_str()) {
                let found = map.next_value_seed(At::<T>::new(rest))?;
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                return Ok(found);
            }
            map.next_value::<IgnoredAny>()?;
        }
        Err(de::Error::custom(MISSING))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<T, A::Error> {
        let (Some(Step::Index(wanted)), rest) = (self.path.first(), &self.path[1..]) else {
            return Err(de::Error::custom(MISSING));
        };
        for _ in 0..*wanted {
            if seq.next_element::<IgnoredAny>()?.is_none() {
                return Err(de::Error::custom(MISSING));
            }
        }
        let found = seq
            .next_element_seed(At::<T>::new(rest))?
            .ok_or_else(|| de::Error::custom(MISSING))?;
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(found)
    }
}

/// The target of `locate`: refuses whatever it finds, so the error carries its position.
struct Here;

impl<'de> Deserialize<'de> for Here {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Here, D::Error> {
        d.deserialize_any(HereVisitor)
    }
}

struct HereVisitor;

impl<'de> Visitor<'de> for HereVisitor {
    type Value = Here;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("nothing: this is where the field is")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "\
name: web
task:
  container:
    image: shoal-demo:1
    env:
      - A=1
      - B
---
name: api
mode:
  replicated:
    replicas: 3
";

    fn at(doc: usize, path: &str) -> Option<(usize, usize)> {
        locate(DOC, doc, &parse_path(path)).map(|p| (p.line, p.column))
    }

    #[test]
    fn parses_paths() {
        assert_eq!(
            parse_path("task.env[1].x"),
            [
                Step::Key("task".into()),
                Step::Key("env".into()),
                Step::Index(1),
                Step::Key("x".into())
            ]
        );
        assert_eq!(parse_path(""), []);
        assert_eq!(parse_path("a[x].b"), [Step::Key("a".into())]);
    }

    #[test]
    fn finds_values_in_the_right_document() {
        assert_eq!(at(0, "name"), Some((1, 7)));
        assert_eq!(at(0, "task.container.image"), Some((4, 12)));
        assert_eq!(at(0, "task.container.env[1]"), Some((7, 9)));
        assert_eq!(at(1, "name"), Some((9, 7)));
        assert_eq!(at(1, "mode.replicated.replicas"), Some((12, 15)));
    }

    #[test]
    fn reads_a_value_in_place_with_its_position_in_errors() {
        let env: Vec<String> = read_at(DOC, 0, &parse_path("task.container.env")).unwrap();
        assert_eq!(env, ["A=1", "B"]);
        let n: u64 = read_at(DOC, 1, &parse_path("mode.replicated.replicas")).unwrap();
        assert_eq!(n, 3);
        let e = read_at::<u64>(DOC, 0, &parse_path("name")).unwrap_err();
        assert_eq!(Position::of(&e), Some(Position { line: 1, column: 7 }));
        assert!(read_at::<u64>(DOC, 0, &parse_path("nope")).is_err());
    }

    #[test]
    fn a_missing_field_points_at_its_deepest_ancestor() {
        assert_eq!(at(0, "task.container.ports[0].published"), Some((4, 5)));
        assert_eq!(at(0, "task.container.env[5]"), Some((6, 7)));
        assert_eq!(at(1, "task.restart.delay"), Some((9, 1)));
        assert_eq!(at(2, "name"), None);
    }
}
