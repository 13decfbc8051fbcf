use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::api::Object;

fn pod(name: &str, labels: &BTreeMap<String, String>) -> Object {
    Object::decode(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "labels": labels},
        "spec": {"containers": [{"name": "c", "image": "nginx"}]},
    }))
    .unwrap()
}

/// Namespaces for the index properties: "default" sorts between the others.
const NAMESPACES: [&str; 3] = ["default", "a-team", "zoo"];

fn pod_in(namespace: &str, name: &str, labels: &BTreeMap<String, String>) -> Object {
    let mut o = pod(name, labels);
    o.meta.namespace = namespace.into();
    o
}

fn store_with_namespaces(seed: u64) -> Store {
    let mut s = store_with_default_namespace(seed);
    for name in &NAMESPACES[1..] {
        let ns = Object::decode(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})).unwrap();
        s.create(ns, 0).unwrap();
    }
    s
}

fn store_with_default_namespace(seed: u64) -> Store {
    let mut s = Store::new(seed);
    let ns = Object::decode(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}})).unwrap();
    s.create(ns, 0).unwrap();
    s
}

fn deployment(name: &str, replicas: i32) -> Object {
    Object::decode(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default", "labels": {"app": name}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{"name": "c", "image": "nginx"}]}}},
    }))
    .unwrap()
}

const KEYS: [&str; 4] = ["app", "tier", "env", "x"];
const VALUES: [&str; 6] = ["a", "b", "c", "", "0", "2"];

fn labels_strategy() -> impl Strategy<Value = BTreeMap<String, String>> {
    proptest::collection::btree_map(
        proptest::sample::select(KEYS.to_vec()).prop_map(str::to_string),
        proptest::sample::select(VALUES.to_vec()).prop_map(str::to_string),
        0..4,
    )
}

fn requirement_strategy() -> impl Strategy<Value = String> {
    let key = proptest::sample::select(KEYS.to_vec());
    let value = proptest::sample::select(VALUES.to_vec());
    let values = proptest::collection::vec(proptest::sample::select(VALUES.to_vec()), 0..3);
    (key, value, values, 0..9u8).prop_map(|(k, v, vs, op)| match op {
        0 => format!("{k}={v}"),
        1 => format!("{k}!={v}"),
        2 => format!("{k} in ({})", vs.join(",")),
        3 => format!("{k} notin ({})", vs.join(",")),
        4 => k.to_string(),
        5 => format!("!{k}"),
        6 => format!("{k}>1"),
        7 => format!("{k}<1"),
        _ => format!("{k}=={v}"),
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn index_answers_every_query_like_a_full_scan(
        pods in proptest::collection::vec((labels_strategy(), 0..NAMESPACES.len()), 0..40),
        selectors in proptest::collection::vec(proptest::collection::vec(requirement_strategy(), 0..3), 1..8),
        deletions in proptest::collection::vec(any::<proptest::sample::Index>(), 0..10),
    ) {
        let mut store = store_with_namespaces(1);
        for (i, (l, ns)) in pods.iter().enumerate() {
            store.create(pod_in(NAMESPACES[*ns], &format!("p{i}"), l), 0).unwrap();
        }
        // Deleting and relabelling must keep the index exact too.
        for (n, d) in deletions.iter().enumerate() {
            if pods.is_empty() { break; }
            let i = d.index(pods.len());
            let (name, ns) = (format!("p{i}"), NAMESPACES[pods[i].1]);
            if n % 2 == 0 {
                let _ = store.delete(Kind::Pod, ns, &name, 0);
            } else if let Ok(live) = store.get(Kind::Pod, ns, &name) {
                let mut o = (*live).clone();
                Arc::make_mut(&mut o.meta.labels).insert("tier".into(), "b".into());
                store.update(o).unwrap();
            }
        }
        let names = |objs: Vec<&Arc<Object>>| -> Vec<String> {
            objs.iter().map(|o| format!("{}/{}", o.meta.namespace, o.meta.name)).collect()
        };
        for reqs in &selectors {
            let sel = Selector::parse(&reqs.join(",")).unwrap();
            for ns in NAMESPACES.iter().map(Some).chain([None]) {
                let listed = store.list(Kind::Pod, ns.copied(), &sel);
                let via_index = names(listed.iter().collect());
                let via_scan = names(store.scan(Kind::Pod, ns.copied()).filter(|o| sel.matches(&o.meta.labels)).collect());
                prop_assert_eq!(via_index, via_scan, "selector {} in {:?}", sel, ns);
            }
        }
        store.check_indexes();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// A selector's stamp moves whenever the pods it matches in a namespace come, go or are
    /// relabelled: two equal stamps of one selector mean the same matching keys (deletions of a
    /// group's last key included, which take its slot away).
    #[test]
    fn equal_selector_stamps_mean_the_same_matches(
        steps in proptest::collection::vec((labels_strategy(), 0..NAMESPACES.len(), 0..12usize, 0..3u8), 1..40),
        selectors in proptest::collection::vec(proptest::collection::vec(requirement_strategy(), 1..3), 1..6),
    ) {
        let mut store = store_with_namespaces(1);
        let sels: Vec<Selector> = selectors.iter().map(|r| Selector::parse(&r.join(",")).unwrap()).collect();
        // Per (selector, namespace): every (stamp, matching names) seen so far.
        type Seen = Vec<(Stamp, Vec<String>)>;
        let mut seen: BTreeMap<(usize, usize), Seen> = BTreeMap::new();
        for (labels, ns, i, op) in steps {
            let (ns, name) = (NAMESPACES[ns], format!("p{i}"));
            match (op, store.get(Kind::Pod, ns, &name)) {
                (0, Err(_)) => { store.create(pod_in(ns, &name, &labels), 0).unwrap(); }
                (1, Ok(live)) => {
                    let mut o = (*live).clone();
                    o.meta.labels = pod_in(ns, &name, &labels).meta.labels;
                    store.update(o).unwrap();
                }
                (_, Ok(_)) => { store.delete(Kind::Pod, ns, &name, 0).unwrap(); }
                _ => {}
            }
            for (s, sel) in sels.iter().enumerate() {
                for (n, ns) in NAMESPACES.iter().enumerate() {
                    let Some(stamp) = store.selector_stamp(Kind::Pod, ns, sel) else { continue };
                    let names: Vec<String> = store.list(Kind::Pod, Some(ns), sel).iter().map(|o| o.meta.name.to_string()).collect();
                    let history = seen.entry((s, n)).or_default();
                    if let Some((_, before)) = history.iter().find(|(t, _)| *t == stamp) {
                        prop_assert_eq!(before, &names, "selector {} in {}", sel, ns);
                    }
                    history.push((stamp, names));
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// What a controller may adopt is the same whichever index answers: the orphans that the
    /// selector matches and that are not being deleted, in key order, as a scan finds them.
    /// (Namespaces with more than `ORPHANS_SCANNED` orphans and a selector that the label index
    /// narrows further send the answer through the label index, others through the orphan
    /// index.)
    #[test]
    fn adoptable_pods_are_what_a_scan_finds(
        pods in proptest::collection::vec((labels_strategy(), 0..2usize, 0..4u8), 1..160),
        selectors in proptest::collection::vec(proptest::collection::vec(requirement_strategy(), 1..3), 1..6),
    ) {
        let mut store = store_with_namespaces(2);
        let owner = Uid(77);
        for (i, (labels, ns, how)) in pods.into_iter().enumerate() {
            let mut pod = pod_in(NAMESPACES[ns], &format!("p{i}"), &labels);
            // 0, 1: controlled; 2: an orphan; 3: an orphan being deleted (a finalizer holds it).
            if how < 2 {
                pod.meta.owner_references = Arc::new(vec![crate::api::OwnerRef::controller_of(Kind::ReplicaSet, &"rs".into(), owner)]);
            }
            if how == 3 {
                pod.meta.set_finalizers(vec!["example.com/hold".into()]);
            }
            store.create(pod, 0).unwrap();
            if how == 3 {
                store.delete(Kind::Pod, NAMESPACES[ns], &format!("p{i}"), 0).unwrap();
            }
        }
        for reqs in &selectors {
            let sel = Selector::parse(&reqs.join(",")).unwrap();
            for ns in NAMESPACES {
                let ns: Arc<str> = ns.into();
                let found: Vec<String> = store.adoptable(Kind::Pod, &ns, &sel).iter().map(|o| o.meta.name.to_string()).collect();
                let scanned: Vec<String> = store
                    .scan(Kind::Pod, Some(&ns))
                    .filter(|o| o.meta.controller_ref().is_none() && o.meta.deletion_timestamp().is_none())
                    .filter(|o| sel.matches(&o.meta.labels))
                    .map(|o| o.meta.name.to_string())
                    .collect();
                prop_assert_eq!(found, scanned, "selector {} in {}", sel, ns);
            }
        }
    }
}

#[test]
fn positive_requirements_are_answered_from_the_index() {
    let mut store = store_with_default_namespace(0);
    for i in 0..50 {
        let app = if i == 7 { "rare" } else { "common" };
        store.create(pod(&format!("p{i}"), &BTreeMap::from([("app".to_string(), app.to_string())])), 0).unwrap();
    }
    let sel = Selector::parse("app=rare").unwrap();
    let (candidates, _) = store.labels.candidates(Kind::Pod, None, &sel).unwrap();
    assert_eq!(candidates.len(), 1, "only the matching pod is a candidate");
    // Which requirement every candidate meets by construction: the chosen one, when the sets
    // taken for it hold exactly the objects that meet it.
    let met = |s: &str| store.labels.candidates(Kind::Pod, None, &Selector::parse(s).unwrap()).map(|(_, m)| m);
    assert_eq!(met("app=rare"), Some(Some(0)));
    assert_eq!(met("app in (rare,other)"), Some(Some(0)));
    assert_eq!(met("app"), Some(Some(0)));
    assert_eq!(met("app!=common,app=rare"), Some(Some(1)));
    assert_eq!(met("app>1"), Some(None), "`>` takes every object with the key: a superset");
    // A selector with only negative requirements cannot use the index.
    assert!(store.labels.candidates(Kind::Pod, None, &Selector::parse("app!=rare").unwrap()).is_none());
}

#[test]
fn stale_resource_version_is_a_conflict() {
    let mut store = store_with_default_namespace(0);
    let created = store.create(deployment("web", 1), 0).unwrap();
    let mut first = (*created).clone();
    let mut second = (*created).clone();
    if let crate::api::Body::Deployment { spec, .. } = &mut first.body {
        spec.replicas = Some(2);
    }
    store.update(first).unwrap();
    if let crate::api::Body::Deployment { spec, .. } = &mut second.body {
        spec.replicas = Some(5);
    }
    let err = store.update(second).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Operation cannot be fulfilled on deployments.apps \"web\": the object has been modified; please apply your changes to the latest version and try again"
    );
}

#[test]
fn generation_moves_with_spec_only_and_no_op_updates_keep_the_resource_version() {
    let mut store = store_with_default_namespace(0);
    let v1 = store.create(deployment("web", 1), 0).unwrap();
    assert_eq!(v1.meta.generation, 1);
    let mut labelled = (*v1).clone();
    Arc::make_mut(&mut labelled.meta.labels).insert("team".into(), "a".into());
    let v2 = store.update(labelled).unwrap();
    assert_eq!(v2.meta.generation, 1, "a label change is not a spec change");
    assert!(v2.meta.resource_version > v1.meta.resource_version);
    let mut scaled = (*v2).clone();
    if let crate::api::Body::Deployment { spec, .. } = &mut scaled.body {
        spec.replicas = Some(4);
    }
    let v3 = store.update(scaled).unwrap();
    assert_eq!(v3.meta.generation, 2);
    let same = store.update((*v3).clone()).unwrap();
    assert!(Arc::ptr_eq(&same, &v3), "an update that changes nothing is not a write");
    assert_eq!(store.resource_version(), v3.meta.resource_version);
}

#[test]
fn status_is_not_writable_through_the_main_resource() {
    let mut store = store_with_default_namespace(0);
    let v1 = store.create(deployment("web", 1), 0).unwrap();
    let mut o = (*v1).clone();
    if let crate::api::Body::Deployment { status, .. } = &mut o.body {
        status.replicas = Some(9);
    }
    let after = store.update(o.clone()).unwrap();
    assert!(Arc::ptr_eq(&after, &v1));
    let after = store.update_status(o).unwrap();
    match &after.body {
        crate::api::Body::Deployment { status, .. } => assert_eq!(status.replicas, Some(9)),
        _ => unreachable!(),
    }
    assert_eq!(after.meta.generation, 1);
}

#[test]
fn uids_depend_on_seed_and_identity_only() {
    let mut a = store_with_default_namespace(1);
    let mut b = store_with_default_namespace(1);
    let mut c = store_with_default_namespace(2);
    b.create(deployment("unrelated", 1), 0).unwrap();
    let ua = a.create(deployment("web", 1), 0).unwrap().meta.uid;
    let ub = b.create(deployment("web", 1), 0).unwrap().meta.uid;
    let uc = c.create(deployment("web", 1), 0).unwrap().meta.uid;
    assert_eq!(ua, ub, "an unrelated object does not change another's uid");
    assert_ne!(ua, uc, "another seed gives another uid");
    a.delete(Kind::Deployment, "default", "web", 0).unwrap();
    let again = a.create(deployment("web", 1), 0).unwrap().meta.uid;
    assert_ne!(ua, again, "a recreated object is a new object");
}

#[test]
fn generated_names_use_the_prefix_and_do_not_shift_with_unrelated_objects() {
    let mut a = store_with_default_namespace(3);
    let mut b = store_with_default_namespace(3);
    let p = Object::decode(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"generateName": "web-"},
        "spec": {"containers": [{"name": "c", "image": "nginx"}]},
    }))
    .unwrap();
    b.create(deployment("unrelated", 1), 0).unwrap();
    let na = a.create(p.clone(), 0).unwrap().meta.name.clone();
    let nb = b.create(p.clone(), 0).unwrap().meta.name.clone();
    assert_eq!(na, nb);
    assert!(na.starts_with("web-") && na.len() == 9, "{na}");
    let second = a.create(p, 0).unwrap().meta.name.clone();
    assert_ne!(na, second);
}

#[test]
fn watch_log_replays_history_and_reports_compaction() {
    let mut store = store_with_default_namespace(0);
    let start = store.resource_version();
    store.create(deployment("web", 1), 0).unwrap();
    store.delete(Kind::Deployment, "default", "web", 0).unwrap();
    let events = store.watch_since(start).unwrap();
    let kinds: Vec<_> = events.iter().map(|e| e.event_type).collect();
    assert_eq!(kinds, [WatchEventType::Added, WatchEventType::Deleted]);
    assert!(events[0].resource_version < events[1].resource_version);
    store.set_watch_capacity(1);
    assert!(matches!(store.watch_since(0), Err(StoreError::Gone { .. })));
    assert_eq!(store.watch_since(store.resource_version()).unwrap().len(), 0);
}

#[test]
fn finalizers_hold_deletion_until_removed() {
    let mut store = store_with_default_namespace(0);
    let mut d = deployment("web", 1);
    d.meta.set_finalizers(vec!["foregroundDeletion".into()]);
    store.create(d, 0).unwrap();
    let marked = store.delete(Kind::Deployment, "default", "web", 5000).unwrap();
    assert_eq!(marked.meta.deletion_timestamp(), Some(5000));
    let mut o = (*marked).clone();
    o.meta.finalizers_mut().clear();
    store.update(o).unwrap();
    assert!(store.get(Kind::Deployment, "default", "web").is_err());
}

#[test]
fn namespaced_objects_need_their_namespace() {
    let mut store = Store::new(0);
    let err = store.create(deployment("web", 1), 0).unwrap_err();
    assert_eq!(err.to_string(), "namespaces \"default\" not found");
}

proptest! {
    /// The packed key orders and compares exactly like (kind, namespace, name), whatever the
    /// names share (a seven-byte prefix or more, a prefix of each other, nothing), and so does
    /// the store's key order.
    #[test]
    fn object_keys_order_like_kind_namespace_name(
        a in (0usize..7, "[ab]{0,2}", "app-12[0-9]{0,3}(-[a-z]{0,3}){0,4}"),
        b in (0usize..7, "[ab]{0,2}", "app-12[0-9]{0,3}(-[a-z]{0,3}){0,4}"),
    ) {
        let key = |(k, ns, name): &(usize, String, String)| ObjectKey::new(Kind::ALL[*k], ns, name);
        let tuple = |(k, ns, name): &(usize, String, String)| {
            let kind = Kind::ALL[*k];
            (kind, if kind.namespaced() { ns.clone() } else { String::new() }, name.clone())
        };
        let (ka, kb) = (key(&a), key(&b));
        prop_assert_eq!(ka.cmp(&kb), tuple(&a).cmp(&tuple(&b)));
        prop_assert_eq!(ka == kb, tuple(&a) == tuple(&b));
        prop_assert_eq!(ka.kind(), Kind::ALL[a.0]);
        // A key made from a stored object equals one made from the same strings.
        prop_assert_eq!(ka.clone(), ObjectKey::new(ka.kind(), &ka.namespace, &ka.name));
        // The store's key order (which lists walk) agrees.
        let mut order = super::index::KeyOrder::default();
        prop_assert!(order.insert(&kb));
        prop_assert_eq!(order.insert(&ka), ka != kb);
        let listed: Vec<(Kind, String, String)> =
            order.all().map(|(k, ns, name)| (k, ns.to_string(), name.to_string())).collect();
        let mut want = vec![tuple(&a), tuple(&b)];
        want.sort();
        want.dedup();
        prop_assert_eq!(listed, want);
        prop_assert!(order.remove(&ka));
        prop_assert_eq!(order.len(), usize::from(ka != kb));
    }
}

#[test]
fn dependents_of_one_owner_are_found_in_every_namespace_in_key_order() {
    let mut store = store_with_namespaces(0);
    let node = Object::decode(json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}})).unwrap();
    let node = store.create(node, 0).unwrap();
    let other = Uid(7);
    let owned = |ns: &str, name: &str, owner: Uid| {
        let mut o = pod_in(ns, name, &BTreeMap::new());
        o.meta.owner_references =
            Arc::new(vec![crate::api::OwnerRef::controller_of(Kind::Node, &node.meta.name, owner)]);
        o
    };
    for (ns, name) in [("zoo", "b"), ("default", "c"), ("a-team", "a"), ("zoo", "a")] {
        store.create(owned(ns, name, node.meta.uid), 0).unwrap();
    }
    store.create(owned("default", "x", other), 0).unwrap();
    let names = |s: &Store| -> Vec<String> {
        s.dependents(node.meta.uid).iter().map(|o| format!("{}/{}", o.meta.namespace, o.meta.name)).collect()
    };
    assert_eq!(names(&store), ["a-team/a", "default/c", "zoo/a", "zoo/b"]);
    store.delete(Kind::Pod, "zoo", "a", 0).unwrap();
    let mut released = (*store.get(Kind::Pod, "default", "c").unwrap()).clone();
    released.meta.owner_references = Arc::new(Vec::new());
    store.update(released).unwrap();
    assert_eq!(names(&store), ["a-team/a", "zoo/b"]);
    assert_eq!(store.dependents(other).len(), 1);
    // One kind of them: a range per namespace, the kinds before and after it left out.
    let mut cm = Object::decode(
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "zz", "namespace": "zoo"}}),
    )
    .unwrap();
    cm.meta.owner_references =
        Arc::new(vec![crate::api::OwnerRef::controller_of(Kind::Node, &node.meta.name, node.meta.uid)]);
    store.create(cm, 0).unwrap();
    let of_kind = |kind: Kind| -> Vec<String> {
        store.dependents_of_kind(node.meta.uid, kind).map(|o| format!("{}/{}", o.meta.namespace, o.meta.name)).collect()
    };
    assert_eq!(of_kind(Kind::Pod), ["a-team/a", "zoo/b"]);
    assert_eq!(of_kind(Kind::ConfigMap), ["zoo/zz"]);
    assert!(of_kind(Kind::ControllerRevision).is_empty());
    assert_eq!(names(&store).len(), 3);
}

/// One update of a round, made (as controllers make them) from the round's view of the store.
#[derive(Clone, Debug)]
enum Change {
    Replicas(i32),
    Label(&'static str),
    ObservedGeneration(i64),
    /// Take the finalizer away (the object is terminating: it goes).
    Unfinalize,
    Nothing,
    /// A pod's binding (through status), and a spec update that writes the binding read back
    /// into spec.nodeName.
    Bind(&'static str),
    Image(&'static str),
}

fn change_strategy() -> impl Strategy<Value = (usize, Change, bool, bool)> {
    let change = prop_oneof![
        (0..3i32).prop_map(Change::Replicas),
        proptest::sample::select(vec!["a", "b"]).prop_map(Change::Label),
        (0..3i64).prop_map(Change::ObservedGeneration),
        Just(Change::Unfinalize),
        Just(Change::Nothing),
        proptest::sample::select(vec!["n1", "n2"]).prop_map(Change::Bind),
        proptest::sample::select(vec!["nginx:1", "nginx:2"]).prop_map(Change::Image),
    ];
    // (object: three Deployments then a pod, change, send the resourceVersion read, a deletion
    // of the object before it)
    (0..4usize, change, any::<bool>(), proptest::bool::weighted(0.1))
}

fn target(i: usize) -> (Kind, String) {
    match i {
        3 => (Kind::Pod, "p".to_string()),
        _ => (Kind::Deployment, format!("d{i}")),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    /// Updates worked out against a round's view and committed in order store exactly what
    /// writing each one in order does: same answers, same objects, same watch log.
    #[test]
    fn prepared_updates_commit_as_writes_in_order_would(changes in proptest::collection::vec(change_strategy(), 1..12)) {
        let mut base = store_with_default_namespace(7);
        for i in 0..3 {
            let mut d = deployment(&format!("d{i}"), 1);
            d.meta.finalizers_mut().push("example.com/hold".into());
            base.create(d, 0).unwrap();
        }
        base.delete(Kind::Deployment, "default", "d2", 5).unwrap();
        // (A controlled pod: its binds and label changes move it in its controller's tally,
        // which a prepared update works out before the commit.)
        let mut p = pod("p", &BTreeMap::new());
        p.meta.owner_references = Arc::new(vec![crate::api::OwnerRef::controller_of(Kind::ReplicaSet, &"web".into(), Uid(9))]);
        let mut p = (*base.create(p, 0).unwrap()).clone();
        if let crate::api::Body::Pod { status, .. } = &mut p.body {
            status.node_name = Some("n1".into());
        }
        base.update_status(p).unwrap();
        let view = base.clone();
        let make = |(i, change, versioned, _): &(usize, Change, bool, bool)| {
            let (kind, name) = target(*i);
            let mut o = (*view.get(kind, "default", &name).unwrap()).clone();
            let status = matches!(change, Change::ObservedGeneration(_) | Change::Bind(_));
            match (change, &mut o.body) {
                (Change::Bind(node), crate::api::Body::Pod { status, .. }) => {
                    status.node_name = Some((*node).into())
                }
                (Change::Image(image), crate::api::Body::Pod { spec, status }) => {
                    let spec = Arc::make_mut(spec);
                    spec.containers[0].image = Some(image.to_string());
                    spec.node_name = status.node_name.as_deref().map(str::to_string);
                }
                (Change::Replicas(n), crate::api::Body::Deployment { spec, .. }) => spec.replicas = Some(*n),
                (Change::Label(v), _) => {
                    Arc::make_mut(&mut o.meta.labels).insert("tier".into(), v.to_string());
                }
                (Change::ObservedGeneration(g), crate::api::Body::Deployment { status, .. }) => {
                    status.observed_generation = Some(*g)
                }
                (Change::Unfinalize, _) => o.meta.set_finalizers(Vec::new()),
                _ => {}
            }
            if !versioned {
                o.meta.resource_version = 0;
            }
            (o, status)
        };
        let answer = |r: Result<Written, StoreError>| r.map(|(old, new)| (old.meta.resource_version, new.meta.resource_version)).map_err(|e| e.to_string());
        let deleting = |s: &mut Store, (i, _, _, delete): &(usize, Change, bool, bool)| {
            if *delete {
                let (kind, name) = target(*i);
                let _ = s.delete(kind, "default", &name, 9);
            }
        };

        let mut one_by_one = base.clone();
        let mut expected = Vec::new();
        for c in &changes {
            deleting(&mut one_by_one, c);
            let (o, status) = make(c);
            expected.push(answer(one_by_one.write(o, status)));
        }

        let mut prepared = base.clone();
        let ready: Vec<Prepared> = changes.iter().map(|c| { let (o, status) = make(c); view.prepare(o, status) }).collect();
        let mut got = Vec::new();
        for (c, p) in changes.iter().zip(ready) {
            deleting(&mut prepared, c);
            got.push(answer(match prepared.commit_prepared(p) {
                Ok(w) => Ok(w),
                Err((o, status)) => prepared.write(*o, status),
            }));
        }

        prop_assert_eq!(got, expected);
        prop_assert_eq!(prepared.resource_version(), one_by_one.resource_version());
        let dump = |s: &Store| s.scan(Kind::Deployment, None).chain(s.scan(Kind::Pod, None)).map(|o| o.to_json()).collect::<Vec<_>>();
        prop_assert_eq!(dump(&prepared), dump(&one_by_one));
        let log = |s: &Store| s.watch_since(0).unwrap().into_iter().map(|e| (e.event_type, e.resource_version, e.object.to_json())).collect::<Vec<_>>();
        prop_assert_eq!(log(&prepared), log(&one_by_one));
        prepared.check_indexes();
        one_by_one.check_indexes();
    }
}

/// With nothing in between, a prepared create is stored as it was worked out (not made
/// afresh), names drawn one after another from one client's counter.
#[test]
fn prepared_creates_are_stored_as_prepared() {
    let mut s = store_with_default_namespace(4);
    let view = s.clone();
    let mut counters = Vec::new();
    let mut unnamed = pod("placeholder", &BTreeMap::new());
    unnamed.meta.name = "".into();
    unnamed.meta.generate_name = Some(Arc::new("web-".to_string()));
    let objects = [unnamed.clone(), pod("given", &BTreeMap::new()), unnamed];
    let mut serial = s.clone();
    for o in objects {
        let expected = serial.create(o.clone(), 30).unwrap();
        let p = view.prepare_create(Box::new(o), 30, &mut counters).unwrap();
        let made = Arc::as_ptr(&p.obj);
        let stored = s.commit_create(p).unwrap();
        assert_eq!(Arc::as_ptr(&stored), made, "stored as prepared");
        assert_eq!(stored.to_json(), expected.to_json());
    }
    assert_eq!(counters.len(), 1, "one entry per counter");
}

/// A prepared status update's new version can be amended before the commit (the CNI's pod
/// address); one that changed nothing as prepared is handed over to be written in full, so
/// that the amendment is not lost.
#[test]
fn a_prepared_status_update_is_amended_before_it_is_stored() {
    let mut s = store_with_default_namespace(3);
    let stored = s.create(pod("p", &BTreeMap::new()), 0).unwrap();
    let node = |o: &Object| match &o.body {
        crate::api::Body::Pod { status, .. } => status.node_name.clone(),
        _ => None,
    };
    let set_node = |o: &mut Object, n: &str| {
        if let crate::api::Body::Pod { status, .. } = &mut o.body {
            status.node_name = Some(n.into());
        }
    };

    // Nothing changed as prepared: no version to amend; written in full, it sees the amendment.
    let mut same = s.prepare((*stored).clone(), true);
    assert!(same.status_version_mut(|_| false).is_none());
    assert!(matches!(same, Prepared::Ready { .. }), "not wanted: left as prepared");
    assert!(same.status_version_mut(|_| true).is_none());
    let Err((mut obj, true)) = s.commit_prepared(same) else { panic!("to be written in full") };
    assert_eq!(obj.meta.resource_version, stored.meta.resource_version, "the client's version");
    set_node(&mut obj, "n1");
    let (_, new) = s.write(*obj, true).unwrap();
    assert_eq!(node(&new).as_deref(), Some("n1"));

    // A real change: amended in place, and stored as amended.
    let mut changed = (*new).clone();
    set_node(&mut changed, "n2");
    let mut p = s.prepare(changed, true);
    set_node(p.status_version_mut(|o| node(o).as_deref() == Some("n2")).unwrap(), "n3");
    assert!(s.prepare((*new).clone(), false).status_version_mut(|_| true).is_none(), "status updates only");
    let (_, stored) = s.commit_prepared(p).unwrap();
    assert_eq!(node(&stored).as_deref(), Some("n3"));
    assert_eq!(stored.meta.resource_version, new.meta.resource_version + 1);
}

/// Something the commit does before a prepared create's turn.
#[derive(Clone, Debug)]
enum Meanwhile {
    Nothing,
    /// Create a pod of this name (a given name already taken).
    Create(&'static str),
    /// Delete the pod of this name (a recreated key gets a new uid).
    Delete(&'static str),
    /// Create a pod with this generateName (its name counter moves on).
    Generate(&'static str),
    /// Delete the pods with this generateName (their names are free again; the counter is not
    /// set back).
    DeleteGenerated(&'static str),
    /// Delete a namespace.
    DeleteNamespace(&'static str),
    /// Delete the pod named as the first name `a-` draws in "default" (created up front, so
    /// a create prepared before this skips the name, and one committed after may take it).
    DeleteBlocker,
}

fn create_strategy() -> impl Strategy<Value = (usize, &'static str, &'static str, Meanwhile)> {
    let meanwhile = prop_oneof![
        4 => Just(Meanwhile::Nothing),
        1 => proptest::sample::select(vec!["x", "y"]).prop_map(Meanwhile::Create),
        1 => proptest::sample::select(vec!["x", "y"]).prop_map(Meanwhile::Delete),
        1 => proptest::sample::select(vec!["a-", "b-"]).prop_map(Meanwhile::Generate),
        1 => proptest::sample::select(vec!["a-", "b-"]).prop_map(Meanwhile::DeleteGenerated),
        1 => proptest::sample::select(vec!["a-team", "zoo"]).prop_map(Meanwhile::DeleteNamespace),
        1 => Just(Meanwhile::DeleteBlocker),
    ];
    // (the client preparing it, a name: given, or a generateName ending in '-', a namespace,
    // what the commit does before it)
    (
        0..3usize,
        proptest::sample::select(vec!["x", "y", "a-", "b-"]),
        proptest::sample::select(vec!["default", "a-team", "zoo", "nowhere"]),
        meanwhile,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    /// Creates worked out against a round's view (several per client, as a ReplicaSet makes
    /// its pods) and committed in order store exactly what creating each one in order does,
    /// whatever the commit did in between: same names, uids, errors, objects and watch log.
    #[test]
    fn prepared_creates_commit_as_creates_in_order_would(
        creates in proptest::collection::vec(create_strategy(), 1..14),
    ) {
        let mut base = store_with_namespaces(11);
        base.create(pod("y", &BTreeMap::new()), 0).unwrap();
        let generated = |prefix: &str| {
            let mut o = pod("placeholder", &BTreeMap::new());
            o.meta.name = "".into();
            o.meta.generate_name = Some(Arc::new(prefix.to_string()));
            o
        };
        let blocker = base.clone().create(generated("a-"), 0).unwrap().meta.name.clone();
        base.create(pod(&blocker, &BTreeMap::new()), 0).unwrap();
        let view = base.clone();
        let make = |(_, name, namespace, _): &(usize, &str, &str, Meanwhile)| {
            let mut o = pod_in(namespace, "placeholder", &BTreeMap::new());
            o.meta.name = (*name).into();
            if name.ends_with('-') {
                o.meta.name = "".into();
                o.meta.generate_name = Some(Arc::new(name.to_string()));
            }
            o
        };
        let meanwhile = |s: &mut Store, m: &Meanwhile| {
            let _ = match m {
                Meanwhile::Nothing => Ok(()),
                Meanwhile::Create(name) => s.create(pod(name, &BTreeMap::new()), 20).map(drop),
                Meanwhile::Delete(name) => s.delete(Kind::Pod, "default", name, 20).map(drop),
                Meanwhile::Generate(prefix) => s.create(generated(prefix), 20).map(drop),
                Meanwhile::DeleteBlocker => s.delete(Kind::Pod, "default", &blocker, 20).map(drop),
                Meanwhile::DeleteGenerated(prefix) => {
                    let names: Vec<_> = s
                        .scan(Kind::Pod, None)
                        .filter(|o| o.meta.generate_name() == Some(prefix))
                        .map(|o| ObjectKey::of(o))
                        .collect();
                    names.iter().try_for_each(|k| s.delete_with(k, &Default::default(), 20).map(drop))
                }
                Meanwhile::DeleteNamespace(name) => s.delete(Kind::Namespace, "", name, 20).map(drop),
            };
        };
        let answer = |r: Result<Arc<Object>, StoreError>| {
            r.map(|o| (o.meta.name.to_string(), o.meta.uid, o.meta.resource_version)).map_err(|e| e.to_string())
        };

        let mut one_by_one = base.clone();
        let mut expected = Vec::new();
        for c in &creates {
            meanwhile(&mut one_by_one, &c.3);
            expected.push(answer(one_by_one.create(make(c), 30)));
        }

        let mut counters = vec![Vec::new(); 3];
        let ready: Vec<_> =
            creates.iter().map(|c| view.prepare_create(Box::new(make(c)), 30, &mut counters[c.0])).collect();
        let mut prepared = base.clone();
        let mut got = Vec::new();
        for (c, p) in creates.iter().zip(ready) {
            meanwhile(&mut prepared, &c.3);
            got.push(answer(match p {
                Ok(p) => prepared.commit_create(p),
                Err(obj) => prepared.create(*obj, 30),
            }));
        }

        prop_assert_eq!(got, expected);
        prop_assert_eq!(prepared.resource_version(), one_by_one.resource_version());
        let dump = |s: &Store| {
            s.scan(Kind::Namespace, None).chain(s.scan(Kind::Pod, None)).map(|o| o.to_json()).collect::<Vec<_>>()
        };
        prop_assert_eq!(dump(&prepared), dump(&one_by_one));
        let log = |s: &Store| {
            s.watch_since(0).unwrap().into_iter().map(|e| (e.event_type, e.resource_version, e.object.to_json())).collect::<Vec<_>>()
        };
        prop_assert_eq!(log(&prepared), log(&one_by_one));
        prepared.check_indexes();
        // The name counters and deletion counts moved alike: later creates agree too.
        for s in [&mut prepared, &mut one_by_one] {
            meanwhile(s, &Meanwhile::Generate("a-"));
            meanwhile(s, &Meanwhile::Delete("x"));
            meanwhile(s, &Meanwhile::Create("x"));
        }
        prop_assert_eq!(dump(&prepared), dump(&one_by_one));
    }
}

#[test]
fn a_name_recreated_gets_a_new_uid_and_the_counts_behind_it_do_not_outlive_their_instant() {
    let mut s = store_with_default_namespace(1);
    let mut uids = std::collections::BTreeSet::new();
    for now in [5_000, 5_000, 5_000, 9_000, 9_000, 12_000] {
        s.begin_instant(now);
        let created = s.create(pod("web", &BTreeMap::new()), now).unwrap();
        assert!(uids.insert(created.meta.uid), "uid {} reused at {now}", created.meta.uid);
        s.delete(Kind::Pod, "default", "web", now).unwrap();
    }
    assert_eq!(s.incarnations.len(), 1, "only the current instant's deletions are counted");
    s.begin_instant(20_000);
    assert!(s.incarnations.is_empty());
}

#[test]
fn orphans_are_the_pods_and_replicasets_without_a_controller() {
    let mut store = store_with_namespaces(0);
    let owner = Uid(9);
    let controlled = |mut o: Object, controller: bool| {
        let mut r = crate::api::OwnerRef::controller_of(Kind::ReplicaSet, &"web".into(), owner);
        r.controller = Some(controller);
        o.meta.owner_references = Arc::new(vec![r]);
        o
    };
    // The reference answer: a scan of every pod in the namespace.
    let check = |s: &Store| {
        for ns in NAMESPACES {
            let ns: Arc<str> = ns.into();
            let indexed: Vec<String> = s.orphans(Kind::Pod, &ns).map(|o| o.meta.name.to_string()).collect();
            let scanned: Vec<String> = s
                .scan(Kind::Pod, Some(&ns))
                .filter(|o| o.meta.controller_ref().is_none())
                .map(|o| o.meta.name.to_string())
                .collect();
            assert_eq!(indexed, scanned, "orphans in {ns}");
        }
    };
    let none = BTreeMap::new();
    store.create(pod_in("zoo", "b", &none), 0).unwrap();
    store.create(pod_in("default", "a", &none), 0).unwrap();
    store.create(controlled(pod_in("default", "c", &none), true), 0).unwrap();
    // An owner reference that is not the controller leaves the pod an orphan.
    store.create(controlled(pod_in("default", "d", &none), false), 0).unwrap();
    check(&store);
    assert_eq!(store.orphans(Kind::Pod, &"default".into()).count(), 2);
    // Adopted, released, deleted.
    let adopted = controlled((*store.get(Kind::Pod, "default", "a").unwrap()).clone(), true);
    store.update(adopted).unwrap();
    check(&store);
    let mut released = (*store.get(Kind::Pod, "default", "c").unwrap()).clone();
    released.meta.owner_references = Arc::new(Vec::new());
    store.update(released).unwrap();
    check(&store);
    store.delete(Kind::Pod, "zoo", "b", 0).unwrap();
    store.delete(Kind::Pod, "default", "c", 0).unwrap();
    check(&store);
    store.check_indexes();
    assert_eq!(store.orphans(Kind::Pod, &"default".into()).map(|o| &*o.meta.name).collect::<Vec<_>>(), ["d"]);
    // Other kinds are not indexed.
    assert_eq!(store.orphans(Kind::Namespace, &"".into()).count(), 0);
}

#[test]
fn a_controller_of_many_pods_keeps_a_ranking_and_drops_it_when_few_are_left() {
    let mut store = store_with_default_namespace(0);
    let owner = Uid(9);
    let controlled = |mut o: Object| {
        o.meta.owner_references =
            Arc::new(vec![crate::api::OwnerRef::controller_of(Kind::ReplicaSet, &"web".into(), owner)]);
        o
    };
    let none = BTreeMap::new();
    let ranked = |s: &Store| {
        s.pod_tally(owner).and_then(|t| t.ranking.as_ref()).map(|r| r.values().map(|g| g.len()).sum::<usize>())
    };
    let from = tally::RANKED_FROM as usize;
    for i in 0..from - 1 {
        store.create(controlled(pod(&format!("p{i:03}"), &none)), 0).unwrap();
    }
    assert_eq!(ranked(&store), None, "below the threshold");
    // The pod that reaches it is ranked with the others (the owner index does not know it yet).
    store.create(controlled(pod("last", &none)), 0).unwrap();
    assert_eq!(ranked(&store), Some(from));
    store.check_indexes();
    // An orphan adopted into it is ranked; a pod being deleted leaves the ranking.
    store.create(pod("orphan", &none), 0).unwrap();
    store.update(controlled((*store.get(Kind::Pod, "default", "orphan").unwrap()).clone())).unwrap();
    assert_eq!(ranked(&store), Some(from + 1));
    for i in 0..from / 2 + 2 {
        store.delete(Kind::Pod, "default", &format!("p{i:03}"), 0).unwrap();
        store.check_indexes();
    }
    assert_eq!(ranked(&store), None, "dropped below half the threshold");
    assert!(store.pod_tally(owner).is_some_and(|t| t.active as usize == from / 2 - 1));
}

#[test]
fn a_ranking_holds_the_pods_a_controller_has_in_other_namespaces_too() {
    let mut store = store_with_namespaces(0);
    let owner = Uid(9);
    let controlled = |mut o: Object| {
        o.meta.owner_references =
            Arc::new(vec![crate::api::OwnerRef::controller_of(Kind::ReplicaSet, &"web".into(), owner)]);
        o
    };
    let none = BTreeMap::new();
    // Its tally counts pods wherever they are, so its ranking does (an ownerReference across
    // namespaces is a user's mistake the store still has to keep consistent).
    store.create(controlled(pod_in("zoo", "stray", &none)), 0).unwrap();
    for i in 0..tally::RANKED_FROM as usize {
        store.create(controlled(pod(&format!("p{i:03}"), &none)), 0).unwrap();
    }
    let ranked = store.pod_tally(owner).and_then(|t| t.ranking.as_ref()).map(|r| r.values().map(|g| g.len()).sum());
    assert_eq!(ranked, Some(tally::RANKED_FROM as usize + 1));
    store.check_indexes();
}

/// A status write shares the stored spec of a CronJob and of a Job (the status subresource
/// takes the spec from the stored version), so it copies no Job template; a spec write
/// stores the new spec.
#[test]
fn status_writes_share_the_stored_spec_of_cron_jobs_and_jobs() {
    let mut s = store_with_default_namespace(5);
    let template = json!({"spec": {"template": {"spec": {
        "restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}}}});
    let cron_job = Object::decode(json!({
        "apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": "tick", "namespace": "default"},
        "spec": {"schedule": "*/5 * * * *", "jobTemplate": template},
    }))
    .unwrap();
    let job = Object::decode(json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": "once", "namespace": "default"},
        "spec": template["spec"],
    }))
    .unwrap();
    let spec_of = |o: &Object| -> (
        Option<Arc<k8s_openapi::api::batch::v1::CronJobSpec>>,
        Option<Arc<k8s_openapi::api::batch::v1::JobSpec>>,
    ) {
        match &o.body {
            crate::api::Body::CronJob { spec, .. } => (Some(spec.clone()), None),
            crate::api::Body::Job { spec, .. } => (None, Some(spec.clone())),
            _ => (None, None),
        }
    };
    for obj in [cron_job, job] {
        let stored = s.create(obj, 0).unwrap();
        // A status write whose body carries another spec: the stored one is kept, shared.
        let mut update = (*stored).clone();
        match &mut update.body {
            crate::api::Body::CronJob { spec, status } => {
                Arc::make_mut(spec).schedule = "@hourly".into();
                status.last_schedule_time = Some(crate::api::meta::to_time(60_000));
            }
            crate::api::Body::Job { spec, status, .. } => {
                Arc::make_mut(spec).parallelism = Some(7);
                status.active = Some(1);
            }
            _ => unreachable!(),
        }
        let (_, written) = s.write(update, true).unwrap();
        assert_ne!(written.body, stored.body, "{}: the status changed", stored.meta.name);
        match (spec_of(&stored), spec_of(&written)) {
            ((Some(a), None), (Some(b), None)) => assert!(Arc::ptr_eq(&a, &b), "the CronJob's spec is shared"),
            ((None, Some(a)), (None, Some(b))) => assert!(Arc::ptr_eq(&a, &b), "the Job's spec is shared"),
            other => panic!("{other:?}"),
        }
        // A spec write stores the new spec.
        let mut update = (*written).clone();
        if let crate::api::Body::CronJob { spec, .. } = &mut update.body {
            Arc::make_mut(spec).schedule = "@hourly".into();
        } else if let crate::api::Body::Job { spec, .. } = &mut update.body {
            Arc::make_mut(spec).active_deadline_seconds = Some(60);
        }
        let (_, respecced) = s.write(update, false).unwrap();
        assert!(!respecced.same_spec(&written), "{}: the spec changed", stored.meta.name);
        assert_eq!(respecced.meta.generation, written.meta.generation + 1);
    }
}

/// A CronJob shows its status even when it is empty (upstream's is a struct, not a pointer),
/// and reading only the status gives what the whole object holds under `status`.
#[test]
fn a_cron_job_without_a_status_shows_an_empty_one() {
    let cron_job = Object::decode(json!({
        "apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": "tick", "namespace": "default"},
        "spec": {"schedule": "@hourly", "jobTemplate": {"spec": {"template": {"spec": {
            "restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}}}}},
    }))
    .unwrap();
    let whole = cron_job.to_json();
    assert_eq!(whole["status"], json!({}));
    assert_eq!(serde_json::to_value(cron_job.status_wire()).unwrap(), whole["status"]);
    assert_eq!(whole["spec"]["schedule"], "@hourly");
}

fn event(namespace: &str, name: &str, uid: &str) -> Object {
    Object::decode(json!({
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": name, "namespace": namespace},
        "involvedObject": {"kind": "Pod", "name": "p", "namespace": namespace, "uid": uid},
        "reason": "Test", "message": "m", "type": "Normal",
    }))
    .unwrap()
}

#[test]
fn events_are_found_by_the_uid_they_are_about_through_updates_and_deletes() {
    let mut s = store_with_namespaces(1);
    for (ns, name, uid) in
        [("default", "e1", "u1"), ("default", "e2", "u2"), ("zoo", "e3", "u1"), ("default", "e0", "u1")]
    {
        s.create(event(ns, name, uid), 0).unwrap();
    }
    let about = |s: &Store, uid: &str, ns: Option<&str>| {
        s.events_about(uid, ns).map(|e| format!("{}/{}", e.meta.namespace, e.meta.name)).collect::<Vec<_>>()
    };
    assert_eq!(about(&s, "u1", None), ["default/e0", "default/e1", "zoo/e3"]);
    assert_eq!(about(&s, "u1", Some("zoo")), ["zoo/e3"]);
    assert_eq!(about(&s, "u2", Some("default")), ["default/e2"]);
    assert!(about(&s, "u3", None).is_empty());
    s.check_indexes();
    // An update that points an Event at another object moves it in the index.
    let mut moved = (*s.get(Kind::Event, "default", "e1").unwrap()).clone();
    if let Body::Event(ev) = &mut moved.body {
        ev.uid = Some("u2".into());
    }
    s.update(moved).unwrap();
    assert_eq!(about(&s, "u1", None), ["default/e0", "zoo/e3"]);
    assert_eq!(about(&s, "u2", None), ["default/e1", "default/e2"]);
    s.delete(Kind::Event, "zoo", "e3", 0).unwrap();
    assert_eq!(about(&s, "u1", None), ["default/e0"]);
    s.check_indexes();
}

/// A Service as the census counts it: with a selector, an empty one, none, or an ExternalName
/// Service with a selector.
fn service(namespace: &str, name: &str, shape: u8) -> Object {
    let spec = match shape {
        0 => json!({"selector": {"app": name}, "ports": [{"port": 80}]}),
        1 => json!({"selector": {}, "ports": [{"port": 80}]}),
        2 => json!({"ports": [{"port": 80}]}),
        _ => json!({"type": "ExternalName", "externalName": "example.com", "selector": {"app": name}}),
    };
    Object::decode(json!({"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": name, "namespace": namespace}, "spec": spec}))
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// The census's count of Services with a pod selector, per namespace, equals a count of the
    /// stored Services through creates, updates that give or take the selector (or make the
    /// Service an ExternalName one), deletes and namespace deletions, and after a snapshot.
    #[test]
    fn selecting_services_are_counted_as_stored(
        ops in proptest::collection::vec((0u8..4, 0usize..3, 0usize..3, 0u8..4), 1..40),
    ) {
        let mut s = store_with_namespaces(5);
        let counted = |s: &Store, ns: &str| {
            s.scan(Kind::Service, Some(ns))
                .filter(|o| matches!(&o.body, Body::Service(svc) if crate::api::object::service_selector(svc).is_some()))
                .count() as u64
        };
        for (t, (op, ns, name, shape)) in ops.into_iter().enumerate() {
            let (ns, name) = (NAMESPACES[ns], ["a", "b", "c"][name]);
            let now = t as i64 * 1000;
            let _ = match op {
                0 => s.create(service(ns, name, shape), now).map(drop),
                1 => s.write(service(ns, name, shape), false).map(drop),
                2 => s.delete(Kind::Service, ns, name, now).map(drop),
                _ => s.delete(Kind::Namespace, "", ns, now).map(drop),
            };
            for ns in NAMESPACES {
                prop_assert_eq!(s.census().selecting_services(ns), counted(&s, ns), "{}", ns);
            }
        }
        s.check_indexes();
        let (bytes, series) = crate::snapshot::shared::writing(|| postcard::to_allocvec(&s).unwrap());
        let loaded: Store = crate::snapshot::shared::reading(series, 1, || postcard::from_bytes(&bytes).unwrap());
        prop_assert_eq!(loaded.census(), s.census());
    }
}

/// The same state writes the same bytes: the generated-name counters and the instant's
/// deletion counts (hashed maps, whose order std draws at random for each map) are written in
/// key order, so two stores that went through the same writes write the same snapshot.
#[test]
fn stores_with_the_same_history_write_the_same_bytes() {
    let build = || {
        let mut s = store_with_default_namespace(5);
        for i in 0..24 {
            let mut p = pod("placeholder", &BTreeMap::new());
            p.meta.name = "".into();
            p.meta.generate_name = Some(Arc::new(format!("web-{i}-")));
            s.create(p, 0).unwrap();
            s.create(deployment(&format!("d{i}"), 1), 0).unwrap();
            s.delete(Kind::Deployment, "default", &format!("d{i}"), 0).unwrap();
        }
        s
    };
    let write = |s: &Store| crate::snapshot::shared::writing(|| postcard::to_allocvec(s).unwrap()).0;
    assert_eq!(write(&build()), write(&build()));
}

#[test]
fn creates_are_refused_with_the_api_servers_messages_when_name_or_labels_are_invalid() {
    // A controller's object is built in place (not decoded): the store validates its name and
    // labels as the API server validates every create. (name, extra label value, message)
    let long_value = "v".repeat(64);
    let long_name = "p".repeat(254);
    let cases: [(&str, Option<&str>, Option<String>); 4] = [
        ("ok", Some("fine"), None),
        (
            "ok",
            Some(&long_value),
            Some(format!(
                "Pod \"ok\" is invalid: metadata.labels: Invalid value: \"{long_value}\": must be no more than 63 characters"
            )),
        ),
        (&long_name, None, Some(format!("Pod \"{long_name}\" is invalid: metadata.name: Invalid value: \"{long_name}\": must be no more than 253 characters"))),
        (
            "Web_1",
            None,
            Some("Pod \"Web_1\" is invalid: metadata.name: Invalid value: \"Web_1\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')".into()),
        ),
    ];
    for (name, value, want) in cases {
        let mut store = store_with_default_namespace(1);
        let mut obj = pod("placeholder", &BTreeMap::new());
        obj.meta.name = name.into();
        if let Some(v) = value {
            let mut labels = (*obj.meta.labels).clone();
            labels.insert("app".into(), v.into());
            obj.meta.labels = Arc::new(labels);
        }
        let before = store.resource_version();
        match (store.create(obj, 0), want) {
            (Ok(_), None) => {}
            (Err(StoreError::Invalid(e)), Some(want)) => {
                assert_eq!(e.server_message(), want);
                assert_eq!(store.resource_version(), before, "a refused create changes nothing");
            }
            (got, want) => panic!("{name}: {got:?}, wanted {want:?}"),
        }
    }
}
