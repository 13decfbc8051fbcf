//! Manifest text (YAML or JSON, one or many documents) → objects → defaulting, validation and
//! the store, through `Cluster::apply_text` on a fresh one-node cluster. Whatever the text, the
//! answer is objects or a typed error: never a panic, a hang or unbounded memory.
#![no_main]

use _native::api::manifest::parse_documents;
use _native::cluster::{Cluster, ClusterOptions, NodeTemplate};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

thread_local! {
    static BASE: Cluster = Cluster::new(ClusterOptions {
        nodes: vec![NodeTemplate::numbered(1)],
        ..ClusterOptions::default()
    })
    .expect("a one-node cluster starts");
}

/// Replica counts are bounded by validation only at 2^31 − 1 (as upstream), and the apply of such
/// a count runs as long as it takes to create the pods: not what this target looks for.
const MAX_REPLICAS: u64 = 20;

fn small(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.iter().all(|(k, v)| {
            let count = k.to_ascii_lowercase().contains("replicas") || k == "completions" || k == "parallelism";
            !(count && v.as_f64().is_some_and(|n| n > MAX_REPLICAS as f64)) && small(v)
        }),
        Value::Array(a) => a.iter().all(small),
        _ => true,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let docs = match parse_documents(text, "fuzz.yaml") {
        Ok(docs) => docs,
        Err(e) => {
            // A syntax error is reported with its source.
            assert!(e.to_string().contains("fuzz.yaml"), "{e}");
            return;
        }
    };
    if docs.is_empty() || !docs.iter().all(|d| small(&d.value)) {
        return;
    }
    let mut c = BASE.with(Cluster::clone);
    let before = c.store().resource_version();
    let results = c.apply_text(text, "fuzz.yaml").expect("a text that parses applies document by document");
    assert_eq!(results.len(), docs.len());
    if results.iter().all(Result::is_err) {
        assert_eq!(c.store().resource_version(), before, "rejected documents change nothing");
    }
});
