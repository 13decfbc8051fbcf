"""`kubectl edit` (upstream pkg/cmd/util/editor): the object as YAML (or JSON) under kubectl's
comment header goes to an editor — a function or a text from Python, ``$KUBE_EDITOR`` /
``$EDITOR`` on the command line — and what comes back is written with the resourceVersion it
was read at. An invalid result is reopened with the errors on top, as kubectl does."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import tempfile
from collections.abc import Callable
from typing import Any

from .. import _native
from ..errors import ConflictError, InvalidObjectError, KubesimError, NotFoundError
from ._base import Fail, Invocation, Out, error_text, not_modelled
from ._flags import parse
from ._manifests import documents
from ._resources import kind_of, ns_for, targets

Editor = Callable[[str], str] | str

_CANCELLED = 'A copy of your changes has been stored to "{}"\nerror: Edit cancelled, no valid changes were saved.'
_NO_RESOURCES = (
    "error: You must provide one or more resources by argument or filename.\n"
    "Example resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n"
    "   '<resource> <name>'\n   '<resource>'"
)
HEADER = (
    "# Please edit the object below. Lines beginning with a '#' will be ignored,\n"
    "# and an empty file will abort the edit. If an error occurs while saving this file will be\n"
    "# reopened with the relevant failures.\n"
    "#\n"
)
# A function editor that keeps answering with invalid text is given up on after this many rounds
# (a person at kubectl's prompt would eventually save the file unchanged, which ends it too).
MAX_ROUNDS = 10


class EditorFailed(Exception):
    """The editor exited non-zero (upstream: `there was a problem with the editor "…"`)."""

    def __init__(self, editor: str) -> None:
        super().__init__(editor)
        self.editor = editor


def run_edit(inv: Invocation, o: Out) -> None:
    a = parse(
        "edit",
        inv.argv,
        {"--filename", "--output", "--field-manager", "--subresource", "--validate"},
        {"--recursive", "--output-patch", "--save-config", "--windows-line-endings", "--show-managed-fields"},
        {"-f": "--filename", "-o": "--output", "-R": "--recursive"},
    )
    if not a.positional and not a.values("--filename"):
        raise Fail(_NO_RESOURCES)
    fmt = a.value("--output") or "yaml"
    if fmt not in ("yaml", "json"):
        raise Fail(
            f'error: unable to match a printer suitable for the output format "{fmt}", allowed formats are: json,yaml'
        )
    if a.bool("--output-patch"):
        raise not_modelled("kubectl edit --output-patch")
    if a.value("--subresource"):
        raise not_modelled("kubectl edit --subresource")
    editor = inv.editor
    if editor is None:
        raise Fail(
            "error: kubesim's kubectl edit needs an editor: pass editor= (a function from the object's "
            'YAML to the new text, or the new text) to kubectl(), e.g. c.kubectl("edit deploy/web", editor=fn)'
        )
    c = inv.cluster
    objects: list[dict[str, Any]] = []
    try:
        if a.values("--filename"):
            for d, _ in documents(c, a, inv.stdin):
                k = kind_of(d["kind"])
                ns = d["metadata"].get("namespace") or ns_for(k, a.namespace)
                objects.append(c.get(k.kind, d["metadata"]["name"], ns).to_dict())
        else:
            for k, name in targets(a.positional, "edit"):
                ns = ns_for(k, a.namespace)
                if name is None:
                    objects.extend(x.to_dict() for x in c.list(k.kind, namespace=ns))
                else:
                    objects.append(c.get(k.kind, name, ns).to_dict())
    except NotFoundError as e:
        raise Fail(error_text(e)) from None
    if not objects:
        # upstream: nothing to edit is an error of the visitor ("no objects passed to edit").
        raise Fail("error: no objects passed to edit")
    # upstream edits several objects in one file (a List); kubesim opens one object at a time.
    for obj in objects:
        _edit_one(inv, o, obj, fmt, editor)


def _render(obj: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(obj, indent=4, sort_keys=True, ensure_ascii=False) + "\n"
    return str(_native.to_yaml(json.dumps(obj)))


def _strip_comments(text: str) -> str:
    """upstream: editor.stripComments — lines whose first non-blank is `#` are dropped."""
    return "".join(line for line in text.splitlines(keepends=True) if not line.lstrip().startswith("#"))


def _call(editor: Editor, text: str) -> str:
    if isinstance(editor, str):
        return editor
    result = editor(text)
    if not isinstance(result, str):
        raise TypeError(f"the editor returned {type(result).__name__}, not the edited text (str)")
    return result


def _parse(text: str) -> dict[str, Any]:
    """The edited object, or why it does not parse (the text kubectl puts in its bullet)."""
    try:
        docs = _native.parse_manifest(text, "edited")
    except KubesimError as e:
        raise ValueError(f"yaml: {e}") from None
    if len(docs) != 1:
        raise ValueError(f"expected one object, found {len(docs)}")
    obj = json.loads(docs[0])
    if not isinstance(obj, dict):
        raise ValueError("the edited file is not an object")
    return obj


def _keep_copy(text: str) -> str:
    """upstream: a failed edit leaves the edited file in the temp directory and names it."""
    fd, path = tempfile.mkstemp(prefix="kubectl-edit-", suffix=".yaml")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def _edit_one(inv: Invocation, o: Out, obj: dict[str, Any], fmt: str, editor: Editor) -> None:
    c = inv.cluster
    k = kind_of(obj["kind"])
    name = obj["metadata"]["name"]
    original = HEADER + _render(obj, fmt)
    shown = original
    for round_ in range(MAX_ROUNDS):
        try:
            edited = _call(editor, shown)
        except EditorFailed as e:
            raise Fail(f'error: there was a problem with the editor "{e.editor}"') from None
        body = _strip_comments(edited)
        if round_ > 0 and body == _strip_comments(shown):
            # upstream: a reopened file saved unchanged ends the edit.
            path = _keep_copy(edited)
            raise Fail(_CANCELLED.format(path))
        if not body.strip():
            o.err("Edit cancelled, saved file was empty.")
            return
        if body == _strip_comments(original):
            o.err("Edit cancelled, no changes made.")
            return
        try:
            new = _parse(body)
        except ValueError as e:
            errors = [f'<nil>: Invalid value: "The edited file failed validation": {e}']
        else:
            if (new.get("apiVersion"), new.get("kind"), (new.get("metadata") or {}).get("name")) != (
                obj["apiVersion"],
                obj["kind"],
                name,
            ):
                # upstream: the patch's preconditions on apiVersion, kind and metadata.name.
                raise Fail("error: At least one of apiVersion, kind and name was changed")
            if new == obj:
                o.err("Edit cancelled, no changes made.")
                return
            try:
                c.replace(new)
            except InvalidObjectError as e:
                errors = [f"{field}: {message}" for field, message in getattr(e, "causes", [])] or [str(e)]
            except ConflictError as e:
                # upstream: a failed patch is reported and the edited file kept for `kubectl replace`.
                path = _keep_copy(edited)
                raise Fail(
                    f'error: {k.resource} "{name}" could not be patched: {e}\n'
                    f"You can run `kubectl replace -f {path}` to try this update again."
                ) from None
            else:
                o.out(f"{k.singular}/{name} edited\n")
                return
        # upstream: the file is reopened with the failures on top, and each round says so.
        o.err(f'error: {k.resource} "{name}" is invalid')
        shown = (
            HEADER
            + f'# {k.resource} "{name}" was not valid:\n'
            + "".join(f"# * {line}\n" for line in errors)
            + "#\n"
            + body
        )
    path = _keep_copy(shown)
    raise Fail(_CANCELLED.format(path))


def terminal_editor(text: str) -> str:
    """The editor `kubesim kubectl edit` opens: `$KUBE_EDITOR`, else `$EDITOR`, else `vi`, on a
    temporary file holding the text (upstream: editor.NewDefaultEditor)."""
    command = os.environ.get("KUBE_EDITOR") or os.environ.get("EDITOR") or "vi"
    fd, path = tempfile.mkstemp(prefix="kubectl-edit-", suffix=".yaml")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        # upstream: an editor value with spaces runs through the shell.
        argv = ["/bin/sh", "-c", f"{command} {shlex.quote(path)}"] if " " in command else [command, path]
        try:
            code = subprocess.run(argv, check=False).returncode
        except OSError:
            code = 1
        if code != 0:
            raise EditorFailed(command)
        with open(path, encoding="utf-8") as f:
            return f.read()
    finally:
        os.unlink(path)
