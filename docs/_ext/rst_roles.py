"""A griffe extension for the API pages: the docstrings' reST roles (:class:`kubesim.Server`,
:meth:`load`) become cross-references mkdocstrings links, and ``double backticks`` inline code."""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:class|meth|func|attr|exc|mod|data):`~?([A-Za-z_][\w.]*)`")
LITERAL = re.compile(r"``(.+?)``")


class RstRoles(griffe.Extension):
    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is None:
            return
        parent = obj if obj.is_class or obj.is_module else obj.parent

        def link(m: re.Match[str]) -> str:
            target = m.group(1)
            if "." not in target and parent is not None:
                # `:meth:`load`` names a member of the class being documented.
                target = f"{parent.path}.{target}"
            return f"[`{m.group(1)}`][{target}]"

        text = ROLE.sub(link, obj.docstring.value)
        obj.docstring.value = LITERAL.sub(r"`\1`", text)
