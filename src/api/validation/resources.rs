//! Container resource requirements: resource names, quantity values, requests against limits.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ResourceRequirements;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::IS_NEGATIVE;
use crate::api::field::{ErrorList, FieldError, Path};
use crate::api::quantity::ParsedQuantity;
use crate::labels::validation::is_qualified_name;

/// A resource name without a domain, or within `kubernetes.io` (upstream: IsNativeResource).
fn is_native_resource(name: &str) -> bool {
    !name.contains('/') || name.contains("kubernetes.io/")
}

/// upstream: IsExtendedResourceName — a domain-prefixed name outside `kubernetes.io` that is
/// still a qualified name once `requests.` is prepended.
fn is_extended_resource(name: &str) -> bool {
    !is_native_resource(name)
        && !name.starts_with("requests.")
        && is_qualified_name(&format!("requests.{name}")).is_empty()
}

/// upstream: IsOvercommitAllowed — only native, non-hugepage resources may have requests below limits.
fn is_overcommit_allowed(name: &str) -> bool {
    is_native_resource(name) && !name.starts_with("hugepages-")
}

/// upstream: IsStandardResourceName (the subset a container can meaningfully name; unconfirmed
/// that the list is complete).
fn is_standard_resource_name(name: &str) -> bool {
    let base = name.strip_prefix("requests.").or_else(|| name.strip_prefix("limits.")).unwrap_or(name);
    matches!(
        base,
        "cpu"
            | "memory"
            | "ephemeral-storage"
            | "storage"
            | "pods"
            | "services"
            | "replicationcontrollers"
            | "resourcequotas"
            | "secrets"
            | "configmaps"
            | "persistentvolumeclaims"
            | "services.nodeports"
            | "services.loadbalancers"
    ) || base.starts_with("hugepages-")
}

/// upstream: validateContainerResourceName (and validateResourceName before it).
pub(super) fn validate_container_resource_name(name: &str, path: &Path) -> ErrorList {
    let mut errs: ErrorList =
        is_qualified_name(name).into_iter().map(|m| FieldError::invalid(path.clone(), name, m)).collect();
    if errs.is_empty() && !name.contains('/') && !is_standard_resource_name(name) {
        errs.push(FieldError::invalid(path.clone(), name, "must be a standard resource type or fully qualified"));
    }
    if !name.contains('/') {
        let container_standard =
            matches!(name, "cpu" | "memory" | "ephemeral-storage") || name.starts_with("hugepages-");
        if !container_standard {
            errs.push(FieldError::invalid(path.clone(), name, "must be a standard resource for containers"));
        }
    } else if !is_native_resource(name) && !is_extended_resource(name) {
        errs.push(FieldError::invalid(path.clone(), name, "doesn't follow extended resource name standard"));
    }
    errs
}

/// Parses one quantity of a resource list, reporting an unparseable one at `path`.
fn parse_quantity(q: &Quantity, path: &Path, errs: &mut ErrorList) -> Option<ParsedQuantity> {
    match ParsedQuantity::parse(&q.0) {
        Ok(p) => Some(p),
        Err(msg) => {
            errs.push(FieldError::invalid(path.clone(), q.0.as_str(), msg));
            None
        }
    }
}

/// upstream: ValidateResourceQuantityValue.
fn validate_quantity_value(name: &str, q: &ParsedQuantity, path: &Path, errs: &mut ErrorList) {
    if q.is_negative() {
        errs.push(FieldError::invalid(path.clone(), q.canonical(), IS_NEGATIVE));
    }
    if is_extended_resource(name) && !q.is_integer() {
        // unconfirmed upstream wording of the value (Go prints the Quantity struct)
        errs.push(FieldError::invalid(path.clone(), q.canonical(), "must be an integer"));
    }
}

/// upstream: ValidateResourceRequirements (container level).
pub(super) fn validate_resources(r: Option<&ResourceRequirements>, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    let Some(r) = r else { return errs };
    let lim_path = path.child("limits");
    let req_path = path.child("requests");
    let mut has_cpu_or_memory = false;
    let mut has_hugepages = false;
    let mut limits = BTreeMap::new();
    for (name, q) in r.limits.iter().flatten() {
        let p = lim_path.key(name);
        errs.extend(validate_container_resource_name(name, &p));
        if let Some(parsed) = parse_quantity(q, &p, &mut errs) {
            validate_quantity_value(name, &parsed, &p, &mut errs);
            limits.insert(name.as_str(), parsed);
        }
        has_hugepages |= name.starts_with("hugepages-");
        has_cpu_or_memory |= name == "cpu" || name == "memory";
    }
    for (name, q) in r.requests.iter().flatten() {
        let p = req_path.key(name);
        errs.extend(validate_container_resource_name(name, &p));
        let parsed = parse_quantity(q, &p, &mut errs);
        if let Some(parsed) = &parsed {
            validate_quantity_value(name, parsed, &p, &mut errs);
        }
        let limit_given = r.limits.as_ref().is_some_and(|l| l.contains_key(name));
        match (parsed, limits.get(name.as_str())) {
            (Some(req), Some(lim)) => {
                let ord = req.cmp(lim);
                if ord != Ordering::Equal && !is_overcommit_allowed(name) {
                    errs.push(FieldError::invalid(
                        req_path.clone(),
                        req.canonical(),
                        format!("must be equal to {name} limit of {}", lim.canonical()),
                    ));
                } else if ord == Ordering::Greater {
                    errs.push(FieldError::invalid(
                        req_path.clone(),
                        req.canonical(),
                        format!("must be less than or equal to {name} limit of {}", lim.canonical()),
                    ));
                }
            }
            _ if !limit_given && !is_overcommit_allowed(name) => {
                errs.push(FieldError::required(lim_path.clone(), "Limit must be set for non overcommitable resources"));
            }
            _ => {}
        }
        has_hugepages |= name.starts_with("hugepages-");
        has_cpu_or_memory |= name == "cpu" || name == "memory";
    }
    if has_hugepages && !has_cpu_or_memory {
        errs.push(FieldError::forbidden(path.clone(), "HugePages require cpu or memory"));
    }
    errs
}

#[cfg(test)]
mod tests {
    use crate::api::validation::test_support::*;
    use serde_json::json;

    #[test]
    fn requests_must_not_exceed_limits() {
        let v = set(
            redis(),
            "/spec/containers/0/resources",
            json!({"limits": {"cpu": "1", "memory": "128Mi"}, "requests": {"cpu": "1500m", "memory": "0.25Gi"}}),
        );
        assert_eq!(
            pod_errors(v),
            vec![
                "spec.containers[0].resources.requests: Invalid value: \"1500m\": must be less than or equal to cpu limit of 1",
                "spec.containers[0].resources.requests: Invalid value: \"256Mi\": must be less than or equal to memory limit of 128Mi",
            ]
        );
        let v = set(redis(), "/spec/containers/0/resources", json!({"limits": {"cpu": "1"}, "requests": {"cpu": "2"}}));
        assert_eq!(pod_errors(v), vec!["spec.containers[0].resources.requests: Invalid value: \"2\": must be less than or equal to cpu limit of 1"]);
        let v =
            set(redis(), "/spec/containers/0/resources", json!({"limits": {"cpu": "1"}, "requests": {"cpu": "0.5"}}));
        assert_eq!(pod_errors(v), Vec::<String>::new());
    }

    #[test]
    fn unparseable_quantity_is_reported_at_its_path() {
        // A template, so that the limits are not also copied into requests as on a Pod.
        let v = set(
            nginx(),
            "/spec/template/spec/containers/0/resources",
            json!({"limits": {"cpu": "abc", "memory": "1kk"}}),
        );
        assert_eq!(
            deployment_errors(v),
            vec![
                "spec.template.spec.containers[0].resources.limits[cpu]: Invalid value: \"abc\": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
                "spec.template.spec.containers[0].resources.limits[memory]: Invalid value: \"1kk\": unable to parse quantity's suffix",
            ]
        );
    }

    #[test]
    fn negative_quantity_is_rejected() {
        let v = set(redis(), "/spec/containers/0/resources", json!({"requests": {"memory": "-1"}}));
        assert_eq!(pod_errors(v), vec!["spec.containers[0].resources.requests[memory]: Invalid value: \"-1\": must be greater than or equal to 0"]);
    }

    #[test]
    fn container_resource_names_must_be_standard_or_extended() {
        let v = set(
            nginx(),
            "/spec/template/spec/containers/0/resources",
            json!({"limits": {"gpu": "1", "pods": "1", "example.com/gpu": "1"}, "requests": {"example.com/gpu": "1"}}),
        );
        assert_eq!(
            deployment_errors(v),
            vec![
                "spec.template.spec.containers[0].resources.limits[gpu]: Invalid value: \"gpu\": must be a standard resource type or fully qualified",
                "spec.template.spec.containers[0].resources.limits[gpu]: Invalid value: \"gpu\": must be a standard resource for containers",
                "spec.template.spec.containers[0].resources.limits[pods]: Invalid value: \"pods\": must be a standard resource for containers",
            ]
        );
        // On a Pod the limit is first copied into requests (SetDefaults_Pod), so it is reported twice.
        let v = set(redis(), "/spec/containers/0/resources", json!({"limits": {"pods": "1"}}));
        assert_eq!(pod_errors(v).len(), 2);
        let v = set(
            redis(),
            "/spec/containers/0/resources",
            json!({"limits": {"example.com/gpu": "2"}, "requests": {"example.com/gpu": "1"}}),
        );
        assert_eq!(pod_errors(v), vec!["spec.containers[0].resources.requests: Invalid value: \"1\": must be equal to example.com/gpu limit of 2"]);
    }
}
