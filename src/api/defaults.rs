//! The API server's defaulting: what a freshly created object looks like when it is read back.
//!
//! Three upstream sources are folded together, in the order the API server applies them:
//! the generated `SetDefaults_*` functions of `pkg/apis/{core,apps,autoscaling}/v1*/defaults.go`
//! (plus the declarative `+default` markers of the wire types), the v1 conversion quirks that
//! change what is read back (`serviceAccount` mirrors `serviceAccountName`, quantities come back
//! canonical), and the mutating admission plugins of a default cluster whose result is
//! deterministic (ServiceAccount, Priority, DefaultTolerationSeconds). Status is never touched.
//!
//! Every function is idempotent: defaulting a defaulted object changes nothing.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentStrategy, ReplicaSet, RollingUpdateDeployment};
use k8s_openapi::api::autoscaling::v2::{
    HPAScalingPolicy, HPAScalingRules, HorizontalPodAutoscaler, HorizontalPodAutoscalerBehavior, MetricSpec,
    MetricTarget, ResourceMetricSource,
};
use k8s_openapi::api::core::v1::{
    Container, EnvVar, EphemeralContainer, HTTPGetAction, Lifecycle, LifecycleHandler, Namespace, Node, Pod,
    PodSecurityContext, PodSpec, Probe, ResourceRequirements, Toleration, Volume,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::validation::ParsedQuantity;

/// `v1.DefaultTerminationGracePeriodSeconds`.
pub const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS: i64 = 30;
/// `autoscaling.DefaultCPUUtilization`.
pub const DEFAULT_CPU_UTILIZATION: i32 = 80;
/// DefaultTolerationSeconds admission: `--default-not-ready-toleration-seconds` and
/// `--default-unreachable-toleration-seconds`.
pub const DEFAULT_TOLERATION_SECONDS: i64 = 300;
pub const TAINT_NODE_NOT_READY: &str = "node.kubernetes.io/not-ready";
pub const TAINT_NODE_UNREACHABLE: &str = "node.kubernetes.io/unreachable";

/// Go cannot tell an unset string from an empty one, so neither can the API server.
fn is_unset(s: &Option<String>) -> bool {
    s.as_deref().is_none_or(str::is_empty)
}

fn default_str(field: &mut Option<String>, value: &str) {
    if is_unset(field) {
        *field = Some(value.to_string());
    }
}

/// Go's zero value means "unset" for the probe's integer fields.
fn default_i32(field: &mut Option<i32>, value: i32) {
    if field.is_none_or(|v| v == 0) {
        *field = Some(value);
    }
}

/// The `imagePullPolicy` the API server picks when none is given.
///
/// upstream: SetDefaults_Container — `parsers.ParseImageName` yields the tag, which is `latest`
/// when neither a tag nor a digest is given; tag `latest` means Always, anything else (another
/// tag, a digest alone, or a reference that does not parse) means IfNotPresent.
pub fn default_image_pull_policy(image: &str) -> &'static str {
    if image_tag(image).as_deref() == Some("latest") {
        "Always"
    } else {
        "IfNotPresent"
    }
}

/// The tag `parsers.ParseImageName` reports: `Some("latest")` for an untagged, undigested
/// reference, `None` for a digest-only reference or one that docker's grammar rejects.
fn image_tag(image: &str) -> Option<String> {
    if image.len() > 255 + 72 + 129 {
        return None;
    }
    let (name_and_tag, digest) = match image.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (image, None),
    };
    if let Some(d) = digest {
        if !is_valid_digest(d) {
            return None;
        }
    }
    // The tag is after the last ':' that follows the last '/' (a registry port is not a tag).
    let last_slash = name_and_tag.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match name_and_tag[last_slash..].rfind(':') {
        Some(i) => (&name_and_tag[..last_slash + i], Some(&name_and_tag[last_slash + i + 1..])),
        None => (name_and_tag, None),
    };
    if !is_valid_repository(name) {
        return None;
    }
    match tag {
        Some(t) if is_valid_tag(t) => Some(t.to_string()),
        Some(_) => None,
        None if digest.is_none() => Some("latest".to_string()),
        None => None,
    }
}

/// docker reference `tag`: `[\w][\w.-]{0,127}`.
fn is_valid_tag(t: &str) -> bool {
    let b = t.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    !b.is_empty() && b.len() <= 128 && word(b[0]) && b.iter().all(|&c| word(c) || c == b'.' || c == b'-')
}

/// docker reference `digest`: `algorithm:hex`; sha256 needs exactly 64 lower-case hex digits.
fn is_valid_digest(d: &str) -> bool {
    let Some((alg, hex)) = d.split_once(':') else {
        return false;
    };
    let alg_ok = !alg.is_empty()
        && alg.as_bytes()[0].is_ascii_alphabetic()
        && alg.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'+' | b'.'));
    let hex_ok = hex.len() >= 32 && hex.bytes().all(|c| c.is_ascii_hexdigit());
    let sha_ok = alg != "sha256" || (hex.len() == 64 && hex.bytes().all(|c| !c.is_ascii_uppercase()));
    alg_ok && hex_ok && sha_ok
}

/// docker reference `name`: optional domain (`host[:port]`), then lower-case path components.
fn is_valid_repository(name: &str) -> bool {
    if name.is_empty() || name.len() > 255 {
        return false;
    }
    let mut parts: Vec<&str> = name.split('/').collect();
    if parts.len() > 1 {
        let first = parts[0];
        if first.contains('.')
            || first.contains(':')
            || first == "localhost"
            || first.bytes().any(|c| c.is_ascii_uppercase())
        {
            if !is_valid_domain(first) {
                return false;
            }
            parts.remove(0);
        }
    }
    // A bare 64-hex-digit name is rejected as ambiguous with an image id.
    if parts.len() == 1 && parts[0].len() == 64 && parts[0].bytes().all(|c| c.is_ascii_hexdigit()) {
        return false;
    }
    parts.iter().all(|p| is_valid_path_component(p))
}

/// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
fn is_valid_path_component(p: &str) -> bool {
    let b = p.as_bytes();
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &p[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|c| c == b'-');
        if !ok {
            return false;
        }
    }
    true
}

/// `host[:port]` where host is dot-separated `[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?` labels.
fn is_valid_domain(d: &str) -> bool {
    let (host, port) = match d.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (d, None),
    };
    if let Some(p) = port {
        if p.is_empty() || !p.bytes().all(|c| c.is_ascii_digit()) {
            return false;
        }
    }
    !host.is_empty()
        && host.split('.').all(|l| {
            let b = l.as_bytes();
            !b.is_empty()
                && b[0].is_ascii_alphanumeric()
                && b[b.len() - 1].is_ascii_alphanumeric()
                && b.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'-')
        })
}

/// upstream: SetDefaults_ResourceList — values are rounded up to milli precision, and the server
/// returns every quantity in canonical form (`0.5` → `500m`, `1024Mi` → `1Gi`, `1000` → `1k`).
/// A value that does not parse is left for validation to report.
fn default_resource_list(list: &mut BTreeMap<String, Quantity>) {
    for q in list.values_mut() {
        if let Ok(parsed) = ParsedQuantity::parse(&q.0) {
            q.0 = parsed.round_up_to_milli().canonical();
        }
    }
}

fn default_resources(resources: &mut Option<ResourceRequirements>) {
    // `resources` is a struct in Go, so it is always serialized, as `{}` when empty.
    let r = resources.get_or_insert_with(Default::default);
    if let Some(l) = r.limits.as_mut() {
        default_resource_list(l);
    }
    if let Some(l) = r.requests.as_mut() {
        default_resource_list(l);
    }
}

/// upstream: SetDefaults_HTTPGetAction.
fn default_http_get(h: &mut HTTPGetAction) {
    default_str(&mut h.path, "/");
    default_str(&mut h.scheme, "HTTP");
}

/// upstream: SetDefaults_Probe.
fn default_probe(p: &mut Probe) {
    default_i32(&mut p.timeout_seconds, 1);
    default_i32(&mut p.period_seconds, 10);
    default_i32(&mut p.success_threshold, 1);
    default_i32(&mut p.failure_threshold, 3);
    if let Some(h) = p.http_get.as_mut() {
        default_http_get(h);
    }
}

fn default_lifecycle(l: &mut Lifecycle) {
    for h in [l.post_start.as_mut(), l.pre_stop.as_mut()].into_iter().flatten() {
        default_lifecycle_handler(h);
    }
}

fn default_lifecycle_handler(h: &mut LifecycleHandler) {
    if let Some(g) = h.http_get.as_mut() {
        default_http_get(g);
    }
}

fn default_env(env: &mut [EnvVar]) {
    for var in env {
        let Some(from) = var.value_from.as_mut() else {
            continue;
        };
        if let Some(f) = from.field_ref.as_mut() {
            // upstream: SetDefaults_ObjectFieldSelector
            default_str(&mut f.api_version, "v1");
        }
        if let Some(r) = from.resource_field_ref.as_mut() {
            // `divisor` is a Quantity struct in Go, so an unset one is serialized as "0".
            if r.divisor.is_none() {
                r.divisor = Some(Quantity("0".to_string()));
            }
        }
    }
}

/// upstream: SetDefaults_Container plus the declarative `ContainerPort.protocol` default.
fn default_container(c: &mut Container) {
    if is_unset(&c.image_pull_policy) {
        c.image_pull_policy = Some(default_image_pull_policy(c.image.as_deref().unwrap_or("")).to_string());
    }
    default_str(&mut c.termination_message_path, "/dev/termination-log");
    default_str(&mut c.termination_message_policy, "File");
    for port in c.ports.iter_mut().flatten() {
        default_str(&mut port.protocol, "TCP");
    }
    default_resources(&mut c.resources);
    for probe in [c.liveness_probe.as_mut(), c.readiness_probe.as_mut(), c.startup_probe.as_mut()].into_iter().flatten()
    {
        default_probe(probe);
    }
    if let Some(l) = c.lifecycle.as_mut() {
        default_lifecycle(l);
    }
    if let Some(env) = c.env.as_mut() {
        default_env(env);
    }
}

/// upstream: SetDefaults_EphemeralContainer (the same rules as a container).
fn default_ephemeral_container(c: &mut EphemeralContainer) {
    if is_unset(&c.image_pull_policy) {
        c.image_pull_policy = Some(default_image_pull_policy(c.image.as_deref().unwrap_or("")).to_string());
    }
    default_str(&mut c.termination_message_path, "/dev/termination-log");
    default_str(&mut c.termination_message_policy, "File");
    for port in c.ports.iter_mut().flatten() {
        default_str(&mut port.protocol, "TCP");
    }
    default_resources(&mut c.resources);
    if let Some(env) = c.env.as_mut() {
        default_env(env);
    }
}

/// upstream: SetDefaults_Volume and the per-source `defaultMode` defaults (0644).
fn default_volume(v: &mut Volume) {
    const DEFAULT_MODE: i32 = 0o644;
    // A volume with no source becomes an emptyDir. Checked through JSON so that a source added
    // to a future k8s-openapi is not mistaken for "no source".
    let only_name = serde_json::to_value(&*v)
        .ok()
        .and_then(|j| j.as_object().map(|o| o.keys().all(|k| k == "name")))
        .unwrap_or(false);
    if only_name {
        v.empty_dir = Some(Default::default());
    }
    if let Some(s) = v.secret.as_mut() {
        s.default_mode.get_or_insert(DEFAULT_MODE);
    }
    if let Some(s) = v.config_map.as_mut() {
        s.default_mode.get_or_insert(DEFAULT_MODE);
    }
    if let Some(s) = v.downward_api.as_mut() {
        s.default_mode.get_or_insert(DEFAULT_MODE);
    }
    if let Some(s) = v.projected.as_mut() {
        s.default_mode.get_or_insert(DEFAULT_MODE);
        for src in s.sources.iter_mut().flatten() {
            if let Some(t) = src.service_account_token.as_mut() {
                // upstream: SetDefaults_ServiceAccountTokenProjection — one hour
                t.expiration_seconds.get_or_insert(3600);
            }
        }
    }
    if let Some(h) = v.host_path.as_mut() {
        // upstream: SetDefaults_HostPathVolumeSource — HostPathUnset is ""
        h.type_.get_or_insert_with(String::new);
    }
}

/// Defaults of a pod spec, as applied to a Pod and to every pod template (Deployment,
/// ReplicaSet): upstream SetDefaults_PodSpec, container/probe/volume defaults, resource-list
/// canonicalization, and the `serviceAccount` ↔ `serviceAccountName` alias of the v1 conversion.
pub fn default_pod_spec(spec: &mut PodSpec) {
    default_str(&mut spec.dns_policy, "ClusterFirst");
    default_str(&mut spec.restart_policy, "Always");
    if spec.security_context.is_none() {
        spec.security_context = Some(PodSecurityContext::default());
    }
    if spec.termination_grace_period_seconds.is_none() {
        spec.termination_grace_period_seconds = Some(DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS);
    }
    default_str(&mut spec.scheduler_name, "default-scheduler");
    for c in spec.containers.iter_mut().chain(spec.init_containers.iter_mut().flatten()) {
        default_container(c);
    }
    for c in spec.ephemeral_containers.iter_mut().flatten() {
        default_ephemeral_container(c);
    }
    for v in spec.volumes.iter_mut().flatten() {
        default_volume(v);
    }
    if let Some(o) = spec.overhead.as_mut() {
        default_resource_list(o);
    }
    // upstream: Convert_v1_PodSpec_To_core_PodSpec reads `serviceAccount` when
    // `serviceAccountName` is empty; the reverse conversion writes it back as a mirror.
    if is_unset(&spec.service_account_name) && !is_unset(&spec.service_account) {
        spec.service_account_name = spec.service_account.clone();
    }
    sync_deprecated_service_account(spec);
}

fn sync_deprecated_service_account(spec: &mut PodSpec) {
    spec.service_account = if is_unset(&spec.service_account_name) { None } else { spec.service_account_name.clone() };
}

/// upstream: SetDefaults_Pod — requests default to limits for every resource that has a limit
/// and no request (pods only, not templates).
fn default_requests_from_limits(c: &mut Container) {
    let Some(r) = c.resources.as_mut() else {
        return;
    };
    let Some(limits) = r.limits.as_ref() else {
        return;
    };
    let requests = r.requests.get_or_insert_with(BTreeMap::new);
    for (k, v) in limits {
        requests.entry(k.clone()).or_insert_with(|| v.clone());
    }
}

/// The priority of the built-in PriorityClasses (`scheduling.SystemCriticalPriority` + n).
fn builtin_priority(class: &str) -> Option<i32> {
    match class {
        "system-cluster-critical" => Some(2_000_000_000),
        "system-node-critical" => Some(2_000_001_000),
        _ => None,
    }
}

/// upstream: DefaultTolerationSeconds admission — a toleration with an empty key (or the
/// taint's key) and an empty effect (or NoExecute) already covers the taint.
fn tolerates(tolerations: &[Toleration], key: &str) -> bool {
    tolerations.iter().any(|t| {
        (is_unset(&t.key) || t.key.as_deref() == Some(key))
            && (is_unset(&t.effect) || t.effect.as_deref() == Some("NoExecute"))
    })
}

fn no_execute_toleration(key: &str) -> Toleration {
    Toleration {
        key: Some(key.to_string()),
        operator: Some("Exists".to_string()),
        effect: Some("NoExecute".to_string()),
        toleration_seconds: Some(DEFAULT_TOLERATION_SECONDS),
        value: None,
    }
}

/// A Pod as the API server stores it on create: pod-spec defaults, SetDefaults_Pod, and the
/// deterministic admission plugins (ServiceAccount's name, Priority, DefaultTolerationSeconds).
///
/// Not done here: the ServiceAccount plugin's `kube-api-access-<random>` token volume and its
/// mounts (random name), `nodeName` (scheduler), and `status`.
pub fn default_pod(pod: &mut Pod) {
    let spec = pod.spec.get_or_insert_with(Default::default);
    default_pod_spec(spec);

    for c in spec.containers.iter_mut().chain(spec.init_containers.iter_mut().flatten()) {
        default_requests_from_limits(c);
    }
    if spec.enable_service_links.is_none() {
        spec.enable_service_links = Some(true);
    }
    if spec.host_network == Some(true) {
        for c in spec.containers.iter_mut().chain(spec.init_containers.iter_mut().flatten()) {
            for p in c.ports.iter_mut().flatten() {
                if p.host_port.is_none_or(|h| h == 0) {
                    p.host_port = Some(p.container_port);
                }
            }
        }
    }
    // upstream (1.27+, kubernetes#115606): a negative grace period is treated as 1 second.
    if spec.termination_grace_period_seconds.is_some_and(|g| g < 0) {
        spec.termination_grace_period_seconds = Some(1);
    }

    // ServiceAccount admission: the namespace's `default` account.
    default_str(&mut spec.service_account_name, "default");
    sync_deprecated_service_account(spec);

    // Priority admission: no PriorityClass and no global default class → priority 0; the
    // preemption policy comes from the class, PreemptLowerPriority by default.
    if spec.priority.is_none() {
        spec.priority = match spec.priority_class_name.as_deref() {
            None | Some("") => Some(0),
            Some(class) => builtin_priority(class),
        };
    }
    default_str(&mut spec.preemption_policy, "PreemptLowerPriority");

    // DefaultTolerationSeconds admission: not-ready first, then unreachable.
    let tolerations = spec.tolerations.get_or_insert_with(Vec::new);
    for key in [TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE] {
        if !tolerates(tolerations, key) {
            tolerations.push(no_execute_toleration(key));
        }
    }
}

/// upstream: SetDefaults_Deployment (apps/v1) plus pod-template defaults.
///
/// `minReadySeconds` and `paused` stay unset: they are `omitempty` scalars, so a v1.33 server
/// never serializes their zero values.
pub fn default_deployment(d: &mut Deployment) {
    let spec = d.spec.get_or_insert_with(Default::default);
    spec.replicas.get_or_insert(1);
    let strategy = spec.strategy.get_or_insert_with(DeploymentStrategy::default);
    default_str(&mut strategy.type_, "RollingUpdate");
    if strategy.type_.as_deref() == Some("RollingUpdate") {
        let ru = strategy.rolling_update.get_or_insert_with(RollingUpdateDeployment::default);
        ru.max_unavailable.get_or_insert_with(|| IntOrString::String("25%".to_string()));
        ru.max_surge.get_or_insert_with(|| IntOrString::String("25%".to_string()));
    }
    spec.revision_history_limit.get_or_insert(10);
    spec.progress_deadline_seconds.get_or_insert(600);
    default_pod_spec(spec.template.spec.get_or_insert_with(Default::default));
}

/// upstream: SetDefaults_ReplicaSet (apps/v1) plus pod-template defaults. The template is a
/// struct in Go, so it is always present on the wire.
pub fn default_replica_set(rs: &mut ReplicaSet) {
    let spec = rs.spec.get_or_insert_with(Default::default);
    spec.replicas.get_or_insert(1);
    let template = spec.template.get_or_insert_with(Default::default);
    default_pod_spec(template.spec.get_or_insert_with(Default::default));
}

fn scaling_policy(type_: &str, value: i32, period_seconds: i32) -> HPAScalingPolicy {
    HPAScalingPolicy { type_: type_.to_string(), value, period_seconds }
}

/// upstream: GenerateHPAScaleUpRules / GenerateHPAScaleDownRules + copyHPAScalingRules — every
/// field the user left nil is taken from the defaults; a given field (even an empty policy
/// list) is kept. Scale-down keeps a nil stabilization window: the controller then uses its
/// `--horizontal-pod-autoscaler-downscale-stabilization` flag (300 s).
fn default_scaling_rules(rules: &mut Option<HPAScalingRules>, scale_up: bool) {
    let r = rules.get_or_insert_with(HPAScalingRules::default);
    if scale_up {
        r.stabilization_window_seconds.get_or_insert(0);
    }
    r.select_policy.get_or_insert_with(|| "Max".to_string());
    r.policies.get_or_insert_with(|| {
        if scale_up {
            vec![scaling_policy("Pods", 4, 15), scaling_policy("Percent", 100, 15)]
        } else {
            vec![scaling_policy("Percent", 100, 15)]
        }
    });
}

/// upstream: SetDefaults_HorizontalPodAutoscaler (autoscaling/v2): `minReplicas` 1, a CPU
/// utilization metric of 80% when no metric is given, and — only if `behavior` was given, even
/// as `{}` — the missing scale-up / scale-down rules.
pub fn default_hpa(hpa: &mut HorizontalPodAutoscaler) {
    let spec = hpa.spec.get_or_insert_with(Default::default);
    spec.min_replicas.get_or_insert(1);
    if spec.metrics.as_ref().is_none_or(Vec::is_empty) {
        spec.metrics = Some(vec![cpu_utilization_metric(DEFAULT_CPU_UTILIZATION)]);
    }
    if let Some(b) = spec.behavior.as_mut() {
        default_behavior(b);
    }
}

fn default_behavior(b: &mut HorizontalPodAutoscalerBehavior) {
    default_scaling_rules(&mut b.scale_up, true);
    default_scaling_rules(&mut b.scale_down, false);
}

/// A `Resource` metric on `cpu` with a `Utilization` target.
pub(crate) fn cpu_utilization_metric(percent: i32) -> MetricSpec {
    MetricSpec {
        type_: "Resource".to_string(),
        resource: Some(ResourceMetricSource {
            name: "cpu".to_string(),
            target: MetricTarget {
                type_: "Utilization".to_string(),
                average_utilization: Some(percent),
                ..Default::default()
            },
        }),
        ..Default::default()
    }
}

/// upstream: SetDefaults_NodeStatus — allocatable defaults to capacity; quantities canonical.
/// Nodes have no spec defaults.
pub fn default_node(n: &mut Node) {
    let Some(status) = n.status.as_mut() else {
        return;
    };
    if let Some(c) = status.capacity.as_mut() {
        default_resource_list(c);
    }
    if status.allocatable.is_none() {
        status.allocatable = status.capacity.clone();
    } else if let Some(a) = status.allocatable.as_mut() {
        default_resource_list(a);
    }
}

/// upstream: SetDefaults_Namespace / SetDefaults_NamespaceStatus — the immutable
/// `kubernetes.io/metadata.name` label and phase Active. A nameless (generateName) namespace
/// gets its label once named.
pub fn default_namespace(ns: &mut Namespace) {
    if let Some(name) = ns.metadata.name.clone().filter(|n| !n.is_empty()) {
        ns.metadata.labels.get_or_insert_with(BTreeMap::new).insert("kubernetes.io/metadata.name".to_string(), name);
    }
    let status = ns.status.get_or_insert_with(Default::default);
    default_str(&mut status.phase, "Active");
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn load<T: serde::de::DeserializeOwned>(file: &str) -> T {
        let path = format!("{}/../shared/examples/{file}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path)
            .or_else(|_| std::fs::read_to_string(format!("/work/shared/examples/{file}")))
            .expect("example manifest is readable");
        serde_yaml_ng::from_str(&text).expect("example manifest parses")
    }

    #[test]
    fn image_pull_policy_follows_the_tag() {
        let digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let rows = [
            ("nginx", "Always", "no tag means :latest"),
            ("nginx:latest", "Always", "explicit latest"),
            ("nginx:1.7.9", "IfNotPresent", "a pinned tag"),
            ("localhost:5000/nginx", "Always", "a registry port is not a tag"),
            ("localhost:5000/nginx:1.2", "IfNotPresent", "tag after a registry port"),
            (&format!("nginx@{digest}"), "IfNotPresent", "a digest without tag"),
            (&format!("nginx:latest@{digest}"), "Always", "latest tag plus digest"),
            (&format!("nginx:1.2@{digest}"), "IfNotPresent", "pinned tag plus digest"),
            ("registry.example.com/team/app", "Always", "domain and path, no tag"),
            ("docker.io/library/redis:7", "IfNotPresent", "fully qualified with tag"),
            ("NGINX", "IfNotPresent", "upper case does not parse"),
            ("nginx@sha256:abc", "IfNotPresent", "a malformed digest does not parse"),
            ("", "IfNotPresent", "an empty image does not parse"),
        ];
        for (image, want, why) in rows {
            assert_eq!(default_image_pull_policy(image), want, "{image:?}: {why}");
        }
    }

    #[test]
    fn nginx_deployment_reads_back_like_a_v1_33_server() {
        let mut d: Deployment = load("nginx-deployment.yaml");
        default_deployment(&mut d);
        let spec = serde_json::to_value(&d.spec).expect("serializes");
        // `kubectl get deploy nginx-deployment -o json` on v1.33, `.spec` (v1.33 no longer
        // prints `creationTimestamp: null` in the template, kubernetes#130989).
        let want = json!({
            "progressDeadlineSeconds": 600,
            "replicas": 3,
            "revisionHistoryLimit": 10,
            "selector": {"matchLabels": {"app": "nginx"}},
            "strategy": {
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
                "type": "RollingUpdate"
            },
            "template": {
                "metadata": {"labels": {"app": "nginx"}},
                "spec": {
                    "containers": [{
                        "image": "nginx:1.7.9",
                        "imagePullPolicy": "IfNotPresent",
                        "name": "nginx",
                        "ports": [{"containerPort": 80, "protocol": "TCP"}],
                        "resources": {},
                        "terminationMessagePath": "/dev/termination-log",
                        "terminationMessagePolicy": "File"
                    }],
                    "dnsPolicy": "ClusterFirst",
                    "restartPolicy": "Always",
                    "schedulerName": "default-scheduler",
                    "securityContext": {},
                    "terminationGracePeriodSeconds": 30
                }
            }
        });
        assert_eq!(spec, want);
    }

    #[test]
    fn redis_pod_reads_back_like_a_v1_33_server() {
        let mut p: Pod = load("redis-pod.yaml");
        default_pod(&mut p);
        let spec = serde_json::to_value(&p.spec).expect("serializes");
        // `kubectl get pod redis-master -o json` on v1.33, `.spec`, minus what is not
        // deterministic or not ours: the kube-api-access-xxxxx volume and mount, nodeName.
        let want = json!({
            "containers": [{
                "env": [{"name": "MASTER", "value": "true"}],
                "image": "redis",
                "imagePullPolicy": "Always",
                "name": "master",
                "ports": [{"containerPort": 6379, "protocol": "TCP"}],
                "resources": {},
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File"
            }],
            "dnsPolicy": "ClusterFirst",
            "enableServiceLinks": true,
            "preemptionPolicy": "PreemptLowerPriority",
            "priority": 0,
            "restartPolicy": "Always",
            "schedulerName": "default-scheduler",
            "securityContext": {},
            "serviceAccount": "default",
            "serviceAccountName": "default",
            "terminationGracePeriodSeconds": 30,
            "tolerations": [
                {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready",
                 "operator": "Exists", "tolerationSeconds": 300},
                {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable",
                 "operator": "Exists", "tolerationSeconds": 300}
            ]
        });
        assert_eq!(spec, want);
        assert!(p.status.is_none(), "defaulting never writes status");
    }

    #[test]
    fn defaulting_is_idempotent() {
        let mut d: Deployment = load("nginx-deployment.yaml");
        default_deployment(&mut d);
        let once = d.clone();
        default_deployment(&mut d);
        assert_eq!(d, once);
        let mut p: Pod = load("redis-pod.yaml");
        default_pod(&mut p);
        let once = p.clone();
        default_pod(&mut p);
        assert_eq!(p, once, "tolerations must not be appended twice");
    }

    #[test]
    fn recreate_strategy_gets_no_rolling_update() {
        let mut d: Deployment = serde_json::from_value(json!({
            "metadata": {"name": "d"},
            "spec": {"selector": {"matchLabels": {"a": "b"}}, "strategy": {"type": "Recreate"},
                     "template": {"spec": {"containers": [{"name": "c", "image": "i"}]}}}
        }))
        .expect("valid");
        default_deployment(&mut d);
        let s = d.spec.as_ref().and_then(|s| s.strategy.as_ref()).expect("strategy");
        assert_eq!(s.type_.as_deref(), Some("Recreate"));
        assert!(s.rolling_update.is_none());
    }

    #[test]
    fn partial_rolling_update_keeps_the_given_field() {
        let mut d: Deployment = serde_json::from_value(json!({
            "metadata": {"name": "d"},
            "spec": {"selector": {"matchLabels": {"a": "b"}},
                     "strategy": {"rollingUpdate": {"maxSurge": 1}},
                     "template": {"spec": {"containers": [{"name": "c", "image": "i"}]}}}
        }))
        .expect("valid");
        default_deployment(&mut d);
        let s = serde_json::to_value(d.spec.as_ref().and_then(|s| s.strategy.as_ref())).expect("json");
        assert_eq!(s, json!({"rollingUpdate": {"maxSurge": 1, "maxUnavailable": "25%"}, "type": "RollingUpdate"}));
    }

    #[test]
    fn replica_set_gets_one_replica_and_template_defaults() {
        let mut rs: ReplicaSet = serde_json::from_value(json!({
            "metadata": {"name": "r"},
            "spec": {"selector": {"matchLabels": {"a": "b"}},
                     "template": {"metadata": {"labels": {"a": "b"}},
                                  "spec": {"containers": [{"name": "c", "image": "i:1"}]}}}
        }))
        .expect("valid");
        default_replica_set(&mut rs);
        let spec = rs.spec.as_ref().expect("spec");
        assert_eq!(spec.replicas, Some(1));
        let pod = spec.template.as_ref().and_then(|t| t.spec.as_ref()).expect("pod spec");
        assert_eq!(pod.restart_policy.as_deref(), Some("Always"));
        assert_eq!(pod.containers[0].image_pull_policy.as_deref(), Some("IfNotPresent"));
        assert!(pod.tolerations.is_none(), "admission defaults are for pods, not templates");
        assert!(pod.service_account_name.is_none());
    }

    #[test]
    fn probes_get_thresholds_and_http_defaults() {
        let mut spec: PodSpec = serde_json::from_value(json!({
            "containers": [{"name": "c", "image": "i",
                            "readinessProbe": {"httpGet": {"port": 80}, "periodSeconds": 5}}]
        }))
        .expect("valid");
        default_pod_spec(&mut spec);
        let probe = serde_json::to_value(&spec.containers[0].readiness_probe).expect("json");
        assert_eq!(
            probe,
            json!({"failureThreshold": 3, "httpGet": {"path": "/", "port": 80, "scheme": "HTTP"},
                   "periodSeconds": 5, "successThreshold": 1, "timeoutSeconds": 1})
        );
        assert!(spec.containers[0].liveness_probe.is_none(), "absent probes stay absent");
    }

    #[test]
    fn pod_requests_default_to_limits_and_quantities_come_back_canonical() {
        let mut p: Pod = serde_json::from_value(json!({
            "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "i",
                "resources": {"limits": {"cpu": "0.5", "memory": "1024Mi"},
                              "requests": {"memory": "1000"}}}]}
        }))
        .expect("valid");
        default_pod(&mut p);
        let r = serde_json::to_value(&p.spec.as_ref().expect("spec").containers[0].resources).expect("json");
        assert_eq!(r, json!({"limits": {"cpu": "500m", "memory": "1Gi"}, "requests": {"cpu": "500m", "memory": "1k"}}));
    }

    #[test]
    fn templates_do_not_default_requests_from_limits() {
        let mut spec: PodSpec = serde_json::from_value(json!({
            "containers": [{"name": "c", "image": "i", "resources": {"limits": {"cpu": "1"}}}]
        }))
        .expect("valid");
        default_pod_spec(&mut spec);
        let r = spec.containers[0].resources.as_ref().expect("resources");
        assert!(r.requests.is_none());
    }

    #[test]
    fn existing_wildcard_toleration_suppresses_the_default_ones() {
        let mut p: Pod = serde_json::from_value(json!({
            "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "i"}],
                     "tolerations": [{"operator": "Exists"}]}
        }))
        .expect("valid");
        default_pod(&mut p);
        assert_eq!(p.spec.as_ref().and_then(|s| s.tolerations.as_ref()).map(Vec::len), Some(1));

        let mut p: Pod = serde_json::from_value(json!({
            "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "i"}],
                     "tolerations": [{"key": "node.kubernetes.io/unreachable", "operator": "Exists",
                                      "effect": "NoExecute", "tolerationSeconds": 10}]}
        }))
        .expect("valid");
        default_pod(&mut p);
        let keys: Vec<_> = p
            .spec
            .as_ref()
            .and_then(|s| s.tolerations.as_ref())
            .expect("tolerations")
            .iter()
            .map(|t| (t.key.clone().unwrap_or_default(), t.toleration_seconds))
            .collect();
        assert_eq!(
            keys,
            vec![
                ("node.kubernetes.io/unreachable".to_string(), Some(10)),
                ("node.kubernetes.io/not-ready".to_string(), Some(300)),
            ]
        );
    }

    #[test]
    fn deprecated_service_account_is_an_alias() {
        let mut p: Pod = serde_json::from_value(json!({
            "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "i"}], "serviceAccount": "builder"}
        }))
        .expect("valid");
        default_pod(&mut p);
        let s = p.spec.as_ref().expect("spec");
        assert_eq!(s.service_account_name.as_deref(), Some("builder"));
        assert_eq!(s.service_account.as_deref(), Some("builder"));
    }

    #[test]
    fn negative_grace_period_on_a_pod_becomes_one_second() {
        let mut p: Pod = serde_json::from_value(json!({
            "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "i"}], "terminationGracePeriodSeconds": -5}
        }))
        .expect("valid");
        default_pod(&mut p);
        assert_eq!(p.spec.as_ref().and_then(|s| s.termination_grace_period_seconds), Some(1));
    }

    #[test]
    fn hpa_without_metrics_targets_80_percent_cpu_and_no_behavior() {
        let mut hpa: HorizontalPodAutoscaler = serde_json::from_value(json!({
            "metadata": {"name": "h"},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "d"},
                     "maxReplicas": 5}
        }))
        .expect("valid");
        default_hpa(&mut hpa);
        let spec = serde_json::to_value(&hpa.spec).expect("json");
        assert_eq!(
            spec,
            json!({
                "maxReplicas": 5,
                "metrics": [{"resource": {"name": "cpu",
                             "target": {"averageUtilization": 80, "type": "Utilization"}},
                             "type": "Resource"}],
                "minReplicas": 1,
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "d"}
            })
        );
    }

    #[test]
    fn hpa_behavior_fills_only_missing_rules() {
        let mut hpa: HorizontalPodAutoscaler = serde_json::from_value(json!({
            "metadata": {"name": "h"},
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "d"}, "maxReplicas": 5,
                     "behavior": {"scaleDown": {"stabilizationWindowSeconds": 60}}}
        }))
        .expect("valid");
        default_hpa(&mut hpa);
        let behavior = serde_json::to_value(hpa.spec.as_ref().and_then(|s| s.behavior.as_ref())).expect("json");
        assert_eq!(
            behavior,
            json!({
                "scaleDown": {"policies": [{"periodSeconds": 15, "type": "Percent", "value": 100}],
                              "selectPolicy": "Max", "stabilizationWindowSeconds": 60},
                "scaleUp": {"policies": [{"periodSeconds": 15, "type": "Pods", "value": 4},
                                         {"periodSeconds": 15, "type": "Percent", "value": 100}],
                            "selectPolicy": "Max", "stabilizationWindowSeconds": 0}
            })
        );

        let mut hpa: HorizontalPodAutoscaler = serde_json::from_value(json!({
            "metadata": {"name": "h"},
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "d"}, "maxReplicas": 5,
                     "behavior": {}}
        }))
        .expect("valid");
        default_hpa(&mut hpa);
        let down =
            hpa.spec.as_ref().and_then(|s| s.behavior.as_ref()).and_then(|b| b.scale_down.as_ref()).expect("scaleDown");
        assert_eq!(down.stabilization_window_seconds, None, "the controller flag (300 s) applies");
    }

    #[test]
    fn node_allocatable_defaults_to_capacity() {
        let mut n: Node = serde_json::from_value(json!({
            "metadata": {"name": "node-1"},
            "status": {"capacity": {"cpu": "4", "memory": "16Gi", "pods": "110"}}
        }))
        .expect("valid");
        default_node(&mut n);
        let st = n.status.as_ref().expect("status");
        assert_eq!(st.allocatable, st.capacity);
    }

    #[test]
    fn namespace_gets_its_name_label() {
        let mut ns: Namespace = serde_json::from_value(json!({"metadata": {"name": "team-a"}})).expect("valid");
        default_namespace(&mut ns);
        assert_eq!(
            ns.metadata.labels.as_ref().and_then(|l| l.get("kubernetes.io/metadata.name")).map(String::as_str),
            Some("team-a")
        );
        assert_eq!(ns.status.as_ref().and_then(|s| s.phase.as_deref()), Some("Active"));
    }
}
