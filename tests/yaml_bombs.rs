//! YAML built to exhaust the reader — alias expansion ("billion laughs"), deep nesting, huge
//! scalars — gets a typed error, without first taking the time or memory it asks for, and
//! leaves the cluster as it was. (Before the limits in `api::yaml_limits`, the nested flow
//! mappings below took minutes and the aliased scalar gigabytes.)

use _native::api::ApiError;
use _native::cluster::{Cluster, ClusterOptions, NodeTemplate};
use _native::KubesimError;

fn cluster() -> Cluster {
    Cluster::new(ClusterOptions { nodes: vec![NodeTemplate::numbered(1)], ..ClusterOptions::default() }).unwrap()
}

/// `apply_text` of `text` fails as a whole with a syntax error whose message contains `want`,
/// and writes nothing.
fn rejected(text: &str, want: &str) -> ApiError {
    let mut c = cluster();
    let before = c.store().resource_version();
    let err = c.apply_text(text, "bomb.yaml").expect_err("the text is rejected");
    assert_eq!(c.store().resource_version(), before, "nothing was written");
    match err {
        KubesimError::Api(e @ ApiError::Syntax { .. }) => {
            let message = e.to_string();
            assert!(message.starts_with("error parsing bomb.yaml (document 1"), "{message}");
            assert!(message.contains(want), "{message}");
            e
        }
        other => panic!("expected a syntax error, got {other:?}"),
    }
}

#[test]
fn billion_laughs_is_excessive_aliasing() {
    let mut text = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\nl0: &l0 \"lol\"\n");
    for i in 1..=9 {
        let refs = vec![format!("*l{}", i - 1); 9].join(", ");
        text += &format!("l{i}: &l{i} [{refs}]\n");
    }
    rejected(&text, "excessive aliasing");
}

#[test]
fn a_large_scalar_aliased_many_times_is_excessive_aliasing() {
    // Few events and few alias jumps (serde_yaml_ng's own repetition limit does not fire), but
    // 1,000 copies of a 1 MiB string.
    let mut text = format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: big}}\na: &a \"{}\"\n", "x".repeat(1 << 20));
    for (name, of) in [("b", "a"), ("c", "b"), ("d", "c")] {
        text += &format!("{name}: &{name} [{}]\n", vec![format!("*{of}"); 10].join(", "));
    }
    let err = rejected(&text, "excessive aliasing");
    assert!(matches!(err, ApiError::Syntax { line: 5, .. }), "the first alias over the budget: {err:?}");
}

#[test]
fn an_alias_of_itself_is_an_error() {
    let err = parse_error("a: &a [*a, *a]\n");
    assert!(!err.is_empty());
}

#[test]
fn deep_flow_nesting_is_refused_before_the_scanner_slows_down() {
    // libyaml's scanner revisits every open flow level on each token: 100,000 nested flow
    // mappings (400 kB) took over a minute to reach the reader's depth limit.
    // (Under a key: a text that starts with `{` is read as JSON, whose reader has its own limit.)
    let n = 100_000;
    let text = "x: ".to_string() + &"{a: ".repeat(n) + &"}".repeat(n);
    let err = rejected(&text, "nesting too deep");
    assert!(matches!(err, ApiError::Syntax { line: 1, .. }), "{err:?}");
    rejected(&("[".repeat(1_000_000) + &"]".repeat(1_000_000)), "nesting too deep");
    let json = "{\"a\": ".repeat(n) + "1" + &"}".repeat(n);
    rejected(&json, "recursion limit exceeded");
}

#[test]
fn deep_block_nesting_is_an_error() {
    let text = "- ".repeat(100_000) + "x\n";
    assert!(!parse_error(&text).is_empty());
}

#[test]
fn nesting_up_to_the_limit_reads() {
    let depth = _native::api::yaml_limits::MAX_DEPTH - 1;
    let text = format!("apiVersion: v1\nkind: Pod\nx: {}{}\n", "[".repeat(depth), "]".repeat(depth));
    let docs = _native::api::manifest::parse_documents(&text, "t").expect("127 levels under the top mapping");
    assert_eq!(docs.len(), 1);
}

#[test]
fn ordinary_anchors_and_aliases_still_apply() {
    let text = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: &labels {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: *labels
  template:
    metadata:
      labels: *labels
    spec:
      containers:
      - name: main
        image: nginx:1.25
        env: &env
        - {name: MODE, value: '*fast*'}
      - name: side
        image: busybox
        env: *env
";
    let mut c = cluster();
    let results = c.apply_text(text, "web.yaml").unwrap();
    assert_eq!(results[0].as_ref().unwrap().to_string(), "deployment.apps/web created");
}

#[test]
fn a_ten_megabyte_scalar_is_invalid_not_stored() {
    // Read (it is one value, 10 MB of text), then refused by validation like the API server
    // does: kubectl's last-applied-configuration would carry it over the annotation limit.
    let text = format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: big}}\nspec:\n  containers:\n  - name: c\n    image: busybox\n    args: [\"{}\"]\n",
        "x".repeat(10 << 20)
    );
    let mut c = cluster();
    let before = c.store().resource_version();
    let results = c.apply_text(&text, "big.yaml").unwrap();
    let err = results[0].as_ref().expect_err("too large to store");
    assert!(err.to_string().contains("metadata.annotations: Too long: may not be more than 262144 bytes"), "{err}");
    assert_eq!(c.store().resource_version(), before, "nothing was written");
}

fn parse_error(text: &str) -> String {
    _native::api::manifest::parse_documents(text, "t").expect_err("an error").to_string()
}
