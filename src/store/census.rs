//! What the store holds, counted as it is written: objects per kind, pods per phase, Ready
//! and terminating, and the Services with a pod selector per namespace.
//! [`crate::cluster::Cluster::stats`] reads it, so a caller that polls the counts (a
//! `run_until` predicate) pays for what it asks, not for every stored object; a pod write asks
//! whether any Service of its namespace could select it before looking for one.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::api::object::service_selector;
use crate::api::pod::Phase;
use crate::api::{Body, Kind, Object};

const PHASES: [Phase; 5] = [Phase::Pending, Phase::Running, Phase::Succeeded, Phase::Failed, Phase::Unknown];

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Census {
    kinds: [u64; Kind::ALL.len()],
    phases: [u64; PHASES.len()],
    ready: u64,
    terminating: u64,
    /// Services with a pod selector, per namespace (none listed at zero).
    selecting: FxHashMap<Arc<str>, u64>,
}

/// Counts of the stored pods.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PodCounts {
    pub ready: u64,
    pub terminating: u64,
}

impl Census {
    /// `obj` stored.
    pub fn add(&mut self, obj: &Object) {
        self.count(obj, 1);
    }

    /// `obj` no longer stored.
    pub fn remove(&mut self, obj: &Object) {
        self.count(obj, u64::MAX);
    }

    /// `old` replaced by `new` (same key).
    pub fn replace(&mut self, old: &Object, new: &Object) {
        if let (Body::Pod { .. }, Body::Pod { .. }) | (Body::Service(_), Body::Service(_)) = (&old.body, &new.body) {
            self.remove(old);
            self.add(new);
        }
    }

    /// Add `delta` (1, or −1 as wrapping u64) to what `obj` counts in.
    fn count(&mut self, obj: &Object, delta: u64) {
        let kind = &mut self.kinds[kind_index(obj.kind())];
        *kind = kind.wrapping_add(delta);
        if let Body::Pod { status, .. } = &obj.body {
            let phase = &mut self.phases[phase_index(status.phase)];
            *phase = phase.wrapping_add(delta);
            if status.is_ready() {
                self.ready = self.ready.wrapping_add(delta);
            }
            if obj.meta.deletion_timestamp().is_some() {
                self.terminating = self.terminating.wrapping_add(delta);
            }
        }
        if matches!(&obj.body, Body::Service(svc) if service_selector(svc).is_some()) {
            let n = self.selecting.entry(obj.meta.namespace.clone()).or_default();
            *n = n.wrapping_add(delta);
            if *n == 0 {
                self.selecting.remove(&obj.meta.namespace);
            }
        }
    }

    /// How many objects of `kind` are stored.
    pub fn of_kind(&self, kind: Kind) -> u64 {
        self.kinds[kind_index(kind)]
    }

    /// Stored pods per phase, for the phases at least one pod is in.
    pub fn pod_phases(&self) -> impl Iterator<Item = (Phase, u64)> + '_ {
        PHASES.into_iter().zip(self.phases).filter(|&(_, n)| n > 0)
    }

    /// How many Services of `namespace` have a pod selector.
    pub fn selecting_services(&self, namespace: &str) -> u64 {
        self.selecting.get(namespace).copied().unwrap_or(0)
    }

    pub fn pods(&self) -> PodCounts {
        PodCounts { ready: self.ready, terminating: self.terminating }
    }
}

fn kind_index(kind: Kind) -> usize {
    kind as usize
}

fn phase_index(phase: Phase) -> usize {
    phase as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Service counts in its namespace while it has a pod selector: not with an empty one,
    /// nor as an ExternalName Service; a change of selector or type moves it in or out.
    #[test]
    fn services_count_in_their_namespace_while_they_select_pods() {
        let svc = |ns: &str, selector: serde_json::Value, type_: &str| {
            Object::decode(serde_json::json!({
                "apiVersion": "v1", "kind": "Service",
                "metadata": {"name": "s", "namespace": ns},
                "spec": {"selector": selector, "type": type_, "ports": [{"port": 80}],
                         "externalName": "example.com"},
            }))
            .unwrap()
        };
        let app = serde_json::json!({"app": "web"});
        let mut c = Census::default();
        let (a, b) = (svc("a", app.clone(), "ClusterIP"), svc("b", app.clone(), "ClusterIP"));
        c.add(&a);
        c.add(&b);
        c.add(&svc("a", serde_json::json!({}), "ClusterIP"));
        c.add(&svc("a", app.clone(), "ExternalName"));
        assert_eq!((c.selecting_services("a"), c.selecting_services("b"), c.selecting_services("c")), (1, 1, 0));
        let external = svc("a", app.clone(), "ExternalName");
        c.replace(&a, &external);
        assert_eq!(c.selecting_services("a"), 0);
        c.replace(&external, &a);
        assert_eq!(c.selecting_services("a"), 1);
        c.remove(&b);
        c.remove(&a);
        assert_eq!((c.selecting_services("a"), c.selecting_services("b")), (0, 0));
        let mut fresh = Census::default();
        fresh.add(&svc("a", serde_json::json!({}), "ClusterIP"));
        fresh.add(&svc("a", app, "ExternalName"));
        assert_eq!(c, fresh, "a namespace at zero is listed no more");
    }

    #[test]
    fn kinds_and_phases_index_their_tables_in_order() {
        for (i, kind) in Kind::ALL.into_iter().enumerate() {
            assert_eq!(kind_index(kind), i, "{kind:?}");
        }
        for (i, phase) in PHASES.into_iter().enumerate() {
            assert_eq!(phase_index(phase), i, "{phase:?}");
        }
    }
}
