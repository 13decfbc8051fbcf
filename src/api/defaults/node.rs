//! core/v1 cluster-scoped defaults: Node status and Namespace.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Namespace, Node};

use super::{default_resource_list, default_str};

/// upstream: SetDefaults_NodeStatus — allocatable defaults to capacity; quantities canonical.
/// Nodes have no spec defaults.
pub fn default_node(n: &mut Node) {
    let Some(status) = n.status.as_mut() else {
        return;
    };
    if let Some(c) = status.capacity.as_mut() {
        default_resource_list(c);
    }
    if status.allocatable.is_none() {
        status.allocatable = status.capacity.clone();
    } else if let Some(a) = status.allocatable.as_mut() {
        default_resource_list(a);
    }
}

/// upstream: SetDefaults_Namespace / SetDefaults_NamespaceStatus — the immutable
/// `kubernetes.io/metadata.name` label and phase Active. A nameless (generateName) namespace
/// gets its label once named.
pub fn default_namespace(ns: &mut Namespace) {
    if let Some(name) = ns.metadata.name.clone().filter(|n| !n.is_empty()) {
        ns.metadata.labels.get_or_insert_with(BTreeMap::new).insert("kubernetes.io/metadata.name".to_string(), name);
    }
    let status = ns.status.get_or_insert_with(Default::default);
    default_str(&mut status.phase, "Active");
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn node_allocatable_defaults_to_capacity() {
        let mut n: Node = serde_json::from_value(json!({
            "metadata": {"name": "node-1"},
            "status": {"capacity": {"cpu": "4", "memory": "16Gi", "pods": "110"}}
        }))
        .expect("valid");
        default_node(&mut n);
        let st = n.status.as_ref().expect("status");
        assert_eq!(st.allocatable, st.capacity);
    }

    #[test]
    fn namespace_gets_its_name_label() {
        let mut ns: Namespace = serde_json::from_value(json!({"metadata": {"name": "team-a"}})).expect("valid");
        default_namespace(&mut ns);
        assert_eq!(
            ns.metadata.labels.as_ref().and_then(|l| l.get("kubernetes.io/metadata.name")).map(String::as_str),
            Some("team-a")
        );
        assert_eq!(ns.status.as_ref().and_then(|s| s.phase.as_deref()), Some("Active"));
    }
}
