//! core/v1 objects a manifest carries beside its workloads: ConfigMap, Secret, Service and
//! ServiceAccount (`pkg/apis/core/validation`: ValidateConfigMap, ValidateSecret,
//! ValidateService, ValidateServiceAccount), the rules a user's manifest meets most often.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service, ServiceAccount};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::env::config_map_key_errors;
use super::meta::{validate_labels, validate_object_meta, NameRule};
use crate::api::field::{ErrorList, FieldError, Path};
use crate::labels::validation::is_dns1123_label;

fn validate_keys<'a>(keys: impl Iterator<Item = &'a String>, path: &Path, errs: &mut ErrorList) {
    for key in keys {
        for m in config_map_key_errors(key) {
            errs.push(FieldError::invalid(path.key(key), key.as_str(), m));
        }
    }
}

/// upstream: ValidateConfigMap — keys of `data` and `binaryData`, each key in one of them only.
pub fn validate_config_map(cm: &ConfigMap) -> ErrorList {
    let mut errs = validate_object_meta(&cm.metadata, true, NameRule::Subdomain, &Path::root("metadata"));
    validate_keys(cm.data.iter().flat_map(|d| d.keys()), &Path::root("data"), &mut errs);
    validate_keys(cm.binary_data.iter().flat_map(|d| d.keys()), &Path::root("binaryData"), &mut errs);
    if let (Some(data), Some(binary)) = (&cm.data, &cm.binary_data) {
        for key in data.keys().filter(|k| binary.contains_key(*k)) {
            errs.push(FieldError::invalid(
                Path::root("data").key(key),
                key.as_str(),
                "duplicate of key present in binaryData",
            ));
        }
    }
    errs
}

/// upstream: ValidateSecret — data keys (after `stringData` was merged in).
pub fn validate_secret(s: &Secret) -> ErrorList {
    let mut errs = validate_object_meta(&s.metadata, true, NameRule::Subdomain, &Path::root("metadata"));
    validate_keys(s.data.iter().flat_map(|d| d.keys()), &Path::root("data"), &mut errs);
    errs
}

/// upstream: ValidateServiceAccount — the object's metadata.
pub fn validate_service_account(sa: &ServiceAccount) -> ErrorList {
    validate_object_meta(&sa.metadata, true, NameRule::Subdomain, &Path::root("metadata"))
}

const PORT_RANGE: &str = "must be between 1 and 65535, inclusive";

/// upstream: ValidateService (the parts a manifest exercises: type, ports, selector, session
/// affinity, external name, node ports).
pub fn validate_service(svc: &Service) -> ErrorList {
    let mut errs = validate_object_meta(&svc.metadata, true, NameRule::Dns1035Label, &Path::root("metadata"));
    let spec_path = Path::root("spec");
    let Some(spec) = &svc.spec else {
        errs.push(FieldError::required(spec_path, ""));
        return errs;
    };
    let kind = spec.type_.as_deref().unwrap_or("ClusterIP");
    let headless = spec.cluster_ip.as_deref() == Some("None");
    let ports = spec.ports.as_deref().unwrap_or_default();
    match kind {
        "ClusterIP" | "NodePort" | "LoadBalancer" => {
            if ports.is_empty() && !headless {
                errs.push(FieldError::required(spec_path.child("ports"), ""));
            }
        }
        "ExternalName" => {
            if spec.external_name.as_deref().is_none_or(str::is_empty) {
                errs.push(FieldError::required(spec_path.child("externalName"), ""));
            }
        }
        other => errs.push(FieldError::not_supported(
            spec_path.child("type"),
            other,
            &["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"],
        )),
    }
    if headless && (kind == "NodePort" || kind == "LoadBalancer") {
        errs.push(FieldError::invalid(
            spec_path.child("clusterIPs").index(0),
            "None",
            format!("may not be set to 'None' for {kind} services"),
        ));
    }
    let mut names = BTreeSet::new();
    for (i, port) in ports.iter().enumerate() {
        let p = spec_path.child("ports").index(i);
        let name = port.name.as_deref().unwrap_or("");
        if ports.len() > 1 && name.is_empty() {
            errs.push(FieldError::required(p.child("name"), ""));
        } else if !name.is_empty() {
            for m in is_dns1123_label(name) {
                errs.push(FieldError::invalid(p.child("name"), name, m));
            }
            if !names.insert(name) {
                errs.push(FieldError::duplicate(p.child("name"), name));
            }
        }
        if !(1..=65535).contains(&port.port) {
            errs.push(FieldError::invalid(p.child("port"), port.port, PORT_RANGE));
        }
        let protocol = port.protocol.as_deref().unwrap_or("TCP");
        if !matches!(protocol, "TCP" | "UDP" | "SCTP") {
            errs.push(FieldError::not_supported(p.child("protocol"), protocol, &["SCTP", "TCP", "UDP"]));
        }
        match &port.target_port {
            Some(IntOrString::Int(n)) if !(1..=65535).contains(n) => {
                errs.push(FieldError::invalid(p.child("targetPort"), *n, PORT_RANGE))
            }
            _ => {}
        }
        if let Some(node_port) = port.node_port {
            if kind == "ClusterIP" && node_port != 0 {
                errs.push(FieldError::forbidden(p.child("nodePort"), "may not be used when `type` is 'ClusterIP'"));
            } else if !(30000..=32767).contains(&node_port) {
                errs.push(FieldError::invalid(
                    p.child("nodePort"),
                    node_port,
                    "provided port is not in the valid range. The range of valid ports is 30000-32767",
                ));
            }
        }
    }
    if let Some(selector) = &spec.selector {
        errs.extend(validate_labels(Some(selector), &spec_path.child("selector")));
    }
    if let Some(affinity) = spec.session_affinity.as_deref() {
        if !matches!(affinity, "ClientIP" | "None") {
            errs.push(FieldError::not_supported(spec_path.child("sessionAffinity"), affinity, &["ClientIP", "None"]));
        }
    }
    if let Some(ip) = spec.cluster_ip.as_deref() {
        if !ip.is_empty() && ip != "None" && ip.parse::<std::net::IpAddr>().is_err() {
            errs.push(FieldError::invalid(
                spec_path.child("clusterIPs").index(0),
                ip,
                "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
            ));
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn service_errors(v: serde_json::Value) -> Vec<String> {
        let mut svc: Service = serde_json::from_value(v).expect("decodes");
        crate::api::defaults::default_service(&mut svc);
        validate_service(&svc).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_service_needs_ports_and_valid_ones() {
        let meta = json!({"name": "web", "namespace": "default"});
        assert_eq!(service_errors(json!({"metadata": meta, "spec": {}})), vec!["spec.ports: Required value"]);
        assert_eq!(
            service_errors(json!({"metadata": meta, "spec": {"ports": [{"port": 80}, {"port": 70000, "name": "b"}]}})),
            vec![
                "spec.ports[0].name: Required value",
                "spec.ports[1].port: Invalid value: 70000: must be between 1 and 65535, inclusive",
                "spec.ports[1].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
            ]
        );
        assert!(service_errors(
            json!({"metadata": {"name": "1web", "namespace": "d"}, "spec": {"ports": [{"port": 80}]}})
        )[0]
        .starts_with("metadata.name: Invalid value: \"1web\": a DNS-1035 label must consist of"));
        assert_eq!(service_errors(json!({"metadata": meta, "spec": {"clusterIP": "None"}})), Vec::<String>::new());
    }

    #[test]
    fn config_keys_follow_the_config_key_rule() {
        let cm: ConfigMap = serde_json::from_value(json!({"metadata": {"name": "c", "namespace": "d"},
            "data": {"ok.key": "1", "x y": "2"}}))
        .expect("decodes");
        let errs: Vec<String> = validate_config_map(&cm).iter().map(ToString::to_string).collect();
        assert_eq!(errs.len(), 1);
        assert!(errs[0].starts_with("data[x y]: Invalid value: \"x y\": a valid config key must consist"), "{errs:?}");
    }
}
