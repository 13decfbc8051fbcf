//! Revision history kept as ControllerRevisions, as the DaemonSet and StatefulSet controllers
//! keep it (upstream: pkg/controller/history and the DaemonSet controller's constructHistory,
//! snapshot and cleanupHistory): a revision's data is the owner's pod template as a
//! replacing patch, its name `<owner>-<hash>`, its number one past the newest.

use std::sync::Arc;

use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::apimachinery::pkg::runtime::RawExtension;
use serde_json::{json, Value};

use super::deployment::pod_template_hash;
use crate::api::meta::Meta;
use crate::api::template::PodTemplate;
use crate::api::{Body, Kind, Object, OwnerRef};

/// upstream: the revision's `data` — `{"spec":{"template":{…,"$patch":"replace"}}}`.
pub fn revision_data(template: &PodTemplate) -> Value {
    let mut t = serde_json::to_value(template.to_wire()).unwrap_or_else(|_| json!({}));
    if let Some(m) = t.as_object_mut() {
        m.insert("$patch".into(), "replace".into());
    }
    json!({"spec": {"template": t}})
}

/// The pod template a revision's data holds (without the `$patch` directive).
pub fn revision_template(cr: &Object) -> Option<Value> {
    let Body::ControllerRevision(r) = &cr.body else { return None };
    let mut t = r.data.as_ref()?.0.pointer("/spec/template")?.clone();
    t.as_object_mut()?.remove("$patch");
    Some(t)
}

pub fn revision_number(cr: &Object) -> i64 {
    match &cr.body {
        Body::ControllerRevision(r) => r.revision,
        _ => 0,
    }
}

/// Whether the revision holds this data (upstream: Match compares the patch bytes).
pub fn holds(cr: &Object, data: &Value) -> bool {
    matches!(&cr.body, Body::ControllerRevision(r) if r.data.as_ref().is_some_and(|d| d.0 == *data))
}

/// The revisions `owner` controls, oldest revision first (then by name).
pub fn owned_revisions(store: &crate::store::Store, owner: &Object) -> Vec<Arc<Object>> {
    let mut out: Vec<Arc<Object>> = store
        .dependents_of_kind(owner.meta.uid, Kind::ControllerRevision)
        .filter(|o| o.meta.controller_ref().is_some_and(|r| r.uid == owner.meta.uid))
        .cloned()
        .collect();
    out.sort_by(|a, b| revision_number(a).cmp(&revision_number(b)).then(a.meta.name.cmp(&b.meta.name)));
    out
}

/// upstream: controller.ComputeHash — the same FNV-32a and safe encoding as the Deployment's
/// pod-template-hash (kubesim's own canonical form of the template, not Go's spew dump).
pub fn template_hash(template: &PodTemplate, collision_count: Option<i32>) -> String {
    pod_template_hash(template, collision_count)
}

/// A new revision of `owner` (of `kind`): labels are the template's plus `hash_label`, the
/// owner's annotations are copied, the owner is its controller.
pub fn new_revision(
    owner: &Object,
    kind: Kind,
    template: &PodTemplate,
    hash_label: &str,
    hash: &str,
    revision: i64,
) -> Object {
    let mut labels = (*template.labels).clone();
    labels.insert(hash_label.to_string(), hash.to_string());
    let meta = Meta {
        name: format!("{}-{hash}", owner.meta.name).into(),
        namespace: owner.meta.namespace.clone(),
        labels: Arc::new(labels),
        annotations: owner.meta.annotations.clone(),
        owner_references: Arc::new(vec![OwnerRef::controller_of(kind, &owner.meta.name, owner.meta.uid)]),
        ..Default::default()
    };
    let body = apps::ControllerRevision {
        data: Some(RawExtension(revision_data(template))),
        revision,
        metadata: Default::default(),
    };
    Object { meta, body: Body::ControllerRevision(Box::new(body)) }
}

/// `cr` with another revision number.
pub fn renumbered(cr: &Object, revision: i64) -> Object {
    let mut out = cr.clone();
    if let Body::ControllerRevision(r) = &mut out.body {
        r.revision = revision;
    }
    out
}

/// upstream: cleanupHistory — the old revisions to delete, oldest first, so that at most
/// `limit` remain; a revision whose hash a live pod carries is kept.
pub fn to_prune<'a>(
    old: &'a [Arc<Object>],
    limit: usize,
    hash_label: &str,
    live: &dyn Fn(&str) -> bool,
) -> Vec<&'a Arc<Object>> {
    let mut to_kill = old.len().saturating_sub(limit);
    let mut out = Vec::new();
    for cr in old {
        if to_kill == 0 {
            break;
        }
        if cr.meta.labels.get(hash_label).is_some_and(|h| live(h)) {
            continue;
        }
        out.push(cr);
        to_kill -= 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::meta::Uid;

    fn revision(name: &str, n: i64, hash: &str) -> Arc<Object> {
        let meta = Meta {
            name: name.into(),
            labels: Arc::new([("controller-revision-hash".to_string(), hash.to_string())].into_iter().collect()),
            uid: Uid(n as u128),
            ..Default::default()
        };
        let body = apps::ControllerRevision { revision: n, ..Default::default() };
        Arc::new(Object { meta, body: Body::ControllerRevision(Box::new(body)) })
    }

    #[test]
    fn pruning_keeps_the_limit_and_every_revision_a_live_pod_carries() {
        let old: Vec<Arc<Object>> = (1..=5).map(|n| revision(&format!("r{n}"), n, &format!("h{n}"))).collect();
        let names = |v: Vec<&Arc<Object>>| v.iter().map(|o| o.meta.name.to_string()).collect::<Vec<_>>();
        // (limit, live hashes, pruned)
        let rows: [(usize, &[&str], &[&str]); 4] = [
            (5, &[], &[]),
            (2, &[], &["r1", "r2", "r3"]),
            (2, &["h1"], &["r2", "r3", "r4"]),
            (0, &["h2", "h5"], &["r1", "r3", "r4"]),
        ];
        for (limit, live, want) in rows {
            let got = names(to_prune(&old, limit, "controller-revision-hash", &|h| live.contains(&h)));
            assert_eq!(got, want, "limit {limit}, live {live:?}");
        }
    }

    #[test]
    fn revision_data_is_a_replacing_patch_of_the_template() {
        let t = PodTemplate::from_wire(Some(
            serde_json::from_value(json!({
                "metadata": {"labels": {"app": "a"}},
                "spec": {"containers": [{"name": "c", "image": "i"}]}
            }))
            .expect("template"),
        ));
        let data = revision_data(&t);
        assert_eq!(data["spec"]["template"]["$patch"], json!("replace"));
        assert_eq!(data["spec"]["template"]["metadata"]["labels"], json!({"app": "a"}));
        assert_eq!(data["spec"]["template"]["spec"]["containers"][0]["image"], json!("i"));
    }
}
