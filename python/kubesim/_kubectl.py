"""`c.kubectl("…")`: kubectl's command line, run against the simulated cluster, printing what
kubectl 1.32 prints (stdout, stderr and exit code). Formats and messages follow
`reference/kubectl.md`; waiting commands advance virtual time instead of sleeping."""

from __future__ import annotations

import functools
import json
import re
import shlex
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import _jsonpath, _native
from .errors import (
    AlreadyExistsError,
    InvalidObjectError,
    KubectlError,
    KubesimError,
    NotFoundError,
    RolloutTimeoutError,
    TimeoutError,
)

if TYPE_CHECKING:
    from ._cluster import Cluster
    from ._handles import Deployment, Object

__all__ = ["CLIENT_VERSION", "KubectlResult", "run"]

CLIENT_VERSION = "v1.32.4"
KUSTOMIZE_VERSION = "v5.5.0"
SERVER_VERSION = "v1.33.0"

EXAMPLES = Path(__file__).resolve().parent / "examples"
# The tutorial's manifest URLs, answered from the bundled copies so the walkthrough runs offline.
BUNDLED_URLS = {
    "https://k8s.io/examples/controllers/nginx-deployment.yaml": EXAMPLES / "nginx-deployment.yaml",
    "https://kubernetes.io/examples/controllers/nginx-deployment.yaml": EXAMPLES / "nginx-deployment.yaml",
}


@dataclass(frozen=True)
class KubectlResult:
    """What a kubectl command printed, and its exit code."""

    stdout: str
    stderr: str
    exit_code: int

    def __str__(self) -> str:
        return self.stdout

    def _repr_html_(self) -> str:
        """In a notebook: stdout as a terminal shows it, stderr in red, a non-zero exit code."""
        import html

        out = f"<pre>{html.escape(self.stdout)}</pre>" if self.stdout else ""
        err = f'<pre style="color:#b00">{html.escape(self.stderr)}</pre>' if self.stderr else ""
        code = f"<p><small>exit code {self.exit_code}</small></p>" if self.exit_code else ""
        return out + err + code or "<pre></pre>"


class _Fail(Exception):
    """kubectl exits non-zero: ``stderr`` is printed as is (callers add the newline)."""

    def __init__(self, stderr: str, stdout: str = "") -> None:
        super().__init__(stderr)
        self.stderr = stderr
        self.stdout = stdout


class _Out:
    """stdout and stderr as the command writes them; ``failed`` makes the exit code 1."""

    def __init__(self) -> None:
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self.failed = False

    def out(self, text: str) -> None:
        self.stdout.append(text)

    def err(self, text: str) -> None:
        self.stderr.append(text if text.endswith("\n") else text + "\n")

    def error(self, e: BaseException) -> None:
        self.failed = True
        self.err(_error_text(e))


# ----- flags (cobra/pflag conventions) -----

_SHORT = {
    "-n": "--namespace",
    "-o": "--output",
    "-l": "--selector",
    "-L": "--label-columns",
    "-A": "--all-namespaces",
    "-f": "--filename",
    "-R": "--recursive",
    "-w": "--watch",
}
_GLOBAL_VALUES = {"--namespace"}


@dataclass
class _Args:
    command: str
    positional: list[str]
    flags: dict[str, list[str]]
    after_dashdash: list[str] = field(default_factory=list)
    shorts: dict[str, str] = field(default_factory=dict)

    def value(self, name: str, default: str | None = None) -> str | None:
        values = self.flags.get(name)
        return values[-1] if values else default

    def values(self, name: str) -> list[str]:
        return self.flags.get(name, [])

    def bool(self, name: str) -> bool:
        v = self.value(name)
        return v is not None and v.lower() in ("true", "1", "t")

    def int(self, name: str, default: int) -> int:
        v = self.value(name)
        if v is None:
            return default
        try:
            if not re.fullmatch(r"[+-]?[0-9]+", v):  # upstream: Go's ParseInt, ASCII digits only
                raise ValueError(v)
            return int(v)
        except ValueError:
            raise _usage(
                self.command,
                f'invalid argument "{v}" for "{self._label(name)}" flag: strconv.ParseInt: '
                f'parsing "{v}": invalid syntax',
            ) from None

    def _label(self, name: str) -> str:
        short = next((s for s, long in self.shorts.items() if long == name), None)
        return f"{short}, {name}" if short else name

    @property
    def namespace(self) -> str:
        return self.value("--namespace") or "default"


def _usage(command: str, message: str) -> _Fail:
    return _Fail(f"Error: {message}\nSee 'kubectl {command} --help' for usage.")


_GO_BOOLS = {"1": True, "t": True, "T": True, "TRUE": True, "true": True, "True": True}
_GO_BOOLS |= {"0": False, "f": False, "F": False, "FALSE": False, "false": False, "False": False}


def _parse(
    command: str, args: list[str], values: set[str], bools: set[str], extra_shorts: dict[str, str] | None = None
) -> _Args:
    """Positional arguments and flags as pflag parses them: `-o wide`, `-owide`, `-o=wide`,
    `--output wide`, `--output=wide`, `--record`, `--record=false`, chained shorthands (`-Ao
    name`); `--` ends the flags (what follows is positional)."""
    values = values | _GLOBAL_VALUES
    shorts = {s: long for s, long in {**_SHORT, **(extra_shorts or {})}.items() if long in values | bools}
    parsed = _Args(command, [], {}, shorts=shorts)

    def put_bool(name: str, value: str, label: str) -> None:
        if value not in _GO_BOOLS:
            raise _usage(
                command,
                f'invalid argument "{value}" for "{label}" flag: strconv.ParseBool: parsing "{value}": invalid syntax',
            )
        parsed.flags.setdefault(name, []).append("true" if _GO_BOOLS[value] else "false")

    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if a == "--":
            parsed.after_dashdash = args[i:]
            break
        if not a.startswith("-") or a == "-":
            parsed.positional.append(a)
            continue
        if a.startswith("--"):
            name, eq, value = a.partition("=")
            if name in bools:
                put_bool(name, value if eq else "true", parsed._label(name))
            elif name in values:
                if not eq:
                    if i >= len(args):
                        raise _usage(command, f"flag needs an argument: {name}")
                    value = args[i]
                    i += 1
                parsed.flags.setdefault(name, []).append(value)
            else:
                raise _usage(command, f"unknown flag: {name}")
            continue
        # Shorthands: booleans may chain (`-Ao`); a value shorthand takes the rest of the argument.
        j = 1
        while j < len(a):
            short = "-" + a[j]
            if short not in shorts:
                raise _usage(command, f"unknown shorthand flag: '{a[j]}' in {a}")
            name = shorts[short]
            rest = a[j + 1 :]
            if name in bools:
                if rest.startswith("="):
                    put_bool(name, rest[1:], parsed._label(name))
                    break
                put_bool(name, "true", parsed._label(name))
                j += 1
                continue
            if rest:
                value = rest[1:] if rest.startswith("=") else rest
            elif i < len(args):
                value = args[i]
                i += 1
            else:
                raise _usage(command, f"flag needs an argument: '{a[j]}' in {a}")
            parsed.flags.setdefault(name, []).append(value)
            break
    if command != "create" and parsed.after_dashdash:
        parsed.positional += parsed.after_dashdash
    return parsed


# ----- resource types and names -----


@dataclass(frozen=True)
class _Kind:
    kind: str
    namespaced: bool
    plural: str
    short_names: tuple[str, ...]
    api_version: str
    singular: str  # `deployment.apps`, `pod`: kubectl's name printer
    resource: str  # `deployments.apps`, `pods`: API error messages


def _kind(name: str) -> _Kind:
    try:
        k, namespaced, plural, shorts, api_version, singular, resource = _native.kind_info(name)
    except KubesimError:
        raise _Fail(f'error: the server doesn\'t have a resource type "{name}"') from None
    return _Kind(k, namespaced, plural, tuple(shorts), api_version, singular, resource)


# upstream: the "all" category, in kubectl's printing order.
_ALL = ("pods", "deployments", "replicasets", "horizontalpodautoscalers")


def _targets(positional: list[str], command: str = "get") -> list[tuple[_Kind, str | None]]:
    """`TYPE NAME…`, `TYPE/NAME…` or `TYPE[,TYPE…]` → [(kind, name or None)]."""
    if not positional:
        raise _Fail(
            f'You must specify the type of resource to {command}. Use "kubectl api-resources" for a complete list '
            "of supported resources.\n\nerror: Required resource not specified.\n"
            'Use "kubectl explain <resource>" for a detailed description of that resource (e.g. kubectl explain '
            f"pods).\nSee 'kubectl {command} -h' for help and examples"
        )
    if "/" in positional[0]:
        out: list[tuple[_Kind, str | None]] = []
        for p in positional:
            kind, slash, name = p.partition("/")
            if not slash or not name:
                raise _Fail(
                    "error: there is no need to specify a resource type as a separate argument when "
                    "passing arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' "
                    "instead of 'kubectl get resource resource/<resource_name>'"
                )
            out.append((_kind(kind), name))
        return out
    kinds = [_kind(k) for t in positional[0].split(",") for k in (_ALL if t == "all" else (t,))]
    names = positional[1:]
    if any("/" in n for n in names):
        raise _Fail(
            "error: there is no need to specify a resource type as a separate argument when passing "
            "arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' instead of "
            "'kubectl get resource resource/<resource_name>'"
        )
    if names:
        return [(k, n) for k in kinds for n in names]
    return [(k, None) for k in kinds]


def _ns(kind: _Kind, namespace: str) -> str:
    return namespace if kind.namespaced else ""


def _error_text(e: BaseException) -> str:
    """How kubectl's CheckErr prints an error."""
    if isinstance(e, _Fail):
        return e.stderr
    if isinstance(e, NotFoundError):
        return f"Error from server (NotFound): {e}"
    if isinstance(e, AlreadyExistsError):
        return f"Error from server (AlreadyExists): {e}"
    if isinstance(e, InvalidObjectError):
        return str(e)
    return f"error: {e}"


# ----- reading manifests for -f -----


def _read_sources(c: Cluster, args: _Args, stdin: str | None) -> Iterator[tuple[str, str]]:
    """(text, source name) for every `-f` argument: files, directories (`-R` recurses), URLs
    and `-` (standard input)."""
    sources = args.values("--filename")
    if not sources:
        raise _Fail("error: must specify one of -f and -k")
    recursive = args.bool("--recursive")
    for src in sources:
        if src == "-":
            yield (stdin if stdin is not None else sys.stdin.read()), "STDIN"
        elif src.startswith(("http://", "https://")):
            yield _fetch(src), src
        else:
            path = Path(src)
            try:
                path.stat()
            except FileNotFoundError:
                raise _Fail(f'error: the path "{src}" does not exist') from None
            except OSError as e:
                raise _Fail(f'error: the path "{src}" cannot be accessed: stat {src}: {_go_errno(e)}') from None
            if path.is_dir():
                files = path.rglob("*") if recursive else path.iterdir()
                for f in sorted(p for p in files if p.is_file() and p.suffix in (".yaml", ".yml", ".json")):
                    yield _decode(_read_bytes(f), str(f)), str(f)
            else:
                yield _decode(_read_bytes(path), src), src


def _go_errno(e: OSError) -> str:
    """An OS error as Go's syscall package words it (``file name too long``)."""
    text = e.strerror or str(e)
    return text[:1].lower() + text[1:]


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise _Fail(f"error: open {path}: {_go_errno(e)}") from None


def _decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise _Fail(f"error: error parsing {source}: not UTF-8 text (byte {e.start})") from None


def _fetch(url: str) -> str:
    bundled = BUNDLED_URLS.get(url)
    if bundled is not None:
        return bundled.read_text(encoding="utf-8")
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - kubectl fetches http(s) too
            return _decode(response.read(), url)
    except urllib.error.HTTPError as e:
        raise _Fail(
            f'error: unable to read URL "{url}", server reported {e.code} {e.reason}, status code={e.code}'
        ) from None
    except (urllib.error.URLError, OSError, ValueError) as e:
        reason = getattr(e, "reason", e)
        raise _Fail(f'error: Get "{url}": {reason}') from None


def _documents(c: Cluster, args: _Args, stdin: str | None) -> Iterator[tuple[dict[str, Any], str]]:
    """The objects of the `-f` sources, each checked to name a served kind and an object."""
    for text, source in _read_sources(c, args, stdin):
        for doc in _native.parse_manifest(text.removeprefix("\ufeff"), source):  # a BOM is not content
            d = json.loads(doc)
            if not isinstance(d, dict) or not isinstance(d.get("kind"), str) or not d.get("kind"):
                raise _Fail(f"error: unable to decode \"{source}\": Object 'Kind' is missing in '{doc}'")
            meta = d.get("metadata")
            if not isinstance(meta, dict) or not isinstance(meta.get("name"), str) or not meta["name"]:
                raise _Fail(
                    f'error: error when retrieving current configuration of "{source}": resource name may not be empty'
                )
            if not isinstance(meta.get("namespace", ""), str):
                raise _Fail(f'error: unable to decode "{source}": metadata.namespace must be a string')
            try:
                _native.kind_info(d["kind"])
            except KubesimError:
                raise _Fail(
                    f'error: resource mapping not found for name: "{meta["name"]}" namespace: "" from "{source}": '
                    f'no matches for kind "{d["kind"]}" in version "{d.get("apiVersion", "")}"'
                ) from None
            yield d, source


# ----- printing objects -----


_GET_FORMATS = ("wide", "yaml", "json", "name", "jsonpath", "custom-columns")
# Commands that print objects they changed (label, annotate, create, rollout history …).
_OBJECT_FORMATS = ("yaml", "json", "name", "jsonpath")


def _output_format(args: _Args, allowed: tuple[str, ...] = _GET_FORMATS) -> tuple[str, str]:
    """(`yaml` | `json` | `name` | `wide` | `jsonpath` | `custom-columns` | "", argument)."""
    output = args.value("--output") or ""
    fmt, _, arg = output.partition("=")
    fmt = fmt.lower() if fmt.lower() in ("json", "yaml") else fmt
    if fmt in ("jsonpath", "custom-columns", "jsonpath-as-json") and not arg:
        raise _Fail(f"error: {fmt} template format specified but no {fmt} template given")
    if fmt and fmt not in allowed:
        names = {
            "jsonpath": "jsonpath,jsonpath-as-json,jsonpath-file",
            "custom-columns": "custom-columns,custom-columns-file",
        }
        shown = sorted(
            {n for f in allowed for n in names.get(f, f).split(",")}
            | {"go-template", "go-template-file", "template", "templatefile"}
        )
        raise _Fail(
            f'error: unable to match a printer suitable for the output format "{output}", allowed formats are: '
            + ",".join(shown)
        )
    return fmt, arg


def _render_jsonpath(template: str, data: Any) -> str:
    try:
        tree = _jsonpath.parse(template)
    except _jsonpath.JSONPathError as e:
        raise _Fail(f"error: error parsing jsonpath {template}, {e}") from None
    try:
        return _jsonpath.render(tree, data)
    except _jsonpath.JSONPathError as e:
        raise _Fail(
            f'error: error executing jsonpath "{template}": Error executing template: {e}. Printing more information'
            f" for debugging the template:\n\ttemplate was:\n\t\t{template}\n\tobject given to jsonpath engine"
            f" was:\n\t\t{_jsonpath.go_syntax(data)}\n\n\n"
        ) from None


def _print_objects(dicts: list[dict[str, Any]], fmt: str, arg: str, single: bool) -> str:
    """`-o yaml|json|name|jsonpath=…|custom-columns=…` for objects given as dicts."""
    if fmt == "name":
        return "".join(f"{_kind(d['kind']).singular}/{d['metadata']['name']}\n" for d in dicts)
    root: Any = (
        dicts[0]
        if single and len(dicts) == 1
        else {"apiVersion": "v1", "items": dicts, "kind": "List", "metadata": {"resourceVersion": ""}}
    )
    if fmt == "json":
        return json.dumps(root, indent=4, sort_keys=True, ensure_ascii=False) + "\n"
    if fmt == "yaml":
        return _native.to_yaml(json.dumps(root))
    if fmt == "jsonpath":
        return _render_jsonpath(arg, root)
    if fmt == "custom-columns":
        columns = [spec.partition(":") for spec in arg.split(",")]
        for spec, sep, _ in columns:
            if not sep:
                raise _Fail(f"error: unexpected custom-columns spec: {spec}, expected <header>:<json-path-expr>")
        rows = [[name for name, _, _ in columns]]
        for d in dicts:
            row = []
            for _, _, path in columns:
                try:
                    vals = _jsonpath.evaluate(path, d)
                except _jsonpath.JSONPathError as e:
                    raise _Fail(f"error: {e}") from None
                row.append(",".join(_jsonpath.go_text(v) for v in vals) if vals else "<none>")
            rows.append(row)
        return _native.tabwrite(rows)
    raise _Fail(f'error: unable to match a printer suitable for the output format "{fmt}"')


def _sort_key(path: str) -> Callable[[dict[str, Any]], tuple[int, Any]]:
    def key(d: dict[str, Any]) -> tuple[int, Any]:
        try:
            vals = _jsonpath.evaluate(path, d)
        except _jsonpath.JSONPathError as e:
            raise _Fail(f"error: {e}") from None
        if not vals:
            return (0, "")
        v = vals[0]
        if isinstance(v, bool):
            return (1, int(v))
        if isinstance(v, int | float):
            return (1, v)
        return (2, str(v))

    return key


# ----- commands -----


def _get(c: Cluster, args: _Args, o: _Out, stdin: str | None) -> None:
    fmt, arg = _output_format(args)
    selector = args.value("--selector") or ""
    all_ns = args.bool("--all-namespaces")
    namespace = args.namespace
    # (kind, namespace, name or None for "every match")
    items: list[tuple[_Kind, str, str | None]] = []
    if args.values("--filename"):
        if args.positional:
            raise _Fail(
                "error: when paths, URLs, or stdin is provided as input, you may not specify a resource by "
                "argument as well"
            )
        for d, _ in _documents(c, args, stdin):
            k = _kind(d["kind"])
            items.append((k, d.get("metadata", {}).get("namespace") or _ns(k, namespace), d["metadata"]["name"]))
    else:
        items = [(k, _ns(k, namespace), n) for k, n in _targets(args.positional)]
    items = list(dict.fromkeys(items))  # upstream: `get deploy,deploy` lists once
    if selector and any(n for _, _, n in items):
        raise _Fail("error: name cannot be provided when a selector is specified")
    if all_ns and any(n for _, _, n in items) and not args.values("--filename"):
        raise _Fail("error: a resource cannot be retrieved by name across all namespaces")
    if fmt == "name" and args.bool("--show-labels"):
        raise _Fail("error: --show-labels option cannot be used with name printer")
    kinds: list[_Kind] = list(dict.fromkeys(k for k, _, _ in items))
    single = len(items) == 1 and items[0][2] is not None

    # Objects per kind, in list order (or the order they were named).
    found: dict[_Kind, list[Object]] = {k: [] for k in kinds}
    for k, ns, n in items:
        if n is None:
            found[k] += c.list(k.kind, selector or None, None if all_ns or not k.namespaced else ns)
            continue
        try:
            found[k].append(c.get(k.kind, n, ns))
        except NotFoundError as e:
            o.error(e)
    sort_by = args.value("--sort-by")
    dicts: dict[_Kind, list[dict[str, Any]]] = {}
    # -o json and -o yaml are written by the core from the stored objects; the other printers
    # and --sort-by read dicts.
    if sort_by or fmt not in ("", "wide", "json", "yaml"):
        for k in kinds:
            dicts[k] = c._native.get_many(k.kind, [(obj.namespace, obj.name) for obj in found[k]])
            if sort_by:
                dicts[k].sort(key=_sort_key(sort_by))

    if sort_by and any(dicts.values()):
        path = sort_by if sort_by.startswith("{") else "{" + sort_by + "}"
        if not any(_jsonpath.evaluate(sort_by, d) for ds in dicts.values() for d in ds):
            raise _Fail(f'error: couldn\'t find any field with path "{path}" in the list of objects')
    if not any(found.values()):
        if not o.failed:
            if fmt in ("json", "yaml", "jsonpath", "name", "custom-columns"):
                # upstream: these printers print an empty list (or nothing), not "No resources found".
                o.out(_print_objects([], fmt, arg, False))
                return
            scoped = all(k.namespaced for k in kinds) and not all_ns
            o.err(f"No resources found in {namespace} namespace." if scoped else "No resources found")
        return
    if fmt in ("json", "yaml"):
        printed = (
            [(k.kind, d["metadata"].get("namespace", ""), d["metadata"]["name"]) for k in kinds for d in dicts[k]]
            if sort_by
            else [(k.kind, obj.namespace, obj.name) for k in kinds for obj in found[k]]
        )
        o.out(c._native.print_objects(printed, single, fmt))
        return
    if fmt not in ("", "wide"):
        o.out(_print_objects([d for k in kinds for d in dicts[k]], fmt, arg, single))
        return
    blocks = []
    for k in kinds:
        if not found[k]:
            continue
        keys = (
            [(d["metadata"].get("namespace", ""), d["metadata"]["name"]) for d in dicts[k]]
            if sort_by
            else [(obj.namespace, obj.name) for obj in found[k]]
        )
        blocks.append(
            c._native.get_table(
                k.kind,
                None if all_ns else namespace,
                [],
                "",
                fmt == "wide",
                args.bool("--show-labels"),
                [key for v in args.values("--label-columns") for key in v.split(",")],
                len(kinds) > 1,
                keys=keys,
                no_headers=args.bool("--no-headers"),
            )
        )
    o.out("\n".join(blocks))


def _describe(c: Cluster, args: _Args, o: _Out) -> None:
    if not args.positional:
        raise _Fail(
            "error: You must specify the type of resource to describe. "
            'Use "kubectl api-resources" for a complete list of supported resources.'
        )
    ns = args.namespace
    selector = args.value("--selector") or ""
    all_ns = args.bool("--all-namespaces")
    wanted = _targets(args.positional, "describe")
    if selector and any(name for _, name in wanted):
        raise _Fail("error: name cannot be provided when a selector is specified")
    if all_ns and any(name for _, name in wanted):
        raise _Fail("error: a resource cannot be retrieved by name across all namespaces")
    parts: list[str] = []
    for kind, name in wanted:
        if name is None:
            found = c._native.list_names(kind.kind, None if all_ns else _ns(kind, ns), selector)
            parts += [c._native.describe(kind.kind, o_ns, o_name) for o_ns, o_name in found]
            continue
        try:
            parts.append(c._native.describe(kind.kind, _ns(kind, ns), name))
        except NotFoundError as e:
            if len(args.positional) != 2 or "/" in args.positional[0]:
                o.error(e)
                continue
            # upstream DescribeMatchingResources: `describe TYPE NAME` with no object NAME
            # describes every object whose name starts with NAME, each followed by "\n".
            names = [n for _, n in c._native.list_names(kind.kind, _ns(kind, ns), "") if n.startswith(name)]
            if not names:
                raise
            o.out("".join(c._native.describe(kind.kind, _ns(kind, ns), n) + "\n" for n in names))
            return
    if not parts and not o.failed:
        o.err("No resources found" if all_ns else f"No resources found in {ns} namespace.")
        return
    # upstream prints "\n\n" before every description but the first.
    o.out("\n\n".join(parts))


def _applied(c: Cluster, r: Any, fmt: str, arg: str) -> str:
    """One applied object as `-o` asks: its line, its name, or the object itself."""
    if not fmt:
        return f"{r.line}\n"
    if fmt == "name":
        return f"{_kind(r.kind).singular}/{r.name}\n"
    return _print_objects([c.get(r.kind, r.name, r.namespace).to_dict()], fmt, arg, True)


def _apply(c: Cluster, args: _Args, o: _Out, stdin: str | None) -> None:
    fmt, arg = _output_format(args, _OBJECT_FORMATS)
    seen = 0
    for text, source in _read_sources(c, args, stdin):
        try:
            results = c._apply_text(text, source)
        except KubesimError as e:
            seen += 1
            for r in getattr(e, "applied", []):
                if r.warning:
                    o.err(r.warning)
                o.out(_applied(c, r, fmt, arg))
            for err in getattr(e, "errors", [e]):
                o.error(err)
            continue
        seen += len(results)
        for r in results:
            if r.warning:
                o.err(r.warning)
            o.out(_applied(c, r, fmt, arg))
    if not seen:
        raise _Fail("error: no objects passed to apply")  # upstream: empty files, only comments or `---`


def _create(c: Cluster, args: _Args, o: _Out, stdin: str | None) -> None:
    if args.positional[:1] == ["deployment"] or args.positional[:1] == ["deploy"]:
        _create_deployment(c, args, o)
        return
    if args.positional[:1] in (["namespace"], ["ns"]):
        if len(args.positional) != 2:
            raise _Fail("error: exactly one NAME is required, got " + str(len(args.positional) - 1))
        _created(c, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": args.positional[1]}}, args, o)
        return
    if args.positional:
        raise _Fail(f'error: unknown command "{args.positional[0]}" for "kubectl create"')
    docs = list(_documents(c, args, stdin))
    if not docs:
        raise _Fail("error: no objects passed to create")
    for doc, source in docs:
        try:
            obj = c.create(doc)
        except AlreadyExistsError as e:
            o.failed = True
            o.err(f'Error from server (AlreadyExists): error when creating "{source}": {e}')
            continue
        except KubesimError as e:
            o.error(e)
            continue
        o.out(f"{_kind(obj.kind).singular}/{obj.name} created\n")


def _created(c: Cluster, manifest: dict[str, Any], args: _Args, o: _Out, prefix: str = "") -> None:
    dry_run = args.value("--dry-run", "none")
    if dry_run not in ("none", "client", "server"):
        raise _Fail(f'error: Invalid dry-run value ({dry_run}). Must be "none", "server", or "client".')
    fmt, arg = _output_format(args, _OBJECT_FORMATS)
    singular = _kind(manifest["kind"]).singular
    name = manifest["metadata"]["name"]
    if dry_run == "client":
        # upstream: a client dry run prints the typed object kubectl built, in its field order.
        if fmt == "json":
            o.out(json.dumps(manifest, indent=4, ensure_ascii=False) + "\n")
        elif fmt == "yaml":
            o.out(_native.to_yaml(json.dumps(manifest)))
        elif fmt == "jsonpath":
            o.out(_render_jsonpath(arg, manifest))
        else:
            o.out(f"{singular}/{name}\n" if fmt == "name" else f"{singular}/{name} created (dry run)\n")
        return
    try:
        obj = c.create({k: v for k, v in manifest.items() if k != "status"})
    except KubesimError as e:
        raise _Fail(prefix + str(e) if prefix else _error_text(e)) from None
    if fmt in ("yaml", "json", "jsonpath"):
        o.out(_print_objects([obj.to_dict()], fmt, arg, True))
    else:
        o.out(f"{singular}/{name}\n" if fmt == "name" else f"{singular}/{name} created\n")


def _container_name(image: str, suffix: Callable[[], str]) -> str:
    """upstream: kubectl create deployment names a container after its image's last path
    segment, without tag or digest; `_` and `.` become `-` plus a random suffix."""
    base = image.rsplit("/", 1)[-1].split("@", 1)[0].split(":", 1)[0]
    if "_" in base or "." in base:
        return base.replace("_", "-").replace(".", "-") + "-" + suffix()
    return base


def _create_deployment(c: Cluster, args: _Args, o: _Out) -> None:
    if len(args.positional) != 2:
        raise _Fail(
            f"error: exactly one NAME is required, got {len(args.positional) - 1}\n"
            "See 'kubectl create deployment -h' for help and examples"
        )
    name = args.positional[1]
    images = args.values("--image")
    if not images:
        raise _Fail('error: required flag(s) "image" not set')
    replicas = args.int("--replicas", 1)
    port = args.int("--port", -1)
    counter = iter(range(1, 1 << 30))

    def suffix() -> str:
        # A deterministic stand-in for kubectl's random suffix (same alphabet, five characters).
        n, out = next(counter) * 7919 + len(name), ""
        alphabet = "bcdfghjklmnpqrstvwxz2456789"
        for _ in range(5):
            n, r = divmod(n * 31 + 17, len(alphabet))
            out += alphabet[r]
        return out

    containers: list[dict[str, Any]] = []
    for i, image in enumerate(images):
        container: dict[str, Any] = {"name": _container_name(image, suffix), "image": image}
        if i == 0 and port >= 0:
            container["ports"] = [{"containerPort": port}]
        if i == 0 and args.after_dashdash:
            container["command"] = args.after_dashdash
        container["resources"] = {}
        containers.append(container)
    labels = {"app": name}
    # upstream: the typed object's field order, as kubectl prints it with -o json.
    manifest: dict[str, Any] = {
        "kind": "Deployment",
        "apiVersion": "apps/v1",
        "metadata": {"name": name, "creationTimestamp": None, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": dict(labels)},
            "template": {
                "metadata": {"creationTimestamp": None, "labels": dict(labels)},
                "spec": {"containers": containers},
            },
            "strategy": {},
        },
        "status": {},
    }
    if args.namespace != "default" or args.value("--namespace"):
        manifest["metadata"] = {
            "name": name,
            "namespace": args.namespace,
            **{k: v for k, v in manifest["metadata"].items() if k != "name"},
        }
    _created(c, manifest, args, o, prefix="error: failed to create deployment: ")


def _delete(c: Cluster, args: _Args, o: _Out, stdin: str | None) -> None:
    fmt, _ = _output_format(args, ("name",))
    selector = args.value("--selector") or ""
    namespace = args.namespace
    cascade = (args.value("--cascade") or "background").lower()
    if cascade in ("true", "false"):
        o.err(
            f"warning: --cascade={cascade} is deprecated (boolean value) and can be replaced with "
            f"--cascade={'background' if cascade == 'true' else 'orphan'}."
        )
        cascade = "background" if cascade == "true" else "orphan"
    if cascade not in ("background", "foreground", "orphan"):
        raise _Fail(f'error: invalid cascade value ({cascade}). Must be "background", "foreground", or "orphan"')
    grace = args.int("--grace-period", -1)
    force = args.bool("--force")
    if args.bool("--now"):
        if grace != -1:
            raise _Fail("error: --now and --grace-period cannot be specified together")
        grace = 1
    # upstream: --grace-period=0 means 1 unless forced; --force alone means 0.
    if grace == 0 and not force:
        grace = 1
    if force and grace < 0:
        grace = 0
    if force and grace == 0:
        o.err(
            "Warning: Immediate deletion does not wait for confirmation that the running resource has been "
            "terminated. The resource may continue to run on the cluster indefinitely."
        )
    if args.bool("--all") and selector:
        raise _Fail("error: setting 'all' parameter but found a non empty selector. ")
    # upstream: with --all or -l, --ignore-not-found defaults to true (an object listed may be
    # gone by its turn: deleting a Deployment takes its ReplicaSets with it); an explicit
    # --ignore-not-found=false is kept.
    if args.value("--ignore-not-found") is None:
        ignore_not_found = args.bool("--all") or bool(selector)
    else:
        ignore_not_found = args.bool("--ignore-not-found")
    targets: list[tuple[_Kind, str, str]] = []
    if args.values("--filename"):
        for d, _ in _documents(c, args, stdin):
            k = _kind(d["kind"])
            targets.append((k, d.get("metadata", {}).get("namespace") or _ns(k, namespace), d["metadata"]["name"]))
    else:
        for k, n in _targets(args.positional, "delete"):
            if n is not None:
                if selector:
                    raise _Fail("error: name cannot be provided when a selector is specified")
                targets.append((k, _ns(k, namespace), n))
            elif selector or args.bool("--all"):
                targets += [
                    (k, obj.namespace, obj.name) for obj in c.list(k.kind, selector or None, _ns(k, namespace) or None)
                ]
            else:
                raise _Fail("error: resource(s) were provided, but no name was specified")
        if not targets:
            o.out("No resources found\n")  # upstream: on stdout, unlike get's
            return
    waiting = []
    for k, ns, name in targets:
        try:
            c.delete(k.kind, name, ns, propagation=cascade.capitalize(), grace_period=None if grace < 0 else grace)
        except NotFoundError as e:
            if not ignore_not_found:
                o.error(e)
            continue
        if fmt == "name":
            o.out(f"{k.singular}/{name}\n")
        else:
            o.out(f'{k.singular} "{name}" {"force deleted" if force and grace == 0 else "deleted"}\n')
        waiting.append((k, ns, name))
    if (args.value("--wait") or "true") == "true":
        # upstream: delete waits until the objects are gone (graceful termination, finalizers).
        def gone() -> bool:
            return not any(c._exists(k.kind, ns, n) for k, ns, n in waiting)

        try:
            c.run_until(
                gone, timeout=args.value("--timeout") if args.value("--timeout") not in (None, "0s", "0") else None
            )
        except TimeoutError:
            pass


def _label(c: Cluster, args: _Args, o: _Out, stdin: str | None, field_name: str) -> None:
    """`kubectl label|annotate TYPE NAME k=v k2- [--overwrite]`, or on files with `--local`."""
    fmt, arg = _output_format(args, _OBJECT_FORMATS)
    what = "a label" if field_name == "labels" else "an annotation"
    both = f"error: can not both modify and remove {what} in the same command"
    changes: dict[str, str | None] = {}
    rest = []
    for p in args.positional:
        if p.endswith("-") and "=" not in p:
            if changes.get(p[:-1]) is not None:
                raise _Fail(both)
            changes[p[:-1]] = None
        elif "=" in p:
            key, _, v = p.partition("=")
            if key in changes and changes[key] is None:
                raise _Fail(both)
            if field_name == "labels":
                # upstream: kubectl label checks values before sending anything.
                errors = _native.label_value_errors(v)
                if errors:
                    raise _Fail(f'error: invalid label value: "{p}": {";".join(errors)}')
            changes[key] = v
        else:
            rest.append(p)
    if not changes:
        raise _Fail(f"error: at least one {'label' if field_name == 'labels' else 'annotation'} update is required")
    overwrite = args.bool("--overwrite")
    local = args.bool("--local")
    objects: list[tuple[dict[str, Any], _Kind]] = []
    if args.values("--filename"):
        if rest:
            raise _Fail(
                "error: when paths, URLs, or stdin is provided as input, you may not specify a resource "
                "by argument as well"
            )
        for d, _ in _documents(c, args, stdin):
            objects.append(
                (
                    d
                    if local
                    else c.get(
                        d["kind"], d["metadata"]["name"], d.get("metadata", {}).get("namespace") or args.namespace
                    ).to_dict(),
                    _kind(d["kind"]),
                )
            )
    elif local:
        raise _Fail("error: --local requires -f (the objects to change are read from files)")
    else:
        selector = args.value("--selector")
        for k, n in _targets(rest, field_name[:-1]):
            if n is not None and (selector is not None or args.bool("--all")):
                raise _Fail("error: name cannot be provided when a selector is specified")
            if n is not None:
                objects.append((c.get(k.kind, n, _ns(k, args.namespace)).to_dict(), k))
            elif selector is not None or args.bool("--all"):
                objects += [
                    (obj.to_dict(), k) for obj in c.list(k.kind, selector or None, _ns(k, args.namespace) or None)
                ]
            else:
                raise _Fail("error: resource(s) were provided, but no name was specified")
    printed = False
    for d, k in objects:
        current = d.get("metadata", {}).get(field_name) or {}
        if not overwrite:
            for key, value in changes.items():
                if value is not None and key in current and current[key] != value:
                    raise _Fail(f"error: '{key}' already has a value ({current[key]}), and --overwrite is false")
        updated = dict(current)
        for key, value in changes.items():
            if value is None:
                updated.pop(key, None)
            else:
                updated[key] = value
        name = d["metadata"]["name"]
        changed = updated != current
        if local:
            d.setdefault("metadata", {})[field_name] = updated
            if fmt:
                # upstream: each object printed on its own; YAML documents separated by `---`.
                o.out(("---\n" if fmt == "yaml" and printed else "") + _print_objects([d], fmt, arg, True))
                printed = True
            else:
                o.out(f"{k.singular}/{name} {_changed_word(field_name, changes, changed)}\n")
            continue
        patch = {"metadata": {field_name: {key: updated.get(key) for key in changes}}}
        if changed:
            try:
                obj = c.patch(k.kind, name, patch, d["metadata"].get("namespace", ""))
            except KubesimError as e:
                o.error(e)
                continue
            d = obj.to_dict()
        if fmt:
            o.out(_print_objects([d], fmt, arg, True))
        else:
            o.out(f"{k.singular}/{name} {_changed_word(field_name, changes, changed)}\n")


def _changed_word(field_name: str, changes: dict[str, str | None], changed: bool) -> str:
    """upstream: label says "not labeled" when nothing changed and "unlabeled" when it only
    removed; annotate always says "annotated"."""
    if field_name != "labels":
        return "annotated"
    if not changed:
        return "not labeled"
    return "unlabeled" if all(v is None for v in changes.values()) else "labeled"


def _deployments(c: Cluster, positional: list[str], namespace: str, command: str) -> list[Deployment]:
    """The Deployments a rollout or set image command names (kubectl visits each in turn)."""
    out = []
    for kind, name in _targets(positional, command):
        if name is None:
            raise _Fail("error: required resource not specified")
        if kind.kind != "Deployment":
            c.get(kind.kind, name, _ns(kind, namespace))  # NotFound first, as the server answers
            group = kind.api_version.split("/")[0] if "/" in kind.api_version else ""
            raise _Fail(
                f"error: no status viewer has been implemented for {kind.kind}{'.' + group if group else ''}"
                if command.startswith("rollout")
                else f"error: kubesim models {command} for Deployments only, not {kind.kind}"
            )
        out.append(c.deployment(name, namespace))
    return out


def _dry_run(a: _Args) -> bool:
    dry_run = a.value("--dry-run", "none")
    if dry_run not in ("none", "client", "server"):
        raise _Fail(f'error: Invalid dry-run value ({dry_run}). Must be "none", "server", or "client".')
    return dry_run != "none"


def _rollout(c: Cluster, args: list[str], o: _Out) -> None:
    if not args:
        raise _Fail("error: Required resource not specified.")
    sub, rest = args[0], args[1:]
    if sub not in ("status", "history", "undo", "pause", "resume", "restart"):
        raise _Fail(f'error: unknown command "{sub}" for "kubectl rollout"')
    a = _parse(
        f"rollout {sub}",
        rest,
        {"--timeout", "--revision", "--to-revision", "--output", "--selector", "--dry-run"},
        {"--watch"} if sub == "status" else set(),
    )
    for d in _deployments(c, a.positional, a.namespace, f"rollout {sub}"):
        _rollout_one(c, sub, a, d, o)


def _rollout_one(c: Cluster, sub: str, a: _Args, d: Deployment, o: _Out) -> None:
    name = f"deployment.apps/{d.name}"
    if sub == "status":
        revision = a.int("--revision", 0)
        if revision < 0:
            raise _Fail(f"error: revision must be a positive integer: {revision}")
        if a.value("--watch") == "false":
            from ._rollout import status_message

            message, _, failed = status_message(d.to_dict())
            if failed:
                raise _Fail(f"error: {message}")
            o.out(message + "\n")
            return
        try:
            msgs = d.rollout.status(timeout=a.value("--timeout"), revision=revision or None)
        except RolloutTimeoutError as e:
            raise _Fail(f"error: {e}", stdout="".join(f"{m}\n" for m in (e.messages or []))) from None
        o.out("".join(f"{m}\n" for m in msgs))
    elif sub == "history":
        history = d.rollout.history()
        revision = a.int("--revision", 0)
        fmt, arg = _output_format(a, _OBJECT_FORMATS)
        if revision:
            match = [h for h in history if h.revision == revision]
            if not match:
                raise _Fail("error: unable to find the specified revision")
            if fmt:
                o.out(_print_objects([c.replicaset(match[0].replicaset, d.namespace).to_dict()], fmt, arg, True))
                return
            template = c._native.describe_template(d.namespace, match[0].replicaset)
            o.out(f"{name} with revision #{revision}\n{template}\n")
            return
        if fmt:
            o.out(_print_objects([c.replicaset(h.replicaset, d.namespace).to_dict() for h in history], fmt, arg, False))
            return
        if not history:
            o.out(f"{name} \nNo rollout history found.\n")
            return
        width = max(len("REVISION"), *(len(str(h.revision)) for h in history)) + 2
        rows = [f"{'REVISION'.ljust(width)}CHANGE-CAUSE"] + [
            f"{str(h.revision).ljust(width)}{h.change_cause or '<none>'}" for h in history
        ]
        o.out(f"{name} \n" + "\n".join(rows) + "\n\n")
    elif sub == "undo":
        dry_run = _dry_run(a)
        to = a.int("--to-revision", 0)
        if to < 0:
            raise _Fail(f"error: unable to find specified revision {to} in history")
        out = d.rollout.undo(to or None, dry_run=dry_run)
        o.out(out if out.endswith("\n") else out + "\n")
    else:
        fmt, _ = _output_format(a, ("name",))
        line = getattr(d.rollout, sub)(dry_run=_dry_run(a))
        o.out(f"{name}\n" if fmt == "name" else line + "\n")


def _set_image(c: Cluster, rest: list[str], o: _Out) -> None:
    a = _parse("set image", rest, {"--selector", "--output", "--dry-run"}, {"--record", "--all", "--local"})
    if a.bool("--local"):
        raise _Fail("error: kubesim does not model set image --local (editing files without a cluster)")
    fmt, _ = _output_format(a, ("name",))
    targets = [p for p in a.positional if "=" not in p]
    images = dict(p.split("=", 1) for p in a.positional if "=" in p)
    if not images:
        raise _Fail("error: at least one image update is required")
    record = a.bool("--record")
    if "--record" in a.flags:
        o.err("Flag --record has been deprecated, --record will be removed in the future")
    # upstream: --record stores the command line with the flags re-rendered as --name=value.
    cause = " ".join(["kubectl", "set", "image", *a.positional, "--record=true"]) if record else None
    from ._rollout import set_image

    for d in _deployments(c, targets, a.namespace, "set image"):
        line = set_image(d, images, record=record, cause=cause, dry_run=_dry_run(a))
        if line:
            o.out(f"deployment.apps/{d.name}\n" if fmt == "name" else f"{line}\n")


def _workloads(c: Cluster, positional: list[str], namespace: str, command: str) -> list[Any]:
    """The Deployments and ReplicaSets a scale/autoscale command names."""
    targets = _targets(positional, command)
    out = []
    for kind, name in targets:
        if name is None:
            raise _Fail("error: resource(s) were provided, but no name was specified")
        if kind.kind not in ("Deployment", "ReplicaSet"):
            c.get(kind.kind, name, _ns(kind, namespace))  # NotFound first, as the server answers
            if command == "autoscale":
                raise _Fail(f'error: cannot autoscale a {kind.kind}: {kind.resource} "{name}" is not scalable')
            raise _Fail("Error from server (NotFound): the server could not find the requested resource")
        out.append(c.get(kind.kind, name, namespace))
    return out


def _scale(c: Cluster, rest: list[str], o: _Out) -> None:
    a = _parse(
        "scale",
        rest,
        {"--replicas", "--current-replicas", "--resource-version", "--timeout", "--output", "--dry-run"},
        set(),
    )
    fmt, _ = _output_format(a, ("name",))
    replicas = a.int("--replicas", -1)
    if replicas < 0:
        raise _Fail("error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0")
    current = a.int("--current-replicas", -1)
    for w in _workloads(c, a.positional, a.namespace, "scale"):
        if current >= 0 and current != w.replicas:
            raise _Fail(f"error: Expected replicas to be {current}, was {w.replicas}")
        if _dry_run(a):
            line = f"{w.kind.lower()}.apps/{w.name} scaled (dry run)"
        else:
            line = w.scale(replicas)
        o.out(f"{w.kind.lower()}.apps/{w.name}\n" if fmt == "name" else line + "\n")


def _autoscale(c: Cluster, rest: list[str], o: _Out) -> None:
    a = _parse("autoscale", rest, {"--min", "--max", "--cpu-percent", "--name", "--output"}, set())
    fmt, _ = _output_format(a, ("name",))
    if a.value("--max") is None:
        # kubectl 1.32 logs this through klog (with a timestamp and pid); the text is the same.
        raise _Fail('error: required flag(s) "max" not set')
    mn, mx, cpu = a.int("--min", -1), a.int("--max", -1), a.int("--cpu-percent", -1)
    for w in _workloads(c, a.positional, a.namespace, "autoscale"):
        hpa = w.autoscale(
            min=mn if mn > 0 else None, max=max(mx, 0), cpu_percent=cpu if cpu >= 0 else None, name=a.value("--name")
        )
        name = f"horizontalpodautoscaler.autoscaling/{hpa.name}"
        o.out(f"{name}\n" if fmt == "name" else f"{name} autoscaled\n")


def _wait(c: Cluster, rest: list[str], o: _Out) -> None:
    a = _parse("wait", rest, {"--for", "--timeout", "--selector"}, {"--all"})
    condition = a.value("--for")
    if not condition:
        raise _Fail("error: --for must be specified")
    timeout = a.value("--timeout") or "30s"
    objects: list[tuple[_Kind, str]] = []
    for k, n in _targets(a.positional, "wait"):
        if n is not None:
            c.get(k.kind, n, _ns(k, a.namespace))
            objects.append((k, n))
        else:
            objects += [
                (k, obj.name) for obj in c.list(k.kind, a.value("--selector") or None, _ns(k, a.namespace) or None)
            ]
    if not objects:
        raise _Fail("error: no matching resources found")

    if condition.startswith("jsonpath="):
        expr = condition[len("jsonpath=") :].partition("=")[0]
        try:
            _jsonpath.parse(expr if expr.startswith("{") else "{" + expr + "}")
        except _jsonpath.JSONPathError as e:
            raise _Fail(f"error: error parsing jsonpath {expr}, {e}") from None

    def met(k: _Kind, n: str) -> bool:
        ns = _ns(k, a.namespace)
        if condition == "delete":
            return not c._exists(k.kind, ns, n)
        try:
            d = c.get(k.kind, n, ns).to_dict()
        except NotFoundError:
            return False
        if condition.startswith("condition="):
            cond, _, want = condition[len("condition=") :].partition("=")
            want = want or "True"
            return any(
                x.get("type", "").lower() == cond.lower() and x.get("status", "").lower() == want.lower()
                for x in d.get("status", {}).get("conditions", [])
            )
        if condition.startswith("jsonpath="):
            expr, _, want = condition[len("jsonpath=") :].partition("=")
            try:
                vals = _jsonpath.evaluate(expr, d)
            except _jsonpath.JSONPathError:
                return False  # upstream: a path that does not resolve yet keeps waiting
            return bool(vals) and (not want or _jsonpath._text(vals[0]) == want)
        raise _Fail(f"error: unrecognized condition: {condition!r}")

    for k, n in objects:
        try:
            c.run_until(functools.partial(met, k, n), timeout=timeout)
        except TimeoutError:
            raise _Fail(f"error: timed out waiting for the condition on {k.plural}/{n}") from None
        o.out(f"{k.singular}/{n} condition met\n")


def _top(c: Cluster, rest: list[str], o: _Out) -> None:
    if not rest or rest[0].startswith("-"):
        raise _Fail("error: you must specify a resource type to top: pod or node")
    what, rest = rest[0], rest[1:]
    kind = {"pod": "pods", "pods": "pods", "po": "pods", "node": "nodes", "nodes": "nodes", "no": "nodes"}.get(what)
    if kind is None:
        raise _Fail(f'error: unknown command "{what}" for "kubectl top"')
    a = _parse(f"top {what}", rest, {"--selector", "--sort-by"}, {"--all-namespaces", "--no-headers"})
    if len(a.positional) > 1:
        raise _Fail(f"error: unexpected arguments: {a.positional[1:]}")
    all_ns = kind == "pods" and a.bool("--all-namespaces")
    table = c._native.top_table(
        kind,
        None if all_ns else a.namespace,
        a.value("--selector") or "",
        a.value("--sort-by"),
        a.positional[0] if a.positional else None,
        a.bool("--no-headers"),
    )
    if not table:
        o.err("No resources found" if all_ns else f"No resources found in {a.namespace} namespace.")
        return
    o.out(table)


def _version(rest: list[str], o: _Out) -> None:
    a = _parse("version", rest, {"--output"}, {"--client"})
    fmt = a.value("--output")
    if fmt not in (None, "json", "yaml"):
        raise _Fail("error: --output must be 'yaml' or 'json'")
    if a.positional:
        raise _Fail(f"error: unexpected arguments: [{' '.join(a.positional)}]")
    info = {"clientVersion": CLIENT_VERSION, "kustomizeVersion": KUSTOMIZE_VERSION, "serverVersion": SERVER_VERSION}
    if fmt in ("json", "yaml"):
        doc: dict[str, Any] = {
            "clientVersion": {"gitVersion": CLIENT_VERSION, "major": "1", "minor": "32"},
            "kustomizeVersion": KUSTOMIZE_VERSION,
        }
        if not a.bool("--client"):
            doc["serverVersion"] = {"gitVersion": SERVER_VERSION, "major": "1", "minor": "33"}
        o.out(json.dumps(doc, indent=2) + "\n" if fmt == "json" else _native.to_yaml(json.dumps(doc)))
        return
    o.out(f"Client Version: {info['clientVersion']}\nKustomize Version: {info['kustomizeVersion']}\n")
    if not a.bool("--client"):
        o.out(f"Server Version: {info['serverVersion']}\n")


def _api_resources(rest: list[str], o: _Out) -> None:
    a = _parse("api-resources", rest, {"--output", "--api-group"}, {"--no-headers", "--namespaced"})
    if a.positional:
        raise _Fail(f"error: unexpected arguments: [{' '.join(a.positional)}]")
    if a.value("--output") not in (None, "", "wide", "name"):
        raise _Fail(f"error: --output {a.value('--output')} is not available")
    kinds = [_kind(k) for k in _native.served_kinds()]
    # upstream: core group first, then by group; by name within a group.
    kinds.sort(key=lambda k: ("/" in k.api_version, k.api_version.split("/")[0], k.plural))
    if a.value("--namespaced") is not None:
        kinds = [k for k in kinds if k.namespaced == a.bool("--namespaced")]
    if a.value("--api-group") is not None:
        group = a.value("--api-group")
        kinds = [k for k in kinds if (k.api_version.split("/")[0] if "/" in k.api_version else "") == group]
    if a.value("--output") == "name":
        o.out("".join(f"{k.resource}\n" for k in kinds))
        return
    rows = [] if a.bool("--no-headers") else [["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]]
    rows += [[k.plural, ",".join(k.short_names), k.api_version, str(k.namespaced).lower(), k.kind] for k in kinds]
    o.out(_native.tabwrite(rows))


_GET_VALUES = {"--output", "--selector", "--label-columns", "--sort-by", "--filename"}
_GET_BOOLS = {"--show-labels", "--all-namespaces", "--no-headers", "--recursive"}


def run(c: Cluster, command: str | list[str], stdin: str | None = None) -> KubectlResult:
    """Run one kubectl command line against ``c``."""
    try:
        args = shlex.split(command) if isinstance(command, str) else list(command)
    except ValueError as e:
        return KubectlResult("", f"error: {e}\n", 1)
    if args and args[0] == "kubectl":
        args = args[1:]
    o = _Out()
    # upstream: the namespace flag may come before the command (`kubectl -n dev get pods`).
    lead: list[str] = []
    while args and (args[0] in ("-n", "--namespace") or args[0].startswith(("-n=", "--namespace="))):
        if "=" in args[0]:
            lead, args = [*lead, args[0]], args[1:]
        elif len(args) < 2:
            missing = "'n' in -n" if args[0] == "-n" else "--namespace"
            return KubectlResult("", f"Error: flag needs an argument: {missing}\nSee 'kubectl --help' for usage.\n", 1)
        else:
            lead, args = [*lead, *args[:2]], args[2:]
    if not args:
        return KubectlResult("", "error: no command given\n", 1)
    verb, rest = args[0], args[1:]
    if lead:  # after the subcommand (`set image`, `rollout status`) and before any `--`
        cut = rest.index("--") if "--" in rest else len(rest)
        rest = [*rest[:cut], *lead, *rest[cut:]]
    try:
        if verb == "get":
            _get(c, _parse("get", rest, _GET_VALUES, _GET_BOOLS), o, stdin)
        elif verb == "describe":
            _describe(c, _parse("describe", rest, {"--selector"}, {"--all-namespaces"}), o)
        elif verb == "apply":
            _apply(c, _parse("apply", rest, {"--filename", "--output"}, {"--recursive"}), o, stdin)
        elif verb == "create":
            _create(
                c,
                _parse(
                    "create",
                    rest,
                    {"--filename", "--image", "--replicas", "--port", "--dry-run", "--output"},
                    {"--recursive", "--save-config"},
                    {"-r": "--replicas"},
                ),
                o,
                stdin,
            )
        elif verb == "delete":
            _delete(
                c,
                _parse(
                    "delete",
                    rest,
                    {"--filename", "--selector", "--cascade", "--grace-period", "--output", "--timeout"},
                    {"--force", "--now", "--all", "--ignore-not-found", "--recursive", "--wait"},
                ),
                o,
                stdin,
            )
        elif verb in ("label", "annotate"):
            _label(
                c,
                _parse(
                    verb,
                    rest,
                    {"--filename", "--selector", "--output"},
                    {"--overwrite", "--local", "--all", "--recursive"},
                ),
                o,
                stdin,
                "labels" if verb == "label" else "annotations",
            )
        elif verb == "rollout":
            _rollout(c, rest, o)
        elif verb == "set":
            if rest[:1] != ["image"]:
                raise _Fail(f'error: unknown command "{(rest or [""])[0]}" for "kubectl set"')
            _set_image(c, rest[1:], o)
        elif verb == "scale":
            _scale(c, rest, o)
        elif verb == "autoscale":
            _autoscale(c, rest, o)
        elif verb == "wait":
            _wait(c, rest, o)
        elif verb == "top":
            _top(c, rest, o)
        elif verb == "version":
            _version(rest, o)
        elif verb == "api-resources":
            _api_resources(rest, o)
        else:
            raise _Fail(f'Error: unknown command "{verb}" for "kubectl"')
    except _Fail as e:
        o.out(e.stdout)
        o.error(e)
    except KubesimError as e:
        o.error(e)
    return KubectlResult("".join(o.stdout), "".join(o.stderr), 1 if o.failed else 0)


def raise_for(result: KubectlResult) -> None:
    if result.exit_code != 0:
        raise KubectlError(
            result.stderr.rstrip("\n"), stdout=result.stdout, stderr=result.stderr, exit_code=result.exit_code
        )
