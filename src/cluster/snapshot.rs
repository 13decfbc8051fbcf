//! A cluster to and from a snapshot (see [`crate::snapshot`]).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::Cluster;
use crate::engine::snapshot::{EngineState, Written};
use crate::engine::Engine;
use crate::error::{KubesimError, Result};
use crate::metrics::Series;
use crate::sim::clock::Clock;
use crate::snapshot::{frame, shared, unframe, SnapshotError};
use crate::store::Store;

/// Snapshot bytes, and the caller's series they refer to by number.
pub type Snapshot = (Vec<u8>, Vec<Arc<dyn Series>>);

#[derive(Serialize)]
struct Out<'a>(&'a Clock, bool, &'a Store, Written<'a>);

#[derive(Deserialize)]
struct In(Clock, bool, Store, EngineState);

impl Cluster {
    /// The whole simulation as snapshot bytes, and the caller's series it refers to (by their
    /// order in the list), which the caller saves its own way and gives back to
    /// [`Cluster::from_snapshot`]. Call it between two calls, never from inside one.
    pub fn snapshot(&self) -> Result<Snapshot> {
        let (payload, series) = shared::writing(|| {
            // Sized for a settled cluster's objects, so that the buffer is not copied as it grows.
            let buffer = Vec::with_capacity(self.store.len() * 48 + (1 << 16));
            postcard::to_extend(&Out(&self.clock, self.batching, &self.store, Written(&self.engine)), buffer)
        });
        let payload = payload.map_err(|e| KubesimError::Simulation(format!("cannot write the snapshot: {e}")))?;
        Ok((frame(&payload, true)?, series))
    }

    /// The cluster a snapshot holds, with a reconcile pool of `threads`; `source` names the
    /// bytes in errors (a file name).
    pub fn from_snapshot(bytes: &[u8], source: &str, series: Vec<Arc<dyn Series>>, threads: usize) -> Result<Cluster> {
        let payload = unframe(bytes, source)?;
        let corrupt = |what: String| SnapshotError::Corrupt { file: source.into(), what };
        let (In(clock, batching, store, engine), rest) =
            shared::reading(series, threads, || postcard::take_from_bytes::<In>(&payload))
                .map_err(|e| corrupt(format!("the state does not decode ({e})")))?;
        if !rest.is_empty() {
            return Err(corrupt(format!("{} bytes follow the state", rest.len())).into());
        }
        let mut engine = Engine::from_state(threads, engine)?;
        engine.start_scheduler(clock.start());
        Ok(Cluster { store, clock, engine, batching })
    }
}
