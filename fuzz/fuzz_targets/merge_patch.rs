//! JSON merge patch (RFC 7386) as `Cluster::patch` applies it. The input is one JSON value (the
//! patch) or two (a target, then the patch). The merge itself is checked for idempotence; the
//! patch then goes to a live Deployment, where a rejected patch must leave it untouched.
#![no_main]

use std::sync::Arc;

use _native::api::Kind;
use _native::cluster::{merge_patch, Cluster, ClusterOptions, NodeTemplate};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels: {app: web}\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: main\n        image: nginx:1.25\n        resources:\n          requests: {cpu: 100m, memory: 64Mi}\n";

thread_local! {
    static BASE: Cluster = {
        let mut c = Cluster::new(ClusterOptions { nodes: vec![NodeTemplate::numbered(1)], ..ClusterOptions::default() })
            .expect("a one-node cluster starts");
        for r in c.apply_text(DEPLOYMENT, "web.yaml").expect("parses") {
            r.expect("applies");
        }
        c
    };
}

/// See the manifest target: large replica counts only make the settle long.
fn small(v: &Value) -> bool {
    match v {
        Value::Object(m) => {
            m.iter().all(|(k, v)| !(k.contains("eplicas") && v.as_f64().is_some_and(|n| n > 20.0)) && small(v))
        }
        Value::Array(a) => a.iter().all(small),
        _ => true,
    }
}

fuzz_target!(|data: &[u8]| {
    let values: Vec<Value> = serde_json::Deserializer::from_slice(data).into_iter().map_while(Result::ok).collect();
    let (target, patch) = match values.as_slice() {
        [patch] => (json!({"spec": {"replicas": 2, "template": {"metadata": {"labels": {"app": "web"}}}}}), patch),
        [target, patch, ..] => (target.clone(), patch),
        [] => return,
    };
    let mut once = target;
    merge_patch(&mut once, patch);
    let mut twice = once.clone();
    merge_patch(&mut twice, patch);
    assert_eq!(once, twice, "a merge patch is idempotent");
    if !small(patch) {
        return;
    }
    let mut c = BASE.with(Cluster::clone);
    let live = c.get(Kind::Deployment, "default", "web").expect("web is there");
    let before = c.store().resource_version();
    if c.patch(Kind::Deployment, "default", "web", patch).is_err() {
        let after = c.get(Kind::Deployment, "default", "web").expect("a rejected patch deletes nothing");
        assert!(Arc::ptr_eq(&live, &after), "a rejected patch leaves the object as it was");
        assert_eq!(c.store().resource_version(), before, "a rejected patch writes nothing");
    }
});
