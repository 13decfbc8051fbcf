use super::*;
use crate::cluster::{Cluster, ClusterOptions};
use crate::metrics::{Demand, Usage};

const WEB: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 6
  selector: {matchLabels: {app: web}}
  strategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.25
        resources: {requests: {cpu: 100m}}
        readinessProbe: {httpGet: {path: /, port: 80}, periodSeconds: 5}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 10
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
";

fn cluster(threads: usize) -> Cluster {
    Cluster::new(ClusterOptions { threads, ..Default::default() }).expect("cluster")
}

/// Everything a client could see: each watch event's type, resourceVersion and object.
fn history(c: &Cluster, since: u64) -> Vec<(String, u64, serde_json::Value)> {
    c.watch_since(since)
        .expect("watch")
        .into_iter()
        .map(|e| (e.event_type.as_str().to_string(), e.resource_version, e.object.to_json()))
        .collect()
}

fn objects(c: &Cluster) -> Vec<serde_json::Value> {
    c.store().scan(crate::api::Kind::Pod, None).map(|o| o.to_json()).collect()
}

fn roundtrip(c: &Cluster, threads: usize) -> Cluster {
    let (bytes, series) = c.snapshot().expect("snapshot");
    assert!(series.is_empty());
    Cluster::from_snapshot(&bytes, "test.kubesim", series, threads).expect("load")
}

/// The same calls on the original and the loaded copy give the same history.
fn continue_both(a: &mut Cluster, b: &mut Cluster) {
    let since = a.store().resource_version();
    assert_eq!(since, b.store().resource_version());
    assert_eq!(history(a, 0), history(b, 0), "the watch log is saved");
    for c in [&mut *a, &mut *b] {
        c.apply_text(&WEB.replace("nginx:1.25", "nginx:1.26"), "web.yaml").expect("apply");
        c.advance(20_000).expect("advance");
        c.fail_node("node-2").expect("fail");
        c.advance(120_000).expect("advance");
    }
    assert_eq!(history(a, since), history(b, since));
    assert_eq!(objects(a), objects(b));
    assert_eq!(a.now(), b.now());
}

#[test]
fn a_loaded_cluster_continues_mid_rollout_exactly_as_the_original() {
    let mut a = cluster(1);
    a.apply_text(WEB, "web.yaml").expect("apply");
    a.advance(30_000).expect("advance");
    a.set_load("default", "web", Some(Demand::Constant(900)), None, Usage::default()).expect("load");
    a.advance(45_000).expect("advance");
    a.apply_text(&WEB.replace("nginx:1.25", "nginx:1.24"), "web.yaml").expect("apply");
    a.advance(1_500).expect("advance");
    let mut b = roundtrip(&a, 3);
    assert_eq!(b.threads(), 3);
    continue_both(&mut a, &mut b);
}

#[test]
fn a_loaded_or_forked_cluster_with_latencies_continues_exactly_as_the_original() {
    let latency = crate::sim::latency::Latency {
        informer_delay: 50,
        scheduler_qps: Some(2.0),
        scheduler_burst: 1,
        kubelet_sync_period: 1_000,
        pull_bandwidth: Some(20_000_000),
        serialize_image_pulls: true,
    };
    let mut a = Cluster::new(ClusterOptions { latency: latency.clone(), ..Default::default() }).expect("cluster");
    a.apply_text(WEB, "web.yaml").expect("apply");
    // Mid-way: pods waiting for scheduler tokens, pulls queued, changes not yet heard.
    a.advance(1_525).expect("advance");
    let bound = |c: &Cluster| c.store().scan(crate::api::Kind::Pod, None).filter(|p| node_of(p).is_some()).count();
    assert!((1..6).contains(&bound(&a)), "some pods wait for a token: {} bound", bound(&a));
    let mut b = roundtrip(&a, 2);
    assert_eq!(b.latency(), &latency);
    let (mut f, mut c) = (a.fork(), roundtrip(&a, 1));
    continue_both(&mut a, &mut b);
    continue_both(&mut f, &mut c);
    assert_eq!(history(&a, 0), history(&f, 0), "a fork continues as the original");
}

use crate::controllers::replicaset::node_of;

#[test]
fn stored_objects_and_shared_specs_are_written_once() {
    let mut a = cluster(1);
    a.apply_text(&WEB.replace("replicas: 6", "replicas: 60"), "web.yaml").expect("apply");
    a.advance(60_000).expect("advance");
    let (bytes, _) = a.snapshot().expect("snapshot");
    let b = roundtrip(&a, 1);
    let pods = b.store().scan(crate::api::Kind::Pod, None).collect::<Vec<_>>();
    assert_eq!(pods.len(), 10, "the HPA scaled to its maximum");
    let spec = |o: &crate::api::Object| match &o.body {
        crate::api::Body::Pod { spec, .. } => spec.clone(),
        _ => unreachable!(),
    };
    assert!(pods.windows(2).all(|w| Arc::ptr_eq(&spec(w[0]), &spec(w[1]))), "one spec for the pods of a template");
    // The current version of an object and its last watch event are one value.
    let last = b.watch_since(b.store().resource_version() - 1).expect("watch").remove(0);
    let stored = b.store().get_by_key(&crate::store::ObjectKey::of(&last.object)).expect("stored");
    assert!(Arc::ptr_eq(stored, &last.object));
    assert!(bytes.len() < 40_000, "{} bytes", bytes.len());
}

use std::sync::Arc;

#[test]
fn another_version_or_damaged_bytes_are_refused_with_the_file_named() {
    let (bytes, _) = cluster(1).snapshot().expect("snapshot");
    let load = |b: &[u8]| Cluster::from_snapshot(b, "saved.kubesim", vec![], 1).map(|_| ()).unwrap_err().to_string();

    let mut other = bytes.clone();
    other[MAGIC.len() + 3] = b'9';
    let message = load(&other);
    assert!(message.starts_with("saved.kubesim was saved by kubesim 9"), "{message}");
    assert!(message.contains(&format!("this is kubesim {VERSION}")), "{message}");

    let mut format = bytes.clone();
    format[MAGIC.len()] = 7;
    assert!(load(&format).contains("(snapshot format 7)"), "{}", load(&format));

    assert!(load(b"apiVersion: v1").starts_with("saved.kubesim is not a saved kubesim cluster"));
    assert!(load(&bytes[..5]).starts_with("saved.kubesim is truncated"), "{}", load(&bytes[..5]));
    assert!(
        load(&bytes[..bytes.len() / 2]).starts_with("saved.kubesim is truncated"),
        "{}",
        load(&bytes[..bytes.len() / 2])
    );

    let mut flipped = bytes.clone();
    let at = bytes.len() - 40;
    flipped[at] ^= 0x55;
    assert!(load(&flipped).starts_with("saved.kubesim is corrupt"), "{}", load(&flipped));
}

#[test]
fn uncompressed_frames_carry_the_same_header() {
    let framed = frame(b"payload", false).expect("frame");
    assert!(framed.starts_with(MAGIC));
    assert_eq!(unframe(&framed, "x").expect("unframe"), b"payload");
}

#[test]
fn loaded_indexes_match_the_objects_and_a_large_replicaset_scales_down_alike() {
    // 200 pods of one ReplicaSet (ranked from 128), scaled to 100: the original keeps its
    // ranking (kept down to half the threshold), the loaded copy rebuilds without it; the
    // next scale-down must pick the same pods either way.
    let big = WEB.split("---").next().expect("deployment").replace("replicas: 6", "replicas: 200");
    let mut a = cluster(2);
    a.apply_text(&big, "web.yaml").expect("apply");
    a.advance(60_000).expect("advance");
    a.apply_text(&big.replace("replicas: 200", "replicas: 100"), "web.yaml").expect("apply");
    a.advance(60_000).expect("advance");
    for threads in [1, 2] {
        let mut a = a.fork();
        let mut b = roundtrip(&a, threads);
        b.store().check_indexes();
        let since = a.store().resource_version();
        for c in [&mut a, &mut b] {
            c.apply_text(&big.replace("replicas: 200", "replicas: 70"), "web.yaml").expect("apply");
            c.advance(60_000).expect("advance");
        }
        assert_eq!(history(&a, since), history(&b, since));
        b.store().check_indexes();
    }
}
