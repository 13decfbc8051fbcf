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
use k8s_openapi::api::authentication::v1 as authn;
use serde_json::{json, Value};

use super::rest::{core, Answer};
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
        Value::Null => serde_json::Map::new(),
        Value::Object(m) => m,
        _ => return Err(Failure::bad_request("the body of the request must be a JSON object")),
    };
    for (field, want) in [("apiVersion", "authentication.k8s.io/v1"), ("kind", "TokenRequest")] {
        match body.remove(field) {
            None | Some(Value::Null) => {}
            Some(Value::String(v)) if v.is_empty() || v == want => {}
            Some(v) => {
                let noun = if field == "kind" { "kind" } else { "API version" };
                let v = v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
                return Err(Failure::bad_request(format!(
                    "the {noun} in the data ({v}) does not match the expected {noun} ({want})"
                )));
            }
        }
    }
    body.entry("spec").or_insert_with(|| json!({}));
    let mut req: authn::TokenRequest = serde_json::from_value(Value::Object(body)).map_err(|e| {
        Failure::bad_request(format!("TokenRequest in version \"v1\" cannot be handled as a TokenRequest: {e}"))
    })?;
    // (A protobuf body carries Go's empty strings.)
    for s in [&mut req.metadata.name, &mut req.metadata.namespace, &mut req.metadata.generate_name] {
        if s.as_deref() == Some("") {
            *s = None;
        }
    }
    let expiration = *req.spec.expiration_seconds.get_or_insert(DEFAULT_EXPIRATION);
    // upstream: ValidateTokenRequest.
    let too = if expiration < MIN_EXPIRATION {
        Some("may not specify a duration less than 10 minutes")
    } else if expiration > MAX_EXPIRATION {
        Some("may not specify a duration larger than 2^32 seconds")
    } else {
        None
    };
    if let Some(detail) = too {
        let message = format!(
            "TokenRequest.authentication.k8s.io \"{name}\" is invalid: spec.expirationSeconds: Invalid value: {expiration}: {detail}"
        );
        let cause = json!({"reason": "FieldValueInvalid", "field": "spec.expirationSeconds",
                           "message": format!("Invalid value: {expiration}: {detail}")});
        let details =
            json!({"name": name, "group": "authentication.k8s.io", "kind": "TokenRequest", "causes": [cause]});
        return Err(Failure::with_details(422, "Invalid", message, details));
    }
    if req.spec.audiences.is_empty() {
        req.spec.audiences = vec![ISSUER.to_string()];
    }
    let bound = bound_object(c, namespace, req.spec.bound_object_ref.as_ref())?;
    let now = c.now();
    let (iat, exp) = (now.div_euclid(1000), now.div_euclid(1000) + expiration);
    let account_uid = account.meta.uid.to_string();
    let mut claims_k8s = json!({"namespace": namespace, "serviceaccount": {"name": name, "uid": account_uid}});
    if let Some((kind, bound_name, uid)) = &bound {
        claims_k8s[kind.to_ascii_lowercase()] = json!({"name": bound_name, "uid": uid});
    }
    // A uuid drawn from what the token says (the same request at the same instant, the same
    // token: nothing is random across runs).
    let (iat_bytes, expiration_bytes) = (iat.to_le_bytes(), expiration.to_le_bytes());
    let audiences = req.spec.audiences.join(",");
    let parts: [&[u8]; 4] = [account_uid.as_bytes(), &iat_bytes, &expiration_bytes, audiences.as_bytes()];
    let seed = c.store().seed();
    let jti = uuid::Builder::from_random_bytes(
        [stable_hash(seed, &parts).to_le_bytes(), stable_hash(!seed, &parts).to_le_bytes()]
            .concat()
            .try_into()
            .unwrap_or([0; 16]),
    )
    .into_uuid();
    // upstream: the private claims of serviceaccount.Claims.
    let payload = json!({
        "aud": req.spec.audiences, "exp": exp, "iat": iat, "iss": ISSUER, "jti": jti.to_string(),
        "kubernetes.io": claims_k8s, "nbf": iat,
        "sub": format!("system:serviceaccount:{namespace}:{name}"),
    });
    let header = json!({"alg": "none", "typ": "JWT"});
    let token =
        format!("{}.{}.", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(payload.to_string()));
    req.status = Some(authn::TokenRequestStatus { token, expiration_timestamp: to_time(exp * 1000) });
    let mut out = serde_json::to_value(&req).map_err(|e| Failure::internal(&e.to_string()))?;
    out["apiVersion"] = json!("authentication.k8s.io/v1");
    out["kind"] = json!("TokenRequest");
    out["metadata"]["creationTimestamp"] = Value::Null;
    // (Go omits the unset pointers of the spec.)
    if let Some(spec) = out.get_mut("spec").and_then(Value::as_object_mut) {
        spec.retain(|_, v| !v.is_null());
    }
    Ok((201, out))
}

/// upstream: TokenREST's bound object — a Pod, Secret or Node that exists (with the uid given,
/// if one is): `(kind, name, uid)`.
fn bound_object(
    c: &Cluster,
    namespace: &str,
    r: Option<&authn::BoundObjectReference>,
) -> Result<Option<(String, String, String)>, Failure> {
    let Some(r) = r else { return Ok(None) };
    let (api_version, kind_name) = (r.api_version.as_deref().unwrap_or(""), r.kind.as_deref().unwrap_or(""));
    let kind = match (api_version, kind_name) {
        ("v1", "Pod") => Kind::Pod,
        ("v1", "Secret") => Kind::Secret,
        ("v1", "Node") => Kind::Node,
        _ => {
            let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
            let version = api_version.rsplit_once('/').map_or(api_version, |(_, v)| v);
            return Err(Failure::bad_request(format!(
                "cannot bind token to object of type {group}/{version}, Kind={kind_name}"
            )));
        }
    };
    let name = r.name.as_deref().unwrap_or("");
    let ns = if kind.namespaced() { namespace } else { "" };
    let o = c.get(kind, ns, name).map_err(core)?;
    let uid = o.meta.uid.to_string();
    if r.uid.as_deref().is_some_and(|want| !want.is_empty() && want != uid) {
        let want = r.uid.as_deref().unwrap_or("");
        return Err(Failure::new(
            409,
            "Conflict",
            format!(
                "the UID in the bound object reference ({want}) does not match the UID in record. The object might have been deleted and then recreated"
            ),
        ));
    }
    Ok(Some((kind_name.to_string(), name.to_string(), uid)))
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
            (json!({"expirationSeconds": 599}), 422, "TokenRequest.authentication.k8s.io \"default\" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes"),
            (json!({"expirationSeconds": 4294967297_i64}), 422, "TokenRequest.authentication.k8s.io \"default\" is invalid: spec.expirationSeconds: Invalid value: 4294967297: may not specify a duration larger than 2^32 seconds"),
            (json!({"boundObjectRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "x"}}), 400, "cannot bind token to object of type apps/v1, Kind=Deployment"),
            (json!({"boundObjectRef": {"apiVersion": "v1", "kind": "Pod", "name": "nope"}}), 404, "pods \"nope\" not found"),
        ];
        for (spec, code, message) in cases {
            let f = create(&c, "default", "default", body(spec.clone())).unwrap_err();
            assert_eq!((f.code, f.body["message"].as_str().unwrap()), (code, message), "{spec}");
        }
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
