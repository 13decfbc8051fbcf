//! The EndpointSlice controller (upstream: `pkg/controller/endpointslice` with the reconciler of
//! `k8s.io/endpointslice`): every Service with a selector gets EndpointSlices listing the pods it
//! selects that have an IP and are not finished, at most 100 endpoints a slice, one group of
//! slices per set of ports the pods resolve (a named `targetPort` can resolve differently per
//! pod), and an empty placeholder slice while it selects none.
//!
//! Upstream lists every pod of the Service on each sync. kubesim remembers, per Service, which
//! slice holds each pod and how full each slice is (a [`Memory`], rebuilt from the stored slices
//! whenever it is missing), and a sync reworks only the pods written since the previous one and
//! the slices holding them: O(pods changed) a sync, not O(pods selected). The reconcile rules
//! are upstream's, step by step; where upstream picks from a set at random (the endpoints to
//! add), kubesim takes them in pod-name order, so the result is deterministic, and a sync from
//! memory gives what a sync from scratch gives.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use k8s_openapi::api::core::v1 as core;
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointConditions, EndpointPort, EndpointSlice};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use rustc_hash::{FxHashMap, FxHashSet};

use super::{Ctx, Reconciled, Write};
use crate::api::meta::{Meta, OwnerRef, StringMap};
use crate::api::pod::Phase;
use crate::api::{Body, Kind, Object, Uid};
use crate::sim::clock::Millis;
use crate::store::{DeleteOptions, ObjectKey};

/// upstream: discovery.LabelServiceName, LabelManagedBy and v1.IsHeadlessService.
pub const LABEL_SERVICE_NAME: &str = "kubernetes.io/service-name";
pub const LABEL_MANAGED_BY: &str = "endpointslice.kubernetes.io/managed-by";
pub const LABEL_HEADLESS: &str = "service.kubernetes.io/headless";
/// upstream: the controller's name in the managed-by label.
pub const CONTROLLER_NAME: &str = "endpointslice-controller.k8s.io";
/// upstream: v1.EndpointsLastChangeTriggerTime.
pub const TRIGGER_TIME: &str = "endpoints.kubernetes.io/last-change-trigger-time";
/// upstream: v1.LabelTopologyZone, which an endpoint's `zone` is read from.
pub const ZONE_LABEL: &str = "topology.kubernetes.io/zone";
/// upstream: the controller's `--max-endpoints-per-slice` default.
pub const MAX_ENDPOINTS_PER_SLICE: usize = 100;

/// A slice's ports as a comparable key (upstream: endpointsliceutil.PortMapKey).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PortKey(Arc<[PortFields]>);

/// An EndpointPort's name, port, protocol and appProtocol.
type PortFields = (Option<String>, Option<i32>, Option<String>, Option<String>);

/// The endpoints a sync wants, by port map: the ports, and each pod's endpoint.
type Desired = BTreeMap<PortKey, (Vec<EndpointPort>, BTreeMap<Arc<str>, Endpoint>)>;

impl PortKey {
    fn of(ports: &[EndpointPort]) -> PortKey {
        PortKey(ports.iter().map(|p| (p.name.clone(), p.port, p.protocol.clone(), p.app_protocol.clone())).collect())
    }
}

/// What the controller knows of one stored slice.
#[derive(Clone, Debug)]
struct SliceInfo {
    ports: PortKey,
    len: usize,
}

/// The slices of one port map, so that a sync reads the slices it needs, not all of them.
#[derive(Clone, Debug, Default)]
struct PortGroup {
    /// The endpoints its slices hold.
    total: usize,
    /// (endpoints, name) of each of its slices: the fullest that still fits is a range's end.
    by_len: BTreeSet<(usize, Arc<str>)>,
}

/// One Service's slices as of its last sync, and the pods written since.
#[derive(Clone, Debug, Default)]
pub struct Cache {
    uid: Uid,
    /// The Service's resourceVersion at the sync (any change of it means a sync from scratch).
    version: u64,
    /// The slice holding each pod's endpoint.
    placed: FxHashMap<Arc<str>, Arc<str>>,
    slices: BTreeMap<Arc<str>, SliceInfo>,
    /// The same slices by port map.
    groups: BTreeMap<PortKey, PortGroup>,
    dirty: Vec<Arc<str>>,
}

/// The pods whose endpoints a slice holds.
fn pods_of(slice: &EndpointSlice) -> impl Iterator<Item = &str> {
    slice.endpoints.iter().filter_map(|ep| ep.target_ref.as_ref().and_then(|r| r.name.as_deref()))
}

impl Cache {
    /// What is known of a slice after it went from `old` to `new` (`None`: not there). The pods
    /// an update keeps stay placed as they were: a rewrite of a full slice for one changed pod
    /// touches that pod's entry, not a hundred.
    fn rewrite(&mut self, old: Option<&Object>, new: Option<&Object>) {
        fn slice(o: Option<&Object>) -> Option<(Arc<str>, &EndpointSlice)> {
            match o.map(|o| (&o.meta.name, &o.body)) {
                Some((name, Body::EndpointSlice(s))) => Some((name.clone(), &**s)),
                _ => None,
            }
        }
        let (old, new) = (slice(old), slice(new));
        let kept: FxHashSet<&str> = match (&old, &new) {
            (Some((a, _)), Some((b, s))) if a == b => pods_of(s).collect(),
            _ => FxHashSet::default(),
        };
        if let Some((name, s)) = &old {
            for pod in pods_of(s).filter(|p| !kept.contains(p)) {
                if self.placed.get(pod).is_some_and(|s| s == name) {
                    self.placed.remove(pod);
                }
            }
            self.forget(name);
        }
        if let Some((name, s)) = new {
            for pod in pods_of(s) {
                if self.placed.get(pod).is_none_or(|s| *s != name) {
                    self.placed.insert(pod.into(), name.clone());
                }
            }
            self.forget(&name);
            let ports = PortKey::of(s.ports.as_deref().unwrap_or_default());
            let len = s.endpoints.len();
            let group = self.groups.entry(ports.clone()).or_default();
            group.total += len;
            group.by_len.insert((len, name.clone()));
            self.slices.insert(name, SliceInfo { ports, len });
        }
    }

    /// Drop what is known of the slice `name`.
    fn forget(&mut self, name: &Arc<str>) {
        let Some(info) = self.slices.remove(name) else { return };
        if let Some(group) = self.groups.get_mut(&info.ports) {
            group.total -= info.len;
            group.by_len.remove(&(info.len, name.clone()));
            if group.by_len.is_empty() {
                self.groups.remove(&info.ports);
            }
        }
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
    /// The controller's own write of one of `svc`'s slices was committed.
    pub fn slice_written(&mut self, svc: &ObjectKey, old: Option<&Object>, new: Option<&Object>) {
        if let Some(c) = self.get_mut(svc) {
            c.rewrite(old, new);
        }
    }
}

/// The Service a slice belongs to, by its label (upstream: ServiceControllerKey).
pub fn service_of(slice: &Object) -> Option<ObjectKey> {
    let name = slice.meta.labels.get(LABEL_SERVICE_NAME).filter(|n| !n.is_empty())?;
    Some(ObjectKey::new(Kind::Service, &slice.meta.namespace, name))
}

/// Whether the slice carries this controller's managed-by label.
pub fn managed(slice: &Object) -> bool {
    slice.meta.labels.get(LABEL_MANAGED_BY).is_some_and(|m| m == CONTROLLER_NAME)
}

/// Whether the controller manages a Service's endpoints: the Service's pod selector.
pub use crate::api::object::service_selector as manages;

/// upstream: the Service selector (a plain map: every pair must match).
pub fn selects(selector: &BTreeMap<String, String>, labels: &StringMap) -> bool {
    selector.iter().all(|(k, v)| labels.get(k).is_some_and(|l| l == v))
}

/// Whether a pod write can change an endpoint or which Services select the pod (upstream:
/// podEndpointsChanged): labels, hostname, subdomain, deletion, readiness, IP, node, phase.
pub fn pod_write_matters(old: &Object, new: &Object) -> bool {
    let (Body::Pod { spec: os, status: ost }, Body::Pod { spec: ns, status: nst }) = (&old.body, &new.body) else {
        return true;
    };
    old.meta.labels != new.meta.labels
        || old.meta.deletion_timestamp() != new.meta.deletion_timestamp()
        || os.hostname != ns.hostname
        || os.subdomain != ns.subdomain
        || ost.is_ready() != nst.is_ready()
        || ost.pod_ip != nst.pod_ip
        || ost.node_name != nst.node_name
        || ost.phase != nst.phase
}

/// upstream: FindPort — a named target port is looked up in the pod's containers (and its
/// restartable init containers) by name and protocol.
fn find_port(pod_spec: &core::PodSpec, port: &core::ServicePort) -> Option<i32> {
    let protocol = port.protocol.as_deref().unwrap_or("TCP");
    match port.target_port.as_ref() {
        Some(IntOrString::Int(n)) => Some(*n),
        None => Some(port.port),
        Some(IntOrString::String(name)) => {
            let sidecars =
                pod_spec.init_containers.iter().flatten().filter(|c| c.restart_policy.as_deref() == Some("Always"));
            pod_spec.containers.iter().chain(sidecars).flat_map(|c| c.ports.iter().flatten()).find_map(|p| {
                (p.name.as_deref() == Some(name.as_str()) && p.protocol.as_deref().unwrap_or("TCP") == protocol)
                    .then_some(p.container_port)
            })
        }
    }
}

/// One service port as a pod resolves it: name, port, protocol, appProtocol.
pub type ResolvedPort = (String, i32, String, Option<String>);

/// upstream: getEndpointPorts (and the endpoints controller's loop over the service ports) —
/// the Service's ports as this pod resolves them; a port the pod does not have is left out.
pub fn resolved_ports(spec: &core::ServiceSpec, pod_spec: &core::PodSpec) -> Vec<ResolvedPort> {
    let ports = spec.ports.as_deref().unwrap_or_default();
    ports
        .iter()
        .filter_map(|p| {
            let n = find_port(pod_spec, p)?;
            let protocol = p.protocol.clone().unwrap_or_else(|| "TCP".into());
            Some((p.name.clone().unwrap_or_default(), n, protocol, p.app_protocol.clone()))
        })
        .collect()
}

fn endpoint_ports(spec: &core::ServiceSpec, pod_spec: &core::PodSpec) -> Vec<EndpointPort> {
    resolved_ports(spec, pod_spec)
        .into_iter()
        .map(|(name, port, protocol, app_protocol)| EndpointPort {
            name: Some(name),
            port: Some(port),
            protocol: Some(protocol),
            app_protocol,
        })
        .collect()
}

/// upstream: ShouldSetHostname — the pod's hostname when its subdomain is the Service.
pub fn hostname_for(svc: &Object, pod: &Object, pod_spec: &core::PodSpec) -> Option<String> {
    pod_spec.hostname.clone().filter(|h| {
        !h.is_empty()
            && pod_spec.subdomain.as_deref() == Some(&*svc.meta.name)
            && pod.meta.namespace == svc.meta.namespace
    })
}

/// The address type kubesim gives a Service's slices: pods have IPv4 addresses only, so an
/// IPv6-only Service gets IPv6 slices without endpoints (dual stack is not modelled).
fn address_type(spec: &core::ServiceSpec) -> &'static str {
    match spec.ip_families.as_deref() {
        Some([only]) if only == "IPv6" => "IPv6",
        _ => "IPv4",
    }
}

/// What a sync needs of its Service.
struct Target<'a> {
    svc: &'a Object,
    spec: &'a core::ServiceSpec,
    selector: &'a BTreeMap<String, String>,
    address_type: &'static str,
}

impl Target<'_> {
    /// upstream: ShouldPodBeInEndpoints (terminating pods included) and podToEndpoint: the
    /// pod's endpoint and the ports it resolves, if it belongs in a slice.
    fn endpoint(&self, ctx: &Ctx, pod: &Object) -> Option<(Vec<EndpointPort>, Endpoint)> {
        let Body::Pod { spec, status } = &pod.body else { return None };
        if !selects(self.selector, &pod.meta.labels) || matches!(status.phase, Phase::Succeeded | Phase::Failed) {
            return None;
        }
        let ip = status.pod_ip?;
        let publish = self.spec.publish_not_ready_addresses == Some(true);
        let node_name = spec.node_name.as_deref().or(status.node_name.as_deref());
        let node = node_name.and_then(|n| ctx.store.get_by_key(&ObjectKey::new(Kind::Node, "", n)));
        // upstream: a pod on a node that does not exist is left out (unless published anyway).
        if node_name.is_some() && node.is_none() && !publish {
            return None;
        }
        if self.address_type != "IPv4" {
            // No pod has an address of another family.
            return None;
        }
        let serving = status.is_ready();
        let terminating = pod.meta.deletion_timestamp().is_some();
        let ready = publish || (serving && !terminating);
        let zone = node.and_then(|n| n.meta.labels.get(ZONE_LABEL)).filter(|z| !z.is_empty());
        let hostname = hostname_for(self.svc, pod, spec);
        let endpoint = Endpoint {
            addresses: vec![ip.to_string()],
            conditions: Some(EndpointConditions {
                ready: Some(ready),
                serving: Some(serving),
                terminating: Some(terminating),
            }),
            target_ref: Some(core::ObjectReference {
                kind: Some("Pod".into()),
                namespace: Some(pod.meta.namespace.to_string()),
                name: Some(pod.meta.name.to_string()),
                uid: Some(pod.meta.uid.to_string()),
                ..Default::default()
            }),
            node_name: node_name.map(str::to_string),
            zone: zone.cloned(),
            hostname,
            ..Default::default()
        };
        Some((endpoint_ports(self.spec, spec), endpoint))
    }

    /// upstream: setEndpointSliceLabels — the Service's labels but the reserved ones, then the
    /// service name, the manager and (for a headless Service) the headless label.
    fn labels(&self) -> StringMap {
        let mut out = StringMap::new();
        for (k, v) in self.svc.meta.labels.iter() {
            if ![LABEL_SERVICE_NAME, LABEL_MANAGED_BY, LABEL_HEADLESS].contains(&k.as_str()) {
                out.insert(k.clone(), v.clone());
            }
        }
        if matches!(self.spec.cluster_ip.as_deref(), None | Some("") | Some("None")) {
            out.insert(LABEL_HEADLESS.into(), String::new());
        }
        out.insert(LABEL_SERVICE_NAME.into(), self.svc.meta.name.to_string());
        out.insert(LABEL_MANAGED_BY.into(), CONTROLLER_NAME.into());
        out
    }

    /// upstream: newEndpointSlice — `<service>-` plus a generated suffix, owned by the Service.
    fn new_slice(&self, ports: Vec<EndpointPort>) -> Object {
        let svc = &self.svc.meta;
        let meta = Meta {
            generate_name: Some(Arc::new(format!("{}-", svc.name))),
            namespace: svc.namespace.clone(),
            labels: Arc::new(self.labels()),
            owner_references: Arc::new(vec![OwnerRef::controller_of(Kind::Service, &svc.name, svc.uid)]),
            ..Default::default()
        };
        let body = EndpointSlice {
            address_type: self.address_type.into(),
            endpoints: Vec::new(),
            ports: Some(ports),
            metadata: Default::default(),
        };
        Object { meta, body: Body::EndpointSlice(Box::new(body)) }
    }
}

/// A slice being rewritten in this sync.
struct Draft {
    obj: Object,
    /// Read from the store (an update) or new (a create).
    stored: bool,
}

impl Draft {
    /// An update of the stored slice with `endpoints` in place of its own (which are not copied).
    fn stored_with(stored: &Object, endpoints: Vec<Endpoint>) -> Draft {
        let body = match &stored.body {
            Body::EndpointSlice(s) => Body::EndpointSlice(Box::new(EndpointSlice {
                address_type: s.address_type.clone(),
                endpoints,
                metadata: s.metadata.clone(),
                ports: s.ports.clone(),
            })),
            other => other.clone(),
        };
        Draft { obj: Object { meta: stored.meta.clone(), body }, stored: true }
    }
    fn slice(&mut self) -> &mut EndpointSlice {
        match &mut self.obj.body {
            Body::EndpointSlice(s) => s,
            _ => unreachable!("drafts are EndpointSlices"),
        }
    }
    fn len(&self) -> usize {
        match &self.obj.body {
            Body::EndpointSlice(s) => s.endpoints.len(),
            _ => 0,
        }
    }
}

/// `key` is a Service's.
pub fn reconcile(ctx: &Ctx, key: &ObjectKey) -> Reconciled {
    let Some(svc) = ctx.store.get_by_key(key) else { return Reconciled::nothing() };
    let Body::Service(service) = &svc.body else { return Reconciled::nothing() };
    let (Some(spec), Some(selector)) = (service.spec.as_ref(), manages(service)) else {
        return Reconciled::nothing();
    };
    let target = Target { svc, spec, selector, address_type: address_type(spec) };
    let cache = ctx.slices.take(key).filter(|c| c.uid == svc.meta.uid && c.version == svc.meta.resource_version);
    let (cache, pods, full) = match cache {
        Some(mut c) => {
            let dirty: BTreeSet<Arc<str>> = std::mem::take(&mut c.dirty).into_iter().collect();
            (c, dirty, false)
        }
        None => {
            let (c, pods) = from_scratch(ctx, &target);
            (c, pods, true)
        }
    };
    let mut plan = plan(ctx, &target, &cache, &pods, full);
    #[cfg(debug_assertions)]
    if !full {
        // A sync from memory decides what a sync from scratch would.
        let (scratch, all) = from_scratch(ctx, &target);
        let want = self::plan(ctx, &target, &scratch, &all, true);
        debug_assert_eq!(plan.summary(), want.summary(), "EndpointSlices of {key:?} from memory");
    }
    if cache.slices.is_empty() {
        // upstream: a Service the trigger time tracker has not seen (none of its slices is
        // stored yet) counts from its creation.
        plan.trigger = min_time(plan.trigger, Some(svc.meta.creation_timestamp));
    }
    let writes = plan.into_writes(&target);
    ctx.slices.put(key.clone(), cache);
    Reconciled { writes, requeue_at: None }
}

/// A Service's memory read from its stored slices, and every pod to look at: those the slices
/// hold and those the selector matches.
fn from_scratch(ctx: &Ctx, t: &Target) -> (Cache, BTreeSet<Arc<str>>) {
    let svc = t.svc;
    let mut c = Cache { uid: svc.meta.uid, version: svc.meta.resource_version, ..Default::default() };
    for s in slices_of(ctx, svc) {
        c.rewrite(None, Some(s));
    }
    let mut pods: BTreeSet<Arc<str>> = c.placed.keys().cloned().collect();
    pods.extend(
        ctx.store
            .scan(Kind::Pod, Some(&svc.meta.namespace))
            .filter(|p| selects(t.selector, &p.meta.labels))
            .map(|p| p.meta.name.clone()),
    );
    (c, pods)
}

/// The slices labelled with the Service's name and this controller (upstream: the lister's
/// selector), owned by it or not.
fn slices_of<'a>(ctx: &'a Ctx, svc: &'a Object) -> impl Iterator<Item = &'a Arc<Object>> + 'a {
    ctx.store
        .scan(Kind::EndpointSlice, Some(&svc.meta.namespace))
        .filter(|s| s.meta.labels.get(LABEL_SERVICE_NAME).is_some_and(|n| **n == *svc.meta.name) && managed(s))
}

/// What a sync decided.
#[derive(Default)]
struct Plan {
    create: Vec<Draft>,
    update: BTreeMap<Arc<str>, Draft>,
    delete: BTreeMap<Arc<str>, Arc<Object>>,
    /// The earliest change the sync saw (upstream: the trigger time tracker).
    trigger: Option<Millis>,
}

/// upstream: reconcileByAddressType and reconcileByPortMapping, over the slices holding the
/// pods in `pods` (every slice in a sync from scratch).
fn plan(ctx: &Ctx, t: &Target, cache: &Cache, pods: &BTreeSet<Arc<str>>, full: bool) -> Plan {
    let mut out = Plan::default();
    // The desired endpoint of every pod looked at, by port map, in pod-name order.
    let mut desired = Desired::new();
    for name in pods {
        let key = ObjectKey::new(Kind::Pod, &t.svc.meta.namespace, name);
        let Some(pod) = ctx.store.get_by_key(&key) else { continue };
        if let Some((ports, ep)) = t.endpoint(ctx, pod) {
            let entry = desired.entry(PortKey::of(&ports)).or_insert_with(|| (ports, BTreeMap::new()));
            entry.1.insert(name.clone(), ep);
        }
    }
    // The slices to look into: those holding a pod looked at (all, from scratch).
    let touched: BTreeSet<Arc<str>> = if full {
        cache.slices.keys().cloned().collect()
    } else {
        pods.iter().filter_map(|p| cache.placed.get(p).cloned()).collect()
    };
    let labels = t.labels();
    // Whether an endpoint is of a pod looked at, asked of every endpoint of the touched slices.
    let looked: FxHashSet<&str> = pods.iter().map(|p| &**p).collect();
    // Endpoints per port map once this sync is done, to find the port maps no longer desired:
    // first those of the slices not looked into.
    let mut remaining: BTreeMap<PortKey, usize> =
        cache.groups.iter().map(|(ports, g)| (ports.clone(), g.total)).collect();
    for info in touched.iter().filter_map(|name| cache.slices.get(name)) {
        if let Some(n) = remaining.get_mut(&info.ports) {
            *n -= info.len;
        }
    }
    // 1. The touched slices keep the endpoints still desired, updated; the rest go.
    for name in &touched {
        let key = ObjectKey::new(Kind::EndpointSlice, &t.svc.meta.namespace, name);
        let Some(stored) = ctx.store.get_by_key(&key) else { continue };
        let Body::EndpointSlice(slice) = &stored.body else { continue };
        let owned = owned_by(stored, t.svc);
        if !owned || slice.address_type != t.address_type {
            out.delete.insert(name.clone(), stored.clone());
            continue;
        }
        let ports = PortKey::of(slice.ports.as_deref().unwrap_or_default());
        let mut kept = Vec::with_capacity(slice.endpoints.len());
        let mut changed = false;
        for ep in &slice.endpoints {
            let pod = ep.target_ref.as_ref().and_then(|r| r.name.as_deref()).unwrap_or_default();
            // (An endpoint of no pod is never desired: a sync from scratch drops it.)
            if !(looked.contains(pod) || full && pod.is_empty()) {
                kept.push(ep.clone());
                continue;
            }
            match desired.get_mut(&ports).and_then(|d| d.1.remove(pod)) {
                Some(want) => {
                    if want != *ep {
                        changed = true;
                        out.trigger = min_time(out.trigger, trigger_of(ctx, t, pod));
                    }
                    kept.push(want);
                }
                None => {
                    changed = true;
                    out.trigger = min_time(out.trigger, trigger_of(ctx, t, pod));
                }
            }
        }
        let labels_changed = *stored.meta.labels != labels;
        *remaining.entry(ports.clone()).or_default() += kept.len();
        if changed || kept.len() != slice.endpoints.len() {
            if kept.is_empty() {
                out.delete.insert(name.clone(), stored.clone());
            } else {
                let mut d = Draft::stored_with(stored, kept);
                d.obj.meta.labels = Arc::new(labels.clone());
                out.update.insert(name.clone(), d);
            }
        } else if labels_changed {
            let mut obj = (**stored).clone();
            obj.meta.labels = Arc::new(labels.clone());
            out.update.insert(name.clone(), Draft { obj, stored: true });
        }
    }
    // upstream: the slices of port maps no pod resolves any more are deleted.
    for (ports, (_, eps)) in &desired {
        *remaining.entry(ports.clone()).or_default() += eps.len();
    }
    for (ports, group) in &cache.groups {
        if remaining.get(ports).copied().unwrap_or(0) != 0 {
            continue;
        }
        for (_, name) in &group.by_len {
            if out.update.contains_key(name) {
                continue;
            }
            if let Some(s) = ctx.store.get_by_key(&ObjectKey::new(Kind::EndpointSlice, &t.svc.meta.namespace, name)) {
                out.delete.insert(name.clone(), s.clone());
            }
        }
    }
    // 2. and 3. The new endpoints fill the updated slices (fullest first), then the unchanged
    // slice that they would bring closest to full, then new slices.
    for (ports_key, (ports, mut new)) in desired {
        if new.is_empty() {
            continue;
        }
        for name in new.keys() {
            out.trigger = min_time(out.trigger, trigger_of(ctx, t, name));
        }
        let mut updated: Vec<&mut Draft> = out
            .update
            .values_mut()
            .filter(|d| matches!(&d.obj.body, Body::EndpointSlice(s) if PortKey::of(s.ports.as_deref().unwrap_or_default()) == ports_key))
            .collect();
        updated.sort_by_key(|d| std::cmp::Reverse(d.len()));
        for d in updated {
            while d.len() < MAX_ENDPOINTS_PER_SLICE {
                let Some((_, ep)) = new.pop_first() else { break };
                d.slice().endpoints.push(ep);
            }
        }
        while !new.is_empty() {
            let fill = if new.len() < MAX_ENDPOINTS_PER_SLICE {
                slice_to_fill(cache, &out, &ports_key, new.len())
            } else {
                None
            };
            let mut draft = match fill
                .and_then(|n| ctx.store.get_by_key(&ObjectKey::new(Kind::EndpointSlice, &t.svc.meta.namespace, &n)))
            {
                Some(s) => Draft { obj: (**s).clone(), stored: true },
                None => Draft { obj: t.new_slice(ports.clone()), stored: false },
            };
            while draft.len() < MAX_ENDPOINTS_PER_SLICE {
                let Some((_, ep)) = new.pop_first() else { break };
                draft.slice().endpoints.push(ep);
            }
            if draft.stored {
                out.update.insert(draft.obj.meta.name.clone(), draft);
            } else {
                out.create.push(draft);
            }
        }
    }
    // upstream: a placeholder slice while no other would exist.
    let existing = cache.slices.len();
    if existing == out.delete.len() && out.create.is_empty() {
        let placeholder = t.new_slice(Vec::new());
        let keep = match out.delete.values().next() {
            Some(s) if out.delete.len() == 1 => is_placeholder_like(s, &placeholder),
            _ => false,
        };
        if keep {
            out.delete.clear();
        } else {
            out.create.push(Draft { obj: placeholder, stored: false });
        }
    }
    out
}

/// upstream: ownedBy — an owner reference to the Service (uid, kind Service, apiVersion v1).
fn owned_by(slice: &Object, svc: &Object) -> bool {
    slice
        .meta
        .owner_references
        .iter()
        .any(|r| r.uid == svc.meta.uid && &*r.kind == "Service" && &*r.api_version == "v1")
}

/// upstream: placeholderSliceCompare — the same ports, endpoints, address type and labels.
fn is_placeholder_like(stored: &Object, placeholder: &Object) -> bool {
    match (&stored.body, &placeholder.body) {
        (Body::EndpointSlice(a), Body::EndpointSlice(b)) => {
            a.endpoints.is_empty()
                && a.ports.as_deref().unwrap_or_default().is_empty()
                && a.address_type == b.address_type
                && stored.meta.labels == placeholder.meta.labels
        }
        _ => false,
    }
}

/// upstream: getSliceToFill — among the slices left unchanged, the one `n` endpoints would bring
/// closest to full (the first by name among equals): the fullest that `n` more still fit, read
/// from the port map's slices ordered by size, skipping those this sync changes.
fn slice_to_fill(cache: &Cache, plan: &Plan, ports: &PortKey, n: usize) -> Option<Arc<str>> {
    let group = cache.groups.get(ports)?;
    let none: Arc<str> = Arc::from("");
    let left = |name: &Arc<str>| !plan.update.contains_key(name) && !plan.delete.contains_key(name);
    // Sizes from the largest that fits down; within a size, names in order.
    let mut below = MAX_ENDPOINTS_PER_SLICE.checked_sub(n)? + 1;
    while let Some((len, _)) = group.by_len.range(..(below, none.clone())).next_back() {
        let len = *len;
        if let Some((_, name)) = group.by_len.range((len, none.clone())..(len + 1, none.clone())).find(|(_, n)| left(n))
        {
            return Some(name.clone());
        }
        below = len;
    }
    None
}

fn min_time(a: Option<Millis>, b: Option<Millis>) -> Option<Millis> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// upstream: getPodTriggerTime — when the pod's Ready condition last changed.
fn trigger_of(ctx: &Ctx, t: &Target, pod: &str) -> Option<Millis> {
    let p = ctx.store.get_by_key(&ObjectKey::new(Kind::Pod, &t.svc.meta.namespace, pod))?;
    let Body::Pod { status, .. } = &p.body else { return None };
    status.condition(crate::api::pod::ConditionType::Ready).map(|c| c.last_transition)
}

impl Plan {
    /// What the plan writes, for comparing two plans: each slice's name (or `+` for a new one),
    /// ports and endpoints.
    #[cfg(debug_assertions)]
    fn summary(&self) -> Vec<String> {
        let describe = |prefix: &str, o: &Object| match &o.body {
            Body::EndpointSlice(s) => {
                format!("{prefix}{} {:?} {:?} {:?}", o.meta.name, s.ports, s.endpoints, o.meta.labels)
            }
            _ => String::new(),
        };
        let mut out: Vec<String> = self.create.iter().map(|d| describe("+", &d.obj)).collect();
        out.extend(self.update.values().map(|d| describe("~", &d.obj)));
        out.extend(self.delete.values().map(|s| describe("-", s)));
        out
    }

    /// upstream: finalize — creates become updates of slices that would be deleted; then
    /// creates, updates and deletes.
    fn into_writes(mut self, t: &Target) -> Vec<Write> {
        let deletes: Vec<Arc<str>> = self.delete.keys().cloned().collect();
        for name in deletes {
            let Some(stored) = self.delete.get(&name) else { continue };
            let owned = owned_by(stored, t.svc);
            let same_type = matches!(&stored.body, Body::EndpointSlice(s) if s.address_type == t.address_type);
            if !owned || !same_type {
                continue;
            }
            let Some(mut draft) = self.create.pop() else { break };
            let stored = self.delete.remove(&name).expect("present");
            draft.obj.meta = Meta { labels: draft.obj.meta.labels.clone(), ..stored.meta.clone() };
            draft.stored = true;
            self.update.insert(name, draft);
        }
        // upstream: no new slices for a Service being deleted (the garbage collector would race
        // them); its slices are still updated and deleted.
        if t.svc.meta.deletion_timestamp().is_some() {
            self.create.clear();
        }
        let trigger = self.trigger;
        let stamp = |obj: &mut Object| {
            let mut annotations = (*obj.meta.annotations).clone();
            match trigger {
                Some(ms) => {
                    annotations.insert(TRIGGER_TIME.into(), crate::api::meta::rfc3339_nano(ms));
                }
                None => {
                    annotations.remove(TRIGGER_TIME);
                }
            }
            obj.meta.annotations = Arc::new(annotations);
        };
        let mut writes = Vec::new();
        for mut d in self.create {
            stamp(&mut d.obj);
            writes.push(Write::Create { obj: Box::new(d.obj), batch: 0, event: None });
        }
        for (_, mut d) in self.update {
            stamp(&mut d.obj);
            writes.push(Write::Update(Box::new(d.obj)));
        }
        for (_, s) in self.delete {
            writes.push(Write::Delete {
                key: ObjectKey::of(&s),
                options: DeleteOptions { uid: Some(s.meta.uid), ..Default::default() },
            });
        }
        writes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A slice named `name` with `len` endpoints (pods `name-0`, …) and the given port.
    fn slice(name: &str, port: i32, len: usize) -> Object {
        let endpoints = (0..len)
            .map(|i| Endpoint {
                target_ref: Some(core::ObjectReference { name: Some(format!("{name}-{i}")), ..Default::default() }),
                ..Default::default()
            })
            .collect();
        let ports = Some(vec![EndpointPort { port: Some(port), ..Default::default() }]);
        let body = Body::EndpointSlice(Box::new(EndpointSlice { endpoints, ports, ..Default::default() }));
        Object { meta: Meta { name: name.into(), ..Default::default() }, body }
    }

    /// upstream's getSliceToFill as a scan of every slice, in name order.
    fn slice_to_fill_by_scan(cache: &Cache, plan: &Plan, ports: &PortKey, n: usize) -> Option<Arc<str>> {
        let mut best: Option<(usize, &Arc<str>)> = None;
        for (name, info) in &cache.slices {
            if &info.ports != ports || plan.update.contains_key(name) || plan.delete.contains_key(name) {
                continue;
            }
            let Some(diff) = MAX_ENDPOINTS_PER_SLICE.checked_sub(n + info.len) else { continue };
            if best.is_none_or(|(d, _)| diff < d) {
                best = Some((diff, name));
            }
        }
        best.map(|(_, n)| n.clone())
    }

    /// A slice named `name` holding the endpoints of `pods`.
    fn holding(name: &str, pods: &[&str]) -> Object {
        let mut s = slice(name, 80, pods.len());
        if let Body::EndpointSlice(body) = &mut s.body {
            for (ep, pod) in body.endpoints.iter_mut().zip(pods) {
                ep.target_ref = Some(core::ObjectReference { name: Some(pod.to_string()), ..Default::default() });
            }
        }
        s
    }

    #[test]
    fn a_pod_moved_between_slices_is_placed_in_the_one_holding_it() {
        let placed = |c: &Cache| -> Vec<(String, String)> {
            let mut v: Vec<_> = c.placed.iter().map(|(p, s)| (p.to_string(), s.to_string())).collect();
            v.sort();
            v
        };
        let pair = |p: &str, s: &str| (p.to_string(), s.to_string());
        // Moved out first, then in.
        let mut c = Cache::default();
        let a = holding("a", &["p1", "p2"]);
        c.rewrite(None, Some(&a));
        let a2 = holding("a", &["p2"]);
        c.rewrite(Some(&a), Some(&a2));
        c.rewrite(None, Some(&holding("b", &["p1"])));
        assert_eq!(placed(&c), vec![pair("p1", "b"), pair("p2", "a")]);
        // Moved in first, then out: the slice it left does not take it back out.
        let mut c = Cache::default();
        c.rewrite(None, Some(&a));
        let b = holding("b", &["p1", "p3"]);
        c.rewrite(None, Some(&b));
        c.rewrite(Some(&a), Some(&a2));
        assert_eq!(placed(&c), vec![pair("p1", "b"), pair("p2", "a"), pair("p3", "b")]);
        // A slice deleted takes its pods with it, and only those still placed in it.
        c.rewrite(Some(&b), None);
        assert_eq!(placed(&c), vec![pair("p2", "a")]);
    }

    proptest! {
        /// The slice to fill, read from the port map's slices by size, is the one a scan of
        /// every slice finds; and each port map's count is its slices' sum, after slices are
        /// written and deleted.
        #[test]
        fn the_slice_to_fill_is_the_one_a_scan_finds(
            writes in prop::collection::vec((0usize..40, 0i32..2, 0usize..=100, any::<bool>()), 1..120),
            changing in prop::collection::vec((0usize..40, any::<bool>()), 0..10),
            n in 1usize..100,
        ) {
            let mut cache = Cache::default();
            let mut stored: BTreeMap<String, Object> = BTreeMap::new();
            for (i, port, len, delete) in writes {
                let name = format!("s{i}");
                let old = stored.remove(&name);
                let new = (!delete).then(|| slice(&name, port, len));
                cache.rewrite(old.as_ref(), new.as_ref());
                if let Some(new) = new {
                    stored.insert(name, new);
                }
            }
            // Each pod is placed in the slice holding it (the slices' pods are their own).
            let placed: BTreeMap<&str, &str> = stored
                .values()
                .flat_map(|o| match &o.body {
                    Body::EndpointSlice(s) => pods_of(s).map(|p| (p, &*o.meta.name)).collect::<Vec<_>>(),
                    _ => Vec::new(),
                })
                .collect();
            let kept: BTreeMap<&str, &str> = cache.placed.iter().map(|(p, s)| (&**p, &**s)).collect();
            prop_assert_eq!(kept, placed);
            for (ports, group) in &cache.groups {
                let of_group: Vec<&SliceInfo> = cache.slices.values().filter(|s| &s.ports == ports).collect();
                prop_assert_eq!(group.total, of_group.iter().map(|s| s.len).sum::<usize>());
                prop_assert_eq!(group.by_len.len(), of_group.len());
            }
            prop_assert_eq!(cache.groups.values().map(|g| g.by_len.len()).sum::<usize>(), cache.slices.len());
            let mut plan = Plan::default();
            for (i, update) in changing {
                let name: Arc<str> = format!("s{i}").into();
                if update {
                    plan.update.insert(name.clone(), Draft { obj: slice(&name, 0, 0), stored: true });
                } else {
                    plan.delete.insert(name.clone(), Arc::new(slice(&name, 0, 0)));
                }
            }
            for port in 0..2 {
                let ports = PortKey::of(&[EndpointPort { port: Some(port), ..Default::default() }]);
                prop_assert_eq!(slice_to_fill(&cache, &plan, &ports, n), slice_to_fill_by_scan(&cache, &plan, &ports, n));
            }
        }
    }
}
