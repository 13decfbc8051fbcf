//! Inter-pod affinity and anti-affinity (upstream scheduler plugin `InterPodAffinity`): the
//! required terms filter nodes, the preferred ones (and existing pods' terms about the incoming
//! pod) score them. Counts are kept per topology pair (key, value) of the nodes the matching
//! pods run on.

use std::collections::HashMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1 as core;

use crate::api::meta::StringMap;
use crate::api::{Body, Object};
use crate::labels::{merge_label_keys, Selector};

/// upstream: ErrReasonAffinityRulesNotMatch and friends.
pub const AFFINITY_NOT_MATCH: &str = "node(s) didn't match pod affinity rules";
pub const ANTI_AFFINITY_NOT_MATCH: &str = "node(s) didn't match pod anti-affinity rules";
pub const EXISTING_ANTI_AFFINITY_NOT_MATCH: &str = "node(s) didn't satisfy existing pods anti-affinity rules";
/// upstream: the default HardPodAffinityWeight — what an existing pod's required affinity
/// term matching the incoming pod adds to the score.
const HARD_POD_AFFINITY_WEIGHT: i64 = 1;

/// A pod already placed: the pod and the labels of its node.
pub struct Placed<'a> {
    pub pod: &'a Object,
    pub node_name: &'a str,
    pub node_labels: &'a StringMap,
}

/// The namespace labels a term's namespaceSelector is matched against.
pub type NamespaceLabels<'a> = &'a dyn Fn(&str) -> Option<Arc<StringMap>>;

/// One affinity term, resolved: its namespaces, selector, topology key and weight.
struct Term {
    /// The pod's own namespace when the term names none and has no namespaceSelector.
    namespaces: Vec<String>,
    namespace_selector: Option<Selector>,
    selector: Selector,
    key: String,
    weight: i64,
}

impl Term {
    /// upstream: NewAffinityTerm / GetNamespacesFromPodAffinityTerm.
    fn of(owner: &Object, t: &core::PodAffinityTerm, weight: i64) -> Term {
        let namespace_selector =
            t.namespace_selector.as_ref().map(|s| Selector::from_label_selector(Some(s)).unwrap_or(Selector::Nothing));
        let mut namespaces = t.namespaces.clone().unwrap_or_default();
        if namespaces.is_empty() && namespace_selector.is_none() {
            namespaces.push(owner.meta.namespace.to_string());
        }
        Term {
            namespaces,
            namespace_selector,
            // upstream: the API server merges the owner's values of matchLabelKeys (In) and
            // mismatchLabelKeys (NotIn) into the selector when the pod is created; kubesim
            // merges them here, so pods of one template keep sharing its spec.
            selector: Selector::from_label_selector(
                merge_label_keys(
                    t.label_selector.as_ref(),
                    t.match_label_keys.as_deref().unwrap_or_default(),
                    t.mismatch_label_keys.as_deref().unwrap_or_default(),
                    &*owner.meta.labels,
                )
                .as_ref(),
            )
            .unwrap_or(Selector::Nothing),
            key: t.topology_key.clone(),
            weight,
        }
    }

    /// upstream: AffinityTerm.Matches — the pod's namespace is one of the term's, and its
    /// labels match the selector.
    fn matches(&self, pod: &Object, ns_labels: NamespaceLabels) -> bool {
        let ns = &*pod.meta.namespace;
        let in_namespace = self.namespaces.iter().any(|n| n == ns)
            || self
                .namespace_selector
                .as_ref()
                .is_some_and(|s| s.is_everything() || ns_labels(ns).is_some_and(|labels| s.matches(&*labels)));
        in_namespace && self.selector.matches(&*pod.meta.labels)
    }
}

fn affinity(spec: &core::PodSpec) -> (Option<&core::PodAffinity>, Option<&core::PodAntiAffinity>) {
    let a = spec.affinity.as_ref();
    (a.and_then(|a| a.pod_affinity.as_ref()), a.and_then(|a| a.pod_anti_affinity.as_ref()))
}

/// Whether a pod carries pod affinity or anti-affinity terms (required or preferred).
pub fn has_terms(spec: &core::PodSpec) -> bool {
    let (a, anti) = affinity(spec);
    a.is_some_and(|a| {
        a.required_during_scheduling_ignored_during_execution.as_ref().is_some_and(|v| !v.is_empty())
            || a.preferred_during_scheduling_ignored_during_execution.as_ref().is_some_and(|v| !v.is_empty())
    }) || anti.is_some_and(|a| {
        a.required_during_scheduling_ignored_during_execution.as_ref().is_some_and(|v| !v.is_empty())
            || a.preferred_during_scheduling_ignored_during_execution.as_ref().is_some_and(|v| !v.is_empty())
    })
}

/// The placed pods' terms, resolved once per scheduling batch (by pod uid).
pub type TermCache = HashMap<crate::api::Uid, Terms>;

/// A pod's terms: required affinity, required anti-affinity, preferred affinity, preferred
/// anti-affinity.
pub struct Terms {
    required: Vec<Term>,
    required_anti: Vec<Term>,
    preferred: Vec<Term>,
    preferred_anti: Vec<Term>,
}

impl Terms {
    fn of(pod: &Object) -> Terms {
        let Body::Pod { spec, .. } = &pod.body else {
            return Terms { required: vec![], required_anti: vec![], preferred: vec![], preferred_anti: vec![] };
        };
        let (a, anti) = affinity(spec);
        let hard = |v: Option<&Vec<core::PodAffinityTerm>>| -> Vec<Term> {
            v.into_iter().flatten().map(|t| Term::of(pod, t, 0)).collect()
        };
        let soft = |v: Option<&Vec<core::WeightedPodAffinityTerm>>| -> Vec<Term> {
            v.into_iter().flatten().map(|w| Term::of(pod, &w.pod_affinity_term, w.weight as i64)).collect()
        };
        Terms {
            required: hard(a.and_then(|a| a.required_during_scheduling_ignored_during_execution.as_ref())),
            required_anti: hard(anti.and_then(|a| a.required_during_scheduling_ignored_during_execution.as_ref())),
            preferred: soft(a.and_then(|a| a.preferred_during_scheduling_ignored_during_execution.as_ref())),
            preferred_anti: soft(anti.and_then(|a| a.preferred_during_scheduling_ignored_during_execution.as_ref())),
        }
    }
}

type Pair = (String, String);

/// What the placed pods say about one incoming pod (upstream PreFilter and PreScore state).
pub struct Affinity {
    required: Vec<Term>,
    required_anti: Vec<Term>,
    /// Placed pods matching all the required affinity terms, per term topology pair.
    affinity_counts: HashMap<Pair, i64>,
    /// Placed pods matching a required anti-affinity term, per topology pair.
    anti_affinity_counts: HashMap<Pair, i64>,
    /// Placed pods whose required anti-affinity terms match the incoming pod.
    existing_anti_affinity_counts: HashMap<Pair, i64>,
    /// Whether the incoming pod matches all its own required affinity terms.
    self_affinity: bool,
    /// Preferred terms both ways, per topology pair (upstream topologyScore).
    scores: HashMap<String, HashMap<String, i64>>,
}

impl Affinity {
    /// Work out the counts for `pod` from every placed pod (upstream PreFilter + PreScore).
    pub fn new<'a>(
        pod: &Object,
        placed: impl Iterator<Item = Placed<'a>>,
        ns_labels: NamespaceLabels,
        cache: &mut TermCache,
    ) -> Affinity {
        let own = Terms::of(pod);
        let mut a = Affinity {
            self_affinity: own.required.iter().all(|t| t.matches(pod, ns_labels)),
            required: own.required,
            required_anti: own.required_anti,
            affinity_counts: HashMap::new(),
            anti_affinity_counts: HashMap::new(),
            existing_anti_affinity_counts: HashMap::new(),
            scores: HashMap::new(),
        };
        let pair = |t: &Term, labels: &StringMap| labels.get(&t.key).map(|v| (t.key.clone(), v.clone()));
        for p in placed {
            let labels = p.node_labels;
            // upstream: an existing pod counts for the affinity terms only if it matches all.
            if !a.required.is_empty() && a.required.iter().all(|t| t.matches(p.pod, ns_labels)) {
                for t in &a.required {
                    if let Some(k) = pair(t, labels) {
                        *a.affinity_counts.entry(k).or_default() += 1;
                    }
                }
            }
            for t in a.required_anti.iter().filter(|t| t.matches(p.pod, ns_labels)) {
                if let Some(k) = pair(t, labels) {
                    *a.anti_affinity_counts.entry(k).or_default() += 1;
                }
            }
            let mut score = |terms: &[Term], target: &Object, sign: i64, fixed: Option<i64>| {
                for t in terms.iter().filter(|t| t.matches(target, ns_labels)) {
                    if let Some(v) = labels.get(&t.key) {
                        *a.scores.entry(t.key.clone()).or_default().entry(v.clone()).or_default() +=
                            sign * fixed.unwrap_or(t.weight);
                    }
                }
            };
            // upstream processExistingPod: the incoming pod's preferred terms about the placed
            // pod, the placed pod's required affinity (HardPodAffinityWeight) and preferred
            // terms about the incoming pod.
            score(&own.preferred, p.pod, 1, None);
            score(&own.preferred_anti, p.pod, -1, None);
            let Body::Pod { spec, .. } = &p.pod.body else { continue };
            if !has_terms(spec) {
                continue;
            }
            let theirs = cache.entry(p.pod.meta.uid).or_insert_with(|| Terms::of(p.pod));
            for t in theirs.required_anti.iter().filter(|t| t.matches(pod, ns_labels)) {
                if let Some(k) = pair(t, labels) {
                    *a.existing_anti_affinity_counts.entry(k).or_default() += 1;
                }
            }
            score(&theirs.required, pod, 1, Some(HARD_POD_AFFINITY_WEIGHT));
            score(&theirs.preferred, pod, 1, None);
            score(&theirs.preferred_anti, pod, -1, None);
        }
        a
    }

    /// upstream InterPodAffinity.Filter: the pod's affinity, its anti-affinity, then the
    /// placed pods' anti-affinity. `Err((message, resolvable by preemption))`.
    pub fn filter(&self, node_labels: &StringMap) -> Result<(), (&'static str, bool)> {
        let mut pods_exist = true;
        for t in &self.required {
            match node_labels.get(&t.key) {
                // upstream: every topology key must be on the node.
                None => return Err((AFFINITY_NOT_MATCH, false)),
                Some(v) => {
                    if self.affinity_counts.get(&(t.key.clone(), v.clone())).copied().unwrap_or(0) <= 0 {
                        pods_exist = false;
                    }
                }
            }
        }
        // upstream: the first pod of a group with affinity to itself may go anywhere the keys are.
        if !(pods_exist || self.affinity_counts.is_empty() && self.self_affinity) {
            return Err((AFFINITY_NOT_MATCH, false));
        }
        for t in &self.required_anti {
            if let Some(v) = node_labels.get(&t.key) {
                if self.anti_affinity_counts.get(&(t.key.clone(), v.clone())).copied().unwrap_or(0) > 0 {
                    return Err((ANTI_AFFINITY_NOT_MATCH, true));
                }
            }
        }
        if !self.existing_anti_affinity_counts.is_empty()
            && node_labels
                .iter()
                .any(|(k, v)| self.existing_anti_affinity_counts.get(&(k.clone(), v.clone())).is_some_and(|n| *n > 0))
        {
            return Err((EXISTING_ANTI_AFFINITY_NOT_MATCH, true));
        }
        Ok(())
    }

    /// Whether scoring has anything to say (upstream: an empty topologyScore leaves scores be).
    pub fn scores(&self) -> bool {
        !self.scores.is_empty()
    }

    /// upstream InterPodAffinity.Score: the weights of the topology pairs the node is in.
    pub fn raw_score(&self, node_labels: &StringMap) -> i64 {
        self.scores.iter().filter_map(|(key, values)| node_labels.get(key).and_then(|v| values.get(v))).sum()
    }
}

/// upstream InterPodAffinity.NormalizeScore: min–max scaled to 0–100 (all 0 when equal).
pub fn normalize(raw: &mut [i64]) {
    let (Some(&min), Some(&max)) = (raw.iter().min(), raw.iter().max()) else { return };
    let diff = max - min;
    for s in raw.iter_mut() {
        *s = if diff > 0 { (100.0 * ((*s - min) as f64 / diff as f64)) as i64 } else { 0 };
    }
}
