//! Per-controller pod tallies: what the ReplicaSet controller counts of the pods it controls,
//! kept up to date as pods are written, so a sync over a large ReplicaSet reads a few numbers
//! rather than every pod (upstream computes them from its informer cache on every sync).
//! The tally also keeps the active pods grouped by what the scale-down ranking reads of them,
//! so that choosing a few victims among many pods costs what it takes.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use either::Either;

use crate::api::meta::StringMap;
use crate::api::pod::Phase;
use crate::api::{Body, Object, Uid};
use crate::sim::clock::Millis;

/// upstream: the pod-deletion-cost annotation (PodDeletionCost, on by default).
pub const POD_DELETION_COST: &str = "controller.kubernetes.io/pod-deletion-cost";

/// One controller's pods, grouped by their labels (a ReplicaSet's pods share its template's).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PodTally {
    pub groups: BTreeMap<Labels, TallyGroup>,
    /// Active pods in all groups.
    pub active: u32,
    /// The active pods by [`RankKey`], each group's (uid, name) in uid order: kept while the
    /// controller has many active pods (from [`RANKED_FROM`] until it falls below half that),
    /// since a small one lists its few pods as cheaply and the groups cost memory per pod.
    pub ranking: Option<Ranking>,
    /// The store's tick at the last write of one of these pods (see `Store::ticks`).
    pub written: u64,
}

/// A tally group's labels, ordered by their content, but found by pointer first: a
/// ReplicaSet's pods share their template's map, so a pod's write finds its group in one
/// comparison instead of comparing every label.
#[derive(Clone, Debug)]
pub struct Labels(pub Arc<StringMap>);

impl std::ops::Deref for Labels {
    type Target = StringMap;
    fn deref(&self) -> &StringMap {
        &self.0
    }
}

impl Ord for Labels {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        if Arc::ptr_eq(&self.0, &other.0) {
            return std::cmp::Ordering::Equal;
        }
        self.0.cmp(&other.0)
    }
}

impl PartialOrd for Labels {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Labels {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Labels {}

/// Active pods by [`RankKey`], each group's (uid, name) in uid order.
pub type Ranking = BTreeMap<RankKey, Members>;

/// One ranking group's pods, (uid, name) in uid order: a sorted vector while few (most groups
/// hold a handful of pods, and a B-tree's first leaf alone takes about 430 bytes), a B-tree
/// beyond (a group of thousands of pods, e.g. pending ones created together).
#[derive(Clone, Debug)]
pub enum Members {
    Few(Vec<(Uid, Arc<str>)>),
    Many(BTreeMap<Uid, Arc<str>>),
}

/// The most pods a group keeps in a vector (inserting and removing move up to this many).
const FEW: usize = 32;

impl Default for Members {
    fn default() -> Self {
        Members::Few(Vec::new())
    }
}

impl PartialEq for Members {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Members {
    pub fn len(&self) -> usize {
        match self {
            Members::Few(v) => v.len(),
            Members::Many(m) => m.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn insert(&mut self, uid: Uid, name: Arc<str>) {
        match self {
            Members::Few(v) => {
                let at = v.partition_point(|(u, _)| *u < uid);
                if v.get(at).is_some_and(|(u, _)| *u == uid) {
                    v[at].1 = name;
                } else {
                    v.insert(at, (uid, name));
                }
                if v.len() > FEW {
                    *self = Members::Many(std::mem::take(v).into_iter().collect());
                }
            }
            Members::Many(m) => {
                m.insert(uid, name);
            }
        }
    }

    fn remove(&mut self, uid: Uid) {
        match self {
            Members::Few(v) => {
                if let Ok(at) = v.binary_search_by(|(u, _)| u.cmp(&uid)) {
                    v.remove(at);
                }
            }
            Members::Many(m) => {
                m.remove(&uid);
                if m.len() <= FEW / 2 {
                    *self = Members::Few(std::mem::take(m).into_iter().collect());
                }
            }
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (Uid, &Arc<str>)> {
        self.range(Uid(0), None)
    }

    /// The members with uids in [from, end) (no end: to the last), in uid order.
    pub fn range(&self, from: Uid, end: Option<Uid>) -> impl Iterator<Item = (Uid, &Arc<str>)> {
        match self {
            Members::Few(v) => {
                let lo = v.partition_point(|(u, _)| *u < from);
                let hi = end.map_or(v.len(), |end| v.partition_point(|(u, _)| *u < end)).max(lo);
                Either::Left(v[lo..hi].iter().map(|(u, name)| (*u, name)))
            }
            Members::Many(m) => {
                // (A B-tree range panics when it ends before it starts.)
                let end = end.map(|end| end.max(from));
                let upper = end.map_or(Bound::Unbounded, Bound::Excluded);
                Either::Right(m.range((Bound::Included(from), upper)).map(|(u, name)| (*u, name)))
            }
        }
    }
}

/// How many active pods a controller has when its tally starts keeping a [`Ranking`].
pub const RANKED_FROM: u32 = 128;

/// What upstream's scale-down ranking (`ActivePodsWithRanks.Less`) reads of one pod that does
/// not depend on the clock or on other pods: the ranking works out the rest per sync.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RankKey {
    /// Where it is bound (`spec.nodeName`, else where the scheduler bound it).
    pub node: Option<Arc<str>>,
    /// upstream: podPhaseToOrdinal — Pending 0, Unknown 1, Running 2; anything else 0.
    pub phase: u8,
    /// The whole second its Ready condition turned True, if Ready.
    pub ready_s: Option<i64>,
    /// upstream: GetDeletionCostFromPodAnnotations — missing or invalid counts as 0.
    pub cost: i32,
    /// The most restarts of any of its containers.
    pub restarts: u32,
    /// The whole second it was created.
    pub created_s: i64,
}

impl RankKey {
    /// The key of a pod (`None` for other kinds).
    pub fn of(obj: &Object) -> Option<RankKey> {
        let Body::Pod { spec, status } = &obj.body else { return None };
        // (The scheduler's binding shares its text: no copy when the spec names the same node.)
        let node = match (&spec.node_name, &status.node_name) {
            (Some(n), Some(bound)) if **n == **bound => Some(bound.clone()),
            (Some(n), _) => Some(Arc::from(n.as_str())),
            (None, bound) => bound.clone(),
        };
        let phase = match status.phase {
            Phase::Unknown => 1,
            Phase::Running => 2,
            _ => 0,
        };
        Some(RankKey {
            node,
            phase,
            ready_s: status.ready_since().map(|t| t.div_euclid(1000)),
            cost: obj.meta.annotations.get(POD_DELETION_COST).and_then(|v| v.parse::<i32>().ok()).unwrap_or(0),
            restarts: status.containers.iter().map(|c| c.restart_count).max().unwrap_or(0),
            created_s: obj.meta.creation_timestamp.div_euclid(1000),
        })
    }
}

/// The pods of one label set.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TallyGroup {
    /// Every pod, active or not.
    pub pods: u32,
    /// Pods neither terminal nor being deleted (upstream: FilterActivePods).
    pub active: u32,
    /// Active pods whose Ready condition is True.
    pub ready: u32,
    /// Active Ready pods by the whole second (in ms) their Ready condition last turned True.
    pub ready_at: BTreeMap<Millis, u32>,
}

/// What one pod adds to its controller's tally.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contribution {
    /// The whole second (ms) it became Ready, if active and Ready.
    ready_at: Option<Millis>,
    /// Its ranking key, if active (upstream: FilterActivePods — neither terminal nor being deleted).
    pub rank: Option<RankKey>,
}

impl Contribution {
    pub fn of(obj: &Object) -> Option<Contribution> {
        let Body::Pod { status, .. } = &obj.body else { return None };
        obj.meta.controller_ref()?;
        let active = obj.meta.deletion_timestamp().is_none() && !status.phase.is_terminal();
        let ready_at = status.ready_since().filter(|_| active).map(|t| t.div_euclid(1000) * 1000);
        let rank = if active { RankKey::of(obj) } else { None };
        Some(Contribution { ready_at, rank })
    }
}

/// Put one active pod in a ranking.
pub fn rank(ranking: &mut Ranking, obj: &Object, key: RankKey) {
    ranking.entry(key).or_default().insert(obj.meta.uid, obj.meta.name.clone());
}

impl PodTally {
    pub fn add(&mut self, obj: &Object, c: Contribution) {
        let g = self.groups.entry(Labels(obj.meta.labels.clone())).or_default();
        g.pods += 1;
        g.active += u32::from(c.rank.is_some());
        self.active += u32::from(c.rank.is_some());
        if let Some(t) = c.ready_at {
            g.ready += 1;
            *g.ready_at.entry(t).or_default() += 1;
        }
        if let (Some(ranking), Some(key)) = (&mut self.ranking, c.rank) {
            rank(ranking, obj, key);
        }
    }

    pub fn remove(&mut self, obj: &Object, c: Contribution) {
        if let (Some(ranking), Some(key)) = (&mut self.ranking, &c.rank) {
            if let Some(set) = ranking.get_mut(key) {
                set.remove(obj.meta.uid);
                if set.is_empty() {
                    ranking.remove(key);
                }
            }
        }
        self.active -= u32::from(c.rank.is_some());
        let labels = Labels(obj.meta.labels.clone());
        let Some(g) = self.groups.get_mut(&labels) else {
            debug_assert!(false, "a pod removed from a tally it is not in");
            return;
        };
        g.pods -= 1;
        g.active -= u32::from(c.rank.is_some());
        if let Some(t) = c.ready_at {
            g.ready -= 1;
            if let Some(n) = g.ready_at.get_mut(&t) {
                *n -= 1;
                if *n == 0 {
                    g.ready_at.remove(&t);
                }
            }
        }
        if g.pods == 0 {
            self.groups.remove(&labels);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Labels order by content: the pointer only shortcuts a comparison of one map with itself,
    /// so pods whose equal maps were made apart fall in one group.
    #[test]
    fn labels_compare_by_content_whatever_their_pointer() {
        let map = |pairs: &[(&str, &str)]| -> Arc<StringMap> {
            Arc::new(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
        };
        let (a, b) = (map(&[("app", "web")]), map(&[("app", "web")]));
        assert!(!Arc::ptr_eq(&a, &b));
        assert_eq!(Labels(a.clone()), Labels(b.clone()));
        let later = Labels(map(&[("app", "zz")]));
        assert!(Labels(a.clone()) < later && later > Labels(b.clone()));
        let groups: BTreeMap<Labels, u32> = [(Labels(a), 1), (Labels(b), 2)].into_iter().collect();
        assert_eq!(groups.len(), 1);
    }

    proptest! {
        /// A group's members, vector or B-tree, answer every range like a B-tree map of them,
        /// through inserts and removes that cross between the two forms both ways.
        #[test]
        fn members_answer_ranges_like_a_map(
            ops in prop::collection::vec((any::<bool>(), 0u128..120), 1..400),
            from in 0u128..130,
            len in 0u128..130,
        ) {
            let mut members = Members::default();
            let mut want: BTreeMap<Uid, Arc<str>> = BTreeMap::new();
            for (insert, u) in ops {
                let uid = Uid(u);
                if insert {
                    let name: Arc<str> = format!("p{u}").into();
                    members.insert(uid, name.clone());
                    want.insert(uid, name);
                } else {
                    members.remove(uid);
                    want.remove(&uid);
                }
                prop_assert_eq!(members.len(), want.len());
            }
            // (An end before the start is an empty range.)
            let end = (len < 125).then_some(Uid((from + len).saturating_sub(10)));
            let got: Vec<(Uid, Arc<str>)> = members.range(Uid(from), end).map(|(u, n)| (u, n.clone())).collect();
            let upper = end.map_or(Bound::Unbounded, |e| Bound::Excluded(e.max(Uid(from))));
            let expected: Vec<(Uid, Arc<str>)> =
                want.range((Bound::Included(Uid(from)), upper)).map(|(u, n)| (*u, n.clone())).collect();
            prop_assert_eq!(got, expected);
        }
    }
}
