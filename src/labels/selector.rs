//! Label selectors (apimachinery `pkg/labels` and the `metav1.LabelSelector` helpers): parse once
//! into a typed [`Selector`] whose matching cannot fail, print it in upstream's canonical form, and
//! convert the API's `LabelSelector` with upstream's error texts.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};

use super::gofmt;
use super::parser;
use super::validation::{is_qualified_name, is_valid_label_value};

/// The relation a [`Requirement`] states between a label and its values (`selection.Operator`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operator {
    Equals,
    DoubleEquals,
    NotEquals,
    In,
    NotIn,
    Exists,
    DoesNotExist,
    GreaterThan,
    LessThan,
}

impl Operator {
    /// upstream's `selection.Operator` spelling (`=`, `in`, `exists`, `!`, `gt`, …), as quoted in
    /// its error messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::Equals => "=",
            Operator::DoubleEquals => "==",
            Operator::NotEquals => "!=",
            Operator::In => "in",
            Operator::NotIn => "notin",
            Operator::Exists => "exists",
            Operator::DoesNotExist => "!",
            Operator::GreaterThan => "gt",
            Operator::LessThan => "lt",
        }
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One clause of a selector: a label key, an operator and its values. Only obtainable through
/// validation ([`Requirement::new`], [`Selector::parse`], [`Selector::from_label_selector`]) or
/// from a label set, so matching never meets a malformed requirement.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Requirement {
    key: String,
    operator: Operator,
    /// Sorted and deduplicated.
    values: Vec<String>,
    /// The integer of a `>` / `<` requirement.
    bound: Option<i64>,
    /// upstream keeps a `LabelSelector`'s values as written and `String()` prints them sorted but
    /// not deduplicated (`tier in (a,a)`); set only when the given values had repeats.
    printed_values: Option<Vec<String>>,
}

/// `validateLabelKey`: the key as a `field.Invalid` error at `path`, or `None` when it is valid.
pub(crate) fn key_error(path: &str, key: &str) -> Option<String> {
    let errs = is_qualified_name(key);
    (!errs.is_empty()).then(|| format!("{path}: Invalid value: {}: {}", gofmt::quote(key), errs.join("; ")))
}

/// `utilerrors.NewAggregate(...).Error()`: one message as is, several deduplicated in `[a, b]`.
fn aggregate(errs: Vec<String>) -> Option<String> {
    let mut unique: Vec<String> = Vec::with_capacity(errs.len());
    for e in errs {
        if !unique.contains(&e) {
            unique.push(e);
        }
    }
    match unique.len() {
        0 => None,
        1 => unique.pop(),
        _ => Some(format!("[{}]", unique.join(", "))),
    }
}

impl Requirement {
    /// upstream: `labels.NewRequirement` — the key must be a qualified name, every value a label
    /// value; `in`/`notin` need at least one value, `=`/`==`/`!=` exactly one, `exists`/`!` none,
    /// `gt`/`lt` exactly one base-10 int64. All problems are reported together, in upstream's words.
    pub fn new(key: &str, operator: Operator, values: Vec<String>) -> Result<Self, SelectorError> {
        Self::build(key, operator, values).map_err(|message| SelectorError { message, input: String::new() })
    }

    pub(crate) fn build(key: &str, operator: Operator, values: Vec<String>) -> Result<Self, String> {
        let mut errs = Vec::new();
        errs.extend(key_error("key", key));
        let listed = || gofmt::string_slice(&values);
        let mut bound = None;
        match operator {
            Operator::In | Operator::NotIn if values.is_empty() => errs.push(format!(
                "values: Invalid value: {}: for 'in', 'notin' operators, values set can't be empty",
                listed()
            )),
            Operator::Equals | Operator::DoubleEquals | Operator::NotEquals if values.len() != 1 => errs.push(format!(
                "values: Invalid value: {}: exact-match compatibility requires one single value",
                listed()
            )),
            Operator::Exists | Operator::DoesNotExist if !values.is_empty() => errs.push(format!(
                "values: Invalid value: {}: values set must be empty for exists and does not exist",
                listed()
            )),
            Operator::GreaterThan | Operator::LessThan => {
                if values.len() != 1 {
                    errs.push(format!(
                        "values: Invalid value: {}: for 'Gt', 'Lt' operators, exactly one value is required",
                        listed()
                    ));
                }
                for (i, v) in values.iter().enumerate() {
                    match v.parse::<i64>() {
                        Ok(n) => bound = Some(n),
                        Err(_) => errs.push(format!(
                            "values[{i}]: Invalid value: {}: for 'Gt', 'Lt' operators, the value must be an integer",
                            gofmt::quote(v)
                        )),
                    }
                }
            }
            _ => {}
        }
        for (i, v) in values.iter().enumerate() {
            let msgs = is_valid_label_value(v);
            if !msgs.is_empty() {
                errs.push(format!("values[{i}][{key}]: Invalid value: {}: {}", gofmt::quote(v), msgs.join("; ")));
            }
        }
        if let Some(message) = aggregate(errs) {
            return Err(message);
        }
        let mut sorted = values;
        sorted.sort();
        // (Repeated values are printed as written, and matched once: copied only when there are any.)
        let printed_values = sorted.windows(2).any(|w| w[0] == w[1]).then(|| sorted.clone());
        let mut deduped = sorted;
        deduped.dedup();
        Ok(Requirement { key: key.to_string(), operator, values: deduped, bound, printed_values })
    }

    /// The label key this requirement looks at.
    pub fn key(&self) -> &str {
        &self.key
    }

    pub fn operator(&self) -> Operator {
        self.operator
    }

    /// The values, sorted and without repeats (`[""]` for `x=` and `x in ()`; the integer's text
    /// for `>` / `<`; empty for `exists` / `!`).
    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// Whether only objects carrying the label [`key`](Self::key) can match (`=`, `==`, `in`,
    /// `exists`, `>`, `<`); `!=`, `notin` and `!` also match objects without it.
    pub fn requires_key(&self) -> bool {
        matches!(
            self.operator,
            Operator::Equals
                | Operator::DoubleEquals
                | Operator::In
                | Operator::Exists
                | Operator::GreaterThan
                | Operator::LessThan
        )
    }

    fn has_value(&self, value: &str) -> bool {
        self.values.binary_search_by(|v| v.as_str().cmp(value)).is_ok()
    }

    /// upstream: `Requirement.Matches`. A label with an empty value is present; `>`/`<` compare
    /// the label's value as an int64 and fail when it is not one.
    pub fn matches<L: LabelSource + ?Sized>(&self, labels: &L) -> bool {
        let value = labels.label(&self.key);
        match self.operator {
            Operator::Equals | Operator::DoubleEquals | Operator::In => value.is_some_and(|v| self.has_value(v)),
            Operator::NotEquals | Operator::NotIn => value.is_none_or(|v| !self.has_value(v)),
            Operator::Exists => value.is_some(),
            Operator::DoesNotExist => value.is_none(),
            Operator::GreaterThan | Operator::LessThan => {
                let (Some(actual), Some(bound)) = (value.and_then(|v| v.parse::<i64>().ok()), self.bound) else {
                    return false;
                };
                if self.operator == Operator::GreaterThan {
                    actual > bound
                } else {
                    actual < bound
                }
            }
        }
    }
}

impl fmt::Display for Requirement {
    /// `k`, `!k`, `k=v`, `k==v`, `k!=v`, `k>N`, `k<N`, `k in (a,b)`, `k notin (a,b)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let values = self.printed_values.as_ref().unwrap_or(&self.values).join(",");
        match self.operator {
            Operator::Exists => f.write_str(&self.key),
            Operator::DoesNotExist => write!(f, "!{}", self.key),
            Operator::In => write!(f, "{} in ({values})", self.key),
            Operator::NotIn => write!(f, "{} notin ({values})", self.key),
            Operator::Equals => write!(f, "{}={values}", self.key),
            Operator::DoubleEquals => write!(f, "{}=={values}", self.key),
            Operator::NotEquals => write!(f, "{}!={values}", self.key),
            Operator::GreaterThan => write!(f, "{}>{values}", self.key),
            Operator::LessThan => write!(f, "{}<{values}", self.key),
        }
    }
}

/// A parsed label selector: AND over its requirements.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Selector {
    /// Matches no object (`labels.Nothing()`, what a nil `LabelSelector` converts to).
    Nothing,
    /// Requirements sorted by key (stably, so repeated keys keep their written order); an empty
    /// list matches everything.
    Requirements(Vec<Requirement>),
}

/// A selector string or `LabelSelector` that upstream would reject. `message` is upstream's text
/// (kubectl prints it after `the provided selector "<input>" is not valid: `).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SelectorError {
    pub message: String,
    /// The selector string that failed to parse; empty for `LabelSelector` conversion errors.
    pub input: String,
}

impl SelectorError {
    /// The offending selector string (empty when the error came from a `LabelSelector`).
    pub fn selector(&self) -> &str {
        &self.input
    }
}

impl Selector {
    /// upstream: `labels.Parse` — the full string grammar (`=`, `==`, `!=`, `in`, `notin`, `key`,
    /// `!key`, `>`, `<`), keys and values validated as they are read.
    pub fn parse(s: &str) -> Result<Selector, SelectorError> {
        parser::parse(s)
            .map(Selector::from_requirements)
            .map_err(|message| SelectorError { message, input: s.to_string() })
    }

    pub fn everything() -> Self {
        Selector::Requirements(Vec::new())
    }

    pub fn nothing() -> Self {
        Selector::Nothing
    }

    /// upstream: `Selector.Empty()` — no requirement restricts the selection.
    pub fn is_everything(&self) -> bool {
        matches!(self, Selector::Requirements(r) if r.is_empty())
    }

    pub fn is_nothing(&self) -> bool {
        matches!(self, Selector::Nothing)
    }

    /// The requirements in key order; empty for both [`Selector::Nothing`] and everything.
    pub fn requirements(&self) -> &[Requirement] {
        match self {
            Selector::Nothing => &[],
            Selector::Requirements(r) => r,
        }
    }

    /// A selector of the given requirements, sorted by key (upstream: `Selector.Add`).
    pub fn from_requirements(mut requirements: Vec<Requirement>) -> Self {
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Selector::Requirements(requirements)
    }

    /// upstream: `SelectorFromSet` — `k=v` for every label; an empty set selects everything. Like
    /// upstream it does not validate the set.
    pub fn from_set(labels: &BTreeMap<String, String>) -> Selector {
        Selector::Requirements(
            labels
                .iter()
                .map(|(k, v)| Requirement {
                    key: k.clone(),
                    operator: Operator::Equals,
                    values: vec![v.clone()],
                    bound: None,
                    printed_values: None,
                })
                .collect(),
        )
    }

    /// upstream: `metav1.LabelSelectorAsSelector` — `None` selects nothing, `{}` everything;
    /// `matchLabels` become `=` requirements and `matchExpressions` their `In`/`NotIn`/`Exists`/
    /// `DoesNotExist` counterparts.
    pub fn from_label_selector(ls: Option<&LabelSelector>) -> Result<Selector, SelectorError> {
        let Some(ls) = ls else {
            return Ok(Selector::Nothing);
        };
        Selector::from_parts(ls.match_labels.iter().flatten(), ls.match_expressions.as_deref().unwrap_or_default())
    }

    /// [`Selector::from_label_selector`] of a selector given as its `matchLabels` entries and
    /// `matchExpressions` (for selectors stored in a compact form).
    pub fn from_parts<'a>(
        match_labels: impl IntoIterator<Item = (&'a String, &'a String)>,
        expressions: &[LabelSelectorRequirement],
    ) -> Result<Selector, SelectorError> {
        let err = |message| SelectorError { message, input: String::new() };
        let mut requirements = Vec::new();
        for (k, v) in match_labels {
            requirements.push(Requirement::build(k, Operator::Equals, vec![v.clone()]).map_err(err)?);
        }
        if requirements.is_empty() && expressions.is_empty() {
            return Ok(Selector::everything());
        }
        for expr in expressions {
            let op = match expr.operator.as_str() {
                "In" => Operator::In,
                "NotIn" => Operator::NotIn,
                "Exists" => Operator::Exists,
                "DoesNotExist" => Operator::DoesNotExist,
                other => return Err(err(format!("{} is not a valid label selector operator", gofmt::quote(other)))),
            };
            let values = expr.values.clone().unwrap_or_default();
            requirements.push(Requirement::build(&expr.key, op, values).map_err(err)?);
        }
        Ok(Selector::from_requirements(requirements))
    }

    /// Whether every requirement holds for `labels`; [`Selector::Nothing`] matches nothing.
    pub fn matches<L: LabelSource + ?Sized>(&self, labels: &L) -> bool {
        match self {
            Selector::Nothing => false,
            Selector::Requirements(r) => r.iter().all(|req| req.matches(labels)),
        }
    }

    /// [`Selector::matches`] for labels known to meet requirement `known` (the one an index
    /// answered exactly): the other requirements are checked.
    pub fn matches_besides<L: LabelSource + ?Sized>(&self, labels: &L, known: usize) -> bool {
        match self {
            Selector::Nothing => false,
            Selector::Requirements(r) => r.iter().enumerate().all(|(i, req)| i == known || req.matches(labels)),
        }
    }
}

/// What a selector reads of a label set: the value under a key. The store keeps labels as
/// compact sorted vectors ([`crate::api::meta::StringMap`]); wire types use `BTreeMap`s.
pub trait LabelSource {
    fn label(&self, key: &str) -> Option<&str>;
}

impl LabelSource for BTreeMap<String, String> {
    fn label(&self, key: &str) -> Option<&str> {
        self.get(key).map(String::as_str)
    }
}

impl LabelSource for litemap::LiteMap<String, String> {
    fn label(&self, key: &str) -> Option<&str> {
        self.get(key).map(String::as_str)
    }
}

impl<T: LabelSource + ?Sized> LabelSource for std::sync::Arc<T> {
    fn label(&self, key: &str) -> Option<&str> {
        (**self).label(key)
    }
}

impl fmt::Display for Selector {
    /// upstream `Selector.String()`: requirements joined by `,` in key order; `""` for both
    /// everything and nothing.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.requirements().iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

impl FromStr for Selector {
    type Err = SelectorError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Selector::parse(s)
    }
}

/// upstream: `labels.FormatLabels` — `k=v` pairs sorted as whole strings, `<none>` when empty.
pub fn format_labels<'a>(labels: impl IntoIterator<Item = (&'a String, &'a String)>) -> String {
    let mut pairs: Vec<String> = labels.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    if pairs.is_empty() {
        return "<none>".to_string();
    }
    pairs.sort();
    pairs.join(",")
}

/// upstream: `metav1.FormatLabelSelector` — the canonical string, `<none>` when it is empty (nil
/// and `{}` alike), `<error>` when the selector does not convert.
pub fn format_label_selector(ls: Option<&LabelSelector>) -> String {
    match Selector::from_label_selector(ls) {
        Err(_) => "<error>".to_string(),
        Ok(s) => {
            let text = s.to_string();
            if text.is_empty() {
                "<none>".to_string()
            } else {
                text
            }
        }
    }
}

#[cfg(test)]
mod tests;
