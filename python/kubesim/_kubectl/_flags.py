"""kubectl's command line as cobra and pflag parse it: global flags anywhere (before the verb,
after it, between arguments), `--flag=value` and `--flag value`, shorthands `-n x`, `-n=x`,
`-nx` and chained booleans (`-Ao name`), and `--` ending the flags."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ._base import Fail, usage

# upstream: `kubectl options` — the flags every command accepts. kubesim is the one cluster the
# kubeconfig names, so the connection flags are accepted and only the names are checked.
GLOBAL_VALUES = {
    "--namespace",
    "--context",
    "--cluster",
    "--user",
    "--kubeconfig",
    "--server",
    "--token",
    "--request-timeout",
    "--v",
    "--vmodule",
    "--as",
    "--as-group",
    "--as-uid",
    "--certificate-authority",
    "--client-certificate",
    "--client-key",
    "--tls-server-name",
    "--username",
    "--password",
    "--cache-dir",
    "--profile",
    "--profile-output",
    "--log-flush-frequency",
}
GLOBAL_BOOLS = {"--insecure-skip-tls-verify", "--match-server-version", "--warnings-as-errors", "--disable-compression"}
GLOBAL_SHORTS = {"-n": "--namespace", "-s": "--server", "-v": "--v"}
# The context, cluster and user of the kubeconfig kubesim stands for.
KUBECONFIG_NAME = "kubesim"

# Shorthands kubectl's commands share; a command has the shorthand when it has the long flag.
SHORTS = {
    "-o": "--output",
    "-l": "--selector",
    "-L": "--label-columns",
    "-A": "--all-namespaces",
    "-f": "--filename",
    "-R": "--recursive",
    "-w": "--watch",
    "-p": "--patch",
    "-c": "--containers",
    "-e": "--env",
    "-k": "--kustomize",
}

_GO_BOOLS = {"1": True, "t": True, "T": True, "TRUE": True, "true": True, "True": True}
_GO_BOOLS |= {"0": False, "f": False, "F": False, "FALSE": False, "false": False, "False": False}


@dataclass
class Args:
    command: str
    positional: list[str]
    flags: dict[str, list[str]]
    after_dashdash: list[str] = field(default_factory=list)
    shorts: dict[str, str] = field(default_factory=dict)
    dashdash_at: int = -1  # how many positional arguments came before `--` (-1: no `--`)

    def value(self, name: str, default: str | None = None) -> str | None:
        values = self.flags.get(name)
        return values[-1] if values else default

    def values(self, name: str) -> list[str]:
        return self.flags.get(name, [])

    def given(self, name: str) -> bool:
        return name in self.flags

    def namespace_given(self) -> bool:
        """Whether `-n` named a namespace (an empty value falls back to the default)."""
        return self.value("--namespace") not in (None, "")

    def bool(self, name: str) -> bool:
        v = self.value(name)
        return v is not None and v.lower() in ("true", "1", "t")

    def int(self, name: str, default: int) -> int:
        v = self.value(name)
        if v is None:
            return default
        if not re.fullmatch(r"[+-]?[0-9]+", v):  # upstream: Go's ParseInt, ASCII digits only
            raise usage(
                self.command,
                f'invalid argument "{v}" for "{self.label(name)}" flag: '
                f'strconv.ParseInt: parsing "{v}": invalid syntax',
            )
        return int(v)

    def label(self, name: str) -> str:
        short = next((s for s, long in self.shorts.items() if long == name), None)
        return f"{short}, {name}" if short else name

    @property
    def namespace(self) -> str:
        # upstream: an empty -n falls back to the kubeconfig's namespace, `default`.
        return self.value("--namespace") or "default"


def parse(
    command: str,
    args: list[str],
    values: set[str],
    bools: set[str],
    extra_shorts: dict[str, str] | None = None,
    dashdash_positional: bool = True,
) -> Args:
    """Positional arguments and flags of one command as pflag parses them, with kubectl's
    global flags added to the command's own."""
    values = values | GLOBAL_VALUES
    bools = bools | GLOBAL_BOOLS
    shorts = {
        s: long for s, long in {**SHORTS, **GLOBAL_SHORTS, **(extra_shorts or {})}.items() if long in values | bools
    }
    parsed = Args(command, [], {}, shorts=shorts)

    def put_bool(name: str, value: str) -> None:
        if value not in _GO_BOOLS:
            raise usage(
                command,
                f'invalid argument "{value}" for "{parsed.label(name)}" flag: strconv.ParseBool: '
                f'parsing "{value}": invalid syntax',
            )
        parsed.flags.setdefault(name, []).append("true" if _GO_BOOLS[value] else "false")

    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if a == "--":
            parsed.dashdash_at = len(parsed.positional)
            parsed.after_dashdash = args[i:]
            break
        if not a.startswith("-") or a == "-":
            parsed.positional.append(a)
            continue
        if a.startswith("--"):
            name, eq, value = a.partition("=")
            if name in bools:
                put_bool(name, value if eq else "true")
            elif name in values:
                if not eq:
                    if i >= len(args):
                        raise usage(command, f"flag needs an argument: {name}")
                    value = args[i]
                    i += 1
                parsed.flags.setdefault(name, []).append(value)
            else:
                raise usage(command, f"unknown flag: {name}")
            continue
        # Shorthands: booleans may chain (`-Ao`); a value shorthand takes the rest of the argument.
        j = 1
        while j < len(a):
            short = "-" + a[j]
            if short not in shorts:
                raise usage(command, f"unknown shorthand flag: '{a[j]}' in {a}")
            name = shorts[short]
            rest = a[j + 1 :]
            if name in bools:
                if rest.startswith("="):
                    put_bool(name, rest[1:])
                    break
                put_bool(name, "true")
                j += 1
                continue
            if rest:
                value = rest[1:] if rest.startswith("=") else rest
            elif i < len(args):
                value = args[i]
                i += 1
            else:
                raise usage(command, f"flag needs an argument: '{a[j]}' in {a}")
            parsed.flags.setdefault(name, []).append(value)
            break
    if dashdash_positional:
        parsed.positional += parsed.after_dashdash  # upstream: `get pods -- -n` looks up a pod named `-n`
    check_globals(parsed)
    return parsed


def check_globals(a: Args) -> None:
    """The global flags kubectl checks before it talks to a server."""
    a.int("--v", 0)
    context = a.value("--context")
    if context and context != KUBECONFIG_NAME:
        raise Fail(f"Error in configuration: context was not found for specified context: {context}")
    cluster = a.value("--cluster")
    if cluster and cluster != KUBECONFIG_NAME:
        raise Fail(f'error: no server found for cluster "{cluster}"')
    user = a.value("--user")
    if user and user != KUBECONFIG_NAME:
        raise Fail(f'error: auth info "{user}" does not exist')
    timeout = a.value("--request-timeout")
    if timeout is not None and not re.fullmatch(r"[0-9]+|([0-9]+(\.[0-9]*)?(ns|us|µs|ms|s|m|h))+", timeout):
        raise Fail(
            "error: Invalid timeout value. Timeout must be a single integer in seconds, or an integer followed by "
            "a corresponding time unit (e.g. 1s | 2m | 3h)"
        )


# The global flags that take no value: cobra's stripFlags must not take the next word for them.
_STRIP_BOOLS = {name[2:] for name in GLOBAL_BOOLS}


def find_command(args: list[str], tree: dict[str, dict[str, object]]) -> tuple[list[str], list[str], list[str]]:
    """cobra's Find: the command words (`["set", "image"]`), the arguments without them, and the
    non-flag words cobra saw (for errors). Flags before the verb are skipped the way cobra's
    stripFlags skips them: a flag without `=` that is not a known boolean takes the next word."""
    words: list[tuple[int, str]] = []
    i = 0
    while i < len(args):
        s = args[i]
        i += 1
        if s == "--":
            break
        if s.startswith("--") and "=" not in s and s[2:] not in _STRIP_BOOLS:
            if i >= len(args):
                break
            i += 1
            continue
        if s.startswith("-") and "=" not in s and len(s) == 2:
            if i >= len(args):
                break
            i += 1
            continue
        if s and not s.startswith("-"):
            words.append((i - 1, s))
    path: list[str] = []
    used: list[int] = []
    level: dict[str, dict[str, object]] | None = tree
    for index, word in words:
        if level is None or word not in level:
            break
        path.append(word)
        used.append(index)
        sub = level[word]
        level = sub if sub else None  # type: ignore[assignment]
    rest = [a for n, a in enumerate(args) if n not in used]
    return path, rest, [w for _, w in words]


def dry_run(a: Args) -> bool:
    """`--dry-run=none|client|server`; kubesim runs both dry runs alike (nothing is stored)."""
    value = a.value("--dry-run", "none")
    if value not in ("none", "client", "server"):
        raise Fail(f'error: Invalid dry-run value ({value}). Must be "none", "server", or "client".')
    return value != "none"


def dry_run_suffix(a: Args) -> str:
    """What kubectl appends to an object's line: ` (dry run)`, ` (server dry run)` or nothing."""
    if not dry_run(a):
        return ""
    return " (server dry run)" if a.value("--dry-run") == "server" else " (dry run)"
