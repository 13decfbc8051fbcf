//! Container environment: `env` (values and `valueFrom` sources) and `envFrom`.

use k8s_openapi::api::core::v1::{EnvFromSource, EnvVar};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::go_fmt::regex_error;
use super::meta::NameRule;
use super::unset;
use crate::api::field::{ErrorList, FieldError, Path};
use crate::api::quantity::ParsedQuantity;
use crate::labels::validation::{is_dns1123_subdomain, is_qualified_name};

/// upstream: IsRelaxedEnvVarName (RelaxedEnvironmentVariableValidation, on by default).
fn env_var_name_errors(name: &str) -> Vec<String> {
    if name.bytes().any(|c| !(0x20..=0x7e).contains(&c) || c == b'=') {
        vec!["a valid environment variable name must consist only of printable ASCII characters other than '='"
            .to_string()]
    } else {
        vec![]
    }
}

/// upstream: validation.IsConfigMapKey.
pub(super) fn config_map_key_errors(key: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if key.len() > 253 {
        errs.push("must be no more than 253 characters".to_string());
    }
    if key.is_empty() || !key.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_')) {
        errs.push(regex_error(
            "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
            "[-._a-zA-Z0-9]+",
            &["key.name", "KEY_NAME", "key-name"],
        ));
    }
    if key == "." {
        errs.push("must not be '.'".to_string());
    } else if key == ".." {
        errs.push("must not be '..'".to_string());
    } else if key.starts_with("..") {
        errs.push("must not start with '..'".to_string());
    }
    errs
}

fn validate_key_selector(name: &str, key: &str, path: &Path) -> ErrorList {
    let mut errs: ErrorList =
        is_dns1123_subdomain(name).into_iter().map(|m| FieldError::invalid(path.child("name"), name, m)).collect();
    if key.is_empty() {
        errs.push(FieldError::required(path.child("key"), ""));
    } else {
        errs.extend(config_map_key_errors(key).into_iter().map(|m| FieldError::invalid(path.child("key"), key, m)));
    }
    errs
}

const ENV_FIELD_PATHS: [&str; 9] = [
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
];

/// Paths `ConvertDownwardAPIFieldLabel` accepts for v1 pods (a superset of ENV_FIELD_PATHS).
const POD_FIELD_LABELS: [&str; 14] = [
    "metadata.annotations",
    "metadata.labels",
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.restartPolicy",
    "spec.schedulerName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.hostIPs",
    "status.phase",
    "status.podIP",
    "status.podIPs",
];

const ENV_RESOURCE_FIELDS: [&str; 6] = [
    "limits.cpu",
    "limits.ephemeral-storage",
    "limits.memory",
    "requests.cpu",
    "requests.ephemeral-storage",
    "requests.memory",
];

/// `metadata.labels['key']` → (`metadata.labels`, `key`) (upstream: SplitMaybeSubscriptedPath).
fn split_subscript(path: &str) -> Option<(&str, &str)> {
    let inner = path.strip_suffix("']")?;
    let (base, key) = inner.split_once("['")?;
    Some((base, key))
}

pub(super) fn validate_env(env: &[EnvVar], path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    for (i, ev) in env.iter().enumerate() {
        let p = path.index(i);
        if ev.name.is_empty() {
            errs.push(FieldError::required(p.child("name"), ""));
        } else {
            errs.extend(
                env_var_name_errors(&ev.name)
                    .into_iter()
                    .map(|m| FieldError::invalid(p.child("name"), ev.name.as_str(), m)),
            );
        }
        let Some(from) = &ev.value_from else { continue };
        let fp = p.child("valueFrom");
        let mut sources = 0;
        if let Some(f) = &from.field_ref {
            sources += 1;
            let fr = fp.child("fieldRef");
            if unset(&f.api_version) {
                errs.push(FieldError::required(fr.child("apiVersion"), ""));
            } else if f.field_path.is_empty() {
                errs.push(FieldError::required(fr.child("fieldPath"), ""));
            } else if f.api_version.as_deref() != Some("v1") {
                // unconfirmed upstream wording
                let msg = format!(
                    "error converting fieldPath: unsupported pod version: {}",
                    f.api_version.as_deref().unwrap_or("")
                );
                errs.push(FieldError::invalid(fr.child("fieldPath"), f.field_path.as_str(), msg));
            } else if let Some((base, key)) = split_subscript(&f.field_path) {
                match base {
                    "metadata.annotations" => errs.extend(
                        is_qualified_name(&key.to_lowercase())
                            .into_iter()
                            .map(|m| FieldError::invalid(fr.clone(), key.to_lowercase(), m)),
                    ),
                    "metadata.labels" => {
                        errs.extend(is_qualified_name(key).into_iter().map(|m| FieldError::invalid(fr.clone(), key, m)))
                    }
                    other => errs.push(FieldError::invalid(fr.clone(), other, "does not support subscript")),
                }
            } else if !POD_FIELD_LABELS.contains(&f.field_path.as_str()) {
                // unconfirmed upstream wording
                let msg = format!("error converting fieldPath: field label not supported: {}", f.field_path);
                errs.push(FieldError::invalid(fr.child("fieldPath"), f.field_path.as_str(), msg));
            } else if !ENV_FIELD_PATHS.contains(&f.field_path.as_str()) {
                errs.push(FieldError::not_supported(fr.child("fieldPath"), f.field_path.as_str(), &ENV_FIELD_PATHS));
            }
        }
        if let Some(r) = &from.resource_field_ref {
            sources += 1;
            let rp = fp.child("resourceFieldRef");
            if r.resource.is_empty() {
                errs.push(FieldError::required(rp.child("resource"), ""));
            } else if !ENV_RESOURCE_FIELDS.contains(&r.resource.as_str())
                && !r.resource.starts_with("requests.hugepages-")
                && !r.resource.starts_with("limits.hugepages-")
            {
                errs.push(FieldError::not_supported(rp.child("resource"), r.resource.as_str(), &ENV_RESOURCE_FIELDS));
            }
            errs.extend(validate_divisor(&r.resource, r.divisor.as_ref(), &rp));
        }
        if let Some(c) = &from.config_map_key_ref {
            sources += 1;
            errs.extend(validate_key_selector(&c.name, &c.key, &fp.child("configMapKeyRef")));
        }
        if let Some(s) = &from.secret_key_ref {
            sources += 1;
            errs.extend(validate_key_selector(&s.name, &s.key, &fp.child("secretKeyRef")));
        }
        if sources == 0 {
            errs.push(FieldError::invalid(
                fp,
                "",
                "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
            ));
        } else if !unset(&ev.value) {
            errs.push(FieldError::invalid(fp, "", "may not be specified when `value` is not empty"));
        } else if sources > 1 {
            errs.push(FieldError::invalid(fp, "", "may not have more than one field specified at a time"));
        }
    }
    errs
}

/// upstream: validateContainerResourceDivisor.
fn validate_divisor(resource: &str, divisor: Option<&Quantity>, path: &Path) -> ErrorList {
    let Some(d) = divisor.and_then(|d| ParsedQuantity::parse(&d.0).ok()).filter(|d| !d.is_zero()) else {
        return ErrorList::new();
    };
    let d = d.canonical();
    const MEMORY_LIKE: [&str; 13] = ["1", "1k", "1M", "1G", "1T", "1P", "1E", "1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei"];
    let msg = match resource {
        "limits.cpu" | "requests.cpu" if !["1m", "1"].contains(&d.as_str()) => "only divisor's values 1m and 1 are supported with the cpu resource",
        "limits.memory" | "requests.memory" if !MEMORY_LIKE.contains(&d.as_str()) => {
            "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the memory resource"
        }
        "limits.ephemeral-storage" | "requests.ephemeral-storage" if !MEMORY_LIKE.contains(&d.as_str()) => {
            "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the local ephemeral storage resource"
        }
        _ => return ErrorList::new(),
    };
    vec![FieldError::invalid(path.child("divisor"), resource, msg)]
}

pub(super) fn validate_env_from(env_from: &[EnvFromSource], path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    for (i, ef) in env_from.iter().enumerate() {
        let p = path.index(i);
        if let Some(prefix) = ef.prefix.as_deref().filter(|s| !s.is_empty()) {
            errs.extend(
                env_var_name_errors(prefix).into_iter().map(|m| FieldError::invalid(p.child("prefix"), prefix, m)),
            );
        }
        let mut sources = 0;
        let mut check_name = |name: &str, sp: Path, errs: &mut ErrorList| {
            sources += 1;
            if name.is_empty() {
                errs.push(FieldError::required(sp.child("name"), ""));
            } else {
                // validated as a prefix (upstream passes prefix=true)
                errs.extend(
                    NameRule::Subdomain
                        .check(name, true)
                        .into_iter()
                        .map(|m| FieldError::invalid(sp.child("name"), name, m)),
                );
            }
        };
        if let Some(c) = &ef.config_map_ref {
            check_name(&c.name, p.child("configMapRef"), &mut errs);
        }
        if let Some(s) = &ef.secret_ref {
            check_name(&s.name, p.child("secretRef"), &mut errs);
        }
        if sources == 0 {
            errs.push(FieldError::invalid(path.clone(), "", "must specify one of: `configMapRef` or `secretRef`"));
        } else if sources > 1 {
            errs.push(FieldError::invalid(path.clone(), "", "may not have more than one field specified at a time"));
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use crate::api::validation::test_support::*;
    use serde_json::json;

    #[test]
    fn env_var_rules() {
        let v = set(
            redis(),
            "/spec/containers/0/env",
            json!([{"name": ""}, {"name": "A=B"}, {"name": "X", "value": "1", "valueFrom": {"fieldRef": {"fieldPath": "status.phase"}}}]),
        );
        assert_eq!(
            pod_errors(v),
            vec![
                "spec.containers[0].env[0].name: Required value",
                "spec.containers[0].env[1].name: Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='",
                "spec.containers[0].env[2].valueFrom.fieldRef.fieldPath: Unsupported value: \"status.phase\": supported values: \"metadata.name\", \"metadata.namespace\", \"metadata.uid\", \"spec.nodeName\", \"spec.serviceAccountName\", \"status.hostIP\", \"status.hostIPs\", \"status.podIP\", \"status.podIPs\"",
                "spec.containers[0].env[2].valueFrom: Invalid value: \"\": may not be specified when `value` is not empty",
            ]
        );
    }
}
