//! The engine's side of the latency knobs (see [`crate::sim::latency`]): changes told to the
//! controllers later, the scheduler's token bucket, and each node's queue of image pulls.

use std::sync::Arc;

use super::Engine;
use crate::api::Object;
use crate::controllers::replicaset::{self, node_of};
use crate::controllers::{scheduler, ControllerId};
use crate::sim::clock::Millis;
use crate::store::{ObjectKey, Store};

impl Engine {
    /// A controller hears of a change (its informer): at once, or `informer_delay` later. The
    /// kubelet has its own latency (`kubelet_sync_period`) and hears at once.
    pub(super) fn notify(&mut self, c: ControllerId, key: ObjectKey) {
        if self.latency.informer_delay == 0 || c == ControllerId::Kubelet {
            self.mark(c, key);
        } else if self.informing.last().is_none_or(|(lc, lk)| *lc != c || *lk != key) {
            self.informing.push((c, key));
        }
    }

    /// What the controllers heard since the last round, told to them `informer_delay` from
    /// `now` (in the order heard: a timer per (controller, key), the earliest kept). A reconcile
    /// then reads the store as it is when the timer fires, which holds every write up to then.
    pub(super) fn flush_informing(&mut self, now: Millis) {
        for (c, key) in std::mem::take(&mut self.informing) {
            self.schedule(c, key, now + self.latency.informer_delay, now);
        }
    }

    /// upstream: the scheduler's API client rate limit (client-go's token bucket, QPS and
    /// burst of KubeSchedulerConfiguration.clientConnection). Each attempt at a pending pod
    /// takes a token, in the scheduling queue's order; a pod without one waits for its own
    /// reserved instant (a timer), so waiting pods cost nothing per round.
    pub(super) fn throttle_scheduler(&mut self, store: &Store, keys: &mut Vec<ObjectKey>, now: Millis) {
        let Some(qps) = self.latency.scheduler_qps else { return };
        let burst = self.latency.scheduler_burst;
        let mut go = Vec::with_capacity(keys.len());
        let mut fresh: Vec<Arc<Object>> = Vec::new();
        for k in keys.drain(..) {
            match self.reserved.get(&k).copied() {
                Some(at) if at <= now => {
                    self.reserved.remove(&k);
                    super::trim(&mut self.reserved);
                    go.push(k);
                }
                Some(at) => self.schedule(ControllerId::Scheduler, k, at, now),
                None => match store.get_by_key(&k) {
                    Some(p) if replicaset::is_active(p) && node_of(p).is_none() => fresh.push(p.clone()),
                    _ => go.push(k),
                },
            }
        }
        fresh.sort_by(|a, b| scheduler::queue_order(a, b));
        for p in fresh {
            let k = ObjectKey::of(&p);
            let at = self.bucket.reserve(qps, burst, now);
            if at <= now {
                go.push(k);
            } else {
                self.reserved.insert(k.clone(), at);
                self.schedule(ControllerId::Scheduler, k, at, now);
            }
        }
        go.sort_unstable();
        *keys = go;
    }

    /// upstream: the kubelet's serialized image puller (serializeImagePulls) — a node pulls
    /// one image at a time, a pull starting when the one before it is done; a pod wanting an
    /// image already being pulled waits for that pull. The pod's kubelet looks again when its
    /// image is there.
    pub(super) fn queue_pull(&mut self, node: Arc<str>, image: Arc<str>, took: Millis, pod: &ObjectKey, now: Millis) {
        let slot = (node, image);
        let done = match self.nodes.images.get(&slot) {
            Some(&t) if t > now => t,
            _ => {
                let free = self.nodes.pulling_until.get(&slot.0).copied().unwrap_or(now).max(now);
                let done = free + took;
                self.nodes.pulling_until.insert(slot.0.clone(), done);
                self.nodes.images.insert(slot, done);
                done
            }
        };
        self.schedule(ControllerId::Kubelet, pod.clone(), done, now);
    }
}
