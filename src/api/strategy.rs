//! Per-kind rules the API server's registry applies on create and update
//! (`PrepareForCreate`, `PrepareForUpdate`, `ValidateUpdate`): status is reset on create and
//! is not writable through the main resource; selectors are immutable in apps/v1.

use std::sync::Arc;

use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::field::{ErrorList, FieldError, Path};
use super::object::{Body, Object};
use super::pod::{PodRuntime, QosClass};

/// The finalizer the namespace controller removes once a deleted namespace is empty.
pub const NAMESPACE_FINALIZER: &str = "kubernetes";

/// Reset what a client may not set on create.
pub fn prepare_for_create(obj: &mut Object) {
    match &mut obj.body {
        Body::Deployment { status, .. } => **status = Default::default(),
        Body::ReplicaSet { status, .. } => **status = Default::default(),
        Body::HorizontalPodAutoscaler { status, .. } => **status = Default::default(),
        Body::Pod { spec, status } => {
            // upstream: podStrategy.PrepareForCreate — phase Pending and the computed QoS class.
            *status = PodRuntime {
                qos_class: qos_class(spec),
                containers: vec![Default::default(); spec.containers.len()].into(),
                ..Default::default()
            };
        }
        Body::Namespace { spec, status } => {
            *status = Some(core::NamespaceStatus { phase: Some("Active".into()), ..Default::default() });
            // upstream: namespaceStrategy.PrepareForCreate — the `kubernetes` finalizer is required.
            let finalizers = spec.get_or_insert_with(Default::default).finalizers.get_or_insert_with(Vec::new);
            if !finalizers.iter().any(|f| f == NAMESPACE_FINALIZER) {
                finalizers.push(NAMESPACE_FINALIZER.into());
            }
        }
        // upstream: svcStrategy.PrepareForCreate — a new Service's status is reset.
        Body::Service(svc) => {
            svc.status = Some(core::ServiceStatus { load_balancer: Some(Default::default()), ..Default::default() })
        }
        Body::Node { .. } | Body::Event(_) | Body::ConfigMap(_) | Body::Secret(_) | Body::ServiceAccount(_) => {}
        Body::Job { status, .. } => **status = Default::default(),
        Body::CronJob { status, .. } => **status = Default::default(),
        // upstream: podDisruptionBudgetStrategy.PrepareForCreate — the status starts empty.
        Body::PodDisruptionBudget(pdb) => pdb.status = Some(Default::default()),
        Body::DaemonSet { status, .. } => {
            **status = Default::default();
            // upstream: daemonSetStrategy.PrepareForCreate — templateGeneration 1, which
            // apps/v1 shows as this annotation.
            Arc::make_mut(&mut obj.meta.annotations).insert(TEMPLATE_GENERATION.into(), "1".into());
        }
        Body::ControllerRevision(_) | Body::EndpointSlice(_) | Body::Endpoints(_) => {}
        Body::StatefulSet { status, .. } => **status = Default::default(),
        // kubesim has one volume provisioner that binds a claim as it is created.
        Body::PersistentVolumeClaim(pvc) => {
            let spec = pvc.spec.clone().unwrap_or_default();
            pvc.status = Some(core::PersistentVolumeClaimStatus {
                phase: Some("Bound".into()),
                access_modes: spec.access_modes.clone(),
                capacity: spec
                    .resources
                    .as_ref()
                    .and_then(|r| r.requests.as_ref())
                    .and_then(|r| r.get("storage"))
                    .map(|q| [("storage".to_string(), q.clone())].into()),
                ..Default::default()
            });
        }
    }
}

/// What is set once the new object has its uid: a claim's volume is `pvc-<uid>`, as a
/// dynamic provisioner names it; a Job's generated selector.
pub fn prepare_after_uid(obj: &mut Object) {
    if let Body::PersistentVolumeClaim(pvc) = &mut obj.body {
        let spec = pvc.spec.get_or_insert_with(Default::default);
        if spec.volume_name.as_deref().is_none_or(str::is_empty) {
            spec.volume_name = Some(format!("pvc-{}", obj.meta.uid));
        }
    }
    if let Body::Job { .. } = obj.body {
        super::batch_strategy::generate_selector(obj);
    }
}

/// upstream: apps/v1's form of the internal DaemonSet `spec.templateGeneration`.
pub const TEMPLATE_GENERATION: &str = "deprecated.daemonset.template.generation";

/// A main-resource update keeps the stored status (status has its own subresource).
/// What these preparations overwrite they take from the stored version alone, so preparing
/// twice is preparing against the second version (`Store::commit_prepared` relies on it) —
/// except a pod's spec.nodeName read back, which `Store::prepare` keeps back.
pub fn prepare_for_update(new: &mut Object, old: &Object) {
    match (&mut new.body, &old.body) {
        (Body::Deployment { status, .. }, Body::Deployment { status: s, .. }) => *status = s.clone(),
        (Body::ReplicaSet { status, .. }, Body::ReplicaSet { status: s, .. }) => *status = s.clone(),
        (Body::HorizontalPodAutoscaler { status, .. }, Body::HorizontalPodAutoscaler { status: s, .. }) => {
            *status = s.clone()
        }
        (Body::Pod { status, spec }, Body::Pod { status: s, spec: old_spec }) => {
            // spec.nodeName read back from a bound pod is the binding kubesim keeps in the
            // status record; writing it back unchanged is not a spec change.
            if old_spec.node_name.is_none()
                && spec.node_name.is_some()
                && spec.node_name.as_deref() == s.node_name.as_deref()
            {
                Arc::make_mut(spec).node_name = None;
            }
            *status = s.clone();
        }
        // upstream: namespaceStrategy.PrepareForUpdate — spec.finalizers change only through
        // the finalize subresource (the namespace controller), status only through status.
        (Body::Namespace { status, spec }, Body::Namespace { status: s, spec: old_spec }) => {
            let kept = old_spec.as_ref().and_then(|o| o.finalizers.clone());
            spec.get_or_insert_with(Default::default).finalizers = kept;
            *status = s.clone()
        }
        // upstream: nodeStrategy.PrepareForUpdate — the node's status is the kubelet's, set
        // through the status subresource only.
        (Body::Node { status, .. }, Body::Node { status: s, .. }) => *status = s.clone(),
        (Body::PodDisruptionBudget(new), Body::PodDisruptionBudget(old)) => new.status = old.status.clone(),
        (Body::Service(new), Body::Service(old)) => {
            new.status = old.status.clone();
            keep_allocated_values(new, old);
        }
        (Body::StatefulSet { status, .. }, Body::StatefulSet { status: s, .. }) => *status = s.clone(),
        (Body::PersistentVolumeClaim(new), Body::PersistentVolumeClaim(old)) => new.status = old.status.clone(),
        (Body::DaemonSet { status, template, .. }, Body::DaemonSet { status: s, template: t, .. }) => {
            *status = s.clone();
            // upstream: daemonSetStrategy.PrepareForUpdate — a template change bumps the
            // template generation; otherwise it stays as stored.
            let stored: i64 = old.meta.annotations.get(TEMPLATE_GENERATION).and_then(|g| g.parse().ok()).unwrap_or(1);
            let generation = if template != t { stored + 1 } else { stored };
            Arc::make_mut(&mut new.meta.annotations).insert(TEMPLATE_GENERATION.into(), generation.to_string());
        }
        (Body::Job { .. }, Body::Job { .. }) => super::batch_strategy::prepare_job_update(new, old),
        (Body::CronJob { status, .. }, Body::CronJob { status: s, .. }) => *status = s.clone(),
        _ => {}
    }
}

/// upstream: svcStrategy.PrepareForUpdate's patchAllocatedValues — an update that leaves the
/// cluster IPs or a node port empty keeps the allocated ones (a replace without them is not
/// a request to give them back).
fn keep_allocated_values(new: &mut core::Service, old: &core::Service) {
    let (Some(spec), Some(old_spec)) = (new.spec.as_mut(), old.spec.as_ref()) else { return };
    let keeps_ips = |t: Option<&str>| t != Some("ExternalName");
    if keeps_ips(spec.type_.as_deref()) && keeps_ips(old_spec.type_.as_deref()) {
        if spec.cluster_ip.as_deref().is_none_or(str::is_empty) {
            spec.cluster_ip = old_spec.cluster_ip.clone();
        }
        if spec.cluster_ips.as_ref().is_none_or(Vec::is_empty) && spec.cluster_ip == old_spec.cluster_ip {
            spec.cluster_ips = old_spec.cluster_ips.clone();
        }
    }
    let needs_node_ports = |t: Option<&str>| matches!(t, Some("NodePort") | Some("LoadBalancer"));
    if needs_node_ports(spec.type_.as_deref()) && needs_node_ports(old_spec.type_.as_deref()) {
        let old_ports = old_spec.ports.as_deref().unwrap_or_default();
        for port in spec.ports.iter_mut().flatten() {
            if port.node_port.is_none_or(|n| n == 0) {
                port.node_port = old_ports
                    .iter()
                    .find(|o| o.port == port.port && o.protocol == port.protocol)
                    .and_then(|o| o.node_port);
            }
        }
    }
}

/// A status update keeps the stored spec.
pub fn prepare_for_status_update(new: &mut Object, old: &Object) {
    match (&mut new.body, &old.body) {
        (Body::Deployment { spec, .. }, Body::Deployment { spec: s, .. }) => *spec = s.clone(),
        (Body::ReplicaSet { spec, .. }, Body::ReplicaSet { spec: s, .. }) => *spec = s.clone(),
        (Body::HorizontalPodAutoscaler { spec, .. }, Body::HorizontalPodAutoscaler { spec: s, .. }) => {
            *spec = s.clone()
        }
        (Body::Pod { spec, status }, Body::Pod { spec: s, status: stored }) => {
            *spec = s.clone();
            status.drop_carried_written_status(stored);
        }
        (Body::Node { spec, .. }, Body::Node { spec: s, .. }) => *spec = s.clone(),
        (Body::Job { spec, template, .. }, Body::Job { spec: s, template: t, .. }) => {
            *spec = s.clone();
            *template = t.clone();
        }
        (Body::CronJob { spec, .. }, Body::CronJob { spec: s, .. }) => *spec = s.clone(),
        (Body::Namespace { spec, .. }, Body::Namespace { spec: s, .. }) => *spec = s.clone(),
        (Body::DaemonSet { spec, template, .. }, Body::DaemonSet { spec: s, template: t, .. }) => {
            *spec = s.clone();
            *template = t.clone();
        }
        (Body::StatefulSet { spec, template, .. }, Body::StatefulSet { spec: s, template: t, .. }) => {
            *spec = s.clone();
            *template = t.clone();
        }
        _ => {}
    }
}

/// Update-only validation: fields that may not change once set.
pub fn validate_update(new: &Object, old: &Object) -> ErrorList {
    let mut errs = ErrorList::new();
    let immutable =
        |path: Path, value: String| FieldError::invalid(path, super::field::Value::Raw(value), "field is immutable");
    match (&new.body, &old.body) {
        (Body::Deployment { spec: a, .. }, Body::Deployment { spec: b, .. }) if a.selector != b.selector => {
            // upstream: apps/v1 ValidateDeploymentUpdate — selector is immutable.
            errs.push(immutable(Path::root("spec").child("selector"), selector_go(&a.selector)));
        }
        (Body::ReplicaSet { spec: a, .. }, Body::ReplicaSet { spec: b, .. }) if a.selector != b.selector => {
            errs.push(immutable(Path::root("spec").child("selector"), selector_go(&a.selector.to_wire())));
        }
        (Body::DaemonSet { spec: a, .. }, Body::DaemonSet { spec: b, .. }) if a.selector != b.selector => {
            errs.push(immutable(Path::root("spec").child("selector"), selector_go(&a.selector)));
        }
        (Body::StatefulSet { spec: a, .. }, Body::StatefulSet { spec: b, .. }) => {
            // upstream: ValidateStatefulSetUpdate — only these fields may change.
            let mut a2 = (**a).clone();
            a2.replicas = b.replicas;
            a2.ordinals = b.ordinals.clone();
            a2.update_strategy = b.update_strategy.clone();
            a2.persistent_volume_claim_retention_policy = b.persistent_volume_claim_retention_policy.clone();
            a2.min_ready_seconds = b.min_ready_seconds;
            if a2 != **b {
                errs.push(FieldError::forbidden(
                    Path::root("spec"),
                    "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
                ));
            }
        }
        (Body::Service(a), Body::Service(b)) => {
            // upstream: validateServiceClusterIPsRelatedFields — an allocated cluster IP stays.
            let ip = |s: &core::Service| s.spec.as_ref().and_then(|s| s.cluster_ip.clone()).filter(|ip| !ip.is_empty());
            if let (Some(new_ip), Some(old_ip)) = (ip(a), ip(b)) {
                if new_ip != old_ip {
                    errs.push(FieldError::invalid(
                        Path::root("spec").child("clusterIPs").index(0),
                        super::field::Value::Raw(format!("[]string{{\"{new_ip}\"}}")),
                        "may not change once set",
                    ));
                }
            }
        }
        (Body::Job { .. }, Body::Job { .. }) => errs.extend(super::batch_strategy::validate_job_update(new, old)),
        (Body::Pod { spec: a, .. }, Body::Pod { spec: b, .. }) => {
            // upstream: ValidatePodUpdate — only images, activeDeadlineSeconds and added
            // tolerations may change; everything else in spec is fixed once the pod exists.
            let mut a2 = (**a).clone();
            for (c, old_c) in a2.containers.iter_mut().zip(b.containers.iter()) {
                c.image = old_c.image.clone();
            }
            a2.active_deadline_seconds = b.active_deadline_seconds;
            a2.tolerations = b.tolerations.clone();
            a2.node_name = b.node_name.clone().or(a2.node_name.clone());
            if a2 != **b {
                errs.push(FieldError::forbidden(
                    Path::root("spec"),
                    "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
                ));
            }
        }
        _ => {}
    }
    errs
}

fn selector_go(s: &k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// upstream: qos.GetPodQOS — BestEffort without any request or limit; Guaranteed when every
/// container limits cpu and memory and requests equal limits; otherwise Burstable.
pub fn qos_class(spec: &core::PodSpec) -> QosClass {
    let containers = || spec.containers.iter().chain(spec.init_containers.iter().flatten());
    let mut any = false;
    let mut guaranteed = true;
    for c in containers() {
        let res = c.resources.as_ref();
        let requests = res.and_then(|r| r.requests.as_ref());
        let limits = res.and_then(|r| r.limits.as_ref());
        let nonzero = |m: Option<&std::collections::BTreeMap<String, Quantity>>| {
            m.is_some_and(|m| m.iter().any(|(k, q)| (k == "cpu" || k == "memory") && !is_zero(q)))
        };
        if nonzero(requests) || nonzero(limits) {
            any = true;
        }
        for r in ["cpu", "memory"] {
            let limit = limits.and_then(|l| l.get(r));
            let request = requests.and_then(|q| q.get(r)).or(limit);
            if limit.is_none() || limit != request {
                guaranteed = false;
            }
        }
    }
    if !any {
        QosClass::BestEffort
    } else if guaranteed {
        QosClass::Guaranteed
    } else {
        QosClass::Burstable
    }
}

fn is_zero(q: &Quantity) -> bool {
    // A quantity is zero when its number part has no non-zero digit (`0`, `0m`, `0.0Gi`).
    !q.0.chars().take_while(|c| !c.is_ascii_alphabetic()).any(|c| ('1'..='9').contains(&c))
}
