//! Scale-down victims of a large ReplicaSet chosen from the store's ranking groups (see
//! [`crate::store::tally::PodTally::ranking`]) rather than by ranking every pod it controls.
//!
//! Upstream lists and sorts all of a ReplicaSet's pods on every sync that deletes; a rollout of
//! a large Deployment deletes the old pods 500 at a time, so that is quadratic. The pods are
//! kept grouped by what the ranking reads of them that does not move with the clock (node,
//! phase, Ready time, deletion cost, restarts, creation time), each group in uid order. A sync
//! works out each group's place from the clock and the related pods on its node, takes whole
//! groups while they fit, and walks only as far into the last one as it needs: O(groups +
//! victims · log pods) when a class holds few runs of one Ready second, as a rollout's pods (on
//! a few nodes, created and Ready at a few seconds) do; a class of many short runs is laid out
//! pod by pod after a few runs (what `deletion_order` does, without looking pods up). The
//! victims and their order are exactly [`super::replicaset::deletion_order`]'s.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;

use super::replicaset::{class_of, deletion_order, is_active, node_of, rest_of, Class, RankedPod, Rest};
use super::Ctx;
use crate::api::{Body, Kind, Object, Uid};
use crate::labels::Operator;
use crate::store::tally::{Members, PodTally, RankKey};

/// One ranking group with its place in this sync's order.
struct Group<'a> {
    key: &'a RankKey,
    pods: &'a Members,
    class: Class,
    rest: Rest,
}

/// The `n` pods of `rs` (controlled, active, fewer than all of them) to delete first, in
/// upstream's order; `None` when its tally keeps no ranking (it has few pods) or the related
/// pods on each node cannot be read from the tallies (a pod matches a sibling's selector
/// without being controlled by it), and the caller must list them.
pub fn indexed(ctx: &Ctx, rs: &Object, tally: &PodTally, n: usize) -> Option<Vec<Arc<Object>>> {
    let ranking = tally.ranking.as_ref()?;
    let per_node = related_per_node(ctx, rs)?;
    let rank = |key: &RankKey| per_node.get(key.node.as_deref().unwrap_or("")).copied().unwrap_or(0);
    let mut groups: Vec<Group> = ranking
        .iter()
        .map(|(key, pods)| Group { key, pods, class: class_of(key, rank(key), ctx.now), rest: rest_of(key, ctx.now) })
        .collect();
    groups.sort_by_key(|g| g.class);

    let mut chosen: Vec<&Arc<str>> = Vec::with_capacity(n);
    for class in groups.chunk_by(|a, b| a.class == b.class) {
        let left = n - chosen.len();
        if left == 0 {
            break;
        }
        if class.iter().map(|g| g.pods.len()).sum::<usize>() <= left {
            chosen.extend(class.iter().flat_map(|g| g.pods.iter().map(|(_, name)| name)));
        } else {
            take_from_class(class, left, &mut chosen);
        }
    }

    // A pod the ReplicaSet controls in another namespace (an ownerReference a user wrote) is
    // not found here: then it is listed after all.
    let mut pods: Vec<&Arc<Object>> = Vec::with_capacity(chosen.len());
    for name in chosen {
        let pod = ctx.store.lookup(Kind::Pod, &rs.meta.namespace, name);
        pods.push(pod.filter(|p| p.meta.controller_ref().is_some_and(|r| r.uid == rs.meta.uid))?);
    }
    // The victims are a prefix of the whole order, so ordering them alone gives that prefix.
    let mut ranked: Vec<RankedPod> = pods
        .into_iter()
        .map(|p| {
            let key = RankKey::of(p).unwrap_or_default();
            RankedPod::with_key(p, &key, rank(&key), ctx.now)
        })
        .collect();
    deletion_order(&mut ranked);
    Some(ranked.into_iter().map(|r| r.pod.clone()).collect())
}

/// The uid of the first member at or after `from`.
fn first_from(pods: &Members, from: Uid) -> Option<Uid> {
    pods.range(from, None).next().map(|(u, _)| u)
}

/// Runs of one Ready second looked up group by group before the rest of a class is laid out
/// pod by pod (many short runs: every run costs a lookup in each group of the class).
const RUNS_BY_GROUP: usize = 8;

/// The first `m` pods of one class (fewer than it holds), in [`deletion_order`]'s layout: by
/// uid, each run of consecutive pods with the same Ready time ordered by rules 7 and 8.
fn take_from_class<'a>(class: &[Group<'a>], mut m: usize, out: &mut Vec<&'a Arc<str>>) {
    let mut from = Uid(0);
    for _ in 0..RUNS_BY_GROUP {
        let Some((first, ready_s)) =
            class.iter().filter_map(|g| first_from(g.pods, from).map(|u| (u, g.key.ready_s))).min()
        else {
            return;
        };
        // The run goes up to the first pod (by uid) with another Ready time.
        let end = class.iter().filter(|g| g.key.ready_s != ready_s).filter_map(|g| first_from(g.pods, first)).min();
        let mut run: Vec<&Group> = class.iter().filter(|g| g.key.ready_s == ready_s).collect();
        run.sort_by_key(|g| g.rest);
        for same_rest in run.chunk_by(|a, b| a.rest == b.rest) {
            m -= merge_take(same_rest, first, end, m, out);
            if m == 0 {
                return;
            }
        }
        match end {
            Some(end) => from = end,
            None => return,
        }
    }
    // Many short runs: the rest of the class laid out pod by pod, as `deletion_order` does.
    let mut rest: Vec<(Uid, Option<i64>, Rest, &'a Arc<str>)> = class
        .iter()
        .flat_map(|g| g.pods.range(from, None).map(move |(u, name)| (u, g.key.ready_s, g.rest, name)))
        .collect();
    rest.sort_unstable_by_key(|e| e.0);
    for run in rest.chunk_by_mut(|a, b| a.1 == b.1) {
        run.sort_unstable_by_key(|e| (e.2, e.0));
        let take = run.len().min(m);
        out.extend(run[..take].iter().map(|e| e.3));
        m -= take;
        if m == 0 {
            return;
        }
    }
}

/// Up to `m` members of `groups` with uids in [from, end), by uid; how many it took.
fn merge_take<'a>(groups: &[&Group<'a>], from: Uid, end: Option<Uid>, m: usize, out: &mut Vec<&'a Arc<str>>) -> usize {
    let mut ranges: Vec<_> = groups.iter().map(|g| g.pods.range(from, end)).collect();
    let mut heads: BinaryHeap<Reverse<(Uid, usize)>> = BinaryHeap::new();
    let mut names: Vec<Option<&'a Arc<str>>> = vec![None; ranges.len()];
    for (i, r) in ranges.iter_mut().enumerate() {
        if let Some((u, name)) = r.next() {
            names[i] = Some(name);
            heads.push(Reverse((u, i)));
        }
    }
    let mut taken = 0;
    while taken < m {
        let Some(Reverse((_, i))) = heads.pop() else { break };
        if let Some(name) = names[i].take() {
            out.push(name);
            taken += 1;
        }
        if let Some((u, name)) = ranges[i].next() {
            names[i] = Some(name);
            heads.push(Reverse((u, i)));
        }
    }
    taken
}

/// Active pods of every ReplicaSet sharing `rs`'s controller, per node ("" for unbound), read
/// from their tallies (upstream: getIndirectlyRelatedPods lists the pods each sibling's
/// selector matches). The tallies count the pods each sibling controls; that is the set its
/// selector matches when every pod it controls matches and as many pods carry one of its
/// selector's labels as it controls. `None` when that cannot be shown.
fn related_per_node<'a>(ctx: &'a Ctx, rs: &Object) -> Option<HashMap<&'a str, usize>> {
    let mut per_node: HashMap<&str, usize> = HashMap::new();
    let Some(controller) = rs.meta.controller_ref() else { return Some(per_node) };
    for sibling in ctx.store.dependents_iter(controller.uid) {
        let Body::ReplicaSet { spec, .. } = &sibling.body else { continue };
        // (The label counts below are of this namespace.)
        if sibling.meta.namespace != rs.meta.namespace {
            return None;
        }
        let Ok(selector) = spec.selector.selector() else { continue };
        let tally = ctx.store.pod_tally(sibling.meta.uid);
        let controlled: usize = tally.map_or(0, |t| t.groups.values().map(|g| g.pods as usize).sum());
        if tally.is_some_and(|t| t.groups.keys().any(|labels| !selector.matches(&**labels))) {
            return None;
        }
        let labelled = selector
            .requirements()
            .iter()
            .filter_map(|r| match (r.operator(), r.values()) {
                (Operator::Equals | Operator::DoubleEquals | Operator::In, [v]) => {
                    Some(ctx.store.label_count(Kind::Pod, &rs.meta.namespace, r.key(), v))
                }
                _ => None,
            })
            .min()?;
        if labelled != controlled {
            return None;
        }
        match tally.and_then(|t| t.ranking.as_ref()) {
            Some(ranking) => {
                for (key, pods) in ranking {
                    *per_node.entry(key.node.as_deref().unwrap_or("")).or_default() += pods.len();
                }
            }
            // A sibling with few active pods keeps no ranking: its pods are read one by one.
            None => {
                let pods = ctx.store.dependents_iter(sibling.meta.uid).filter(|p| {
                    p.kind() == Kind::Pod
                        && p.meta.controller_ref().is_some_and(|r| r.uid == sibling.meta.uid)
                        && is_active(p)
                });
                for p in pods {
                    *per_node.entry(node_of(p).unwrap_or("")).or_default() += 1;
                }
            }
        }
    }
    Some(per_node)
}
