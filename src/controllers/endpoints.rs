//! The endpoints controller (upstream: `pkg/controller/endpoint`): every Service with a
//! selector gets a v1 Endpoints of its name listing the pods it selects that have an IP — the
//! ready ones as `addresses`, the others as `notReadyAddresses` — in subsets grouped by the
//! ports they resolve, addresses sorted by IP (upstream: RepackSubsets); past 1,000 addresses
//! the list is truncated and annotated `endpoints.kubernetes.io/over-capacity: truncated`.
//! The Endpoints goes when its Service goes.
//!
//! Upstream lists every pod of the Service on each sync; kubesim keeps the Service's addresses
//! by port set in a [`Memory`] (rebuilt from the pods whenever it is missing) and a sync
//! re-reads only the pods written since the previous one: O(pods changed + the 1,000 addresses
//! written) a sync.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use k8s_openapi::api::core::v1::{EndpointAddress, EndpointPort, EndpointSubset, Endpoints, ObjectReference};
use rustc_hash::FxHashMap;

use super::endpointslice::{
    hostname_for, manages, resolved_ports, selects, ResolvedPort, LABEL_HEADLESS, TRIGGER_TIME,
};
use super::{Ctx, Reconciled, Write};
use crate::api::meta::{Meta, StringMap};
use crate::api::pod::{ConditionType, Phase};
use crate::api::{Body, Kind, Object, Uid};
use crate::sim::clock::Millis;
use crate::store::{DeleteOptions, ObjectKey};

/// upstream: maxCapacity and the annotation that says the list was cut.
pub const MAX_CAPACITY: usize = 1000;
pub const OVER_CAPACITY: &str = "endpoints.kubernetes.io/over-capacity";

/// An address's sort key: upstream's LessEndpointAddress (the IP's text, then the pod's uid),
/// then the pod's name.
type AddressKey = (String, String, Arc<str>);

/// One pod's place in the Endpoints.
#[derive(Clone, Debug)]
struct Entry {
    ports: Arc<[ResolvedPort]>,
    ready: bool,
    key: AddressKey,
    address: EndpointAddress,
}

/// A port set's addresses.
#[derive(Clone, Debug, Default)]
struct Group {
    ready: BTreeSet<AddressKey>,
    not_ready: BTreeSet<AddressKey>,
}

/// One Service's addresses as of its last sync, and the pods written since.
#[derive(Clone, Debug, Default)]
pub struct Cache {
    uid: Uid,
    version: u64,
    pods: FxHashMap<Arc<str>, Entry>,
    groups: BTreeMap<Arc<[ResolvedPort]>, Group>,
    dirty: Vec<Arc<str>>,
}

impl Cache {
    fn remove(&mut self, pod: &str) {
        let Some(e) = self.pods.remove(pod) else { return };
        if let Some(g) = self.groups.get_mut(&e.ports) {
            if e.ready {
                g.ready.remove(&e.key);
            } else {
                g.not_ready.remove(&e.key);
            }
            if g.ready.is_empty() && g.not_ready.is_empty() {
                self.groups.remove(&e.ports);
            }
        }
    }
    fn insert(&mut self, pod: Arc<str>, e: Entry) {
        let g = self.groups.entry(e.ports.clone()).or_default();
        if e.ready {
            g.ready.insert(e.key.clone());
        } else {
            g.not_ready.insert(e.key.clone());
        }
        self.pods.insert(pod, e);
    }
}

/// The controller's memory of every Service it synced.
pub type Memory = super::memory::Memory<Cache>;

impl Memory {
    /// A pod the Service `svc` selects (or selected) was written.
    pub fn pod_changed(&mut self, svc: &ObjectKey, pod: &Arc<str>) {
        if let Some(c) = self.get_mut(svc) {
            c.dirty.push(pod.clone());
        }
    }
}

/// upstream: ShouldPodBeInEndpoints (terminating pods only when published anyway) and
/// podToEndpointAddressForService.
fn entry(
    svc: &Object,
    spec: &k8s_openapi::api::core::v1::ServiceSpec,
    selector: &BTreeMap<String, String>,
    pod: &Object,
) -> Option<Entry> {
    let Body::Pod { spec: pod_spec, status } = &pod.body else { return None };
    let publish = spec.publish_not_ready_addresses == Some(true);
    if !selects(selector, &pod.meta.labels)
        || matches!(status.phase, Phase::Succeeded | Phase::Failed)
        || (pod.meta.deletion_timestamp().is_some() && !publish)
    {
        return None;
    }
    // upstream: podToEndpointAddressForService — the pod's address of the Service's first IP
    // family; pods have IPv4 addresses only.
    if spec.ip_families.as_deref().and_then(|f| f.first()).is_some_and(|f| f == "IPv6") {
        return None;
    }
    let ip = status.pod_ip?.to_string();
    let headless_without_ports =
        spec.ports.as_deref().unwrap_or_default().is_empty() && spec.cluster_ip.as_deref() == Some("None");
    let ports: Arc<[ResolvedPort]> = if headless_without_ports {
        Arc::from(Vec::new())
    } else {
        let ports = resolved_ports(spec, pod_spec);
        if ports.is_empty() {
            // upstream: a pod that resolves none of the ports adds no subset.
            return None;
        }
        ports.into()
    };
    let uid = pod.meta.uid.to_string();
    let address = EndpointAddress {
        ip: ip.clone(),
        hostname: hostname_for(svc, pod, pod_spec),
        node_name: pod_spec.node_name.clone().or_else(|| status.node_name.as_deref().map(str::to_string)),
        target_ref: Some(ObjectReference {
            kind: Some("Pod".into()),
            namespace: Some(pod.meta.namespace.to_string()),
            name: Some(pod.meta.name.to_string()),
            uid: Some(uid.clone()),
            ..Default::default()
        }),
    };
    Some(Entry { ports, ready: publish || status.is_ready(), key: (ip, uid, pod.meta.name.clone()), address })
}

/// `key` is a Service's.
pub fn reconcile(ctx: &Ctx, key: &ObjectKey) -> Reconciled {
    let ep_key = ObjectKey::shared(Kind::Endpoints, &key.namespace, &key.name);
    let current = ctx.store.get_by_key(&ep_key);
    let Some(svc) = ctx.store.get_by_key(key) else {
        // upstream: the Service is gone, so is its Endpoints.
        let writes = current
            .map(|e| Write::Delete {
                key: ep_key,
                options: DeleteOptions { uid: Some(e.meta.uid), ..Default::default() },
            })
            .into_iter()
            .collect();
        return Reconciled { writes, requeue_at: None };
    };
    let Body::Service(service) = &svc.body else { return Reconciled::nothing() };
    let (Some(spec), Some(selector)) = (service.spec.as_ref(), manages(service)) else {
        return Reconciled::nothing();
    };
    let cached = ctx.endpoints.take(key).filter(|c| c.uid == svc.meta.uid && c.version == svc.meta.resource_version);
    let (mut cache, pods) = match cached {
        Some(mut c) => {
            let dirty: BTreeSet<Arc<str>> = std::mem::take(&mut c.dirty).into_iter().collect();
            (c, dirty)
        }
        None => {
            let c = Cache { uid: svc.meta.uid, version: svc.meta.resource_version, ..Default::default() };
            let pods = ctx
                .store
                .scan(Kind::Pod, Some(&svc.meta.namespace))
                .filter(|p| selects(selector, &p.meta.labels))
                .map(|p| p.meta.name.clone())
                .collect();
            (c, pods)
        }
    };
    for name in &pods {
        cache.remove(name);
        let pod = ctx.store.get_by_key(&ObjectKey::new(Kind::Pod, &svc.meta.namespace, name));
        if let Some(e) = pod.and_then(|p| entry(svc, spec, selector, p)) {
            cache.insert(name.clone(), e);
        }
    }
    let (subsets, truncated) = subsets(&cache);
    let mut labels: StringMap = (*svc.meta.labels).clone();
    // upstream: the headless label follows the Service's cluster IP.
    if matches!(spec.cluster_ip.as_deref(), None | Some("") | Some("None")) {
        labels.insert(LABEL_HEADLESS.into(), String::new());
    } else {
        labels.remove(LABEL_HEADLESS);
    }
    // upstream: the trigger time tracker — the earliest Ready transition among the pods whose
    // address changed (from what is stored, so a sync from memory and one from scratch agree),
    // or the Service's creation for its first Endpoints.
    let trigger = changed_pods(current, &subsets)
        .into_iter()
        .filter_map(|name| {
            let p = ctx.store.get_by_key(&ObjectKey::new(Kind::Pod, &svc.meta.namespace, &name))?;
            let Body::Pod { status, .. } = &p.body else { return None };
            status.condition(ConditionType::Ready).map(|c| c.last_transition)
        })
        .chain(current.is_none().then_some(svc.meta.creation_timestamp))
        .min();
    let write = match current {
        Some(cur) => {
            let Body::Endpoints(e) = &cur.body else { return Reconciled::nothing() };
            let same = e.subsets.as_deref().unwrap_or_default() == subsets.as_slice()
                && *cur.meta.labels == labels
                && cur.meta.annotations.get(OVER_CAPACITY).is_some() == truncated;
            (!same).then(|| {
                let mut obj = (**cur).clone();
                obj.meta.labels = Arc::new(labels);
                obj.meta.annotations = Arc::new(annotations(&cur.meta.annotations, trigger, truncated));
                obj.body =
                    Body::Endpoints(Box::new(Endpoints { subsets: non_empty(subsets), metadata: Default::default() }));
                Write::Update(Box::new(obj))
            })
        }
        None => {
            let meta = Meta {
                name: svc.meta.name.clone(),
                namespace: svc.meta.namespace.clone(),
                labels: Arc::new(labels),
                annotations: Arc::new(annotations(&StringMap::new(), trigger, truncated)),
                ..Default::default()
            };
            let body =
                Body::Endpoints(Box::new(Endpoints { subsets: non_empty(subsets), metadata: Default::default() }));
            Some(Write::Create { obj: Box::new(Object { meta, body }), batch: 0, event: None })
        }
    };
    ctx.endpoints.put(key.clone(), cache);
    Reconciled { writes: write.into_iter().collect(), requeue_at: None }
}

/// The pods whose address (or readiness) differs between the stored Endpoints and `subsets`.
fn changed_pods(current: Option<&Arc<Object>>, subsets: &[EndpointSubset]) -> BTreeSet<String> {
    let listed = |subsets: &[EndpointSubset]| -> BTreeSet<(String, String, bool)> {
        let mut out = BTreeSet::new();
        for ss in subsets {
            for (list, ready) in [(&ss.addresses, true), (&ss.not_ready_addresses, false)] {
                for a in list.iter().flatten() {
                    let pod = a.target_ref.as_ref().and_then(|r| r.name.clone()).unwrap_or_default();
                    out.insert((pod, a.ip.clone(), ready));
                }
            }
        }
        out
    };
    let stored = match current.map(|c| &c.body) {
        Some(Body::Endpoints(e)) => listed(e.subsets.as_deref().unwrap_or_default()),
        _ => BTreeSet::new(),
    };
    let now = listed(subsets);
    stored.symmetric_difference(&now).map(|(pod, _, _)| pod.clone()).collect()
}

fn non_empty(subsets: Vec<EndpointSubset>) -> Option<Vec<EndpointSubset>> {
    (!subsets.is_empty()).then_some(subsets)
}

fn annotations(current: &StringMap, trigger: Option<Millis>, truncated: bool) -> StringMap {
    let mut out = current.clone();
    match trigger {
        Some(ms) => out.insert(TRIGGER_TIME.into(), crate::api::meta::rfc3339_nano(ms)),
        None => out.remove(TRIGGER_TIME),
    };
    if truncated {
        out.insert(OVER_CAPACITY.into(), "truncated".into());
    } else {
        out.remove(OVER_CAPACITY);
    }
    out
}

/// upstream: RepackSubsets, then truncateEndpoints — one subset per port set (port sets in
/// order, ports by name), its addresses by IP; past [`MAX_CAPACITY`], the not-ready addresses
/// are cut first, each subset keeping its share (rounded up) of what is left.
fn subsets(cache: &Cache) -> (Vec<EndpointSubset>, bool) {
    let total_ready: usize = cache.groups.values().map(|g| g.ready.len()).sum();
    let total_not_ready: usize = cache.groups.values().map(|g| g.not_ready.len()).sum();
    let truncated = total_ready + total_not_ready > MAX_CAPACITY;
    // How many of each list may stay.
    let (cut_ready, max, num_total) = if total_ready > MAX_CAPACITY {
        (true, MAX_CAPACITY, total_ready)
    } else {
        (false, MAX_CAPACITY - total_ready, total_not_ready)
    };
    let mut can_be_added = max;
    let n_groups = cache.groups.len();
    let mut out = Vec::with_capacity(n_groups);
    for (i, (ports, g)) in cache.groups.iter().enumerate() {
        // upstream: truncateEndpoints — each subset its share (rounded up), the last what is
        // left, none more than can still be added.
        let share = |n: usize| {
            let want = if i + 1 == n_groups {
                can_be_added
            } else {
                ((n as f64 / num_total.max(1) as f64) * max as f64).ceil() as usize
            };
            want.min(n).min(can_be_added)
        };
        let (ready_n, not_ready_n) = match (truncated, cut_ready) {
            (false, _) => (g.ready.len(), g.not_ready.len()),
            (true, true) => (share(g.ready.len()), 0),
            (true, false) => (g.ready.len(), share(g.not_ready.len())),
        };
        if truncated {
            can_be_added = can_be_added.saturating_sub(if cut_ready { ready_n } else { not_ready_n });
        }
        let addresses = |keys: &BTreeSet<AddressKey>, n: usize| -> Option<Vec<EndpointAddress>> {
            let list: Vec<EndpointAddress> =
                keys.iter().take(n).filter_map(|k| cache.pods.get(&k.2).map(|e| e.address.clone())).collect();
            (!list.is_empty()).then_some(list)
        };
        let mut port_list: Vec<EndpointPort> = ports
            .iter()
            .map(|(name, port, protocol, app)| EndpointPort {
                name: Some(name.clone()).filter(|n| !n.is_empty()),
                port: *port,
                protocol: Some(protocol.clone()),
                app_protocol: app.clone(),
            })
            .collect();
        port_list.sort_by(|a, b| a.name.cmp(&b.name).then(a.port.cmp(&b.port)));
        let subset = EndpointSubset {
            addresses: addresses(&g.ready, ready_n),
            not_ready_addresses: addresses(&g.not_ready, not_ready_n),
            ports: (!port_list.is_empty()).then_some(port_list),
        };
        if subset.addresses.is_some() || subset.not_ready_addresses.is_some() {
            out.push(subset);
        }
    }
    (out, truncated)
}
