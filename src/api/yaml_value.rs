//! YAML documents into JSON values, as serde_json's own `Value` reads them but for three things.
//! JSON cannot hold a float that is not finite (`.inf`, `-.inf`, `.nan`): serde_json turns one
//! into `null`, which silently drops the field; here it becomes a marker object instead, which
//! decoding rejects at its field path (see [`first_non_finite`]) whatever type the field has.
//! A repeated mapping key is an error (as kubectl's reader says), not the last value winning.
//! An integer beyond 64 bits reads as a float (as Go's YAML reader takes it), so decoding names
//! its field instead of the whole text failing.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, Error, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// The key of the marker object standing for a float JSON cannot hold.
const NON_FINITE_KEY: &str = "\u{0}non-finite";

/// Deserializes any self-describing input (a YAML document) into a JSON [`Value`].
pub struct JsonValue;

impl<'de> DeserializeSeed<'de> for JsonValue {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(JsonValue)
    }
}

impl<'de> Visitor<'de> for JsonValue {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E: Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E: Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_i128<E: Error>(self, v: i128) -> Result<Value, E> {
        Ok(match (i64::try_from(v), u64::try_from(v)) {
            (Ok(i), _) => Value::Number(i.into()),
            (_, Ok(u)) => Value::Number(u.into()),
            _ => self.visit_f64::<E>(v as f64)?,
        })
    }

    fn visit_u128<E: Error>(self, v: u128) -> Result<Value, E> {
        match u64::try_from(v) {
            Ok(u) => Ok(Value::Number(u.into())),
            Err(_) => self.visit_f64(v as f64),
        }
    }

    fn visit_f64<E: Error>(self, v: f64) -> Result<Value, E> {
        Ok(match Number::from_f64(v) {
            Some(n) => Value::Number(n),
            None => {
                let literal = if v.is_nan() {
                    ".nan"
                } else if v > 0.0 {
                    ".inf"
                } else {
                    "-.inf"
                };
                Value::Object(Map::from_iter([(NON_FINITE_KEY.to_string(), Value::String(literal.into()))]))
            }
        })
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E: Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E: Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        JsonValue.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(item) = seq.next_element_seed(JsonValue)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key_seed(MapKey)? {
            let value = map.next_value_seed(JsonValue)?;
            // upstream: kubectl's YAML reader rejects a repeated key rather than keep the last.
            if out.contains_key(&key) {
                return Err(A::Error::custom(format!("key {key:?} already set in map")));
            }
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

/// A mapping key: a string (a scalar such as `1` reads as its text), as serde_json reads keys.
struct MapKey;

impl<'de> DeserializeSeed<'de> for MapKey {
    type Value = String;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<String, D::Error> {
        deserializer.deserialize_str(MapKey)
    }
}

impl Visitor<'_> for MapKey {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_string<E: Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
}

/// Where a repeated key stands: the error is raised where its mapping starts (`line`, `column`,
/// 1-based), but kubectl names the line of the second occurrence, which is found here by looking
/// for the key at the mapping's indentation. `None` for other errors and for flow mappings.
pub fn repeated_key_position(text: &str, line: usize, column: usize, message: &str) -> Option<(usize, usize)> {
    let key = message.split("key \"").nth(1)?.split("\" already set in map").next()?;
    // The key as written: bare or quoted, then its colon.
    let written = |body: &str| {
        [("", ""), ("\"", "\""), ("'", "'")].iter().any(|(open, close)| {
            body.strip_prefix(open)
                .and_then(|rest| rest.strip_prefix(key))
                .and_then(|rest| rest.strip_prefix(close))
                .is_some_and(|rest| rest.trim_start_matches(' ').starts_with(':'))
        })
    };
    let indent = column.checked_sub(1)?;
    let mut seen = 0;
    for (i, l) in text.lines().enumerate().skip(line.checked_sub(1)?) {
        let body = l.trim_start_matches(' ');
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        // Leading spaces are one byte each; the column counts characters.
        let mut at = l.len() - body.len();
        let mut body = body;
        // A `- ` item marker can open the mapping on its first line.
        if i + 1 == line && at < indent && body.starts_with("- ") {
            let (offset, _) = l.char_indices().nth(indent)?;
            body = l[offset..].trim_start_matches(' ');
            at = indent;
        }
        if at < indent && i + 1 > line {
            return None;
        }
        if at == indent && written(body) {
            seen += 1;
            if seen == 2 {
                return Some((i + 1, column));
            }
        }
    }
    None
}

/// The path and YAML spelling of the first float in `value` that JSON cannot hold.
pub fn first_non_finite(value: &Value) -> Option<(String, &str)> {
    // Every object decoded passes here and almost none holds such a float: a walk that builds
    // no path says whether to look for it.
    fn any(value: &Value) -> bool {
        match value {
            Value::Object(map) => {
                (map.len() == 1 && matches!(map.get(NON_FINITE_KEY), Some(Value::String(_)))) || map.values().any(any)
            }
            Value::Array(items) => items.iter().any(any),
            _ => false,
        }
    }
    fn walk<'v>(value: &'v Value, path: &mut String) -> Option<&'v str> {
        match value {
            Value::Object(map) => {
                if let (1, Some(Value::String(literal))) = (map.len(), map.get(NON_FINITE_KEY)) {
                    return Some(literal);
                }
                for (k, v) in map {
                    let len = path.len();
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(k);
                    if let Some(found) = walk(v, path) {
                        return Some(found);
                    }
                    path.truncate(len);
                }
                None
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    let len = path.len();
                    path.push_str(&format!("[{i}]"));
                    if let Some(found) = walk(v, path) {
                        return Some(found);
                    }
                    path.truncate(len);
                }
                None
            }
            _ => None,
        }
    }
    if !any(value) {
        return None;
    }
    let mut path = String::new();
    walk(value, &mut path).map(|literal| (path, literal))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Value {
        JsonValue.deserialize(serde_yaml_ng::Deserializer::from_str(text)).unwrap()
    }

    #[test]
    fn values_read_as_serde_json_reads_them() {
        let text = "a: 1\nb: -2\nc: 2.5\nd: [x, true, null, ~]\ne: {f: '3'}\ng: 18446744073709551615\nh: 1e3\ni: 0x1F\nj: \"\"\n";
        let ours = parse(text);
        let theirs: Value = serde_yaml_ng::from_str(text).unwrap();
        assert_eq!(ours, theirs);
        // Integers beyond 64 bits read as floats (as Go's YAML reader takes them), so decoding
        // names the field rather than failing the whole text.
        assert_eq!(parse("k: 99999999999999999999999")["k"].as_f64(), Some(1e23));
        assert_eq!(parse("k: -99999999999999999999")["k"].as_f64(), Some(-1e20));
    }

    #[test]
    fn a_repeated_key_is_an_error_where_it_stands() {
        let e = JsonValue.deserialize(serde_yaml_ng::Deserializer::from_str("a: 1\nb:\n  c: 2\n  c: 3\n")).unwrap_err();
        assert!(e.to_string().starts_with("b: key \"c\" already set in map"), "{e}");
        let (line, column) = e.location().map(|l| (l.line(), l.column())).unwrap();
        assert_eq!(repeated_key_position("a: 1\nb:\n  c: 2\n  c: 3\n", line, column, &e.to_string()), Some((4, 3)));
        // Quoted keys, keys ending in a multibyte character, a mapping opened by `- ` after
        // multibyte text: found, never a panic on a character boundary.
        for text in
            ["\"é\": 1\n\"é\": 2\n", "x:\n- 'ké': 1\n  'ké': 2\n", "- ééé: {c: 1, c: 2}\n", "é:\n  é: 1\n  é: 2\n"]
        {
            let e = JsonValue.deserialize(serde_yaml_ng::Deserializer::from_str(text)).unwrap_err();
            let (line, column) = e.location().map(|l| (l.line(), l.column())).unwrap();
            let _ = repeated_key_position(text, line, column, &e.to_string());
        }
        // Found by the manifest fuzz target (a multibyte key after `- `, repeated).
        let found = "sptrec:\n-\u{5d1}:\n\r-\u{5d1}: .A?5\n";
        let e = JsonValue.deserialize(serde_yaml_ng::Deserializer::from_str(found)).unwrap_err();
        let (line, column) = e.location().map(|l| (l.line(), l.column())).unwrap();
        let _ = repeated_key_position(found, line, column, &e.to_string());
        assert!(crate::api::manifest::parse_documents(found, "t").is_err());
        let text = "\"é\": 1\n\"é\": 2\n";
        let e = JsonValue.deserialize(serde_yaml_ng::Deserializer::from_str(text)).unwrap_err();
        let (line, column) = e.location().map(|l| (l.line(), l.column())).unwrap();
        assert_eq!(repeated_key_position(text, line, column, &e.to_string()), Some((2, 1)));
    }

    #[test]
    fn floats_json_cannot_hold_are_found_at_their_path() {
        for (text, path, literal) in [
            ("spec:\n  replicas: .inf\n", "spec.replicas", ".inf"),
            ("spec:\n  minReadySeconds: -.Inf\n", "spec.minReadySeconds", "-.inf"),
            (
                "spec:\n  containers:\n  - ports: [{containerPort: .nan}]\n",
                "spec.containers[0].ports[0].containerPort",
                ".nan",
            ),
        ] {
            assert_eq!(first_non_finite(&parse(text)), Some((path.to_string(), literal)), "{text}");
        }
        assert_eq!(first_non_finite(&parse("a: {b: [1, 2.5, inf]}\n")), None, "`inf` is a string in YAML 1.2");
    }
}
