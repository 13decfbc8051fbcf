//! `kubectl describe node` (upstream: describeNode, describeNodeResource): the node, its
//! Lease, the pods bound to it with their requests and limits as a share of allocatable, and
//! the totals.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1 as core;

use super::{age_since, annotations_multiline, events_table, labels_multiline, rfc1123z, tabwrite_padded, Context};
use crate::api::meta::from_time;
use crate::api::quantity::ParsedQuantity;
use crate::api::{Body, Kind, Object};
use crate::controllers::replicaset::node_of;
use crate::sim::clock::Millis;

/// upstream: the kubelet renews its Lease every 10 s (a quarter of the 40 s lease duration).
const LEASE_RENEW_INTERVAL: Millis = 10_000;

/// The node's Lease as its kubelet keeps it. kubesim stores no Lease objects, so describe
/// derives one: the kubelet holds it under the node's name, never sets `acquireTime`, and has
/// renewed it on every 10 s tick since the node registered, until the kubelet stopped.
fn lease_renew_time(ctx: &Context, node: &Object) -> Millis {
    let since = node.meta.creation_timestamp;
    let until = ctx.stopped_kubelets.get(&*node.meta.name).map_or(ctx.now, |t| (*t).min(ctx.now));
    since + (until - since).max(0) / LEASE_RENEW_INTERVAL * LEASE_RENEW_INTERVAL
}

type Resources = BTreeMap<String, ParsedQuantity>;

fn parse_list(list: Option<&BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>>) -> Resources {
    list.into_iter().flatten().filter_map(|(k, v)| ParsedQuantity::parse(&v.0).ok().map(|q| (k.clone(), q))).collect()
}

/// upstream: addResourceList.
fn add_into(total: &mut Resources, more: &Resources) {
    for (k, v) in more {
        let sum = match total.get(k) {
            Some(t) => t.add(v).unwrap_or_else(|| t.clone()),
            None => v.clone(),
        };
        total.insert(k.clone(), sum);
    }
}

/// upstream: maxResourceList.
fn max_into(total: &mut Resources, other: &Resources) {
    for (k, v) in other {
        if total.get(k).is_none_or(|t| v.cmp(t).is_gt()) {
            total.insert(k.clone(), v.clone());
        }
    }
}

/// upstream: resourcehelper.PodRequestsAndLimits — regular containers add up; an init container
/// counts as its own request plus the sidecars started before it, and the pod needs the larger
/// of the two; sidecars (init containers that restart Always) also add to the total; pod
/// overhead is added (to limits only where a limit exists).
fn pod_requests_and_limits(spec: &core::PodSpec) -> (Resources, Resources) {
    let mut out = Vec::with_capacity(2);
    for limits in [false, true] {
        let list = |c: &core::Container| {
            let r = c.resources.as_ref();
            parse_list(if limits { r.and_then(|r| r.limits.as_ref()) } else { r.and_then(|r| r.requests.as_ref()) })
        };
        let mut total = Resources::new();
        for c in &spec.containers {
            add_into(&mut total, &list(c));
        }
        let (mut sidecars, mut init_max) = (Resources::new(), Resources::new());
        for c in spec.init_containers.iter().flatten() {
            let own = list(c);
            let needed = if c.restart_policy.as_deref() == Some("Always") {
                add_into(&mut total, &own);
                add_into(&mut sidecars, &own);
                sidecars.clone()
            } else {
                let mut tmp = own;
                add_into(&mut tmp, &sidecars);
                tmp
            };
            max_into(&mut init_max, &needed);
        }
        max_into(&mut total, &init_max);
        let overhead = parse_list(spec.overhead.as_ref());
        if limits {
            let present: Resources = overhead.into_iter().filter(|(k, _)| total.contains_key(k)).collect();
            add_into(&mut total, &present);
        } else {
            add_into(&mut total, &overhead);
        }
        out.push(total);
    }
    let limits = out.pop().unwrap_or_default();
    let requests = out.pop().unwrap_or_default();
    (requests, limits)
}

fn get(list: &Resources, name: &str) -> ParsedQuantity {
    list.get(name).cloned().unwrap_or_else(ParsedQuantity::zero)
}

/// upstream: `int64(float64(x) / float64(allocatable) * 100)` — CPU in millis, the rest in units.
fn percent(x: &ParsedQuantity, of: &ParsedQuantity, milli: bool) -> i64 {
    let v = |q: &ParsedQuantity| if milli { q.milli_value() } else { q.value() }.unwrap_or(0) as f64;
    (v(x) / v(of) * 100.0) as i64
}

/// `name (NN%)` cells, or 0% when allocatable is zero (upstream guards the totals that way).
fn share(x: &ParsedQuantity, of: &ParsedQuantity, milli: bool) -> String {
    let pct = if of.is_zero() { 0 } else { percent(x, of, milli) };
    format!("{} ({pct}%)", x.canonical())
}

fn node_resources(ctx: &Context, node: &Object, allocatable: &Resources, o: &mut String) {
    // upstream: pods with spec.nodeName = node, not Succeeded or Failed, in every namespace.
    let pods: Vec<&Arc<Object>> = ctx
        .store
        .scan(Kind::Pod, None)
        .filter(|p| node_of(p) == Some(&*node.meta.name))
        .filter(|p| matches!(&p.body, Body::Pod { status, .. } if !status.phase.is_terminal()))
        .collect();
    o.push_str(&format!("Non-terminated Pods:\t({} in total)\n", pods.len()));
    o.push_str("  Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n");
    o.push_str("  ---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n");
    let cpu_alloc = get(allocatable, "cpu");
    let mem_alloc = get(allocatable, "memory");
    let (mut reqs, mut limits) = (Resources::new(), Resources::new());
    for p in &pods {
        let Body::Pod { spec, .. } = &p.body else { continue };
        let (r, l) = pod_requests_and_limits(spec);
        // upstream does not guard these divisions; a node without CPU or memory is not simulated.
        o.push_str(&format!(
            "  {}\t{}\t\t{} ({}%)\t{} ({}%)\t{} ({}%)\t{} ({}%)\t{}\n",
            p.meta.namespace,
            p.meta.name,
            get(&r, "cpu").canonical(),
            percent(&get(&r, "cpu"), &cpu_alloc, true),
            get(&l, "cpu").canonical(),
            percent(&get(&l, "cpu"), &cpu_alloc, true),
            get(&r, "memory").canonical(),
            percent(&get(&r, "memory"), &mem_alloc, false),
            get(&l, "memory").canonical(),
            percent(&get(&l, "memory"), &mem_alloc, false),
            age_since(Some(p.meta.creation_timestamp), ctx.now)
        ));
        add_into(&mut reqs, &r);
        add_into(&mut limits, &l);
    }
    o.push_str("Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n");
    o.push_str("  Resource\tRequests\tLimits\n  --------\t--------\t------\n");
    for (name, milli) in [("cpu", true), ("memory", false), ("ephemeral-storage", false)] {
        let of = get(allocatable, name);
        o.push_str(&format!(
            "  {name}\t{}\t{}\n",
            share(&get(&reqs, name), &of, milli),
            share(&get(&limits, name), &of, milli)
        ));
    }
    let huge: Vec<&String> = allocatable.keys().filter(|k| k.starts_with("hugepages-")).collect();
    for name in huge {
        let of = get(allocatable, name);
        o.push_str(&format!(
            "  {name}\t{}\t{}\n",
            share(&get(&reqs, name), &of, false),
            share(&get(&limits, name), &of, false)
        ));
    }
    // upstream: extended resources (neither standard container resources nor `pods`) without
    // percentages.
    let standard =
        |k: &str| matches!(k, "cpu" | "memory" | "ephemeral-storage" | "pods") || k.starts_with("hugepages-");
    for name in allocatable.keys().filter(|k| !standard(k)) {
        o.push_str(&format!("  {name}\t{}\t{}\n", get(&reqs, name).canonical(), get(&limits, name).canonical()));
    }
}

/// upstream: findNodeRoles — `node-role.kubernetes.io/<role>` labels and `kubernetes.io/role`.
fn roles(labels: &crate::api::meta::StringMap) -> String {
    let mut roles: Vec<&str> = labels
        .iter()
        .filter_map(|(k, v)| match k.strip_prefix("node-role.kubernetes.io/") {
            Some(role) if !role.is_empty() => Some(role),
            Some(_) => None,
            None => (k == "kubernetes.io/role" && !v.is_empty()).then_some(v.as_str()),
        })
        .collect();
    roles.sort_unstable();
    roles.dedup();
    if roles.is_empty() {
        "<none>".into()
    } else {
        roles.join(",")
    }
}

/// upstream: printNodeTaintsMultiline — sorted by `effect,key`, each as `key[=value]:effect`.
fn taints(o: &mut String, taints: &[core::Taint]) {
    if taints.is_empty() {
        o.push_str("Taints:\t<none>\n");
        return;
    }
    let mut sorted: Vec<&core::Taint> = taints.iter().collect();
    sorted.sort_by_key(|t| format!("{},{}", t.effect, t.key));
    for (i, t) in sorted.into_iter().enumerate() {
        let head = if i == 0 { "Taints:" } else { "" };
        match t.value.as_deref().filter(|v| !v.is_empty()) {
            Some(v) => o.push_str(&format!("{head}\t{}={v}:{}\n", t.key, t.effect)),
            None => o.push_str(&format!("{head}\t{}:{}\n", t.key, t.effect)),
        }
    }
}

/// `kubectl describe node NAME`.
pub(super) fn describe_node(ctx: &Context, node: &Object, events: &[Arc<Object>]) -> String {
    let Body::Node { spec, status } = &node.body else { return String::new() };
    let mut o = format!("Name:\t{}\nRoles:\t{}\n", node.meta.name, roles(&node.meta.labels));
    labels_multiline(&mut o, "Labels", node.meta.labels.iter());
    annotations_multiline(&mut o, "Annotations", &node.meta.annotations);
    o.push_str(&format!("CreationTimestamp:\t{}\n", rfc1123z(node.meta.creation_timestamp)));
    taints(&mut o, spec.taints.as_deref().unwrap_or(&[]));
    o.push_str(&format!("Unschedulable:\t{}\n", spec.unschedulable.unwrap_or(false)));
    o.push_str(&format!(
        "Lease:\n  HolderIdentity:\t{}\n  AcquireTime:\t<unset>\n  RenewTime:\t{}\n",
        node.meta.name,
        rfc1123z(lease_renew_time(ctx, node))
    ));
    if let Some(conds) = status.conditions.as_ref().filter(|c| !c.is_empty()) {
        o.push_str("Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n");
        o.push_str("  ----\t------\t-----------------\t------------------\t------\t-------\n");
        let time = |t: &Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>| {
            rfc1123z(t.as_ref().map(from_time).unwrap_or(0))
        };
        for c in conds {
            o.push_str(&format!(
                "  {} \t{} \t{} \t{} \t{} \t{}\n",
                c.type_,
                c.status,
                time(&c.last_heartbeat_time),
                time(&c.last_transition_time),
                c.reason.as_deref().unwrap_or(""),
                c.message.as_deref().unwrap_or("")
            ));
        }
    }
    o.push_str("Addresses:\n");
    for a in status.addresses.iter().flatten() {
        o.push_str(&format!("  {}:\t{}\n", a.type_, a.address));
    }
    for (label, list) in [("Capacity", &status.capacity), ("Allocatable", &status.allocatable)] {
        if let Some(list) = list.as_ref().filter(|l| !l.is_empty()) {
            o.push_str(&format!("{label}:\n"));
            for (k, v) in list {
                o.push_str(&format!("  {k}:\t{}\n", v.0));
            }
        }
    }
    let info = status.node_info.clone().unwrap_or_default();
    o.push_str("System Info:\n");
    for (label, value) in [
        ("Machine ID", &info.machine_id),
        ("System UUID", &info.system_uuid),
        ("Boot ID", &info.boot_id),
        ("Kernel Version", &info.kernel_version),
        ("OS Image", &info.os_image),
        ("Operating System", &info.operating_system),
        ("Architecture", &info.architecture),
        ("Container Runtime Version", &info.container_runtime_version),
        ("Kubelet Version", &info.kubelet_version),
        ("Kube-Proxy Version", &info.kube_proxy_version),
    ] {
        o.push_str(&format!("  {label}:\t{value}\n"));
    }
    if let Some(cidr) = spec.pod_cidr.as_ref().filter(|c| !c.is_empty()) {
        o.push_str(&format!("PodCIDR:\t{cidr}\n"));
    }
    if let Some(cidrs) = spec.pod_cidrs.as_ref().filter(|c| !c.is_empty()) {
        o.push_str(&format!("PodCIDRs:\t{}\n", cidrs.join(",")));
    }
    if let Some(id) = spec.provider_id.as_ref().filter(|c| !c.is_empty()) {
        o.push_str(&format!("ProviderID:\t{id}\n"));
    }
    // upstream: allocatable, falling back to capacity when the node reports none.
    let allocatable = match status.allocatable.as_ref().filter(|a| !a.is_empty()) {
        Some(a) => parse_list(Some(a)),
        None => parse_list(status.capacity.as_ref()),
    };
    node_resources(ctx, node, &allocatable, &mut o);
    o.push_str(&events_table(events, ctx.now));
    tabwrite_padded(&o, 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> ParsedQuantity {
        ParsedQuantity::parse(s).expect("quantity")
    }

    #[test]
    fn shares_truncate_toward_zero() {
        let rows = [
            ("250m", "4", true, "250m (6%)", "6.25% truncates"),
            ("1", "3", true, "1 (33%)", "33.3% truncates"),
            ("128Mi", "16Gi", false, "128Mi (0%)", "0.78% truncates to 0"),
            ("0", "4", true, "0 (0%)", "nothing requested"),
            ("500m", "0", true, "500m (0%)", "zero allocatable guarded"),
        ];
        for (x, of, milli, want, why) in rows {
            assert_eq!(share(&q(x), &q(of), milli), want, "{why}");
        }
    }

    #[test]
    fn sums_keep_the_first_format() {
        let sum = |a: &str, b: &str| q(a).add(&q(b)).map(|s| s.canonical());
        assert_eq!(sum("100m", "150m").as_deref(), Some("250m"));
        assert_eq!(sum("500m", "500m").as_deref(), Some("1"), "whole milli collapses");
        assert_eq!(sum("64Mi", "64Mi").as_deref(), Some("128Mi"));
        assert_eq!(sum("0", "64Mi").as_deref(), Some("64Mi"), "a zero receiver takes the addend's format");
        assert_eq!(sum("1G", "512Mi").as_deref(), Some("1536870912"), "decimal receiver stays decimal");
    }

    #[test]
    fn sidecars_add_and_init_containers_take_the_max() {
        let c = |name: &str, cpu: &str, always: bool| core::Container {
            name: name.into(),
            restart_policy: always.then(|| "Always".into()),
            resources: Some(core::ResourceRequirements {
                requests: Some(
                    [("cpu".to_string(), k8s_openapi::apimachinery::pkg::api::resource::Quantity(cpu.into()))].into(),
                ),
                ..Default::default()
            }),
            ..Default::default()
        };
        let spec = core::PodSpec {
            containers: vec![c("app", "100m", false), c("log", "50m", false)],
            init_containers: Some(vec![c("side", "10m", true), c("setup", "500m", false)]),
            ..Default::default()
        };
        let (r, l) = pod_requests_and_limits(&spec);
        // containers 150m + sidecar 10m = 160m; init `setup` needs 500m + 10m = 510m → 510m.
        assert_eq!(get(&r, "cpu").canonical(), "510m");
        assert_eq!(get(&l, "cpu").canonical(), "0");
    }

    #[test]
    fn roles_come_from_role_labels() {
        let labels: crate::api::meta::StringMap = [
            ("node-role.kubernetes.io/control-plane", ""),
            ("kubernetes.io/role", "worker"),
            ("node-role.kubernetes.io/", "x"),
            ("kubernetes.io/hostname", "n"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(roles(&labels), "control-plane,worker");
        assert_eq!(roles(&Default::default()), "<none>");
    }
}
