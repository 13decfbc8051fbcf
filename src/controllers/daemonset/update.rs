//! The DaemonSet rolling update's limits (upstream: pkg/controller/daemon/update.go): with
//! maxSurge 0, old pods are deleted within maxUnavailable and manage() replaces them; with
//! maxSurge, new pods start beside old ones and the old go once the new are available. What
//! each node adds to those decisions is in view.rs.

use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

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
