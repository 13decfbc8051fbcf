//! Image profiles: how long an image takes to pull and start, and how its containers behave.
//! Registered from Python with `c.images.register(ref_or_glob, …)`; the most recent matching
//! registration wins.

use crate::sim::clock::Millis;

/// How containers of an image behave. Durations are virtual milliseconds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageProfile {
    /// `false` makes pulls fail (ErrImagePull, then ImagePullBackOff).
    pub exists: bool,
    /// Time to pull the image onto a node that does not have it.
    pub pull: Millis,
    /// Time from image present to the container running.
    pub start: Millis,
    /// Time after start until a readiness probe succeeds (`None`: from the first probe).
    pub ready_after: Option<Millis>,
    /// The container exits with `exit_code` this long after it starts.
    pub crash_after: Option<Millis>,
    pub exit_code: i32,
    /// The container exits 0 this long after it starts.
    pub completes_after: Option<Millis>,
    /// Liveness probes fail from this long after start (`None`: they pass).
    pub liveness_fails_after: Option<Millis>,
    /// Time a container takes to exit after SIGTERM (`None`: it runs until the grace period
    /// ends and is killed).
    pub stop: Option<Millis>,
    /// Reported in the Pulled event.
    pub size_bytes: u64,
}

impl Default for ImageProfile {
    fn default() -> Self {
        ImageProfile {
            exists: true,
            pull: 2_000,
            start: 1_000,
            ready_after: None,
            crash_after: None,
            exit_code: 1,
            completes_after: None,
            liveness_fails_after: None,
            stop: None,
            size_bytes: 67_108_864,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImageRegistry {
    entries: Vec<(String, ImageProfile)>,
}

impl ImageRegistry {
    /// The registry a new cluster starts with: the tutorial's nginx and redis exit within 100 ms
    /// of SIGTERM, as the real servers do (nginx's fast shutdown, redis's SIGTERM handler); any
    /// other image keeps the defaults. User registrations override these.
    pub fn with_builtins() -> ImageRegistry {
        let mut r = ImageRegistry::default();
        let prompt = ImageProfile { stop: Some(100), ..ImageProfile::default() };
        for image in ["nginx", "redis"] {
            for pattern in [image.to_string(), format!("{image}:*"), format!("{image}@*")] {
                r.register(&pattern, prompt.clone());
            }
        }
        r
    }

    pub fn register(&mut self, pattern: &str, profile: ImageProfile) {
        self.entries.retain(|(p, _)| p != pattern);
        self.entries.push((pattern.to_string(), profile));
    }

    /// The profile for an image reference: the latest registration whose pattern matches,
    /// else the defaults.
    pub fn profile(&self, image: &str) -> ImageProfile {
        self.entries.iter().rev().find(|(p, _)| glob_match(p, image)).map(|(_, prof)| prof.clone()).unwrap_or_default()
    }

    pub fn entries(&self) -> &[(String, ImageProfile)] {
        &self.entries
    }
}

/// `*` matches any run of characters, `?` one character; everything else literally.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None::<usize>, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_image_references() {
        assert!(glob_match("nginx:*", "nginx:1.7.9"));
        assert!(glob_match("nginx", "nginx"));
        assert!(!glob_match("nginx", "nginx:1"));
        assert!(glob_match("*", "anything"));
        assert!(glob_match("app:?", "app:2"));
        assert!(!glob_match("app:?", "app:22"));
        assert!(glob_match("*/team/*:1.*", "registry.io/team/api:1.4"));
    }

    #[test]
    fn latest_registration_wins() {
        let mut r = ImageRegistry::default();
        r.register("nginx:*", ImageProfile { pull: 5_000, ..Default::default() });
        r.register("nginx:1.161", ImageProfile { exists: false, ..Default::default() });
        assert!(!r.profile("nginx:1.161").exists);
        assert_eq!(r.profile("nginx:1.7.9").pull, 5_000);
        assert_eq!(r.profile("redis"), ImageProfile::default());
    }
}
