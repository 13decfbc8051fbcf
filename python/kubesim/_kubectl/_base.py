"""What every kubectl command shares: its result, how it fails, and how it writes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import _native
from ..errors import AlreadyExistsError, ForbiddenError, InvalidObjectError, NotFoundError

CLIENT_VERSION = "v1.32.4"
KUSTOMIZE_VERSION = "v5.5.0"
# kubesim's version (Cargo.toml's) as semver build metadata, as the served /version reports it.
SERVER_VERSION = f"v1.33.0+kubesim-{_native.__version__}"

if TYPE_CHECKING:
    from .._cluster import Cluster
    from .._time import Duration


@dataclass(frozen=True)
class KubectlResult:
    """What a kubectl command printed, and its exit code.

    ``stdout``, ``stderr`` and ``exit_code`` are what a terminal would get, stream for stream.
    ``str(result)`` (and the notebook display) is what a terminal *shows*: kubectl writes some
    informational lines to stderr (``No resources found in default namespace.``, deprecation
    warnings) and a user at a terminal sees them, so ``str(result)`` and ``result.output`` hold
    both streams in the order they were written. The CLI keeps the two streams apart."""

    stdout: str
    stderr: str
    exit_code: int
    shown: str | None = None  # both streams interleaved in the order written; None: stdout, then stderr

    @property
    def output(self) -> str:
        """Both streams as a terminal shows them, in the order kubectl wrote them."""
        return self.stdout + self.stderr if self.shown is None else self.shown

    def __str__(self) -> str:
        return self.output

    def _repr_html_(self) -> str:
        """In a notebook: stdout as a terminal shows it, stderr in red, a non-zero exit code."""
        import html

        out = f"<pre>{html.escape(self.stdout)}</pre>" if self.stdout else ""
        err = f'<pre style="color:#b00">{html.escape(self.stderr)}</pre>' if self.stderr else ""
        code = f"<p><small>exit code {self.exit_code}</small></p>" if self.exit_code else ""
        return out + err + code or "<pre></pre>"


class Fail(Exception):
    """kubectl exits non-zero: ``stderr`` is printed as is (callers add the newline)."""

    def __init__(self, stderr: str, stdout: str = "") -> None:
        super().__init__(stderr)
        self.stderr = stderr
        self.stdout = stdout


class Out:
    """stdout and stderr as the command writes them; ``failed`` makes the exit code 1."""

    def __init__(self, sink: Callable[[str, str], None] | None = None) -> None:
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self.shown: list[str] = []
        self.failed = False
        # A command's own exit code (exec propagates the remote one); None: 1 if failed, else 0.
        self.exit_code: int | None = None
        # Where a streaming command (a wall-clock watch) writes as it goes: ("stdout"|"stderr", text).
        self.sink = sink

    def out(self, text: str) -> None:
        self.stdout.append(text)
        self.shown.append(text)
        if self.sink is not None and text:
            self.sink("stdout", text)

    def err(self, text: str) -> None:
        text = text if text.endswith("\n") else text + "\n"
        self.stderr.append(text)
        self.shown.append(text)
        if self.sink is not None:
            self.sink("stderr", text)

    def result(self) -> KubectlResult:
        code = 1 if self.failed else (self.exit_code or 0)
        return KubectlResult("".join(self.stdout), "".join(self.stderr), code, "".join(self.shown))

    def error(self, e: BaseException) -> None:
        self.failed = True
        self.err(error_text(e))


# `watch_for` for a watch that follows the wall clock until Ctrl-C (`kubesim kubectl get -w`).
WALL_CLOCK = "wall-clock"


def usage(command: str, message: str) -> Fail:
    """A flag error, as cobra words it for kubectl 1.32 (`See … --help' for usage.`)."""
    return Fail(f"error: {message}\nSee '{' '.join(['kubectl', *command.split()])} --help' for usage.")


def usage_error(command: str, message: str) -> Fail:
    """A usage error of the command itself (`See … -h' for help and examples`)."""
    return Fail(f"error: {message}\nSee 'kubectl {command} -h' for help and examples")


def not_modelled(what: str) -> Fail:
    """A kubectl feature kubesim does not simulate: said plainly, so it cannot read as a typo."""
    return Fail(f'error: kubesim does not model "{what}" yet (see "Not modelled yet" in kubesim\'s README)')


def error_text(e: BaseException) -> str:
    """How kubectl's CheckErr prints an error."""
    if isinstance(e, Fail):
        return e.stderr
    if isinstance(e, NotFoundError):
        return f"Error from server (NotFound): {e}"
    if isinstance(e, AlreadyExistsError):
        return f"Error from server (AlreadyExists): {e}"
    if isinstance(e, ForbiddenError):
        return f"Error from server (Forbidden): {e}"
    if isinstance(e, InvalidObjectError):
        return str(e)
    return f"error: {e}"


@dataclass
class Invocation:
    """One command line, found: the cluster, the command words (`["set", "image"]`), the other
    arguments (flags anywhere), standard input, and how long a watch runs in virtual time."""

    cluster: Cluster
    path: list[str]
    argv: list[str]
    stdin: str | None = None
    # How long a watch runs in virtual time, or WALL_CLOCK: until interrupted, as wall time passes.
    watch_for: Duration | None = None
    # What `edit` opens: a function from the object's text to the edited text, or that text.
    editor: Callable[[str], str] | str | None = None

    @property
    def name(self) -> str:
        """The command as its usage lines name it (`set image`)."""
        return " ".join(self.path)
