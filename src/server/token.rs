//! `POST …/serviceaccounts/{name}/token` (authentication.k8s.io/v1 TokenRequest: `kubectl create
//! token`): a token for the service account, as upstream's TokenREST issues it — its claims
//! (audiences, expiry, issuer, the account and any object it is bound to), valid for
//! `expirationSeconds` (default 3600, at least 600) from now in virtual time. Nothing is stored.
//!
//! The token is a JWT whose header says `"alg": "none"`: kubesim holds no signing key and
//! checks no tokens (its server takes only its own `--token`), so the token is for what reads
//! its claims, not for authenticating.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Map, Value};

use super::rest::{core, Answer};
use super::review::{check_type_meta_of, Decoder};
use super::status::Failure;
use crate::api::meta::to_time;
use crate::api::Kind;
use crate::cluster::Cluster;
use crate::sim::rng::stable_hash;

/// upstream: kubeadm's (and kind's) `--service-account-issuer`, which is also the API server's
/// audience when a request names none.
pub const ISSUER: &str = "https://kubernetes.default.svc.cluster.local";
/// upstream: SetDefaults_TokenRequestSpec.
const DEFAULT_EXPIRATION: i64 = 3600;
/// upstream: ValidateTokenRequest's bounds.
const MIN_EXPIRATION: i64 = 10 * 60;
const MAX_EXPIRATION: i64 = 1 << 32;

pub fn create(c: &Cluster, namespace: &str, name: &str, body: Value) -> Answer {
    let account = c.get(Kind::ServiceAccount, namespace, name).map_err(core)?;
    let mut body = match body {
        Value::Null => Map::new(),
        Value::Object(m) => m,
        _ => return Err(Failure::bad_request("the body of the request must be a JSON object")),
    };
    check_type_meta_of("TokenRequest", "authentication.k8s.io/v1", &mut body)?;
    let d = Decoder("TokenRequest");
    let spec = d.object(body.get("spec"), "spec")?.cloned().unwrap_or_default();
    let mut audiences = d.strings(spec.get("audiences"), "spec.audiences")?;
    let expiration = d.int(spec.get("expirationSeconds"), "spec.expirationSeconds")?.unwrap_or(DEFAULT_EXPIRATION);
    let bound_ref =
        d.strings_struct(spec.get("boundObjectRef"), "spec.boundObjectRef", &["kind", "apiVersion", "name", "uid"])?;
    // upstream: ValidateTokenRequest.
    let too = if expiration < MIN_EXPIRATION {
        Some("may not specify a duration less than 10 minutes")
    } else if expiration > MAX_EXPIRATION {
        Some("may not specify a duration larger than 2^32 seconds")
    } else {
        None
    };
    if let Some(detail) = too {
        return Err(invalid("spec.expirationSeconds", &expiration.to_string(), detail));
    }
    // upstream: TokenREST — the request names this account (or none).
    let meta = d.object(body.get("metadata"), "metadata")?.cloned().unwrap_or_default();
    for (field, want, detail) in [
        ("name", name, "must match the service account name if specified"),
        ("namespace", namespace, "must match the service account namespace if specified"),
    ] {
        let given = d.string(meta.get(field), &format!("metadata.{field}"))?;
        if !given.is_empty() && given != want {
            return Err(invalid(&format!("metadata.{field}"), &format!("{given:?}"), detail));
        }
    }
    if audiences.is_empty() {
        audiences = vec![ISSUER.to_string()];
    }
    let bound = bound_object(c, namespace, name, bound_ref.as_ref())?;
    let now = c.now();
    let (iat, exp) = (now.div_euclid(1000), now.div_euclid(1000) + expiration);
    let account_uid = account.meta.uid.to_string();
    let mut claims_k8s = json!({"namespace": namespace, "serviceaccount": {"name": name, "uid": account_uid}});
    if let Some(b) = &bound {
        claims_k8s[b.kind.to_ascii_lowercase()] = json!({"name": b.name, "uid": b.uid});
        // upstream (ServiceAccountTokenPodNodeInfo, on in 1.32): a pod's token names its node.
        if let Some((node, uid)) = &b.node {
            claims_k8s["node"] = json!({"name": node, "uid": uid});
        }
    }
    // A uuid drawn from what the token says (the same request at the same instant, the same
    // token: nothing is random across runs).
    let (iat_bytes, expiration_bytes) = (iat.to_le_bytes(), expiration.to_le_bytes());
    let joined = audiences.join(",");
    let parts: [&[u8]; 4] = [account_uid.as_bytes(), &iat_bytes, &expiration_bytes, joined.as_bytes()];
    let seed = c.store().seed();
    let mut random = [0u8; 16];
    random[..8].copy_from_slice(&stable_hash(seed, &parts).to_le_bytes());
    random[8..].copy_from_slice(&stable_hash(!seed, &parts).to_le_bytes());
    let jti = uuid::Builder::from_random_bytes(random).into_uuid();
    // upstream: the private claims of serviceaccount.Claims.
    let payload = json!({
        "aud": audiences, "exp": exp, "iat": iat, "iss": ISSUER, "jti": jti.to_string(),
        "kubernetes.io": claims_k8s, "nbf": iat,
        "sub": format!("system:serviceaccount:{namespace}:{name}"),
    });
    let header = json!({"alg": "none", "typ": "JWT"});
    let token =
        format!("{}.{}.", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(payload.to_string()));
    // upstream: the request, defaulted (the account's name and namespace), with its status.
    let metadata = json!({"name": name, "namespace": namespace, "creationTimestamp": null});
    let mut spec_out = json!({"audiences": audiences, "expirationSeconds": expiration});
    if let Some(r) = bound_ref {
        spec_out["boundObjectRef"] = Value::Object(r);
    }
    let expires = serde_json::to_value(to_time(exp * 1000)).unwrap_or(Value::Null);
    Ok((
        201,
        json!({"kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1", "metadata": metadata,
               "spec": spec_out, "status": {"token": token, "expirationTimestamp": expires}}),
    ))
}

/// upstream: apierrors.NewInvalid(TokenRequest, "", …) with one field error.
fn invalid(field: &str, value: &str, detail: &str) -> Failure {
    let message =
        format!("TokenRequest.authentication.k8s.io \"\" is invalid: {field}: Invalid value: {value}: {detail}");
    let cause =
        json!({"reason": "FieldValueInvalid", "field": field, "message": format!("Invalid value: {value}: {detail}")});
    let details = json!({"name": "", "group": "authentication.k8s.io", "kind": "TokenRequest", "causes": [cause]});
    Failure::with_details(422, "Invalid", message, details)
}

/// The object a token is bound to, and for a pod its node.
struct Bound {
    kind: String,
    name: String,
    uid: String,
    node: Option<(String, String)>,
}

/// upstream: TokenREST's bound object — a Pod (running as this account), Secret or Node of the
/// core group that exists, with the uid given if one is.
fn bound_object(
    c: &Cluster,
    namespace: &str,
    account: &str,
    r: Option<&Map<String, Value>>,
) -> Result<Option<Bound>, Failure> {
    let Some(r) = r else { return Ok(None) };
    let get = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("");
    let (api_version, kind_name) = (get("apiVersion"), get("kind"));
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    let kind = match (group, kind_name) {
        ("", "Pod") => Kind::Pod,
        ("", "Secret") => Kind::Secret,
        ("", "Node") => Kind::Node,
        _ => {
            let version = api_version.rsplit_once('/').map_or(api_version, |(_, v)| v);
            return Err(Failure::bad_request(format!(
                "cannot bind token to object of type {group}/{version}, Kind={kind_name}"
            )));
        }
    };
    let name = get("name");
    let ns = if kind.namespaced() { namespace } else { "" };
    let o = c.get(kind, ns, name).map_err(core)?;
    let uid = o.meta.uid.to_string();
    let want = get("uid");
    if !want.is_empty() && want != uid {
        return Err(Failure::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {kind_name} {name:?}: the UID in the bound object reference ({want}) does not match the UID in record. The object might have been deleted and then recreated"
            ),
        ));
    }
    let mut node = None;
    if let crate::api::Body::Pod { spec, status } = &o.body {
        if spec.service_account_name.as_deref().unwrap_or("default") != account {
            return Err(Failure::bad_request(format!(
                "cannot bind token for serviceaccount {account:?} to pod running with different serviceaccount name."
            )));
        }
        let node_name = spec.node_name.as_deref().or(status.node_name.as_deref());
        let found = node_name.and_then(|n| c.get(Kind::Node, "", n).ok());
        node = found.map(|n| (n.meta.name.to_string(), n.meta.uid.to_string()));
    }
    Ok(Some(Bound { kind: kind_name.to_string(), name: name.to_string(), uid, node }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(token: &str) -> Value {
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3, "{token}");
        assert_eq!(parts[2], "", "unsigned");
        let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header, json!({"alg": "none", "typ": "JWT"}));
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap()
    }

    fn cluster() -> Cluster {
        let mut c = Cluster::new(crate::cluster::ClusterOptions { seed: 3, ..Default::default() }).unwrap();
        c.advance(90_000).unwrap();
        c
    }

    #[test]
    fn a_token_carries_upstreams_claims_for_the_account() {
        let c = cluster();
        let (code, out) = create(&c, "default", "default", Value::Null).unwrap();
        assert_eq!(code, 201);
        assert_eq!(out["spec"], json!({"audiences": [ISSUER], "expirationSeconds": 3600}));
        let now = c.now() / 1000;
        let cl = claims(out["status"]["token"].as_str().unwrap());
        let uid = c.get(Kind::ServiceAccount, "default", "default").unwrap().meta.uid.to_string();
        assert_eq!(cl["sub"], "system:serviceaccount:default:default");
        assert_eq!(
            cl["kubernetes.io"],
            json!({"namespace": "default", "serviceaccount": {"name": "default", "uid": uid}})
        );
        assert_eq!(
            (cl["iat"].as_i64(), cl["exp"].as_i64(), cl["nbf"].as_i64()),
            (Some(now), Some(now + 3600), Some(now))
        );
        assert_eq!(out["status"]["expirationTimestamp"], json!(to_time((now + 3600) * 1000)));
        // The same request at the same instant: the same token.
        assert_eq!(create(&c, "default", "default", Value::Null).unwrap().1, out);
    }

    #[test]
    fn requests_are_checked_as_upstream() {
        let c = cluster();
        let body =
            |spec: Value| json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec});
        // (spec, status code, message)
        let cases = [
            (json!({"expirationSeconds": 599}), 422, "TokenRequest.authentication.k8s.io \"\" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes"),
            (json!({"expirationSeconds": 4294967297_i64}), 422, "TokenRequest.authentication.k8s.io \"\" is invalid: spec.expirationSeconds: Invalid value: 4294967297: may not specify a duration larger than 2^32 seconds"),
            (json!({"boundObjectRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "x"}}), 400, "cannot bind token to object of type apps/v1, Kind=Deployment"),
            (json!({"boundObjectRef": {"apiVersion": "v1", "kind": "Pod", "name": "nope"}}), 404, "pods \"nope\" not found"),
            (json!({"boundObjectRef": {"kind": "Secret", "name": "nope"}}), 404, "secrets \"nope\" not found"),
            (json!({"expirationSeconds": "1h"}), 400, "TokenRequest in version \"v1\" cannot be handled as a TokenRequest: json: cannot unmarshal string into Go struct field TokenRequestSpec.spec.expirationSeconds of type int64"),
        ];
        for (spec, code, message) in cases {
            let f = create(&c, "default", "default", body(spec.clone())).unwrap_err();
            assert_eq!((f.code, f.body["message"].as_str().unwrap()), (code, message), "{spec}");
        }
        let other = json!({"metadata": {"name": "other"}});
        let f = create(&c, "default", "default", other).unwrap_err();
        assert_eq!(
            f.body["message"],
            "TokenRequest.authentication.k8s.io \"\" is invalid: metadata.name: Invalid value: \"other\": must match the service account name if specified"
        );
        let f = create(&c, "default", "robot", Value::Null).unwrap_err();
        assert_eq!((f.code, f.body["message"].as_str().unwrap()), (404, "serviceaccounts \"robot\" not found"));
        let node = c.get(Kind::Node, "", "node-1").unwrap().meta.uid.to_string();
        let bound = body(json!({"audiences": ["vault"], "expirationSeconds": 600,
                                "boundObjectRef": {"apiVersion": "v1", "kind": "Node", "name": "node-1", "uid": node}}));
        let (_, out) = create(&c, "default", "default", bound).unwrap();
        let cl = claims(out["status"]["token"].as_str().unwrap());
        assert_eq!(
            (cl["aud"].clone(), cl["kubernetes.io"]["node"].clone()),
            (json!(["vault"]), json!({"name": "node-1", "uid": node}))
        );
    }
}
