//! Pod specs (as in a Pod and in a pod template) and Pods: volumes, tolerations, policies, and
//! the pod-only checks.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{Pod, PodSpec, Toleration, Volume};

use super::container::{validate_containers, validate_init_containers};
use super::meta::{validate_labels, validate_object_meta, NameRule};
use crate::api::field::{ErrorList, FieldError, Path};
use crate::labels::validation::{is_dns1123_label, is_dns1123_subdomain, is_qualified_name, is_valid_label_value};

fn validate_volumes(volumes: &[Volume], path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    let mut names = BTreeSet::new();
    for (i, v) in volumes.iter().enumerate() {
        let p = path.index(i);
        let mut el = ErrorList::new();
        let has_source = serde_json::to_value(v)
            .ok()
            .and_then(|j| j.as_object().map(|o| o.keys().any(|k| k != "name")))
            .unwrap_or(true);
        if !has_source {
            el.push(FieldError::required(p.clone(), "must specify a volume type"));
        }
        if v.name.is_empty() {
            el.push(FieldError::required(p.child("name"), ""));
        } else {
            el.extend(
                is_dns1123_label(&v.name).into_iter().map(|m| FieldError::invalid(p.child("name"), v.name.as_str(), m)),
            );
        }
        if names.contains(v.name.as_str()) {
            el.push(FieldError::duplicate(p.child("name"), v.name.as_str()));
        }
        if el.is_empty() {
            names.insert(v.name.as_str());
        }
        errs.extend(el);
    }
    errs
}

fn validate_tolerations(tolerations: &[Toleration], path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    for (i, t) in tolerations.iter().enumerate() {
        let p = path.index(i);
        let key = t.key.as_deref().unwrap_or("");
        let op = t.operator.as_deref().unwrap_or("");
        let value = t.value.as_deref().unwrap_or("");
        let effect = t.effect.as_deref().unwrap_or("");
        if !key.is_empty() {
            errs.extend(is_qualified_name(key).into_iter().map(|m| FieldError::invalid(p.child("key"), key, m)));
        }
        if key.is_empty() && op != "Exists" {
            errs.push(FieldError::invalid(
                p.child("operator"),
                op,
                "operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
            ));
        }
        if t.toleration_seconds.is_some() && effect != "NoExecute" {
            errs.push(FieldError::invalid(
                p.child("effect"),
                effect,
                "effect must be 'NoExecute' when `tolerationSeconds` is set",
            ));
        }
        match op {
            "Equal" | "" => {
                let msgs = is_valid_label_value(value);
                if !msgs.is_empty() {
                    errs.push(FieldError::invalid(p.child("operator"), value, msgs.join(";")));
                }
            }
            "Exists" => {
                if !value.is_empty() {
                    errs.push(FieldError::invalid(
                        p.child("operator"),
                        value,
                        "value must be empty when `operator` is 'Exists'",
                    ));
                }
            }
            other => errs.push(FieldError::not_supported(p.child("operator"), other, &["Equal", "Exists"])),
        }
        if !effect.is_empty() && !matches!(effect, "NoSchedule" | "PreferNoSchedule" | "NoExecute") {
            errs.push(FieldError::not_supported(
                p.child("effect"),
                effect,
                &["NoSchedule", "PreferNoSchedule", "NoExecute"],
            ));
        }
    }
    errs
}

fn name_field(errs: &mut ErrorList, value: &Option<String>, path: Path) {
    if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
        errs.extend(is_dns1123_subdomain(v).into_iter().map(|m| FieldError::invalid(path.clone(), v, m)));
    }
}

fn label_field(errs: &mut ErrorList, value: &Option<String>, path: Path) {
    if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
        errs.extend(is_dns1123_label(v).into_iter().map(|m| FieldError::invalid(path.clone(), v, m)));
    }
}

/// upstream: ValidatePodSpec. `pod_labels` are a Pod's labels (`Some` is
/// PodValidationOptions.ResourceIsPod), `None` for a pod template.
fn validate_pod_spec_for(spec: &PodSpec, path: &Path, pod_labels: Option<&BTreeMap<String, String>>) -> ErrorList {
    let is_pod = pod_labels.is_some();
    let mut errs = ErrorList::new();
    if spec.termination_grace_period_seconds.is_none() {
        errs.push(FieldError::required(path.child("terminationGracePeriodSeconds"), ""));
    }
    let grace = spec.termination_grace_period_seconds;
    errs.extend(validate_volumes(spec.volumes.as_deref().unwrap_or(&[]), &path.child("volumes")));
    errs.extend(validate_containers(spec, grace, path));
    errs.extend(validate_init_containers(spec, grace, path));

    if spec.host_network == Some(true) {
        for (i, c) in spec.containers.iter().enumerate() {
            for (j, port) in c.ports.iter().flatten().enumerate() {
                let hp = port.host_port.unwrap_or(0);
                if (is_pod || hp != 0) && hp != port.container_port {
                    let p = path.child("containers").index(i).child("ports").index(j).child("hostPort");
                    errs.push(FieldError::invalid(p, hp, "must match `containerPort` when `hostNetwork` is true"));
                }
            }
        }
    }
    match spec.restart_policy.as_deref() {
        None | Some("") => errs.push(FieldError::required(path.child("restartPolicy"), "")),
        Some("Always" | "OnFailure" | "Never") => {}
        Some(other) => {
            errs.push(FieldError::not_supported(path.child("restartPolicy"), other, &["Always", "OnFailure", "Never"]))
        }
    }
    let dns_policy = spec.dns_policy.as_deref().unwrap_or("");
    match dns_policy {
        "" => errs.push(FieldError::required(path.child("dnsPolicy"), "")),
        "ClusterFirstWithHostNet" | "ClusterFirst" | "Default" | "None" => {}
        other => errs.push(FieldError::not_supported(
            path.child("dnsPolicy"),
            other,
            &["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"],
        )),
    }
    errs.extend(validate_labels(spec.node_selector.as_ref(), &path.child("nodeSelector")));
    if dns_policy == "None" {
        match &spec.dns_config {
            None => errs.push(FieldError::required(
                path.child("dnsConfig"),
                "must provide `dnsConfig` when `dnsPolicy` is None",
            )),
            Some(c) if c.nameservers.as_ref().is_none_or(Vec::is_empty) => errs.push(FieldError::required(
                path.child("dnsConfig").child("nameservers"),
                "must provide at least one DNS nameserver when `dnsPolicy` is None",
            )),
            Some(_) => {}
        }
    }
    name_field(&mut errs, &spec.service_account_name, path.child("serviceAccountName"));
    name_field(&mut errs, &spec.node_name, path.child("nodeName"));
    if let Some(v) = spec.active_deadline_seconds.filter(|&v| !(1..=i32::MAX as i64).contains(&v)) {
        errs.push(FieldError::invalid(
            path.child("activeDeadlineSeconds"),
            v,
            "must be between 1 and 2147483647, inclusive",
        ));
    }
    label_field(&mut errs, &spec.hostname, path.child("hostname"));
    label_field(&mut errs, &spec.subdomain, path.child("subdomain"));
    errs.extend(validate_tolerations(spec.tolerations.as_deref().unwrap_or(&[]), &path.child("tolerations")));
    if let Some(affinity) = &spec.affinity {
        let p = path.child("affinity");
        if let Some(na) = &affinity.node_affinity {
            errs.extend(super::node_affinity::validate_node_affinity(na, &p.child("nodeAffinity")));
        }
        errs.extend(super::pod_affinity::validate_pod_affinities(affinity, pod_labels, &p));
    }
    if let Some(tsc) = &spec.topology_spread_constraints {
        errs.extend(super::topology_spread::validate_topology_spread(tsc, &path.child("topologySpreadConstraints")));
    }
    name_field(&mut errs, &spec.priority_class_name, path.child("priorityClassName"));
    if let Some(pp) = spec.preemption_policy.as_deref() {
        match pp {
            "" => errs.push(FieldError::required(path.child("preemptionPolicy"), "")),
            "PreemptLowerPriority" | "Never" => {}
            other => errs.push(FieldError::not_supported(
                path.child("preemptionPolicy"),
                other,
                &["PreemptLowerPriority", "Never"],
            )),
        }
    }
    errs
}

/// Validates a pod spec as it appears in a pod template (Deployment, ReplicaSet). For a Pod use
/// [`validate_pod`], which adds the pod-only checks.
pub fn validate_pod_spec(spec: &PodSpec, path: &Path) -> ErrorList {
    validate_pod_spec_for(spec, path, None)
}

/// upstream: ValidatePodSpecificAnnotations — the part kubesim models (pod deletion cost).
pub(super) fn validate_pod_annotations(annotations: Option<&BTreeMap<String, String>>, path: &Path) -> ErrorList {
    const DELETION_COST: &str = "controller.kubernetes.io/pod-deletion-cost";
    let Some(v) = annotations.and_then(|a| a.get(DELETION_COST)) else {
        return ErrorList::new();
    };
    // No `+` sign and no leading zeros (GetDeletionCostFromPodAnnotations).
    let first_ok = v.starts_with('-') || v == "0" || v.as_bytes().first().is_some_and(|c| (b'1'..=b'9').contains(c));
    if first_ok && v.parse::<i32>().is_ok() {
        ErrorList::new()
    } else {
        vec![FieldError::invalid(path.key(DELETION_COST), v.as_str(), "must be a 32bit integer")]
    }
}

/// upstream: ValidatePodCreate — metadata, spec, and the checks that apply to Pods but not to
/// pod templates.
pub fn validate_pod(pod: &Pod) -> ErrorList {
    let meta_path = Path::root("metadata");
    let spec_path = Path::root("spec");
    let mut errs = validate_object_meta(&pod.metadata, true, NameRule::Subdomain, &meta_path);
    errs.extend(validate_pod_annotations(pod.metadata.annotations.as_ref(), &meta_path.child("annotations")));
    let default_spec = PodSpec::default();
    let spec = pod.spec.as_ref().unwrap_or(&default_spec);
    let no_labels = BTreeMap::new();
    let labels = pod.metadata.labels.as_ref().unwrap_or(&no_labels);
    errs.extend(validate_pod_spec_for(spec, &spec_path, Some(labels)));
    for (field, list) in [("containers", Some(&spec.containers)), ("initContainers", spec.init_containers.as_ref())] {
        for (i, c) in list.into_iter().flatten().enumerate() {
            let image = c.image.as_deref().unwrap_or("");
            if image.len() != image.trim().len() {
                let p = spec_path.child(field).index(i).child("image");
                errs.push(FieldError::invalid(p, image, "must not have leading or trailing whitespace"));
            }
        }
    }
    if spec.ephemeral_containers.as_ref().is_some_and(|e| !e.is_empty()) {
        // unconfirmed upstream wording
        errs.push(FieldError::forbidden(spec_path.child("ephemeralContainers"), "cannot be set on create"));
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::validation::test_support::*;
    use serde_json::json;

    #[test]
    fn undefaulted_spec_reports_what_the_server_would_have_filled_in() {
        let mut p: Pod = serde_json::from_value(redis()).expect("valid");
        p.spec.as_mut().expect("spec").containers[0].ports.as_mut().expect("ports")[0].protocol = None;
        let errs = strings(&validate_pod(&p));
        assert_has(&errs, "spec.terminationGracePeriodSeconds: Required value");
        assert_has(&errs, "spec.containers[0].terminationMessagePolicy: Required value");
        assert_has(&errs, "spec.containers[0].imagePullPolicy: Required value");
        assert_has(&errs, "spec.containers[0].ports[0].protocol: Required value");
        assert_has(&errs, "spec.restartPolicy: Required value");
        assert_has(&errs, "spec.dnsPolicy: Required value");
    }

    #[test]
    fn at_least_one_container_is_required() {
        assert_eq!(pod_errors(set(redis(), "/spec/containers", json!([]))), vec!["spec.containers: Required value"]);
    }

    #[test]
    fn image_whitespace_is_rejected_for_pods_only() {
        let errs = pod_errors(set(redis(), "/spec/containers/0/image", json!(" redis")));
        assert_eq!(
            errs,
            vec!["spec.containers[0].image: Invalid value: \" redis\": must not have leading or trailing whitespace"]
        );
        let v = set(nginx(), "/spec/template/spec/containers/0/image", json!(" nginx"));
        assert_eq!(deployment_errors(v), Vec::<String>::new(), "templates keep the old leniency");
    }

    #[test]
    fn restart_policy_must_be_supported() {
        let errs = pod_errors(set(redis(), "/spec/restartPolicy", json!("Sometimes")));
        assert_eq!(errs, vec!["spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\""]);
    }

    #[test]
    fn dns_policy_must_be_supported() {
        let errs = pod_errors(set(redis(), "/spec/dnsPolicy", json!("Cluster")));
        assert_eq!(errs, vec!["spec.dnsPolicy: Unsupported value: \"Cluster\": supported values: \"ClusterFirstWithHostNet\", \"ClusterFirst\", \"Default\", \"None\""]);
        let errs = pod_errors(set(redis(), "/spec/dnsPolicy", json!("None")));
        assert_eq!(errs, vec!["spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None"]);
    }

    #[test]
    fn negative_grace_period_is_not_a_validation_error() {
        // upstream stopped rejecting it (kubernetes#98866) and clamps pods to 1s instead.
        let v = set(nginx(), "/spec/template/spec/terminationGracePeriodSeconds", json!(-1));
        assert_eq!(deployment_errors(v), Vec::<String>::new());
    }

    #[test]
    fn toleration_rules() {
        let v = set(
            redis(),
            "/spec/tolerations",
            json!([{"key": "k", "operator": "Exists", "value": "v"}, {"operator": "Equal", "value": "v"}, {"key": "k", "effect": "NoSchedule", "tolerationSeconds": 5}]),
        );
        assert_eq!(
            pod_errors(v),
            vec![
                "spec.tolerations[0].operator: Invalid value: \"v\": value must be empty when `operator` is 'Exists'",
                "spec.tolerations[1].operator: Invalid value: \"Equal\": operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
                "spec.tolerations[2].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set",
            ]
        );
    }

    #[test]
    fn pod_deletion_cost_must_be_an_int32() {
        let v = set(redis(), "/metadata/annotations", json!({"controller.kubernetes.io/pod-deletion-cost": "+10"}));
        assert_eq!(pod_errors(v), vec!["metadata.annotations[controller.kubernetes.io/pod-deletion-cost]: Invalid value: \"+10\": must be a 32bit integer"]);
    }
}
