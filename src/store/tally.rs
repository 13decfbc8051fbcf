//! Per-controller pod tallies: what the ReplicaSet controller counts of the pods it controls,
//! kept up to date as pods are written, so a sync over a large ReplicaSet reads a few numbers
//! rather than every pod (upstream computes them from its informer cache on every sync).
//! The tally also keeps the active pods grouped by what the scale-down ranking reads of them,
//! so that choosing a few victims among many pods costs what it takes.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::api::meta::StringMap;
use crate::api::pod::Phase;
use crate::api::{Body, Object, Uid};
use crate::sim::clock::Millis;

/// upstream: the pod-deletion-cost annotation (PodDeletionCost, on by default).
pub const POD_DELETION_COST: &str = "controller.kubernetes.io/pod-deletion-cost";

/// One controller's pods, grouped by their labels (a ReplicaSet's pods share its template's).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PodTally {
    pub groups: BTreeMap<Arc<StringMap>, TallyGroup>,
    /// Active pods in all groups.
    pub active: u32,
    /// The active pods by [`RankKey`], each group's (uid, name) in uid order: kept while the
    /// controller has many active pods (from [`RANKED_FROM`] until it falls below half that),
    /// since a small one lists its few pods as cheaply and the groups cost memory per pod.
    pub ranking: Option<Ranking>,
}

/// Active pods by [`RankKey`], each group's (uid, name) in uid order.
pub type Ranking = BTreeMap<RankKey, BTreeSet<(Uid, Arc<str>)>>;

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
        let node = match &spec.node_name {
            Some(n) => Some(Arc::from(n.as_str())),
            None => status.node_name.clone(),
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
    ranking.entry(key).or_default().insert((obj.meta.uid, obj.meta.name.clone()));
}

impl PodTally {
    pub fn add(&mut self, obj: &Object, c: Contribution) {
        let g = self.groups.entry(obj.meta.labels.clone()).or_default();
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
                set.remove(&(obj.meta.uid, obj.meta.name.clone()));
                if set.is_empty() {
                    ranking.remove(key);
                }
            }
        }
        self.active -= u32::from(c.rank.is_some());
        let labels = &obj.meta.labels;
        let Some(g) = self.groups.get_mut(labels) else {
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
            self.groups.remove(labels);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }
}
