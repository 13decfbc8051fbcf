//! Node affinity as kube-scheduler's NodeAffinity plugin applies it (and as the DaemonSet
//! controller asks it): required `nodeSelectorTerms` as a filter, a PreFilter that narrows the
//! search to the nodes named by `matchFields metadata.name In`, and preferred terms as a score.
//!
//! upstream: component-helpers scheduling/corev1/nodeaffinity and
//! pkg/scheduler/framework/plugins/nodeaffinity.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1 as core;

use super::scheduler::Resources;
use super::scheduler::{
    self, better, evaluate_at, filter, pod_draw, round_from, score, Candidate, NodeState, Window, NOT_HELPFUL,
};
use crate::api::meta::StringMap;
use crate::api::Object;
use crate::sim::rng::splitmix64;

/// upstream: NodeAffinity ErrReasonPod — a node that fails the nodeSelector or required terms.
pub const ERR_REASON_POD: &str = "node(s) didn't match Pod's node affinity/selector";
/// upstream: NodeAffinity errReasonConflict — required terms whose node names share none.
pub const ERR_REASON_CONFLICT: &str = "pod affinity terms conflict";
/// upstream: findNodesThatFitPod — the status of the nodes a PreFilter result left out.
pub const ERR_REASON_PREFILTER: &str = "node(s) didn't satisfy plugin(s) [NodeAffinity]";
/// upstream: default scheduler profile — the NodeAffinity score plugin's weight.
pub const SCORE_WEIGHT: i64 = 2;
/// upstream: framework.MaxNodeScore
const MAX_NODE_SCORE: i64 = 100;

fn node_affinity(spec: &core::PodSpec) -> Option<&core::NodeAffinity> {
    spec.affinity.as_ref()?.node_affinity.as_ref()
}

fn required(spec: &core::PodSpec) -> Option<&core::NodeSelector> {
    node_affinity(spec)?.required_during_scheduling_ignored_during_execution.as_ref()
}

fn preferred(spec: &core::PodSpec) -> &[core::PreferredSchedulingTerm] {
    node_affinity(spec).and_then(|a| a.preferred_during_scheduling_ignored_during_execution.as_deref()).unwrap_or(&[])
}

/// Whether the pod's nodeSelector matches the node's labels.
pub fn node_selector_matches(spec: &core::PodSpec, labels: &StringMap) -> bool {
    spec.node_selector.as_ref().is_none_or(|sel| sel.iter().all(|(k, v)| labels.get(k.as_str()) == Some(v)))
}

/// upstream: RequiredNodeAffinity.Match (the affinity half; the nodeSelector half is
/// [`node_selector_matches`]) — the terms are ORed; no required affinity matches every node.
pub fn required_matches(spec: &core::PodSpec, node_name: &str, labels: &StringMap) -> bool {
    required(spec).is_none_or(|r| r.node_selector_terms.iter().any(|t| term_matches(t, node_name, labels)))
}

/// upstream: nodeSelectorTerm.match — the requirements of a term are ANDed; an empty term
/// matches nothing, and so does a term that does not parse (LazyErrorNodeSelector).
pub fn term_matches(term: &core::NodeSelectorTerm, node_name: &str, labels: &StringMap) -> bool {
    let exprs = term.match_expressions.as_deref().unwrap_or(&[]);
    let fields = term.match_fields.as_deref().unwrap_or(&[]);
    if exprs.is_empty() && fields.is_empty() {
        return false;
    }
    exprs.iter().all(|r| expression_matches(r, labels)) && fields.iter().all(|r| field_matches(r, node_name))
}

/// upstream: labels.Requirement.Matches for a node selector requirement.
fn expression_matches(r: &core::NodeSelectorRequirement, labels: &StringMap) -> bool {
    let values = r.values.as_deref().unwrap_or(&[]);
    let value = labels.get(r.key.as_str());
    match r.operator.as_str() {
        "In" => value.is_some_and(|v| values.contains(v)),
        "NotIn" => value.is_none_or(|v| !values.contains(v)),
        "Exists" => value.is_some(),
        "DoesNotExist" => value.is_none(),
        // Both sides parse as int64; anything else does not match.
        "Gt" | "Lt" => {
            let [bound] = values else { return false };
            let (Some(Ok(have)), Ok(bound)) = (value.map(|v| v.parse::<i64>()), bound.parse::<i64>()) else {
                return false;
            };
            if r.operator == "Gt" {
                have > bound
            } else {
                have < bound
            }
        }
        _ => false,
    }
}

/// upstream: nodeSelectorRequirementsAsFieldSelector — only `metadata.name`, In or NotIn one value.
fn field_matches(r: &core::NodeSelectorRequirement, node_name: &str) -> bool {
    let values = r.values.as_deref().unwrap_or(&[]);
    match (r.key.as_str(), r.operator.as_str(), values) {
        ("metadata.name", "In", [v]) => v == node_name,
        ("metadata.name", "NotIn", [v]) => v != node_name,
        _ => false,
    }
}

/// What the NodeAffinity PreFilter says of a pod's required terms.
#[derive(Debug, PartialEq)]
pub enum PreFilter<'a> {
    /// Every node is a candidate.
    AllNodes,
    /// Only these nodes (by name) are.
    Nodes(BTreeSet<&'a str>),
    /// No node can be (every term names nodes, and together they name none).
    Conflict,
}

/// upstream: NodeAffinity.PreFilter — when every term has `matchFields metadata.name In`, the
/// candidates are the union over the terms of the intersection within each term.
pub fn pre_filter(spec: &core::PodSpec) -> PreFilter<'_> {
    let Some(req) = required(spec) else { return PreFilter::AllNodes };
    if req.node_selector_terms.is_empty() {
        return PreFilter::AllNodes;
    }
    let mut all: BTreeSet<&str> = BTreeSet::new();
    for term in &req.node_selector_terms {
        let mut names: Option<BTreeSet<&str>> = None;
        for r in term.match_fields.iter().flatten() {
            if r.key == "metadata.name" && r.operator == "In" {
                let these: BTreeSet<&str> = r.values.iter().flatten().map(String::as_str).collect();
                names = Some(match names {
                    None => these,
                    Some(before) => before.intersection(&these).copied().collect(),
                });
            }
        }
        match names {
            // A term that names no node makes every node a candidate: the terms are ORed.
            None => return PreFilter::AllNodes,
            Some(n) => all.extend(n),
        }
    }
    if all.is_empty() {
        PreFilter::Conflict
    } else {
        PreFilter::Nodes(all)
    }
}

/// Whether the pod has preferred terms that can score (upstream skips weight-0 and empty ones).
pub fn has_preferences(spec: &core::PodSpec) -> bool {
    preferred(spec).iter().any(|t| t.weight != 0 && !is_empty_term(&t.preference))
}

fn is_empty_term(t: &core::NodeSelectorTerm) -> bool {
    t.match_expressions.as_ref().is_none_or(Vec::is_empty) && t.match_fields.as_ref().is_none_or(Vec::is_empty)
}

/// upstream: PreferredSchedulingTerms.Score — the sum of the weights of the terms that match.
pub fn preferred_score(spec: &core::PodSpec, node_name: &str, labels: &StringMap) -> i64 {
    preferred(spec)
        .iter()
        .filter(|t| t.weight != 0 && term_matches(&t.preference, node_name, labels))
        .map(|t| i64::from(t.weight))
        .sum()
}

/// upstream: helper.DefaultNormalizeScore (not reversed) — a raw score scaled so the best of the
/// feasible nodes gets 100; all stay 0 when none scored — then times the plugin's weight.
pub fn weighted(raw: i64, max_raw: i64) -> i64 {
    if max_raw == 0 {
        0
    } else {
        MAX_NODE_SCORE * raw / max_raw * SCORE_WEIGHT
    }
}

/// Whether the scheduler may remember what its filters and scores said of each node for pods
/// with this spec: their node scores do not depend on which other nodes are feasible, and
/// their search visits the whole node list.
pub fn memoizable(spec: &core::PodSpec) -> bool {
    !has_preferences(spec) && pre_filter(spec) == PreFilter::AllNodes
}

/// What a node search found: the best candidate, the reasons nodes failed (by message), the
/// preemption verdicts, and how many nodes it processed (what the cursor moves by).
pub(super) type Searched = (Option<Candidate>, BTreeMap<String, usize>, BTreeMap<&'static str, usize>, usize);

/// upstream: findNodesThatFitPod with the NodeAffinity PreFilter and Score — the scheduler's
/// node search for one pod. Without node names or preferences it is [`scheduler::search`];
/// with names it visits only those nodes (in name order: upstream's is map order); with
/// preferences the feasible nodes it found are scored again with the preferred terms,
/// normalized over them.
#[allow(clippy::too_many_arguments)]
pub(super) fn search(
    nodes: &[NodeState],
    total: usize,
    start: usize,
    to_find: usize,
    pod: &Object,
    spec: &core::PodSpec,
    req: &Resources,
    nonzero: &Resources,
) -> Searched {
    // (`nodes` may hold only the nodes pinned pods name; `total` counts all.)
    let n = total;
    let names = match pre_filter(spec) {
        PreFilter::AllNodes => None,
        // The PreFilter rejects the pod before any node is visited: the cursor stays.
        PreFilter::Conflict => {
            let reasons = BTreeMap::from([(ERR_REASON_CONFLICT.to_string(), 0)]);
            return (None, reasons, BTreeMap::from([(NOT_HELPFUL, n)]), 0);
        }
        PreFilter::Nodes(names) => Some(names),
    };
    let (mut found, visited_at): (Searched, Vec<usize>) = match names {
        None => {
            let found = scheduler::search(nodes, start, to_find, pod, spec, req, nonzero);
            let at = if has_preferences(spec) && found.0.is_some() {
                round_from(n, start % n.max(1), found.3).collect()
            } else {
                Vec::new()
            };
            (found, at)
        }
        Some(names) => {
            // (The scheduler's node list is in name order.)
            let candidates: Vec<usize> =
                names.iter().filter_map(|name| nodes.binary_search_by(|s| (**s.name).cmp(name)).ok()).collect();
            let m = candidates.len();
            let to_find = scheduler::feasible_nodes_to_find(m);
            let from = if m == 0 { 0 } else { start % m };
            let mut window = Window::default();
            let mut at = Vec::new();
            for k in 0..m {
                if window.feasible >= to_find {
                    break;
                }
                let i = candidates[(from + k) % m];
                at.push(i);
                window = window.merge(evaluate_at(nodes, std::iter::once(i), pod, spec, req, nonzero));
            }
            let mut reasons = if window.best.is_some() { BTreeMap::new() } else { window.messages() };
            let mut preemption = window.preemption();
            if n > m && window.best.is_none() {
                reasons.insert(ERR_REASON_PREFILTER.to_string(), n - m);
                *preemption.entry(NOT_HELPFUL).or_default() += n - m;
            }
            let visited = at.len();
            ((window.best, reasons, preemption, visited), at)
        }
    };
    if has_preferences(spec) && found.0.is_some() {
        found.0 = rescore(nodes, &visited_at, pod, spec, req, nonzero);
    }
    found
}

/// The best of the feasible nodes among `at`, with the preferred terms' score (normalized over
/// those nodes) added to the resource scores.
fn rescore(
    nodes: &[NodeState],
    at: &[usize],
    pod: &Object,
    spec: &core::PodSpec,
    req: &Resources,
    nonzero: &Resources,
) -> Option<Candidate> {
    let pod_draw = pod_draw(pod);
    let feasible: Vec<(usize, i64)> = at
        .iter()
        .filter(|&&i| filter(&nodes[i], spec, req).is_ok())
        .map(|&i| (i, preferred_score(spec, &nodes[i].name[..], &nodes[i].info.labels)))
        .collect();
    let max_raw = feasible.iter().map(|f| f.1).max().unwrap_or(0);
    let mut best: Option<Candidate> = None;
    for (i, raw) in feasible {
        let node = &nodes[i];
        let total = score(node, nonzero) + weighted(raw, max_raw);
        let cand = (total, splitmix64(node.draw ^ pod_draw), i);
        if best.is_none_or(|b| better(cand, b)) {
            best = Some(cand);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(affinity: serde_json::Value) -> core::PodSpec {
        serde_json::from_value(json!({"containers": [], "affinity": {"nodeAffinity": affinity}})).expect("spec")
    }

    fn labels(pairs: &[(&str, &str)]) -> StringMap {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn required_terms(terms: serde_json::Value) -> core::PodSpec {
        spec(json!({"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": terms}}))
    }

    #[test]
    fn match_expressions_follow_label_requirement_semantics() {
        let node = labels(&[("zone", "a"), ("cores", "8"), ("bad", "x")]);
        // (requirement, matches, why)
        let rows = [
            (json!({"key": "zone", "operator": "In", "values": ["a", "b"]}), true, "In with the value"),
            (json!({"key": "zone", "operator": "In", "values": ["b"]}), false, "In without it"),
            (json!({"key": "gpu", "operator": "In", "values": ["a"]}), false, "In on a missing label"),
            (json!({"key": "zone", "operator": "NotIn", "values": ["b"]}), true, "NotIn other value"),
            (json!({"key": "gpu", "operator": "NotIn", "values": ["a"]}), true, "NotIn on a missing label matches"),
            (json!({"key": "zone", "operator": "NotIn", "values": ["a"]}), false, "NotIn with the value"),
            (json!({"key": "zone", "operator": "Exists"}), true, "Exists"),
            (json!({"key": "gpu", "operator": "Exists"}), false, "Exists, missing"),
            (json!({"key": "gpu", "operator": "DoesNotExist"}), true, "DoesNotExist, missing"),
            (json!({"key": "zone", "operator": "DoesNotExist"}), false, "DoesNotExist, present"),
            (json!({"key": "cores", "operator": "Gt", "values": ["4"]}), true, "Gt as integers"),
            (json!({"key": "cores", "operator": "Gt", "values": ["8"]}), false, "Gt is strict"),
            (json!({"key": "cores", "operator": "Lt", "values": ["10"]}), true, "Lt as integers, not strings"),
            (json!({"key": "bad", "operator": "Gt", "values": ["1"]}), false, "Gt on a non-integer label"),
            (json!({"key": "gpu", "operator": "Lt", "values": ["1"]}), false, "Lt on a missing label"),
        ];
        for (req, want, why) in rows {
            let s = required_terms(json!([{"matchExpressions": [req]}]));
            assert_eq!(required_matches(&s, "node-1", &node), want, "{why}");
        }
    }

    #[test]
    fn terms_are_ored_and_requirements_anded() {
        let node = labels(&[("zone", "a"), ("disk", "ssd")]);
        let both = json!({"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]},
                                               {"key": "disk", "operator": "In", "values": ["hdd"]}]});
        let zone = json!({"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]});
        assert!(!required_matches(&required_terms(json!([both.clone()])), "n", &node), "ANDed within a term");
        assert!(required_matches(&required_terms(json!([both, zone])), "n", &node), "ORed across terms");
        assert!(!required_matches(&required_terms(json!([{}])), "n", &node), "an empty term matches nothing");
        assert!(required_matches(&spec(json!({})), "n", &node), "no required terms: every node");
    }

    #[test]
    fn match_fields_select_the_node_by_name() {
        let name_in = |v: &str| json!({"matchFields": [{"key": "metadata.name", "operator": "In", "values": [v]}]});
        let s = required_terms(json!([name_in("node-2")]));
        assert!(required_matches(&s, "node-2", &StringMap::new()));
        assert!(!required_matches(&s, "node-3", &StringMap::new()));
        let not_in = required_terms(
            json!([{"matchFields": [{"key": "metadata.name", "operator": "NotIn", "values": ["node-2"]}]}]),
        );
        assert!(!required_matches(&not_in, "node-2", &StringMap::new()));
        assert!(required_matches(&not_in, "node-3", &StringMap::new()));
    }

    #[test]
    fn pre_filter_narrows_to_named_nodes_like_upstream() {
        let names = |vs: &[&str]| json!({"key": "metadata.name", "operator": "In", "values": vs});
        let expr = json!({"key": "zone", "operator": "Exists"});
        // (terms, result, why) — upstream TestNodeAffinityPreFilter's cases.
        let rows = [
            (json!([{"matchFields": [names(&["a", "b"])]}]), PreFilter::Nodes(["a", "b"].into()), "one term"),
            (
                json!([{"matchFields": [names(&["a", "b"]), names(&["b", "c"])]}]),
                PreFilter::Nodes(["b"].into()),
                "intersection within a term",
            ),
            (
                json!([{"matchFields": [names(&["a"])]}, {"matchFields": [names(&["c"])]}]),
                PreFilter::Nodes(["a", "c"].into()),
                "union across terms",
            ),
            (
                json!([{"matchFields": [names(&["a"])]}, {"matchExpressions": [expr]}]),
                PreFilter::AllNodes,
                "a term without names",
            ),
            (
                json!([{"matchFields": [names(&["a"]), names(&["b"])]}]),
                PreFilter::Conflict,
                "names that exclude each other",
            ),
        ];
        for (terms, want, why) in rows {
            assert_eq!(pre_filter(&required_terms(terms)), want, "{why}");
        }
        assert_eq!(pre_filter(&spec(json!({}))), PreFilter::AllNodes);
    }

    #[test]
    fn preferred_terms_score_their_weights_normalized_to_the_best_node() {
        let s = spec(json!({"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 2, "preference": {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}},
            {"weight": 5, "preference": {"matchExpressions": [{"key": "disk", "operator": "In", "values": ["ssd"]}]}},
            {"weight": 50, "preference": {}},
        ]}));
        assert!(has_preferences(&s));
        let raw = |pairs: &[(&str, &str)]| preferred_score(&s, "n", &labels(pairs));
        assert_eq!(raw(&[("zone", "a"), ("disk", "ssd")]), 7);
        assert_eq!(raw(&[("zone", "a")]), 2);
        assert_eq!(raw(&[]), 0, "an empty preference is skipped");
        // DefaultNormalizeScore: 100·raw/max (integer), then the plugin weight 2.
        assert_eq!(weighted(7, 7), 200);
        assert_eq!(weighted(2, 7), 56);
        assert_eq!(weighted(0, 0), 0);
        assert!(!has_preferences(&spec(json!({"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 0, "preference": {"matchExpressions": [{"key": "k", "operator": "Exists"}]}}]}))));
    }
}
