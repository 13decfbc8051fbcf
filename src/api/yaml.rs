//! YAML out, the way kubectl prints it (sigs.k8s.io/yaml over go-yaml v2): keys sorted, block
//! style, sequences not indented under their key, strings quoted only when a YAML 1.1 reader
//! would take them for something else ("true", "8", timestamps) or when plain style cannot
//! hold them.

use serde_json::Value;

pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(m) if !m.is_empty() => write_map(&mut out, m, 0),
        Value::Array(a) if !a.is_empty() => write_seq(&mut out, a, 0),
        scalar => {
            out.push_str(&scalar_text(scalar, 0));
            out.push('\n');
        }
    }
    out
}

fn indent(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

fn write_map(out: &mut String, m: &serde_json::Map<String, Value>, level: usize) {
    for (k, v) in m {
        indent(out, level);
        out.push_str(&string_text(k, level, true));
        out.push(':');
        write_value_after_key(out, v, level);
    }
}

fn write_value_after_key(out: &mut String, v: &Value, level: usize) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            write_map(out, m, level + 2);
        }
        // go-yaml v2 does not indent a sequence under its mapping key.
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            write_seq(out, a, level);
        }
        scalar => {
            out.push(' ');
            out.push_str(&scalar_text(scalar, level + 2));
            out.push('\n');
        }
    }
}

fn write_seq(out: &mut String, a: &[Value], level: usize) {
    for item in a {
        indent(out, level);
        out.push('-');
        match item {
            Value::Object(m) if !m.is_empty() => {
                // The first key goes on the dash line; the rest align under it.
                let mut first = true;
                for (k, v) in m {
                    if first {
                        out.push(' ');
                        first = false;
                    } else {
                        indent(out, level + 2);
                    }
                    out.push_str(&string_text(k, level + 2, true));
                    out.push(':');
                    write_value_after_key(out, v, level + 2);
                }
            }
            Value::Array(inner) if !inner.is_empty() => {
                out.push('\n');
                write_seq(out, inner, level + 2);
            }
            scalar => {
                out.push(' ');
                out.push_str(&scalar_text(scalar, level + 2));
                out.push('\n');
            }
        }
    }
}

fn scalar_text(v: &Value, level: usize) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string_text(s, level, false),
        Value::Object(_) => "{}".into(),
        Value::Array(_) => "[]".into(),
    }
}

fn string_text(s: &str, level: usize, is_key: bool) -> String {
    if !is_key && s.contains('\n') && s.chars().all(|c| c == '\n' || !c.is_control()) && !s.starts_with(' ') {
        // Literal block: `|` keeps one trailing newline, `|-` none.
        let (body, chomp) = match s.strip_suffix('\n') {
            Some(b) if !b.ends_with('\n') => (b, ""),
            Some(_) => (s, "+"),
            None => (s, "-"),
        };
        let mut out = format!("|{chomp}");
        for line in body.split('\n') {
            out.push('\n');
            if !line.is_empty() {
                indent(&mut out, level);
                out.push_str(line);
            }
        }
        return out;
    }
    if resolves_to_non_string(s) {
        return double_quoted(s);
    }
    if !plain_allowed(s) {
        if s.chars().any(|c| c.is_control()) {
            return double_quoted(s);
        }
        return format!("'{}'", s.replace('\'', "''"));
    }
    s.to_string()
}

fn double_quoted(s: &str) -> String {
    // JSON string escaping is valid YAML double-quoted style.
    serde_json::Value::String(s.to_string()).to_string()
}

/// upstream: go-yaml v2 resolve() — what a plain scalar would be read as.
fn resolves_to_non_string(s: &str) -> bool {
    const SPECIAL: &[&str] = &[
        "", "~", "null", "Null", "NULL", "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True",
        "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", ".inf", ".Inf", ".INF", "-.inf",
        "-.Inf", "-.INF", "+.inf", "+.Inf", "+.INF", ".nan", ".NaN", ".NAN", "<<",
    ];
    if SPECIAL.contains(&s) {
        return true;
    }
    is_number(s) || is_timestamp(s) || is_base60(s)
}

fn is_number(s: &str) -> bool {
    let t = s.strip_prefix(['-', '+']).unwrap_or(s).replace('_', "");
    if t.is_empty() {
        return false;
    }
    if let Some(h) = t.strip_prefix("0x") {
        return !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit());
    }
    if let Some(b) = t.strip_prefix("0b") {
        return !b.is_empty() && b.chars().all(|c| c == '0' || c == '1');
    }
    // Decimal ints and floats: [0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)? or \.[0-9]+…
    let (mantissa, exp) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t.as_str(), None),
    };
    let mant_ok = {
        let (a, b) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let digits = |x: &str| x.chars().all(|c| c.is_ascii_digit());
        (!a.is_empty() || !b.is_empty()) && digits(a) && digits(b) && (mantissa.matches('.').count() <= 1)
    };
    let exp_ok = exp.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && e.chars().all(|c| c.is_ascii_digit())
    });
    mant_ok && exp_ok && !(mantissa == "." && exp.is_none())
}

/// YAML 1.1 timestamps: `2026-01-01`, `2026-01-01T00:00:00Z`, `2026-01-01 00:00:00.5 +01:00`.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let date_ok = b.len() >= 8 && {
        let parts: Vec<&str> = s.get(..10.min(s.len())).unwrap_or("").splitn(3, '-').collect();
        parts.len() == 3
            && parts[0].len() == 4
            && parts.iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    };
    if !date_ok {
        return false;
    }
    let date_len = s.find(['T', 't', ' ']).unwrap_or(s.len());
    let rest = &s[date_len..];
    rest.is_empty()
        || rest[1..].chars().next().is_some_and(|c| c.is_ascii_digit())
            && rest.chars().skip(1).all(|c| c.is_ascii_digit() || ":.+-Zz ".contains(c))
}

fn is_base60(s: &str) -> bool {
    // upstream: isBase60Float — `1:20`, `-190:20:30.15`
    let t = s.strip_prefix(['-', '+']).unwrap_or(s);
    t.contains(':')
        && t.split(':').enumerate().all(|(i, p)| {
            let p = if i == t.split(':').count() - 1 { p.split('.').next().unwrap_or("") } else { p };
            !p.is_empty() && p.chars().all(|c| c.is_ascii_digit())
        })
        && t.split(':').next().is_some_and(|p| !p.is_empty())
}

/// libyaml's analysis: may this string be written as a plain scalar in block context?
fn plain_allowed(s: &str) -> bool {
    let first = s.chars().next().unwrap_or(' ');
    if s.starts_with(' ') || s.ends_with(' ') || s.starts_with('\t') {
        return false;
    }
    if ",[]{}#&*!|>'\"%@`".contains(first) {
        return false;
    }
    if matches!(first, '-' | '?' | ':') && (s.len() == 1 || s[1..].starts_with(' ')) {
        return false;
    }
    if s.contains(": ") || s.ends_with(':') || s.contains(" #") || s.starts_with("---") || s.starts_with("...") {
        return false;
    }
    !s.chars().any(|c| c.is_control() || c == '\u{feff}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn prints_like_kubectl() {
        let v = json!({
            "metadata": {"resourceVersion": "8", "creationTimestamp": "2026-01-01T00:00:00Z", "name": "web",
                         "annotations": {"a": "{\"x\":1}\n"}},
            "spec": {"containers": [{"name": "c", "env": [{"name": "MASTER", "value": "true"}], "ports": [{"containerPort": 80}]}],
                     "securityContext": {}, "tolerations": []},
        });
        let expected = "\
metadata:
  annotations:
    a: |
      {\"x\":1}
  creationTimestamp: \"2026-01-01T00:00:00Z\"
  name: web
  resourceVersion: \"8\"
spec:
  containers:
  - env:
    - name: MASTER
      value: \"true\"
    name: c
    ports:
    - containerPort: 80
  securityContext: {}
  tolerations: []
";
        assert_eq!(to_yaml(&v), expected);
    }

    #[test]
    fn keys_and_multiline_values_match_kubectl() {
        let v = json!({"n": "on", "h": "line1\nline2", "i": "x\n"});
        assert_eq!(to_yaml(&v), "h: |-\n  line1\n  line2\ni: |\n  x\n\"n\": \"on\"\n");
    }

    #[test]
    fn quotes_only_what_needs_it() {
        for (s, out) in [
            ("nginx:1.7.9", "nginx:1.7.9"),
            ("25%", "25%"),
            ("100m", "100m"),
            ("", "\"\""),
            ("on", "\"on\""),
            ("1e3", "\"1e3\""),
            ("0x1f", "\"0x1f\""),
            ("*", "'*'"),
            ("a: b", "'a: b'"),
            ("- x", "'- x'"),
            ("10.244.1.5", "10.244.1.5"),
            ("1:20", "\"1:20\""),
            ("2026-01-01", "\"2026-01-01\""),
            ("default/web", "default/web"),
            // Checked against `kubectl create configmap --from-literal=… --dry-run=client -o yaml`.
            ("{\"x\":1}", "'{\"x\":1}'"),
            (" lead", "' lead'"),
            ("@at", "'@at'"),
            ("8", "\"8\""),
        ] {
            assert_eq!(string_text(s, 0, false), out, "{s:?}");
        }
    }
}
