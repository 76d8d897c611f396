"""Checksums of the workflow's intermediate results: written by the rule that makes a file,
checked by every rule that reads it.

Snakemake decides what to rerun from file times. An intermediate that is truncated or edited
after its rule finished (a disk fault, a hand edit, a partial copy) has a newer time than
what was built from it, so the rules that read it rerun and would build a different review
from it with exit status 0 (reliability review F8). So every intermediate ``X`` has a
sidecar ``X.sha256``, a declared output of the same rule:

- the producing script ends with :func:`seal` (``seal(snakemake.output)``), which writes
  the sidecar of each declared ``X.sha256`` output once ``X`` is complete;
- a reading script opens ``X`` only through :func:`verified`, which raises
  :class:`~trialmeta.errors.IntermediateError` (one located line: file, what changed,
  the digest found and the one recorded) when ``X`` no longer matches, or when its sidecar
  is missing or malformed. The run then fails, and its failure handler removes every
  result, so the next plain run rebuilds the review from the sheets.

The sidecar is in ``sha256sum`` format, one ``<64 hex digits>  <name>`` line per file, the
name relative to the sidecar's directory; a directory output lists each file in it (sorted,
at any depth). So ``cd results && sha256sum -c comparisons.csv.sha256`` checks one by hand.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

from trialmeta.errors import IntermediateError
from trialmeta.io.outputs import naming

__all__ = ["SUFFIX", "digest_lines", "digest_path", "file_digests", "seal", "sha256_file",
           "verified", "write_digest"]  # fmt: skip

SUFFIX = ".sha256"
#: Snakemake's own marker in every directory output, touched after the job ends (not a result).
SNAKEMAKE_MARKER = ".snakemake_timestamp"
_LINE = re.compile(r"(?P<digest>[0-9a-f]{64})  (?P<name>[^\r\n]+)")


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of the file's bytes (read in 64 KiB blocks)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def digest_path(path: str | Path) -> Path:
    """The sidecar of ``path``: ``results/comparisons.csv`` → ``results/comparisons.csv.sha256``."""
    p = Path(path)
    return p.with_name(p.name + SUFFIX)


def file_digests(path: str | Path) -> dict[str, str]:
    """Name (relative to the parent of ``path``, ``/``-separated) → SHA-256, sorted by name:
    the file itself, or every file below a directory (Snakemake's marker excepted)."""
    p = Path(path)
    if p.is_dir():
        files = sorted(f for f in p.rglob("*") if f.is_file() and f.name != SNAKEMAKE_MARKER)
        return {f.relative_to(p.parent).as_posix(): sha256_file(f) for f in files}
    return {p.name: sha256_file(p)}


def digest_lines(path: str | Path) -> list[str]:
    """The sidecar's lines for ``path`` (``sha256sum`` format, without line ends)."""
    return [f"{digest}  {name}" for name, digest in file_digests(path).items()]


def write_digest(path: str | Path) -> Path:
    """Write the sidecar of ``path`` (a finished file or directory); return its path."""
    side = digest_path(path)
    with naming(side):
        side.write_text("".join(f"{line}\n" for line in digest_lines(path)), encoding="utf-8",
                        newline="\n")  # fmt: skip
    return side


def seal(outputs: Iterable[str | Path]) -> list[Path]:
    """Write the sidecar of every output that has one declared (``X.sha256`` among
    ``outputs``): the last call of a producing script, once every output is written."""
    return [write_digest(str(o)[: -len(SUFFIX)]) for o in outputs if str(o).endswith(SUFFIX)]


def _recorded(side: Path, subject: Path) -> dict[str, str]:
    """The sidecar's name → digest; an error located at its line when one is malformed."""
    if not side.is_file():
        raise IntermediateError(
            f"{subject}: no checksum beside it (got no {side}, expected the {SUFFIX} file the "
            "rule that wrote it writes with it)")  # fmt: skip
    found: dict[str, str] = {}
    for number, line in enumerate(side.read_text(encoding="utf-8").splitlines(), 1):
        m = _LINE.fullmatch(line)
        if m is None:
            raise IntermediateError(
                f"{side}:{number}: not a checksum line (got {line[:80]!r}, expected "
                "'<64 hex digits>  <file name>')")  # fmt: skip
        found[m["name"]] = m["digest"]
    return found


def _changed(
    subject: Path, name: str, got: str | None, expected: str | None, side: Path
) -> IntermediateError:
    where = subject.parent / name
    if got is None:
        what, values = "missing", f"got no file, expected the file listed in {side}"
    elif expected is None:
        what, values = "not written by its rule", f"got a file, expected only those in {side}"
    else:
        what = "changed after the rule that wrote it finished"
        values = f"got sha256 {got[:12]}…, expected {expected[:12]}… as recorded in {side}"
    return IntermediateError(f"{where}: {what} ({values}); a rerun rebuilds it")


def verified(path: str | Path) -> str:
    """``path`` (as ``str``) once its content matches its sidecar, for the reader to open.

    Raises :class:`~trialmeta.errors.IntermediateError` naming the first file that differs
    (sorted by name): changed bytes, a missing file, or an extra file in a directory.
    """
    subject = Path(path)
    side = digest_path(subject)
    expected = _recorded(side, subject)
    got = file_digests(subject) if subject.exists() else {}
    for name in sorted(set(expected) | set(got)):
        if got.get(name) != expected.get(name):
            raise _changed(subject, name, got.get(name), expected.get(name), side)
    return str(path)
