//! Stored objects: compact metadata plus a per-kind body built from k8s-openapi wire types.
//! Decoding a manifest runs the API server's pipeline: strict decode, defaulting, validation.

use std::borrow::Cow;
use std::marker::PhantomData;
use std::sync::Arc;

use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::api::autoscaling::{v1 as autoscaling_v1, v2 as autoscaling};
use k8s_openapi::api::batch::v1 as batch;
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::api::discovery::v1 as discovery;
use k8s_openapi::api::policy::v1 as policy;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement, ObjectMeta};
use serde::de::DeserializeOwned;
use serde::{Serialize, Serializer};
use serde_json::Value;

use super::error::ApiError;
use super::kind::Kind;
use super::meta::{string_map, wire_map, Meta, StringMap};
use super::pod::PodRuntime;
use super::template::PodTemplate;
use super::{admitted_jobs, convert, defaults, validation};
use crate::labels::{Selector, SelectorError};

/// The per-kind part of an object. Pods hold their spec behind an `Arc` so that the pods of one
/// ReplicaSet share one template.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Body {
    Namespace {
        #[serde(with = "crate::snapshot::shared::wire")]
        spec: Option<core::NamespaceSpec>,
        #[serde(with = "crate::snapshot::shared::wire")]
        status: Option<core::NamespaceStatus>,
    },
    Node {
        #[serde(with = "crate::snapshot::shared::wire")]
        spec: Box<core::NodeSpec>,
        #[serde(with = "crate::snapshot::shared::wire")]
        status: Box<core::NodeStatus>,
    },
    /// `spec.template` lives in `template`; `spec.template` in the box is left empty.
    Deployment {
        #[serde(with = "crate::snapshot::shared::wire")]
        spec: Box<apps::DeploymentSpec>,
        #[serde(with = "crate::snapshot::shared::wire")]
        status: Box<apps::DeploymentStatus>,
        template: PodTemplate,
    },
    /// `spec.template` lives in `template` (shared with the pods), not in `spec`.
    ReplicaSet {
        spec: ReplicaSetSpec,
        #[serde(with = "crate::snapshot::shared::wire")]
        status: Box<apps::ReplicaSetStatus>,
        template: PodTemplate,
    },
    /// The spec is shared with the pod's siblings; the status is the compact runtime record.
    Pod {
        #[serde(with = "crate::snapshot::shared::pod_specs")]
        spec: Arc<core::PodSpec>,
        status: PodRuntime,
    },
    HorizontalPodAutoscaler {
        #[serde(with = "crate::snapshot::shared::wire")]
        spec: Box<autoscaling::HorizontalPodAutoscalerSpec>,
        #[serde(with = "crate::snapshot::shared::wire")]
        status: Box<autoscaling::HorizontalPodAutoscalerStatus>,
    },
    /// Events keep every field but metadata in the wire struct (its `metadata` stays default).
    Event(Box<super::event::EventBody>),
    /// The kinds no controller acts on keep the whole wire struct; its `metadata` stays default
    /// (the object's metadata is `Object::meta`).
    ConfigMap(#[serde(with = "crate::snapshot::shared::wire")] Box<core::ConfigMap>),
    Secret(#[serde(with = "crate::snapshot::shared::wire")] Box<core::Secret>),
    Service(#[serde(with = "crate::snapshot::shared::wire")] Box<core::Service>),
    ServiceAccount(#[serde(with = "crate::snapshot::shared::wire")] Box<core::ServiceAccount>),
    /// `spec.template` lives in `template` (shared with the pods); `spec.template` in the box is
    /// left empty.
    /// The spec is shared between versions (a status write copies none of it).
    Job {
        #[serde(with = "crate::snapshot::shared::wire")]
        spec: Arc<batch::JobSpec>,
        #[serde(with = "crate::snapshot::shared::wire")]
        status: Box<batch::JobStatus>,
        template: PodTemplate,
    },
    /// The spec is shared between versions (a status write copies no Job template).
    CronJob {
        #[serde(with = "crate::snapshot::shared::wire")]
        spec: Arc<batch::CronJobSpec>,
        #[serde(with = "crate::snapshot::shared::wire")]
        status: Box<batch::CronJobStatus>,
    },
    /// policy/v1; the disruption controller writes its status.
    PodDisruptionBudget(#[serde(with = "crate::snapshot::shared::wire")] Box<policy::PodDisruptionBudget>),
    /// `spec.template` lives in `template` (shared with the pods' specs' base); `spec.template`
    /// in the box is left empty.
    DaemonSet {
        #[serde(with = "crate::snapshot::shared::wire")]
        spec: Box<apps::DaemonSetSpec>,
        #[serde(with = "crate::snapshot::shared::wire")]
        status: Box<apps::DaemonSetStatus>,
        template: PodTemplate,
    },
    ControllerRevision(#[serde(with = "crate::snapshot::shared::wire")] Box<apps::ControllerRevision>),
    /// `spec.template` lives in `template`; `spec.template` in the box is left empty.
    StatefulSet {
        #[serde(with = "crate::snapshot::shared::wire")]
        spec: Box<apps::StatefulSetSpec>,
        #[serde(with = "crate::snapshot::shared::wire")]
        status: Box<apps::StatefulSetStatus>,
        template: PodTemplate,
    },
    PersistentVolumeClaim(#[serde(with = "crate::snapshot::shared::wire")] Box<core::PersistentVolumeClaim>),
    /// discovery.k8s.io/v1; the EndpointSlice controller writes those of Services with a selector.
    EndpointSlice(#[serde(with = "crate::snapshot::shared::wire")] Box<discovery::EndpointSlice>),
    /// v1 Endpoints; the endpoints controller writes those of Services with a selector.
    Endpoints(#[serde(with = "crate::snapshot::shared::wire")] Box<core::Endpoints>),
}

/// A ReplicaSet's spec other than its template (which is a shared [`PodTemplate`]).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ReplicaSetSpec {
    pub replicas: Option<i32>,
    pub min_ready_seconds: Option<i32>,
    pub selector: StoredSelector,
}

/// A `spec.selector` as stored: `matchLabels` as a sorted vector map, since the wire
/// `BTreeMap` allocates a 544-byte node even for the usual one entry. Absent and empty
/// `matchLabels` stay distinct, so the wire form round-trips.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StoredSelector {
    match_labels: Option<StringMap>,
    #[serde(with = "crate::snapshot::shared::wire")]
    match_expressions: Option<Vec<LabelSelectorRequirement>>,
}

impl StoredSelector {
    pub fn from_wire(s: LabelSelector) -> StoredSelector {
        StoredSelector {
            match_labels: s.match_labels.map(|m| string_map(Some(m))),
            match_expressions: s.match_expressions,
        }
    }
    pub fn to_wire(&self) -> LabelSelector {
        LabelSelector {
            match_labels: self.match_labels.as_ref().map(|m| wire_map(m).unwrap_or_default()),
            match_expressions: self.match_expressions.clone(),
        }
    }
    /// upstream: `metav1.LabelSelectorAsSelector`. (Made at each call: kept with every
    /// ReplicaSet, the made selector cost about 660 bytes a ReplicaSet.)
    pub fn selector(&self) -> Result<Selector, SelectorError> {
        Selector::from_parts(self.match_labels.iter().flatten(), self.match_expressions.as_deref().unwrap_or_default())
    }
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Object {
    pub meta: Meta,
    pub body: Body,
}

impl Object {
    /// `==`, without comparing a shared spec (a pod's, a Job's, a CronJob's) field by field when
    /// both share one.
    pub fn same(&self, other: &Object) -> bool {
        match (&self.body, &other.body) {
            (Body::Pod { spec: a, status: s }, Body::Pod { spec: b, status: t }) => {
                self.meta == other.meta && s == t && shared_eq(a, b)
            }
            (Body::CronJob { spec: a, status: s }, Body::CronJob { spec: b, status: t }) => {
                self.meta == other.meta && s == t && shared_eq(a, b)
            }
            (Body::Job { spec: a, status: s, template: ta }, Body::Job { spec: b, status: t, template: tb }) => {
                self.meta == other.meta && s == t && shared_eq(a, b) && ta == tb
            }
            _ => self == other,
        }
    }

    /// A new version of a pod that differs from `old` only in the kubelet's own bookkeeping
    /// (see [`PodRuntime::same_shown`]): the API would show the same object.
    pub fn changes_nothing_shown(&self, old: &Object) -> bool {
        match (&self.body, &old.body) {
            (Body::Pod { spec: a, status: s }, Body::Pod { spec: b, status: t }) => {
                self.meta == old.meta && shared_eq(a, b) && s.same_shown(t)
            }
            _ => false,
        }
    }

    pub fn kind(&self) -> Kind {
        match self.body {
            Body::Namespace { .. } => Kind::Namespace,
            Body::Node { .. } => Kind::Node,
            Body::Deployment { .. } => Kind::Deployment,
            Body::ReplicaSet { .. } => Kind::ReplicaSet,
            Body::Pod { .. } => Kind::Pod,
            Body::HorizontalPodAutoscaler { .. } => Kind::HorizontalPodAutoscaler,
            Body::Event(_) => Kind::Event,
            Body::ConfigMap(_) => Kind::ConfigMap,
            Body::Secret(_) => Kind::Secret,
            Body::Service(_) => Kind::Service,
            Body::ServiceAccount(_) => Kind::ServiceAccount,
            Body::Job { .. } => Kind::Job,
            Body::CronJob { .. } => Kind::CronJob,
            Body::PodDisruptionBudget(_) => Kind::PodDisruptionBudget,
            Body::DaemonSet { .. } => Kind::DaemonSet,
            Body::ControllerRevision(_) => Kind::ControllerRevision,
            Body::StatefulSet { .. } => Kind::StatefulSet,
            Body::PersistentVolumeClaim(_) => Kind::PersistentVolumeClaim,
            Body::EndpointSlice(_) => Kind::EndpointSlice,
            Body::Endpoints(_) => Kind::Endpoints,
        }
    }

    /// Does `other` have the same desired state? A change bumps `metadata.generation`.
    pub fn same_spec(&self, other: &Object) -> bool {
        match (&self.body, &other.body) {
            (Body::Deployment { spec: a, template: ta, .. }, Body::Deployment { spec: b, template: tb, .. }) => {
                a == b && ta == tb
            }
            (Body::ReplicaSet { spec: a, template: ta, .. }, Body::ReplicaSet { spec: b, template: tb, .. }) => {
                a == b && ta == tb
            }
            (Body::HorizontalPodAutoscaler { spec: a, .. }, Body::HorizontalPodAutoscaler { spec: b, .. }) => a == b,
            (Body::Pod { spec: a, .. }, Body::Pod { spec: b, .. }) => a == b,
            (Body::Node { spec: a, .. }, Body::Node { spec: b, .. }) => a == b,
            (Body::Namespace { spec: a, .. }, Body::Namespace { spec: b, .. }) => a == b,
            (Body::Event(a), Body::Event(b)) => a == b,
            (Body::ConfigMap(a), Body::ConfigMap(b)) => a == b,
            (Body::Secret(a), Body::Secret(b)) => a == b,
            (Body::Service(a), Body::Service(b)) => a.spec == b.spec,
            (Body::ServiceAccount(a), Body::ServiceAccount(b)) => a == b,
            (Body::Job { spec: a, template: ta, .. }, Body::Job { spec: b, template: tb, .. }) => a == b && ta == tb,
            (Body::CronJob { spec: a, .. }, Body::CronJob { spec: b, .. }) => a == b,
            (Body::PodDisruptionBudget(a), Body::PodDisruptionBudget(b)) => a.spec == b.spec,
            (Body::DaemonSet { spec: a, template: ta, .. }, Body::DaemonSet { spec: b, template: tb, .. }) => {
                a == b && ta == tb
            }
            (Body::ControllerRevision(a), Body::ControllerRevision(b)) => a == b,
            (Body::StatefulSet { spec: a, template: ta, .. }, Body::StatefulSet { spec: b, template: tb, .. }) => {
                a == b && ta == tb
            }
            (Body::PersistentVolumeClaim(a), Body::PersistentVolumeClaim(b)) => a.spec == b.spec,
            (Body::EndpointSlice(a), Body::EndpointSlice(b)) => a == b,
            (Body::Endpoints(a), Body::Endpoints(b)) => a == b,
            _ => false,
        }
    }

    /// Whether the kind tracks `metadata.generation` (workload kinds do; pods, nodes, events do not).
    pub fn has_generation(kind: Kind) -> bool {
        matches!(
            kind,
            Kind::Deployment
                | Kind::ReplicaSet
                | Kind::HorizontalPodAutoscaler
                | Kind::Job
                | Kind::CronJob
                | Kind::PodDisruptionBudget
                | Kind::DaemonSet
                | Kind::StatefulSet
        )
    }

    /// The full Kubernetes JSON, keys sorted as kubectl prints them.
    pub fn to_json(&self) -> Value {
        let mut value = to_value(&self.wire());
        if let Some(template) = self.template() {
            if let Some(t) = value.pointer_mut("/spec/template").and_then(Value::as_object_mut) {
                // The stored text was written from the typed spec; its value is the same object
                // without a typed spec in between.
                t.insert("spec".into(), template.spec_value());
            }
        }
        value
    }

    /// The object as the API server shows it, to serialize straight into any format (no JSON
    /// value in between), except a workload's `spec.template.spec`: it is left out, and is
    /// [`Object::template_spec_json`], to be put in its place (`to_json` shows how). Map keys come
    /// in the wire structs' field order; `to_json` sorts them.
    pub fn wire(&self) -> Wire<'_> {
        Wire(self)
    }

    /// A Deployment from its wire struct, defaulted and validated as a decoded one is.
    pub fn from_deployment(mut d: apps::Deployment) -> Result<Object, ApiError> {
        defaults::default_deployment(&mut d);
        check(Kind::Deployment, &d.metadata, validation::validate_deployment(&d))?;
        let mut spec = d.spec.unwrap_or_default();
        let template = PodTemplate::from_wire(Some(std::mem::take(&mut spec.template)));
        Ok(Object {
            meta: Meta::from_object_meta(d.metadata),
            body: Body::Deployment { spec: Box::new(spec), status: Box::new(d.status.unwrap_or_default()), template },
        })
    }

    /// A Deployment's wire struct, as the API server shows it (what `to_json` is the JSON of).
    pub fn deployment_wire(&self) -> Option<apps::Deployment> {
        let Body::Deployment { spec, status, template } = &self.body else { return None };
        let mut spec = (**spec).clone();
        spec.template = template.to_wire();
        Some(apps::Deployment {
            metadata: self.meta.to_object_meta(),
            spec: Some(spec),
            status: Some((**status).clone()),
        })
    }

    /// The object's `status` as [`Object::wire`] shows it, to serialize on its own (a handle
    /// reading its status need not make the rest of the object).
    pub fn status_wire(&self) -> StatusWire<'_> {
        StatusWire(self)
    }

    /// A workload's `spec.template.spec` as its stored JSON text (compact, fields in the typed
    /// spec's order), which [`Object::wire`] leaves out.
    pub fn template_spec_json(&self) -> Option<&Arc<str>> {
        self.template().map(PodTemplate::spec_json)
    }

    /// A workload's pod template.
    pub fn template(&self) -> Option<&PodTemplate> {
        match &self.body {
            Body::Deployment { template, .. }
            | Body::ReplicaSet { template, .. }
            | Body::Job { template, .. }
            | Body::DaemonSet { template, .. }
            | Body::StatefulSet { template, .. } => Some(template),
            _ => None,
        }
    }

    /// A typed Job (with its namespace) defaulted and validated as [`Object::decode`] would
    /// after decoding it: what a controller making Jobs from a typed template (the CronJob
    /// controller) creates, without writing the Job out as JSON to read it back.
    pub fn from_job(j: batch::Job) -> Result<Object, ApiError> {
        let spec = std::borrow::Cow::Owned(j.spec.unwrap_or_default());
        Object::job_with(j.metadata, spec, j.status)
    }

    /// [`Object::from_job`] of a Job with this metadata and spec (and no status), the spec
    /// read in place.
    pub fn job_from_spec(metadata: ObjectMeta, spec: &batch::JobSpec) -> Result<Object, ApiError> {
        Object::job_with(metadata, std::borrow::Cow::Borrowed(spec), None)
    }

    /// A spec admitted before (each Job a CronJob makes has its template's) is taken from
    /// [`admitted_jobs`]: only the metadata is defaulted and checked again.
    fn job_with(
        mut metadata: ObjectMeta,
        raw: std::borrow::Cow<'_, batch::JobSpec>,
        status: Option<batch::JobStatus>,
    ) -> Result<Object, ApiError> {
        let status = Box::new(status.unwrap_or_default());
        if let Some((spec, template)) = admitted_jobs::get(&raw) {
            defaults::default_job_labels(&mut metadata, &raw);
            if validation::validate_job_meta(&metadata).is_empty() {
                return Ok(Object {
                    meta: Meta::from_object_meta(metadata),
                    body: Body::Job { spec, status, template },
                });
            }
            // Invalid metadata: the whole pipeline below (whose label default does the same
            // again, to the same effect) words the errors as it always does.
        }
        let key = admitted_jobs::memoizable(&raw).then(|| raw.clone().into_owned());
        let mut j = batch::Job { metadata, spec: Some(raw.into_owned()), status: None };
        defaults::default_job(&mut j);
        check(Kind::Job, &j.metadata, validation::validate_job(&j))?;
        let mut spec = j.spec.unwrap_or_default();
        let template = PodTemplate::from_wire(Some(std::mem::take(&mut spec.template)));
        let spec = Arc::new(spec);
        if let Some(key) = key {
            admitted_jobs::put(key, &spec, &template);
        }
        Ok(Object { meta: Meta::from_object_meta(j.metadata), body: Body::Job { spec, status, template } })
    }

    /// Decode one manifest document the way the API server does: resolve apiVersion/kind,
    /// decode strictly (type errors and unknown fields name their field path), apply defaults,
    /// validate. The result is ready to create or update.
    pub fn decode(mut value: Value) -> Result<Object, ApiError> {
        let (api_version, kind_name) = type_meta(&value)?;
        let kind = Kind::from_type_meta(&api_version, &kind_name)
            .ok_or_else(|| ApiError::UnknownKind { api_version: api_version.clone(), kind: kind_name })?;
        normalize_quantities(&mut value);
        if matches!(kind, Kind::Deployment | Kind::ReplicaSet | Kind::DaemonSet | Kind::StatefulSet) {
            // `selector: {}` is a selector that selects everything, not a missing one (the wire
            // type reads both as empty): validation then says "empty selector is invalid".
            if let Some(sel) =
                value.pointer_mut("/spec/selector").filter(|s| s.as_object().is_some_and(|m| m.is_empty()))
            {
                *sel = serde_json::json!({"matchLabels": {}});
            }
        }
        if kind.namespaced() {
            // The API server takes the namespace from the request; kubesim's default is `default`.
            if let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut) {
                if meta.get("namespace").and_then(Value::as_str).is_none_or(str::is_empty) {
                    meta.insert("namespace".into(), "default".into());
                }
            }
        }
        let version = api_version.rsplit('/').next().unwrap_or_default().to_string();
        let obj = match kind {
            Kind::Namespace => {
                let mut n: core::Namespace = decode_strict(&value, kind, &version)?;
                defaults::default_namespace(&mut n);
                check(kind, &n.metadata, validation::validate_namespace(&n))?;
                Object {
                    meta: Meta::from_object_meta(n.metadata),
                    body: Body::Namespace { spec: n.spec, status: n.status },
                }
            }
            Kind::Node => {
                let mut n: core::Node = decode_strict(&value, kind, &version)?;
                defaults::default_node(&mut n);
                check(kind, &n.metadata, validation::validate_node(&n))?;
                Object {
                    meta: Meta::from_object_meta(n.metadata),
                    body: Body::Node {
                        spec: Box::new(n.spec.unwrap_or_default()),
                        status: Box::new(n.status.unwrap_or_default()),
                    },
                }
            }
            Kind::Deployment => Object::from_deployment(decode_strict(&value, kind, &version)?)?,
            Kind::ReplicaSet => {
                let mut rs: apps::ReplicaSet = decode_strict(&value, kind, &version)?;
                defaults::default_replica_set(&mut rs);
                check(kind, &rs.metadata, validation::validate_replica_set(&rs))?;
                let spec = rs.spec.unwrap_or_default();
                let template = PodTemplate::from_wire(spec.template);
                Object {
                    meta: Meta::from_object_meta(rs.metadata),
                    body: Body::ReplicaSet {
                        spec: ReplicaSetSpec {
                            replicas: spec.replicas,
                            min_ready_seconds: spec.min_ready_seconds,
                            selector: StoredSelector::from_wire(spec.selector),
                        },
                        status: Box::new(rs.status.unwrap_or_default()),
                        template,
                    },
                }
            }
            Kind::Pod => {
                let mut p: core::Pod = decode_strict(&value, kind, &version)?;
                defaults::default_pod(&mut p);
                check(kind, &p.metadata, validation::validate_pod(&p))?;
                // A client cannot write pod status through create/update; the kubelet owns it.
                let spec = p.spec.unwrap_or_default();
                let status = PodRuntime::default();
                Object { meta: Meta::from_object_meta(p.metadata), body: Body::Pod { spec: Arc::new(spec), status } }
            }
            Kind::HorizontalPodAutoscaler => {
                let mut h: autoscaling::HorizontalPodAutoscaler = if version == "v1" {
                    let v1: autoscaling_v1::HorizontalPodAutoscaler = decode_strict(&value, kind, &version)?;
                    convert::hpa_v1_to_v2(v1)
                } else {
                    decode_strict(&value, kind, &version)?
                };
                defaults::default_hpa(&mut h);
                check(kind, &h.metadata, validation::validate_hpa(&h))?;
                Object {
                    meta: Meta::from_object_meta(h.metadata),
                    body: Body::HorizontalPodAutoscaler {
                        spec: Box::new(h.spec.unwrap_or_default()),
                        status: Box::new(h.status.unwrap_or_default()),
                    },
                }
            }
            Kind::ConfigMap => {
                let mut cm: core::ConfigMap = decode_strict(&value, kind, &version)?;
                check(kind, &cm.metadata, validation::validate_config_map(&cm))?;
                let metadata = std::mem::take(&mut cm.metadata);
                Object { meta: Meta::from_object_meta(metadata), body: Body::ConfigMap(Box::new(cm)) }
            }
            Kind::Secret => {
                let mut secret: core::Secret = decode_strict(&value, kind, &version)?;
                defaults::default_secret(&mut secret);
                check(kind, &secret.metadata, validation::validate_secret(&secret))?;
                let metadata = std::mem::take(&mut secret.metadata);
                Object { meta: Meta::from_object_meta(metadata), body: Body::Secret(Box::new(secret)) }
            }
            Kind::Service => {
                let mut svc: core::Service = decode_strict(&value, kind, &version)?;
                defaults::default_service(&mut svc);
                check(kind, &svc.metadata, validation::validate_service(&svc))?;
                let metadata = std::mem::take(&mut svc.metadata);
                Object { meta: Meta::from_object_meta(metadata), body: Body::Service(Box::new(svc)) }
            }
            Kind::ServiceAccount => {
                let mut sa: core::ServiceAccount = decode_strict(&value, kind, &version)?;
                check(kind, &sa.metadata, validation::validate_service_account(&sa))?;
                let metadata = std::mem::take(&mut sa.metadata);
                Object { meta: Meta::from_object_meta(metadata), body: Body::ServiceAccount(Box::new(sa)) }
            }
            Kind::Job => Object::from_job(decode_strict(&value, kind, &version)?)?,
            Kind::CronJob => {
                let mut cj: batch::CronJob = decode_strict(&value, kind, &version)?;
                defaults::default_cron_job(&mut cj);
                check(kind, &cj.metadata, validation::validate_cron_job(&cj))?;
                let body = Body::CronJob {
                    spec: Arc::new(cj.spec.unwrap_or_default()),
                    status: Box::new(cj.status.unwrap_or_default()),
                };
                Object { meta: Meta::from_object_meta(cj.metadata), body }
            }
            Kind::PodDisruptionBudget => {
                let mut pdb: policy::PodDisruptionBudget = decode_strict(&value, kind, &version)?;
                check(kind, &pdb.metadata, validation::validate_pod_disruption_budget(&pdb))?;
                // upstream: the status is the controller's; a new one starts zeroed (PrepareForCreate).
                pdb.status.get_or_insert_with(Default::default);
                let metadata = std::mem::take(&mut pdb.metadata);
                Object { meta: Meta::from_object_meta(metadata), body: Body::PodDisruptionBudget(Box::new(pdb)) }
            }
            Kind::DaemonSet => {
                let mut ds: apps::DaemonSet = decode_strict(&value, kind, &version)?;
                defaults::default_daemon_set(&mut ds);
                check(kind, &ds.metadata, validation::validate_daemon_set(&ds))?;
                let mut spec = ds.spec.unwrap_or_default();
                let template = PodTemplate::from_wire(Some(std::mem::take(&mut spec.template)));
                Object {
                    meta: Meta::from_object_meta(ds.metadata),
                    body: Body::DaemonSet {
                        spec: Box::new(spec),
                        status: Box::new(ds.status.unwrap_or_default()),
                        template,
                    },
                }
            }
            Kind::ControllerRevision => {
                let mut cr: apps::ControllerRevision = decode_strict(&value, kind, &version)?;
                check(kind, &cr.metadata, validation::validate_controller_revision(&cr))?;
                let metadata = std::mem::take(&mut cr.metadata);
                Object { meta: Meta::from_object_meta(metadata), body: Body::ControllerRevision(Box::new(cr)) }
            }
            Kind::StatefulSet => {
                let mut sts: apps::StatefulSet = decode_strict(&value, kind, &version)?;
                defaults::default_stateful_set(&mut sts);
                check(kind, &sts.metadata, validation::validate_stateful_set(&sts))?;
                let mut spec = sts.spec.unwrap_or_default();
                let template = PodTemplate::from_wire(Some(std::mem::take(&mut spec.template)));
                Object {
                    meta: Meta::from_object_meta(sts.metadata),
                    body: Body::StatefulSet {
                        spec: Box::new(spec),
                        status: Box::new(sts.status.unwrap_or_default()),
                        template,
                    },
                }
            }
            Kind::PersistentVolumeClaim => {
                let mut pvc: core::PersistentVolumeClaim = decode_strict(&value, kind, &version)?;
                defaults::default_persistent_volume_claim(&mut pvc);
                check(kind, &pvc.metadata, validation::validate_persistent_volume_claim(&pvc))?;
                let metadata = std::mem::take(&mut pvc.metadata);
                Object { meta: Meta::from_object_meta(metadata), body: Body::PersistentVolumeClaim(Box::new(pvc)) }
            }
            Kind::EndpointSlice => {
                let mut slice: discovery::EndpointSlice = decode_strict(&value, kind, &version)?;
                defaults::default_endpoint_slice(&mut slice);
                check(kind, &slice.metadata, validation::validate_endpoint_slice(&slice))?;
                let metadata = std::mem::take(&mut slice.metadata);
                Object { meta: Meta::from_object_meta(metadata), body: Body::EndpointSlice(Box::new(slice)) }
            }
            Kind::Endpoints => {
                let mut ep: core::Endpoints = decode_strict(&value, kind, &version)?;
                defaults::default_endpoints(&mut ep);
                check(kind, &ep.metadata, validation::validate_endpoints(&ep))?;
                let metadata = std::mem::take(&mut ep.metadata);
                Object { meta: Meta::from_object_meta(metadata), body: Body::Endpoints(Box::new(ep)) }
            }
            Kind::Event => {
                let mut e: core::Event = decode_strict(&value, kind, &version)?;
                let metadata = std::mem::take(&mut e.metadata);
                Object {
                    meta: Meta::from_object_meta(metadata),
                    body: Body::Event(Box::new(super::event::EventBody::from_wire(e))),
                }
            }
        };
        Ok(obj)
    }
}

/// See [`Object::wire`].
pub struct Wire<'a>(&'a Object);

impl Serialize for Wire<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let o = self.0;
        // The kinds with a spec and a status are written from the stored values in place.
        macro_rules! resource {
            ($wire:ty, $spec:expr, $status:expr) => {
                Resource::<$wire, _, _> { meta: &o.meta, spec: $spec, status: $status, wire: PhantomData }.serialize(s)
            };
        }
        // A workload whose spec's template is stored apart (its spec left to template_spec_json).
        macro_rules! workload {
            ($wire:ty, $spec:expr, $status:expr, $template:expr) => {{
                let mut spec = (**$spec).clone();
                spec.template = $template.to_wire_without_spec();
                resource!($wire, Some(&spec), Some(&**$status))
            }};
        }
        match &o.body {
            Body::Node { spec, status } => resource!(core::Node, Some(&**spec), Some(&**status)),
            Body::Deployment { spec, status, template } => workload!(apps::Deployment, spec, status, template),
            Body::ReplicaSet { spec, status, template } => {
                let spec = apps::ReplicaSetSpec {
                    replicas: spec.replicas,
                    min_ready_seconds: spec.min_ready_seconds,
                    selector: spec.selector.to_wire(),
                    template: Some(template.to_wire_without_spec()),
                };
                resource!(apps::ReplicaSet, Some(&spec), Some(&**status))
            }
            Body::Pod { spec, status } => {
                // A pod bound by the scheduler shows its node in its spec.
                let spec = match (&spec.node_name, &status.node_name) {
                    (None, Some(node)) => {
                        Cow::Owned(core::PodSpec { node_name: Some(node.to_string()), ..(**spec).clone() })
                    }
                    _ => Cow::Borrowed(&**spec),
                };
                let wire_status = status.to_status(&o.meta, &spec);
                resource!(core::Pod, Some(&*spec), Some(&wire_status))
            }
            Body::HorizontalPodAutoscaler { spec, status } => {
                resource!(autoscaling::HorizontalPodAutoscaler, Some(&**spec), Some(&**status))
            }
            Body::Job { spec, status, template } => workload!(batch::Job, spec, status, template),
            Body::CronJob { spec, status } => resource!(batch::CronJob, Some(&**spec), Some(&**status)),
            // The other kinds through their wire struct, with the metadata copied into it.
            Body::Namespace { spec, status } => ser(
                s,
                &core::Namespace { metadata: o.meta.to_object_meta(), spec: spec.clone(), status: status.clone() },
            ),
            Body::Event(e) => {
                let mut e = e.to_wire();
                e.metadata = o.meta.to_object_meta();
                ser(s, &e)
            }
            Body::ConfigMap(b) => ser(s, &core::ConfigMap { metadata: o.meta.to_object_meta(), ..(**b).clone() }),
            Body::Secret(b) => ser(s, &core::Secret { metadata: o.meta.to_object_meta(), ..(**b).clone() }),
            Body::Service(b) => ser(s, &core::Service { metadata: o.meta.to_object_meta(), ..(**b).clone() }),
            Body::ServiceAccount(b) => {
                ser(s, &core::ServiceAccount { metadata: o.meta.to_object_meta(), ..(**b).clone() })
            }
            Body::PodDisruptionBudget(b) => {
                ser(s, &policy::PodDisruptionBudget { metadata: o.meta.to_object_meta(), ..(**b).clone() })
            }
            Body::DaemonSet { spec, status, template } => workload!(apps::DaemonSet, spec, status, template),
            Body::ControllerRevision(b) => {
                ser(s, &apps::ControllerRevision { metadata: o.meta.to_object_meta(), ..(**b).clone() })
            }
            Body::StatefulSet { spec, status, template } => workload!(apps::StatefulSet, spec, status, template),
            Body::PersistentVolumeClaim(b) => {
                ser(s, &core::PersistentVolumeClaim { metadata: o.meta.to_object_meta(), ..(**b).clone() })
            }
            Body::EndpointSlice(b) => {
                ser(s, &discovery::EndpointSlice { metadata: o.meta.to_object_meta(), ..(**b).clone() })
            }
            Body::Endpoints(b) => ser(s, &core::Endpoints { metadata: o.meta.to_object_meta(), ..(**b).clone() }),
        }
    }
}

/// A kind with a spec and a status as its wire struct `W` writes it (apiVersion, kind,
/// metadata, spec, status: k8s-openapi's order), each part serialized from where it is kept.
struct Resource<'a, W, Sp, St> {
    meta: &'a Meta,
    spec: Option<&'a Sp>,
    status: Option<&'a St>,
    wire: PhantomData<W>,
}

impl<W: k8s_openapi::Resource, Sp: Serialize, St: Serialize> Serialize for Resource<'_, W, Sp, St> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let parts = 3 + usize::from(self.spec.is_some()) + usize::from(self.status.is_some());
        let mut st = s.serialize_struct(W::KIND, parts)?;
        st.serialize_field("apiVersion", W::API_VERSION)?;
        st.serialize_field("kind", W::KIND)?;
        st.serialize_field("metadata", &self.meta.wire())?;
        if let Some(spec) = self.spec {
            st.serialize_field("spec", spec)?;
        }
        if let Some(status) = self.status {
            st.serialize_field("status", status)?;
        }
        st.end()
    }
}

/// See [`Object::status_wire`].
pub struct StatusWire<'a>(&'a Object);

impl Serialize for StatusWire<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // What `Wire` puts under `status`, made the same way.
        match &self.0.body {
            Body::Node { status, .. } => ser(s, status),
            Body::Deployment { status, .. } => ser(s, status),
            Body::ReplicaSet { status, .. } => ser(s, status),
            Body::HorizontalPodAutoscaler { status, .. } => ser(s, status),
            Body::Job { status, .. } => ser(s, status),
            Body::CronJob { status, .. } => ser(s, status),
            Body::DaemonSet { status, .. } => ser(s, status),
            Body::StatefulSet { status, .. } => ser(s, status),
            Body::Pod { spec, status } if spec.node_name.is_none() && status.node_name.is_some() => {
                let mut spec = (**spec).clone();
                spec.node_name = status.node_name.as_deref().map(str::to_string);
                ser(s, &status.to_status(&self.0.meta, &spec))
            }
            Body::Pod { spec, status } => ser(s, &status.to_status(&self.0.meta, spec)),
            _ => ser(s, &self.0.to_json().get("status")),
        }
    }
}

/// Equal shared values: the same allocation, else equal contents (the wire types have no `Eq`,
/// so `Arc`'s own `==` always compares contents).
fn shared_eq<T: PartialEq>(a: &Arc<T>, b: &Arc<T>) -> bool {
    Arc::ptr_eq(a, b) || a == b
}

fn ser<S: Serializer, T: Serialize>(s: S, t: &T) -> Result<S::Ok, S::Error> {
    t.serialize(s)
}

fn to_value<T: Serialize>(t: &T) -> Value {
    // k8s-openapi types serialize infallibly to JSON (string keys, no non-finite floats).
    serde_json::to_value(t).unwrap_or(Value::Null)
}

fn check(kind: Kind, meta: &ObjectMeta, errors: super::field::ErrorList) -> Result<(), ApiError> {
    if errors.is_empty() {
        return Ok(());
    }
    let name = meta.name.clone().or_else(|| meta.generate_name.clone()).unwrap_or_default();
    Err(ApiError::Invalid { kind, name, errors })
}

fn type_meta(value: &Value) -> Result<(String, String), ApiError> {
    let get = |k: &str| value.get(k).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
    match (get("apiVersion"), get("kind")) {
        (Some(a), Some(k)) => Ok((a, k)),
        (a, k) => {
            let mut missing = Vec::new();
            if a.is_none() {
                missing.push("apiVersion not set".to_string());
            }
            if k.is_none() {
                missing.push("kind not set".to_string());
            }
            Err(ApiError::MissingTypeMeta { missing })
        }
    }
}

/// Quantities may be written as bare numbers (`cpu: 1`); the wire type wants strings.
fn normalize_quantities(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if matches!(k.as_str(), "requests" | "limits" | "capacity" | "allocatable") {
                    if let Value::Object(q) = v {
                        for qv in q.values_mut() {
                            if let Value::Number(n) = qv {
                                *qv = Value::String(n.to_string());
                            }
                        }
                    }
                }
                normalize_quantities(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(normalize_quantities),
        _ => {}
    }
}

/// Decode with field paths on type errors, then reject fields the schema does not have
/// (the API server's strict field validation).
fn decode_strict<T: DeserializeOwned + Serialize>(value: &Value, kind: Kind, version: &str) -> Result<T, ApiError> {
    let decode_error =
        |field: String, message: String| ApiError::Decode { kind, version: version.to_string(), field, message };
    // A YAML float JSON cannot hold (`.inf`, `.nan`) is rejected wherever it stands.
    if let Some((field, literal)) = super::yaml_value::first_non_finite(value) {
        return Err(decode_error(
            field.clone(),
            format!("{field}: invalid value: {literal}, expected a finite number"),
        ));
    }
    // upstream: strict decoding rejects the first field the type does not know (a null one is
    // as good as absent). The fields the decoder skips are those; read from the value in place.
    let mut unknown: Option<String> = None;
    let decoded = serde_ignored::deserialize(value, |path| {
        if unknown.is_none() && !is_null_at(value, &path) {
            unknown = Some(field_path(&path));
        }
    });
    let typed: T = match decoded {
        Ok(typed) => typed,
        // A type error: decoded again, tracking the path, for the message (rare: no cost on
        // the way that succeeds, which tracking every field would add).
        Err(first) => {
            let Err(e) = serde_path_to_error::deserialize::<_, T>(value) else {
                return Err(decode_error(String::new(), first.to_string()));
            };
            let field = e.path().to_string();
            let field = if field == "." { String::new() } else { field };
            let inner = e.into_inner().to_string();
            let message = if field.is_empty() { inner } else { format!("{field}: {inner}") };
            return Err(decode_error(field, message));
        }
    };
    #[cfg(debug_assertions)]
    {
        let back = serde_json::to_value(&typed).expect("a decoded object serializes");
        debug_assert_eq!(unknown, first_unknown_field(value, &back, ""), "unknown field found in one pass");
    }
    if let Some(field) = unknown {
        return Err(decode_error(field.clone(), format!("strict decoding error: unknown field \"{field}\"")));
    }
    Ok(typed)
}

/// A skipped field's path as the API server names it: `spec.template.spec.containers[0].foo`.
fn field_path(path: &serde_ignored::Path) -> String {
    use serde_ignored::Path;
    match path {
        Path::Root => String::new(),
        Path::Seq { parent, index } => format!("{}[{index}]", field_path(parent)),
        Path::Map { parent, key } => match field_path(parent) {
            p if p.is_empty() => key.clone(),
            p => format!("{p}.{key}"),
        },
        Path::Some { parent } | Path::NewtypeStruct { parent } | Path::NewtypeVariant { parent } => field_path(parent),
    }
}

/// Whether the value at a skipped field's path is null (or not there).
fn is_null_at(value: &Value, path: &serde_ignored::Path) -> bool {
    fn at<'v>(value: &'v Value, path: &serde_ignored::Path) -> Option<&'v Value> {
        use serde_ignored::Path;
        match path {
            Path::Root => Some(value),
            Path::Seq { parent, index } => at(value, parent)?.get(*index),
            Path::Map { parent, key } => at(value, parent)?.get(key),
            Path::Some { parent } | Path::NewtypeStruct { parent } | Path::NewtypeVariant { parent } => {
                at(value, parent)
            }
        }
    }
    at(value, path).is_none_or(Value::is_null)
}

/// The first path present (and non-null) in `input` but absent from `decoded` (what a
/// debug build checks [`decode_strict`]'s one pass against).
#[cfg(debug_assertions)]
fn first_unknown_field(input: &Value, decoded: &Value, path: &str) -> Option<String> {
    match (input, decoded) {
        (Value::Object(a), Value::Object(b)) => a.iter().find_map(|(k, v)| {
            let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
            match b.get(k) {
                None if !v.is_null() => Some(p),
                None => None,
                Some(bv) => first_unknown_field(v, bv, &p),
            }
        }),
        (Value::Array(a), Value::Array(b)) => a
            .iter()
            .zip(b.iter())
            .enumerate()
            .find_map(|(i, (x, y))| first_unknown_field(x, y, &format!("{path}[{i}]"))),
        _ => None,
    }
}

/// The pods a Service's endpoints come from: its selector, unless it is an ExternalName Service
/// (upstream: the endpoint controllers' syncService returns early for both). An empty selector
/// is none: upstream stores `{}` as nil ("if empty or not present, … an external process
/// managing its endpoints").
pub fn service_selector(svc: &core::Service) -> Option<&std::collections::BTreeMap<String, String>> {
    let spec = svc.spec.as_ref()?;
    if spec.type_.as_deref() == Some("ExternalName") {
        return None;
    }
    spec.selector.as_ref().filter(|s| !s.is_empty())
}

/// A workload's JSON with its template's spec put in from the stored text (not parsed into the
/// typed spec and serialised again).
#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_workload_shows_its_template_spec_as_the_typed_spec_would() {
        let template = json!({"metadata": {"labels": {"app": "w"}, "annotations": {"a": "b"}},
            "spec": {"terminationGracePeriodSeconds": 45, "nodeSelector": {"disk": "ssd"},
                "containers": [{"name": "c", "image": "i", "args": ["-v", "2"],
                    "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                    "resources": {"requests": {"cpu": "250m", "memory": "64Mi"}, "limits": {"cpu": "1"}},
                    "readinessProbe": {"httpGet": {"path": "/", "port": 8080}, "periodSeconds": 3}}]}});
        for kind in ["Deployment", "ReplicaSet"] {
            let v = json!({"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": "w"},
                "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "w"}}, "template": template.clone()}});
            let obj = Object::decode(v).unwrap();
            let (Body::Deployment { template, .. } | Body::ReplicaSet { template, .. }) = &obj.body else { panic!() };
            let shown = obj.to_json();
            assert_eq!(shown["spec"]["template"]["spec"], serde_json::to_value(template.spec()).unwrap(), "{kind}");
            assert_eq!(shown["spec"]["template"]["spec"]["terminationGracePeriodSeconds"], json!(45));
            assert_eq!(shown["spec"]["template"]["metadata"]["annotations"], json!({"a": "b"}));
        }
    }

    #[test]
    fn metadata_is_written_as_its_wire_struct_writes_it() {
        use super::super::meta::{OwnerRef, Uid};
        use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
        let base = Object::decode(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "i"}]}}))
        .unwrap()
        .meta;
        let owner = |uid: &str, controller, block| {
            OwnerRef::from_wire(OwnerReference {
                api_version: "apps/v1".into(),
                kind: "ReplicaSet".into(),
                name: "rs \"1\"".into(),
                uid: uid.into(),
                controller,
                block_owner_deletion: block,
            })
        };
        let mut metas = vec![Meta::default(), base.clone()];
        for i in 0..8u64 {
            let mut m = base.clone();
            let on = |bit: u64| i & bit != 0;
            m.uid = Uid::from_random(i, 7);
            m.resource_version = 10u64.pow(i as u32);
            m.creation_timestamp = 1_767_225_600_123 + i as i64 * 86_400_000;
            m.generation = i as i64;
            if on(1) {
                m.namespace = "team-a".into();
                m.generate_name = Some(Arc::new("p-".into()));
                m.labels =
                    Arc::new([("b".to_string(), "2".to_string()), ("a".into(), "é".into())].into_iter().collect());
                m.owner_references = Arc::new(vec![
                    owner("not-a-uuid", Some(true), Some(true)),
                    owner(&Uid::from_random(3, 4).to_string(), None, None),
                ]);
            }
            if on(2) {
                m.annotations = Arc::new([("note".to_string(), "x\ny".to_string())].into_iter().collect());
                m.set_deletion_timestamp(Some(1_767_225_660_999));
                m.set_deletion_grace_period_seconds(Some(30));
            }
            if on(4) {
                m.set_finalizers(vec!["kubernetes.io/pv-protection".into(), "b".into()]);
                m.name = "".into();
            }
            metas.push(m);
        }
        for m in metas {
            let ours = serde_json::to_string(&m.wire()).unwrap();
            assert_eq!(ours, serde_json::to_string(&m.to_object_meta()).unwrap());
            // The sorted builder gives what serde_json's value gives.
            let tree = crate::api::sorted::value(&mut crate::api::sorted::TreeBuild, &m.wire()).unwrap();
            assert_eq!(serde_json::to_value(&tree).unwrap(), serde_json::to_value(m.to_object_meta()).unwrap());
        }
    }

    #[test]
    fn unknown_fields_are_rejected_with_their_path() {
        let v = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "i", "imagePullPolicyy": "Always"}]}});
        let err = Object::decode(v).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Pod in version \"v1\" cannot be handled as a Pod: strict decoding error: unknown field \"spec.containers[0].imagePullPolicyy\""
        );
        assert_eq!(err.field().as_deref(), Some("spec.containers[0].imagePullPolicyy"));
    }

    #[test]
    fn type_errors_name_the_field() {
        let v = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
            "spec": {"replicas": "three"}});
        let err = Object::decode(v).unwrap_err();
        assert_eq!(err.field().as_deref(), Some("spec.replicas"));
        assert!(err.to_string().starts_with("Deployment in version \"v1\" cannot be handled as a Deployment: spec.replicas: invalid type: string \"three\""), "{err}");
    }

    #[test]
    fn labels_must_be_strings() {
        let v = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {"on": true}},
            "spec": {"containers": [{"name": "c", "image": "i"}]}});
        let err = Object::decode(v).unwrap_err();
        assert_eq!(err.field().as_deref(), Some("metadata.labels.on"));
    }

    #[test]
    fn unknown_kinds_and_missing_type_meta_are_reported() {
        let err = Object::decode(json!({"apiVersion": "apps/v1", "kind": "Deploymnt"})).unwrap_err();
        assert_eq!(err.to_string(), "no matches for kind \"Deploymnt\" in version \"apps/v1\"");
        let err = Object::decode(json!({"apiVersion": "v2", "kind": "Pod"})).unwrap_err();
        assert_eq!(err.to_string(), "no matches for kind \"Pod\" in version \"v2\"");
        let err = Object::decode(json!({"metadata": {}})).unwrap_err();
        assert_eq!(err.to_string(), "error validating data: [apiVersion not set, kind not set]");
    }

    #[test]
    fn numeric_quantities_are_accepted() {
        let v = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "i", "resources": {"requests": {"cpu": 1}}}]}});
        let obj = Object::decode(v).unwrap();
        let j = obj.to_json();
        assert_eq!(j["spec"]["containers"][0]["resources"]["requests"]["cpu"], json!("1"));
    }

    #[test]
    fn a_replica_set_selector_round_trips_and_selects_as_written() {
        let rs = |selector: serde_json::Value| {
            Object::decode(json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "r"},
                "spec": {"selector": selector, "template": {"metadata": {"labels": {"app": "a", "tier": "web"}},
                    "spec": {"containers": [{"name": "c", "image": "i"}]}}}}))
            .unwrap()
        };
        let expr = json!([{"key": "tier", "operator": "In", "values": ["web", "db"]}]);
        for selector in [
            json!({"matchLabels": {"app": "a", "tier": "web"}}),
            json!({"matchLabels": {}, "matchExpressions": expr}),
            json!({"matchLabels": {"app": "a"}, "matchExpressions": expr}),
        ] {
            let obj = rs(selector.clone());
            assert_eq!(obj.to_json()["spec"]["selector"], selector);
            let Body::ReplicaSet { spec, .. } = &obj.body else { panic!() };
            let wire = Selector::from_label_selector(Some(&spec.selector.to_wire())).unwrap();
            assert_eq!(spec.selector.selector().unwrap().to_string(), wire.to_string());
        }
        let Body::ReplicaSet { spec, .. } = &rs(json!({"matchLabels": {"app": "a"}})).body else { panic!() };
        assert_eq!(spec.selector.selector().unwrap().to_string(), "app=a");
    }

    #[test]
    fn a_job_spec_admitted_before_gives_what_admitting_it_in_full_gives() {
        use crate::api::batch_strategy::{CONTROLLER_UID, JOB_NAME};
        // A template no other test uses: the first Job admits it in full, the rest reuse it.
        let spec = json!({"parallelism": 3, "template": {"metadata": {"labels": {"memo": "jobs"},
            "annotations": {"note": "n"}}, "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "memo:1"}]}}});
        let raw = |spec: &Value| serde_json::from_value::<batch::JobSpec>(spec.clone()).unwrap();
        let job = |meta: Value, spec: &Value| {
            Object::decode(json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": spec}))
        };
        let first = job(json!({"name": "a"}), &spec).unwrap();
        assert!(admitted_jobs::get(&raw(&spec)).is_some(), "remembered once admitted");
        let second = job(json!({"name": "b"}), &spec).unwrap();
        assert_eq!(second.body, first.body);
        assert_eq!(second.to_json()["spec"], first.to_json()["spec"]);
        assert_eq!(second.to_json()["spec"]["completions"], Value::Null, "parallelism set: no default");
        assert_eq!(second.to_json()["spec"]["backoffLimit"], json!(6));
        let (Body::Job { template: t1, .. }, Body::Job { template: t2, .. }) = (&first.body, &second.body) else {
            panic!("Jobs")
        };
        assert!(Arc::ptr_eq(&t1.admitted, &t2.admitted), "the admitted pod spec is interned");
        // Maps of its own: a snapshot writes a shared map once, and that must not depend on
        // what the table held.
        assert!(!Arc::ptr_eq(&t1.labels, &t2.labels) && !Arc::ptr_eq(&t1.annotations, &t2.annotations));
        // The metadata is still defaulted and checked per Job.
        assert_eq!(second.to_json()["metadata"]["labels"], json!({"memo": "jobs"}));
        let own = job(json!({"name": "c", "labels": {"own": "x"}}), &spec).unwrap();
        assert_eq!(own.to_json()["metadata"]["labels"], json!({"own": "x"}));
        let err = job(json!({"name": "Bad_Name"}), &spec).unwrap_err().to_string();
        assert!(
            err.starts_with("The Job \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\""),
            "{err}"
        );
        // A spec that fails is never remembered.
        let invalid = json!({"parallelism": -1, "template": spec["template"]});
        for name in ["d", "e"] {
            let err = job(json!({"name": name}), &invalid).unwrap_err().to_string();
            assert!(err.contains("spec.parallelism"), "{err}");
        }
        assert!(admitted_jobs::get(&raw(&invalid)).is_none());
        // Nor is one with a selector, even one that passes: whether the server generated it
        // depends on the Job's name and uid.
        let uid = "6f1d9a2e-0000-4000-8000-000000000001";
        let selected = json!({"selector": {"matchLabels": {CONTROLLER_UID: uid, JOB_NAME: "f"}},
            "template": spec["template"]});
        job(json!({"name": "f", "uid": uid}), &selected).unwrap();
        assert!(admitted_jobs::get(&raw(&selected)).is_none());
        let err = job(json!({"name": "g", "uid": "6f1d9a2e-0000-4000-8000-000000000002"}), &selected).unwrap_err();
        assert!(err.to_string().contains("`selector` not auto-generated"), "{err}");
    }

    #[test]
    fn an_object_with_its_arc_header_fits_a_256_byte_allocation() {
        // Every pod version is an `Arc<Object>`: past 256 bytes with the two reference counts,
        // the allocator rounds each one up to 320.
        assert!(std::mem::size_of::<Object>() + 16 <= 256, "{}", std::mem::size_of::<Object>());
    }
}
