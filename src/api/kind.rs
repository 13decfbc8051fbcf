//! The kinds kubesim serves and how the API server names them (group, version, plural, short names).

use std::fmt;

/// A kind of object the simulated API server stores. The order is the canonical commit order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum Kind {
    Namespace,
    Node,
    Deployment,
    ReplicaSet,
    Pod,
    HorizontalPodAutoscaler,
    Event,
    // The kinds a manifest carries beside its workloads; no controller of kubesim acts on them.
    // Listed last, so the commit order of the kinds before them stays as it was.
    ConfigMap,
    Secret,
    Service,
    ServiceAccount,
    Job,
    CronJob,
    PodDisruptionBudget,
    DaemonSet,
    StatefulSet,
    ControllerRevision,
    PersistentVolumeClaim,
    EndpointSlice,
    Endpoints,
}

impl Kind {
    pub const ALL: [Kind; 20] = [
        Kind::Namespace,
        Kind::Node,
        Kind::Deployment,
        Kind::ReplicaSet,
        Kind::Pod,
        Kind::HorizontalPodAutoscaler,
        Kind::Event,
        Kind::ConfigMap,
        Kind::Secret,
        Kind::Service,
        Kind::ServiceAccount,
        Kind::Job,
        Kind::CronJob,
        Kind::PodDisruptionBudget,
        Kind::DaemonSet,
        Kind::StatefulSet,
        Kind::ControllerRevision,
        Kind::PersistentVolumeClaim,
        Kind::EndpointSlice,
        Kind::Endpoints,
    ];

    /// `metadata.kind` as written in manifests.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Namespace => "Namespace",
            Kind::Node => "Node",
            Kind::Deployment => "Deployment",
            Kind::ReplicaSet => "ReplicaSet",
            Kind::Pod => "Pod",
            Kind::HorizontalPodAutoscaler => "HorizontalPodAutoscaler",
            Kind::Event => "Event",
            Kind::ConfigMap => "ConfigMap",
            Kind::Secret => "Secret",
            Kind::Service => "Service",
            Kind::ServiceAccount => "ServiceAccount",
            Kind::Job => "Job",
            Kind::CronJob => "CronJob",
            Kind::PodDisruptionBudget => "PodDisruptionBudget",
            Kind::DaemonSet => "DaemonSet",
            Kind::StatefulSet => "StatefulSet",
            Kind::ControllerRevision => "ControllerRevision",
            Kind::PersistentVolumeClaim => "PersistentVolumeClaim",
            Kind::EndpointSlice => "EndpointSlice",
            Kind::Endpoints => "Endpoints",
        }
    }

    /// API group ("" for the core group).
    pub fn group(self) -> &'static str {
        match self {
            Kind::Deployment | Kind::ReplicaSet => "apps",
            Kind::HorizontalPodAutoscaler => "autoscaling",
            Kind::Job | Kind::CronJob => "batch",
            Kind::PodDisruptionBudget => "policy",
            Kind::DaemonSet | Kind::StatefulSet | Kind::ControllerRevision => "apps",
            Kind::EndpointSlice => "discovery.k8s.io",
            _ => "",
        }
    }

    /// The version objects are stored and served in.
    pub fn api_version(self) -> &'static str {
        match self {
            Kind::Deployment | Kind::ReplicaSet => "apps/v1",
            Kind::HorizontalPodAutoscaler => "autoscaling/v2",
            Kind::Job | Kind::CronJob => "batch/v1",
            Kind::PodDisruptionBudget => "policy/v1",
            Kind::DaemonSet | Kind::StatefulSet | Kind::ControllerRevision => "apps/v1",
            Kind::EndpointSlice => "discovery.k8s.io/v1",
            _ => "v1",
        }
    }

    pub fn plural(self) -> &'static str {
        match self {
            Kind::Namespace => "namespaces",
            Kind::Node => "nodes",
            Kind::Deployment => "deployments",
            Kind::ReplicaSet => "replicasets",
            Kind::Pod => "pods",
            Kind::HorizontalPodAutoscaler => "horizontalpodautoscalers",
            Kind::Event => "events",
            Kind::ConfigMap => "configmaps",
            Kind::Secret => "secrets",
            Kind::Service => "services",
            Kind::ServiceAccount => "serviceaccounts",
            Kind::Job => "jobs",
            Kind::CronJob => "cronjobs",
            Kind::PodDisruptionBudget => "poddisruptionbudgets",
            Kind::DaemonSet => "daemonsets",
            Kind::StatefulSet => "statefulsets",
            Kind::ControllerRevision => "controllerrevisions",
            Kind::PersistentVolumeClaim => "persistentvolumeclaims",
            Kind::EndpointSlice => "endpointslices",
            Kind::Endpoints => "endpoints",
        }
    }

    pub fn singular(self) -> &'static str {
        match self {
            Kind::Namespace => "namespace",
            Kind::Node => "node",
            Kind::Deployment => "deployment",
            Kind::ReplicaSet => "replicaset",
            Kind::Pod => "pod",
            Kind::HorizontalPodAutoscaler => "horizontalpodautoscaler",
            Kind::Event => "event",
            Kind::ConfigMap => "configmap",
            Kind::Secret => "secret",
            Kind::Service => "service",
            Kind::ServiceAccount => "serviceaccount",
            Kind::Job => "job",
            Kind::CronJob => "cronjob",
            Kind::PodDisruptionBudget => "poddisruptionbudget",
            Kind::DaemonSet => "daemonset",
            Kind::StatefulSet => "statefulset",
            Kind::ControllerRevision => "controllerrevision",
            Kind::PersistentVolumeClaim => "persistentvolumeclaim",
            Kind::EndpointSlice => "endpointslice",
            Kind::Endpoints => "endpoints",
        }
    }

    pub fn short_names(self) -> &'static [&'static str] {
        match self {
            Kind::Namespace => &["ns"],
            Kind::Node => &["no"],
            Kind::Deployment => &["deploy"],
            Kind::ReplicaSet => &["rs"],
            Kind::Pod => &["po"],
            Kind::HorizontalPodAutoscaler => &["hpa"],
            Kind::Event => &["ev"],
            Kind::ConfigMap => &["cm"],
            Kind::Secret => &[],
            Kind::Service => &["svc"],
            Kind::ServiceAccount => &["sa"],
            Kind::Job => &[],
            Kind::CronJob => &["cj"],
            Kind::PodDisruptionBudget => &["pdb"],
            Kind::DaemonSet => &["ds"],
            Kind::StatefulSet => &["sts"],
            Kind::ControllerRevision => &[],
            Kind::PersistentVolumeClaim => &["pvc"],
            Kind::EndpointSlice => &[],
            Kind::Endpoints => &["ep"],
        }
    }

    /// Whether the kind has a `/status` subresource (its status is a controller's, written
    /// apart from the spec).
    pub fn has_status(self) -> bool {
        matches!(
            self,
            Kind::Pod
                | Kind::ReplicaSet
                | Kind::Deployment
                | Kind::HorizontalPodAutoscaler
                | Kind::Node
                | Kind::Namespace
                | Kind::Job
                | Kind::CronJob
                | Kind::PodDisruptionBudget
                | Kind::DaemonSet
                | Kind::StatefulSet
                | Kind::PersistentVolumeClaim
                // upstream: services/status (a load balancer controller writes its ingress there).
                | Kind::Service
        )
    }

    pub fn namespaced(self) -> bool {
        !matches!(self, Kind::Namespace | Kind::Node)
    }

    /// `deployments.apps`, `pods` — how API errors name the resource.
    pub fn resource(self) -> String {
        if self.group().is_empty() {
            self.plural().to_string()
        } else {
            format!("{}.{}", self.plural(), self.group())
        }
    }

    /// `deployment.apps`, `pod` — how kubectl's name printer names the kind.
    pub fn qualified_singular(self) -> String {
        if self.group().is_empty() {
            self.singular().to_string()
        } else {
            format!("{}.{}", self.singular(), self.group())
        }
    }

    /// Resolve a kind as kubectl accepts it: singular, plural, short name or Kind, optionally
    /// qualified (`deployments.apps`, `deployment.v1.apps`). Case-insensitive.
    pub fn from_resource_name(name: &str) -> Option<Kind> {
        let lower = name.to_ascii_lowercase();
        let mut parts = lower.splitn(2, '.');
        let base = parts.next().unwrap_or_default();
        let qualifier = parts.next();
        let kind = Kind::ALL
            .into_iter()
            .find(|k| base == k.singular() || base == k.plural() || k.short_names().contains(&base))?;
        match qualifier {
            None => Some(kind),
            Some(q) => {
                // `apps`, `v1.apps`, or for the core group `v1`.
                let group_ok = q == kind.group()
                    || q.strip_prefix("v1.").is_some_and(|g| g == kind.group())
                    || (kind.group() == "autoscaling" && (q == "v2.autoscaling" || q == "v1.autoscaling"))
                    || (kind.group().is_empty() && q == "v1");
                group_ok.then_some(kind)
            }
        }
    }

    /// Resolve `apiVersion` + `kind` from a manifest. autoscaling/v1 HPAs are accepted and converted.
    pub fn from_type_meta(api_version: &str, kind: &str) -> Option<Kind> {
        let k = Kind::ALL.into_iter().find(|k| k.name() == kind)?;
        let ok =
            api_version == k.api_version() || (k == Kind::HorizontalPodAutoscaler && api_version == "autoscaling/v1");
        ok.then_some(k)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_spellings_resolve() {
        for (s, k) in [
            ("deploy", Kind::Deployment),
            ("deployments", Kind::Deployment),
            ("Deployment", Kind::Deployment),
            ("deployment.v1.apps", Kind::Deployment),
            ("deployments.apps", Kind::Deployment),
            ("rs", Kind::ReplicaSet),
            ("po", Kind::Pod),
            ("pods", Kind::Pod),
            ("hpa", Kind::HorizontalPodAutoscaler),
            ("no", Kind::Node),
            ("ev", Kind::Event),
            ("cm", Kind::ConfigMap),
            ("secrets", Kind::Secret),
            ("svc", Kind::Service),
            ("sa", Kind::ServiceAccount),
            ("services.v1", Kind::Service),
            ("pdb", Kind::PodDisruptionBudget),
            ("poddisruptionbudgets.policy", Kind::PodDisruptionBudget),
            ("poddisruptionbudget.v1.policy", Kind::PodDisruptionBudget),
            ("ds", Kind::DaemonSet),
            ("daemonset.apps", Kind::DaemonSet),
            ("controllerrevisions", Kind::ControllerRevision),
            ("sts", Kind::StatefulSet),
            ("statefulsets.apps", Kind::StatefulSet),
            ("pvc", Kind::PersistentVolumeClaim),
            ("ep", Kind::Endpoints),
            ("endpoints", Kind::Endpoints),
            ("endpointslices", Kind::EndpointSlice),
            ("endpointslices.discovery.k8s.io", Kind::EndpointSlice),
            ("endpointslice.v1.discovery.k8s.io", Kind::EndpointSlice),
        ] {
            assert_eq!(Kind::from_resource_name(s), Some(k), "{s}");
        }
        assert_eq!(Kind::from_resource_name("deployment.v1.core"), None);
        assert_eq!(Kind::from_resource_name("widgets"), None);
    }

    #[test]
    fn type_meta_accepts_served_versions_only() {
        assert_eq!(Kind::from_type_meta("apps/v1", "Deployment"), Some(Kind::Deployment));
        assert_eq!(Kind::from_type_meta("v1", "Deployment"), None);
        assert_eq!(
            Kind::from_type_meta("autoscaling/v1", "HorizontalPodAutoscaler"),
            Some(Kind::HorizontalPodAutoscaler)
        );
        assert_eq!(Kind::from_type_meta("v1", "Pod"), Some(Kind::Pod));
        assert_eq!(Kind::from_type_meta("v1", "Widget"), None);
    }

    #[test]
    fn resources_are_named_like_api_errors() {
        assert_eq!(Kind::Deployment.resource(), "deployments.apps");
        assert_eq!(Kind::Pod.resource(), "pods");
        assert_eq!(Kind::Deployment.qualified_singular(), "deployment.apps");
    }
}
