//! Table-driven from upstream's behaviour (structured-merge-diff's `merge` tests: multiple
//! appliers, conflicts, forced applies, updaters taking ownership; apimachinery's conflict
//! messages).

use super::*;

fn deployment(replicas: i64, image: &str) -> Value {
    json!({"metadata": {"labels": {"app": "web"}},
           "spec": {"replicas": replicas, "template": {"spec": {"containers": [{"name": "c", "image": image}]}}}})
}

fn write(manager: &str) -> Write<'_> {
    Write { manager, api_version: "apps/v1", subresource: None, now: 0 }
}

/// Apply `config` as `manager` to `live` (a strategic merge, as the server merges), returning the
/// merged object.
fn apply_as(
    entries: &mut Vec<Entry>,
    manager: &str,
    live: &Value,
    config: &Value,
    force: bool,
) -> Result<Value, Conflicts> {
    let mut merged = live.clone();
    super::super::patch::strategic_merge(&mut merged, config).unwrap();
    apply(entries, &write(manager), config, live, &merged, force)?;
    Ok(merged)
}

fn owners(entries: &[Entry], path: &[&str]) -> Vec<String> {
    let path: Path = path.iter().map(|s| s.to_string()).collect();
    entries.iter().filter(|e| e.fields.contains(&path)).map(|e| e.manager.clone()).collect()
}

const REPLICAS: &[&str] = &["f:spec", "f:replicas"];
const IMAGE: &[&str] = &["f:spec", "f:template", "f:spec", "f:containers", "k:{\"name\":\"c\"}", "f:image"];

#[test]
fn appliers_and_updaters_own_and_conflict_as_upstream() {
    struct Row {
        what: &'static str,
        second: Value,
        force: bool,
        conflict: Option<&'static str>,
        replicas_owners: &'static [&'static str],
    }
    let rows = [
        Row {
            what: "the same value is shared, not a conflict",
            second: json!({"spec": {"replicas": 3}}),
            force: false,
            conflict: None,
            replicas_owners: &["a", "b"],
        },
        Row {
            what: "another value of a field another applier owns is a conflict",
            second: json!({"spec": {"replicas": 5}}),
            force: false,
            conflict: Some(r#"Apply failed with 1 conflict: conflict with "a" using apps/v1: .spec.replicas"#),
            replicas_owners: &["a"],
        },
        Row {
            what: "force takes the field from its owner",
            second: json!({"spec": {"replicas": 5}}),
            force: true,
            conflict: None,
            replicas_owners: &["b"],
        },
        Row {
            what: "a field nobody else owns is no conflict",
            second: json!({"spec": {"minReadySeconds": 5}}),
            force: false,
            conflict: None,
            replicas_owners: &["a"],
        },
        Row {
            what: "a keyed list item's field is owned on its own",
            second: json!({"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "v2"}]}}}}),
            force: false,
            conflict: Some(
                r#"Apply failed with 1 conflict: conflict with "a" using apps/v1: .spec.template.spec.containers[name="c"].image"#,
            ),
            replicas_owners: &["a"],
        },
        Row {
            what: "another item of a keyed list is no conflict",
            second: json!({"spec": {"template": {"spec": {"containers": [{"name": "d", "image": "v2"}]}}}}),
            force: false,
            conflict: None,
            replicas_owners: &["a"],
        },
    ];
    for row in rows {
        let mut entries = Vec::new();
        let live = apply_as(&mut entries, "a", &json!({}), &deployment(3, "v1"), false).unwrap();
        let before = entries.clone();
        match (apply_as(&mut entries, "b", &live, &row.second, row.force), row.conflict) {
            (Err(c), Some(message)) => {
                assert_eq!(c.message(), message, "{}", row.what);
                assert_eq!(entries, before, "{}: a conflict changes nothing", row.what);
            }
            (Ok(_), None) => {}
            (got, _) => panic!("{}: {got:?}", row.what),
        }
        assert_eq!(owners(&entries, REPLICAS), row.replicas_owners, "{}", row.what);
    }
}

#[test]
fn an_update_takes_the_fields_it_changes_and_a_later_apply_conflicts_with_it() {
    let mut entries = Vec::new();
    let live = apply_as(&mut entries, "a", &json!({}), &deployment(3, "v1"), false).unwrap();
    let scaled = deployment(5, "v1");
    let w = Write { manager: "kubectl-scale", api_version: "apps/v1", subresource: None, now: 61_000 };
    update(&mut entries, &w, &live, &scaled);
    assert_eq!(owners(&entries, REPLICAS), ["kubectl-scale"]);
    assert_eq!(owners(&entries, IMAGE), ["a"], "what the update left alone stays the applier's");
    let err = apply_as(&mut entries, "a", &scaled, &deployment(3, "v1"), false).unwrap_err();
    assert_eq!(
        err.message(),
        r#"Apply failed with 1 conflict: conflict with "kubectl-scale" using apps/v1 at 1970-01-01T00:01:01Z: .spec.replicas"#
    );
}

#[test]
fn several_conflicts_are_listed_by_manager() {
    let mut entries = Vec::new();
    let live = apply_as(&mut entries, "a", &json!({}), &deployment(3, "v1"), false).unwrap();
    let err = apply_as(&mut entries, "b", &live, &deployment(4, "v2"), false).unwrap_err();
    assert_eq!(
        err.message(),
        "Apply failed with 2 conflicts: conflicts with \"a\" using apps/v1:\n- .spec.replicas\n- .spec.template.spec.containers[name=\"c\"].image"
    );
}

#[test]
fn fields_v1_is_written_as_the_api_server_writes_it() {
    let mut entries = Vec::new();
    let config = json!({"metadata": {"labels": {"app": "web"}, "finalizers": ["x"]},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"spec": {"containers": [{"name": "c", "image": "v1", "ports": [{"containerPort": 80}]}]}}}});
    apply_as(&mut entries, "kubectl", &json!({}), &config, false).unwrap();
    assert_eq!(
        entries[0].to_json()["fieldsV1"],
        json!({"f:metadata": {"f:finalizers": {"v:\"x\"": {}}, "f:labels": {"f:app": {}}},
               "f:spec": {"f:replicas": {}, "f:selector": {},
                          "f:template": {"f:spec": {"f:containers": {"k:{\"name\":\"c\"}": {
                              ".": {}, "f:image": {}, "f:name": {},
                              "f:ports": {"k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {".": {}, "f:containerPort": {}}}}}}}}})
    );
    // An updater that adds a map owns the map itself too.
    let w = Write { manager: "kubectl-label", api_version: "apps/v1", subresource: None, now: 0 };
    let mut updates = Vec::new();
    update(&mut updates, &w, &json!({}), &json!({"metadata": {"annotations": {"a": "b"}}}));
    assert_eq!(updates[0].to_json()["fieldsV1"], json!({"f:metadata": {"f:annotations": {".": {}, "f:a": {}}}}));
}

#[test]
fn owned_part_leaves_out_identity_and_the_other_half() {
    let obj = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "uid": "u", "labels": {"a": "b"}},
                     "spec": {"x": 1}, "status": {"phase": "Running"}});
    assert_eq!(owned_part(&obj, false), json!({"metadata": {"labels": {"a": "b"}}, "spec": {"x": 1}}));
    assert_eq!(owned_part(&obj, true), json!({"status": {"phase": "Running"}}));
}

#[test]
fn an_applier_removes_what_it_stopped_setting_unless_another_manager_owns_it() {
    let first = json!({"metadata": {"labels": {"app": "web", "tier": "a"}, "finalizers": ["x"]},
        "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "v1"}, {"name": "d", "image": "v1"}]}}}});
    let mut entries = Vec::new();
    let live = apply_as(&mut entries, "a", &json!({}), &first, false).unwrap();
    // Another applier shares the finalizer.
    apply_as(&mut entries, "b", &live, &json!({"metadata": {"finalizers": ["x"]}}), false).unwrap();
    let second = json!({"metadata": {"labels": {"app": "web"}},
        "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "v1"}]}}}});
    let before = entries.clone();
    let mut body = second.clone();
    let mut merged = live.clone();
    super::super::patch::strategic_merge(&mut merged, &body).unwrap();
    apply(&mut entries, &write("a"), &second, &live, &merged, false).unwrap();
    let removed = pruned(&before, &entries, &write("a"));
    let paths: Vec<String> = removed.iter().map(path_string).collect();
    assert_eq!(
        paths,
        [".metadata.labels.tier", ".spec.template.spec.containers[name=\"d\"]"],
        "not the shared finalizer"
    );
    add_removals(&mut body, &removed);
    let mut result = live.clone();
    super::super::patch::strategic_merge(&mut result, &body).unwrap();
    assert_eq!(
        result,
        json!({"metadata": {"labels": {"app": "web"}, "finalizers": ["x"]},
               "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "v1"}]}}}})
    );
}
