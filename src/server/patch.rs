//! The PATCH bodies kubectl and the official client send, applied to an object's JSON:
//! strategic merge patch (with its directives), RFC 6902 JSON patch (RFC 7386 merge patch is
//! [`crate::cluster::merge_patch`]).

use serde_json::{Map, Value};

/// upstream: the keys of the built-in types' keyed lists (`x-kubernetes-list-map-keys`); the
/// first is the `patchMergeKey` strategic merge uses. `ports` are a container's (containerPort)
/// or a Service's (port), told apart by whether any element has a `containerPort`. Status lists
/// (`containerStatuses`) have a merge key but are atomic lists for server-side apply.
pub(super) fn list_map_keys(field: &str, container_ports: bool) -> Option<&'static [&'static str]> {
    Some(match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets"
        | "resourceClaims"
        | "schedulingGates"
        | "containerStatuses"
        | "initContainerStatuses" => &["name"],
        "volumeMounts" => &["mountPath"],
        "volumeDevices" => &["devicePath"],
        "conditions" | "addresses" => &["type"],
        "ownerReferences" => &["uid"],
        "hostAliases" => &["ip"],
        "topologySpreadConstraints" => &["topologyKey", "whenUnsatisfiable"],
        "ports" if container_ports => &["containerPort", "protocol"],
        "ports" => &["port", "protocol"],
        _ => return None,
    })
}

fn merge_key(field: &str, elements: &[&Value]) -> Option<&'static str> {
    list_map_keys(field, elements.iter().any(|e| e.get("containerPort").is_some())).map(|keys| keys[0])
}

/// upstream: lists of scalars with `patchStrategy:"merge"` (their elements are unioned).
fn merges_primitives(field: &str) -> bool {
    field == "finalizers"
}

/// Apply a strategic merge patch to `target` (both JSON objects).
pub fn strategic_merge(target: &mut Value, patch: &Value) -> Result<(), String> {
    let Value::Object(p) = patch else {
        return Err("strategic merge patch must be a JSON object".into());
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    merge_map(target, p)
}

fn directive(v: &Value) -> Option<&str> {
    v.get("$patch").and_then(Value::as_str)
}

/// A patch value with its directives taken out (what is stored when there is nothing to merge).
fn strip(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            Value::Object(m.iter().filter(|(k, _)| !k.starts_with('$')).map(|(k, v)| (k.clone(), strip(v))).collect())
        }
        Value::Array(a) => Value::Array(a.iter().filter(|e| directive(e).is_none()).map(strip).collect()),
        other => other.clone(),
    }
}

fn merge_map(target: &mut Value, patch: &Map<String, Value>) -> Result<(), String> {
    match patch.get("$patch").and_then(Value::as_str) {
        Some("replace") => {
            *target = strip(&Value::Object(patch.clone()));
            return Ok(());
        }
        Some("delete") => {
            *target = Value::Object(Map::new());
            return Ok(());
        }
        Some(other) => return Err(format!("unknown patch type: {other} in map")),
        None => {}
    }
    let Value::Object(t) = target else { return Err("expected a map".into()) };
    let mut orders: Vec<(&str, &Vec<Value>)> = Vec::new();
    for (k, v) in patch {
        if let Some(field) = k.strip_prefix("$setElementOrder/") {
            let Value::Array(order) = v else { return Err(format!("invalid {k}: not a list")) };
            orders.push((field, order));
        } else if let Some(field) = k.strip_prefix("$deleteFromPrimitiveList/") {
            if let (Some(Value::Array(list)), Value::Array(gone)) = (t.get_mut(field), v) {
                list.retain(|e| !gone.contains(e));
            }
        } else if k == "$retainKeys" || k == "$patch" {
            continue;
        } else if k.starts_with('$') {
            return Err(format!("unknown directive {k}"));
        } else if v.is_null() {
            t.remove(k);
        } else if let Value::Object(pm) = v {
            if directive(v) == Some("delete") {
                t.remove(k);
                continue;
            }
            let slot = t.entry(k.clone()).or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            merge_map(slot, pm)?;
        } else if let Value::Array(pl) = v {
            let merged = merge_list(k, t.get(k), pl)?;
            t.insert(k.clone(), merged);
        } else {
            t.insert(k.clone(), v.clone());
        }
    }
    // upstream: $retainKeys clears the keys of the map that the list does not name.
    if let Some(Value::Array(keep)) = patch.get("$retainKeys") {
        t.retain(|k, _| keep.iter().any(|x| x.as_str() == Some(k)));
    }
    for (field, order) in orders {
        if let Some(Value::Array(list)) = t.get_mut(field) {
            reorder(field, list, order);
        }
    }
    Ok(())
}

fn merge_list(field: &str, original: Option<&Value>, patch: &[Value]) -> Result<Value, String> {
    let original: Vec<Value> = match original {
        Some(Value::Array(a)) => a.clone(),
        _ => Vec::new(),
    };
    // upstream: a `{"$patch": "replace"}` element replaces the whole list.
    if patch.iter().any(|e| directive(e) == Some("replace")) {
        return Ok(strip(&Value::Array(patch.to_vec())));
    }
    if merges_primitives(field) && patch.iter().all(|e| !e.is_object()) {
        let mut out = original;
        for e in patch {
            if !out.contains(e) {
                out.push(e.clone());
            }
        }
        return Ok(Value::Array(out));
    }
    let elements: Vec<&Value> = original.iter().chain(patch).collect();
    let Some(key) = merge_key(field, &elements).filter(|_| elements.iter().all(|e| e.is_object())) else {
        return Ok(strip(&Value::Array(patch.to_vec())));
    };
    let mut out = original;
    for p in patch {
        let id = p.get(key);
        let at = id.and_then(|id| out.iter().position(|e| e.get(key) == Some(id)));
        match (directive(p), at) {
            (Some("delete"), Some(i)) => {
                out.remove(i);
            }
            (Some("delete"), None) => {}
            (Some(other), _) => return Err(format!("unknown patch type: {other} in list {field}")),
            (None, Some(i)) => {
                if let Value::Object(pm) = p {
                    merge_map(&mut out[i], pm)?;
                }
            }
            (None, None) => out.push(strip(p)),
        }
    }
    Ok(Value::Array(out))
}

/// upstream: `$setElementOrder` puts the listed elements in its order; the others follow.
fn reorder(field: &str, list: &mut [Value], order: &[Value]) {
    let elements: Vec<&Value> = list.iter().collect();
    let key = merge_key(field, &elements);
    let id = |e: &Value| -> Value {
        match key {
            Some(k) => e.get(k).cloned().unwrap_or(Value::Null),
            None => e.clone(),
        }
    };
    let rank = |e: &Value| order.iter().position(|o| id(o) == id(e)).unwrap_or(usize::MAX);
    // A stable sort keeps unlisted elements in their relative order.
    list.sort_by_key(rank);
}

/// Apply an RFC 6902 JSON patch.
pub fn json_patch(target: &mut Value, patch: &Value) -> Result<(), String> {
    let Value::Array(ops) = patch else { return Err("a JSON patch must be a list of operations".into()) };
    for op in ops {
        let name = op.get("op").and_then(Value::as_str).ok_or("an operation has no \"op\"")?;
        let path = op.get("path").and_then(Value::as_str).ok_or("an operation has no \"path\"")?;
        let value = || op.get("value").cloned().ok_or_else(|| format!("{name} operation has no \"value\""));
        match name {
            "add" => add(target, path, value()?)?,
            "remove" => {
                remove(target, path)?;
            }
            "replace" => {
                remove(target, path)?;
                add(target, path, value()?)?;
            }
            "move" | "copy" => {
                let from = op.get("from").and_then(Value::as_str).ok_or("an operation has no \"from\"")?;
                let v = if name == "move" { remove(target, from)? } else { pointer(target, from)?.clone() };
                add(target, path, v)?;
            }
            "test" => {
                if *pointer(target, path)? != value()? {
                    return Err(format!("testing value {path} failed"));
                }
            }
            other => return Err(format!("unexpected kind: {other}")),
        }
    }
    Ok(())
}

fn tokens(path: &str) -> Result<Vec<String>, String> {
    if path.is_empty() {
        return Ok(Vec::new());
    }
    let rest = path.strip_prefix('/').ok_or_else(|| format!("invalid path {path}"))?;
    Ok(rest.split('/').map(|t| t.replace("~1", "/").replace("~0", "~")).collect())
}

fn pointer<'a>(target: &'a Value, path: &str) -> Result<&'a Value, String> {
    let mut cur = target;
    for t in tokens(path)? {
        cur = match cur {
            Value::Object(m) => m.get(&t),
            Value::Array(a) => t.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => None,
        }
        .ok_or_else(|| format!("missing value at {path}"))?;
    }
    Ok(cur)
}

fn parent<'a>(target: &'a mut Value, path: &str) -> Result<(&'a mut Value, String), String> {
    let mut toks = tokens(path)?;
    let last = toks.pop().ok_or("cannot address the whole document")?;
    let mut cur = target;
    for t in toks {
        cur = match cur {
            Value::Object(m) => m.get_mut(&t),
            Value::Array(a) => t.parse::<usize>().ok().and_then(move |i| a.get_mut(i)),
            _ => None,
        }
        .ok_or_else(|| format!("missing value at {path}"))?;
    }
    Ok((cur, last))
}

fn add(target: &mut Value, path: &str, value: Value) -> Result<(), String> {
    if path.is_empty() {
        *target = value;
        return Ok(());
    }
    let (p, last) = parent(target, path)?;
    match p {
        Value::Object(m) => {
            m.insert(last, value);
        }
        Value::Array(a) => {
            let i = if last == "-" {
                a.len()
            } else {
                last.parse::<usize>().map_err(|_| format!("invalid index {last}"))?
            };
            if i > a.len() {
                return Err(format!("index {i} out of bounds at {path}"));
            }
            a.insert(i, value);
        }
        _ => return Err(format!("cannot add at {path}")),
    }
    Ok(())
}

fn remove(target: &mut Value, path: &str) -> Result<Value, String> {
    let (p, last) = parent(target, path)?;
    let missing = || format!("missing value at {path}");
    match p {
        Value::Object(m) => m.remove(&last).ok_or_else(missing),
        Value::Array(a) => {
            let i = last.parse::<usize>().map_err(|_| missing())?;
            (i < a.len()).then(|| a.remove(i)).ok_or_else(missing)
        }
        _ => Err(missing()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn set_image_patch_merges_containers_by_name() {
        // kubectl set image's body (apiserver.md §6).
        let mut d = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "nginx", "image": "nginx:1.14.2", "ports": [{"containerPort": 80}]},
            {"name": "side", "image": "busybox"}]}}}});
        let patch = json!({"spec": {"template": {"spec": {
            "$setElementOrder/containers": [{"name": "nginx"}, {"name": "side"}],
            "containers": [{"image": "nginx:1.9.1", "name": "nginx"}]}}}});
        strategic_merge(&mut d, &patch).unwrap();
        assert_eq!(
            d["spec"]["template"]["spec"]["containers"],
            json!([{"name": "nginx", "image": "nginx:1.9.1", "ports": [{"containerPort": 80}]},
                   {"name": "side", "image": "busybox"}])
        );
    }

    #[test]
    fn directives_delete_replace_and_order() {
        let mut d = json!({"metadata": {"finalizers": ["a"], "labels": {"x": "1", "y": "2"}},
                           "list": [{"name": "a"}, {"name": "b"}],
                           "spec": {"containers": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}});
        let patch = json!({"metadata": {"finalizers": ["b"], "labels": {"x": null}},
                           "list": [{"name": "z"}],
                           "spec": {"containers": [{"name": "b", "$patch": "delete"}],
                                    "$setElementOrder/containers": [{"name": "c"}, {"name": "a"}]}});
        strategic_merge(&mut d, &patch).unwrap();
        assert_eq!(d["metadata"], json!({"finalizers": ["a", "b"], "labels": {"y": "2"}}));
        assert_eq!(d["list"], json!([{"name": "z"}]), "a list without a merge key is replaced");
        assert_eq!(d["spec"]["containers"], json!([{"name": "c"}, {"name": "a"}]));
        let mut m = json!({"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}});
        let p = json!({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}});
        strategic_merge(&mut m, &p).unwrap();
        assert_eq!(m["spec"]["strategy"], json!({"type": "Recreate"}));
        let p = json!({"spec": {"strategy": {"$patch": "replace", "type": "X"}}});
        strategic_merge(&mut m, &p).unwrap();
        assert_eq!(m["spec"]["strategy"], json!({"type": "X"}));
    }

    #[test]
    fn json_patch_follows_rfc_6902() {
        let mut d = json!({"a": {"b": [1, 2]}, "c": "x"});
        let patch = json!([
            {"op": "add", "path": "/a/b/-", "value": 3},
            {"op": "replace", "path": "/c", "value": "y"},
            {"op": "test", "path": "/a/b/0", "value": 1},
            {"op": "copy", "from": "/c", "path": "/d"},
            {"op": "move", "from": "/a/b", "path": "/e"},
            {"op": "remove", "path": "/a"},
            {"op": "add", "path": "/f~1g", "value": true}]);
        json_patch(&mut d, &patch).unwrap();
        assert_eq!(d, json!({"c": "y", "d": "y", "e": [1, 2, 3], "f/g": true}));
        assert!(json_patch(&mut d, &json!([{"op": "test", "path": "/c", "value": "z"}])).is_err());
        assert!(json_patch(&mut d, &json!([{"op": "remove", "path": "/nope"}])).is_err());
    }
}
