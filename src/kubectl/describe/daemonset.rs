//! `kubectl describe daemonset` (upstream: DaemonSetDescriber).

use std::sync::Arc;

use super::workload::pod_template;
use super::{annotations_multiline, events_table, labels_multiline, tabwrite_padded, Context};
use crate::api::pod::Phase;
use crate::api::{Body, Kind, Object};
use crate::labels::{format_labels, Selector};

/// The phases of the pods a workload controls, as `Pods Status:` counts them (upstream:
/// getPodStatusForController — pods its selector matches whose controller is the workload).
pub(super) fn pod_phases(ctx: &Context, owner: &Object, selector: &Selector) -> [usize; 4] {
    let mut n = [0; 4];
    for p in ctx.store.scan(Kind::Pod, Some(&owner.meta.namespace)) {
        if !selector.matches(&p.meta.labels) || p.meta.controller_ref().is_none_or(|r| r.uid != owner.meta.uid) {
            continue;
        }
        if let Body::Pod { status, .. } = &p.body {
            match status.phase {
                Phase::Running => n[0] += 1,
                Phase::Pending => n[1] += 1,
                Phase::Succeeded => n[2] += 1,
                Phase::Failed => n[3] += 1,
                Phase::Unknown => {}
            }
        }
    }
    n
}

/// `kubectl describe daemonset NAME`: the counts are plain lines (no TAB), as upstream writes them.
pub(super) fn describe_daemon_set(ctx: &Context, ds: &Object, events: &[Arc<Object>]) -> String {
    let Body::DaemonSet { spec, status, template } = &ds.body else { return String::new() };
    let selector = Selector::from_label_selector(Some(&spec.selector)).unwrap_or_else(|_| Selector::nothing());
    let mut o = format!("Name:\t{}\n", ds.meta.name);
    o.push_str(&format!("Selector:\t{selector}\n"));
    let node_selector = template.spec().node_selector.unwrap_or_default();
    o.push_str(&format!("Node-Selector:\t{}\n", format_labels(node_selector.iter())));
    labels_multiline(&mut o, "Labels", ds.meta.labels.iter());
    annotations_multiline(&mut o, "Annotations", &ds.meta.annotations);
    o.push_str(&format!("Desired Number of Nodes Scheduled: {}\n", status.desired_number_scheduled));
    o.push_str(&format!("Current Number of Nodes Scheduled: {}\n", status.current_number_scheduled));
    o.push_str(&format!(
        "Number of Nodes Scheduled with Up-to-date Pods: {}\n",
        status.updated_number_scheduled.unwrap_or(0)
    ));
    o.push_str(&format!("Number of Nodes Scheduled with Available Pods: {}\n", status.number_available.unwrap_or(0)));
    o.push_str(&format!("Number of Nodes Misscheduled: {}\n", status.number_misscheduled));
    let [running, waiting, succeeded, failed] = pod_phases(ctx, ds, &selector);
    o.push_str(&format!(
        "Pods Status:\t{running} Running / {waiting} Waiting / {succeeded} Succeeded / {failed} Failed\n"
    ));
    pod_template(&mut o, template);
    o.push_str(&events_table(events, ctx.now));
    tabwrite_padded(&o, 2)
}

/// `kubectl describe statefulset NAME` (upstream: StatefulSetDescriber).
pub(super) fn describe_stateful_set(ctx: &Context, sts: &Object, events: &[Arc<Object>]) -> String {
    let Body::StatefulSet { spec, status, template } = &sts.body else { return String::new() };
    let selector = Selector::from_label_selector(Some(&spec.selector)).unwrap_or_else(|_| Selector::nothing());
    let mut o = format!("Name:\t{}\nNamespace:\t{}\n", sts.meta.name, sts.meta.namespace);
    o.push_str(&format!("CreationTimestamp:\t{}\n", super::rfc1123z(sts.meta.creation_timestamp)));
    o.push_str(&format!("Selector:\t{selector}\n"));
    labels_multiline(&mut o, "Labels", sts.meta.labels.iter());
    annotations_multiline(&mut o, "Annotations", &sts.meta.annotations);
    o.push_str(&format!("Replicas:\t{} desired | {} total\n", spec.replicas.unwrap_or(1), status.replicas));
    let strategy = spec.update_strategy.as_ref();
    o.push_str(&format!("Update Strategy:\t{}\n", strategy.and_then(|s| s.type_.as_deref()).unwrap_or("")));
    if let Some(p) = strategy.and_then(|s| s.rolling_update.as_ref()).and_then(|r| r.partition) {
        o.push_str(&format!("  Partition:\t{p}\n"));
    }
    let [running, waiting, succeeded, failed] = pod_phases(ctx, sts, &selector);
    o.push_str(&format!(
        "Pods Status:\t{running} Running / {waiting} Waiting / {succeeded} Succeeded / {failed} Failed\n"
    ));
    pod_template(&mut o, template);
    // upstream: describeVolumeClaimTemplates
    let claims = spec.volume_claim_templates.as_deref().unwrap_or(&[]);
    if claims.is_empty() {
        o.push_str("Volume Claims:\t<none>\n");
    } else {
        o.push_str("Volume Claims:\n");
        for c in claims {
            let cspec = c.spec.clone().unwrap_or_default();
            o.push_str(&format!("  Name:\t{}\n", c.metadata.name.as_deref().unwrap_or("")));
            o.push_str(&format!("  StorageClass:\t{}\n", cspec.storage_class_name.as_deref().unwrap_or("")));
            let labels = c.metadata.labels.clone().unwrap_or_default();
            labels_multiline(&mut o, "  Labels", labels.iter());
            let annotations: crate::api::meta::StringMap =
                c.metadata.annotations.clone().unwrap_or_default().into_iter().collect();
            labels_multiline(&mut o, "  Annotations", annotations.iter());
            let storage = cspec.resources.as_ref().and_then(|r| r.requests.as_ref()).and_then(|r| r.get("storage"));
            o.push_str(&format!("  Capacity:\t{}\n", storage.map_or("<default>".to_string(), |q| q.0.clone())));
            o.push_str(&format!("  Access Modes:\t[{}]\n", cspec.access_modes.unwrap_or_default().join(" ")));
        }
    }
    o.push_str(&events_table(events, ctx.now));
    tabwrite_padded(&o, 2)
}
