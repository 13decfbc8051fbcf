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

use serde_json::{json, Map, Value};

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
            // upstream: serviceaccount.SplitUsername — exactly a namespace and a name.
            let account = name.strip_prefix(SERVICE_ACCOUNT_PREFIX).and_then(|r| r.split_once(':'));
            if let Some((namespace, _)) = account.filter(|(ns, n)| !ns.is_empty() && !n.is_empty() && !n.contains(':'))
            {
                groups = vec!["system:serviceaccounts".into(), format!("system:serviceaccounts:{namespace}")];
            }
        }
        // upstream: a user is given the authenticated group unless it asked for either; the
        // anonymous user the unauthenticated group unless it asked for that one.
        let (add, unless): (&str, &[&str]) = if name == ANONYMOUS {
            (UNAUTHENTICATED, &[UNAUTHENTICATED])
        } else {
            (AUTHENTICATED, &[AUTHENTICATED, UNAUTHENTICATED])
        };
        if !groups.iter().any(|g| unless.contains(&g.as_str())) {
            groups.push(add.into());
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

/// `POST` of a review: the review with its status (201), or the failure. The body is read as
/// JSON, field by field as upstream's typed decoding reads it: unknown fields dropped, a field
/// of the wrong type refused (400), empty strings omitted from the answer as Go omits them.
pub fn create(review: Review, namespace: Option<&str>, body: Value, user: &User, now: Value) -> Result<Value, Failure> {
    let mut body = match body {
        Value::Null => Map::new(),
        Value::Object(m) => m,
        _ => return Err(Failure::bad_request("the body of the request must be a JSON object")),
    };
    check_type_meta(review, &mut body)?;
    let d = Decoder(review.kind());
    let mut meta = d.object(body.get("metadata"), "metadata")?.cloned().unwrap_or_default();
    // upstream: the create handler wipes the system fields, then puts the request's namespace
    // in (a LocalSubjectAccessReview's: another is a 400) or clears it (the other reviews).
    for system in ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"] {
        meta.remove(system);
    }
    match namespace {
        Some(path_ns) => match d.string(meta.get("namespace"), "metadata.namespace")?.as_str() {
            "" => {
                meta.insert("namespace".into(), json!(path_ns));
            }
            given if given != path_ns => {
                return Err(Failure::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                ))
            }
            _ => {}
        },
        None => {
            meta.remove("namespace");
        }
    }
    let spec_in = d.object(body.get("spec"), "spec")?.cloned().unwrap_or_default();
    let spec_path = Path::root("spec");
    let (spec, status) = match review {
        Review::SelfSubjectAccess | Review::SubjectAccess | Review::LocalSubjectAccess => {
            let mut spec = Map::new();
            let resource = d.resource_attributes(spec_in.get("resourceAttributes"))?;
            let non_resource = d.non_resource_attributes(spec_in.get("nonResourceAttributes"))?;
            let mut errors = attributes(&spec_path, resource.as_ref(), non_resource.as_ref());
            let local = review == Review::LocalSubjectAccess;
            if review != Review::SelfSubjectAccess {
                // upstream: ValidateSubjectAccessReviewSpec.
                let user_name = d.string(spec_in.get("user"), "spec.user")?;
                let groups = d.strings(spec_in.get("groups"), "spec.groups")?;
                if user_name.is_empty() && groups.is_empty() {
                    let e = FieldError::invalid(
                        spec_path.child("user"),
                        "",
                        "at least one of user or group must be specified",
                    );
                    errors.push(e);
                }
                put(&mut spec, "user", json!(user_name));
                put(&mut spec, "groups", json!(groups));
                let uid = d.string(spec_in.get("uid"), "spec.uid")?;
                put(&mut spec, "uid", json!(uid));
                if let Some(extra) = d.object(spec_in.get("extra"), "spec.extra")? {
                    let mut kept = Map::new();
                    for (k, v) in extra {
                        kept.insert(k.clone(), json!(d.strings(Some(v), &format!("spec.extra.{k}"))?));
                    }
                    put(&mut spec, "extra", Value::Object(kept));
                }
            }
            let meta_ns = d.string(meta.get("namespace"), "metadata.namespace")?;
            errors.extend(empty_metadata(&meta, local));
            if local {
                // upstream: ValidateLocalSubjectAccessReview.
                if let Some(attrs) = &resource {
                    let ns = attrs.get("namespace").and_then(Value::as_str).unwrap_or("");
                    if ns != meta_ns {
                        let path = Path::root("spec.resourceAttributes.namespace");
                        errors.push(FieldError::invalid(path, ns, "must match metadata.namespace"));
                    }
                }
                if let Some(n) = &non_resource {
                    let path = Path::root("spec.nonResourceAttributes");
                    errors.push(FieldError::invalid(path, go_struct(n), "disallowed on this kind of request"));
                }
            }
            invalid(review, errors)?;
            put(&mut spec, "resourceAttributes", resource.map(Value::Object).unwrap_or(Value::Null));
            put(&mut spec, "nonResourceAttributes", non_resource.map(Value::Object).unwrap_or(Value::Null));
            // upstream: what the AlwaysAllow authorizer decides.
            (Value::Object(spec), json!({"allowed": true}))
        }
        Review::SelfSubjectRules => {
            let ns = d.string(spec_in.get("namespace"), "spec.namespace")?;
            if ns.is_empty() {
                return Err(Failure::bad_request("no namespace on request"));
            }
            // upstream: the AlwaysAllow authorizer's RulesFor; the answer is a new review
            // holding only the status.
            let status = json!({
                "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
                "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
                "incomplete": false,
            });
            return Ok(json!({"kind": review.kind(), "apiVersion": review.api_version(),
                             "metadata": {"creationTimestamp": null}, "spec": {}, "status": status}));
        }
        Review::SelfSubject => {
            // upstream: the review's own fields are not read; the answer is made anew.
            let mut info = Map::new();
            info.insert("username".into(), json!(user.name));
            put(&mut info, "uid", json!(user.uid));
            put(&mut info, "groups", json!(user.groups));
            return Ok(json!({"kind": review.kind(), "apiVersion": review.api_version(),
                             "metadata": {"creationTimestamp": now}, "status": {"userInfo": info}}));
        }
    };
    let mut metadata = meta;
    metadata.entry("creationTimestamp").or_insert(Value::Null);
    Ok(json!({"kind": review.kind(), "apiVersion": review.api_version(), "metadata": metadata,
              "spec": spec, "status": status}))
}

/// `value` under `key`, unless it is what Go's `omitempty` leaves out (an empty string, list
/// or map, or null).
fn put(m: &mut Map<String, Value>, key: &str, value: Value) {
    if !unset(&value) {
        m.insert(key.into(), value);
    }
}

/// Null, or an empty string, list or map: what Go's `omitempty` leaves out and
/// Semantic.DeepEqual takes for unset.
fn unset(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// upstream: a body of another group version or kind is refused before decoding.
pub(super) fn check_type_meta_of(kind: &str, api_version: &str, body: &mut Map<String, Value>) -> Result<(), Failure> {
    for (field, want, noun) in [("apiVersion", api_version, "API version"), ("kind", kind, "kind")] {
        match body.remove(field) {
            None | Some(Value::Null) => {}
            Some(Value::String(v)) if v.is_empty() || v == want => {}
            Some(v) => {
                let v = v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
                return Err(Failure::bad_request(format!(
                    "the {noun} in the data ({v}) does not match the expected {noun} ({want})"
                )));
            }
        }
    }
    Ok(())
}

fn check_type_meta(review: Review, body: &mut Map<String, Value>) -> Result<(), Failure> {
    check_type_meta_of(review.kind(), &review.api_version(), body)
}

/// Reads a body's fields as Go's JSON decoder would fill the kind's struct, with its message
/// for a field of the wrong type.
pub(super) struct Decoder<'k>(pub(super) &'k str);

impl Decoder<'_> {
    /// Go's UnmarshalTypeError: the innermost struct holding the field, the field's path
    /// from the top, and the Go type it has (a struct's as `v1.Name`).
    fn refuse(&self, value: &Value, path: &str, go_type: &str) -> Failure {
        let json_type = match value {
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
            Value::Null => "null",
        };
        let kind = self.0;
        let parent = path.rsplit_once('.').map_or("", |(p, _)| p);
        let owner = self.struct_at(parent);
        let go_type = if go_type == "object" { format!("v1.{}", self.struct_at(path)) } else { go_type.to_string() };
        Failure::bad_request(format!(
            "{kind} in version \"v1\" cannot be handled as a {kind}: json: cannot unmarshal {json_type} into Go struct field {owner}.{path} of type {go_type}"
        ))
    }

    /// The Go struct at a path of the kind's body.
    fn struct_at(&self, path: &str) -> String {
        match path {
            "" => self.0.to_string(),
            "metadata" => "ObjectMeta".into(),
            "spec" if self.0 == "LocalSubjectAccessReview" => "SubjectAccessReviewSpec".into(),
            "spec" => format!("{}Spec", self.0),
            "spec.resourceAttributes" => "ResourceAttributes".into(),
            "spec.nonResourceAttributes" => "NonResourceAttributes".into(),
            "spec.boundObjectRef" => "BoundObjectReference".into(),
            "spec.resourceAttributes.fieldSelector" => "FieldSelectorAttributes".into(),
            "spec.resourceAttributes.labelSelector" => "LabelSelectorAttributes".into(),
            "spec.extra" => "ExtraValue".into(),
            other => other.rsplit('.').next().unwrap_or(other).to_string(),
        }
    }

    pub(super) fn string(&self, v: Option<&Value>, path: &str) -> Result<String, Failure> {
        match v {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(other) => Err(self.refuse(other, path, "string")),
        }
    }

    pub(super) fn strings(&self, v: Option<&Value>, path: &str) -> Result<Vec<String>, Failure> {
        match v {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items.iter().map(|i| self.string(Some(i), path)).collect(),
            Some(other) => Err(self.refuse(other, path, "[]string")),
        }
    }

    pub(super) fn int(&self, v: Option<&Value>, path: &str) -> Result<Option<i64>, Failure> {
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(n @ Value::Number(_)) => n.as_i64().map(Some).ok_or_else(|| self.refuse(n, path, "int64")),
            Some(other) => Err(self.refuse(other, path, "int64")),
        }
    }

    pub(super) fn object<'v>(
        &self,
        v: Option<&'v Value>,
        path: &str,
    ) -> Result<Option<&'v Map<String, Value>>, Failure> {
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m)),
            Some(other) => Err(self.refuse(other, path, "object")),
        }
    }

    /// A struct of string fields, as Go keeps it: the known fields that are not empty.
    pub(super) fn strings_struct(
        &self,
        v: Option<&Value>,
        path: &str,
        fields: &[&str],
    ) -> Result<Option<Map<String, Value>>, Failure> {
        let Some(m) = self.object(v, path)? else { return Ok(None) };
        let mut out = Map::new();
        for f in fields {
            put(&mut out, f, json!(self.string(m.get(*f), &format!("{path}.{f}"))?));
        }
        Ok(Some(out))
    }

    fn resource_attributes(&self, v: Option<&Value>) -> Result<Option<Map<String, Value>>, Failure> {
        let path = "spec.resourceAttributes";
        let fields = ["namespace", "verb", "group", "version", "resource", "subresource", "name"];
        let Some(mut out) = self.strings_struct(v, path, &fields)? else { return Ok(None) };
        let given = self.object(v, path)?.cloned().unwrap_or_default();
        for selector in ["fieldSelector", "labelSelector"] {
            // (kept as given: AlwaysAllow reads neither)
            if let Some(m) = self.object(given.get(selector), &format!("{path}.{selector}"))? {
                put(&mut out, selector, Value::Object(m.clone()));
            }
        }
        Ok(Some(out))
    }

    fn non_resource_attributes(&self, v: Option<&Value>) -> Result<Option<Map<String, Value>>, Failure> {
        self.strings_struct(v, "spec.nonResourceAttributes", &["path", "verb"])
    }
}

/// upstream: ValidateSelfSubjectAccessReviewSpec's (and ValidateSubjectAccessReviewSpec's)
/// rule that exactly one kind of attributes is given. (The value shown is Go's: a nil pointer
/// prints as "null", a struct of the internal type as JSON with its Go field names.)
fn attributes(
    spec: &Path,
    resource: Option<&Map<String, Value>>,
    non_resource: Option<&Map<String, Value>>,
) -> Vec<FieldError> {
    match (resource, non_resource) {
        (Some(_), Some(n)) => vec![FieldError::invalid(
            spec.child("nonResourceAttributes"),
            go_struct(n),
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

fn go_struct(n: &Map<String, Value>) -> field::Value {
    let get = |k: &str| n.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    field::Value::Raw(json!({"Path": get("path"), "Verb": get("verb")}).to_string())
}

/// upstream: a review's metadata must be empty (but for managedFields, and a local review's
/// namespace); an empty string, list or map counts as unset, as Semantic.DeepEqual has it.
fn empty_metadata(meta: &Map<String, Value>, local: bool) -> Option<FieldError> {
    let set = meta.iter().any(|(k, v)| {
        let skipped = k == "managedFields" || (local && k == "namespace");
        !skipped && !unset(v)
    });
    if !set {
        return None;
    }
    let mut shown = meta.clone();
    shown.entry("creationTimestamp").or_insert(Value::Null);
    let detail = if local { "must be empty except for namespace" } else { "must be empty" };
    Some(FieldError::invalid(Path::root("metadata"), field::Value::Raw(Value::Object(shown).to_string()), detail))
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
        let f = create(Review::SelfSubjectAccess, None, bad_type, &anon(), Value::Null).unwrap_err();
        assert_eq!(
            (f.code, f.body["message"].as_str().unwrap()),
            (400, "SelfSubjectAccessReview in version \"v1\" cannot be handled as a SelfSubjectAccessReview: json: cannot unmarshal number into Go struct field ResourceAttributes.spec.resourceAttributes.verb of type string")
        );
        let f = create(Review::SelfSubjectAccess, None, json!({"spec": []}), &anon(), Value::Null).unwrap_err();
        assert!(f.body["message"].as_str().unwrap().ends_with("cannot unmarshal array into Go struct field SelfSubjectAccessReview.spec of type v1.SelfSubjectAccessReviewSpec"), "{}", f.body);
    }

    #[test]
    fn a_local_review_takes_the_namespace_of_its_path() {
        let body = |ns: Option<&str>, attr_ns: &str| {
            let meta = ns.map_or(json!({}), |ns| json!({"namespace": ns}));
            json!({"metadata": meta, "spec": {"user": "u", "resourceAttributes": {"namespace": attr_ns, "verb": "get"}}})
        };
        let r = |b: Value, path_ns: &str| create(Review::LocalSubjectAccess, Some(path_ns), b, &anon(), Value::Null);
        assert_eq!(r(body(Some("a"), "a"), "a").unwrap()["status"]["allowed"], true);
        // upstream: EnsureObjectNamespaceMatchesRequestNamespace fills it in, or refuses another.
        let filled = r(body(None, "a"), "a").unwrap();
        assert_eq!(filled["metadata"]["namespace"], "a");
        let f = r(body(Some("a"), "b"), "a").unwrap_err();
        assert_eq!(
            f.body["message"],
            "LocalSubjectAccessReview.authorization.k8s.io \"\" is invalid: spec.resourceAttributes.namespace: Invalid value: \"b\": must match metadata.namespace"
        );
        let f = r(body(Some("a"), "a"), "b").unwrap_err();
        assert_eq!(
            (f.code, f.body["message"].as_str().unwrap()),
            (400, "the namespace of the provided object does not match the namespace sent on the request")
        );
        // System fields are wiped before the review's metadata must be empty.
        let wiped = json!({"metadata": {"uid": "x", "creationTimestamp": "2026-01-01T00:00:00Z", "namespace": "q"},
                           "spec": {"resourceAttributes": {"verb": "get"}}});
        assert!(create(Review::SelfSubjectAccess, None, wiped, &anon(), Value::Null).is_ok());
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
            (
                Some("system:anonymous"),
                vec!["system:authenticated".to_string()],
                None,
                json!({"username": "system:anonymous", "groups": ["system:authenticated", "system:unauthenticated"]}),
            ),
            // Not a service account's name (three parts): no service-account groups.
            (
                Some("system:serviceaccount:a:b:c"),
                vec![],
                None,
                json!({"username": "system:serviceaccount:a:b:c", "groups": ["system:authenticated"]}),
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
