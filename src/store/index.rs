//! The store's secondary indexes: object keys grouped by label value and by owner uid.
//!
//! A group keeps one set of keys per namespace, with the namespace in the map key, so a set
//! entry is a 24-byte [`NameKey`] instead of a 40-byte [`ObjectKey`]: a ReplicaSet's ten pods fit
//! a 256-byte B-tree leaf rather than a 512-byte one, in each of the two indexes.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, LazyLock};

use super::ObjectKey;
use crate::api::meta::StringMap;
use crate::api::Kind;
use crate::labels::{Operator, Selector};

/// An object key without its namespace; ordered like the key within one namespace.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NameKey {
    packed: u64,
    name: Arc<str>,
}

impl NameKey {
    pub fn of(key: &ObjectKey) -> NameKey {
        NameKey { packed: key.packed, name: key.name.clone() }
    }

    pub fn kind(&self) -> Kind {
        super::packed_kind(self.packed)
    }

    pub fn name(&self) -> &Arc<str> {
        &self.name
    }

    /// The whole key, in `namespace`.
    pub fn in_namespace(&self, namespace: &Arc<str>) -> ObjectKey {
        ObjectKey { namespace: namespace.clone(), name: self.name.clone(), packed: self.packed }
    }
}

/// The least namespace, to start a range over one group's namespaces.
static NO_NAMESPACE: LazyLock<Arc<str>> = LazyLock::new(|| "".into());

/// Object keys in groups `G` (a label value, an owner uid), each group split by namespace.
#[derive(Clone, Debug)]
pub struct KeySets<G> {
    sets: BTreeMap<(G, Arc<str>), Slot>,
}

/// One group's keys in one namespace, and when they last changed (the store's tick then).
#[derive(Clone, Debug, Default)]
struct Slot {
    keys: BTreeSet<NameKey>,
    changed: u64,
}

/// When the keys of some groups last changed: the latest change among their slots, and how
/// many slots there are. Ticks only grow, so it moves with every key added or removed: a
/// change to a slot that stays raises the latest; a slot that goes away alone lowers the count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stamp {
    latest: u64,
    slots: usize,
}

impl Stamp {
    fn add(&mut self, slot: &Slot) {
        self.latest = self.latest.max(slot.changed);
        self.slots += 1;
    }
}

impl<G> Default for KeySets<G> {
    fn default() -> Self {
        KeySets { sets: BTreeMap::new() }
    }
}

impl<G: Ord + Clone> KeySets<G> {
    /// Add `key` to `group`, at `tick` (the store's count of index changes, which only grows).
    pub fn insert(&mut self, group: G, key: &ObjectKey, tick: u64) {
        let slot = self.sets.entry((group, key.namespace.clone())).or_default();
        slot.keys.insert(NameKey::of(key));
        slot.changed = tick;
    }

    /// Remove `key` from `group`, at `tick`.
    pub fn remove(&mut self, group: G, key: &ObjectKey, tick: u64) {
        let at = (group, key.namespace.clone());
        if let Some(slot) = self.sets.get_mut(&at) {
            slot.keys.remove(&NameKey::of(key));
            slot.changed = tick;
            if slot.keys.is_empty() {
                self.sets.remove(&at);
            }
        }
    }

    /// When one group's keys in `namespace` (or in every namespace) last changed.
    pub fn stamp(&self, group: &G, namespace: Option<&str>) -> Stamp {
        self.stamp_of(Some(std::slice::from_ref(group)), namespace)
    }

    pub fn is_empty(&self) -> bool {
        self.sets.is_empty()
    }

    /// When some groups' keys in `namespace` (or in every namespace) last changed: the groups
    /// `groups` names, or all of them for `None`.
    fn stamp_of(&self, groups: Option<&[G]>, namespace: Option<&str>) -> Stamp {
        let in_namespace = |(ns, _): &(&Arc<str>, &Slot)| namespace.is_none_or(|want| ***ns == *want);
        let mut stamp = Stamp::default();
        match groups {
            Some(groups) => {
                groups.iter().flat_map(|g| self.slots(g)).filter(in_namespace).for_each(|(_, s)| stamp.add(s))
            }
            None => self.sets.iter().map(|((_, ns), s)| (ns, s)).filter(in_namespace).for_each(|(_, s)| stamp.add(s)),
        }
        stamp
    }

    /// One group's slots, by namespace.
    fn slots<'a>(&'a self, group: &G) -> impl Iterator<Item = (&'a Arc<str>, &'a Slot)> + 'a {
        let group = group.clone();
        self.sets
            .range((group.clone(), NO_NAMESPACE.clone())..)
            .take_while(move |((g, _), _)| *g == group)
            .map(|((_, ns), slot)| (ns, slot))
    }

    /// One group's sets, by namespace.
    fn group<'a>(&'a self, group: &G) -> impl Iterator<Item = (&'a Arc<str>, &'a BTreeSet<NameKey>)> + 'a {
        self.slots(group).map(|(ns, slot)| (ns, &slot.keys))
    }

    /// One group's sets in `namespace` (one at most, found directly), or in every namespace.
    fn group_in<'a>(&'a self, group: &G, namespace: Option<&str>) -> Sets<'a> {
        match namespace {
            None => self.group(group).collect(),
            Some(ns) => {
                let at = (group.clone(), Arc::<str>::from(ns));
                self.sets.get_key_value(&at).map(|((_, ns), slot)| (ns, &slot.keys)).into_iter().collect()
            }
        }
    }

    /// One group's keys as (kind, namespace, name), in key order, without building keys.
    pub fn names(&self, group: G) -> impl Iterator<Item = (Kind, &str, &str)> + '_ {
        self.group(&group)
            .flat_map(|(ns, set)| set.iter().map(move |k| (super::packed_kind(k.packed), &**ns, &*k.name)))
    }

    /// One group's keys of one kind as (kind, namespace, name), in key order: a range of each
    /// namespace's set (keys order by kind first), not a walk of the group's other kinds.
    pub fn names_of_kind(&self, group: G, kind: Kind) -> impl Iterator<Item = (Kind, &str, &str)> + '_ {
        let bound = |k: u64| NameKey { packed: k << 56, name: NO_NAMESPACE.clone() };
        let (lo, hi) = (bound(kind as u64), bound(kind as u64 + 1));
        self.group(&group).flat_map(move |(ns, set)| {
            let range = if kind as u64 + 1 < 256 { set.range(lo.clone()..hi.clone()) } else { set.range(lo.clone()..) };
            range.map(move |k| (super::packed_kind(k.packed), &**ns, &*k.name))
        })
    }

    /// One group's keys in one namespace as (kind, namespace, name), in key order.
    pub fn names_in(&self, group: G, namespace: &Arc<str>) -> impl Iterator<Item = (Kind, &str, &str)> + '_ {
        self.sets
            .get_key_value(&(group, namespace.clone()))
            .into_iter()
            .flat_map(|((_, ns), slot)| slot.keys.iter().map(move |k| (super::packed_kind(k.packed), &**ns, &*k.name)))
    }

    /// How many keys all groups hold.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.sets.values().map(|s| s.keys.len()).sum()
    }

    /// How many keys one group holds, in every namespace.
    pub fn count(&self, group: &G) -> usize {
        self.group(group).map(|(_, set)| set.len()).sum()
    }

    /// How many keys one group holds in one namespace.
    pub fn count_in(&self, group: G, namespace: &Arc<str>) -> usize {
        self.sets.get(&(group, namespace.clone())).map_or(0, |slot| slot.keys.len())
    }

    /// Every group's sets.
    fn all(&self) -> impl Iterator<Item = (&Arc<str>, &BTreeSet<NameKey>)> {
        self.sets.iter().map(|((_, ns), slot)| (ns, &slot.keys))
    }
}

/// One requirement's index sets: (namespace, keys) pairs.
type Sets<'a> = Vec<(&'a Arc<str>, &'a BTreeSet<NameKey>)>;

/// Candidate keys from the label index: (namespace, name), in key order.
pub type Candidates<'a> = Vec<(&'a str, &'a str)>;

/// Label index: kind → label key → label value → object keys. (Nested by kind so that a
/// borrowed label key looks its values up: no key is copied to read or to remove.)
#[derive(Clone, Debug, Default)]
pub struct LabelIndex {
    by_key: BTreeMap<Kind, BTreeMap<String, KeySets<String>>>,
}

impl LabelIndex {
    pub fn insert(&mut self, key: &ObjectKey, labels: &StringMap, tick: u64) {
        if labels.is_empty() {
            return;
        }
        let keys = self.by_key.entry(key.kind()).or_default();
        for (k, v) in labels {
            let values = match keys.get_mut(k.as_str()) {
                Some(values) => values,
                None => keys.entry(k.clone()).or_default(),
            };
            values.insert(v.clone(), key, tick);
        }
    }

    pub fn remove(&mut self, key: &ObjectKey, labels: &StringMap, tick: u64) {
        let Some(keys) = self.by_key.get_mut(&key.kind()) else { return };
        for (k, v) in labels {
            if let Some(values) = keys.get_mut(k.as_str()) {
                values.remove(v.clone(), key, tick);
                if values.is_empty() {
                    keys.remove(k.as_str());
                }
            }
        }
        if keys.is_empty() {
            self.by_key.remove(&key.kind());
        }
    }

    /// The values of one label key on objects of one kind.
    fn values(&self, kind: Kind, key: &str) -> Option<&KeySets<String>> {
        self.by_key.get(&kind)?.get(key)
    }

    /// How many objects of `kind` in `namespace` carry the label `key=value`.
    pub fn count(&self, kind: Kind, namespace: &Arc<str>, key: &str, value: &str) -> usize {
        self.values(kind, key).map_or(0, |values| values.count_in(value.to_string(), namespace))
    }

    /// When the objects of `kind` in `namespace` (or in every namespace) that `selector` can
    /// match last came or went, or had their labels changed: the stamp of the first
    /// requirement whose sets hold exactly the objects that meet it (`key`, `key=value`,
    /// `key in (…)`), since every match is among them. `None` when there is no such requirement.
    pub fn stamp(&self, kind: Kind, namespace: Option<&str>, selector: &Selector) -> Option<Stamp> {
        let r = selector.requirements().iter().find(|r| {
            matches!(r.operator(), Operator::Equals | Operator::DoubleEquals | Operator::In | Operator::Exists)
        })?;
        let Some(values) = self.values(kind, r.key()) else { return Some(Stamp::default()) };
        Some(match r.operator() {
            Operator::Exists => values.stamp_of(None, namespace),
            _ => values.stamp_of(Some(r.values()), namespace),
        })
    }

    /// A sorted superset of the objects that can match, taken from the most selective
    /// requirement that needs its key present, with that requirement's position when every
    /// candidate meets it by construction (`key`, `key=value`, `key in (…)`: the sets taken
    /// hold exactly the objects that meet it); `None` when no requirement can use the index
    /// (only `!=`, `notin`, `!key`, or match-everything) and the caller must scan. Only
    /// objects in `namespace` are candidates, or in every namespace for `None`.
    pub fn candidates<'a>(
        &'a self,
        kind: Kind,
        namespace: Option<&str>,
        selector: &Selector,
    ) -> Option<(Candidates<'a>, Option<usize>)> {
        if selector.is_nothing() {
            return Some((Vec::new(), None));
        }
        Some(Self::gather(self.best(kind, namespace, selector)?))
    }

    /// [`LabelIndex::candidates`] if there are fewer than `limit` of them (found without
    /// gathering them), else `None`.
    pub fn candidates_fewer_than<'a>(
        &'a self,
        kind: Kind,
        namespace: Option<&str>,
        selector: &Selector,
        limit: usize,
    ) -> Option<(Candidates<'a>, Option<usize>)> {
        if selector.is_nothing() {
            return Some((Vec::new(), None));
        }
        self.best(kind, namespace, selector).filter(|(size, ..)| *size < limit).map(Self::gather)
    }

    /// The keys of the chosen requirement's sets, in key order.
    fn gather((size, sets, met): (usize, Sets<'_>, Option<usize>)) -> (Candidates<'_>, Option<usize>) {
        let mut keys: Vec<(&str, &str)> = Vec::with_capacity(size);
        for (ns, set) in &sets {
            keys.extend(set.iter().map(|k| (&***ns, &*k.name)));
        }
        // One value's sets come in namespace order already; several values' must be merged.
        // Within one kind, (namespace, name) orders as the keys do.
        if sets.windows(2).any(|w| w[0].0 >= w[1].0) {
            keys.sort_unstable();
            keys.dedup();
        }
        (keys, met)
    }

    /// The requirement of `selector` whose index sets hold the fewest objects: their count, the
    /// sets, and the requirement's position when every object in them meets it.
    fn best<'a>(
        &'a self,
        kind: Kind,
        namespace: Option<&str>,
        selector: &Selector,
    ) -> Option<(usize, Sets<'a>, Option<usize>)> {
        let in_namespace = |(ns, _): &(&Arc<str>, _)| namespace.is_none_or(|want| ***ns == *want);
        let mut best: Option<(usize, Sets, Option<usize>)> = None;
        for (i, r) in selector.requirements().iter().enumerate().filter(|(_, r)| r.requires_key()) {
            let values = self.values(kind, r.key());
            // (the sets, whether they hold exactly the objects that meet `r`)
            let (sets, exact): (Sets, bool) = match (values, r.operator()) {
                (None, _) => (Vec::new(), true),
                (Some(values), Operator::Equals | Operator::DoubleEquals | Operator::In) => {
                    (r.values().iter().flat_map(|v| values.group_in(v, namespace)).collect(), true)
                }
                (Some(values), Operator::Exists) => (values.all().filter(in_namespace).collect(), true),
                (Some(values), _) => (values.all().filter(in_namespace).collect(), false),
            };
            let size = sets.iter().map(|(_, s)| s.len()).sum();
            if best.as_ref().is_none_or(|(b, ..)| size < *b) {
                best = Some((size, sets, exact.then_some(i)));
            }
        }
        best
    }
}

/// Every stored key in key order (kind, namespace, name): what lists and scans walk. The
/// objects themselves are in the store's point index, so an update, which keeps its key,
/// leaves this alone; and a name is compared here one pointer away (the object's own `Arc`).
/// (Not a `KeySets<Kind>`, though it holds the same: those sets are keyed by (group,
/// namespace) pairs, which a borrowed namespace cannot look up without making an `Arc`, and
/// the engine scans one namespace's Services, ReplicaSets, … at every pod write.)
#[derive(Clone, Debug, Default)]
pub struct KeyOrder {
    kinds: BTreeMap<Kind, BTreeMap<Arc<str>, BTreeSet<NameKey>>>,
    len: usize,
}

impl KeyOrder {
    /// Add `key`; false if it was there.
    pub fn insert(&mut self, key: &ObjectKey) -> bool {
        let set = self.kinds.entry(key.kind()).or_default().entry(key.namespace.clone()).or_default();
        let new = set.insert(NameKey::of(key));
        self.len += usize::from(new);
        new
    }

    /// Remove `key`; false if it was not there.
    pub fn remove(&mut self, key: &ObjectKey) -> bool {
        let Some(namespaces) = self.kinds.get_mut(&key.kind()) else { return false };
        let Some(set) = namespaces.get_mut(&*key.namespace) else { return false };
        let gone = set.remove(&NameKey::of(key));
        if set.is_empty() {
            namespaces.remove(&*key.namespace);
            if namespaces.is_empty() {
                self.kinds.remove(&key.kind());
            }
        }
        self.len -= usize::from(gone);
        gone
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// The keys of `kind` as (namespace, name), in key order: in `namespace` only, or in all.
    pub fn of_kind<'a>(&'a self, kind: Kind, namespace: Option<&str>) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        let namespaces = self.kinds.get(&kind);
        let sets: Box<dyn Iterator<Item = (&'a Arc<str>, &'a BTreeSet<NameKey>)> + 'a> = match namespace {
            Some(ns) => Box::new(namespaces.and_then(|m| m.get_key_value(ns)).into_iter()),
            None => Box::new(namespaces.into_iter().flat_map(|m| m.iter())),
        };
        sets.flat_map(|(ns, set)| set.iter().map(move |k| (&**ns, &*k.name)))
    }

    /// Every key as (kind, namespace, name), in key order.
    pub fn all(&self) -> impl Iterator<Item = (Kind, &str, &str)> {
        self.kinds.iter().flat_map(|(&kind, namespaces)| {
            namespaces.iter().flat_map(move |(ns, set)| set.iter().map(move |k| (kind, &**ns, &*k.name)))
        })
    }
}
