//! API-server validation on create, with upstream field paths and messages
//! (`pkg/apis/{core,apps,autoscaling}/validation`, apimachinery `api/validation`).
//!
//! Validation runs on *defaulted* objects, as in the API server: call the matching
//! `defaults::default_*` first, or fields the server always fills in (`imagePullPolicy`,
//! `restartPolicy`, …) are reported as `Required value`.
//!
//! Values are printed as a v1.33 server prints them: strings quoted, numbers bare, and anything
//! else with Go's `%#v` (`map[string]string{"app":"x"}`, `intstr.IntOrString{Type:0, …}`).
//! v1.34+ servers print those as JSON instead; kubesim follows v1.33.
//!
//! Where Go iterates a map (labels, resources), kubesim reports in key order.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentSpec, DeploymentStrategy, ReplicaSet, ReplicaSetSpec, RollingUpdateDeployment,
};
use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HPAScalingRules, HorizontalPodAutoscaler, HorizontalPodAutoscalerSpec,
    MetricIdentifier, MetricSpec, MetricTarget,
};
use k8s_openapi::api::core::v1::{
    Container, ContainerPort, EnvFromSource, EnvVar, HTTPGetAction, LifecycleHandler, Node, Pod, PodSpec,
    PodTemplateSpec, Probe, ResourceRequirements, Taint, Toleration, Volume,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::field::{ErrorList, FieldError, Path, Value};
use crate::labels::validation::{is_dns1123_label, is_dns1123_subdomain, is_qualified_name, is_valid_label_value};

/// upstream: apimachineryvalidation.IsNegativeErrorMsg
const IS_NEGATIVE: &str = "must be greater than or equal to 0";

// ---------------------------------------------------------------------------------------------
// Go value rendering (`%q` for strings, `%#v` for everything that is not a scalar)
// ---------------------------------------------------------------------------------------------

fn go_quote(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

fn go_string_map(m: Option<&BTreeMap<String, String>>) -> String {
    match m {
        None => "map[string]string(nil)".to_string(),
        Some(m) => {
            let entries: Vec<String> = m.iter().map(|(k, v)| format!("{}:{}", go_quote(k), go_quote(v))).collect();
            format!("map[string]string{{{}}}", entries.join(", "))
        }
    }
}

fn go_string_slice(v: Option<&Vec<String>>) -> String {
    match v {
        None => "[]string(nil)".to_string(),
        Some(v) => {
            let items: Vec<String> = v.iter().map(|s| go_quote(s)).collect();
            format!("[]string{{{}}}", items.join(", "))
        }
    }
}

/// A `*metav1.LabelSelector` as `field.Invalid` prints it (dereferenced, then `%#v`).
fn go_label_selector(sel: &LabelSelector) -> String {
    let exprs = match &sel.match_expressions {
        None => "[]v1.LabelSelectorRequirement(nil)".to_string(),
        Some(reqs) => {
            let items: Vec<String> = reqs
                .iter()
                .map(|r| {
                    format!(
                        "v1.LabelSelectorRequirement{{Key:{}, Operator:{}, Values:{}}}",
                        go_quote(&r.key),
                        go_quote(&r.operator),
                        go_string_slice(r.values.as_ref())
                    )
                })
                .collect();
            format!("[]v1.LabelSelectorRequirement{{{}}}", items.join(", "))
        }
    };
    format!("v1.LabelSelector{{MatchLabels:{}, MatchExpressions:{}}}", go_string_map(sel.match_labels.as_ref()), exprs)
}

/// An `intstr.IntOrString` value: its `String()` has a pointer receiver, so Go falls back to `%#v`.
fn go_int_or_string(v: &IntOrString) -> String {
    match v {
        IntOrString::Int(i) => format!("intstr.IntOrString{{Type:0, IntVal:{i}, StrVal:\"\"}}"),
        IntOrString::String(s) => {
            format!("intstr.IntOrString{{Type:1, IntVal:0, StrVal:{}}}", go_quote(s))
        }
    }
}

/// upstream: validation.RegexError (examples joined with ",  or ").
fn regex_error(msg: &str, fmt: &str, examples: &[&str]) -> String {
    let mut s = format!("{msg} (");
    if !examples.is_empty() {
        let quoted: Vec<String> = examples.iter().map(|e| format!("'{e}'")).collect();
        s.push_str("e.g. ");
        s.push_str(&quoted.join(",  or "));
        s.push_str(", ");
    }
    s.push_str(&format!("regex used for validation is '{fmt}')"));
    s
}

fn nonnegative(value: i64, path: Path) -> Option<FieldError> {
    (value < 0).then(|| FieldError::invalid(path, value, IS_NEGATIVE))
}

fn unset(s: &Option<String>) -> bool {
    s.as_deref().is_none_or(str::is_empty)
}

// ---------------------------------------------------------------------------------------------
// Quantities (apimachinery resource.Quantity, the parts the API server shows)
// ---------------------------------------------------------------------------------------------

/// upstream: resource.ErrFormatWrong. The API server rejects such a manifest while decoding
/// (HTTP 400); kubesim reports it at the field path instead.
pub(crate) const QUANTITY_FORMAT_ERROR: &str =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
/// upstream: resource.ErrSuffix.
const QUANTITY_SUFFIX_ERROR: &str = "unable to parse quantity's suffix";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum QuantityFormat {
    DecimalSI,
    BinarySI,
    DecimalExponent,
}

/// An exact quantity `mantissa × 10^exp10`, with the format its suffix asked for and, when the
/// input was already in canonical form, the input itself (upstream caches it and prints it back
/// verbatim).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ParsedQuantity {
    mantissa: i128,
    exp10: i32,
    format: QuantityFormat,
    cached: Option<String>,
}

fn pow10(n: u32) -> Option<i128> {
    10i128.checked_pow(n)
}

/// Divides by 10^n rounding away from zero (inf.RoundUp).
fn div_round_up(m: i128, n: u32) -> i128 {
    let Some(d) = pow10(n) else {
        return if m == 0 { 0 } else { m.signum() };
    };
    let q = m / d;
    if m % d != 0 {
        q + m.signum()
    } else {
        q
    }
}

/// `^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$`
fn matches_quantity_regex(s: &[u8]) -> bool {
    let mut i = 0;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        i += 1;
    }
    let start = i;
    while i < s.len() && (s[i].is_ascii_digit() || s[i] == b'.') {
        i += 1;
    }
    if i == start {
        return false;
    }
    while i < s.len() && b"eEinumkKMGTP".contains(&s[i]) {
        i += 1;
    }
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        i += 1;
    }
    while i < s.len() && s[i].is_ascii_digit() {
        i += 1;
    }
    i == s.len()
}

/// `[eEinumkKMGTP]*[-+]?[0-9]*` over the whole input.
fn matches_suffix_grammar(s: &[u8]) -> bool {
    let mut i = 0;
    while i < s.len() && b"eEinumkKMGTP".contains(&s[i]) {
        i += 1;
    }
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        i += 1;
    }
    s[i..].iter().all(u8::is_ascii_digit)
}

impl ParsedQuantity {
    /// upstream: resource.ParseQuantity (after the JSON decoder's whitespace trim).
    pub(crate) fn parse(input: &str) -> Result<Self, &'static str> {
        let s = input.trim();
        if s.is_empty() || !matches_quantity_regex(s.as_bytes()) {
            return Err(QUANTITY_FORMAT_ERROR);
        }
        if s == "0" {
            return Ok(ParsedQuantity {
                mantissa: 0,
                exp10: 0,
                format: QuantityFormat::DecimalSI,
                cached: Some(s.into()),
            });
        }
        let b = s.as_bytes();
        let mut pos = 0;
        let negative = b[0] == b'-';
        if b[0] == b'-' || b[0] == b'+' {
            pos += 1;
        }
        while pos < b.len() && b[pos] == b'0' {
            pos += 1;
        }
        let num_start = pos;
        while pos < b.len() && b[pos].is_ascii_digit() {
            pos += 1;
        }
        let num = if pos == num_start { "0" } else { &s[num_start..pos] };
        let mut denom = "";
        if pos < b.len() && b[pos] == b'.' {
            pos += 1;
            let d_start = pos;
            while pos < b.len() && b[pos].is_ascii_digit() {
                pos += 1;
            }
            denom = &s[d_start..pos];
        }
        let suffix = &s[pos..];
        // upstream: parseQuantityString — what follows the number must itself be suffix
        // grammar (`1.2.3` leaves `.3`), else the format error, not the suffix error.
        if !matches_suffix_grammar(suffix.as_bytes()) {
            return Err(QUANTITY_FORMAT_ERROR);
        }
        let (base2, exponent, format) = match suffix {
            "" => (false, 0, QuantityFormat::DecimalSI),
            "n" => (false, -9, QuantityFormat::DecimalSI),
            "u" => (false, -6, QuantityFormat::DecimalSI),
            "m" => (false, -3, QuantityFormat::DecimalSI),
            "k" => (false, 3, QuantityFormat::DecimalSI),
            "M" => (false, 6, QuantityFormat::DecimalSI),
            "G" => (false, 9, QuantityFormat::DecimalSI),
            "T" => (false, 12, QuantityFormat::DecimalSI),
            "P" => (false, 15, QuantityFormat::DecimalSI),
            "E" => (false, 18, QuantityFormat::DecimalSI),
            "Ki" => (true, 10, QuantityFormat::BinarySI),
            "Mi" => (true, 20, QuantityFormat::BinarySI),
            "Gi" => (true, 30, QuantityFormat::BinarySI),
            "Ti" => (true, 40, QuantityFormat::BinarySI),
            "Pi" => (true, 50, QuantityFormat::BinarySI),
            "Ei" => (true, 60, QuantityFormat::BinarySI),
            other => {
                let digits = other.strip_prefix(['e', 'E']).ok_or(QUANTITY_SUFFIX_ERROR)?;
                let e: i32 = digits.parse().map_err(|_| QUANTITY_SUFFIX_ERROR)?;
                (false, e, QuantityFormat::DecimalExponent)
            }
        };
        const TOO_LARGE: &str = "quantity is too large for kubesim";
        let digits = format!("{num}{denom}");
        let digits = digits.trim_start_matches('0');
        if digits.len() > 36 {
            return Err(TOO_LARGE);
        }
        let unscaled: i128 = if digits.is_empty() { 0 } else { digits.parse().map_err(|_| TOO_LARGE)? };
        let denom_len = denom.len() as i32;
        let (mut mantissa, mut exp10) = if base2 {
            (unscaled.checked_mul(1i128 << exponent).ok_or(TOO_LARGE)?, -denom_len)
        } else {
            (unscaled, exponent.checked_sub(denom_len).ok_or(TOO_LARGE)?)
        };

        // The input is kept verbatim when upstream's fast path recognises it as canonical.
        let shifted = format!("{num}{denom}");
        let cached = if base2 {
            let precision = 15 - num.len() as i32 - (exponent * 3 / 10) - 1;
            let fits = i64::try_from(mantissa).is_ok();
            (denom.is_empty() && precision >= 0 && fits && unscaled & 7 != 0).then(|| s.to_string())
        } else {
            let precision = 18 - shifted.len() as i32;
            let fits = i64::try_from(unscaled).is_ok();
            (precision >= 0
                && exp10 >= -9
                && fits
                && exp10 % 3 == 0
                && !shifted.ends_with("000")
                && !shifted.starts_with('0'))
            .then(|| s.to_string())
        };

        // Non-zero values finer than a nano-unit are rounded up to 1n.
        if exp10 < -9 {
            mantissa = div_round_up(mantissa, (-9 - exp10) as u32);
            exp10 = -9;
        }
        if negative {
            mantissa = -mantissa;
        }
        let mut format = format;
        if format == QuantityFormat::BinarySI {
            // upstream caps binary quantities at MaxInt64 and shows fractions below 1 as DecimalSI.
            if mantissa > i64::MAX as i128 && exp10 >= 0 {
                mantissa = i64::MAX as i128;
                exp10 = 0;
            }
        }
        if format == QuantityFormat::BinarySI
            && exp10 < 0
            && mantissa.abs() < pow10((-exp10) as u32).unwrap_or(i128::MAX)
            && mantissa > 0
        {
            format = QuantityFormat::DecimalSI;
        }
        Ok(ParsedQuantity { mantissa, exp10, format, cached })
    }

    pub(crate) fn is_negative(&self) -> bool {
        self.mantissa < 0
    }

    pub(crate) fn is_zero(&self) -> bool {
        self.mantissa == 0
    }

    /// Whether the value is a whole number (`MilliValue() % 1000 == 0` for milli-rounded values).
    fn is_integer(&self) -> bool {
        self.exp10 >= 0 || pow10((-self.exp10) as u32).is_none_or(|d| self.mantissa % d == 0)
    }

    /// upstream: Quantity.RoundUp(-3), as SetDefaults_ResourceList applies it.
    pub(crate) fn round_up_to_milli(mut self) -> Self {
        if self.exp10 < -3 {
            self.mantissa = div_round_up(self.mantissa, (-3 - self.exp10) as u32);
            self.exp10 = -3;
            self.cached = None;
        }
        self
    }

    /// upstream: Quantity.String() — the cached input, or CanonicalizeBytes.
    pub(crate) fn canonical(&self) -> String {
        if let Some(s) = &self.cached {
            return s.clone();
        }
        if self.mantissa == 0 {
            return "0".to_string();
        }
        let mut format = self.format;
        let integer_value = if self.exp10 >= 0 {
            pow10(self.exp10 as u32).and_then(|p| self.mantissa.checked_mul(p))
        } else {
            pow10((-self.exp10) as u32).filter(|d| self.mantissa % d == 0).map(|d| self.mantissa / d)
        };
        if format == QuantityFormat::BinarySI {
            match integer_value {
                Some(v) if v.abs() >= 1024 => {}
                _ => format = QuantityFormat::DecimalSI,
            }
        }
        if format == QuantityFormat::BinarySI {
            let mut v = integer_value.unwrap_or(0);
            let mut e = 0;
            while e < 6 && v % 1024 == 0 {
                v /= 1024;
                e += 1;
            }
            let suffix = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"][e];
            return format!("{v}{suffix}");
        }
        let (mut m, mut e) = (self.mantissa, self.exp10);
        while m % 10 == 0 {
            m /= 10;
            e += 1;
        }
        match e % 3 {
            1 | -2 => {
                m *= 10;
                e -= 1;
            }
            2 | -1 => {
                m *= 100;
                e -= 2;
            }
            _ => {}
        }
        let suffix = match (format, e) {
            (_, 0) => String::new(),
            (QuantityFormat::DecimalExponent, e) => format!("e{e}"),
            (_, -9) => "n".into(),
            (_, -6) => "u".into(),
            (_, -3) => "m".into(),
            (_, 3) => "k".into(),
            (_, 6) => "M".into(),
            (_, 9) => "G".into(),
            (_, 12) => "T".into(),
            (_, 15) => "P".into(),
            (_, 18) => "E".into(),
            (_, e) => format!("e{e}"),
        };
        format!("{m}{suffix}")
    }

    /// upstream: Quantity.Cmp.
    pub(crate) fn cmp(&self, other: &Self) -> Ordering {
        let scale = self.exp10.min(other.exp10);
        let lift = |q: &Self| pow10((q.exp10 - scale) as u32).and_then(|p| q.mantissa.checked_mul(p));
        match (lift(self), lift(other)) {
            (Some(a), Some(b)) => a.cmp(&b),
            _ => {
                let f = |q: &Self| q.mantissa as f64 * 10f64.powi(q.exp10);
                f(self).partial_cmp(&f(other)).unwrap_or(Ordering::Equal)
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Object metadata
// ---------------------------------------------------------------------------------------------

/// Which DNS rule an object's name follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameRule {
    /// `NameIsDNSSubdomain`: Pods, ReplicaSets, Deployments, HPAs, Nodes.
    Subdomain,
    /// `NameIsDNSLabel`: Namespaces.
    Label,
}

impl NameRule {
    /// The messages for `name`; with `prefix` (a `generateName`), a trailing dash is masked first.
    pub fn check(self, name: &str, prefix: bool) -> Vec<String> {
        let masked;
        let name = if prefix {
            masked = mask_trailing_dash(name);
            masked.as_str()
        } else {
            name
        };
        match self {
            NameRule::Subdomain => is_dns1123_subdomain(name),
            NameRule::Label => is_dns1123_label(name),
        }
    }
}

/// upstream: maskTrailingDash — for a prefix longer than one byte that ends in `-`, the last
/// *two* bytes are replaced by a single `a` (so `web-` is checked as `wea`).
fn mask_trailing_dash(name: &str) -> String {
    let b = name.as_bytes();
    if b.len() > 1 && b[b.len() - 1] == b'-' {
        let mut masked = b[..b.len() - 2].to_vec();
        masked.push(b'a');
        String::from_utf8_lossy(&masked).into_owned()
    } else {
        name.to_string()
    }
}

/// upstream: metav1validation.ValidateLabels — errors carry the map's path, not the key's.
fn validate_labels(labels: Option<&BTreeMap<String, String>>, path: &Path) -> ErrorList {
    labels.map(|l| crate::labels::validate_labels(l, path)).unwrap_or_default()
}

/// upstream: ValidateAnnotations — keys are qualified names (compared lower-cased), 256 KiB in all.
fn validate_annotations(annotations: Option<&BTreeMap<String, String>>, path: &Path) -> ErrorList {
    annotations.map(|a| crate::labels::validate_annotations(a, path)).unwrap_or_default()
}

/// An apiVersion carries a version: `v1`, `apps/v1` (upstream: schema.ParseGroupVersion).
fn api_version_has_version(api_version: &str) -> bool {
    match api_version.split('/').collect::<Vec<_>>().as_slice() {
        [v] | [_, v] => !v.is_empty(),
        _ => false,
    }
}

/// Validates `metadata` on create. Name generation must already have happened: an empty `name`
/// is `Required value: name or generateName is required` even when `generateName` is set.
pub fn validate_object_meta(meta: &ObjectMeta, namespaced: bool, name_rule: NameRule, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    if let Some(g) = meta.generate_name.as_deref().filter(|g| !g.is_empty()) {
        for m in name_rule.check(g, true) {
            errs.push(FieldError::invalid(path.child("generateName"), g, m));
        }
    }
    let generated = meta.generate_name.as_deref().is_some_and(|g| !g.is_empty());
    match meta.name.as_deref().filter(|n| !n.is_empty()) {
        // kubesim validates before the store generates the name from generateName.
        None if generated => {}
        None => errs.push(FieldError::required(path.child("name"), "name or generateName is required")),
        Some(n) => {
            for m in name_rule.check(n, false) {
                errs.push(FieldError::invalid(path.child("name"), n, m));
            }
        }
    }
    let namespace = meta.namespace.as_deref().filter(|n| !n.is_empty());
    if namespaced {
        match namespace {
            None => errs.push(FieldError::required(path.child("namespace"), "")),
            Some(ns) => {
                for m in is_dns1123_label(ns) {
                    errs.push(FieldError::invalid(path.child("namespace"), ns, m));
                }
            }
        }
    } else if namespace.is_some() {
        errs.push(FieldError::forbidden(path.child("namespace"), "not allowed on this type"));
    }
    errs.extend(nonnegative(meta.generation.unwrap_or(0), path.child("generation")));
    errs.extend(validate_labels(meta.labels.as_ref(), &path.child("labels")));
    errs.extend(validate_annotations(meta.annotations.as_ref(), &path.child("annotations")));

    let owners_path = path.child("ownerReferences");
    let mut first_controller: Option<String> = None;
    for r in meta.owner_references.iter().flatten() {
        if !api_version_has_version(&r.api_version) {
            errs.push(FieldError::invalid(
                owners_path.child("apiVersion"),
                r.api_version.as_str(),
                "version must not be empty",
            ));
        }
        if r.kind.is_empty() {
            errs.push(FieldError::invalid(owners_path.child("kind"), "", "must not be empty"));
        }
        if r.name.is_empty() {
            errs.push(FieldError::invalid(owners_path.child("name"), "", "must not be empty"));
        }
        if r.uid.is_empty() {
            errs.push(FieldError::invalid(owners_path.child("uid"), "", "must not be empty"));
        }
        if r.controller == Some(true) {
            let this = format!("{}/{}", r.kind, r.name);
            match &first_controller {
                // unconfirmed upstream wording of the value: Go prints the whole []OwnerReference
                Some(first) => errs.push(FieldError::invalid(
                    owners_path.clone(),
                    Value::Raw("[]v1.OwnerReference{…}".to_string()),
                    format!("Only one reference can have Controller set to true. Found \"true\" in references for {first} and {this}"),
                )),
                None => first_controller = Some(this),
            }
        }
    }

    let finalizers_path = path.child("finalizers");
    let finalizers = meta.finalizers.as_ref();
    for f in finalizers.into_iter().flatten() {
        for m in is_qualified_name(f) {
            errs.push(FieldError::invalid(finalizers_path.clone(), f.as_str(), m));
        }
    }
    let has = |name: &str| finalizers.is_some_and(|fs| fs.iter().any(|f| f == name));
    if has("orphan") && has("foregroundDeletion") {
        errs.push(FieldError::invalid(
            finalizers_path.clone(),
            Value::Raw(go_string_slice(finalizers)),
            "finalizer orphan and foregroundDeletion cannot be both set",
        ));
    }
    // core's validateKubeFinalizerName: an unqualified finalizer must be a standard one.
    for (i, f) in finalizers.into_iter().flatten().enumerate() {
        if !f.contains('/') && !matches!(f.as_str(), "kubernetes" | "orphan" | "foregroundDeletion") {
            // unconfirmed upstream wording
            errs.push(FieldError::invalid(
                finalizers_path.index(i),
                f.as_str(),
                "name is neither a standard finalizer name nor is it fully qualified",
            ));
        }
    }
    errs
}

// ---------------------------------------------------------------------------------------------
// Label selectors
// ---------------------------------------------------------------------------------------------

/// upstream: metav1validation.ValidateLabelSelector (invalid label values not allowed).
fn validate_label_selector(sel: &LabelSelector, path: &Path) -> ErrorList {
    crate::labels::validate_label_selector(sel, path)
}

/// What `metav1.LabelSelectorAsSelector` makes of a selector that validated.
enum WorkloadSelector<'a> {
    /// A nil selector selects nothing.
    Nothing,
    /// `{}` selects everything.
    Everything,
    Match(&'a LabelSelector),
}

impl WorkloadSelector<'_> {
    fn matches(&self, labels: Option<&BTreeMap<String, String>>) -> bool {
        let sel = match self {
            WorkloadSelector::Nothing => return false,
            WorkloadSelector::Everything => return true,
            WorkloadSelector::Match(sel) => sel,
        };
        let get = |k: &str| labels.and_then(|l| l.get(k));
        let eq = sel.match_labels.iter().flatten().all(|(k, v)| get(k) == Some(v));
        let exprs = sel.match_expressions.iter().flatten().all(|r| {
            let vals = r.values.as_deref().unwrap_or(&[]);
            match r.operator.as_str() {
                "In" => get(&r.key).is_some_and(|v| vals.contains(v)),
                "NotIn" => get(&r.key).is_none_or(|v| !vals.contains(v)),
                "Exists" => get(&r.key).is_some(),
                "DoesNotExist" => get(&r.key).is_none(),
                _ => false,
            }
        });
        eq && exprs
    }
}

/// The selector checks shared by Deployments and ReplicaSets. Returns the selector the template
/// is matched against, or `None` when it does not convert (the template is then not validated,
/// as upstream).
///
/// k8s-openapi cannot tell an omitted `selector` from `selector: {}`; both arrive with neither
/// `matchLabels` nor `matchExpressions`, and are treated as omitted (`Required value`), the
/// common mistake. `matchLabels: {}` is an explicit empty selector.
fn validate_workload_selector<'a>(
    sel: &'a LabelSelector,
    spec_path: &Path,
    errs: &mut ErrorList,
) -> Option<WorkloadSelector<'a>> {
    let path = spec_path.child("selector");
    if sel.match_labels.is_none() && sel.match_expressions.is_none() {
        errs.push(FieldError::required(path, ""));
        return Some(WorkloadSelector::Nothing);
    }
    let sel_errs = validate_label_selector(sel, &path);
    let convertible = sel_errs.is_empty();
    errs.extend(sel_errs);
    let empty =
        sel.match_labels.as_ref().map_or(0, BTreeMap::len) + sel.match_expressions.as_ref().map_or(0, Vec::len) == 0;
    if empty {
        // upstream: ReplicaSets reuse the Deployment wording
        errs.push(FieldError::invalid(
            path.clone(),
            Value::Raw(go_label_selector(sel)),
            "empty selector is invalid for deployment",
        ));
    }
    if !convertible {
        errs.push(FieldError::invalid(path, Value::Raw(go_label_selector(sel)), "invalid label selector"));
        return None;
    }
    Some(if empty { WorkloadSelector::Everything } else { WorkloadSelector::Match(sel) })
}

// ---------------------------------------------------------------------------------------------
// Pod spec
// ---------------------------------------------------------------------------------------------

fn port_num_errors(port: i64) -> Vec<String> {
    if (1..=65535).contains(&port) {
        vec![]
    } else {
        vec!["must be between 1 and 65535, inclusive".to_string()]
    }
}

/// upstream: validation.IsValidPortName.
fn port_name_errors(name: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if name.len() > 15 {
        errs.push("must be no more than 15 characters".to_string());
    }
    if name.is_empty() || !name.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-') {
        errs.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)".to_string());
    }
    if !name.bytes().any(|c| c.is_ascii_lowercase()) {
        errs.push("must contain at least one letter (a-z)".to_string());
    }
    if name.contains("--") {
        errs.push("must not contain consecutive hyphens".to_string());
    }
    if name.starts_with('-') || name.ends_with('-') {
        errs.push("must not begin or end with a hyphen".to_string());
    }
    errs
}

/// upstream: ValidatePortNumOrName.
fn validate_port_num_or_name(port: &IntOrString, path: &Path) -> ErrorList {
    match port {
        IntOrString::Int(p) => {
            port_num_errors(*p as i64).into_iter().map(|m| FieldError::invalid(path.clone(), *p, m)).collect()
        }
        IntOrString::String(s) => {
            port_name_errors(s).into_iter().map(|m| FieldError::invalid(path.clone(), s.as_str(), m)).collect()
        }
    }
}

fn validate_container_ports(ports: &[ContainerPort], path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    let mut names = BTreeSet::new();
    for (i, port) in ports.iter().enumerate() {
        let p = path.index(i);
        if let Some(name) = port.name.as_deref().filter(|n| !n.is_empty()) {
            let msgs = port_name_errors(name);
            if !msgs.is_empty() {
                errs.extend(msgs.into_iter().map(|m| FieldError::invalid(p.child("name"), name, m)));
            } else if !names.insert(name) {
                errs.push(FieldError::duplicate(p.child("name"), name));
            }
        }
        if port.container_port == 0 {
            errs.push(FieldError::required(p.child("containerPort"), ""));
        } else {
            for m in port_num_errors(port.container_port as i64) {
                errs.push(FieldError::invalid(p.child("containerPort"), port.container_port, m));
            }
        }
        if let Some(hp) = port.host_port.filter(|&h| h != 0) {
            for m in port_num_errors(hp as i64) {
                errs.push(FieldError::invalid(p.child("hostPort"), hp, m));
            }
        }
        match port.protocol.as_deref() {
            None | Some("") => errs.push(FieldError::required(p.child("protocol"), "")),
            Some("TCP" | "UDP" | "SCTP") => {}
            Some(other) => errs.push(FieldError::not_supported(p.child("protocol"), other, &["SCTP", "TCP", "UDP"])),
        }
    }
    errs
}

/// upstream: AccumulateUniqueHostPorts — `protocol/hostIP/hostPort` must be unique.
fn host_port_conflicts(containers: &[&Container], path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    let mut seen = BTreeSet::new();
    for (ci, c) in containers.iter().enumerate() {
        for (pi, port) in c.ports.iter().flatten().enumerate() {
            let Some(hp) = port.host_port.filter(|&h| h != 0) else {
                continue;
            };
            let key =
                format!("{}/{}/{hp}", port.protocol.as_deref().unwrap_or(""), port.host_ip.as_deref().unwrap_or(""));
            if seen.contains(&key) {
                errs.push(FieldError::duplicate(path.index(ci).child("ports").index(pi).child("hostPort"), key));
            } else {
                seen.insert(key);
            }
        }
    }
    errs
}

/// upstream: IsRelaxedEnvVarName (RelaxedEnvironmentVariableValidation, on by default).
fn env_var_name_errors(name: &str) -> Vec<String> {
    if name.bytes().any(|c| !(0x20..=0x7e).contains(&c) || c == b'=') {
        vec!["a valid environment variable name must consist only of printable ASCII characters other than '='"
            .to_string()]
    } else {
        vec![]
    }
}

/// upstream: validation.IsConfigMapKey.
fn config_map_key_errors(key: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if key.len() > 253 {
        errs.push("must be no more than 253 characters".to_string());
    }
    if key.is_empty() || !key.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_')) {
        errs.push(regex_error(
            "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
            "[-._a-zA-Z0-9]+",
            &["key.name", "KEY_NAME", "key-name"],
        ));
    }
    if key == "." {
        errs.push("must not be '.'".to_string());
    } else if key == ".." {
        errs.push("must not be '..'".to_string());
    } else if key.starts_with("..") {
        errs.push("must not start with '..'".to_string());
    }
    errs
}

fn validate_key_selector(name: &str, key: &str, path: &Path) -> ErrorList {
    let mut errs: ErrorList =
        is_dns1123_subdomain(name).into_iter().map(|m| FieldError::invalid(path.child("name"), name, m)).collect();
    if key.is_empty() {
        errs.push(FieldError::required(path.child("key"), ""));
    } else {
        errs.extend(config_map_key_errors(key).into_iter().map(|m| FieldError::invalid(path.child("key"), key, m)));
    }
    errs
}

const ENV_FIELD_PATHS: [&str; 9] = [
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
];

/// Paths `ConvertDownwardAPIFieldLabel` accepts for v1 pods (a superset of ENV_FIELD_PATHS).
const POD_FIELD_LABELS: [&str; 14] = [
    "metadata.annotations",
    "metadata.labels",
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.restartPolicy",
    "spec.schedulerName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.hostIPs",
    "status.phase",
    "status.podIP",
    "status.podIPs",
];

const ENV_RESOURCE_FIELDS: [&str; 6] = [
    "limits.cpu",
    "limits.ephemeral-storage",
    "limits.memory",
    "requests.cpu",
    "requests.ephemeral-storage",
    "requests.memory",
];

/// `metadata.labels['key']` → (`metadata.labels`, `key`) (upstream: SplitMaybeSubscriptedPath).
fn split_subscript(path: &str) -> Option<(&str, &str)> {
    let inner = path.strip_suffix("']")?;
    let (base, key) = inner.split_once("['")?;
    Some((base, key))
}

fn validate_env(env: &[EnvVar], path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    for (i, ev) in env.iter().enumerate() {
        let p = path.index(i);
        if ev.name.is_empty() {
            errs.push(FieldError::required(p.child("name"), ""));
        } else {
            errs.extend(
                env_var_name_errors(&ev.name)
                    .into_iter()
                    .map(|m| FieldError::invalid(p.child("name"), ev.name.as_str(), m)),
            );
        }
        let Some(from) = &ev.value_from else { continue };
        let fp = p.child("valueFrom");
        let mut sources = 0;
        if let Some(f) = &from.field_ref {
            sources += 1;
            let fr = fp.child("fieldRef");
            if unset(&f.api_version) {
                errs.push(FieldError::required(fr.child("apiVersion"), ""));
            } else if f.field_path.is_empty() {
                errs.push(FieldError::required(fr.child("fieldPath"), ""));
            } else if f.api_version.as_deref() != Some("v1") {
                // unconfirmed upstream wording
                let msg = format!(
                    "error converting fieldPath: unsupported pod version: {}",
                    f.api_version.as_deref().unwrap_or("")
                );
                errs.push(FieldError::invalid(fr.child("fieldPath"), f.field_path.as_str(), msg));
            } else if let Some((base, key)) = split_subscript(&f.field_path) {
                match base {
                    "metadata.annotations" => errs.extend(
                        is_qualified_name(&key.to_lowercase())
                            .into_iter()
                            .map(|m| FieldError::invalid(fr.clone(), key.to_lowercase(), m)),
                    ),
                    "metadata.labels" => {
                        errs.extend(is_qualified_name(key).into_iter().map(|m| FieldError::invalid(fr.clone(), key, m)))
                    }
                    other => errs.push(FieldError::invalid(fr.clone(), other, "does not support subscript")),
                }
            } else if !POD_FIELD_LABELS.contains(&f.field_path.as_str()) {
                // unconfirmed upstream wording
                let msg = format!("error converting fieldPath: field label not supported: {}", f.field_path);
                errs.push(FieldError::invalid(fr.child("fieldPath"), f.field_path.as_str(), msg));
            } else if !ENV_FIELD_PATHS.contains(&f.field_path.as_str()) {
                errs.push(FieldError::not_supported(fr.child("fieldPath"), f.field_path.as_str(), &ENV_FIELD_PATHS));
            }
        }
        if let Some(r) = &from.resource_field_ref {
            sources += 1;
            let rp = fp.child("resourceFieldRef");
            if r.resource.is_empty() {
                errs.push(FieldError::required(rp.child("resource"), ""));
            } else if !ENV_RESOURCE_FIELDS.contains(&r.resource.as_str())
                && !r.resource.starts_with("requests.hugepages-")
                && !r.resource.starts_with("limits.hugepages-")
            {
                errs.push(FieldError::not_supported(rp.child("resource"), r.resource.as_str(), &ENV_RESOURCE_FIELDS));
            }
            errs.extend(validate_divisor(&r.resource, r.divisor.as_ref(), &rp));
        }
        if let Some(c) = &from.config_map_key_ref {
            sources += 1;
            errs.extend(validate_key_selector(&c.name, &c.key, &fp.child("configMapKeyRef")));
        }
        if let Some(s) = &from.secret_key_ref {
            sources += 1;
            errs.extend(validate_key_selector(&s.name, &s.key, &fp.child("secretKeyRef")));
        }
        if sources == 0 {
            errs.push(FieldError::invalid(
                fp,
                "",
                "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
            ));
        } else if !unset(&ev.value) {
            errs.push(FieldError::invalid(fp, "", "may not be specified when `value` is not empty"));
        } else if sources > 1 {
            errs.push(FieldError::invalid(fp, "", "may not have more than one field specified at a time"));
        }
    }
    errs
}

/// upstream: validateContainerResourceDivisor.
fn validate_divisor(resource: &str, divisor: Option<&Quantity>, path: &Path) -> ErrorList {
    let Some(d) = divisor.and_then(|d| ParsedQuantity::parse(&d.0).ok()).filter(|d| !d.is_zero()) else {
        return ErrorList::new();
    };
    let d = d.canonical();
    const MEMORY_LIKE: [&str; 13] = ["1", "1k", "1M", "1G", "1T", "1P", "1E", "1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei"];
    let msg = match resource {
        "limits.cpu" | "requests.cpu" if !["1m", "1"].contains(&d.as_str()) => "only divisor's values 1m and 1 are supported with the cpu resource",
        "limits.memory" | "requests.memory" if !MEMORY_LIKE.contains(&d.as_str()) => {
            "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the memory resource"
        }
        "limits.ephemeral-storage" | "requests.ephemeral-storage" if !MEMORY_LIKE.contains(&d.as_str()) => {
            "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the local ephemeral storage resource"
        }
        _ => return ErrorList::new(),
    };
    vec![FieldError::invalid(path.child("divisor"), resource, msg)]
}

fn validate_env_from(env_from: &[EnvFromSource], path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    for (i, ef) in env_from.iter().enumerate() {
        let p = path.index(i);
        if let Some(prefix) = ef.prefix.as_deref().filter(|s| !s.is_empty()) {
            errs.extend(
                env_var_name_errors(prefix).into_iter().map(|m| FieldError::invalid(p.child("prefix"), prefix, m)),
            );
        }
        let mut sources = 0;
        let mut check_name = |name: &str, sp: Path, errs: &mut ErrorList| {
            sources += 1;
            if name.is_empty() {
                errs.push(FieldError::required(sp.child("name"), ""));
            } else {
                // validated as a prefix (upstream passes prefix=true)
                errs.extend(
                    NameRule::Subdomain
                        .check(name, true)
                        .into_iter()
                        .map(|m| FieldError::invalid(sp.child("name"), name, m)),
                );
            }
        };
        if let Some(c) = &ef.config_map_ref {
            check_name(&c.name, p.child("configMapRef"), &mut errs);
        }
        if let Some(s) = &ef.secret_ref {
            check_name(&s.name, p.child("secretRef"), &mut errs);
        }
        if sources == 0 {
            errs.push(FieldError::invalid(path.clone(), "", "must specify one of: `configMapRef` or `secretRef`"));
        } else if sources > 1 {
            errs.push(FieldError::invalid(path.clone(), "", "may not have more than one field specified at a time"));
        }
    }
    errs
}

/// A resource name without a domain, or within `kubernetes.io` (upstream: IsNativeResource).
fn is_native_resource(name: &str) -> bool {
    !name.contains('/') || name.contains("kubernetes.io/")
}

/// upstream: IsExtendedResourceName — a domain-prefixed name outside `kubernetes.io` that is
/// still a qualified name once `requests.` is prepended.
fn is_extended_resource(name: &str) -> bool {
    !is_native_resource(name)
        && !name.starts_with("requests.")
        && is_qualified_name(&format!("requests.{name}")).is_empty()
}

/// upstream: IsOvercommitAllowed — only native, non-hugepage resources may have requests below limits.
fn is_overcommit_allowed(name: &str) -> bool {
    is_native_resource(name) && !name.starts_with("hugepages-")
}

/// upstream: IsStandardResourceName (the subset a container can meaningfully name; unconfirmed
/// that the list is complete).
fn is_standard_resource_name(name: &str) -> bool {
    let base = name.strip_prefix("requests.").or_else(|| name.strip_prefix("limits.")).unwrap_or(name);
    matches!(
        base,
        "cpu"
            | "memory"
            | "ephemeral-storage"
            | "storage"
            | "pods"
            | "services"
            | "replicationcontrollers"
            | "resourcequotas"
            | "secrets"
            | "configmaps"
            | "persistentvolumeclaims"
            | "services.nodeports"
            | "services.loadbalancers"
    ) || base.starts_with("hugepages-")
}

/// upstream: validateContainerResourceName (and validateResourceName before it).
fn validate_container_resource_name(name: &str, path: &Path) -> ErrorList {
    let mut errs: ErrorList =
        is_qualified_name(name).into_iter().map(|m| FieldError::invalid(path.clone(), name, m)).collect();
    if errs.is_empty() && !name.contains('/') && !is_standard_resource_name(name) {
        errs.push(FieldError::invalid(path.clone(), name, "must be a standard resource type or fully qualified"));
    }
    if !name.contains('/') {
        let container_standard =
            matches!(name, "cpu" | "memory" | "ephemeral-storage") || name.starts_with("hugepages-");
        if !container_standard {
            errs.push(FieldError::invalid(path.clone(), name, "must be a standard resource for containers"));
        }
    } else if !is_native_resource(name) && !is_extended_resource(name) {
        errs.push(FieldError::invalid(path.clone(), name, "doesn't follow extended resource name standard"));
    }
    errs
}

/// Parses one quantity of a resource list, reporting an unparseable one at `path`.
fn parse_quantity(q: &Quantity, path: &Path, errs: &mut ErrorList) -> Option<ParsedQuantity> {
    match ParsedQuantity::parse(&q.0) {
        Ok(p) => Some(p),
        Err(msg) => {
            errs.push(FieldError::invalid(path.clone(), q.0.as_str(), msg));
            None
        }
    }
}

/// upstream: ValidateResourceQuantityValue.
fn validate_quantity_value(name: &str, q: &ParsedQuantity, path: &Path, errs: &mut ErrorList) {
    if q.is_negative() {
        errs.push(FieldError::invalid(path.clone(), q.canonical(), IS_NEGATIVE));
    }
    if is_extended_resource(name) && !q.is_integer() {
        // unconfirmed upstream wording of the value (Go prints the Quantity struct)
        errs.push(FieldError::invalid(path.clone(), q.canonical(), "must be an integer"));
    }
}

/// upstream: ValidateResourceRequirements (container level).
fn validate_resources(r: Option<&ResourceRequirements>, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    let Some(r) = r else { return errs };
    let lim_path = path.child("limits");
    let req_path = path.child("requests");
    let mut has_cpu_or_memory = false;
    let mut has_hugepages = false;
    let mut limits = BTreeMap::new();
    for (name, q) in r.limits.iter().flatten() {
        let p = lim_path.key(name);
        errs.extend(validate_container_resource_name(name, &p));
        if let Some(parsed) = parse_quantity(q, &p, &mut errs) {
            validate_quantity_value(name, &parsed, &p, &mut errs);
            limits.insert(name.as_str(), parsed);
        }
        has_hugepages |= name.starts_with("hugepages-");
        has_cpu_or_memory |= name == "cpu" || name == "memory";
    }
    for (name, q) in r.requests.iter().flatten() {
        let p = req_path.key(name);
        errs.extend(validate_container_resource_name(name, &p));
        let parsed = parse_quantity(q, &p, &mut errs);
        if let Some(parsed) = &parsed {
            validate_quantity_value(name, parsed, &p, &mut errs);
        }
        let limit_given = r.limits.as_ref().is_some_and(|l| l.contains_key(name));
        match (parsed, limits.get(name.as_str())) {
            (Some(req), Some(lim)) => {
                let ord = req.cmp(lim);
                if ord != Ordering::Equal && !is_overcommit_allowed(name) {
                    errs.push(FieldError::invalid(
                        req_path.clone(),
                        req.canonical(),
                        format!("must be equal to {name} limit of {}", lim.canonical()),
                    ));
                } else if ord == Ordering::Greater {
                    errs.push(FieldError::invalid(
                        req_path.clone(),
                        req.canonical(),
                        format!("must be less than or equal to {name} limit of {}", lim.canonical()),
                    ));
                }
            }
            _ if !limit_given && !is_overcommit_allowed(name) => {
                errs.push(FieldError::required(lim_path.clone(), "Limit must be set for non overcommitable resources"));
            }
            _ => {}
        }
        has_hugepages |= name.starts_with("hugepages-");
        has_cpu_or_memory |= name == "cpu" || name == "memory";
    }
    if has_hugepages && !has_cpu_or_memory {
        errs.push(FieldError::forbidden(path.clone(), "HugePages require cpu or memory"));
    }
    errs
}

fn validate_http_get(h: &HTTPGetAction, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    if unset(&h.path) {
        errs.push(FieldError::required(path.child("path"), ""));
    }
    errs.extend(validate_port_num_or_name(&h.port, &path.child("port")));
    let scheme = h.scheme.as_deref().unwrap_or("");
    if !matches!(scheme, "HTTP" | "HTTPS") {
        errs.push(FieldError::not_supported(path.child("scheme"), scheme, &["HTTP", "HTTPS"]));
    }
    for header in h.http_headers.iter().flatten() {
        let ok = !header.name.is_empty() && header.name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-');
        if !ok {
            let msg = regex_error(
                "a valid HTTP header must consist of alphanumeric characters or '-'",
                "[-A-Za-z0-9]+",
                &["X-Header-Name"],
            );
            errs.push(FieldError::invalid(path.child("httpHeaders"), header.name.as_str(), msg));
        }
    }
    errs
}

/// The handler parts of a probe or lifecycle hook, in upstream's checking order.
struct Handler<'a> {
    exec: Option<&'a Option<Vec<String>>>,
    http_get: Option<&'a HTTPGetAction>,
    tcp_port: Option<&'a IntOrString>,
    grpc_port: Option<i32>,
    sleep_seconds: Option<i64>,
}

/// upstream: validateHandler — exactly one handler type.
fn validate_handler(h: Handler<'_>, grace: Option<i64>, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    let mut n = 0;
    let mut one = |name: &str, errs: &mut ErrorList| -> bool {
        if n > 0 {
            errs.push(FieldError::forbidden(path.child(name), "may not specify more than 1 handler type"));
            false
        } else {
            n += 1;
            true
        }
    };
    if let Some(cmd) = h.exec {
        if one("exec", &mut errs) && cmd.as_ref().is_none_or(Vec::is_empty) {
            errs.push(FieldError::required(path.child("exec").child("command"), ""));
        }
    }
    if let Some(g) = h.http_get {
        if one("httpGet", &mut errs) {
            errs.extend(validate_http_get(g, &path.child("httpGet")));
        }
    }
    if let Some(port) = h.tcp_port {
        if one("tcpSocket", &mut errs) {
            errs.extend(validate_port_num_or_name(port, &path.child("tcpSocket").child("port")));
        }
    }
    if let Some(port) = h.grpc_port {
        if one("grpc", &mut errs) {
            errs.extend(validate_port_num_or_name(&IntOrString::Int(port), &path.child("grpc").child("port")));
        }
    }
    if let Some(secs) = h.sleep_seconds {
        if one("sleep", &mut errs) {
            // PodLifecycleSleepActionAllowZero is on in v1.33 (unconfirmed): 0 is allowed.
            if let Some(g) = grace.filter(|&g| secs < 0 || secs > g) {
                errs.push(FieldError::invalid(
                    path.child("sleep"),
                    secs,
                    format!("must be non-negative and less than terminationGracePeriodSeconds ({g})"),
                ));
            }
        }
    }
    if n == 0 {
        errs.push(FieldError::required(path.clone(), "must specify a handler type"));
    }
    errs
}

fn lifecycle_handler(h: &LifecycleHandler) -> Handler<'_> {
    Handler {
        exec: h.exec.as_ref().map(|e| &e.command),
        http_get: h.http_get.as_ref(),
        tcp_port: h.tcp_socket.as_ref().map(|t| &t.port),
        grpc_port: None,
        sleep_seconds: h.sleep.as_ref().map(|s| s.seconds),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ProbeKind {
    Liveness,
    Readiness,
    Startup,
}

/// upstream: validateProbe plus the liveness/readiness/startup specifics.
fn validate_probe(p: &Probe, kind: ProbeKind, grace: Option<i64>, path: &Path) -> ErrorList {
    let handler = Handler {
        exec: p.exec.as_ref().map(|e| &e.command),
        http_get: p.http_get.as_ref(),
        tcp_port: p.tcp_socket.as_ref().map(|t| &t.port),
        grpc_port: p.grpc.as_ref().map(|g| g.port),
        sleep_seconds: None,
    };
    let mut errs = validate_handler(handler, grace, path);
    for (field, v) in [
        ("initialDelaySeconds", p.initial_delay_seconds),
        ("timeoutSeconds", p.timeout_seconds),
        ("periodSeconds", p.period_seconds),
        ("successThreshold", p.success_threshold),
        ("failureThreshold", p.failure_threshold),
    ] {
        errs.extend(nonnegative(v.unwrap_or(0) as i64, path.child(field)));
    }
    if let Some(t) = p.termination_grace_period_seconds.filter(|&t| t <= 0) {
        errs.push(FieldError::invalid(path.child("terminationGracePeriodSeconds"), t, "must be greater than 0"));
    }
    match kind {
        ProbeKind::Liveness | ProbeKind::Startup => {
            let s = p.success_threshold.unwrap_or(0);
            if s != 1 {
                errs.push(FieldError::invalid(path.child("successThreshold"), s, "must be 1"));
            }
        }
        ProbeKind::Readiness => {
            if let Some(t) = p.termination_grace_period_seconds {
                errs.push(FieldError::invalid(
                    path.child("terminationGracePeriodSeconds"),
                    t,
                    "must not be set for readinessProbes",
                ));
            }
        }
    }
    errs
}

/// Probes and lifecycle hooks of a regular container or a sidecar.
fn validate_probes_and_lifecycle(c: &Container, grace: Option<i64>, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    if let Some(l) = &c.lifecycle {
        let lp = path.child("lifecycle");
        if let Some(h) = &l.post_start {
            errs.extend(validate_handler(lifecycle_handler(h), grace, &lp.child("postStart")));
        }
        if let Some(h) = &l.pre_stop {
            errs.extend(validate_handler(lifecycle_handler(h), grace, &lp.child("preStop")));
        }
    }
    for (probe, kind, field) in [
        (&c.liveness_probe, ProbeKind::Liveness, "livenessProbe"),
        (&c.readiness_probe, ProbeKind::Readiness, "readinessProbe"),
        (&c.startup_probe, ProbeKind::Startup, "startupProbe"),
    ] {
        if let Some(p) = probe {
            errs.extend(validate_probe(p, kind, grace, &path.child(field)));
        }
    }
    errs
}

/// upstream: validateContainerCommon (volume mounts, resize policy and security context are not
/// checked by kubesim).
fn validate_container_common(c: &Container, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    if c.name.is_empty() {
        errs.push(FieldError::required(path.child("name"), ""));
    } else {
        errs.extend(
            is_dns1123_label(&c.name).into_iter().map(|m| FieldError::invalid(path.child("name"), c.name.as_str(), m)),
        );
    }
    if unset(&c.image) {
        errs.push(FieldError::required(path.child("image"), ""));
    }
    match c.termination_message_policy.as_deref() {
        None | Some("") => errs.push(FieldError::required(path.child("terminationMessagePolicy"), "")),
        Some("File" | "FallbackToLogsOnError") => {}
        Some(other) => errs.push(FieldError::not_supported(
            path.child("terminationMessagePolicy"),
            other,
            &["File", "FallbackToLogsOnError"],
        )),
    }
    errs.extend(validate_container_ports(c.ports.as_deref().unwrap_or(&[]), &path.child("ports")));
    errs.extend(validate_env(c.env.as_deref().unwrap_or(&[]), &path.child("env")));
    errs.extend(validate_env_from(c.env_from.as_deref().unwrap_or(&[]), &path.child("envFrom")));
    match c.image_pull_policy.as_deref() {
        None | Some("") => errs.push(FieldError::required(path.child("imagePullPolicy"), "")),
        Some("Always" | "IfNotPresent" | "Never") => {}
        Some(other) => errs.push(FieldError::not_supported(
            path.child("imagePullPolicy"),
            other,
            &["Always", "IfNotPresent", "Never"],
        )),
    }
    errs.extend(validate_resources(c.resources.as_ref(), &path.child("resources")));
    errs
}

fn validate_containers(spec: &PodSpec, grace: Option<i64>, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    let cpath = path.child("containers");
    if spec.containers.is_empty() {
        errs.push(FieldError::required(cpath, ""));
        return errs;
    }
    let mut names = BTreeSet::new();
    for (i, c) in spec.containers.iter().enumerate() {
        let p = cpath.index(i);
        errs.extend(validate_container_common(c, &p));
        if !names.insert(c.name.as_str()) {
            errs.push(FieldError::duplicate(p.child("name"), c.name.as_str()));
        }
        errs.extend(validate_probes_and_lifecycle(c, grace, &p));
        if c.restart_policy.is_some() {
            errs.push(FieldError::forbidden(p.child("restartPolicy"), "may not be set for non-init containers"));
        }
    }
    let all: Vec<&Container> = spec.containers.iter().collect();
    errs.extend(host_port_conflicts(&all, &cpath));
    errs
}

fn validate_init_containers(spec: &PodSpec, grace: Option<i64>, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    let ipath = path.child("initContainers");
    let mut names: BTreeSet<&str> = spec.containers.iter().map(|c| c.name.as_str()).collect();
    for (i, c) in spec.init_containers.iter().flatten().enumerate() {
        let p = ipath.index(i);
        errs.extend(validate_container_common(c, &p));
        let mut restart_always = false;
        if let Some(rp) = c.restart_policy.as_deref() {
            if rp == "Always" {
                restart_always = true;
            } else {
                errs.push(FieldError::not_supported(p.child("restartPolicy"), rp, &["Always"]));
            }
        }
        if names.contains(c.name.as_str()) {
            errs.push(FieldError::duplicate(p.child("name"), c.name.as_str()));
        } else if !c.name.is_empty() {
            names.insert(c.name.as_str());
        }
        // upstream checks each init container on its own, so the path always says [0].
        errs.extend(host_port_conflicts(&[c], &ipath));
        if restart_always {
            errs.extend(validate_probes_and_lifecycle(c, grace, &p));
        } else {
            for (present, field) in [
                (c.lifecycle.is_some(), "lifecycle"),
                (c.liveness_probe.is_some(), "livenessProbe"),
                (c.readiness_probe.is_some(), "readinessProbe"),
                (c.startup_probe.is_some(), "startupProbe"),
            ] {
                if present {
                    errs.push(FieldError::forbidden(
                        p.child(field),
                        "may not be set for init containers without restartPolicy=Always",
                    ));
                }
            }
        }
    }
    errs
}

fn validate_volumes(volumes: &[Volume], path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    let mut names = BTreeSet::new();
    for (i, v) in volumes.iter().enumerate() {
        let p = path.index(i);
        let mut el = ErrorList::new();
        let has_source = serde_json::to_value(v)
            .ok()
            .and_then(|j| j.as_object().map(|o| o.keys().any(|k| k != "name")))
            .unwrap_or(true);
        if !has_source {
            el.push(FieldError::required(p.clone(), "must specify a volume type"));
        }
        if v.name.is_empty() {
            el.push(FieldError::required(p.child("name"), ""));
        } else {
            el.extend(
                is_dns1123_label(&v.name).into_iter().map(|m| FieldError::invalid(p.child("name"), v.name.as_str(), m)),
            );
        }
        if names.contains(v.name.as_str()) {
            el.push(FieldError::duplicate(p.child("name"), v.name.as_str()));
        }
        if el.is_empty() {
            names.insert(v.name.as_str());
        }
        errs.extend(el);
    }
    errs
}

fn validate_tolerations(tolerations: &[Toleration], path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    for (i, t) in tolerations.iter().enumerate() {
        let p = path.index(i);
        let key = t.key.as_deref().unwrap_or("");
        let op = t.operator.as_deref().unwrap_or("");
        let value = t.value.as_deref().unwrap_or("");
        let effect = t.effect.as_deref().unwrap_or("");
        if !key.is_empty() {
            errs.extend(is_qualified_name(key).into_iter().map(|m| FieldError::invalid(p.child("key"), key, m)));
        }
        if key.is_empty() && op != "Exists" {
            errs.push(FieldError::invalid(
                p.child("operator"),
                op,
                "operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
            ));
        }
        if t.toleration_seconds.is_some() && effect != "NoExecute" {
            errs.push(FieldError::invalid(
                p.child("effect"),
                effect,
                "effect must be 'NoExecute' when `tolerationSeconds` is set",
            ));
        }
        match op {
            "Equal" | "" => {
                let msgs = is_valid_label_value(value);
                if !msgs.is_empty() {
                    errs.push(FieldError::invalid(p.child("operator"), value, msgs.join(";")));
                }
            }
            "Exists" => {
                if !value.is_empty() {
                    errs.push(FieldError::invalid(
                        p.child("operator"),
                        value,
                        "value must be empty when `operator` is 'Exists'",
                    ));
                }
            }
            other => errs.push(FieldError::not_supported(p.child("operator"), other, &["Equal", "Exists"])),
        }
        if !effect.is_empty() && !matches!(effect, "NoSchedule" | "PreferNoSchedule" | "NoExecute") {
            errs.push(FieldError::not_supported(
                p.child("effect"),
                effect,
                &["NoSchedule", "PreferNoSchedule", "NoExecute"],
            ));
        }
    }
    errs
}

fn name_field(errs: &mut ErrorList, value: &Option<String>, path: Path) {
    if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
        errs.extend(is_dns1123_subdomain(v).into_iter().map(|m| FieldError::invalid(path.clone(), v, m)));
    }
}

fn label_field(errs: &mut ErrorList, value: &Option<String>, path: Path) {
    if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
        errs.extend(is_dns1123_label(v).into_iter().map(|m| FieldError::invalid(path.clone(), v, m)));
    }
}

/// upstream: ValidatePodSpec. `is_pod` is PodValidationOptions.ResourceIsPod.
fn validate_pod_spec_for(spec: &PodSpec, path: &Path, is_pod: bool) -> ErrorList {
    let mut errs = ErrorList::new();
    if spec.termination_grace_period_seconds.is_none() {
        errs.push(FieldError::required(path.child("terminationGracePeriodSeconds"), ""));
    }
    let grace = spec.termination_grace_period_seconds;
    errs.extend(validate_volumes(spec.volumes.as_deref().unwrap_or(&[]), &path.child("volumes")));
    errs.extend(validate_containers(spec, grace, path));
    errs.extend(validate_init_containers(spec, grace, path));

    if spec.host_network == Some(true) {
        for (i, c) in spec.containers.iter().enumerate() {
            for (j, port) in c.ports.iter().flatten().enumerate() {
                let hp = port.host_port.unwrap_or(0);
                if (is_pod || hp != 0) && hp != port.container_port {
                    let p = path.child("containers").index(i).child("ports").index(j).child("hostPort");
                    errs.push(FieldError::invalid(p, hp, "must match `containerPort` when `hostNetwork` is true"));
                }
            }
        }
    }
    match spec.restart_policy.as_deref() {
        None | Some("") => errs.push(FieldError::required(path.child("restartPolicy"), "")),
        Some("Always" | "OnFailure" | "Never") => {}
        Some(other) => {
            errs.push(FieldError::not_supported(path.child("restartPolicy"), other, &["Always", "OnFailure", "Never"]))
        }
    }
    let dns_policy = spec.dns_policy.as_deref().unwrap_or("");
    match dns_policy {
        "" => errs.push(FieldError::required(path.child("dnsPolicy"), "")),
        "ClusterFirstWithHostNet" | "ClusterFirst" | "Default" | "None" => {}
        other => errs.push(FieldError::not_supported(
            path.child("dnsPolicy"),
            other,
            &["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"],
        )),
    }
    errs.extend(validate_labels(spec.node_selector.as_ref(), &path.child("nodeSelector")));
    if dns_policy == "None" {
        match &spec.dns_config {
            None => errs.push(FieldError::required(
                path.child("dnsConfig"),
                "must provide `dnsConfig` when `dnsPolicy` is None",
            )),
            Some(c) if c.nameservers.as_ref().is_none_or(Vec::is_empty) => errs.push(FieldError::required(
                path.child("dnsConfig").child("nameservers"),
                "must provide at least one DNS nameserver when `dnsPolicy` is None",
            )),
            Some(_) => {}
        }
    }
    name_field(&mut errs, &spec.service_account_name, path.child("serviceAccountName"));
    name_field(&mut errs, &spec.node_name, path.child("nodeName"));
    if let Some(v) = spec.active_deadline_seconds.filter(|&v| !(1..=i32::MAX as i64).contains(&v)) {
        errs.push(FieldError::invalid(
            path.child("activeDeadlineSeconds"),
            v,
            "must be between 1 and 2147483647, inclusive",
        ));
    }
    label_field(&mut errs, &spec.hostname, path.child("hostname"));
    label_field(&mut errs, &spec.subdomain, path.child("subdomain"));
    errs.extend(validate_tolerations(spec.tolerations.as_deref().unwrap_or(&[]), &path.child("tolerations")));
    name_field(&mut errs, &spec.priority_class_name, path.child("priorityClassName"));
    if let Some(pp) = spec.preemption_policy.as_deref() {
        match pp {
            "" => errs.push(FieldError::required(path.child("preemptionPolicy"), "")),
            "PreemptLowerPriority" | "Never" => {}
            other => errs.push(FieldError::not_supported(
                path.child("preemptionPolicy"),
                other,
                &["PreemptLowerPriority", "Never"],
            )),
        }
    }
    errs
}

/// Validates a pod spec as it appears in a pod template (Deployment, ReplicaSet). For a Pod use
/// [`validate_pod`], which adds the pod-only checks.
pub fn validate_pod_spec(spec: &PodSpec, path: &Path) -> ErrorList {
    validate_pod_spec_for(spec, path, false)
}

/// upstream: ValidatePodSpecificAnnotations — the part kubesim models (pod deletion cost).
fn validate_pod_annotations(annotations: Option<&BTreeMap<String, String>>, path: &Path) -> ErrorList {
    const DELETION_COST: &str = "controller.kubernetes.io/pod-deletion-cost";
    let Some(v) = annotations.and_then(|a| a.get(DELETION_COST)) else {
        return ErrorList::new();
    };
    // No `+` sign and no leading zeros (GetDeletionCostFromPodAnnotations).
    let first_ok = v.starts_with('-') || v == "0" || v.as_bytes().first().is_some_and(|c| (b'1'..=b'9').contains(c));
    if first_ok && v.parse::<i32>().is_ok() {
        ErrorList::new()
    } else {
        vec![FieldError::invalid(path.key(DELETION_COST), v.as_str(), "must be a 32bit integer")]
    }
}

/// upstream: ValidatePodCreate — metadata, spec, and the checks that apply to Pods but not to
/// pod templates.
pub fn validate_pod(pod: &Pod) -> ErrorList {
    let meta_path = Path::root("metadata");
    let spec_path = Path::root("spec");
    let mut errs = validate_object_meta(&pod.metadata, true, NameRule::Subdomain, &meta_path);
    errs.extend(validate_pod_annotations(pod.metadata.annotations.as_ref(), &meta_path.child("annotations")));
    let default_spec = PodSpec::default();
    let spec = pod.spec.as_ref().unwrap_or(&default_spec);
    errs.extend(validate_pod_spec_for(spec, &spec_path, true));
    for (field, list) in [("containers", Some(&spec.containers)), ("initContainers", spec.init_containers.as_ref())] {
        for (i, c) in list.into_iter().flatten().enumerate() {
            let image = c.image.as_deref().unwrap_or("");
            if image.len() != image.trim().len() {
                let p = spec_path.child(field).index(i).child("image");
                errs.push(FieldError::invalid(p, image, "must not have leading or trailing whitespace"));
            }
        }
    }
    if spec.ephemeral_containers.as_ref().is_some_and(|e| !e.is_empty()) {
        // unconfirmed upstream wording
        errs.push(FieldError::forbidden(spec_path.child("ephemeralContainers"), "cannot be set on create"));
    }
    errs
}

// ---------------------------------------------------------------------------------------------
// apps/v1: Deployment, ReplicaSet
// ---------------------------------------------------------------------------------------------

/// upstream: ValidatePodTemplateSpecForReplicaSet (used by Deployments too).
fn validate_template_for_replica_set(t: &PodTemplateSpec, selector: &WorkloadSelector<'_>, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    let labels = t.metadata.as_ref().and_then(|m| m.labels.as_ref());
    let annotations = t.metadata.as_ref().and_then(|m| m.annotations.as_ref());
    if !matches!(selector, WorkloadSelector::Everything) && !selector.matches(labels) {
        errs.push(FieldError::invalid(
            path.child("metadata").child("labels"),
            Value::Raw(go_string_map(labels)),
            "`selector` does not match template `labels`",
        ));
    }
    // upstream: ValidatePodTemplateSpec — note `template.labels`, not `template.metadata.labels`.
    errs.extend(validate_labels(labels, &path.child("labels")));
    errs.extend(validate_annotations(annotations, &path.child("annotations")));
    errs.extend(validate_pod_annotations(annotations, &path.child("annotations")));
    let default_spec = PodSpec::default();
    let spec = t.spec.as_ref().unwrap_or(&default_spec);
    let spec_path = path.child("spec");
    errs.extend(validate_pod_spec(spec, &spec_path));
    if spec.ephemeral_containers.as_ref().is_some_and(|e| !e.is_empty()) {
        errs.push(FieldError::forbidden(
            spec_path.child("ephemeralContainers"),
            "ephemeral containers not allowed in pod template",
        ));
    }
    let restart = spec.restart_policy.as_deref().unwrap_or("");
    if restart != "Always" {
        errs.push(FieldError::not_supported(spec_path.child("restartPolicy"), restart, &["Always"]));
    }
    if spec.active_deadline_seconds.is_some() {
        errs.push(FieldError::forbidden(
            spec_path.child("activeDeadlineSeconds"),
            "activeDeadlineSeconds in ReplicaSet is not Supported",
        ));
    }
    errs
}

/// upstream: validation.IsValidPercent.
fn percent_errors(s: &str) -> Vec<String> {
    let ok = s.strip_suffix('%').is_some_and(|d| !d.is_empty() && d.bytes().all(|c| c.is_ascii_digit()));
    if ok {
        vec![]
    } else {
        vec![regex_error(
            "a valid percent string must be a numeric string followed by an ending '%'",
            "[0-9]+%",
            &["1%", "93%"],
        )]
    }
}

/// upstream: getPercentValue.
fn percent_value(v: &IntOrString) -> Option<i64> {
    match v {
        IntOrString::String(s) if percent_errors(s).is_empty() => {
            Some(s.trim_end_matches('%').parse().unwrap_or(i64::MAX))
        }
        _ => None,
    }
}

/// upstream: getIntOrPercentValue (a non-percent string goes through Atoi, failing to 0).
fn int_or_percent_value(v: &IntOrString) -> i64 {
    percent_value(v).unwrap_or(match v {
        IntOrString::Int(i) => *i as i64,
        IntOrString::String(s) => s.parse().unwrap_or(0),
    })
}

/// upstream: ValidatePositiveIntOrPercent.
fn validate_positive_int_or_percent(v: &IntOrString, path: &Path) -> ErrorList {
    match v {
        IntOrString::String(s) => percent_errors(s)
            .into_iter()
            .map(|m| FieldError::invalid(path.clone(), Value::Raw(go_int_or_string(v)), m))
            .collect(),
        IntOrString::Int(i) => nonnegative(*i as i64, path.clone()).into_iter().collect(),
    }
}

/// upstream: ValidateRollingUpdateDeployment. A missing field is Go's zero value, `0`.
fn validate_rolling_update(ru: &RollingUpdateDeployment, path: &Path) -> ErrorList {
    let zero = IntOrString::Int(0);
    let max_unavailable = ru.max_unavailable.as_ref().unwrap_or(&zero);
    let max_surge = ru.max_surge.as_ref().unwrap_or(&zero);
    let mu_path = path.child("maxUnavailable");
    let mut errs = validate_positive_int_or_percent(max_unavailable, &mu_path);
    errs.extend(validate_positive_int_or_percent(max_surge, &path.child("maxSurge")));
    if int_or_percent_value(max_unavailable) == 0 && int_or_percent_value(max_surge) == 0 {
        errs.push(FieldError::invalid(
            mu_path.clone(),
            Value::Raw(go_int_or_string(max_unavailable)),
            "may not be 0 when `maxSurge` is 0",
        ));
    }
    if percent_value(max_unavailable).is_some_and(|p| p > 100) {
        errs.push(FieldError::invalid(
            mu_path,
            Value::Raw(go_int_or_string(max_unavailable)),
            "must not be greater than 100%",
        ));
    }
    errs
}

/// The internal `apps.DeploymentStrategy` as `%#v` prints it.
fn go_deployment_strategy(s: Option<&DeploymentStrategy>) -> String {
    let t = s.and_then(|s| s.type_.as_deref()).unwrap_or("");
    // unconfirmed upstream wording: Go prints the pointer's address, which is arbitrary
    let ru = if s.is_some_and(|s| s.rolling_update.is_some()) { "0xc000000000" } else { "nil" };
    format!("apps.DeploymentStrategy{{Type:{}, RollingUpdate:(*apps.RollingUpdateDeployment)({ru})}}", go_quote(t))
}

/// upstream: ValidateDeploymentStrategy.
fn validate_deployment_strategy(s: Option<&DeploymentStrategy>, path: &Path) -> ErrorList {
    let rolling_update = s.and_then(|s| s.rolling_update.as_ref());
    match s.and_then(|s| s.type_.as_deref()).unwrap_or("") {
        "Recreate" => match rolling_update {
            Some(_) => vec![FieldError::forbidden(
                path.child("rollingUpdate"),
                "may not be specified when strategy `type` is 'Recreate'",
            )],
            None => vec![],
        },
        "RollingUpdate" => match rolling_update {
            None => {
                vec![FieldError::required(path.child("rollingUpdate"), "this should be defaulted and never be nil")]
            }
            Some(ru) => validate_rolling_update(ru, &path.child("rollingUpdate")),
        },
        _ => vec![FieldError::not_supported(
            path.clone(),
            Value::Raw(go_deployment_strategy(s)),
            &["Recreate", "RollingUpdate"],
        )],
    }
}

/// upstream: ValidateDeployment (create).
pub fn validate_deployment(d: &Deployment) -> ErrorList {
    let mut errs = validate_object_meta(&d.metadata, true, NameRule::Subdomain, &Path::root("metadata"));
    let default_spec = DeploymentSpec::default();
    let spec = d.spec.as_ref().unwrap_or(&default_spec);
    let p = Path::root("spec");
    errs.extend(nonnegative(spec.replicas.unwrap_or(0) as i64, p.child("replicas")));
    if let Some(selector) = validate_workload_selector(&spec.selector, &p, &mut errs) {
        errs.extend(validate_template_for_replica_set(&spec.template, &selector, &p.child("template")));
    }
    errs.extend(validate_deployment_strategy(spec.strategy.as_ref(), &p.child("strategy")));
    let min_ready = spec.min_ready_seconds.unwrap_or(0);
    errs.extend(nonnegative(min_ready as i64, p.child("minReadySeconds")));
    if let Some(limit) = spec.revision_history_limit {
        errs.extend(nonnegative(limit as i64, p.child("revisionHistoryLimit")));
    }
    if let Some(deadline) = spec.progress_deadline_seconds {
        errs.extend(nonnegative(deadline as i64, p.child("progressDeadlineSeconds")));
        if deadline <= min_ready {
            errs.push(FieldError::invalid(
                p.child("progressDeadlineSeconds"),
                deadline,
                "must be greater than minReadySeconds",
            ));
        }
    }
    errs
}

/// upstream: ValidateReplicaSet (create).
pub fn validate_replica_set(rs: &ReplicaSet) -> ErrorList {
    let mut errs = validate_object_meta(&rs.metadata, true, NameRule::Subdomain, &Path::root("metadata"));
    let default_spec = ReplicaSetSpec::default();
    let spec = rs.spec.as_ref().unwrap_or(&default_spec);
    let p = Path::root("spec");
    errs.extend(nonnegative(spec.replicas.unwrap_or(0) as i64, p.child("replicas")));
    errs.extend(nonnegative(spec.min_ready_seconds.unwrap_or(0) as i64, p.child("minReadySeconds")));
    if let Some(selector) = validate_workload_selector(&spec.selector, &p, &mut errs) {
        let default_template = PodTemplateSpec::default();
        let template = spec.template.as_ref().unwrap_or(&default_template);
        errs.extend(validate_template_for_replica_set(template, &selector, &p.child("template")));
    }
    errs
}

// ---------------------------------------------------------------------------------------------
// autoscaling/v2: HorizontalPodAutoscaler
// ---------------------------------------------------------------------------------------------

/// upstream: path.IsValidPathSegmentName.
fn path_segment_errors(name: &str) -> Vec<String> {
    if name == "." || name == ".." {
        return vec![format!("may not be '{name}'")];
    }
    ["/", "%"].iter().filter(|c| name.contains(**c)).map(|c| format!("may not contain '{c}'")).collect()
}

fn validate_cross_version_ref(r: &CrossVersionObjectReference, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    for (field, v) in [("kind", &r.kind), ("name", &r.name)] {
        if v.is_empty() {
            errs.push(FieldError::required(path.child(field), ""));
        } else {
            errs.extend(
                path_segment_errors(v).into_iter().map(|m| FieldError::invalid(path.child(field), v.as_str(), m)),
            );
        }
    }
    errs
}

fn validate_metric_identifier(id: &MetricIdentifier, path: &Path) -> ErrorList {
    if id.name.is_empty() {
        return vec![FieldError::required(path.child("name"), "must specify a metric name")];
    }
    path_segment_errors(&id.name)
        .into_iter()
        .map(|m| FieldError::invalid(path.child("name"), id.name.as_str(), m))
        .collect()
}

/// upstream: validateMetricTarget.
fn validate_metric_target(t: &MetricTarget, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    if t.type_.is_empty() {
        errs.push(FieldError::required(path.child("type"), "must specify a metric target type"));
    }
    if !matches!(t.type_.as_str(), "Utilization" | "Value" | "AverageValue") {
        errs.push(FieldError::invalid(
            path.child("type"),
            t.type_.as_str(),
            "must be either Utilization, Value, or AverageValue",
        ));
    }
    for (field, q) in [("value", &t.value), ("averageValue", &t.average_value)] {
        let Some(q) = q else { continue };
        let p = path.child(field);
        match ParsedQuantity::parse(&q.0) {
            Err(msg) => errs.push(FieldError::invalid(p, q.0.as_str(), msg)),
            // unconfirmed upstream wording of the value (Go prints the Quantity struct)
            Ok(v) if v.is_negative() || v.is_zero() => {
                errs.push(FieldError::invalid(p, v.canonical(), "must be positive"))
            }
            Ok(_) => {}
        }
    }
    if let Some(u) = t.average_utilization.filter(|&u| u < 1) {
        errs.push(FieldError::invalid(path.child("averageUtilization"), u, "must be greater than 0"));
    }
    errs
}

/// Resource and ContainerResource sources need exactly one of utilization and raw value.
fn utilization_or_value(t: &MetricTarget, path: &Path) -> ErrorList {
    let tp = path.child("target");
    match (t.average_utilization.is_some(), t.average_value.is_some()) {
        (false, false) => vec![FieldError::required(
            tp.child("averageUtilization"),
            "must set either a target raw value or a target utilization",
        )],
        (true, true) => vec![FieldError::forbidden(
            tp.child("averageValue"),
            "may not set both a target raw value and a target utilization",
        )],
        _ => vec![],
    }
}

const METRIC_SOURCE_TYPES: [&str; 5] = ["ContainerResource", "External", "Object", "Pods", "Resource"];

/// upstream: validateMetricSpec.
fn validate_metric_spec(m: &MetricSpec, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    if m.type_.is_empty() {
        errs.push(FieldError::required(path.child("type"), "must specify a metric source type"));
    }
    if !METRIC_SOURCE_TYPES.contains(&m.type_.as_str()) {
        errs.push(FieldError::not_supported(path.child("type"), m.type_.as_str(), &METRIC_SOURCE_TYPES));
    }
    // Only the first source present is validated in depth.
    let mut present: Vec<&str> = Vec::new();
    if let Some(o) = &m.object {
        present.push("object");
        let p = path.child("object");
        errs.extend(validate_cross_version_ref(&o.described_object, &p.child("describedObject")));
        errs.extend(validate_metric_identifier(&o.metric, &p.child("metric")));
        errs.extend(validate_metric_target(&o.target, &p.child("target")));
        if o.target.value.is_none() && o.target.average_value.is_none() {
            errs.push(FieldError::required(
                p.child("target").child("averageValue"),
                "must set either a target value or averageValue",
            ));
        }
    }
    if let Some(e) = &m.external {
        present.push("external");
        if present.len() == 1 {
            let p = path.child("external");
            errs.extend(validate_metric_identifier(&e.metric, &p.child("metric")));
            errs.extend(validate_metric_target(&e.target, &p.child("target")));
            let tp = p.child("target");
            match (e.target.value.is_some(), e.target.average_value.is_some()) {
                (false, false) => errs.push(FieldError::required(
                    tp.child("averageValue"),
                    "must set either a target value for metric or a per-pod target",
                )),
                (true, true) => errs.push(FieldError::forbidden(
                    tp.child("value"),
                    "may not set both a target value for metric and a per-pod target",
                )),
                _ => {}
            }
        }
    }
    if let Some(pods) = &m.pods {
        present.push("pods");
        if present.len() == 1 {
            let p = path.child("pods");
            errs.extend(validate_metric_identifier(&pods.metric, &p.child("metric")));
            errs.extend(validate_metric_target(&pods.target, &p.child("target")));
            if pods.target.average_value.is_none() {
                errs.push(FieldError::required(
                    p.child("target").child("averageValue"),
                    "must specify a positive target averageValue",
                ));
            }
        }
    }
    if let Some(r) = &m.resource {
        present.push("resource");
        if present.len() == 1 {
            let p = path.child("resource");
            if r.name.is_empty() {
                errs.push(FieldError::required(p.child("name"), "must specify a resource name"));
            }
            errs.extend(validate_metric_target(&r.target, &p.child("target")));
            errs.extend(utilization_or_value(&r.target, &p));
        }
    }
    if let Some(c) = &m.container_resource {
        present.push("containerResource");
        if present.len() == 1 {
            let p = path.child("containerResource");
            if c.name.is_empty() {
                errs.push(FieldError::required(p.child("name"), "must specify a resource name"));
            } else {
                errs.extend(validate_container_resource_name(&c.name, &p.child("name")));
            }
            if c.container.is_empty() {
                errs.push(FieldError::required(p.child("container"), "must specify a container"));
            } else {
                errs.extend(
                    is_dns1123_label(&c.container)
                        .into_iter()
                        .map(|msg| FieldError::invalid(p.child("container"), c.container.as_str(), msg)),
                );
            }
            errs.extend(validate_metric_target(&c.target, &p.child("target")));
            errs.extend(utilization_or_value(&c.target, &p));
        }
    }
    let expected = match m.type_.as_str() {
        "Object" => Some(("object", m.object.is_some())),
        "Pods" => Some(("pods", m.pods.is_some())),
        "Resource" => Some(("resource", m.resource.is_some())),
        "External" => Some(("external", m.external.is_some())),
        "ContainerResource" => Some(("containerResource", m.container_resource.is_some())),
        _ => None,
    };
    match expected {
        Some((field, false)) => {
            errs.push(FieldError::required(path.child(field), "must populate information for the given metric source"))
        }
        Some(_) => {}
        // upstream reports an unknown type twice
        None => errs.push(FieldError::not_supported(path.child("type"), m.type_.as_str(), &METRIC_SOURCE_TYPES)),
    }
    if present.len() > 1 {
        let mut others: Vec<&str> = present.into_iter().filter(|f| Some(*f) != expected.map(|e| e.0)).collect();
        others.sort_unstable();
        for f in others {
            errs.push(FieldError::forbidden(path.child(f), "must populate the given metric source only"));
        }
    }
    errs
}

/// upstream: MaxStabilizationWindowSeconds, MaxPeriodSeconds.
const MAX_STABILIZATION_WINDOW_SECONDS: i32 = 3600;
const MAX_PERIOD_SECONDS: i32 = 1800;

/// upstream: validateScalingRules.
fn validate_scaling_rules(rules: &HPAScalingRules, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    if let Some(w) = rules.stabilization_window_seconds {
        if w < 0 {
            errs.push(FieldError::invalid(
                path.child("stabilizationWindowSeconds"),
                w,
                "must be greater than or equal to zero",
            ));
        }
        if w > MAX_STABILIZATION_WINDOW_SECONDS {
            errs.push(FieldError::invalid(
                path.child("stabilizationWindowSeconds"),
                w,
                format!("must be less than or equal to {MAX_STABILIZATION_WINDOW_SECONDS}"),
            ));
        }
    }
    if let Some(sp) = rules.select_policy.as_deref().filter(|s| !matches!(*s, "Max" | "Min" | "Disabled")) {
        errs.push(FieldError::not_supported(path.child("selectPolicy"), sp, &["Disabled", "Max", "Min"]));
    }
    let policies_path = path.child("policies");
    let policies = rules.policies.as_deref().unwrap_or(&[]);
    if policies.is_empty() {
        errs.push(FieldError::required(policies_path.clone(), "must specify at least one Policy"));
    }
    for (i, policy) in policies.iter().enumerate() {
        let p = policies_path.index(i);
        if !matches!(policy.type_.as_str(), "Pods" | "Percent") {
            errs.push(FieldError::not_supported(p.child("type"), policy.type_.as_str(), &["Percent", "Pods"]));
        }
        if policy.value <= 0 {
            errs.push(FieldError::invalid(p.child("value"), policy.value, "must be greater than zero"));
        }
        if policy.period_seconds <= 0 {
            errs.push(FieldError::invalid(
                p.child("periodSeconds"),
                policy.period_seconds,
                "must be greater than zero",
            ));
        }
        if policy.period_seconds > MAX_PERIOD_SECONDS {
            errs.push(FieldError::invalid(
                p.child("periodSeconds"),
                policy.period_seconds,
                format!("must be less than or equal to {MAX_PERIOD_SECONDS}"),
            ));
        }
    }
    errs
}

/// upstream: ValidateHorizontalPodAutoscaler (HPAScaleToZero off: `minReplicas` ≥ 1).
pub fn validate_hpa(hpa: &HorizontalPodAutoscaler) -> ErrorList {
    let mut errs = validate_object_meta(&hpa.metadata, true, NameRule::Subdomain, &Path::root("metadata"));
    let default_spec = HorizontalPodAutoscalerSpec::default();
    let spec = hpa.spec.as_ref().unwrap_or(&default_spec);
    let p = Path::root("spec");
    if let Some(min) = spec.min_replicas.filter(|&m| m < 1) {
        errs.push(FieldError::invalid(p.child("minReplicas"), min, "must be greater than or equal to 1"));
    }
    if spec.max_replicas < 1 {
        errs.push(FieldError::invalid(p.child("maxReplicas"), spec.max_replicas, "must be greater than 0"));
    }
    if spec.min_replicas.is_some_and(|min| spec.max_replicas < min) {
        errs.push(FieldError::invalid(
            p.child("maxReplicas"),
            spec.max_replicas,
            "must be greater than or equal to `minReplicas`",
        ));
    }
    errs.extend(validate_cross_version_ref(&spec.scale_target_ref, &p.child("scaleTargetRef")));
    let metrics_path = p.child("metrics");
    let metrics = spec.metrics.as_deref().unwrap_or(&[]);
    for (i, m) in metrics.iter().enumerate() {
        errs.extend(validate_metric_spec(m, &metrics_path.index(i)));
    }
    if spec.min_replicas == Some(0) && !metrics.iter().any(|m| m.type_ == "Object" || m.type_ == "External") {
        errs.push(FieldError::forbidden(
            metrics_path,
            "must specify at least one Object or External metric to support scaling to zero replicas",
        ));
    }
    if let Some(b) = &spec.behavior {
        let bp = p.child("behavior");
        if let Some(up) = &b.scale_up {
            errs.extend(validate_scaling_rules(up, &bp.child("scaleUp")));
        }
        if let Some(down) = &b.scale_down {
            errs.extend(validate_scaling_rules(down, &bp.child("scaleDown")));
        }
    }
    errs
}

// ---------------------------------------------------------------------------------------------
// core/v1: Node
// ---------------------------------------------------------------------------------------------

/// `core.Taint` as `%#v` prints it (unconfirmed upstream wording).
fn go_taint(t: &Taint) -> String {
    format!(
        "core.Taint{{Key:{}, Value:{}, Effect:{}, TimeAdded:(*v1.Time)(nil)}}",
        go_quote(&t.key),
        go_quote(t.value.as_deref().unwrap_or("")),
        go_quote(&t.effect)
    )
}

/// upstream: validateNodeTaints.
fn validate_taints(taints: &[Taint], path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    let mut seen = BTreeSet::new();
    for (i, t) in taints.iter().enumerate() {
        let p = path.index(i);
        errs.extend(
            is_qualified_name(&t.key).into_iter().map(|m| FieldError::invalid(p.child("key"), t.key.as_str(), m)),
        );
        let value = t.value.as_deref().unwrap_or("");
        let msgs = is_valid_label_value(value);
        if !msgs.is_empty() {
            errs.push(FieldError::invalid(p.child("value"), value, msgs.join(";")));
        }
        match t.effect.as_str() {
            "" => errs.push(FieldError::required(p.child("effect"), "")),
            "NoSchedule" | "PreferNoSchedule" | "NoExecute" => {}
            other => errs.push(FieldError::not_supported(
                p.child("effect"),
                other,
                &["NoSchedule", "PreferNoSchedule", "NoExecute"],
            )),
        }
        if !seen.insert((t.effect.as_str(), t.key.as_str())) {
            let mut dup = FieldError::duplicate(p, Value::Raw(go_taint(t)));
            dup.detail = "taints must be unique by key and effect pair".to_string();
            errs.push(dup);
        }
    }
    errs
}

/// upstream: ValidateNode — a cluster-scoped object with a DNS-subdomain name; kubesim also
/// checks taints (the node lifecycle controller writes them).
pub fn validate_node(n: &Node) -> ErrorList {
    let mut errs = validate_object_meta(&n.metadata, false, NameRule::Subdomain, &Path::root("metadata"));
    if let Some(taints) = n.spec.as_ref().and_then(|s| s.taints.as_deref()) {
        errs.extend(validate_taints(taints, &Path::root("spec").child("taints")));
    }
    errs
}

/// A Namespace: a DNS label name, cluster-scoped.
pub fn validate_namespace(ns: &k8s_openapi::api::core::v1::Namespace) -> ErrorList {
    validate_object_meta(&ns.metadata, false, NameRule::Label, &Path::root("metadata"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::defaults::{default_deployment, default_hpa, default_pod, default_replica_set};
    use serde_json::{json, Value as Json};

    const SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

    fn strings(errs: &ErrorList) -> Vec<String> {
        errs.iter().map(ToString::to_string).collect()
    }

    #[track_caller]
    fn assert_has(errs: &[String], want: &str) {
        assert!(errs.iter().any(|e| e == want), "missing\n  {want}\nin\n  {}", errs.join("\n  "));
    }

    /// Sets `pointer` (a JSON pointer) in `v`, creating objects on the way.
    fn set(mut v: Json, pointer: &str, value: Json) -> Json {
        let mut cur = &mut v;
        for part in pointer.trim_start_matches('/').split('/') {
            cur = match cur {
                Json::Array(a) => {
                    let i = part.parse::<usize>().expect("index");
                    if i == a.len() {
                        a.push(Json::Null);
                    }
                    &mut a[i]
                }
                other => {
                    if !other.is_object() {
                        *other = json!({});
                    }
                    other.as_object_mut().expect("object").entry(part.to_string()).or_insert(Json::Null)
                }
            };
        }
        *cur = value;
        v
    }

    fn nginx() -> Json {
        json!({
            "metadata": {"name": "nginx-deployment", "namespace": "default", "labels": {"app": "nginx"}},
            "spec": {
                "replicas": 3,
                "selector": {"matchLabels": {"app": "nginx"}},
                "template": {
                    "metadata": {"labels": {"app": "nginx"}},
                    "spec": {"containers": [{"name": "nginx", "image": "nginx:1.7.9", "ports": [{"containerPort": 80}]}]}
                }
            }
        })
    }

    fn deployment_errors(v: Json) -> Vec<String> {
        let mut d: Deployment = serde_json::from_value(v).expect("valid Deployment JSON");
        default_deployment(&mut d);
        strings(&validate_deployment(&d))
    }

    fn redis() -> Json {
        json!({
            "metadata": {"name": "redis-master", "namespace": "default", "labels": {"app": "redis"}},
            "spec": {"containers": [{"name": "master", "image": "redis", "env": [{"name": "MASTER", "value": "true"}],
                                     "ports": [{"containerPort": 6379}]}]}
        })
    }

    fn pod_errors(v: Json) -> Vec<String> {
        let mut p: Pod = serde_json::from_value(v).expect("valid Pod JSON");
        default_pod(&mut p);
        strings(&validate_pod(&p))
    }

    fn replica_set_errors(v: Json) -> Vec<String> {
        let mut rs: ReplicaSet = serde_json::from_value(v).expect("valid ReplicaSet JSON");
        default_replica_set(&mut rs);
        strings(&validate_replica_set(&rs))
    }

    fn hpa() -> Json {
        json!({
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                     "minReplicas": 1, "maxReplicas": 5}
        })
    }

    fn hpa_errors(v: Json) -> Vec<String> {
        let mut h: HorizontalPodAutoscaler = serde_json::from_value(v).expect("valid HPA JSON");
        default_hpa(&mut h);
        strings(&validate_hpa(&h))
    }

    // --- the examples are valid --------------------------------------------------------------

    #[test]
    fn defaulted_examples_are_valid() {
        assert_eq!(deployment_errors(nginx()), Vec::<String>::new());
        assert_eq!(pod_errors(redis()), Vec::<String>::new());
        assert_eq!(hpa_errors(hpa()), Vec::<String>::new());
        let rs = json!({"metadata": {"name": "nginx-7c5ddbdf54", "namespace": "default"},
                        "spec": nginx()["spec"].clone()});
        assert_eq!(replica_set_errors(rs), Vec::<String>::new());
    }

    #[test]
    fn undefaulted_spec_reports_what_the_server_would_have_filled_in() {
        let mut p: Pod = serde_json::from_value(redis()).expect("valid");
        p.spec.as_mut().expect("spec").containers[0].ports.as_mut().expect("ports")[0].protocol = None;
        let errs = strings(&validate_pod(&p));
        assert_has(&errs, "spec.terminationGracePeriodSeconds: Required value");
        assert_has(&errs, "spec.containers[0].terminationMessagePolicy: Required value");
        assert_has(&errs, "spec.containers[0].imagePullPolicy: Required value");
        assert_has(&errs, "spec.containers[0].ports[0].protocol: Required value");
        assert_has(&errs, "spec.restartPolicy: Required value");
        assert_has(&errs, "spec.dnsPolicy: Required value");
    }

    // --- metadata ----------------------------------------------------------------------------

    #[test]
    fn name_or_generate_name_is_required() {
        let errs = pod_errors(set(redis(), "/metadata/name", Json::Null));
        assert_eq!(errs, vec!["metadata.name: Required value: name or generateName is required"]);
    }

    #[test]
    fn name_must_be_a_dns_subdomain() {
        let errs = deployment_errors(set(nginx(), "/metadata/name", json!("Web_1")));
        assert_eq!(errs, vec![format!("metadata.name: Invalid value: \"Web_1\": {SUBDOMAIN_MSG}")]);
    }

    #[test]
    fn generate_name_masks_the_last_two_characters_of_a_trailing_dash() {
        let meta = |g: &str| ObjectMeta {
            name: Some("x".into()),
            generate_name: Some(g.into()),
            namespace: Some("default".into()),
            ..Default::default()
        };
        let check =
            |g: &str| strings(&validate_object_meta(&meta(g), true, NameRule::Subdomain, &Path::root("metadata")));
        assert!(check("web-").is_empty(), "checked as 'wea'");
        // "a.-" is checked as "aa": the dot before the dash is swallowed by the quirk.
        assert!(check("a.-").is_empty());
        assert_eq!(check("Web-"), vec![format!("metadata.generateName: Invalid value: \"Web-\": {SUBDOMAIN_MSG}")]);
        // a lone "-" is not masked
        assert_eq!(check("-"), vec![format!("metadata.generateName: Invalid value: \"-\": {SUBDOMAIN_MSG}")]);
        // multi-byte characters before the dash do not panic
        assert_eq!(check("é-").len(), 1);
    }

    #[test]
    fn label_rule_names_reject_dots() {
        let meta = ObjectMeta { name: Some("team.a".into()), ..Default::default() };
        let errs = strings(&validate_object_meta(&meta, false, NameRule::Label, &Path::root("metadata")));
        assert_eq!(errs, vec!["metadata.name: Invalid value: \"team.a\": must not contain dots"]);
    }

    #[test]
    fn namespace_is_required_for_namespaced_objects() {
        let errs = pod_errors(set(redis(), "/metadata/namespace", Json::Null));
        assert_eq!(errs, vec!["metadata.namespace: Required value"]);
        let errs = pod_errors(set(redis(), "/metadata/namespace", json!("Team_A")));
        assert_has(&errs, "metadata.namespace: Invalid value: \"Team_A\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
    }

    #[test]
    fn label_keys_and_values_are_checked_at_the_map_path() {
        let errs = pod_errors(set(redis(), "/metadata/labels", json!({"-app": "ok", "tier": "a".repeat(64)})));
        assert_eq!(
            errs,
            vec![
                "metadata.labels: Invalid value: \"-app\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')".to_string(),
                format!("metadata.labels: Invalid value: \"{}\": must be no more than 63 characters", "a".repeat(64)),
            ]
        );
    }

    #[test]
    fn annotation_keys_are_case_insensitive_qualified_names() {
        let errs = pod_errors(set(redis(), "/metadata/annotations", json!({"Example.com/Key": "v", "a/b/c": "v"})));
        assert_eq!(
            errs,
            vec!["metadata.annotations: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
        );
    }

    #[test]
    fn owner_references_need_version_kind_name_and_uid() {
        let errs = pod_errors(set(
            redis(),
            "/metadata/ownerReferences",
            json!([{"apiVersion": "apps/", "kind": "", "name": "rs", "uid": ""}]),
        ));
        assert_eq!(
            errs,
            vec![
                "metadata.ownerReferences.apiVersion: Invalid value: \"apps/\": version must not be empty",
                "metadata.ownerReferences.kind: Invalid value: \"\": must not be empty",
                "metadata.ownerReferences.uid: Invalid value: \"\": must not be empty",
            ]
        );
    }

    #[test]
    fn finalizers_must_be_standard_or_qualified() {
        let errs = pod_errors(set(redis(), "/metadata/finalizers", json!(["example.com/keep", "orphan", "foo"])));
        assert_eq!(errs, vec!["metadata.finalizers[2]: Invalid value: \"foo\": name is neither a standard finalizer name nor is it fully qualified"]);
        let errs = pod_errors(set(redis(), "/metadata/finalizers", json!(["orphan", "foregroundDeletion"])));
        assert_eq!(
            errs,
            vec!["metadata.finalizers: Invalid value: []string{\"orphan\", \"foregroundDeletion\"}: finalizer orphan and foregroundDeletion cannot be both set"]
        );
    }

    #[test]
    fn cluster_scoped_objects_may_not_have_a_namespace() {
        let n: Node =
            serde_json::from_value(json!({"metadata": {"name": "node-1", "namespace": "default"}})).expect("valid");
        assert_eq!(strings(&validate_node(&n)), vec!["metadata.namespace: Forbidden: not allowed on this type"]);
    }

    // --- pod spec ----------------------------------------------------------------------------

    #[test]
    fn at_least_one_container_is_required() {
        assert_eq!(pod_errors(set(redis(), "/spec/containers", json!([]))), vec!["spec.containers: Required value"]);
    }

    #[test]
    fn container_name_is_required() {
        assert_eq!(
            pod_errors(set(redis(), "/spec/containers/0/name", json!(""))),
            vec!["spec.containers[0].name: Required value"]
        );
    }

    #[test]
    fn container_name_is_a_dns_label() {
        assert_eq!(
            pod_errors(set(redis(), "/spec/containers/0/name", json!("Master"))),
            vec!["spec.containers[0].name: Invalid value: \"Master\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"]
        );
    }

    #[test]
    fn container_names_are_unique_across_containers_and_init_containers() {
        let v = set(redis(), "/spec/containers/1", json!({"name": "master", "image": "redis"}));
        assert_eq!(pod_errors(v), vec!["spec.containers[1].name: Duplicate value: \"master\""]);
        let v = set(redis(), "/spec/initContainers", json!([{"name": "master", "image": "busybox"}]));
        assert_eq!(pod_errors(v), vec!["spec.initContainers[0].name: Duplicate value: \"master\""]);
    }

    #[test]
    fn image_is_required() {
        assert_eq!(
            pod_errors(set(redis(), "/spec/containers/0/image", Json::Null)),
            vec!["spec.containers[0].image: Required value"]
        );
    }

    #[test]
    fn image_whitespace_is_rejected_for_pods_only() {
        let errs = pod_errors(set(redis(), "/spec/containers/0/image", json!(" redis")));
        assert_eq!(
            errs,
            vec!["spec.containers[0].image: Invalid value: \" redis\": must not have leading or trailing whitespace"]
        );
        let v = set(nginx(), "/spec/template/spec/containers/0/image", json!(" nginx"));
        assert_eq!(deployment_errors(v), Vec::<String>::new(), "templates keep the old leniency");
    }

    #[test]
    fn container_port_must_be_in_range() {
        let errs = pod_errors(set(redis(), "/spec/containers/0/ports/0/containerPort", json!(70000)));
        assert_eq!(errs, vec!["spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive"]);
        let errs = pod_errors(set(redis(), "/spec/containers/0/ports/0/containerPort", json!(0)));
        assert_eq!(errs, vec!["spec.containers[0].ports[0].containerPort: Required value"]);
    }

    #[test]
    fn port_protocol_must_be_supported() {
        let errs = pod_errors(set(redis(), "/spec/containers/0/ports/0/protocol", json!("HTTP")));
        assert_eq!(errs, vec!["spec.containers[0].ports[0].protocol: Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\""]);
    }

    #[test]
    fn port_names_are_iana_service_names_and_unique() {
        let v = set(
            redis(),
            "/spec/containers/0/ports",
            json!([{"containerPort": 1, "name": "redis"}, {"containerPort": 2, "name": "redis"}, {"containerPort": 3, "name": "Redis--"}]),
        );
        assert_eq!(
            pod_errors(v),
            vec![
                "spec.containers[0].ports[1].name: Duplicate value: \"redis\"",
                "spec.containers[0].ports[2].name: Invalid value: \"Redis--\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
                "spec.containers[0].ports[2].name: Invalid value: \"Redis--\": must not contain consecutive hyphens",
                "spec.containers[0].ports[2].name: Invalid value: \"Redis--\": must not begin or end with a hyphen",
            ]
        );
    }

    #[test]
    fn host_ports_must_not_collide() {
        let v = set(
            redis(),
            "/spec/containers/1",
            json!({"name": "b", "image": "b", "ports": [{"containerPort": 1, "hostPort": 8080}]}),
        );
        let v = set(v, "/spec/containers/0/ports/0/hostPort", json!(8080));
        assert_eq!(pod_errors(v), vec!["spec.containers[1].ports[0].hostPort: Duplicate value: \"TCP//8080\""]);
    }

    #[test]
    fn restart_policy_must_be_supported() {
        let errs = pod_errors(set(redis(), "/spec/restartPolicy", json!("Sometimes")));
        assert_eq!(errs, vec!["spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\""]);
    }

    #[test]
    fn dns_policy_must_be_supported() {
        let errs = pod_errors(set(redis(), "/spec/dnsPolicy", json!("Cluster")));
        assert_eq!(errs, vec!["spec.dnsPolicy: Unsupported value: \"Cluster\": supported values: \"ClusterFirstWithHostNet\", \"ClusterFirst\", \"Default\", \"None\""]);
        let errs = pod_errors(set(redis(), "/spec/dnsPolicy", json!("None")));
        assert_eq!(errs, vec!["spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None"]);
    }

    #[test]
    fn negative_grace_period_is_not_a_validation_error() {
        // upstream stopped rejecting it (kubernetes#98866) and clamps pods to 1s instead.
        let v = set(nginx(), "/spec/template/spec/terminationGracePeriodSeconds", json!(-1));
        assert_eq!(deployment_errors(v), Vec::<String>::new());
    }

    #[test]
    fn image_pull_policy_must_be_supported() {
        let errs = pod_errors(set(redis(), "/spec/containers/0/imagePullPolicy", json!("Sometimes")));
        assert_eq!(errs, vec!["spec.containers[0].imagePullPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"IfNotPresent\", \"Never\""]);
    }

    #[test]
    fn requests_must_not_exceed_limits() {
        let v = set(
            redis(),
            "/spec/containers/0/resources",
            json!({"limits": {"cpu": "1", "memory": "128Mi"}, "requests": {"cpu": "1500m", "memory": "0.25Gi"}}),
        );
        assert_eq!(
            pod_errors(v),
            vec![
                "spec.containers[0].resources.requests: Invalid value: \"1500m\": must be less than or equal to cpu limit of 1",
                "spec.containers[0].resources.requests: Invalid value: \"256Mi\": must be less than or equal to memory limit of 128Mi",
            ]
        );
        let v = set(redis(), "/spec/containers/0/resources", json!({"limits": {"cpu": "1"}, "requests": {"cpu": "2"}}));
        assert_eq!(pod_errors(v), vec!["spec.containers[0].resources.requests: Invalid value: \"2\": must be less than or equal to cpu limit of 1"]);
        let v =
            set(redis(), "/spec/containers/0/resources", json!({"limits": {"cpu": "1"}, "requests": {"cpu": "0.5"}}));
        assert_eq!(pod_errors(v), Vec::<String>::new());
    }

    #[test]
    fn unparseable_quantity_is_reported_at_its_path() {
        // A template, so that the limits are not also copied into requests as on a Pod.
        let v = set(
            nginx(),
            "/spec/template/spec/containers/0/resources",
            json!({"limits": {"cpu": "abc", "memory": "1kk"}}),
        );
        assert_eq!(
            deployment_errors(v),
            vec![
                "spec.template.spec.containers[0].resources.limits[cpu]: Invalid value: \"abc\": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
                "spec.template.spec.containers[0].resources.limits[memory]: Invalid value: \"1kk\": unable to parse quantity's suffix",
            ]
        );
    }

    #[test]
    fn negative_quantity_is_rejected() {
        let v = set(redis(), "/spec/containers/0/resources", json!({"requests": {"memory": "-1"}}));
        assert_eq!(pod_errors(v), vec!["spec.containers[0].resources.requests[memory]: Invalid value: \"-1\": must be greater than or equal to 0"]);
    }

    #[test]
    fn container_resource_names_must_be_standard_or_extended() {
        let v = set(
            nginx(),
            "/spec/template/spec/containers/0/resources",
            json!({"limits": {"gpu": "1", "pods": "1", "example.com/gpu": "1"}, "requests": {"example.com/gpu": "1"}}),
        );
        assert_eq!(
            deployment_errors(v),
            vec![
                "spec.template.spec.containers[0].resources.limits[gpu]: Invalid value: \"gpu\": must be a standard resource type or fully qualified",
                "spec.template.spec.containers[0].resources.limits[gpu]: Invalid value: \"gpu\": must be a standard resource for containers",
                "spec.template.spec.containers[0].resources.limits[pods]: Invalid value: \"pods\": must be a standard resource for containers",
            ]
        );
        // On a Pod the limit is first copied into requests (SetDefaults_Pod), so it is reported twice.
        let v = set(redis(), "/spec/containers/0/resources", json!({"limits": {"pods": "1"}}));
        assert_eq!(pod_errors(v).len(), 2);
        let v = set(
            redis(),
            "/spec/containers/0/resources",
            json!({"limits": {"example.com/gpu": "2"}, "requests": {"example.com/gpu": "1"}}),
        );
        assert_eq!(pod_errors(v), vec!["spec.containers[0].resources.requests: Invalid value: \"1\": must be equal to example.com/gpu limit of 2"]);
    }

    #[test]
    fn probe_fields_are_non_negative_and_liveness_success_is_one() {
        let v = set(
            redis(),
            "/spec/containers/0/livenessProbe",
            json!({"tcpSocket": {"port": 6379}, "periodSeconds": -1, "successThreshold": 2}),
        );
        assert_eq!(
            pod_errors(v),
            vec![
                "spec.containers[0].livenessProbe.periodSeconds: Invalid value: -1: must be greater than or equal to 0",
                "spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1",
            ]
        );
    }

    #[test]
    fn probe_needs_exactly_one_handler() {
        let v = set(redis(), "/spec/containers/0/readinessProbe", json!({"periodSeconds": 5}));
        assert_eq!(
            pod_errors(v),
            vec!["spec.containers[0].readinessProbe: Required value: must specify a handler type"]
        );
        let v = set(
            redis(),
            "/spec/containers/0/readinessProbe",
            json!({"exec": {"command": ["true"]}, "tcpSocket": {"port": 1}}),
        );
        assert_eq!(
            pod_errors(v),
            vec!["spec.containers[0].readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type"]
        );
        let v = set(redis(), "/spec/containers/0/readinessProbe", json!({"httpGet": {"port": "http-metrics-port"}}));
        assert_eq!(pod_errors(v), vec!["spec.containers[0].readinessProbe.httpGet.port: Invalid value: \"http-metrics-port\": must be no more than 15 characters"]);
    }

    #[test]
    fn readiness_probe_may_not_set_a_grace_period() {
        let v = set(
            redis(),
            "/spec/containers/0/readinessProbe",
            json!({"exec": {"command": ["true"]}, "terminationGracePeriodSeconds": 5}),
        );
        assert_eq!(pod_errors(v), vec!["spec.containers[0].readinessProbe.terminationGracePeriodSeconds: Invalid value: 5: must not be set for readinessProbes"]);
    }

    #[test]
    fn init_containers_need_restart_always_for_probes() {
        let v = set(
            redis(),
            "/spec/initContainers",
            json!([{"name": "init", "image": "busybox", "readinessProbe": {"exec": {"command": ["true"]}}}]),
        );
        assert_eq!(pod_errors(v), vec!["spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always"]);
        let v = set(
            redis(),
            "/spec/initContainers",
            json!([{"name": "init", "image": "busybox", "restartPolicy": "OnFailure"}]),
        );
        assert_eq!(
            pod_errors(v),
            vec![
                "spec.initContainers[0].restartPolicy: Unsupported value: \"OnFailure\": supported values: \"Always\""
            ]
        );
        let v = set(redis(), "/spec/containers/0/restartPolicy", json!("Always"));
        assert_eq!(
            pod_errors(v),
            vec!["spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers"]
        );
    }

    #[test]
    fn env_var_rules() {
        let v = set(
            redis(),
            "/spec/containers/0/env",
            json!([{"name": ""}, {"name": "A=B"}, {"name": "X", "value": "1", "valueFrom": {"fieldRef": {"fieldPath": "status.phase"}}}]),
        );
        assert_eq!(
            pod_errors(v),
            vec![
                "spec.containers[0].env[0].name: Required value",
                "spec.containers[0].env[1].name: Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='",
                "spec.containers[0].env[2].valueFrom.fieldRef.fieldPath: Unsupported value: \"status.phase\": supported values: \"metadata.name\", \"metadata.namespace\", \"metadata.uid\", \"spec.nodeName\", \"spec.serviceAccountName\", \"status.hostIP\", \"status.hostIPs\", \"status.podIP\", \"status.podIPs\"",
                "spec.containers[0].env[2].valueFrom: Invalid value: \"\": may not be specified when `value` is not empty",
            ]
        );
    }

    #[test]
    fn toleration_rules() {
        let v = set(
            redis(),
            "/spec/tolerations",
            json!([{"key": "k", "operator": "Exists", "value": "v"}, {"operator": "Equal", "value": "v"}, {"key": "k", "effect": "NoSchedule", "tolerationSeconds": 5}]),
        );
        assert_eq!(
            pod_errors(v),
            vec![
                "spec.tolerations[0].operator: Invalid value: \"v\": value must be empty when `operator` is 'Exists'",
                "spec.tolerations[1].operator: Invalid value: \"Equal\": operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
                "spec.tolerations[2].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set",
            ]
        );
    }

    #[test]
    fn pod_deletion_cost_must_be_an_int32() {
        let v = set(redis(), "/metadata/annotations", json!({"controller.kubernetes.io/pod-deletion-cost": "+10"}));
        assert_eq!(pod_errors(v), vec!["metadata.annotations[controller.kubernetes.io/pod-deletion-cost]: Invalid value: \"+10\": must be a 32bit integer"]);
    }

    // --- deployments and replica sets ---------------------------------------------------------

    #[test]
    fn replicas_must_not_be_negative() {
        assert_eq!(
            deployment_errors(set(nginx(), "/spec/replicas", json!(-1))),
            vec!["spec.replicas: Invalid value: -1: must be greater than or equal to 0"]
        );
    }

    #[test]
    fn selector_is_required() {
        assert_eq!(
            deployment_errors(set(nginx(), "/spec/selector", Json::Null)),
            vec![
                "spec.selector: Required value",
                "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"nginx\"}: `selector` does not match template `labels`",
            ]
        );
    }

    #[test]
    fn empty_selector_is_invalid() {
        assert_eq!(
            deployment_errors(set(nginx(), "/spec/selector", json!({"matchLabels": {}}))),
            vec!["spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment"]
        );
    }

    #[test]
    fn selector_must_match_template_labels() {
        let v = set(nginx(), "/spec/template/metadata/labels", json!({"app": "web", "tier": "fe"}));
        assert_eq!(
            deployment_errors(v),
            vec!["spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\", \"tier\":\"fe\"}: `selector` does not match template `labels`"]
        );
        let v = set(nginx(), "/spec/template/metadata", json!({}));
        assert_eq!(
            deployment_errors(v),
            vec!["spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`"]
        );
    }

    #[test]
    fn match_expressions_select_like_the_apiserver() {
        let v = set(
            nginx(),
            "/spec/selector/matchExpressions",
            json!([{"key": "tier", "operator": "NotIn", "values": ["db"]}, {"key": "app", "operator": "Exists"}]),
        );
        assert_eq!(deployment_errors(v), Vec::<String>::new(), "NotIn matches a missing key");
        let v = set(
            nginx(),
            "/spec/selector/matchExpressions",
            json!([{"key": "tier", "operator": "In", "values": ["fe"]}]),
        );
        assert_eq!(deployment_errors(v).len(), 1);
    }

    #[test]
    fn invalid_selector_skips_template_validation() {
        let v = set(
            nginx(),
            "/spec/selector/matchExpressions",
            json!([{"key": "app", "operator": "Equals", "values": ["x"]}]),
        );
        let v = set(v, "/spec/template/spec/containers/0/image", Json::Null);
        assert_eq!(
            deployment_errors(v),
            vec![
                "spec.selector.matchExpressions[0].operator: Invalid value: \"Equals\": not a valid selector operator",
                "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"nginx\"}, MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:\"app\", Operator:\"Equals\", Values:[]string{\"x\"}}}}: invalid label selector",
            ]
        );
        let v = set(nginx(), "/spec/selector/matchExpressions", json!([{"key": "app", "operator": "In"}]));
        assert_has(&deployment_errors(v), "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'");
    }

    #[test]
    fn template_restart_policy_must_be_always() {
        let errs = deployment_errors(set(nginx(), "/spec/template/spec/restartPolicy", json!("Never")));
        assert_eq!(
            errs,
            vec!["spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\""]
        );
    }

    #[test]
    fn template_errors_carry_the_template_path() {
        let errs = deployment_errors(set(nginx(), "/spec/template/spec/containers/0/image", Json::Null));
        assert_eq!(errs, vec!["spec.template.spec.containers[0].image: Required value"]);
        // upstream checks template labels at `template.labels`
        let v = set(nginx(), "/spec/template/metadata/labels/bad key", json!("x"));
        assert_has(&deployment_errors(v), "spec.template.labels: Invalid value: \"bad key\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");
        let errs = deployment_errors(set(nginx(), "/spec/template/spec/activeDeadlineSeconds", json!(30)));
        assert_eq!(errs, vec!["spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported"]);
    }

    #[test]
    fn strategy_type_must_be_supported() {
        let errs = deployment_errors(set(nginx(), "/spec/strategy", json!({"type": "BlueGreen"})));
        assert_eq!(
            errs,
            vec!["spec.strategy: Unsupported value: apps.DeploymentStrategy{Type:\"BlueGreen\", RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: supported values: \"Recreate\", \"RollingUpdate\""]
        );
    }

    #[test]
    fn recreate_forbids_rolling_update() {
        let errs = deployment_errors(set(
            nginx(),
            "/spec/strategy",
            json!({"type": "Recreate", "rollingUpdate": {"maxSurge": 1}}),
        ));
        assert_eq!(
            errs,
            vec!["spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"]
        );
    }

    #[test]
    fn surge_and_unavailable_must_be_int_or_percent() {
        let errs = deployment_errors(set(nginx(), "/spec/strategy", json!({"rollingUpdate": {"maxSurge": "25"}})));
        assert_eq!(
            errs,
            vec!["spec.strategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"25\"}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"]
        );
        let errs = deployment_errors(set(nginx(), "/spec/strategy", json!({"rollingUpdate": {"maxSurge": -1}})));
        assert_eq!(
            errs,
            vec!["spec.strategy.rollingUpdate.maxSurge: Invalid value: -1: must be greater than or equal to 0"]
        );
    }

    #[test]
    fn max_unavailable_may_not_exceed_100_percent() {
        let errs =
            deployment_errors(set(nginx(), "/spec/strategy", json!({"rollingUpdate": {"maxUnavailable": "110%"}})));
        assert_eq!(errs, vec!["spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"110%\"}: must not be greater than 100%"]);
    }

    #[test]
    fn surge_and_unavailable_may_not_both_be_zero() {
        let errs = deployment_errors(set(
            nginx(),
            "/spec/strategy",
            json!({"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}}),
        ));
        assert_eq!(errs, vec!["spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}: may not be 0 when `maxSurge` is 0"]);
        let errs = deployment_errors(set(
            nginx(),
            "/spec/strategy",
            json!({"rollingUpdate": {"maxSurge": "0%", "maxUnavailable": "0%"}}),
        ));
        assert_eq!(errs, vec!["spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"0%\"}: may not be 0 when `maxSurge` is 0"]);
    }

    #[test]
    fn revision_history_limit_and_min_ready_must_not_be_negative() {
        let errs = deployment_errors(set(nginx(), "/spec/revisionHistoryLimit", json!(-1)));
        assert_eq!(errs, vec!["spec.revisionHistoryLimit: Invalid value: -1: must be greater than or equal to 0"]);
        let errs = deployment_errors(set(nginx(), "/spec/minReadySeconds", json!(-5)));
        assert_eq!(errs, vec!["spec.minReadySeconds: Invalid value: -5: must be greater than or equal to 0"]);
    }

    #[test]
    fn progress_deadline_must_exceed_min_ready_seconds() {
        let v = set(set(nginx(), "/spec/minReadySeconds", json!(10)), "/spec/progressDeadlineSeconds", json!(10));
        assert_eq!(
            deployment_errors(v),
            vec!["spec.progressDeadlineSeconds: Invalid value: 10: must be greater than minReadySeconds"]
        );
    }

    #[test]
    fn replica_set_reuses_the_deployment_selector_rules() {
        let rs = |spec: Json| json!({"metadata": {"name": "web-abc", "namespace": "default"}, "spec": spec});
        let base = nginx()["spec"].clone();
        assert_eq!(
            replica_set_errors(rs(set(base.clone(), "/selector", json!({"matchLabels": {}})))),
            vec!["spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment"]
        );
        assert_eq!(
            replica_set_errors(rs(set(base.clone(), "/replicas", json!(-2)))),
            vec!["spec.replicas: Invalid value: -2: must be greater than or equal to 0"]
        );
        assert_eq!(
            replica_set_errors(rs(set(base, "/template/metadata/labels/app", json!("other")))),
            vec!["spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"other\"}: `selector` does not match template `labels`"]
        );
        let errs = replica_set_errors(rs(json!({"selector": {"matchLabels": {"app": "x"}}})));
        assert_has(&errs, "spec.template.spec.containers: Required value");
    }

    // --- horizontal pod autoscalers ------------------------------------------------------------

    #[test]
    fn scale_target_ref_needs_kind_and_name() {
        let errs = hpa_errors(set(hpa(), "/spec/scaleTargetRef", json!({"kind": "", "name": ""})));
        assert_eq!(errs, vec!["spec.scaleTargetRef.kind: Required value", "spec.scaleTargetRef.name: Required value"]);
        let errs = hpa_errors(set(hpa(), "/spec/scaleTargetRef/name", json!("a/b")));
        assert_eq!(errs, vec!["spec.scaleTargetRef.name: Invalid value: \"a/b\": may not contain '/'"]);
    }

    #[test]
    fn min_replicas_must_be_at_least_one() {
        let errs = hpa_errors(set(hpa(), "/spec/minReplicas", json!(0)));
        assert_eq!(
            errs,
            vec![
                "spec.minReplicas: Invalid value: 0: must be greater than or equal to 1",
                "spec.metrics: Forbidden: must specify at least one Object or External metric to support scaling to zero replicas",
            ]
        );
    }

    #[test]
    fn max_replicas_must_be_positive_and_at_least_min() {
        let errs = hpa_errors(set(set(hpa(), "/spec/minReplicas", json!(3)), "/spec/maxReplicas", json!(2)));
        assert_eq!(errs, vec!["spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`"]);
        let errs = hpa_errors(set(hpa(), "/spec/maxReplicas", json!(0)));
        assert_has(&errs, "spec.maxReplicas: Invalid value: 0: must be greater than 0");
    }

    #[test]
    fn resource_metric_needs_a_name_and_a_target() {
        let m = |resource: Json| set(hpa(), "/spec/metrics", json!([{"type": "Resource", "resource": resource}]));
        assert_eq!(
            hpa_errors(m(json!({"name": "", "target": {"type": "Utilization", "averageUtilization": 50}}))),
            vec!["spec.metrics[0].resource.name: Required value: must specify a resource name"]
        );
        assert_eq!(
            hpa_errors(m(json!({"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 0}}))),
            vec!["spec.metrics[0].resource.target.averageUtilization: Invalid value: 0: must be greater than 0"]
        );
        assert_eq!(
            hpa_errors(m(json!({"name": "cpu", "target": {"type": "Utilization"}}))),
            vec!["spec.metrics[0].resource.target.averageUtilization: Required value: must set either a target raw value or a target utilization"]
        );
        assert_eq!(
            hpa_errors(m(json!({"name": "cpu", "target": {"type": "Percent", "averageUtilization": 50}}))),
            vec!["spec.metrics[0].resource.target.type: Invalid value: \"Percent\": must be either Utilization, Value, or AverageValue"]
        );
    }

    #[test]
    fn metric_source_must_match_its_type() {
        let pods = json!({"metric": {"name": "qps"}, "target": {"type": "AverageValue", "averageValue": "1"}});
        let v = set(hpa(), "/spec/metrics", json!([{"type": "Resource", "pods": pods.clone()}]));
        assert_eq!(
            hpa_errors(v),
            vec!["spec.metrics[0].resource: Required value: must populate information for the given metric source"]
        );
        let cpu = json!({"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}});
        let v = set(hpa(), "/spec/metrics", json!([{"type": "Resource", "resource": cpu, "pods": pods}]));
        assert_eq!(hpa_errors(v), vec!["spec.metrics[0].pods: Forbidden: must populate the given metric source only"]);
        let v = set(hpa(), "/spec/metrics", json!([{"type": "Memory"}]));
        let unsupported = "spec.metrics[0].type: Unsupported value: \"Memory\": supported values: \"ContainerResource\", \"External\", \"Object\", \"Pods\", \"Resource\"";
        assert_eq!(hpa_errors(v), vec![unsupported, unsupported], "upstream reports an unknown type twice");
    }

    #[test]
    fn behavior_policies_are_bounded() {
        let v = set(
            hpa(),
            "/spec/behavior",
            json!({
                "scaleUp": {"stabilizationWindowSeconds": 3601, "selectPolicy": "Maximum",
                            "policies": [{"type": "Nodes", "value": 0, "periodSeconds": 1801}]},
                "scaleDown": {"stabilizationWindowSeconds": -1, "policies": [{"type": "Pods", "value": 1, "periodSeconds": 0}]}
            }),
        );
        assert_eq!(
            hpa_errors(v),
            vec![
                "spec.behavior.scaleUp.stabilizationWindowSeconds: Invalid value: 3601: must be less than or equal to 3600",
                "spec.behavior.scaleUp.selectPolicy: Unsupported value: \"Maximum\": supported values: \"Disabled\", \"Max\", \"Min\"",
                "spec.behavior.scaleUp.policies[0].type: Unsupported value: \"Nodes\": supported values: \"Percent\", \"Pods\"",
                "spec.behavior.scaleUp.policies[0].value: Invalid value: 0: must be greater than zero",
                "spec.behavior.scaleUp.policies[0].periodSeconds: Invalid value: 1801: must be less than or equal to 1800",
                "spec.behavior.scaleDown.stabilizationWindowSeconds: Invalid value: -1: must be greater than or equal to zero",
                "spec.behavior.scaleDown.policies[0].periodSeconds: Invalid value: 0: must be greater than zero",
            ]
        );
        let v = set(hpa(), "/spec/behavior", json!({"scaleUp": {"policies": []}}));
        assert_eq!(
            hpa_errors(v),
            vec!["spec.behavior.scaleUp.policies: Required value: must specify at least one Policy"]
        );
    }

    // --- nodes ---------------------------------------------------------------------------------

    #[test]
    fn node_name_is_a_subdomain_and_taints_are_checked() {
        let n: Node = serde_json::from_value(json!({"metadata": {"name": "Node_1"}})).expect("valid");
        assert_eq!(
            strings(&validate_node(&n)),
            vec![format!("metadata.name: Invalid value: \"Node_1\": {SUBDOMAIN_MSG}")]
        );
        let n: Node = serde_json::from_value(json!({"metadata": {"name": "node-1"}, "spec": {"taints": [
            {"key": "k", "effect": "NoSchedule"}, {"key": "k", "effect": "NoSchedule"}, {"key": "k", "effect": "Sometimes"}]}}))
        .expect("valid");
        assert_eq!(
            strings(&validate_node(&n)),
            vec![
                "spec.taints[1]: Duplicate value: core.Taint{Key:\"k\", Value:\"\", Effect:\"NoSchedule\", TimeAdded:(*v1.Time)(nil)}: taints must be unique by key and effect pair",
                "spec.taints[2].effect: Unsupported value: \"Sometimes\": supported values: \"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\"",
            ]
        );
    }

    // --- quantities ------------------------------------------------------------------------------

    #[test]
    fn quantities_print_in_canonical_form() {
        let rows = [
            ("500m", "500m", "already canonical"),
            ("0.5", "500m", "fraction becomes milli"),
            ("1000m", "1", "whole milli collapses"),
            ("1000", "1k", "decimal SI moves to k"),
            ("1.5k", "1500", "exponent must be a multiple of 3"),
            ("128Mi", "128Mi", "binary stays binary"),
            ("1024Mi", "1Gi", "binary normalizes up"),
            ("1.5Gi", "1536Mi", "binary fraction"),
            ("0.5Ki", "512", "small binary becomes decimal"),
            ("1e3", "1e3", "exponent notation kept"),
            ("1G", "1G", "decimal suffix"),
            ("05", "05", "upstream reprints an input it thinks canonical"),
            ("0.0000000001", "1n", "rounded up to a nano unit"),
            (" 2 ", "2", "decoder trims spaces"),
            ("-1", "-1", "negative"),
            ("0", "0", "zero"),
        ];
        for (input, want, why) in rows {
            let got = ParsedQuantity::parse(input).map(|q| q.canonical());
            assert_eq!(got.as_deref(), Ok(want), "{input:?}: {why}");
        }
        assert_eq!(ParsedQuantity::parse("0.0001").map(|q| q.round_up_to_milli().canonical()).as_deref(), Ok("1m"));
        assert_eq!(ParsedQuantity::parse("1.2.3"), Err(QUANTITY_FORMAT_ERROR));
        assert_eq!(ParsedQuantity::parse("1kk"), Err(QUANTITY_SUFFIX_ERROR));
        for bad in ["", "abc", "1.2.3", "--1", "1Zi", "m", "1e"] {
            assert!(ParsedQuantity::parse(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn quantities_compare_by_value() {
        let q = |s: &str| ParsedQuantity::parse(s).expect("parses");
        assert_eq!(q("1").cmp(&q("1000m")), Ordering::Equal);
        assert_eq!(q("1Gi").cmp(&q("1G")), Ordering::Greater);
        assert_eq!(q("500m").cmp(&q("0.6")), Ordering::Less);
        assert_eq!(q("1e30").cmp(&q("1n")), Ordering::Greater);
    }
}
