//! core/v1 objects a manifest carries beside its workloads: Secret and Service defaults
//! (`pkg/apis/core/v1/defaults.go`) and what the Service REST storage fills in on create.

use k8s_openapi::api::core::v1::{Endpoints, Secret, Service, ServiceStatus};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_openapi::ByteString;

/// upstream: SetDefaults_Secret (type Opaque); the `stringData` conversion merges it into
/// `data` (its values win) and clears it, so a Secret is read back with `data` only.
pub fn default_secret(s: &mut Secret) {
    if s.type_.as_deref().is_none_or(str::is_empty) {
        s.type_ = Some("Opaque".into());
    }
    if let Some(string_data) = s.string_data.take() {
        let data = s.data.get_or_insert_with(Default::default);
        for (k, v) in string_data {
            data.insert(k, ByteString(v.into_bytes()));
        }
    }
}

/// upstream: SetDefaults_Service and SetDefaults_ServicePort, plus the single-stack IPv4
/// families the REST storage sets on a cluster with one service CIDR.
pub fn default_service(svc: &mut Service) {
    let spec = svc.spec.get_or_insert_with(Default::default);
    if spec.session_affinity.as_deref().is_none_or(str::is_empty) {
        spec.session_affinity = Some("None".into());
    }
    if spec.type_.as_deref().is_none_or(str::is_empty) {
        spec.type_ = Some("ClusterIP".into());
    }
    let kind = spec.type_.clone().unwrap_or_default();
    for port in spec.ports.iter_mut().flatten() {
        if port.protocol.as_deref().is_none_or(str::is_empty) {
            port.protocol = Some("TCP".into());
        }
        // upstream: an unset or zero targetPort is the port itself.
        let unset = match &port.target_port {
            None => true,
            Some(IntOrString::Int(0)) => true,
            Some(IntOrString::String(s)) => s.is_empty(),
            Some(_) => false,
        };
        if unset {
            port.target_port = Some(IntOrString::Int(port.port));
        }
    }
    if kind != "ExternalName" {
        if spec.internal_traffic_policy.as_deref().is_none_or(str::is_empty) {
            spec.internal_traffic_policy = Some("Cluster".into());
        }
        if spec.ip_family_policy.as_deref().is_none_or(str::is_empty) {
            spec.ip_family_policy = Some("SingleStack".into());
        }
        if spec.ip_families.as_ref().is_none_or(Vec::is_empty) {
            spec.ip_families = Some(vec!["IPv4".into()]);
        }
    }
    if (kind == "NodePort" || kind == "LoadBalancer")
        && spec.external_traffic_policy.as_deref().is_none_or(str::is_empty)
    {
        spec.external_traffic_policy = Some("Cluster".into());
    }
    if kind == "LoadBalancer" && spec.allocate_load_balancer_node_ports.is_none() {
        spec.allocate_load_balancer_node_ports = Some(true);
    }
    if svc.status.is_none() {
        svc.status = Some(ServiceStatus { load_balancer: Some(Default::default()), ..Default::default() });
    }
}

/// upstream: SetDefaults_EndpointPort (discovery/v1) — a port's name defaults to "" and its
/// protocol to TCP.
pub fn default_endpoint_slice(s: &mut EndpointSlice) {
    for p in s.ports.iter_mut().flatten() {
        p.name.get_or_insert_with(String::new);
        p.protocol.get_or_insert_with(|| "TCP".into());
    }
}

/// upstream: SetDefaults_EndpointPort (core/v1) — protocol TCP.
pub fn default_endpoints(e: &mut Endpoints) {
    for p in e.subsets.iter_mut().flatten().flat_map(|s| s.ports.iter_mut().flatten()) {
        p.protocol.get_or_insert_with(|| "TCP".into());
    }
}
