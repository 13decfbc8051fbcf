//! A kubectl command line → the core calls `Cluster.kubectl` makes for it, on a copy of a small
//! cluster (a Deployment, a Service, a ConfigMap, a Job and a CronJob, settled and scraped).
//!
//! The command-line grammar itself (flags, printers, `-o jsonpath=` / `custom-columns=`) is
//! Python (`python/kubesim/_kubectl/`), out of a cargo fuzzer's reach; this target reads the
//! line the way that layer does and feeds what it passes on to the core: resource names
//! (`Kind::from_resource_name`), namespaces, label selectors, object names, `-L` columns,
//! `--sort-by`, log options, exec argv, label keys and values, images, merge patches, replica
//! counts. Besides "no panic, no hang": a `get` table has one line per object (plus the header
//! unless `--no-headers`), and `-o yaml` reads back as the object it printed.
#![no_main]

use _native::api::manifest::parse_documents;
use _native::api::yaml::to_yaml;
use _native::api::Kind;
#[path = "../common/mod.rs"]
mod common;

use _native::cluster::Cluster;
use _native::kubectl::table::{render, TableOptions};
use _native::kubectl::top::TopRequest;
use _native::kubelet::logs::LogOptions;
use _native::labels::validation::{is_qualified_name, is_valid_label_value};
use _native::sim::clock::parse_duration;
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

const OBJECTS: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: main
        image: nginx:1.25
        resources: {requests: {cpu: 100m, memory: 64Mi}}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, labels: {team: core}}
data: {mode: fast}
---
apiVersion: batch/v1
kind: Job
metadata: {name: pi}
spec:
  completions: 2
  template:
    spec:
      restartPolicy: Never
      containers: [{name: pi, image: perl:5.34, command: [perl, -e, "print 1"]}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: hello}
spec:
  schedule: "*/1 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: hello, image: busybox:1.36, command: [sh, -c, date]}]
"#;

thread_local! {
    // Long enough for the pods to run, a metrics scrape, and a CronJob run or two.
    static BASE: Cluster = common::cluster_with(OBJECTS, 150_000);
}

/// A shell-like split: single and double quotes, backslash escapes.
fn split(line: &str) -> Vec<String> {
    let (mut out, mut cur, mut quote, mut any) = (Vec::new(), String::new(), None, false);
    let mut chars = line.chars();
    while let Some(ch) = chars.next() {
        match (quote, ch) {
            (None, c) if c.is_whitespace() => {
                if any {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            (None, '\'' | '"') => (quote, any) = (Some(ch), true),
            (Some(q), c) if c == q => quote = None,
            (Some('\''), c) => cur.push(c),
            (_, '\\') => {
                cur.push(chars.next().unwrap_or('\\'));
                any = true;
            }
            (_, c) => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(cur);
    }
    out
}

/// Flags that take a value (as `--flag value`, `--flag=value`, `-n value` or `-nvalue`).
#[rustfmt::skip]
const VALUED: &[&str] = &[
    "-n", "--namespace", "-l", "--selector", "-L", "--label-columns", "-o", "--output", "-c", "--container",
    "--tail", "--since", "--limit-bytes", "--replicas", "-p", "--patch", "--type", "--sort-by", "--revision",
    "--from-literal", "--image",
];

#[derive(Default)]
struct Args {
    positional: Vec<String>,
    flags: Vec<(String, String)>,
    /// After `--`: exec's command.
    rest: Vec<String>,
}

impl Args {
    fn parse(words: &[String], command: &str) -> Args {
        let mut a = Args::default();
        let mut i = 0;
        while i < words.len() {
            let w = &words[i];
            i += 1;
            if w == "--" {
                a.rest = words[i..].to_vec();
                break;
            }
            if !w.starts_with('-') || w == "-" {
                a.positional.push(w.clone());
                continue;
            }
            let (name, inline) = match w.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                None if !w.starts_with("--") && w.len() > 2 && w.is_char_boundary(2) => {
                    (w[..2].to_string(), Some(w[2..].to_string()))
                }
                None => (w.clone(), None),
            };
            // `logs -p` is --previous; elsewhere -p is --patch.
            let valued = VALUED.contains(&name.as_str()) && !(command == "logs" && name == "-p");
            let value = match inline {
                Some(v) => v,
                None if valued && i < words.len() => {
                    i += 1;
                    words[i - 1].clone()
                }
                None => "true".into(),
            };
            a.flags.push((name, value));
        }
        a
    }

    fn value(&self, names: &[&str]) -> Option<&str> {
        self.flags.iter().rev().find(|(n, _)| names.contains(&n.as_str())).map(|(_, v)| v.as_str())
    }

    fn bool(&self, names: &[&str]) -> bool {
        self.value(names).is_some_and(|v| v != "false")
    }

    fn int(&self, names: &[&str]) -> Option<Option<i64>> {
        match self.value(names) {
            None => Some(None),
            Some(v) => v.parse().ok().map(Some),
        }
    }
}

/// `KIND NAME…`, `KIND/NAME…` or `KIND1,KIND2`: (kind, names) per kind, or None when a kind is
/// unknown ("the server doesn't have a resource type").
fn targets(positional: &[String]) -> Option<Vec<(Kind, Vec<String>)>> {
    let first = positional.first()?;
    if first.contains('/') {
        return positional
            .iter()
            .map(|p| {
                let (k, n) = p.split_once('/')?;
                Some((Kind::from_resource_name(k)?, vec![n.to_string()]))
            })
            .collect();
    }
    let names = positional[1..].to_vec();
    first.split(',').map(|k| Some((Kind::from_resource_name(k)?, names.clone()))).collect()
}

/// `POD`, `pod/POD`, or `KIND/NAME` for the first pod `NAME` owns (by its generated name), as
/// `kubectl logs deploy/web` picks one.
fn pod_of(c: &Cluster, ns: &str, arg: &str) -> String {
    match arg.split_once('/') {
        Some(("pod" | "pods" | "po", name)) => name.to_string(),
        Some((_, owner)) => c
            .list(Kind::Pod, Some(ns), "")
            .unwrap_or_default()
            .iter()
            .map(|p| p.meta.name.to_string())
            .find(|n| n.starts_with(&format!("{owner}-")))
            .unwrap_or_else(|| owner.to_string()),
        None => arg.to_string(),
    }
}

fn merge(c: &mut Cluster, kind: Kind, ns: &str, name: &str, patch: &Value) {
    let _ = c.patch(kind, ns, name, patch);
}

fn run(c: &mut Cluster, words: &[String]) {
    // Global flags may come first (`kubectl -n kube-system get pods`): the command is the first
    // positional word, and it decides how the flags read (`logs -p`).
    let Some(command) = Args::parse(words, "").positional.first().cloned() else { return };
    let mut a = Args::parse(words, &command);
    a.positional.remove(0);
    let all_namespaces = a.bool(&["-A", "--all-namespaces"]);
    let ns = a.value(&["-n", "--namespace"]).unwrap_or("default").to_string();
    let list_ns = (!all_namespaces).then_some(ns.as_str());
    let selector = a.value(&["-l", "--selector"]).unwrap_or("");
    match command.as_str() {
        "get" => {
            let Some(targets) = targets(&a.positional) else { return };
            let output = a.value(&["-o", "--output"]).unwrap_or("");
            let label_columns: Vec<String> = a
                .value(&["-L", "--label-columns"])
                .map(|v| v.split(',').map(str::to_string).collect())
                .unwrap_or_default();
            for (kind, names) in &targets {
                let objects = if names.is_empty() {
                    c.list(*kind, list_ns, selector)
                } else {
                    names.iter().map(|n| c.get(*kind, &ns, n)).collect()
                };
                let Ok(objects) = objects else { continue };
                match output.split_once('=').map_or(output, |(f, _)| f) {
                    "yaml" => {
                        for o in &objects {
                            let text = to_yaml(&o.to_json());
                            let back = parse_documents(&text, "get.yaml").expect("printed YAML parses");
                            assert_eq!(back.len(), 1, "{text}");
                            assert_eq!(back[0].value, o.to_json(), "-o yaml reads back as the object:\n{text}");
                        }
                    }
                    "json" | "jsonpath" | "custom-columns" | "name" => {
                        for o in &objects {
                            let _ = serde_json::to_string_pretty(&o.to_json());
                        }
                    }
                    wide => {
                        if objects.is_empty() {
                            continue;
                        }
                        let opts = TableOptions {
                            wide: wide == "wide",
                            show_labels: a.bool(&["--show-labels"]),
                            label_columns: label_columns.clone(),
                            all_namespaces: all_namespaces && kind.namespaced(),
                            qualify_names: targets.len() > 1,
                            no_headers: a.bool(&["--no-headers"]),
                        };
                        let table = render(*kind, &objects, c.now(), &opts);
                        let header = usize::from(!opts.no_headers);
                        assert_eq!(table.lines().count(), objects.len() + header, "one line per object:\n{table}");
                    }
                }
            }
        }
        "describe" => {
            let Some(targets) = targets(&a.positional) else { return };
            for (kind, names) in targets {
                let names = if names.is_empty() {
                    c.list(kind, list_ns, selector)
                        .map(|os| os.iter().map(|o| o.meta.name.to_string()).collect())
                        .unwrap_or_default()
                } else {
                    names
                };
                for n in names {
                    let _ = c.describe(kind, &ns, &n);
                }
            }
        }
        "top" => {
            let Some(kind) = a.positional.first().and_then(|k| Kind::from_resource_name(k)) else { return };
            let request = TopRequest {
                name: a.positional.get(1).map(String::as_str),
                selector,
                sort_by: a.value(&["--sort-by"]),
                no_headers: a.bool(&["--no-headers"]),
            };
            let _ = c.top(kind, list_ns, &request);
        }
        "logs" => {
            let Some(pod) = a.positional.first() else { return };
            let pod = pod_of(c, &ns, pod);
            let since = match a.value(&["--since"]) {
                Some(v) => match parse_duration(v).ok().and_then(|d| c.now().checked_sub(d)) {
                    Some(t) => Some(t),
                    None => return,
                },
                None => None,
            };
            let (Some(tail), Some(limit)) = (a.int(&["--tail"]), a.int(&["--limit-bytes"])) else { return };
            let opts = LogOptions {
                container: a.value(&["-c", "--container"]).map(str::to_string).or_else(|| a.positional.get(1).cloned()),
                previous: a.bool(&["-p", "--previous"]),
                timestamps: a.bool(&["--timestamps"]),
                tail_lines: tail.filter(|t| *t >= 0),
                since,
                limit_bytes: limit,
            };
            let _ = c.pod_log(&ns, &pod, &opts);
        }
        "exec" => {
            let Some(pod) = a.positional.first() else { return };
            let _ = c.pod_exec(&ns, &pod_of(c, &ns, pod), a.value(&["-c", "--container"]), &a.rest);
        }
        "scale" => {
            let Some(Some(replicas)) = a.int(&["--replicas"]) else { return };
            // Large counts only make the settle long (see the manifest target).
            if !(0..=20).contains(&replicas) {
                return;
            }
            for (kind, names) in targets(&a.positional).unwrap_or_default() {
                for n in names {
                    merge(c, kind, &ns, &n, &json!({"spec": {"replicas": replicas}}));
                }
            }
        }
        "label" | "annotate" => {
            let Some((kind, mut names)) =
                targets(&a.positional[..a.positional.len().min(1)]).and_then(|t| t.into_iter().next())
            else {
                return;
            };
            let mut changes = serde_json::Map::new();
            for p in &a.positional[1..] {
                if let Some((k, v)) = p.split_once('=') {
                    let bad =
                        !is_qualified_name(k).is_empty() || (command == "label" && !is_valid_label_value(v).is_empty());
                    if bad {
                        return;
                    }
                    changes.insert(k.to_string(), json!(v));
                } else if let Some(k) = p.strip_suffix('-') {
                    changes.insert(k.to_string(), Value::Null);
                } else if names.is_empty() || !changes.is_empty() {
                    names.push(p.clone());
                }
            }
            let field = if command == "label" { "labels" } else { "annotations" };
            for n in names {
                merge(c, kind, &ns, &n, &json!({"metadata": {field: changes.clone()}}));
            }
        }
        "set" if a.positional.first().is_some_and(|s| s == "image") => {
            let Some(name) = a.positional.get(1) else { return };
            let name = name.split_once('/').map_or(name.as_str(), |(_, n)| n);
            let images: Vec<(String, String)> = a.positional[2..]
                .iter()
                .filter_map(|p| p.split_once('=').map(|(c, i)| (c.to_string(), i.to_string())))
                .collect();
            let _ = c.set_image(&ns, name, &images, None);
        }
        "delete" => {
            for (kind, names) in targets(&a.positional).unwrap_or_default() {
                for n in names {
                    let _ = c.delete(kind, &ns, &n);
                }
            }
        }
        "patch" => {
            let Some(patch) = a.value(&["-p", "--patch"]).and_then(|p| serde_json::from_str::<Value>(p).ok()) else {
                return;
            };
            // json and strategic patches are the API server's, not `Cluster::patch`'s.
            if a.value(&["--type"]).is_some_and(|t| t != "merge") {
                return;
            }
            for (kind, names) in targets(&a.positional).unwrap_or_default() {
                for n in names {
                    merge(c, kind, &ns, &n, &patch);
                }
            }
        }
        "cordon" | "uncordon" => {
            for n in &a.positional {
                merge(c, Kind::Node, "", n, &json!({"spec": {"unschedulable": command == "cordon"}}));
            }
        }
        "rollout" => {
            // `rollout history deployment/web`: the templates of its ReplicaSets.
            for rs in c.list(Kind::ReplicaSet, Some(ns.as_str()), selector).unwrap_or_default() {
                let _ = c.describe_template(&ns, &rs.meta.name);
            }
        }
        "create" if a.positional.first().is_some_and(|s| s == "configmap") => {
            let Some(name) = a.positional.get(1) else { return };
            let data: serde_json::Map<String, Value> = a
                .flags
                .iter()
                .filter(|(f, _)| f == "--from-literal")
                .filter_map(|(_, v)| v.split_once('=').map(|(k, v)| (k.to_string(), json!(v))))
                .collect();
            let _ = c.create_value(json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": name, "namespace": ns}, "data": data}));
        }
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut c = BASE.with(Cluster::clone);
    // One command a line, run in turn on the same cluster.
    for line in text.lines().take(8) {
        let mut words = split(line);
        if words.first().is_some_and(|w| w == "kubectl") {
            words.remove(0);
        }
        run(&mut c, &words);
    }
});
