//! `kubectl describe replicaset` and `describe deployment` (kubectl.md §7.2–7.3), and the
//! `Pod Template:` section they share (upstream: DescribePodTemplate).

use std::sync::Arc;

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::pod::{containers, topology_spread_constraints, volumes, EnvSource};
use super::{
    annotations_multiline, events_table, labels_multiline, rfc1123z, tabwrite_padded, tolerations_multiline,
    workload_conditions, Context,
};
use crate::api::pod::Phase;
use crate::api::template::PodTemplate;
use crate::api::{Body, Kind, Object};
use crate::controllers::deployment::HASH_LABEL;
use crate::labels::{format_label_selector, Selector};

/// upstream: DescribePodTemplate — the template's labels, annotations (only if any), containers
/// indented under `  Containers:`, volumes, node selectors and tolerations.
pub(super) fn pod_template(o: &mut String, t: &PodTemplate) {
    let spec = t.spec();
    o.push_str("Pod Template:\n");
    labels_multiline(o, "  Labels", t.labels.iter());
    if !t.annotations.is_empty() {
        annotations_multiline(o, "  Annotations", &t.annotations);
    }
    if let Some(sa) = spec.service_account_name.as_ref().filter(|s| !s.is_empty()) {
        o.push_str(&format!("  Service Account:\t{sa}\n"));
    }
    if let Some(init) = spec.init_containers.as_deref().filter(|c| !c.is_empty()) {
        containers(o, "Init Containers", init, None, &EnvSource::Template, "  ");
    }
    containers(o, "Containers", &spec.containers, None, &EnvSource::Template, "  ");
    volumes(o, spec.volumes.as_deref().unwrap_or(&[]), "  ");
    topology_spread_constraints(o, spec.topology_spread_constraints.as_deref().unwrap_or(&[]), "  ");
    if let Some(p) = spec.priority_class_name.as_ref().filter(|p| !p.is_empty()) {
        o.push_str(&format!("  Priority Class Name:\t{p}\n"));
    }
    labels_multiline(o, "  Node-Selectors", spec.node_selector.iter().flatten());
    tolerations_multiline(o, "  Tolerations", spec.tolerations.as_deref().unwrap_or(&[]));
}

/// The objects of `kind` in `owner`'s namespace that its selector matches and that it controls
/// (upstream lists by selector, then keeps those whose controllerRef has the owner's uid).
fn controlled<'a>(ctx: &'a Context, kind: Kind, owner: &'a Object, selector: &'a Selector) -> Vec<&'a Arc<Object>> {
    ctx.store
        .scan(kind, Some(&owner.meta.namespace))
        .filter(|o| selector.matches(&o.meta.labels))
        .filter(|o| o.meta.controller_ref().is_some_and(|r| r.uid == owner.meta.uid))
        .collect()
}

/// `kubectl describe replicaset NAME`.
pub(super) fn describe_replica_set(ctx: &Context, rs: &Object, events: &[Arc<Object>]) -> String {
    let Body::ReplicaSet { spec, status, template } = &rs.body else { return String::new() };
    let mut o = format!("Name:\t{}\nNamespace:\t{}\n", rs.meta.name, rs.meta.namespace);
    o.push_str(&format!("Selector:\t{}\n", format_label_selector(Some(&spec.selector.to_wire()))));
    labels_multiline(&mut o, "Labels", rs.meta.labels.iter());
    annotations_multiline(&mut o, "Annotations", &rs.meta.annotations);
    if let Some(r) = rs.meta.controller_ref() {
        o.push_str(&format!("Controlled By:\t{}/{}\n", r.kind, r.name));
    }
    o.push_str(&format!("Replicas:\t{} current / {} desired\n", status.replicas, spec.replicas.unwrap_or(1)));
    // upstream: getPodStatusForController — the pods it controls, counted by phase.
    let selector = spec.selector.selector().unwrap_or_else(|_| Selector::nothing());
    let (mut running, mut waiting, mut succeeded, mut failed) = (0, 0, 0, 0);
    for p in controlled(ctx, Kind::Pod, rs, &selector) {
        if let Body::Pod { status, .. } = &p.body {
            match status.phase {
                Phase::Running => running += 1,
                Phase::Pending => waiting += 1,
                Phase::Succeeded => succeeded += 1,
                Phase::Failed => failed += 1,
                Phase::Unknown => {}
            }
        }
    }
    o.push_str(&format!(
        "Pods Status:\t{running} Running / {waiting} Waiting / {succeeded} Succeeded / {failed} Failed\n"
    ));
    pod_template(&mut o, template);
    let conditions = status.conditions.iter().flatten();
    workload_conditions(&mut o, conditions.map(|c| (c.type_.as_str(), c.status.as_str(), c.reason.as_deref())));
    o.push_str(&events_table(events, ctx.now));
    tabwrite_padded(&o, 2)
}

fn int_or_percent(v: Option<&IntOrString>) -> String {
    match v {
        Some(IntOrString::Int(n)) => n.to_string(),
        Some(IntOrString::String(s)) => s.clone(),
        None => "<nil>".into(),
    }
}

/// `kubectl describe deployment NAME`.
pub(super) fn describe_deployment(ctx: &Context, d: &Object, events: &[Arc<Object>]) -> String {
    let Body::Deployment { spec, status, template } = &d.body else { return String::new() };
    let selector = Selector::from_label_selector(Some(&spec.selector)).unwrap_or_else(|_| Selector::nothing());
    let mut o = format!("Name:\t{}\nNamespace:\t{}\n", d.meta.name, d.meta.namespace);
    o.push_str(&format!("CreationTimestamp:\t{}\n", rfc1123z(d.meta.creation_timestamp)));
    labels_multiline(&mut o, "Labels", d.meta.labels.iter());
    annotations_multiline(&mut o, "Annotations", &d.meta.annotations);
    o.push_str(&format!("Selector:\t{selector}\n"));
    o.push_str(&format!(
        "Replicas:\t{} desired | {} updated | {} total | {} available | {} unavailable\n",
        spec.replicas.unwrap_or(1),
        status.updated_replicas.unwrap_or(0),
        status.replicas.unwrap_or(0),
        status.available_replicas.unwrap_or(0),
        status.unavailable_replicas.unwrap_or(0)
    ));
    let strategy = spec.strategy.as_ref();
    o.push_str(&format!("StrategyType:\t{}\n", strategy.and_then(|s| s.type_.as_deref()).unwrap_or("")));
    o.push_str(&format!("MinReadySeconds:\t{}\n", spec.min_ready_seconds.unwrap_or(0)));
    if let Some(ru) = strategy.and_then(|s| s.rolling_update.as_ref()) {
        o.push_str(&format!(
            "RollingUpdateStrategy:\t{} max unavailable, {} max surge\n",
            int_or_percent(ru.max_unavailable.as_ref()),
            int_or_percent(ru.max_surge.as_ref())
        ));
    }
    pod_template(&mut o, template);
    let conditions = status.conditions.iter().flatten();
    workload_conditions(&mut o, conditions.map(|c| (c.type_.as_str(), c.status.as_str(), c.reason.as_deref())));
    // upstream: GetAllReplicaSetsInChunks — its ReplicaSets oldest first; the new one is the
    // oldest whose template equals the Deployment's but for pod-template-hash; all others are old.
    let mut rss = controlled(ctx, Kind::ReplicaSet, d, &selector);
    rss.sort_by(|a, b| (a.meta.creation_timestamp, &a.meta.name).cmp(&(b.meta.creation_timestamp, &b.meta.name)));
    let is_new = |rs: &Object| match &rs.body {
        Body::ReplicaSet { template: t, .. } => t.equal_ignoring(template, HASH_LABEL),
        _ => false,
    };
    let new_rs = rss.iter().position(|rs| is_new(rs));
    if !rss.is_empty() {
        let summary = |list: Vec<&Arc<Object>>| {
            let parts: Vec<String> = list
                .into_iter()
                .filter_map(|rs| match &rs.body {
                    Body::ReplicaSet { spec, status, .. } => Some(format!(
                        "{} ({}/{} replicas created)",
                        rs.meta.name,
                        status.replicas,
                        spec.replicas.unwrap_or(1)
                    )),
                    _ => None,
                })
                .collect();
            if parts.is_empty() {
                "<none>".to_string()
            } else {
                parts.join(", ")
            }
        };
        let old: Vec<&Arc<Object>> =
            rss.iter().enumerate().filter(|(i, _)| Some(*i) != new_rs).map(|(_, rs)| *rs).collect();
        o.push_str(&format!("OldReplicaSets:\t{}\n", summary(old)));
        o.push_str(&format!("NewReplicaSet:\t{}\n", summary(new_rs.map(|i| rss[i]).into_iter().collect())));
    }
    o.push_str(&events_table(events, ctx.now));
    tabwrite_padded(&o, 2)
}
