//! Containers and init containers: names, images, ports, pull and termination-message policies.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::{Container, ContainerPort, PodSpec};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::env::{validate_env, validate_env_from};
use super::probe::validate_probes_and_lifecycle;
use super::resources::validate_resources;
use super::unset;
use crate::api::field::{ErrorList, FieldError, Path};
use crate::labels::validation::is_dns1123_label;

fn port_num_errors(port: i64) -> Vec<String> {
    if (1..=65535).contains(&port) {
        vec![]
    } else {
        vec!["must be between 1 and 65535, inclusive".to_string()]
    }
}

/// upstream: validation.IsValidPortName.
fn port_name_errors(name: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if name.len() > 15 {
        errs.push("must be no more than 15 characters".to_string());
    }
    if name.is_empty() || !name.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-') {
        errs.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)".to_string());
    }
    if !name.bytes().any(|c| c.is_ascii_lowercase()) {
        errs.push("must contain at least one letter (a-z)".to_string());
    }
    if name.contains("--") {
        errs.push("must not contain consecutive hyphens".to_string());
    }
    if name.starts_with('-') || name.ends_with('-') {
        errs.push("must not begin or end with a hyphen".to_string());
    }
    errs
}

/// upstream: ValidatePortNumOrName.
pub(super) fn validate_port_num_or_name(port: &IntOrString, path: &Path) -> ErrorList {
    match port {
        IntOrString::Int(p) => {
            port_num_errors(*p as i64).into_iter().map(|m| FieldError::invalid(path.clone(), *p, m)).collect()
        }
        IntOrString::String(s) => {
            port_name_errors(s).into_iter().map(|m| FieldError::invalid(path.clone(), s.as_str(), m)).collect()
        }
    }
}

fn validate_container_ports(ports: &[ContainerPort], path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    let mut names = BTreeSet::new();
    for (i, port) in ports.iter().enumerate() {
        let p = path.index(i);
        if let Some(name) = port.name.as_deref().filter(|n| !n.is_empty()) {
            let msgs = port_name_errors(name);
            if !msgs.is_empty() {
                errs.extend(msgs.into_iter().map(|m| FieldError::invalid(p.child("name"), name, m)));
            } else if !names.insert(name) {
                errs.push(FieldError::duplicate(p.child("name"), name));
            }
        }
        if port.container_port == 0 {
            errs.push(FieldError::required(p.child("containerPort"), ""));
        } else {
            for m in port_num_errors(port.container_port as i64) {
                errs.push(FieldError::invalid(p.child("containerPort"), port.container_port, m));
            }
        }
        if let Some(hp) = port.host_port.filter(|&h| h != 0) {
            for m in port_num_errors(hp as i64) {
                errs.push(FieldError::invalid(p.child("hostPort"), hp, m));
            }
        }
        match port.protocol.as_deref() {
            None | Some("") => errs.push(FieldError::required(p.child("protocol"), "")),
            Some("TCP" | "UDP" | "SCTP") => {}
            Some(other) => errs.push(FieldError::not_supported(p.child("protocol"), other, &["SCTP", "TCP", "UDP"])),
        }
    }
    errs
}

/// upstream: AccumulateUniqueHostPorts — `protocol/hostIP/hostPort` must be unique.
fn host_port_conflicts(containers: &[&Container], path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    let mut seen = BTreeSet::new();
    for (ci, c) in containers.iter().enumerate() {
        for (pi, port) in c.ports.iter().flatten().enumerate() {
            let Some(hp) = port.host_port.filter(|&h| h != 0) else {
                continue;
            };
            let key =
                format!("{}/{}/{hp}", port.protocol.as_deref().unwrap_or(""), port.host_ip.as_deref().unwrap_or(""));
            if seen.contains(&key) {
                errs.push(FieldError::duplicate(path.index(ci).child("ports").index(pi).child("hostPort"), key));
            } else {
                seen.insert(key);
            }
        }
    }
    errs
}

/// upstream: validateContainerCommon (volume mounts, resize policy and security context are not
/// checked by kubesim).
fn validate_container_common(c: &Container, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    if c.name.is_empty() {
        errs.push(FieldError::required(path.child("name"), ""));
    } else {
        errs.extend(
            is_dns1123_label(&c.name).into_iter().map(|m| FieldError::invalid(path.child("name"), c.name.as_str(), m)),
        );
    }
    if unset(&c.image) {
        errs.push(FieldError::required(path.child("image"), ""));
    }
    match c.termination_message_policy.as_deref() {
        None | Some("") => errs.push(FieldError::required(path.child("terminationMessagePolicy"), "")),
        Some("File" | "FallbackToLogsOnError") => {}
        Some(other) => errs.push(FieldError::not_supported(
            path.child("terminationMessagePolicy"),
            other,
            &["File", "FallbackToLogsOnError"],
        )),
    }
    errs.extend(validate_container_ports(c.ports.as_deref().unwrap_or(&[]), &path.child("ports")));
    errs.extend(validate_env(c.env.as_deref().unwrap_or(&[]), &path.child("env")));
    errs.extend(validate_env_from(c.env_from.as_deref().unwrap_or(&[]), &path.child("envFrom")));
    match c.image_pull_policy.as_deref() {
        None | Some("") => errs.push(FieldError::required(path.child("imagePullPolicy"), "")),
        Some("Always" | "IfNotPresent" | "Never") => {}
        Some(other) => errs.push(FieldError::not_supported(
            path.child("imagePullPolicy"),
            other,
            &["Always", "IfNotPresent", "Never"],
        )),
    }
    errs.extend(validate_resources(c.resources.as_ref(), &path.child("resources")));
    errs
}

pub(super) fn validate_containers(spec: &PodSpec, grace: Option<i64>, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    let cpath = path.child("containers");
    if spec.containers.is_empty() {
        errs.push(FieldError::required(cpath, ""));
        return errs;
    }
    let mut names = BTreeSet::new();
    for (i, c) in spec.containers.iter().enumerate() {
        let p = cpath.index(i);
        errs.extend(validate_container_common(c, &p));
        if !names.insert(c.name.as_str()) {
            errs.push(FieldError::duplicate(p.child("name"), c.name.as_str()));
        }
        errs.extend(validate_probes_and_lifecycle(c, grace, &p));
        if c.restart_policy.is_some() {
            errs.push(FieldError::forbidden(p.child("restartPolicy"), "may not be set for non-init containers"));
        }
    }
    let all: Vec<&Container> = spec.containers.iter().collect();
    errs.extend(host_port_conflicts(&all, &cpath));
    errs
}

pub(super) fn validate_init_containers(spec: &PodSpec, grace: Option<i64>, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    let ipath = path.child("initContainers");
    let mut names: BTreeSet<&str> = spec.containers.iter().map(|c| c.name.as_str()).collect();
    for (i, c) in spec.init_containers.iter().flatten().enumerate() {
        let p = ipath.index(i);
        errs.extend(validate_container_common(c, &p));
        let mut restart_always = false;
        if let Some(rp) = c.restart_policy.as_deref() {
            if rp == "Always" {
                restart_always = true;
            } else {
                errs.push(FieldError::not_supported(p.child("restartPolicy"), rp, &["Always"]));
            }
        }
        if names.contains(c.name.as_str()) {
            errs.push(FieldError::duplicate(p.child("name"), c.name.as_str()));
        } else if !c.name.is_empty() {
            names.insert(c.name.as_str());
        }
        // upstream checks each init container on its own, so the path always says [0].
        errs.extend(host_port_conflicts(&[c], &ipath));
        if restart_always {
            errs.extend(validate_probes_and_lifecycle(c, grace, &p));
        } else {
            for (present, field) in [
                (c.lifecycle.is_some(), "lifecycle"),
                (c.liveness_probe.is_some(), "livenessProbe"),
                (c.readiness_probe.is_some(), "readinessProbe"),
                (c.startup_probe.is_some(), "startupProbe"),
            ] {
                if present {
                    errs.push(FieldError::forbidden(
                        p.child(field),
                        "may not be set for init containers without restartPolicy=Always",
                    ));
                }
            }
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use crate::api::validation::test_support::*;
    use serde_json::{json, Value as Json};

    #[test]
    fn container_name_is_required() {
        assert_eq!(
            pod_errors(set(redis(), "/spec/containers/0/name", json!(""))),
            vec!["spec.containers[0].name: Required value"]
        );
    }

    #[test]
    fn container_name_is_a_dns_label() {
        assert_eq!(
            pod_errors(set(redis(), "/spec/containers/0/name", json!("Master"))),
            vec!["spec.containers[0].name: Invalid value: \"Master\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"]
        );
    }

    #[test]
    fn container_names_are_unique_across_containers_and_init_containers() {
        let v = set(redis(), "/spec/containers/1", json!({"name": "master", "image": "redis"}));
        assert_eq!(pod_errors(v), vec!["spec.containers[1].name: Duplicate value: \"master\""]);
        let v = set(redis(), "/spec/initContainers", json!([{"name": "master", "image": "busybox"}]));
        assert_eq!(pod_errors(v), vec!["spec.initContainers[0].name: Duplicate value: \"master\""]);
    }

    #[test]
    fn image_is_required() {
        assert_eq!(
            pod_errors(set(redis(), "/spec/containers/0/image", Json::Null)),
            vec!["spec.containers[0].image: Required value"]
        );
    }

    #[test]
    fn container_port_must_be_in_range() {
        let errs = pod_errors(set(redis(), "/spec/containers/0/ports/0/containerPort", json!(70000)));
        assert_eq!(errs, vec!["spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive"]);
        let errs = pod_errors(set(redis(), "/spec/containers/0/ports/0/containerPort", json!(0)));
        assert_eq!(errs, vec!["spec.containers[0].ports[0].containerPort: Required value"]);
    }

    #[test]
    fn port_protocol_must_be_supported() {
        let errs = pod_errors(set(redis(), "/spec/containers/0/ports/0/protocol", json!("HTTP")));
        assert_eq!(errs, vec!["spec.containers[0].ports[0].protocol: Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\""]);
    }

    #[test]
    fn port_names_are_iana_service_names_and_unique() {
        let v = set(
            redis(),
            "/spec/containers/0/ports",
            json!([{"containerPort": 1, "name": "redis"}, {"containerPort": 2, "name": "redis"}, {"containerPort": 3, "name": "Redis--"}]),
        );
        assert_eq!(
            pod_errors(v),
            vec![
                "spec.containers[0].ports[1].name: Duplicate value: \"redis\"",
                "spec.containers[0].ports[2].name: Invalid value: \"Redis--\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
                "spec.containers[0].ports[2].name: Invalid value: \"Redis--\": must not contain consecutive hyphens",
                "spec.containers[0].ports[2].name: Invalid value: \"Redis--\": must not begin or end with a hyphen",
            ]
        );
    }

    #[test]
    fn host_ports_must_not_collide() {
        let v = set(
            redis(),
            "/spec/containers/1",
            json!({"name": "b", "image": "b", "ports": [{"containerPort": 1, "hostPort": 8080}]}),
        );
        let v = set(v, "/spec/containers/0/ports/0/hostPort", json!(8080));
        assert_eq!(pod_errors(v), vec!["spec.containers[1].ports[0].hostPort: Duplicate value: \"TCP//8080\""]);
    }

    #[test]
    fn image_pull_policy_must_be_supported() {
        let errs = pod_errors(set(redis(), "/spec/containers/0/imagePullPolicy", json!("Sometimes")));
        assert_eq!(errs, vec!["spec.containers[0].imagePullPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"IfNotPresent\", \"Never\""]);
    }

    #[test]
    fn init_containers_need_restart_always_for_probes() {
        let v = set(
            redis(),
            "/spec/initContainers",
            json!([{"name": "init", "image": "busybox", "readinessProbe": {"exec": {"command": ["true"]}}}]),
        );
        assert_eq!(pod_errors(v), vec!["spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always"]);
        let v = set(
            redis(),
            "/spec/initContainers",
            json!([{"name": "init", "image": "busybox", "restartPolicy": "OnFailure"}]),
        );
        assert_eq!(
            pod_errors(v),
            vec![
                "spec.initContainers[0].restartPolicy: Unsupported value: \"OnFailure\": supported values: \"Always\""
            ]
        );
        let v = set(redis(), "/spec/containers/0/restartPolicy", json!("Always"));
        assert_eq!(
            pod_errors(v),
            vec!["spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers"]
        );
    }
}
