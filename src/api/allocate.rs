//! What the Service REST storage allocates on create: a cluster IP from the service CIDR and
//! node ports from the node-port range (upstream `pkg/registry/core/service/ipallocator` and
//! `portallocator`). Upstream picks at random; kubesim derives the first choice from the
//! Service's namespace and name (so adding an unrelated Service moves nothing) and probes on
//! from there, upward, past addresses and ports in use.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use k8s_openapi::api::core::v1::Service;

use super::field::{FieldError, Path, Value};

/// The default `--service-cluster-ip-range`, 10.96.0.0/12.
pub const SERVICE_CIDR_BASE: u32 = u32::from_be_bytes([10, 96, 0, 0]);
pub const SERVICE_CIDR_SIZE: u32 = 1 << 20;
/// upstream: the first min(max(16, size/16), 256) addresses are kept for static allocation
/// (10.96.0.1 is the `kubernetes` Service, 10.96.0.10 the cluster DNS by convention).
const STATIC_BAND: u32 = 256;
/// The default `--service-node-port-range`, 30000-32767.
pub const NODE_PORT_MIN: i32 = 30000;
pub const NODE_PORT_MAX: i32 = 32767;
/// upstream: the first min(max(16, size/32), 128) node ports are kept for static allocation.
const NODE_PORT_STATIC_BAND: i32 = 86;

fn fnv1a(text: &str, salt: u64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ salt;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The cluster IPs and node ports the stored Services hold.
#[derive(Default)]
pub struct InUse {
    pub ips: BTreeSet<Ipv4Addr>,
    pub node_ports: BTreeSet<i32>,
}

impl InUse {
    pub fn add(&mut self, svc: &Service) {
        let Some(spec) = &svc.spec else { return };
        self.ips.extend(spec.cluster_ips.iter().flatten().filter_map(|ip| ip.parse::<Ipv4Addr>().ok()));
        self.node_ports.extend(spec.ports.iter().flatten().filter_map(|p| p.node_port));
    }
}

/// Fill in `spec.clusterIP(s)` and node ports of a new Service, or refuse ones already in use
/// (the errors as the API server words them).
pub fn allocate(svc: &mut Service, key: &str, in_use: &InUse) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let Some(spec) = svc.spec.as_mut() else { return errs };
    let kind = spec.type_.clone().unwrap_or_default();
    if kind != "ExternalName" {
        match spec.cluster_ip.as_deref() {
            Some("None") => spec.cluster_ips = Some(vec!["None".into()]),
            Some(ip) if !ip.is_empty() => {
                if ip.parse::<Ipv4Addr>().is_ok_and(|a| in_use.ips.contains(&a)) {
                    errs.push(FieldError::invalid(
                        Path::root("spec").child("clusterIPs"),
                        Value::Raw(format!("[]string{{\"{ip}\"}}")),
                        format!("failed to allocate IP {ip}: provided IP is already allocated"),
                    ));
                }
                spec.cluster_ips = Some(vec![ip.to_string()]);
            }
            _ => {
                let span = SERVICE_CIDR_SIZE - STATIC_BAND - 1; // the broadcast address is never given
                let start = (fnv1a(key, 0) % u64::from(span)) as u32;
                let ip = (0..span)
                    .map(|i| Ipv4Addr::from(SERVICE_CIDR_BASE + STATIC_BAND + (start + i) % span))
                    .find(|a| !in_use.ips.contains(a));
                if let Some(ip) = ip {
                    spec.cluster_ip = Some(ip.to_string());
                    spec.cluster_ips = Some(vec![ip.to_string()]);
                }
            }
        }
    }
    if kind == "NodePort" || kind == "LoadBalancer" {
        let mut taken = in_use.node_ports.clone();
        for (i, port) in spec.ports.iter_mut().flatten().enumerate() {
            match port.node_port {
                Some(n) if n != 0 => {
                    if !taken.insert(n) {
                        errs.push(FieldError::invalid(
                            Path::root("spec").child("ports").index(i).child("nodePort"),
                            n,
                            "provided port is already allocated",
                        ));
                    }
                }
                _ => {
                    let span = (NODE_PORT_MAX - NODE_PORT_MIN + 1 - NODE_PORT_STATIC_BAND) as u64;
                    let start = fnv1a(key, i as u64 + 1) % span;
                    let found = (0..span)
                        .map(|k| NODE_PORT_MIN + NODE_PORT_STATIC_BAND + ((start + k) % span) as i32)
                        .find(|p| !taken.contains(p));
                    if let Some(p) = found {
                        taken.insert(p);
                        port.node_port = Some(p);
                    }
                }
            }
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn svc(spec: serde_json::Value) -> Service {
        serde_json::from_value(json!({"metadata": {"name": "web"}, "spec": spec})).expect("decodes")
    }

    #[test]
    fn cluster_ips_come_from_the_dynamic_band_and_skip_those_in_use() {
        let mut a = svc(json!({"ports": [{"port": 80}]}));
        assert!(allocate(&mut a, "default/web", &InUse::default()).is_empty());
        let ip: Ipv4Addr = a.spec.as_ref().unwrap().cluster_ip.as_deref().unwrap().parse().unwrap();
        let n = u32::from(ip);
        assert!((SERVICE_CIDR_BASE + STATIC_BAND..SERVICE_CIDR_BASE + SERVICE_CIDR_SIZE - 1).contains(&n), "{ip}");
        let mut in_use = InUse::default();
        in_use.add(&a);
        let mut b = svc(json!({"ports": [{"port": 80}]}));
        allocate(&mut b, "default/web", &in_use);
        assert_ne!(b.spec.as_ref().unwrap().cluster_ip, a.spec.as_ref().unwrap().cluster_ip);
        let mut c = svc(json!({"clusterIP": ip.to_string(), "ports": [{"port": 80}]}));
        let errs = allocate(&mut c, "default/other", &in_use);
        assert_eq!(
            errs[0].to_string(),
            format!("spec.clusterIPs: Invalid value: []string{{\"{ip}\"}}: failed to allocate IP {ip}: provided IP is already allocated")
        );
    }

    #[test]
    fn node_ports_are_allocated_for_node_port_services_only() {
        let mut a = svc(json!({"type": "NodePort", "ports": [{"port": 80}, {"port": 443, "nodePort": 30443}]}));
        assert!(allocate(&mut a, "default/web", &InUse::default()).is_empty());
        let ports = a.spec.as_ref().unwrap().ports.clone().unwrap();
        assert!((NODE_PORT_MIN + NODE_PORT_STATIC_BAND..=NODE_PORT_MAX).contains(&ports[0].node_port.unwrap()));
        assert_eq!(ports[1].node_port, Some(30443));
        let mut b = svc(json!({"ports": [{"port": 80}]}));
        allocate(&mut b, "default/b", &InUse::default());
        assert_eq!(b.spec.unwrap().ports.unwrap()[0].node_port, None);
    }
}
