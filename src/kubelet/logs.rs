//! Container logs (`GET …/pods/P/log`, `kubectl logs`): the lines an image profile says a
//! container writes, each at an offset from the start of the container's run. Nothing is
//! stored: a run's log is worked out from when it started and (if it has) when it ended, so
//! logs cost no memory however long the simulation runs.

use std::sync::Arc;

use crate::api::pod::ContainerState;
use crate::api::{Body, Kind};
use crate::error::{KubesimError, Result};
use crate::sim::clock::Millis;
use crate::store::Store;

use super::images::ImageRegistry;

/// One line a container of the image writes, `offset` after the run starts. The text may name
/// `{pod}`, `{namespace}`, `{container}`, `{node}`, `{ip}` and `{restarts}`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct LogLine {
    pub offset: Millis,
    pub text: Arc<str>,
}

/// upstream: `PodLogOptions` (the query parameters of the log subresource).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogOptions {
    pub container: Option<String>,
    pub previous: bool,
    pub timestamps: bool,
    pub tail_lines: Option<i64>,
    /// Only lines written at or after this time.
    pub since: Option<Millis>,
    pub limit_bytes: Option<i64>,
}

fn bad_request(message: String) -> KubesimError {
    KubesimError::InvalidArgument(message)
}

/// The log of one container of a pod, as the API server returns it.
pub fn pod_log(
    store: &Store,
    images: &ImageRegistry,
    now: Millis,
    namespace: &str,
    name: &str,
    opts: &LogOptions,
) -> Result<String> {
    let pod = store.get(Kind::Pod, namespace, name)?;
    let Body::Pod { spec, status } = &pod.body else { unreachable!("a stored Pod has a Pod body") };
    let names: Vec<&str> = spec.containers.iter().map(|c| c.name.as_str()).collect();
    // upstream: pod REST LogLocation — a container must be named when there is more than one.
    let container = match &opts.container {
        Some(c) => c.as_str(),
        None if names.len() == 1 => names[0],
        None => {
            return Err(bad_request(format!(
                "a container name must be specified for pod {name}, choose one of: [{}]",
                names.join(" ")
            )))
        }
    };
    let Some(index) = names.iter().position(|n| *n == container) else {
        return Err(bad_request(format!("container {container} is not valid for pod {name}")));
    };
    let node = status.node_name.as_deref().or(spec.node_name.as_deref()).unwrap_or_default();
    if node.is_empty() {
        return Err(bad_request(format!("pod {name} does not have a host assigned")));
    }
    let crt = status.containers.get(index).cloned().unwrap_or_default();
    let last = match crt.last_state.as_deref() {
        Some(ContainerState::Terminated { started_at, finished_at, .. }) => Some((*started_at, *finished_at)),
        _ => None,
    };
    // upstream: kubelet validateContainerLogStatus — which run's log is read, in this order.
    // The last finished run is run `restart_count − 1` while a newer one runs (or has ended),
    // and run `restart_count` while the container waits to restart.
    let newer = matches!(crt.state, ContainerState::Running { .. } | ContainerState::Terminated { .. });
    let last_restarts = if newer { crt.restart_count.saturating_sub(1) } else { crt.restart_count };
    let (run, restarts) = if opts.previous {
        match last {
            Some(r) => (r, last_restarts),
            None => {
                return Err(bad_request(format!(
                    "previous terminated container \"{container}\" in pod \"{name}\" not found"
                )))
            }
        }
    } else {
        match (&crt.state, last) {
            (ContainerState::Running { started_at }, _) => ((*started_at, now), crt.restart_count),
            (ContainerState::Terminated { started_at, finished_at, .. }, _) => {
                ((*started_at, *finished_at), crt.restart_count)
            }
            (ContainerState::Waiting { .. }, Some(r)) => (r, last_restarts),
            (ContainerState::Waiting { reason }, None) => {
                let why = match *reason {
                    "ErrImagePull" => "image can't be pulled",
                    "ImagePullBackOff" => "trying and failing to pull image",
                    other => other,
                };
                return Err(bad_request(format!(
                    "container \"{container}\" in pod \"{name}\" is waiting to start: {why}"
                )));
            }
        }
    };
    let (started, ended) = run;
    let c = &spec.containers[index];
    let lines = images.spec(c.image.as_deref().unwrap_or_default()).map(|s| s.logs.clone()).unwrap_or_default();
    let ip = status.pod_ip.map(|ip| ip.to_string()).unwrap_or_default();
    let fill = |text: &str| {
        if !text.contains('{') {
            return text.to_string();
        }
        text.replace("{pod}", name)
            .replace("{namespace}", namespace)
            .replace("{container}", container)
            .replace("{node}", node)
            .replace("{ip}", &ip)
            .replace("{restarts}", &restarts.to_string())
    };
    // What a script kubesim follows writes (see `script`), then the image profile's lines.
    let script = super::script::of(c).map(|s| s.output).unwrap_or_default();
    let script = script.into_iter().map(|(offset, out)| {
        let t = started.saturating_add(offset);
        let text = match out {
            super::script::Output::Text(text) => text,
            super::script::Output::Date => super::script::date_text(t),
        };
        (t, text)
    });
    let mut written: Vec<(Millis, String)> = script
        .chain(lines.iter().map(|l| (started.saturating_add(l.offset), fill(&l.text))))
        .filter(|(t, _)| *t <= ended && opts.since.is_none_or(|s| *t >= s))
        .collect();
    written.sort_by_key(|(t, _)| *t);
    if let Some(n) = opts.tail_lines.filter(|n| *n >= 0) {
        let n = n as usize;
        if written.len() > n {
            written.drain(..written.len() - n);
        }
    }
    let mut out = String::new();
    for (t, text) in written {
        if opts.timestamps {
            // upstream: the kubelet writes RFC3339Nano with all nine digits (RFC3339NanoFixed).
            out.push_str(&timestamp(t));
            out.push(' ');
        }
        out.push_str(&text);
        out.push('\n');
    }
    if let Some(limit) = opts.limit_bytes.filter(|n| *n > 0) {
        let mut cut = (limit as usize).min(out.len());
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
    }
    Ok(out)
}

/// `2026-01-01T00:00:03.250000000Z`.
pub fn timestamp(ms: Millis) -> String {
    let t = k8s_openapi::jiff::Timestamp::from_millisecond(ms).unwrap_or(k8s_openapi::jiff::Timestamp::UNIX_EPOCH);
    let seconds = k8s_openapi::jiff::fmt::strtime::format("%Y-%m-%dT%H:%M:%S", t).unwrap_or_default();
    format!("{seconds}.{:03}000000Z", ms.rem_euclid(1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_keep_all_nine_digits() {
        assert_eq!(timestamp(1_767_225_603_250), "2026-01-01T00:00:03.250000000Z");
        assert_eq!(timestamp(1_767_225_600_000), "2026-01-01T00:00:00.000000000Z");
    }
}
