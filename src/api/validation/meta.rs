//! Object metadata: names (DNS rules, `generateName`), namespace, labels, annotations, owner
//! references and finalizers.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::go_fmt::go_string_slice;
use super::nonnegative;
use crate::api::field::{ErrorList, FieldError, Path, Value};
use crate::labels::validation::{is_dns1123_label, is_dns1123_subdomain, is_qualified_name, is_valid_label_value};

/// Which DNS rule an object's name follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameRule {
    /// `NameIsDNSSubdomain`: Pods, ReplicaSets, Deployments, HPAs, Nodes.
    Subdomain,
    /// `NameIsDNSLabel`: Namespaces.
    Label,
    /// `NameIsDNS1035Label`: Services.
    Dns1035Label,
}

impl NameRule {
    /// The messages for `name`; with `prefix` (a `generateName`), a trailing dash is masked first.
    pub fn check(self, name: &str, prefix: bool) -> Vec<String> {
        let masked;
        let name = if prefix {
            masked = mask_trailing_dash(name);
            masked.as_str()
        } else {
            name
        };
        match self {
            NameRule::Subdomain => is_dns1123_subdomain(name),
            NameRule::Label => is_dns1123_label(name),
            NameRule::Dns1035Label => crate::labels::validation::is_dns1035_label(name),
        }
    }
}

/// upstream: maskTrailingDash — for a prefix longer than one byte that ends in `-`, the last
/// *two* bytes are replaced by a single `a` (so `web-` is checked as `wea`).
fn mask_trailing_dash(name: &str) -> String {
    let b = name.as_bytes();
    if b.len() > 1 && b[b.len() - 1] == b'-' {
        let mut masked = b[..b.len() - 2].to_vec();
        masked.push(b'a');
        String::from_utf8_lossy(&masked).into_owned()
    } else {
        name.to_string()
    }
}

/// upstream: metav1validation.ValidateLabels — errors carry the map's path, not the key's.
pub(super) fn validate_labels(labels: Option<&BTreeMap<String, String>>, path: &Path) -> ErrorList {
    labels.map(|l| crate::labels::validate_labels(l, path)).unwrap_or_default()
}

/// upstream: ValidateAnnotations — keys are qualified names (compared lower-cased), 256 KiB in all.
pub(super) fn validate_annotations(annotations: Option<&BTreeMap<String, String>>, path: &Path) -> ErrorList {
    annotations.map(|a| crate::labels::validate_annotations(a, path)).unwrap_or_default()
}

/// An apiVersion carries a version: `v1`, `apps/v1` (upstream: schema.ParseGroupVersion).
fn api_version_has_version(api_version: &str) -> bool {
    match api_version.split('/').collect::<Vec<_>>().as_slice() {
        [v] | [_, v] => !v.is_empty(),
        _ => false,
    }
}

/// upstream: the API server validates every create's metadata, a controller's as anyone's. Of
/// ValidateObjectMeta, what a controller can get wrong from the names it is given: the name (by
/// its kind's rule) and the labels. So a StatefulSet whose name makes its pods'
/// `controller-revision-hash` label longer than 63 characters gets no pods, as on a cluster.
/// (What a client sends was validated whole when it was decoded.)
pub fn validate_created(kind: crate::api::Kind, meta: &crate::api::meta::Meta) -> ErrorList {
    use crate::api::Kind;
    let rule = match kind {
        Kind::Namespace => NameRule::Label,
        Kind::Service => NameRule::Dns1035Label,
        _ => NameRule::Subdomain,
    };
    // (Checked first without building the errors: this runs for every pod a controller makes.)
    let name_ok = rule.check(&meta.name, false).is_empty();
    let labels_ok =
        meta.labels.iter().all(|(k, v)| is_qualified_name(k).is_empty() && is_valid_label_value(v).is_empty());
    if name_ok && labels_ok {
        return ErrorList::new();
    }
    let path = Path::root("metadata");
    let mut errs: ErrorList = rule
        .check(&meta.name, false)
        .into_iter()
        .map(|m| FieldError::invalid(path.child("name"), &*meta.name, m))
        .collect();
    errs.extend(crate::labels::validate_labels(meta.labels.iter(), &path.child("labels")));
    errs
}

/// Validates `metadata` on create. Name generation must already have happened: an empty `name`
/// is `Required value: name or generateName is required` even when `generateName` is set.
pub fn validate_object_meta(meta: &ObjectMeta, namespaced: bool, name_rule: NameRule, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    if let Some(g) = meta.generate_name.as_deref().filter(|g| !g.is_empty()) {
        for m in name_rule.check(g, true) {
            errs.push(FieldError::invalid(path.child("generateName"), g, m));
        }
    }
    let generated = meta.generate_name.as_deref().is_some_and(|g| !g.is_empty());
    match meta.name.as_deref().filter(|n| !n.is_empty()) {
        // kubesim validates before the store generates the name from generateName.
        None if generated => {}
        None => errs.push(FieldError::required(path.child("name"), "name or generateName is required")),
        Some(n) => {
            for m in name_rule.check(n, false) {
                errs.push(FieldError::invalid(path.child("name"), n, m));
            }
        }
    }
    let namespace = meta.namespace.as_deref().filter(|n| !n.is_empty());
    if namespaced {
        match namespace {
            None => errs.push(FieldError::required(path.child("namespace"), "")),
            Some(ns) => {
                for m in is_dns1123_label(ns) {
                    errs.push(FieldError::invalid(path.child("namespace"), ns, m));
                }
            }
        }
    } else if namespace.is_some() {
        errs.push(FieldError::forbidden(path.child("namespace"), "not allowed on this type"));
    }
    errs.extend(nonnegative(meta.generation.unwrap_or(0), path.child("generation")));
    errs.extend(validate_labels(meta.labels.as_ref(), &path.child("labels")));
    errs.extend(validate_annotations(meta.annotations.as_ref(), &path.child("annotations")));

    let owners_path = path.child("ownerReferences");
    let mut first_controller: Option<String> = None;
    for r in meta.owner_references.iter().flatten() {
        if !api_version_has_version(&r.api_version) {
            errs.push(FieldError::invalid(
                owners_path.child("apiVersion"),
                r.api_version.as_str(),
                "version must not be empty",
            ));
        }
        if r.kind.is_empty() {
            errs.push(FieldError::invalid(owners_path.child("kind"), "", "must not be empty"));
        }
        if r.name.is_empty() {
            errs.push(FieldError::invalid(owners_path.child("name"), "", "must not be empty"));
        }
        if r.uid.is_empty() {
            errs.push(FieldError::invalid(owners_path.child("uid"), "", "must not be empty"));
        }
        if r.controller == Some(true) {
            let this = format!("{}/{}", r.kind, r.name);
            match &first_controller {
                // unconfirmed upstream wording of the value: Go prints the whole []OwnerReference
                Some(first) => errs.push(FieldError::invalid(
                    owners_path.clone(),
                    Value::Raw("[]v1.OwnerReference{…}".to_string()),
                    format!("Only one reference can have Controller set to true. Found \"true\" in references for {first} and {this}"),
                )),
                None => first_controller = Some(this),
            }
        }
    }

    let finalizers_path = path.child("finalizers");
    let finalizers = meta.finalizers.as_ref();
    for f in finalizers.into_iter().flatten() {
        for m in is_qualified_name(f) {
            errs.push(FieldError::invalid(finalizers_path.clone(), f.as_str(), m));
        }
    }
    let has = |name: &str| finalizers.is_some_and(|fs| fs.iter().any(|f| f == name));
    if has("orphan") && has("foregroundDeletion") {
        errs.push(FieldError::invalid(
            finalizers_path.clone(),
            Value::Raw(go_string_slice(finalizers)),
            "finalizer orphan and foregroundDeletion cannot be both set",
        ));
    }
    // core's validateKubeFinalizerName: an unqualified finalizer must be a standard one.
    for (i, f) in finalizers.into_iter().flatten().enumerate() {
        if !f.contains('/') && !matches!(f.as_str(), "kubernetes" | "orphan" | "foregroundDeletion") {
            // unconfirmed upstream wording
            errs.push(FieldError::invalid(
                finalizers_path.index(i),
                f.as_str(),
                "name is neither a standard finalizer name nor is it fully qualified",
            ));
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::validation::test_support::*;
    use crate::api::validation::validate_node;
    use k8s_openapi::api::core::v1::Node;
    use serde_json::{json, Value as Json};

    #[test]
    fn name_or_generate_name_is_required() {
        let errs = pod_errors(set(redis(), "/metadata/name", Json::Null));
        assert_eq!(errs, vec!["metadata.name: Required value: name or generateName is required"]);
    }

    #[test]
    fn name_must_be_a_dns_subdomain() {
        let errs = deployment_errors(set(nginx(), "/metadata/name", json!("Web_1")));
        assert_eq!(errs, vec![format!("metadata.name: Invalid value: \"Web_1\": {SUBDOMAIN_MSG}")]);
    }

    #[test]
    fn generate_name_masks_the_last_two_characters_of_a_trailing_dash() {
        let meta = |g: &str| ObjectMeta {
            name: Some("x".into()),
            generate_name: Some(g.into()),
            namespace: Some("default".into()),
            ..Default::default()
        };
        let check =
            |g: &str| strings(&validate_object_meta(&meta(g), true, NameRule::Subdomain, &Path::root("metadata")));
        assert!(check("web-").is_empty(), "checked as 'wea'");
        // "a.-" is checked as "aa": the dot before the dash is swallowed by the quirk.
        assert!(check("a.-").is_empty());
        assert_eq!(check("Web-"), vec![format!("metadata.generateName: Invalid value: \"Web-\": {SUBDOMAIN_MSG}")]);
        // a lone "-" is not masked
        assert_eq!(check("-"), vec![format!("metadata.generateName: Invalid value: \"-\": {SUBDOMAIN_MSG}")]);
        // multi-byte characters before the dash do not panic
        assert_eq!(check("é-").len(), 1);
    }

    #[test]
    fn label_rule_names_reject_dots() {
        let meta = ObjectMeta { name: Some("team.a".into()), ..Default::default() };
        let errs = strings(&validate_object_meta(&meta, false, NameRule::Label, &Path::root("metadata")));
        assert_eq!(errs, vec!["metadata.name: Invalid value: \"team.a\": must not contain dots"]);
    }

    #[test]
    fn namespace_is_required_for_namespaced_objects() {
        let errs = pod_errors(set(redis(), "/metadata/namespace", Json::Null));
        assert_eq!(errs, vec!["metadata.namespace: Required value"]);
        let errs = pod_errors(set(redis(), "/metadata/namespace", json!("Team_A")));
        assert_has(&errs, "metadata.namespace: Invalid value: \"Team_A\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
    }

    #[test]
    fn label_keys_and_values_are_checked_at_the_map_path() {
        let errs = pod_errors(set(redis(), "/metadata/labels", json!({"-app": "ok", "tier": "a".repeat(64)})));
        assert_eq!(
            errs,
            vec![
                "metadata.labels: Invalid value: \"-app\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')".to_string(),
                format!("metadata.labels: Invalid value: \"{}\": must be no more than 63 characters", "a".repeat(64)),
            ]
        );
    }

    #[test]
    fn annotation_keys_are_case_insensitive_qualified_names() {
        let errs = pod_errors(set(redis(), "/metadata/annotations", json!({"Example.com/Key": "v", "a/b/c": "v"})));
        assert_eq!(
            errs,
            vec!["metadata.annotations: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
        );
    }

    #[test]
    fn owner_references_need_version_kind_name_and_uid() {
        let errs = pod_errors(set(
            redis(),
            "/metadata/ownerReferences",
            json!([{"apiVersion": "apps/", "kind": "", "name": "rs", "uid": ""}]),
        ));
        assert_eq!(
            errs,
            vec![
                "metadata.ownerReferences.apiVersion: Invalid value: \"apps/\": version must not be empty",
                "metadata.ownerReferences.kind: Invalid value: \"\": must not be empty",
                "metadata.ownerReferences.uid: Invalid value: \"\": must not be empty",
            ]
        );
    }

    #[test]
    fn finalizers_must_be_standard_or_qualified() {
        let errs = pod_errors(set(redis(), "/metadata/finalizers", json!(["example.com/keep", "orphan", "foo"])));
        assert_eq!(errs, vec!["metadata.finalizers[2]: Invalid value: \"foo\": name is neither a standard finalizer name nor is it fully qualified"]);
        let errs = pod_errors(set(redis(), "/metadata/finalizers", json!(["orphan", "foregroundDeletion"])));
        assert_eq!(
            errs,
            vec!["metadata.finalizers: Invalid value: []string{\"orphan\", \"foregroundDeletion\"}: finalizer orphan and foregroundDeletion cannot be both set"]
        );
    }

    #[test]
    fn cluster_scoped_objects_may_not_have_a_namespace() {
        let n: Node =
            serde_json::from_value(json!({"metadata": {"name": "node-1", "namespace": "default"}})).expect("valid");
        assert_eq!(strings(&validate_node(&n)), vec!["metadata.namespace: Forbidden: not allowed on this type"]);
    }
}
