//! API-server validation of labels, annotations and `LabelSelector`s on create/update
//! (apimachinery `apis/meta/v1/validation` and `api/validation/objectmeta.go`), as field errors.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};

use super::validation::{is_dns1123_subdomain, is_qualified_name, is_valid_label_value, regex_error};
use crate::api::field::{ErrorList, FieldError, Path};

/// upstream: `TotalAnnotationSizeLimitB` — keys plus values of all annotations, in bytes.
pub const TOTAL_ANNOTATION_SIZE_LIMIT_B: usize = 256 * 1024;

/// upstream: `LabelSelectorValidationOptions`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LabelSelectorValidationOptions {
    /// Skip the label-value check of `matchExpressions[*].values`; upstream sets it on update only
    /// when the stored object already had such values.
    pub allow_invalid_label_value_in_selector: bool,
}

/// upstream: `ValidateLabelSelector` with default options (values must be label values). Paths
/// are relative to `path`, e.g. `spec.selector.matchExpressions[0].values`.
pub fn validate_label_selector(ls: &LabelSelector, path: &Path) -> ErrorList {
    validate_label_selector_with(ls, LabelSelectorValidationOptions::default(), path)
}

pub fn validate_label_selector_with(
    ls: &LabelSelector,
    opts: LabelSelectorValidationOptions,
    path: &Path,
) -> ErrorList {
    let mut errs = ErrorList::new();
    if let Some(labels) = &ls.match_labels {
        errs.extend(validate_labels(labels, &path.child("matchLabels")));
    }
    for (i, expr) in ls.match_expressions.iter().flatten().enumerate() {
        errs.extend(validate_label_selector_requirement(expr, opts, &path.child("matchExpressions").index(i)));
    }
    errs
}

/// upstream: `ValidateLabelSelectorRequirement` — operator/values consistency, then the key, then
/// (unless allowed) each value.
pub fn validate_label_selector_requirement(
    req: &LabelSelectorRequirement,
    opts: LabelSelectorValidationOptions,
    path: &Path,
) -> ErrorList {
    let mut errs = ErrorList::new();
    let values = req.values.as_deref().unwrap_or_default();
    match req.operator.as_str() {
        "In" | "NotIn" if values.is_empty() => errs
            .push(FieldError::required(path.child("values"), "must be specified when `operator` is 'In' or 'NotIn'")),
        "Exists" | "DoesNotExist" if !values.is_empty() => errs.push(FieldError::forbidden(
            path.child("values"),
            "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
        )),
        "In" | "NotIn" | "Exists" | "DoesNotExist" => {}
        op => errs.push(FieldError::invalid(path.child("operator"), op, "not a valid selector operator")),
    }
    errs.extend(validate_label_name(&req.key, &path.child("key")));
    if !opts.allow_invalid_label_value_in_selector {
        for (i, value) in values.iter().enumerate() {
            for msg in is_valid_label_value(value) {
                errs.push(FieldError::invalid(path.child("values").index(i), value.as_str(), msg));
            }
        }
    }
    errs
}

/// upstream: `ValidateLabelName` — one error per problem with the qualified name.
pub fn validate_label_name(name: &str, path: &Path) -> ErrorList {
    is_qualified_name(name).into_iter().map(|msg| FieldError::invalid(path.clone(), name, msg)).collect()
}

/// upstream: `ValidateLabels` (for `metadata.labels`, `matchLabels`, …). Every error carries the
/// map's own path, not `[key]`: key problems show the key as the value, value problems the value.
pub fn validate_labels<'a>(labels: impl IntoIterator<Item = (&'a String, &'a String)>, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    for (k, v) in labels {
        errs.extend(validate_label_name(k, path));
        for msg in is_valid_label_value(v) {
            errs.push(FieldError::invalid(path.clone(), v.as_str(), msg));
        }
    }
    errs
}

/// upstream: `ValidateAnnotations` — keys are qualified names compared in lower case (the error
/// shows the key as written); keys plus values may total at most 256 KiB.
pub fn validate_annotations(annotations: &BTreeMap<String, String>, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    for k in annotations.keys() {
        for msg in is_qualified_name(&k.to_lowercase()) {
            errs.push(FieldError::invalid(path.clone(), k.as_str(), msg));
        }
    }
    let total: usize = annotations.iter().map(|(k, v)| k.len() + v.len()).sum();
    if total > TOTAL_ANNOTATION_SIZE_LIMIT_B {
        errs.push(FieldError::too_long(path.clone(), TOTAL_ANNOTATION_SIZE_LIMIT_B));
    }
    errs
}

/// upstream: `httpPathFmt` — the characters RFC 3986 allows in an HTTP path.
const HTTP_PATH_FMT: &str = r"[A-Za-z0-9/\-._~%!$&'()*+,;=:]+";

/// upstream: validation.IsDomainPrefixedPath — `acme.io/foo`: an RFC 1123 subdomain, a slash,
/// and a non-empty HTTP path.
pub fn is_domain_prefixed_path(path: &Path, value: &str) -> ErrorList {
    if value.is_empty() {
        return vec![FieldError::required(path.clone(), "")];
    }
    let Some((host, rest)) = value.split_once('/').filter(|(h, r)| !h.is_empty() && !r.is_empty()) else {
        return vec![FieldError::invalid(
            path.clone(),
            value,
            "must be a domain-prefixed path (such as \"acme.io/foo\")",
        )];
    };
    let mut errs: ErrorList =
        is_dns1123_subdomain(host).into_iter().map(|m| FieldError::invalid(path.clone(), host, m)).collect();
    let http_path = |c: char| c.is_ascii_alphanumeric() || "/-._~%!$&'()*+,;=:".contains(c);
    if !rest.chars().all(http_path) {
        errs.push(FieldError::invalid(path.clone(), rest, regex_error("Invalid path", HTTP_PATH_FMT, &[])));
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;

    fn expr(key: &str, op: &str, values: Option<&[&str]>) -> LabelSelectorRequirement {
        LabelSelectorRequirement {
            key: key.to_string(),
            operator: op.to_string(),
            values: values.map(|v| v.iter().map(|s| s.to_string()).collect()),
        }
    }

    fn messages(errs: &ErrorList) -> Vec<String> {
        errs.iter().map(ToString::to_string).collect()
    }

    fn spec_selector() -> Path {
        Path::root("spec").child("selector")
    }

    #[test]
    fn in_without_values_is_a_required_value_error() {
        let ls = LabelSelector { match_expressions: Some(vec![expr("tier", "In", None)]), ..Default::default() };
        assert_eq!(
            messages(&validate_label_selector(&ls, &spec_selector())),
            vec!["spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"]
        );
        let ls =
            LabelSelector { match_expressions: Some(vec![expr("tier", "NotIn", Some(&[]))]), ..Default::default() };
        assert_eq!(validate_label_selector(&ls, &spec_selector()).len(), 1);
    }

    #[test]
    fn exists_with_values_is_forbidden() {
        let ls = LabelSelector {
            match_expressions: Some(vec![expr("a", "Exists", None), expr("tier", "DoesNotExist", Some(&["x"]))]),
            ..Default::default()
        };
        assert_eq!(
            messages(&validate_label_selector(&ls, &spec_selector())),
            vec!["spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"]
        );
    }

    #[test]
    fn unknown_operator_is_an_invalid_value_and_the_key_is_still_checked() {
        let ls =
            LabelSelector { match_expressions: Some(vec![expr("-x", "Equals", Some(&["a"]))]), ..Default::default() };
        assert_eq!(
            messages(&validate_label_selector(&ls, &spec_selector())),
            vec![
                "spec.selector.matchExpressions[0].operator: Invalid value: \"Equals\": not a valid selector operator",
                "spec.selector.matchExpressions[0].key: Invalid value: \"-x\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
            ]
        );
    }

    #[test]
    fn expression_values_must_be_label_values_unless_allowed() {
        let ls = LabelSelector {
            match_expressions: Some(vec![expr("tier", "In", Some(&["ok", "a b"]))]),
            ..Default::default()
        };
        assert_eq!(
            messages(&validate_label_selector(&ls, &spec_selector())),
            vec!["spec.selector.matchExpressions[0].values[1]: Invalid value: \"a b\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"]
        );
        let lenient = LabelSelectorValidationOptions { allow_invalid_label_value_in_selector: true };
        assert!(validate_label_selector_with(&ls, lenient, &spec_selector()).is_empty());
    }

    #[test]
    fn match_labels_errors_use_the_map_path() {
        let ls = LabelSelector {
            match_labels: Some(BTreeMap::from([
                ("app".to_string(), "x".repeat(64)),
                ("a/b/c".to_string(), "ok".to_string()),
            ])),
            ..Default::default()
        };
        let errs = validate_label_selector(&ls, &spec_selector());
        assert_eq!(errs.len(), 2);
        assert!(errs.iter().all(|e| e.field() == "spec.selector.matchLabels"));
        assert!(errs[0]
            .to_string()
            .starts_with("spec.selector.matchLabels: Invalid value: \"a/b/c\": a qualified name must"));
        assert_eq!(
            errs[1].to_string(),
            format!(
                "spec.selector.matchLabels: Invalid value: \"{}\": must be no more than 63 characters",
                "x".repeat(64)
            )
        );
    }

    #[test]
    fn valid_selectors_have_no_errors() {
        let ls = LabelSelector {
            match_labels: Some(BTreeMap::from([("app".to_string(), "web".to_string())])),
            match_expressions: Some(vec![
                expr("tier", "In", Some(&["a", ""])),
                expr("env", "NotIn", Some(&["dev"])),
                expr("canary", "DoesNotExist", None),
                expr("app.kubernetes.io/name", "Exists", Some(&[])),
            ]),
        };
        assert!(validate_label_selector(&ls, &spec_selector()).is_empty());
        assert!(validate_label_selector(&LabelSelector::default(), &spec_selector()).is_empty());
    }

    #[test]
    fn metadata_labels_report_keys_and_values_at_the_labels_path() {
        let path = Path::root("metadata").child("labels");
        let labels = BTreeMap::from([
            ("Example.com/x".to_string(), "ok".to_string()),
            ("fine".to_string(), "-bad".to_string()),
            ("good".to_string(), String::new()),
        ]);
        let errs = messages(&validate_labels(&labels, &path));
        assert_eq!(errs.len(), 2);
        assert!(errs[0].starts_with(
            "metadata.labels: Invalid value: \"Example.com/x\": prefix part a lowercase RFC 1123 subdomain"
        ));
        assert!(errs[1].starts_with("metadata.labels: Invalid value: \"-bad\": a valid label must be an empty string"));
    }

    #[test]
    fn annotation_keys_are_checked_in_lower_case_and_reported_as_written() {
        let path = Path::root("metadata").child("annotations");
        let ok = BTreeMap::from([("Example.COM/Some-Key".to_string(), "any value at all: {}".to_string())]);
        assert!(validate_annotations(&ok, &path).is_empty());
        let bad = BTreeMap::from([("Bad_Prefix.com/x".to_string(), String::new())]);
        let errs = messages(&validate_annotations(&bad, &path));
        assert_eq!(errs.len(), 1);
        assert!(errs[0].starts_with(
            "metadata.annotations: Invalid value: \"Bad_Prefix.com/x\": prefix part a lowercase RFC 1123 subdomain"
        ));
    }

    #[test]
    fn annotations_may_total_at_most_256_kib() {
        let path = Path::root("metadata").child("annotations");
        let at_limit = BTreeMap::from([("k".to_string(), "v".repeat(TOTAL_ANNOTATION_SIZE_LIMIT_B - 1))]);
        assert!(validate_annotations(&at_limit, &path).is_empty());
        let over = BTreeMap::from([("k".to_string(), "v".repeat(TOTAL_ANNOTATION_SIZE_LIMIT_B))]);
        assert_eq!(
            messages(&validate_annotations(&over, &path)),
            vec!["metadata.annotations: Too long: may not be more than 262144 bytes"]
        );
    }
}
