"""``Cluster.serve()``: the cluster as a Kubernetes API server for real clients (kubectl, the
official ``kubernetes`` client, operators), with a kubeconfig that points at it."""

from __future__ import annotations

import ipaddress
import os
import shutil
import tempfile
import warnings
import weakref
from types import TracebackType
from typing import Any

from . import _native


def _is_loopback(address: str) -> bool:
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _kubeconfig(url: str, token: str | None) -> str:
    """A kubeconfig with one cluster, user and context named ``kubesim`` (namespace default)."""
    user = f"    token: {_quote(token)}\n" if token else "    {}\n"
    user_block = f"  user:\n{user}" if token else "  user: {}\n"
    return (
        "apiVersion: v1\n"
        "kind: Config\n"
        "clusters:\n"
        "- name: kubesim\n"
        "  cluster:\n"
        f"    server: {_quote(url)}\n"
        "users:\n"
        "- name: kubesim\n"
        f"{user_block}"
        "contexts:\n"
        "- name: kubesim\n"
        "  context:\n"
        "    cluster: kubesim\n"
        "    user: kubesim\n"
        "    namespace: default\n"
        "current-context: kubesim\n"
        "preferences: {}\n"
    )


def _quote(s: str) -> str:
    # A JSON string is a YAML double-quoted scalar.
    import json

    return json.dumps(s)


class Server:
    """A running API server (``c.serve()``). ``url`` is its address, ``kubeconfig`` the path of a
    kubeconfig file for it, ``env()`` an environment for a child process (``KUBECONFIG`` set, and
    ``KUBECACHEDIR`` set to a fresh directory so kubectl's discovery cache starts empty).
    ``stop()`` ends it (also on leaving a ``with`` block)."""

    def __init__(self, native: Any, token: str | None) -> None:
        self._native = native
        self.url: str = native.url
        self.token = token
        self._dir = tempfile.mkdtemp(prefix="kubesim-serve-")
        self.kubeconfig = os.path.join(self._dir, "kubeconfig")
        with open(self.kubeconfig, "w", encoding="utf-8") as f:
            f.write(_kubeconfig(self.url, token))
        os.chmod(self.kubeconfig, 0o600)
        # A server dropped without stop() still leaves no kubeconfig behind.
        self._cleanup = weakref.finalize(self, shutil.rmtree, self._dir, True)

    def env(self) -> dict[str, str]:
        """``os.environ`` with ``KUBECONFIG`` (and kubectl's ``KUBECACHEDIR``) pointing here."""
        return {**os.environ, "KUBECONFIG": self.kubeconfig, "KUBECACHEDIR": os.path.join(self._dir, "cache")}

    @property
    def running(self) -> bool:
        return bool(self._native.running)

    def stop(self) -> None:
        """Stop serving (idempotent): open watches end, the kubeconfig is removed."""
        self._native.stop()
        self._cleanup()

    def __reduce__(self) -> Any:
        raise TypeError("a running API server cannot be pickled or copied; pickle the Cluster and serve it again")

    def __enter__(self) -> Server:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"Server(url={self.url!r}, kubeconfig={self.kubeconfig!r})"


def serve(
    native: _native.Cluster,
    port: int = 0,
    address: str = "127.0.0.1",
    token: str | None = None,
    clock: str = "manual",
    speed: float = 1.0,
) -> Server:
    if not _is_loopback(address):
        warnings.warn(
            f"kubesim serves on {address}, reachable from other machines"
            + ("" if token else " without a token: anyone who can connect can change the cluster"),
            stacklevel=3,
        )
    return Server(native.serve(address=address, port=port, token=token, clock=clock, speed=speed), token)
