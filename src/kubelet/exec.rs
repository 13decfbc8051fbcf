//! `kubectl exec` (`…/pods/P/exec`): a container runs only the commands its image profile
//! declares, each answering with fixed output and an exit code. Anything else fails as
//! containerd does for a command that is not in the image. Nothing runs and nothing changes.

use std::sync::Arc;

use k8s_openapi::api::core::v1 as core;

use crate::api::pod::ContainerState;
use crate::api::{Body, Kind};
use crate::error::{KubesimError, Result};
use crate::sim::clock::Millis;
use crate::store::Store;

use super::images::ImageRegistry;

/// What one declared command writes and how it exits. The texts may name `{pod}`,
/// `{namespace}`, `{container}`, `{node}`, `{ip}`, `{tag}` (the image's tag, `latest` when it
/// has none) and `{env}` (the container's environment, one `NAME=value` line each, as `env`
/// prints it).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExecCommand {
    /// The command line, word for word (`["cat", "/etc/hostname"]`).
    pub argv: Vec<String>,
    #[serde(default)]
    pub stdout: Arc<str>,
    #[serde(default)]
    pub stderr: Arc<str>,
    #[serde(default)]
    pub exit_code: i32,
}

impl ExecCommand {
    pub fn new(command: &str, stdout: &str) -> ExecCommand {
        ExecCommand {
            argv: command.split(' ').map(String::from).collect(),
            stdout: stdout.into(),
            stderr: "".into(),
            exit_code: 0,
        }
    }
}

/// The commands every image answers unless its profile declares its own: what any Linux base
/// image has.
pub fn default_commands() -> Arc<[ExecCommand]> {
    Arc::from([
        ExecCommand::new("hostname", "{pod}\n"),
        ExecCommand::new("cat /etc/hostname", "{pod}\n"),
        ExecCommand::new("env", "{env}"),
        ExecCommand::new("printenv", "{env}"),
    ])
}

/// What kubectl gets back from an exec: the streams and the exit code, or the error the
/// connection ends with (kubectl prints it as `error: <message>` and exits 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExecOutcome {
    Ran { stdout: String, stderr: String, exit_code: i32 },
    Failed(String),
}

/// Run `argv` in a container of a pod, as the API server and kubelet answer it.
pub fn pod_exec(
    store: &Store,
    images: &ImageRegistry,
    now: Millis,
    namespace: &str,
    name: &str,
    container: Option<&str>,
    argv: &[String],
) -> Result<ExecOutcome> {
    let pod = store.get(Kind::Pod, namespace, name)?;
    let Body::Pod { spec, status } = &pod.body else { unreachable!("a stored Pod has a Pod body") };
    let names: Vec<&str> = spec.containers.iter().map(|c| c.name.as_str()).collect();
    // upstream: pod REST ExecLocation (streamLocation) — the same checks as for logs.
    let container = match container {
        Some(c) => c,
        None if names.len() == 1 => names[0],
        None => {
            return Err(KubesimError::InvalidArgument(format!(
                "a container name must be specified for pod {name}, choose one of: [{}]",
                names.join(" ")
            )))
        }
    };
    let Some(index) = names.iter().position(|n| *n == container) else {
        return Err(KubesimError::InvalidArgument(format!("container {container} is not valid for pod {name}")));
    };
    let node = status.node_name.as_deref().or(spec.node_name.as_deref()).unwrap_or_default();
    if node.is_empty() {
        return Err(KubesimError::InvalidArgument(format!("pod {name} does not have a host assigned")));
    }
    if argv.is_empty() {
        return Err(KubesimError::InvalidArgument("you must specify at least 1 command".into()));
    }
    let running = status.containers.get(index).is_some_and(|c| matches!(c.state, ContainerState::Running { .. }));
    if !running {
        // upstream: the kubelet finds no running container to exec in; kubectl's upgrade fails.
        return Ok(ExecOutcome::Failed(format!("unable to upgrade connection: container not found (\"{container}\")")));
    }
    let c = &spec.containers[index];
    let declared = images.spec(c.image.as_deref().unwrap_or_default()).map(|s| s.exec.clone());
    let commands = declared.unwrap_or_else(default_commands);
    let Some(command) = commands.iter().find(|cmd| cmd.argv == argv) else {
        // upstream: containerd's exec start fails before any stream opens; the kubelet answers
        // with an internal error (exec ids are random; kubesim derives one from the request).
        let id = exec_id(&[namespace, name, container, &argv.join("\0"), &now.to_string()]);
        return Ok(ExecOutcome::Failed(format!(
            "Internal error occurred: error executing command in container: failed to exec in container: \
             failed to start exec \"{id}\": OCI runtime exec failed: exec failed: unable to start container \
             process: exec: \"{}\": executable file not found in $PATH: unknown",
            argv[0]
        )));
    };
    let ip = status.pod_ip.map(|ip| ip.to_string()).unwrap_or_default();
    let fill = |text: &str| {
        if !text.contains('{') {
            return text.to_string();
        }
        let mut out = text
            .replace("{pod}", name)
            .replace("{namespace}", namespace)
            .replace("{container}", container)
            .replace("{node}", node)
            .replace("{ip}", &ip)
            .replace("{tag}", image_tag(c.image.as_deref().unwrap_or_default()));
        if out.contains("{env}") {
            out = out.replace("{env}", &environment(c, name, namespace, node, &ip));
        }
        out
    };
    Ok(ExecOutcome::Ran { stdout: fill(&command.stdout), stderr: fill(&command.stderr), exit_code: command.exit_code })
}

/// What `env` prints in the container: the image's PATH, HOSTNAME, the container's `env`
/// (literal values and the pod fields a `fieldRef` names; other sources are left out), HOME.
fn environment(c: &core::Container, pod: &str, namespace: &str, node: &str, ip: &str) -> String {
    let mut out = String::from("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n");
    out.push_str(&format!("HOSTNAME={pod}\n"));
    for var in c.env.iter().flatten() {
        let value = match (&var.value, &var.value_from) {
            (Some(v), _) => Some(v.clone()),
            (None, Some(from)) => from.field_ref.as_ref().and_then(|f| match f.field_path.as_str() {
                "metadata.name" => Some(pod.to_string()),
                "metadata.namespace" => Some(namespace.to_string()),
                "spec.nodeName" => Some(node.to_string()),
                "status.podIP" => Some(ip.to_string()),
                _ => None,
            }),
            (None, None) => Some(String::new()),
        };
        if let Some(v) = value {
            out.push_str(&format!("{}={v}\n", var.name));
        }
    }
    out.push_str("HOME=/root\n");
    out
}

/// `nginx:1.25` → `1.25`; no tag (or a digest only) → `latest`.
fn image_tag(image: &str) -> &str {
    let name = image.split('@').next().unwrap_or_default();
    match name.rsplit_once(':') {
        Some((_, tag)) if !tag.contains('/') => tag,
        _ => "latest",
    }
}

/// 64 hex digits, as containerd's exec ids are.
fn exec_id(parts: &[&str]) -> String {
    (0..4u64)
        .map(|salt| {
            let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ salt.wrapping_mul(0x9e37_79b9_7f4a_7c15);
            for b in parts.join("\u{1}").bytes() {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
            format!("{h:016x}")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_tags_ignore_registry_ports_and_digests() {
        assert_eq!(image_tag("nginx:1.25"), "1.25");
        assert_eq!(image_tag("nginx"), "latest");
        assert_eq!(image_tag("localhost:5000/app"), "latest");
        assert_eq!(image_tag("localhost:5000/app:2@sha256:abc"), "2");
    }

    #[test]
    fn exec_ids_are_64_hex_digits_and_depend_on_the_request() {
        let a = exec_id(&["default", "web", "nginx", "ls", "0"]);
        assert_eq!(a.len(), 64);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, exec_id(&["default", "web", "nginx", "ls", "1"]));
    }

    #[test]
    fn env_lists_literal_values_and_pod_fields_between_path_and_home() {
        let c: core::Container = serde_json::from_value(serde_json::json!({
            "name": "app",
            "env": [
                {"name": "MODE", "value": "prod"},
                {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                {"name": "SECRET", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
            ],
        }))
        .unwrap();
        let env = environment(&c, "web-1", "default", "node-1", "10.244.0.5");
        assert_eq!(
            env,
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nHOSTNAME=web-1\n\
             MODE=prod\nPOD=web-1\nHOME=/root\n"
        );
    }
}
