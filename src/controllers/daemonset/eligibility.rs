//! Which nodes a DaemonSet runs on (upstream: NodeShouldRunDaemonPod), the tolerations every
//! daemon pod gets (util.AddOrUpdateDaemonPodTolerations) and the node affinity that pins a
//! daemon pod to its node (util.ReplaceDaemonSetPodNodeNameNodeAffinity).

use k8s_openapi::api::core::v1 as core;

use crate::controllers::node_affinity::{node_selector_matches, required_matches};
use crate::controllers::scheduler::{tolerates, NodeInfo};

/// The tolerations a daemon pod gets, in upstream's order: (key, effect).
const DAEMON_TOLERATIONS: [(&str, &str); 6] = [
    ("node.kubernetes.io/not-ready", "NoExecute"),
    ("node.kubernetes.io/unreachable", "NoExecute"),
    ("node.kubernetes.io/disk-pressure", "NoSchedule"),
    ("node.kubernetes.io/memory-pressure", "NoSchedule"),
    ("node.kubernetes.io/pid-pressure", "NoSchedule"),
    ("node.kubernetes.io/unschedulable", "NoSchedule"),
];

/// upstream: v1helper.AddOrUpdateTolerationInPodSpec — a toleration matching on key, operator,
/// value and effect is replaced; otherwise the new one is appended.
fn add_or_update(spec: &mut core::PodSpec, key: &str, effect: &str) {
    let t = core::Toleration {
        key: Some(key.into()),
        operator: Some("Exists".into()),
        effect: Some(effect.into()),
        value: None,
        toleration_seconds: None,
    };
    let list = spec.tolerations.get_or_insert_with(Vec::new);
    let same = |o: &core::Toleration| {
        o.key == t.key
            && o.operator == t.operator
            && o.effect == t.effect
            && o.value.as_deref().unwrap_or("").is_empty()
    };
    match list.iter_mut().find(|o| same(o)) {
        Some(o) => *o = t,
        None => list.push(t),
    }
}

/// upstream: util.AddOrUpdateDaemonPodTolerations — daemon pods survive not-ready and
/// unreachable nodes and ignore pressure and cordons (network-unavailable with hostNetwork).
pub fn daemon_pod_tolerations(spec: &mut core::PodSpec) {
    for (key, effect) in DAEMON_TOLERATIONS {
        add_or_update(spec, key, effect);
    }
    if spec.host_network == Some(true) {
        add_or_update(spec, "node.kubernetes.io/network-unavailable", "NoSchedule");
    }
}

/// upstream: NodeShouldRunDaemonPod — (shouldRun, shouldContinueRunning) for a pod spec that
/// already carries the daemon tolerations. Resources and ports are the scheduler's business.
pub fn node_should_run(spec: &core::PodSpec, node: &str, info: &NodeInfo) -> (bool, bool) {
    if spec.node_name.as_deref().is_some_and(|n| !n.is_empty() && n != node) {
        return (false, false);
    }
    if !node_selector_matches(spec, &info.labels) || !required_matches(spec, node, &info.labels) {
        return (false, false);
    }
    let tolerations = spec.tolerations.as_deref().unwrap_or(&[]);
    let untolerated = |effects: &[&str]| {
        info.taints.iter().any(|t| effects.contains(&t.effect.as_str()) && !tolerates(tolerations, t))
    };
    if untolerated(&["NoSchedule", "NoExecute"]) {
        // A pod already there stays while it tolerates every NoExecute taint.
        return (false, !untolerated(&["NoExecute"]));
    }
    (true, true)
}

/// upstream: util.ReplaceDaemonSetPodNodeNameNodeAffinity — the required node affinity becomes
/// the one term `matchFields metadata.name In [node]`; preferred terms stay.
pub fn pinned_affinity(affinity: Option<core::Affinity>, node: &str) -> core::Affinity {
    let term = core::NodeSelectorTerm {
        match_expressions: None,
        match_fields: Some(vec![core::NodeSelectorRequirement {
            key: "metadata.name".into(),
            operator: "In".into(),
            values: Some(vec![node.to_string()]),
        }]),
    };
    let mut affinity = affinity.unwrap_or_default();
    let na = affinity.node_affinity.get_or_insert_with(Default::default);
    na.required_during_scheduling_ignored_during_execution =
        Some(core::NodeSelector { node_selector_terms: vec![term] });
    affinity
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::Arc;

    fn node(labels: &[(&str, &str)], taints: &[(&str, &str)]) -> NodeInfo {
        NodeInfo {
            labels: Arc::new(labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()),
            taints: taints
                .iter()
                .map(|(k, e)| core::Taint { key: k.to_string(), effect: e.to_string(), ..Default::default() })
                .collect(),
            unschedulable: false,
            allocatable: Default::default(),
            max_pods: 110,
            pod_cidr: None,
            draw: 0,
        }
    }

    fn spec(v: serde_json::Value) -> core::PodSpec {
        let mut s: core::PodSpec = serde_json::from_value(v).expect("spec");
        daemon_pod_tolerations(&mut s);
        s
    }

    #[test]
    fn node_eligibility_follows_node_should_run_daemon_pod() {
        let plain = spec(json!({"containers": []}));
        let ssd_only = spec(json!({"containers": [], "nodeSelector": {"disk": "ssd"}}));
        let zone_a = spec(
            json!({"containers": [], "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution":
            {"nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}]}}}}),
        );
        let tolerant = spec(json!({"containers": [], "tolerations": [{"key": "gpu", "operator": "Exists"}]}));
        let on_n2 = spec(json!({"containers": [], "nodeName": "n2"}));
        let ssd = node(&[("disk", "ssd"), ("zone", "a")], &[]);
        // (spec, node, (shouldRun, shouldContinueRunning), why)
        let rows = [
            (&plain, node(&[], &[]), (true, true), "no constraints"),
            (&ssd_only, ssd.clone(), (true, true), "nodeSelector matches"),
            (&ssd_only, node(&[("disk", "hdd")], &[]), (false, false), "nodeSelector does not match"),
            (&zone_a, ssd.clone(), (true, true), "required affinity matches"),
            (&zone_a, node(&[("zone", "b")], &[]), (false, false), "required affinity does not"),
            (
                &plain,
                node(&[], &[("gpu", "NoSchedule")]),
                (false, true),
                "an untolerated NoSchedule taint keeps a pod there",
            ),
            (&plain, node(&[], &[("gpu", "NoExecute")]), (false, false), "an untolerated NoExecute taint removes it"),
            (&plain, node(&[], &[("gpu", "PreferNoSchedule")]), (true, true), "PreferNoSchedule is ignored"),
            (&tolerant, node(&[], &[("gpu", "NoExecute")]), (true, true), "a tolerated taint"),
            (
                &plain,
                node(&[], &[("node.kubernetes.io/unschedulable", "NoSchedule")]),
                (true, true),
                "cordoned nodes run daemons",
            ),
            (
                &plain,
                node(&[], &[("node.kubernetes.io/unreachable", "NoExecute")]),
                (true, true),
                "unreachable NoExecute tolerated",
            ),
            (
                &plain,
                node(&[], &[("node.kubernetes.io/unreachable", "NoSchedule")]),
                (false, true),
                "unreachable NoSchedule is not",
            ),
            (
                &plain,
                node(&[], &[("node.kubernetes.io/network-unavailable", "NoSchedule")]),
                (false, true),
                "network-unavailable only with hostNetwork",
            ),
            (&on_n2, node(&[], &[]), (false, false), "template nodeName names another node"),
        ];
        for (s, info, want, why) in rows {
            assert_eq!(node_should_run(s, "n1", &info), want, "{why}");
        }
        let host = spec(json!({"containers": [], "hostNetwork": true}));
        assert_eq!(
            node_should_run(&host, "n1", &node(&[], &[("node.kubernetes.io/network-unavailable", "NoSchedule")])),
            (true, true)
        );
    }

    #[test]
    fn daemon_tolerations_replace_matching_ones_and_keep_the_rest() {
        let s = spec(json!({"containers": [], "tolerations": [
            {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
            {"key": "gpu", "operator": "Exists"}]}));
        let t = s.tolerations.expect("tolerations");
        assert_eq!(t.len(), 7);
        assert_eq!(t[0].toleration_seconds, None, "the not-ready toleration is now unbounded");
        assert_eq!(t[1].key.as_deref(), Some("gpu"));
        assert_eq!(t[6].key.as_deref(), Some("node.kubernetes.io/unschedulable"));
    }

    #[test]
    fn pinning_replaces_required_terms_and_keeps_preferred_ones() {
        let a: core::Affinity = serde_json::from_value(json!({"nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "Exists"}]}]},
            "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 1, "preference": {"matchExpressions": [{"key": "z", "operator": "Exists"}]}}]}}))
        .expect("affinity");
        let pinned = serde_json::to_value(pinned_affinity(Some(a), "n7")).expect("json");
        assert_eq!(
            pinned["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"],
            json!({"nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n7"]}]}]})
        );
        assert_eq!(pinned["nodeAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]["weight"], json!(1));
    }
}
