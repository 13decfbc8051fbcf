//! What the metrics APIs report as of the latest scrape: metrics-server's pod and node usage,
//! the custom metrics API's Pods metrics and the external metrics API's series.
//!
//! A pod has a sample once every container was running at a scrape on a node whose kubelet
//! answers (Ready), as metrics-server has none before its first scrape after the pod started.

use std::cell::{Cell, OnceCell, RefCell};
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
    deployments: RefCell<FxHashMap<Uid, Option<&'a Object>>>,
    /// The last ReplicaSet asked of `deployments`, and its answer (a sync's pods come in runs
    /// of one ReplicaSet).
    last_deployment: Cell<Option<(Uid, Option<&'a Object>)>>,
    /// Per Deployment and resource: what each of its pods uses idle, and its share of the
    /// demand when Ready (the same for every pod of the Deployment at one scrape).
    shares: RefCell<FxHashMap<(Uid, Resource), Share>>,
    /// The last entry asked of `shares`.
    last_share: Cell<Option<((Uid, Resource), Share)>>,
    /// The pods the caller listed (an HPA's, by its target's selector): when they are all of a
    /// Deployment's pods, its sharers are counted among them rather than read from the store.
    listed: &'a [&'a Arc<Object>],
    /// Per listed pod, whether metrics-server sampled it and whether it is Ready, read once.
    listed_flags: OnceCell<Vec<Flags>>,
}

/// What a pod of a Deployment uses idle, and its share of the Deployment's demand when Ready.
type Share = (i64, i64);

/// What one sample depends on besides the load model: whether the pod was sampled at the
/// scrape, and whether it is Ready.
#[derive(Clone, Copy)]
struct Flags {
    scraped: bool,
    ready: bool,
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
            // (room for a sync's nodes without growing)
            nodes: RefCell::new(FxHashMap::with_capacity_and_hasher(16, Default::default())),
            deployments: RefCell::default(),
            last_deployment: Cell::new(None),
            shares: RefCell::default(),
            last_share: Cell::new(None),
            listed: &[],
            listed_flags: OnceCell::new(),
        }
    }

    /// A reader that knows the pods its caller listed (see [`Reader::sharers`]).
    pub fn listing(mut self, pods: &'a [&'a Arc<Object>]) -> Self {
        self.listed = pods;
        self
    }

    /// The pods given to [`Reader::listing`].
    pub fn listed(&self) -> &'a [&'a Arc<Object>] {
        self.listed
    }

    /// Whether the listed pods are exactly the pods of the ReplicaSets that name `d` as owner,
    /// with nothing else naming those ReplicaSets as owner (the pods `sharers` would walk).
    pub fn listed_are_all_of(&self, d: &Object) -> bool {
        let mut controlled = 0;
        let mut own: Vec<Uid> = Vec::new();
        for rs in self.store.dependents_iter(d.meta.uid).filter(|o| o.kind() == Kind::ReplicaSet) {
            let pods =
                self.store.pod_tally(rs.meta.uid).map_or(0, |t| t.groups.values().map(|g| g.pods as usize).sum());
            if self.store.dependents_count(rs.meta.uid) != pods {
                return false;
            }
            controlled += pods;
            own.push(rs.meta.uid);
        }
        // Every listed pod is one of those ReplicaSets' pods (the tallies count pods by their
        // controller's uid), and there are as many: the listed pods are all of them.
        controlled == self.listed.len()
            && self.listed.iter().all(|p| p.meta.controller_ref().is_some_and(|r| own.contains(&r.uid)))
    }

    fn flags(&self) -> &[Flags] {
        self.listed_flags.get_or_init(|| {
            self.listed.iter().map(|p| Flags { scraped: self.scraped(p), ready: Self::ready(p) }).collect()
        })
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
    pub fn deployment_of(&self, pod: &Object) -> Option<&'a Object> {
        let owner = pod.meta.controller_ref()?;
        if let Some((_, d)) = self.last_deployment.get().filter(|(uid, _)| *uid == owner.uid) {
            return d;
        }
        if let Some(&d) = self.deployments.borrow().get(&owner.uid) {
            self.last_deployment.set(Some((owner.uid, d)));
            return d;
        }
        let store = self.store;
        let d = store.owner(&pod.meta.namespace, owner).and_then(|rs| {
            let d = store.owner(&rs.meta.namespace, rs.meta.controller_ref()?)?;
            (d.kind() == Kind::Deployment).then_some(&**d)
        });
        self.deployments.borrow_mut().insert(owner.uid, d);
        self.last_deployment.set(Some((owner.uid, d)));
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
            let listed = self.listed.iter().zip(self.flags());
            let n = listed
                .filter(|(p, f)| p.kind() == Kind::Pod && f.ready && f.scraped && !self.overridden(p, metric))
                .count() as i64;
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
        self.sample(pod, r, Flags { scraped: self.scraped(pod), ready: Self::ready(pod) })
    }

    /// [`Reader::resource`] of each listed pod, in order, with each pod's flags read once.
    pub fn listed_resources(&self, r: Resource) -> Vec<Option<i64>> {
        self.each_listed(|p, f| self.sample(p, r, f))
    }

    /// [`Reader::pods_metric`] of each listed pod, in order, with each pod's flags read once.
    pub fn listed_pods_metrics(&self, name: &str) -> Vec<Option<i64>> {
        self.each_listed(|p, f| self.pods_sample(p, name, f))
    }

    fn each_listed(&self, value: impl Fn(&Object, Flags) -> Option<i64>) -> Vec<Option<i64>> {
        self.listed.iter().zip(self.flags()).map(|(p, f)| value(p, *f)).collect()
    }

    fn sample(&self, pod: &Object, r: Resource, f: Flags) -> Option<i64> {
        if !f.scraped {
            return None;
        }
        if let Some(v) = self.pod_usage(pod).and_then(|u| r.of(u)) {
            return Some(v);
        }
        let Some(d) = self.deployment_of(pod) else { return Some(0) };
        let (idle, share) = self.share(d, r);
        Some(idle.saturating_add(if f.ready { share } else { 0 }))
    }

    /// What each pod of `d` uses of `r` idle, and its share of `d`'s demand when Ready.
    fn share(&self, d: &Object, r: Resource) -> (i64, i64) {
        let key = (d.meta.uid, r);
        if let Some((_, s)) = self.last_share.get().filter(|(k, _)| *k == key) {
            return s;
        }
        if let Some(&s) = self.shares.borrow().get(&key) {
            self.last_share.set(Some((key, s)));
            return s;
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
        self.shares.borrow_mut().insert(key, s);
        self.last_share.set(Some((key, s)));
        s
    }

    /// A pod's value of the Pods metric `name` at the last scrape; `None` without a sample.
    pub fn pods_metric(&self, pod: &Object, name: &str) -> Option<i64> {
        self.pods_sample(pod, name, Flags { scraped: self.scraped(pod), ready: Self::ready(pod) })
    }

    fn pods_sample(&self, pod: &Object, name: &str, f: Flags) -> Option<i64> {
        if !f.scraped {
            return None;
        }
        if let Some(v) = self.load.pod_metrics.get(&ObjectKey::of(pod)).and_then(|m| m.get(name)) {
            return Some(*v);
        }
        let d = self.deployment_of(pod)?;
        let series = self.load.deployments.get(&ObjectKey::of(d))?.metrics.get(name)?;
        let value = series.value.at(self.scrape);
        if series.per_pod {
            return Some(value);
        }
        let metric = Metric::Pods(name.to_string());
        Some(if f.ready { value / self.sharers(d, &metric).max(1) } else { 0 })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::{Cluster, ClusterOptions, NodeTemplate};
    use crate::metrics::series::Demand;

    fn apply(c: &mut Cluster, text: &str) {
        for r in c.apply_text(text, "t").unwrap() {
            r.unwrap();
        }
    }

    /// What an HPA's sync reads, all at once, is what it would read pod by pod (resources and
    /// a Pods metric shared by the Ready pods): through a rollout (two ReplicaSets), pods not
    /// yet sampled or Ready, a pod whose values are set, and a pod of no Deployment among the
    /// listed ones.
    #[test]
    fn listed_samples_are_each_pods_own() {
        let nodes = (1..=2).map(NodeTemplate::numbered).collect();
        let mut c = Cluster::new(ClusterOptions { seed: 3, threads: 1, nodes, ..Default::default() }).unwrap();
        let deployment = |image: &str| {
            format!("apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web}}\nspec:\n  replicas: 4\n  selector: {{matchLabels: {{app: web}}}}\n  template:\n    metadata: {{labels: {{app: web}}}}\n    spec: {{containers: [{{name: c, image: \"{image}\", resources: {{requests: {{cpu: 100m, memory: 64Mi}}}}, readinessProbe: {{httpGet: {{path: /, port: 80}}, initialDelaySeconds: 40}}}}]}}\n")
        };
        apply(&mut c, &deployment("nginx:1.25"));
        c.set_load("default", "web", Some(Demand::Constant(900)), None, Usage { cpu: Some(10), memory: Some(5) })
            .unwrap();
        c.set_pods_metric("default", "web", "rps", Some((Demand::Constant(1200), false))).unwrap();
        let selector = Selector::parse("app=web").unwrap();
        // (no sample, idle only: running but not Ready, with a share of the demand)
        let mut seen = (0, 0, 0);
        let check = |c: &Cluster, seen: &mut (usize, usize, usize)| {
            let pods = c.store().list_refs(Kind::Pod, Some("default"), &selector);
            let reader = c.metrics_reader().listing(&pods);
            for r in [Resource::Cpu, Resource::Memory] {
                // (a reader not given the listing counts each Deployment's sharers from the store)
                let one_by_one = c.metrics_reader();
                let each: Vec<Option<i64>> = pods.iter().map(|p| one_by_one.resource(p, r)).collect();
                assert_eq!(reader.listed_resources(r), each, "{r:?} at {}", c.now());
            }
            let one_by_one = c.metrics_reader();
            let each: Vec<Option<i64>> = pods.iter().map(|p| one_by_one.pods_metric(p, "rps")).collect();
            assert_eq!(reader.listed_pods_metrics("rps"), each, "rps at {}", c.now());
            for v in reader.listed_resources(Resource::Cpu) {
                match v {
                    None => seen.0 += 1,
                    Some(10) => seen.1 += 1,
                    Some(v) if v > 10 => seen.2 += 1,
                    Some(_) => {}
                }
            }
        };
        // (in steps shorter than the scrape interval, as the samples change at scrapes too)
        for _ in 0..24 {
            c.advance(5_000).unwrap();
            check(&c, &mut seen);
        }
        c.set_image("default", "web", &[("c".into(), "nginx:1.26".into())], None).unwrap();
        let name = c.store().scan(Kind::Pod, None).next().unwrap().meta.name.to_string();
        c.set_usage("default", &name, Usage { cpu: Some(77), memory: None }).unwrap();
        c.set_pod_metric("default", &name, "rps", Some(5)).unwrap();
        apply(&mut c, "apiVersion: v1\nkind: Pod\nmetadata: {name: stray, labels: {app: web}}\nspec: {containers: [{name: c, image: nginx}]}\n");
        for _ in 0..36 {
            c.advance(5_000).unwrap();
            check(&c, &mut seen);
        }
        assert!(seen.0 > 0 && seen.1 > 0 && seen.2 > 0, "every kind of sample was compared: {seen:?}");
    }
}
