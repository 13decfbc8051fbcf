//! The engine's timers: keys that come back to a controller at a later instant.
//!
//! Each (controller, key) has at most one pending instant that counts, its earliest: a timer
//! asked for at or after it is not set again, so requeues do not pile up. That table is the
//! largest thing a burst of timers holds (a million pods' kubelet ticks at one instant), so it
//! is kept per controller and per namespace, each key without its namespace: an entry is 32
//! bytes, not the 56 of a (controller, key) pair with its instant. It is hashed, only looked
//! up: what fires is the queue's order.

use std::collections::hash_map::Entry;
use std::sync::Arc;

use rustc_hash::FxHashMap;
use serde::{Serialize, Serializer};

use super::{idx, trim, trim_from, N};
use crate::controllers::ControllerId;
use crate::sim::clock::{EventQueue, Millis};
use crate::store::{KeyIn, NameKey, ObjectKey};

/// One controller's earliest pending instants, by namespace, then by key within it.
type Earliest = FxHashMap<Arc<str>, FxHashMap<NameKey, Millis>>;

#[derive(Clone, Default)]
pub struct Timers {
    queue: EventQueue<(ControllerId, ObjectKey)>,
    earliest: [Earliest; N],
}

impl Timers {
    /// Set a timer for `key` at `at`, unless one at or before `at` is pending. Whether it was set.
    pub fn set(&mut self, c: ControllerId, key: ObjectKey, at: Millis) -> bool {
        let in_namespace = match self.earliest[idx(c)].get_mut(&key.namespace) {
            Some(m) => m,
            None => self.earliest[idx(c)].entry(key.namespace.clone()).or_default(),
        };
        match in_namespace.entry(NameKey::of(&key)) {
            Entry::Occupied(e) if *e.get() <= at => return false,
            Entry::Occupied(mut e) => *e.get_mut() = at,
            Entry::Vacant(e) => {
                e.insert(at);
            }
        }
        self.queue.push(at, (c, key));
        true
    }

    /// When the earliest timer is due.
    pub fn next_time(&self) -> Option<Millis> {
        self.queue.next_time()
    }

    /// Take every timer due at or before `now`, instant by instant and in the order each
    /// instant's were set, to `fire`. A timer the key had set again earlier fires too (its key
    /// was due then, and a reconcile more changes nothing it did not).
    pub fn fire_due(&mut self, now: Millis, mut fire: impl FnMut(ControllerId, ObjectKey)) {
        while let Some((t, slots)) = self.queue.pop_due(now) {
            for (c, key) in slots {
                if let Some(in_namespace) = self.earliest[idx(c)].get_mut(&key.namespace) {
                    if let Entry::Occupied(e) = in_namespace.entry(NameKey::of(&key)) {
                        if *e.get() == t {
                            e.remove();
                        }
                    }
                }
                fire(c, key);
            }
        }
    }

    /// Give back the room a burst of timers left (see [`trim`]): once an instant settles, not
    /// as its timers fire, since the reconciles they bring set the next ones.
    pub fn trim(&mut self) {
        for earliest in &mut self.earliest {
            earliest.retain(|_, in_namespace| {
                // (Each namespace's table gives its room back on its own: many namespaces'
                // small tables, each under trim's floor, would keep what one table would not.)
                trim_from(in_namespace, 0);
                !in_namespace.is_empty()
            });
            trim(earliest);
        }
    }

    /// The pending (controller, key)s with a timer.
    pub fn len(&self) -> usize {
        self.earliest.iter().flat_map(|e| e.values()).map(FxHashMap::len).sum()
    }

    /// How many the table has room for.
    #[cfg(test)]
    pub fn capacity(&self) -> usize {
        self.earliest.iter().flat_map(|e| e.values()).map(FxHashMap::capacity).sum()
    }

    /// The queue and the earliest instants, as a snapshot writes them: the queue as it is, the
    /// instants as one map by (controller, key) in key order.
    pub fn parts(&self) -> (&EventQueue<(ControllerId, ObjectKey)>, impl Serialize + '_) {
        (&self.queue, ByKey(self))
    }

    /// What [`Timers::parts`] wrote, read back.
    pub fn from_parts(
        queue: EventQueue<(ControllerId, ObjectKey)>,
        earliest: FxHashMap<(ControllerId, ObjectKey), Millis>,
    ) -> Timers {
        let mut timers = Timers { queue, earliest: Default::default() };
        for ((c, key), at) in earliest {
            let in_namespace = timers.earliest[idx(c)].entry(key.namespace.clone()).or_default();
            in_namespace.insert(NameKey::of(&key), at);
        }
        timers
    }
}

/// The earliest instants as one map by (controller, key), in key order (the bytes a table of
/// (controller, key) pairs wrote, whatever the tables' growth).
struct ByKey<'a>(&'a Timers);

impl Serialize for ByKey<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // (Borrowed, in the order of (controller, key): kind, namespace, then the rest.)
        let mut entries: Vec<(ControllerId, &Arc<str>, &NameKey, Millis)> = Vec::with_capacity(self.0.len());
        for (c, earliest) in ControllerId::ALL.iter().zip(&self.0.earliest) {
            for (namespace, in_namespace) in earliest {
                entries.extend(in_namespace.iter().map(|(name, at)| (*c, namespace, name, *at)));
            }
        }
        entries.sort_unstable_by(|a, b| (a.0, a.2.kind(), a.1, a.2).cmp(&(b.0, b.2.kind(), b.1, b.2)));
        s.collect_map(entries.iter().map(|(c, namespace, name, at)| ((c, KeyIn(namespace, name)), at)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Kind;
    use proptest::prelude::*;

    fn key(ns: &str, name: &str) -> ObjectKey {
        ObjectKey::new(Kind::Pod, ns, name)
    }

    /// A pod or Deployment in one of two namespaces, or a Node (cluster-scoped), named alike.
    fn any_key(kind: usize, ns: usize, name: usize) -> ObjectKey {
        let (kind, name) = ([Kind::Pod, Kind::Deployment, Kind::Node][kind], format!("x-{name}"));
        ObjectKey::new(kind, ["default", "other"][ns], &name)
    }

    /// The earliest instants per (controller, key), as one table of pairs kept them.
    #[derive(Default)]
    struct Pairs {
        queue: EventQueue<(ControllerId, ObjectKey)>,
        earliest: std::collections::BTreeMap<(ControllerId, ObjectKey), Millis>,
    }

    impl Pairs {
        fn set(&mut self, c: ControllerId, key: ObjectKey, at: Millis) -> bool {
            match self.earliest.get(&(c, key.clone())) {
                Some(t) if *t <= at => false,
                _ => {
                    self.earliest.insert((c, key.clone()), at);
                    self.queue.push(at, (c, key));
                    true
                }
            }
        }
        fn fire_due(&mut self, now: Millis, mut fire: impl FnMut(ControllerId, ObjectKey)) {
            while let Some((t, slots)) = self.queue.pop_due(now) {
                for (c, key) in slots {
                    if self.earliest.get(&(c, key.clone())) == Some(&t) {
                        self.earliest.remove(&(c, key.clone()));
                    }
                    fire(c, key);
                }
            }
        }
    }

    proptest! {
        /// Through sets and firings across controllers and namespaces (a key named alike in
        /// two namespaces, and under two controllers, is two keys), the timers set, fire and
        /// write as one table of (controller, key) pairs would.
        #[test]
        fn timers_act_and_write_as_a_table_of_pairs(
            ops in prop::collection::vec((0usize..3, (0usize..3, 0usize..2, 0usize..4), 1i64..40, any::<bool>()), 1..300),
        ) {
            let controllers = [ControllerId::Kubelet, ControllerId::Job, ControllerId::Deployment];
            let (mut timers, mut pairs) = (Timers::default(), Pairs::default());
            let mut now = 0;
            for (c, (kind, ns, name), later, fire) in ops {
                if fire {
                    now += later / 4;
                    let (mut a, mut b) = (Vec::new(), Vec::new());
                    timers.fire_due(now, |c, k| a.push((c, k)));
                    pairs.fire_due(now, |c, k| b.push((c, k)));
                    prop_assert_eq!(a, b);
                } else {
                    let k = any_key(kind, ns, name);
                    prop_assert_eq!(timers.set(controllers[c], k.clone(), now + later), pairs.set(controllers[c], k, now + later));
                }
                prop_assert_eq!(timers.next_time(), pairs.queue.next_time());
                prop_assert_eq!(timers.len(), pairs.earliest.len());
                timers.trim();
            }
            // (As the snapshot writes them: postcard.)
            let written = postcard::to_stdvec(&timers.parts().1).unwrap();
            let expected: Vec<_> = pairs.earliest.iter().collect();
            prop_assert_eq!(written, postcard::to_stdvec(&SerializeAsMap(&expected)).unwrap());
            // Written as a snapshot writes (strings shared) and read back: the same instants.
            let (bytes, series) = crate::snapshot::shared::writing(|| postcard::to_stdvec(&timers.parts().1).unwrap());
            let read: FxHashMap<(ControllerId, ObjectKey), Millis> =
                crate::snapshot::shared::reading(series, 1, || postcard::from_bytes(&bytes).unwrap());
            let read: std::collections::BTreeMap<_, _> = read.into_iter().collect();
            prop_assert_eq!(&read, &pairs.earliest);
            // Made again from those parts, the timers go on as the originals do.
            let earliest: FxHashMap<(ControllerId, ObjectKey), Millis> =
                pairs.earliest.iter().map(|(k, v)| (k.clone(), *v)).collect();
            let mut loaded = Timers::from_parts(timers.parts().0.clone(), earliest);
            let (mut a, mut b) = (Vec::new(), Vec::new());
            loaded.fire_due(Millis::MAX, |c, k| a.push((c, k)));
            timers.fire_due(Millis::MAX, |c, k| b.push((c, k)));
            prop_assert_eq!(a, b);
            prop_assert_eq!(loaded.len(), 0);
        }
    }

    struct SerializeAsMap<'a>(&'a [(&'a (ControllerId, ObjectKey), &'a Millis)]);

    impl Serialize for SerializeAsMap<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_map(self.0.iter().copied())
        }
    }

    /// The tables are per controller in `ControllerId::ALL`'s order, which writing them relies on.
    #[test]
    fn controllers_are_listed_in_table_order() {
        for (i, c) in ControllerId::ALL.iter().enumerate() {
            assert_eq!(idx(*c), i);
        }
    }

    /// A burst of timers fired keeps its table's room until trimmed, which gives it back.
    #[test]
    fn a_fired_burst_keeps_its_room_until_trimmed() {
        let mut timers = Timers::default();
        for i in 0..20_000 {
            assert!(timers.set(ControllerId::Kubelet, key("default", &format!("p{i}")), 5_000));
        }
        assert!(!timers.set(ControllerId::Kubelet, key("default", "p7"), 6_000), "a later timer is not set again");
        let mut fired = 0;
        timers.fire_due(5_000, |_, _| fired += 1);
        assert_eq!((fired, timers.len()), (20_000, 0));
        assert!(
            timers.capacity() >= 20_000,
            "{} kept while the instant's reconciles may set timers",
            timers.capacity()
        );
        timers.trim();
        assert_eq!(timers.capacity(), 0, "an emptied namespace's table goes");
    }

    /// A namespace's table that keeps a few timers of a burst gives back the rest of its
    /// room, however small its table (many namespaces' tables add up).
    #[test]
    fn a_namespace_keeping_a_few_timers_gives_back_its_room() {
        let mut timers = Timers::default();
        for ns in ["a", "b"] {
            for i in 0..600 {
                timers.set(ControllerId::Kubelet, key(ns, &format!("p{i}")), 5_000);
            }
            timers.set(ControllerId::Kubelet, key(ns, "late"), 9_000);
        }
        timers.fire_due(5_000, |_, _| {});
        timers.trim();
        assert_eq!(timers.len(), 2);
        assert!(timers.capacity() <= 16, "{} kept for 2 timers", timers.capacity());
    }
}
