//! The simulated kubelet: per pod, pull images, start containers, report readiness, crash and
//! restart with back-off, and terminate on deletion — in virtual time, as a pure function of the
//! pod, its node, the image profiles and the clock. Probe results follow from the image profile
//! in closed form, so a pod is only revisited when something it shows will change.

mod config;
pub mod dist;
pub mod exec;
pub mod images;
pub mod logs;
pub mod script;

use std::sync::Arc;

use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::api::pod::{ConditionType, ContainerRuntime, ContainerState, Phase, PodRuntime, Stage};
use crate::api::{Body, Object};
use crate::controllers::{Ctx, EventRecord, Reconciled, Write};
use crate::sim::clock::{format_go_duration, Millis};
use crate::store::ObjectKey;
use images::{ImageSpec, Timings};

const COMPONENT: &str = "kubelet";
/// upstream: kubelet back-off — 10 s initial, doubling to 300 s; an entry idle for 2× max resets.
pub const BACKOFF_INITIAL: Millis = 10_000;
pub const BACKOFF_MAX: Millis = 300_000;
pub const BACKOFF_RESET: Millis = 2 * BACKOFF_MAX;
/// How long ErrImagePull shows before the pod's next sync turns it into ImagePullBackOff.
const ERR_IMAGE_PULL_SHOWN: Millis = 1_000;

struct PodCtx<'a> {
    ctx: &'a Ctx<'a>,
    pod: &'a Object,
    node: Arc<str>,
    events: Vec<Write>,
}

impl PodCtx<'_> {
    /// Record an Event when Events are recorded (the message is formatted only then).
    fn event(&mut self, container: Option<&str>, warning: bool, reason: &'static str, message: std::fmt::Arguments) {
        if !self.ctx.events {
            return;
        }
        let mut e = EventRecord::about(self.pod, COMPONENT, warning, reason, message.to_string());
        e.field_path = container.map(|c| format!("spec.containers{{{c}}}"));
        e.host = Some(self.node.clone());
        self.events.push(Write::Event(Box::new(e)));
    }
}

fn earliest(a: Option<Millis>, b: Option<Millis>) -> Option<Millis> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

pub fn reconcile(ctx: &Ctx, key: &ObjectKey) -> Reconciled {
    let Some(pod) = ctx.store.get_by_key(key) else { return Reconciled::nothing() };
    let Body::Pod { spec, status } = &pod.body else { return Reconciled::nothing() };
    let Some(node) = spec.node_name.as_deref().or(status.node_name.as_deref()) else { return Reconciled::nothing() };
    if ctx.nodes.down.contains_key(node) {
        return Reconciled::nothing();
    }
    let Some(node_obj) = ctx.store.lookup(crate::api::Kind::Node, "", node) else { return Reconciled::nothing() };
    let mut pc = PodCtx { ctx, pod, node: node_obj.meta.name.clone(), events: Vec::new() };
    let mut rt = status.clone();
    let now = ctx.now;
    if rt.containers.len() != spec.containers.len() {
        let mut containers = std::mem::take(&mut rt.containers).into_vec();
        containers.resize(spec.containers.len(), ContainerRuntime::default());
        rt.containers = containers.into();
    }
    if rt.start_time().is_none() && pod.meta.deletion_timestamp().is_none() {
        // upstream: the kubelet's sync loop — with a sync period, a newly bound pod waits for
        // the next tick (ticks fall at the cluster's start plus whole periods).
        let tick = ctx.latency.kubelet_tick(ctx.load.start, now);
        if tick > now {
            return Reconciled::nothing().requeue(Some(tick));
        }
    }
    if rt.start_time().is_none() {
        // The pod is admitted: sandbox and network come up at once (the CNI assigns the IP when
        // this status is committed).
        rt.set_start_time(Some(now));
        rt.host_ip = host_ip(node_obj);
        rt.set_condition(ConditionType::PodReadyToStartContainers, true, None, now);
        rt.set_condition(ConditionType::Initialized, true, None, now);
    }
    let mut next: Option<Millis> = None;
    let mut writes = Vec::new();
    if let Some(deadline) = pod.meta.deletion_timestamp() {
        let mut all_done = true;
        for (c, crt) in spec.containers.iter().zip(rt.containers.iter_mut()) {
            let profile = ctx.images.timings(image_of(c), draw_key(pod, c, crt));
            if let Some(t) = terminate_container(&mut pc, c, crt, &profile, deadline) {
                all_done = false;
                next = earliest(next, Some(t));
            }
        }
        if all_done && !pod.meta.finalizers().is_empty() {
            // upstream: a deleted pod's containers have stopped: its phase is terminal (Succeeded
            // only if every container exited 0); the object stays until its finalizers go.
            let all_zero =
                rt.containers.iter().all(|c| matches!(c.state, ContainerState::Terminated { exit_code: 0, .. }));
            rt.phase = if all_zero { Phase::Succeeded } else { Phase::Failed };
            for c in rt.containers.iter_mut() {
                c.ready = false;
            }
            let reason = if all_zero { "PodCompleted" } else { "PodFailed" };
            rt.set_condition(ConditionType::ContainersReady, false, Some(reason), now);
            rt.set_condition(ConditionType::Ready, false, Some(reason), now);
            if rt != *status {
                let mut updated = (**pod).clone();
                if let Body::Pod { status, .. } = &mut updated.body {
                    *status = rt;
                }
                writes.push(Write::UpdateStatus(Box::new(updated)));
            }
            writes.append(&mut pc.events);
            return Reconciled { writes, requeue_at: None };
        }
        if all_done {
            // The kubelet's final delete with grace 0.
            writes.append(&mut pc.events);
            writes.push(Write::Remove { key: key.clone(), uid: pod.meta.uid });
            return Reconciled { writes, requeue_at: None };
        }
    } else {
        let restart_policy = spec.restart_policy.as_deref().unwrap_or("Always");
        for (c, crt) in spec.containers.iter().zip(rt.containers.iter_mut()) {
            let t = step_container(&mut pc, c, crt, restart_policy, rt.pod_ip);
            next = earliest(next, t);
        }
    }
    let all_ready = rt.containers.iter().all(|c| c.ready);
    rt.phase = phase(&rt, spec.restart_policy.as_deref().unwrap_or("Always"));
    // upstream: GenerateContainersReadyCondition — a pod in a terminal phase is not ready because
    // it completed or failed (no message); otherwise because of its unready containers.
    let reason = (!all_ready).then_some(match rt.phase {
        Phase::Failed => "PodFailed",
        Phase::Succeeded => "PodCompleted",
        _ => "ContainersNotReady",
    });
    rt.set_condition(ConditionType::ContainersReady, all_ready, reason, now);
    rt.set_condition(ConditionType::Ready, all_ready, reason, now);
    if rt != *status {
        let mut updated = (**pod).clone();
        if let Body::Pod { status, .. } = &mut updated.body {
            *status = rt;
        }
        writes.push(Write::UpdateStatus(Box::new(updated)));
    }
    writes.append(&mut pc.events);
    Reconciled { writes, requeue_at: next }
}

fn host_ip(node: &Object) -> Option<std::net::Ipv4Addr> {
    let Body::Node { status, .. } = &node.body else { return None };
    status.addresses.as_ref()?.iter().find(|a| a.type_ == "InternalIP")?.address.parse().ok()
}

/// upstream: getPhase, for regular containers.
fn phase(rt: &PodRuntime, restart_policy: &str) -> Phase {
    let (mut running, mut waiting, mut stopped, mut succeeded) = (0, 0, 0, 0);
    for c in &rt.containers {
        match &c.state {
            ContainerState::Running { .. } => running += 1,
            ContainerState::Terminated { exit_code, .. } => {
                stopped += 1;
                if *exit_code == 0 {
                    succeeded += 1;
                }
            }
            ContainerState::Waiting { .. } if c.last_state.is_some() => stopped += 1,
            ContainerState::Waiting { .. } => waiting += 1,
        }
    }
    if waiting > 0 {
        Phase::Pending
    } else if running > 0 {
        Phase::Running
    } else if stopped > 0 {
        match restart_policy {
            "Always" => Phase::Running,
            _ if succeeded == stopped => Phase::Succeeded,
            "OnFailure" => Phase::Running,
            _ => Phase::Failed,
        }
    } else {
        Phase::Pending
    }
}

fn image_of(c: &core::Container) -> &str {
    c.image.as_deref().unwrap_or("")
}

/// What the timings of this run of the container are drawn from (see [`dist`]).
fn draw_key<'a>(pod: &Object, c: &'a core::Container, crt: &ContainerRuntime) -> dist::DrawKey<'a> {
    dist::DrawKey { pod_uid: pod.meta.uid.0, container: &c.name, restarts: crt.restart_count }
}

/// Advance one container as far as `now` allows; returns when it next needs a look.
fn step_container(
    pc: &mut PodCtx,
    c: &core::Container,
    crt: &mut ContainerRuntime,
    restart_policy: &str,
    pod_ip: Option<std::net::Ipv4Addr>,
) -> Option<Millis> {
    let now = pc.ctx.now;
    let image = image_of(c);
    let spec = pc.ctx.images.spec(image).unwrap_or(ImageSpec::unregistered());
    // A few transitions can happen at one instant (pull done → start); loop until settled.
    for _ in 0..8 {
        // Drawn for this run of the container: a restart in the loop draws the next run's.
        let profile = spec.timings(draw_key(pc.pod, c, crt));
        match crt.stage {
            Stage::New => begin_pull_or_start(pc, c, crt, &profile),
            Stage::Pulling { until, since } if pulled_by(pc, image, until) <= now => {
                if profile.exists() {
                    let until = pulled_by(pc, image, until);
                    // (The text's durations are worked out only for an Event recorded.)
                    if pc.ctx.events {
                        let took = format_go_duration(until - since);
                        let took = if pc.ctx.latency.serialize_image_pulls {
                            // upstream: "in <pull> (<pull and the wait for the puller> including waiting)".
                            let pulling =
                                pc.ctx.latency.pull_time(profile.size_bytes(), profile.pull()).min(until - since);
                            format!("{} ({took} including waiting)", format_go_duration(pulling))
                        } else {
                            format!("{took} ({took} including waiting)")
                        };
                        pc.event(
                            Some(&c.name),
                            false,
                            "Pulled",
                            format_args!(
                                "Successfully pulled image \"{image}\" in {took}. Image size: {} bytes.",
                                profile.size_bytes()
                            ),
                        );
                    }
                    crt.stage = Stage::Starting { until: now + profile.start() };
                } else {
                    pc.event(
                        Some(&c.name),
                        true,
                        "Failed",
                        format_args!("Failed to pull image \"{image}\": {}", pull_error(image)),
                    );
                    pc.event(Some(&c.name), true, "Failed", format_args!("Error: ErrImagePull"));
                    crt.pull_backoff =
                        if crt.pull_backoff == 0 { BACKOFF_INITIAL } else { (crt.pull_backoff * 2).min(BACKOFF_MAX) };
                    crt.state = ContainerState::Waiting { reason: "ErrImagePull" };
                    crt.stage = Stage::PullBackOff { until: now + crt.pull_backoff };
                    return Some(now + ERR_IMAGE_PULL_SHOWN);
                }
            }
            Stage::Pulling { until, .. } => return Some(pulled_by(pc, image, until)),
            Stage::PullBackOff { until } if until <= now => {
                crt.stage = Stage::New;
            }
            Stage::PullBackOff { until } => {
                if crt.state == (ContainerState::Waiting { reason: "ErrImagePull" }) {
                    crt.state = ContainerState::Waiting { reason: "ImagePullBackOff" };
                    pc.event(Some(&c.name), false, "BackOff", format_args!("Back-off pulling image \"{image}\""));
                    pc.event(Some(&c.name), true, "Failed", format_args!("Error: ImagePullBackOff"));
                }
                return Some(until);
            }
            Stage::Starting { until } if until <= now => {
                if let Some(problem) = config::missing_config(pc.ctx.store, &pc.pod.meta.namespace, c) {
                    pc.event(Some(&c.name), true, "Failed", format_args!("Error: {problem}"));
                    crt.state = ContainerState::Waiting { reason: "CreateContainerConfigError" };
                    crt.stage = Stage::Starting { until: now + config::CONFIG_RETRY };
                    return Some(now + config::CONFIG_RETRY);
                }
                pc.event(Some(&c.name), false, "Created", format_args!("Created container: {}", c.name));
                pc.event(Some(&c.name), false, "Started", format_args!("Started container {}", c.name));
                crt.state = ContainerState::Running { started_at: now };
                crt.started = true;
                crt.stage = Stage::Running;
            }
            Stage::Starting { until } => return Some(until),
            Stage::Running => {
                let ContainerState::Running { started_at } = crt.state else {
                    crt.stage = Stage::New;
                    continue;
                };
                let exit = exit_plan(c, &profile, started_at);
                if let Some((at, code, reason, liveness)) = exit.filter(|e| e.0 <= now) {
                    if liveness {
                        let threshold = c.liveness_probe.as_ref().and_then(|p| p.failure_threshold).unwrap_or(3);
                        for _ in 0..threshold {
                            pc.event(
                                Some(&c.name),
                                true,
                                "Unhealthy",
                                format_args!(
                                    "Liveness probe failed: {}",
                                    probe_failure(c, c.liveness_probe.as_ref(), pod_ip)
                                ),
                            );
                        }
                        pc.event(
                            Some(&c.name),
                            false,
                            "Killing",
                            format_args!("Container {} failed liveness probe, will be restarted", c.name),
                        );
                    }
                    crt.state = ContainerState::Terminated { exit_code: code, reason, started_at, finished_at: at };
                    crt.ready = false;
                    crt.started = false;
                    let restarts = match restart_policy {
                        "Always" => true,
                        "OnFailure" => code != 0,
                        _ => false,
                    };
                    if !restarts {
                        crt.stage = Stage::Done;
                        return None;
                    }
                    // upstream: doBackOff — in back-off if the entry is live and younger than its delay.
                    let live_entry = crt.backoff > 0 && at - crt.backoff_updated <= BACKOFF_RESET;
                    if live_entry && now - at < crt.backoff {
                        crt.last_state = Some(Box::new(crt.state.clone()));
                        crt.state = ContainerState::Waiting { reason: "CrashLoopBackOff" };
                        crt.stage = Stage::BackOff { until: at + crt.backoff };
                        pc.event(Some(&c.name), true, "BackOff", format_args!("{}", backoff_message(pc.pod, c)));
                        return Some(at + crt.backoff);
                    }
                    step_backoff(crt, live_entry, now);
                    restart(pc, c, crt, now);
                    continue;
                }
                let (ready, next_probe) = readiness(pc, c, crt, &profile, started_at, pod_ip);
                crt.ready = ready;
                return earliest(next_probe, exit.map(|e| e.0));
            }
            Stage::BackOff { until } if until <= now => {
                step_backoff(crt, true, now);
                restart(pc, c, crt, now);
            }
            Stage::BackOff { until } => return Some(until),
            Stage::Done | Stage::Stopping { .. } => return None,
        }
    }
    Some(now)
}

/// upstream: flowcontrol.Backoff.Next — a fresh entry is 10 s, a live one doubles to 300 s.
fn step_backoff(crt: &mut ContainerRuntime, live_entry: bool, now: Millis) {
    crt.backoff = if live_entry { (crt.backoff * 2).min(BACKOFF_MAX) } else { BACKOFF_INITIAL };
    crt.backoff_updated = now;
}

fn restart(pc: &mut PodCtx, c: &core::Container, crt: &mut ContainerRuntime, now: Millis) {
    let previous = match &crt.state {
        ContainerState::Waiting { .. } => crt.last_state.clone(),
        other => Some(Box::new(other.clone())),
    };
    crt.last_state = previous;
    crt.restart_count += 1;
    pc.event(
        Some(&c.name),
        false,
        "Pulled",
        format_args!("Container image \"{}\" already present on machine", image_of(c)),
    );
    pc.event(Some(&c.name), false, "Created", format_args!("Created container: {}", c.name));
    pc.event(Some(&c.name), false, "Started", format_args!("Started container {}", c.name));
    crt.state = ContainerState::Running { started_at: now };
    crt.started = true;
    crt.ready = false;
    crt.stage = Stage::Running;
}

fn backoff_message(pod: &Object, c: &core::Container) -> String {
    format!(
        "Back-off restarting failed container {} in pod {}_{}({})",
        c.name, pod.meta.name, pod.meta.namespace, pod.meta.uid
    )
}

fn pull_error(image: &str) -> String {
    let (repo, rest) = crate::api::pod::split_image(image);
    let reference = crate::api::pod::image_id(image).split('@').next().unwrap_or(repo).to_string();
    let full = format!("{reference}{}", if rest.is_empty() { ":latest" } else { rest });
    format!(
        "rpc error: code = NotFound desc = failed to pull and unpack image \"{full}\": failed to resolve reference \"{full}\": {full}: not found"
    )
}

fn begin_pull_or_start(pc: &mut PodCtx, c: &core::Container, crt: &mut ContainerRuntime, profile: &Timings) {
    let now = pc.ctx.now;
    let image = image_of(c);
    let policy = c.image_pull_policy.as_deref().unwrap_or("IfNotPresent");
    let cached = pc.ctx.nodes.images.get(&(pc.node.clone(), Arc::from(image))).copied();
    let present = cached.is_some_and(|t| t <= now);
    if present && policy != "Always" {
        pc.event(
            Some(&c.name),
            false,
            "Pulled",
            format_args!("Container image \"{image}\" already present on machine"),
        );
        crt.state = ContainerState::Waiting { reason: "ContainerCreating" };
        crt.stage = Stage::Starting { until: now + profile.start() };
        return;
    }
    if policy == "Never" {
        pc.event(
            Some(&c.name),
            true,
            "ErrImageNeverPull",
            format_args!("Container image \"{image}\" is not present with pull policy of Never"),
        );
        crt.state = ContainerState::Waiting { reason: "ErrImageNeverPull" };
        crt.stage = Stage::Done;
        return;
    }
    pc.event(Some(&c.name), false, "Pulling", format_args!("Pulling image \"{image}\""));
    crt.state =
        ContainerState::Waiting { reason: if crt.pull_backoff > 0 { "ImagePullBackOff" } else { "ContainerCreating" } };
    // Join a pull already under way on this node rather than pulling twice.
    let until = match cached.filter(|t| *t > now && profile.exists()) {
        Some(t) => t,
        None => now + pc.ctx.latency.pull_time(profile.size_bytes(), profile.pull()),
    };
    crt.stage = Stage::Pulling { until, since: now };
    if profile.exists() && cached.is_none_or(|t| t <= now) {
        pc.events.push(Write::ImagePull { node: pc.node.clone(), image: image.into(), done: until });
    }
}

/// When a pull the container waits for ends: as planned, or with serialized pulls when the
/// node's puller gets to it (the engine queues the pull when it commits it).
fn pulled_by(pc: &PodCtx, image: &str, planned: Millis) -> Millis {
    if !pc.ctx.latency.serialize_image_pulls {
        return planned;
    }
    let queued = pc.ctx.nodes.images.get(&(pc.node.clone(), Arc::from(image))).copied();
    queued.map_or(planned, |t| t.max(planned))
}

fn probe_period(p: Option<&core::Probe>) -> Millis {
    p.and_then(|p| p.period_seconds).unwrap_or(10).max(1) as Millis * 1000
}

/// When (and how) the container exits on its own: crash, completion or a liveness kill.
fn exit_plan(c: &core::Container, profile: &Timings, started: Millis) -> Option<(Millis, i32, &'static str, bool)> {
    let mut best: Option<(Millis, i32, &'static str, bool)> = None;
    let mut consider = |e: (Millis, i32, &'static str, bool)| {
        if best.is_none_or(|b| e.0 < b.0) {
            best = Some(e);
        }
    };
    let (crash, completes) = (profile.crash_after(), profile.completes_after());
    if let Some(d) = crash {
        let code = profile.exit_code();
        let reason = match code {
            0 => "Completed",
            137 => "OOMKilled",
            _ => "Error",
        };
        consider((started + d, code, reason, false));
    }
    if let Some(d) = completes {
        consider((started + d, 0, "Completed", false));
    }
    if crash.is_none() && completes.is_none() {
        // The image does not say when it exits: a command kubesim can follow does.
        if let Some(s) = script::of(c) {
            consider((started + s.runs_for, s.exit_code, if s.exit_code == 0 { "Completed" } else { "Error" }, false));
        }
    }
    if let (Some(p), Some(d)) = (c.liveness_probe.as_ref(), profile.liveness_fails_after()) {
        let period = probe_period(Some(p));
        let first_valid = ceil_div(p.initial_delay_seconds.unwrap_or(0) as Millis * 1000, period);
        let first_fail = first_valid.max(ceil_div(d, period));
        let kill_tick = first_fail + p.failure_threshold.unwrap_or(3).max(1) as Millis - 1;
        // upstream: a liveness kill exits like SIGKILL after the grace period would, code 137.
        consider((started + kill_tick * period, 137, "Error", true));
    }
    best
}

fn ceil_div(a: Millis, b: Millis) -> Millis {
    if a <= 0 {
        0
    } else {
        (a + b - 1) / b
    }
}

/// Readiness at `now` from the probe schedule in closed form; emits Unhealthy events for the
/// failed probes since the last look. Returns (ready, when to look again).
fn readiness(
    pc: &mut PodCtx,
    c: &core::Container,
    crt: &mut ContainerRuntime,
    profile: &Timings,
    started: Millis,
    pod_ip: Option<std::net::Ipv4Addr>,
) -> (bool, Option<Millis>) {
    let now = pc.ctx.now;
    let Some(p) = c.readiness_probe.as_ref() else { return (true, None) };
    let period = probe_period(Some(p));
    let first_valid = ceil_div(p.initial_delay_seconds.unwrap_or(0) as Millis * 1000, period);
    let first_success = first_valid.max(profile.ready_after().map(|d| ceil_div(d, period)).unwrap_or(0));
    let ready_tick = first_success + p.success_threshold.unwrap_or(1).max(1) as Millis - 1;
    let ready_at = started + ready_tick * period;
    // Failed probes happen at ticks first_valid..first_success; report those now due.
    let due_ticks = (now - started) / period; // ticks 0..=due_ticks have happened
    let last_reported = crt.probes_reported.max(started - 1);
    crt.probes_reported = now;
    for k in first_valid..first_success.min(due_ticks + 1) {
        let t = started + k * period;
        if t > last_reported && t <= now {
            pc.event(
                Some(&c.name),
                true,
                "Unhealthy",
                format_args!("Readiness probe failed: {}", probe_failure(c, Some(p), pod_ip)),
            );
        }
    }
    if now >= ready_at {
        return (true, None);
    }
    let next_fail = (first_valid..first_success).map(|k| started + k * period).find(|t| *t > now);
    (false, Some(next_fail.unwrap_or(ready_at).min(ready_at)))
}

fn probe_failure(c: &core::Container, p: Option<&core::Probe>, ip: Option<std::net::Ipv4Addr>) -> String {
    let ip = ip.map(|i| i.to_string()).unwrap_or_default();
    let port = |port: &IntOrString| match port {
        IntOrString::Int(n) => n.to_string(),
        IntOrString::String(name) => c
            .ports
            .iter()
            .flatten()
            .find(|cp| cp.name.as_deref() == Some(name.as_str()))
            .map(|cp| cp.container_port.to_string())
            .unwrap_or_else(|| name.clone()),
    };
    if let Some(h) = p.and_then(|p| p.http_get.as_ref()) {
        let scheme = h.scheme.as_deref().unwrap_or("HTTP").to_ascii_lowercase();
        let path = h.path.as_deref().unwrap_or("/");
        let port = port(&h.port);
        return format!("Get \"{scheme}://{ip}:{port}{path}\": dial tcp {ip}:{port}: connect: connection refused");
    }
    if let Some(t) = p.and_then(|p| p.tcp_socket.as_ref()) {
        return format!("dial tcp {ip}:{}: connect: connection refused", port(&t.port));
    }
    String::new()
}

/// Deletion: SIGTERM now, exit when the image says or SIGKILL at the deadline. Returns when
/// the container will have stopped, or `None` if it already has.
fn terminate_container(
    pc: &mut PodCtx,
    c: &core::Container,
    crt: &mut ContainerRuntime,
    profile: &Timings,
    deadline: Millis,
) -> Option<Millis> {
    let now = pc.ctx.now;
    match crt.stage {
        Stage::Running | Stage::Starting { .. } if matches!(crt.state, ContainerState::Running { .. }) => {
            pc.event(Some(&c.name), false, "Killing", format_args!("Stopping container {}", c.name));
            let until = profile.stop().map(|s| (now + s).min(deadline)).unwrap_or(deadline);
            crt.stage = Stage::Stopping { until };
            if until > now {
                return Some(until);
            }
            finish_stop(crt, until, deadline);
            None
        }
        Stage::Stopping { until } if until <= now => {
            finish_stop(crt, until, deadline);
            None
        }
        Stage::Stopping { until } => Some(until),
        _ => {
            crt.stage = Stage::Done;
            crt.ready = false;
            None
        }
    }
}

fn finish_stop(crt: &mut ContainerRuntime, at: Millis, deadline: Millis) {
    let started_at = match crt.state {
        ContainerState::Running { started_at } => started_at,
        _ => at,
    };
    // Exited on SIGTERM (0) or killed at the end of the grace period (137).
    let (exit_code, reason) = if at < deadline { (0, "Completed") } else { (137, "Error") };
    crt.state = ContainerState::Terminated { exit_code, reason, started_at, finished_at: at };
    crt.ready = false;
    crt.stage = Stage::Done;
}
