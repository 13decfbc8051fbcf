"""`--field-selector`: kubectl sends the text unparsed and the API server selects (the core's
``labels::fields``, which serves ``kubesim serve`` too). What is left to kubectl is how it
words the server's refusal of a LIST (kubectl-everyday.md §2.2)."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import InvalidArgumentError
from ._base import Fail
from ._resources import Kind


def _resource(kind: Kind, label_selector: str, field_selector: str) -> str:
    # upstream: "Unable to find %q that match label selector %q, field selector %q" (Go's %q
    # escapes a backslash or quote as JSON does, which serves for a selector's printable text).
    group_version = kind.api_version if "/" in kind.api_version else f"/{kind.api_version}"
    quote = functools.partial(json.dumps, ensure_ascii=False)
    return (
        f"Unable to find {quote(f'{group_version}, Resource={kind.plural}')} that match label selector "
        f"{quote(label_selector)}, field selector {quote(field_selector)}"
    )


@contextmanager
def refused(kind: Kind, label_selector: str, field_selector: str) -> Iterator[None]:
    """A field selector the server refuses (malformed, or a field the kind does not select on)
    as kubectl prints the 400 it gets."""
    try:
        yield
    except InvalidArgumentError as e:
        raise Fail(f"Error from server (BadRequest): {_resource(kind, label_selector, field_selector)}: {e}") from None
