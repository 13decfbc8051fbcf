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
