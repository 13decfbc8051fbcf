//! Where a Service's traffic goes: discovery.k8s.io/v1 EndpointSlice (upstream:
//! `pkg/apis/discovery/validation` ValidateEndpointSlice) and core/v1 Endpoints
//! (`pkg/apis/core/validation` ValidateEndpoints).

use std::collections::BTreeSet;
use std::net::IpAddr;

use k8s_openapi::api::core::v1::{EndpointAddress, Endpoints};
use k8s_openapi::api::discovery::v1::EndpointSlice;

use super::meta::{validate_object_meta, NameRule};
use crate::api::field::{ErrorList, FieldError, Path};
use crate::labels::validation::{is_dns1123_label, is_dns1123_subdomain, is_qualified_name};

/// upstream: discovery validation's limits.
const MAX_ENDPOINTS: usize = 1000;
const MAX_ADDRESSES: usize = 100;
const MAX_PORTS: usize = 20000;
const ADDRESS_TYPES: [&str; 3] = ["FQDN", "IPv4", "IPv6"];
const PROTOCOLS: [&str; 3] = ["SCTP", "TCP", "UDP"];

/// upstream: ValidateEndpointIP — an IP an endpoint may point at.
fn endpoint_ip_errors(ip: &str, path: &Path, errs: &mut ErrorList) -> Option<IpAddr> {
    let Ok(addr) = ip.parse::<IpAddr>() else {
        errs.push(FieldError::invalid(path.clone(), ip, "must be a valid IP address"));
        return None;
    };
    let reason = match addr {
        a if a.is_unspecified() => Some("may not be unspecified (0.0.0.0)"),
        a if a.is_loopback() => Some("may not be in the loopback range (127.0.0.0/8, ::1/128)"),
        IpAddr::V4(v4) if v4.is_link_local() => Some("may not be in the link-local range (169.254.0.0/16, fe80::/10)"),
        IpAddr::V6(v6) if v6.segments()[0] & 0xffc0 == 0xfe80 => {
            Some("may not be in the link-local range (169.254.0.0/16, fe80::/10)")
        }
        IpAddr::V4(v4) if v4.octets()[..3] == [224, 0, 0] => {
            Some("may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)")
        }
        IpAddr::V6(v6) if v6.segments()[0] == 0xff02 => {
            Some("may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)")
        }
        _ => None,
    };
    if let Some(r) = reason {
        errs.push(FieldError::invalid(path.clone(), ip, r));
    }
    Some(addr)
}

fn node_name_errors(name: &str, path: Path, errs: &mut ErrorList) {
    for m in is_dns1123_subdomain(name) {
        errs.push(FieldError::invalid(path.clone(), name, m));
    }
}

fn label_errors(value: &str, path: Path, errs: &mut ErrorList) {
    for m in is_dns1123_label(value) {
        errs.push(FieldError::invalid(path.clone(), value, m));
    }
}

fn protocol_errors(protocol: Option<&str>, path: Path, errs: &mut ErrorList) {
    match protocol {
        None => errs.push(FieldError::required(path, "")),
        Some(p) if !PROTOCOLS.contains(&p) => errs.push(FieldError::not_supported(path, p, &PROTOCOLS)),
        Some(_) => {}
    }
}

/// upstream: ValidateEndpointSlice (create): metadata, addressType, endpoints, ports.
pub fn validate_endpoint_slice(slice: &EndpointSlice) -> ErrorList {
    let mut errs = validate_object_meta(&slice.metadata, true, NameRule::Subdomain, &Path::root("metadata"));
    let address_type = slice.address_type.as_str();
    if address_type.is_empty() {
        errs.push(FieldError::required(Path::root("addressType"), ""));
    } else if !ADDRESS_TYPES.contains(&address_type) {
        errs.push(FieldError::not_supported(Path::root("addressType"), address_type, &ADDRESS_TYPES));
    }
    let endpoints_path = Path::root("endpoints");
    if slice.endpoints.len() > MAX_ENDPOINTS {
        errs.push(FieldError::too_many(endpoints_path.clone(), slice.endpoints.len(), MAX_ENDPOINTS));
    }
    for (i, ep) in slice.endpoints.iter().enumerate() {
        let p = endpoints_path.index(i);
        let addresses = p.child("addresses");
        if ep.addresses.is_empty() {
            errs.push(FieldError::required(addresses.clone(), "must contain at least 1 address"));
        } else if ep.addresses.len() > MAX_ADDRESSES {
            errs.push(FieldError::too_many(addresses.clone(), ep.addresses.len(), MAX_ADDRESSES));
        }
        for (j, a) in ep.addresses.iter().enumerate() {
            let ap = addresses.index(j);
            match address_type {
                // upstream: IsValidIPv4Address / IsValidIPv6Address, then ValidateEndpointIP.
                "IPv4" | "IPv6" => match a.parse::<IpAddr>() {
                    Ok(ip) if ip.is_ipv4() == (address_type == "IPv4") => {
                        endpoint_ip_errors(a, &ap, &mut errs);
                    }
                    _ => errs.push(FieldError::invalid(
                        ap,
                        a.as_str(),
                        format!("must be a valid {address_type} address"),
                    )),
                },
                "FQDN" => {
                    for m in is_dns1123_subdomain(a) {
                        errs.push(FieldError::invalid(ap.clone(), a.as_str(), m));
                    }
                }
                _ => {}
            }
        }
        if let Some(n) = &ep.node_name {
            node_name_errors(n, p.child("nodeName"), &mut errs);
        }
        if let Some(h) = &ep.hostname {
            label_errors(h, p.child("hostname"), &mut errs);
        }
    }
    let ports = slice.ports.as_deref().unwrap_or_default();
    let ports_path = Path::root("ports");
    if ports.len() > MAX_PORTS {
        errs.push(FieldError::too_many(ports_path.clone(), ports.len(), MAX_PORTS));
    }
    let mut names = BTreeSet::new();
    for (i, port) in ports.iter().enumerate() {
        let p = ports_path.index(i);
        let name = port.name.as_deref().unwrap_or("");
        if !name.is_empty() {
            label_errors(name, p.child("name"), &mut errs);
        }
        if !names.insert(name) {
            errs.push(FieldError::duplicate(p.child("name"), name));
        }
        protocol_errors(port.protocol.as_deref(), p.child("protocol"), &mut errs);
        if let Some(app) = &port.app_protocol {
            for m in is_qualified_name(app) {
                errs.push(FieldError::invalid(p.child("appProtocol"), app.as_str(), m));
            }
        }
    }
    errs
}

fn address_errors(a: &EndpointAddress, path: &Path, errs: &mut ErrorList) {
    endpoint_ip_errors(&a.ip, &path.child("ip"), errs);
    if let Some(h) = a.hostname.as_deref().filter(|h| !h.is_empty()) {
        label_errors(h, path.child("hostname"), errs);
    }
    if let Some(n) = &a.node_name {
        node_name_errors(n, path.child("nodeName"), errs);
    }
}

/// upstream: ValidateEndpoints (create): metadata and each subset's addresses and ports.
pub fn validate_endpoints(ep: &Endpoints) -> ErrorList {
    let mut errs = validate_object_meta(&ep.metadata, true, NameRule::Subdomain, &Path::root("metadata"));
    for (i, ss) in ep.subsets.iter().flatten().enumerate() {
        let p = Path::root("subsets").index(i);
        let addresses = ss.addresses.as_deref().unwrap_or_default();
        let not_ready = ss.not_ready_addresses.as_deref().unwrap_or_default();
        if addresses.is_empty() && not_ready.is_empty() {
            errs.push(FieldError::required(p.clone(), "must specify `addresses` or `notReadyAddresses`"));
        }
        for (j, a) in addresses.iter().enumerate() {
            address_errors(a, &p.child("addresses").index(j), &mut errs);
        }
        for (j, a) in not_ready.iter().enumerate() {
            address_errors(a, &p.child("notReadyAddresses").index(j), &mut errs);
        }
        let ports = ss.ports.as_deref().unwrap_or_default();
        for (j, port) in ports.iter().enumerate() {
            let pp = p.child("ports").index(j);
            match port.name.as_deref().unwrap_or("") {
                "" if ports.len() > 1 => errs.push(FieldError::required(pp.child("name"), "")),
                "" => {}
                name => label_errors(name, pp.child("name"), &mut errs),
            }
            if !(1..=65535).contains(&port.port) {
                errs.push(FieldError::invalid(pp.child("port"), port.port, "must be between 1 and 65535, inclusive"));
            }
            protocol_errors(port.protocol.as_deref(), pp.child("protocol"), &mut errs);
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn slice_errors(v: serde_json::Value) -> Vec<String> {
        let mut s: EndpointSlice = serde_json::from_value(v).unwrap();
        crate::api::defaults::default_endpoint_slice(&mut s);
        validate_endpoint_slice(&s).iter().map(|e| e.to_string()).collect()
    }

    #[test]
    fn endpoint_slices_are_checked_as_upstream() {
        let meta = json!({"name": "web-abc", "namespace": "default"});
        for (body, want) in [
            (json!({"addressType": "IPv4", "endpoints": [{"addresses": ["10.244.0.5"]}]}), vec![]),
            (
                json!({"addressType": "IPv5", "endpoints": []}),
                vec!["addressType: Unsupported value: \"IPv5\": supported values: \"FQDN\", \"IPv4\", \"IPv6\""],
            ),
            (
                json!({"addressType": "IPv4", "endpoints": [{"addresses": []}]}),
                vec!["endpoints[0].addresses: Required value: must contain at least 1 address"],
            ),
            (
                json!({"addressType": "IPv4", "endpoints": [{"addresses": ["127.0.0.1", "10.1"]}]}),
                vec![
                    "endpoints[0].addresses[0]: Invalid value: \"127.0.0.1\": may not be in the loopback range (127.0.0.0/8, ::1/128)",
                    "endpoints[0].addresses[1]: Invalid value: \"10.1\": must be a valid IPv4 address",
                ],
            ),
            (
                json!({"addressType": "IPv6", "endpoints": [{"addresses": ["10.244.0.5"]}]}),
                vec!["endpoints[0].addresses[0]: Invalid value: \"10.244.0.5\": must be a valid IPv6 address"],
            ),
            (
                json!({"addressType": "IPv4", "endpoints": [], "ports": [{"name": "http", "port": 80}, {"name": "http", "port": 81}]}),
                vec!["ports[1].name: Duplicate value: \"http\""],
            ),
        ] {
            let mut v = body;
            v["metadata"] = meta.clone();
            assert_eq!(slice_errors(v.clone()), want, "{v}");
        }
        let many: Vec<_> =
            (0..1001).map(|i| json!({"addresses": [format!("10.0.{}.{}", i / 250, i % 250 + 1)]})).collect();
        let errs = slice_errors(json!({"metadata": meta, "addressType": "IPv4", "endpoints": many}));
        assert_eq!(errs, vec!["endpoints: Too many: 1001: must have at most 1000 items"]);
    }

    #[test]
    fn endpoints_subsets_need_an_address() {
        let mut ep: Endpoints = serde_json::from_value(json!({
            "metadata": {"name": "web", "namespace": "default"},
            "subsets": [{"ports": [{"port": 80}]}, {"addresses": [{"ip": "0.0.0.0"}], "ports": [{"port": 80}, {"port": 0}]}],
        }))
        .unwrap();
        crate::api::defaults::default_endpoints(&mut ep);
        let errs: Vec<String> = validate_endpoints(&ep).iter().map(|e| e.to_string()).collect();
        assert_eq!(
            errs,
            vec![
                "subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`",
                "subsets[1].addresses[0].ip: Invalid value: \"0.0.0.0\": may not be unspecified (0.0.0.0)",
                "subsets[1].ports[0].name: Required value",
                "subsets[1].ports[1].name: Required value",
                "subsets[1].ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive",
            ]
        );
    }
}
