//! A Job's podFailurePolicy (upstream `pod_failure_policy.go`) and successPolicy
//! (`success_policy.go`).

use std::collections::BTreeSet;

use k8s_openapi::api::batch::v1::{PodFailurePolicy, SuccessPolicy};

use super::indexes;
use crate::api::pod::{ConditionType, ContainerState};
use crate::api::{Body, Object};

/// What the first matching podFailurePolicy rule says about a failed pod.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Fail the Job with this message (reason PodFailurePolicy).
    FailJob(String),
    /// Fail the pod's index at once (with backoffLimitPerIndex).
    FailIndex,
    /// Not counted toward backoffLimit.
    Ignore,
    /// Counted, as without a policy.
    Count,
}

/// upstream: matchPodFailurePolicy — the rules in order; the first that matches wins. `None`
/// when no rule matches (the failure is counted).
pub fn match_pod_failure_policy(policy: &PodFailurePolicy, pod: &Object) -> Option<Action> {
    let Body::Pod { spec, status } = &pod.body else { return None };
    for (i, rule) in policy.rules.iter().enumerate() {
        let matched = if let Some(codes) = &rule.on_exit_codes {
            // Only terminated containers with a non-zero exit code count.
            spec.containers.iter().zip(status.containers.iter()).find_map(|(c, rt)| {
                let ContainerState::Terminated { exit_code, .. } = rt.state else { return None };
                if exit_code == 0 || codes.container_name.as_deref().is_some_and(|n| n != c.name) {
                    return None;
                }
                let listed = codes.values.contains(&exit_code);
                let hit = match codes.operator.as_str() {
                    "In" => listed,
                    "NotIn" => !listed,
                    _ => false,
                };
                hit.then(|| {
                    format!(
                        "Container {} for pod {}/{} failed with exit code {exit_code} matching FailJob rule at index {i}",
                        c.name, pod.meta.namespace, pod.meta.name
                    )
                })
            })
        } else {
            rule.on_pod_conditions.iter().flatten().find_map(|pattern| {
                let hit = ConditionType::ALL.iter().any(|&t| {
                    t.as_str() == pattern.type_
                        && status.condition(t).is_some_and(|c| c.status == (pattern.status == "True"))
                });
                hit.then(|| {
                    format!(
                        "Pod {}/{} has condition {} matching FailJob rule at index {i}",
                        pod.meta.namespace, pod.meta.name, pattern.type_
                    )
                })
            })
        };
        if let Some(message) = matched {
            return Some(match rule.action.as_str() {
                "FailJob" => Action::FailJob(message),
                "FailIndex" => Action::FailIndex,
                "Ignore" => Action::Ignore,
                _ => Action::Count,
            });
        }
    }
    None
}

/// upstream: matchSuccessPolicy — the index of the first rule the succeeded indexes meet.
pub fn match_success_policy(policy: &SuccessPolicy, completions: i32, succeeded: &BTreeSet<i32>) -> Option<usize> {
    policy.rules.iter().position(|rule| match (&rule.succeeded_indexes, rule.succeeded_count) {
        (Some(text), count) => {
            let listed = indexes::parse(text, completions);
            let done = listed.intersection(succeeded).count();
            match count {
                Some(n) => done >= n.max(0) as usize,
                None => done == listed.len(),
            }
        }
        (None, Some(n)) => succeeded.len() >= n.max(0) as usize,
        (None, None) => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::batch::v1::SuccessPolicyRule;

    #[test]
    fn success_rules_match_as_upstream() {
        let rule = |idx: Option<&str>, count: Option<i32>| SuccessPolicyRule {
            succeeded_indexes: idx.map(str::to_string),
            succeeded_count: count,
        };
        let done: BTreeSet<i32> = [0, 1, 3].into_iter().collect();
        let rows = [
            (rule(Some("0,1"), None), Some(0), "all listed indexes succeeded"),
            (rule(Some("0-2"), None), None, "index 2 is missing"),
            (rule(Some("0-3"), Some(3)), Some(0), "three of the listed four"),
            (rule(Some("2-4"), Some(2)), None, "only 3 of 2-4"),
            (rule(None, Some(3)), Some(0), "three succeeded in all"),
            (rule(None, Some(4)), None, "only three succeeded"),
        ];
        for (r, want, why) in rows {
            assert_eq!(match_success_policy(&SuccessPolicy { rules: vec![r] }, 5, &done), want, "{why}");
        }
    }
}
