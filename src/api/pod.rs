//! A pod's runtime status, stored compactly (a few dozen bytes plus one small vector) and
//! expanded into the wire `PodStatus` only when someone reads it. Messages that follow from
//! the state (which containers are unready, back-off texts) are derived, not stored.

use std::net::Ipv4Addr;
use std::sync::Arc;

use k8s_openapi::api::core::v1 as core;

use super::meta::{to_time, Meta, Uid};
use crate::sim::clock::Millis;
use crate::sim::rng::stable_hash;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Phase {
    #[default]
    Pending,
    Running,
    Succeeded,
    Failed,
    Unknown,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Pending => "Pending",
            Phase::Running => "Running",
            Phase::Succeeded => "Succeeded",
            Phase::Failed => "Failed",
            Phase::Unknown => "Unknown",
        }
    }
    pub fn is_terminal(self) -> bool {
        matches!(self, Phase::Succeeded | Phase::Failed)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum QosClass {
    #[default]
    BestEffort,
    Burstable,
    Guaranteed,
}

impl QosClass {
    pub fn as_str(self) -> &'static str {
        match self {
            QosClass::BestEffort => "BestEffort",
            QosClass::Burstable => "Burstable",
            QosClass::Guaranteed => "Guaranteed",
        }
    }
}

/// The pod conditions in the order the kubelet lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConditionType {
    PodReadyToStartContainers = 0,
    Initialized = 1,
    Ready = 2,
    ContainersReady = 3,
    PodScheduled = 4,
}

impl ConditionType {
    pub const ALL: [ConditionType; 5] = [
        ConditionType::PodReadyToStartContainers,
        ConditionType::Initialized,
        ConditionType::Ready,
        ConditionType::ContainersReady,
        ConditionType::PodScheduled,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ConditionType::PodReadyToStartContainers => "PodReadyToStartContainers",
            ConditionType::Initialized => "Initialized",
            ConditionType::Ready => "Ready",
            ConditionType::ContainersReady => "ContainersReady",
            ConditionType::PodScheduled => "PodScheduled",
        }
    }
}

/// The reasons pod conditions carry, stored as an index so a condition is 16 bytes.
const CONDITION_REASONS: [&str; 6] =
    ["", "ContainersNotReady", "Unschedulable", "NodeNotReady", "PodCompleted", "PodFailed"];

/// One condition: status, reason and when the status last changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Condition {
    pub last_transition: Millis,
    pub status: bool,
    reason: u8,
}

impl Condition {
    pub fn reason(&self) -> Option<&'static str> {
        (self.reason > 0).then(|| CONDITION_REASONS[self.reason as usize])
    }
}

/// A text from the code's own tables (named so, serde does not take it for borrowed input).
type StaticText = &'static str;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ContainerState {
    Waiting {
        #[serde(with = "crate::snapshot::shared::static_str")]
        reason: StaticText,
    },
    Running {
        started_at: Millis,
    },
    Terminated {
        exit_code: i32,
        #[serde(with = "crate::snapshot::shared::static_str")]
        reason: StaticText,
        started_at: Millis,
        finished_at: Millis,
    },
}

impl Default for ContainerState {
    fn default() -> Self {
        ContainerState::Waiting { reason: "ContainerCreating" }
    }
}

/// Where the kubelet is with a container (its private bookkeeping; not part of the wire status).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Stage {
    /// Nothing done yet.
    #[default]
    New,
    /// Pulling the image until the given time.
    Pulling { until: Millis, since: Millis },
    /// The image pull failed; retry at the given time.
    PullBackOff { until: Millis },
    /// Image present; creating and starting the container until the given time.
    Starting { until: Millis },
    /// Running since `state`'s startedAt.
    Running,
    /// Exited; restart at the given time (back-off), if the policy restarts it.
    BackOff { until: Millis },
    /// Exited for good (restartPolicy, or the pod is terminating).
    Done,
    /// SIGTERM sent; the container exits at the given time.
    Stopping { until: Millis },
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ContainerRuntime {
    pub state: ContainerState,
    /// The previous termination, if the container has restarted (boxed: most containers never
    /// restart, and the record is kept for every container).
    pub last_state: Option<Box<ContainerState>>,
    pub ready: bool,
    pub started: bool,
    pub restart_count: u32,
    /// The current back-off delay (ms) for restarts or pulls, for the waiting message.
    pub backoff: Millis,
    /// When the restart back-off entry was last stepped (upstream: flowcontrol.Backoff lastUpdate).
    pub backoff_updated: Millis,
    /// Image pull back-off, kept separately (upstream: a second Backoff keyed by image).
    pub pull_backoff: Millis,
    /// Probe failures up to this time have been reported as events.
    pub probes_reported: Millis,
    pub stage: Stage,
}

/// Everything the kubelet and scheduler report about a pod.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PodRuntime {
    pub phase: Phase,
    pub qos_class: QosClass,
    /// Where the scheduler bound the pod (overlays `spec.nodeName`, so the shared spec stays shared).
    #[serde(with = "crate::snapshot::shared::strs::option")]
    pub node_name: Option<Arc<str>>,
    pub host_ip: Option<Ipv4Addr>,
    pub pod_ip: Option<Ipv4Addr>,
    /// `status.startTime` (read and set through the accessors).
    pub(crate) start: StartTime,
    pub(crate) conditions: Conditions,
    /// `status.reason` / `status.message` (e.g. Evicted, NodeLost; unschedulable message):
    /// rarely set, so boxed; `None` whenever both are unset.
    pub note: Option<Box<StatusNote>>,
    /// One record per container (a boxed slice: the count is fixed by the spec).
    pub containers: Box<[ContainerRuntime]>,
}

/// `status.startTime` without an `Option`'s extra word: `Millis::MIN` is unset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct StartTime(Millis);

impl Default for StartTime {
    fn default() -> Self {
        StartTime(Millis::MIN)
    }
}

/// The five pod conditions, packed (48 bytes, not 80): transition times, reasons, and which
/// are present and true as bit sets, indexed by `ConditionType as usize`.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Conditions {
    times: [Millis; 5],
    reasons: [u8; 5],
    present: u8,
    status: u8,
}

#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StatusNote {
    #[serde(with = "crate::snapshot::shared::static_str::option")]
    reason: Option<StaticText>,
    message: Option<Arc<str>>,
    /// When a component set `DisruptionTarget=True`, and which.
    disruption_target: Option<(Millis, Disruption)>,
    /// A status a client wrote through `pods/status`: shown as the pod's status until the
    /// kubelet (or another controller) next writes the pod's status. The record above and the
    /// simulation never read it, so a client's status cannot change what the kubelet knows.
    #[serde(with = "crate::snapshot::shared::wire")]
    written: Option<Arc<core::PodStatus>>,
}

/// Who marked a pod as a disruption target before deleting it (upstream: the
/// `DisruptionTarget` condition's reasons, PodDisruptionConditions).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Disruption {
    /// The Eviction API (`kubectl drain`, evictions).
    EvictionApi,
    /// The pod garbage collector, for a pod bound to a node that no longer exists.
    PodGc,
    /// The disruption controller reset a stale marking: the condition is False, with no
    /// reason or message (upstream: syncStalePodDisruption).
    Reset,
}

impl Disruption {
    pub fn reason(self) -> &'static str {
        match self {
            Disruption::EvictionApi => "EvictionByEvictionAPI",
            Disruption::PodGc => "DeletionByPodGC",
            Disruption::Reset => "",
        }
    }
    pub fn message(self) -> &'static str {
        match self {
            Disruption::EvictionApi => "Eviction API: evicting",
            Disruption::PodGc => "PodGC: node no longer exists",
            Disruption::Reset => "",
        }
    }
    /// The condition's status: True for every marking, False once reset.
    pub fn is_true(self) -> bool {
        self != Disruption::Reset
    }
}

impl ContainerRuntime {
    /// Equal in what the API shows of the container: all but the kubelet's own bookkeeping (its
    /// stage, when a back-off was last stepped, the pull back-off, the probe failures reported).
    fn same_shown(&self, other: &ContainerRuntime) -> bool {
        // Every field named: a new one must be placed on one side or the other.
        let ContainerRuntime {
            state,
            last_state,
            ready,
            started,
            restart_count,
            backoff,
            backoff_updated: _,
            pull_backoff: _,
            probes_reported: _,
            stage: _,
        } = self;
        *state == other.state
            && *last_state == other.last_state
            && *ready == other.ready
            && *started == other.started
            && *restart_count == other.restart_count
            && *backoff == other.backoff
    }

    /// The kubelet's own bookkeeping taken from `from` (see [`ContainerRuntime::same_shown`]).
    fn keep_private(&mut self, from: &ContainerRuntime) {
        self.backoff_updated = from.backoff_updated;
        self.pull_backoff = from.pull_backoff;
        self.probes_reported = from.probes_reported;
        self.stage = from.stage;
    }
}

impl PodRuntime {
    /// Equal in what the API shows (`status` as read): only the kubelet's own bookkeeping of
    /// its containers may differ. Upstream keeps that in the kubelet's memory, so a change of it
    /// alone is no write at all.
    pub fn same_shown(&self, other: &PodRuntime) -> bool {
        let PodRuntime { phase, qos_class, node_name, host_ip, pod_ip, start, conditions, note, containers } = self;
        *phase == other.phase
            && *qos_class == other.qos_class
            && *node_name == other.node_name
            && *host_ip == other.host_ip
            && *pod_ip == other.pod_ip
            && *start == other.start
            && *conditions == other.conditions
            && *note == other.note
            && containers.len() == other.containers.len()
            && containers.iter().zip(other.containers.iter()).all(|(a, b)| a.same_shown(b))
    }

    /// The kubelet's own bookkeeping of each container taken from `from`, the stored status:
    /// what another writer of the status sends is never newer than what the kubelet stored.
    pub fn keep_private(&mut self, from: &PodRuntime) {
        for (c, f) in self.containers.iter_mut().zip(from.containers.iter()) {
            c.keep_private(f);
        }
    }

    /// `status.startTime`: when the kubelet first saw the pod.
    pub fn start_time(&self) -> Option<Millis> {
        (self.start.0 != Millis::MIN).then_some(self.start.0)
    }
    pub fn set_start_time(&mut self, t: Option<Millis>) {
        self.start = StartTime(t.unwrap_or(Millis::MIN));
    }
    /// `status.reason`.
    pub fn reason(&self) -> Option<&'static str> {
        self.note.as_ref().and_then(|n| n.reason)
    }
    /// `status.message`.
    pub fn message(&self) -> Option<&Arc<str>> {
        self.note.as_ref().and_then(|n| n.message.as_ref())
    }
    pub fn set_reason(&mut self, reason: Option<&'static str>) {
        self.note.get_or_insert_with(Default::default).reason = reason;
        self.tidy_note();
    }
    pub fn set_message(&mut self, message: Option<Arc<str>>) {
        self.note.get_or_insert_with(Default::default).message = message;
        self.tidy_note();
    }
    /// When and by whom the pod was marked as a disruption target, if it was.
    pub fn disruption_target(&self) -> Option<(Millis, Disruption)> {
        self.note.as_ref().and_then(|n| n.disruption_target)
    }
    /// upstream: apipod.UpdatePodCondition with `DisruptionTarget=True` — the transition time
    /// stays from the first marking (the status does not change), the reason is the latest.
    pub fn set_disruption_target(&mut self, at: Millis, by: Disruption) {
        let note = self.note.get_or_insert_with(Default::default);
        let since = match note.disruption_target {
            Some((t, was)) if was.is_true() == by.is_true() => t,
            _ => at,
        };
        note.disruption_target = Some((since, by));
    }
    /// upstream: nonTerminatingPodHasStaleDisruptionCondition — when a `DisruptionTarget=True`
    /// condition of the status shown (a client's, while it is shown) was set, unless the pod
    /// is finished or the kubelet set it (TerminationByKubelet: never stale). The caller checks
    /// that the pod is not terminating.
    pub fn disruption_target_since(&self) -> Option<Millis> {
        if let Some(written) = self.written_status() {
            let terminal = matches!(written.phase.as_deref(), Some("Succeeded" | "Failed"));
            let c = written.conditions.iter().flatten().find(|c| c.type_ == "DisruptionTarget")?;
            let by_kubelet = c.reason.as_deref() == Some("TerminationByKubelet");
            return (c.status == "True" && !by_kubelet && !terminal)
                .then(|| c.last_transition_time.as_ref().map_or(0, crate::api::meta::from_time));
        }
        let (since, by) = self.disruption_target()?;
        (by.is_true() && !self.phase.is_terminal()).then_some(since)
    }
    /// upstream: syncStalePodDisruption — `DisruptionTarget` set to False at `now`, with no
    /// reason or message, in the status shown (a client's status stays shown, so changed).
    pub fn reset_disruption_target(&mut self, now: Millis) {
        if let Some(written) = self.written_status() {
            let mut status = (**written).clone();
            for c in status.conditions.iter_mut().flatten().filter(|c| c.type_ == "DisruptionTarget") {
                *c = core::PodCondition {
                    type_: c.type_.clone(),
                    status: "False".into(),
                    last_transition_time: Some(to_time(now)),
                    ..Default::default()
                };
            }
            self.set_written_status(Some(Arc::new(status)));
            return;
        }
        self.set_disruption_target(now, Disruption::Reset);
    }
    /// The phase the API shows: the one a client wrote through `pods/status` while that status
    /// is shown (an unknown or missing phase there counts as the kubelet's), else the kubelet's.
    pub fn shown_phase(&self) -> Phase {
        let written = self.written_status().and_then(|w| w.phase.as_deref());
        match written {
            Some("Pending") => Phase::Pending,
            Some("Running") => Phase::Running,
            Some("Succeeded") => Phase::Succeeded,
            Some("Failed") => Phase::Failed,
            Some("Unknown") => Phase::Unknown,
            _ => self.phase,
        }
    }
    /// The status a client wrote through `pods/status`, while it is shown.
    pub fn written_status(&self) -> Option<&Arc<core::PodStatus>> {
        self.note.as_ref().and_then(|n| n.written.as_ref())
    }
    /// Show `status` as the pod's status until the next status write that does not set it again.
    pub fn set_written_status(&mut self, status: Option<Arc<core::PodStatus>>) {
        self.note.get_or_insert_with(Default::default).written = status;
        self.tidy_note();
    }
    /// upstream: the kubelet's status manager writes the status it computes over what a client
    /// wrote. A status write that carries the stored client status along unchanged (the same
    /// `Arc`: a controller's copy of the stored record) drops it; one that sets a new one keeps it.
    pub fn drop_carried_written_status(&mut self, stored: &PodRuntime) {
        if let (Some(new), Some(old)) = (self.written_status(), stored.written_status()) {
            if Arc::ptr_eq(new, old) {
                self.set_written_status(None);
            }
        }
    }
    fn tidy_note(&mut self) {
        if self.note.as_deref().is_some_and(|n| {
            n.reason.is_none() && n.message.is_none() && n.disruption_target.is_none() && n.written.is_none()
        }) {
            self.note = None;
        }
    }

    pub fn condition(&self, t: ConditionType) -> Option<Condition> {
        let (c, bit) = (&self.conditions, 1u8 << t as usize);
        (c.present & bit != 0).then(|| Condition {
            last_transition: c.times[t as usize],
            status: c.status & bit != 0,
            reason: c.reasons[t as usize],
        })
    }

    /// Set a condition; the transition time moves only when the status changes.
    pub fn set_condition(&mut self, t: ConditionType, status: bool, reason: Option<&'static str>, now: Millis) {
        let last_transition = match self.condition(t) {
            Some(c) if c.status == status => c.last_transition,
            _ => now,
        };
        let reason = reason.map_or(0, |r| {
            let i = CONDITION_REASONS.iter().position(|k| *k == r);
            debug_assert!(i.is_some(), "unknown pod condition reason {r}");
            i.unwrap_or(0) as u8
        });
        let (c, i) = (&mut self.conditions, t as usize);
        c.times[i] = last_transition;
        c.reasons[i] = reason;
        c.present |= 1 << i;
        c.status = if status { c.status | 1 << i } else { c.status & !(1 << i) };
    }

    pub fn is_ready(&self) -> bool {
        self.condition(ConditionType::Ready).is_some_and(|c| c.status)
    }

    /// When the pod last became Ready, if it is.
    pub fn ready_since(&self) -> Option<Millis> {
        self.condition(ConditionType::Ready).filter(|c| c.status).map(|c| c.last_transition)
    }

    /// The wire `PodStatus` for this pod (a client's written status while it is shown).
    pub fn to_status(&self, meta: &Meta, spec: &core::PodSpec) -> core::PodStatus {
        if let Some(written) = self.written_status() {
            return (**written).clone();
        }
        let conditions: Vec<core::PodCondition> = ConditionType::ALL
            .iter()
            .filter_map(|&t| self.condition(t).map(|c| (t, c)))
            .map(|(t, c)| core::PodCondition {
                type_: t.as_str().into(),
                status: if c.status { "True" } else { "False" }.into(),
                reason: c.reason().map(Into::into),
                message: self.condition_message(t, &c, spec),
                last_transition_time: Some(to_time(c.last_transition)),
                last_probe_time: None,
                observed_generation: None,
            })
            .chain(self.disruption_target().map(|(at, by)| core::PodCondition {
                type_: "DisruptionTarget".into(),
                status: if by.is_true() { "True" } else { "False" }.into(),
                reason: by.is_true().then(|| by.reason().into()),
                message: by.is_true().then(|| by.message().into()),
                last_transition_time: Some(to_time(at)),
                last_probe_time: None,
                observed_generation: None,
            }))
            .collect();
        // Container statuses appear once a kubelet has taken the pod.
        let reported = if self.start_time().is_some() { spec.containers.len() } else { 0 };
        let container_statuses: Vec<core::ContainerStatus> = spec
            .containers
            .iter()
            .zip(self.containers.iter())
            .take(reported)
            .enumerate()
            .map(|(i, (c, rt))| container_status(meta, i, c, rt))
            .collect();
        core::PodStatus {
            phase: Some(self.phase.as_str().into()),
            qos_class: Some(self.qos_class.as_str().into()),
            conditions: (!conditions.is_empty()).then_some(conditions),
            container_statuses: (!container_statuses.is_empty()).then_some(container_statuses),
            host_ip: self.host_ip.map(|ip| ip.to_string()),
            host_ips: self.host_ip.map(|ip| vec![core::HostIP { ip: ip.to_string() }]),
            pod_ip: self.pod_ip.map(|ip| ip.to_string()),
            pod_ips: self.pod_ip.map(|ip| vec![core::PodIP { ip: ip.to_string() }]),
            start_time: self.start_time().map(to_time),
            reason: self.reason().map(Into::into),
            // upstream: the scheduler reports an unschedulable pod in its PodScheduled condition
            // only; status.message goes with a status.reason (Evicted, NodeLost).
            message: self.reason().and(self.message()).map(|m| m.to_string()),
            ..Default::default()
        }
    }

    fn condition_message(&self, t: ConditionType, c: &Condition, spec: &core::PodSpec) -> Option<String> {
        if c.status {
            return None;
        }
        match t {
            ConditionType::ContainersReady | ConditionType::Ready if c.reason() == Some("ContainersNotReady") => {
                // upstream: kubelet status generate.go — "containers with unready status: [a b]"
                let unready: Vec<&str> = spec
                    .containers
                    .iter()
                    .zip(self.containers.iter())
                    .filter(|(_, rt)| !rt.ready)
                    .map(|(c, _)| c.name.as_str())
                    .collect();
                Some(format!("containers with unready status: [{}]", unready.join(" ")))
            }
            ConditionType::PodScheduled => self.message().map(|m| m.to_string()),
            _ => None,
        }
    }
}

/// A stable fake runtime id: `containerd://<64 hex>` from the pod uid, container and restart.
fn container_id(uid: Uid, index: usize, restart: u32) -> String {
    let parts: [&[u8]; 3] = [&uid.0.to_le_bytes(), &(index as u64).to_le_bytes(), &restart.to_le_bytes()];
    let words: Vec<String> = (0..4u64).map(|k| format!("{:016x}", stable_hash(k, &parts))).collect();
    format!("containerd://{}", words.concat())
}

/// `docker.io/library/nginx@sha256:…` — what a runtime reports for a pulled image reference.
pub fn image_id(image: &str) -> String {
    let (name, _) = split_image(image);
    let repo = if name.contains('/') {
        if name.split('/').next().is_some_and(|h| h.contains('.') || h.contains(':') || h == "localhost") {
            name.to_string()
        } else {
            format!("docker.io/{name}")
        }
    } else {
        format!("docker.io/library/{name}")
    };
    let digest: Vec<String> = (0..4u64).map(|k| format!("{:016x}", stable_hash(k, &[image.as_bytes()]))).collect();
    format!("{repo}@sha256:{}", digest.concat())
}

/// Split `repo[:tag][@digest]` into the repository and the rest.
pub fn split_image(image: &str) -> (&str, &str) {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last_slash = without_digest.rfind('/').map(|i| i + 1).unwrap_or(0);
    match without_digest[last_slash..].find(':') {
        Some(i) => (&image[..last_slash + i], &image[last_slash + i..]),
        None => (without_digest, &image[without_digest.len()..]),
    }
}

fn wire_state(
    uid: Uid,
    index: usize,
    restart: u32,
    s: &ContainerState,
    backoff_msg: Option<String>,
) -> core::ContainerState {
    match s {
        ContainerState::Waiting { reason } => core::ContainerState {
            waiting: Some(core::ContainerStateWaiting { reason: Some((*reason).into()), message: backoff_msg }),
            ..Default::default()
        },
        ContainerState::Running { started_at } => core::ContainerState {
            running: Some(core::ContainerStateRunning { started_at: Some(to_time(*started_at)) }),
            ..Default::default()
        },
        ContainerState::Terminated { exit_code, reason, started_at, finished_at } => core::ContainerState {
            terminated: Some(core::ContainerStateTerminated {
                exit_code: *exit_code,
                reason: Some((*reason).into()),
                started_at: Some(to_time(*started_at)),
                finished_at: Some(to_time(*finished_at)),
                container_id: Some(container_id(uid, index, restart)),
                message: None,
                signal: None,
            }),
            ..Default::default()
        },
    }
}

fn container_status(meta: &Meta, index: usize, c: &core::Container, rt: &ContainerRuntime) -> core::ContainerStatus {
    let uid = meta.uid;
    let image = c.image.clone().unwrap_or_default();
    let ran = !matches!(rt.state, ContainerState::Waiting { .. }) || rt.last_state.is_some();
    let backoff_msg = match rt.state {
        ContainerState::Waiting { reason: "CrashLoopBackOff" } => Some(format!(
            "back-off {} restarting failed container={} pod={}_{}({})",
            crate::sim::clock::format_go_duration(rt.backoff),
            c.name,
            meta.name,
            meta.namespace,
            meta.uid
        )),
        ContainerState::Waiting { reason: "ImagePullBackOff" } => Some(format!("Back-off pulling image \"{image}\"")),
        _ => None,
    };
    core::ContainerStatus {
        name: c.name.clone(),
        image_id: if ran { image_id(&image) } else { String::new() },
        image,
        container_id: ran.then(|| container_id(uid, index, rt.restart_count)),
        ready: rt.ready,
        started: Some(rt.started),
        restart_count: rt.restart_count as i32,
        state: Some(wire_state(uid, index, rt.restart_count, &rt.state, backoff_msg)),
        last_state: Some(match &rt.last_state {
            Some(s) => wire_state(uid, index, rt.restart_count.saturating_sub(1), s, None),
            None => core::ContainerState::default(),
        }),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn condition_transition_time_moves_only_on_status_change() {
        let mut rt = PodRuntime::default();
        rt.set_condition(ConditionType::Ready, false, Some("ContainersNotReady"), 1000);
        rt.set_condition(ConditionType::Ready, false, Some("ContainersNotReady"), 2000);
        assert_eq!(rt.condition(ConditionType::Ready).unwrap().last_transition, 1000);
        rt.set_condition(ConditionType::Ready, true, None, 3000);
        assert_eq!(rt.ready_since(), Some(3000));
    }

    #[test]
    fn packed_conditions_keep_each_slot_apart() {
        use ConditionType::*;
        let mut rt = PodRuntime::default();
        assert!(ConditionType::ALL.iter().all(|&t| rt.condition(t).is_none()));
        rt.set_condition(PodScheduled, true, None, 10);
        rt.set_condition(Ready, false, Some("ContainersNotReady"), 20);
        rt.set_condition(PodReadyToStartContainers, false, None, 30);
        rt.set_condition(PodReadyToStartContainers, true, None, 40);
        let got: Vec<_> = ConditionType::ALL
            .iter()
            .map(|&t| rt.condition(t).map(|c| (c.status, c.reason(), c.last_transition)))
            .collect();
        assert_eq!(
            got,
            [Some((true, None, 40)), None, Some((false, Some("ContainersNotReady"), 20)), None, Some((true, None, 10)),]
        );
        // A true condition set false clears only its own bit.
        rt.set_condition(PodScheduled, false, Some("Unschedulable"), 50);
        assert_eq!(rt.condition(PodScheduled).map(|c| (c.status, c.reason())), Some((false, Some("Unschedulable"))));
        assert!(rt.condition(PodReadyToStartContainers).unwrap().status);
    }

    #[test]
    fn images_split_into_repository_and_tag() {
        assert_eq!(split_image("nginx:1.7.9"), ("nginx", ":1.7.9"));
        assert_eq!(split_image("nginx"), ("nginx", ""));
        assert_eq!(split_image("localhost:5000/app"), ("localhost:5000/app", ""));
        assert_eq!(split_image("localhost:5000/app:2"), ("localhost:5000/app", ":2"));
        assert_eq!(split_image("nginx@sha256:abc"), ("nginx", "@sha256:abc"));
        assert!(image_id("nginx:1.7.9").starts_with("docker.io/library/nginx@sha256:"));
        assert!(image_id("quay.io/x/y:1").starts_with("quay.io/x/y@sha256:"));
    }

    #[test]
    fn status_lists_conditions_in_kubelet_order_with_derived_messages() {
        let spec = core::PodSpec {
            containers: vec![core::Container { name: "web".into(), image: Some("nginx".into()), ..Default::default() }],
            ..Default::default()
        };
        let mut rt = PodRuntime {
            containers: vec![ContainerRuntime::default()].into(),
            start: StartTime(0),
            ..Default::default()
        };
        rt.set_condition(ConditionType::PodScheduled, true, None, 0);
        rt.set_condition(ConditionType::Ready, false, Some("ContainersNotReady"), 0);
        let s = rt.to_status(&Meta::default(), &spec);
        let conds = s.conditions.unwrap();
        assert_eq!(conds.iter().map(|c| c.type_.as_str()).collect::<Vec<_>>(), ["Ready", "PodScheduled"]);
        assert_eq!(conds[0].message.as_deref(), Some("containers with unready status: [web]"));
        let cs = &s.container_statuses.unwrap()[0];
        assert_eq!(cs.state.as_ref().unwrap().waiting.as_ref().unwrap().reason.as_deref(), Some("ContainerCreating"));
        assert_eq!(cs.image_id, "");
    }
}
