//! Probes and lifecycle hooks: exactly one handler, HTTP GET checks, probe thresholds.

use k8s_openapi::api::core::v1::{Container, HTTPGetAction, LifecycleHandler, Probe};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::container::validate_port_num_or_name;
use super::go_fmt::regex_error;
use super::{nonnegative, unset};
use crate::api::field::{ErrorList, FieldError, Path};

fn validate_http_get(h: &HTTPGetAction, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    if unset(&h.path) {
        errs.push(FieldError::required(path.child("path"), ""));
    }
    errs.extend(validate_port_num_or_name(&h.port, &path.child("port")));
    let scheme = h.scheme.as_deref().unwrap_or("");
    if !matches!(scheme, "HTTP" | "HTTPS") {
        errs.push(FieldError::not_supported(path.child("scheme"), scheme, &["HTTP", "HTTPS"]));
    }
    for header in h.http_headers.iter().flatten() {
        let ok = !header.name.is_empty() && header.name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-');
        if !ok {
            let msg = regex_error(
                "a valid HTTP header must consist of alphanumeric characters or '-'",
                "[-A-Za-z0-9]+",
                &["X-Header-Name"],
            );
            errs.push(FieldError::invalid(path.child("httpHeaders"), header.name.as_str(), msg));
        }
    }
    errs
}

/// The handler parts of a probe or lifecycle hook, in upstream's checking order.
struct Handler<'a> {
    exec: Option<&'a Option<Vec<String>>>,
    http_get: Option<&'a HTTPGetAction>,
    tcp_port: Option<&'a IntOrString>,
    grpc_port: Option<i32>,
    sleep_seconds: Option<i64>,
}

/// upstream: validateHandler — exactly one handler type.
fn validate_handler(h: Handler<'_>, grace: Option<i64>, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    let mut n = 0;
    let mut one = |name: &str, errs: &mut ErrorList| -> bool {
        if n > 0 {
            errs.push(FieldError::forbidden(path.child(name), "may not specify more than 1 handler type"));
            false
        } else {
            n += 1;
            true
        }
    };
    if let Some(cmd) = h.exec {
        if one("exec", &mut errs) && cmd.as_ref().is_none_or(Vec::is_empty) {
            errs.push(FieldError::required(path.child("exec").child("command"), ""));
        }
    }
    if let Some(g) = h.http_get {
        if one("httpGet", &mut errs) {
            errs.extend(validate_http_get(g, &path.child("httpGet")));
        }
    }
    if let Some(port) = h.tcp_port {
        if one("tcpSocket", &mut errs) {
            errs.extend(validate_port_num_or_name(port, &path.child("tcpSocket").child("port")));
        }
    }
    if let Some(port) = h.grpc_port {
        if one("grpc", &mut errs) {
            errs.extend(validate_port_num_or_name(&IntOrString::Int(port), &path.child("grpc").child("port")));
        }
    }
    if let Some(secs) = h.sleep_seconds {
        if one("sleep", &mut errs) {
            // PodLifecycleSleepActionAllowZero is on in v1.33 (unconfirmed): 0 is allowed.
            if let Some(g) = grace.filter(|&g| secs < 0 || secs > g) {
                errs.push(FieldError::invalid(
                    path.child("sleep"),
                    secs,
                    format!("must be non-negative and less than terminationGracePeriodSeconds ({g})"),
                ));
            }
        }
    }
    if n == 0 {
        errs.push(FieldError::required(path.clone(), "must specify a handler type"));
    }
    errs
}

fn lifecycle_handler(h: &LifecycleHandler) -> Handler<'_> {
    Handler {
        exec: h.exec.as_ref().map(|e| &e.command),
        http_get: h.http_get.as_ref(),
        tcp_port: h.tcp_socket.as_ref().map(|t| &t.port),
        grpc_port: None,
        sleep_seconds: h.sleep.as_ref().map(|s| s.seconds),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ProbeKind {
    Liveness,
    Readiness,
    Startup,
}

/// upstream: validateProbe plus the liveness/readiness/startup specifics.
fn validate_probe(p: &Probe, kind: ProbeKind, grace: Option<i64>, path: &Path) -> ErrorList {
    let handler = Handler {
        exec: p.exec.as_ref().map(|e| &e.command),
        http_get: p.http_get.as_ref(),
        tcp_port: p.tcp_socket.as_ref().map(|t| &t.port),
        grpc_port: p.grpc.as_ref().map(|g| g.port),
        sleep_seconds: None,
    };
    let mut errs = validate_handler(handler, grace, path);
    for (field, v) in [
        ("initialDelaySeconds", p.initial_delay_seconds),
        ("timeoutSeconds", p.timeout_seconds),
        ("periodSeconds", p.period_seconds),
        ("successThreshold", p.success_threshold),
        ("failureThreshold", p.failure_threshold),
    ] {
        errs.extend(nonnegative(v.unwrap_or(0) as i64, path.child(field)));
    }
    if let Some(t) = p.termination_grace_period_seconds.filter(|&t| t <= 0) {
        errs.push(FieldError::invalid(path.child("terminationGracePeriodSeconds"), t, "must be greater than 0"));
    }
    match kind {
        ProbeKind::Liveness | ProbeKind::Startup => {
            let s = p.success_threshold.unwrap_or(0);
            if s != 1 {
                errs.push(FieldError::invalid(path.child("successThreshold"), s, "must be 1"));
            }
        }
        ProbeKind::Readiness => {
            if let Some(t) = p.termination_grace_period_seconds {
                errs.push(FieldError::invalid(
                    path.child("terminationGracePeriodSeconds"),
                    t,
                    "must not be set for readinessProbes",
                ));
            }
        }
    }
    errs
}

/// Probes and lifecycle hooks of a regular container or a sidecar.
pub(super) fn validate_probes_and_lifecycle(c: &Container, grace: Option<i64>, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    if let Some(l) = &c.lifecycle {
        let lp = path.child("lifecycle");
        if let Some(h) = &l.post_start {
            errs.extend(validate_handler(lifecycle_handler(h), grace, &lp.child("postStart")));
        }
        if let Some(h) = &l.pre_stop {
            errs.extend(validate_handler(lifecycle_handler(h), grace, &lp.child("preStop")));
        }
    }
    for (probe, kind, field) in [
        (&c.liveness_probe, ProbeKind::Liveness, "livenessProbe"),
        (&c.readiness_probe, ProbeKind::Readiness, "readinessProbe"),
        (&c.startup_probe, ProbeKind::Startup, "startupProbe"),
    ] {
        if let Some(p) = probe {
            errs.extend(validate_probe(p, kind, grace, &path.child(field)));
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use crate::api::validation::test_support::*;
    use serde_json::json;

    #[test]
    fn probe_fields_are_non_negative_and_liveness_success_is_one() {
        let v = set(
            redis(),
            "/spec/containers/0/livenessProbe",
            json!({"tcpSocket": {"port": 6379}, "periodSeconds": -1, "successThreshold": 2}),
        );
        assert_eq!(
            pod_errors(v),
            vec![
                "spec.containers[0].livenessProbe.periodSeconds: Invalid value: -1: must be greater than or equal to 0",
                "spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1",
            ]
        );
    }

    #[test]
    fn probe_needs_exactly_one_handler() {
        let v = set(redis(), "/spec/containers/0/readinessProbe", json!({"periodSeconds": 5}));
        assert_eq!(
            pod_errors(v),
            vec!["spec.containers[0].readinessProbe: Required value: must specify a handler type"]
        );
        let v = set(
            redis(),
            "/spec/containers/0/readinessProbe",
            json!({"exec": {"command": ["true"]}, "tcpSocket": {"port": 1}}),
        );
        assert_eq!(
            pod_errors(v),
            vec!["spec.containers[0].readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type"]
        );
        let v = set(redis(), "/spec/containers/0/readinessProbe", json!({"httpGet": {"port": "http-metrics-port"}}));
        assert_eq!(pod_errors(v), vec!["spec.containers[0].readinessProbe.httpGet.port: Invalid value: \"http-metrics-port\": must be no more than 15 characters"]);
    }

    #[test]
    fn readiness_probe_may_not_set_a_grace_period() {
        let v = set(
            redis(),
            "/spec/containers/0/readinessProbe",
            json!({"exec": {"command": ["true"]}, "terminationGracePeriodSeconds": 5}),
        );
        assert_eq!(pod_errors(v), vec!["spec.containers[0].readinessProbe.terminationGracePeriodSeconds: Invalid value: 5: must not be set for readinessProbes"]);
    }
}
