//! The `imagePullPolicy` default, and the docker image-reference grammar it needs.

/// The `imagePullPolicy` the API server picks when none is given.
///
/// upstream: SetDefaults_Container — `parsers.ParseImageName` yields the tag, which is `latest`
/// when neither a tag nor a digest is given; tag `latest` means Always, anything else (another
/// tag, a digest alone, or a reference that does not parse) means IfNotPresent.
pub fn default_image_pull_policy(image: &str) -> &'static str {
    if image_tag(image).as_deref() == Some("latest") {
        "Always"
    } else {
        "IfNotPresent"
    }
}

/// The tag `parsers.ParseImageName` reports: `Some("latest")` for an untagged, undigested
/// reference, `None` for a digest-only reference or one that docker's grammar rejects.
fn image_tag(image: &str) -> Option<String> {
    if image.len() > 255 + 72 + 129 {
        return None;
    }
    let (name_and_tag, digest) = match image.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (image, None),
    };
    if let Some(d) = digest {
        if !is_valid_digest(d) {
            return None;
        }
    }
    // The tag is after the last ':' that follows the last '/' (a registry port is not a tag).
    let last_slash = name_and_tag.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match name_and_tag[last_slash..].rfind(':') {
        Some(i) => (&name_and_tag[..last_slash + i], Some(&name_and_tag[last_slash + i + 1..])),
        None => (name_and_tag, None),
    };
    if !is_valid_repository(name) {
        return None;
    }
    match tag {
        Some(t) if is_valid_tag(t) => Some(t.to_string()),
        Some(_) => None,
        None if digest.is_none() => Some("latest".to_string()),
        None => None,
    }
}

/// docker reference `tag`: `[\w][\w.-]{0,127}`.
fn is_valid_tag(t: &str) -> bool {
    let b = t.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    !b.is_empty() && b.len() <= 128 && word(b[0]) && b.iter().all(|&c| word(c) || c == b'.' || c == b'-')
}

/// docker reference `digest`: `algorithm:hex`; sha256 needs exactly 64 lower-case hex digits.
fn is_valid_digest(d: &str) -> bool {
    let Some((alg, hex)) = d.split_once(':') else {
        return false;
    };
    let alg_ok = !alg.is_empty()
        && alg.as_bytes()[0].is_ascii_alphabetic()
        && alg.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'+' | b'.'));
    let hex_ok = hex.len() >= 32 && hex.bytes().all(|c| c.is_ascii_hexdigit());
    let sha_ok = alg != "sha256" || (hex.len() == 64 && hex.bytes().all(|c| !c.is_ascii_uppercase()));
    alg_ok && hex_ok && sha_ok
}

/// docker reference `name`: optional domain (`host[:port]`), then lower-case path components.
fn is_valid_repository(name: &str) -> bool {
    if name.is_empty() || name.len() > 255 {
        return false;
    }
    let mut parts: Vec<&str> = name.split('/').collect();
    if parts.len() > 1 {
        let first = parts[0];
        if first.contains('.')
            || first.contains(':')
            || first == "localhost"
            || first.bytes().any(|c| c.is_ascii_uppercase())
        {
            if !is_valid_domain(first) {
                return false;
            }
            parts.remove(0);
        }
    }
    // A bare 64-hex-digit name is rejected as ambiguous with an image id.
    if parts.len() == 1 && parts[0].len() == 64 && parts[0].bytes().all(|c| c.is_ascii_hexdigit()) {
        return false;
    }
    parts.iter().all(|p| is_valid_path_component(p))
}

/// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
fn is_valid_path_component(p: &str) -> bool {
    let b = p.as_bytes();
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &p[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|c| c == b'-');
        if !ok {
            return false;
        }
    }
    true
}

/// `host[:port]` where host is dot-separated `[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?` labels.
fn is_valid_domain(d: &str) -> bool {
    let (host, port) = match d.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (d, None),
    };
    if let Some(p) = port {
        if p.is_empty() || !p.bytes().all(|c| c.is_ascii_digit()) {
            return false;
        }
    }
    !host.is_empty()
        && host.split('.').all(|l| {
            let b = l.as_bytes();
            !b.is_empty()
                && b[0].is_ascii_alphanumeric()
                && b[b.len() - 1].is_ascii_alphanumeric()
                && b.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_pull_policy_follows_the_tag() {
        let digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let rows = [
            ("nginx", "Always", "no tag means :latest"),
            ("nginx:latest", "Always", "explicit latest"),
            ("nginx:1.7.9", "IfNotPresent", "a pinned tag"),
            ("localhost:5000/nginx", "Always", "a registry port is not a tag"),
            ("localhost:5000/nginx:1.2", "IfNotPresent", "tag after a registry port"),
            (&format!("nginx@{digest}"), "IfNotPresent", "a digest without tag"),
            (&format!("nginx:latest@{digest}"), "Always", "latest tag plus digest"),
            (&format!("nginx:1.2@{digest}"), "IfNotPresent", "pinned tag plus digest"),
            ("registry.example.com/team/app", "Always", "domain and path, no tag"),
            ("docker.io/library/redis:7", "IfNotPresent", "fully qualified with tag"),
            ("NGINX", "IfNotPresent", "upper case does not parse"),
            ("nginx@sha256:abc", "IfNotPresent", "a malformed digest does not parse"),
            ("", "IfNotPresent", "an empty image does not parse"),
        ];
        for (image, want, why) in rows {
            assert_eq!(default_image_pull_policy(image), want, "{image:?}: {why}");
        }
    }
}
