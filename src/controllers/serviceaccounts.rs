//! The serviceaccounts controller (upstream: `pkg/controller/serviceaccount`,
//! `ServiceAccountsController`): every namespace that is not terminating has a `default`
//! ServiceAccount, created right after the namespace and again if it is deleted.

use serde_json::json;

use super::{Ctx, Reconciled, Write};
use crate::api::{Kind, Object};
use crate::store::ObjectKey;

/// upstream: the controller's ServiceAccounts option (`default`, from `DefaultServiceAccountsControllerOptions`).
pub const DEFAULT: &str = "default";

/// `key` is a namespace's.
pub fn reconcile(ctx: &Ctx, key: &ObjectKey) -> Reconciled {
    let Some(ns) = ctx.store.get_by_key(key) else { return Reconciled::nothing() };
    // upstream: syncNamespace skips a namespace that is not Active.
    if ns.meta.deletion_timestamp().is_some() || ctx.store.get(Kind::ServiceAccount, &ns.meta.name, DEFAULT).is_ok() {
        return Reconciled::nothing();
    }
    let manifest = json!({
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": DEFAULT, "namespace": &*ns.meta.name},
    });
    match Object::decode(manifest) {
        Ok(sa) => {
            Reconciled { writes: vec![Write::Create { obj: Box::new(sa), batch: 0, event: None }], requeue_at: None }
        }
        Err(_) => Reconciled::nothing(),
    }
}
