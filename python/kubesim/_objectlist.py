"""A list of handles that shows itself in a notebook as the table `kubectl get` prints."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._handles import Object

__all__ = ["ObjectList"]


class ObjectList(list["Object"]):
    """What ``c.pods()``, ``c.deployments()``, ``c.list(…)`` return: a plain list of handles
    whose notebook display is a kubectl-like table."""

    def _repr_html_(self) -> str:
        from ._display import objects_html

        return objects_html(list(self))

    def __reduce__(self) -> tuple[Any, ...]:
        return (ObjectList, (list(self),))
