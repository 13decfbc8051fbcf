//! The DaemonSet rolling update (upstream: pkg/controller/daemon/update.go): with maxSurge 0,
//! old pods are deleted within maxUnavailable and manage() replaces them; with maxSurge, new
//! pods start beside old ones and the old go once the new are available.

use std::sync::Arc;

use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{missing_nodes, ByNode, Sync};
use crate::api::Object;

/// upstream: intstr.GetScaledValueFromIntOrPercent with roundUp — an integer as is, `p%` of
/// `total` rounded up.
fn scaled(v: Option<&IntOrString>, total: i64) -> i64 {
    match v {
        None => 0,
        Some(IntOrString::Int(i)) => i64::from(*i),
        Some(IntOrString::String(s)) => {
            let p: i64 = s.trim_end_matches('%').parse().unwrap_or(0);
            (p * total + 99) / 100
        }
    }
}

fn rolling(spec: &apps::DaemonSetSpec) -> Option<&apps::RollingUpdateDaemonSet> {
    let s = spec.update_strategy.as_ref()?;
    (s.type_.as_deref() == Some("RollingUpdate")).then_some(s.rolling_update.as_ref()).flatten()
}

/// The surge and unavailable limits of a rollout over `desired` nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counts {
    pub max_surge: i64,
    pub max_unavailable: i64,
}

/// upstream: updatedDesiredNodeCounts (SurgeCount, UnavailableCount) — both round up; with
/// nodes to run on and both 0, maxUnavailable is 1.
pub fn scaled_counts(spec: &apps::DaemonSetSpec, desired: i64) -> Counts {
    let ru = rolling(spec);
    let max_surge = scaled(ru.and_then(|r| r.max_surge.as_ref()), desired);
    let mut max_unavailable = scaled(ru.and_then(|r| r.max_unavailable.as_ref()), desired);
    if desired > 0 && max_surge == 0 && max_unavailable == 0 {
        max_unavailable = 1;
    }
    Counts { max_surge, max_unavailable }
}

/// upstream: util.AllowsSurge — a rolling update whose maxSurge scales to non-zero for one node.
pub fn allows_surge(spec: &apps::DaemonSetSpec) -> bool {
    scaled(rolling(spec).and_then(|r| r.max_surge.as_ref()), 1) != 0
}

/// A node's new pod and old pod, either possibly missing.
type NewAndOld<'a> = (Option<&'a Arc<Object>>, Option<&'a Arc<Object>>);

/// upstream: findUpdatedPodsOnNode — the node's new and old pod (not terminating); `None`
/// when it has two of either (manage() sorts that out).
fn split<'a>(s: &Sync, pods: &'a [Arc<Object>]) -> Option<NewAndOld<'a>> {
    let (mut new, mut old) = (None, None);
    for p in pods.iter().filter(|p| p.meta.deletion_timestamp().is_none()) {
        let slot = if s.is_updated(p) { &mut new } else { &mut old };
        if slot.is_some() {
            return None;
        }
        *slot = Some(p);
    }
    Some((new, old))
}

/// upstream: rollingUpdate — the nodes to create a new pod on and the old pods to delete.
/// Nodes are visited in name order (upstream: Go map order).
pub(super) fn rolling_update(s: &Sync, by_node: &ByNode) -> (Vec<String>, Vec<Arc<Object>>) {
    // Every node that should run a pod or has one, by name; then the pods' nodes that are gone.
    let mut nodes: Vec<(&str, &[Arc<Object>])> = Vec::new();
    let mut desired = 0;
    for (name, run, _) in &s.nodes {
        desired += i64::from(*run);
        match by_node.get(&**name) {
            Some(pods) => nodes.push((name, pods)),
            None if *run => nodes.push((name, &[])),
            None => {}
        }
    }
    nodes.extend(missing_nodes(s, by_node).into_iter().map(|n| (n, by_node[n].as_slice())));
    let Counts { max_surge, max_unavailable } = scaled_counts(s.spec, desired);
    let should_run = |n: &str| s.eligibility(n).is_some_and(|e| e.0);
    if max_surge == 0 {
        let mut unavailable = 0;
        let mut allowed: Vec<Arc<Object>> = Vec::new();
        let mut candidates: Vec<Arc<Object>> = Vec::new();
        for (_, pods) in &nodes {
            match split(s, pods) {
                None => unavailable += 1,
                Some((None, None) | (Some(_), Some(_))) => unavailable += 1,
                Some((Some(new), None)) => {
                    if !s.available(new) {
                        unavailable += 1;
                    }
                }
                Some((None, Some(old))) => {
                    if !s.available(old) {
                        // An old pod that is not available is replaced at once (and counts).
                        allowed.push(old.clone());
                        unavailable += 1;
                    } else if unavailable < max_unavailable {
                        candidates.push(old.clone());
                    }
                }
            }
        }
        let room = (max_unavailable - unavailable).clamp(0, candidates.len() as i64) as usize;
        allowed.extend(candidates.into_iter().take(room));
        return (Vec::new(), allowed);
    }
    let mut delete: Vec<Arc<Object>> = Vec::new();
    let mut should_not_run: Vec<Arc<Object>> = Vec::new();
    let mut candidates: Vec<String> = Vec::new();
    let mut allowed: Vec<String> = Vec::new();
    let (mut surge, mut available) = (0, 0);
    for (name, pods) in &nodes {
        let Some((new, old)) = split(s, pods) else {
            surge += 1;
            continue;
        };
        if let Some(p) = old.or(new) {
            if s.available(p) {
                available += 1;
            }
        }
        match (new, old) {
            (_, None) => {}
            (None, Some(old)) => {
                if !s.available(old) {
                    if should_run(name) {
                        allowed.push(name.to_string());
                    } else {
                        delete.push(old.clone());
                    }
                } else if !should_run(name) {
                    should_not_run.push(old.clone());
                } else if surge < max_surge {
                    candidates.push(name.to_string());
                }
            }
            (Some(new), Some(old)) => {
                if s.available(new) {
                    delete.push(old.clone());
                } else {
                    surge += 1;
                }
            }
        }
    }
    // Old pods on nodes that should no longer run one go only while enough others are available.
    let deletable = (available - desired).clamp(0, should_not_run.len() as i64) as usize;
    delete.extend(should_not_run.into_iter().take(deletable));
    let room = (max_surge - surge).clamp(0, candidates.len() as i64) as usize;
    allowed.extend(candidates.into_iter().take(room));
    (allowed, delete)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn surge_and_unavailable_counts_match_upstreams_table() {
        // upstream: TestGetUnavailableNumbers — (strategy, nodes) → (maxSurge, maxUnavailable).
        let rows = [
            (json!({"maxUnavailable": 0}), 0, (0, 0), "no nodes, maxUnavailable 0"),
            (json!({"maxUnavailable": 1}), 2, (0, 1), "2 nodes, maxUnavailable 1"),
            (json!({"maxUnavailable": 0, "maxSurge": 0}), 2, (0, 1), "2 nodes, both 0: unavailable 1"),
            (json!({"maxUnavailable": "50%"}), 2, (0, 1), "2 nodes, 50%"),
            (json!({"maxUnavailable": 0, "maxSurge": "50%"}), 2, (1, 0), "maxSurge 50%"),
            (json!({"maxUnavailable": 0, "maxSurge": "100%"}), 2, (2, 0), "maxSurge 100%"),
            (json!({"maxUnavailable": "50%"}), 3, (0, 2), "3 nodes, 50% rounds up"),
        ];
        for (ru, desired, (surge, unavailable), why) in rows {
            let spec: apps::DaemonSetSpec = serde_json::from_value(json!({
                "selector": {}, "template": {},
                "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": ru}
            }))
            .expect("spec");
            assert_eq!(
                scaled_counts(&spec, desired),
                Counts { max_surge: surge, max_unavailable: unavailable },
                "{why}"
            );
        }
    }
}
