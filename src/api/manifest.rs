//! Manifests in: YAML (single or multi-document) or JSON text into one JSON value per object,
//! with syntax errors located by source, document and line/column. `kind: List` is expanded.

use serde::Deserialize;
use serde_json::Value;

use super::error::ApiError;

/// One object read from a manifest; `document` counts from 1 within its source.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    pub source: String,
    pub document: usize,
    pub value: Value,
}

/// Split `text` into objects. A syntax error anywhere rejects the whole text (as kubectl does
/// before it sends anything), naming the document and position.
pub fn parse_documents(text: &str, source: &str) -> Result<Vec<Document>, ApiError> {
    let mut docs = Vec::new();
    for (i, de) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
        let document = i + 1;
        let value = Value::deserialize(de).map_err(|e| {
            let (line, column) = e.location().map(|l| (l.line(), l.column())).unwrap_or((0, 0));
            ApiError::Syntax {
                source_name: source.to_string(),
                document,
                line,
                column,
                message: strip_location(&e.to_string()),
            }
        })?;
        match value {
            Value::Null => continue,
            Value::Object(ref m)
                if m.get("kind").and_then(Value::as_str).is_some_and(|k| k.ends_with("List"))
                    && m.contains_key("items") =>
            {
                let items = m.get("items").and_then(Value::as_array).cloned().unwrap_or_default();
                docs.extend(items.into_iter().map(|value| Document { source: source.to_string(), document, value }));
            }
            Value::Object(_) => docs.push(Document { source: source.to_string(), document, value }),
            other => {
                return Err(ApiError::Syntax {
                    source_name: source.to_string(),
                    document,
                    line: 0,
                    column: 0,
                    message: format!("expected an object, found {}", json_type(&other)),
                })
            }
        }
    }
    Ok(docs)
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// serde_yaml appends " at line L column C"; the location is reported separately.
fn strip_location(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_document_yaml_splits_and_skips_empty_documents() {
        let text = "---\napiVersion: v1\nkind: Pod\n---\n---\napiVersion: v1\nkind: Node\n...\n";
        let docs = parse_documents(text, "x.yaml").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].value["kind"], "Pod");
        assert_eq!(docs[1].value["kind"], "Node");
        assert_eq!(docs[1].document, 3);
    }

    #[test]
    fn json_text_is_accepted() {
        let docs = parse_documents(r#"{"apiVersion": "v1", "kind": "Pod"}"#, "<json>").unwrap();
        assert_eq!(docs[0].value["apiVersion"], "v1");
    }

    #[test]
    fn lists_expand_to_their_items() {
        let text =
            "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Pod}\n- {apiVersion: v1, kind: Node}\n";
        let docs = parse_documents(text, "l.yaml").unwrap();
        assert_eq!(docs.len(), 2);
    }

    #[test]
    fn syntax_errors_name_source_document_and_position() {
        let text = "apiVersion: v1\nkind: Pod\n---\napiVersion: v1\nkind: [Pod\nmetadata: {}\n";
        let err = parse_documents(text, "bad.yaml").unwrap_err();
        match &err {
            ApiError::Syntax { source_name, document, line, .. } => {
                assert_eq!(source_name, "bad.yaml");
                assert_eq!(*document, 2);
                assert!(*line >= 5, "line {line}");
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(err.to_string().starts_with("error parsing bad.yaml (document 2, line "), "{err}");
    }

    #[test]
    fn yaml_1_2_keeps_y_and_on_as_strings() {
        let docs = parse_documents("a: y\nb: on\nc: true\n", "t").unwrap();
        assert_eq!(docs[0].value["a"], "y");
        assert_eq!(docs[0].value["b"], "on");
        assert_eq!(docs[0].value["c"], true);
    }

    #[test]
    fn scalars_are_not_objects() {
        let err = parse_documents("just text", "t").unwrap_err();
        assert_eq!(err.to_string(), "error parsing t (document 1): expected an object, found a string");
    }
}
