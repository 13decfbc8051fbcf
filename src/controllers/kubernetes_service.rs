//! The API server's `kubernetes` Service (upstream: the kube-apiserver's
//! `controlplane/controller/kubernetesservice`): made when the API server starts and, every
//! `--endpoint-reconciler` interval (10 s) after, made again if someone deleted it.

use serde_json::{json, Value};

use super::{Ctx, Reconciled, Write};
use crate::api::allocate::{allocate, InUse};
use crate::api::{Body, Kind, Object};
use crate::sim::clock::Millis;
use crate::store::ObjectKey;

pub const NAMESPACE: &str = "default";
pub const NAME: &str = "kubernetes";
/// upstream: the controller's interval (`EndpointInterval`, 10 s), ticking from the API server's start.
pub const INTERVAL: Millis = 10_000;

/// The Service: the first IP of the service CIDR, https on 443 to the API server's secure port.
pub fn manifest() -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": NAME,
            "namespace": NAMESPACE,
            "labels": {"component": "apiserver", "provider": "kubernetes"},
        },
        "spec": {
            "type": "ClusterIP",
            "clusterIP": "10.96.0.1",
            "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}],
            "sessionAffinity": "None",
        },
    })
}

/// `key` is the Service's; it is reconciled when the Service is deleted.
pub fn reconcile(ctx: &Ctx, key: &ObjectKey) -> Reconciled {
    if ctx.store.get_by_key(key).is_some() {
        return Reconciled::nothing();
    }
    let next_tick =
        ctx.now.div_euclid(INTERVAL) * INTERVAL + if ctx.now.rem_euclid(INTERVAL) == 0 { 0 } else { INTERVAL };
    if ctx.now < next_tick {
        return Reconciled { writes: Vec::new(), requeue_at: Some(next_tick) };
    }
    let Ok(mut obj) = Object::decode(manifest()) else { return Reconciled::nothing() };
    let mut in_use = InUse::default();
    for o in ctx.store.scan(Kind::Service, None) {
        if let Body::Service(s) = &o.body {
            in_use.add(s);
        }
    }
    if let Body::Service(svc) = &mut obj.body {
        // upstream: a taken address fails the create; the next tick tries again.
        if !allocate(svc, &format!("{NAMESPACE}/{NAME}"), &in_use).is_empty() {
            return Reconciled { writes: Vec::new(), requeue_at: Some(ctx.now + INTERVAL) };
        }
    }
    Reconciled { writes: vec![Write::Create { obj: Box::new(obj), batch: 0, event: None }], requeue_at: None }
}
