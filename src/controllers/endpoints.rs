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
    let (shares, truncated) = shares(&cache);
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
    let trigger = |subsets: &[EndpointSubset]| {
        changed_pods(current, subsets)
            .into_iter()
            .filter_map(|name| {
                let p = ctx.store.get_by_key(&ObjectKey::new(Kind::Pod, &svc.meta.namespace, name))?;
                let Body::Pod { status, .. } = &p.body else { return None };
                status.condition(ConditionType::Ready).map(|c| c.last_transition)
            })
            .chain(current.is_none().then_some(svc.meta.creation_timestamp))
            .min()
    };
    let write = match current {
        Some(cur) => {
            let Body::Endpoints(e) = &cur.body else { return Reconciled::nothing() };
            // (Compared in place: a sync whose pods are beyond the 1,000 listed builds nothing.)
            let same = *cur.meta.labels == labels
                && cur.meta.annotations.get(OVER_CAPACITY).is_some() == truncated
                && lists_as(&cache, &shares, e.subsets.as_deref().unwrap_or_default());
            (!same).then(|| {
                let subsets = subsets(&cache, &shares);
                let trigger = trigger(&subsets);
                let mut obj = (**cur).clone();
                obj.meta.labels = Arc::new(labels);
                obj.meta.annotations = Arc::new(annotations(&cur.meta.annotations, trigger, truncated));
                obj.body =
                    Body::Endpoints(Box::new(Endpoints { subsets: non_empty(subsets), metadata: Default::default() }));
                Write::Update(Box::new(obj))
            })
        }
        None => {
            let subsets = subsets(&cache, &shares);
            let trigger = trigger(&subsets);
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
fn changed_pods<'a>(current: Option<&'a Arc<Object>>, subsets: &'a [EndpointSubset]) -> BTreeSet<&'a str> {
    fn listed(subsets: &[EndpointSubset]) -> BTreeSet<(&str, &str, bool)> {
        let mut out = BTreeSet::new();
        for ss in subsets {
            for (list, ready) in [(&ss.addresses, true), (&ss.not_ready_addresses, false)] {
                for a in list.iter().flatten() {
                    let pod = a.target_ref.as_ref().and_then(|r| r.name.as_deref()).unwrap_or_default();
                    out.insert((pod, a.ip.as_str(), ready));
                }
            }
        }
        out
    }
    let stored = match current.map(|c| &c.body) {
        Some(Body::Endpoints(e)) => listed(e.subsets.as_deref().unwrap_or_default()),
        _ => BTreeSet::new(),
    };
    let now = listed(subsets);
    stored.symmetric_difference(&now).map(|(pod, _, _)| *pod).collect()
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

/// How many of each port set's ready and not-ready addresses the Endpoints lists, in port-set
/// order, and whether that is fewer than there are. upstream: truncateEndpoints — past
/// [`MAX_CAPACITY`], the not-ready addresses are cut first, each subset keeping its share
/// (rounded up) of what is left.
fn shares(cache: &Cache) -> (Vec<(usize, usize)>, bool) {
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
    for (i, g) in cache.groups.values().enumerate() {
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
        out.push((ready_n, not_ready_n));
    }
    (out, truncated)
}

/// The first `n` addresses of a list, in IP order.
fn listed<'a>(cache: &'a Cache, keys: &'a BTreeSet<AddressKey>, n: usize) -> impl Iterator<Item = &'a EndpointAddress> {
    keys.iter().take(n).filter_map(|k| cache.pods.get(&k.2).map(|e| &e.address))
}

/// A port set's ports as the Endpoints lists them (by name, then port).
fn port_list(ports: &[ResolvedPort]) -> Vec<EndpointPort> {
    let mut list: Vec<EndpointPort> = ports
        .iter()
        .map(|(name, port, protocol, app)| EndpointPort {
            name: Some(name.clone()).filter(|n| !n.is_empty()),
            port: *port,
            protocol: Some(protocol.clone()),
            app_protocol: app.clone(),
        })
        .collect();
    list.sort_by(|a, b| a.name.cmp(&b.name).then(a.port.cmp(&b.port)));
    list
}

/// upstream: RepackSubsets, then truncateEndpoints — one subset per port set (port sets in
/// order, ports by name), its addresses by IP, as many as [`shares`] keeps.
fn subsets(cache: &Cache, shares: &[(usize, usize)]) -> Vec<EndpointSubset> {
    let list = |keys, n| Some(listed(cache, keys, n).cloned().collect::<Vec<_>>()).filter(|l| !l.is_empty());
    cache
        .groups
        .iter()
        .zip(shares)
        .map(|((ports, g), &(ready_n, not_ready_n))| EndpointSubset {
            addresses: list(&g.ready, ready_n),
            not_ready_addresses: list(&g.not_ready, not_ready_n),
            ports: Some(port_list(ports)).filter(|l| !l.is_empty()),
        })
        .filter(|s| s.addresses.is_some() || s.not_ready_addresses.is_some())
        .collect()
}

/// Whether [`subsets`] would give `stored`, worked out without building it.
fn lists_as(cache: &Cache, shares: &[(usize, usize)], stored: &[EndpointSubset]) -> bool {
    // `Some` of a list as `subsets` makes one: `None` when it would be empty.
    fn same<'a, T: PartialEq + 'a>(stored: &Option<Vec<T>>, mut made: impl Iterator<Item = &'a T>) -> bool {
        match stored {
            None => made.next().is_none(),
            Some(list) => !list.is_empty() && list.iter().eq(made),
        }
    }
    let mut stored = stored.iter();
    for ((ports, g), &(ready_n, not_ready_n)) in cache.groups.iter().zip(shares) {
        let shown = |keys, n| listed(cache, keys, n).next().is_some();
        if !shown(&g.ready, ready_n) && !shown(&g.not_ready, not_ready_n) {
            continue;
        }
        let Some(s) = stored.next() else { return false };
        if !same(&s.addresses, listed(cache, &g.ready, ready_n))
            || !same(&s.not_ready_addresses, listed(cache, &g.not_ready, not_ready_n))
            || !same(&s.ports, port_list(ports).iter())
        {
            return false;
        }
    }
    stored.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A Service's addresses: each pod's port set (0: headless, no ports), readiness and IP.
    fn cache(pods: &[(u8, bool, u16)]) -> Cache {
        let mut c = Cache::default();
        for (i, &(ports, ready, ip)) in pods.iter().enumerate() {
            let name: Arc<str> = format!("p{i}").into();
            let ports: Arc<[ResolvedPort]> = (0..ports).map(|p| (format!("p{p}"), 80, "TCP".into(), None)).collect();
            let ip = format!("10.0.{}.{}", ip / 256, ip % 256);
            let address = EndpointAddress { ip: ip.clone(), ..Default::default() };
            c.insert(name.clone(), Entry { ports, ready, key: (ip, i.to_string(), name), address });
        }
        c
    }

    /// Ways to make a stored list differ from (or, by chance, equal) what a sync lists.
    fn mutate(mut subsets: Vec<EndpointSubset>, how: u8, at: usize) -> Vec<EndpointSubset> {
        let n = subsets.len();
        match (how, n) {
            (0, _) => {}
            (1, _) => subsets.push(EndpointSubset::default()),
            (_, 0) => subsets.push(EndpointSubset { addresses: Some(Vec::new()), ..Default::default() }),
            (2, _) => drop(subsets.remove(at % n)),
            (3, _) => {
                if let Some(a) = subsets[at % n].addresses.as_mut().and_then(|l| l.pop()) {
                    subsets[at % n].not_ready_addresses.get_or_insert_with(Vec::new).push(a);
                }
            }
            (4, _) => subsets[at % n].ports = None,
            (5, _) => {
                if let Some(a) = subsets[at % n].addresses.as_mut().and_then(|l| l.first_mut()) {
                    a.ip.push('0');
                }
            }
            (6, _) => {
                // An empty list where a sync lists none (`None`), or emptied.
                let s = &mut subsets[at % n];
                match (&s.not_ready_addresses, &s.ports) {
                    (None, _) => s.not_ready_addresses = Some(Vec::new()),
                    (_, None) => s.ports = Some(Vec::new()),
                    _ => s.addresses.get_or_insert_with(Vec::new).clear(),
                }
            }
            _ => subsets.swap(0, at % n),
        }
        subsets
    }

    #[test]
    fn a_port_set_left_out_by_the_truncation_is_skipped_in_place_too() {
        // (ports, ready, count): more than 1,000 ready addresses, or exactly 1,000, leave no
        // room for another port set's not-ready ones: its subset is not listed at all.
        for (ready, extra) in [(1001, 5), (1000, 5), (999, 5)] {
            let pods: Vec<(u8, bool, u16)> = (0..ready)
                .map(|i| (1, true, i as u16))
                .chain((0..extra).map(|i| (2, false, 1500 + i as u16)))
                .collect();
            let c = cache(&pods);
            let (shares, truncated) = shares(&c);
            assert!(truncated, "{ready} + {extra} addresses are past 1,000");
            let built = subsets(&c, &shares);
            assert_eq!(built.len(), if ready >= 1000 { 1 } else { 2 }, "{ready} ready: {shares:?}");
            assert!(lists_as(&c, &shares, &built), "{ready} ready");
            let mut more = built.clone();
            more.push(EndpointSubset { not_ready_addresses: Some(Vec::new()), ..Default::default() });
            assert!(!lists_as(&c, &shares, &more), "{ready} ready: a subset too many");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]
        /// Comparing in place says what building the subsets and comparing them says, truncated
        /// (past 1,000 addresses) or not.
        #[test]
        fn a_stored_list_is_compared_in_place_as_when_built(
            pods in prop::collection::vec((0u8..3, any::<bool>(), 0u16..2048), 0..1300),
            how in 0u8..8,
            at in 0usize..8,
        ) {
            let c = cache(&pods);
            let (shares, _) = shares(&c);
            let built = subsets(&c, &shares);
            prop_assert!(lists_as(&c, &shares, &built));
            let stored = mutate(built.clone(), how, at);
            prop_assert_eq!(lists_as(&c, &shares, &stored), stored == built, "{:?}", how);
        }
    }
}
