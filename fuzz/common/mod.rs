//! What more than one fuzz target starts from.

use _native::cluster::{Cluster, ClusterOptions, NodeTemplate};

/// A one-node cluster holding `objects` (manifest text), run for `ms` of virtual time.
pub fn cluster_with(objects: &str, ms: i64) -> Cluster {
    let mut c = Cluster::new(ClusterOptions { nodes: vec![NodeTemplate::numbered(1)], ..ClusterOptions::default() })
        .expect("a one-node cluster starts");
    for r in c.apply_text(objects, "objects.yaml").expect("parses") {
        r.expect("applies");
    }
    c.advance(ms).expect("the cluster runs");
    c
}
