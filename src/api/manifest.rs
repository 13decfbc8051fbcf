//! Manifests in: YAML (single or multi-document) or JSON text into one JSON value per object,
//! with syntax errors located by source, document and line/column. `kind: List` is expanded.

use serde::de::DeserializeSeed;
use serde::{Deserialize, Deserializer as _};
use serde_json::Value;

use super::error::ApiError;
use super::yaml_value::{repeated_key_position, JsonValue};

/// One object read from a manifest; `document` counts from 1 within its source. `V` is what the
/// object became where it was read (see [`parse_documents_with`]): its JSON value by default.
#[derive(Clone, Debug, PartialEq)]
pub struct Document<V = Value> {
    pub source: String,
    pub document: usize,
    pub value: V,
}

impl Document {
    /// The same document, its value turned into something else.
    pub fn map<V>(self, f: impl FnOnce(Value) -> V) -> Document<V> {
        Document { source: self.source, document: self.document, value: f(self.value) }
    }
}

/// Split `text` into objects. A syntax error anywhere rejects the whole text (as kubectl does
/// before it sends anything), naming the document and position.
pub fn parse_documents(text: &str, source: &str) -> Result<Vec<Document>, ApiError> {
    parse_piece(text, source).map(|(docs, _)| docs)
}

/// [`parse_documents`], with the text's pieces (see [`pieces`]) parsed by `map` — on a thread
/// pool, say — and put together in order: the same documents with the same numbers. `map` may
/// turn each piece's values into something else where it parsed them (so that a long text is
/// never held as values all at once); `convert` does the same for a text read in one stream.
/// Any error is the whole text's, found by parsing it in one stream, so it reads exactly as
/// [`parse_documents`] puts it.
pub fn parse_documents_with<V, M>(
    text: &str,
    source: &str,
    map: M,
    convert: impl Fn(Value) -> V,
) -> Result<Vec<Document<V>>, ApiError>
where
    M: FnOnce(Vec<&str>, &PieceParser) -> Vec<Result<(Vec<Document<V>>, usize), ApiError>>,
{
    parse_pieces(text, source, PIECE_BYTES, map, convert)
}

fn parse_pieces<V, M>(
    text: &str,
    source: &str,
    min_bytes: usize,
    map: M,
    convert: impl Fn(Value) -> V,
) -> Result<Vec<Document<V>>, ApiError>
where
    M: FnOnce(Vec<&str>, &PieceParser) -> Vec<Result<(Vec<Document<V>>, usize), ApiError>>,
{
    let whole = || parse_documents(text, source).map(|docs| docs.into_iter().map(|d| d.map(&convert)).collect());
    let pieces = pieces(text, min_bytes);
    if pieces.len() < 2 {
        return whole();
    }
    let parse = |piece: &str| parse_piece(piece, source);
    let mut docs = Vec::new();
    let mut before = 0;
    for (i, parsed) in map(pieces, &parse).into_iter().enumerate() {
        // A first piece without objects may be comments, which alone read as one empty document
        // but before a marker as none: the whole text is read in one stream instead.
        let Some((piece_docs, count)) = parsed.ok().filter(|(d, _)| i > 0 || !d.is_empty()) else {
            return whole();
        };
        docs.extend(piece_docs.into_iter().map(|d| Document { document: d.document + before, ..d }));
        before += count;
    }
    Ok(docs)
}

/// What parses one piece: its objects, and how many YAML documents it held (empty ones too).
pub type PieceParser<'a> = dyn Fn(&str) -> Result<(Vec<Document>, usize), ApiError> + Sync + 'a;

/// Pieces worth a thread's while: about this many bytes each.
const PIECE_BYTES: usize = 16 * 1024;

/// `text` cut, at document start markers, into consecutive pieces of at least `min_bytes`
/// (the last may be shorter) that a YAML parser reads as it would read them in one stream:
/// upstream YAML 1.2 makes a line that starts with `---` and a blank a document marker
/// wherever it stands (inside a quoted scalar it is an error either way). Text with directives
/// (`%YAML`, `%TAG`: they reach into the next document) stays in one piece.
fn pieces(text: &str, min_bytes: usize) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    if bytes.first() == Some(&b'%') || text.contains("\n%") {
        out.push(text);
        return out;
    }
    let mut start = 0;
    let mut from = min_bytes;
    while let Some(newline) = bytes.get(from..).and_then(|rest| rest.iter().position(|&b| b == b'\n')) {
        let marker = from + newline + 1;
        let line = &bytes[marker..];
        if line.starts_with(b"---") && matches!(line.get(3), None | Some(b' ' | b'\t' | b'\r' | b'\n')) {
            out.push(&text[start..marker]);
            start = marker;
            from = marker + min_bytes;
        } else {
            from = marker;
        }
    }
    out.push(&text[start..]);
    out
}

/// One JSON document of a stream, read as [`JsonValue`] reads YAML.
struct JsonDocument(Value);

impl<'de> Deserialize<'de> for JsonDocument {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        JsonValue.deserialize(deserializer).map(JsonDocument)
    }
}

/// A piece's objects, numbered from 1 within it, and how many documents it held. Text that
/// starts with `{` is a stream of JSON objects, read by a JSON reader (upstream: kubectl's
/// YAMLOrJSONDecoder sniffs the same way, so a trailing comma is an error, not YAML flow style).
fn parse_piece(text: &str, source: &str) -> Result<(Vec<Document>, usize), ApiError> {
    let syntax = |document, line, column, message| ApiError::Syntax {
        source_name: source.to_string(),
        document,
        line,
        column,
        message,
    };
    let values: Box<dyn Iterator<Item = Result<Value, ApiError>>> = if text.trim_start().starts_with('{') {
        let stream = serde_json::Deserializer::from_str(text).into_iter::<JsonDocument>();
        Box::new(stream.enumerate().map(move |(i, d)| {
            d.map(|d| d.0).map_err(|e| syntax(i + 1, e.line(), e.column(), strip_location(&e.to_string())))
        }))
    } else {
        super::yaml_limits::check(text, source)?;
        Box::new(serde_yaml_ng::Deserializer::from_str(text).enumerate().map(move |(i, de)| {
            de.deserialize_any(JsonValue).map_err(|e| {
                let (line, column) = e.location().map(|l| (l.line(), l.column())).unwrap_or((0, 0));
                let message = strip_location(&e.to_string());
                let (line, column) = repeated_key_position(text, line, column, &message).unwrap_or((line, column));
                syntax(i + 1, line, column, message)
            })
        }))
    };
    let mut docs = Vec::new();
    let mut count = 0;
    for (i, value) in values.enumerate() {
        let document = i + 1;
        count = document;
        let value = value?;
        match value {
            Value::Null => continue,
            Value::Object(ref m)
                if m.get("kind").and_then(Value::as_str).is_some_and(|k| k.ends_with("List"))
                    && m.contains_key("items") =>
            {
                let items = match m.get("items") {
                    Some(Value::Array(items)) => items.clone(),
                    Some(Value::Null) => Vec::new(),
                    Some(other) => {
                        return Err(ApiError::Syntax {
                            source_name: source.to_string(),
                            document,
                            line: 0,
                            column: 0,
                            message: format!("items: expected a list of objects, found {}", json_type(other)),
                        })
                    }
                    None => Vec::new(),
                };
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
    Ok((docs, count))
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
    fn texts_parsed_in_pieces_read_as_in_one_stream() {
        let texts = [
            "a: 1\n---\nb: 2\n",
            "---\napiVersion: v1\nkind: Pod\n---\n---\napiVersion: v1\nkind: Node\n...\n",
            "# c\n---\na: 1\n---\n# only a comment\n---\nb: 2\n",
            "a: 1\n...\nb: 2\n---\nc: 3\n...\n# end\n",
            "a: |\n  x\n---\nb: |\n  y\n---\n",
            "--- |\nfoo\n---\nbar\n",
            "a: \"x\n---\ny\"\n",
            "a: 'x\n--- y'\n---\nb: 2\n",
            "a: [1,\n---\n2]\n",
            "kind: List\napiVersion: v1\nitems:\n- {kind: Pod}\n- {kind: Node}\n---\nkind: Pod\n",
            "a: 1\n---   \nb: 2\n--- # note\nc: 3\n--- {d: 4}\n---\te: 5\n",
            "a: 1\n----\nb: 2\n",
            "a: 1\n---x\n",
            "a: 1\r\n---\r\nb: 2\r\n",
            "%YAML 1.2\n---\na: 1\n---\nb: 2\n",
            "a: 1\n---\nkind: [Pod\n---\nc: 3\n",
            "a: 1\n---\njust text\n---\n- 1\n",
            "a: 1\n---\n",
            "\u{feff}a: 1\n---\nb: 2\n",
            "a: &x 1\n---\nb: *x\n",
            "a: 1\n---\n  b: 2\n   c: 3\n",
            "---\n---\n---\n",
            "",
            "\n---\na: 1\n",
            "...\n---\na: 1\n",
            "~\n---\na: 1\n",
            "# c\n\n  # d\n---\na: 1\n",
            "# c\r~\n---\na: 1\n",
            "# c\n\u{feff}\n---\na: 1\n",
        ];
        for text in texts {
            let whole = parse_documents(text, "t").map_err(|e| e.to_string());
            for min_bytes in [1, 5, 12] {
                let pieces = pieces(text, min_bytes);
                assert_eq!(pieces.concat(), text, "pieces of {text:?} put together");
                let serial = |pieces: Vec<&str>, parse: &PieceParser| pieces.into_iter().map(parse).collect();
                let got = parse_pieces(text, "t", min_bytes, serial, |v| v).map_err(|e| e.to_string());
                assert_eq!(got, whole, "{text:?} in pieces {pieces:?}");
            }
        }
        // The split is real: a marked text comes apart at its markers (and not at `----`).
        assert_eq!(pieces("a: 1\n---\nb: 2\n---\nc: 3\n", 1), ["a: 1\n", "---\nb: 2\n", "---\nc: 3\n"]);
        assert_eq!(pieces("a: 1\n----\nb: 2\n", 1).len(), 1);
        assert_eq!(pieces("a: 1\n---\nb: 2\n---\nc: 3\n", 12), ["a: 1\n---\nb: 2\n", "---\nc: 3\n"]);
    }

    #[test]
    fn scalars_are_not_objects() {
        let err = parse_documents("just text", "t").unwrap_err();
        assert_eq!(err.to_string(), "error parsing t (document 1): expected an object, found a string");
    }
}
