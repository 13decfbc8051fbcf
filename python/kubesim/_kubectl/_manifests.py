"""Reading `-f` sources: files, directories (`-R`), URLs and standard input."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import _native
from ..errors import KubesimError
from ._base import Fail
from ._flags import Args

if TYPE_CHECKING:
    from .._cluster import Cluster

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
# The tutorial's manifest URLs, answered from the bundled copies so the walkthrough runs offline.
BUNDLED_URLS = {
    "https://k8s.io/examples/controllers/nginx-deployment.yaml": EXAMPLES / "nginx-deployment.yaml",
    "https://kubernetes.io/examples/controllers/nginx-deployment.yaml": EXAMPLES / "nginx-deployment.yaml",
}


def read_sources(c: Cluster, args: Args, stdin: str | None) -> Iterator[tuple[str, str]]:
    """(text, source name) for every `-f` argument: files, directories (`-R` recurses), URLs
    and `-` (standard input)."""
    sources = args.values("--filename")
    if not sources:
        raise Fail("error: must specify one of -f and -k")
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
                raise Fail(f'error: the path "{src}" does not exist') from None
            except OSError as e:
                raise Fail(f'error: the path "{src}" cannot be accessed: stat {src}: {_go_errno(e)}') from None
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
        raise Fail(f"error: open {path}: {_go_errno(e)}") from None


def _decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Fail(f"error: error parsing {source}: not UTF-8 text (byte {e.start})") from None


def _fetch(url: str) -> str:
    bundled = BUNDLED_URLS.get(url)
    if bundled is not None:
        return bundled.read_text(encoding="utf-8")
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - kubectl fetches http(s) too
            return _decode(response.read(), url)
    except urllib.error.HTTPError as e:
        raise Fail(
            f'error: unable to read URL "{url}", server reported {e.code} {e.reason}, status code={e.code}'
        ) from None
    except (urllib.error.URLError, OSError, ValueError) as e:
        reason = getattr(e, "reason", e)
        raise Fail(f'error: Get "{url}": {reason}') from None


def documents(c: Cluster, args: Args, stdin: str | None) -> Iterator[tuple[dict[str, Any], str]]:
    """The objects of the `-f` sources, each checked to name a served kind and an object."""
    for text, source in read_sources(c, args, stdin):
        for doc in _native.parse_manifest(text.removeprefix("\ufeff"), source):  # a BOM is not content
            d = json.loads(doc)
            if not isinstance(d, dict) or not isinstance(d.get("kind"), str) or not d.get("kind"):
                raise Fail(f"error: unable to decode \"{source}\": Object 'Kind' is missing in '{doc}'")
            meta = d.get("metadata")
            if not isinstance(meta, dict) or not isinstance(meta.get("name"), str) or not meta["name"]:
                raise Fail(
                    f'error: error when retrieving current configuration of "{source}": resource name may not be empty'
                )
            if not isinstance(meta.get("namespace", ""), str):
                raise Fail(f'error: unable to decode "{source}": metadata.namespace must be a string')
            try:
                namespaced = _native.kind_info(d["kind"])[1]
            except KubesimError:
                raise Fail(unknown_kind_error(meta["name"], meta.get("namespace", ""), source, d)) from None
            if namespaced and args.namespace_given():
                problem = require_namespace(d, args.namespace)
                if problem:
                    raise Fail(problem)
            yield d, source


def require_namespace(d: dict[str, Any], namespace: str) -> str | None:
    """upstream: cli-runtime's RequireNamespace, when `-n` was given: an object without a
    namespace takes it (changed in place); one with another namespace is refused."""
    meta = d.setdefault("metadata", {})
    if not meta.get("namespace"):
        meta["namespace"] = namespace
        return None
    if meta["namespace"] != namespace:
        theirs = meta["namespace"]
        return (
            f'error: the namespace from the provided object "{theirs}" does not match the namespace "{namespace}". '
            f"You must pass '--namespace={theirs}' to perform this operation."
        )
    return None


def in_namespace(text: str, source: str, namespace: str) -> tuple[str, list[str]]:
    """`apply -n NS -f …`: the text with NS put into the namespaced objects that name none (as
    JSON documents, in order), and the errors of objects that name another namespace."""
    docs = [json.loads(doc) for doc in _native.parse_manifest(text.removeprefix("\ufeff"), source)]
    kept: list[Any] = []
    errors: list[str] = []
    for d in docs:
        namespaced = False
        if isinstance(d, dict) and isinstance(d.get("kind"), str):
            try:
                namespaced = _native.kind_info(d["kind"])[1]
            except KubesimError:
                namespaced = False  # the apply reports the kind
        problem = require_namespace(d, namespace) if namespaced and isinstance(d.get("metadata"), dict) else None
        if problem:
            errors.append(problem)
        else:
            kept.append(d)
    # YAML documents written as JSON (a leading `---`, so the text is not sniffed as one JSON object)
    return "".join(f"---\n{json.dumps(d)}\n" for d in kept), errors


def unknown_kind_error(name: str, namespace: str, source: str, doc: Any) -> str:
    """upstream: cli-runtime's mapper — a kind discovery does not list."""
    kind = doc.get("kind", "") if isinstance(doc, dict) else ""
    version = doc.get("apiVersion", "") if isinstance(doc, dict) else ""
    return (
        f'error: resource mapping not found for name: "{name}" namespace: "{namespace}" from "{source}": '
        f'no matches for kind "{kind}" in version "{version}"\nensure CRDs are installed first'
    )
