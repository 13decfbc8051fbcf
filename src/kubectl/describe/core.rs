//! `kubectl describe` for ConfigMaps, Secrets, Services and ServiceAccounts (upstream
//! ConfigMapDescriber, SecretDescriber, ServiceDescriber, ServiceAccountDescriber). Data keys
//! print in key order (upstream ranges over a Go map, so its order varies run to run).

use std::sync::Arc;

use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{annotations_multiline, events_table, labels_multiline, tabwrite_padded, Context};
use crate::api::{Body, Kind, Object};
use crate::controllers::endpointslice;
use crate::kubectl::table::join_host_port;
use crate::sim::clock::Millis;

fn head(o: &mut String, obj: &Object) {
    o.push_str(&format!("Name:\t{}\nNamespace:\t{}\n", obj.meta.name, obj.meta.namespace));
    labels_multiline(o, "Labels", obj.meta.labels.iter());
    annotations_multiline(o, "Annotations", &obj.meta.annotations);
}

pub fn describe_config_map(obj: &Object, events: &[Arc<Object>], now: Millis) -> String {
    let Body::ConfigMap(cm) = &obj.body else { return String::new() };
    let mut o = String::new();
    head(&mut o, obj);
    o.push_str("\nData\n====\n");
    for (k, v) in cm.data.iter().flatten() {
        o.push_str(&format!("{k}:\n----\n{v}\n\n"));
    }
    o.push_str("\nBinaryData\n====\n");
    for (k, v) in cm.binary_data.iter().flatten() {
        o.push_str(&format!("{k}: {} bytes\n", v.0.len()));
    }
    o.push('\n');
    o.push_str(&events_table(events, now));
    tabwrite_padded(&o, 2)
}

pub fn describe_secret(obj: &Object) -> String {
    let Body::Secret(s) = &obj.body else { return String::new() };
    let mut o = String::new();
    head(&mut o, obj);
    let type_ = s.type_.as_deref().unwrap_or("");
    o.push_str(&format!("\nType:\t{type_}\n\nData\n====\n"));
    for (k, v) in s.data.iter().flatten() {
        if k == "token" && type_ == "kubernetes.io/service-account-token" {
            o.push_str(&format!("{k}:\t{}\n", String::from_utf8_lossy(&v.0)));
        } else {
            o.push_str(&format!("{k}:\t{} bytes\n", v.0.len()));
        }
    }
    tabwrite_padded(&o, 2)
}

pub fn describe_service_account(obj: &Object, events: &[Arc<Object>], now: Millis) -> String {
    let Body::ServiceAccount(sa) = &obj.body else { return String::new() };
    let mut o = String::new();
    head(&mut o, obj);
    let names = |items: Vec<String>| if items.is_empty() { "<none>".to_string() } else { items.join(", ") };
    let pull: Vec<String> = sa.image_pull_secrets.iter().flatten().map(|s| s.name.clone()).collect();
    let mountable: Vec<String> = sa.secrets.iter().flatten().filter_map(|s| s.name.clone()).collect();
    o.push_str(&format!("Image pull secrets:\t{}\n", names(pull)));
    o.push_str(&format!("Mountable secrets: \t{}\n", names(mountable)));
    o.push_str("Tokens:            \t<none>\n");
    o.push_str(&events_table(events, now));
    tabwrite_padded(&o, 2)
}

/// upstream: formatEndpointSlices — from the Service's EndpointSlices (listed by the
/// `kubernetes.io/service-name` label, by name), the ready endpoints (a missing condition counts
/// as ready) of the slice ports named like this service port, as `ip:port` (bare addresses for
/// a slice without ports), at most three; once three are listed, any further endpoint, ready or
/// not, adds ` + N more...` with N the ready ones past three; `<none>` without slices.
fn endpoints(ctx: &Context, obj: &Object, port: &core::ServicePort) -> String {
    let name = port.name.as_deref().unwrap_or("");
    let slices: Vec<_> = ctx
        .store
        .scan(Kind::EndpointSlice, Some(&obj.meta.namespace))
        .filter(|s| s.meta.labels.get(endpointslice::LABEL_SERVICE_NAME).is_some_and(|n| **n == *obj.meta.name))
        .collect();
    if slices.is_empty() {
        return "<none>".into();
    }
    const MAX: usize = 3;
    let (mut list, mut more, mut count) = (Vec::new(), false, 0usize);
    let mut visit = |e: &k8s_openapi::api::discovery::v1::Endpoint, port: Option<i32>| {
        if list.len() == MAX {
            more = true;
        }
        if e.conditions.as_ref().and_then(|c| c.ready) == Some(false) {
            return;
        }
        let addr = e.addresses.first().map(String::as_str).unwrap_or_default();
        if !more {
            list.push(port.map_or_else(|| addr.to_string(), |p| join_host_port(addr, p)));
        }
        count += 1;
    };
    for s in slices {
        let Body::EndpointSlice(slice) = &s.body else { continue };
        match slice.ports.as_deref().unwrap_or_default() {
            [] => slice.endpoints.iter().for_each(|e| visit(e, None)),
            ports => {
                for p in ports.iter().filter(|p| p.name.as_deref().unwrap_or("") == name) {
                    slice.endpoints.iter().for_each(|e| visit(e, Some(p.port.unwrap_or_default())));
                }
            }
        }
    }
    let text = list.join(",");
    if more {
        format!("{text} + {} more...", count.saturating_sub(MAX))
    } else {
        text
    }
}

/// upstream: describeEndpoints — each subset's ready and not-ready IPs and its ports.
pub fn describe_endpoints(obj: &Object, events: &[Arc<Object>], now: Millis) -> String {
    let Body::Endpoints(ep) = &obj.body else { return String::new() };
    let mut o = String::new();
    head(&mut o, obj);
    o.push_str("Subsets:\n");
    let ips = |list: &Option<Vec<core::EndpointAddress>>| {
        let ips: Vec<&str> = list.iter().flatten().map(|a| a.ip.as_str()).collect();
        if ips.is_empty() {
            "<none>".to_string()
        } else {
            ips.join(",")
        }
    };
    for subset in ep.subsets.iter().flatten() {
        o.push_str(&format!("  Addresses:\t{}\n", ips(&subset.addresses)));
        o.push_str(&format!("  NotReadyAddresses:\t{}\n", ips(&subset.not_ready_addresses)));
        if let Some(ports) = subset.ports.as_ref().filter(|p| !p.is_empty()) {
            o.push_str("  Ports:\n    Name\tPort\tProtocol\n    ----\t----\t--------\n");
            for p in ports {
                let name = p.name.as_deref().filter(|n| !n.is_empty()).unwrap_or("<unset>");
                o.push_str(&format!("    {name}\t{}\t{}\n", p.port, p.protocol.as_deref().unwrap_or("")));
            }
        }
        o.push('\n');
    }
    o.push_str(&events_table(events, now));
    tabwrite_padded(&o, 2)
}

/// upstream: describeEndpointSliceV1 — the ports, then each endpoint's addresses, readiness,
/// hostname, target, node and zone.
pub fn describe_endpoint_slice(obj: &Object, events: &[Arc<Object>], now: Millis) -> String {
    let Body::EndpointSlice(slice) = &obj.body else { return String::new() };
    let mut o = String::new();
    head(&mut o, obj);
    o.push_str(&format!("AddressType:\t{}\n", slice.address_type));
    let unset = |v: Option<&str>| v.unwrap_or("<unset>").to_string();
    match slice.ports.as_deref().unwrap_or_default() {
        [] => o.push_str("Ports: <unset>\n"),
        ports => {
            o.push_str("Ports:\n  Name\tPort\tProtocol\n  ----\t----\t--------\n");
            for p in ports {
                let name = unset(p.name.as_deref().filter(|n| !n.is_empty()));
                let port = p.port.map_or("<unset>".to_string(), |n| n.to_string());
                o.push_str(&format!("  {name}\t{port}\t{}\n", p.protocol.as_deref().unwrap_or("")));
            }
        }
    }
    if slice.endpoints.is_empty() {
        o.push_str("Endpoints: <none>\n");
    } else {
        o.push_str("Endpoints:\n");
        for e in &slice.endpoints {
            let addresses = if e.addresses.is_empty() { "<none>".to_string() } else { e.addresses.join(", ") };
            o.push_str(&format!("  - Addresses:\t{addresses}\n    Conditions:\n"));
            let ready = e.conditions.as_ref().and_then(|c| c.ready).map(|r| r.to_string());
            o.push_str(&format!("      Ready:\t{}\n", unset(ready.as_deref())));
            o.push_str(&format!("    Hostname:\t{}\n", unset(e.hostname.as_deref())));
            if let Some(r) = &e.target_ref {
                let kind = r.kind.as_deref().unwrap_or("");
                o.push_str(&format!("    TargetRef:\t{kind}/{}\n", r.name.as_deref().unwrap_or("")));
            }
            o.push_str(&format!("    NodeName:\t{}\n", unset(e.node_name.as_deref())));
            o.push_str(&format!("    Zone:\t{}\n", unset(e.zone.as_deref())));
        }
    }
    o.push_str(&events_table(events, now));
    tabwrite_padded(&o, 2)
}

pub fn describe_service(ctx: &Context, obj: &Object, events: &[Arc<Object>]) -> String {
    let Body::Service(svc) = &obj.body else { return String::new() };
    let spec = svc.spec.clone().unwrap_or_default();
    let mut o = String::new();
    head(&mut o, obj);
    let selector = spec.selector.clone().unwrap_or_default();
    let selector_text = if selector.is_empty() {
        "<none>".to_string()
    } else {
        selector.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
    };
    o.push_str(&format!("Selector:\t{selector_text}\n"));
    o.push_str(&format!("Type:\t{}\n", spec.type_.as_deref().unwrap_or("")));
    if let Some(policy) = &spec.ip_family_policy {
        o.push_str(&format!("IP Family Policy:\t{policy}\n"));
    }
    let joined = |v: &Option<Vec<String>>| match v.as_deref() {
        Some(items) if !items.is_empty() => items.join(","),
        _ => "<none>".to_string(),
    };
    o.push_str(&format!("IP Families:\t{}\n", joined(&spec.ip_families)));
    o.push_str(&format!("IP:\t{}\n", spec.cluster_ip.as_deref().unwrap_or("")));
    o.push_str(&format!("IPs:\t{}\n", joined(&spec.cluster_ips)));
    if let Some(ips) = spec.external_ips.as_ref().filter(|v| !v.is_empty()) {
        o.push_str(&format!("External IPs:\t{}\n", ips.join(",")));
    }
    if let Some(name) = spec.external_name.as_ref().filter(|v| !v.is_empty()) {
        o.push_str(&format!("External Name:\t{name}\n"));
    }
    for port in spec.ports.iter().flatten() {
        let name = port.name.as_deref().filter(|n| !n.is_empty()).unwrap_or("<unset>");
        let proto = port.protocol.as_deref().unwrap_or("TCP");
        o.push_str(&format!("Port:\t{name}\t{}/{proto}\n", port.port));
        let target = match &port.target_port {
            Some(IntOrString::Int(n)) => n.to_string(),
            Some(IntOrString::String(s)) => s.clone(),
            None => port.port.to_string(),
        };
        o.push_str(&format!("TargetPort:\t{target}/{proto}\n"));
        if let Some(node_port) = port.node_port.filter(|n| *n != 0) {
            o.push_str(&format!("NodePort:\t{name}\t{node_port}/{proto}\n"));
        }
        let eps = endpoints(ctx, obj, port);
        o.push_str(&format!("Endpoints:\t{eps}\n"));
    }
    o.push_str(&format!("Session Affinity:\t{}\n", spec.session_affinity.as_deref().unwrap_or("")));
    if let Some(p) = spec.external_traffic_policy.as_ref().filter(|p| !p.is_empty()) {
        o.push_str(&format!("External Traffic Policy:\t{p}\n"));
    }
    if let Some(p) = spec.internal_traffic_policy.as_ref().filter(|p| !p.is_empty()) {
        o.push_str(&format!("Internal Traffic Policy:\t{p}\n"));
    }
    o.push_str(&events_table(events, ctx.now));
    tabwrite_padded(&o, 2)
}
