//! The latency knobs' exact effect in virtual time (see `crate::sim::latency`), and node
//! templates' drawn `ready_after`.

use super::*;
use crate::kubelet::dist::Dist;
use crate::kubelet::images::ImageProfile;
use crate::sim::latency::Latency;

fn cluster(nodes: usize, threads: usize, latency: Latency) -> Cluster {
    let nodes = (1..=nodes).map(NodeTemplate::numbered).collect();
    let mut c = Cluster::new(ClusterOptions { seed: 7, threads, nodes, latency, ..Default::default() }).unwrap();
    c.engine.parallel_threshold = 1;
    c
}

fn deployment(name: &str, image: &str, replicas: u32) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec:\n  replicas: {replicas}\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec: {{containers: [{{name: c, image: \"{image}\"}}]}}\n"
    )
}

fn pod(name: &str, image: &str) -> String {
    format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec: {{containers: [{{name: c, image: \"{image}\"}}]}}\n")
}

fn apply(c: &mut Cluster, text: &str) {
    for r in c.apply_text(text, "t").unwrap() {
        r.unwrap();
    }
}

fn count(c: &Cluster, kind: Kind, f: impl Fn(&Object) -> bool) -> usize {
    c.store.scan(kind, None).filter(|o| f(o)).count()
}

fn bound(p: &Object) -> bool {
    crate::controllers::replicaset::node_of(p).is_some()
}

fn ready(p: &Object) -> bool {
    matches!(&p.body, crate::api::Body::Pod { status, .. } if status.is_ready())
}

fn started(p: &Object) -> bool {
    matches!(&p.body, crate::api::Body::Pod { status, .. } if status.start_time().is_some())
}

/// When (ms since the cluster started) each unit of `measure` appeared, up to `end` ms.
fn arrivals(c: &mut Cluster, end: Millis, measure: impl Fn(&Cluster) -> usize) -> Vec<Millis> {
    let start = c.clock().start();
    let mut out = vec![c.now() - start; measure(c)];
    while !c.run_to_change(start + end).unwrap() {
        let n = measure(c);
        out.resize(n.max(out.len()), c.now() - start);
    }
    out
}

#[test]
fn scheduler_qps_binds_pods_one_token_at_a_time() {
    // (qps, burst, replicas) → when each pod is bound, ms.
    let table: [(f64, u32, u32, &[Millis]); 3] = [
        (2.0, 1, 10, &[0, 500, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 4500]),
        (4.0, 3, 6, &[0, 0, 0, 250, 500, 750]),
        (1000.0, 1, 4, &[0, 1, 2, 3]),
    ];
    for (qps, burst, replicas, want) in table {
        let latency = Latency { scheduler_qps: Some(qps), scheduler_burst: burst, ..Default::default() };
        let mut c = cluster(3, 1, latency);
        apply(&mut c, &deployment("web", "nginx:1.25", replicas));
        let got = arrivals(&mut c, 10_000, |c| count(c, Kind::Pod, bound));
        assert_eq!(got, want, "qps {qps} burst {burst}: bound at");
    }
}

#[test]
fn informer_delay_postpones_each_controller_hop() {
    let latency = Latency { informer_delay: 50, ..Default::default() };
    let mut c = cluster(1, 1, latency);
    apply(&mut c, &deployment("web", "nginx:1.25", 2));
    // Deployment → ReplicaSet (50 ms) → pods (100 ms) → bound (150 ms); the kubelet has its own
    // knob and starts them at once: pulled 2 s and started 1 s later.
    let rs = arrivals(&mut c.clone(), 1_000, |c| count(c, Kind::ReplicaSet, |_| true));
    let pods = arrivals(&mut c.clone(), 1_000, |c| count(c, Kind::Pod, |_| true));
    let bound_at = arrivals(&mut c.clone(), 1_000, |c| count(c, Kind::Pod, bound));
    let ready_at = arrivals(&mut c, 10_000, |c| count(c, Kind::Pod, ready));
    assert_eq!((rs, pods, bound_at, ready_at), (vec![50], vec![100, 100], vec![150, 150], vec![3_150, 3_150]));
}

#[test]
fn kubelet_sync_period_starts_a_bound_pod_at_the_next_tick() {
    // (period, pod created at) → when its kubelet admits it (sets its start time).
    for (period, created, want) in [(1_000, 300, 1_000), (1_000, 1_000, 1_000), (10_000, 10_001, 20_000), (0, 300, 300)]
    {
        let latency = Latency { kubelet_sync_period: period, ..Default::default() };
        let mut c = cluster(1, 1, latency);
        c.advance(created).unwrap();
        apply(&mut c, &pod("p", "nginx:1.25"));
        assert_eq!(arrivals(&mut c, 60_000, |c| count(c, Kind::Pod, started)), [want], "period {period}");
    }
}

#[test]
fn pulls_take_size_over_bandwidth_and_queue_when_serialized() {
    // (serialized, bandwidth) → when pods of three 100 MB images (and a fourth pod of the first
    // image, which joins its pull) on one node are ready; they start 0 s after the pull.
    let table: [(bool, Option<u64>, [Millis; 4]); 4] = [
        (true, Some(50_000_000), [2_000, 2_000, 4_000, 6_000]),
        (false, Some(50_000_000), [2_000; 4]),
        (true, None, [3_000, 3_000, 6_000, 9_000]),
        (false, None, [3_000; 4]),
    ];
    for (serialize, bandwidth, want) in table {
        let latency = Latency { serialize_image_pulls: serialize, pull_bandwidth: bandwidth, ..Default::default() };
        let mut c = cluster(1, 1, latency);
        for image in ["a:1", "b:1", "c:1"] {
            let profile = ImageProfile { pull: 3_000, start: 0, size_bytes: 100_000_000, ..Default::default() };
            c.images_mut().register(image, profile);
        }
        let pods = [pod("p-a", "a:1"), pod("p-a2", "a:1"), pod("p-b", "b:1"), pod("p-c", "c:1")];
        apply(&mut c, &pods.join("---\n"));
        let got = arrivals(&mut c, 60_000, |c| count(c, Kind::Pod, ready));
        assert_eq!(got, want, "serialized {serialize}, bandwidth {bandwidth:?}");
    }
}

#[test]
fn serialized_pull_event_says_how_long_it_waited() {
    let latency = Latency { serialize_image_pulls: true, pull_bandwidth: Some(50_000_000), ..Default::default() };
    let mut c = cluster(1, 1, latency);
    for image in ["a:1", "b:1"] {
        c.images_mut().register(image, ImageProfile { size_bytes: 100_000_000, ..Default::default() });
    }
    apply(&mut c, &[pod("p-a", "a:1"), pod("p-b", "b:1")].join("---\n"));
    c.advance(10_000).unwrap();
    let pulled: Vec<String> = c
        .store
        .scan(Kind::Event, None)
        .filter_map(|e| e.to_json()["message"].as_str().map(String::from))
        .filter(|m| m.starts_with("Successfully pulled"))
        .collect();
    assert_eq!(
        pulled,
        [
            "Successfully pulled image \"a:1\" in 2s (2s including waiting). Image size: 100000000 bytes.",
            "Successfully pulled image \"b:1\" in 2s (4s including waiting). Image size: 100000000 bytes.",
        ]
    );
}

fn booting_nodes(seed: u64, threads: usize, ready_after: Dist) -> (Vec<Millis>, Vec<String>) {
    let nodes = (1..=3).map(|i| NodeTemplate { ready_after: Some(ready_after.clone()), ..NodeTemplate::numbered(i) });
    let options = ClusterOptions { seed, threads, nodes: nodes.collect(), ..Default::default() };
    let mut c = Cluster::new(options).unwrap();
    c.engine.parallel_threshold = 1;
    c.store.set_watch_capacity(usize::MAX);
    apply(&mut c, &deployment("web", "nginx:1.25", 6));
    let node_ready = |n: &Object| {
        n.to_json()["status"]["conditions"]
            .as_array()
            .is_some_and(|cs| cs.iter().any(|c| c["type"] == "Ready" && c["status"] == "True"))
    };
    let ready_at = arrivals(&mut c, 120_000, |c| count(c, Kind::Node, node_ready));
    let history =
        c.watch_since(0).unwrap().into_iter().map(|e| format!("{} {}", e.resource_version, e.object.to_json()));
    (ready_at, history.collect())
}

#[test]
fn nodes_become_ready_after_their_drawn_time_and_take_pods_only_then() {
    let (ready_at, _) = booting_nodes(1, 1, Dist::Fixed(5_000));
    assert_eq!(ready_at, [5_000, 5_000, 5_000]);
    let nodes = vec![NodeTemplate { ready_after: Some(Dist::Fixed(5_000)), ..NodeTemplate::numbered(1) }];
    let mut c = Cluster::new(ClusterOptions { nodes, ..Default::default() }).unwrap();
    apply(&mut c, &deployment("web", "nginx:1.25", 2));
    let taints = |c: &Cluster| c.get(Kind::Node, "", "node-1").unwrap().to_json()["spec"]["taints"].clone();
    assert_eq!(taints(&c), serde_json::json!([{"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}]));
    assert_eq!(arrivals(&mut c, 60_000, |c| count(c, Kind::Pod, bound)), [5_000, 5_000]);
    assert_eq!(taints(&c), serde_json::Value::Null, "the not-ready taint goes when the node is Ready");
}

#[test]
fn drawn_node_ready_times_depend_on_the_seed_and_the_name_only() {
    let dist = Dist::Uniform { low: 1_000, high: 60_000 };
    let (a1, h1) = booting_nodes(1, 1, dist.clone());
    let (a2, h2) = booting_nodes(1, 2, dist.clone());
    assert_eq!((&a1, &h1), (&a2, &h2), "the same seed: the same history for 1 and 2 threads");
    let (b, _) = booting_nodes(2, 1, dist.clone());
    assert_ne!(a1, b, "another seed draws other times");
    assert!(a1.windows(2).any(|w| w[0] != w[1]), "each node draws its own: {a1:?}");
    // A node's draw depends on the seed and its name, not on the other nodes.
    let t =
        |name: &str| NodeTemplate { name: name.into(), ready_after: Some(dist.clone()), ..NodeTemplate::numbered(0) };
    assert_eq!(t("node-2").draw_ready_after(1), t("node-2").draw_ready_after(1));
    assert_ne!(t("node-2").draw_ready_after(1), t("node-3").draw_ready_after(1));
}

#[test]
fn bad_node_ready_after_is_named() {
    let nodes = vec![NodeTemplate { ready_after: Some(Dist::Fixed(-5)), ..NodeTemplate::numbered(1) }];
    let err = Cluster::new(ClusterOptions { nodes, ..Default::default() }).unwrap_err().to_string();
    assert!(err.contains("node node-1: ready_after: must not be negative"), "{err}");
    let latency = Latency { informer_delay: -1, ..Default::default() };
    let err = Cluster::new(ClusterOptions { latency, ..Default::default() }).unwrap_err().to_string();
    assert!(err.contains("informer_delay must be between 0 and 24h"), "{err}");
}

/// A busy run with every knob on: its watch history.
fn busy_history(threads: usize) -> Vec<String> {
    let latency = Latency {
        informer_delay: 50,
        scheduler_qps: Some(20.0),
        scheduler_burst: 5,
        kubelet_sync_period: 1_000,
        pull_bandwidth: Some(30_000_000),
        serialize_image_pulls: true,
    };
    let mut c = cluster(3, threads, latency);
    c.store.set_watch_capacity(usize::MAX);
    c.images_mut().register("app:*", ImageProfile { crash_after: Some(20_000), ..Default::default() });
    let text: Vec<String> = (0..3).map(|i| deployment(&format!("web-{i}"), &format!("nginx:1.2{i}"), 12)).collect();
    apply(&mut c, &text.join("---\n"));
    apply(&mut c, &deployment("crash", "app:1", 4));
    c.advance(30_000).unwrap();
    apply(&mut c, &deployment("web-0", "nginx:1.27", 12));
    c.advance(20_000).unwrap();
    c.fail_node("node-2").unwrap();
    c.advance(120_000).unwrap();
    c.delete(Kind::Deployment, "default", "web-1").unwrap();
    c.advance(60_000).unwrap();
    c.watch_since(0).unwrap().iter().map(|e| format!("{} {}", e.resource_version, e.object.to_json())).collect()
}

#[test]
fn latencies_give_the_same_history_for_one_and_two_threads() {
    let one = busy_history(1);
    assert_eq!(one, busy_history(2));
    assert!(one.len() > 500, "a busy run: {} events", one.len());
}
