"""`c.kubectl("…")`: kubectl's command line, run against the simulated cluster, printing what
kubectl 1.32 prints (stdout, stderr and exit code). One module per verb family, as kubectl's
own `pkg/cmd/<verb>`; `_flags` parses the command line as cobra and pflag do, `_root` finds
the command. Formats and messages follow `reference/kubectl.md` and `kubectl-everyday.md`;
waiting commands advance virtual time instead of sleeping."""

from ._base import CLIENT_VERSION, KubectlResult
from ._root import raise_for, run

__all__ = ["CLIENT_VERSION", "KubectlResult", "raise_for", "run"]
