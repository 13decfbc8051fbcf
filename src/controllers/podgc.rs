//! The pod garbage collector's orphan rule (upstream: pkg/controller/podgc, gcOrphaned): a pod
//! bound to a node that no longer exists is marked Failed with `DisruptionTarget=True`
//! (DeletionByPodGC) and force-deleted, once the node has stayed gone through the quarantine.
//!
//! Upstream checks every 20 s (gcCheckPeriod, from the controller's start); the first check that
//! finds a pod's node missing puts the node in quarantine for 40 s (quarantineTime), and the
//! first check after that deletes the node's pods. kubesim runs the controller only for nodes
//! that went (or pods bound to a node that never existed), at the instants those checks happen.
//! Not modelled: gcTerminated (the --terminated-pod-gc-threshold of 12,500 finished pods) and
//! gcTerminating (out-of-service taints).

use super::{Ctx, DeleteOptions, Reconciled, Write};
use crate::api::pod::{Disruption, Phase};
use crate::api::{Body, Kind};
use crate::sim::clock::Millis;
use crate::store::ObjectKey;

/// upstream: gcCheckPeriod.
pub const CHECK_PERIOD: Millis = 20_000;
/// upstream: quarantineTime.
pub const QUARANTINE: Millis = 40_000;

/// The first check at or after `t`, on the controller's 20 s grid from the cluster's start.
fn next_check(start: Millis, t: Millis) -> Millis {
    start + ((t - start).max(0) + CHECK_PERIOD - 1) / CHECK_PERIOD * CHECK_PERIOD
}

/// When the pods bound to a node missing since `gone` are deleted: the check after the
/// quarantine that the first check to see it missing began.
pub fn deletion_time(start: Millis, gone: Millis) -> Millis {
    next_check(start, next_check(start, gone) + QUARANTINE)
}

/// `key` is the Node's key (the node may never have existed: a pod can name any node).
pub fn reconcile(ctx: &Ctx, key: &ObjectKey) -> Reconciled {
    if ctx.store.get_by_key(key).is_some() {
        return Reconciled::nothing();
    }
    let pods = ctx.pods_on(&key.name);
    let tracked = ctx.nodes.gone.get(&*key.name).copied();
    let mut out = Reconciled::nothing();
    if pods.is_empty() {
        if tracked.is_some() {
            out.writes.push(Write::NodeGone { node: key.name.clone(), since: None });
        }
        return out;
    }
    let due = deletion_time(ctx.load.start, tracked.unwrap_or(ctx.now));
    if ctx.now < due {
        if tracked.is_none() {
            out.writes.push(Write::NodeGone { node: key.name.clone(), since: Some(ctx.now) });
        }
        return out.requeue(Some(due));
    }
    for pod in pods {
        let Body::Pod { status, .. } = &pod.body else { continue };
        // upstream: markFailedAndDeletePodWithCondition — Failed first (no kubelet will ever
        // finish it), then the delete with grace period 0.
        if !status.phase.is_terminal() {
            let mut failed = (**pod).clone();
            if let Body::Pod { status, .. } = &mut failed.body {
                status.phase = Phase::Failed;
                status.set_disruption_target(ctx.now, Disruption::PodGc);
            }
            out.writes.push(Write::UpdateStatus(Box::new(failed)));
        }
        out.writes.push(Write::Delete {
            key: ObjectKey::shared(Kind::Pod, &pod.meta.namespace, &pod.meta.name),
            options: DeleteOptions { uid: Some(pod.meta.uid), grace_period_seconds: Some(0), ..Default::default() },
        });
    }
    out.writes.push(Write::NodeGone { node: key.name.clone(), since: None });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pods_go_at_the_first_check_after_the_quarantine() {
        // (start, node gone at) → pods deleted at; checks every 20 s from the start.
        let rows = [
            (0, 0, 40_000, "gone at a check: quarantined from it, deleted two checks later"),
            (0, 1, 60_000, "gone just after a check: seen at 20 s, deleted at 60 s"),
            (0, 19_999, 60_000, "gone just before a check"),
            (0, 20_000, 60_000, "gone at the 20 s check"),
            (5_000, 30_000, 85_000, "the grid starts with the cluster: checks at 5, 25, 45 s, …"),
        ];
        for (start, gone, want, why) in rows {
            assert_eq!(deletion_time(start, gone), want, "{why}");
        }
    }
}
