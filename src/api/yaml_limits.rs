//! Bounds on what a YAML text may cost before it is read into values: flow nesting that would
//! make the scanner quadratic, and aliases that expand a small text into a huge one (the
//! "billion laughs"). Both are found in one pass over libyaml's events — the same scanner
//! serde_yaml_ng uses, so nothing is judged by a different reading of the text — and reported
//! as syntax errors with the source, document and position.
//!
//! upstream: go-yaml (which sigs.k8s.io/yaml uses) refuses "excessive aliasing" and nesting past
//! a fixed depth for the same reasons.

use std::collections::HashMap;
use std::ffi::CStr;
use std::mem::MaybeUninit;

use unsafe_libyaml as unsafe_yaml;

use super::error::ApiError;

/// serde_yaml_ng's recursion limit: a deeper document cannot be read anyway, and libyaml's
/// scanner spends time proportional to the flow depth on every token.
pub const MAX_DEPTH: usize = 128;

/// What aliases may add to a document beyond its own text: this many bytes, or the length of the
/// document up to the alias if that is longer. Every alias adds the size of the node it names, all of it copied.
pub const ALIAS_BYTES_FLOOR: u64 = 1 << 20;

/// Check `text` against [`MAX_DEPTH`] and the alias budget. Text with neither many brackets nor
/// any `*` cannot break either bound and is not scanned. A text libyaml cannot parse passes:
/// reading it reports the syntax error.
pub fn check(text: &str, source: &str) -> Result<(), ApiError> {
    let brackets = text.bytes().filter(|&b| b == b'[' || b == b'{').count();
    if brackets <= MAX_DEPTH && !text.contains('*') {
        return Ok(());
    }
    let mut parser = Parser::new(text);
    let mut limits = Limits { source, ..Limits::default() };
    while let Some(event) = parser.next() {
        // SAFETY: `next` returns events libyaml filled in; they live until the next call.
        let done = unsafe { limits.event(event)? };
        if done {
            break;
        }
    }
    Ok(())
}

#[derive(Default)]
struct Limits<'a> {
    source: &'a str,
    document: usize,
    document_start: u64,
    /// One frame per open collection: its size so far and its anchor.
    open: Vec<(u64, Option<Vec<u8>>)>,
    /// Expanded size of each finished anchored node of this document (a later anchor of the
    /// same name replaces it, as in libyaml).
    anchors: HashMap<Vec<u8>, u64>,
    alias_bytes: u64,
}

impl Limits<'_> {
    /// Account for one event; `Ok(true)` at the end of the stream.
    ///
    /// # Safety
    /// `event` must be an event libyaml has just produced.
    unsafe fn event(&mut self, event: &unsafe_yaml::yaml_event_t) -> Result<bool, ApiError> {
        let mark = event.start_mark;
        match event.type_ {
            unsafe_yaml::YAML_STREAM_END_EVENT => return Ok(true),
            unsafe_yaml::YAML_DOCUMENT_START_EVENT => {
                self.document += 1;
                self.document_start = mark.index;
                self.anchors.clear();
                self.alias_bytes = 0;
            }
            unsafe_yaml::YAML_SCALAR_EVENT => {
                let scalar = event.data.scalar;
                self.node(scalar.length + 1, anchor(scalar.anchor));
            }
            unsafe_yaml::YAML_SEQUENCE_START_EVENT | unsafe_yaml::YAML_MAPPING_START_EVENT => {
                if self.open.len() >= MAX_DEPTH {
                    return Err(self.error(
                        mark,
                        format!("nesting too deep: more than {MAX_DEPTH} levels of mappings and sequences"),
                    ));
                }
                let name = match event.type_ {
                    unsafe_yaml::YAML_SEQUENCE_START_EVENT => anchor(event.data.sequence_start.anchor),
                    _ => anchor(event.data.mapping_start.anchor),
                };
                self.open.push((1, name));
            }
            unsafe_yaml::YAML_SEQUENCE_END_EVENT | unsafe_yaml::YAML_MAPPING_END_EVENT => {
                if let Some((size, name)) = self.open.pop() {
                    self.node(size, name);
                }
            }
            unsafe_yaml::YAML_ALIAS_EVENT => {
                // An alias of an unknown (or still open) anchor is the reader's error to report.
                let size = anchor(event.data.alias.anchor).and_then(|a| self.anchors.get(&a).copied()).unwrap_or(0);
                self.alias_bytes = self.alias_bytes.saturating_add(size);
                self.node(size, None);
                self.check_aliases(event.end_mark)?;
            }
            _ => {}
        }
        Ok(false)
    }

    /// A finished node of `size` bytes (its scalars, one more for each node).
    fn node(&mut self, size: u64, name: Option<Vec<u8>>) {
        if let Some((parent, _)) = self.open.last_mut() {
            *parent = parent.saturating_add(size);
        }
        if let Some(name) = name {
            self.anchors.insert(name, size);
        }
    }

    /// Aliases may add what the document holds up to `at`, or [`ALIAS_BYTES_FLOOR`] if more.
    fn check_aliases(&self, at: unsafe_yaml::yaml_mark_t) -> Result<(), ApiError> {
        let budget = ALIAS_BYTES_FLOOR.max(at.index.saturating_sub(self.document_start));
        if self.alias_bytes > budget {
            return Err(
                self.error(at, format!("aliases expand the document by more than {budget} bytes (excessive aliasing)"))
            );
        }
        Ok(())
    }

    fn error(&self, mark: unsafe_yaml::yaml_mark_t, message: String) -> ApiError {
        ApiError::Syntax {
            source_name: self.source.to_string(),
            document: self.document.max(1),
            line: mark.line as usize + 1,
            column: mark.column as usize + 1,
            message,
        }
    }
}

/// An anchor's name, if the event has one.
///
/// # Safety
/// `ptr` is null or a NUL-terminated string libyaml owns.
unsafe fn anchor(ptr: *mut u8) -> Option<Vec<u8>> {
    (!ptr.is_null()).then(|| CStr::from_ptr(ptr.cast()).to_bytes().to_vec())
}

/// libyaml's event parser over a borrowed text.
struct Parser<'a> {
    /// Boxed: libyaml keeps pointers into its parser state.
    sys: Box<MaybeUninit<unsafe_yaml::yaml_parser_t>>,
    event: MaybeUninit<unsafe_yaml::yaml_event_t>,
    has_event: bool,
    _text: &'a str,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Parser<'a> {
        let mut sys = Box::new(MaybeUninit::<unsafe_yaml::yaml_parser_t>::uninit());
        // SAFETY: initialised before use; the input outlives the parser (`_text`).
        unsafe {
            let parser = sys.as_mut_ptr();
            if unsafe_yaml::yaml_parser_initialize(parser).fail {
                // Only an allocation failure makes initialisation fail.
                std::alloc::handle_alloc_error(std::alloc::Layout::new::<unsafe_yaml::yaml_parser_t>());
            }
            unsafe_yaml::yaml_parser_set_encoding(parser, unsafe_yaml::YAML_UTF8_ENCODING);
            unsafe_yaml::yaml_parser_set_input_string(parser, text.as_ptr(), text.len() as u64);
        }
        Parser { sys, event: MaybeUninit::uninit(), has_event: false, _text: text }
    }

    /// The next event, or `None` once the text ends or does not parse.
    fn next(&mut self) -> Option<&unsafe_yaml::yaml_event_t> {
        // SAFETY: the previous event is deleted once; a new one is used only if parsing succeeded.
        unsafe {
            self.delete_event();
            if unsafe_yaml::yaml_parser_parse(self.sys.as_mut_ptr(), self.event.as_mut_ptr()).fail {
                return None;
            }
            self.has_event = true;
            Some(self.event.assume_init_ref())
        }
    }

    unsafe fn delete_event(&mut self) {
        if std::mem::take(&mut self.has_event) {
            unsafe_yaml::yaml_event_delete(self.event.as_mut_ptr());
        }
    }
}

impl Drop for Parser<'_> {
    fn drop(&mut self) {
        // SAFETY: the parser was initialised in `new`.
        unsafe {
            self.delete_event();
            unsafe_yaml::yaml_parser_delete(self.sys.as_mut_ptr());
        }
    }
}
