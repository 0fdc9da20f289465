//! JSON kept exactly as the server sent it, key order included, so `-o json|yaml` shows
//! objects as stored (`id`, `version`, ... first) rather than with keys sorted, as
//! `serde_json::Value` would without its `preserve_order` feature (which would change
//! `serde_json` for the whole workspace).

use serde::de::{self, DeserializeOwned, MapAccess, SeqAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

#[derive(Clone, Debug, PartialEq)]
pub enum OrderedJson {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<OrderedJson>),
    /// Entries in the order they were received.
    Object(Vec<(String, OrderedJson)>),
}

impl OrderedJson {
    pub fn parse(text: &str) -> serde_json::Result<OrderedJson> {
        serde_json::from_str(text)
    }

    /// Reads a typed object out of the document.
    pub fn to_typed<T: DeserializeOwned>(&self) -> serde_json::Result<T> {
        T::deserialize(serde_json::to_value(self)?)
    }

    /// An object from `(key, value)` pairs, in that order.
    pub fn object<K: Into<String>>(entries: impl IntoIterator<Item = (K, OrderedJson)>) -> Self {
        OrderedJson::Object(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    pub fn pretty(&self) -> serde_json::Result<String> {
        serde_json::to_string_pretty(self)
    }

    pub fn yaml(&self) -> Result<String, serde_yaml::Error> {
        serde_yaml::to_string(self)
    }
}

impl Serialize for OrderedJson {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            OrderedJson::Null => s.serialize_unit(),
            OrderedJson::Bool(b) => s.serialize_bool(*b),
            OrderedJson::Number(n) => n.serialize(s),
            OrderedJson::String(text) => s.serialize_str(text),
            OrderedJson::Array(items) => items.serialize(s),
            OrderedJson::Object(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for OrderedJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<OrderedJson, D::Error> {
        d.deserialize_any(OrderedVisitor)
    }
}

struct OrderedVisitor;

impl<'de> Visitor<'de> for OrderedVisitor {
    type Value = OrderedJson;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<OrderedJson, E> {
        Ok(OrderedJson::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<OrderedJson, E> {
        Ok(OrderedJson::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<OrderedJson, D::Error> {
        OrderedJson::deserialize(d)
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<OrderedJson, E> {
        Ok(OrderedJson::Bool(b))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<OrderedJson, E> {
        Ok(OrderedJson::Number(n.into()))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<OrderedJson, E> {
        Ok(OrderedJson::Number(n.into()))
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<OrderedJson, E> {
        Ok(serde_json::Number::from_f64(n).map_or(OrderedJson::Null, OrderedJson::Number))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<OrderedJson, E> {
        Ok(OrderedJson::String(s.to_string()))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<OrderedJson, E> {
        Ok(OrderedJson::String(s))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<OrderedJson, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(OrderedJson::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OrderedJson, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry::<String, OrderedJson>()? {
            entries.push(entry);
        }
        Ok(OrderedJson::Object(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str =
        r#"{"id":"x","version":3,"spec":{"name":"web","z":null,"a":[1,-2,0.5,true]}}"#;

    #[test]
    fn keeps_key_order_in_json_and_yaml() {
        let doc = OrderedJson::parse(DOC).unwrap();
        assert_eq!(serde_json::to_string(&doc).unwrap(), DOC);
        let pretty = doc.pretty().unwrap();
        assert!(
            pretty.starts_with("{\n  \"id\": \"x\",\n  \"version\": 3,"),
            "{pretty}"
        );
        let yaml = doc.yaml().unwrap();
        assert!(
            yaml.starts_with("id: x\nversion: 3\nspec:\n  name: web\n  z: null\n"),
            "{yaml}"
        );
    }

    #[test]
    fn reads_typed_objects() {
        #[derive(Deserialize)]
        struct Spec {
            name: String,
        }
        #[derive(Deserialize)]
        struct Obj {
            version: u64,
            spec: Spec,
        }
        let obj: Obj = OrderedJson::parse(DOC).unwrap().to_typed().unwrap();
        assert_eq!((obj.version, obj.spec.name.as_str()), (3, "web"));
    }
}
