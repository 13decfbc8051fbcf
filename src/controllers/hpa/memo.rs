//! An HPA's last Resource and Pods metric proposals, with a record of everything they were
//! worked out from. While nothing in the record has changed, a sync answers from it: a sync
//! over pods that did not change, under a load that did not change, costs what the record
//! holds instead of a read of every pod (the cost model: a scrape costs O(HPAs + pods whose
//! usage changed)). upstream recomputes at every sync; the answers are the same, since the
//! record holds every input the replica calculator reads, and debug builds recompute every
//! answer the record gives and compare.
//!
//! The record is kept only where the load model allows it: no per-pod usage or metric set
//! (demand spread evenly over a Deployment's pods), only Resource and Pods metrics, a target
//! selector the label index can stamp, and pods that are all of their Deployments' pods (so
//! the demand's sharers are among them).

use std::sync::Arc;

use k8s_openapi::api::autoscaling::v2 as hpa;

use super::calc::Calc;
use super::{MetricFailure, CPU_INITIALIZATION_PERIOD};
use crate::api::pod::{ConditionType, ContainerState};
use crate::api::{Body, Kind, Object, Uid};
use crate::labels::Selector;
use crate::metrics::{Load, LoadModel, SCRAPE_INTERVAL};
use crate::sim::clock::Millis;
use crate::store::{ObjectKey, Stamp, Store};

/// One metric's proposal, the name a rescale reason uses, and its `currentMetrics` entry; or
/// why it has none.
pub(super) type Outcome = Result<(i32, String, hpa::MetricStatus), MetricFailure>;

/// An HPA's last proposals and what they were worked out from.
#[derive(Clone, Debug)]
pub struct Memo {
    inputs: Inputs,
    /// The record holds while the latest scrape is before this: a container that had not
    /// started by the scrape, or a pod Ready less than a scrape interval before it, is read
    /// otherwise at a later scrape.
    scrape_before: Millis,
    /// ... and while the clock is before this: a pod's CPU initialization period ends.
    now_before: Millis,
    pub(super) outcomes: Vec<Outcome>,
}

/// What the proposals read, but for the pods themselves (which `pods` and `controllers` stamp).
#[derive(Clone, Debug, PartialEq)]
struct Inputs {
    /// The scale target's uid, and the selector of its scale subresource.
    target: Uid,
    selector: Selector,
    current: i32,
    status_replicas: i32,
    metrics: Option<Vec<hpa::MetricSpec>>,
    /// When the pods the selector can match last came, went or changed labels.
    pods: Stamp,
    /// The last write of a Node (whether its kubelet answers scrapes).
    nodes: u64,
    /// The controllers of the pods, and every ReplicaSet of their Deployments.
    controllers: Vec<Controller>,
    deployments: Vec<Deployment>,
    /// Per Pods metric (in order): whether any series of it exists.
    known: Vec<bool>,
}

/// A controller of pods, and what a read of its pods depends on.
#[derive(Clone, Debug, PartialEq)]
struct Controller {
    kind: Kind,
    name: Arc<str>,
    uid: Uid,
    /// The last write of a pod it controls.
    written: Option<u64>,
    /// When its dependents last came or went.
    dependents: Stamp,
    /// Whether it is stored, and then its own controller as the pods' reads find it (kind and
    /// uid of the stored object its controller reference names, if any).
    found: Option<Option<(Kind, Uid)>>,
}

impl Controller {
    fn read(store: &Store, namespace: &str, kind: Kind, name: &Arc<str>, uid: Uid) -> Controller {
        Controller {
            kind,
            name: name.clone(),
            uid,
            written: store.pods_written(uid),
            dependents: store.dependents_stamp(uid),
            found: Self::find(store, namespace, kind, name, uid),
        }
    }

    /// What [`Controller::found`] holds: the lookups of a pod's Deployment (`Reader`'s
    /// `deployment_of`: the controller by kind, name and uid, then its own controller likewise).
    fn find(store: &Store, namespace: &str, kind: Kind, name: &str, uid: Uid) -> Option<Option<(Kind, Uid)>> {
        let o = store.lookup(kind, namespace, name).filter(|o| o.meta.uid == uid)?;
        let owner = o.meta.controller_ref().and_then(|r| store.owner(namespace, r));
        Some(owner.map(|d| (d.kind(), d.meta.uid)))
    }

    fn holds(&self, store: &Store, namespace: &str) -> bool {
        store.pods_written(self.uid) == self.written
            && store.dependents_stamp(self.uid) == self.dependents
            && Self::find(store, namespace, self.kind, &self.name, self.uid) == self.found
    }
}

/// A Deployment whose pods share its demand, and the load it was read under.
#[derive(Clone, Debug, PartialEq)]
struct Deployment {
    key: ObjectKey,
    uid: Uid,
    /// When its dependents (its ReplicaSets) last came or went.
    dependents: Stamp,
    load: Option<Load>,
    /// What the load's series read at the scrape: cpu, memory, then each Pods metric's.
    values: Vec<i64>,
}

impl Deployment {
    fn read(store: &Store, load: &LoadModel, d: &Object, scrape: Millis) -> Deployment {
        let key = ObjectKey::of(d);
        let load = load.deployments.get(&key);
        Deployment {
            uid: d.meta.uid,
            dependents: store.dependents_stamp(d.meta.uid),
            values: values_at(load, scrape).collect(),
            load: load.cloned(),
            key,
        }
    }

    fn holds(&self, store: &Store, load: &LoadModel, scrape: Millis) -> bool {
        let now = load.deployments.get(&self.key);
        store.get_by_key(&self.key).is_some_and(|d| d.meta.uid == self.uid)
            && store.dependents_stamp(self.uid) == self.dependents
            && now == self.load.as_ref()
            && values_at(now, scrape).eq(self.values.iter().copied())
    }
}

/// What a Deployment's load series read at `scrape` (see [`Deployment::values`]).
fn values_at(load: Option<&Load>, scrape: Millis) -> impl Iterator<Item = i64> + '_ {
    let at = move |t: &Option<crate::metrics::Timed>| t.as_ref().map_or(0, |t| t.at(scrape));
    let series = load.into_iter().flat_map(move |l| [at(&l.cpu), at(&l.memory)]);
    series.chain(load.into_iter().flat_map(|l| l.metrics.values()).map(move |s| s.value.at(scrape)))
}

/// Whether the load model spreads demand evenly (no usage or Pods metric set on a pod alone).
fn even(load: &LoadModel) -> bool {
    load.pods.is_empty() && load.pod_metrics.is_empty()
}

/// Whether any series of the Pods metric `name` exists, per Pods metric of `metrics`.
fn known(load: &LoadModel, metrics: Option<&Vec<hpa::MetricSpec>>) -> Vec<bool> {
    let pods = metrics.into_iter().flatten().filter_map(|m| m.pods.as_ref());
    pods.map(|p| load.deployments.values().any(|l| l.metrics.contains_key(&p.metric.name))).collect()
}

/// What a sync reads of its target besides its pods and their selector.
pub(super) struct Target<'a> {
    pub uid: Uid,
    pub current: i32,
    pub status_replicas: i32,
    pub metrics: Option<&'a Vec<hpa::MetricSpec>>,
}

impl Memo {
    /// The record of a sync that worked `outcomes` out with `calc`, if one can be kept.
    pub(super) fn record(
        store: &Store,
        load: &LoadModel,
        calc: &Calc,
        target: &Target,
        selector: &Selector,
        outcomes: &[Outcome],
    ) -> Option<Memo> {
        let metrics = target.metrics.into_iter().flatten();
        if !even(load) || !metrics.clone().all(|m| matches!(m.type_.as_str(), "Resource" | "Pods")) {
            return None;
        }
        let namespace = calc.namespace;
        let pods_stamp = store.selector_stamp(Kind::Pod, namespace, selector)?;
        let (scrape, now) = (calc.reader.scrape, calc.now);
        let (mut scrape_before, mut now_before) = (Millis::MAX, Millis::MAX);
        let mut controllers: Vec<Controller> = Vec::new();
        let mut deployments: Vec<Deployment> = Vec::new();
        for p in calc.reader.listed() {
            let Body::Pod { status, .. } = &p.body else { return None };
            // The instants at which what the calculator reads of this pod changes with time.
            for c in &status.containers {
                if let ContainerState::Running { started_at } = c.state {
                    if started_at > scrape {
                        scrape_before = scrape_before.min(started_at);
                    }
                }
            }
            if let Some(c) = status.condition(ConditionType::Ready) {
                if c.last_transition + SCRAPE_INTERVAL > scrape {
                    scrape_before = scrape_before.min(c.last_transition + SCRAPE_INTERVAL);
                }
            }
            if let Some(start) = status.start_time() {
                if start + CPU_INITIALIZATION_PERIOD > now {
                    now_before = now_before.min(start + CPU_INITIALIZATION_PERIOD);
                }
            }
            // Its controller, and its controller's Deployment, read once each.
            let r = p.meta.controller_ref()?;
            if controllers.iter().any(|c| c.uid == r.uid) {
                continue;
            }
            let kind = Kind::ALL.into_iter().find(|k| k.name() == &*r.kind)?;
            controllers.push(Controller::read(store, namespace, kind, &r.name, r.uid));
            let Some(d) = calc.reader.deployment_of(p) else { continue };
            if deployments.iter().any(|x| x.uid == d.meta.uid) {
                continue;
            }
            // (else some of its pods are not listed: their reads are not in the record)
            if !calc.reader.listed_are_all_of(d) {
                return None;
            }
            deployments.push(Deployment::read(store, load, d, scrape));
        }
        for d in &deployments {
            for rs in store.dependents_iter(d.uid).filter(|o| o.kind() == Kind::ReplicaSet) {
                if !controllers.iter().any(|c| c.uid == rs.meta.uid) {
                    controllers.push(Controller::read(store, namespace, Kind::ReplicaSet, &rs.meta.name, rs.meta.uid));
                }
            }
        }
        let inputs = Inputs {
            target: target.uid,
            selector: selector.clone(),
            current: target.current,
            status_replicas: target.status_replicas,
            metrics: target.metrics.cloned(),
            pods: pods_stamp,
            nodes: store.nodes_written(),
            controllers,
            deployments,
            known: known(load, target.metrics),
        };
        Some(Memo { inputs, scrape_before, now_before, outcomes: outcomes.to_vec() })
    }

    /// Whether a sync at `now` would read what this record holds.
    pub(super) fn holds(
        &self,
        store: &Store,
        load: &LoadModel,
        namespace: &str,
        target: &Target,
        selector: &Selector,
        now: Millis,
    ) -> bool {
        let i = &self.inputs;
        let scrape = load.last_scrape(now);
        scrape < self.scrape_before
            && now < self.now_before
            && i.target == target.uid
            && i.current == target.current
            && i.status_replicas == target.status_replicas
            && i.selector == *selector
            && i.metrics.as_ref() == target.metrics
            && i.nodes == store.nodes_written()
            && even(load)
            && store.selector_stamp(Kind::Pod, namespace, selector) == Some(i.pods)
            && i.controllers.iter().all(|c| c.holds(store, namespace))
            && i.deployments.iter().all(|d| d.holds(store, load, scrape))
            && known(load, target.metrics) == i.known
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::{Cluster, ClusterOptions, NodeTemplate};
    use crate::metrics::read::Reader;
    use crate::metrics::{Demand, Usage};

    const WEB: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 4\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: c, image: nginx, resources: {requests: {cpu: 100m}}}]}\n";

    fn apply(c: &mut Cluster, text: &str) {
        for r in c.apply_text(text, "t").unwrap() {
            r.unwrap();
        }
    }

    fn metrics() -> Vec<hpa::MetricSpec> {
        serde_json::from_value(serde_json::json!([
            {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}
        ]))
        .unwrap()
    }

    /// What a sync of an HPA on `web` would record at this instant, with `current` replicas.
    fn record(c: &Cluster, metrics: &Vec<hpa::MetricSpec>, current: i32) -> Option<Memo> {
        let d = c.store().get(Kind::Deployment, "default", "web").unwrap();
        let selector = Selector::parse("app=web").unwrap();
        let pods = c.store().list_refs(Kind::Pod, Some("default"), &selector);
        let load = c.load_model();
        let calc =
            Calc { reader: Reader::new(c.store(), load, c.now()).listing(&pods), namespace: "default", now: c.now() };
        let outcomes: Vec<Outcome> =
            metrics.iter().map(|m| super::super::compute_metric(&calc, m, current, 4)).collect();
        let target = Target { uid: d.meta.uid, current, status_replicas: 4, metrics: Some(metrics) };
        Memo::record(c.store(), load, &calc, &target, &selector, &outcomes)
    }

    fn holds(c: &Cluster, memo: &Memo, metrics: &Vec<hpa::MetricSpec>, current: i32) -> bool {
        let d = c.store().get(Kind::Deployment, "default", "web").unwrap();
        let selector = Selector::parse("app=web").unwrap();
        let target = Target { uid: d.meta.uid, current, status_replicas: 4, metrics: Some(metrics) };
        memo.holds(c.store(), c.load_model(), "default", &target, &selector, c.now())
    }

    /// A record holds while nothing it was worked out from changes, and stops holding at each
    /// kind of change: the load, a pod of the target, a pod that comes to match the selector,
    /// a Node, the end of a pod's CPU initialization period, and the target's replica count.
    #[test]
    fn a_record_holds_until_what_it_read_changes() {
        let nodes = (1..=2).map(NodeTemplate::numbered).collect();
        let mut c = Cluster::new(ClusterOptions { seed: 5, threads: 1, nodes, ..Default::default() }).unwrap();
        apply(&mut c, WEB);
        c.set_load("default", "web", Some(Demand::Constant(300)), None, Usage::default()).unwrap();
        let m = metrics();
        c.advance(600_000).unwrap();
        let memo = record(&c, &m, 4).expect("a record under even load");
        assert_eq!((memo.scrape_before, memo.now_before), (Millis::MAX, Millis::MAX), "no pod changes with time");
        c.advance(45_000).unwrap();
        assert!(holds(&c, &memo, &m, 4), "nothing changed");
        assert!(!holds(&c, &memo, &m, 5), "the target's replica count");

        // The load.
        c.set_load("default", "web", Some(Demand::Constant(500)), None, Usage::default()).unwrap();
        assert!(!holds(&c, &memo, &m, 4), "a new demand");
        c.set_load("default", "web", Some(Demand::Constant(300)), None, Usage::default()).unwrap();
        let memo = record(&c, &m, 4).unwrap();

        // A pod of no controller that comes to match the selector: no record while it is there.
        apply(&mut c, "apiVersion: v1\nkind: Pod\nmetadata: {name: stray, labels: {app: web}}\nspec: {containers: [{name: c, image: nginx}]}\n");
        assert!(!holds(&c, &memo, &m, 4), "a new pod the selector matches");
        assert!(record(&c, &m, 4).is_none(), "a pod without a controller is read as it is");
        c.delete(Kind::Pod, "default", "stray").unwrap();
        c.advance(60_000).unwrap();

        // A pod of the target: one deleted, and its replacement's CPU initialization period.
        let memo = record(&c, &m, 4).unwrap();
        let victim =
            c.store().list(Kind::Pod, Some("default"), &Selector::parse("app=web").unwrap())[0].meta.name.clone();
        c.delete(Kind::Pod, "default", &victim).unwrap();
        assert!(!holds(&c, &memo, &m, 4), "a pod deleted");
        c.advance(60_000).unwrap();
        let memo = record(&c, &m, 4).unwrap();
        assert!(memo.now_before < Millis::MAX, "the new pod's CPU initialization period ends later");
        c.run_to(memo.now_before - 1).unwrap();
        assert!(holds(&c, &memo, &m, 4), "before the period ends");
        c.run_to(memo.now_before).unwrap();
        assert!(!holds(&c, &memo, &m, 4), "when it ends");

        // A pod's write alone (the selector's matches stay the same).
        let memo = record(&c, &m, 4).unwrap();
        c.patch(Kind::Pod, "default", &victim_of(&c), &serde_json::json!({"metadata": {"annotations": {"a": "b"}}}))
            .unwrap();
        assert!(!holds(&c, &memo, &m, 4), "a pod written");

        // A Node.
        let memo = record(&c, &m, 4).unwrap();
        assert!(holds(&c, &memo, &m, 4));
        c.fail_node("node-1").unwrap();
        c.advance(60_000).unwrap();
        assert!(!holds(&c, &memo, &m, 4), "a Node written");
    }

    /// A scheduled load holds the record until the scrape at which its value changes.
    #[test]
    fn a_record_holds_until_the_scheduled_load_changes() {
        let nodes = (1..=2).map(NodeTemplate::numbered).collect();
        let mut c = Cluster::new(ClusterOptions { seed: 5, threads: 1, nodes, ..Default::default() }).unwrap();
        apply(&mut c, WEB);
        c.advance(600_000).unwrap();
        let schedule = Demand::Schedule(vec![(0, 300), (120_000, 300), (240_000, 600)]);
        c.set_load("default", "web", Some(schedule), None, Usage::default()).unwrap();
        let set = c.now();
        let m = metrics();
        let memo = record(&c, &m, 4).unwrap();
        c.run_to(set + 239_999).unwrap();
        assert!(holds(&c, &memo, &m, 4), "the same value at every scrape so far");
        // The first scrape at or after the change reads the new value.
        let scrape = c.load_model().last_scrape(set + 240_000 + 14_999);
        c.run_to(scrape - 1).unwrap();
        assert!(holds(&c, &memo, &m, 4), "the scrape before reads the old value");
        c.run_to(scrape).unwrap();
        assert!(!holds(&c, &memo, &m, 4), "the scrape after the change");
    }

    /// What a sync would work out now, from the pods.
    fn fresh(c: &Cluster, metrics: &[hpa::MetricSpec], current: i32) -> Vec<Outcome> {
        let selector = Selector::parse("app=web").unwrap();
        let pods = c.store().list_refs(Kind::Pod, Some("default"), &selector);
        let reader = Reader::new(c.store(), c.load_model(), c.now()).listing(&pods);
        let calc = Calc { reader, namespace: "default", now: c.now() };
        metrics.iter().map(|m| super::super::compute_metric(&calc, m, current, 4)).collect()
    }

    fn ready_cluster() -> Cluster {
        let nodes = (1..=2).map(NodeTemplate::numbered).collect();
        let mut c = Cluster::new(ClusterOptions { seed: 5, threads: 1, nodes, ..Default::default() }).unwrap();
        apply(&mut c, WEB);
        c.set_load("default", "web", Some(Demand::Constant(300)), None, Usage::default()).unwrap();
        c.advance(600_000).unwrap();
        c
    }

    /// Written straight to the store (no controller reacts), as an informer could see it.
    fn write(c: &mut Cluster, kind: Kind, name: &str, change: impl FnOnce(&mut Object)) {
        let mut o = (*c.store().get(kind, "default", name).unwrap()).clone();
        change(&mut o);
        // (a Node's conditions are its status)
        match kind {
            Kind::Node => c.store_mut().update_status(o).unwrap(),
            _ => c.store_mut().update(o).unwrap(),
        };
    }

    /// A ReplicaSet whose controller reference comes to name its Deployment (same uid, the
    /// name put right): the pods' Deployment, and so their share of its load, is found anew.
    #[test]
    fn a_record_does_not_hold_when_the_pods_deployment_is_found_anew() {
        let mut c = ready_cluster();
        let m = metrics();
        let rs = c.store().scan(Kind::ReplicaSet, Some("default")).next().unwrap().meta.name.to_string();
        let rename =
            |to: &'static str| move |o: &mut Object| Arc::make_mut(&mut o.meta.owner_references)[0].name = to.into();
        write(&mut c, Kind::ReplicaSet, &rs, rename("not-web"));
        let memo = record(&c, &m, 4).unwrap();
        write(&mut c, Kind::ReplicaSet, &rs, rename("web"));
        assert_ne!(memo.outcomes, fresh(&c, &m, 4), "the load is read again");
        assert!(!holds(&c, &memo, &m, 4));
    }

    /// Nodes written alone (their kubelets stop answering scrapes), and a Deployment deleted
    /// alone: nothing else the record holds moves.
    #[test]
    fn a_record_does_not_hold_after_a_node_or_the_deployment_alone_changes() {
        let mut c = ready_cluster();
        let m = metrics();
        let memo = record(&c, &m, 4).unwrap();
        for node in ["node-1", "node-2"] {
            write(&mut c, Kind::Node, node, |o| {
                if let Body::Node { status, .. } = &mut o.body {
                    for cond in status.conditions.iter_mut().flatten() {
                        cond.status = "Unknown".into();
                    }
                }
            });
        }
        assert_ne!(memo.outcomes, fresh(&c, &m, 4), "no pod has a sample");
        assert!(!holds(&c, &memo, &m, 4));

        let mut c = ready_cluster();
        let memo = record(&c, &m, 4).unwrap();
        let d = c.store().get(Kind::Deployment, "default", "web").unwrap();
        c.store_mut().remove_now(&ObjectKey::of(&d), d.meta.uid).unwrap();
        assert_ne!(memo.outcomes, fresh(&c, &m, 4), "the pods share no Deployment's load");
        let target = Target { uid: d.meta.uid, current: 4, status_replicas: 4, metrics: Some(&m) };
        let selector = Selector::parse("app=web").unwrap();
        assert!(!memo.holds(c.store(), c.load_model(), "default", &target, &selector, c.now()));
    }

    /// A pod started after the last scrape, or Ready less than a scrape interval before it,
    /// reads otherwise at a later scrape with no write: the record holds until that scrape.
    #[test]
    fn a_record_holds_until_a_new_pod_reads_otherwise_at_a_scrape() {
        let mut c = ready_cluster();
        let m = metrics();
        c.patch(Kind::Deployment, "default", "web", &serde_json::json!({"spec": {"replicas": 5}})).unwrap();
        // (until the new pod is Ready and written no more)
        let ready = |c: &Cluster| {
            c.store()
                .scan(Kind::Pod, Some("default"))
                .all(|p| matches!(&p.body, Body::Pod { status, .. } if status.is_ready()))
        };
        while !ready(&c) {
            c.advance(100).unwrap();
        }
        let memo = record(&c, &m, 5).unwrap();
        assert!(memo.scrape_before < Millis::MAX, "the new pod reads otherwise at a later scrape");
        let scrape = c.load_model().last_scrape(memo.scrape_before + SCRAPE_INTERVAL - 1);
        c.run_to(scrape - 1).unwrap();
        assert!(holds(&c, &memo, &m, 5), "before that scrape");
        assert_eq!(memo.outcomes, fresh(&c, &m, 5));
        c.run_to(scrape).unwrap();
        assert!(!holds(&c, &memo, &m, 5), "at that scrape");
    }

    fn victim_of(c: &Cluster) -> String {
        c.store().list(Kind::Pod, Some("default"), &Selector::parse("app=web").unwrap())[0].meta.name.to_string()
    }
}
