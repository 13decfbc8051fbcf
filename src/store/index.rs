//! Label index: (kind, label key) → label value → object keys.

use std::collections::{BTreeMap, BTreeSet};

use super::ObjectKey;
use crate::api::meta::StringMap;
use crate::api::Kind;
use crate::labels::{Operator, Selector};

#[derive(Clone, Debug, Default)]
pub struct LabelIndex {
    by_key: BTreeMap<(Kind, String), BTreeMap<String, BTreeSet<ObjectKey>>>,
}

impl LabelIndex {
    pub fn insert(&mut self, key: &ObjectKey, labels: &StringMap) {
        for (k, v) in labels {
            self.by_key.entry((key.kind(), k.clone())).or_default().entry(v.clone()).or_default().insert(key.clone());
        }
    }

    pub fn remove(&mut self, key: &ObjectKey, labels: &StringMap) {
        for (k, v) in labels {
            let ik = (key.kind(), k.clone());
            if let Some(values) = self.by_key.get_mut(&ik) {
                if let Some(set) = values.get_mut(v) {
                    set.remove(key);
                    if set.is_empty() {
                        values.remove(v);
                    }
                }
                if values.is_empty() {
                    self.by_key.remove(&ik);
                }
            }
        }
    }

    /// A sorted superset of the objects that can match, taken from the most selective
    /// requirement that needs its key present; `None` when no requirement can use the index
    /// (only `!=`, `notin`, `!key`, or match-everything) and the caller must scan.
    pub fn candidates(&self, kind: Kind, selector: &Selector) -> Option<Vec<ObjectKey>> {
        if selector.is_nothing() {
            return Some(Vec::new());
        }
        let mut best: Option<(usize, Vec<&BTreeSet<ObjectKey>>)> = None;
        for r in selector.requirements().iter().filter(|r| r.requires_key()) {
            let values = self.by_key.get(&(kind, r.key().to_string()));
            let sets: Vec<&BTreeSet<ObjectKey>> = match (values, r.operator()) {
                (None, _) => Vec::new(),
                (Some(values), Operator::Equals | Operator::DoubleEquals | Operator::In) => {
                    r.values().iter().filter_map(|v| values.get(v)).collect()
                }
                (Some(values), _) => values.values().collect(),
            };
            let size = sets.iter().map(|s| s.len()).sum();
            if best.as_ref().is_none_or(|(b, _)| size < *b) {
                best = Some((size, sets));
            }
        }
        let (_, sets) = best?;
        let mut keys: Vec<ObjectKey> = match sets.as_slice() {
            [one] => return Some(one.iter().cloned().collect()),
            _ => sets.into_iter().flatten().cloned().collect(),
        };
        keys.sort();
        keys.dedup();
        Some(keys)
    }
}
