"""Optional dependencies (the ``notebook`` extra): imported when first needed, never by
``import kubesim``."""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["require"]


def require(module: str, purpose: str, extra: str = "notebook") -> ModuleType:
    """Import ``module``, or raise an ImportError that says which extra brings it."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        top = module.split(".")[0]
        raise ImportError(
            f"{purpose} needs {top}, which is not installed: pip install 'kubesim[{extra}]' (or pip install {top})"
        ) from e
