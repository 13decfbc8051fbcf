//! What a container's command does, when it is a script kubesim can follow without running
//! anything: the `echo`, `date`, `sleep`, `true`, `false` and `exit` lines of Job and CronJob
//! tutorials (`command: ["/bin/sh", "-c", "date; echo Hello from the Kubernetes cluster"]`,
//! `kubectl create job once --image=busybox -- echo hi`). Such a container ends as the script
//! would: after its sleeps, with its exit status, its output as its log. Anything else — a
//! program kubesim does not know, a pipe, a redirection, a variable, a loop — makes the script
//! unknown ([`None`]), and the container behaves as its image profile says (an unregistered
//! image runs until it is stopped).

use k8s_openapi::api::core::v1 as core;

use crate::sim::clock::Millis;

/// One line the script writes, `offset` after the container starts.
#[derive(Clone, Debug, PartialEq)]
pub enum Output {
    Text(String),
    /// `date`'s default output, at the time it runs.
    Date,
}

/// How a known script runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Script {
    /// What it writes, by offset from the container's start.
    pub output: Vec<(Millis, Output)>,
    /// How long it runs.
    pub runs_for: Millis,
    pub exit_code: i32,
}

/// The script of a container (its `command` then its `args`), if kubesim knows every part of
/// it. A container without a command runs its image's entrypoint, then its `args` (or the
/// image's own CMD): kubesim knows that only of [`SHELL_IMAGES`], whose entrypoint is empty,
/// so that their `args` are the whole command line (`kubectl run bb --image=busybox -- echo
/// hi`). (Without args their CMD, a shell, runs; kubesim does not follow it.)
pub fn of(c: &core::Container) -> Option<Script> {
    let argv: Vec<&str> = if c.command.as_ref().is_some_and(|v| !v.is_empty()) {
        c.command.iter().flatten().chain(c.args.iter().flatten()).map(String::as_str).collect()
    } else if c.image.as_deref().is_some_and(shell_image) {
        c.args.iter().flatten().map(String::as_str).collect()
    } else {
        return None;
    };
    if argv.is_empty() {
        return None;
    }
    let shell = matches!(base(argv[0]), "sh" | "bash" | "ash" | "dash");
    let commands = if shell {
        // `sh -c SCRIPT [NAME [ARGS…]]`: the script, its $0 and positional parameters (unused
        // by a script kubesim knows, which reads no variables).
        match argv.get(1..) {
            Some(["-c", script, ..]) => parse(script)?,
            _ => return None,
        }
    } else {
        vec![(Op::Then, argv.iter().map(|w| (*w).to_string()).collect())]
    };
    run(&commands)
}

/// Images whose configuration has no ENTRYPOINT and a shell as CMD (Docker's official
/// busybox, alpine, ubuntu, debian and fedora images), by repository name.
pub const SHELL_IMAGES: [&str; 5] = ["busybox", "alpine", "ubuntu", "debian", "fedora"];

/// Whether an image reference names one of [`SHELL_IMAGES`] on Docker Hub (`busybox`,
/// `busybox:1.36`, `library/alpine`, `docker.io/library/alpine@sha256:…`): another registry's or
/// owner's image of the same name may have an entrypoint.
fn shell_image(image: &str) -> bool {
    let image = image.split('@').next().unwrap_or(image);
    let path = match image.rsplit_once(':') {
        Some((p, tag)) if !tag.contains('/') => p,
        _ => image,
    };
    let name = ["index.docker.io/library/", "docker.io/library/", "library/"]
        .iter()
        .find_map(|prefix| path.strip_prefix(prefix))
        .unwrap_or(path);
    SHELL_IMAGES.contains(&name)
}

fn base(program: &str) -> &str {
    program.rsplit('/').next().unwrap_or(program)
}

/// How a command joins the one before it.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    /// `;` or a new line (or the first command).
    Then,
    /// `&&`: only if the last status was 0.
    And,
    /// `||`: only if it was not.
    Or,
}

/// A script's simple commands (each its words), or `None` for anything but words, quotes, `;`,
/// `&&`, `||`, new lines and comments.
fn parse(script: &str) -> Option<Vec<(Op, Vec<String>)>> {
    let mut commands: Vec<(Op, Vec<String>)> = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut word: Option<String> = None;
    let mut op = Op::Then;
    let mut chars = script.chars().peekable();
    let end_command = |commands: &mut Vec<(Op, Vec<String>)>, words: &mut Vec<String>, op: Op| -> Option<()> {
        if words.is_empty() {
            // An operator with no command before it is a syntax error; an empty line is none.
            return (op == Op::Then).then_some(());
        }
        commands.push((op, std::mem::take(words)));
        Some(())
    };
    while let Some(ch) = chars.next() {
        match ch {
            ' ' | '\t' => words.extend(word.take()),
            '\n' | ';' => {
                words.extend(word.take());
                end_command(&mut commands, &mut words, op)?;
                op = Op::Then;
            }
            '&' | '|' => {
                // Only `&&` and `||`: a background job or a pipe is not followed.
                if chars.next() != Some(ch) {
                    return None;
                }
                words.extend(word.take());
                if words.is_empty() {
                    return None;
                }
                end_command(&mut commands, &mut words, op)?;
                op = if ch == '&' { Op::And } else { Op::Or };
            }
            '#' if word.is_none() => {
                // A comment runs to the end of the line.
                while chars.peek().is_some_and(|c| *c != '\n') {
                    chars.next();
                }
            }
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next()? {
                        '\'' => break,
                        c => w.push(c),
                    }
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next()? {
                        '"' => break,
                        '$' | '`' => return None,
                        '\\' => match chars.next()? {
                            c @ ('"' | '\\') => w.push(c),
                            '\n' => {}
                            c => {
                                w.push('\\');
                                w.push(c);
                            }
                        },
                        c => w.push(c),
                    }
                }
            }
            '\\' => match chars.next()? {
                '\n' => {}
                c => word.get_or_insert_with(String::new).push(c),
            },
            // Expansions, redirections, subshells, globs and the like are not followed.
            '$' | '`' | '<' | '>' | '(' | ')' | '{' | '}' | '*' | '?' | '[' | '~' => return None,
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word.take());
    if op != Op::Then && words.is_empty() {
        return None;
    }
    end_command(&mut commands, &mut words, op)?;
    Some(commands)
}

/// Runs the commands as a shell would: each in turn, `&&` and `||` on the last status; the
/// script's status is the last command's (or `exit`'s).
fn run(commands: &[(Op, Vec<String>)]) -> Option<Script> {
    let mut script = Script { output: Vec::new(), runs_for: 0, exit_code: 0 };
    for (op, words) in commands {
        let skip = match op {
            Op::Then => false,
            Op::And => script.exit_code != 0,
            Op::Or => script.exit_code == 0,
        };
        let args = &words[1..];
        match (base(&words[0]), args) {
            // A skipped command is still one kubesim must know (a shell would have parsed it).
            ("echo", args) if args.first().is_none_or(|a| !a.starts_with('-')) => {
                if !skip {
                    script.output.push((script.runs_for, Output::Text(args.join(" "))));
                    script.exit_code = 0;
                }
            }
            ("date", []) => {
                if !skip {
                    script.output.push((script.runs_for, Output::Date));
                    script.exit_code = 0;
                }
            }
            ("true" | ":", _) => {
                if !skip {
                    script.exit_code = 0;
                }
            }
            ("false", _) => {
                if !skip {
                    script.exit_code = 1;
                }
            }
            ("sleep", args) if !args.is_empty() => {
                let total = args.iter().map(|a| seconds(a)).sum::<Option<Millis>>()?;
                if !skip {
                    script.runs_for = script.runs_for.checked_add(total)?;
                    script.exit_code = 0;
                }
            }
            ("exit", []) => {
                if !skip {
                    return Some(script);
                }
            }
            ("exit", [code]) => {
                // upstream (POSIX sh): the status is the number modulo 256.
                let code = code.parse::<i64>().ok()?.rem_euclid(256) as i32;
                if !skip {
                    script.exit_code = code;
                    return Some(script);
                }
            }
            _ => return None,
        }
    }
    Some(script)
}

/// `sleep`'s operand (GNU coreutils and busybox: a number, with an optional `s`, `m`, `h` or
/// `d` suffix), in milliseconds; `infinity` and anything else is unknown.
fn seconds(arg: &str) -> Option<Millis> {
    let (number, unit) = match arg.char_indices().last()? {
        (i, 's') => (&arg[..i], 1.0),
        (i, 'm') => (&arg[..i], 60.0),
        (i, 'h') => (&arg[..i], 3600.0),
        (i, 'd') => (&arg[..i], 86_400.0),
        _ => (arg, 1.0),
    };
    if number.is_empty() || !number.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let value: f64 = number.parse().ok()?;
    let ms = (value * unit * 1000.0).round();
    (ms.is_finite() && ms < 1e15).then_some(ms as Millis)
}

/// `date`'s default output in the C locale, as busybox and coreutils print it in a container
/// (UTC): `Thu Jan  1 00:05:00 UTC 2026`.
pub fn date_text(at: Millis) -> String {
    let t = k8s_openapi::jiff::Timestamp::from_millisecond(at).unwrap_or(k8s_openapi::jiff::Timestamp::UNIX_EPOCH);
    k8s_openapi::jiff::fmt::strtime::format("%a %b %e %H:%M:%S UTC %Y", t).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container(command: &[&str], args: &[&str]) -> core::Container {
        let strings = |v: &[&str]| (!v.is_empty()).then(|| v.iter().map(|s| s.to_string()).collect());
        core::Container { name: "c".into(), command: strings(command), args: strings(args), ..Default::default() }
    }

    type Outputs = Vec<(Millis, Output)>;

    fn text(s: &str) -> Output {
        Output::Text(s.into())
    }

    #[test]
    fn known_scripts_run_as_a_shell_runs_them() {
        let sh = |script: &str| container(&["/bin/sh", "-c"], &[script]);
        #[rustfmt::skip]
        let cases: Vec<(core::Container, Outputs, Millis, i32)> = vec![
            (container(&["echo", "hi"], &[]), vec![(0, text("hi"))], 0, 0),
            (container(&["echo"], &["hi", "there"]), vec![(0, text("hi there"))], 0, 0),
            (container(&["sleep", "30"], &[]), vec![], 30_000, 0),
            (container(&["sleep"], &["1.5", "2m"]), vec![], 121_500, 0),
            (container(&["/bin/false"], &[]), vec![], 0, 1),
            // The CronJob tutorial's command.
            (sh("date; echo Hello from the Kubernetes cluster"), vec![(0, Output::Date), (0, text("Hello from the Kubernetes cluster"))], 0, 0),
            (sh("echo start && sleep 10 && echo done"), vec![(0, text("start")), (10_000, text("done"))], 10_000, 0),
            (sh("sleep 5; exit 3"), vec![], 5_000, 3),
            (sh("exit 300"), vec![], 0, 44),
            (sh("false && echo no || echo yes"), vec![(0, text("yes"))], 0, 0),
            (sh("true || sleep 60"), vec![], 0, 0),
            (sh("false; exit"), vec![], 0, 1),
            (sh("echo 'a;b' \"c  d\" e\\ f # comment"), vec![(0, text("a;b c  d e f"))], 0, 0),
            (sh("echo one\n\necho two\n"), vec![(0, text("one")), (0, text("two"))], 0, 0),
            (container(&["bash", "-c", "sleep 1h", "name"], &[]), vec![], 3_600_000, 0),
            (sh("exit 2; echo never"), vec![], 0, 2),
        ];
        for (c, output, runs_for, exit_code) in cases {
            assert_eq!(of(&c), Some(Script { output, runs_for, exit_code }), "{:?} {:?}", c.command, c.args);
        }
    }

    #[test]
    fn args_alone_are_the_command_line_of_an_image_without_entrypoint() {
        let with_image = |image: &str, command: &[&str], args: &[&str]| core::Container {
            image: Some(image.into()),
            ..container(command, args)
        };
        let hi = Some(Script { output: vec![(0, text("hi"))], runs_for: 0, exit_code: 0 });
        // (image, command, args, script)
        let cases = [
            ("busybox", &[][..], &["echo", "hi"][..], hi.clone()),
            ("busybox:1.36", &[], &["echo", "hi"], hi.clone()),
            ("docker.io/library/alpine@sha256:0123", &[], &["sh", "-c", "echo hi"], hi.clone()),
            ("ubuntu:24.04", &[], &["echo", "hi"], hi.clone()),
            ("busybox", &["echo"], &["hi"], hi.clone()),
            // An image whose entrypoint kubesim does not know, or a shell image's own CMD.
            ("nginx", &[], &["echo", "hi"], None),
            ("example.com/busybox-tools:1", &[], &["echo", "hi"], None),
            ("ghcr.io/acme/debian:12", &[], &["echo", "hi"], None),
            ("library/busybox", &[], &["echo", "hi"], hi.clone()),
            ("busybox", &[], &[], None),
        ];
        for (image, command, args, want) in cases {
            assert_eq!(of(&with_image(image, command, args)), want, "{image} {command:?} {args:?}");
        }
    }

    #[test]
    fn anything_else_is_unknown() {
        let sh = |script: &str| container(&["sh", "-c"], &[script]);
        for c in [
            container(&[], &["echo", "hi"]), // args alone: an unknown image's entrypoint runs them
            container(&["nginx"], &[]),
            container(&["perl", "-wle", "print 1"], &[]),
            container(&["sleep", "infinity"], &[]),
            container(&["sleep"], &[]),
            container(&["sh"], &[]),
            container(&["sh", "-x", "echo"], &[]),
            container(&["echo", "-n", "hi"], &[]),
            sh("echo $HOSTNAME"),
            sh("echo \"$(date)\""),
            sh("echo hi > /tmp/x"),
            sh("echo hi | wc"),
            sh("sleep 10 &"),
            sh("while true; do sleep 1; done"),
            sh("echo 'unclosed"),
            sh("&& echo hi"),
            sh("echo hi &&"),
            sh("exit x"),
            sh("false && nginx"), // a skipped command is still read
        ] {
            assert_eq!(of(&c), None, "{:?} {:?}", c.command, c.args);
        }
    }

    proptest::proptest! {
        /// Any text as an `sh -c` script or a command's words: an answer, never a panic; and a
        /// script that is known ends no sooner than its output.
        #[test]
        fn any_script_is_read_without_panicking(script in "[ a-z0-9;&|'\"\\#\n.$>-]{0,40}", words in proptest::collection::vec("[a-z0-9.-]{0,6}", 1..4)) {
            for c in [container(&["sh", "-c"], &[&script]), container(&words.iter().map(String::as_str).collect::<Vec<_>>(), &[])] {
                if let Some(s) = of(&c) {
                    proptest::prop_assert!(s.output.iter().all(|(t, _)| *t <= s.runs_for));
                    proptest::prop_assert!((0..256).contains(&s.exit_code));
                }
            }
        }
    }

    #[test]
    fn date_prints_as_busybox_does() {
        assert_eq!(date_text(1_767_226_200_000), "Thu Jan  1 00:10:00 UTC 2026");
        assert_eq!(date_text(1_768_435_200_000), "Thu Jan 15 00:00:00 UTC 2026");
    }
}
