//! `kubectl describe pod` (kubectl.md §7.1), and the container and volume sections that pod
//! templates share (upstream: describeContainers, describeVolumes).

use std::sync::Arc;

use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{
    annotations_multiline, events_table, human_duration, labels_multiline, rfc1123z, tabwrite_padded,
    tolerations_multiline,
};
use crate::api::meta::from_time;
use crate::api::{Body, Object};
use crate::sim::clock::Millis;

/// `kubectl describe pod NAME` for a stored pod and the events about it.
pub fn describe_pod(pod: &Object, events: &[Arc<Object>], now: Millis) -> String {
    let Body::Pod { spec, status: rt } = &pod.body else { return String::new() };
    let status = rt.to_status(&pod.meta, spec);
    let mut o = String::new();
    o.push_str(&format!("Name:\t{}\n", pod.meta.name));
    o.push_str(&format!("Namespace:\t{}\n", pod.meta.namespace));
    if let Some(p) = spec.priority {
        o.push_str(&format!("Priority:\t{p}\n"));
    }
    if let Some(p) = spec.priority_class_name.as_ref().filter(|p| !p.is_empty()) {
        o.push_str(&format!("Priority Class Name:\t{p}\n"));
    }
    if let Some(sa) = spec.service_account_name.as_ref().filter(|s| !s.is_empty()) {
        o.push_str(&format!("Service Account:\t{sa}\n"));
    }
    match spec.node_name.as_deref().or(rt.node_name.as_deref()) {
        Some(n) => o.push_str(&format!("Node:\t{n}/{}\n", status.host_ip.as_deref().unwrap_or(""))),
        None => o.push_str("Node:\t<none>\n"),
    }
    if let Some(t) = rt.start_time() {
        o.push_str(&format!("Start Time:\t{}\n", rfc1123z(t)));
    }
    labels_multiline(&mut o, "Labels", pod.meta.labels.iter());
    annotations_multiline(&mut o, "Annotations", &pod.meta.annotations);
    match pod.meta.deletion_timestamp() {
        Some(t) if !rt.phase.is_terminal() => {
            o.push_str(&format!("Status:\tTerminating (lasts {})\n", human_duration(now - t.min(now))));
            o.push_str(&format!(
                "Termination Grace Period:\t{}s\n",
                pod.meta.deletion_grace_period_seconds().unwrap_or(30)
            ));
        }
        _ => o.push_str(&format!("Status:\t{}\n", rt.phase.as_str())),
    }
    if let Some(r) = status.reason.as_ref().filter(|r| !r.is_empty()) {
        o.push_str(&format!("Reason:\t{r}\n"));
    }
    if let Some(m) = status.message.as_ref().filter(|m| !m.is_empty()) {
        o.push_str(&format!("Message:\t{m}\n"));
    }
    o.push_str(&format!("IP:\t{}\n", status.pod_ip.as_deref().unwrap_or("")));
    match status.pod_ips.as_deref() {
        Some(ips) if !ips.is_empty() => {
            o.push_str("IPs:\n");
            for ip in ips {
                o.push_str(&format!("  IP:\t{}\n", ip.ip));
            }
        }
        _ => o.push_str("IPs:\t<none>\n"),
    }
    if let Some(r) = pod.meta.controller_ref() {
        o.push_str(&format!("Controlled By:\t{}/{}\n", r.kind, r.name));
    }
    let statuses = status.container_statuses.as_deref().unwrap_or(&[]);
    let env = EnvSource::Pod(pod, spec);
    if let Some(init) = spec.init_containers.as_deref().filter(|c| !c.is_empty()) {
        let init_statuses = status.init_container_statuses.as_deref().unwrap_or(&[]);
        containers(&mut o, "Init Containers", init, Some(init_statuses), &env, "");
    }
    containers(&mut o, "Containers", &spec.containers, Some(statuses), &env, "");
    if let Some(conds) = status.conditions.as_ref().filter(|c| !c.is_empty()) {
        o.push_str("Conditions:\n  Type\tStatus\n");
        for c in conds {
            o.push_str(&format!("  {} \t{} \n", c.type_, c.status));
        }
    }
    volumes(&mut o, spec.volumes.as_deref().unwrap_or(&[]), "");
    o.push_str(&format!("QoS Class:\t{}\n", rt.qos_class.as_str()));
    labels_multiline(&mut o, "Node-Selectors", spec.node_selector.iter().flatten());
    tolerations_multiline(&mut o, "Tolerations", spec.tolerations.as_deref().unwrap_or(&[]));
    topology_spread_constraints(&mut o, spec.topology_spread_constraints.as_deref().unwrap_or(&[]), "");
    o.push_str(&events_table(events, now));
    tabwrite_padded(&o, 2)
}

/// Where `valueFrom.fieldRef` values come from: a pod resolves them, a template shows nothing
/// (upstream passes no resolver for templates).
pub(super) enum EnvSource<'a> {
    Pod(&'a Object, &'a core::PodSpec),
    Template,
}

impl EnvSource<'_> {
    /// upstream: EnvValueRetriever — the common downward-API field paths.
    fn field(&self, path: &str) -> String {
        let EnvSource::Pod(pod, spec) = self else { return String::new() };
        let Body::Pod { status: rt, .. } = &pod.body else { return String::new() };
        let key = |prefix: &str| path.strip_prefix(prefix).and_then(|k| k.strip_suffix("']")).map(str::to_string);
        match path {
            "metadata.name" => pod.meta.name.to_string(),
            "metadata.namespace" => pod.meta.namespace.to_string(),
            "metadata.uid" => pod.meta.uid.to_string(),
            "spec.nodeName" => spec.node_name.as_deref().or(rt.node_name.as_deref()).unwrap_or("").to_string(),
            "spec.serviceAccountName" => spec.service_account_name.clone().unwrap_or_default(),
            "status.podIP" => rt.pod_ip.map(|i| i.to_string()).unwrap_or_default(),
            "status.hostIP" => rt.host_ip.map(|i| i.to_string()).unwrap_or_default(),
            _ => {
                if let Some(k) = key("metadata.labels['") {
                    pod.meta.labels.get(&k).cloned().unwrap_or_default()
                } else if let Some(k) = key("metadata.annotations['") {
                    pod.meta.annotations.get(&k).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            }
        }
    }
}

/// upstream: describeContainers — `space` is `"  "` inside a pod template, whose container
/// names are then indented one more space (`   nginx:`). Statuses are `None` for templates.
pub(super) fn containers(
    o: &mut String,
    label: &str,
    list: &[core::Container],
    statuses: Option<&[core::ContainerStatus]>,
    env: &EnvSource,
    space: &str,
) {
    let none = if list.is_empty() { " <none>" } else { "" };
    o.push_str(&format!("{space}{label}:{none}\n"));
    let name_indent = if space.is_empty() { "" } else { " " };
    for c in list {
        let status = statuses.and_then(|s| s.iter().find(|s| s.name == c.name));
        o.push_str(&format!("  {name_indent}{}:\n", c.name));
        if let Some(s) = status {
            o.push_str(&format!("    Container ID:\t{}\n", s.container_id.as_deref().unwrap_or("")));
        }
        o.push_str(&format!("    Image:\t{}\n", c.image.as_deref().unwrap_or("")));
        if let Some(s) = status {
            o.push_str(&format!("    Image ID:\t{}\n", s.image_id));
        }
        let ports = c.ports.as_deref().unwrap_or(&[]);
        let proto = |p: &core::ContainerPort| p.protocol.clone().unwrap_or_default();
        let port: Vec<String> = ports.iter().map(|p| format!("{}/{}", p.container_port, proto(p))).collect();
        let host: Vec<String> = ports.iter().map(|p| format!("{}/{}", p.host_port.unwrap_or(0), proto(p))).collect();
        for (label, cells) in [("Port", port), ("Host Port", host)] {
            match cells.len() {
                0 => o.push_str(&format!("    {label}:\t<none>\n")),
                1 => o.push_str(&format!("    {label}:\t{}\n", cells[0])),
                _ => o.push_str(&format!("    {label}s:\t{}\n", cells.join(", "))),
            }
        }
        if let Some(p) = c.security_context.as_ref().and_then(|s| s.seccomp_profile.as_ref()) {
            o.push_str(&format!("    SeccompProfile:\t{}\n", p.type_));
            if p.type_ == "Localhost" {
                o.push_str(&format!("      LocalhostProfile:\t{}\n", p.localhost_profile.as_deref().unwrap_or("")));
            }
        }
        for (label, words) in [("Command", &c.command), ("Args", &c.args)] {
            if let Some(words) = words.as_ref().filter(|w| !w.is_empty()) {
                o.push_str(&format!("    {label}:\n"));
                for line in words.iter().flat_map(|w| w.split('\n')) {
                    o.push_str(&format!("      {line}\n"));
                }
            }
        }
        if let Some(s) = status {
            state(o, "State", s.state.as_ref());
            if let Some(last) = s.last_state.as_ref().filter(|l| l.terminated.is_some()) {
                state(o, "Last State", Some(last));
            }
            o.push_str(&format!("    Ready:\t{}\n", if s.ready { "True" } else { "False" }));
            o.push_str(&format!("    Restart Count:\t{}\n", s.restart_count));
        }
        for (label, list) in [
            ("Limits", c.resources.as_ref().and_then(|r| r.limits.as_ref())),
            ("Requests", c.resources.as_ref().and_then(|r| r.requests.as_ref())),
        ] {
            if let Some(list) = list.filter(|l| !l.is_empty()) {
                o.push_str(&format!("    {label}:\n"));
                for (k, v) in list {
                    o.push_str(&format!("      {k}:\t{}\n", v.0));
                }
            }
        }
        for (label, p) in
            [("Liveness", &c.liveness_probe), ("Readiness", &c.readiness_probe), ("Startup", &c.startup_probe)]
        {
            if let Some(p) = p {
                o.push_str(&format!("    {label}:\t{}\n", probe(p)));
            }
        }
        env_from(o, c.env_from.as_deref().unwrap_or(&[]));
        env_vars(o, c, env);
        mounts(o, c.volume_mounts.as_deref().unwrap_or(&[]));
    }
}

/// upstream: describeStatus.
fn state(o: &mut String, label: &str, s: Option<&core::ContainerState>) {
    let time = |t: &Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>| {
        t.as_ref().map(|t| rfc1123z(from_time(t))).unwrap_or_else(|| rfc1123z(0))
    };
    match s {
        Some(core::ContainerState { running: Some(r), .. }) => {
            o.push_str(&format!("    {label}:\tRunning\n      Started:\t{}\n", time(&r.started_at)));
        }
        Some(core::ContainerState { waiting: Some(w), .. }) => {
            o.push_str(&format!("    {label}:\tWaiting\n"));
            if let Some(r) = w.reason.as_ref().filter(|r| !r.is_empty()) {
                o.push_str(&format!("      Reason:\t{r}\n"));
            }
        }
        Some(core::ContainerState { terminated: Some(t), .. }) => {
            o.push_str(&format!("    {label}:\tTerminated\n"));
            if let Some(r) = t.reason.as_ref().filter(|r| !r.is_empty()) {
                o.push_str(&format!("      Reason:\t{r}\n"));
            }
            if let Some(m) = t.message.as_ref().filter(|m| !m.is_empty()) {
                o.push_str(&format!("      Message:\t{m}\n"));
            }
            o.push_str(&format!("      Exit Code:\t{}\n", t.exit_code));
            if let Some(sig) = t.signal.filter(|s| *s > 0) {
                o.push_str(&format!("      Signal:\t{sig}\n"));
            }
            o.push_str(&format!(
                "      Started:\t{}\n      Finished:\t{}\n",
                time(&t.started_at),
                time(&t.finished_at)
            ));
        }
        _ => o.push_str(&format!("    {label}:\tWaiting\n")),
    }
}

fn int_or_string(v: &IntOrString) -> String {
    match v {
        IntOrString::Int(n) => n.to_string(),
        IntOrString::String(s) => s.clone(),
    }
}

/// upstream: DescribeProbe.
fn probe(p: &core::Probe) -> String {
    let attrs = format!(
        "delay={}s timeout={}s period={}s #success={} #failure={}",
        p.initial_delay_seconds.unwrap_or(0),
        p.timeout_seconds.unwrap_or(0),
        p.period_seconds.unwrap_or(0),
        p.success_threshold.unwrap_or(0),
        p.failure_threshold.unwrap_or(0)
    );
    if let Some(e) = &p.exec {
        format!("exec [{}] {attrs}", e.command.clone().unwrap_or_default().join(" "))
    } else if let Some(h) = &p.http_get {
        // Go's url.URL: scheme://host:port/path, the host empty unless set.
        let host = h.host.as_deref().unwrap_or("");
        let port = int_or_string(&h.port);
        let host = if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") };
        let scheme = h.scheme.as_deref().unwrap_or("").to_ascii_lowercase();
        format!("http-get {scheme}://{host}{} {attrs}", h.path.as_deref().unwrap_or(""))
    } else if let Some(t) = &p.tcp_socket {
        format!("tcp-socket {}:{} {attrs}", t.host.as_deref().unwrap_or(""), int_or_string(&t.port))
    } else if let Some(g) = &p.grpc {
        format!("grpc <pod>:{} {} {attrs}", g.port, g.service.as_deref().unwrap_or(""))
    } else {
        format!("unknown {attrs}")
    }
}

/// upstream: describeContainerEnvFrom (only when the container has `envFrom`).
fn env_from(o: &mut String, list: &[core::EnvFromSource]) {
    if list.is_empty() {
        return;
    }
    o.push_str("    Environment Variables from:\n");
    for e in list {
        let (from, name, optional) = if let Some(c) = &e.config_map_ref {
            ("ConfigMap", c.name.as_str(), c.optional.unwrap_or(false))
        } else if let Some(s) = &e.secret_ref {
            ("Secret", s.name.as_str(), s.optional.unwrap_or(false))
        } else {
            ("", "", false)
        };
        match e.prefix.as_deref().filter(|p| !p.is_empty()) {
            None => o.push_str(&format!("      {name}\t{from}\tOptional: {optional}\n")),
            Some(p) => o.push_str(&format!("      {name}\t{from} with prefix '{p}'\tOptional: {optional}\n")),
        }
    }
}

/// upstream: describeContainerEnvVars.
fn env_vars(o: &mut String, c: &core::Container, source: &EnvSource) {
    let env = c.env.as_deref().unwrap_or(&[]);
    if env.is_empty() {
        o.push_str("    Environment:\t<none>\n");
        return;
    }
    o.push_str("    Environment:\n");
    for e in env {
        let Some(from) = &e.value_from else {
            for (i, line) in e.value.as_deref().unwrap_or("").split('\n').enumerate() {
                let name = if i == 0 { format!("{}:", e.name) } else { String::new() };
                o.push_str(&format!("      {name}\t{line}\n"));
            }
            continue;
        };
        if let Some(f) = &from.field_ref {
            let version = f.api_version.as_deref().unwrap_or("");
            let value = source.field(&f.field_path);
            o.push_str(&format!("      {}:\t{value} ({version}:{})\n", e.name, f.field_path));
        } else if let Some(r) = &from.resource_field_ref {
            o.push_str(&format!("      {}:\t{} ({})\n", e.name, resource_field(c, r), r.resource));
        } else if let Some(s) = &from.secret_key_ref {
            let optional = s.optional.unwrap_or(false);
            o.push_str(&format!(
                "      {}:\t<set to the key '{}' in secret '{}'>\tOptional: {optional}\n",
                e.name, s.key, s.name
            ));
        } else if let Some(m) = &from.config_map_key_ref {
            let optional = m.optional.unwrap_or(false);
            o.push_str(&format!(
                "      {}:\t<set to the key '{}' of config map '{}'>\tOptional: {optional}\n",
                e.name, m.key, m.name
            ));
        }
    }
}

/// upstream: ExtractContainerResourceValue — the container's own request or limit divided by
/// the divisor and rounded up; an unset limit shows as `node allocatable`.
fn resource_field(c: &core::Container, r: &core::ResourceFieldSelector) -> String {
    use crate::api::quantity::parse_milli;
    let Some((which, name)) = r.resource.split_once('.') else { return String::new() };
    let list =
        c.resources
            .as_ref()
            .and_then(|res| if which == "limits" { res.limits.as_ref() } else { res.requests.as_ref() });
    let value = list.and_then(|l| l.get(name)).and_then(|q| parse_milli(&q.0)).unwrap_or(0);
    let divisor = r.divisor.as_ref().and_then(|d| parse_milli(&d.0)).filter(|d| *d > 0).unwrap_or(1000);
    let shown = (value + divisor - 1).div_euclid(divisor);
    if shown == 0 && which == "limits" && (name == "cpu" || name == "memory") {
        return "node allocatable".into();
    }
    shown.to_string()
}

/// upstream: describeContainerVolumes — mounts sorted by path.
fn mounts(o: &mut String, list: &[core::VolumeMount]) {
    if list.is_empty() {
        o.push_str("    Mounts:\t<none>\n");
        return;
    }
    o.push_str("    Mounts:\n");
    let mut sorted: Vec<&core::VolumeMount> = list.iter().collect();
    sorted.sort_by(|a, b| a.mount_path.cmp(&b.mount_path));
    for m in sorted {
        let mut flags = vec![if m.read_only.unwrap_or(false) { "ro".to_string() } else { "rw".to_string() }];
        if let Some(sub) = m.sub_path.as_ref().filter(|s| !s.is_empty()) {
            flags.push(format!("path={}", crate::labels::gofmt::quote(sub)));
        }
        o.push_str(&format!("      {} from {} ({})\n", m.mount_path, m.name, flags.join(",")));
    }
}

/// upstream: describeVolumes, for the volume sources a simulated pod can carry; others print
/// `<unknown>` (kubesim does not model their contents).
pub(super) fn volumes(o: &mut String, list: &[core::Volume], space: &str) {
    if list.is_empty() {
        o.push_str(&format!("{space}Volumes:\t<none>\n"));
        return;
    }
    o.push_str(&format!("{space}Volumes:\n"));
    let name_indent = if space.is_empty() { "" } else { " " };
    for v in list {
        o.push_str(&format!("  {name_indent}{}:\n", v.name));
        if let Some(h) = &v.host_path {
            o.push_str(&format!(
                "    Type:\tHostPath (bare host directory volume)\n    Path:\t{}\n    HostPathType:\t{}\n",
                h.path,
                h.type_.as_deref().unwrap_or("<none>")
            ));
        } else if let Some(e) = &v.empty_dir {
            let size = e.size_limit.as_ref().map(|q| q.0.clone()).filter(|q| q != "0").unwrap_or("<unset>".into());
            o.push_str(&format!(
                "    Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n    Medium:\t{}\n    SizeLimit:\t{size}\n",
                e.medium.as_deref().unwrap_or("")
            ));
        } else if let Some(s) = &v.secret {
            o.push_str(&format!(
                "    Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t{}\n    Optional:\t{}\n",
                s.secret_name.as_deref().unwrap_or(""),
                s.optional.unwrap_or(false)
            ));
        } else if let Some(c) = &v.config_map {
            o.push_str(&format!(
                "    Type:\tConfigMap (a volume populated by a ConfigMap)\n    Name:\t{}\n    Optional:\t{}\n",
                c.name,
                c.optional.unwrap_or(false)
            ));
        } else if let Some(c) = &v.persistent_volume_claim {
            o.push_str(&format!(
                "    Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n    ClaimName:\t{}\n    ReadOnly:\t{}\n",
                c.claim_name,
                c.read_only.unwrap_or(false)
            ));
        } else if let Some(p) = &v.projected {
            o.push_str("    Type:\tProjected (a volume that contains injected data from multiple sources)\n");
            for s in p.sources.iter().flatten() {
                if let Some(sec) = &s.secret {
                    o.push_str(&format!(
                        "    SecretName:\t{}\n    Optional:\t{}\n",
                        sec.name,
                        sec.optional.unwrap_or(false)
                    ));
                } else if s.downward_api.is_some() {
                    o.push_str("    DownwardAPI:\ttrue\n");
                } else if let Some(c) = &s.config_map {
                    o.push_str(&format!(
                        "    ConfigMapName:\t{}\n    Optional:\t{}\n",
                        c.name,
                        c.optional.unwrap_or(false)
                    ));
                } else if let Some(t) = &s.service_account_token {
                    o.push_str(&format!("    TokenExpirationSeconds:\t{}\n", t.expiration_seconds.unwrap_or(0)));
                }
            }
        } else {
            o.push_str("  <unknown>\n");
        }
    }
}

/// upstream: describeTopologySpreadConstraints — nothing when there are none.
pub(super) fn topology_spread_constraints(o: &mut String, list: &[core::TopologySpreadConstraint], space: &str) {
    let mut sorted: Vec<&core::TopologySpreadConstraint> = list.iter().collect();
    sorted.sort_by(|a, b| a.topology_key.cmp(&b.topology_key));
    for (i, c) in sorted.into_iter().enumerate() {
        let head = if i == 0 { format!("{space}Topology Spread Constraints:\t") } else { format!("{space}\t") };
        let mut line =
            format!("{head}{}:{} when max skew {} is exceeded", c.topology_key, c.when_unsatisfiable, c.max_skew);
        if let Some(s) = &c.label_selector {
            line.push_str(&format!(" for selector {}", crate::labels::format_label_selector(Some(s))));
        }
        o.push_str(&line);
        o.push('\n');
    }
}
