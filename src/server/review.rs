//! The review APIs (apiserver.md §1 lists them as create-only resources): authorization.k8s.io/v1
//! SelfSubjectAccessReview, SelfSubjectRulesReview, SubjectAccessReview and
//! LocalSubjectAccessReview (`kubectl auth can-i`, an operator checking its permissions), and
//! authentication.k8s.io/v1 SelfSubjectReview (`kubectl auth whoami`). Nothing is stored: each
//! create answers with the review and its status.
//!
//! kubesim's API server authorizes every request, as a kube-apiserver run with
//! `--authorization-mode=AlwaysAllow`; every access review is allowed, and a rules review lists
//! AlwaysAllow's two rules (every verb on every resource of every group, every verb on every
//! non-resource URL). Who asks: with a token (`serve(token=…)`) the token's user, `kubesim` in
//! `system:masters`; without one, upstream's anonymous user (`--anonymous-auth`); either may be
//! impersonated (`kubectl --as`, `--as-group`), as AlwaysAllow lets anyone impersonate.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Map, Value};

use k8s_openapi::api::authorization::v1 as authz;

use super::status::{status, Failure};
use crate::api::field::{self, FieldError, Path};

pub const AUTHORIZATION: &str = "authorization.k8s.io";
pub const AUTHENTICATION: &str = "authentication.k8s.io";
pub const VERSION: &str = "v1";

/// A review resource: what its path names and how discovery lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Review {
    SelfSubjectAccess,
    SelfSubjectRules,
    SubjectAccess,
    LocalSubjectAccess,
    SelfSubject,
}

impl Review {
    pub const ALL: [Review; 5] = [
        Review::LocalSubjectAccess,
        Review::SelfSubjectAccess,
        Review::SelfSubjectRules,
        Review::SubjectAccess,
        Review::SelfSubject,
    ];

    pub fn group(self) -> &'static str {
        match self {
            Review::SelfSubject => AUTHENTICATION,
            _ => AUTHORIZATION,
        }
    }

    pub fn kind(self) -> &'static str {
        match self {
            Review::SelfSubjectAccess => "SelfSubjectAccessReview",
            Review::SelfSubjectRules => "SelfSubjectRulesReview",
            Review::SubjectAccess => "SubjectAccessReview",
            Review::LocalSubjectAccess => "LocalSubjectAccessReview",
            Review::SelfSubject => "SelfSubjectReview",
        }
    }

    pub fn plural(self) -> &'static str {
        match self {
            Review::SelfSubjectAccess => "selfsubjectaccessreviews",
            Review::SelfSubjectRules => "selfsubjectrulesreviews",
            Review::SubjectAccess => "subjectaccessreviews",
            Review::LocalSubjectAccess => "localsubjectaccessreviews",
            Review::SelfSubject => "selfsubjectreviews",
        }
    }

    pub fn namespaced(self) -> bool {
        self == Review::LocalSubjectAccess
    }

    /// The review a path names: `/apis/{group}/v1/{plural}`, or for LocalSubjectAccessReview
    /// `/apis/authorization.k8s.io/v1/namespaces/{ns}/localsubjectaccessreviews`.
    pub fn of(group: &str, version: &str, rest: &[&str]) -> Option<(Review, Option<String>)> {
        if version != VERSION {
            return None;
        }
        let (namespace, plural) = match rest {
            [plural] => (None, *plural),
            ["namespaces", ns, plural] => (Some(ns.to_string()), *plural),
            _ => return None,
        };
        let review = Review::ALL.into_iter().find(|r| r.group() == group && r.plural() == plural)?;
        (review.namespaced() == namespace.is_some()).then_some((review, namespace))
    }

    fn api_version(self) -> String {
        format!("{}/{VERSION}", self.group())
    }
}

/// Who a request is from (upstream: user.Info, after authentication and impersonation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub uid: String,
    pub groups: Vec<String>,
}

const ANONYMOUS: &str = "system:anonymous";
const AUTHENTICATED: &str = "system:authenticated";
const UNAUTHENTICATED: &str = "system:unauthenticated";
const SERVICE_ACCOUNT_PREFIX: &str = "system:serviceaccount:";

impl User {
    /// upstream: the anonymous authenticator's user.
    pub fn anonymous() -> User {
        User { name: ANONYMOUS.into(), uid: String::new(), groups: vec![UNAUTHENTICATED.into()] }
    }

    /// The user of the server's token (upstream: a token authenticator's user, with the
    /// authenticated group added).
    pub fn token_user() -> User {
        User { name: "kubesim".into(), uid: String::new(), groups: vec!["system:masters".into(), AUTHENTICATED.into()] }
    }

    /// The user a request acts as: `Impersonate-User` (with its `Impersonate-Group`s and
    /// `Impersonate-Uid`) when sent, else `self` (groups or a uid without a user are refused
    /// before this, see [`impersonation_error`]). upstream: WithImpersonation — a service
    /// account's name brings its groups when none are given, and the authenticated (or, for
    /// the anonymous user, unauthenticated) group is added unless either was asked for.
    pub fn impersonated(self, user: Option<&str>, groups: Vec<String>, uid: Option<&str>) -> User {
        let Some(name) = user.filter(|u| !u.is_empty()) else { return self };
        let mut groups = groups;
        if groups.is_empty() {
            if let Some((namespace, _)) = name.strip_prefix(SERVICE_ACCOUNT_PREFIX).and_then(|r| r.split_once(':')) {
                groups = vec!["system:serviceaccounts".into(), format!("system:serviceaccounts:{namespace}")];
            }
        }
        let chosen = groups.iter().any(|g| g == AUTHENTICATED || g == UNAUTHENTICATED);
        if !chosen {
            groups.push(if name == ANONYMOUS { UNAUTHENTICATED } else { AUTHENTICATED }.into());
        }
        User { name: name.into(), uid: uid.unwrap_or_default().into(), groups }
    }
}

/// upstream: buildImpersonationRequests refuses groups or a uid without a user, and the filter
/// answers that with an internal error (500) whatever the request.
pub fn impersonation_error(user: Option<&str>, groups: &[String], uid: Option<&str>) -> Option<Failure> {
    let asked = !groups.is_empty() || uid.is_some_and(|u| !u.is_empty());
    (asked && user.is_none_or(str::is_empty)).then(|| {
        let mut asked: Vec<String> = groups.iter().map(|g| format!("Group={g}")).collect();
        asked.extend(uid.filter(|u| !u.is_empty()).map(|u| format!("UID={u}")));
        Failure::internal(&format!("requested [{}] without impersonating a user", asked.join(" ")))
    })
}

/// `POST` of a review: the review with its status (201), or the failure.
pub fn create(review: Review, namespace: Option<&str>, body: Value, user: &User, now: Value) -> Result<Value, Failure> {
    let mut body = match body {
        Value::Null => Map::new(),
        Value::Object(m) => m,
        _ => return Err(Failure::bad_request("the body of the request must be a JSON object")),
    };
    check_type_meta(review, &mut body)?;
    let value = Value::Object(body);
    match review {
        Review::SelfSubjectAccess => {
            let mut r: authz::SelfSubjectAccessReview = decode(review, value)?;
            let spec = &mut r.spec;
            tidy(&mut spec.resource_attributes, &mut spec.non_resource_attributes);
            let path = Path::root("spec");
            let mut errors = attributes(&path, &spec.resource_attributes, &spec.non_resource_attributes);
            errors.extend(empty_metadata(&r.metadata, false));
            invalid(review, errors)?;
            r.status = Some(allowed());
            encode(review, &r)
        }
        Review::SubjectAccess | Review::LocalSubjectAccess => {
            let local = review == Review::LocalSubjectAccess;
            let mut r: authz::SubjectAccessReview = decode(review, value)?;
            let spec = &mut r.spec;
            tidy(&mut spec.resource_attributes, &mut spec.non_resource_attributes);
            for s in [&mut spec.user, &mut spec.uid] {
                if s.as_deref() == Some("") {
                    *s = None;
                }
            }
            let path = Path::root("spec");
            let mut errors = attributes(&path, &spec.resource_attributes, &spec.non_resource_attributes);
            // upstream: ValidateSubjectAccessReviewSpec.
            if spec.user.as_deref().unwrap_or("").is_empty() && spec.groups.as_ref().is_none_or(Vec::is_empty) {
                let user = spec.user.clone().unwrap_or_default();
                errors.push(FieldError::invalid(
                    path.child("user"),
                    user,
                    "at least one of user or group must be specified",
                ));
            }
            errors.extend(empty_metadata(&r.metadata, local));
            if local {
                // upstream: ValidateLocalSubjectAccessReview.
                let meta_ns = r.metadata.namespace.clone().unwrap_or_default();
                if let Some(attrs) = &spec.resource_attributes {
                    let ns = attrs.namespace.clone().unwrap_or_default();
                    if ns != meta_ns {
                        errors.push(FieldError::invalid(
                            Path::root("spec.resourceAttributes.namespace"),
                            ns,
                            "must match metadata.namespace",
                        ));
                    }
                }
                if let Some(n) = &spec.non_resource_attributes {
                    errors.push(FieldError::invalid(
                        Path::root("spec.nonResourceAttributes"),
                        go_struct(n.path.as_deref(), n.verb.as_deref()),
                        "disallowed on this kind of request",
                    ));
                }
            }
            invalid(review, errors)?;
            if local {
                // upstream: the LocalSubjectAccessReview REST's checks against the path.
                let path_ns = namespace.unwrap_or("");
                if path_ns.is_empty() {
                    return Err(Failure::bad_request(format!("namespace is required on this type: {path_ns}")));
                }
                if r.metadata.namespace.as_deref().unwrap_or("") != path_ns {
                    return Err(Failure::bad_request(format!(
                        "spec.resourceAttributes.namespace must match namespace: {path_ns}"
                    )));
                }
            }
            r.status = Some(allowed());
            encode(review, &r)
        }
        Review::SelfSubjectRules => {
            let mut r: authz::SelfSubjectRulesReview = decode(review, value)?;
            let ns = r.spec.namespace.clone().unwrap_or_default();
            if ns.is_empty() {
                return Err(Failure::bad_request("no namespace on request"));
            }
            // upstream: the AlwaysAllow authorizer's RulesFor.
            let all = || Some(vec!["*".to_string()]);
            r.status = Some(authz::SubjectRulesReviewStatus {
                resource_rules: vec![authz::ResourceRule {
                    verbs: vec!["*".into()],
                    api_groups: all(),
                    resources: all(),
                    resource_names: None,
                }],
                non_resource_rules: vec![authz::NonResourceRule { verbs: vec!["*".into()], non_resource_urls: all() }],
                incomplete: false,
                evaluation_error: None,
            });
            // upstream: the answer is a new review holding only the status.
            r.metadata = Default::default();
            let mut out = encode(review, &r)?;
            if let Some(m) = out.as_object_mut() {
                m.insert("spec".into(), json!({}));
            }
            Ok(out)
        }
        Review::SelfSubject => {
            // upstream: the review's own fields are not read; the answer is made anew.
            let _: k8s_openapi::api::authentication::v1::SelfSubjectReview = decode(review, value)?;
            let mut info = Map::new();
            info.insert("username".into(), json!(user.name));
            if !user.uid.is_empty() {
                info.insert("uid".into(), json!(user.uid));
            }
            if !user.groups.is_empty() {
                info.insert("groups".into(), json!(user.groups));
            }
            Ok(json!({"kind": review.kind(), "apiVersion": review.api_version(),
                      "metadata": {"creationTimestamp": now}, "status": {"userInfo": info}}))
        }
    }
}

/// upstream: a body of another group version or kind is refused before decoding.
fn check_type_meta(review: Review, body: &mut Map<String, Value>) -> Result<(), Failure> {
    let api_version = review.api_version();
    match body.remove("apiVersion") {
        None | Some(Value::Null) => {}
        Some(Value::String(v)) if v.is_empty() || v == api_version => {}
        Some(v) => {
            let v = v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
            return Err(Failure::bad_request(format!(
                "the API version in the data ({v}) does not match the expected API version ({api_version})"
            )));
        }
    }
    match body.remove("kind") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(k)) if k.is_empty() || k == review.kind() => Ok(()),
        Some(k) => {
            let k = k.as_str().map(str::to_string).unwrap_or_else(|| k.to_string());
            Err(Failure::bad_request(format!(
                "the kind in the data ({k}) does not match the expected kind ({})",
                review.kind()
            )))
        }
    }
}

fn decode<T: DeserializeOwned>(review: Review, value: Value) -> Result<T, Failure> {
    serde_json::from_value(value).map_err(|e| {
        let kind = review.kind();
        Failure::bad_request(format!("{kind} in version \"{VERSION}\" cannot be handled as a {kind}: {e}"))
    })
}

fn encode<T: Serialize>(review: Review, r: &T) -> Result<Value, Failure> {
    let mut v = serde_json::to_value(r).map_err(|e| Failure::internal(&e.to_string()))?;
    if let Some(m) = v.as_object_mut() {
        m.insert("apiVersion".into(), json!(review.api_version()));
        m.insert("kind".into(), json!(review.kind()));
        // upstream: the review's metadata as Go writes an empty ObjectMeta.
        if let Some(Value::Object(meta)) = m.get_mut("metadata") {
            meta.entry("creationTimestamp").or_insert(Value::Null);
        }
    }
    Ok(v)
}

/// What the AlwaysAllow authorizer decides.
fn allowed() -> authz::SubjectAccessReviewStatus {
    authz::SubjectAccessReviewStatus { allowed: true, denied: None, evaluation_error: None, reason: None }
}

/// Empty strings dropped, as Go writes the attributes' `omitempty` strings.
fn tidy(resource: &mut Option<authz::ResourceAttributes>, non_resource: &mut Option<authz::NonResourceAttributes>) {
    let drop_empty = |s: &mut Option<String>| {
        if s.as_deref() == Some("") {
            *s = None;
        }
    };
    if let Some(a) = resource {
        for s in [
            &mut a.namespace,
            &mut a.verb,
            &mut a.group,
            &mut a.version,
            &mut a.resource,
            &mut a.subresource,
            &mut a.name,
        ] {
            drop_empty(s);
        }
    }
    if let Some(n) = non_resource {
        drop_empty(&mut n.path);
        drop_empty(&mut n.verb);
    }
}

/// upstream: ValidateSelfSubjectAccessReviewSpec's (and ValidateSubjectAccessReviewSpec's)
/// rule that exactly one kind of attributes is given. (The value shown is Go's: a nil pointer
/// prints as "null", a struct of the internal type as JSON with its Go field names.)
fn attributes(
    spec: &Path,
    resource: &Option<authz::ResourceAttributes>,
    non_resource: &Option<authz::NonResourceAttributes>,
) -> Vec<FieldError> {
    match (resource, non_resource) {
        (Some(_), Some(n)) => vec![FieldError::invalid(
            spec.child("nonResourceAttributes"),
            go_struct(n.path.as_deref(), n.verb.as_deref()),
            "cannot be specified in combination with resourceAttributes",
        )],
        (None, None) => vec![FieldError::invalid(
            spec.child("resourceAttributes"),
            "null",
            "exactly one of nonResourceAttributes or resourceAttributes must be specified",
        )],
        _ => Vec::new(),
    }
}

fn go_struct(path: Option<&str>, verb: Option<&str>) -> field::Value {
    field::Value::Raw(json!({"Path": path.unwrap_or(""), "Verb": verb.unwrap_or("")}).to_string())
}

/// upstream: a review's metadata must be empty (but for managedFields, and a local review's
/// namespace).
fn empty_metadata(
    meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    local: bool,
) -> Option<FieldError> {
    let mut rest = meta.clone();
    rest.managed_fields = None;
    // (A protobuf body carries Go's empty strings.)
    for s in [&mut rest.name, &mut rest.generate_name, &mut rest.namespace] {
        if s.as_deref() == Some("") {
            *s = None;
        }
    }
    if local {
        rest.namespace = None;
    }
    if rest == Default::default() {
        return None;
    }
    let shown = field::Value::Raw(serde_json::to_string(meta).unwrap_or_default());
    let detail = if local { "must be empty except for namespace" } else { "must be empty" };
    Some(FieldError::invalid(Path::root("metadata"), shown, detail))
}

/// upstream: apierrors.NewInvalid — a 422 naming the group-qualified kind and an empty name.
fn invalid(review: Review, errors: Vec<FieldError>) -> Result<(), Failure> {
    if errors.is_empty() {
        return Ok(());
    }
    let qualified = format!("{}.{}", review.kind(), review.group());
    let causes: Vec<Value> = errors
        .iter()
        .map(|e| json!({"reason": "FieldValueInvalid", "message": e.error_body(), "field": e.field()}))
        .collect();
    let details = json!({"group": review.group(), "kind": review.kind(), "causes": causes});
    let message = format!("{qualified} \"\" is invalid: {}", field::aggregate(&errors));
    Err(Failure { code: 422, body: status(422, "Invalid", &message, Some(details)) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anon() -> User {
        User::anonymous()
    }

    fn ssar(spec: Value) -> Result<Value, Failure> {
        create(Review::SelfSubjectAccess, None, json!({"spec": spec}), &anon(), Value::Null)
    }

    #[test]
    fn paths_name_reviews_in_their_groups_and_scopes() {
        fn rest<'a>(r: &[&'a str]) -> Vec<&'a str> {
            r.to_vec()
        }
        assert_eq!(
            Review::of(AUTHORIZATION, "v1", &rest(&["selfsubjectaccessreviews"])),
            Some((Review::SelfSubjectAccess, None))
        );
        assert_eq!(
            Review::of(AUTHORIZATION, "v1", &rest(&["namespaces", "ns1", "localsubjectaccessreviews"])),
            Some((Review::LocalSubjectAccess, Some("ns1".into())))
        );
        // Wrong scope, group or version: not a review.
        assert_eq!(Review::of(AUTHORIZATION, "v1", &rest(&["localsubjectaccessreviews"])), None);
        assert_eq!(Review::of(AUTHORIZATION, "v1", &rest(&["namespaces", "a", "selfsubjectaccessreviews"])), None);
        assert_eq!(Review::of(AUTHENTICATION, "v1", &rest(&["selfsubjectaccessreviews"])), None);
        assert_eq!(Review::of(AUTHORIZATION, "v1beta1", &rest(&["selfsubjectaccessreviews"])), None);
        assert_eq!(Review::of(AUTHENTICATION, "v1", &rest(&["selfsubjectreviews"])), Some((Review::SelfSubject, None)));
    }

    #[test]
    fn an_access_review_is_allowed_and_echoes_its_spec() {
        let out = ssar(
            json!({"resourceAttributes": {"verb": "create", "resource": "pods", "namespace": "default", "group": ""}}),
        )
        .unwrap();
        assert_eq!(out["status"], json!({"allowed": true}));
        assert_eq!(
            out["spec"],
            json!({"resourceAttributes": {"verb": "create", "resource": "pods", "namespace": "default"}})
        );
        assert_eq!(out["kind"], "SelfSubjectAccessReview");
        assert_eq!(out["apiVersion"], "authorization.k8s.io/v1");
        let out = ssar(json!({"nonResourceAttributes": {"path": "/healthz", "verb": "get"}})).unwrap();
        assert_eq!(out["status"]["allowed"], true);
    }

    #[test]
    fn access_reviews_are_validated_as_upstream() {
        // (spec, 422 message)
        let cases = [
            (
                json!({}),
                "SelfSubjectAccessReview.authorization.k8s.io \"\" is invalid: spec.resourceAttributes: Invalid value: \"null\": exactly one of nonResourceAttributes or resourceAttributes must be specified",
            ),
            (
                json!({"resourceAttributes": {"verb": "get"}, "nonResourceAttributes": {"path": "/x", "verb": "get"}}),
                "SelfSubjectAccessReview.authorization.k8s.io \"\" is invalid: spec.nonResourceAttributes: Invalid value: {\"Path\":\"/x\",\"Verb\":\"get\"}: cannot be specified in combination with resourceAttributes",
            ),
        ];
        for (spec, message) in cases {
            let f = ssar(spec.clone()).unwrap_err();
            assert_eq!(f.code, 422, "{spec}");
            assert_eq!(f.body["message"], message, "{spec}");
            assert_eq!(f.body["details"]["kind"], "SelfSubjectAccessReview");
        }
        let named = json!({"metadata": {"name": "x"}, "spec": {"resourceAttributes": {"verb": "get"}}});
        let f = create(Review::SelfSubjectAccess, None, named, &anon(), Value::Null).unwrap_err();
        assert_eq!(f.code, 422);
        assert!(f.body["message"].as_str().unwrap().contains("metadata: Invalid value: "), "{}", f.body);
        assert!(f.body["message"].as_str().unwrap().ends_with(": must be empty"), "{}", f.body);
        let sar = json!({"spec": {"resourceAttributes": {"verb": "get"}}});
        let f = create(Review::SubjectAccess, None, sar, &anon(), Value::Null).unwrap_err();
        assert_eq!(
            f.body["message"],
            "SubjectAccessReview.authorization.k8s.io \"\" is invalid: spec.user: Invalid value: \"\": at least one of user or group must be specified"
        );
        let wrong_kind = json!({"kind": "Pod", "spec": {"resourceAttributes": {}}});
        let f = create(Review::SelfSubjectAccess, None, wrong_kind, &anon(), Value::Null).unwrap_err();
        assert_eq!(
            (f.code, f.body["message"].as_str().unwrap()),
            (400, "the kind in the data (Pod) does not match the expected kind (SelfSubjectAccessReview)")
        );
        let bad_type = json!({"spec": {"resourceAttributes": {"verb": 3}}});
        assert_eq!(create(Review::SelfSubjectAccess, None, bad_type, &anon(), Value::Null).unwrap_err().code, 400);
    }

    #[test]
    fn a_local_review_must_name_the_namespace_of_its_path() {
        let body = |ns: &str, attr_ns: &str| json!({"metadata": {"namespace": ns}, "spec": {"user": "u", "resourceAttributes": {"namespace": attr_ns, "verb": "get"}}});
        let r = |b: Value, path_ns: &str| create(Review::LocalSubjectAccess, Some(path_ns), b, &anon(), Value::Null);
        assert_eq!(r(body("a", "a"), "a").unwrap()["status"]["allowed"], true);
        let f = r(body("a", "b"), "a").unwrap_err();
        assert_eq!(
            f.body["message"],
            "LocalSubjectAccessReview.authorization.k8s.io \"\" is invalid: spec.resourceAttributes.namespace: Invalid value: \"b\": must match metadata.namespace"
        );
        let f = r(body("a", "a"), "b").unwrap_err();
        assert_eq!(
            (f.code, f.body["message"].as_str().unwrap()),
            (400, "spec.resourceAttributes.namespace must match namespace: b")
        );
    }

    #[test]
    fn a_rules_review_lists_always_allows_rules() {
        let out =
            create(Review::SelfSubjectRules, None, json!({"spec": {"namespace": "default"}}), &anon(), Value::Null)
                .unwrap();
        assert_eq!(
            out["status"],
            json!({"resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
                   "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}], "incomplete": false})
        );
        let f = create(Review::SelfSubjectRules, None, json!({"spec": {}}), &anon(), Value::Null).unwrap_err();
        assert_eq!((f.code, f.body["message"].as_str().unwrap()), (400, "no namespace on request"));
    }

    #[test]
    fn whoami_names_the_user_after_impersonation() {
        let now = json!("2026-01-01T00:00:00Z");
        let me = |u: &User| {
            create(Review::SelfSubject, None, json!({}), u, now.clone()).unwrap()["status"]["userInfo"].clone()
        };
        assert_eq!(me(&anon()), json!({"username": "system:anonymous", "groups": ["system:unauthenticated"]}));
        assert_eq!(
            me(&User::token_user()),
            json!({"username": "kubesim", "groups": ["system:masters", "system:authenticated"]})
        );
        // (impersonated user, groups, uid; the user info upstream's filter makes)
        let cases = [
            (Some("jane"), vec![], None, json!({"username": "jane", "groups": ["system:authenticated"]})),
            (
                Some("jane"),
                vec!["dev".to_string()],
                Some("7"),
                json!({"username": "jane", "uid": "7", "groups": ["dev", "system:authenticated"]}),
            ),
            (
                Some("jane"),
                vec!["system:unauthenticated".to_string()],
                None,
                json!({"username": "jane", "groups": ["system:unauthenticated"]}),
            ),
            (
                Some("system:serviceaccount:ns1:bot"),
                vec![],
                None,
                json!({"username": "system:serviceaccount:ns1:bot",
                       "groups": ["system:serviceaccounts", "system:serviceaccounts:ns1", "system:authenticated"]}),
            ),
            (
                Some("system:anonymous"),
                vec![],
                None,
                json!({"username": "system:anonymous", "groups": ["system:unauthenticated"]}),
            ),
            (None, vec![], None, json!({"username": "kubesim", "groups": ["system:masters", "system:authenticated"]})),
        ];
        for (user, groups, uid, want) in cases {
            let u = User::token_user().impersonated(user, groups, uid);
            assert_eq!(me(&u), want, "{user:?}");
        }
        let out = create(Review::SelfSubject, None, json!({}), &anon(), now.clone()).unwrap();
        assert_eq!(out["metadata"], json!({"creationTimestamp": "2026-01-01T00:00:00Z"}));
    }
}
