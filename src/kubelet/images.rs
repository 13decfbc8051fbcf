//! Image profiles: how long an image takes to pull and start, and how its containers behave.
//! Registered from Python with `c.images.register(ref_or_glob, …)`; the most recent matching
//! registration wins.

use super::dist::{Dist, DrawKey};
use super::exec::ExecCommand;
use crate::sim::clock::Millis;

/// How one run of a container of an image behaves (as registered with fixed timings; the
/// kubelet reads a run's timings drawn through [`ImageSpec::timings`]).
/// Durations are virtual milliseconds.
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

/// One run's timings (an [`ImageProfile`] drawn from an [`ImageSpec`]), each drawn when it is read: a kubelet step reads one or
/// two of them, and a draw hashes its key and seeds a generator.
#[derive(Clone, Copy)]
pub struct Timings<'a> {
    spec: &'a ImageSpec,
    key: DrawKey<'a>,
}

impl Timings<'_> {
    pub fn exists(&self) -> bool {
        self.spec.exists
    }
    pub fn pull(&self) -> Millis {
        self.spec.pull.draw(self.key.of("pull"))
    }
    pub fn start(&self) -> Millis {
        self.spec.start.draw(self.key.of("start"))
    }
    pub fn ready_after(&self) -> Option<Millis> {
        self.maybe(&self.spec.ready_after, "ready_after")
    }
    pub fn crash_after(&self) -> Option<Millis> {
        self.maybe(&self.spec.crash_after, "crash_after")
    }
    pub fn exit_code(&self) -> i32 {
        self.spec.exit_code
    }
    pub fn completes_after(&self) -> Option<Millis> {
        self.maybe(&self.spec.completes_after, "completes_after")
    }
    pub fn liveness_fails_after(&self) -> Option<Millis> {
        self.maybe(&self.spec.liveness_fails_after, "liveness_fails_after")
    }
    pub fn stop(&self) -> Option<Millis> {
        self.maybe(&self.spec.stop, "stop")
    }
    pub fn size_bytes(&self) -> u64 {
        self.spec.size_bytes
    }
    fn maybe(&self, d: &Option<Dist>, what: &str) -> Option<Millis> {
        d.as_ref().map(|d| d.draw(self.key.of(what)))
    }
}

/// How containers of an image behave, as registered: each timing fixed or a distribution.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ImageSpec {
    pub exists: bool,
    pub pull: Dist,
    pub start: Dist,
    pub ready_after: Option<Dist>,
    pub crash_after: Option<Dist>,
    pub exit_code: i32,
    pub completes_after: Option<Dist>,
    pub liveness_fails_after: Option<Dist>,
    pub stop: Option<Dist>,
    pub size_bytes: u64,
    /// What a container of the image writes to its log, and when (see [`super::logs`]).
    pub logs: std::sync::Arc<[super::logs::LogLine]>,
    /// The commands `kubectl exec` can run in a container of the image (see [`super::exec`]).
    pub exec: std::sync::Arc<[super::exec::ExecCommand]>,
}

impl From<ImageProfile> for ImageSpec {
    fn from(p: ImageProfile) -> Self {
        ImageSpec {
            exists: p.exists,
            pull: p.pull.into(),
            start: p.start.into(),
            ready_after: p.ready_after.map(Dist::from),
            crash_after: p.crash_after.map(Dist::from),
            exit_code: p.exit_code,
            completes_after: p.completes_after.map(Dist::from),
            liveness_fails_after: p.liveness_fails_after.map(Dist::from),
            stop: p.stop.map(Dist::from),
            size_bytes: p.size_bytes,
            logs: std::sync::Arc::from([]),
            exec: super::exec::default_commands(),
        }
    }
}

impl Default for ImageSpec {
    fn default() -> Self {
        ImageProfile::default().into()
    }
}

impl ImageSpec {
    /// What an image no registered pattern matches behaves like ([`ImageSpec::default`], made
    /// once: it holds the default exec commands).
    pub fn unregistered() -> &'static ImageSpec {
        static DEFAULT: std::sync::LazyLock<ImageSpec> = std::sync::LazyLock::new(ImageSpec::default);
        &DEFAULT
    }
}

impl ImageSpec {
    /// The timings of the container run `key` names, each drawn when it is read.
    pub fn timings<'a>(&'a self, key: DrawKey<'a>) -> Timings<'a> {
        Timings { spec: self, key }
    }

    /// Why a timing cannot be drawn from, naming it (e.g. `pull: uniform needs …`).
    pub fn check(&self) -> Result<(), String> {
        let fields = [
            ("pull", Some(&self.pull)),
            ("start", Some(&self.start)),
            ("ready_after", self.ready_after.as_ref()),
            ("crash_after", self.crash_after.as_ref()),
            ("completes_after", self.completes_after.as_ref()),
            ("liveness_fails_after", self.liveness_fails_after.as_ref()),
            ("stop", self.stop.as_ref()),
        ];
        for (name, d) in fields {
            if let Some(d) = d {
                d.check().map_err(|e| format!("{name}: {e}"))?;
            }
        }
        Ok(())
    }
}

#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ImageRegistry {
    entries: Vec<(String, ImageSpec)>,
}

impl ImageRegistry {
    /// The registry a new cluster starts with: the tutorial's nginx and redis exit within 100 ms
    /// of SIGTERM, as the real servers do (nginx's fast shutdown, redis's SIGTERM handler); any
    /// other image keeps the defaults. User registrations override these.
    pub fn with_builtins() -> ImageRegistry {
        let mut r = ImageRegistry::default();
        let prompt = ImageSpec::from(ImageProfile { stop: Some(100), ..ImageProfile::default() });
        for image in ["nginx", "redis"] {
            let mut prompt = prompt.clone();
            let own = match image {
                "nginx" => {
                    ExecCommand { stderr: "nginx version: nginx/{tag}\n".into(), ..ExecCommand::new("nginx -v", "") }
                }
                _ => ExecCommand::new("redis-cli ping", "PONG\n"),
            };
            prompt.exec = prompt.exec.iter().cloned().chain([own]).collect();
            for pattern in [image.to_string(), format!("{image}:*"), format!("{image}@*")] {
                r.register(&pattern, prompt.clone());
            }
        }
        r
    }

    pub fn register(&mut self, pattern: &str, spec: impl Into<ImageSpec>) {
        self.entries.retain(|(p, _)| p != pattern);
        self.entries.push((pattern.to_string(), spec.into()));
    }

    /// The registration for an image reference: the latest whose pattern matches.
    pub fn spec(&self, image: &str) -> Option<&ImageSpec> {
        self.entries.iter().rev().find(|(p, _)| glob_match(p, image)).map(|(_, spec)| spec)
    }

    /// The timings of one run of a container of `image` (the defaults when nothing matches),
    /// each drawn when it is read.
    pub fn timings<'a>(&'a self, image: &str, key: DrawKey<'a>) -> Timings<'a> {
        self.spec(image).unwrap_or(ImageSpec::unregistered()).timings(key)
    }

    pub fn entries(&self) -> &[(String, ImageSpec)] {
        &self.entries
    }
}

/// `*` matches any run of characters, `?` one character; everything else literally. Walks the
/// bytes without copying either string (the kubelet asks this of every registered pattern at
/// every container step): a literal byte compares as itself, `?` and a backtrack step over one
/// whole UTF-8 character, so a match consumes whole characters of the text.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    // The length of the UTF-8 character starting at `i` (a char boundary of the text).
    let char_len = |i: usize| text[i..].chars().next().map_or(1, char::len_utf8);
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None::<usize>, 0);
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'?' {
            pi += 1;
            ti += char_len(ti);
        } else if pi < p.len() && p[pi] == t[ti] {
            // (A `*` in the text is matched by one in the pattern as itself, before wildcards.)
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += char_len(mark);
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
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

    /// The matcher over whole characters, as it was written first (each string copied into a
    /// vector of chars): the byte walk must agree with it.
    fn glob_match_chars(pattern: &str, text: &str) -> bool {
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

    #[test]
    fn question_marks_match_whole_characters() {
        assert!(glob_match("app:?", "app:é"));
        assert!(!glob_match("app:??", "app:é"));
        assert!(glob_match("*é", "caféé"));
        assert!(!glob_match("*è", "café"));
        assert!(glob_match("?*?", "éè"));
        assert!(!glob_match("a*é?", "aé"));
        assert!(glob_match("x?", "x€"));
        assert!(!glob_match("*₭", "a€"));
        // A `*` of the text is matched as itself first, as the first matcher did.
        assert!(!glob_match("*b", "*ab"));
    }

    proptest::proptest! {
        #[test]
        fn the_byte_walk_matches_as_characters_do(
            pattern in "[a*?é:è€₭.]{0,8}",
            text in "[a*?é:è€₭.]{0,10}",
        ) {
            proptest::prop_assert_eq!(glob_match(&pattern, &text), glob_match_chars(&pattern, &text));
        }
    }

    #[test]
    fn latest_registration_wins() {
        let mut r = ImageRegistry::default();
        r.register("nginx:*", ImageProfile { pull: 5_000, ..Default::default() });
        r.register("nginx:1.161", ImageProfile { exists: false, ..Default::default() });
        let key = DrawKey { pod_uid: 1, container: "main", restarts: 0 };
        assert!(!r.timings("nginx:1.161", key).exists());
        assert_eq!(r.timings("nginx:1.7.9", key).pull(), 5_000);
        assert_eq!(r.timings("redis", key).pull(), ImageProfile::default().pull);
    }

    /// The timings the kubelet reads one by one are each drawn from its own tag of the key
    /// (the same draws whatever else is read), and an image nothing matches has the defaults.
    #[test]
    fn timings_read_one_by_one_draw_each_from_its_own_tag() {
        use super::super::dist::Dist;
        let mut r = ImageRegistry::default();
        let spread = |low, high| Dist::Uniform { low, high };
        let mut spec = ImageSpec::from(ImageProfile::default());
        (spec.pull, spec.start) = (spread(1_000, 9_000), spread(100, 900));
        spec.ready_after = Some(spread(1, 50_000));
        spec.crash_after = Some(spread(2, 60_000));
        spec.completes_after = Some(spread(3, 70_000));
        spec.liveness_fails_after = Some(spread(4, 80_000));
        spec.stop = Some(spread(5, 90_000));
        spec.exit_code = 3;
        r.register("app:*", spec.clone());
        for restarts in [0, 2] {
            let key = DrawKey { pod_uid: 7, container: "main", restarts };
            let t = r.timings("app:1", key);
            let drawn = |d: &Option<Dist>, tag| d.as_ref().map(|d| d.draw(key.of(tag)));
            assert_eq!((t.pull(), t.start()), (spec.pull.draw(key.of("pull")), spec.start.draw(key.of("start"))));
            assert_eq!(t.ready_after(), drawn(&spec.ready_after, "ready_after"));
            assert_eq!(t.crash_after(), drawn(&spec.crash_after, "crash_after"));
            assert_eq!(t.completes_after(), drawn(&spec.completes_after, "completes_after"));
            assert_eq!(t.liveness_fails_after(), drawn(&spec.liveness_fails_after, "liveness_fails_after"));
            assert_eq!(t.stop(), drawn(&spec.stop, "stop"));
            assert_eq!((t.exists(), t.exit_code(), t.size_bytes()), (spec.exists, 3, spec.size_bytes));
        }
        let key = DrawKey { pod_uid: 7, container: "main", restarts: 0 };
        let t = r.timings("redis", key);
        let d = ImageProfile::default();
        assert_eq!(
            (t.exists(), t.pull(), t.start(), t.exit_code(), t.size_bytes()),
            (d.exists, d.pull, d.start, d.exit_code, d.size_bytes)
        );
        assert_eq!(
            (t.ready_after(), t.crash_after(), t.completes_after(), t.liveness_fails_after(), t.stop()),
            (d.ready_after, d.crash_after, d.completes_after, d.liveness_fails_after, d.stop)
        );
    }
}
