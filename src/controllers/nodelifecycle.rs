//! The node lifecycle controller: a node whose kubelet stops reporting goes `Unknown` after the
//! grace period, is tainted unreachable, and its pods are evicted once their toleration for the
//! taint runs out (300 s by default). A node that comes back is cleared.

use k8s_openapi::api::core::v1 as core;

use super::{Ctx, DeleteOptions, EventRecord, Reconciled, Write};
use crate::api::meta::{from_time, to_time};
use crate::api::pod::ConditionType;
use crate::api::Body;
use crate::sim::clock::Millis;
use crate::store::ObjectKey;

/// upstream: --node-monitor-grace-period (40 s through 1.31, 50 s since; kubesim uses 40 s).
pub const NODE_MONITOR_GRACE: Millis = 40_000;
pub const UNREACHABLE: &str = "node.kubernetes.io/unreachable";
pub const NOT_READY: &str = "node.kubernetes.io/not-ready";

pub fn reconcile(ctx: &Ctx, key: &ObjectKey) -> Reconciled {
    let Some(node) = ctx.store.get_by_key(key) else { return Reconciled::nothing() };
    let Body::Node { spec, status } = &node.body else { return Reconciled::nothing() };
    let mut out = Reconciled::nothing();
    let now = ctx.now;
    let down_since = ctx.nodes.down.get(&*node.meta.name).copied();
    let unreachable = down_since.is_some_and(|t| now >= t + NODE_MONITOR_GRACE);
    if let Some(t) = down_since.filter(|_| !unreachable) {
        return out.requeue(Some(t + NODE_MONITOR_GRACE));
    }
    // A node added with a `ready_after` stays NotReady (as its kubelet registered it) until then.
    let booted = match ctx.nodes.booting.get(&*node.meta.name) {
        Some(&t) if now < t => return out.requeue(Some(t)),
        Some(_) => true,
        None => false,
    };
    let mut new_status = (**status).clone();
    let mut new_spec = (**spec).clone();
    let conditions = new_status.conditions.get_or_insert_with(Vec::new);
    let (want, reason, message) = if unreachable {
        ("Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status.")
    } else {
        ("True", "KubeletReady", "kubelet is posting ready status")
    };
    let ready = conditions.iter_mut().find(|c| c.type_ == "Ready");
    if ready.as_ref().is_none_or(|c| c.status != want) {
        let cond = core::NodeCondition {
            type_: "Ready".into(),
            status: want.into(),
            reason: Some(reason.into()),
            message: Some(message.into()),
            last_transition_time: Some(to_time(now)),
            last_heartbeat_time: Some(to_time(now)),
        };
        match ready {
            Some(c) => *c = cond,
            None => conditions.push(cond),
        }
    }
    set_pressure_conditions(conditions, unreachable, now);
    let taints = new_spec.taints.get_or_insert_with(Vec::new);
    let has_taint = taints.iter().any(|t| t.key == UNREACHABLE);
    if unreachable && !has_taint {
        for effect in ["NoSchedule", "NoExecute"] {
            taints.push(core::Taint {
                key: UNREACHABLE.into(),
                effect: effect.into(),
                time_added: (effect == "NoExecute").then(|| to_time(now)),
                value: None,
            });
        }
    } else if !unreachable && has_taint {
        taints.retain(|t| t.key != UNREACHABLE);
    }
    if booted && !unreachable {
        // upstream: the kubelet registers a node tainted not-ready:NoSchedule; the taint goes
        // once the node is Ready (TaintNodesByCondition).
        taints.retain(|t| t.key != NOT_READY);
    }
    if taints.is_empty() {
        new_spec.taints = None;
    }
    // Status and taints are separate writes (status subresource, then the node itself); the
    // second sees a newer resourceVersion and is retried on the next round.
    if new_status != **status {
        let mut updated = (**node).clone();
        if let Body::Node { status, .. } = &mut updated.body {
            **status = new_status;
        }
        let reason = if unreachable { "NodeNotReady" } else { "NodeReady" };
        let message = format!("Node {} status is now: {}", node.meta.name, reason);
        out.writes.push(Write::Event(Box::new(EventRecord::about(node, "node-controller", false, reason, message))));
        out.writes.push(Write::UpdateStatus(Box::new(updated)));
    }
    if new_spec != **spec {
        let mut updated = (**node).clone();
        if let Body::Node { spec, .. } = &mut updated.body {
            **spec = new_spec.clone();
        }
        out.writes.push(Write::Update(Box::new(updated)));
    }
    if !unreachable {
        return out;
    }
    // Taint-based eviction (upstream: NoExecuteTaintManager) and MarkPodsNotReady.
    let added = new_spec
        .taints
        .iter()
        .flatten()
        .find(|t| t.key == UNREACHABLE && t.effect == "NoExecute")
        .and_then(|t| t.time_added.as_ref().map(from_time))
        .unwrap_or(now);
    for pod in ctx.pods_on(&node.meta.name) {
        let Body::Pod { spec: pspec, status: rt } = &pod.body else { continue };
        if rt.is_ready() {
            let mut marked = (**pod).clone();
            if let Body::Pod { status, .. } = &mut marked.body {
                status.set_condition(ConditionType::Ready, false, Some("NodeNotReady"), now);
                status.set_condition(ConditionType::ContainersReady, false, Some("NodeNotReady"), now);
                for c in &mut status.containers {
                    c.ready = false;
                }
            }
            out.writes.push(Write::UpdateStatus(Box::new(marked)));
        }
        if pod.meta.deletion_timestamp().is_some() {
            continue;
        }
        let toleration = pspec.tolerations.iter().flatten().find(|t| {
            (t.key.as_deref() == Some(UNREACHABLE) || t.key.is_none() && t.operator.as_deref() == Some("Exists"))
                && t.effect.as_deref().is_none_or(|e| e.is_empty() || e == "NoExecute")
        });
        let evict_at = match toleration {
            None => Some(added),
            Some(t) => t.toleration_seconds.map(|s| added + s.max(0) * 1000),
        };
        match evict_at {
            Some(t) if t <= now => {
                out.writes.push(Write::Event(Box::new(EventRecord::about(
                    pod,
                    "taint-eviction-controller",
                    false,
                    "TaintManagerEviction",
                    format!("Marking for deletion Pod {}/{}", pod.meta.namespace, pod.meta.name),
                ))));
                out.writes.push(Write::Delete {
                    key: ObjectKey::of(pod),
                    options: DeleteOptions { uid: Some(pod.meta.uid), ..Default::default() },
                });
            }
            Some(t) => out = out.requeue(Some(t)),
            None => {}
        }
    }
    out
}

/// upstream: tryUpdateNodeHealth — past the grace period every other condition the kubelet posts
/// (MemoryPressure, DiskPressure, PIDPressure) becomes Unknown too; a kubelet that reports again
/// posts them as it sees them (kubesim's nodes never run short, so False).
fn set_pressure_conditions(conditions: &mut Vec<core::NodeCondition>, unreachable: bool, now: Millis) {
    const HEALTHY: [(&str, &str, &str); 3] = [
        ("MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
        ("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        ("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    ];
    for (type_, healthy_reason, healthy_message) in HEALTHY {
        let (status, reason, message) = if unreachable {
            ("Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status.")
        } else {
            ("False", healthy_reason, healthy_message)
        };
        let existing = conditions.iter_mut().find(|c| c.type_ == type_);
        if existing.as_ref().is_some_and(|c| c.status == status) {
            continue;
        }
        let cond = core::NodeCondition {
            type_: type_.into(),
            status: status.into(),
            reason: Some(reason.into()),
            message: Some(message.into()),
            last_transition_time: Some(to_time(now)),
            last_heartbeat_time: Some(to_time(now)),
        };
        match existing {
            Some(c) => *c = cond,
            None if unreachable => conditions.push(cond),
            None => {}
        }
    }
}

#[cfg(test)]
mod pressure_tests {
    use super::*;

    fn statuses(conditions: &[core::NodeCondition]) -> Vec<(&str, &str, &str)> {
        conditions
            .iter()
            .map(|c| (c.type_.as_str(), c.status.as_str(), c.reason.as_deref().unwrap_or_default()))
            .collect()
    }

    #[test]
    fn pressure_conditions_go_unknown_with_the_node_and_back_when_it_reports() {
        let mut conditions = Vec::new();
        set_pressure_conditions(&mut conditions, true, 40_000);
        assert_eq!(
            statuses(&conditions),
            [
                ("MemoryPressure", "Unknown", "NodeStatusUnknown"),
                ("DiskPressure", "Unknown", "NodeStatusUnknown"),
                ("PIDPressure", "Unknown", "NodeStatusUnknown"),
            ]
        );
        assert!(conditions.iter().all(|c| c.message.as_deref() == Some("Kubelet stopped posting node status.")));
        // Already Unknown: nothing moves, not even the transition time.
        set_pressure_conditions(&mut conditions, true, 50_000);
        assert!(conditions.iter().all(|c| c.last_transition_time == Some(to_time(40_000))));
        set_pressure_conditions(&mut conditions, false, 60_000);
        assert_eq!(
            statuses(&conditions),
            [
                ("MemoryPressure", "False", "KubeletHasSufficientMemory"),
                ("DiskPressure", "False", "KubeletHasNoDiskPressure"),
                ("PIDPressure", "False", "KubeletHasSufficientPID"),
            ]
        );
    }
}
