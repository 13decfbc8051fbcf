//! core/v1 cluster-scoped objects: Node (name and taints) and Namespace.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::{Node, Taint};

use super::go_fmt::go_quote;
use super::meta::{validate_object_meta, NameRule};
use crate::api::field::{ErrorList, FieldError, Path, Value};
use crate::labels::validation::{is_qualified_name, is_valid_label_value};

/// `core.Taint` as `%#v` prints it (unconfirmed upstream wording).
fn go_taint(t: &Taint) -> String {
    format!(
        "core.Taint{{Key:{}, Value:{}, Effect:{}, TimeAdded:(*v1.Time)(nil)}}",
        go_quote(&t.key),
        go_quote(t.value.as_deref().unwrap_or("")),
        go_quote(&t.effect)
    )
}

/// upstream: validateNodeTaints.
fn validate_taints(taints: &[Taint], path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    let mut seen = BTreeSet::new();
    for (i, t) in taints.iter().enumerate() {
        let p = path.index(i);
        errs.extend(
            is_qualified_name(&t.key).into_iter().map(|m| FieldError::invalid(p.child("key"), t.key.as_str(), m)),
        );
        let value = t.value.as_deref().unwrap_or("");
        let msgs = is_valid_label_value(value);
        if !msgs.is_empty() {
            errs.push(FieldError::invalid(p.child("value"), value, msgs.join(";")));
        }
        match t.effect.as_str() {
            "" => errs.push(FieldError::required(p.child("effect"), "")),
            "NoSchedule" | "PreferNoSchedule" | "NoExecute" => {}
            other => errs.push(FieldError::not_supported(
                p.child("effect"),
                other,
                &["NoSchedule", "PreferNoSchedule", "NoExecute"],
            )),
        }
        if !seen.insert((t.effect.as_str(), t.key.as_str())) {
            let mut dup = FieldError::duplicate(p, Value::Raw(go_taint(t)));
            dup.detail = "taints must be unique by key and effect pair".to_string();
            errs.push(dup);
        }
    }
    errs
}

/// upstream: ValidateNode — a cluster-scoped object with a DNS-subdomain name; kubesim also
/// checks taints (the node lifecycle controller writes them).
pub fn validate_node(n: &Node) -> ErrorList {
    let mut errs = validate_object_meta(&n.metadata, false, NameRule::Subdomain, &Path::root("metadata"));
    if let Some(taints) = n.spec.as_ref().and_then(|s| s.taints.as_deref()) {
        errs.extend(validate_taints(taints, &Path::root("spec").child("taints")));
    }
    errs
}

/// A Namespace: a DNS label name, cluster-scoped.
pub fn validate_namespace(ns: &k8s_openapi::api::core::v1::Namespace) -> ErrorList {
    validate_object_meta(&ns.metadata, false, NameRule::Label, &Path::root("metadata"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::validation::test_support::*;
    use serde_json::json;

    #[test]
    fn node_name_is_a_subdomain_and_taints_are_checked() {
        let n: Node = serde_json::from_value(json!({"metadata": {"name": "Node_1"}})).expect("valid");
        assert_eq!(
            strings(&validate_node(&n)),
            vec![format!("metadata.name: Invalid value: \"Node_1\": {SUBDOMAIN_MSG}")]
        );
        let n: Node = serde_json::from_value(json!({"metadata": {"name": "node-1"}, "spec": {"taints": [
            {"key": "k", "effect": "NoSchedule"}, {"key": "k", "effect": "NoSchedule"}, {"key": "k", "effect": "Sometimes"}]}}))
        .expect("valid");
        assert_eq!(
            strings(&validate_node(&n)),
            vec![
                "spec.taints[1]: Duplicate value: core.Taint{Key:\"k\", Value:\"\", Effect:\"NoSchedule\", TimeAdded:(*v1.Time)(nil)}: taints must be unique by key and effect pair",
                "spec.taints[2].effect: Unsupported value: \"Sometimes\": supported values: \"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\"",
            ]
        );
    }
}
