//! What the metrics APIs report as of the latest scrape: metrics-server's pod and node usage,
//! the custom metrics API's Pods metrics and the external metrics API's series.
//!
//! A pod has a sample once every container was running at a scrape on a node whose kubelet
//! answers (Ready), as metrics-server has none before its first scrape after the pod started.

use std::cell::RefCell;
use std::collections::BTreeMap;

use rustc_hash::FxHashMap;
use std::sync::Arc;

use super::{LoadModel, Usage};
use crate::api::meta::Uid;
use crate::api::pod::ContainerState;
use crate::api::{Body, Kind, Object};
use crate::labels::Selector;
use crate::sim::clock::Millis;
use crate::store::{ObjectKey, Store};

/// A resource metrics-server measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Resource {
    Cpu,
    Memory,
}

impl Resource {
    pub fn parse(name: &str) -> Option<Resource> {
        match name {
            "cpu" => Some(Resource::Cpu),
            "memory" => Some(Resource::Memory),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Resource::Cpu => "cpu",
            Resource::Memory => "memory",
        }
    }

    fn of(self, u: &Usage) -> Option<i64> {
        match self {
            Resource::Cpu => u.cpu,
            Resource::Memory => u.memory,
        }
    }
}

/// Which value of a pod: a resource, or a Pods metric by name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Metric {
    Resource(Resource),
    Pods(String),
}

/// Reads metrics for one decision (one HPA sync, one `kubectl top`). It remembers how many
/// pods share each Deployment's demand, so a sync over N pods stays O(N).
pub struct Reader<'a> {
    store: &'a Store,
    load: &'a LoadModel,
    /// The scrape the values come from.
    pub scrape: Millis,
    sharers: RefCell<BTreeMap<(ObjectKey, Metric), i64>>,
    /// Whether each node read so far answers scrapes (many pods share a few nodes).
    nodes: RefCell<FxHashMap<Box<str>, bool>>,
    /// The Deployment of each ReplicaSet read so far (a sync's pods share one or two).
    deployments: RefCell<FxHashMap<Uid, Option<Arc<Object>>>>,
    /// Per Deployment and resource: what each of its pods uses idle, and its share of the
    /// demand when Ready (the same for every pod of the Deployment at one scrape).
    shares: RefCell<FxHashMap<(Uid, Resource), (i64, i64)>>,
    /// The pods the caller listed (an HPA's, by its target's selector): when they are all of a
    /// Deployment's pods, its sharers are counted among them rather than read from the store.
    listed: &'a [Arc<Object>],
}

fn node_name(pod: &Object) -> Option<&str> {
    match &pod.body {
        Body::Pod { spec, status } => spec.node_name.as_deref().or(status.node_name.as_deref()),
        _ => None,
    }
}

/// Whether a Node's Ready condition is True (its kubelet answers scrapes).
pub fn node_ready(node: &Object) -> bool {
    match &node.body {
        Body::Node { status, .. } => {
            status.conditions.iter().flatten().any(|c| c.type_ == "Ready" && c.status == "True")
        }
        _ => false,
    }
}

impl<'a> Reader<'a> {
    pub fn new(store: &'a Store, load: &'a LoadModel, now: Millis) -> Self {
        Reader {
            store,
            load,
            scrape: load.last_scrape(now),
            sharers: RefCell::new(BTreeMap::new()),
            nodes: RefCell::default(),
            deployments: RefCell::default(),
            shares: RefCell::default(),
            listed: &[],
        }
    }

    /// A reader that knows the pods its caller listed (see [`Reader::sharers`]).
    pub fn listing(mut self, pods: &'a [Arc<Object>]) -> Self {
        self.listed = pods;
        self
    }

    /// Whether the listed pods are exactly the pods of `d`'s ReplicaSets: every one belongs
    /// to `d`, and as many were listed as those ReplicaSets control, with nothing else naming
    /// them as owner.
    fn listed_are_all_of(&self, d: &Object) -> bool {
        let mut controlled = 0;
        for rs in self.store.dependents_iter(d.meta.uid).filter(|o| o.kind() == Kind::ReplicaSet) {
            let pods =
                self.store.pod_tally(rs.meta.uid).map_or(0, |t| t.groups.values().map(|g| g.pods as usize).sum());
            if self.store.dependents_count(rs.meta.uid) != pods {
                return false;
            }
            controlled += pods;
        }
        controlled == self.listed.len()
            && self.listed.iter().all(|p| self.deployment_of(p).is_some_and(|x| x.meta.uid == d.meta.uid))
    }

    /// Whether metrics-server had a sample of the pod at the last scrape.
    pub fn scraped(&self, pod: &Object) -> bool {
        let Body::Pod { status, .. } = &pod.body else { return false };
        let running = !status.containers.is_empty()
            && status
                .containers
                .iter()
                .all(|c| matches!(c.state, ContainerState::Running { started_at } if started_at <= self.scrape));
        running && node_name(pod).is_some_and(|n| self.node_answers(n))
    }

    fn node_answers(&self, name: &str) -> bool {
        if let Some(ready) = self.nodes.borrow().get(name) {
            return *ready;
        }
        let ready = self.store.lookup(Kind::Node, "", name).is_some_and(|n| node_ready(n));
        self.nodes.borrow_mut().insert(name.into(), ready);
        ready
    }

    fn ready(pod: &Object) -> bool {
        matches!(&pod.body, Body::Pod { status, .. } if status.is_ready())
    }

    /// The Deployment a pod belongs to (pod → ReplicaSet → Deployment).
    fn deployment_of(&self, pod: &Object) -> Option<Arc<Object>> {
        let owner = pod.meta.controller_ref()?;
        if let Some(d) = self.deployments.borrow().get(&owner.uid) {
            return d.clone();
        }
        let d = self.store.owner(&pod.meta.namespace, owner).and_then(|rs| {
            let d = self.store.owner(&rs.meta.namespace, rs.meta.controller_ref()?)?;
            (d.kind() == Kind::Deployment).then(|| d.clone())
        });
        self.deployments.borrow_mut().insert(owner.uid, d.clone());
        d
    }

    fn overridden(&self, pod: &Object, metric: &Metric) -> bool {
        match metric {
            Metric::Resource(r) => self.pod_usage(pod).and_then(|u| r.of(u)).is_some(),
            Metric::Pods(name) => {
                !self.load.pod_metrics.is_empty()
                    && self.load.pod_metrics.get(&ObjectKey::of(pod)).is_some_and(|m| m.contains_key(name))
            }
        }
    }

    /// The usage set on this pod alone, if any (most runs set none: no key is built then).
    fn pod_usage(&self, pod: &Object) -> Option<&Usage> {
        if self.load.pods.is_empty() {
            return None;
        }
        self.load.pods.get(&ObjectKey::of(pod))
    }

    /// How many pods share a Deployment's demand: Ready, sampled, and without an override.
    fn sharers(&self, d: &Object, metric: &Metric) -> i64 {
        let key = (ObjectKey::of(d), metric.clone());
        if let Some(n) = self.sharers.borrow().get(&key) {
            return *n;
        }
        let shares =
            |p: &Object| p.kind() == Kind::Pod && Self::ready(p) && self.scraped(p) && !self.overridden(p, metric);
        let walked = || -> i64 {
            let rss = self.store.dependents_iter(d.meta.uid).filter(|o| o.kind() == Kind::ReplicaSet);
            rss.map(|rs| self.store.dependents_iter(rs.meta.uid).filter(|p| shares(p)).count() as i64).sum()
        };
        let n = if !self.listed.is_empty() && self.listed_are_all_of(d) {
            let n = self.listed.iter().filter(|p| shares(p)).count() as i64;
            debug_assert_eq!(n, walked(), "sharers of {} among the listed pods", d.meta.name);
            n
        } else {
            walked()
        };
        self.sharers.borrow_mut().insert(key, n);
        n
    }

    /// A pod's CPU or memory usage (milli-units) at the last scrape; `None` without a sample.
    pub fn resource(&self, pod: &Object, r: Resource) -> Option<i64> {
        if !self.scraped(pod) {
            return None;
        }
        if let Some(v) = self.pod_usage(pod).and_then(|u| r.of(u)) {
            return Some(v);
        }
        let Some(d) = self.deployment_of(pod) else { return Some(0) };
        let (idle, share) = self.share(&d, r);
        Some(idle.saturating_add(if Self::ready(pod) { share } else { 0 }))
    }

    /// What each pod of `d` uses of `r` idle, and its share of `d`'s demand when Ready.
    fn share(&self, d: &Object, r: Resource) -> (i64, i64) {
        if let Some(s) = self.shares.borrow().get(&(d.meta.uid, r)) {
            return *s;
        }
        let s = match self.load.deployments.get(&ObjectKey::of(d)) {
            None => (0, 0),
            Some(load) => {
                let idle = r.of(&load.idle).unwrap_or(0);
                let demand = match r {
                    Resource::Cpu => load.cpu.as_ref(),
                    Resource::Memory => load.memory.as_ref(),
                };
                let share = demand.map_or(0, |t| t.at(self.scrape) / self.sharers(d, &Metric::Resource(r)).max(1));
                (idle, share)
            }
        };
        self.shares.borrow_mut().insert((d.meta.uid, r), s);
        s
    }

    /// A pod's value of the Pods metric `name` at the last scrape; `None` without a sample.
    pub fn pods_metric(&self, pod: &Object, name: &str) -> Option<i64> {
        if !self.scraped(pod) {
            return None;
        }
        if let Some(v) = self.load.pod_metrics.get(&ObjectKey::of(pod)).and_then(|m| m.get(name)) {
            return Some(*v);
        }
        let d = self.deployment_of(pod)?;
        let series = self.load.deployments.get(&ObjectKey::of(&d))?.metrics.get(name)?;
        let value = series.value.at(self.scrape);
        if series.per_pod {
            return Some(value);
        }
        let metric = Metric::Pods(name.to_string());
        Some(if Self::ready(pod) { value / self.sharers(&d, &metric).max(1) } else { 0 })
    }

    /// Whether any series of the Pods metric `name` exists (else the adapter cannot find it).
    pub fn pods_metric_known(&self, name: &str) -> bool {
        self.load.deployments.values().any(|l| l.metrics.contains_key(name))
            || self.load.pod_metrics.values().any(|m| m.contains_key(name))
    }

    /// The values of the External metric `name`'s series matching `selector`; `None` if no
    /// series of that name exists.
    pub fn external(&self, name: &str, selector: &Selector) -> Option<Vec<i64>> {
        let all = self.load.external.get(name)?;
        Some(all.iter().filter(|s| selector.matches(&s.labels)).map(|s| s.value.at(self.scrape)).collect())
    }

    /// Usage per node: the sum over its sampled pods, for nodes whose kubelet answers.
    pub fn nodes(&self) -> BTreeMap<Arc<str>, (i64, i64)> {
        let mut out: BTreeMap<Arc<str>, (i64, i64)> = self
            .store
            .scan(Kind::Node, None)
            .filter(|n| node_ready(n))
            .map(|n| (n.meta.name.clone(), (0, 0)))
            .collect();
        for p in self.store.scan(Kind::Pod, None) {
            let Some(slot) = node_name(p).and_then(|n| out.get_mut(n)) else { continue };
            let (Some(cpu), Some(mem)) = (self.resource(p, Resource::Cpu), self.resource(p, Resource::Memory)) else {
                continue;
            };
            slot.0 = slot.0.saturating_add(cpu);
            slot.1 = slot.1.saturating_add(mem);
        }
        out
    }
}
