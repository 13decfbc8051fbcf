//! Protobuf request bodies (apiserver.md §9): kubectl 1.32's typed clients send
//! `application/vnd.kubernetes.protobuf` for `autoscale` (an autoscaling/v1 HPA), `create
//! deployment|namespace|job|cronjob|poddisruptionbudget`, `create
//! configmap|secret|serviceaccount|service` and the DELETEs of `drain`, and a 415 makes no retry
//! in JSON. The envelope is `k8s\0` and a
//! `runtime.Unknown`; the object inside is decoded into JSON by small field tables of the
//! messages those commands send (field numbers from k8s.io/api's generated.proto). Fields
//! without an entry are skipped, so what a table lacks is left to defaulting.

use serde_json::{json, Map, Value};

/// How one field is read.
#[derive(Clone, Copy)]
enum Ty {
    Str,
    /// An optional integer (a Go pointer): 0 is a value.
    Int,
    /// A plain Go integer with `omitempty`: gogo-protobuf always sends it, 0 means unset.
    IntOmitZero,
    /// A plain Go bool with `omitempty`: false means unset.
    Bool,
    /// An optional bool (a Go pointer): false is a value.
    OptBool,
    Msg(&'static [Field]),
    /// `map<string, string>` (entries are messages: key 1, value 2).
    StrMap,
    /// `map<string, bytes>`: the values as JSON carries bytes (base64).
    BytesMap,
    /// `IntOrString`: type 1 (0 int, 1 string), intVal 2, strVal 3.
    IntOrString,
}

#[derive(Clone, Copy)]
struct Field {
    num: u64,
    name: &'static str,
    ty: Ty,
    repeated: bool,
}

const fn f(num: u64, name: &'static str, ty: Ty) -> Field {
    Field { num, name, ty, repeated: false }
}

const fn rep(num: u64, name: &'static str, ty: Ty) -> Field {
    Field { num, name, ty, repeated: true }
}

const OBJECT_META: &[Field] = &[
    f(1, "name", Ty::Str),
    f(2, "generateName", Ty::Str),
    f(3, "namespace", Ty::Str),
    f(11, "labels", Ty::StrMap),
    f(12, "annotations", Ty::StrMap),
    rep(13, "ownerReferences", Ty::Msg(OWNER_REFERENCE)),
    rep(14, "finalizers", Ty::Str),
];
// What `kubectl create job --from=cronjob/…` sends: a controller reference to the CronJob.
const OWNER_REFERENCE: &[Field] = &[
    f(1, "kind", Ty::Str),
    f(3, "name", Ty::Str),
    f(4, "uid", Ty::Str),
    f(5, "apiVersion", Ty::Str),
    f(6, "controller", Ty::OptBool),
    f(7, "blockOwnerDeletion", Ty::OptBool),
];
const REQUIREMENT: &[Field] = &[f(1, "key", Ty::Str), f(2, "operator", Ty::Str), rep(3, "values", Ty::Str)];
const LABEL_SELECTOR: &[Field] = &[f(1, "matchLabels", Ty::StrMap), rep(2, "matchExpressions", Ty::Msg(REQUIREMENT))];
const PORT: &[Field] = &[
    f(1, "name", Ty::Str),
    f(2, "hostPort", Ty::IntOmitZero),
    f(3, "containerPort", Ty::Int),
    f(4, "protocol", Ty::Str),
    f(5, "hostIP", Ty::Str),
];
const ENV: &[Field] = &[f(1, "name", Ty::Str), f(2, "value", Ty::Str)];
const CONTAINER: &[Field] = &[
    f(1, "name", Ty::Str),
    f(2, "image", Ty::Str),
    rep(3, "command", Ty::Str),
    rep(4, "args", Ty::Str),
    f(5, "workingDir", Ty::Str),
    rep(6, "ports", Ty::Msg(PORT)),
    rep(7, "env", Ty::Msg(ENV)),
    f(14, "imagePullPolicy", Ty::Str),
];
const POD_SPEC: &[Field] = &[
    rep(2, "containers", Ty::Msg(CONTAINER)),
    f(3, "restartPolicy", Ty::Str),
    f(4, "terminationGracePeriodSeconds", Ty::Int),
    f(6, "dnsPolicy", Ty::Str),
    f(7, "nodeSelector", Ty::StrMap),
    f(8, "serviceAccountName", Ty::Str),
    f(10, "nodeName", Ty::Str),
    f(19, "schedulerName", Ty::Str),
];
const POD_TEMPLATE_SPEC: &[Field] = &[f(1, "metadata", Ty::Msg(OBJECT_META)), f(2, "spec", Ty::Msg(POD_SPEC))];
const ROLLING_UPDATE: &[Field] = &[f(1, "maxUnavailable", Ty::IntOrString), f(2, "maxSurge", Ty::IntOrString)];
const STRATEGY: &[Field] = &[f(1, "type", Ty::Str), f(2, "rollingUpdate", Ty::Msg(ROLLING_UPDATE))];
const DEPLOYMENT_SPEC: &[Field] = &[
    f(1, "replicas", Ty::Int),
    f(2, "selector", Ty::Msg(LABEL_SELECTOR)),
    f(3, "template", Ty::Msg(POD_TEMPLATE_SPEC)),
    f(4, "strategy", Ty::Msg(STRATEGY)),
    f(5, "minReadySeconds", Ty::IntOmitZero),
    f(6, "revisionHistoryLimit", Ty::Int),
    f(7, "paused", Ty::Bool),
    f(9, "progressDeadlineSeconds", Ty::Int),
];
const DEPLOYMENT: &[Field] = &[f(1, "metadata", Ty::Msg(OBJECT_META)), f(2, "spec", Ty::Msg(DEPLOYMENT_SPEC))];
const CROSS_VERSION_REF: &[Field] = &[f(1, "kind", Ty::Str), f(2, "name", Ty::Str), f(3, "apiVersion", Ty::Str)];
const HPA_V1_SPEC: &[Field] = &[
    f(1, "scaleTargetRef", Ty::Msg(CROSS_VERSION_REF)),
    f(2, "minReplicas", Ty::Int),
    f(3, "maxReplicas", Ty::Int),
    f(4, "targetCPUUtilizationPercentage", Ty::Int),
];
const HPA_V1: &[Field] = &[f(1, "metadata", Ty::Msg(OBJECT_META)), f(2, "spec", Ty::Msg(HPA_V1_SPEC))];
const NAMESPACE: &[Field] = &[f(1, "metadata", Ty::Msg(OBJECT_META))];
// What `kubectl create job --image=…|--from=cronjob/…` sends (batch/v1): the spec fields a
// CronJob's job template carries.
const JOB_SPEC: &[Field] = &[
    f(1, "parallelism", Ty::Int),
    f(2, "completions", Ty::Int),
    f(3, "activeDeadlineSeconds", Ty::Int),
    f(4, "selector", Ty::Msg(LABEL_SELECTOR)),
    f(5, "manualSelector", Ty::OptBool),
    f(6, "template", Ty::Msg(POD_TEMPLATE_SPEC)),
    f(7, "backoffLimit", Ty::Int),
    f(8, "ttlSecondsAfterFinished", Ty::Int),
    f(9, "completionMode", Ty::Str),
    f(10, "suspend", Ty::OptBool),
    f(12, "backoffLimitPerIndex", Ty::Int),
    f(13, "maxFailedIndexes", Ty::Int),
    f(14, "podReplacementPolicy", Ty::Str),
];
const JOB: &[Field] = &[f(1, "metadata", Ty::Msg(OBJECT_META)), f(2, "spec", Ty::Msg(JOB_SPEC))];
// What `kubectl create cronjob NAME --image=… --schedule=…` sends (batch/v1); every spec field,
// as the same message carries them all.
const CRON_JOB_SPEC: &[Field] = &[
    f(1, "schedule", Ty::Str),
    f(2, "startingDeadlineSeconds", Ty::Int),
    f(3, "concurrencyPolicy", Ty::Str),
    f(4, "suspend", Ty::OptBool),
    f(5, "jobTemplate", Ty::Msg(JOB)),
    f(6, "successfulJobsHistoryLimit", Ty::Int),
    f(7, "failedJobsHistoryLimit", Ty::Int),
    f(8, "timeZone", Ty::Str),
];
const CRON_JOB: &[Field] = &[f(1, "metadata", Ty::Msg(OBJECT_META)), f(2, "spec", Ty::Msg(CRON_JOB_SPEC))];
// What `kubectl create configmap|secret generic|serviceaccount|service …` send (core/v1).
const CONFIG_MAP: &[Field] = &[
    f(1, "metadata", Ty::Msg(OBJECT_META)),
    f(2, "data", Ty::StrMap),
    f(3, "binaryData", Ty::BytesMap),
    f(4, "immutable", Ty::OptBool),
];
const SECRET: &[Field] = &[
    f(1, "metadata", Ty::Msg(OBJECT_META)),
    f(2, "data", Ty::BytesMap),
    f(3, "type", Ty::Str),
    f(4, "stringData", Ty::StrMap),
    f(5, "immutable", Ty::OptBool),
];
const OBJECT_REFERENCE: &[Field] = &[
    f(1, "kind", Ty::Str),
    f(2, "namespace", Ty::Str),
    f(3, "name", Ty::Str),
    f(4, "uid", Ty::Str),
    f(5, "apiVersion", Ty::Str),
    f(6, "resourceVersion", Ty::Str),
    f(7, "fieldPath", Ty::Str),
];
const LOCAL_OBJECT_REFERENCE: &[Field] = &[f(1, "name", Ty::Str)];
const SERVICE_ACCOUNT: &[Field] = &[
    f(1, "metadata", Ty::Msg(OBJECT_META)),
    rep(2, "secrets", Ty::Msg(OBJECT_REFERENCE)),
    rep(3, "imagePullSecrets", Ty::Msg(LOCAL_OBJECT_REFERENCE)),
    f(4, "automountServiceAccountToken", Ty::OptBool),
];
const SERVICE_PORT: &[Field] = &[
    f(1, "name", Ty::Str),
    f(2, "protocol", Ty::Str),
    f(3, "port", Ty::Int),
    f(4, "targetPort", Ty::IntOrString),
    f(5, "nodePort", Ty::IntOmitZero),
    f(6, "appProtocol", Ty::Str),
];
const SERVICE_SPEC: &[Field] = &[
    rep(1, "ports", Ty::Msg(SERVICE_PORT)),
    f(2, "selector", Ty::StrMap),
    f(3, "clusterIP", Ty::Str),
    f(4, "type", Ty::Str),
    rep(5, "externalIPs", Ty::Str),
    f(7, "sessionAffinity", Ty::Str),
    f(8, "loadBalancerIP", Ty::Str),
    rep(9, "loadBalancerSourceRanges", Ty::Str),
    f(10, "externalName", Ty::Str),
    f(11, "externalTrafficPolicy", Ty::Str),
    f(12, "healthCheckNodePort", Ty::IntOmitZero),
    f(13, "publishNotReadyAddresses", Ty::Bool),
    f(17, "ipFamilyPolicy", Ty::Str),
    rep(18, "clusterIPs", Ty::Str),
    rep(19, "ipFamilies", Ty::Str),
    f(20, "allocateLoadBalancerNodePorts", Ty::OptBool),
    f(21, "loadBalancerClass", Ty::Str),
    f(22, "internalTrafficPolicy", Ty::Str),
];
const SERVICE: &[Field] = &[f(1, "metadata", Ty::Msg(OBJECT_META)), f(2, "spec", Ty::Msg(SERVICE_SPEC))];
// What a DELETE carries (`kubectl drain`'s deletes, when evictions are not served), meta/v1.
const PRECONDITIONS: &[Field] = &[f(1, "uid", Ty::Str), f(2, "resourceVersion", Ty::Str)];
const DELETE_OPTIONS: &[Field] = &[
    f(1, "gracePeriodSeconds", Ty::Int),
    f(2, "preconditions", Ty::Msg(PRECONDITIONS)),
    f(3, "orphanDependents", Ty::OptBool),
    f(4, "propagationPolicy", Ty::Str),
    rep(5, "dryRun", Ty::Str),
];

// What `kubectl drain` POSTs to a pod's `eviction` subresource (policy/v1).
const EVICTION: &[Field] = &[f(1, "metadata", Ty::Msg(OBJECT_META)), f(2, "deleteOptions", Ty::Msg(DELETE_OPTIONS))];
// What `kubectl create poddisruptionbudget NAME --selector=… --min-available=…` sends.
const PDB_SPEC: &[Field] = &[
    f(1, "minAvailable", Ty::IntOrString),
    f(2, "selector", Ty::Msg(LABEL_SELECTOR)),
    f(3, "maxUnavailable", Ty::IntOrString),
    f(4, "unhealthyPodEvictionPolicy", Ty::Str),
];
const PDB: &[Field] = &[f(1, "metadata", Ty::Msg(OBJECT_META)), f(2, "spec", Ty::Msg(PDB_SPEC))];

// authorization.k8s.io/v1 and authentication.k8s.io/v1 (`kubectl auth can-i`, `auth whoami`).
const FIELD_SELECTOR_ATTRIBUTES: &[Field] =
    &[f(1, "rawSelector", Ty::Str), rep(2, "requirements", Ty::Msg(REQUIREMENT))];
const RESOURCE_ATTRIBUTES: &[Field] = &[
    f(1, "namespace", Ty::Str),
    f(2, "verb", Ty::Str),
    f(3, "group", Ty::Str),
    f(4, "version", Ty::Str),
    f(5, "resource", Ty::Str),
    f(6, "subresource", Ty::Str),
    f(7, "name", Ty::Str),
    f(8, "fieldSelector", Ty::Msg(FIELD_SELECTOR_ATTRIBUTES)),
    f(9, "labelSelector", Ty::Msg(FIELD_SELECTOR_ATTRIBUTES)),
];
const NON_RESOURCE_ATTRIBUTES: &[Field] = &[f(1, "path", Ty::Str), f(2, "verb", Ty::Str)];
const SELF_SUBJECT_ACCESS_REVIEW_SPEC: &[Field] = &[
    f(1, "resourceAttributes", Ty::Msg(RESOURCE_ATTRIBUTES)),
    f(2, "nonResourceAttributes", Ty::Msg(NON_RESOURCE_ATTRIBUTES)),
];
const SUBJECT_ACCESS_REVIEW_SPEC: &[Field] = &[
    f(1, "resourceAttributes", Ty::Msg(RESOURCE_ATTRIBUTES)),
    f(2, "nonResourceAttributes", Ty::Msg(NON_RESOURCE_ATTRIBUTES)),
    f(3, "user", Ty::Str),
    rep(4, "groups", Ty::Str),
    f(6, "uid", Ty::Str),
];
const SELF_SUBJECT_ACCESS_REVIEW: &[Field] =
    &[f(1, "metadata", Ty::Msg(OBJECT_META)), f(2, "spec", Ty::Msg(SELF_SUBJECT_ACCESS_REVIEW_SPEC))];
const SUBJECT_ACCESS_REVIEW: &[Field] =
    &[f(1, "metadata", Ty::Msg(OBJECT_META)), f(2, "spec", Ty::Msg(SUBJECT_ACCESS_REVIEW_SPEC))];
const SELF_SUBJECT_RULES_REVIEW: &[Field] =
    &[f(1, "metadata", Ty::Msg(OBJECT_META)), f(2, "spec", Ty::Msg(&[f(1, "namespace", Ty::Str)]))];
const SELF_SUBJECT_REVIEW: &[Field] = &[f(1, "metadata", Ty::Msg(OBJECT_META))];
const BOUND_OBJECT_REFERENCE: &[Field] =
    &[f(1, "kind", Ty::Str), f(2, "apiVersion", Ty::Str), f(3, "name", Ty::Str), f(4, "uid", Ty::Str)];
const TOKEN_REQUEST_SPEC: &[Field] = &[
    rep(1, "audiences", Ty::Str),
    f(3, "boundObjectRef", Ty::Msg(BOUND_OBJECT_REFERENCE)),
    f(4, "expirationSeconds", Ty::Int),
];
const TOKEN_REQUEST: &[Field] = &[f(1, "metadata", Ty::Msg(OBJECT_META)), f(2, "spec", Ty::Msg(TOKEN_REQUEST_SPEC))];

/// The message table of an object kubectl sends as protobuf, by apiVersion and kind.
fn table(api_version: &str, kind: &str) -> Option<&'static [Field]> {
    Some(match (api_version, kind) {
        ("autoscaling/v1", "HorizontalPodAutoscaler") => HPA_V1,
        ("apps/v1", "Deployment") => DEPLOYMENT,
        ("v1", "Namespace") => NAMESPACE,
        ("v1", "ConfigMap") => CONFIG_MAP,
        ("v1", "Secret") => SECRET,
        ("v1", "ServiceAccount") => SERVICE_ACCOUNT,
        ("v1", "Service") => SERVICE,
        ("batch/v1", "Job") => JOB,
        ("batch/v1", "CronJob") => CRON_JOB,
        ("policy/v1", "PodDisruptionBudget") => PDB,
        // (kubectl's DeleteOptions name the group version of the object being deleted.)
        (_, "DeleteOptions") => DELETE_OPTIONS,
        ("policy/v1", "Eviction") => EVICTION,
        ("authorization.k8s.io/v1", "SelfSubjectAccessReview") => SELF_SUBJECT_ACCESS_REVIEW,
        ("authorization.k8s.io/v1", "SubjectAccessReview" | "LocalSubjectAccessReview") => SUBJECT_ACCESS_REVIEW,
        ("authorization.k8s.io/v1", "SelfSubjectRulesReview") => SELF_SUBJECT_RULES_REVIEW,
        ("authentication.k8s.io/v1", "SelfSubjectReview") => SELF_SUBJECT_REVIEW,
        ("authentication.k8s.io/v1", "TokenRequest") => TOKEN_REQUEST,
        _ => return None,
    })
}

/// The reader of one message's bytes.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn varint(&mut self) -> Result<u64, String> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = *self.buf.get(self.pos).ok_or("truncated varint")?;
            self.pos += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("varint too long".into())
    }

    fn bytes(&mut self) -> Result<&'a [u8], String> {
        let len = usize::try_from(self.varint()?).map_err(|_| "length too large")?;
        let end = self.pos.checked_add(len).filter(|e| *e <= self.buf.len()).ok_or("truncated field")?;
        let out = &self.buf[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    /// The next field: number, wire type, and its varint value or bytes.
    fn next(&mut self) -> Result<Option<(u64, Wire<'a>)>, String> {
        if self.pos >= self.buf.len() {
            return Ok(None);
        }
        let key = self.varint()?;
        let wire = match key & 7 {
            0 => Wire::Varint(self.varint()?),
            2 => Wire::Bytes(self.bytes()?),
            1 => {
                self.skip(8)?;
                Wire::Skipped
            }
            5 => {
                self.skip(4)?;
                Wire::Skipped
            }
            t => return Err(format!("unsupported wire type {t}")),
        };
        Ok(Some((key >> 3, wire)))
    }

    fn skip(&mut self, n: usize) -> Result<(), String> {
        self.pos = self.pos.checked_add(n).filter(|p| *p <= self.buf.len()).ok_or("truncated field")?;
        Ok(())
    }
}

enum Wire<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Skipped,
}

fn text(b: &[u8]) -> Result<String, String> {
    String::from_utf8(b.to_vec()).map_err(|_| "a string field is not UTF-8".to_string())
}

/// Nesting is bounded as a JSON body's is.
const MAX_DEPTH: usize = 64;

fn message(buf: &[u8], fields: &[Field], depth: usize) -> Result<Map<String, Value>, String> {
    if depth > MAX_DEPTH {
        return Err("protobuf message nested too deeply".into());
    }
    let mut out = Map::new();
    let mut r = Reader { buf, pos: 0 };
    while let Some((num, wire)) = r.next()? {
        let Some(field) = fields.iter().find(|f| f.num == num) else { continue };
        let value = match (field.ty, wire) {
            (Ty::Str, Wire::Bytes(b)) => Value::String(text(b)?),
            // upstream: int32 fields are varints of the two's complement (negative: 10 bytes).
            (Ty::Int, Wire::Varint(v)) => json!(v as i64),
            (Ty::IntOmitZero | Ty::Bool, Wire::Varint(0)) => continue,
            (Ty::IntOmitZero, Wire::Varint(v)) => json!(v as i64),
            (Ty::Bool, Wire::Varint(_)) => json!(true),
            (Ty::OptBool, Wire::Varint(v)) => json!(v != 0),
            (Ty::Msg(inner), Wire::Bytes(b)) => Value::Object(message(b, inner, depth + 1)?),
            (Ty::IntOrString, Wire::Bytes(b)) => {
                let m = message(b, &[f(1, "type", Ty::Int), f(2, "int", Ty::Int), f(3, "str", Ty::Str)], depth + 1)?;
                if m.get("type").and_then(Value::as_i64) == Some(1) {
                    m.get("str").cloned().unwrap_or(json!(""))
                } else {
                    m.get("int").cloned().unwrap_or(json!(0))
                }
            }
            (Ty::StrMap, Wire::Bytes(b)) => {
                let entry = message(b, &[f(1, "k", Ty::Str), f(2, "v", Ty::Str)], depth + 1)?;
                let k = entry.get("k").and_then(Value::as_str).unwrap_or("").to_string();
                let v = entry.get("v").cloned().unwrap_or(json!(""));
                let slot = out.entry(field.name).or_insert_with(|| json!({}));
                if let Value::Object(m) = slot {
                    m.insert(k, v);
                }
                continue;
            }
            (Ty::BytesMap, Wire::Bytes(b)) => {
                let (k, v) = bytes_entry(b)?;
                let slot = out.entry(field.name).or_insert_with(|| json!({}));
                if let Value::Object(m) = slot {
                    // upstream: []byte is base64 in JSON.
                    m.insert(k, serde_json::to_value(k8s_openapi::ByteString(v)).unwrap_or(json!("")));
                }
                continue;
            }
            (_, Wire::Skipped) => continue,
            _ => return Err(format!("field {} has the wrong wire type", field.name)),
        };
        // upstream: unset strings arrive as "" from gogo-protobuf; they mean absent.
        if value.as_str() == Some("") {
            continue;
        }
        if field.repeated {
            if let Value::Array(a) = out.entry(field.name).or_insert_with(|| json!([])) {
                a.push(value);
            }
        } else {
            out.insert(field.name.to_string(), value);
        }
    }
    Ok(out)
}

/// A `map<string, bytes>` entry: key 1 (text), value 2 (any bytes).
fn bytes_entry(buf: &[u8]) -> Result<(String, Vec<u8>), String> {
    let (mut k, mut v) = (String::new(), Vec::new());
    let mut r = Reader { buf, pos: 0 };
    while let Some((num, wire)) = r.next()? {
        match (num, wire) {
            (1, Wire::Bytes(b)) => k = text(b)?,
            (2, Wire::Bytes(b)) => v = b.to_vec(),
            _ => {}
        }
    }
    Ok((k, v))
}

/// Why a protobuf body was not decoded.
#[derive(Debug)]
pub enum ProtoError {
    /// A kind this decoder has no table for (HTTP 415).
    Unsupported(String),
    /// Bytes that are not a valid message (HTTP 400).
    Malformed(String),
}

/// Decode a `k8s\0`-prefixed `runtime.Unknown` body into the JSON object it carries.
pub fn decode(body: &[u8]) -> Result<Value, ProtoError> {
    decode_envelope(body)
}

fn decode_envelope(body: &[u8]) -> Result<Value, ProtoError> {
    let bad = ProtoError::Malformed;
    let rest = body.strip_prefix(b"k8s\0").ok_or_else(|| bad("the protobuf body lacks the k8s\\0 prefix".into()))?;
    let type_meta: &[Field] = &[f(1, "apiVersion", Ty::Str), f(2, "kind", Ty::Str)];
    let mut r = Reader { buf: rest, pos: 0 };
    let (mut api_version, mut kind, mut raw) = (String::new(), String::new(), None);
    while let Some((num, wire)) = r.next().map_err(bad)? {
        match (num, wire) {
            (1, Wire::Bytes(b)) => {
                let tm = message(b, type_meta, 1).map_err(bad)?;
                api_version = tm.get("apiVersion").and_then(Value::as_str).unwrap_or("").to_string();
                kind = tm.get("kind").and_then(Value::as_str).unwrap_or("").to_string();
            }
            (2, Wire::Bytes(b)) => raw = Some(b),
            _ => {}
        }
    }
    let fields = table(&api_version, &kind).ok_or_else(|| {
        ProtoError::Unsupported(format!("kubesim does not decode {kind} of {api_version:?} from protobuf yet"))
    })?;
    let mut obj = message(raw.unwrap_or(&[]), fields, 1).map_err(bad)?;
    obj.insert("apiVersion".into(), api_version.into());
    obj.insert("kind".into(), kind.into());
    Ok(Value::Object(obj))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varint(mut v: u64, out: &mut Vec<u8>) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(b);
                return;
            }
            out.push(b | 0x80);
        }
    }
    fn bytes_field(num: u64, b: &[u8], out: &mut Vec<u8>) {
        varint(num << 3 | 2, out);
        varint(b.len() as u64, out);
        out.extend_from_slice(b);
    }
    fn int_field(num: u64, v: u64, out: &mut Vec<u8>) {
        varint(num << 3, out);
        varint(v, out);
    }

    /// What `kubectl autoscale deployment/web --min=2 --max=5 --cpu-percent=80` sends.
    #[test]
    fn an_autoscale_body_decodes_to_the_hpa_kubectl_meant() {
        let mut meta = Vec::new();
        bytes_field(1, b"web", &mut meta);
        bytes_field(3, b"", &mut meta);
        let mut target = Vec::new();
        bytes_field(1, b"Deployment", &mut target);
        bytes_field(2, b"web", &mut target);
        bytes_field(3, b"apps/v1", &mut target);
        let mut spec = Vec::new();
        bytes_field(1, &target, &mut spec);
        int_field(2, 2, &mut spec);
        int_field(3, 5, &mut spec);
        int_field(4, 80, &mut spec);
        let mut hpa = Vec::new();
        bytes_field(1, &meta, &mut hpa);
        bytes_field(2, &spec, &mut hpa);
        bytes_field(3, b"", &mut hpa);
        let mut tm = Vec::new();
        bytes_field(1, b"autoscaling/v1", &mut tm);
        bytes_field(2, b"HorizontalPodAutoscaler", &mut tm);
        let mut body = b"k8s\0".to_vec();
        bytes_field(1, &tm, &mut body);
        bytes_field(2, &hpa, &mut body);
        bytes_field(3, b"", &mut body);
        bytes_field(4, b"", &mut body);
        assert_eq!(
            decode(&body).unwrap(),
            json!({"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "web"},
                   "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web", "apiVersion": "apps/v1"},
                            "minReplicas": 2, "maxReplicas": 5, "targetCPUUtilizationPercentage": 80}})
        );
    }

    /// What `kubectl create secret generic s --from-literal=a=x` and `create configmap c
    /// --from-literal=k=v` send: map entries as messages, a Secret's values as bytes.
    #[test]
    fn configmap_and_secret_bodies_decode_with_their_maps() {
        let envelope = |kind: &[u8], obj: &[u8]| {
            let mut tm = Vec::new();
            bytes_field(1, b"v1", &mut tm);
            bytes_field(2, kind, &mut tm);
            let mut body = b"k8s\0".to_vec();
            bytes_field(1, &tm, &mut body);
            bytes_field(2, obj, &mut body);
            body
        };
        let entry = |k: &[u8], v: &[u8]| {
            let mut e = Vec::new();
            bytes_field(1, k, &mut e);
            bytes_field(2, v, &mut e);
            e
        };
        let mut meta = Vec::new();
        bytes_field(1, b"c", &mut meta);
        let mut cm = Vec::new();
        bytes_field(1, &meta, &mut cm);
        bytes_field(2, &entry(b"k", b"v"), &mut cm);
        bytes_field(3, &entry(b"raw", &[0xff, 0x00]), &mut cm);
        int_field(4, 0, &mut cm);
        assert_eq!(
            decode(&envelope(b"ConfigMap", &cm)).unwrap(),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "v"},
                   "binaryData": {"raw": "/wA="}, "immutable": false})
        );
        let mut secret = Vec::new();
        bytes_field(1, &meta, &mut secret);
        bytes_field(2, &entry(b"a", b"x"), &mut secret);
        bytes_field(3, b"Opaque", &mut secret);
        assert_eq!(
            decode(&envelope(b"Secret", &secret)).unwrap(),
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "c"}, "data": {"a": "eA=="}, "type": "Opaque"})
        );
    }

    fn envelope(api_version: &[u8], kind: &[u8], obj: &[u8]) -> Vec<u8> {
        let mut tm = Vec::new();
        bytes_field(1, api_version, &mut tm);
        bytes_field(2, kind, &mut tm);
        let mut body = b"k8s\0".to_vec();
        bytes_field(1, &tm, &mut body);
        bytes_field(2, obj, &mut body);
        body
    }

    fn named(name: &[u8]) -> Vec<u8> {
        let mut meta = Vec::new();
        bytes_field(1, name, &mut meta);
        meta
    }

    /// A CronJob with every spec field set (distinct values, so that a wrong field number
    /// shows), its job template as `kubectl create cronjob` builds it.
    #[test]
    fn a_cronjob_body_decodes_with_every_spec_field() {
        let mut container = Vec::new();
        bytes_field(1, b"tick", &mut container);
        bytes_field(2, b"busybox", &mut container);
        bytes_field(3, b"date", &mut container);
        let mut pod_spec = Vec::new();
        bytes_field(2, &container, &mut pod_spec);
        bytes_field(3, b"OnFailure", &mut pod_spec);
        let mut template = Vec::new();
        bytes_field(2, &pod_spec, &mut template);
        let mut job_spec = Vec::new();
        bytes_field(6, &template, &mut job_spec);
        let mut job_template = Vec::new();
        bytes_field(1, &named(b"tick"), &mut job_template);
        bytes_field(2, &job_spec, &mut job_template);
        let mut spec = Vec::new();
        bytes_field(1, b"*/5 * * * *", &mut spec);
        int_field(2, 200, &mut spec);
        bytes_field(3, b"Forbid", &mut spec);
        int_field(4, 1, &mut spec);
        bytes_field(5, &job_template, &mut spec);
        int_field(6, 7, &mut spec);
        int_field(7, 0, &mut spec);
        bytes_field(8, b"Europe/Paris", &mut spec);
        let mut cj = Vec::new();
        bytes_field(1, &named(b"tick"), &mut cj);
        bytes_field(2, &spec, &mut cj);
        bytes_field(3, b"", &mut cj);
        assert_eq!(
            decode(&envelope(b"batch/v1", b"CronJob", &cj)).unwrap(),
            json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "tick"},
                   "spec": {"schedule": "*/5 * * * *", "startingDeadlineSeconds": 200, "concurrencyPolicy": "Forbid",
                            "suspend": true, "successfulJobsHistoryLimit": 7, "failedJobsHistoryLimit": 0,
                            "timeZone": "Europe/Paris",
                            "jobTemplate": {"metadata": {"name": "tick"}, "spec": {"template": {"spec": {
                                "containers": [{"name": "tick", "image": "busybox", "command": ["date"]}],
                                "restartPolicy": "OnFailure"}}}}}})
        );
    }

    /// A PodDisruptionBudget: minAvailable a percent, maxUnavailable an int (IntOrString both
    /// ways), the selector and the eviction policy.
    #[test]
    fn a_pdb_body_decodes_with_both_kinds_of_int_or_string() {
        let int_or_string = |ty: u64, int: u64, text: &[u8]| {
            let mut v = Vec::new();
            int_field(1, ty, &mut v);
            int_field(2, int, &mut v);
            bytes_field(3, text, &mut v);
            v
        };
        let mut entry = Vec::new();
        bytes_field(1, b"app", &mut entry);
        bytes_field(2, b"web", &mut entry);
        let mut selector = Vec::new();
        bytes_field(1, &entry, &mut selector);
        let mut spec = Vec::new();
        bytes_field(1, &int_or_string(1, 0, b"50%"), &mut spec);
        bytes_field(2, &selector, &mut spec);
        bytes_field(3, &int_or_string(0, 2, b""), &mut spec);
        bytes_field(4, b"AlwaysAllow", &mut spec);
        let mut pdb = Vec::new();
        bytes_field(1, &named(b"web"), &mut pdb);
        bytes_field(2, &spec, &mut pdb);
        assert_eq!(
            decode(&envelope(b"policy/v1", b"PodDisruptionBudget", &pdb)).unwrap(),
            json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "web"},
                   "spec": {"minAvailable": "50%", "selector": {"matchLabels": {"app": "web"}}, "maxUnavailable": 2,
                            "unhealthyPodEvictionPolicy": "AlwaysAllow"}})
        );
    }

    #[test]
    fn malformed_bodies_are_errors_not_panics() {
        for body in
            [&b"k8s"[..], b"k8s\0\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", b"k8s\0\x0a\x05ab", b"k8s\0\x0f"]
        {
            assert!(decode(body).is_err(), "{body:?}");
        }
    }
}
