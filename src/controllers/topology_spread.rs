//! Pod topology spread constraints (upstream scheduler plugin `PodTopologySpread`):
//! `DoNotSchedule` constraints filter nodes whose domain would be more than `maxSkew` above the
//! least-loaded domain; `ScheduleAnyway` ones score nodes with fewer matching pods higher.
//! `matchLabelKeys` add the incoming pod's values of those keys to the selector (upstream: the
//! plugin merges them, as `pod-template-hash` spreads each Deployment revision on its own).
//! Not modelled: the cluster-level default constraints, and `nodeTaintsPolicy: Honor` (taints
//! are ignored, as by default).

use std::collections::HashMap;

use k8s_openapi::api::core::v1 as core;

use super::pod_affinity::Placed;
use crate::api::meta::StringMap;
use crate::api::{Body, Object};
use crate::labels::{merge_label_keys, Selector};

/// upstream: ErrReasonConstraintsNotMatch / ErrReasonNodeLabelNotMatch.
pub const CONSTRAINTS_NOT_MATCH: &str = "node(s) didn't match pod topology spread constraints";
pub const NODE_LABEL_NOT_MATCH: &str = "node(s) didn't match pod topology spread constraints (missing required label)";
const HOSTNAME: &str = "kubernetes.io/hostname";

struct Constraint {
    max_skew: i64,
    key: String,
    selector: Selector,
    min_domains: Option<i64>,
}

fn constraints(pod: &Object, spec: &core::PodSpec, hard: bool) -> Vec<Constraint> {
    let want = if hard { "DoNotSchedule" } else { "ScheduleAnyway" };
    spec.topology_spread_constraints
        .iter()
        .flatten()
        .filter(|c| c.when_unsatisfiable == want)
        .map(|c| Constraint {
            max_skew: c.max_skew as i64,
            key: c.topology_key.clone(),
            // upstream: a nil labelSelector matches nothing.
            selector: Selector::from_label_selector(
                merge_label_keys(
                    c.label_selector.as_ref(),
                    c.match_label_keys.as_deref().unwrap_or_default(),
                    &[],
                    &*pod.meta.labels,
                )
                .as_ref(),
            )
            .unwrap_or(Selector::Nothing),
            min_domains: c.min_domains.map(i64::from),
        })
        .collect()
}

/// Whether a pod has topology spread constraints.
pub fn has_constraints(spec: &core::PodSpec) -> bool {
    spec.topology_spread_constraints.as_ref().is_some_and(|c| !c.is_empty())
}

/// upstream: countPodsMatchSelector — pods of the namespace, not terminating, matching.
fn matching(pod: &Object, c: &Constraint, namespace: &str) -> bool {
    pod.meta.deletion_timestamp().is_none()
        && &*pod.meta.namespace == namespace
        && c.selector.matches(&*pod.meta.labels)
}

/// upstream: the node inclusion policy `nodeAffinityPolicy: Honor` — a node counts toward the
/// domains only if the pod's nodeSelector and required node affinity match it.
fn included(spec: &core::PodSpec, name: &str, labels: &StringMap) -> bool {
    spec.node_selector.iter().flatten().all(|(k, v)| labels.get(k) == Some(v))
        && super::node_affinity::required_matches(spec, name, labels)
}

fn has_keys(labels: &StringMap, cs: &[Constraint]) -> bool {
    cs.iter().all(|c| labels.get(&c.key).is_some())
}

/// The filter's state for one incoming pod (upstream preFilterState).
pub struct Spread {
    hard: Vec<Constraint>,
    soft: Vec<Constraint>,
    /// Matching pods per (key, value) over the included nodes, hard constraints.
    counts: HashMap<(String, String), i64>,
    /// The least count per key (the global minimum), and the number of domains.
    min: HashMap<String, (i64, i64)>,
    self_match: Vec<bool>,
    namespace: String,
}

impl Spread {
    /// `nodes`: every node's name and labels; `placed`: every placed pod with its node's labels.
    pub fn new<'a>(
        pod: &Object,
        spec: &core::PodSpec,
        nodes: impl Iterator<Item = (&'a str, &'a StringMap)>,
        placed: impl Iterator<Item = Placed<'a>>,
    ) -> Spread {
        let hard = constraints(pod, spec, true);
        let soft = constraints(pod, spec, false);
        let namespace = pod.meta.namespace.to_string();
        let mut counts: HashMap<(String, String), i64> = HashMap::new();
        // Every domain of an included node that has all the keys starts at 0.
        for (name, labels) in nodes {
            if included(spec, name, labels) && has_keys(labels, &hard) {
                for c in &hard {
                    if let Some(v) = labels.get(&c.key) {
                        counts.entry((c.key.clone(), v.clone())).or_default();
                    }
                }
            }
        }
        for p in placed {
            if !included(spec, p.node_name, p.node_labels) || !has_keys(p.node_labels, &hard) {
                continue;
            }
            for c in hard.iter().filter(|c| matching(p.pod, c, &namespace)) {
                if let Some(v) = p.node_labels.get(&c.key) {
                    *counts.entry((c.key.clone(), v.clone())).or_default() += 1;
                }
            }
        }
        let mut min: HashMap<String, (i64, i64)> = HashMap::new();
        for ((k, _), n) in &counts {
            let e = min.entry(k.clone()).or_insert((i64::MAX, 0));
            e.0 = e.0.min(*n);
            e.1 += 1;
        }
        let self_match = hard.iter().map(|c| c.selector.matches(&*pod.meta.labels)).collect();
        Spread { hard, soft, counts, min, self_match, namespace }
    }

    /// upstream PodTopologySpread.Filter. `Err((message, resolvable by preemption))`.
    pub fn filter(&self, labels: &StringMap) -> Result<(), (&'static str, bool)> {
        for (c, self_match) in self.hard.iter().zip(&self.self_match) {
            let Some(v) = labels.get(&c.key) else { return Err((NODE_LABEL_NOT_MATCH, false)) };
            let (least, domains) = self.min.get(&c.key).copied().unwrap_or((0, 0));
            // upstream: fewer domains than minDomains make the global minimum 0.
            let least = if c.min_domains.is_some_and(|m| domains < m) { 0 } else { least };
            let here = self.counts.get(&(c.key.clone(), v.clone())).copied().unwrap_or(0);
            if here + i64::from(*self_match) - least > c.max_skew {
                return Err((CONSTRAINTS_NOT_MATCH, true));
            }
        }
        Ok(())
    }

    pub fn scores(&self) -> bool {
        !self.soft.is_empty()
    }

    /// upstream PreScore + Score + NormalizeScore for the `feasible` nodes (their labels), with
    /// every node's placed pods in `placed`: 0–100 each.
    pub fn normalized_scores<'a>(
        &self,
        spec: &core::PodSpec,
        feasible: &[&StringMap],
        placed: impl Iterator<Item = Placed<'a>>,
    ) -> Vec<i64> {
        let cs = &self.soft;
        let ignored: Vec<bool> = feasible.iter().map(|l| !has_keys(l, cs)).collect();
        // Domains of the feasible nodes (per-node counts for the hostname key).
        let mut pairs: HashMap<(String, String), i64> = HashMap::new();
        let mut sizes = vec![0usize; cs.len()];
        for (labels, _) in feasible.iter().zip(&ignored).filter(|(_, ig)| !**ig) {
            for (i, c) in cs.iter().enumerate() {
                if c.key == HOSTNAME {
                    continue;
                }
                let pair = (c.key.clone(), labels.get(&c.key).cloned().unwrap_or_default());
                if let std::collections::hash_map::Entry::Vacant(e) = pairs.entry(pair) {
                    e.insert(0);
                    sizes[i] += 1;
                }
            }
        }
        let kept = ignored.iter().filter(|i| !**i).count();
        let weights: Vec<f64> = cs
            .iter()
            .zip(&sizes)
            .map(|(c, &n)| ((if c.key == HOSTNAME { kept } else { n }) as f64 + 2.0).ln())
            .collect();
        // Count over every included node that has all the keys.
        let mut per_node: HashMap<String, i64> = HashMap::new();
        for p in placed {
            if !included(spec, p.node_name, p.node_labels) || !has_keys(p.node_labels, cs) {
                continue;
            }
            for c in cs.iter().filter(|c| matching(p.pod, c, &self.namespace)) {
                let v = p.node_labels.get(&c.key).cloned().unwrap_or_default();
                if c.key == HOSTNAME {
                    *per_node.entry(v).or_default() += 1;
                } else if let Some(n) = pairs.get_mut(&(c.key.clone(), v)) {
                    *n += 1;
                }
            }
        }
        let raw: Vec<Option<i64>> = feasible
            .iter()
            .zip(&ignored)
            .map(|(labels, ig)| {
                if *ig {
                    return None;
                }
                let mut score = 0.0;
                for (c, w) in cs.iter().zip(&weights) {
                    let Some(v) = labels.get(&c.key) else { continue };
                    let count = if c.key == HOSTNAME {
                        per_node.get(v).copied().unwrap_or(0)
                    } else {
                        pairs.get(&(c.key.clone(), v.clone())).copied().unwrap_or(0)
                    };
                    score += count as f64 * w + (c.max_skew - 1) as f64;
                }
                Some(score.round() as i64)
            })
            .collect();
        // upstream NormalizeScore: fewer matching pods score higher; ignored nodes score 0.
        let present = raw.iter().flatten();
        let min = present.clone().copied().min().unwrap_or(0);
        let max = present.copied().max().unwrap_or(0);
        raw.iter()
            .map(|s| match s {
                None => 0,
                Some(_) if max == 0 => 100,
                Some(s) => 100 * (max + min - s) / max,
            })
            .collect()
    }
}

/// Whether a pod is bound and still holds its place (not finished).
pub fn holds_place(pod: &Object) -> bool {
    matches!(&pod.body, Body::Pod { status, .. } if !status.phase.is_terminal())
}
