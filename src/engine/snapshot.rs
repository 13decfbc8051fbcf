//! The engine in a snapshot: timers, queues (the scheduler's pods a round's cap left over
//! among them, and the work queue's failure counts behind its back-offs), dirty keys,
//! controller memory (the HPAs', the Job
//! controller's back-off records and the DaemonSet controller's failed-pod back-off, which the
//! store cannot give back), node runtime, image registry, load model and event recorder. What
//! is only a cache of the current round (key buffers, replaced versions waiting to be freed,
//! the interrupt check) is not written, nor the thread pool: a loaded engine gets a pool of the
//! size asked for (results never depend on it). Nor the DaemonSet controller's view of its
//! nodes, which only remembers what the store holds: a loaded engine's first sync of each
//! DaemonSet works it out again, with the same result.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};
use serde::ser::SerializeTuple;
use serde::{Deserialize, Serialize, Serializer};

use super::{hpa, Engine, EventLog, N};
use crate::controllers::{ControllerId, NodeRuntime};
use crate::error::KubesimError;
use crate::kubelet::images::ImageRegistry;
use crate::metrics::LoadModel;
use crate::sim::clock::{EventQueue, Millis};
use crate::sim::latency::{Latency, TokenBucket};
use crate::snapshot::shared::Sorted;
use crate::store::ObjectKey;

type Queues = (
    usize,
    [u64; 3],
    [Vec<ObjectKey>; N],
    EventQueue<(ControllerId, ObjectKey)>,
    FxHashMap<(ControllerId, ObjectKey), Millis>,
    FxHashSet<ObjectKey>,
    FxHashSet<ObjectKey>,
    bool,
    usize,
    FxHashMap<ObjectKey, (u32, Millis)>,
    bool,
    BTreeSet<crate::controllers::scheduler::QueueKey>,
    FxHashMap<(ControllerId, ObjectKey), u32>,
);
type Memory = (
    ImageRegistry,
    NodeRuntime,
    EventLog,
    FxHashMap<Arc<str>, (u32, BTreeSet<u32>)>,
    bool,
    LoadModel,
    BTreeMap<ObjectKey, hpa::HpaMemory>,
    usize,
    Vec<ObjectKey>,
    Latencies,
    crate::controllers::job::backoff::Memory,
    crate::controllers::daemonset::backoff::Memory,
);
/// The latencies and their state: the knobs, the changes not yet told to the controllers, the
/// scheduler's token bucket and the pods waiting for its tokens.
type Latencies = (Latency, Vec<(ControllerId, ObjectKey)>, TokenBucket, FxHashMap<ObjectKey, Millis>);

/// What [`Engine::write_state`] writes, read back (see [`Engine::from_state`]).
#[derive(Deserialize)]
pub struct EngineState(Queues, Memory);

impl Engine {
    pub fn write_state<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut t = s.serialize_tuple(2)?;
        t.serialize_element(&(
            self.parallel_threshold,
            self.prepared,
            &self.dirty,
            self.timers.parts().0,
            self.timers.parts().1,
            Sorted(&self.unschedulable),
            Sorted(&self.waiting_for_pods),
            self.retry_waiting,
            self.budgets,
            Sorted(&self.attempts),
            self.retry_pending,
            &self.queued,
            Sorted(&self.failures),
        ))?;
        t.serialize_element(&(
            &self.images,
            &self.nodes,
            &self.events,
            Sorted(&self.ips),
            self.record_events,
            &self.load,
            &self.hpa_memory,
            self.max_objects,
            &self.job_batch,
            (&self.latency, &self.informing, &self.bucket, Sorted(&self.reserved)),
            &self.job_backoff,
            &self.daemon_backoff,
        ))?;
        t.end()
    }

    pub fn from_state(threads: usize, state: EngineState) -> Result<Engine, KubesimError> {
        let mut e = Engine::new(threads)?;
        let EngineState(queues, memory) = state;
        let (timers, earliest);
        (
            e.parallel_threshold,
            e.prepared,
            e.dirty,
            timers,
            earliest,
            e.unschedulable,
            e.waiting_for_pods,
            e.retry_waiting,
            e.budgets,
            e.attempts,
            e.retry_pending,
            e.queued,
            e.failures,
        ) = queues;
        e.timers = super::timers::Timers::from_parts(timers, earliest);
        let latencies;
        (
            e.images,
            e.nodes,
            e.events,
            e.ips,
            e.record_events,
            e.load,
            e.hpa_memory,
            e.max_objects,
            e.job_batch,
            latencies,
            e.job_backoff,
            e.daemon_backoff,
        ) = memory;
        (e.latency, e.informing, e.bucket, e.reserved) = latencies;
        Ok(e)
    }
}

/// The engine as one serializable value (by reference).
pub struct Written<'a>(pub &'a Engine);

impl Serialize for Written<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.write_state(s)
    }
}
