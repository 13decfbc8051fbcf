//! `spec.affinity.podAffinity` and `podAntiAffinity` (upstream: validatePodAffinity,
//! validatePodAntiAffinity, validatePodAffinityTerm, validateWeightedPodAffinityTerms and
//! validateMatchLabelKeysAndMismatchLabelKeys).

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{Affinity, PodAffinityTerm, WeightedPodAffinityTerm};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use crate::api::field::{ErrorList, FieldError, Path};
use crate::labels::api_validation::{validate_label_name, validate_label_selector};
use crate::labels::merge_label_keys;
use crate::labels::validation::is_dns1123_label;

/// Both pod affinity kinds of `affinity`. `pod_labels` are a Pod's own labels (`None` for a pod
/// template): upstream's API server merges `matchLabelKeys` into a Pod's selector before it
/// validates it (mutatePodAffinity in PrepareForCreate), which the duplicate-key check sees.
pub(super) fn validate_pod_affinities(
    affinity: &Affinity,
    pod_labels: Option<&BTreeMap<String, String>>,
    path: &Path,
) -> ErrorList {
    let mut errs = ErrorList::new();
    let kinds = [
        (
            "podAffinity",
            affinity.pod_affinity.as_ref().map(|a| {
                (
                    &a.required_during_scheduling_ignored_during_execution,
                    &a.preferred_during_scheduling_ignored_during_execution,
                )
            }),
        ),
        (
            "podAntiAffinity",
            affinity.pod_anti_affinity.as_ref().map(|a| {
                (
                    &a.required_during_scheduling_ignored_during_execution,
                    &a.preferred_during_scheduling_ignored_during_execution,
                )
            }),
        ),
    ];
    for (field, terms) in kinds {
        let Some((required, preferred)) = terms else { continue };
        let p = path.child(field);
        for (i, t) in required.iter().flatten().enumerate() {
            let tp = p.child("requiredDuringSchedulingIgnoredDuringExecution").index(i);
            errs.extend(validate_term(t, pod_labels, &tp));
        }
        for (j, w) in preferred.iter().flatten().enumerate() {
            errs.extend(validate_weighted_term(
                w,
                pod_labels,
                &p.child("preferredDuringSchedulingIgnoredDuringExecution").index(j),
            ));
        }
    }
    errs
}

fn validate_weighted_term(
    w: &WeightedPodAffinityTerm,
    pod_labels: Option<&BTreeMap<String, String>>,
    path: &Path,
) -> ErrorList {
    let mut errs = ErrorList::new();
    if !(1..=100).contains(&w.weight) {
        errs.push(FieldError::invalid(path.child("weight"), i64::from(w.weight), "must be in the range 1-100"));
    }
    errs.extend(validate_term(&w.pod_affinity_term, pod_labels, &path.child("podAffinityTerm")));
    errs
}

/// upstream: validatePodAffinityTerm — the selectors, the namespaces, the label keys, then the
/// topology key (required, and a qualified name).
fn validate_term(t: &PodAffinityTerm, pod_labels: Option<&BTreeMap<String, String>>, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    if let Some(sel) = &t.label_selector {
        errs.extend(validate_label_selector(sel, &path.child("labelSelector")));
    }
    if let Some(sel) = &t.namespace_selector {
        errs.extend(validate_label_selector(sel, &path.child("namespaceSelector")));
    }
    for name in t.namespaces.iter().flatten() {
        // upstream: the path really is `namespace`, not `namespaces[i]`.
        errs.extend(
            is_dns1123_label(name).into_iter().map(|m| FieldError::invalid(path.child("namespace"), name.as_str(), m)),
        );
    }
    errs.extend(validate_label_keys_pair(t, pod_labels, path));
    if t.topology_key.is_empty() {
        errs.push(FieldError::required(path.child("topologyKey"), "can not be empty"));
    }
    errs.extend(validate_label_name(&t.topology_key, &path.child("topologyKey")));
    errs
}

/// upstream: validateMatchLabelKeysAndMismatchLabelKeys.
fn validate_label_keys_pair(
    t: &PodAffinityTerm,
    pod_labels: Option<&BTreeMap<String, String>>,
    path: &Path,
) -> ErrorList {
    let match_keys = t.match_label_keys.as_deref().unwrap_or_default();
    let mismatch_keys = t.mismatch_label_keys.as_deref().unwrap_or_default();
    let sel = t.label_selector.as_ref();
    let mut errs = validate_label_keys(match_keys, sel, &path.child("matchLabelKeys"));
    errs.extend(validate_label_keys(mismatch_keys, sel, &path.child("mismatchLabelKeys")));
    if let Some(sel) = sel {
        // upstream: a matchLabelKeys key whose requirement (merged into matchExpressions on a
        // Pod) meets the same key already in the selector. Upstream's path is the term's,
        // indexed by the key's position (not `matchLabelKeys[i]`); kept as it is.
        let merged = pod_labels.and_then(|l| merge_label_keys(Some(sel), match_keys, mismatch_keys, l));
        let merged = merged.as_ref().unwrap_or(sel);
        let mut seen: BTreeSet<&str> = merged.match_labels.iter().flatten().map(|(k, _)| k.as_str()).collect();
        for e in merged.match_expressions.iter().flatten() {
            if let Some(i) = match_keys.iter().rposition(|k| *k == e.key).filter(|_| seen.contains(e.key.as_str())) {
                errs.push(FieldError::invalid(
                    path.index(i),
                    e.key.as_str(),
                    "exists in both matchLabelKeys and labelSelector",
                ));
            }
            seen.insert(e.key.as_str());
        }
    }
    for (i, k) in match_keys.iter().enumerate() {
        if mismatch_keys.contains(k) {
            errs.push(FieldError::invalid(
                path.child("matchLabelKeys").index(i),
                k.as_str(),
                "exists in both matchLabelKeys and mismatchLabelKeys",
            ));
        }
    }
    errs
}

/// upstream: validateLabelKeys — forbidden without a labelSelector, else each a label name.
fn validate_label_keys(keys: &[String], sel: Option<&LabelSelector>, path: &Path) -> ErrorList {
    if keys.is_empty() {
        return ErrorList::new();
    }
    if sel.is_none() {
        return vec![FieldError::forbidden(path.clone(), "must not be specified when labelSelector is not set")];
    }
    keys.iter().enumerate().flat_map(|(i, k)| validate_label_name(k, &path.index(i))).collect()
}

#[cfg(test)]
mod tests {
    use crate::api::validation::test_support::*;
    use serde_json::{json, Value};

    const REQUIRED: &str = "spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution";
    const QUALIFIED: &str = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

    fn term(extra: Value) -> Value {
        let mut t =
            json!({"labelSelector": {"matchLabels": {"app": "redis"}}, "topologyKey": "kubernetes.io/hostname"});
        for (k, v) in extra.as_object().into_iter().flatten() {
            t[k] = v.clone();
        }
        t
    }

    fn pod_with(kind: &str, field: &str, terms: Value) -> Vec<String> {
        pod_errors(set(redis(), &format!("/spec/affinity/{kind}/{field}"), terms))
    }

    #[test]
    fn pod_affinity_terms_are_checked_as_upstream_words_it() {
        // upstream: validatePodAffinityTerm and validateMatchLabelKeysAndMismatchLabelKeys
        // (TestValidatePod's affinity cases), each error naming its field path.
        let rows: Vec<(Value, Vec<String>)> = vec![
            (term(json!({})), vec![]),
            (
                term(json!({"topologyKey": ""})),
                vec![
                    format!("{REQUIRED}[0].topologyKey: Required value: can not be empty"),
                    format!("{REQUIRED}[0].topologyKey: Invalid value: \"\": name part must be non-empty"),
                ],
            ),
            (term(json!({"topologyKey": "zone!"})), vec![format!("{REQUIRED}[0].topologyKey: Invalid value: \"zone!\": {QUALIFIED}")]),
            (
                json!({"topologyKey": "zone", "matchLabelKeys": ["app"], "mismatchLabelKeys": ["tier"]}),
                vec![
                    format!("{REQUIRED}[0].matchLabelKeys: Forbidden: must not be specified when labelSelector is not set"),
                    format!("{REQUIRED}[0].mismatchLabelKeys: Forbidden: must not be specified when labelSelector is not set"),
                ],
            ),
            (
                term(json!({"matchLabelKeys": ["tier", "bad key"]})),
                vec![format!("{REQUIRED}[0].matchLabelKeys[1]: Invalid value: \"bad key\": {QUALIFIED}")],
            ),
            (
                term(json!({"matchLabelKeys": ["tier"], "mismatchLabelKeys": ["tier"]})),
                vec![format!(
                    "{REQUIRED}[0].matchLabelKeys[0]: Invalid value: \"tier\": exists in both matchLabelKeys and mismatchLabelKeys"
                )],
            ),
            // The pod has `app`: its requirement, merged into the selector, meets matchLabels'
            // `app` (upstream's path is the term's, indexed by the key's position).
            (
                term(json!({"matchLabelKeys": ["tier", "app"]})),
                vec![format!("{REQUIRED}[0][1]: Invalid value: \"app\": exists in both matchLabelKeys and labelSelector")],
            ),
            // A key the pod lacks adds nothing; a mismatchLabelKeys key may be in the selector.
            (term(json!({"matchLabelKeys": ["tier"], "mismatchLabelKeys": ["app"]})), vec![]),
            (
                term(json!({"namespaces": ["Bad_NS"]})),
                vec![format!("{REQUIRED}[0].namespace: Invalid value: \"Bad_NS\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")],
            ),
            (
                term(json!({"labelSelector": {"matchExpressions": [{"key": "app", "operator": "Is", "values": ["x"]}]}})),
                vec![format!("{REQUIRED}[0].labelSelector.matchExpressions[0].operator: Invalid value: \"Is\": not a valid selector operator")],
            ),
        ];
        for (t, want) in rows {
            assert_eq!(
                pod_with("podAffinity", "requiredDuringSchedulingIgnoredDuringExecution", json!([t])),
                want,
                "{t}"
            );
        }
        let preferred = "spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0]";
        assert_eq!(
            pod_with(
                "podAntiAffinity",
                "preferredDuringSchedulingIgnoredDuringExecution",
                json!([{"weight": 0, "podAffinityTerm": term(json!({"topologyKey": "a/b/c"}))}])
            ),
            vec![
                format!("{preferred}.weight: Invalid value: 0: must be in the range 1-100"),
                format!("{preferred}.podAffinityTerm.topologyKey: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"),
            ]
        );
    }

    #[test]
    fn a_template_is_checked_without_the_merge_a_pod_gets() {
        // upstream: only a Pod's selector has its matchLabelKeys merged before validation; in
        // a template the key clashes only with the selector's own duplicates.
        let path = "/spec/template/spec/affinity/podAffinity/requiredDuringSchedulingIgnoredDuringExecution";
        let t = json!({"labelSelector": {"matchLabels": {"app": "nginx"}}, "topologyKey": "zone", "matchLabelKeys": ["app"]});
        assert_eq!(deployment_errors(set(nginx(), path, json!([t]))), Vec::<String>::new());
        let twice = json!({"labelSelector": {"matchLabels": {"app": "nginx"}, "matchExpressions": [{"key": "app", "operator": "Exists"}]},
                           "topologyKey": "zone", "matchLabelKeys": ["app"]});
        assert_eq!(
            deployment_errors(set(nginx(), path, json!([twice]))),
            ["spec.template.spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0][0]: Invalid value: \"app\": exists in both matchLabelKeys and labelSelector"]
        );
    }
}
