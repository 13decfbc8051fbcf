//! What a controller remembers of each object between its syncs (a cache: snapshots leave it
//! out, and an object without an entry is synced from scratch). Reconciles of different
//! objects run side by side on the pool, each taking its own entry out and putting it back;
//! between rounds the engine reaches the entries directly to tell them what changed.

use std::sync::{Mutex, MutexGuard, PoisonError};

use rustc_hash::FxHashMap;

use crate::store::ObjectKey;

#[derive(Debug)]
pub struct Memory<C>(Mutex<FxHashMap<ObjectKey, C>>);

impl<C> Default for Memory<C> {
    fn default() -> Self {
        Memory(Mutex::new(FxHashMap::default()))
    }
}

impl<C: Clone> Clone for Memory<C> {
    fn clone(&self) -> Self {
        Memory(Mutex::new(self.map().clone()))
    }
}

impl<C> Memory<C> {
    fn map(&self) -> MutexGuard<'_, FxHashMap<ObjectKey, C>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
    /// The entry of `key`, taken out for a sync (which puts it back when done).
    pub(crate) fn take(&self, key: &ObjectKey) -> Option<C> {
        self.map().remove(key)
    }
    pub(crate) fn put(&self, key: ObjectKey, entry: C) {
        self.map().insert(key, entry);
    }
    /// The entry of `key`, between rounds.
    pub(crate) fn get_mut(&mut self, key: &ObjectKey) -> Option<&mut C> {
        self.0.get_mut().unwrap_or_else(PoisonError::into_inner).get_mut(key)
    }
    /// Drop the entry of `key` (every entry for `None`): the next sync starts from scratch.
    pub fn forget(&mut self, key: Option<&ObjectKey>) {
        let map = self.0.get_mut().unwrap_or_else(PoisonError::into_inner);
        match key {
            Some(k) => {
                map.remove(k);
            }
            None => map.clear(),
        }
    }
}
