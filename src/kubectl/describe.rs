//! `kubectl describe pod` (kubectl.md §7.1): labelled lines through Go's text/tabwriter
//! (minwidth 0, padding 2), whose column blocks end at a line without a TAB.

use std::sync::Arc;

use k8s_openapi::api::core::v1 as core;

use super::human_duration;
use crate::api::meta::from_time;
use crate::api::pod::{ContainerState, PodRuntime};
use crate::api::{Body, Object};
use crate::sim::clock::Millis;

/// Go text/tabwriter with padding 2: a column block is a run of consecutive lines that have a
/// TAB-terminated cell in that column; the text after a line's last TAB is not aligned.
pub fn tabwrite_padded(text: &str, padding: usize) -> String {
    let lines: Vec<Vec<&str>> = text.split('\n').map(|l| l.split('\t').collect()).collect();
    let mut widths: Vec<Vec<usize>> = lines.iter().map(|c| vec![0; c.len().saturating_sub(1)]).collect();
    let max_cols = lines.iter().map(|c| c.len().saturating_sub(1)).max().unwrap_or(0);
    for col in 0..max_cols {
        let mut i = 0;
        while i < lines.len() {
            if lines[i].len() <= col + 1 {
                i += 1;
                continue;
            }
            let start = i;
            let mut w = 0;
            while i < lines.len() && lines[i].len() > col + 1 {
                w = w.max(lines[i][col].chars().count() + padding);
                i += 1;
            }
            for row in widths.iter_mut().take(i).skip(start) {
                row[col] = w;
            }
        }
    }
    let mut out = String::new();
    for (n, (cells, w)) in lines.iter().zip(&widths).enumerate() {
        for (j, cell) in cells.iter().enumerate() {
            out.push_str(cell);
            if j < w.len() {
                out.extend(std::iter::repeat_n(' ', w[j].saturating_sub(cell.chars().count())));
            }
        }
        if n + 1 < lines.len() {
            out.push('\n');
        }
    }
    out
}

/// RFC 1123 with a numeric zone, as describe prints times.
fn rfc1123z(ms: Millis) -> String {
    let t = crate::api::meta::to_time(ms).0;
    k8s_openapi::jiff::fmt::strtime::format("%a, %d %b %Y %H:%M:%S +0000", t).unwrap_or_default()
}

fn map_lines(out: &mut String, label: &str, m: &std::collections::BTreeMap<String, String>, sep: &str) {
    if m.is_empty() {
        out.push_str(&format!("{label}:\t<none>\n"));
        return;
    }
    for (i, (k, v)) in m.iter().enumerate() {
        let head = if i == 0 { format!("{label}:") } else { String::new() };
        out.push_str(&format!("{head}\t{k}{sep}{v}\n"));
    }
}

fn ports(c: &core::Container) -> (String, String, bool) {
    let ps = c.ports.as_deref().unwrap_or(&[]);
    if ps.is_empty() {
        return ("<none>".into(), "<none>".into(), false);
    }
    let proto = |p: &core::ContainerPort| p.protocol.clone().unwrap_or_else(|| "TCP".into());
    let port: Vec<String> = ps.iter().map(|p| format!("{}/{}", p.container_port, proto(p))).collect();
    let host: Vec<String> = ps.iter().map(|p| format!("{}/{}", p.host_port.unwrap_or(0), proto(p))).collect();
    (port.join(", "), host.join(", "), ps.len() > 1)
}

fn probe(p: &core::Probe) -> String {
    let how = if let Some(h) = &p.http_get {
        let port = match &h.port {
            k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(n) => n.to_string(),
            k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String(s) => s.clone(),
        };
        format!(
            "http-get {}://:{}{}",
            h.scheme.as_deref().unwrap_or("HTTP").to_ascii_lowercase(),
            port,
            h.path.as_deref().unwrap_or("/")
        )
    } else if let Some(t) = &p.tcp_socket {
        let port = match &t.port {
            k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(n) => n.to_string(),
            k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String(s) => s.clone(),
        };
        format!("tcp-socket :{port}")
    } else if let Some(e) = &p.exec {
        format!("exec [{}]", e.command.clone().unwrap_or_default().join(" "))
    } else {
        "unknown".into()
    };
    format!(
        "{how} delay={}s timeout={}s period={}s #success={} #failure={}",
        p.initial_delay_seconds.unwrap_or(0),
        p.timeout_seconds.unwrap_or(1),
        p.period_seconds.unwrap_or(10),
        p.success_threshold.unwrap_or(1),
        p.failure_threshold.unwrap_or(3)
    )
}

fn state_lines(out: &mut String, label: &str, s: &ContainerState) {
    match s {
        ContainerState::Waiting { reason } => {
            out.push_str(&format!("    {label}:\tWaiting\n      Reason:\t{reason}\n"));
        }
        ContainerState::Running { started_at } => {
            out.push_str(&format!("    {label}:\tRunning\n      Started:\t{}\n", rfc1123z(*started_at)));
        }
        ContainerState::Terminated { exit_code, reason, started_at, finished_at } => {
            out.push_str(&format!(
                "    {label}:\tTerminated\n      Reason:\t{reason}\n      Exit Code:\t{exit_code}\n      Started:\t{}\n      Finished:\t{}\n",
                rfc1123z(*started_at),
                rfc1123z(*finished_at)
            ));
        }
    }
}

/// `kubectl describe pod NAME` for a stored pod and the events about it.
pub fn describe_pod(pod: &Object, events: &[Arc<Object>], now: Millis) -> String {
    let Body::Pod { spec, status } = &pod.body else { return String::new() };
    let rt: &PodRuntime = status;
    let mut o = String::new();
    o.push_str(&format!("Name:\t{}\n", pod.meta.name));
    o.push_str(&format!("Namespace:\t{}\n", pod.meta.namespace));
    if let Some(p) = spec.priority {
        o.push_str(&format!("Priority:\t{p}\n"));
    }
    if let Some(sa) = &spec.service_account_name {
        o.push_str(&format!("Service Account:\t{sa}\n"));
    }
    let node = spec.node_name.clone().or(rt.node_name.as_deref().map(str::to_string));
    match (&node, rt.host_ip) {
        (Some(n), Some(ip)) => o.push_str(&format!("Node:\t{n}/{ip}\n")),
        (Some(n), None) => o.push_str(&format!("Node:\t{n}\n")),
        (None, _) => o.push_str("Node:\t<none>\n"),
    }
    if let Some(t) = rt.start_time {
        o.push_str(&format!("Start Time:\t{}\n", rfc1123z(t)));
    }
    map_lines(&mut o, "Labels", &pod.meta.labels, "=");
    // upstream: describe never shows the last-applied-configuration annotation.
    let mut annotations = (*pod.meta.annotations).clone();
    annotations.remove("kubectl.kubernetes.io/last-applied-configuration");
    map_lines(&mut o, "Annotations", &annotations, ": ");
    match pod.meta.deletion_timestamp {
        Some(t) if !rt.phase.is_terminal() => {
            o.push_str(&format!("Status:\tTerminating (lasts {})\n", human_duration(now - t.min(now))));
            o.push_str(&format!(
                "Termination Grace Period:\t{}s\n",
                pod.meta.deletion_grace_period_seconds.unwrap_or(30)
            ));
        }
        _ => o.push_str(&format!("Status:\t{}\n", rt.phase.as_str())),
    }
    if let Some(r) = rt.reason {
        o.push_str(&format!("Reason:\t{r}\n"));
    }
    match rt.pod_ip {
        Some(ip) => o.push_str(&format!("IP:\t{ip}\nIPs:\n  IP:\t{ip}\n")),
        None => o.push_str("IP:\t\nIPs:\t<none>\n"),
    }
    if let Some(r) = pod.meta.controller_ref() {
        o.push_str(&format!("Controlled By:\t{}/{}\n", r.kind, r.name));
    }
    o.push_str("Containers:\n");
    for (c, crt) in spec.containers.iter().zip(rt.containers.iter()) {
        let reported = rt.start_time.is_some();
        let wire = rt.to_status(&pod.meta, spec);
        let cs = wire.container_statuses.iter().flatten().find(|s| s.name == c.name).cloned();
        o.push_str(&format!("  {}:\n", c.name));
        if let Some(id) = cs.as_ref().and_then(|s| s.container_id.clone()) {
            o.push_str(&format!("    Container ID:\t{id}\n"));
        }
        o.push_str(&format!("    Image:\t{}\n", c.image.clone().unwrap_or_default()));
        if let Some(s) = cs.as_ref() {
            o.push_str(&format!("    Image ID:\t{}\n", s.image_id));
        }
        let (port, host, plural) = ports(c);
        let s = if plural { "s" } else { "" };
        o.push_str(&format!("    Port{s}:\t{port}\n    Host Port{s}:\t{host}\n"));
        if reported {
            state_lines(&mut o, "State", &crt.state);
            if let Some(last @ ContainerState::Terminated { .. }) = &crt.last_state {
                state_lines(&mut o, "Last State", last);
            }
            o.push_str(&format!("    Ready:\t{}\n", if crt.ready { "True" } else { "False" }));
            o.push_str(&format!("    Restart Count:\t{}\n", crt.restart_count));
        }
        for (label, list) in [
            ("Limits", c.resources.as_ref().and_then(|r| r.limits.clone())),
            ("Requests", c.resources.as_ref().and_then(|r| r.requests.clone())),
        ] {
            if let Some(list) = list.filter(|l| !l.is_empty()) {
                o.push_str(&format!("    {label}:\n"));
                for (k, v) in list {
                    o.push_str(&format!("      {k}:\t{}\n", v.0));
                }
            }
        }
        if let Some(p) = &c.liveness_probe {
            o.push_str(&format!("    Liveness:\t{}\n", probe(p)));
        }
        if let Some(p) = &c.readiness_probe {
            o.push_str(&format!("    Readiness:\t{}\n", probe(p)));
        }
        match c.env.as_deref() {
            Some(env) if !env.is_empty() => {
                o.push_str("    Environment:\n");
                for e in env {
                    o.push_str(&format!("      {}:\t{}\n", e.name, e.value.clone().unwrap_or_default()));
                }
            }
            _ => o.push_str("    Environment:\t<none>\n"),
        }
        o.push_str("    Mounts:\t<none>\n");
    }
    let wire = rt.to_status(&pod.meta, spec);
    if let Some(conds) = wire.conditions.as_ref().filter(|c| !c.is_empty()) {
        o.push_str("Conditions:\n  Type\tStatus\n");
        for c in conds {
            o.push_str(&format!("  {} \t{} \n", c.type_, c.status));
        }
    }
    o.push_str("Volumes:\t<none>\n");
    o.push_str(&format!("QoS Class:\t{}\n", rt.qos_class.as_str()));
    match spec.node_selector.as_ref().filter(|m| !m.is_empty()) {
        Some(m) => o.push_str(&format!("Node-Selectors:\t{}\n", crate::labels::format_labels(m))),
        None => o.push_str("Node-Selectors:\t<none>\n"),
    }
    let tolerations = spec.tolerations.as_deref().unwrap_or(&[]);
    if tolerations.is_empty() {
        o.push_str("Tolerations:\t<none>\n");
    }
    for (i, t) in tolerations.iter().enumerate() {
        let head = if i == 0 { "Tolerations:" } else { "" };
        let mut s = t.key.clone().unwrap_or_default();
        if let Some(v) = t.value.as_ref().filter(|v| !v.is_empty()) {
            s.push_str(&format!("={v}"));
        }
        if let Some(e) = t.effect.as_ref().filter(|e| !e.is_empty()) {
            s.push_str(&format!(":{e}"));
        }
        if t.operator.as_deref() == Some("Exists") && t.value.as_deref().unwrap_or("").is_empty() {
            s.push_str(" op=Exists");
        }
        if let Some(secs) = t.toleration_seconds {
            s.push_str(&format!(" for {secs}s"));
        }
        o.push_str(&format!("{head}\t{s}\n"));
    }
    o.push_str(&events_table(events, now));
    tabwrite_padded(&o, 2)
}

/// upstream: DescribeEvents — sorted by last occurrence; `4m21s (x3 over 11m)` for repeats.
pub fn events_table(events: &[Arc<Object>], now: Millis) -> String {
    if events.is_empty() {
        return "Events:\t<none>\n".into();
    }
    let wire: Vec<core::Event> = events
        .iter()
        .filter_map(|e| match &e.body {
            Body::Event(ev) => Some(ev.to_wire()),
            _ => None,
        })
        .collect();
    let mut rows: Vec<&core::Event> = wire.iter().collect();
    rows.sort_by_key(|e| e.last_timestamp.as_ref().map(from_time));
    let mut o = String::from("Events:\n  Type\tReason\tAge\tFrom\tMessage\n  ----\t------\t----\t----\t-------\n");
    for e in rows {
        let first = e.first_timestamp.as_ref().map(from_time).unwrap_or(now);
        let last = e.last_timestamp.as_ref().map(from_time).unwrap_or(first);
        let count = e.count.unwrap_or(1);
        let age = if count > 1 {
            format!("{} (x{count} over {})", human_duration(now - last), human_duration(now - first))
        } else {
            human_duration(now - first)
        };
        let from = e.source.as_ref().and_then(|s| s.component.clone()).unwrap_or_default();
        o.push_str(&format!(
            "  {}\t{}\t{age}\t{from}\t{}\n",
            e.type_.clone().unwrap_or_default(),
            e.reason.clone().unwrap_or_default(),
            e.message.clone().unwrap_or_default().trim()
        ));
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_end_at_lines_without_tabs() {
        let text = "Name:\tweb\nNamespace:\tdefault\nIPs:\n  IP:\t10.244.0.8\nControlled By:\tReplicaSet/web\n";
        assert_eq!(
            tabwrite_padded(text, 2),
            "Name:       web\nNamespace:  default\nIPs:\n  IP:           10.244.0.8\nControlled By:  ReplicaSet/web\n"
        );
    }

    #[test]
    fn conditions_keep_their_trailing_space() {
        let text = "Conditions:\n  Type\tStatus\n  PodReadyToStartContainers \tTrue \n  Ready \tTrue \n";
        assert_eq!(
            tabwrite_padded(text, 2),
            "Conditions:\n  Type                        Status\n  PodReadyToStartContainers   True \n  Ready                       True \n"
        );
    }
}
