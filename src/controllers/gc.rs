//! The garbage collector (`pkg/controller/garbagecollector`): dependents whose owners are all
//! gone are deleted; foreground deletion waits for blocking dependents; orphan deletion strips
//! the owner reference from dependents.

use std::sync::Arc;

use super::{Ctx, DeleteOptions, Propagation, Reconciled, Write};
use crate::api::{Kind, Object};
use crate::store::ObjectKey;

use crate::store::{FOREGROUND_FINALIZER as FOREGROUND, ORPHAN_FINALIZER as ORPHAN};

pub fn reconcile(ctx: &Ctx, key: &ObjectKey) -> Reconciled {
    let Some(obj) = ctx.store.get_by_key(key) else { return Reconciled::nothing() };
    let mut out = Reconciled::nothing();
    if obj.meta.deletion_timestamp().is_some() {
        let dependents = ctx.store.dependents(obj.meta.uid);
        if obj.meta.finalizers().iter().any(|f| f == ORPHAN) {
            for d in &dependents {
                let mut freed = (**d).clone();
                Arc::make_mut(&mut freed.meta.owner_references).retain(|r| r.uid != obj.meta.uid);
                out.writes.push(Write::Update(Box::new(freed)));
            }
            if dependents.is_empty() {
                out.writes.push(without_finalizer(obj, ORPHAN));
            }
            return out;
        }
        if obj.meta.finalizers().iter().any(|f| f == FOREGROUND) {
            let mut blocking = false;
            for d in &dependents {
                let blocks = d
                    .meta
                    .owner_references
                    .iter()
                    .any(|r| r.uid == obj.meta.uid && r.block_owner_deletion == Some(true));
                blocking |= blocks;
                if d.meta.deletion_timestamp().is_none() {
                    // upstream: dependents that have dependents of their own go foreground too.
                    let propagation = if ctx.store.dependents(d.meta.uid).is_empty() {
                        Propagation::Background
                    } else {
                        Propagation::Foreground
                    };
                    out.writes.push(Write::Delete {
                        key: ObjectKey::of(d),
                        options: DeleteOptions { propagation, uid: Some(d.meta.uid), ..Default::default() },
                    });
                }
            }
            if !blocking {
                out.writes.push(without_finalizer(obj, FOREGROUND));
            }
            return out;
        }
    }
    // A dependent: delete it once every owner is gone; drop references to owners that are gone.
    if obj.meta.owner_references.is_empty() || obj.meta.deletion_timestamp().is_some() {
        return out;
    }
    let present = |o: &crate::api::OwnerRef| ctx.store.owner(&obj.meta.namespace, o).is_some();
    let alive = obj.meta.owner_references.iter().filter(|r| present(r)).count();
    if alive == 0 {
        out.writes.push(Write::Delete {
            key: key.clone(),
            options: DeleteOptions {
                propagation: Propagation::Background,
                uid: Some(obj.meta.uid),
                ..Default::default()
            },
        });
    } else if alive < obj.meta.owner_references.len() && obj.kind() != Kind::Event {
        let mut trimmed = (**obj).clone();
        Arc::make_mut(&mut trimmed.meta.owner_references).retain(|r| present(r));
        out.writes.push(Write::Update(Box::new(trimmed)));
    }
    out
}

fn without_finalizer(obj: &Object, finalizer: &str) -> Write {
    let mut o = obj.clone();
    o.meta.finalizers_mut().retain(|f| f != finalizer);
    Write::Update(Box::new(o))
}
