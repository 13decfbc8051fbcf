//! The Eviction API (`POST /api/v1/namespaces/{ns}/pods/{name}/eviction`, upstream
//! `pkg/registry/core/pod/storage/eviction.go`): delete a pod unless a PodDisruptionBudget
//! forbids it, recording the granted disruption in the budget's status. workloads.md §2.2.

use std::sync::Arc;

use k8s_openapi::api::policy::v1::PodDisruptionBudget;

use super::Cluster;
use crate::api::meta::to_time;
use crate::api::pod::Phase;
use crate::api::{Body, Kind, Object};
use crate::controllers::disruption;
use crate::error::Result;
use crate::store::{DeleteOptions, ObjectKey};

/// upstream: MaxDisruptedPodSize.
const MAX_DISRUPTED_PODS: usize = 2000;

/// What an eviction asks for: the pod, the DeleteOptions it carries, and a dry run.
#[derive(Clone, Debug, Default)]
pub struct Eviction {
    pub namespace: String,
    pub name: String,
    pub options: DeleteOptions,
    pub dry_run: bool,
}

/// An eviction the API server refuses, as its Status says it.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct EvictionError {
    /// 429 TooManyRequests, 403 Forbidden or 500.
    pub code: u16,
    /// `TooManyRequests`, `Forbidden`, or empty for the 500 (upstream sends that Status with
    /// no reason).
    pub reason: &'static str,
    pub message: String,
    /// `details.causes`: (reason, message).
    pub causes: Vec<(String, String)>,
    /// `details.retryAfterSeconds` (429 only).
    pub retry_after_seconds: Option<u32>,
    /// The budget that refused, if one did.
    pub budget: Option<String>,
}

impl EvictionError {
    fn too_many_requests(budget: &str, cause: String, retry_after: u32) -> EvictionError {
        EvictionError {
            code: 429,
            reason: "TooManyRequests",
            message: "Cannot evict pod as it would violate the pod's disruption budget.".into(),
            causes: vec![("DisruptionBudget".into(), cause)],
            retry_after_seconds: (retry_after > 0).then_some(retry_after),
            budget: Some(budget.into()),
        }
    }

    fn forbidden(budget: &str, why: &str) -> EvictionError {
        EvictionError {
            code: 403,
            reason: "Forbidden",
            message: format!("poddisruptionbudget.policy \"{budget}\" is forbidden: {why}"),
            causes: Vec::new(),
            retry_after_seconds: None,
            budget: Some(budget.into()),
        }
    }
}

impl Cluster {
    /// Evict a pod as the API server's eviction subresource does: a pod that is Pending,
    /// finished or already terminating is deleted at once; otherwise the one budget selecting
    /// it must allow a disruption (decremented, the pod recorded in `disruptedPods`), or an
    /// unready pod must be evictable under the budget's unhealthyPodEvictionPolicy. Before the
    /// delete the pod gets `DisruptionTarget=True`. A dry run changes nothing.
    pub fn evict(&mut self, e: &Eviction) -> Result<()> {
        let pod = self.store.get(Kind::Pod, &e.namespace, &e.name)?;
        if e.options.uid.is_some_and(|u| u != pod.meta.uid) {
            return Err(crate::store::StoreError::Conflict { kind: Kind::Pod, name: e.name.clone() }.into());
        }
        let Body::Pod { status, .. } = &pod.body else { return Ok(()) };
        // upstream: canIgnorePDB — such a pod has no budget to respect.
        let ignore_budget = matches!(status.phase, Phase::Succeeded | Phase::Failed | Phase::Pending)
            || pod.meta.deletion_timestamp().is_some();
        if ignore_budget {
            return self.delete_evicted(&pod, e);
        }
        let budgets: Vec<Arc<Object>> = disruption::budgets_selecting(&self.store, &pod).cloned().collect();
        if budgets.len() > 1 {
            return Err(EvictionError {
                code: 500,
                reason: "",
                message: "This pod has more than one PodDisruptionBudget, which the eviction subresource does not \
                          support."
                    .into(),
                causes: Vec::new(),
                retry_after_seconds: None,
                budget: None,
            }
            .into());
        }
        let Some(budget) = budgets.into_iter().next() else { return self.delete_evicted(&pod, e) };
        let Body::PodDisruptionBudget(pdb) = &budget.body else { return Ok(()) };
        let st = pdb.status.clone().unwrap_or_default();
        if !status.is_ready() {
            let always =
                pdb.spec.as_ref().and_then(|s| s.unhealthy_pod_eviction_policy.as_deref()) == Some("AlwaysAllow");
            // upstream: an unready pod may go without touching the budget when the policy says
            // AlwaysAllow, or (IfHealthyBudget, the default) when the application is not
            // disrupted now.
            if always || (st.current_healthy >= st.desired_healthy && st.desired_healthy > 0) {
                return self.delete_evicted(&pod, e);
            }
        }
        // upstream: checkAndDecrement.
        let name = &*budget.meta.name;
        if st.observed_generation.unwrap_or(0) < budget.meta.generation {
            let cause = format!("The disruption budget {name} is still being processed by the server.");
            return Err(EvictionError::too_many_requests(name, cause, 10).into());
        }
        if st.disruptions_allowed < 0 {
            return Err(EvictionError::forbidden(name, "pdb disruptions allowed is negative").into());
        }
        if st.disrupted_pods.as_ref().map_or(0, |m| m.len()) > MAX_DISRUPTED_PODS {
            let why = "DisruptedPods map too big - too many evictions not confirmed by PDB controller";
            return Err(EvictionError::forbidden(name, why).into());
        }
        if st.disruptions_allowed == 0 {
            let cause = format!(
                "The disruption budget {name} needs {} healthy pods and has {} currently",
                st.desired_healthy, st.current_healthy
            );
            return Err(EvictionError::too_many_requests(name, cause, 0).into());
        }
        if e.dry_run {
            return Ok(());
        }
        let now = self.clock.now();
        let mut new_status = st;
        new_status.disruptions_allowed -= 1;
        if new_status.disruptions_allowed == 0 {
            disruption::update_allowed_condition(&mut new_status, now);
        }
        new_status.disrupted_pods.get_or_insert_with(Default::default).insert(e.name.clone(), to_time(now));
        let updated = PodDisruptionBudget { status: Some(new_status), ..(**pdb).clone() };
        let obj = Object { meta: budget.meta.clone(), body: Body::PodDisruptionBudget(Box::new(updated)) };
        self.batching = true;
        let written = self.store.write(obj, true);
        let result = match written {
            Ok((old, new)) => self.user_wrote(Some(&old), Some(&new)).and_then(|()| self.delete_evicted(&pod, e)),
            Err(err) => Err(err.into()),
        };
        self.batching = false;
        result.and_then(|()| self.settle())
    }

    /// upstream: addConditionAndDeletePod — `DisruptionTarget=True`, then the delete with the
    /// eviction's options.
    fn delete_evicted(&mut self, pod: &Arc<Object>, e: &Eviction) -> Result<()> {
        if e.dry_run {
            return Ok(());
        }
        let was_batching = std::mem::replace(&mut self.batching, true);
        let result = self.mark_and_delete(pod, e);
        self.batching = was_batching;
        result.and_then(|()| if was_batching { Ok(()) } else { self.settle() })
    }

    fn mark_and_delete(&mut self, pod: &Arc<Object>, e: &Eviction) -> Result<()> {
        let mut marked = (**pod).clone();
        if let Body::Pod { status, .. } = &mut marked.body {
            status.set_disruption_target(self.clock.now(), crate::api::pod::Disruption::EvictionApi);
        }
        let (old, new) = self.store.write(marked, true)?;
        self.user_wrote(Some(&old), Some(&new))?;
        let key = ObjectKey::of(pod);
        let before = self.store.get_by_key(&key).cloned();
        let after = self.store.delete_with(&key, &e.options, self.clock.now())?;
        let remaining = self.store.get_by_key(&key).cloned();
        let _ = after;
        self.user_wrote(before.as_ref(), remaining.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::pod::Disruption;
    use crate::cluster::ClusterOptions;
    use k8s_openapi::api::core::v1::PodCondition;

    const POD: &str =
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: c\n    image: nginx\n";

    fn disruption_target(c: &Cluster) -> Vec<PodCondition> {
        let pod = c.get(Kind::Pod, "default", "web").unwrap();
        let Body::Pod { spec, status } = &pod.body else { panic!("not a pod") };
        let conditions = status.to_status(&pod.meta, spec).conditions.unwrap_or_default();
        conditions.into_iter().filter(|c| c.type_ == "DisruptionTarget").collect()
    }

    /// A pod marked `DisruptionTarget=True` (as an eviction does before its delete), then left.
    fn marked(by: Disruption, manifest: &str) -> Cluster {
        let mut c = Cluster::new(ClusterOptions::default()).unwrap();
        c.apply_text(manifest, "t").unwrap();
        c.advance(10_000).unwrap();
        let stored = c.get(Kind::Pod, "default", "web").unwrap();
        let mut pod = (*stored).clone();
        if let Body::Pod { status, .. } = &mut pod.body {
            status.set_disruption_target(c.clock.now(), by);
        }
        let (old, new) = c.store.write(pod, true).unwrap();
        c.user_wrote(Some(&old), Some(&new)).unwrap();
        c
    }

    #[test]
    fn a_disruption_target_left_on_a_pod_not_deleted_is_reset_after_two_minutes() {
        // upstream: syncStalePodDisruption — after stalePodDisruptionTimeout the condition is
        // set to False with no reason or message, at the time of the reset.
        let mut c = marked(Disruption::EvictionApi, POD);
        let at = c.clock.now();
        c.advance(disruption::STALE_POD_DISRUPTION_TIMEOUT - 1).unwrap();
        let before = disruption_target(&c);
        assert_eq!(before.len(), 1);
        assert_eq!((before[0].status.as_str(), before[0].reason.as_deref()), ("True", Some("EvictionByEvictionAPI")));
        c.advance(1).unwrap();
        let after = disruption_target(&c);
        assert_eq!(
            after,
            vec![PodCondition {
                type_: "DisruptionTarget".into(),
                status: "False".into(),
                last_transition_time: Some(to_time(at + disruption::STALE_POD_DISRUPTION_TIMEOUT)),
                ..Default::default()
            }]
        );
        // A later marking turns it True again, from that time.
        c.advance(5_000).unwrap();
        let stored = c.get(Kind::Pod, "default", "web").unwrap();
        let mut pod = (*stored).clone();
        if let Body::Pod { status, .. } = &mut pod.body {
            status.set_disruption_target(c.clock.now(), Disruption::EvictionApi);
        }
        let again = pod.body.clone();
        let Body::Pod { status, .. } = &again else { unreachable!() };
        assert_eq!(status.disruption_target(), Some((c.clock.now(), Disruption::EvictionApi)));
    }

    #[test]
    fn a_terminating_pod_keeps_its_disruption_target() {
        // upstream: a pod with a deletionTimestamp has no stale condition (a finalizer keeps
        // this one terminating past the timeout).
        let held = POD.replace("  name: web\n", "  name: web\n  finalizers: [example.com/hold]\n");
        let mut c = marked(Disruption::EvictionApi, &held);
        let pod = c.get(Kind::Pod, "default", "web").unwrap();
        c.delete_evicted(&pod, &Eviction::default()).unwrap();
        c.advance(2 * disruption::STALE_POD_DISRUPTION_TIMEOUT).unwrap();
        let pod = c.get(Kind::Pod, "default", "web").unwrap();
        assert!(pod.meta.deletion_timestamp().is_some(), "held by its finalizer");
        assert_eq!(disruption_target(&c)[0].status, "True");
    }
}
