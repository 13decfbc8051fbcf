//! Per-controller pod tallies: what the ReplicaSet controller counts of the pods it controls,
//! kept up to date as pods are written, so a sync over a large ReplicaSet reads a few numbers
//! rather than every pod (upstream computes them from its informer cache on every sync).

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::api::meta::StringMap;
use crate::api::{Body, Object};
use crate::sim::clock::Millis;

/// One controller's pods, grouped by their labels (a ReplicaSet's pods share its template's).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PodTally {
    pub groups: BTreeMap<Arc<StringMap>, TallyGroup>,
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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Contribution {
    active: bool,
    /// The whole second (ms) it became Ready, if active and Ready.
    ready_at: Option<Millis>,
}

impl Contribution {
    pub fn of(obj: &Object) -> Option<Contribution> {
        let Body::Pod { status, .. } = &obj.body else { return None };
        obj.meta.controller_ref()?;
        let active = obj.meta.deletion_timestamp().is_none() && !status.phase.is_terminal();
        let ready_at = status.ready_since().filter(|_| active).map(|t| t.div_euclid(1000) * 1000);
        Some(Contribution { active, ready_at })
    }
}

impl PodTally {
    pub fn add(&mut self, labels: &Arc<StringMap>, c: Contribution) {
        let g = self.groups.entry(labels.clone()).or_default();
        g.pods += 1;
        g.active += u32::from(c.active);
        if let Some(t) = c.ready_at {
            g.ready += 1;
            *g.ready_at.entry(t).or_default() += 1;
        }
    }

    pub fn remove(&mut self, labels: &Arc<StringMap>, c: Contribution) {
        let Some(g) = self.groups.get_mut(labels) else {
            debug_assert!(false, "a pod removed from a tally it is not in");
            return;
        };
        g.pods -= 1;
        g.active -= u32::from(c.active);
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
