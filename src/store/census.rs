//! What the store holds, counted as it is written: objects per kind, and pods per phase, Ready
//! and terminating. [`crate::cluster::Cluster::stats`] reads it, so a caller that polls the
//! counts (a `run_until` predicate) pays for what it asks, not for every stored object.

use crate::api::pod::Phase;
use crate::api::{Body, Kind, Object};

const PHASES: [Phase; 5] = [Phase::Pending, Phase::Running, Phase::Succeeded, Phase::Failed, Phase::Unknown];

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Census {
    kinds: [u64; Kind::ALL.len()],
    phases: [u64; PHASES.len()],
    ready: u64,
    terminating: u64,
}

/// Counts of the stored pods.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PodCounts {
    pub ready: u64,
    pub terminating: u64,
}

impl Census {
    /// `obj` stored.
    pub fn add(&mut self, obj: &Object) {
        self.count(obj, 1);
    }

    /// `obj` no longer stored.
    pub fn remove(&mut self, obj: &Object) {
        self.count(obj, u64::MAX);
    }

    /// `old` replaced by `new` (same key).
    pub fn replace(&mut self, old: &Object, new: &Object) {
        if let (Body::Pod { .. }, Body::Pod { .. }) = (&old.body, &new.body) {
            self.remove(old);
            self.add(new);
        }
    }

    /// Add `delta` (1, or −1 as wrapping u64) to what `obj` counts in.
    fn count(&mut self, obj: &Object, delta: u64) {
        let kind = &mut self.kinds[kind_index(obj.kind())];
        *kind = kind.wrapping_add(delta);
        if let Body::Pod { status, .. } = &obj.body {
            let phase = &mut self.phases[phase_index(status.phase)];
            *phase = phase.wrapping_add(delta);
            if status.is_ready() {
                self.ready = self.ready.wrapping_add(delta);
            }
            if obj.meta.deletion_timestamp().is_some() {
                self.terminating = self.terminating.wrapping_add(delta);
            }
        }
    }

    /// How many objects of `kind` are stored.
    pub fn of_kind(&self, kind: Kind) -> u64 {
        self.kinds[kind_index(kind)]
    }

    /// Stored pods per phase, for the phases at least one pod is in.
    pub fn pod_phases(&self) -> impl Iterator<Item = (Phase, u64)> + '_ {
        PHASES.into_iter().zip(self.phases).filter(|&(_, n)| n > 0)
    }

    pub fn pods(&self) -> PodCounts {
        PodCounts { ready: self.ready, terminating: self.terminating }
    }
}

fn kind_index(kind: Kind) -> usize {
    kind as usize
}

fn phase_index(phase: Phase) -> usize {
    phase as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_phases_index_their_tables_in_order() {
        for (i, kind) in Kind::ALL.into_iter().enumerate() {
            assert_eq!(kind_index(kind), i, "{kind:?}");
        }
        for (i, phase) in PHASES.into_iter().enumerate() {
            assert_eq!(phase_index(phase), i, "{phase:?}");
        }
    }
}
