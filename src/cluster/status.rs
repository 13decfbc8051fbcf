//! Status writes through the `/status` subresource (upstream: each kind's status strategy,
//! e.g. `deploymentStatusStrategy`): a write changes `.status` only; spec and metadata in the
//! body are ignored but for the resourceVersion precondition. What a client writes stands until
//! the controller that owns the status writes it again, as in a real cluster.

use std::sync::Arc;

use k8s_openapi::api::core::v1::PodStatus;
use serde_json::Value;

use super::Cluster;
use crate::api::{Body, Object};
use crate::error::Result;
use crate::store::ObjectKey;

impl Cluster {
    /// Replace an object's status (`PUT …/status`; a PATCH arrives here as the patched object).
    /// A non-zero resourceVersion in the body must be current (409 otherwise).
    pub fn replace_status_value(&mut self, value: Value) -> Result<Arc<Object>> {
        let decoded = Object::decode(value.clone())?;
        if !decoded.kind().has_status() {
            return Err(crate::error::KubesimError::InvalidArgument(format!(
                "{} have no status subresource",
                decoded.kind().resource()
            )));
        }
        let key = ObjectKey::of(&decoded);
        let obj = match decoded.body {
            // A pod's status is the kubelet's compact record, which a client's status must not
            // change: the client's status is kept beside it and shown until the kubelet writes.
            Body::Pod { .. } => {
                let stored = self.store.get_by_key(&key).cloned().ok_or_else(|| {
                    crate::store::StoreError::NotFound { kind: key.kind(), name: key.name.to_string() }
                })?;
                // Decoded with the pod above, so its types are already checked.
                let written: PodStatus =
                    serde_json::from_value(value.get("status").cloned().unwrap_or(Value::Null)).unwrap_or_default();
                let mut obj = (*stored).clone();
                if let Body::Pod { status, .. } = &mut obj.body {
                    status.set_written_status(Some(Arc::new(written)));
                }
                obj.meta.resource_version = decoded.meta.resource_version;
                obj
            }
            _ => decoded,
        };
        let (old, new) = self.store.write(obj, true)?;
        // The status write's own version, as upstream answers it (the owning controller may
        // already have written over it at this instant).
        let remaining = self.store.get_by_key(&key).cloned();
        self.user_wrote(Some(&old), remaining.as_ref())?;
        Ok(new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Kind;
    use crate::cluster::ClusterOptions;
    use serde_json::json;

    const POD: &str =
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: c\n    image: nginx\n";

    fn runtime(o: &Object) -> crate::api::pod::PodRuntime {
        let Body::Pod { status, .. } = &o.body else { panic!("not a pod") };
        status.clone()
    }

    #[test]
    fn a_client_pod_status_is_shown_beside_the_kubelet_record_until_the_kubelet_writes() {
        let mut c = Cluster::new(ClusterOptions::default()).unwrap();
        c.apply_text(POD, "t").unwrap();
        c.advance(10_000).unwrap();
        let before = c.get(Kind::Pod, "default", "web").unwrap();
        let mut doc = before.to_json();
        doc["status"] = json!({"phase": "Failed", "conditions": [{"type": "example.com/gate", "status": "True"}]});
        doc["spec"]["activeDeadlineSeconds"] = json!(5);
        let written = c.replace_status_value(doc).unwrap();
        assert_eq!(written.to_json()["status"]["phase"], "Failed");
        assert!(written.to_json()["spec"].get("activeDeadlineSeconds").is_none(), "spec is not written");
        let mut record = runtime(&written);
        record.set_written_status(None);
        assert_eq!(record, runtime(&before), "the kubelet's record is untouched");
        // A controller's status write carries the stored status along: it drops the client's.
        let carried = (*c.get(Kind::Pod, "default", "web").unwrap()).clone();
        let (_, after) = c.store.write(carried, true).unwrap();
        assert_eq!(after.to_json()["status"]["phase"], "Running");
        assert_eq!(runtime(&after), runtime(&before));
    }

    #[test]
    fn a_stale_resource_version_is_a_conflict() {
        let mut c = Cluster::new(ClusterOptions::default()).unwrap();
        c.apply_text(POD, "t").unwrap();
        let mut doc = c.get(Kind::Pod, "default", "web").unwrap().to_json();
        doc["metadata"]["resourceVersion"] = json!("1");
        let err = c.replace_status_value(doc).unwrap_err();
        assert!(err.to_string().contains("the object has been modified"), "{err}");
    }
}
