//! `kubectl top pods|nodes` (kubectl 1.32 `pkg/cmd/top` and `metricsutil` printer): usage as
//! metrics-server reports it at the last scrape, in kubectl's columns and errors.

use std::sync::Arc;

use super::tabwrite;
use crate::api::quantity::parse_milli;
use crate::api::{Body, Kind, Object};
use crate::error::KubesimError;
use crate::labels::Selector;
use crate::metrics::read::{Reader, Resource};
use crate::metrics::LoadModel;
use crate::sim::clock::Millis;
use crate::store::Store;

/// upstream: metricsCreationDelay — younger pods without metrics are "not available yet".
const METRICS_CREATION_DELAY: Millis = 120_000;

/// What `kubectl top` was asked for besides the kind and namespace.
#[derive(Clone, Debug, Default)]
pub struct TopRequest<'a> {
    /// `kubectl top pod NAME`.
    pub name: Option<&'a str>,
    /// `-l`: a label selector string.
    pub selector: &'a str,
    /// `--sort-by=cpu|memory`.
    pub sort_by: Option<&'a str>,
    /// `--no-headers`.
    pub no_headers: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum SortBy {
    Name,
    Cpu,
    Memory,
}

/// One line of usage: namespace (pods with `-A`), name, CPU (milli) and memory (milli-bytes).
struct Row {
    namespace: Arc<str>,
    name: Arc<str>,
    cpu: i64,
    memory: i64,
}

/// upstream: printSingleResourceUsage — CPU as `MilliValue()m`, memory as `Value()/2^20 Mi`
/// (`Value()` rounds millibytes up to whole bytes).
fn cpu_cell(milli: i64) -> String {
    format!("{milli}m")
}

fn memory_cell(milli: i64) -> String {
    let bytes = milli.div_euclid(1000) + i64::from(milli.rem_euclid(1000) != 0);
    format!("{}Mi", bytes / (1024 * 1024))
}

/// Go's `time.Duration.String()` for a non-negative duration of whole milliseconds
/// (`2m5s`, `2m5.5s`, `1h0m3s`).
pub fn go_duration(ms: Millis) -> String {
    if ms == 0 {
        return "0s".into();
    }
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let (h, m, s, frac) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    let seconds =
        if frac == 0 { format!("{s}s") } else { format!("{s}.{}s", format!("{frac:03}").trim_end_matches('0')) };
    if h > 0 {
        format!("{h}h{m}m{seconds}")
    } else if m > 0 {
        format!("{m}m{seconds}")
    } else {
        seconds
    }
}

fn sort_rows(rows: &mut [Row], by: SortBy, with_namespace: bool) {
    // The metrics API lists in key order; a stable sort keeps it among equals.
    match by {
        SortBy::Name if with_namespace => rows.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name))),
        SortBy::Name => rows.sort_by(|a, b| a.name.cmp(&b.name)),
        SortBy::Cpu => rows.sort_by_key(|r| std::cmp::Reverse(r.cpu)),
        SortBy::Memory => rows.sort_by_key(|r| std::cmp::Reverse(r.memory)),
    }
}

fn invalid(message: &str) -> KubesimError {
    KubesimError::InvalidArgument(message.into())
}

/// Every cell is followed by a tab in kubectl's printer, so every column (the last one too) is
/// padded: lines end in spaces.
fn table(header: Option<&[&str]>, rows: Vec<Vec<String>>) -> String {
    let mut all: Vec<Vec<String>> = Vec::with_capacity(rows.len() + 1);
    if let Some(h) = header {
        all.push(h.iter().map(|c| c.to_string()).collect());
    }
    all.extend(rows);
    for r in &mut all {
        r.push(String::new());
    }
    tabwrite(&all)
}

/// `kubectl top pods` / `kubectl top nodes`; `""` when no pod matched. `namespace` `None` is
/// `-A` (pods only).
pub fn render(
    store: &Store,
    load: &LoadModel,
    now: Millis,
    kind: Kind,
    namespace: Option<&str>,
    req: &TopRequest,
) -> Result<String, KubesimError> {
    let sort_by = match req.sort_by.unwrap_or("") {
        "" => SortBy::Name,
        "cpu" => SortBy::Cpu,
        "memory" => SortBy::Memory,
        _ => return Err(invalid("--sort-by accepts only cpu or memory")),
    };
    let reader = Reader::new(store, load, now);
    match kind {
        Kind::Pod => pods(store, &reader, now, namespace, req, sort_by),
        Kind::Node => nodes(store, &reader, req, sort_by),
        other => {
            Err(KubesimError::InvalidArgument(format!("kubectl top supports pods and nodes, not {}", other.plural())))
        }
    }
}

fn usage(reader: &Reader, p: &Object) -> Option<(i64, i64)> {
    Some((reader.resource(p, Resource::Cpu)?, reader.resource(p, Resource::Memory)?))
}

fn pods(
    store: &Store,
    reader: &Reader,
    now: Millis,
    namespace: Option<&str>,
    req: &TopRequest,
    sort_by: SortBy,
) -> Result<String, KubesimError> {
    if req.name.is_some() && !req.selector.is_empty() {
        return Err(invalid("only one of NAME or selector can be provided"));
    }
    let selector = Selector::parse(req.selector)?;
    // kubectl's current namespace (also where it looks for pods when -A found no metrics).
    let current = namespace.unwrap_or("default");
    let mut rows = Vec::new();
    if let Some(name) = req.name {
        let pod = store
            .get(Kind::Pod, current, name)
            .map_err(|_| KubesimError::NotFound { resource: "pods".into(), name: name.into() })?;
        let (cpu, memory) = usage(reader, &pod).ok_or_else(|| KubesimError::NotFound {
            resource: "podmetrics.metrics.k8s.io".into(),
            name: format!("{current}/{name}"),
        })?;
        rows.push(Row { namespace: pod.meta.namespace.clone(), name: pod.meta.name.clone(), cpu, memory });
    } else {
        for p in store.list(Kind::Pod, namespace, &selector) {
            if let Some((cpu, memory)) = usage(reader, &p) {
                rows.push(Row { namespace: p.meta.namespace.clone(), name: p.meta.name.clone(), cpu, memory });
            }
        }
    }
    if rows.is_empty() {
        // upstream: verifyEmptyMetrics — a pod older than the metrics delay is an error.
        let listed = store.list(Kind::Pod, Some(current), &selector);
        if listed.is_empty() {
            return Ok(String::new());
        }
        for p in &listed {
            let age = now - p.meta.creation_timestamp;
            if age > METRICS_CREATION_DELAY {
                return Err(KubesimError::MetricsUnavailable(format!(
                    "Metrics not available for pod {}/{}, age: {}",
                    p.meta.namespace,
                    p.meta.name,
                    go_duration(age)
                )));
            }
        }
        return Err(KubesimError::MetricsUnavailable("metrics not available yet".into()));
    }
    let with_namespace = namespace.is_none();
    sort_rows(&mut rows, sort_by, with_namespace);
    let header: &[&str] = if with_namespace {
        &["NAMESPACE", "NAME", "CPU(cores)", "MEMORY(bytes)"]
    } else {
        &["NAME", "CPU(cores)", "MEMORY(bytes)"]
    };
    let cells = rows
        .into_iter()
        .map(|r| {
            let mut line = Vec::with_capacity(4);
            if with_namespace {
                line.push(r.namespace.to_string());
            }
            line.extend([r.name.to_string(), cpu_cell(r.cpu), memory_cell(r.memory)]);
            line
        })
        .collect();
    Ok(table((!req.no_headers).then_some(header), cells))
}

/// A node's allocatable CPU and memory (milli-units).
fn allocatable(node: &Object) -> (i64, i64) {
    let Body::Node { status, .. } = &node.body else { return (0, 0) };
    let get = |r: &str| {
        status
            .allocatable
            .as_ref()
            .and_then(|a| a.get(r))
            .and_then(|q| parse_milli(&q.0))
            .map_or(0, |v| v.clamp(0, i64::MAX as i128) as i64)
    };
    (get("cpu"), get("memory"))
}

/// upstream: `int64(float64(usage) / float64(allocatable) * 100)`, 0 for nothing allocatable.
fn percent(used: i64, available: i64) -> String {
    let fraction = if available == 0 { 0.0 } else { used as f64 / available as f64 * 100.0 };
    format!("{}%", fraction as i64)
}

fn nodes(store: &Store, reader: &Reader, req: &TopRequest, sort_by: SortBy) -> Result<String, KubesimError> {
    if req.name.is_some() && !req.selector.is_empty() {
        return Err(invalid("only one of NAME or --selector can be provided"));
    }
    let selector = Selector::parse(req.selector)?;
    let usage = reader.nodes();
    let listed: Vec<Arc<Object>> = match req.name {
        Some(name) => {
            let node = store
                .get(Kind::Node, "", name)
                .map_err(|_| KubesimError::NotFound { resource: "node".into(), name: name.into() })?;
            if !usage.contains_key(name) {
                return Err(KubesimError::NotFound {
                    resource: "nodemetrics.metrics.k8s.io".into(),
                    name: name.into(),
                });
            }
            vec![node]
        }
        None => store.list(Kind::Node, None, &selector),
    };
    let mut rows: Vec<Row> = listed
        .iter()
        .filter_map(|n| {
            let (cpu, memory) = *usage.get(&n.meta.name)?;
            Some(Row { namespace: "".into(), name: n.meta.name.clone(), cpu, memory })
        })
        .collect();
    if rows.is_empty() {
        return Err(KubesimError::MetricsUnavailable("metrics not available yet".into()));
    }
    sort_rows(&mut rows, sort_by, false);
    let mut cells: Vec<Vec<String>> = Vec::with_capacity(listed.len());
    for r in &rows {
        let node = listed.iter().find(|n| n.meta.name == r.name);
        let (cpu_alloc, mem_alloc) = node.map_or((0, 0), |n| allocatable(n));
        cells.push(vec![
            r.name.to_string(),
            cpu_cell(r.cpu),
            percent(r.cpu, cpu_alloc),
            memory_cell(r.memory),
            percent(r.memory, mem_alloc),
        ]);
    }
    // upstream: nodes without metrics (kubelet not answering) follow as <unknown> lines.
    for n in listed.iter().filter(|n| !usage.contains_key(&n.meta.name)) {
        let mut line = vec![n.meta.name.to_string()];
        line.extend(std::iter::repeat_n("<unknown>".to_string(), 4));
        cells.push(line);
    }
    let header: &[&str] = &["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"];
    Ok(table((!req.no_headers).then_some(header), cells))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_cells_follow_the_printer() {
        assert_eq!(cpu_cell(250), "250m");
        assert_eq!(cpu_cell(0), "0m");
        assert_eq!(memory_cell(12 * 1024 * 1024 * 1000), "12Mi");
        assert_eq!(memory_cell((12 * 1024 * 1024 - 1) * 1000), "11Mi", "floored to whole MiB");
        assert_eq!(percent(250, 4000), "6%");
        assert_eq!(percent(1, 0), "0%");
    }

    #[test]
    fn durations_print_like_go() {
        for (ms, want) in [
            (0, "0s"),
            (5_000, "5s"),
            (125_000, "2m5s"),
            (125_500, "2m5.5s"),
            (125_250, "2m5.25s"),
            (3_603_000, "1h0m3s"),
            (250, "250ms"),
        ] {
            assert_eq!(go_duration(ms), want);
        }
    }

    #[test]
    fn every_column_is_padded_as_with_a_trailing_tab() {
        let out = table(
            Some(&["NAME", "CPU(cores)", "MEMORY(bytes)"]),
            vec![vec!["web".into(), "250m".into(), "12Mi".into()]],
        );
        assert_eq!(out, "NAME   CPU(cores)   MEMORY(bytes)   \nweb    250m         12Mi            \n");
    }
}
