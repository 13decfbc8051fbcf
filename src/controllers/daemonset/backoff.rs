//! The DaemonSet controller's back-off before it kills another failed daemon pod on a node
//! (upstream: `failedPodsBackoff`, a `flowcontrol.Backoff` made with `NewBackOff(1s, 15m)` in
//! the controller manager). The controller keeps it in memory, one entry per DaemonSet,
//! observed generation and node (upstream: `failedPodsBackoffKey`); the engine keeps it between
//! syncs and in snapshots and forks, as it keeps the Job controller's back-off records.
//!
//! A sync only reads it: the entry a kill steps is returned as a write
//! ([`crate::controllers::Write::DaemonSetBackoff`]) and stored at the commit.

use std::collections::{BTreeMap, BTreeSet};

use crate::api::Uid;
use crate::sim::clock::Millis;

/// upstream: NewBackOff(1*time.Second, …) — the first back-off.
pub const INITIAL: Millis = 1_000;
/// upstream: NewBackOff(…, 15*time.Minute) — the longest.
pub const MAX: Millis = 15 * 60_000;

/// upstream: backoffEntry — the current back-off and when it was last stepped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    pub backoff: Millis,
    pub last_update: Millis,
}

/// upstream: failedPodsBackoffKey — "<DaemonSet uid>/<status.observedGeneration>/<node>".
pub fn key(uid: Uid, observed_generation: i64, node: &str) -> String {
    format!("{uid}/{observed_generation}/{node}")
}

/// upstream: hasExpired — an entry not stepped for more than twice the maximum counts as gone.
fn expired(e: &Entry, now: Millis) -> bool {
    now - e.last_update > 2 * MAX
}

/// upstream: IsInBackOffSinceUpdate — less than the current back-off since the last step.
pub fn in_back_off_since_update(entry: Option<Entry>, now: Millis) -> bool {
    entry.is_some_and(|e| !expired(&e, now) && now - e.last_update < e.backoff)
}

/// upstream: Backoff.Next — the first step (or the first after expiry) is [`INITIAL`]; each
/// later one doubles, up to [`MAX`].
pub fn next(entry: Option<Entry>, now: Millis) -> Entry {
    let backoff = match entry.filter(|e| !expired(e, now)) {
        None => INITIAL,
        Some(e) => e.backoff.saturating_mul(2).min(MAX),
    };
    Entry { backoff, last_update: now }
}

/// The back-off entries, with an index by last step so that dropping the expired ones costs
/// what is dropped.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Memory {
    entries: BTreeMap<String, Entry>,
    by_update: BTreeSet<(Millis, String)>,
}

impl Memory {
    pub fn get(&self, key: &str) -> Option<Entry> {
        self.entries.get(key).copied()
    }

    /// Store a stepped entry, first dropping the entries that have expired by `now` (upstream:
    /// Backoff.GC, which the controller runs every minute; an expired entry already counts as
    /// absent, so when it is dropped is not observable).
    pub fn set(&mut self, key: String, entry: Entry, now: Millis) {
        self.gc(now);
        if let Some(old) = self.entries.insert(key.clone(), entry) {
            self.by_update.remove(&(old.last_update, key.clone()));
        }
        self.by_update.insert((entry.last_update, key));
    }

    /// upstream: Backoff.GC — drop the entries not stepped for more than twice the maximum.
    pub fn gc(&mut self, now: Millis) {
        while let Some(first) = self.by_update.first() {
            if now - first.0 <= 2 * MAX {
                break;
            }
            let (_, key) = self.by_update.pop_first().expect("the first entry exists");
            self.entries.remove(&key);
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Millis = 1000;

    #[test]
    fn each_kill_doubles_the_back_off_from_one_second_to_fifteen_minutes() {
        // (seconds since the last step when the next kill comes, the back-off after it).
        let rows = [
            (0, 1, "the first kill starts at 1 s"),
            (1, 2, "then doubles"),
            (2, 4, "doubles"),
            (4, 8, "doubles"),
            (8, 16, "doubles"),
            (16, 32, "doubles"),
            (32, 64, "doubles"),
            (64, 128, "doubles"),
            (128, 256, "doubles"),
            (256, 512, "doubles"),
            (512, 900, "capped at 15 min"),
            (900, 900, "stays capped"),
            (1800, 900, "still capped: exactly 2 × max since the last step has not expired"),
            (1801, 1, "more than 2 × max since the last step: starts again at 1 s"),
            (0, 2, "and doubles again"),
        ];
        let mut entry = None;
        let mut now = 1_000 * S;
        for (since, want, why) in rows {
            now += since * S;
            let e = next(entry, now);
            assert_eq!(e, Entry { backoff: want * S, last_update: now }, "{why}");
            entry = Some(e);
        }
    }

    #[test]
    fn a_pod_is_in_back_off_until_the_whole_back_off_has_passed_since_the_last_step() {
        let e = Some(Entry { backoff: 4 * S, last_update: 10 * S });
        // (now, in back-off)
        let rows = [
            (10 * S, true, "at the step"),
            (13 * S + 999, true, "a millisecond before the end"),
            (14 * S, false, "at the end (upstream: elapsed < backoff)"),
            (20 * S, false, "after it"),
        ];
        for (now, want, why) in rows {
            assert_eq!(in_back_off_since_update(e, now), want, "{why}");
        }
        assert!(!in_back_off_since_update(None, 0), "no entry: no back-off");
        let capped = Some(Entry { backoff: MAX, last_update: 0 });
        assert!(in_back_off_since_update(capped, MAX - 1));
        assert!(!in_back_off_since_update(capped, MAX));
    }

    #[test]
    fn gc_drops_only_entries_older_than_twice_the_maximum() {
        let mut m = Memory::default();
        m.set("uid/1/node-1".into(), Entry { backoff: S, last_update: 0 }, 0);
        m.set("uid/1/node-2".into(), Entry { backoff: S, last_update: 10 * S }, 10 * S);
        m.set("uid/1/node-1".into(), Entry { backoff: 2 * S, last_update: 20 * S }, 20 * S);
        m.gc(2 * MAX + 10 * S);
        assert_eq!(m.len(), 2, "both were stepped at most 2 × max ago");
        m.gc(2 * MAX + 10 * S + 1);
        assert_eq!(m.get("uid/1/node-2"), None, "node-2's was stepped more than 2 × max ago");
        assert_eq!(m.get("uid/1/node-1"), Some(Entry { backoff: 2 * S, last_update: 20 * S }));
        m.set("uid/2/node-1".into(), Entry { backoff: S, last_update: 2 * MAX + 21 * S }, 2 * MAX + 21 * S);
        assert_eq!(m.len(), 1, "a write drops what has expired (node-1's step at 20 s)");
        assert!(!m.is_empty());
    }

    #[test]
    fn the_key_names_the_daemon_set_its_observed_generation_and_the_node() {
        let uid = Uid::parse("0f9e8d7c-6b5a-4c3d-8e1f-0a1b2c3d4e5f").expect("a uid");
        assert_eq!(key(uid, 2, "node-1"), "0f9e8d7c-6b5a-4c3d-8e1f-0a1b2c3d4e5f/2/node-1");
    }
}
