"""Where a workflow script's errors go: one located line in the rule's log and on the console.

Every adapter in ``workflow/scripts/`` starts with ``log_errors(snakemake)``. Its stderr
then goes to the rule's log file (warnings, progress), and an error that ends the script
is written as ``trialmeta: error: FILE: what is wrong (got …, expected …)`` to the log
*and* to the console of the ``snakemake`` run, with exit status 1:

- a write that fails (full disk, file-size limit, read-only file system, no
  permission) names the file and what would have let it succeed;
- an error trialmeta raises on purpose (:class:`~trialmeta.errors.TrialmetaError`) is
  already located, and is printed as it is, one line per problem;
- anything else is a bug: the log keeps its traceback and the console gets one line
  that names the exception and the log.

The object passed in is Snakemake's ``snakemake`` script object; only its ``log``,
``output`` and ``rule`` attributes are read, so this module never imports Snakemake.
"""

from __future__ import annotations

import errno
import sys
import traceback
from collections.abc import Sequence
from types import TracebackType
from typing import NoReturn, Protocol, TextIO

from trialmeta.errors import DataValidationError, TrialmetaError

__all__ = ["describe", "fail", "log_errors"]

PREFIX = "trialmeta: error: "
_PERMISSION = ("no permission", "a file and directory this user may write (not read-only or "
               "immutable)")  # fmt: skip
OS_FIXES: dict[int, tuple[str, str]] = {
    errno.ENOSPC: ("cannot write", "free space on its file system"),
    errno.EDQUOT: ("cannot write", "room in the disk quota"),
    errno.EFBIG: ("cannot write", "a file-size limit (ulimit -f) above the file's size"),
    errno.EROFS: ("cannot write", "a writable file system"),
    errno.EACCES: _PERMISSION,
    errno.EPERM: _PERMISSION,
    errno.EIO: ("input/output error", "a working disk"),
}


class ScriptContext(Protocol):
    """The parts of Snakemake's ``snakemake`` script object that are read here."""

    log: Sequence[str]
    output: Sequence[str]
    rule: str


def _where(err: OSError, outputs: Sequence[str]) -> str:
    if err.filename is not None:
        return str(err.filename)
    return ", ".join(str(o) for o in outputs) or "an output"


def describe(
    exc: BaseException, rule: str, outputs: Sequence[str] = (), log: str | None = None
) -> tuple[list[str], bool]:
    """The error lines for ``exc`` (without the prefix) and whether it is a bug.

    Examples
    --------
    >>> lines, bug = describe(OSError(errno.ENOSPC, "No space left on device"), "tables",
    ...                       ["results/pooled.csv"])
    >>> lines[0].split(" (got ")[0], bug
    ('results/pooled.csv: cannot write', False)
    """
    if isinstance(exc, DataValidationError):
        return list(exc.problems), False
    if isinstance(exc, TrialmetaError):
        return [f"rule {rule}: {exc}"], False
    if isinstance(exc, OSError) and (exc.errno in OS_FIXES or exc.filename is not None):
        verb, fix = OS_FIXES.get(exc.errno or 0, ("cannot be used", "an accessible file"))
        name = errno.errorcode.get(exc.errno or 0, str(exc.errno))
        return [
            f"{_where(exc, outputs)}: {verb} (got {name}, {exc.strerror}, expected {fix})"
        ], False
    detail = " ".join(f"{type(exc).__name__}: {exc}".split())
    where = f"; the traceback is in {log}" if log else ""
    return [
        f"rule {rule}: internal error (got {detail}{where}, expected none; "
        "please report this input)"
    ], True


def _emit(lines: Sequence[str], streams: Sequence[TextIO | None]) -> None:
    for stream in streams:
        if stream is None:
            continue
        try:
            stream.write("".join(f"{PREFIX}{line}\n" for line in lines))
            stream.flush()
        except (OSError, ValueError):  # a full disk may refuse the log too
            pass


def _streams() -> list[TextIO | None]:
    """The rule's log (when stderr was sent there) and the console."""
    return [sys.stderr] if sys.stderr is sys.__stderr__ else [sys.stderr, sys.__stderr__]


def fail(lines: Sequence[str]) -> NoReturn:
    """Write ``lines`` (one problem each) to the rule's log and the console; exit 1."""
    _emit(lines, _streams())
    sys.exit(1)


def log_errors(smk: ScriptContext) -> None:
    """Send stderr to the rule's log and every fatal error to one line (see the module)."""
    outputs = [str(o) for o in smk.output]
    log = str(smk.log[0]) if len(smk.log) else None
    if log is not None:
        try:
            sys.stderr = open(log, "w", encoding="utf-8")  # open for the whole run
        except OSError as err:
            lines, _ = describe(err, smk.rule, [log])
            _emit(lines, [sys.__stderr__])
            sys.exit(1)

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        lines, bug = describe(exc, smk.rule, outputs, log)
        if bug and sys.stderr is not sys.__stderr__:
            try:
                traceback.print_exception(kind, exc, tb, file=sys.stderr)
            except (OSError, ValueError):
                pass
        _emit(lines, _streams())  # the interpreter then exits with status 1

    sys.excepthook = hook
