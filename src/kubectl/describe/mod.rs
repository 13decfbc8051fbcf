//! `kubectl describe` (kubectl.md §7; upstream `k8s.io/kubectl/pkg/describe`): labelled lines
//! written through Go's text/tabwriter (minwidth 0, padding 2), whose column blocks end at a
//! line without a TAB. Each kind has its own module; what several kinds share (labels,
//! annotations, tolerations, the events table, the tab writer) lives here.

mod batch;
mod core;
mod daemonset;
mod hpa;
mod node;
mod pod;
mod policy;
mod workload;

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1 as wire;

use super::human_duration;
use crate::api::meta::from_time;
use crate::api::{Body, Kind, Object};
use crate::error::{KubesimError, Result};
use crate::sim::clock::Millis;
use crate::store::Store;

pub use pod::describe_pod;
pub use policy::int_or_string;

/// What describe reads besides the store: the clock, and which kubelets have stopped (a
/// node's Lease stops being renewed when its kubelet does).
pub struct Context<'a> {
    pub store: &'a Store,
    pub now: Millis,
    pub stopped_kubelets: &'a BTreeMap<Arc<str>, Millis>,
}

/// `kubectl describe KIND NAME`: the object, what upstream's describer for that kind fetches
/// alongside it (pods, ReplicaSets, the node's pods) and the events about it.
pub fn describe(ctx: &Context, kind: Kind, namespace: &str, name: &str) -> Result<String> {
    let obj = ctx.store.get(kind, namespace, name)?;
    let events = events_about(ctx.store, &obj);
    Ok(match kind {
        Kind::Pod => describe_pod(&obj, &events, ctx.now),
        Kind::ReplicaSet => workload::describe_replica_set(ctx, &obj, &events),
        Kind::Deployment => workload::describe_deployment(ctx, &obj, &events),
        Kind::HorizontalPodAutoscaler => hpa::describe_hpa(&obj, &events, ctx.now),
        Kind::Node => node::describe_node(ctx, &obj, &events),
        Kind::Namespace => describe_namespace(&obj),
        Kind::ConfigMap => core::describe_config_map(&obj, &events, ctx.now),
        Kind::Secret => core::describe_secret(&obj),
        Kind::Service => core::describe_service(ctx, &obj, &events),
        Kind::ServiceAccount => core::describe_service_account(&obj, &events, ctx.now),
        Kind::Job => batch::describe_job(ctx, &obj, &events),
        Kind::CronJob => batch::describe_cron_job(ctx, &obj, &events),
        Kind::PodDisruptionBudget => policy::describe_pod_disruption_budget(&obj, &events, ctx.now),
        Kind::Event => {
            return Err(KubesimError::InvalidArgument(
                "kubesim does not describe events; use `kubectl get events`".into(),
            ))
        }
        Kind::DaemonSet => daemonset::describe_daemon_set(ctx, &obj, &events),
        Kind::StatefulSet => daemonset::describe_stateful_set(ctx, &obj, &events),
        Kind::PersistentVolumeClaim => {
            return Err(KubesimError::InvalidArgument(
                "kubesim does not describe persistentvolumeclaims; use `kubectl get pvc -o yaml`".into(),
            ))
        }
        Kind::EndpointSlice => core::describe_endpoint_slice(&obj, &events, ctx.now),
        Kind::Endpoints => core::describe_endpoints(&obj, &events, ctx.now),
        Kind::ControllerRevision => {
            let plural = kind.plural();
            return Err(KubesimError::InvalidArgument(format!(
                "kubesim does not describe {plural}; use `kubectl get {plural} -o yaml`"
            )));
        }
    })
}

/// `kubectl rollout history --revision=N`: the ReplicaSet's pod template as DescribePodTemplate
/// writes it, without a tab writer (so the TABs stay in the text, as kubectl prints them).
pub fn replica_set_template(store: &Store, namespace: &str, name: &str) -> Result<String> {
    let rs = store.get(Kind::ReplicaSet, namespace, name)?;
    let Body::ReplicaSet { template, .. } = &rs.body else { unreachable!("a ReplicaSet's body") };
    let mut o = String::new();
    workload::pod_template(&mut o, template);
    Ok(o)
}

/// `kubectl rollout history daemonset --revision=N`: the pod template a ControllerRevision
/// holds, written as for a ReplicaSet's.
pub fn revision_template(store: &Store, namespace: &str, name: &str) -> Result<String> {
    let cr = store.get(Kind::ControllerRevision, namespace, name)?;
    let wire = crate::controllers::history::revision_template(&cr).and_then(|t| serde_json::from_value(t).ok());
    let mut o = String::new();
    workload::pod_template(&mut o, &crate::api::template::PodTemplate::from_wire(wire));
    Ok(o)
}

/// upstream: searchEvents — events whose involvedObject is this object (name, namespace, kind and
/// uid; describe pod leaves the kind out). Node events are also matched by a uid equal to the
/// node's name, which is how the kubelet refers to its node.
fn events_about(store: &Store, obj: &Object) -> Vec<Arc<Object>> {
    let kind = obj.kind();
    let uid = obj.meta.uid.to_string();
    let namespace = kind.namespaced().then_some(&*obj.meta.namespace);
    let by_name = (kind == Kind::Node).then(|| store.events_about(&obj.meta.name, namespace));
    let mut about: Vec<&Arc<Object>> =
        store.events_about(&uid, namespace).chain(by_name.into_iter().flatten()).collect();
    // In key order, as the scan of every Event gave them.
    about.sort_by(|a, b| (&a.meta.namespace, &a.meta.name).cmp(&(&b.meta.namespace, &b.meta.name)));
    about.dedup_by(|a, b| Arc::ptr_eq(a, b));
    about
        .into_iter()
        .filter(|e| match &e.body {
            Body::Event(ev) => {
                let same_uid = ev.uid.as_deref() == Some(uid.as_str())
                    || (kind == Kind::Node && ev.uid.as_deref() == Some(&*obj.meta.name));
                let same_kind = kind == Kind::Pod || ev.kind.as_deref() == Some(kind.name());
                same_uid && same_kind && ev.name.as_deref() == Some(&*obj.meta.name)
            }
            _ => false,
        })
        .cloned()
        .collect()
}

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

/// RFC 1123 with a numeric zone, as describe prints times (kubesim's clock is UTC).
fn rfc1123z(ms: Millis) -> String {
    let t = crate::api::meta::to_time(ms).0;
    k8s_openapi::jiff::fmt::strtime::format("%a, %d %b %Y %H:%M:%S +0000", t).unwrap_or_default()
}

/// upstream: translateTimestampSince — `<unknown>` for a zero time.
fn age_since(t: Option<Millis>, now: Millis) -> String {
    match t {
        Some(t) if t != 0 => human_duration(now - t),
        _ => "<unknown>".into(),
    }
}

/// upstream: printLabelsMultiline — `Title:<TAB>k=v`, further pairs on `<TAB>k=v` lines.
fn labels_multiline<'a>(o: &mut String, title: &str, m: impl IntoIterator<Item = (&'a String, &'a String)>) {
    let pairs: Vec<_> = m.into_iter().collect();
    if pairs.is_empty() {
        o.push_str(&format!("{title}:\t<none>\n"));
        return;
    }
    for (i, (k, v)) in pairs.into_iter().enumerate() {
        let head = if i == 0 { format!("{title}:") } else { String::new() };
        o.push_str(&format!("{head}\t{k}={v}\n"));
    }
}

/// upstream: maxAnnotationLen — longer `key: value` pairs print the value on its own lines.
const MAX_ANNOTATION_LEN: usize = 140;

/// upstream: printAnnotationsMultiline — sorted `k: v`, never the last-applied configuration; a
/// value that is long or has several lines goes below its key, each line cut at 138 bytes.
fn annotations_multiline(o: &mut String, title: &str, m: &crate::api::meta::StringMap) {
    let keys: Vec<&String> = m.keys().filter(|k| *k != crate::cluster::LAST_APPLIED).collect();
    if keys.is_empty() {
        o.push_str(&format!("{title}:\t<none>\n"));
        return;
    }
    for (i, key) in keys.into_iter().enumerate() {
        o.push_str(if i == 0 { title } else { "" });
        o.push_str(if i == 0 { ":\t" } else { "\t" });
        let value = m[key].strip_suffix('\n').unwrap_or(&m[key]);
        if value.len() + key.len() + 2 > MAX_ANNOTATION_LEN || value.contains('\n') {
            o.push_str(&format!("{key}:\n"));
            for line in value.split('\n') {
                o.push_str(&format!("\t  {}\n", shorten(line, MAX_ANNOTATION_LEN - 2)));
            }
        } else {
            o.push_str(&format!("{key}: {value}\n"));
        }
    }
}

/// upstream: shorten — cut at a byte count (backing off to a character boundary) and add `...`.
fn shorten(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

/// upstream: printTolerationsMultilineWithIndent — sorted by key; `op=Exists` alone for the
/// toleration that tolerates everything.
fn tolerations_multiline(o: &mut String, title: &str, tolerations: &[wire::Toleration]) {
    if tolerations.is_empty() {
        o.push_str(&format!("{title}:\t<none>\n"));
        return;
    }
    let mut sorted: Vec<&wire::Toleration> = tolerations.iter().collect();
    sorted.sort_by(|a, b| a.key.cmp(&b.key));
    for (i, t) in sorted.into_iter().enumerate() {
        let head = if i == 0 { format!("{title}:") } else { String::new() };
        let key = t.key.as_deref().unwrap_or("");
        let value = t.value.as_deref().unwrap_or("");
        let effect = t.effect.as_deref().unwrap_or("");
        let mut s = key.to_string();
        if !value.is_empty() {
            s.push_str(&format!("={value}"));
        }
        if !effect.is_empty() {
            s.push_str(&format!(":{effect}"));
        }
        if t.operator.as_deref() == Some("Exists") && value.is_empty() {
            s.push_str(if key.is_empty() && effect.is_empty() { "op=Exists" } else { " op=Exists" });
        }
        if let Some(secs) = t.toleration_seconds {
            s.push_str(&format!(" for {secs}s"));
        }
        o.push_str(&format!("{head}\t{s}\n"));
    }
}

/// The `Conditions:` table of ReplicaSets and Deployments (upstream writes a space after the
/// type, so that column is one wider than its longest type).
fn workload_conditions<'a>(o: &mut String, rows: impl Iterator<Item = (&'a str, &'a str, Option<&'a str>)>) {
    let rows: Vec<_> = rows.collect();
    if rows.is_empty() {
        return;
    }
    o.push_str("Conditions:\n  Type\tStatus\tReason\n  ----\t------\t------\n");
    for (type_, status, reason) in rows {
        o.push_str(&format!("  {type_} \t{status}\t{}\n", reason.unwrap_or("")));
    }
}

/// upstream: DescribeEvents — sorted by last occurrence; `4m21s (x3 over 11m)` for repeats;
/// From is the source component, else the reporting controller.
pub fn events_table(events: &[Arc<Object>], now: Millis) -> String {
    if events.is_empty() {
        return "Events:\t<none>\n".into();
    }
    let wire: Vec<wire::Event> = events
        .iter()
        .filter_map(|e| match &e.body {
            Body::Event(ev) => Some(ev.to_wire()),
            _ => None,
        })
        .collect();
    let mut rows: Vec<&wire::Event> = wire.iter().collect();
    rows.sort_by_key(|e| e.last_timestamp.as_ref().map(from_time));
    let mut o = String::from("Events:\n  Type\tReason\tAge\tFrom\tMessage\n  ----\t------\t----\t----\t-------\n");
    for e in rows {
        let first = match &e.event_time {
            Some(t) => Some(t.0.as_millisecond()),
            None => e.first_timestamp.as_ref().map(from_time),
        };
        let first = age_since(first, now);
        let age = match (&e.series, e.count.unwrap_or(0)) {
            (Some(s), _) => format!(
                "{} (x{} over {first})",
                age_since(s.last_observed_time.as_ref().map(|t| t.0.as_millisecond()), now),
                s.count.unwrap_or(0)
            ),
            (None, count) if count > 1 => {
                format!("{} (x{count} over {first})", age_since(e.last_timestamp.as_ref().map(from_time), now))
            }
            _ => first,
        };
        let from = e
            .source
            .as_ref()
            .and_then(|s| s.component.clone())
            .filter(|c| !c.is_empty())
            .or_else(|| e.reporting_component.clone())
            .unwrap_or_default();
        o.push_str(&format!(
            "  {}\t{}\t{age}\t{from}\t{}\n",
            e.type_.clone().unwrap_or_default(),
            e.reason.clone().unwrap_or_default(),
            e.message.clone().unwrap_or_default().trim()
        ));
    }
    o
}

/// upstream: NamespaceDescriber (kubesim has neither ResourceQuotas nor LimitRanges).
fn describe_namespace(ns: &Object) -> String {
    let Body::Namespace { status, .. } = &ns.body else { return String::new() };
    let mut o = format!("Name:\t{}\n", ns.meta.name);
    labels_multiline(&mut o, "Labels", ns.meta.labels.iter());
    annotations_multiline(&mut o, "Annotations", &ns.meta.annotations);
    let phase = status.as_ref().and_then(|s| s.phase.clone()).unwrap_or_default();
    o.push_str(&format!("Status:\t{phase}\n"));
    o.push_str("\nNo resource quota.\n\nNo LimitRange resource.\n");
    tabwrite_padded(&o, 2)
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

    #[test]
    fn an_empty_column_is_as_wide_as_the_padding() {
        // The node's pod table has an empty column after Name (`Name\t\tCPU Requests`).
        let text = "  Namespace\tName\t\tCPU\n  default\tweb\t\t100m\n";
        assert_eq!(tabwrite_padded(text, 2), "  Namespace  Name    CPU\n  default    web     100m\n");
    }

    #[test]
    fn long_and_multiline_annotations_go_below_their_key() {
        let mut m = crate::api::meta::StringMap::new();
        m.insert("a".to_string(), "short".to_string());
        m.insert("b".to_string(), "x".repeat(150));
        m.insert("c".to_string(), "one\ntwo\n".to_string());
        m.insert(crate::cluster::LAST_APPLIED.to_string(), "{}".to_string());
        let mut o = String::new();
        annotations_multiline(&mut o, "Annotations", &m);
        let want = format!("Annotations:\ta: short\n\tb:\n\t  {}...\n\tc:\n\t  one\n\t  two\n", "x".repeat(138));
        assert_eq!(o, want);
    }

    #[test]
    fn tolerations_sort_by_key_and_the_wildcard_has_no_leading_space() {
        let t = |key: Option<&str>, effect: Option<&str>, secs: Option<i64>| wire::Toleration {
            key: key.map(Into::into),
            operator: Some("Exists".into()),
            effect: effect.map(Into::into),
            toleration_seconds: secs,
            value: None,
        };
        let mut o = String::new();
        tolerations_multiline(
            &mut o,
            "Tolerations",
            &[t(Some("node.kubernetes.io/unreachable"), Some("NoExecute"), Some(300)), t(None, None, None)],
        );
        assert_eq!(o, "Tolerations:\top=Exists\n\tnode.kubernetes.io/unreachable:NoExecute op=Exists for 300s\n");
    }
}
