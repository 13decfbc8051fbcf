//! A simulated cluster: the store, the virtual clock and the operations a client performs
//! (apply, create, replace, patch, delete, get, list, watch, advance).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::api::manifest::{parse_documents_with, Document};
use crate::api::{Kind, Object};
use crate::controllers::ControllerId;
use crate::engine::Engine;
use crate::error::{KubesimError, Result};
use crate::labels::Selector;
use crate::metrics::{Demand, Usage};
use crate::sim::clock::{Clock, Millis, DEFAULT_EPOCH_MS};
use crate::store::{DeleteOptions, ObjectKey, Store, StoreError, WatchEvent};

mod eviction;
#[cfg(test)]
mod latency_tests;
mod snapshot;
mod status;
pub use eviction::{Eviction, EvictionError};

/// upstream: kubectl's client-side apply annotation.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// The namespaces a new cluster has.
pub const INITIAL_NAMESPACES: [&str; 4] = ["default", "kube-node-lease", "kube-public", "kube-system"];

/// How a node is described when the cluster is built (`Cluster(nodes=[...])`).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NodeTemplate {
    pub name: String,
    #[serde(default = "default_cpu")]
    pub cpu: String,
    #[serde(default = "default_memory")]
    pub memory: String,
    #[serde(default = "default_pods")]
    pub pods: u32,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub taints: Vec<k8s_openapi::api::core::v1::Taint>,
    /// How long after it is added the node's kubelet reports Ready (`None`: at once), drawn
    /// from the cluster seed and the node's name.
    #[serde(default)]
    pub ready_after: Option<crate::kubelet::dist::Dist>,
}

fn default_cpu() -> String {
    "4".into()
}
fn default_memory() -> String {
    "16Gi".into()
}
fn default_pods() -> u32 {
    110
}

impl NodeTemplate {
    pub fn numbered(i: usize) -> NodeTemplate {
        NodeTemplate {
            name: format!("node-{i}"),
            cpu: default_cpu(),
            memory: default_memory(),
            pods: default_pods(),
            labels: BTreeMap::new(),
            taints: Vec::new(),
            ready_after: None,
        }
    }

    /// The Node object a kubelet would register for this template; `index` picks its
    /// InternalIP and pod CIDR.
    /// How long after it is added this node is Ready (0: at once): the template's
    /// `ready_after`, drawn from (seed, node name) so that no other object changes it.
    pub fn draw_ready_after(&self, seed: u64) -> Millis {
        let key = crate::sim::rng::stable_hash(seed, &[b"node ready_after", self.name.as_bytes()]);
        self.ready_after.as_ref().map_or(0, |d| d.draw(key))
    }

    /// The Node object a kubelet would register for this template, NotReady (and tainted
    /// not-ready:NoSchedule, as upstream's kubelet registers it) if it is `booting`; `index`
    /// picks its InternalIP and pod CIDR.
    fn booting_manifest(&self, index: usize, now: Millis, booting: bool) -> Value {
        let mut v = self.manifest(index, now);
        if !booting {
            return v;
        }
        let not_ready = crate::controllers::nodelifecycle::NOT_READY;
        let mut taints = serde_json::to_value(&self.taints).unwrap_or(Value::Array(Vec::new()));
        if let Value::Array(list) = &mut taints {
            list.push(json!({"key": not_ready, "effect": "NoSchedule"}));
        }
        v["spec"]["taints"] = taints;
        if let Some(Value::Array(conds)) = v["status"].get_mut("conditions") {
            for c in conds.iter_mut().filter(|c| c["type"] == "Ready") {
                c["status"] = "False".into();
                c["reason"] = "KubeletNotReady".into();
                c["message"] = "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized".into();
            }
        }
        v
    }

    fn manifest(&self, index: usize, now: Millis) -> Value {
        let t = crate::api::meta::to_time(now);
        let cond = |type_: &str, status: &str, reason: &str, message: &str| {
            json!({"type": type_, "status": status, "reason": reason, "message": message,
                   "lastHeartbeatTime": t, "lastTransitionTime": t})
        };
        let mut labels: Map<String, Value> = Map::new();
        labels.insert("kubernetes.io/arch".into(), "amd64".into());
        labels.insert("kubernetes.io/hostname".into(), self.name.clone().into());
        labels.insert("kubernetes.io/os".into(), "linux".into());
        for (k, v) in &self.labels {
            labels.insert(k.clone(), v.clone().into());
        }
        let resources = json!({"cpu": self.cpu, "memory": self.memory, "pods": self.pods.to_string()});
        json!({
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": self.name, "labels": labels},
            "spec": {
                "podCIDR": format!("10.244.{index}.0/24"),
                "podCIDRs": [format!("10.244.{index}.0/24")],
                "taints": if self.taints.is_empty() { Value::Null } else { serde_json::to_value(&self.taints).unwrap_or(Value::Null) },
            },
            "status": {
                "conditions": [
                    cond("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                    cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                    cond("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                    cond("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
                ],
                "capacity": resources,
                "allocatable": resources,
                "addresses": [
                    {"type": "InternalIP", "address": format!("10.0.0.{}", index + 1)},
                    {"type": "Hostname", "address": self.name},
                ],
                "nodeInfo": {
                    "architecture": "amd64", "bootID": "", "containerRuntimeVersion": "containerd://2.0.0",
                    "kernelVersion": "6.1.0", "kubeProxyVersion": "", "kubeletVersion": "v1.33.0",
                    "machineID": "", "operatingSystem": "linux", "osImage": "kubesim", "systemUUID": "",
                },
            },
        })
    }
}

#[derive(Clone, Debug)]
pub struct ClusterOptions {
    pub seed: u64,
    /// Unix milliseconds at which virtual time starts.
    pub start: Millis,
    pub nodes: Vec<NodeTemplate>,
    /// Reconcile threads; results do not depend on it.
    pub threads: usize,
    /// The control-plane and node latencies modelled (none by default).
    pub latency: crate::sim::latency::Latency,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        ClusterOptions {
            seed: 0,
            start: DEFAULT_EPOCH_MS,
            nodes: (1..=3).map(NodeTemplate::numbered).collect(),
            threads: 1,
            latency: Default::default(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApplyAction {
    Created,
    Configured,
    Unchanged,
}

/// What a LIST or WATCH selects: kind, namespace, labels and fields (for the API server and
/// `c.kubectl()` alike).
pub struct Filter {
    pub kind: Kind,
    pub namespace: Option<String>,
    pub labels: Selector,
    pub fields: crate::labels::FieldSelector,
}

impl Filter {
    pub fn matches(&self, o: &Object) -> bool {
        o.kind() == self.kind
            && self.namespace.as_deref().is_none_or(|ns| !self.kind.namespaced() || *o.meta.namespace == *ns)
            && self.labels.matches(&o.meta.labels)
            && self.fields.matches(o)
    }

    /// Whether an object can start or stop matching while it lives (a label or a field other
    /// than its name): then a watch must follow each object's membership.
    pub fn can_change(&self) -> bool {
        !self.labels.requirements().is_empty() || !self.fields.only_identity()
    }

    /// The matching objects, in the API server's order (namespace, then name).
    pub fn list(&self, c: &Cluster) -> Vec<Arc<Object>> {
        let store = c.store();
        if let Some(name) = self.fields.equal("metadata.name") {
            if !self.kind.namespaced() || self.namespace.is_some() {
                let ns = if self.kind.namespaced() { self.namespace.as_deref().unwrap_or("") } else { "" };
                return store.lookup(self.kind, ns, name).filter(|o| self.matches(o)).cloned().into_iter().collect();
            }
        }
        // What kubectl describe asks for: the Events about one object, from the store's index.
        // (An empty uid selects the Events without one, which the index leaves out.)
        if let Some(uid) = self.fields.equal("involvedObject.uid").filter(|u| self.kind == Kind::Event && !u.is_empty())
        {
            let namespace = self.namespace.as_deref();
            return store.events_about(uid, namespace).filter(|o| self.matches(o)).cloned().collect();
        }
        let mut out = store.list(self.kind, self.namespace.as_deref(), &self.labels);
        out.retain(|o| self.fields.matches(o));
        out
    }
}

/// One line of `kubectl apply` output.
#[derive(Clone, Debug, PartialEq)]
pub struct ApplyResult {
    pub kind: Kind,
    pub namespace: String,
    pub name: String,
    pub action: ApplyAction,
    /// What kubectl prints on stderr for this object, if anything.
    pub warning: Option<String>,
}

impl fmt::Display for ApplyResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let action = match self.action {
            ApplyAction::Created => "created",
            ApplyAction::Configured => "configured",
            ApplyAction::Unchanged => "unchanged",
        };
        write!(f, "{}/{} {action}", self.kind.qualified_singular(), self.name)
    }
}

#[derive(Clone, Debug)]
pub struct Cluster {
    store: Store,
    clock: Clock,
    engine: Engine,
    /// While set, user writes are observed but the controllers wait (one multi-document apply
    /// is one user action).
    batching: bool,
}

impl Cluster {
    pub fn new(options: ClusterOptions) -> Result<Cluster> {
        let mut c = Cluster {
            store: Store::new(options.seed),
            clock: Clock::new(options.start),
            engine: Engine::new(options.threads)?,
            batching: false,
        };
        options.latency.check().map_err(KubesimError::InvalidArgument)?;
        c.engine.latency = options.latency.clone();
        c.engine.load.start = options.start;
        c.engine.start_scheduler(options.start);
        for ns in INITIAL_NAMESPACES {
            c.create_value(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}))?;
        }
        // upstream: the API server makes the kubernetes Service when it starts.
        c.create_value(crate::controllers::kubernetes_service::manifest())?;
        let mut seen = std::collections::BTreeSet::new();
        for (i, n) in options.nodes.iter().enumerate() {
            if !seen.insert(n.name.clone()) {
                return Err(KubesimError::InvalidArgument(format!("duplicate node name {:?}", n.name)));
            }
            if let Some(d) = &n.ready_after {
                d.check().map_err(|e| KubesimError::InvalidArgument(format!("node {}: ready_after: {e}", n.name)))?;
            }
            let ready_after = n.draw_ready_after(options.seed);
            if ready_after > 0 {
                let name: Arc<str> = Arc::from(n.name.as_str());
                c.engine.nodes.booting.insert(name, c.clock.now() + ready_after);
            }
            // A kubelet registers its node with status; create keeps what the node reports.
            let obj = Object::decode(n.booting_manifest(i + 1, c.clock.now(), ready_after > 0))?;
            let created = c.store.create(obj, c.clock.now())?;
            c.engine.observe(&c.store, None, None, Some(&created));
        }
        c.settle()?;
        Ok(c)
    }

    /// An independent copy that continues exactly as this cluster would with the same calls.
    /// Stored objects are shared (they are immutable `Arc`s, replaced on write); the indexes,
    /// timers and controller memory are copied, so a fork costs O(objects), not O(history).
    pub fn fork(&self) -> Cluster {
        self.clone()
    }

    /// Draw the uids and generated names created from now on from `seed`.
    pub fn reseed(&mut self, seed: u64) {
        self.store.reseed(seed);
    }

    pub fn store(&self) -> &Store {
        &self.store
    }
    #[cfg(test)]
    pub(crate) fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }
    pub fn clock(&self) -> &Clock {
        &self.clock
    }
    pub fn now(&self) -> Millis {
        self.clock.now()
    }
    pub fn threads(&self) -> usize {
        self.engine.threads()
    }
    /// The latencies modelled (see [`crate::sim::latency`]).
    pub fn latency(&self) -> &crate::sim::latency::Latency {
        &self.engine.latency
    }
    /// Run `f` once on every worker thread of the reconcile pool.
    pub fn on_workers(&self, f: &(dyn Fn() + Sync)) {
        self.engine.on_workers(f);
    }
    /// Set a Deployment's demand (spread over its Ready pods) and the idle usage of each of its
    /// running pods. `None` leaves a value as it is.
    pub fn set_load(
        &mut self,
        namespace: &str,
        deployment: &str,
        cpu: Option<Demand>,
        memory: Option<Demand>,
        idle: Usage,
    ) -> Result<()> {
        let d = self.store.get(Kind::Deployment, namespace, deployment)?;
        self.engine.load.set_load(ObjectKey::of(&d), cpu, memory, idle, self.clock.now())?;
        Ok(())
    }

    /// Fix one pod's usage (milli-units), overriding its share of the Deployment's demand.
    pub fn set_usage(&mut self, namespace: &str, pod: &str, usage: Usage) -> Result<()> {
        let p = self.store.get(Kind::Pod, namespace, pod)?;
        self.engine.load.pods.insert(ObjectKey::of(&p), usage);
        Ok(())
    }

    /// `kubectl describe KIND NAME` (pods, ReplicaSets, Deployments, HPAs, nodes, namespaces).
    pub fn describe(&self, kind: Kind, namespace: &str, name: &str) -> Result<String> {
        let ctx = crate::kubectl::describe::Context {
            store: &self.store,
            now: self.clock.now(),
            stopped_kubelets: &self.engine.nodes.down,
        };
        crate::kubectl::describe::describe(&ctx, kind, namespace, name)
    }

    /// `kubectl rollout history --revision`: a ReplicaSet's pod template, TABs unaligned.
    pub fn describe_template(&self, namespace: &str, replica_set: &str) -> Result<String> {
        crate::kubectl::describe::replica_set_template(&self.store, namespace, replica_set)
    }

    /// `kubectl rollout history daemonset --revision`: a ControllerRevision's pod template.
    pub fn describe_revision_template(&self, namespace: &str, revision: &str) -> Result<String> {
        crate::kubectl::describe::revision_template(&self.store, namespace, revision)
    }

    /// Set (or with `None` remove) a Deployment's Pods metric: `(value, per_pod)` — every
    /// running pod reports the value, or (`per_pod` false) its Ready pods share it.
    pub fn set_pods_metric(
        &mut self,
        namespace: &str,
        deployment: &str,
        name: &str,
        value: Option<(Demand, bool)>,
    ) -> Result<()> {
        check_metric_name(name)?;
        let d = self.store.get(Kind::Deployment, namespace, deployment)?;
        self.engine.load.set_pods_metric(ObjectKey::of(&d), name, value, self.clock.now())?;
        Ok(())
    }

    /// Fix (or with `None` clear) one pod's value of a Pods metric (milli-units).
    pub fn set_pod_metric(&mut self, namespace: &str, pod: &str, name: &str, value: Option<i64>) -> Result<()> {
        check_metric_name(name)?;
        let p = self.store.get(Kind::Pod, namespace, pod)?;
        let key = ObjectKey::of(&p);
        let metrics = self.engine.load.pod_metrics.entry(key.clone()).or_default();
        match value {
            Some(v) => {
                metrics.insert(name.to_string(), v);
            }
            None => {
                metrics.remove(name);
                if metrics.is_empty() {
                    self.engine.load.pod_metrics.remove(&key);
                }
            }
        }
        Ok(())
    }

    /// Set (or with `None` remove) one series of an External metric, identified by its labels.
    pub fn set_external_metric(
        &mut self,
        name: &str,
        labels: BTreeMap<String, String>,
        value: Option<Demand>,
    ) -> Result<()> {
        check_metric_name(name)?;
        for (k, v) in &labels {
            let errs =
                [crate::labels::validation::is_qualified_name(k), crate::labels::validation::is_valid_label_value(v)]
                    .concat();
            if let Some(e) = errs.first() {
                return Err(KubesimError::InvalidArgument(format!(
                    "invalid label {k}={v:?} of external metric {name}: {e}"
                )));
            }
        }
        self.engine.load.set_external(name, labels, value, self.clock.now())?;
        Ok(())
    }

    /// `kubectl top pods|nodes` as kubectl prints it; `""` when no pod matched (kubectl then
    /// says "No resources found"). `namespace` `None` is `-A`.
    pub fn top(
        &self,
        kind: Kind,
        namespace: Option<&str>,
        request: &crate::kubectl::top::TopRequest,
    ) -> Result<String> {
        crate::kubectl::top::render(&self.store, &self.engine.load, self.clock.now(), kind, namespace, request)
    }

    /// What the resource metrics API reports now (metrics-server's view: the last scrape).
    pub fn metrics_reader(&self) -> crate::metrics::read::Reader<'_> {
        crate::metrics::read::Reader::new(&self.store, &self.engine.load, self.clock.now())
    }

    /// The load model the metrics APIs read.
    pub fn load_model(&self) -> &crate::metrics::LoadModel {
        &self.engine.load
    }

    /// Turn Event recording on or off (events cost memory in very large simulations).
    pub fn set_record_events(&mut self, on: bool) {
        self.engine.record_events = on;
    }
    /// How many objects the store may hold (see [`KubesimError::ObjectBudget`]).
    pub fn max_objects(&self) -> usize {
        self.engine.max_objects
    }
    pub fn set_max_objects(&mut self, n: usize) {
        self.engine.max_objects = n;
    }
    /// What is asked between rounds and instants whether to stop (Ctrl-C): a long run then
    /// returns [`KubesimError::Interrupted`], consistent, with what is left to do still marked.
    pub fn set_interrupt(&mut self, asked: Option<Arc<dyn Fn() -> bool + Send + Sync>>) {
        self.engine.interrupt = asked;
    }
    /// A container's log, as `GET …/pods/{name}/log` returns it (see [`crate::kubelet::logs`]).
    pub fn pod_log(&self, namespace: &str, name: &str, opts: &crate::kubelet::logs::LogOptions) -> Result<String> {
        crate::kubelet::logs::pod_log(&self.store, &self.engine.images, self.clock.now(), namespace, name, opts)
    }
    /// `…/pods/{name}/exec`: a command in a container (see [`crate::kubelet::exec`]).
    pub fn pod_exec(
        &self,
        namespace: &str,
        name: &str,
        container: Option<&str>,
        argv: &[String],
    ) -> Result<crate::kubelet::exec::ExecOutcome> {
        crate::kubelet::exec::pod_exec(
            &self.store,
            &self.engine.images,
            self.clock.now(),
            namespace,
            name,
            container,
            argv,
        )
    }
    pub fn images_mut(&mut self) -> &mut crate::kubelet::images::ImageRegistry {
        &mut self.engine.images
    }

    /// When the next timer fires, if any is pending.
    pub fn next_event_time(&self) -> Option<Millis> {
        self.engine.next_timer()
    }

    /// When the next timer that can change the cluster fires: [`Cluster::next_event_time`]
    /// without the scheduler's leftover flushes (which only try again, and fail again, pods
    /// that failed in a cluster that has not changed since). A wait with no timeout ends when
    /// there is none.
    pub fn next_change_time(&self) -> Option<Millis> {
        self.engine.next_change_timer()
    }

    /// Move virtual time forward by `ms`, running everything that falls due on the way.
    pub fn advance(&mut self, ms: Millis) -> Result<()> {
        let target = self.clock.now().saturating_add(ms.max(0));
        self.run_to(target)
    }

    /// Fire timers in `(time, sequence)` order up to and including `target`, settling the
    /// controllers at each instant, then rest at `target`.
    pub fn run_to(&mut self, target: Millis) -> Result<()> {
        // What an interrupted call left to do belongs to this instant, before time moves on.
        self.settle()?;
        while let Some(t) = self.engine.next_timer().filter(|t| *t <= target) {
            self.sample_until(t)?;
            self.clock.set(t);
            self.store.begin_instant(t);
            self.engine.fire_due(t);
            self.settle()?;
            self.engine.check_interrupt()?;
        }
        if target > self.clock.now() {
            self.sample_until(target)?;
            self.clock.set(target);
            self.store.begin_instant(target);
            // Nothing is due, but time-based cleanup (event expiry) still happens.
            self.settle()?;
        }
        Ok(())
    }

    /// Sample computed loads and metrics at every scrape up to `t`, serially. If one fails,
    /// time stops at that scrape (nothing due then has run) and the error names the series.
    fn sample_until(&mut self, t: Millis) -> Result<()> {
        self.engine.load.sample_until(t).map_err(|e| {
            let at = self.clock.start() + e.elapsed_ms;
            if at > self.clock.now() {
                self.clock.set(at);
                self.store.begin_instant(at);
            }
            e.into()
        })
    }

    /// Run the controllers to a fixpoint at the current instant.
    pub fn settle(&mut self) -> Result<()> {
        self.engine.settle(&mut self.store, self.clock.now())
    }

    /// Counts for a quick look (and for benchmarks): objects per kind, pods per phase, ready pods.
    pub fn stats(&self) -> BTreeMap<String, u64> {
        // Counted as the store is written: a poll costs the kinds, not the stored objects.
        let census = self.store.census();
        let mut out: BTreeMap<String, u64> = BTreeMap::new();
        for kind in Kind::ALL {
            out.insert(kind.plural().to_string(), census.of_kind(kind));
        }
        for (phase, n) in census.pod_phases() {
            out.insert(format!("pods_{}", phase.as_str().to_ascii_lowercase()), n);
        }
        let pods = census.pods();
        for (name, n) in [("pods_ready", pods.ready), ("pods_terminating", pods.terminating)] {
            if n > 0 {
                out.insert(name.into(), n);
            }
        }
        out.insert("resource_version".into(), self.store.resource_version());
        out
    }

    /// Stop a node's kubelet: after the grace period the node goes NotReady, is tainted, and its
    /// pods are evicted once their tolerations run out.
    pub fn fail_node(&mut self, name: &str) -> Result<()> {
        let node = self.store.get(Kind::Node, "", name)?;
        self.engine.nodes.down.insert(node.meta.name.clone(), self.clock.now());
        self.engine.mark(ControllerId::NodeLifecycle, ObjectKey::of(&node));
        self.settle()
    }

    /// Restart a node's kubelet: the node is Ready again and its kubelet resumes its pods.
    pub fn recover_node(&mut self, name: &str) -> Result<()> {
        let node = self.store.get(Kind::Node, "", name)?;
        self.engine.nodes.down.remove(&*node.meta.name);
        self.engine.mark(ControllerId::NodeLifecycle, ObjectKey::of(&node));
        let on_node: Vec<ObjectKey> = self
            .store
            .scan(Kind::Pod, None)
            .filter(|p| crate::controllers::replicaset::node_of(p) == Some(name))
            .map(|p| ObjectKey::of(p))
            .collect();
        for k in on_node {
            self.engine.mark(ControllerId::Kubelet, k);
        }
        self.settle()
    }

    /// A user write: tell the controllers, then let them act at this instant.
    fn user_wrote(&mut self, old: Option<&Arc<Object>>, new: Option<&Arc<Object>>) -> Result<()> {
        if let (Some(o), Some(n)) = (old, new) {
            if Arc::ptr_eq(o, n) {
                return Ok(());
            }
        }
        self.engine.observe(&self.store, None, old.map(|o| &**o), new.map(|n| &**n));
        if self.batching {
            return Ok(());
        }
        self.settle()
    }

    pub fn get(&self, kind: Kind, namespace: &str, name: &str) -> Result<Arc<Object>> {
        Ok(self.store.get(kind, namespace, name)?)
    }

    /// List `kind` in `namespace` (all namespaces for `None`) matching a selector string.
    pub fn list(&self, kind: Kind, namespace: Option<&str>, selector: &str) -> Result<Vec<Arc<Object>>> {
        let selector = Selector::parse(selector)?;
        Ok(self.store.list(kind, namespace, &selector))
    }

    /// The Events whose involvedObject names `uid`, in `namespace` (all namespaces for `None`),
    /// in list order: read from the store's index, not from every Event.
    pub fn events_about(&self, uid: &str, namespace: Option<&str>) -> Vec<Arc<Object>> {
        self.store.events_about(uid, namespace).cloned().collect()
    }

    /// The objects of `kind` in `namespace` whose controller reference names `owner`, in list
    /// order: read from the owner index, not from every object of the kind.
    pub fn controlled(&self, kind: Kind, namespace: &str, owner: crate::api::meta::Uid) -> Vec<Arc<Object>> {
        self.store
            .dependents_of_kind(owner, kind)
            .filter(|o| *o.meta.namespace == *namespace && o.meta.controller_ref().is_some_and(|r| r.uid == owner))
            .cloned()
            .collect()
    }

    pub fn watch_since(&self, resource_version: u64) -> Result<Vec<WatchEvent>> {
        Ok(self.store.watch_since(resource_version)?)
    }

    /// Create from a manifest object (like `kubectl create -f`).
    pub fn create_value(&mut self, value: Value) -> Result<Arc<Object>> {
        let mut obj = Object::decode(value)?;
        self.allocate(&mut obj)?;
        self.engine.check_budget(&self.store, 1)?;
        let created = self.store.create(obj, self.clock.now())?;
        self.user_wrote(None, Some(&created))?;
        Ok(self.store.get_by_key(&ObjectKey::of(&created)).cloned().unwrap_or(created))
    }

    /// What the Service REST storage does before it stores a new Service: allocate its cluster
    /// IP and node ports (reading the Services stored, which are few).
    fn allocate(&self, obj: &mut Object) -> Result<()> {
        let crate::api::Body::Service(svc) = &mut obj.body else { return Ok(()) };
        let mut in_use = crate::api::allocate::InUse::default();
        for o in self.store.scan(Kind::Service, None) {
            if let crate::api::Body::Service(s) = &o.body {
                in_use.add(s);
            }
        }
        let key = format!("{}/{}", obj.meta.namespace, obj.meta.name);
        let errors = crate::api::allocate::allocate(svc, &key, &in_use);
        if errors.is_empty() {
            return Ok(());
        }
        Err(crate::api::ApiError::Invalid { kind: Kind::Service, name: obj.meta.name.to_string(), errors }.into())
    }

    /// Replace an object (like `kubectl replace -f`); a resourceVersion in the manifest must be current.
    pub fn replace_value(&mut self, value: Value) -> Result<Arc<Object>> {
        let mut obj = Object::decode(value)?;
        if obj.kind().namespaced() && obj.meta.namespace.is_empty() {
            obj.meta.namespace = "default".into();
        }
        self.update_and_settle(obj)
    }

    fn update_and_settle(&mut self, obj: Object) -> Result<Arc<Object>> {
        let key = ObjectKey::of(&obj);
        let (old, new) = self.store.write(obj, false)?;
        // An update that took a terminating object's last finalizer away removed it.
        let remaining = self.store.get_by_key(&key).cloned();
        self.user_wrote(Some(&old), remaining.as_ref())?;
        Ok(new)
    }

    /// JSON merge patch (RFC 7386) of an object's spec and metadata.
    pub fn patch(&mut self, kind: Kind, namespace: &str, name: &str, patch: &Value) -> Result<Arc<Object>> {
        let live = self.store.get(kind, namespace, name)?;
        let mut doc = live.to_json();
        merge_patch(&mut doc, patch);
        let obj = Object::decode(doc)?;
        self.update_and_settle(obj)
    }

    /// `kubectl set image` on a Deployment: each container (init containers too) named in
    /// `images`, or every container for `*`, gets that image; `cause`, if given, becomes the
    /// `kubernetes.io/change-cause` annotation. The same write as a merge patch of the containers
    /// with their images changed, made on the typed object (no JSON in between). Returns whether
    /// an image changed (nothing is written when none did).
    pub fn set_image(
        &mut self,
        namespace: &str,
        name: &str,
        images: &[(String, String)],
        cause: Option<&str>,
    ) -> Result<bool> {
        let live = self.store.get(Kind::Deployment, namespace, name)?;
        let mut d = live.deployment_wire().expect("a stored Deployment is one");
        let spec = d.spec.as_mut().and_then(|s| s.template.spec.as_mut()).expect("a Deployment's template has a spec");
        let named = |n: &str| spec.init_containers.iter().flatten().chain(&spec.containers).any(|c| c.name == n);
        // upstream: kubectl set image refuses a container the template does not have.
        if let Some((missing, _)) = images.iter().find(|(n, _)| n != "*" && !named(n)) {
            return Err(KubesimError::InvalidArgument(format!("unable to find container named \"{missing}\"")));
        }
        let image_for = |n: &str| {
            let exact = images.iter().find(|(c, _)| c == n);
            exact.or_else(|| images.iter().find(|(c, _)| c == "*")).map(|(_, image)| image)
        };
        let mut changed = false;
        for c in spec.init_containers.iter_mut().flatten().chain(spec.containers.iter_mut()) {
            let Some(image) = image_for(&c.name) else { continue };
            if c.image.as_ref() != Some(image) {
                c.image = Some(image.clone());
                changed = true;
            }
        }
        if !changed {
            return Ok(false);
        }
        if let Some(cause) = cause {
            d.metadata.annotations.get_or_insert_default().insert("kubernetes.io/change-cause".into(), cause.into());
        }
        self.update_and_settle(Object::from_deployment(d)?)?;
        Ok(true)
    }

    /// Delete with default options (`kubectl delete`).
    pub fn delete(&mut self, kind: Kind, namespace: &str, name: &str) -> Result<Arc<Object>> {
        self.delete_with(kind, namespace, name, DeleteOptions::default())
    }

    /// Delete with propagation and grace period (`kubectl delete --cascade=… --grace-period=…`).
    pub fn delete_with(
        &mut self,
        kind: Kind,
        namespace: &str,
        name: &str,
        options: DeleteOptions,
    ) -> Result<Arc<Object>> {
        if kind == Kind::Namespace && INITIAL_NAMESPACES.contains(&name) && name != "kube-node-lease" {
            // upstream: the NamespaceLifecycle admission plugin protects these.
            return Err(KubesimError::InvalidArgument(format!(
                "namespaces \"{name}\" is forbidden: this namespace may not be deleted"
            )));
        }
        let key = ObjectKey::new(kind, namespace, name);
        let old = self.store.get_by_key(&key).cloned();
        let after = self.store.delete_with(&key, &options, self.clock.now())?;
        let remaining = self.store.get_by_key(&key).cloned();
        self.user_wrote(old.as_ref(), remaining.as_ref())?;
        Ok(after)
    }

    /// Apply every document of a manifest text. A syntax error rejects the whole text; otherwise
    /// each document is applied on its own and reported, so good documents land even when a
    /// bad one fails (as kubectl does).
    pub fn apply_text(&mut self, text: &str, source: &str) -> Result<Vec<Result<ApplyResult>>> {
        // Pieces of a long text are parsed on the pool, and each document is worked out (decoded,
        // its last-applied configuration written) where its piece was parsed: a long text is never
        // held as JSON values all at once, only as the objects it makes.
        let docs = parse_documents_with(
            text,
            source,
            |pieces, parse| {
                self.engine.map(pieces, |piece| {
                    parse(piece).map(|(docs, count)| (docs.into_iter().map(|d| d.map(ApplyInput::of)).collect(), count))
                })
            },
            ApplyInput::of,
        )?;
        self.batching = true;
        let mut results = Vec::with_capacity(docs.len());
        for Document { value: input, source: source_name, document } in docs {
            results.push(input.and_then(|i| self.apply_input(i)).map_err(|e| KubesimError::InDocument {
                source_name,
                document,
                error: Box::new(e),
            }));
        }
        self.batching = false;
        self.settle()?;
        Ok(results)
    }

    /// What the timeline recorder needs: the recorded objects written after resourceVersion
    /// `since` (all of them when `since` is 0), every node's allocation, and new events.
    pub fn timeline_sample(&self, since: u64, pods: bool) -> crate::timeline::Sample {
        crate::timeline::sample(&self.store, &self.engine.nodes, since, pods)
    }

    /// The recorder has read up to resourceVersion `rv`: keep the keys written after it (for its
    /// next sample), or, with `None`, stop keeping them (recording stopped).
    pub fn timeline_read(&mut self, rv: Option<u64>) {
        match rv {
            Some(rv) => self.store.track_changes(rv),
            None => self.store.untrack_changes(),
        }
    }

    /// [`run_to`](Self::run_to), stopping after the first instant at which something was
    /// written: the recorder samples each change where it happened, at one call per instant
    /// that wrote (not per timer). Returns whether time reached `target`.
    pub fn run_to_change(&mut self, target: Millis) -> Result<bool> {
        let before = self.store.resource_version();
        self.settle()?;
        while let Some(t) = self.engine.next_timer().filter(|t| *t <= target) {
            if self.store.resource_version() != before {
                return Ok(false);
            }
            self.sample_until(t)?;
            self.clock.set(t);
            self.store.begin_instant(t);
            self.engine.fire_due(t);
            self.settle()?;
            self.engine.check_interrupt()?;
        }
        if self.store.resource_version() != before && target > self.clock.now() {
            return Ok(false);
        }
        self.run_to(target)?;
        Ok(true)
    }

    /// A timeline sample of what was written after the log's resourceVersion (everything when
    /// it is 0), folded into `log` at the current instant; nothing when nothing was written.
    pub fn sample_into(&mut self, pods: bool, log: &mut crate::timeline::Log) {
        if self.store.resource_version() != log.resource_version {
            let sample = self.timeline_sample(log.resource_version, pods);
            self.timeline_read(Some(sample.resource_version));
            log.take(self.clock.now(), &sample);
        }
    }

    /// What the change-resolution recorder does, without a return to the caller per instant:
    /// [`run_to_change`](Self::run_to_change) again and again until `target`, and after each
    /// call [`sample_into`](Self::sample_into) `log`. On an error, the samples taken before it
    /// are in `log`.
    pub fn run_to_sampled(&mut self, target: Millis, pods: bool, log: &mut crate::timeline::Log) -> Result<()> {
        loop {
            let reached = self.run_to_change(target)?;
            self.sample_into(pods, log);
            if reached {
                return Ok(());
            }
        }
    }

    /// `kubectl apply` of one object: create if absent, else a three-way merge of the last
    /// applied configuration, the new manifest and the live object.
    pub fn apply_value(&mut self, manifest: Value) -> Result<ApplyResult> {
        self.apply_input(ApplyInput::of(manifest)?)
    }

    fn apply_input(&mut self, input: ApplyInput) -> Result<ApplyResult> {
        let ApplyInput { mut obj, namespace, applied } = input;
        let kind = obj.kind();
        let name = obj.meta.name.to_string();
        let result =
            |action, warning| ApplyResult { kind, namespace: namespace.clone(), name: name.clone(), action, warning };
        match self.store.get(kind, &namespace, &obj.meta.name) {
            Err(StoreError::NotFound { .. }) => {
                Arc::make_mut(&mut obj.meta.annotations).insert(LAST_APPLIED.into(), applied);
                check_annotation_size(&obj)?;
                self.allocate(&mut obj)?;
                obj.meta.resource_version = 0;
                self.engine.check_budget(&self.store, 1)?;
                let created = self.store.create(obj, self.clock.now())?;
                self.user_wrote(None, Some(&created))?;
                Ok(result(ApplyAction::Created, None))
            }
            Err(e) => Err(e.into()),
            Ok(live) => {
                let previous: Option<Value> =
                    live.meta.annotations.get(LAST_APPLIED).and_then(|s| serde_json::from_str(s).ok());
                let warning = previous.is_none().then(|| format!(
                    "Warning: resource {} is missing the {LAST_APPLIED} annotation which is required by kubectl apply. kubectl apply should only be used on resources created declaratively by either kubectl create --save-config or kubectl apply. The missing annotation will be patched automatically.",
                    kind.plural().to_string() + "/" + &obj.meta.name
                ));
                // The manifest as sent is the last-applied configuration with the annotation set
                // (`applied` is that manifest less the annotation, with `annotations` made a map,
                // which setting the annotation does too).
                let mut desired: Value = serde_json::from_str(&applied).map_err(|e| {
                    KubesimError::Simulation(format!("last-applied configuration does not read back: {e}"))
                })?;
                set_annotation(&mut desired, LAST_APPLIED, &applied);
                let mut merged = live.to_json();
                three_way_merge(&mut merged, previous.as_ref(), &desired);
                let new = Object::decode(merged)?;
                let stored = self.update_and_settle(new)?;
                // Unchanged only if the object is still there (not gone with its last finalizer).
                let kept = self.store.get_by_key(&ObjectKey::of(&live)).is_some_and(|o| Arc::ptr_eq(o, &live));
                let action =
                    if Arc::ptr_eq(&stored, &live) && kept { ApplyAction::Unchanged } else { ApplyAction::Configured };
                Ok(result(action, warning))
            }
        }
    }
}

/// What `kubectl apply` works out from a manifest alone, before it looks at the cluster.
struct ApplyInput {
    obj: Object,
    namespace: String,
    /// The last-applied-configuration annotation's value: the manifest with its namespace filled
    /// in, as kubectl sends (and records) it.
    applied: String,
}

impl ApplyInput {
    fn of(mut manifest: Value) -> Result<ApplyInput> {
        let obj = Object::decode(manifest.clone())?;
        let kind = obj.kind();
        if obj.meta.name.is_empty() {
            return Err(KubesimError::InvalidArgument("cannot use generate name with apply".into()));
        }
        let namespace = match kind.namespaced() {
            true if obj.meta.namespace.is_empty() => "default".to_string(),
            true => obj.meta.namespace.to_string(),
            false => String::new(),
        };
        if kind.namespaced() {
            if let Some(meta) = manifest.get_mut("metadata").and_then(Value::as_object_mut) {
                meta.insert("namespace".into(), namespace.clone().into());
            }
        }
        let applied = last_applied_configuration(manifest);
        Ok(ApplyInput { obj, namespace, applied })
    }
}

/// The object was validated before kubectl's last-applied-configuration joined its annotations;
/// upstream the API server sees the annotation and refuses an object that takes the annotations
/// over their 256 KiB limit (so a manifest of more than 256 KiB cannot be applied, only created).
fn check_annotation_size(obj: &Object) -> Result<()> {
    let total: usize = obj.meta.annotations.iter().map(|(k, v)| k.len() + v.len()).sum();
    if total <= crate::labels::TOTAL_ANNOTATION_SIZE_LIMIT_B {
        return Ok(());
    }
    let annotations: BTreeMap<String, String> =
        obj.meta.annotations.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let errors = crate::labels::validate_annotations(
        &annotations,
        &crate::api::field::Path::root("metadata").child("annotations"),
    );
    Err(crate::api::ApiError::Invalid { kind: obj.kind(), name: obj.meta.name.to_string(), errors }.into())
}

/// A metric name must be non-empty (the metrics APIs address metrics by name).
fn check_metric_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(KubesimError::InvalidArgument("a metric name must not be empty".into()));
    }
    Ok(())
}

/// kubectl's last-applied-configuration: the manifest as sent (the annotation itself removed, `annotations: {}` kept), compact JSON with sorted keys and a
/// trailing newline.
pub fn last_applied_configuration(mut m: Value) -> String {
    if let Some(meta) = m.get_mut("metadata").and_then(Value::as_object_mut) {
        let annotations = meta.entry("annotations").or_insert_with(|| json!({}));
        if let Some(a) = annotations.as_object_mut() {
            a.remove(LAST_APPLIED);
        } else {
            *annotations = json!({});
        }
    }
    // serde_json's map is ordered by key, as Go's encoding of map[string]interface{} is.
    let mut text = format!("{}\n", m);
    // Kept for the object's lifetime: no spare capacity.
    text.shrink_to_fit();
    text
}

fn set_annotation(manifest: &mut Value, key: &str, value: &str) {
    if let Some(meta) = manifest.get_mut("metadata").and_then(Value::as_object_mut) {
        let annotations = meta.entry("annotations").or_insert_with(|| json!({}));
        if !annotations.is_object() {
            *annotations = json!({});
        }
        if let Some(a) = annotations.as_object_mut() {
            a.insert(key.into(), value.into());
        }
    }
}

/// RFC 7386: objects merge key by key, `null` deletes, anything else replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = Value::Object(Map::new());
            }
            if let Value::Object(t) = target {
                for (k, v) in p {
                    if v.is_null() {
                        t.remove(k);
                    } else {
                        merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                    }
                }
            }
        }
        other => *target = other.clone(),
    }
}

/// Client-side apply: fields of the new manifest are set on the live object; fields that the
/// previous manifest had and the new one dropped are removed. Lists are replaced whole (the
/// server's defaulting refills what it owns inside them).
fn three_way_merge(live: &mut Value, previous: Option<&Value>, desired: &Value) {
    let (Value::Object(l), Value::Object(d)) = (live, desired) else { return };
    if let Some(Value::Object(p)) = previous {
        for k in p.keys() {
            if !d.contains_key(k) {
                l.remove(k);
            }
        }
    }
    for (k, dv) in d {
        let pv = previous.and_then(|p| p.get(k));
        match (l.get_mut(k), dv) {
            (Some(lv @ Value::Object(_)), Value::Object(_)) => three_way_merge(lv, pv, dv),
            _ => {
                l.insert(k.clone(), dv.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubelet::images::ImageProfile;
    use crate::store::Propagation;

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels: {app: web}\nspec:\n  containers:\n  - name: c\n    image: nginx\n";

    fn actions(c: &mut Cluster, text: &str) -> Vec<String> {
        c.apply_text(text, "t")
            .unwrap()
            .into_iter()
            .map(|r| r.map(|a| a.to_string()).unwrap_or_else(|e| e.to_string()))
            .collect()
    }

    /// What `Object::wire` wrote for the kinds it now writes in place, when it copied each into
    /// its k8s-openapi struct (metadata by `to_object_meta`): the oracle of the test below.
    fn copied_wire(o: &Object) -> Option<String> {
        use crate::api::Body;
        use k8s_openapi::api::{
            apps::v1 as apps, autoscaling::v2 as autoscaling, batch::v1 as batch, core::v1 as core,
        };
        fn text<T: serde::Serialize>(value: &T) -> String {
            serde_json::to_string(value).unwrap()
        }
        let metadata = o.meta.to_object_meta();
        // A workload's spec with its template put in (the spec's own text left out).
        macro_rules! workload {
            ($wire:ty, $spec:expr, $status:expr, $template:expr) => {{
                let mut spec = (**$spec).clone();
                spec.template = $template.to_wire_without_spec();
                type Wire = $wire;
                text(&Wire { metadata, spec: Some(spec), status: Some((**$status).clone()) })
            }};
        }
        let out = match &o.body {
            Body::Node { spec, status } => {
                text(&core::Node { metadata, spec: Some((**spec).clone()), status: Some((**status).clone()) })
            }
            Body::Deployment { spec, status, template } => workload!(apps::Deployment, spec, status, template),
            Body::ReplicaSet { spec, status, template } => text(&apps::ReplicaSet {
                metadata,
                spec: Some(apps::ReplicaSetSpec {
                    replicas: spec.replicas,
                    min_ready_seconds: spec.min_ready_seconds,
                    selector: spec.selector.to_wire(),
                    template: Some(template.to_wire_without_spec()),
                }),
                status: Some((**status).clone()),
            }),
            Body::Pod { spec, status } => {
                let mut spec = (**spec).clone();
                if spec.node_name.is_none() {
                    spec.node_name = status.node_name.as_deref().map(str::to_string);
                }
                let status = status.to_status(&o.meta, &spec);
                text(&core::Pod { metadata, spec: Some(spec), status: Some(status) })
            }
            Body::HorizontalPodAutoscaler { spec, status } => text(&autoscaling::HorizontalPodAutoscaler {
                metadata,
                spec: Some((**spec).clone()),
                status: Some((**status).clone()),
            }),
            Body::Job { spec, status, template } => workload!(batch::Job, spec, status, template),
            Body::CronJob { spec, status } => {
                text(&batch::CronJob { metadata, spec: Some((**spec).clone()), status: Some((**status).clone()) })
            }
            Body::DaemonSet { spec, status, template } => workload!(apps::DaemonSet, spec, status, template),
            Body::StatefulSet { spec, status, template } => workload!(apps::StatefulSet, spec, status, template),
            _ => return None,
        };
        Some(out)
    }

    #[test]
    fn the_kinds_written_in_place_are_written_as_their_wire_structs_wrote_them() {
        let nodes = (1..=2).map(NodeTemplate::numbered).collect();
        let mut c = Cluster::new(ClusterOptions { seed: 3, nodes, ..Default::default() }).unwrap();
        let workload = |kind: &str, extra: &str| {
            format!(
                "apiVersion: apps/v1\nkind: {kind}\nmetadata: {{name: w-{lower}, labels: {{tier: a}}, annotations: {{note: \"é \\\" x\"}}}}\nspec:\n  selector: {{matchLabels: {{app: {lower}}}}}\n  template:\n    metadata: {{labels: {{app: {lower}}}}}\n    spec: {{containers: [{{name: c, image: \"nginx:1.25\"}}]}}\n{extra}",
                lower = kind.to_lowercase()
            )
        };
        let manifests = [
            workload("Deployment", "  replicas: 3\n"),
            workload("DaemonSet", ""),
            workload("StatefulSet", "  replicas: 2\n  serviceName: s\n"),
            "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: cj}\nspec:\n  schedule: \"*/5 * * * *\"\n  jobTemplate: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}}}}\n".into(),
            "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: w-deployment}\n  minReplicas: 1\n  maxReplicas: 4\n".into(),
        ];
        assert!(actions(&mut c, &manifests.join("---\n")).iter().all(|a| a.ends_with("created")));
        c.advance(330_000).unwrap();
        // A pod terminating (deletion timestamp and grace period) and one not yet bound.
        let pod = c.list(Kind::Pod, Some("default"), "app=deployment").unwrap()[0].meta.name.to_string();
        c.delete(Kind::Pod, "default", &pod).unwrap();
        actions(&mut c, &workload("Deployment", "  replicas: 9\n"));
        let mut seen = BTreeMap::new();
        for kind in Kind::ALL {
            for o in c.list(kind, None, "").unwrap() {
                if let Some(copied) = copied_wire(&o) {
                    assert_eq!(serde_json::to_string(&o.wire()).unwrap(), copied, "{}", o.meta.name);
                    *seen.entry(kind.name()).or_insert(0) += 1;
                }
            }
        }
        let kinds: Vec<_> = seen.keys().copied().collect();
        let expected = [
            "CronJob",
            "DaemonSet",
            "Deployment",
            "HorizontalPodAutoscaler",
            "Job",
            "Node",
            "Pod",
            "ReplicaSet",
            "StatefulSet",
        ];
        assert_eq!(kinds, expected);
        let pods = c.list(Kind::Pod, None, "").unwrap();
        assert!(pods.iter().any(|p| p.meta.deletion_timestamp().is_some()), "a terminating pod");
        assert!(pods.iter().any(|p| matches!(&p.body, crate::api::Body::Pod { spec, status } if spec.node_name.is_none() && status.node_name.is_some())), "a pod bound by the scheduler");
    }

    #[test]
    fn apply_creates_then_is_unchanged_then_configured() {
        let mut c = Cluster::new(ClusterOptions::default()).unwrap();
        assert_eq!(actions(&mut c, POD), ["pod/web created"]);
        assert_eq!(actions(&mut c, POD), ["pod/web unchanged"]);
        assert_eq!(actions(&mut c, &POD.replace("app: web", "app: api")), ["pod/web configured"]);
    }

    /// Every watch event of a busy run (rollouts, a crash loop, a failed node, each deletion
    /// propagation) with every round on the pool when `threads` > 1.
    fn busy_history(threads: usize) -> (Vec<String>, [u64; 3]) {
        let nodes = (1..=4).map(NodeTemplate::numbered).collect();
        let mut c = Cluster::new(ClusterOptions { seed: 5, threads, nodes, ..Default::default() }).unwrap();
        c.engine.parallel_threshold = 1;
        c.store.set_watch_capacity(usize::MAX);
        let crash = ImageProfile { crash_after: Some(20_000), ..Default::default() };
        c.images_mut().register("app:crash", crash);
        let deployment = |name: &str, image: &str, replicas: u32| {
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec:\n  replicas: {replicas}\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec: {{containers: [{{name: c, image: \"{image}\"}}]}}\n"
            )
        };
        let text: Vec<String> = (0..3).map(|i| deployment(&format!("web-{i}"), "nginx:1.25", 8)).collect();
        assert!(actions(&mut c, &text.join("---\n")).iter().all(|a| a.ends_with("created")));
        actions(&mut c, &deployment("crash", "app:crash", 4));
        c.advance(30_000).unwrap();
        for i in 0..2 {
            actions(&mut c, &deployment(&format!("web-{i}"), "nginx:1.27", 8));
        }
        c.advance(20_000).unwrap();
        c.fail_node("node-2").unwrap();
        c.advance(360_000).unwrap();
        let foreground = DeleteOptions { propagation: Propagation::Foreground, ..Default::default() };
        c.delete_with(Kind::Deployment, "default", "web-0", foreground).unwrap();
        let orphan = DeleteOptions { propagation: Propagation::Orphan, ..Default::default() };
        c.delete_with(Kind::Deployment, "default", "web-1", orphan).unwrap();
        c.delete(Kind::Deployment, "default", "crash").unwrap();
        c.advance(60_000).unwrap();
        assert_eq!(c.engine.replaced_held(), 0, "settled: every replaced version freed");
        let log = c.watch_since(0).unwrap();
        let history = log.iter().map(|e| format!("{:?} {} {}", e.event_type, e.resource_version, e.object.to_json()));
        (history.collect(), c.engine.prepared)
    }

    /// The scheduler hands a pod that fit no node from batch to batch only while the nodes
    /// and what their pods hold stay as they were: Pending pods are placed once a pod's
    /// removal frees room, and once an uncordoned node takes pods again.
    #[test]
    fn pods_that_fit_nowhere_are_placed_once_room_is_made() {
        let nodes = (1..=2).map(|i| NodeTemplate { cpu: "1".into(), ..NodeTemplate::numbered(i) }).collect();
        let mut c = Cluster::new(ClusterOptions { seed: 4, nodes, ..Default::default() }).unwrap();
        let rs = |replicas: usize| {
            format!(
                "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {{name: a}}\nspec:\n  replicas: {replicas}\n  selector: {{matchLabels: {{app: a}}}}\n  template:\n    metadata: {{labels: {{app: a}}}}\n    spec: {{containers: [{{name: c, image: nginx, resources: {{requests: {{cpu: 400m}}}}}}]}}\n"
            )
        };
        let placed = |c: &Cluster| {
            let pods = c.store.scan(Kind::Pod, Some("default"));
            let live: Vec<_> = pods.filter(|p| p.meta.deletion_timestamp().is_none()).collect();
            let bound = live.iter().filter(|p| crate::controllers::replicaset::node_of(p).is_some()).count();
            (bound, live.len() - bound)
        };
        // Two 400m pods a node: six pods leave two Pending, tried in batch after batch.
        actions(&mut c, &rs(6));
        c.advance(60_000).unwrap();
        assert_eq!(placed(&c), (4, 2));
        let running =
            c.store.scan(Kind::Pod, Some("default")).find(|p| crate::controllers::replicaset::node_of(p).is_some());
        let name = running.unwrap().meta.name.to_string();
        c.delete(Kind::Pod, "default", &name).unwrap();
        c.advance(120_000).unwrap();
        assert_eq!(placed(&c), (4, 2), "the freed room went to a Pending pod; the replacement waits");
        // Both nodes cordoned, node-2's pods deleted: their replacements wait, though they
        // would fit; node-2 uncordoned: placed there.
        for node in ["node-1", "node-2"] {
            c.patch(Kind::Node, "", node, &serde_json::json!({"spec": {"unschedulable": true}})).unwrap();
        }
        let on_node_2: Vec<String> = c
            .store
            .scan(Kind::Pod, Some("default"))
            .filter(|p| crate::controllers::replicaset::node_of(p) == Some("node-2"))
            .map(|p| p.meta.name.to_string())
            .collect();
        assert_eq!(on_node_2.len(), 2);
        for pod in &on_node_2 {
            c.delete(Kind::Pod, "default", pod).unwrap();
        }
        c.advance(120_000).unwrap();
        assert_eq!(placed(&c), (2, 4), "nothing is placed on cordoned nodes");
        c.patch(Kind::Node, "", "node-2", &serde_json::json!({"spec": {"unschedulable": false}})).unwrap();
        c.advance(120_000).unwrap();
        assert_eq!(placed(&c), (4, 2), "the uncordoned node takes two Pending pods");
    }

    /// Three 4-CPU nodes (room for 24 pods of 500m), rounds capped at `cap` keys a controller,
    /// every round on the pool, the whole watch history kept.
    fn capped_cluster(seed: u64, threads: usize, cap: Option<usize>, latency: crate::sim::latency::Latency) -> Cluster {
        let nodes = (1..=3).map(|i| NodeTemplate { cpu: "4".into(), ..NodeTemplate::numbered(i) }).collect();
        let mut c = Cluster::new(ClusterOptions { seed, threads, nodes, latency, ..Default::default() }).unwrap();
        c.engine.parallel_threshold = 1;
        c.engine.round_cap = cap;
        c.store.set_watch_capacity(usize::MAX);
        c
    }

    /// A ReplicaSet of 500m pods at `priority`.
    fn priority_rs(name: &str, replicas: usize, priority: i32) -> String {
        format!(
            "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {{name: {name}}}\nspec:\n  replicas: {replicas}\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec: {{priority: {priority}, containers: [{{name: c, image: nginx, resources: {{requests: {{cpu: 500m}}}}}}]}}\n"
        )
    }

    /// Two ReplicaSets applied at once, 24 low-priority pods (`a`) and 24 high-priority ones
    /// (`z`), on 3 nodes with room for 24; rounds capped at `cap` keys a controller.
    fn capped_run(cap: Option<usize>, threads: usize) -> (Vec<String>, BTreeMap<String, String>) {
        let mut c = capped_cluster(9, threads, cap, Default::default());
        actions(&mut c, &format!("{}---\n{}", priority_rs("a", 24, 0), priority_rs("z", 24, 1000)));
        let placed = |c: &Cluster| -> BTreeMap<String, String> {
            c.store
                .scan(Kind::Pod, Some("default"))
                .filter_map(|p| {
                    crate::controllers::replicaset::node_of(p).map(|n| (p.meta.name.to_string(), n.to_string()))
                })
                .collect()
        };
        // upstream: the scheduling queue pops the higher priority first, however the rounds fall.
        let at_once = placed(&c);
        assert_eq!(at_once.len(), 24, "{at_once:?}");
        assert!(at_once.keys().all(|name| name.starts_with("z-")), "the high-priority pods first: {at_once:?}");
        c.advance(60_000).unwrap();
        let history = c.watch_since(0).unwrap();
        let history =
            history.iter().map(|e| format!("{:?} {} {}", e.event_type, e.resource_version, e.object.to_json()));
        (history.collect(), placed(&c))
    }

    #[test]
    fn capped_rounds_place_pods_in_queue_order_as_one_round_would() {
        let (whole, placed) = capped_run(None, 1);
        let (capped, capped_placed) = capped_run(Some(5), 1);
        assert_eq!(capped_placed, placed, "the same nodes for the same pods");
        assert_ne!(capped, whole, "the cap split the instant's rounds (so the writes came in another order)");
        let (two_threads, _) = capped_run(Some(5), 2);
        assert_eq!(two_threads, capped, "the same history on two threads");
    }

    /// A full cluster with 36 Pending pods of two priorities, rounds capped at 5 keys: bound
    /// pods deleted twice (each delete moves every Pending pod back to the queue), the cluster
    /// run on: the history as text.
    fn capped_pending_run(threads: usize) -> Vec<String> {
        let mut c = capped_cluster(5, threads, Some(5), Default::default());
        actions(&mut c, &priority_rs("a", 30, 0));
        c.advance(5_000).unwrap();
        actions(&mut c, &priority_rs("z", 30, 1000));
        for wave in 0..2 {
            c.advance(20_000).unwrap();
            let bound: Vec<String> = c
                .store
                .scan(Kind::Pod, Some("default"))
                .filter(|p| crate::controllers::replicaset::node_of(p).is_some())
                .map(|p| p.meta.name.to_string())
                .take(4 + wave)
                .collect();
            for pod in &bound {
                c.delete(Kind::Pod, "default", pod).unwrap();
            }
        }
        c.advance(400_000).unwrap();
        let history = c.watch_since(0).unwrap();
        history.iter().map(|e| format!("{:?} {} {}", e.event_type, e.resource_version, e.object.to_json())).collect()
    }

    #[test]
    fn capped_rounds_of_pending_pods_keep_their_history() {
        // FNV-1a of the history's lines: the pin taken when the pods a round's cap left were
        // sorted afresh every round (before the engine kept them in queue order).
        let fnv = |lines: &[String]| {
            lines
                .iter()
                .flat_map(|l| l.bytes().chain([b'\n']))
                .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
        };
        let one = capped_pending_run(1);
        assert!(one.len() > 200, "a real history: {} writes", one.len());
        assert_eq!(format!("{} {:016x}", one.len(), fnv(&one)), "670 f05e4a095d00c68a");
        assert_eq!(capped_pending_run(2), one, "the same history on two threads");
    }

    /// A full cluster, rounds capped at 5, stopped after every round of an instant until pods
    /// wait beyond the cap; saved and loaded there, the copy goes on as the original does,
    /// with the scheduler's rate limit (each pod takes one token when first tried) and without.
    #[test]
    fn a_snapshot_with_pods_queued_beyond_a_rounds_cap_goes_on_as_the_original() {
        for qps in [None, Some(10.0)] {
            let latency =
                crate::sim::latency::Latency { scheduler_qps: qps, scheduler_burst: 12, ..Default::default() };
            let mut c = capped_cluster(4, 1, Some(5), latency);
            c.set_interrupt(Some(Arc::new(|| true)));
            assert!(matches!(c.apply_text(&priority_rs("a", 40, 0), "t"), Err(KubesimError::Interrupted)));
            let now = c.now();
            let mut rounds = 0;
            while c.engine.queued().next().is_none() {
                assert!(
                    matches!(c.run_to(now), Err(KubesimError::Interrupted)),
                    "{qps:?}: settled before any pod waited"
                );
                rounds += 1;
                assert!(rounds < 50, "{qps:?}: no pod waited beyond the cap");
            }
            let (bytes, series) = c.snapshot().unwrap();
            let mut copy = Cluster::from_snapshot(&bytes, "t.kubesim", series, 1).unwrap();
            copy.engine.round_cap = Some(5);
            copy.store.set_watch_capacity(usize::MAX);
            assert!(copy.engine.queued().eq(c.engine.queued()), "{qps:?}: the queue is saved");
            c.set_interrupt(None);
            let end = now + 60_000;
            c.run_to(end).unwrap();
            copy.run_to(end).unwrap();
            let history = |c: &Cluster| -> Vec<String> {
                c.watch_since(0)
                    .unwrap()
                    .iter()
                    .map(|e| format!("{} {}", e.resource_version, e.object.to_json()))
                    .collect()
            };
            let (a, b) = (history(&c), history(&copy));
            assert!(a.len() > 100, "{qps:?}: a real history");
            if let Some(i) = (0..a.len().max(b.len())).find(|&i| a.get(i) != b.get(i)) {
                panic!("{qps:?}: write {i} differs:\n{:?}\n{:?}", a.get(i), b.get(i));
            }
        }
    }

    #[test]
    fn run_to_change_stops_at_each_instant_that_wrote_and_ends_where_run_to_does() {
        let options = || ClusterOptions { seed: 2, nodes: vec![NodeTemplate::numbered(1)], ..Default::default() };
        let (mut stepped, mut whole) = (Cluster::new(options()).unwrap(), Cluster::new(options()).unwrap());
        stepped.store.set_watch_capacity(usize::MAX);
        whole.store.set_watch_capacity(usize::MAX);
        actions(&mut stepped, POD);
        actions(&mut whole, POD);
        let (mut stops, mut rvs) = (Vec::new(), Vec::new());
        let mut last_rv = stepped.store.resource_version();
        let end = stepped.clock().start() + 600_000;
        while !stepped.run_to_change(end).unwrap() {
            let rv = stepped.store.resource_version();
            assert!(rv > last_rv, "it stops only after an instant that wrote");
            last_rv = rv;
            stops.push(stepped.now() - stepped.clock().start());
            rvs.push(rv);
        }
        // The pod is pulled (2 s) and started (1 s): the kubelet writes its status at each step.
        assert_eq!(stops, [2_000, 3_000]);
        assert_eq!(stepped.now() - stepped.clock().start(), 600_000);
        whole.run_to(whole.clock().start() + 600_000).unwrap();
        let history = |c: &Cluster| {
            let log = c.watch_since(0).unwrap();
            log.iter()
                .map(|e| format!("{:?} {} {}", e.event_type, e.resource_version, e.object.to_json()))
                .collect::<Vec<_>>()
        };
        assert_eq!(history(&stepped), history(&whole), "the same history as one run_to");
    }

    /// A CronJob's runs (a Job, its pod, completion, history cleanup) for `minutes`, recorded
    /// by stepping with `run_to_change` and sampling in between (`stepped`), or by one
    /// `run_to_sampled`: the timeline log and the watch history.
    fn sampled_cron_runs(stepped: bool, minutes: Millis) -> (crate::timeline::Log, Vec<String>) {
        let mut c = Cluster::new(ClusterOptions { seed: 4, ..Default::default() }).unwrap();
        c.store.set_watch_capacity(usize::MAX);
        let quick = ImageProfile { completes_after: Some(1_000), ..Default::default() };
        c.images_mut().register("tick:1", quick);
        let cron = "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: tick}\nspec:\n  schedule: '*/5 * * * *'\n  jobTemplate:\n    spec:\n      template:\n        spec: {restartPolicy: Never, containers: [{name: c, image: 'tick:1'}]}\n";
        assert_eq!(actions(&mut c, cron), ["cronjob.batch/tick created"]);
        let mut log = crate::timeline::Log::default();
        c.sample_into(true, &mut log);
        let end = c.now() + minutes * 60_000;
        if stepped {
            // One call per instant that wrote, then a sample.
            while !c.run_to_change(end).unwrap() {
                c.sample_into(true, &mut log);
            }
            c.sample_into(true, &mut log);
        } else {
            c.run_to_sampled(end, true, &mut log).unwrap();
        }
        assert_eq!(c.now(), end);
        let watched = c.watch_since(0).unwrap();
        let history =
            watched.iter().map(|e| format!("{:?} {} {}", e.event_type, e.resource_version, e.object.to_json()));
        (log, history.collect())
    }

    #[test]
    fn run_to_sampled_samples_each_instant_that_wrote_as_stepping_does() {
        let (stepped, history) = sampled_cron_runs(true, 31);
        // Six runs, each sampled at several instants (the Job and pod made, the pod running,
        // done, the Job complete, the oldest Job deleted).
        assert!(stepped.starts.len() >= 6 * 3, "{} samples", stepped.starts.len());
        let times: Vec<Millis> = stepped.starts.iter().map(|i| stepped.rows.get(*i).unwrap().time).collect();
        assert!(times.windows(2).all(|w| w[0] < w[1]), "one sample an instant, in time order");
        let (sampled, same_history) = sampled_cron_runs(false, 31);
        assert_eq!(sampled, stepped, "the same log");
        assert_eq!(same_history, history, "the same history");
    }

    /// A rollout run to the end, asked to stop at every `every`-th check (0: never) and resumed
    /// each time: its watch history, and how many times it stopped.
    fn interrupted_rollout(every: usize) -> (Vec<String>, usize) {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let mut c = Cluster::new(ClusterOptions { seed: 3, ..Default::default() }).unwrap();
        c.store.set_watch_capacity(usize::MAX);
        let checks = Arc::new(AtomicUsize::new(0));
        let counter = checks.clone();
        c.set_interrupt(Some(Arc::new(move || {
            every > 0 && counter.fetch_add(1, Ordering::Relaxed) % every == every - 1
        })));
        let deployment = |image: &str| {
            format!("apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web}}\nspec:\n  replicas: 30\n  selector: {{matchLabels: {{app: web}}}}\n  template:\n    metadata: {{labels: {{app: web}}}}\n    spec: {{containers: [{{name: c, image: \"{image}\"}}]}}\n")
        };
        let mut stops = 0;
        let mut until_done = |c: &mut Cluster, step: &dyn Fn(&mut Cluster) -> Result<()>| loop {
            match step(c) {
                Ok(()) => break,
                Err(KubesimError::Interrupted) => stops += 1,
                Err(e) => panic!("{e}"),
            }
        };
        until_done(&mut c, &|c| c.apply_text(&deployment("nginx:1.25"), "t").map(|_| ()));
        let end = c.now() + 120_000;
        until_done(&mut c, &|c| c.run_to(end));
        until_done(&mut c, &|c| c.apply_text(&deployment("nginx:1.26"), "t").map(|_| ()));
        let end = c.now() + 300_000;
        until_done(&mut c, &|c| c.run_to(end));
        let log = c.watch_since(0).unwrap();
        (
            log.iter().map(|e| format!("{:?} {} {}", e.event_type, e.resource_version, e.object.to_json())).collect(),
            stops,
        )
    }

    #[test]
    fn an_interrupted_run_goes_on_from_where_it_stopped_with_the_same_history() {
        let (straight, none) = interrupted_rollout(0);
        assert_eq!(none, 0);
        for every in [1, 3, 7] {
            let (resumed, stops) = interrupted_rollout(every);
            assert!(stops >= 3, "every {every}th check: stopped {stops} times");
            assert_eq!(resumed.len(), straight.len(), "stopping at every {every}th check");
            if let Some(i) = (0..resumed.len()).find(|&i| resumed[i] != straight[i]) {
                panic!("stopping at every {every}th check, event {i} differs:\n{}\n{}", resumed[i], straight[i]);
            }
        }
    }

    #[test]
    fn a_busy_history_is_the_same_with_every_round_on_the_pool() {
        let (one, none) = busy_history(1);
        assert!(one.len() > 500, "a busy run: {} watch events", one.len());
        assert_eq!(none, [0, 0, 0], "one thread works each write out as it commits it");
        let (two, [stored, rewritten, created]) = busy_history(2);
        assert!(stored > 100 && rewritten > 0, "updates prepared: {stored} stored, {rewritten} written in full");
        assert!(created > 20, "creates prepared: {created}");
        assert_eq!(one.len(), two.len());
        for (a, b) in one.iter().zip(&two) {
            assert_eq!(a, b);
        }
    }

    #[test]
    fn merge_patch_follows_rfc_7386() {
        let mut doc = json!({"a": {"b": 1, "c": 2}, "d": [1, 2]});
        merge_patch(&mut doc, &json!({"a": {"b": null, "e": 3}, "d": [3]}));
        assert_eq!(doc, json!({"a": {"c": 2, "e": 3}, "d": [3]}));
    }
}
