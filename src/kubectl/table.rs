//! `kubectl get` tables per kind (server-side printers, kubectl.md §3.3–3.4).

use std::sync::Arc;

use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::{human_duration, tabwrite};
use crate::api::pod::{ContainerState, PodRuntime};
use crate::api::{Body, Kind, Object};
use crate::labels::{format_label_selector, format_labels};
use crate::sim::clock::Millis;

#[derive(Clone, Debug, Default)]
pub struct TableOptions {
    pub wide: bool,
    pub show_labels: bool,
    /// `-L key`: one column per key.
    pub label_columns: Vec<String>,
    /// `-A`: a NAMESPACE column first.
    pub all_namespaces: bool,
    /// Several kinds in one listing: names print as `deployment.apps/web`.
    pub qualify_names: bool,
    /// `--no-headers`.
    pub no_headers: bool,
}

fn age(o: &Object, now: Millis) -> String {
    human_duration(now - o.meta.creation_timestamp)
}

/// The column titles of a kind's table; `wide` adds the `-o wide` ones (the API server's
/// Table gives those priority 1).
pub fn header(kind: Kind, wide: bool) -> Vec<&'static str> {
    let (base, extra): (&[&str], &[&str]) = match kind {
        Kind::Pod => {
            (&["NAME", "READY", "STATUS", "RESTARTS", "AGE"], &["IP", "NODE", "NOMINATED NODE", "READINESS GATES"])
        }
        Kind::ReplicaSet => (&["NAME", "DESIRED", "CURRENT", "READY", "AGE"], &["CONTAINERS", "IMAGES", "SELECTOR"]),
        Kind::Deployment => {
            (&["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"], &["CONTAINERS", "IMAGES", "SELECTOR"])
        }
        Kind::Node => (
            &["NAME", "STATUS", "ROLES", "AGE", "VERSION"],
            &["INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"],
        ),
        Kind::Namespace => (&["NAME", "STATUS", "AGE"], &[]),
        Kind::HorizontalPodAutoscaler => {
            (&["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"], &[])
        }
        Kind::Event => (&["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"], &[]),
        Kind::ConfigMap => (&["NAME", "DATA", "AGE"], &[]),
        Kind::Secret => (&["NAME", "TYPE", "DATA", "AGE"], &[]),
        Kind::Service => (&["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"], &["SELECTOR"]),
        Kind::ServiceAccount => (&["NAME", "SECRETS", "AGE"], &[]),
        Kind::Job => (&["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"], &["CONTAINERS", "IMAGES", "SELECTOR"]),
        Kind::CronJob => (
            &["NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST SCHEDULE", "AGE"],
            &["CONTAINERS", "IMAGES", "SELECTOR"],
        ),
        Kind::PodDisruptionBudget => (&["NAME", "MIN AVAILABLE", "MAX UNAVAILABLE", "ALLOWED DISRUPTIONS", "AGE"], &[]),
        Kind::DaemonSet => (
            &["NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE SELECTOR", "AGE"],
            &["CONTAINERS", "IMAGES", "SELECTOR"],
        ),
        Kind::ControllerRevision => (&["NAME", "CONTROLLER", "REVISION", "AGE"], &[]),
        Kind::StatefulSet => (&["NAME", "READY", "AGE"], &["CONTAINERS", "IMAGES"]),
        Kind::PersistentVolumeClaim => (
            &["NAME", "STATUS", "VOLUME", "CAPACITY", "ACCESS MODES", "STORAGECLASS", "VOLUMEATTRIBUTESCLASS", "AGE"],
            &["VOLUMEMODE"],
        ),
        Kind::EndpointSlice => (&["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"], &[]),
        Kind::Endpoints => (&["NAME", "ENDPOINTS", "AGE"], &[]),
    };
    let mut h = base.to_vec();
    if wide {
        h.extend_from_slice(extra);
    }
    h
}

/// upstream: printPod — STATUS, READY and RESTARTS from the pod's status.
pub fn pod_status(o: &Object, rt: &PodRuntime, now: Millis) -> (String, String, String) {
    let total = rt.containers.len();
    let mut reason = rt.reason().map(str::to_string).unwrap_or_else(|| rt.phase.as_str().to_string());
    let mut ready = 0;
    let mut restarts: u32 = 0;
    let mut last_finished: Option<Millis> = None;
    // Walk from the last container to the first: the lowest-index waiting/terminated one wins.
    for c in rt.containers.iter().rev() {
        restarts += c.restart_count;
        if let Some(ContainerState::Terminated { finished_at, .. }) = c.last_state.as_deref() {
            last_finished = Some(last_finished.map_or(*finished_at, |t: Millis| t.max(*finished_at)));
        }
        match &c.state {
            ContainerState::Waiting { reason: r } if rt.start_time().is_some() => reason = (*r).to_string(),
            ContainerState::Terminated { reason: r, .. } => reason = (*r).to_string(),
            ContainerState::Running { .. } if c.ready => ready += 1,
            _ => {}
        }
    }
    if reason == "Completed" && rt.is_ready() {
        reason = "Running".into();
    }
    if o.meta.deletion_timestamp().is_some() && !rt.phase.is_terminal() {
        reason = "Terminating".into();
    }
    let restarts = match last_finished {
        Some(t) if restarts > 0 => format!("{restarts} ({} ago)", human_duration(now - t)),
        _ => restarts.to_string(),
    };
    (format!("{ready}/{total}"), reason, restarts)
}

/// The CONTAINERS and IMAGES cells of a workload's wide row: names and images joined by commas.
fn containers_and_images(template: &crate::api::template::PodTemplate) -> [String; 2] {
    let spec = template.spec();
    let names: Vec<&str> = spec.containers.iter().map(|c| c.name.as_str()).collect();
    let images: Vec<&str> = spec.containers.iter().map(|c| c.image.as_deref().unwrap_or("")).collect();
    [names.join(","), images.join(",")]
}

/// upstream: formatHPAMetrics — `cpu: 45%/80%`, `cpu: <unknown>/80%`, `memory: 120Mi/200Mi`;
/// Pods `50/40`; External `7/5` or `30/5 (avg)`.
fn hpa_targets(
    spec: &k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscalerSpec,
    status: &k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscalerStatus,
) -> String {
    let metrics = spec.metrics.as_deref().unwrap_or(&[]);
    if metrics.is_empty() {
        return "<none>".into();
    }
    // upstream: the status entry at the same position as the spec entry.
    let statuses = status.current_metrics.as_deref().unwrap_or(&[]);
    let quantity = |q: Option<&Quantity>| q.map(|q| q.0.clone());
    let cells: Vec<String> = metrics
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let st = statuses.get(i);
            match (m.type_.as_str(), &m.resource, &m.pods, &m.external) {
                ("Resource", Some(r), _, _) => {
                    let current = st.and_then(|c| c.resource.as_ref()).map(|c| &c.current);
                    if r.target.type_ == "Utilization" {
                        let cur = current.and_then(|c| c.average_utilization).map(|u| format!("{u}%"));
                        let target =
                            r.target.average_utilization.map(|u| format!("{u}%")).unwrap_or_else(|| "<auto>".into());
                        format!("{}: {}/{target}", r.name, cur.unwrap_or_else(|| "<unknown>".into()))
                    } else {
                        let cur = current.and_then(|c| quantity(c.average_value.as_ref()));
                        let target = quantity(r.target.average_value.as_ref()).unwrap_or_default();
                        format!("{}: {}/{target}", r.name, cur.unwrap_or_else(|| "<unknown>".into()))
                    }
                }
                ("Pods", _, Some(p), _) => {
                    let cur = st.and_then(|c| c.pods.as_ref()).and_then(|c| quantity(c.current.average_value.as_ref()));
                    let target = quantity(p.target.average_value.as_ref()).unwrap_or_default();
                    format!("{}/{target}", cur.unwrap_or_else(|| "<unknown>".into()))
                }
                ("External", _, _, Some(x)) => {
                    let current = st.and_then(|c| c.external.as_ref()).map(|c| &c.current);
                    match quantity(x.target.average_value.as_ref()) {
                        Some(target) => {
                            let cur = current.and_then(|c| quantity(c.average_value.as_ref()));
                            format!("{}/{target} (avg)", cur.unwrap_or_else(|| "<unknown>".into()))
                        }
                        None => {
                            let cur = current.and_then(|c| quantity(c.value.as_ref()));
                            let target = quantity(x.target.value.as_ref()).unwrap_or_default();
                            format!("{}/{target}", cur.unwrap_or_else(|| "<unknown>".into()))
                        }
                    }
                }
                _ => "<unknown>/<unknown>".into(),
            }
        })
        .collect();
    if cells.len() > 2 {
        format!("{} + {} more...", cells[..2].join(", "), cells.len() - 2)
    } else {
        cells.join(", ")
    }
}

/// upstream: GetAccessModesAsString — RWO, ROX, RWX, RWOP in that order.
fn access_modes(modes: &[String]) -> String {
    [("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"), ("ReadWriteMany", "RWX"), ("ReadWriteOncePod", "RWOP")]
        .iter()
        .filter(|(m, _)| modes.iter().any(|x| x == m))
        .map(|(_, s)| *s)
        .collect::<Vec<_>>()
        .join(",")
}

/// One object's cells, in [`header`]'s order.
pub fn row(o: &Object, now: Millis, wide: bool) -> Vec<String> {
    let name = o.meta.name.to_string();
    match &o.body {
        Body::Pod { spec, status } => {
            let (ready, st, restarts) = pod_status(o, status, now);
            let mut r = vec![name, ready, st, restarts, age(o, now)];
            if wide {
                r.push(status.pod_ip.map(|i| i.to_string()).unwrap_or_else(|| "<none>".into()));
                let node = spec.node_name.clone().or(status.node_name.as_deref().map(str::to_string));
                r.push(node.unwrap_or_else(|| "<none>".into()));
                r.push("<none>".into());
                r.push("<none>".into());
            }
            r
        }
        Body::ReplicaSet { spec, status, template } => {
            let mut r = vec![
                name,
                spec.replicas.unwrap_or(1).to_string(),
                status.replicas.to_string(),
                status.ready_replicas.unwrap_or(0).to_string(),
                age(o, now),
            ];
            if wide {
                r.extend(containers_and_images(template));
                r.push(format_label_selector(Some(&spec.selector.to_wire())));
            }
            r
        }
        Body::Deployment { spec, status, template } => {
            let mut r = vec![
                name,
                format!("{}/{}", status.ready_replicas.unwrap_or(0), spec.replicas.unwrap_or(1)),
                status.updated_replicas.unwrap_or(0).to_string(),
                status.available_replicas.unwrap_or(0).to_string(),
                age(o, now),
            ];
            if wide {
                r.extend(containers_and_images(template));
                // upstream: the Deployment printer uses the selector string directly.
                let sel = crate::labels::Selector::from_label_selector(Some(&spec.selector));
                r.push(sel.map(|s| s.to_string()).unwrap_or_else(|_| "<invalid>".into()));
            }
            r
        }
        Body::Node { spec, status } => {
            let ready = status.conditions.iter().flatten().find(|c| c.type_ == "Ready");
            let mut st = match ready.map(|c| c.status.as_str()) {
                Some("True") => "Ready".to_string(),
                Some(_) => "NotReady".to_string(),
                None => "Unknown".to_string(),
            };
            if spec.unschedulable == Some(true) {
                st.push_str(",SchedulingDisabled");
            }
            let roles: Vec<&str> = o
                .meta
                .labels
                .keys()
                .filter_map(|k| k.strip_prefix("node-role.kubernetes.io/"))
                .filter(|r| !r.is_empty())
                .collect();
            let info = status.node_info.as_ref();
            let mut r = vec![
                name,
                st,
                if roles.is_empty() { "<none>".into() } else { roles.join(",") },
                age(o, now),
                info.map(|i| i.kubelet_version.clone()).unwrap_or_default(),
            ];
            if wide {
                let addr = |t: &str| {
                    status
                        .addresses
                        .iter()
                        .flatten()
                        .find(|a| a.type_ == t)
                        .map(|a| a.address.clone())
                        .unwrap_or_else(|| "<none>".into())
                };
                r.push(addr("InternalIP"));
                r.push(addr("ExternalIP"));
                r.push(info.map(|i| i.os_image.clone()).unwrap_or_default());
                r.push(info.map(|i| i.kernel_version.clone()).unwrap_or_default());
                r.push(info.map(|i| i.container_runtime_version.clone()).unwrap_or_default());
            }
            r
        }
        Body::Namespace { status, .. } => {
            let phase = status.as_ref().and_then(|s| s.phase.clone()).unwrap_or_else(|| "Active".into());
            vec![name, phase, age(o, now)]
        }
        Body::HorizontalPodAutoscaler { spec, status } => vec![
            name,
            format!("{}/{}", spec.scale_target_ref.kind, spec.scale_target_ref.name),
            hpa_targets(spec, status),
            spec.min_replicas.map(|m| m.to_string()).unwrap_or_else(|| "<unset>".into()),
            spec.max_replicas.to_string(),
            status.current_replicas.unwrap_or(0).to_string(),
            age(o, now),
        ],
        Body::Event(e) => {
            let e = e.to_wire();
            let last = e.last_timestamp.as_ref().or(e.first_timestamp.as_ref()).map(crate::api::meta::from_time);
            let object = format!(
                "{}/{}",
                e.involved_object.kind.clone().unwrap_or_default().to_ascii_lowercase(),
                e.involved_object.name.clone().unwrap_or_default()
            );
            vec![
                last.map(|t| human_duration(now - t)).unwrap_or_else(|| "<unknown>".into()),
                e.type_.clone().unwrap_or_default(),
                e.reason.clone().unwrap_or_default(),
                object,
                e.message.clone().unwrap_or_default().trim().to_string(),
            ]
        }
        // upstream: printConfigMap — DATA counts data and binaryData keys.
        Body::ConfigMap(cm) => vec![
            name,
            (cm.data.as_ref().map_or(0, |d| d.len()) + cm.binary_data.as_ref().map_or(0, |d| d.len())).to_string(),
            age(o, now),
        ],
        Body::Secret(s) => vec![
            name,
            s.type_.clone().unwrap_or_default(),
            s.data.as_ref().map_or(0, |d| d.len()).to_string(),
            age(o, now),
        ],
        Body::ServiceAccount(sa) => vec![name, sa.secrets.as_ref().map_or(0, |s| s.len()).to_string(), age(o, now)],
        // upstream: printPodDisruptionBudget — an unset bound is `N/A`.
        Body::PodDisruptionBudget(pdb) => {
            let spec = pdb.spec.clone().unwrap_or_default();
            let bound = |v: &Option<k8s_openapi::apimachinery::pkg::util::intstr::IntOrString>| {
                v.as_ref().map_or_else(|| "N/A".to_string(), super::describe::int_or_string)
            };
            vec![
                name,
                bound(&spec.min_available),
                bound(&spec.max_unavailable),
                pdb.status.as_ref().map_or(0, |s| s.disruptions_allowed).to_string(),
                age(o, now),
            ]
        }
        // upstream: printDaemonSet
        Body::DaemonSet { spec, status, template } => {
            let node_selector = template.spec().node_selector.unwrap_or_default();
            let mut r = vec![
                name,
                status.desired_number_scheduled.to_string(),
                status.current_number_scheduled.to_string(),
                status.number_ready.to_string(),
                status.updated_number_scheduled.unwrap_or(0).to_string(),
                status.number_available.unwrap_or(0).to_string(),
                format_labels(node_selector.iter()),
                age(o, now),
            ];
            if wide {
                r.extend(containers_and_images(template));
                r.push(format_label_selector(Some(&spec.selector)));
            }
            r
        }
        // upstream: printControllerRevision — CONTROLLER as `kind.group/name`.
        Body::ControllerRevision(cr) => {
            let controller = o.meta.controller_ref().map_or_else(
                || "<none>".to_string(),
                |r| {
                    let group = Kind::from_type_meta(&r.api_version, &r.kind).map_or("", |k| k.group());
                    let kind = r.kind.to_ascii_lowercase();
                    if group.is_empty() {
                        format!("{kind}/{}", r.name)
                    } else {
                        format!("{kind}.{group}/{}", r.name)
                    }
                },
            );
            vec![name, controller, cr.revision.to_string(), age(o, now)]
        }
        // upstream: printStatefulSet
        Body::StatefulSet { spec, status, template } => {
            let mut r = vec![
                name,
                format!("{}/{}", status.ready_replicas.unwrap_or(0), spec.replicas.unwrap_or(1)),
                age(o, now),
            ];
            if wide {
                r.extend(containers_and_images(template));
            }
            r
        }
        // upstream: printPersistentVolumeClaim — capacity and access modes once bound.
        Body::PersistentVolumeClaim(pvc) => {
            let spec = pvc.spec.clone().unwrap_or_default();
            let status = pvc.status.clone().unwrap_or_default();
            let phase = if o.meta.deletion_timestamp().is_some() {
                "Terminating".to_string()
            } else {
                status.phase.clone().unwrap_or_default()
            };
            let volume = spec.volume_name.clone().unwrap_or_default();
            let (capacity, modes) = if volume.is_empty() {
                (String::new(), String::new())
            } else {
                let capacity = status.capacity.as_ref().and_then(|c| c.get("storage")).map(|q| q.0.clone());
                (capacity.unwrap_or_else(|| "0".into()), access_modes(status.access_modes.as_deref().unwrap_or(&[])))
            };
            let vac =
                spec.volume_attributes_class_name.clone().filter(|c| !c.is_empty()).unwrap_or_else(|| "<unset>".into());
            let mut r = vec![
                name,
                phase,
                volume,
                capacity,
                modes,
                spec.storage_class_name.clone().unwrap_or_default(),
                vac,
                age(o, now),
            ];
            if wide {
                r.push(spec.volume_mode.clone().unwrap_or_else(|| "<unset>".into()));
            }
            r
        }
        Body::Service(svc) => {
            let mut r = vec![name];
            r.extend(service_cells(svc, wide));
            r.insert(5, age(o, now));
            r
        }
        Body::Job { spec, status, template } => {
            use super::batch_table::{completions, duration, job_status};
            let mut r =
                vec![name, job_status(o, status).into(), completions(spec, status), duration(status, now), age(o, now)];
            if wide {
                r.extend(containers_and_images(template));
                r.push(format_label_selector(spec.selector.as_ref()));
            }
            r
        }
        Body::CronJob { spec, status } => {
            let mut r = vec![name];
            r.extend(super::batch_table::cron_job_cells(spec, status, now, wide));
            r.insert(6, age(o, now));
            r
        }
        // upstream: printEndpointSlice — formatDiscoveryPorts, formatDiscoveryEndpoints.
        Body::EndpointSlice(s) => {
            let ports = s.ports.iter().flatten().map(|p| match (p.port, &p.name) {
                (Some(n), _) => n.to_string(),
                (None, Some(name)) => name.clone(),
                (None, None) => "*".into(),
            });
            let addresses = s.endpoints.iter().flat_map(|e| e.addresses.iter().cloned());
            vec![
                name,
                s.address_type.clone(),
                first_three(ports, "<unset>"),
                first_three(addresses, "<unset>"),
                age(o, now),
            ]
        }
        Body::Endpoints(e) => vec![name, endpoints_cell(e, None), age(o, now)],
    }
}

/// upstream: listWithMoreString — the first three, then ` + N more...`; `empty` for none.
fn first_three(items: impl Iterator<Item = String>, empty: &str) -> String {
    let (mut list, mut count) = (Vec::new(), 0usize);
    for item in items {
        if list.len() < 3 {
            list.push(item);
        }
        count += 1;
    }
    match count {
        0 => empty.into(),
        n if n > 3 => format!("{} + {} more...", list.join(","), n - 3),
        _ => list.join(","),
    }
}

/// upstream: formatEndpoints — the ready addresses as `ip:port` for each port (of the ports
/// named in `ports`, when given), bare IPs for a subset without ports; `<none>` without subsets.
pub fn endpoints_cell(e: &k8s_openapi::api::core::v1::Endpoints, ports: Option<&[&str]>) -> String {
    let subsets = e.subsets.as_deref().unwrap_or_default();
    if subsets.is_empty() {
        return "<none>".into();
    }
    let mut cells = Vec::new();
    for ss in subsets {
        let addresses = ss.addresses.as_deref().unwrap_or_default();
        match ss.ports.as_deref().unwrap_or_default() {
            [] => cells.extend(addresses.iter().map(|a| a.ip.clone())),
            ss_ports => {
                for p in ss_ports.iter().filter(|p| ports.is_none_or(|n| n.contains(&p.name.as_deref().unwrap_or(""))))
                {
                    cells.extend(addresses.iter().map(|a| join_host_port(&a.ip, p.port)));
                }
            }
        }
    }
    let n = cells.len();
    if n > 3 {
        format!("{} + {} more...", cells[..3].join(","), n - 3)
    } else {
        cells.join(",")
    }
}

/// Go's net.JoinHostPort: IPv6 hosts in brackets.
pub fn join_host_port(ip: &str, port: i32) -> String {
    if ip.contains(':') {
        format!("[{ip}]:{port}")
    } else {
        format!("{ip}:{port}")
    }
}

/// upstream: printService — TYPE, CLUSTER-IP, EXTERNAL-IP, PORT(S) (and SELECTOR with -o wide).
fn service_cells(svc: &k8s_openapi::api::core::v1::Service, wide: bool) -> Vec<String> {
    let spec = svc.spec.clone().unwrap_or_default();
    let type_ = spec.type_.clone().unwrap_or_default();
    let cluster_ip = spec.cluster_ips.as_ref().and_then(|ips| ips.first().cloned());
    let cluster_ip =
        cluster_ip.or(spec.cluster_ip.clone()).filter(|ip| !ip.is_empty()).unwrap_or_else(|| "<none>".into());
    let external = spec.external_ips.clone().unwrap_or_default();
    let external_ip = match type_.as_str() {
        "ClusterIP" | "NodePort" => {
            if external.is_empty() {
                "<none>".to_string()
            } else {
                external.join(",")
            }
        }
        "LoadBalancer" => {
            let mut ingress: Vec<String> = svc
                .status
                .as_ref()
                .and_then(|s| s.load_balancer.as_ref())
                .and_then(|lb| lb.ingress.clone())
                .unwrap_or_default()
                .into_iter()
                .filter_map(|i| i.ip.or(i.hostname))
                .collect();
            ingress.sort();
            ingress.dedup();
            let mut all = ingress;
            all.extend(external);
            if all.is_empty() {
                "<pending>".to_string()
            } else {
                all.join(",")
            }
        }
        "ExternalName" => spec.external_name.clone().unwrap_or_default(),
        _ => "<unknown>".to_string(),
    };
    let ports: Vec<String> = spec
        .ports
        .iter()
        .flatten()
        .map(|p| {
            let proto = p.protocol.as_deref().unwrap_or("TCP");
            match p.node_port.filter(|n| *n != 0) {
                Some(n) => format!("{}:{n}/{proto}", p.port),
                None => format!("{}/{proto}", p.port),
            }
        })
        .collect();
    let mut cells =
        vec![type_, cluster_ip, external_ip, if ports.is_empty() { "<none>".into() } else { ports.join(",") }];
    if wide {
        let selector = spec.selector.unwrap_or_default();
        cells.push(if selector.is_empty() {
            "<none>".into()
        } else {
            selector.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
        });
    }
    cells
}

/// The whole `kubectl get` table for objects of one kind (already filtered and ordered).
pub fn render(kind: Kind, objects: &[Arc<Object>], now: Millis, opts: &TableOptions) -> String {
    let mut rows: Vec<Vec<String>> = Vec::with_capacity(objects.len() + 1);
    if !opts.no_headers {
        rows.push(header_cells(kind, opts));
    }
    rows.extend(objects.iter().map(|o| row_cells(kind, o, now, opts)));
    tabwrite(&rows)
}

/// The header row's cells.
pub fn header_cells(kind: Kind, opts: &TableOptions) -> Vec<String> {
    let mut head: Vec<String> = header(kind, opts.wide).into_iter().map(str::to_string).collect();
    if opts.all_namespaces && kind.namespaced() {
        head.insert(0, "NAMESPACE".into());
    }
    for key in &opts.label_columns {
        head.push(key.rsplit('/').next().unwrap_or(key).to_ascii_uppercase());
    }
    if opts.show_labels {
        head.push("LABELS".into());
    }
    head
}

/// One object's cells, as of `now` (a watch prints each event's version as it arrives).
pub fn row_cells(kind: Kind, o: &Object, now: Millis, opts: &TableOptions) -> Vec<String> {
    let mut r = row(o, now, opts.wide);
    if opts.qualify_names && kind != Kind::Event {
        r[0] = format!("{}/{}", kind.qualified_singular(), r[0]);
    }
    if opts.all_namespaces && kind.namespaced() {
        r.insert(0, o.meta.namespace.to_string());
    }
    for key in &opts.label_columns {
        r.push(o.meta.labels.get(key).cloned().unwrap_or_default());
    }
    if opts.show_labels {
        r.push(format_labels(o.meta.labels.iter()));
    }
    // upstream: string cells are cut at the first line break, with "..." appended.
    for cell in r.iter_mut() {
        if let Some(i) = cell.find(['\n', '\r', '\x0c']) {
            cell.truncate(i);
            cell.push_str("...");
        }
    }
    r
}
