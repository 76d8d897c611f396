"""Bounded, strict reading of user files: extraction sheets and the CLI's study CSVs.

- :func:`read_regular_file` reads a *regular* file of at most ``max_bytes``. A FIFO is
  never waited on, a device (``/dev/zero``, a symlink to it) never read, and a file that
  reports size 0 but streams data (``/proc``) stops at the bound.
- :func:`csv_records` parses CSV text strictly: a quote that is never closed, or text
  after a closing quote, is an error with its line, instead of Python's lenient repair;
  the number of records is bounded; every record keeps the physical lines it spans.
- :func:`swallowed_records` finds quoted cells that span lines looking like records of
  the same file: the sign of an unbalanced quote, which otherwise silently merges rows.

Every problem is a one-line message ``LABEL[:LINE[:COLUMN]]: what (got ..., expected ...)``.
"""

from __future__ import annotations

import csv
import io
import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CsvRecord", "UnreadableFile", "csv_records", "read_regular_file",
           "swallowed_records"]  # fmt: skip

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))  # fmt: skip
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class UnreadableFile(Exception):
    """A file that is not read: ``got`` and ``expected`` complete the one-line message."""

    def __init__(self, what: str, got: str, expected: str):
        self.what, self.got, self.expected = what, got, expected
        super().__init__(f"{what} (got {got}, expected {expected})")


def read_regular_file(path: str | Path, max_bytes: int) -> bytes:
    """The bytes of the regular file ``path`` (symlinks followed), at most ``max_bytes``.

    The file is opened non-blocking, so a FIFO cannot hang the call, and its type is
    checked on the open descriptor, so it cannot be swapped after the check.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise UnreadableFile("cannot be read", str(exc.strerror or exc),
                             "a readable file") from None  # fmt: skip
    mode = os.fstat(fd)
    kind = next((kind for test, kind in _KINDS if test(mode.st_mode)), None)
    if kind is not None:
        os.close(fd)
        raise UnreadableFile("not a regular file", kind, "a file saved by a program")
    with os.fdopen(fd, "rb") as fh:
        if mode.st_size > max_bytes:
            raise UnreadableFile("file too large", f"{mode.st_size} bytes",
                                 f"at most {max_bytes}")  # fmt: skip
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UnreadableFile("file too large", f"more than {max_bytes} bytes",
                             f"at most {max_bytes}")  # fmt: skip
    return data


@dataclass(frozen=True)
class CsvRecord:
    """One CSV record: its cells and the physical lines (1-based) it spans."""

    first_line: int
    last_line: int
    cells: list[str]


def csv_records(text: str, label: str, max_records: int, problems: list[str]
                ) -> list[CsvRecord] | None:  # fmt: skip
    """Strictly parsed records of ``text`` (blank lines give empty records), or None after
    appending the one problem that stops the parse (broken quoting, too many records)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[CsvRecord] = []
    last = 0
    try:
        for cells in reader:
            if len(records) >= max_records:
                problems.append(f"{label}: too many rows (got more than {max_records}, expected "
                                f"at most {max_records})")  # fmt: skip
                return None
            records.append(CsvRecord(last + 1, reader.line_num, cells))
            last = reader.line_num
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            problems.append(f"{label}:{last + 1}: quoted cell never closed (got an opening quote "
                            "in the record starting on this line and no closing quote before "
                            "the end of the file, expected a closing quote: is a quote "
                            "unbalanced?)")  # fmt: skip
        else:
            opened = (f" in the record that starts on line {last + 1}"
                      if reader.line_num > last + 1 else "")  # fmt: skip
            problems.append(f"{label}:{reader.line_num}: broken quoting (got {exc}{opened}, "
                            "expected a quoted cell to end with a quote right before a comma or "
                            'the line end; write a quote inside a quoted cell as "")')  # fmt: skip
        return None
    return records


def _record_like(line: str, width: int) -> bool:
    return width >= 3 and line.count(",") >= width - 1


def swallowed_records(records: Sequence[CsvRecord], header: Sequence[str], label: str,
                      row_of: dict[int, int] | None = None) -> list[str]:  # fmt: skip
    """One problem per cell whose line breaks enclose lines that look like records (as
    many commas as the header has separators): the quote that opened the cell was not
    meant to. ``row_of`` maps a record's first line to the row number shown (default:
    the line)."""
    width = len(header)
    out: list[str] = []
    for rec in records:
        if rec.last_line == rec.first_line:
            continue
        for j, cell in enumerate(rec.cells):
            parts = _LINE_BREAK.split(cell)
            looks = sum(_record_like(p, width) for p in parts[1:])
            if not looks:
                continue
            col = header[j].strip() if j < len(header) else str(j + 1)
            row = (row_of or {}).get(rec.first_line, rec.first_line)
            out.append(f"{label}:{row}:{col}: quoted cell spans lines {rec.first_line}-"
                       f"{rec.last_line} of the file and swallows {looks} line(s) that look "
                       f"like rows (got {_preview(parts[1:])}, expected a cell without "
                       "rows in it: is a quote unbalanced?)")  # fmt: skip
    return out


def _preview(parts: Sequence[str]) -> str:
    first = next(p for p in parts if p.strip())
    return repr(first if len(first) <= 40 else first[:37] + "...")
